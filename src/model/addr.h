/* Address and prefix helpers: inet_pton/inet_ntop based, no I/O. */
#ifndef JAIL6_MODEL_ADDR_H
#define JAIL6_MODEL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text form: an IPv6 address, "/128" and the NUL. */
#define ADDR_STRLEN 50

/* An IPv4 or IPv6 address, optionally with a prefix length. */
struct addr {
	int family;        /* AF_INET or AF_INET6; 0 = unset */
	uint8_t bytes[16]; /* network byte order; IPv4 uses the first 4 */
	int plen;          /* prefix length, or -1 when none was given */
};

/* Flags for addr_parse(). */
#define ADDR_PREFIX_NONE     0x0 /* "/N" is an error */
#define ADDR_PREFIX_OPTIONAL 0x1 /* "/N" may be present */
#define ADDR_PREFIX_REQUIRED 0x2 /* "/N" must be present */
#define ADDR_V4_ONLY         0x4
#define ADDR_V6_ONLY         0x8

/*
 * Parse "ADDR" or "ADDR/N" into *out. Returns 0 or -EINVAL; on error and when
 * why is not NULL, *why is set to a static, human-readable reason.
 */
int addr_parse(const char *s, int flags, struct addr *out, const char **why);

/* Format as "ADDR" or "ADDR/N" (when plen >= 0). Returns buf. */
char *addr_format(const struct addr *a, char *buf, size_t len);

/* Format the address alone, without "/N". Returns buf. */
char *addr_format_host(const struct addr *a, char *buf, size_t len);

/* Bytes of the address for its family: 4 or 16 (0 when unset). */
size_t addr_len(const struct addr *a);

/* Same family and address bytes (prefix lengths ignored). */
bool addr_same_host(const struct addr *a, const struct addr *b);

/* Same family, bytes and prefix length. */
bool addr_equal(const struct addr *a, const struct addr *b);

/* Whether host a lies in prefix p (p->plen bits; plen < 0 means full length). */
bool addr_in_prefix(const struct addr *a, const struct addr *p);

/* Copy of a with the host bits beyond p->plen cleared. */
struct addr addr_network(const struct addr *p);

/* The n-th address of prefix p (n = 0 is the network address), with p's plen.
 * Returns 0, or -ERANGE when n does not fit in the host part. */
int addr_nth(const struct addr *p, uint64_t n, struct addr *out);

/* Index of host a inside prefix p (inverse of addr_nth); -ERANGE if outside
 * or if the index does not fit in 64 bits. */
int addr_index(const struct addr *p, const struct addr *a, uint64_t *n);

/* Whether the address is all zeroes, multicast, loopback or link-local. */
bool addr_is_unspecified(const struct addr *a);
bool addr_is_multicast(const struct addr *a);
bool addr_is_loopback(const struct addr *a);
bool addr_is_link_local(const struct addr *a);

/* Parse a MAC "xx:xx:xx:xx:xx:xx". Returns 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);

/* Format a MAC as lower-case "xx:xx:xx:xx:xx:xx" (buf >= 18). Returns buf. */
char *mac_format(const uint8_t mac[6], char *buf, size_t len);

#endif
