/*
 * The store's core: the state dir and its lock, opening the database
 * (integrity check, pragmas, schema migrations), transactions and the
 * helpers the other store files share.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/fs.h"

/* How long SQLite itself retries a locked database. jail6 runs are already
 * serialised by the flock; this covers outside readers (sqlite3 CLI) and
 * WAL checkpoints. */
#define STORE_BUSY_TIMEOUT_MS 5000

/*
 * The schema history: step N turns a version N-1 database into version N,
 * in one transaction. Steps are never edited once released; a change is a
 * new step appended at the end (and STORE_SCHEMA_VERSION bumped).
 */
struct migration {
	int version;
	const char *sql;
	/* what SQL cannot do alone, run after sql in the same transaction */
	int (*fn)(struct store *s);
};

static int migrate_own_v3(struct store *s);

static const struct migration migrations[] = {
	{ 1,
	  "CREATE TABLE own ("
	  " kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl')),"
	  " ns TEXT NOT NULL DEFAULT '',"
	  " name TEXT NOT NULL CHECK (name <> ''),"
	  " detail TEXT,"
	  " created_at INTEGER NOT NULL,"
	  " PRIMARY KEY (kind, ns, name)"
	  ") WITHOUT ROWID;"
	  "CREATE TABLE jail ("
	  " name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),"
	  " state TEXT NOT NULL CHECK (state IN ('created','running','stopped')),"
	  " hostname TEXT NOT NULL DEFAULT '',"
	  " path TEXT NOT NULL DEFAULT '',"
	  " updated_at INTEGER NOT NULL"
	  ");"
	  "CREATE TABLE event ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " time INTEGER NOT NULL,"
	  " text TEXT NOT NULL"
	  ");",
	  NULL },
	{ 2,
	  /* IPAM: one row per (jail, interface, slot); idx is the host index
	   * inside prefix (the network in text form), unique per prefix. */
	  "CREATE TABLE ipam_lease ("
	  " jail TEXT NOT NULL CHECK (jail <> ''),"
	  " iface TEXT NOT NULL CHECK (iface <> ''),"
	  " slot INTEGER NOT NULL CHECK (slot >= 0),"
	  " prefix TEXT NOT NULL,"
	  " idx INTEGER NOT NULL CHECK (idx >= 1),"
	  " addr TEXT NOT NULL,"
	  " created_at INTEGER NOT NULL,"
	  " PRIMARY KEY (jail, iface, slot),"
	  " UNIQUE (prefix, idx)"
	  ");",
	  NULL },
	{ 3,
	  /* Typed ownership: an address is (interface, family 4|6, bytes,
	   * prefix length) instead of the text "IFNAME ADDR/PLEN" that every
	   * observe parsed back; a route is its destination. The jail's
	   * "exec.start pending" detail becomes a flag. Links, jails and
	   * sysctls move over as they are; addresses and routes are parsed
	   * by migrate_own_v3. */
	  "CREATE TABLE own_v3 ("
	  " kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl')),"
	  " ns TEXT NOT NULL DEFAULT '',"
	  " name TEXT NOT NULL DEFAULT '',"
	  " ifname TEXT NOT NULL DEFAULT '',"
	  " family INTEGER NOT NULL DEFAULT 0 CHECK (family IN (0, 4, 6)),"
	  " addr BLOB NOT NULL DEFAULT x'',"
	  " plen INTEGER NOT NULL DEFAULT -1,"
	  " detail TEXT,"
	  " flags INTEGER NOT NULL DEFAULT 0,"
	  " created_at INTEGER NOT NULL,"
	  " CHECK ((kind IN ('addr','route')) = (family <> 0)),"
	  " CHECK ((kind IN ('addr','route')) = (name = '')),"
	  " CHECK ((kind = 'addr') = (ifname <> '')),"
	  " PRIMARY KEY (kind, ns, name, ifname, family, addr, plen)"
	  ") WITHOUT ROWID;"
	  "INSERT INTO own_v3 (kind, ns, name, detail, flags, created_at)"
	  " SELECT kind, ns, name,"
	  "  CASE WHEN kind = 'jail' THEN NULL ELSE detail END,"
	  "  CASE WHEN kind = 'jail' AND detail = 'exec.start pending' THEN 1 ELSE 0 END,"
	  "  created_at FROM own WHERE kind IN ('link','jail','sysctl');",
	  migrate_own_v3 },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

/* SQL of the cached statements, indexed by enum store_stmt. */
static const char *const stmt_sql[STMT__COUNT] = {
	[STMT_OWN_ADD] =
		"INSERT INTO own (kind, ns, name, ifname, family, addr, plen, detail, flags, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (kind, ns, name, ifname, family, addr, plen)"
		" DO UPDATE SET detail = excluded.detail, flags = excluded.flags",
	[STMT_OWN_DEL] =
		"DELETE FROM own WHERE kind = ?1 AND ns = ?2 AND name = ?3 AND ifname = ?4"
		" AND family = ?5 AND addr = ?6 AND plen = ?7",
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
	[STMT_LEASE_TAKEN] =
		"SELECT 1 FROM ipam_lease WHERE prefix = ?1 AND idx = ?2"
		" AND NOT (jail = ?3 AND iface = ?4 AND slot = ?5)",
	[STMT_LEASE_SCAN] = "SELECT idx FROM ipam_lease WHERE prefix = ?1 ORDER BY idx",
	[STMT_LEASE_PUT] =
		"INSERT INTO ipam_lease (jail, iface, slot, prefix, idx, addr, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (jail, iface, slot) DO UPDATE SET prefix = excluded.prefix,"
		" idx = excluded.idx, addr = excluded.addr",
	[STMT_LEASE_DEL] = "DELETE FROM ipam_lease WHERE jail = ?1 AND iface = ?2 AND slot = ?3",
	[STMT_LEASE_DEL_JAIL] = "DELETE FROM ipam_lease WHERE jail = ?1",
};

/* Map an SQLite result code to -errno (0 for SQLITE_OK/ROW/DONE). */
static int rc_errno(sqlite3 *db, int rc)
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
	int err = rc_errno(s->db, rc);

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

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid recorded in the lock file when that process still exists, else 0. */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || end == buf || pid <= 0 || pid == (long)getpid())
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return 0; /* stale: a run that crashed; the lock is someone else's */
	return pid;
}

