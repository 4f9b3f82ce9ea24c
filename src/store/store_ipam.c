/*
 * IPAM: persistent leases for `address = auto`. A lease is keyed by
 * (jail, interface, slot) and stores the host index inside its prefix, so a
 * jail keeps its address across applies and while other jails come and go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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

/*
 * The highest host index a lease may take in prefix p. Indexes are kept in
 * SQLite's signed 64 bits: since the lowest free index is always handed out,
 * they stay below the number of leases plus reserved addresses, far from
 * the limit even in a /64.
 */
static uint64_t index_max(const struct addr *p)
{
	int hostbits = (int)addr_len(p) * 8 - p->plen;
	uint64_t max;

	if (hostbits >= 63)
		return (uint64_t)INT64_MAX;
	max = (UINT64_C(1) << hostbits) - 1;
	/* the last IPv4 address of a /30 or wider is the broadcast address */
	if (p->family == AF_INET && hostbits >= 2)
		max--;
	return max;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted host indexes of the reserved addresses that lie in prefix p. */
static int reserved_indexes(const struct addr *p, const struct addr *reserved,
			    size_t n_reserved, uint64_t **out, size_t *n_out)
{
	uint64_t *v = NULL, ix;
	size_t i, n = 0;

	*out = NULL;
	*n_out = 0;
	if (n_reserved == 0)
		return 0;
	v = calloc(n_reserved, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n_reserved; i++)
		if (addr_index(p, &reserved[i], &ix) == 0)
			v[n++] = ix;
	qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*n_out = n;
	return 0;
}

static bool is_reserved(const uint64_t *res, size_t n, uint64_t ix)
{
	return n > 0 && bsearch(&ix, res, n, sizeof(*res), cmp_u64) != NULL;
}

/* Whether index ix of prefix key is leased to someone other than the key. */
static int index_taken(struct store *s, const char *key, uint64_t ix, const char *jail,
		       const char *iface, int slot)
{
	return store_exists(s, STMT_LEASE_TAKEN, "tItti", key, (int64_t)ix, jail, iface, slot);
}

/*
 * The lowest index >= 1 of prefix key that is neither leased nor reserved:
 * one merge of the leases (in index order, from the (prefix, idx) unique
 * index) with the sorted reserved indexes, stopping at the first gap.
 */
static int lowest_free(struct store *s, const char *key, const uint64_t *res,
		       size_t n_res, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	uint64_t cand = 1, leased = 0;
	size_t r = 0;
	bool have = false, more = true;
	int rc;

	rc = store_stmt(s, STMT_LEASE_SCAN, &st);
	if (rc < 0)
		return rc;
	rc = store_bind(st, "t", key);
	if (rc != SQLITE_OK) {
		rc = store_sql_err(s, rc);
		goto cleanup;
	}
	for (;;) {
		while (r < n_res && res[r] < cand)
			r++;
		while (more && (!have || leased < cand)) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE) {
				more = have = false;
			} else if (rc == SQLITE_ROW) {
				leased = (uint64_t)sqlite3_column_int64(st, 0);
				have = true;
			} else {
				rc = store_sql_err(s, rc);
				goto cleanup;
			}
		}
		if ((r < n_res && res[r] == cand) || (have && leased == cand)) {
			cand++;
			continue;
		}
		break;
	}
	*out = cand;
	rc = 0;
cleanup:
	store_stmt_done(st);
	return rc;
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

/* The stored lease: its address (with plen) and prefix key; 0, or -ENOENT. */
static int lease_get(struct store *s, const char *jail, const char *iface, int slot,
		     struct addr *a, char *key, size_t keylen)
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

int store_ipam_lease(struct store *s, const char *jail, const char *iface,
		     int slot, const struct addr *prefix,
		     const struct addr *reserved, size_t n_reserved,
		     struct addr *out)
{
	char key[ADDR_STRLEN], oldkey[ADDR_STRLEN], ptext[ADDR_STRLEN];
	uint64_t *res = NULL, ix = 0, max;
	size_t n_res = 0;
	struct addr net, old, a = { 0 };
	int rc;

	rc = lease_key_ok(s, jail, iface, slot);
	if (rc == 0)
		rc = prefix_ok(s, jail, prefix);
	if (rc < 0)
		return rc;
	if (n_reserved && !reserved)
		return store_set_err(s, -EINVAL, "ipam: reserved addresses missing");
	net = addr_network(prefix);
	addr_format(&net, key, sizeof(key));
	max = index_max(&net);
	if (reserved_indexes(&net, reserved, n_reserved, &res, &n_res) < 0)
		return store_set_err(s, -ENOMEM, "%s: out of memory", s->path);

	rc = store_sp_begin(s);
	if (rc < 0)
		goto cleanup;

	/* keep the existing lease when it is still usable */
	rc = lease_get(s, jail, iface, slot, &old, oldkey, sizeof(oldkey));
	if (rc == 0 && addr_index(&net, &old, &ix) == 0 && ix >= 1 && ix <= max &&
	    !is_reserved(res, n_res, ix)) {
		rc = index_taken(s, key, ix, jail, iface, slot);
		if (rc == 0) {
			rc = addr_nth(&net, ix, &a);
			if (rc == 0 && (strcmp(oldkey, key) != 0 || !addr_equal(&a, &old)))
				rc = lease_put(s, jail, iface, slot, key, ix, &a);
			goto end;
		}
	}
	if (rc < 0 && rc != -ENOENT)
		goto end;

	rc = lease_del(s, jail, iface, slot);
	if (rc >= 0)
		rc = lowest_free(s, key, res, n_res, &ix);
	if (rc < 0)
		goto end;
	if (ix > max) {
		rc = store_set_err(s, -ENOSPC, "ipam: jail %s: %s: no free address left in %s",
				   jail, iface, addr_format(prefix, ptext, sizeof(ptext)));
		goto end;
	}
	rc = addr_nth(&net, ix, &a);
	if (rc < 0)
		store_set_err(s, rc, "ipam: index %llu outside %s", (unsigned long long)ix, key);
	else
		rc = lease_put(s, jail, iface, slot, key, ix, &a);
end:
	rc = store_sp_end(s, rc);
	if (rc == 0)
		*out = a;
cleanup:
	free(res);
	return rc;
}

int store_ipam_lookup(struct store *s, const char *jail, const char *iface,
		      int slot, struct addr *out)
{
	int rc = lease_key_ok(s, jail, iface, slot);

	if (rc == 0)
		rc = lease_get(s, jail, iface, slot, out, NULL, 0);
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
