/* The observed state: growable arrays of facts and lookups over them. The
 * lookups go through a hash index so that planning for 1000 jails is linear,
 * not quadratic, in the number of facts. */
#include "model/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum idx_type { IDX_LINK = 1, IDX_ADDR, IDX_ROUTE, IDX_JAIL, IDX_SYSCTL };

struct idx_slot {
	uint64_t hash;       /* 0 = empty */
	uint32_t pos;        /* index into the array of its type */
	uint8_t type;
};

struct state_index {
	struct idx_slot *slots;
	size_t cap;          /* a power of two */
	size_t used;
	unsigned long stamp; /* equal to state.stamp while the index is valid */
};

/* Append one element of size sz to *arr (count *n), growing geometrically. */
static int push(void **arr, size_t *n, size_t sz, const void *elem)
{
	/* capacity is implicit: powers of two from 8 */
	if (*n == 0 || ((*n & (*n - 1)) == 0 && *n >= 8)) {
		size_t cap = *n < 8 ? 8 : *n * 2;
		void *p = realloc(*arr, cap * sz);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memcpy((char *)*arr + *n * sz, elem, sz);
	(*n)++;
	return 0;
}

/* FNV-1a, fed field by field; a NUL separates strings so "ab"+"c" != "a"+"bc". */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

static uint64_t seed(enum idx_type t)
{
	uint8_t b = (uint8_t)t;
	return fnv(UINT64_C(14695981039346656037), &b, 1);
}

/* Never 0: 0 marks an empty slot. */
static uint64_t fin(uint64_t h)
{
	return h ? h : 1;
}

static uint64_t key_link(const char *ns, const char *name)
{
	return fin(fnv_str(fnv_str(seed(IDX_LINK), ns), name));
}

static uint64_t key_addr(const char *ns, const char *ifname, const struct addr *a)
{
	uint64_t h = fnv_str(fnv_str(seed(IDX_ADDR), ns), ifname);
	return fin(fnv(fnv(h, &a->family, sizeof(a->family)), a->bytes, addr_len(a)));
}

static uint64_t key_route(const char *ns, const struct addr *d)
{
	uint64_t h = fnv_str(seed(IDX_ROUTE), ns);
	h = fnv(fnv(h, &d->family, sizeof(d->family)), d->bytes, addr_len(d));
	return fin(fnv(h, &d->plen, sizeof(d->plen)));
}

static uint64_t key_jail(const char *name)
{
	return fin(fnv_str(seed(IDX_JAIL), name));
}

static uint64_t key_sysctl(const char *ns, const char *key)
{
	return fin(fnv_str(fnv_str(seed(IDX_SYSCTL), ns), key));
}

/* Whether element pos of type t has exactly the key (ns, name, a). */
static bool matches(const struct state *s, enum idx_type t, size_t pos, const char *ns,
		    const char *name, const struct addr *a)
{
	switch (t) {
	case IDX_LINK:
		return pos < s->n_links && !strcmp(s->links[pos].ns, ns) && !strcmp(s->links[pos].name, name);
	case IDX_ADDR:
		return pos < s->n_addrs && !strcmp(s->addrs[pos].ns, ns) && !strcmp(s->addrs[pos].ifname, name) &&
		       addr_same_host(&s->addrs[pos].addr, a);
	case IDX_ROUTE:
		return pos < s->n_routes && !strcmp(s->routes[pos].ns, ns) &&
		       addr_same_host(&s->routes[pos].dst, a) && s->routes[pos].dst.plen == a->plen;
	case IDX_JAIL:
		return pos < s->n_jails && !strcmp(s->jails[pos].name, name);
	case IDX_SYSCTL:
		return pos < s->n_sysctls && !strcmp(s->sysctls[pos].ns, ns) && !strcmp(s->sysctls[pos].key, name);
	}
	return false;
}

/* Find the slot of a key: the matching one, or the empty one to fill. */
static struct idx_slot *probe(const struct state *s, enum idx_type t, uint64_t h, const char *ns,
			      const char *name, const struct addr *a)
{
	struct state_index *x = s->idx;
	size_t i = (size_t)h & (x->cap - 1);

	for (;; i = (i + 1) & (x->cap - 1)) {
		struct idx_slot *sl = &x->slots[i];
		if (!sl->hash || (sl->hash == h && sl->type == t && matches(s, t, sl->pos, ns, name, a)))
			return sl;
	}
}

/* Insert element pos unless an equal key is there (lookups return the first
 * match, as a linear scan would). */
static void idx_put(struct state *s, enum idx_type t, uint64_t h, size_t pos, const char *ns,
		    const char *name, const struct addr *a)
{
	struct idx_slot *sl = probe(s, t, h, ns, name, a);

	if (sl->hash)
		return;
	sl->hash = h;
	sl->pos = (uint32_t)pos;
	sl->type = (uint8_t)t;
	s->idx->used++;
}

static void idx_put_link(struct state *s, size_t i)
{
	idx_put(s, IDX_LINK, key_link(s->links[i].ns, s->links[i].name), i, s->links[i].ns, s->links[i].name, NULL);
}

static void idx_put_addr(struct state *s, size_t i)
{
	const struct state_addr *a = &s->addrs[i];
	idx_put(s, IDX_ADDR, key_addr(a->ns, a->ifname, &a->addr), i, a->ns, a->ifname, &a->addr);
}

static void idx_put_route(struct state *s, size_t i)
{
	const struct state_route *r = &s->routes[i];
	idx_put(s, IDX_ROUTE, key_route(r->ns, &r->dst), i, r->ns, NULL, &r->dst);
}

static void idx_put_jail(struct state *s, size_t i)
{
	idx_put(s, IDX_JAIL, key_jail(s->jails[i].name), i, NULL, s->jails[i].name, NULL);
}

static void idx_put_sysctl(struct state *s, size_t i)
{
	idx_put(s, IDX_SYSCTL, key_sysctl(s->sysctls[i].ns, s->sysctls[i].key), i, s->sysctls[i].ns,
		s->sysctls[i].key, NULL);
}

static size_t n_facts(const struct state *s)
{
	return s->n_links + s->n_addrs + s->n_routes + s->n_jails + s->n_sysctls;
}

/* (Re)build the index from scratch, sized for at least want facts. */
static int idx_rebuild(struct state *s, size_t want)
{
	struct state_index *x = s->idx;
	size_t cap = 64;

	while (cap < want * 2)
		cap *= 2;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return -ENOMEM;
		s->idx = x;
	}
	if (x->cap != cap) {
		struct idx_slot *sl = calloc(cap, sizeof(*sl));
		if (!sl)
			return -ENOMEM;
		free(x->slots);
		x->slots = sl;
		x->cap = cap;
	} else {
		memset(x->slots, 0, cap * sizeof(*x->slots));
	}
	x->used = 0;
	for (size_t i = 0; i < s->n_links; i++)
		idx_put_link(s, i);
	for (size_t i = 0; i < s->n_addrs; i++)
		idx_put_addr(s, i);
	for (size_t i = 0; i < s->n_routes; i++)
		idx_put_route(s, i);
	for (size_t i = 0; i < s->n_jails; i++)
		idx_put_jail(s, i);
	for (size_t i = 0; i < s->n_sysctls; i++)
		idx_put_sysctl(s, i);
	x->stamp = s->stamp;
	return 0;
}

