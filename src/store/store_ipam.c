/*
 * IPAM: persistent leases for `address = auto`. A lease is keyed by
 * (jail, interface, slot) and stores the host index inside its prefix, so a
 * jail keeps its address across applies and while other jails come and go.
 * A run assigns all its leases in one batch: each prefix's leases are read
 * once into the allocator of model/addr_pool.h, so N leases cost
 * O(N log N), not a scan of the prefix per lease.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "model/addr_pool.h"
#include "store/store_int.h"

/* Validate the key of a lease. */
static int lease_key_ok(struct store *s, const char *jail, const char *iface, int slot)
{
	if (!store_name_ok(jail, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "ipam: empty or too long jail name");
	if (!store_name_ok(iface, MODEL_IFNAMSIZ))
		return store_set_err(s, -EINVAL, "ipam: jail %s: empty or too long interface name",
				     jail);
	if (slot < 0)
		return store_set_err(s, -EINVAL, "ipam: jail %s: %s: negative slot %d",
				     jail, iface, slot);
	return 0;
}

/* Delete the lease of (jail, iface, slot); 1 when there was one. */
static int lease_del(struct store *s, const char *jail, const char *iface, int slot)
{
	int rc = store_run(s, STMT_LEASE_DEL, "tti", jail, iface, slot);

	return rc < 0 ? rc : rc > 0;
}

/* Store (or move) the lease of (jail, iface, slot) to index ix of key. */
static int lease_put(struct store *s, const char *jail, const char *iface, int slot,
		     const char *key, uint64_t ix, const struct addr *a)
{
	char text[ADDR_STRLEN];
	int rc;

	addr_format(a, text, sizeof(text));
	rc = store_run(s, STMT_LEASE_PUT, "ttitItI", jail, iface, slot, key, (int64_t)ix, text,
		       (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

/* The stored lease: its address (with plen), and when key is not NULL its
 * prefix key and index; 0, or -ENOENT. */
static int lease_get(struct store *s, const char *jail, const char *iface, int slot,
		     struct addr *a, char *key, size_t keylen, uint64_t *ix)
{
	sqlite3_stmt *st = NULL;
	const char *text;
	int rc;

	rc = store_stmt(s, STMT_LEASE_GET, &st);
	if (rc < 0)
		return rc;
	rc = store_bind(st, "tti", jail, iface, slot);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else if (rc != SQLITE_ROW) {
		rc = store_sql_err(s, rc);
	} else {
		text = (const char *)sqlite3_column_text(st, 2);
		rc = key ? store_col_copy(s, st, 0, key, keylen) : 0;
		if (ix)
			*ix = (uint64_t)sqlite3_column_int64(st, 1);
		if (rc == 0 && (!text || addr_parse(text, ADDR_PREFIX_REQUIRED, a, NULL) < 0))
			rc = store_set_err(s, -EIO, "%s: jail %s: %s: bad leased address %s",
					   s->path, jail, iface, text ? text : "NULL");
	}
	store_stmt_done(st);
	return rc;
}

/* Check a prefix given for leasing: a family and a length that fits it. */
static int prefix_ok(struct store *s, const char *jail, const struct addr *p)
{
	if ((p->family != AF_INET && p->family != AF_INET6) || p->plen < 0 ||
	    p->plen > (int)addr_len(p) * 8)
		return store_set_err(s, -EINVAL, "ipam: jail %s: auto address needs a prefix "
				     "with a length", jail);
	return 0;
}

/* Check a request's key and prefix; 0 or -EINVAL with the message set. */
static int req_ok(struct store *s, const struct store_ipam_req *q)
{
	int rc = lease_key_ok(s, q->jail, q->iface, q->slot);

	if (rc == 0 && !q->prefix)
		rc = store_set_err(s, -EINVAL, "ipam: jail %s: auto address without a prefix", q->jail);
	if (rc == 0)
		rc = prefix_ok(s, q->jail, q->prefix);
	return rc;
}

/*
 * A batch, one pool per prefix in each of four sets that list the prefixes
 * in the same order: the reserved indexes, the leased ones (as stored),
 * the ones this batch keeps, and all of these together, from which the
 * rest get the lowest free.
 */
struct batch {
	struct addr_pools res, leased, kept, all;
	char (*key)[ADDR_STRLEN];     /* per pool: its prefix key (the network) */
	size_t *pool;                 /* per request: its prefix's pool */
	struct held {                 /* per request: its stored lease */
		bool have;
		char key[ADDR_STRLEN];
		uint64_t ix;
		struct addr addr;
	} *held;
	uint64_t *ix;                 /* per request: the index it keeps, 0 = none */
};

static void batch_free(struct batch *b)
{
	addr_pools_free(&b->res);
	addr_pools_free(&b->leased);
	addr_pools_free(&b->kept);
	addr_pools_free(&b->all);
	free(b->key);
	free(b->pool);
	free(b->held);
	free(b->ix);
}

/* A pool for each request's prefix, in each set. */
static int batch_pools(struct batch *b, const struct store_ipam_req *req, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t pos = 0, before = b->all.n;
		int rc = addr_pools_get(&b->all, req[i].prefix, &pos);

		if (rc == 0)
			rc = addr_pools_get(&b->res, req[i].prefix, &pos);
		if (rc == 0)
			rc = addr_pools_get(&b->leased, req[i].prefix, &pos);
		if (rc == 0)
			rc = addr_pools_get(&b->kept, req[i].prefix, &pos);
		if (rc < 0)
			return rc;
		if (b->all.n > before) {
			void *k = realloc(b->key, b->all.n * sizeof(*b->key));
			if (!k)
				return -ENOMEM;
			b->key = k;
			addr_format(&b->all.v[pos].net, b->key[pos], sizeof(b->key[pos]));
		}
		b->pool[i] = pos;
	}
	return 0;
}

/* Take index ix of pool p in set one and in the union; 0 or -ENOMEM. */
static int take2(struct addr_pools *one, struct addr_pools *all, size_t p, uint64_t ix)
{
	int rc = addr_pool_take(&one->v[p], ix);

	if (rc >= 0)
		rc = addr_pool_take(&all->v[p], ix);
	return rc < 0 ? rc : 0;
}

/* Read every pool's stored leases once. */
static int batch_scan(struct store *s, struct batch *b)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (size_t p = 0; p < b->all.n && rc == 0; p++) {
		rc = store_stmt(s, STMT_LEASE_SCAN, &st);
		if (rc < 0)
			return rc;
		rc = store_bind(st, "t", b->key[p]);
		while (rc == SQLITE_OK || rc == SQLITE_ROW) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW && take2(&b->leased, &b->all, p,
						      (uint64_t)sqlite3_column_int64(st, 0)) < 0)
				rc = SQLITE_NOMEM;
		}
		rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
		store_stmt_done(st);
	}
	return rc;
}

