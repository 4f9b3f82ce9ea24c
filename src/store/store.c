/*
 * The store's core: the state dir and its lock, opening the database
 * (integrity check, pragmas, then the schema: store_schema.c) and
 * transactions. The SQL plumbing is store_sql.c.
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
		ret = store_rc_errno(s->db, rc);
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

/* Open the database file itself and set it up (pragmas, check, schema). */
/*
 * A database file that exists but holds nothing (0 bytes, and no WAL with
 * its pages) was not left by jail6, which makes its store whole before it
 * gives it its name (create_db): a truncated or stray file. Taking it as a
 * new store would forget everything jail6 created.
 */
static int refuse_empty(struct store *s)
{
	char wal[PATH_MAX + 8];
	struct stat st;

	if (stat(s->path, &st) < 0 || st.st_size > 0)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	if (stat(wal, &st) == 0 && st.st_size > 0)
		return 0;
	return store_set_err(s, -EIO, "%s: empty file, not a jail6 store (move it away to start a new one; "
			     "jail6 then no longer knows what it created)", s->path);
}

/* After the integrity check: a database with tables but no schema version
 * is some other program's. */
static int refuse_foreign(struct store *s)
{
	int v = 0, tables = 0;
	int rc = store_pragma_int(s, "PRAGMA user_version", &v);

	if (rc == 0 && v == 0)
		rc = store_pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables);
	if (rc == 0 && v == 0)
		return store_set_err(s, -EIO, "%s: %s, not a jail6 store", s->path,
				     tables ? "a database of another program" : "a database without jail6's schema");
	return rc;
}

/* Make a new store at s->path whole before it has that name: the schema in
 * DIR/jail6.db.new (0600: SQLite's WAL and shm files copy the database
 * file's mode), then rename(2). A killed jail6 leaves at most the .new
 * file, which the next run starts again. */
static int create_db(struct store *s)
{
	char tmp[PATH_MAX + 8];
	sqlite3 *db = s->db;
	int rc, fd;

	snprintf(tmp, sizeof(tmp), "%s.new", s->path);
	unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return store_set_err(s, -errno, "%s: %s", tmp, strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(tmp, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	rc = rc == SQLITE_OK ? store_migrate(s) : store_sql_err(s, rc);
	sqlite3_close(s->db);
	s->db = db;
	if (rc == 0 && rename(tmp, s->path) < 0)
		rc = store_set_err(s, -errno, "%s: %s", s->path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int db_open(struct store *s)
{
	bool ro = s->flags & STORE_READONLY;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc;

	if (access(s->path, F_OK) < 0) {
		if (ro || errno != ENOENT)
			return store_set_err(s, -errno, "%s: %s%s", s->path, strerror(errno),
					     errno == ENOENT ? " (nothing was applied yet)" : "");
		rc = create_db(s);
		if (rc < 0)
			return rc;
	}
	rc = refuse_empty(s);
	if (rc < 0)
		return rc;
	rc = sqlite3_open_v2(s->path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK)
		return store_sql_err(s, rc);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	rc = check_integrity(s);
	if (rc == 0)
		rc = refuse_foreign(s);
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
		rc = store_migrate(s);
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
	s->journal_fd = -1;
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
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	free(s);
}

/* DIR/journal, opened once (read-write, or read-only for a reader). */
static int journal_fd(struct store *s)
{
	char path[PATH_MAX + 16];
	bool ro = s->flags & STORE_READONLY;

	if (s->journal_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", s->dir, STORE_JOURNAL_NAME);
	s->journal_fd = open(path, (ro ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->journal_fd < 0)
		return store_set_err(s, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int store_journal_set(struct store *s, int64_t started)
{
	int rc = journal_fd(s);

	if (rc < 0)
		return rc;
	if (s->flags & STORE_READONLY)
		return store_set_err(s, -EROFS, "%s: read-only", s->dir);
	/* one write(2), no fsync: the journal only has to outlive a killed
	 * process, and what it speaks of (links, namespaces) does not outlive
	 * a power loss either */
	errno = 0;
	if (pwrite(s->journal_fd, &started, sizeof(started), 0) != (ssize_t)sizeof(started) ||
	    (started < 0 && ftruncate(s->journal_fd, sizeof(started)) < 0))
		return store_set_err(s, errno ? -errno : -EIO, "%s/%s: %s", s->dir, STORE_JOURNAL_NAME,
				     strerror(errno ? errno : EIO));
	return 0;
}

int store_journal_ran(struct store *s, size_t k, int64_t place)
{
	int rc = journal_fd(s);
	off_t at = (off_t)((k + 1) * sizeof(place));

	if (rc < 0)
		return rc;
	if (s->flags & STORE_READONLY)
		return store_set_err(s, -EROFS, "%s: read-only", s->dir);
	errno = 0;
	if (pwrite(s->journal_fd, &place, sizeof(place), at) != (ssize_t)sizeof(place))
		return store_set_err(s, errno ? -errno : -EIO, "%s/%s: %s", s->dir, STORE_JOURNAL_NAME,
				     strerror(errno ? errno : EIO));
	return 0;
}

int store_journal_get(struct store *s, int64_t *started, int64_t **ran, size_t *n_ran)
{
	int64_t v = -1;
	struct stat st;
	size_t n;
	int rc = journal_fd(s);

	*started = -1;
	*ran = NULL;
	*n_ran = 0;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (pread(s->journal_fd, &v, sizeof(v), 0) != (ssize_t)sizeof(v) || v < 0)
		return 0;
	*started = v;
	if (fstat(s->journal_fd, &st) < 0)
		return store_set_err(s, -errno, "%s/%s: %s", s->dir, STORE_JOURNAL_NAME, strerror(errno));
	n = st.st_size > (off_t)sizeof(v) ? (size_t)st.st_size / sizeof(v) - 1 : 0;
	if (!n)
		return 0;
	*ran = calloc(n, sizeof(**ran));
	if (!*ran)
		return -ENOMEM;
	if (pread(s->journal_fd, *ran, n * sizeof(v), sizeof(v)) != (ssize_t)(n * sizeof(v))) {
		free(*ran);
		*ran = NULL;
		return store_set_err(s, -EIO, "%s/%s: short read", s->dir, STORE_JOURNAL_NAME);
	}
	*n_ran = n;
	return 0;
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
