/* Address and prefix helpers. */
#include "model/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

size_t addr_len(const struct addr *a)
{
	if (a->family == AF_INET)
		return 4;
	if (a->family == AF_INET6)
		return 16;
	return 0;
}

/* Parse the decimal prefix length after '/', bounded by max. */
static int parse_plen(const char *s, int max, int *out)
{
	int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

int addr_parse(const char *s, int flags, struct addr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	struct addr a = { .plen = -1 };
	const char *dummy;
	int r;

	if (!why)
		why = &dummy;
	if (hlen == 0 || hlen >= sizeof(host)) {
		*why = "not an address";
		return -EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, a.bytes) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		a.family = AF_INET6;
	} else {
		struct in_addr v4;
		if (inet_pton(AF_INET, host, &v4) != 1) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		memcpy(a.bytes, &v4, 4);
		a.family = AF_INET;
	}
	if ((flags & ADDR_V4_ONLY) && a.family != AF_INET) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	if ((flags & ADDR_V6_ONLY) && a.family != AF_INET6) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	if (slash) {
		if (!(flags & (ADDR_PREFIX_OPTIONAL | ADDR_PREFIX_REQUIRED))) {
			*why = "a prefix length is not allowed here";
			return -EINVAL;
		}
		r = parse_plen(slash + 1, (int)addr_len(&a) * 8, &a.plen);
		if (r < 0) {
			*why = a.family == AF_INET ? "bad prefix length (0..32)" : "bad prefix length (0..128)";
			return -EINVAL;
		}
	} else if (flags & ADDR_PREFIX_REQUIRED) {
		*why = "a prefix length (/N) is required";
		return -EINVAL;
	}
	*out = a;
	return 0;
}

char *addr_format_host(const struct addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!a->family || !inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

char *addr_format(const struct addr *a, char *buf, size_t len)
{
	addr_format_host(a, buf, len);
	if (a->family && a->plen >= 0) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, "/%d", a->plen);
	}
	return buf;
}

bool addr_same_host(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return addr_same_host(a, b) && a->plen == b->plen;
}

/* Effective prefix length: a missing one means a host address. */
static int eff_plen(const struct addr *p)
{
	return p->plen < 0 ? (int)addr_len(p) * 8 : p->plen;
}

bool addr_in_prefix(const struct addr *a, const struct addr *p)
{
	int bits = eff_plen(p), i;

	if (a->family != p->family || !a->family)
		return false;
	for (i = 0; i < bits / 8; i++)
		if (a->bytes[i] != p->bytes[i])
			return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
		if ((a->bytes[i] & mask) != (p->bytes[i] & mask))
			return false;
	}
	return true;
}

struct addr addr_network(const struct addr *p)
{
	struct addr n = *p;
	int bits = eff_plen(p);
	size_t i;

	for (i = 0; i < addr_len(p); i++) {
		int keep = bits - (int)i * 8;
		if (keep <= 0)
			n.bytes[i] = 0;
		else if (keep < 8)
			n.bytes[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return n;
}

int addr_nth(const struct addr *p, uint64_t n, struct addr *out)
{
	int hostbits = (int)addr_len(p) * 8 - eff_plen(p);
	struct addr r = addr_network(p);
	int i;

	if (!p->family)
		return -EINVAL;
	if (hostbits < 64 && n >> hostbits)
		return -ERANGE;
	/* add n to the low 64 bits; the host part is empty above them */
	for (i = (int)addr_len(p) - 1; i >= 0 && n; i--) {
		r.bytes[i] |= (uint8_t)(n & 0xff);
		n >>= 8;
	}
	r.plen = p->plen;
	*out = r;
	return 0;
}

int addr_index(const struct addr *p, const struct addr *a, uint64_t *n)
{
	int hostbits = (int)addr_len(p) * 8 - eff_plen(p);
	size_t len = addr_len(p), i;
	uint64_t v = 0;

	if (!addr_in_prefix(a, p))
		return -ERANGE;
	if (hostbits > 64) {
		/* only indexes that fit in 64 bits: the bytes above must be 0 */
		struct addr net = addr_network(p);
		for (i = 0; i + 8 < len; i++)
			if (a->bytes[i] != net.bytes[i])
				return -ERANGE;
	}
	for (i = len > 8 ? len - 8 : 0; i < len; i++)
		v = (v << 8) | a->bytes[i];
	if (hostbits < 64)
		v &= (UINT64_C(1) << hostbits) - 1;
	*n = v;
	return 0;
}

bool addr_is_unspecified(const struct addr *a)
{
	static const uint8_t zero[16];
	return a->family && memcmp(a->bytes, zero, addr_len(a)) == 0;
}

bool addr_is_multicast(const struct addr *a)
{
	if (a->family == AF_INET)
		return (a->bytes[0] & 0xf0) == 0xe0;
	return a->family == AF_INET6 && a->bytes[0] == 0xff;
}

bool addr_is_loopback(const struct addr *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return a->family == AF_INET6 && memcmp(a->bytes, lo6, 16) == 0;
}

bool addr_is_link_local(const struct addr *a)
{
	if (a->family == AF_INET)
		return a->bytes[0] == 169 && a->bytes[1] == 254;
	return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

/* Value of one hex digit, or -1. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++) {
		int hi = hexval((unsigned char)s[0]), lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

char *mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