/* Whether request i keeps its stored lease, whose key is (round 0) or is
 * not (round 1, a prefix that changed) its prefix's: inside it, not
 * reserved, not leased to another key, not kept by an earlier request. */
static int batch_keep(struct batch *b, size_t i, int round)
{
	const struct held *h = &b->held[i];
	size_t p = b->pool[i];
	bool same = h->have && !strcmp(h->key, b->key[p]);
	uint64_t ix;

	if (!h->have || same != (round == 0) || addr_pool_index(&b->all.v[p], &h->addr, &ix) < 0)
		return 0;
	if (addr_pool_taken(&b->res.v[p], ix) || addr_pool_taken(&b->kept.v[p], ix))
		return 0;
	if (addr_pool_taken(&b->leased.v[p], ix) && !(same && h->ix == ix))
		return 0;
	b->ix[i] = ix;
	return take2(&b->kept, &b->all, p, ix);
}

/* Store request i's lease at its address a (index ix) unless it is there. */
static int batch_put(struct store *s, struct batch *b, const struct store_ipam_req *q, size_t i,
		     uint64_t ix, const struct addr *a)
{
	const struct held *h = &b->held[i];
	const char *key = b->key[b->pool[i]];
	int rc = 0;

	if (h->have && !strcmp(h->key, key) && h->ix == ix && addr_equal(&h->addr, a))
		return 0;
	/* a lease that moves is a new lease (a new created_at) */
	if (h->have && !b->ix[i])
		rc = lease_del(s, q->jail, q->iface, q->slot);
	return rc < 0 ? rc : lease_put(s, q->jail, q->iface, q->slot, key, ix, a);
}

/* The batch inside its savepoint: read, keep, pick, write. */
static int batch_run(struct store *s, struct batch *b, const struct store_ipam_req *req, size_t n,
		     const struct addr *reserved, size_t n_reserved, struct addr *out, size_t *failed)
{
	char ptext[ADDR_STRLEN];
	int rc = 0;

	for (size_t i = 0; i < n_reserved && rc == 0; i++)
		if ((rc = addr_pools_take(&b->res, &reserved[i])) == 0)
			rc = addr_pools_take(&b->all, &reserved[i]);
	if (rc == 0)
		rc = batch_scan(s, b);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct held *h = &b->held[i];
		rc = lease_get(s, req[i].jail, req[i].iface, req[i].slot, &h->addr, h->key, sizeof(h->key),
			       &h->ix);
		h->have = rc == 0;
		if (rc == -ENOENT)
			rc = 0;
	}
	/* existing leases first, so that no new one takes their place */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = batch_keep(b, i, round);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct addr_pool *p = &b->all.v[b->pool[i]];
		uint64_t ix = b->ix[i];

		if (ix)
			rc = addr_nth(&p->net, ix, &out[i]);
		else if ((rc = addr_pool_pick(p, &out[i], &ix)) == -ENOSPC)
			store_set_err(s, rc, "ipam: jail %s: %s: no free address left in %s", req[i].jail,
				      req[i].iface, addr_format(req[i].prefix, ptext, sizeof(ptext)));
		if (rc == 0)
			rc = batch_put(s, b, &req[i], i, ix, &out[i]);
		if (rc < 0 && failed)
			*failed = i;
	}
	if (rc == -ENOMEM)
		store_set_err(s, rc, "%s: out of memory", s->path);
	return rc;
}

