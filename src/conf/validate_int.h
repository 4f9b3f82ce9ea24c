/*
 * Internals of the validator, shared by its files: validate.c (entry point,
 * block specs, references), validate_reg.c (what is in use, and clashes),
 * validate_value.c (typed values), and one file per block kind:
 * validate_tunnel.c, validate_bridge.c, validate_jail.c. Not for use outside
 * src/conf: the rest of jail6 calls conf_load().
 */
#ifndef JAIL6_CONF_VALIDATE_INT_H
#define JAIL6_CONF_VALIDATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf_int.h"
#include "model/addr.h"
#include "model/model.h"
#include "util/hmap.h"

#define CV_N(a) (sizeof(a) / sizeof((a)[0]))

/* Object descriptions in messages: "jail 'x': interface 'epair1'". */
#define CV_DESC_MAX 200
/* A quoted user string inside a message. */
#define CV_QMAX 72

/* ---- block specs (validate.c) ---- */

#define CV_KEY_REQ    0x1 /* must be present */
#define CV_KEY_REPEAT 0x2 /* may appear more than once */
#define CV_KEY_LIST   0x4 /* may have more than one value */

struct cv_keyspec {
	const char *name;
	unsigned flags;
};

struct cv_blockspec {
	const char *kind;
	const struct cv_keyspec *keys;
	size_t n_keys;
	const char *const *blocks; /* block kinds allowed inside */
	size_t n_blocks;
};

/* ---- registries (validate_reg.c) ---- */

enum cv_reg_kind { CV_REG_TUNNEL, CV_REG_BRIDGE, CV_REG_MEMBER, CV_REG_IFACE, CV_REG_IFACE_END, CV_REG_OTHER };

/* Longest registry key: a name, or a family byte and 16 address bytes. */
#define CV_REG_KEY_MAX MODEL_NAME_MAX

/* Something in use (an interface name, an address, a MAC) and who uses it. */
struct cv_reg_ent {
	uint8_t key[CV_REG_KEY_MAX];
	size_t klen;
	enum cv_reg_kind kind;
	char desc[CV_DESC_MAX];
	struct conf_loc loc;
};

/* The entries in use, indexed by key (util/hmap.h), so that thousands of
 * jails are checked in linear time rather than by comparing every pair. */
struct cv_reg {
	struct cv_reg_ent *v;
	size_t n;
	struct hmap idx;     /* positions in v */
};

/* ---- the context of one validation ---- */

struct cv_ctx {
	struct conf_ctx *ctx;
	struct model *m;
	int err;                     /* sticky -ENOMEM */
	struct cv_reg names;         /* host interface names */
	struct cv_reg jail_names;
	struct cv_reg addrs;
	struct cv_reg macs;
	/* Every declared tunnel/bridge/jail, valid or not: a reference to a
	 * declared but broken object is not also reported as undefined. */
	const struct conf_block **tunnels, **bridges, **jails;
	size_t n_tunnels, n_bridges, n_jails;
};

/* ---- messages, keys and references (validate.c) ---- */

