/*
 * The lowest-free allocator of `address = auto`, pure and shared by the
 * planner (plan_resolve_auto, no store) and the store's IPAM: per prefix a
 * set of taken host indexes and a cursor below which every index is taken.
 * Indexes are only ever taken, never given back, so the cursor only moves
 * forward and N picks cost O(N + taken) in all, not O(N * taken).
 *
 * Index n of a prefix is its n-th address (addr_nth): 0 is the network
 * address and is never handed out, nor is IPv4's broadcast address (the
 * all-ones host of a /30 or wider). Indexes stop at 2^63 - 1 (the store
 * keeps them in SQLite's signed 64 bits), far above any number of jails.
 */
#ifndef JAIL6_MODEL_ADDR_POOL_H
#define JAIL6_MODEL_ADDR_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/addr.h"
#include "util/hmap.h"

struct addr_pool {
	struct addr net;     /* the prefix: network address and length */
	uint64_t max;        /* the highest index a host may get */
	uint64_t next;       /* the cursor: every index in [1, next) is taken */
	struct hmap idx;     /* the taken indexes; values are positions in taken[] */
	uint64_t *taken;
	size_t n_taken, cap;
};

/* An empty pool for prefix (its host bits are ignored; no length means a
 * single host, which holds nothing). 0, or -EINVAL for a prefix without a
 * family or with a length beyond it. */
int addr_pool_init(struct addr_pool *p, const struct addr *prefix);

/* Free the taken set; NULL-tolerant. */
void addr_pool_free(struct addr_pool *p);

/* The index of host a in the pool's prefix: 0, or -ERANGE when a lies
 * outside it or is no host a lease may get (index 0 or above max). */
int addr_pool_index(const struct addr_pool *p, const struct addr *a, uint64_t *ix);

/* Whether index ix is taken. */
bool addr_pool_taken(const struct addr_pool *p, uint64_t ix);

/* Take index ix (one outside 1..max is ignored): 1 when it was free, 0 when
 * it was taken or ignored, -ENOMEM. */
int addr_pool_take(struct addr_pool *p, uint64_t ix);

/* Take host a when it lies in the prefix (else nothing): as addr_pool_take. */
int addr_pool_take_addr(struct addr_pool *p, const struct addr *a);

/* Take the lowest free index: *out gets its address with the prefix's
 * length, *ix (when not NULL) the index. 0, -ENOSPC when every index is
 * taken, or -ENOMEM. */
int addr_pool_pick(struct addr_pool *p, struct addr *out, uint64_t *ix);

/*
 * Pools by prefix, for callers with several prefixes: a prefix's pool is
 * found by its network and length, and an address taken through the set is
 * taken in every pool whose prefix holds it (nested prefixes included).
 */
struct addr_pools {
	struct addr_pool *v;
	size_t n;
	struct hmap idx;        /* (family, network, length) -> position in v */
	struct { int family, plen; } lens[2 * 129];
	size_t n_lens;          /* the distinct (family, length) pairs of v */
};

/* The position in s->v of prefix's pool, made when there is none yet.
 * 0, -EINVAL (as addr_pool_init) or -ENOMEM. */
int addr_pools_get(struct addr_pools *s, const struct addr *prefix, size_t *pos);

/* Take host a in every pool of s that holds it: 0 or -ENOMEM. */
int addr_pools_take(struct addr_pools *s, const struct addr *a);

/* Free every pool; NULL-tolerant. */
void addr_pools_free(struct addr_pools *s);

#endif
