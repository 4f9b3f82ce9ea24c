/* The observed state: growable arrays of facts and lookups over them. The
 * lookups go through a hash index that every change keeps valid (appends,
 * a link's move to another namespace, drops), so that planning for 10,000
 * jails is O(facts), not quadratic, in the number of facts. */
#include "model/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

/* The kinds of fact, one array each. */
enum kind { K_LINK, K_ADDR, K_ROUTE, K_JAIL, K_SYSCTL, K__COUNT };

/* The maps of the index. Each maps a key to every fact that has it
 * (hmap_multi: a key many facts share, such as the host namespace of every
 * veth's host end, takes one slot); a lookup returns the first in array
 * order, as a linear scan would. The first five are the lookup keys; the
 * others find the facts a change drags along (a link's addresses and
 * routes, a jail's everything, a veth's other end). */
enum map {
	M_LINK,       /* (ns, name) */
	M_ADDR,       /* (ns, ifname, address) */
	M_ROUTE,      /* (ns, destination and its length) */
	M_JAIL,       /* name */
	M_SYSCTL,     /* (ns, key) */
	M_LINK_NAME,  /* name, in any namespace */
	M_LINK_NS,    /* ns */
	M_ADDR_ON,    /* (ns, ifname) */
	M_ADDR_NS,    /* ns */
	M_ROUTE_VIA,  /* (ns, dev) */
	M_ROUTE_NS,   /* ns */
	M_SYSCTL_NS,  /* ns */
	M__COUNT
};

/* Dropped facts not compacted yet, per kind: a byte per position. */
struct gaps {
	unsigned char *dead;
	size_t cap;   /* positions dead[] covers */
	size_t n;     /* how many are set */
};

struct state_index {
	struct hmap_multi map[M__COUNT];
	struct gaps gaps[K__COUNT];
	unsigned long stamp; /* equal to state.stamp while the maps are valid */
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

/* A key and the state it is looked up in. */
struct key {
	const struct state *s;
	const char *ns, *name;
	const struct addr *a;
};

static uint64_t hash_addr(uint64_t h, const struct addr *a)
{
	return hmap_hash(hmap_hash(h, &a->family, sizeof(a->family)), a->bytes, addr_len(a));
}

static uint64_t hash_ns_name(const struct key *k)
{
	return hmap_fin(hmap_hash_str(hmap_hash_str(HMAP_SEED, k->ns), k->name));
}

static uint64_t hash_addr_key(const struct key *k)
{
	return hmap_fin(hash_addr(hmap_hash_str(hmap_hash_str(HMAP_SEED, k->ns), k->name), k->a));
}

static uint64_t hash_route(const struct key *k)
{
	uint64_t h = hash_addr(hmap_hash_str(HMAP_SEED, k->ns), k->a);
	return hmap_fin(hmap_hash(h, &k->a->plen, sizeof(k->a->plen)));
}

static uint64_t hash_name(const struct key *k)
{
	return hmap_fin(hmap_hash_str(HMAP_SEED, k->name));
}

static uint64_t hash_ns(const struct key *k)
{
	return hmap_fin(hmap_hash_str(HMAP_SEED, k->ns));
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

static bool eq_link_name(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->links[i].name, k->name);
}

static bool eq_link_ns(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->links[i].ns, k->ns);
}

static bool eq_addr_on(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->addrs[i].ns, k->ns) && !strcmp(k->s->addrs[i].ifname, k->name);
}

static bool eq_addr_ns(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->addrs[i].ns, k->ns);
}

static bool eq_route_via(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->routes[i].ns, k->ns) && !strcmp(k->s->routes[i].dev, k->name);
}

static bool eq_route_ns(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->routes[i].ns, k->ns);
}

static bool eq_sysctl_ns(const void *arg, size_t i)
{
	const struct key *k = arg;
	return !strcmp(k->s->sysctls[i].ns, k->ns);
}

/* The key fact i of a kind has in each map of that kind. */
static struct key key_of(const struct state *s, enum kind kind, size_t i)
{
	struct key k = { s, NULL, NULL, NULL };