/* A valid index for lookups, or NULL (out of memory: scan linearly). The
 * state is logically const here: the index is only a cache. */
static struct state_index *idx_get(const struct state *cs)
{
	struct state *s = (struct state *)cs;

	if (!s->idx || s->idx->stamp != s->stamp)
		if (idx_rebuild(s, n_facts(s)) < 0)
			return NULL;
	return s->idx;
}

/* After an append: keep a valid index valid (growing it when half full). */
static void idx_after_add(struct state *s, void (*put)(struct state *, size_t), size_t i)
{
	bool valid = s->idx && s->idx->stamp == s->stamp;

	s->stamp++;
	if (!valid)
		return;
	if ((s->idx->used + 1) * 2 > s->idx->cap) {
		idx_rebuild(s, n_facts(s) * 2); /* includes element i */
		return;
	}
	put(s, i);
	s->idx->stamp = s->stamp;
}

void state_touch(struct state *s)
{
	s->stamp++;
}

int state_add_link(struct state *s, const struct state_link *l)
{
	int r = push((void **)&s->links, &s->n_links, sizeof(*l), l);
	if (!r)
		idx_after_add(s, idx_put_link, s->n_links - 1);
	return r;
}

int state_add_addr(struct state *s, const struct state_addr *a)
{
	int r = push((void **)&s->addrs, &s->n_addrs, sizeof(*a), a);
	if (!r)
		idx_after_add(s, idx_put_addr, s->n_addrs - 1);
	return r;
}

int state_add_route(struct state *s, const struct state_route *rt)
{
	int r = push((void **)&s->routes, &s->n_routes, sizeof(*rt), rt);
	if (!r)
		idx_after_add(s, idx_put_route, s->n_routes - 1);
	return r;
}