/* Report one error at loc. */
void cv_err(struct cv_ctx *c, struct conf_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s quoted for a message (conf_quote() into a CV_QMAX buffer); returns buf. */
const char *cv_quote(const char *s, char buf[CV_QMAX]);

/* "FILE:LINE:COL" of loc, for "first defined at ..." notes. */
const char *cv_where(const struct cv_ctx *c, struct conf_loc loc, char *buf, size_t len);

/* The model position (file name, line, column) of loc. */
struct model_pos cv_pos(const struct cv_ctx *c, struct conf_loc loc);

/* Grow an array by one element; returns the new array or NULL (the old one
 * is still valid then and *err is set). */
void *cv_grow(void *v, size_t n, size_t size, int *err);

/* The first statement setting key, or NULL. */
const struct conf_stmt *cv_find_key(const struct conf_block *b, const char *key);

/* The value of a single-valued key, or NULL when absent. */
const struct conf_value *cv_value_of(const struct conf_block *b, const char *key);

/* Check a block's keys and nested block kinds against its spec: unknown,
 * repeated, multi-valued and missing keys. label is NULL at the top level. */
void cv_check_block(struct cv_ctx *c, const struct conf_block *b,
		    const struct cv_blockspec *bs, const char *label);

/* Whether name was declared as a block of the given list (even a broken one). */
bool cv_declared(const struct conf_block *const *v, size_t n, const char *name);

/* Report a reference to an undefined object, suggesting a declared one. */
void cv_undefined(struct cv_ctx *c, const char *label, const char *kind,
		  const struct conf_value *v, const struct conf_block *const *decl, size_t n);

/* ---- what is in use (validate_reg.c) ---- */

/* Record a host interface name used by the object desc; on a clash report
 * it (at loc) and return false. */
bool cv_reg_name(struct cv_ctx *c, const char *name, enum cv_reg_kind kind,
		 const char *desc, struct conf_loc loc);

/* Record a jail name; report a duplicate (at loc) and return false. */
bool cv_reg_jail(struct cv_ctx *c, const char *name, const char *desc, struct conf_loc loc);

/* Record an address in use (host part); report a second use and return false. */
bool cv_reg_addr(struct cv_ctx *c, const struct addr *a, const char *desc, struct conf_loc loc);

/* Record a MAC address in use; report a second use. */
void cv_reg_mac(struct cv_ctx *c, const uint8_t mac[6], const char *desc, struct conf_loc loc);

/* Free a registry; it is empty and usable after. */
void cv_reg_free(struct cv_reg *r);

/* ---- typed values (validate_value.c) ---- */

/* Whether an address value may, or must, carry "/N" (cv_get_addr's pfx). */
#define CV_PFX_NONE 0
#define CV_PFX_OPTIONAL 1
#define CV_PFX_REQUIRED 2

/*
 * Check an interface or jail name: 1..max characters of [A-Za-z0-9_.-], not
 * starting with '-' (nor '.', for jails), not "." or "..". what is e.g.
 * "tunnel name" or "jail 'x': interface name"; why explains max if set.
 */
bool cv_check_name(struct cv_ctx *c, const char *s, struct conf_loc loc,
		   const char *what, size_t max, bool jail, const char *why);

/*
 * Parse an address value of the given family (0 = either) with or without
 * "/N" as pfx says; report why not at the value. key names the setting.
 */
bool cv_get_addr(struct cv_ctx *c, const char *label, const char *key,
		 const struct conf_value *v, int family, int pfx, struct addr *out);

/* Refuse addresses that can't be assigned or routed to. */
bool cv_usable(struct cv_ctx *c, const char *label, const char *key,
	       const struct conf_value *v, const struct addr *a);

/* A decimal number in [min, max]. */
bool cv_get_int(struct cv_ctx *c, const char *label, const char *key,
		const struct conf_value *v, int min, int max, int *out);

/* A boolean: yes/true/on or no/false/off, in any letter case. */
bool cv_get_bool(struct cv_ctx *c, const char *label, const char *key,
		 const struct conf_value *v, bool *out);

/* A string setting checked by problem(); stored (strdup) in *out when valid. */
void cv_get_string(struct cv_ctx *c, const char *label, const char *key,
		   const struct conf_value *v, const char *problem, char **out);

/* Why s is not an acceptable absolute path (a jail root, a key file), or NULL. */
const char *cv_path_problem(const char *s);

/* Append a to the array *v of *n addresses. Returns 0 or -ENOMEM. */
int cv_push_addr(struct addr **v, size_t *n, const struct addr *a);

/* ---- one builder per block kind ---- */

/* A tunnel block: endpoints, addresses, limits; defaults for what is unset
 * (validate_tunnel.c). */
void cv_build_tunnel(struct cv_ctx *c, const struct conf_block *b);

/* A bridge block: its prefixes, members and tunnel (validate_bridge.c). */
void cv_build_bridge(struct cv_ctx *c, const struct conf_block *b);

/* A jail and its interfaces and routes (validate_jail.c). Even a broken jail
 * goes into the model (which is then discarded) so that later duplicates are
 * still found. */
void cv_build_jail(struct cv_ctx *c, const struct conf_block *b);

/* With CONF_F_FREEBSD, once the model is built without error: what a
 * FreeBSD host does not accept, at the offending name or key
 * (validate_freebsd.c). */
void cv_check_freebsd(struct cv_ctx *c, const struct conf_block *root);

#endif