	switch (kind) {
	case K_LINK: k.ns = s->links[i].ns; k.name = s->links[i].name; break;
	case K_ADDR: k.ns = s->addrs[i].ns; k.name = s->addrs[i].ifname; k.a = &s->addrs[i].addr; break;
	case K_ROUTE: k.ns = s->routes[i].ns; k.name = s->routes[i].dev; k.a = &s->routes[i].dst; break;
	case K_JAIL: k.name = s->jails[i].name; break;
	case K_SYSCTL: k.ns = s->sysctls[i].ns; k.name = s->sysctls[i].key; break;
	case K__COUNT: break;
	}
	return k;
}

/* What each map indexes, and how. */
static const struct mapdef {
	enum kind kind;
	uint64_t (*hash)(const struct key *k);
	hmap_eq eq;
} maps[M__COUNT] = {
	[M_LINK] = { K_LINK, hash_ns_name, eq_link },
	[M_ADDR] = { K_ADDR, hash_addr_key, eq_addr },
	[M_ROUTE] = { K_ROUTE, hash_route, eq_route },
	[M_JAIL] = { K_JAIL, hash_name, eq_jail },
	[M_SYSCTL] = { K_SYSCTL, hash_ns_name, eq_sysctl },
	[M_LINK_NAME] = { K_LINK, hash_name, eq_link_name },
	[M_LINK_NS] = { K_LINK, hash_ns, eq_link_ns },
	[M_ADDR_ON] = { K_ADDR, hash_ns_name, eq_addr_on },
	[M_ADDR_NS] = { K_ADDR, hash_ns, eq_addr_ns },
	[M_ROUTE_VIA] = { K_ROUTE, hash_ns_name, eq_route_via },
	[M_ROUTE_NS] = { K_ROUTE, hash_ns, eq_route_ns },
	[M_SYSCTL_NS] = { K_SYSCTL, hash_ns, eq_sysctl_ns },
};

/* The array of a kind: its base, element size and count. */
static void *array_of(const struct state *s, enum kind kind, size_t *sz, size_t **n)
{
	struct state *w = (struct state *)s;

	switch (kind) {
	case K_LINK: *sz = sizeof(*s->links); *n = &w->n_links; return w->links;
	case K_ADDR: *sz = sizeof(*s->addrs); *n = &w->n_addrs; return w->addrs;
	case K_ROUTE: *sz = sizeof(*s->routes); *n = &w->n_routes; return w->routes;
	case K_JAIL: *sz = sizeof(*s->jails); *n = &w->n_jails; return w->jails;
	case K_SYSCTL: *sz = sizeof(*s->sysctls); *n = &w->n_sysctls; return w->sysctls;
	case K__COUNT: break;
	}
	*sz = 0;
	*n = NULL;
	return NULL;
}

static bool is_dead(const struct state *s, enum kind kind, size_t i)
{
	const struct gaps *g = s->idx ? &s->idx->gaps[kind] : NULL;

	return g && g->n && i < g->cap && g->dead[i];
}

/* Index fact i of a kind in every map of that kind. */
static int idx_put(struct state *s, enum kind kind, size_t i)
{
	struct key k = key_of(s, kind, i);
	int r = 0;

	for (int m = 0; m < M__COUNT && r == 0; m++)
		if (maps[m].kind == kind)
			r = hmap_multi_put(&s->idx->map[m], maps[m].hash(&k), i, maps[m].eq, &k);
	return r;
}

/* Take fact i of a kind out of every map of that kind. */
static void idx_del(struct state *s, enum kind kind, size_t i)
{
	struct key k = key_of(s, kind, i);

	for (int m = 0; m < M__COUNT; m++)
		if (maps[m].kind == kind)
			hmap_multi_del(&s->idx->map[m], maps[m].hash(&k), i);
}

static void maps_clear(struct state_index *x)
{
	for (int m = 0; m < M__COUNT; m++)
		hmap_multi_clear(&x->map[m]);
}

static void maps_free(struct state_index *x)
{
	for (int m = 0; m < M__COUNT; m++)
		hmap_multi_free(&x->map[m]);
}