int store_ipam_assign(struct store *s, const struct store_ipam_req *req, size_t n,
		      const struct addr *reserved, size_t n_reserved, struct addr *out, size_t *failed)
{
	struct batch b = { 0 };
	int rc = 0;

	if (failed)
		*failed = n;
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = req_ok(s, &req[i])) < 0 && failed)
			*failed = i;
	if (rc < 0)
		return rc;
	if (n_reserved && !reserved)
		return store_set_err(s, -EINVAL, "ipam: reserved addresses missing");
	if (n == 0)
		return 0;
	b.pool = calloc(n, sizeof(*b.pool));
	b.held = calloc(n, sizeof(*b.held));
	b.ix = calloc(n, sizeof(*b.ix));
	rc = b.pool && b.held && b.ix ? batch_pools(&b, req, n) : -ENOMEM;
	if (rc < 0) {
		batch_free(&b);
		return store_set_err(s, rc, "%s: out of memory", s->path);
	}
	rc = store_sp_begin(s);
	if (rc == 0)
		rc = store_sp_end(s, batch_run(s, &b, req, n, reserved, n_reserved, out, failed));
	batch_free(&b);
	return rc;
}

int store_ipam_lease(struct store *s, const char *jail, const char *iface,
		     int slot, const struct addr *prefix,
		     const struct addr *reserved, size_t n_reserved,
		     struct addr *out)
{
	struct store_ipam_req q = { jail, iface, slot, prefix };

	return store_ipam_assign(s, &q, 1, reserved, n_reserved, out, NULL);
}

int store_ipam_lookup_all(struct store *s, const struct store_ipam_req *req, size_t n,
			  struct addr *out, bool *found)
{
	int rc = 0, got = 0;

	for (size_t i = 0; i < n; i++) {
		rc = lease_key_ok(s, req[i].jail, req[i].iface, req[i].slot);
		if (rc == 0)
			rc = lease_get(s, req[i].jail, req[i].iface, req[i].slot, &out[i], NULL, 0, NULL);
		found[i] = rc == 0;
		got += rc == 0;
		/* no lease, a bad key, a lease that cannot be read: not found */
		if (rc < 0 && rc != -ENOENT && rc != -EINVAL && rc != -EIO)
			return rc;
	}
	return got;
}

int store_ipam_lookup(struct store *s, const char *jail, const char *iface,
		      int slot, struct addr *out)
{
	int rc = lease_key_ok(s, jail, iface, slot);

	if (rc == 0)
		rc = lease_get(s, jail, iface, slot, out, NULL, 0, NULL);
	if (rc == -ENOENT)
		store_set_err(s, rc, "ipam: jail %s: %s: no lease for slot %d", jail, iface, slot);
	return rc;
}

int store_ipam_release(struct store *s, const char *jail, const char *iface, int slot)
{
	int rc = lease_key_ok(s, jail, iface, slot);

	if (rc == 0)
		rc = lease_del(s, jail, iface, slot);
	if (rc == 0)
		return store_set_err(s, -ENOENT, "ipam: jail %s: %s: no lease for slot %d",
				     jail, iface, slot);
	return rc < 0 ? rc : 0;
}

int store_ipam_release_jail(struct store *s, const char *jail)
{
	if (!store_name_ok(jail, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "ipam: empty or too long jail name");
	return store_run(s, STMT_LEASE_DEL_JAIL, "t", jail);
}

struct lease_walk {
	int (*cb)(const struct store_lease *l, void *ctx);
	void *ctx;
};

static int lease_walk_row(struct store *s, sqlite3_stmt *st, void *arg)
{
	struct lease_walk *w = arg;
	struct store_lease l;
	const char *text;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = store_col_copy(s, st, 0, l.jail, sizeof(l.jail));
	if (rc == 0)
		rc = store_col_copy(s, st, 1, l.iface, sizeof(l.iface));
	if (rc < 0)
		return rc;
	l.slot = sqlite3_column_int(st, 2);
	text = (const char *)sqlite3_column_text(st, 3);
	if (!text || addr_parse(text, ADDR_PREFIX_REQUIRED, &l.addr, NULL) < 0)
		return store_set_err(s, -EIO, "%s: jail %s: %s: bad leased address %s", s->path, l.jail, l.iface,
				     text ? text : "NULL");
	return w->cb(&l, w->ctx);
}

int store_ipam_list(struct store *s, const char *jail,
		    int (*cb)(const struct store_lease *l, void *ctx), void *ctx)
{
	static const char sql[] =
		"SELECT jail, iface, slot, addr FROM ipam_lease"
		" WHERE ?1 IS NULL OR jail = ?1 ORDER BY jail, iface, slot";
	struct lease_walk w = { cb, ctx };

	return store_walk(s, sql, lease_walk_row, &w, "t", jail);
}
