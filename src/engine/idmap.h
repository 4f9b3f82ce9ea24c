/*
 * The id ranges of confined jails (src/engine/idmap.c): which host user
 * and group ids a jail's ids map to. Every confined jail leases a range of
 * IDMAP_RANGE ids from a pool, recorded in the store (store_idmap_*) like
 * the addresses of `address = auto`: kept across applies and stops,
 * released when the jail is destroyed.
 *
 * The pool: when both /etc/subuid and /etc/subgid have lines for root
 * ("root:FIRST:COUNT", or uid 0), the ids both delegate to root; otherwise
 * IDMAP_POOL_BASE .. IDMAP_POOL_BASE + IDMAP_POOL_SIZE - 1. Either way only
 * ids from IDMAP_ID_MIN up to IDMAP_ID_LIMIT - 1 are used.
 */
#ifndef JAIL6_ENGINE_IDMAP_H
#define JAIL6_ENGINE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "store/store.h"

#define IDMAP_RANGE     65536u
#define IDMAP_POOL_BASE 1000000000u
#define IDMAP_POOL_SIZE 1000000000u
#define IDMAP_ID_MIN    65536u        /* never the host's system and user ids */
#define IDMAP_ID_LIMIT  2147483648u   /* 2^31: ids stay positive as int32 */

#define IDMAP_SUBUID "/etc/subuid"
#define IDMAP_SUBGID "/etc/subgid"

/* Ids [first, end). */
struct idmap_span {
	uint64_t first, end;
};

/* A pool: sorted, disjoint, non-adjacent spans, each inside
 * [IDMAP_ID_MIN, IDMAP_ID_LIMIT). */
struct idmap_pool {
	struct idmap_span *v;
	size_t n;
	char what[160];           /* where it comes from, for messages */
};

void idmap_pool_free(struct idmap_pool *p);

/*
 * The pool from the files subuid and subgid (either may be missing: then
 * the default pool). A line that is not NAME:FIRST:COUNT (empty lines and
 * lines starting with '#' aside) is an error "FILE:LINE: ..." in err.
 * 0, -EINVAL (garbage), -ENOMEM, or -errno of reading a file.
 */
int idmap_pool_read(const char *subuid, const char *subgid, struct idmap_pool *out, char *err, size_t errlen);

/*
 * Give every confined jail of *m its range in model_jail.idmap, in one
 * savepoint of store s: a jail's lease is kept when it lies inside the
 * pool with IDMAP_RANGE ids; every other confined jail gets, in model
 * order, the lowest slot of the pool (slots are IDMAP_RANGE ids from the
 * start of a span) that overlaps no lease kept or held by a jail not in
 * *m that exists (has an ownership record; the leases of jails that
 * neither *m names nor exist are released). -ENOSPC when the pool is full (err names the jail), or -errno; on
 * error nothing changed in the store.
 */
int idmap_assign(struct store *s, struct model *m, const struct idmap_pool *pool, char *err, size_t errlen);

/* Release the leases of jails that do not exist (no ownership record):
 * after a full destroy, those of jails an apply leased but never made.
 * How many were released, or -errno. */
int idmap_release_orphans(struct store *s);

/* Fill model_jail.idmap of every confined jail of *m that has a lease,
 * writing nothing (status, list). 0 or -errno of the store. */
int idmap_lookup(struct store *s, struct model *m);

#endif