/* (Re)build the maps from scratch; the gaps are not indexed. */
static int idx_rebuild(struct state *s)
{
	int r = 0;

	if (!s->idx && !(s->idx = calloc(1, sizeof(*s->idx))))
		return -ENOMEM;
	maps_clear(s->idx);
	for (int kind = 0; kind < K__COUNT && r == 0; kind++) {
		size_t sz, *n;
		array_of(s, kind, &sz, &n);
		for (size_t i = 0; i < *n && r == 0; i++)
			if (!is_dead(s, kind, i))
				r = idx_put(s, kind, i);
	}
	if (r < 0)
		return r;
	s->idx->stamp = s->stamp;
	return 0;
}

/* A valid index, or NULL (out of memory: callers scan linearly). The
 * state is logically const here: the maps are only a cache. */
static struct state_index *idx_get(const struct state *cs)
{
	struct state *s = (struct state *)cs;

	if (!s->idx || s->idx->stamp != s->stamp)
		if (idx_rebuild(s) < 0)
			return NULL;
	return s->idx;
}

/* The index when it is valid right now, without building it. */
static struct state_index *idx_valid(struct state *s)
{
	return s->idx && s->idx->stamp == s->stamp ? s->idx : NULL;
}

/* A change the index followed: it stays valid. */
static void idx_followed(struct state *s)
{
	s->stamp++;
	s->idx->stamp = s->stamp;
}

/* After an append: keep a valid index valid. */
static void idx_after_add(struct state *s, enum kind kind, size_t i)
{
	bool valid = idx_valid(s) != NULL;

	s->stamp++;
	if (valid && idx_put(s, kind, i) >= 0)
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
		idx_after_add(s, K_LINK, s->n_links - 1);
	return r;
}

int state_add_addr(struct state *s, const struct state_addr *a)
{
	int r = push((void **)&s->addrs, &s->n_addrs, sizeof(*a), a);
	if (!r)
		idx_after_add(s, K_ADDR, s->n_addrs - 1);
	return r;
}

int state_add_route(struct state *s, const struct state_route *rt)
{
	int r = push((void **)&s->routes, &s->n_routes, sizeof(*rt), rt);
	if (!r)
		idx_after_add(s, K_ROUTE, s->n_routes - 1);
	return r;
}

int state_add_jail(struct state *s, const struct state_jail *j)
{
	int r = push((void **)&s->jails, &s->n_jails, sizeof(*j), j);
	if (!r)
		idx_after_add(s, K_JAIL, s->n_jails - 1);
	return r;
}

int state_add_sysctl(struct state *s, const struct state_sysctl *c)
{
	int r = push((void **)&s->sysctls, &s->n_sysctls, sizeof(*c), c);
	if (!r)
		idx_after_add(s, K_SYSCTL, s->n_sysctls - 1);
	return r;
}

int state_append(struct state *dst, const struct state *src)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < src->n_links; i++)
		if (!is_dead(src, K_LINK, i))
			r = state_add_link(dst, &src->links[i]);
	for (size_t i = 0; r == 0 && i < src->n_addrs; i++)
		if (!is_dead(src, K_ADDR, i))
			r = state_add_addr(dst, &src->addrs[i]);
	for (size_t i = 0; r == 0 && i < src->n_routes; i++)
		if (!is_dead(src, K_ROUTE, i))
			r = state_add_route(dst, &src->routes[i]);
	for (size_t i = 0; r == 0 && i < src->n_jails; i++)
		if (!is_dead(src, K_JAIL, i))
			r = state_add_jail(dst, &src->jails[i]);
	for (size_t i = 0; r == 0 && i < src->n_sysctls; i++)
		if (!is_dead(src, K_SYSCTL, i))
			r = state_add_sysctl(dst, &src->sysctls[i]);
	return r ? r : state_filter_append(dst, src);
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
	state_filter_free(&s->filter);
	if (s->idx) {
		maps_free(s->idx);
		for (int k = 0; k < K__COUNT; k++)
			free(s->idx->gaps[k].dead);
		free(s->idx);
	}
	memset(s, 0, sizeof(*s));
}

/* The first fact in array order that map m finds under k (a linear scan
 * when there is no index: out of memory): its position, or SIZE_MAX. */
