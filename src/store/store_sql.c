/* The store's SQL plumbing: cached statements, binding, running them,
 * savepoints, and SQLite's result codes as -errno. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store/store_int.h"

/* SQL of the cached statements, indexed by enum store_stmt. */
static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_OWN_ADD] =
		"INSERT INTO own (kind, ns, name, ifname, family, addr, plen, detail, flags, ident, seq,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT (kind, ns, name, ifname, family, addr, plen)"
		" DO UPDATE SET detail = excluded.detail, flags = excluded.flags,"
		" ident = excluded.ident, seq = excluded.seq",
	[STMT_OWN_DEL] =
		"DELETE FROM own WHERE kind = ?1 AND ns = ?2 AND name = ?3 AND ifname = ?4"
		" AND family = ?5 AND addr = ?6 AND plen = ?7",
	[STMT_OWN_CLAIM] =
		"INSERT INTO own (kind, ns, name, ifname, family, addr, plen, detail, flags, ident, seq,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)"
		" ON CONFLICT (kind, ns, name, ifname, family, addr, plen)"
		" DO UPDATE SET flags = flags | excluded.flags | (CASE WHEN flags & 2 THEN 0 ELSE 8 END),"
		" seq = excluded.seq",
	[STMT_OWN_CONFIRM] =
		"UPDATE own SET flags = flags & ~?8, ident = ?9, seq = -1 WHERE kind = ?1 AND ns = ?2"
		" AND name = ?3 AND ifname = ?4 AND family = ?5 AND addr = ?6 AND plen = ?7",
	[STMT_OWN_FLAGS] =
		"UPDATE own SET flags = (flags | ?8) & ~?9 WHERE kind = ?1 AND ns = ?2"
		" AND name = ?3 AND ifname = ?4 AND family = ?5 AND addr = ?6 AND plen = ?7",
	[STMT_OWN_DROP_CLAIMS] = "DELETE FROM own WHERE flags & ?1 AND NOT (flags & ?2)",
	[STMT_OWN_UNCLAIM] = "UPDATE own SET flags = flags & ~(?1 | ?2), seq = -1 WHERE flags & ?2",
	[STMT_OWN_DEL_UNCLAIMED] =
		"DELETE FROM own WHERE kind = ?1 AND ns = ?2 AND name = ?3 AND ifname = ?4"
		" AND family = ?5 AND addr = ?6 AND plen = ?7 AND NOT (flags & ?8)",
	[STMT_OWN_HAS] =
		"SELECT 1 FROM own WHERE kind = ?1 AND ns = ?2 AND name = ?3 AND ifname = ?4"
		" AND family = ?5 AND addr = ?6 AND plen = ?7",
	[STMT_JAIL_PUT] =
		"INSERT INTO jail (name, state, hostname, path, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (name) DO UPDATE SET state = excluded.state,"
		" hostname = excluded.hostname, path = excluded.path, updated_at = excluded.updated_at",
	[STMT_JAIL_STATE] = "UPDATE jail SET state = ?2, updated_at = ?3 WHERE name = ?1",
	[STMT_JAIL_GET] = "SELECT name, state, hostname, path, updated_at FROM jail WHERE name = ?1",
	[STMT_JAIL_DEL] = "DELETE FROM jail WHERE name = ?1",
	[STMT_EVENT_ADD] = "INSERT INTO event (time, text) VALUES (?1, ?2)",
	[STMT_EVENT_TRIM] = "DELETE FROM event WHERE id <= ?1",
	[STMT_LEASE_GET] =
		"SELECT prefix, idx, addr FROM ipam_lease WHERE jail = ?1 AND iface = ?2 AND slot = ?3",
	[STMT_LEASE_SCAN] = "SELECT idx FROM ipam_lease WHERE prefix = ?1",
	[STMT_LEASE_PUT] =
		"INSERT INTO ipam_lease (jail, iface, slot, prefix, idx, addr, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (jail, iface, slot) DO UPDATE SET prefix = excluded.prefix,"
		" idx = excluded.idx, addr = excluded.addr",
	[STMT_LEASE_DEL] = "DELETE FROM ipam_lease WHERE jail = ?1 AND iface = ?2 AND slot = ?3",
	[STMT_LEASE_DEL_JAIL] = "DELETE FROM ipam_lease WHERE jail = ?1",
	[STMT_IDMAP_GET] = "SELECT jail, base, count, created_at FROM idmap_lease WHERE jail = ?1",
	[STMT_IDMAP_PUT] =
		"INSERT INTO idmap_lease (jail, base, count, created_at) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (jail) DO UPDATE SET base = excluded.base, count = excluded.count,"
		" created_at = CASE WHEN base = excluded.base AND count = excluded.count"
		" THEN created_at ELSE excluded.created_at END",
	[STMT_IDMAP_DEL] = "DELETE FROM idmap_lease WHERE jail = ?1",
};