/*
 * Take the flock on DIR/lock, polling with LOCK_NB and growing sleeps until
 * timeout_ms has passed; a writer then records its pid for the message of
 * the next run that has to wait.
 */
static int lock_take(struct store *s, int timeout_ms)
{
	bool ro = s->flags & STORE_READONLY;
	int op = ro ? LOCK_SH : LOCK_EX;
	int64_t deadline, left;
	long delay = 5, pid;
	char path[PATH_MAX + 8], buf[32];
	int n;

	if (timeout_ms < 0)
		timeout_ms = STORE_LOCK_TIMEOUT_DEFAULT_MS;
	n = snprintf(path, sizeof(path), "%s/%s", s->dir, STORE_LOCK_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return store_set_err(s, -ENAMETOOLONG, "%s: path too long", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0 && ro && (errno == EACCES || errno == EROFS))
		s->lock_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (s->lock_fd < 0)
		return store_set_err(s, -errno, "%s: %s", path, strerror(errno));

	deadline = now_ms() + timeout_ms;
	while (flock(s->lock_fd, op | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return store_set_err(s, -errno, "%s: flock: %s", path, strerror(errno));
		left = deadline - now_ms();
		if (left <= 0) {
			pid = lock_holder(s->lock_fd);
			if (pid)
				return store_set_err(s, -ETIMEDOUT,
						     "state dir %s is locked by another jail6 run (pid %ld)",
						     s->dir, pid);
			return store_set_err(s, -ETIMEDOUT,
					     "state dir %s is locked by another jail6 run", s->dir);
		}
		if (delay > left)
			delay = (long)left;
		nanosleep(&(struct timespec){ .tv_sec = delay / 1000,
					      .tv_nsec = (delay % 1000) * 1000000 }, NULL);
		delay = delay * 2 > 100 ? 100 : delay * 2;
	}
	if (!ro) {
		n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, buf, (size_t)n, 0) != n)
			return store_set_err(s, -errno, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* Run a pragma that returns one integer. */
static int pragma_int(struct store *s, const char *sql, int *out)
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

/* PRAGMA quick_check: any answer but "ok" (or an error reading the file)
 * means the database cannot be trusted. */
static int check_integrity(struct store *s)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = rc_errno(s->db, rc);
		if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
			store_set_err(s, -EIO, "%s: database is corrupt: %s",
				      s->path, sqlite3_errmsg(s->db));
		else
			store_sql_err(s, rc);
		goto cleanup;
	}
	t = (const char *)sqlite3_column_text(st, 0);
	if (!t || strcmp(t, "ok") != 0) {
		char *nl;
		ret = store_set_err(s, -EIO, "%s: database is corrupt (quick_check: %s)",
				    s->path, t ? t : "no answer");
		/* SQLite's report spans lines; keep the message on one */
		while ((nl = strchr(s->errmsg, '\n')))
			*nl = ' ';
	}
cleanup:
	sqlite3_finalize(st);
	return ret;
}

/*
 * Schema 3, the part SQL cannot do: parse the version-2 address records
 * ("IFNAME ADDR/PLEN") and routes ("DST/PLEN") into typed rows, then put
 * the new table in place of the old. A record that does not parse means
 * the database was not written by jail6: the migration fails (and rolls
 * back) rather than drop what it cannot read.
 */
static int migrate_own_v3(struct store *s)
{
	static const char sel[] = "SELECT kind, ns, name, created_at FROM own WHERE kind IN ('addr','route')";
	static const char ins[] =
		"INSERT OR IGNORE INTO own_v3 (kind, ns, ifname, family, addr, plen, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *q = NULL, *w = NULL;
	int rc = sqlite3_prepare_v2(s->db, sel, -1, &q, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, ins, -1, &w, NULL);
	if (rc != SQLITE_OK) {
		rc = store_sql_err(s, rc);
		goto cleanup;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(q, 0);
		const char *name = (const char *)sqlite3_column_text(q, 2);
		const char *text = name, *sp;
		char ifname[MODEL_IFNAMSIZ] = "";
		struct addr a;

		if (kind && !strcmp(kind, "addr") && name && (sp = strchr(name, ' ')) &&
		    (size_t)(sp - name) < sizeof(ifname)) {
			snprintf(ifname, sizeof(ifname), "%.*s", (int)(sp - name), name);
			text = sp + 1;
		}
		if (!name || (!strcmp(kind, "addr") && !ifname[0]) ||
		    addr_parse(text, ADDR_PREFIX_OPTIONAL, &a, NULL) < 0) {
			rc = store_set_err(s, -EIO, "%s: cannot read the %s record '%s'", s->path, kind,
					   name ? name : "");
			goto cleanup;
		}
		if (a.plen < 0)
			a.plen = (int)addr_len(&a) * 8;
		sqlite3_reset(w);
		rc = store_bind(w, "ttti" "bi" "iI", kind, (const char *)sqlite3_column_text(q, 1), ifname,
				a.family == AF_INET ? 4 : 6, a.bytes, (int)addr_len(&a), a.plen,
				(int64_t)sqlite3_column_int64(q, 3));
		if (rc == SQLITE_OK)
			rc = sqlite3_step(w);
		if (rc != SQLITE_DONE) {
			rc = store_sql_err(s, rc);
			goto cleanup;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
	if (rc == 0)
		rc = store_exec(s, "DROP TABLE own; ALTER TABLE own_v3 RENAME TO own;");
cleanup:
	sqlite3_finalize(q);
	sqlite3_finalize(w);
	return rc;
}

/* Apply one migration step in its own transaction; the version is read
 * again inside it in case a concurrent reader already migrated. */
static int migrate_step(struct store *s, const struct migration *m)
{
	char sql[64];
	int rc, v = 0;

	rc = store_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = pragma_int(s, "PRAGMA user_version", &v);
	if (rc < 0 || v >= m->version)
		goto cleanup;
	if (v != m->version - 1) {
		rc = store_set_err(s, -EIO, "%s: schema version %d cannot be migrated to %d",
				   s->path, v, m->version);
		goto cleanup;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
	rc = store_exec(s, m->sql);
	if (rc == 0 && m->fn && (rc = m->fn(s)) < 0) {
		/* the step's own message says which record */
		char why[sizeof(s->errmsg)];
		snprintf(why, sizeof(why), "%s", s->errmsg);
		store_set_err(s, rc, "migrating the schema to version %d: %s", m->version, why);
		goto cleanup;
	}
	if (rc == 0)
		rc = store_exec(s, sql);
	if (rc == 0)
		rc = store_exec(s, "COMMIT");
	if (rc < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", sqlite3_errmsg(s->db));
		store_set_err(s, rc, "%s: migrating the schema to version %d: %s",
			      s->path, m->version, why);
	}
cleanup:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, rc < 0 ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* Bring the schema to STORE_SCHEMA_VERSION; refuse a newer one. */
static int migrate(struct store *s)
{
	size_t i;
	int rc, v = 0;

	rc = pragma_int(s, "PRAGMA user_version", &v);
	if (rc < 0)
		return rc;
	if (v > STORE_SCHEMA_VERSION)
		return store_set_err(s, -EPROTO,
				     "%s: schema version %d is newer than this jail6 supports (%d); "
				     "use a newer jail6", s->path, v, STORE_SCHEMA_VERSION);
	if (v < 0)
		return store_set_err(s, -EIO, "%s: bad schema version %d", s->path, v);
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		if (migrations[i].version <= v)
			continue;
		rc = migrate_step(s, &migrations[i]);
		if (rc < 0)
			return rc;
	}
	return pragma_int(s, "PRAGMA user_version", &s->version);
}

/* Open the database file itself and set it up (pragmas, check, schema). */
static int db_open(struct store *s)
{
	bool ro = s->flags & STORE_READONLY;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, fd;

	if (ro) {
		if (access(s->path, F_OK) < 0)
			return store_set_err(s, -errno, "%s: %s%s", s->path, strerror(errno),
					     errno == ENOENT ? " (nothing was applied yet)" : "");
	} else {
		/* create it ourselves so that it is 0600 (SQLite's WAL and shm
		 * files copy the database file's mode) */
		fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return store_set_err(s, -errno, "%s: %s", s->path, strerror(errno));
		close(fd);
	}
	rc = sqlite3_open_v2(s->path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK)
		return store_sql_err(s, rc);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	rc = check_integrity(s);
	if (rc < 0)
		return rc;
	if (!ro) {
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			rc = store_sql_err(s, rc);
			goto cleanup;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (!mode || strcmp(mode, "wal") != 0) {
			rc = store_set_err(s, -EIO, "%s: cannot use WAL journal mode (got %s)",
					   s->path, mode ? mode : "nothing");
			goto cleanup;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	/* synchronous=NORMAL: in WAL mode a commit is safe from a killed jail6
	 * (it is in the WAL before the call returns), which is what ownership
	 * needs; only a power loss can drop the last commits, and a power loss
	 * also takes every link, namespace and route jail6 made (none of them
	 * outlives a reboot). FULL paid one fsync per action: 1000 jails made
	 * 17000 of them, a third of apply's time. */
	rc = store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
	if (rc == 0)
		rc = migrate(s);
	if (rc == 0 && ro)
		rc = store_exec(s, "PRAGMA query_only = ON");
cleanup:
	sqlite3_finalize(st);
	return rc;
}

int store_open(const char *dir, int flags, int lock_timeout_ms,
	       struct store **out, char *err, size_t errlen)
{
	struct store *s = NULL;
	int rc, n;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!dir || !dir[0] || (flags & ~STORE_READONLY)) {
		if (err && errlen)
			snprintf(err, errlen, "store_open: bad arguments");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	s->lock_fd = -1;
	s->flags = flags;
	n = snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (n > 0 && (size_t)n < sizeof(s->dir))
		n = snprintf(s->path, sizeof(s->path), "%s/%s", dir, STORE_DB_NAME);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		rc = store_set_err(s, -ENAMETOOLONG, "%s: path too long", dir);
		goto cleanup;
	}
	if (flags & STORE_READONLY) {
		struct stat st;
		if (stat(s->dir, &st) < 0) {
			rc = store_set_err(s, -errno, "state dir %s: %s", s->dir, strerror(errno));
			goto cleanup;
		}
	} else {
		rc = fs_mkdir_p(s->dir, 0755, 0700);
		if (rc < 0) {
			store_set_err(s, rc, "state dir %s: %s", s->dir, strerror(-rc));
			goto cleanup;
		}
	}
	rc = lock_take(s, lock_timeout_ms);
	if (rc == 0)
		rc = db_open(s);
cleanup:
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", s->errmsg);
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	if (s->db) {
		/* an unfinished store_begin() is abandoned, not committed */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	if (s->lock_fd >= 0) {
		/* clear our pid so that no later waiter blames this process */
		if (!(s->flags & STORE_READONLY)) {
			int r = ftruncate(s->lock_fd, 0);
			(void)r; /* best effort: a stale pid is checked with kill(2) */
		}
		close(s->lock_fd);
	}
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

int store_schema_version(const struct store *s)
{
	return s->version;
}

const char *store_errmsg(const struct store *s)
{
	return s ? s->errmsg : "";
}

int store_begin(struct store *s)
{
	int rc;

	if (s->tx_depth == 0)
		rc = store_exec(s, s->flags & STORE_READONLY ? "BEGIN" : "BEGIN IMMEDIATE");
	else
		rc = store_exec(s, "SAVEPOINT store_tx");
	if (rc == 0)
		s->tx_depth++;
	return rc;
}

int store_commit(struct store *s)
{
	int rc;

	if (s->tx_depth == 0)
		return store_set_err(s, -EINVAL, "%s: commit without a transaction", s->path);
	rc = store_exec(s, s->tx_depth == 1 ? "COMMIT" : "RELEASE store_tx");
	if (rc == 0)
		s->tx_depth--;
	return rc;
}

int store_rollback(struct store *s)
{
	int rc;

	if (s->tx_depth == 0)
		return store_set_err(s, -EINVAL, "%s: rollback without a transaction", s->path);
	if (s->tx_depth == 1) {
		rc = store_exec(s, "ROLLBACK");
		/* whatever ROLLBACK said, no transaction is open afterwards */
		if (sqlite3_get_autocommit(s->db))
			s->tx_depth = 0;
		return rc;
	}
	rc = store_exec(s, "ROLLBACK TO store_tx; RELEASE store_tx");
	if (rc == 0)
		s->tx_depth--;
	return rc;
}
