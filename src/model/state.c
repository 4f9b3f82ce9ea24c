/* The observed state: growable arrays of facts and lookups over them. The
 * lookups go through a hash index so that planning for 1000 jails is linear,
 * not quadratic, in the number of facts. */
#include "model/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

/* One hash index per kind of fact (util/hmap.h): the values are positions
 * in the state's arrays, checked against the key by the eq functions. */
enum kind { K_LINK, K_ADDR, K_ROUTE, K_JAIL, K_SYSCTL, K__COUNT };

struct state_index {
	struct hmap map[K__COUNT];
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

/* A lookup key and the state it is looked up in. */
struct key {
	const struct state *s;
	const char *ns, *name;
	const struct addr *a;
};

static uint64_t hash_addr(uint64_t h, const struct addr *a)
{
	return hmap_hash(hmap_hash(h, &a->family, sizeof(a->family)), a->bytes, addr_len(a));
}

static uint64_t key_link(const struct key *k)
{
	return hmap_fin(hmap_hash_str(hmap_hash_str(HMAP_SEED, k->ns), k->name));
}

static uint64_t key_addr(const struct key *k)
{
	return hmap_fin(hash_addr(hmap_hash_str(hmap_hash_str(HMAP_SEED, k->ns), k->name), k->a));
}

static uint64_t key_route(const struct key *k)
{
	uint64_t h = hash_addr(hmap_hash_str(HMAP_SEED, k->ns), k->a);
	return hmap_fin(hmap_hash(h, &k->a->plen, sizeof(k->a->plen)));
}

static uint64_t key_jail(const struct key *k)
{
	return hmap_fin(hmap_hash_str(HMAP_SEED, k->name));
}

static bool eq_link(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->links[i].ns, k->ns) && !strcmp(k->s->links[i].name, k->name);
}

static bool eq_addr(const void *arg, size_t i)
{
	const struct key *k = arg;
	const struct state_addr *a = &k->s->addrs[i];
	return !strcmp(a->ns, k->ns) && !strcmp(a->ifname, k->name) && addr_same_host(&a->addr, k->a);
}

static bool eq_route(const void *arg, size_t i)
{
	const struct key *k = arg;
	const struct state_route *r = &k->s->routes[i];
	return !strcmp(r->ns, k->ns) && addr_same_host(&r->dst, k->a) && r->dst.plen == k->a->plen;
}

static bool eq_jail(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->jails[i].name, k->name);
}

static bool eq_sysctl(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->sysctls[i].ns, k->ns) && !strcmp(k->s->sysctls[i].key, k->name);
}

/* Index element i of each kind (its key taken from the element itself). */
static int put_link(struct state *s, size_t i)
{
	struct key k = { s, s->links[i].ns, s->links[i].name, NULL };
	return hmap_put(&s->idx->map[K_LINK], key_link(&k), i, eq_link, &k);
}

static int put_addr(struct state *s, size_t i)
{
	struct key k = { s, s->addrs[i].ns, s->addrs[i].ifname, &s->addrs[i].addr };
	return hmap_put(&s->idx->map[K_ADDR], key_addr(&k), i, eq_addr, &k);
}

static int put_route(struct state *s, size_t i)
{
	struct key k = { s, s->routes[i].ns, NULL, &s->routes[i].dst };
	return hmap_put(&s->idx->map[K_ROUTE], key_route(&k), i, eq_route, &k);
}

static int put_jail(struct state *s, size_t i)
{
	struct key k = { s, NULL, s->jails[i].name, NULL };
	return hmap_put(&s->idx->map[K_JAIL], key_jail(&k), i, eq_jail, &k);
}

static int put_sysctl(struct state *s, size_t i)
{
	struct key k = { s, s->sysctls[i].ns, s->sysctls[i].key, NULL };
	return hmap_put(&s->idx->map[K_SYSCTL], key_link(&k), i, eq_sysctl, &k);
}

static void idx_free(struct state_index *x)
{
	if (!x)
		return;
	for (int k = 0; k < K__COUNT; k++)
		hmap_free(&x->map[k]);
}

