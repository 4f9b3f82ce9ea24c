/*
 * The id ranges of confined jails: one lease per jail (its user and group
 * ids on the host), kept while the jail exists, stopped or not, and
 * released when it is destroyed. Which range a jail gets is the engine's
 * choice (src/engine/idmap.c); the store records it and refuses a first
 * id that another jail holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static int key_ok(struct store *s, const char *jail)
{
	if (!jail || !store_name_ok(jail, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "idmap: empty or too long jail name");
	return 0;
}

/* One row (jail, base, count, created_at) into *out. */
static int idmap_row(struct store *s, sqlite3_stmt *st, struct store_idmap *out)
{
	int64_t base = sqlite3_column_int64(st, 1), count = sqlite3_column_int64(st, 2);
	int rc = store_col_copy(s, st, 0, out->jail, sizeof(out->jail));

	if (rc == 0 && (base < 0 || count < 1 || base + count > (int64_t)UINT32_MAX + 1))
		rc = store_set_err(s, -EIO, "%s: jail %s: bad id range %lld+%lld", s->path, out->jail,
				   (long long)base, (long long)count);
	out->base = (uint32_t)base;
	out->count = (uint32_t)count;
	out->created_at = sqlite3_column_int64(st, 3);
	return rc;
}

int store_idmap_get(struct store *s, const char *jail, struct store_idmap *out)
{
	sqlite3_stmt *st = NULL;
	int rc = key_ok(s, jail);

	if (rc < 0)
		return rc;
	rc = store_stmt(s, STMT_IDMAP_GET, &st);
	if (rc < 0)
		return rc;
	rc = store_bind(st, "t", jail);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else if (rc == SQLITE_ROW)
		rc = idmap_row(s, st, out);
	else
		rc = store_sql_err(s, rc);
	store_stmt_done(st);
	return rc;
}

int store_idmap_lease(struct store *s, const char *jail, uint32_t base, uint32_t count)
{
	int rc = key_ok(s, jail);

	if (rc < 0)
		return rc;
	if (count == 0 || (uint64_t)base + count > (uint64_t)UINT32_MAX + 1)
		return store_set_err(s, -EINVAL, "idmap: jail %s: bad id range %u+%u", jail, base, count);
	rc = store_run(s, STMT_IDMAP_PUT, "tIII", jail, (int64_t)base, (int64_t)count, (int64_t)time(NULL));
	if (rc == -EEXIST)
		return store_set_err(s, rc, "idmap: jail %s: id %u is the first of another jail's range", jail,
				     base);
	return rc < 0 ? rc : 0;
}

int store_idmap_release(struct store *s, const char *jail)
{
	int rc = key_ok(s, jail);

	if (rc < 0)
		return rc;
	rc = store_run(s, STMT_IDMAP_DEL, "t", jail);
	return rc < 0 ? rc : rc > 0 ? 0 : -ENOENT;
}

struct idmap_walk {
	int (*cb)(const struct store_idmap *l, void *ctx);
	void *ctx;
};

static int idmap_walk_row(struct store *s, sqlite3_stmt *st, void *arg)
{
	struct idmap_walk *w = arg;
	struct store_idmap l;
	int rc = idmap_row(s, st, &l);

	return rc ? rc : w->cb(&l, w->ctx);
}

int store_idmap_list(struct store *s, int (*cb)(const struct store_idmap *l, void *ctx), void *ctx)
{
	struct idmap_walk w = { cb, ctx };

	return store_walk(s, "SELECT jail, base, count, created_at FROM idmap_lease ORDER BY base", idmap_walk_row,
			  &w, "");
}