/* Map an SQLite result code to -errno (0 for SQLITE_OK/ROW/DONE). */
int store_rc_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EIO;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_INTERRUPT:
		return -EINTR;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

int store_set_err(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int store_sql_err(struct store *s, int rc)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int err = store_rc_errno(s->db, rc);

	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", s->path, msg);
	/* a caller only gets here on failure: an unexpected ROW/DONE is one too */
	return err ? err : -EIO;
}

int store_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_sql_err(s, rc);
}

int store_stmt(struct store *s, enum store_stmt id, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return store_sql_err(s, rc);
	}
	sqlite3_reset(s->stmts[id]);
	sqlite3_clear_bindings(s->stmts[id]);
	*out = s->stmts[id];
	return 0;
}

void store_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int store_bind(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = store_vbind_from(st, 1, types, ap);
	va_end(ap);
	return rc;
}

int store_bind_from(sqlite3_stmt *st, int first, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = store_vbind_from(st, first, types, ap);
	va_end(ap);
	return rc;
}

int store_vbind(sqlite3_stmt *st, const char *types, va_list ap)
{
	return store_vbind_from(st, 1, types, ap);
}

int store_vbind_from(sqlite3_stmt *st, int first, const char *types, va_list ap)
{
	int rc = SQLITE_OK, i = first;
	const char *t;
	const void *b;

	for (size_t k = 0; types[k] && rc == SQLITE_OK; k++, i++) {
		switch (types[k]) {
		case 't':
			t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC)
			       : sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, (sqlite3_int64)va_arg(ap, int64_t));
			break;
		case 'b':
			/* a blob: the pointer, then its length under the next
			 * letter, which must be 'i': one parameter for both */
			b = va_arg(ap, const void *);
			if (types[++k] != 'i') {
				rc = SQLITE_MISUSE;
				break;
			}
			rc = sqlite3_bind_blob(st, i, b ? b : "", va_arg(ap, int), SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/* Prepare (cached), bind and step the statement id once, then reset it:
 * with rows, 1 when it returned a row and 0 when not; without, the number
 * of rows it changed; or -errno with the store's message set. */
static int run_stmt(struct store *s, enum store_stmt id, bool rows, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc = store_stmt(s, id, &st), step;

	if (rc < 0)
		return rc;
	step = store_vbind(st, types, ap);
	if (step == SQLITE_OK)
		step = sqlite3_step(st);
	if (rows && (step == SQLITE_ROW || step == SQLITE_DONE))
		rc = step == SQLITE_ROW;
	else if (!rows && step == SQLITE_DONE)
		rc = sqlite3_changes(s->db);
	else
		rc = store_sql_err(s, step);
	store_stmt_done(st);
	return rc;
}

int store_run(struct store *s, enum store_stmt id, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = run_stmt(s, id, false, types, ap);
	va_end(ap);
	return rc;
}

int store_exists(struct store *s, enum store_stmt id, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = run_stmt(s, id, true, types, ap);
	va_end(ap);
	return rc;
}

int store_sp_begin(struct store *s)
{
	return store_exec(s, "SAVEPOINT store_op");
}

int store_sp_end(struct store *s, int rc)
{
	int r;

	if (rc == 0)
		return store_exec(s, "RELEASE store_op");
	/* keep the first error's message: the rollback is only cleanup */
	r = sqlite3_exec(s->db, "ROLLBACK TO store_op; RELEASE store_op", NULL, NULL, NULL);
	(void)r;
	return rc;
}

int store_col_copy(struct store *s, sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n;

	n = snprintf(dst, len, "%s", t ? (const char *)t : "");
	if (n < 0 || (size_t)n >= len)
		return store_set_err(s, -EIO, "%s: stored value too long in column %s",
				     s->path, sqlite3_column_name(st, i));
	return 0;
}

bool store_name_ok(const char *name, size_t max)
{
	return name && name[0] && strnlen(name, max) < max;
}

int store_walk(struct store *s, const char *sql, int (*row)(struct store *s, sqlite3_stmt *st, void *ctx),
	       void *ctx, const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		va_start(ap, types);
		rc = store_vbind(st, types, ap);
		va_end(ap);
	}
	if (rc != SQLITE_OK) {
		rc = store_sql_err(s, rc);
		goto cleanup;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = row(s, st, ctx)) != 0)
			goto cleanup;
	rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
cleanup:
	sqlite3_finalize(st);
	return rc;
}

/* Run a pragma that returns one integer. */
int store_pragma_int(struct store *s, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = store_sql_err(s, rc);
		goto cleanup;
	}
	*out = sqlite3_column_int(st, 0);
	rc = 0;
cleanup:
	sqlite3_finalize(st);
	return rc;
}