/* (Re)build the index from scratch. */
static int idx_rebuild(struct state *s)
{
	int r = 0;

	if (!s->idx && !(s->idx = calloc(1, sizeof(*s->idx))))
		return -ENOMEM;
	idx_free(s->idx);
	for (size_t i = 0; r >= 0 && i < s->n_links; i++)
		r = put_link(s, i);
	for (size_t i = 0; r >= 0 && i < s->n_addrs; i++)
		r = put_addr(s, i);
	for (size_t i = 0; r >= 0 && i < s->n_routes; i++)
		r = put_route(s, i);
	for (size_t i = 0; r >= 0 && i < s->n_jails; i++)
		r = put_jail(s, i);
	for (size_t i = 0; r >= 0 && i < s->n_sysctls; i++)
		r = put_sysctl(s, i);
	if (r < 0)
		return r;
	s->idx->stamp = s->stamp;
	return 0;
}

/* A valid index for lookups, or NULL (out of memory: scan linearly). The
 * state is logically const here: the index is only a cache. */
static struct state_index *idx_get(const struct state *cs)
{
	struct state *s = (struct state *)cs;

	if (!s->idx || s->idx->stamp != s->stamp)
		if (idx_rebuild(s) < 0)
			return NULL;
	return s->idx;
}

/* After an append: keep a valid index valid. */
static void idx_after_add(struct state *s, int (*put)(struct state *, size_t), size_t i)
{
	bool valid = s->idx && s->idx->stamp == s->stamp;

	s->stamp++;
	if (valid && put(s, i) >= 0)
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
		idx_after_add(s, put_link, s->n_links - 1);
	return r;
}

int state_add_addr(struct state *s, const struct state_addr *a)
{
	int r = push((void **)&s->addrs, &s->n_addrs, sizeof(*a), a);
	if (!r)
		idx_after_add(s, put_addr, s->n_addrs - 1);
	return r;
}

int state_add_route(struct state *s, const struct state_route *rt)
{
	int r = push((void **)&s->routes, &s->n_routes, sizeof(*rt), rt);
	if (!r)
		idx_after_add(s, put_route, s->n_routes - 1);
	return r;
}

int state_add_jail(struct state *s, const struct state_jail *j)
{
	int r = push((void **)&s->jails, &s->n_jails, sizeof(*j), j);
	if (!r)
		idx_after_add(s, put_jail, s->n_jails - 1);
	return r;
}

int state_add_sysctl(struct state *s, const struct state_sysctl *c)
{
	int r = push((void **)&s->sysctls, &s->n_sysctls, sizeof(*c), c);
	if (!r)
		idx_after_add(s, put_sysctl, s->n_sysctls - 1);
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
	idx_free(s->idx);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

/* Find a key through the index of its kind, or by a scan when there is no
 * index (out of memory): position i of n, or SIZE_MAX when absent. */
static size_t find(const struct state *s, enum kind which, uint64_t (*hash)(const struct key *),
		   hmap_eq eq, const struct key *k, size_t n)
{
	struct state_index *x = idx_get(s);
	size_t *pos;

	if (!x) {
		for (size_t i = 0; i < n; i++)
			if (eq(k, i))
				return i;
		return SIZE_MAX;
	}
	pos = hmap_find(&x->map[which], hash(k), eq, k);
	return pos ? *pos : SIZE_MAX;
}

const struct state_link *state_find_link(const struct state *s, const char *ns, const char *name)
{
	struct key k = { s, ns, name, NULL };
	size_t i = find(s, K_LINK, key_link, eq_link, &k, s->n_links);

	return i == SIZE_MAX ? NULL : &s->links[i];
}

const struct state_addr *state_find_addr(const struct state *s, const char *ns, const char *ifname,
					 const struct addr *a)
{
	struct key k = { s, ns, ifname, a };
	size_t i = find(s, K_ADDR, key_addr, eq_addr, &k, s->n_addrs);

	return i == SIZE_MAX ? NULL : &s->addrs[i];
}

const struct state_route *state_find_route(const struct state *s, const char *ns, const struct addr *dst)
{
	struct key k = { s, ns, NULL, dst };
	size_t i = find(s, K_ROUTE, key_route, eq_route, &k, s->n_routes);

	return i == SIZE_MAX ? NULL : &s->routes[i];
}

const struct state_jail *state_find_jail(const struct state *s, const char *name)
{
	struct key k = { s, NULL, name, NULL };
	size_t i = find(s, K_JAIL, key_jail, eq_jail, &k, s->n_jails);

	return i == SIZE_MAX ? NULL : &s->jails[i];
}

const struct state_sysctl *state_find_sysctl(const struct state *s, const char *ns, const char *key)
{
	struct key k = { s, ns, key, NULL };
	size_t i = find(s, K_SYSCTL, key_link, eq_sysctl, &k, s->n_sysctls);

	return i == SIZE_MAX ? NULL : &s->sysctls[i];
}
