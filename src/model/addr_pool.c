/* The lowest-free allocator of `address = auto` (see addr_pool.h). */
#include "model/addr_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int addr_pool_init(struct addr_pool *p, const struct addr *prefix)
{
	int bits = (int)addr_len(prefix) * 8;
	int plen = prefix->plen < 0 ? bits : prefix->plen;
	int hostbits = bits - plen;

	memset(p, 0, sizeof(*p));
	if (!bits || plen > bits)
		return -EINVAL;
	p->net = addr_network(prefix);
	p->net.plen = plen;
	if (hostbits >= 63) {
		p->max = (uint64_t)INT64_MAX;
	} else {
		p->max = (UINT64_C(1) << hostbits) - 1;
		/* the last IPv4 address of a /30 or wider is the broadcast address */
		if (prefix->family == AF_INET && hostbits >= 2)
			p->max--;
	}
	p->next = 1;
	return 0;
}

void addr_pool_free(struct addr_pool *p)
{
	if (!p)
		return;
	hmap_free(&p->idx);
	free(p->taken);
	p->taken = NULL;
	p->n_taken = p->cap = 0;
}

int addr_pool_index(const struct addr_pool *p, const struct addr *a, uint64_t *ix)
{
	uint64_t n;

	if (addr_index(&p->net, a, &n) < 0 || n < 1 || n > p->max)
		return -ERANGE;
	*ix = n;
	return 0;
}

static uint64_t hash_ix(uint64_t ix)
{
	return hmap_fin(hmap_hash(HMAP_SEED, &ix, sizeof(ix)));
}

struct probe {
	const struct addr_pool *p;
	uint64_t ix;
};

static bool eq_ix(const void *arg, size_t val)
{
	const struct probe *q = arg;

	return q->p->taken[val] == q->ix;
}

bool addr_pool_taken(const struct addr_pool *p, uint64_t ix)
{
	struct probe q = { p, ix };

	return hmap_find(&p->idx, hash_ix(ix), eq_ix, &q) != NULL;
}

int addr_pool_take(struct addr_pool *p, uint64_t ix)
{
	struct probe q = { p, ix };
	int r;

	if (ix < 1 || ix > p->max || addr_pool_taken(p, ix))
		return 0;
	if (p->n_taken == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		uint64_t *v = realloc(p->taken, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->taken = v;
		p->cap = cap;
	}
	p->taken[p->n_taken] = ix;
	r = hmap_put(&p->idx, hash_ix(ix), p->n_taken, eq_ix, &q);
	if (r < 0)
		return r;
	p->n_taken++;
	return 1;
}

int addr_pool_take_addr(struct addr_pool *p, const struct addr *a)
{
	uint64_t ix;

	return addr_pool_index(p, a, &ix) < 0 ? 0 : addr_pool_take(p, ix);
}

int addr_pool_pick(struct addr_pool *p, struct addr *out, uint64_t *ix)
{
	int r;

	while (p->next <= p->max && addr_pool_taken(p, p->next))
		p->next++;
	if (p->next > p->max)
		return -ENOSPC;
	r = addr_nth(&p->net, p->next, out);
	if (r < 0)
		return -ENOSPC; /* an index beyond 64 bits: cannot happen below max */
	r = addr_pool_take(p, p->next);
	if (r < 0)
		return r;
	if (ix)
		*ix = p->next;
	p->next++;
	return 0;
}

/* ---- pools by prefix ---- */

struct prefix_key {
	const struct addr_pools *s;
	const struct addr *net; /* network address with its length */
};

static uint64_t hash_prefix(const struct addr *net)
{
	uint64_t h = hmap_hash(HMAP_SEED, &net->family, sizeof(net->family));

	h = hmap_hash(h, net->bytes, addr_len(net));
	return hmap_fin(hmap_hash(h, &net->plen, sizeof(net->plen)));
}

static bool eq_prefix(const void *arg, size_t val)
{
	const struct prefix_key *k = arg;

	return addr_equal(&k->s->v[val].net, k->net);
}

/* The pool of network net (with its length), or NULL. */
static struct addr_pool *pool_of(const struct addr_pools *s, const struct addr *net)
{
	struct prefix_key k = { s, net };
	size_t *pos = hmap_find(&s->idx, hash_prefix(net), eq_prefix, &k);

	return pos ? &s->v[*pos] : NULL;
}

int addr_pools_get(struct addr_pools *s, const struct addr *prefix, size_t *pos)
{
	struct addr_pool p, *v, *have;
	struct prefix_key k = { s, &p.net };
	size_t i;
	int r = addr_pool_init(&p, prefix);

	if (r < 0)
		return r;
	if ((have = pool_of(s, &p.net))) {
		*pos = (size_t)(have - s->v);
		return 0;
	}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->v[s->n] = p;
	r = hmap_put(&s->idx, hash_prefix(&p.net), s->n, eq_prefix, &k);
	if (r < 0)
		return r;
	for (i = 0; i < s->n_lens; i++)
		if (s->lens[i].family == p.net.family && s->lens[i].plen == p.net.plen)
			break;
	if (i == s->n_lens) {
		s->lens[i].family = p.net.family;
		s->lens[i].plen = p.net.plen;
		s->n_lens++;
	}
	*pos = s->n++;
	return 0;
}

int addr_pools_take(struct addr_pools *s, const struct addr *a)
{
	/* the pools that hold a are those of a's own network at each length
	 * the set has: one lookup per distinct length, not one per pool */
	for (size_t i = 0; i < s->n_lens; i++) {
		struct addr net = *a;
		struct addr_pool *p;
		int r;

		if (a->family != s->lens[i].family)
			continue;
		net.plen = s->lens[i].plen;
		net = addr_network(&net);
		if ((p = pool_of(s, &net)) && (r = addr_pool_take_addr(p, a)) < 0)
			return r;
	}
	return 0;
}

void addr_pools_free(struct addr_pools *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		addr_pool_free(&s->v[i]);
	free(s->v);
	hmap_free(&s->idx);
	memset(s, 0, sizeof(*s));
}
