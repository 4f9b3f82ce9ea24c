/* The registries of what a config uses: host interface names, jail names,
 * addresses and MACs. A second use is reported against the first one. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/validate_int.h"

/* A key looked up in a registry, for reg_eq(). */
struct reg_key {
	const struct cv_reg *r;
	const void *key;
	size_t klen;
};

/* The index hash of a key of klen bytes. */
static uint64_t reg_hash(const void *key, size_t klen)
{
	return hmap_fin(hmap_hash(HMAP_SEED, key, klen));
}

/* Whether entry i of the registry has the key (the hmap_eq of a registry). */
static bool reg_eq(const void *arg, size_t i)
{
	const struct reg_key *k = arg;
	const struct cv_reg_ent *e = &k->r->v[i];

	return e->klen == k->klen && memcmp(e->key, k->key, k->klen) == 0;
}

/* The entry registered under the key, or NULL. */
static const struct cv_reg_ent *reg_find(const struct cv_reg *r, const void *key, size_t klen)
{
	struct reg_key k = { r, key, klen };
	const size_t *i = hmap_find(&r->idx, reg_hash(key, klen), reg_eq, &k);

	return i ? &r->v[*i] : NULL;
}

/* Add an entry (the caller checked it is new). Returns 0 or -ENOMEM. */
static int reg_add(struct cv_reg *r, const void *key, size_t klen, enum cv_reg_kind kind,
		   const char *desc, struct conf_loc loc)
{
	struct cv_reg_ent *v, *e;
	struct reg_key k = { r, NULL, 0 };
	int put;

	v = conf_grow(r->v, r->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->v = v;
	e = &v[r->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, klen < CV_REG_KEY_MAX ? klen : CV_REG_KEY_MAX);
	e->klen = klen < CV_REG_KEY_MAX ? klen : CV_REG_KEY_MAX;
	e->kind = kind;
	snprintf(e->desc, sizeof(e->desc), "%s", desc);
	e->loc = loc;
	k.key = e->key;
	k.klen = e->klen;
	put = hmap_put(&r->idx, reg_hash(e->key, e->klen), r->n, reg_eq, &k);
	if (put < 0)
		return put;
	r->n++;
	return 0;
}

void cv_reg_free(struct cv_reg *r)
{
	free(r->v);
	hmap_free(&r->idx);
	memset(r, 0, sizeof(*r));
}

/* How a registered name is called in messages: the object itself, or a
 * member of it, or one end of its epair. */
static const char *subject(enum cv_reg_kind kind, const char *desc, const char *name,
			   char *buf, size_t len)
{
	if (kind == CV_REG_MEMBER)
		snprintf(buf, len, "%s: member '%s'", desc, name);
	else if (kind == CV_REG_IFACE_END)
		snprintf(buf, len, "%s: epair end '%s'", desc, name);
	else
		snprintf(buf, len, "%s", desc);
	return buf;
}

bool cv_reg_name(struct cv_ctx *c, const char *name, enum cv_reg_kind kind,
		 const char *desc, struct conf_loc loc)
{
	static const char *const kinds[] = { "tunnel", "bridge", "member", "interface", "interface", "" };
	const struct cv_reg_ent *r = reg_find(&c->names, name, strlen(name));
	char w[256], s1[CV_DESC_MAX + 64], s2[CV_DESC_MAX + 64];
	int e;

	if (r) {
		cv_where(c, r->loc, w, sizeof(w));
		if (kind == CV_REG_MEMBER && r->kind == CV_REG_MEMBER && strcmp(desc, r->desc) == 0)
			cv_err(c, loc, "%s: member '%s' is listed twice", desc, name);
		else if (kind == CV_REG_MEMBER && r->kind == CV_REG_MEMBER)
			cv_err(c, loc, "%s: member '%s' is already a member of %s (defined at %s)",
			       desc, name, r->desc, w);
		else if (kind == r->kind && kind != CV_REG_IFACE_END)
			cv_err(c, loc, "duplicate %s '%s' (first defined at %s)", kinds[kind], name, w);
		else
			cv_err(c, loc, "%s clashes with %s (defined at %s)",
			       subject(kind, desc, name, s1, sizeof(s1)),
			       subject(r->kind, r->desc, name, s2, sizeof(s2)), w);
		return false;
	}
	e = reg_add(&c->names, name, strlen(name), kind, desc, loc);
	if (e < 0)
		c->err = e;
	return e == 0;
}

bool cv_reg_jail(struct cv_ctx *c, const char *name, const char *desc, struct conf_loc loc)
{
	const struct cv_reg_ent *r = reg_find(&c->jail_names, name, strlen(name));
	char w[256];
	int e;

	if (r) {
		cv_err(c, loc, "duplicate jail '%s' (first defined at %s)", name,
		       cv_where(c, r->loc, w, sizeof(w)));
		return false;
	}
	e = reg_add(&c->jail_names, name, strlen(name), CV_REG_OTHER, desc, loc);
	if (e < 0)
		c->err = e;
	return e == 0;
}

/* Registry key of an address: its family and bytes (not the prefix). */
static size_t addr_key(const struct addr *a, uint8_t key[17])
{
	key[0] = a->family == AF_INET ? 4 : 6;
	memcpy(key + 1, a->bytes, 16);
	return 17;
}

bool cv_reg_addr(struct cv_ctx *c, const struct addr *a, const char *desc, struct conf_loc loc)
{
	char s[ADDR_STRLEN], w[256];
	uint8_t key[17];
	size_t klen = addr_key(a, key);
	const struct cv_reg_ent *r = reg_find(&c->addrs, key, klen);
	int e;

	if (r) {
		addr_format_host(a, s, sizeof(s));
		if (strcmp(r->desc, desc) == 0)
			cv_err(c, loc, "%s: address %s is listed twice", desc, s);
		else
			cv_err(c, loc, "%s: address %s is already used by %s (%s)",
			       desc, s, r->desc, cv_where(c, r->loc, w, sizeof(w)));
		return false;
	}
	e = reg_add(&c->addrs, key, klen, CV_REG_OTHER, desc, loc);
	if (e < 0)
		c->err = e;
	return e == 0;
}

void cv_reg_mac(struct cv_ctx *c, const uint8_t mac[6], const char *desc, struct conf_loc loc)
{
	const struct cv_reg_ent *r = reg_find(&c->macs, mac, 6);
	char s[18], w[256];
	int e;

	if (r) {
		cv_err(c, loc, "%s: mac %s is already used by %s (%s)", desc,
		       mac_format(mac, s, sizeof(s)), r->desc, cv_where(c, r->loc, w, sizeof(w)));
		return;
	}
	e = reg_add(&c->macs, mac, 6, CV_REG_OTHER, desc, loc);
	if (e < 0)
		c->err = e;
}