static size_t find(const struct state *s, enum map m, const struct key *k)
{
	struct state_index *x = idx_get(s);
	size_t best = SIZE_MAX, sz, *n;

	if (!x) {
		array_of(s, maps[m].kind, &sz, &n);
		for (size_t i = 0; i < *n; i++)
			if (!is_dead(s, maps[m].kind, i) && maps[m].eq(k, i))
				return i;
		return SIZE_MAX;
	}
	for (size_t i = hmap_multi_first(&x->map[m], maps[m].hash(k), maps[m].eq, k); i != HMAP_NONE;
	     i = hmap_multi_next(&x->map[m], i))
		if (i < best)
			best = i;
	return best;
}

const struct state_link *state_find_link(const struct state *s, const char *ns, const char *name)
{
	struct key k = { s, ns, name, NULL };
	size_t i = find(s, M_LINK, &k);

	return i == SIZE_MAX ? NULL : &s->links[i];
}

const struct state_addr *state_find_addr(const struct state *s, const char *ns, const char *ifname,
					 const struct addr *a)
{
	struct key k = { s, ns, ifname, a };
	size_t i = find(s, M_ADDR, &k);

	return i == SIZE_MAX ? NULL : &s->addrs[i];
}

const struct state_route *state_find_route(const struct state *s, const char *ns, const struct addr *dst)
{
	struct key k = { s, ns, NULL, dst };
	size_t i = find(s, M_ROUTE, &k);

	return i == SIZE_MAX ? NULL : &s->routes[i];
}

const struct state_jail *state_find_jail(const struct state *s, const char *name)
{
	struct key k = { s, NULL, name, NULL };
	size_t i = find(s, M_JAIL, &k);

	return i == SIZE_MAX ? NULL : &s->jails[i];
}

const struct state_sysctl *state_find_sysctl(const struct state *s, const char *ns, const char *key)
{
	struct key k = { s, ns, key, NULL };
	size_t i = find(s, M_SYSCTL, &k);

	return i == SIZE_MAX ? NULL : &s->sysctls[i];
}

/* ---- changes that keep the index valid ---- */

void state_link_set_ns(struct state *s, size_t i, const char *ns)
{
	struct state_link *l = &s->links[i];
	size_t n = strnlen(ns, sizeof(l->ns) - 1);
	struct state_index *x = idx_valid(s);
	struct key k = key_of(s, K_LINK, i);

	/* only M_LINK and M_LINK_NS have the namespace in their key */
	if (x) {
		hmap_multi_del(&x->map[M_LINK], maps[M_LINK].hash(&k), i);
		hmap_multi_del(&x->map[M_LINK_NS], maps[M_LINK_NS].hash(&k), i);
	}
	memcpy(l->ns, ns, n);
	l->ns[n] = '\0';
	if (!x) {
		state_touch(s);
		return;
	}
	k = key_of(s, K_LINK, i);
	if (hmap_multi_put(&x->map[M_LINK], maps[M_LINK].hash(&k), i, maps[M_LINK].eq, &k) < 0 ||
	    hmap_multi_put(&x->map[M_LINK_NS], maps[M_LINK_NS].hash(&k), i, maps[M_LINK_NS].eq, &k) < 0) {
		state_touch(s); /* out of memory: rebuild on the next lookup */
		return;
	}
	idx_followed(s);
}

/* Close the gaps of one kind; the index follows when it is valid. */
static void compact_kind(struct state *s, enum kind kind)
{
	struct gaps *g = &s->idx->gaps[kind];
	struct state_index *x = idx_valid(s);
	size_t sz, *n, w = 0;
	char *base = array_of(s, kind, &sz, &n);
	size_t *to = x ? malloc((*n ? *n : 1) * sizeof(*to)) : NULL;

	if (to) {
		for (size_t i = 0; i < *n; i++)
			to[i] = i < g->cap && g->dead[i] ? HMAP_NONE : w++;
		for (int m = 0; m < M__COUNT; m++)
			if (maps[m].kind == kind)
				hmap_multi_remap(&x->map[m], to, *n);
		free(to);
	} else if (x) {
		state_touch(s); /* no memory for the remap: rebuild on next use */
	}
	w = 0;
	for (size_t i = 0; i < *n; i++) {
		if (i < g->cap && g->dead[i])
			continue;
		if (w != i)
			memcpy(base + w * sz, base + i * sz, sz);
		w++;
	}
	*n = w;
	memset(g->dead, 0, g->cap);
	g->n = 0;
}