int state_add_jail(struct state *s, const struct state_jail *j)
{
	int r = push((void **)&s->jails, &s->n_jails, sizeof(*j), j);
	if (!r)
		idx_after_add(s, idx_put_jail, s->n_jails - 1);
	return r;
}

int state_add_sysctl(struct state *s, const struct state_sysctl *c)
{
	int r = push((void **)&s->sysctls, &s->n_sysctls, sizeof(*c), c);
	if (!r)
		idx_after_add(s, idx_put_sysctl, s->n_sysctls - 1);
	return r;
}

int state_append(struct state *dst, const struct state *src)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < src->n_links; i++)
		r = state_add_link(dst, &src->links[i]);
	for (size_t i = 0; r == 0 && i < src->n_addrs; i++)
		r = state_add_addr(dst, &src->addrs[i]);
	for (size_t i = 0; r == 0 && i < src->n_routes; i++)
		r = state_add_route(dst, &src->routes[i]);
	for (size_t i = 0; r == 0 && i < src->n_jails; i++)
		r = state_add_jail(dst, &src->jails[i]);
	for (size_t i = 0; r == 0 && i < src->n_sysctls; i++)
		r = state_add_sysctl(dst, &src->sysctls[i]);
	return r;
}

void state_free(struct state *s)
{
	if (!s)
		return;
	free(s->links);
	free(s->addrs);
	free(s->routes);
	free(s->jails);
	free(s->sysctls);
	if (s->idx)
		free(s->idx->slots);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

#define NO_INDEX (SIZE_MAX - 1)

/* Look a key up: its position, SIZE_MAX when absent, NO_INDEX when there is
 * no index (out of memory; the caller scans). */
static size_t lookup(const struct state *s, enum idx_type t, uint64_t h, const char *ns, const char *name,
		     const struct addr *a)
{
	struct idx_slot *sl;

	if (!idx_get(s))
		return NO_INDEX;
	sl = probe(s, t, h, ns, name, a);
	return sl->hash ? sl->pos : SIZE_MAX;
}

const struct state_link *state_find_link(const struct state *s, const char *ns, const char *name)
{
	size_t i = lookup(s, IDX_LINK, key_link(ns, name), ns, name, NULL);

	if (i != NO_INDEX)
		return i == SIZE_MAX ? NULL : &s->links[i];
	for (i = 0; i < s->n_links; i++) /* no index (no memory): scan */
		if (!strcmp(s->links[i].ns, ns) && !strcmp(s->links[i].name, name))
			return &s->links[i];
	return NULL;
}

const struct state_addr *state_find_addr(const struct state *s, const char *ns, const char *ifname,
					 const struct addr *a)
{
	size_t i = lookup(s, IDX_ADDR, key_addr(ns, ifname, a), ns, ifname, a);

	if (i != NO_INDEX)
		return i == SIZE_MAX ? NULL : &s->addrs[i];
	for (i = 0; i < s->n_addrs; i++)
		if (matches(s, IDX_ADDR, i, ns, ifname, a))
			return &s->addrs[i];
	return NULL;
}

const struct state_route *state_find_route(const struct state *s, const char *ns, const struct addr *dst)
{
	size_t i = lookup(s, IDX_ROUTE, key_route(ns, dst), ns, NULL, dst);

	if (i != NO_INDEX)
		return i == SIZE_MAX ? NULL : &s->routes[i];
	for (i = 0; i < s->n_routes; i++)
		if (matches(s, IDX_ROUTE, i, ns, NULL, dst))
			return &s->routes[i];
	return NULL;
}

const struct state_jail *state_find_jail(const struct state *s, const char *name)
{
	size_t i = lookup(s, IDX_JAIL, key_jail(name), NULL, name, NULL);

	if (i != NO_INDEX)
		return i == SIZE_MAX ? NULL : &s->jails[i];
	for (i = 0; i < s->n_jails; i++)
		if (!strcmp(s->jails[i].name, name))
			return &s->jails[i];
	return NULL;
}

const struct state_sysctl *state_find_sysctl(const struct state *s, const char *ns, const char *key)
{
	size_t i = lookup(s, IDX_SYSCTL, key_sysctl(ns, key), ns, key, NULL);

	if (i != NO_INDEX)
		return i == SIZE_MAX ? NULL : &s->sysctls[i];
	for (i = 0; i < s->n_sysctls; i++)
		if (!strcmp(s->sysctls[i].ns, ns) && !strcmp(s->sysctls[i].key, key))
			return &s->sysctls[i];
	return NULL;
}