void state_compact(struct state *s)
{
	if (!s->idx)
		return;
	for (int kind = 0; kind < K__COUNT; kind++)
		if (s->idx->gaps[kind].n)
			compact_kind(s, kind);
}

/* Drop fact i of a kind: a gap the index no longer finds. Without memory
 * for the index or the gap map, close it at once (O(facts) then). */
static void drop(struct state *s, enum kind kind, size_t i)
{
	struct state_index *x = idx_get(s);
	struct gaps *g = x ? &x->gaps[kind] : NULL;
	size_t sz, *n;
	char *base = array_of(s, kind, &sz, &n);

	if (g && g->cap < *n) {
		size_t cap = *n * 2;
		unsigned char *d = realloc(g->dead, cap);
		if (d) {
			memset(d + g->cap, 0, cap - g->cap);
			g->dead = d;
			g->cap = cap;
		}
	}
	if (!g || g->cap < *n) {
		state_compact(s);
		memmove(base + i * sz, base + (i + 1) * sz, (*n - i - 1) * sz);
		(*n)--;
		state_touch(s);
		return;
	}
	if (g->dead[i])
		return;
	idx_del(s, kind, i);
	g->dead[i] = 1;
	g->n++;
	idx_followed(s);
}

void state_drop_link(struct state *s, size_t i)
{
	drop(s, K_LINK, i);
}

void state_drop_addr(struct state *s, size_t i)
{
	drop(s, K_ADDR, i);
}

void state_drop_route(struct state *s, size_t i)
{
	drop(s, K_ROUTE, i);
}

void state_drop_jail(struct state *s, size_t i)
{
	drop(s, K_JAIL, i);
}

void state_drop_sysctl(struct state *s, size_t i)
{
	drop(s, K_SYSCTL, i);
}

/* ---- selections ---- */

static int set_push(struct state_set *x, size_t v)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 8;
		size_t *p = realloc(x->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		x->v = p;
		x->cap = cap;
	}
	x->v[x->n++] = v;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int state_select(const struct state *s, enum state_sel sel, const char *ns, const char *name,
		 struct state_set *out)
{
	static const enum map by_sel[] = {
		[STATE_SEL_LINKS_NAMED] = M_LINK_NAME, [STATE_SEL_LINKS_IN] = M_LINK_NS,
		[STATE_SEL_ADDRS_ON] = M_ADDR_ON, [STATE_SEL_ADDRS_IN] = M_ADDR_NS,
		[STATE_SEL_ROUTES_VIA] = M_ROUTE_VIA, [STATE_SEL_ROUTES_IN] = M_ROUTE_NS,
		[STATE_SEL_SYSCTLS_IN] = M_SYSCTL_NS,
	};
	enum map m = by_sel[sel];
	struct key k = { s, ns, name, NULL };
	struct state_index *x = idx_get(s);
	size_t sz, *n;
	int r = 0;

	out->n = 0;
	if (!x) {
		array_of(s, maps[m].kind, &sz, &n);
		for (size_t i = 0; i < *n && r == 0; i++)
			if (!is_dead(s, maps[m].kind, i) && maps[m].eq(&k, i))
				r = set_push(out, i);
		return r;
	}
	for (size_t i = hmap_multi_first(&x->map[m], maps[m].hash(&k), maps[m].eq, &k); i != HMAP_NONE && r == 0;
	     i = hmap_multi_next(&x->map[m], i))
		r = set_push(out, i);
	if (r == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_size);
	return r;
}

void state_set_free(struct state_set *x)
{
	if (!x)
		return;
	free(x->v);
	memset(x, 0, sizeof(*x));
}

const char *state_sysctl_link(const char *key)
{
	const char *sep = strchr(key, '/');

	return sep ? sep + 1 : "";
}
