/* Unit tests of the state store (src/store): every test works in its own
 * temporary directory under /tmp, removed afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model/addr.h"
#include "store/store.h"

struct fixture {
	char tmp[64];          /* the mkdtemp directory */
	char dir[128];         /* the state dir inside it (not created) */
	char db[192];          /* dir/jail6.db */
	char err[512];
	struct store *s;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/jail6-test-store-XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/var/lib/jail6", f->tmp);
	snprintf(f->db, sizeof(f->db), "%s/jail6.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Open f->dir for writing (short lock timeout) and assert success. */
static struct store *open_rw(struct fixture *f)
{
	int rc = store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err));

	if (rc != 0)
		print_error("store_open: %s\n", f->err);
	assert_int_equal(rc, 0);
	assert_non_null(f->s);
	return f->s;
}

static void reopen(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	open_rw(f);
}

static struct addr A(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL), 0);
	return a;
}

/* Assert that a equals the text form want ("2001:db8::2/64"). */
static void assert_addr(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

/* Run SQL on a database file with a plain SQLite connection. */
static void raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("sqlite: %s\n", msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	assert_int_equal(rc, SQLITE_OK);
}

/* The single text answer of a query on a database file. */
static void raw_query(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* 1. A missing state dir is created 0700 with a WAL database at the latest
 * schema version, 0600. */
static void test_open_creates(void **state)
{
	struct fixture *f = *state;
	char buf[64], lock[256];
	struct stat st;

	open_rw(f);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	snprintf(lock, sizeof(lock), "%s/lock", f->dir);
	assert_int_equal(stat(lock, &st), 0);
	assert_string_equal(store_path(f->s), f->db);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	store_close(f->s);
	f->s = NULL;
	raw_query(f->db, "PRAGMA journal_mode", buf, sizeof(buf));
	assert_string_equal(buf, "wal");
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_int_equal(atoi(buf), STORE_SCHEMA_VERSION);
}

/* 2. A state dir path that is a file is refused, naming it. */
static void test_open_not_a_dir(void **state)
{
	struct fixture *f = *state;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/file", f->tmp);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(path, STORE_WRITE, 0, &f->s, f->err, sizeof(f->err)),
			 -ENOTDIR);
	assert_null(f->s);
	assert_non_null(strstr(f->err, path));
}

/* A record as the pointer the ownership calls take. */
#define REF(x) ((const struct store_own[]){ x })

static int count_own(const struct store_own *o, void *ctx)
{
	(void)o;
	(*(int *)ctx)++;
	return 0;
}

/* 3. Everything written survives close and reopen. */
static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store_jail j = { .name = "web", .state = STORE_JAIL_RUNNING,
				.hostname = "web.example", .path = "/jails/web" };
	struct addr p = A("2001:db8:1::/64"), r = A("2001:db8:1::1"), got;
	int n = 0;

	open_rw(f);
	assert_int_equal(store_own_add(f->s, REF(store_own_link("", "bridge0"))), 0);
	assert_int_equal(store_jail_put(f->s, &j), 0);
	assert_int_equal(store_event(f->s, "apply: %d actions", 7), 0);
	assert_int_equal(store_ipam_lease(f->s, "web", "e0", 0, &p, &r, 1, &got), 0);
	assert_addr(&got, "2001:db8:1::2/64");
	reopen(f);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "bridge0"))), 1);
	assert_int_equal(store_own_list(f->s, -1, NULL, count_own, &n), 0);
	assert_int_equal(n, 1);
	memset(&j, 0, sizeof(j));
	assert_int_equal(store_jail_get(f->s, "web", &j), 0);
	assert_string_equal(j.hostname, "web.example");
	assert_string_equal(j.path, "/jails/web");
	assert_int_equal(j.state, STORE_JAIL_RUNNING);
	assert_int_equal(store_ipam_lookup(f->s, "web", "e0", 0, &got), 0);
	assert_addr(&got, "2001:db8:1::2/64");
}

struct own_seen {
	char text[8][128];
	int n;
};

static int collect_own(const struct store_own *o, void *ctx)
{
	struct own_seen *seen = ctx;
	char d[128];

	if (seen->n < 8)
		snprintf(seen->text[seen->n++], sizeof(seen->text[0]), "%s|%s|%#x",
			 store_own_describe(o, d, sizeof(d)), o->has_detail ? o->detail : "-", o->flags);
	return 0;
}

/* The schema as version 1 shipped it, written by hand. */
static const char v1_schema[] =
	"CREATE TABLE own ("
	" kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl')),"
	" ns TEXT NOT NULL DEFAULT '', name TEXT NOT NULL CHECK (name <> ''),"
	" detail TEXT, created_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, ns, name)) WITHOUT ROWID;"
	"CREATE TABLE jail ("
	" name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),"
	" state TEXT NOT NULL CHECK (state IN ('created','running','stopped')),"
	" hostname TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL, text TEXT NOT NULL);"
	"INSERT INTO own VALUES ('link', '', 'epair1a', NULL, 1700000000);"
	"INSERT INTO own VALUES ('addr', 'ClamAV_Dev', 'epair1b 2001:470:8142:1::3/64', NULL, 1700000000);"
	"INSERT INTO jail VALUES ('ClamAV_Dev', 'running', 'clamav', '', 1700000000);"
	"INSERT INTO event (time, text) VALUES (1700000000, 'created by v1');"
	"PRAGMA user_version = 1;";

static int first_event(const struct store_event_rec *e, void *ctx)
{
	snprintf(ctx, 64, "%s", e->text);
	return 1; /* stop after one */
}

/* 4. A version-1 database is migrated to the latest version, keeping its
 * rows, and the newer tables work. */
static void test_migrate_from_v1(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:470:8142:1::/64"), r = A("2001:470:8142:1::1"), got;
	struct addr a = A("2001:470:8142:1::3/64");
	struct store_jail j;
	char buf[128] = "";

	snprintf(buf, sizeof(buf), "%s/var", f->tmp);
	assert_int_equal(mkdir(buf, 0755), 0);
	snprintf(buf, sizeof(buf), "%s/var/lib", f->tmp);
	assert_int_equal(mkdir(buf, 0755), 0);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	raw_sql(f->db, v1_schema);
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_string_equal(buf, "1");

	open_rw(f);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "epair1a"))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("ClamAV_Dev", "epair1b", &a))), 1);
	assert_int_equal(store_jail_get(f->s, "ClamAV_Dev", &j), 0);
	assert_string_equal(j.hostname, "clamav");
	assert_int_equal(store_event_list(f->s, 0, first_event, buf), 1);
	assert_string_equal(buf, "created by v1");
	/* the IPAM table arrived with version 2 */
	assert_int_equal(store_ipam_lease(f->s, "ClamAV_Dev", "epair1", 0, &p, &r, 1, &got), 0);
	assert_addr(&got, "2001:470:8142:1::2/64");
	store_close(f->s);
	f->s = NULL;
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_int_equal(atoi(buf), STORE_SCHEMA_VERSION);
	raw_query(f->db, "SELECT count(*) FROM ipam_lease", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	/* and the id-range table with version 4 */
	raw_query(f->db, "SELECT count(*) FROM idmap_lease", buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

/* The tables as version 2 shipped them, with the records a v2 apply of
 * the seed left: ownership as text, the start-pending detail. */
static const char v2_db[] =
	"CREATE TABLE own ("
	" kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl')),"
	" ns TEXT NOT NULL DEFAULT '', name TEXT NOT NULL CHECK (name <> ''),"
	" detail TEXT, created_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, ns, name)) WITHOUT ROWID;"
	"CREATE TABLE jail ("
	" name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),"
	" state TEXT NOT NULL CHECK (state IN ('created','running','stopped')),"
	" hostname TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL, text TEXT NOT NULL);"
	"CREATE TABLE ipam_lease (jail TEXT NOT NULL CHECK (jail <> ''),"
	" iface TEXT NOT NULL CHECK (iface <> ''), slot INTEGER NOT NULL CHECK (slot >= 0),"
	" prefix TEXT NOT NULL, idx INTEGER NOT NULL CHECK (idx >= 1), addr TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, PRIMARY KEY (jail, iface, slot), UNIQUE (prefix, idx));"
	"INSERT INTO own VALUES ('link', '', 'bridge0', NULL, 1700000001);"
	"INSERT INTO own VALUES ('link', 'www', 'epair1b', NULL, 1700000002);"
	"INSERT INTO own VALUES ('addr', '', 'bridge0 2001:db8:1::1/64', NULL, 1700000003);"
	"INSERT INTO own VALUES ('addr', 'www', 'epair1b 2001:db8:1::3/64', NULL, 1700000004);"
	"INSERT INTO own VALUES ('addr', '', 'he0 192.0.2.9/30', NULL, 1700000005);"
	"INSERT INTO own VALUES ('route', 'www', '::/0', NULL, 1700000006);"
	"INSERT INTO own VALUES ('route', '', '72.52.104.74/32', NULL, 1700000007);"
	"INSERT INTO own VALUES ('jail', '', 'www', 'exec.start pending', 1700000008);"
	"INSERT INTO own VALUES ('jail', '', 'db', NULL, 1700000009);"
	"INSERT INTO own VALUES ('sysctl', '', 'ipv6.forwarding', '0', 1700000010);"
	"INSERT INTO ipam_lease VALUES ('db', 'epair2', 0, '2001:db8:1::/64', 2,"
	" '2001:db8:1::2/64', 1700000011);"
	"PRAGMA user_version = 2;";

/* Make f's state dir (its parents first) and write sql into a new db. */
static void make_db(struct fixture *f, const char *sql)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s/var", f->tmp);
	assert_int_equal(mkdir(buf, 0755), 0);
	snprintf(buf, sizeof(buf), "%s/var/lib", f->tmp);
	assert_int_equal(mkdir(buf, 0755), 0);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	raw_sql(f->db, sql);
}

/* 4b. A version-2 database (ownership as text) becomes typed records: the
 * address "IFNAME ADDR/PLEN" splits into interface and address, routes
 * keep their prefix, the start-pending detail becomes a flag, the sysctl
 * keeps its old value, leases and creation times stay. */
static void test_migrate_from_v2(void **state)
{
	struct fixture *f = *state;
	struct addr a1 = A("2001:db8:1::1/64"), a3 = A("2001:db8:1::3/64"), a4 = A("192.0.2.9/30");
	struct addr dflt = A("::/0"), host = A("72.52.104.74/32"), got;
	struct own_seen seen = { 0 };

	make_db(f, v2_db);
	open_rw(f);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "bridge0"))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("www", "epair1b"))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("", "bridge0", &a1))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("www", "epair1b", &a3))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("", "he0", &a4))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_route("www", &dflt))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_route("", &host))), 1);
	assert_int_equal(store_own_list(f->s, STORE_OWN_JAIL, NULL, collect_own, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "jail db|-|0");
	assert_string_equal(seen.text[1], "jail www|-|0x1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_own_list(f->s, STORE_OWN_SYSCTL, NULL, collect_own, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "sysctl ipv6.forwarding|0|0");
	assert_int_equal(store_ipam_lookup(f->s, "db", "epair2", 0, &got), 0);
	assert_addr(&got, "2001:db8:1::2/64");
	store_close(f->s);
	f->s = NULL;
	char buf[64];
	/* ten, and version 5's filter record for a store that had jails */
	raw_query(f->db, "SELECT count(*) FROM own", buf, sizeof(buf));
	assert_string_equal(buf, "11");
	raw_query(f->db, "SELECT count(*) FROM own WHERE kind = 'filter' AND name = 'jail6'", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	raw_query(f->db, "SELECT min(created_at) FROM own", buf, sizeof(buf));
	assert_string_equal(buf, "1700000001");
}

/* 4c. A version-2 record that does not parse stops the migration, which
 * rolls back: the database stays at version 2, and the message names it. */
static void test_migrate_v2_bad_record(void **state)
{
	struct fixture *f = *state;
	char sql[sizeof(v2_db) + 128], buf[64];

	snprintf(sql, sizeof(sql), "%s INSERT INTO own VALUES ('addr', '', 'bridge0 not-an-address', NULL, 1);", v2_db);
	make_db(f, sql);
	assert_int_equal(store_open(f->dir, STORE_WRITE, 0, &f->s, f->err, sizeof(f->err)), -EIO);
	assert_non_null(strstr(f->err, "bridge0 not-an-address"));
	assert_non_null(strstr(f->err, "jail6.db"));
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_string_equal(buf, "2");
	raw_query(f->db, "SELECT count(*) FROM own", buf, sizeof(buf));
	assert_string_equal(buf, "11");
}

/* 4d. A version-3 database gains the id-range table in place; what it
 * held stays. (Dropping the table and the version number gives what
 * version 3 wrote but for own's CHECK on kinds, which version 5 widens and
 * makes anew from any shape.) */
static void test_migrate_from_v3(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), r = A("2001:db8:1::1"), got;
	struct store_idmap l;
	char buf[64];

	open_rw(f);
	assert_int_equal(store_own_add(f->s, REF(store_own_link("", "bridge0"))), 0);
	assert_int_equal(store_ipam_lease(f->s, "www", "epair1", 0, &p, &r, 1, &got), 0);
	store_close(f->s);
	f->s = NULL;
	raw_sql(f->db, "DROP TABLE idmap_lease; PRAGMA user_version = 3;");
	open_rw(f);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "bridge0"))), 1);
	assert_int_equal(store_ipam_lookup(f->s, "www", "epair1", 0, &got), 0);
	assert_addr(&got, "2001:db8:1::2/64");
	assert_int_equal(store_idmap_get(f->s, "www", &l), -ENOENT);
	assert_int_equal(store_idmap_lease(f->s, "www", 1000000000u, 65536), 0);
	store_close(f->s);
	f->s = NULL;
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_string_equal(buf, "5");
	raw_query(f->db, "SELECT base || '+' || count FROM idmap_lease WHERE jail = 'www'", buf, sizeof(buf));
	assert_string_equal(buf, "1000000000+65536");
	/* no jail recorded: no port filter can have been made */
	raw_query(f->db, "SELECT count(*) FROM own WHERE kind = 'filter'", buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

/* own as version 4 made it (version 3's table): no 'filter' kind. */
#define OWN_V4                                                                                      \
	"CREATE TABLE own ("                                                                        \
	" kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl')),"              \
	" ns TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',"                              \
	" ifname TEXT NOT NULL DEFAULT '',"                                                         \
	" family INTEGER NOT NULL DEFAULT 0 CHECK (family IN (0, 4, 6)),"                          \
	" addr BLOB NOT NULL DEFAULT x'', plen INTEGER NOT NULL DEFAULT -1, detail TEXT,"          \
	" flags INTEGER NOT NULL DEFAULT 0, ident INTEGER NOT NULL DEFAULT 0,"                     \
	" seq INTEGER NOT NULL DEFAULT -1, created_at INTEGER NOT NULL,"                           \
	" CHECK ((kind IN ('addr','route')) = (family <> 0)),"                                     \
	" CHECK ((kind IN ('addr','route')) = (name = '')),"                                       \
	" CHECK ((kind = 'addr') = (ifname <> '')),"                                               \
	" PRIMARY KEY (kind, ns, name, ifname, family, addr, plen)) WITHOUT ROWID;"

/* 4e. Version 5: a version-4 store that had jails (it may have made the
 * port filter, known then by its comment only) gets the filter record,
 * to be kept or forgotten by the next observe; every record stays as it
 * was; the new kind is accepted. */
static void test_migrate_from_v4(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	open_rw(f);
	store_close(f->s);
	f->s = NULL;
	raw_sql(f->db, "DROP TABLE own;" OWN_V4
		"INSERT INTO own (kind, ns, name, flags, ident, created_at) VALUES ('jail', '', 'www', 1, 42, 1700000001);"
		"INSERT INTO own (kind, ns, name, ident, created_at) VALUES ('link', '', 'wwwa', 7, 1700000002);"
		"PRAGMA user_version = 4;");
	open_rw(f);
	assert_int_equal(store_schema_version(f->s), 5);
	assert_int_equal(store_own_has(f->s, REF(store_own_filter())), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("www"))), 1);
	assert_int_equal(store_own_del(f->s, REF(store_own_filter())), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_filter())), 0);
	store_close(f->s);
	f->s = NULL;
	raw_query(f->db, "SELECT flags || ' ' || ident || ' ' || created_at FROM own WHERE kind = 'jail'", buf,
		  sizeof(buf));
	assert_string_equal(buf, "1 42 1700000001");
	raw_query(f->db, "SELECT ident FROM own WHERE kind = 'link' AND name = 'wwwa'", buf, sizeof(buf));
	assert_string_equal(buf, "7");
}

/* 5. A database from a newer jail6 is refused with a message naming it, and
 * left untouched. */
static void test_newer_version(void **state)
{
	struct fixture *f = *state;
	char sql[64], buf[16];

	open_rw(f);
	store_close(f->s);
	f->s = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	raw_sql(f->db, sql);
	assert_int_equal(store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err)),
			 -EPROTO);
	assert_null(f->s);
	assert_non_null(strstr(f->err, f->db));
	assert_non_null(strstr(f->err, "newer"));
	raw_query(f->db, "PRAGMA user_version", buf, sizeof(buf));
	assert_int_equal(atoi(buf), STORE_SCHEMA_VERSION + 1);
}

/* Overwrite len bytes of path at off with a pattern. */
static void scribble(const char *path, off_t off, size_t len)
{
	unsigned char junk[4096];
	int fd;

	assert_true(len <= sizeof(junk));
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, len, off), (ssize_t)len);
	close(fd);
}

/* 5b. A state dir whose jail6.db exists but is empty (0 bytes, no WAL) or
 * is another program's database is refused with a message naming it, and
 * left as it is: never taken as a new store. A half-made new store (a
 * leftover jail6.db.new of a killed run) is made again. */
static void test_not_a_store(void **state)
{
	struct fixture *f = *state;
	char tmp[512], buf[64];
	struct stat st;
	int fd;

	make_db(f, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
	assert_int_equal(store_open(f->dir, STORE_WRITE, 0, &f->s, f->err, sizeof(f->err)), -EIO);
	assert_null(f->s);
	assert_non_null(strstr(f->err, f->db));
	assert_non_null(strstr(f->err, "not a jail6 store"));
	raw_query(f->db, "SELECT count(*) FROM t", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	assert_int_equal(store_open(f->dir, STORE_READONLY, 0, &f->s, f->err, sizeof(f->err)), -EIO);

	assert_int_equal(truncate(f->db, 0), 0);
	assert_int_equal(store_open(f->dir, STORE_WRITE, 0, &f->s, f->err, sizeof(f->err)), -EIO);
	assert_non_null(strstr(f->err, "empty file, not a jail6 store"));
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_size, 0);

	assert_int_equal(unlink(f->db), 0);
	snprintf(tmp, sizeof(tmp), "%s.new", f->db);
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	open_rw(f);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(stat(tmp, &st), -1);
}

/* 5c. The journal: -1 without one, then what was written (the action that
 * started, those that ran), across opens; -1 empties the list. */
static void test_journal(void **state)
{
	struct fixture *f = *state;
	int64_t v, *ran = NULL;
	size_t n;

	open_rw(f);
	assert_int_equal(store_journal_get(f->s, &v, &ran, &n), 0);
	assert_true(v == -1 && !ran && n == 0);
	assert_int_equal(store_journal_set(f->s, 41), 0);
	assert_int_equal(store_journal_get(f->s, &v, &ran, &n), 0);
	assert_true(v == 41 && n == 0);
	assert_int_equal(store_journal_ran(f->s, 0, 40), 0);
	assert_int_equal(store_journal_ran(f->s, 1, 7), 0);
	reopen(f);
	assert_int_equal(store_journal_get(f->s, &v, &ran, &n), 0);
	assert_true(v == 41);
	assert_int_equal(n, 2);
	assert_true(ran[0] == 40 && ran[1] == 7);
	free(ran);
	assert_int_equal(store_journal_set(f->s, -1), 0);
	assert_int_equal(store_journal_set(f->s, 2), 0);
	assert_int_equal(store_journal_get(f->s, &v, &ran, &n), 0);
	assert_true(v == 2 && n == 0 && !ran);
	assert_int_equal(store_journal_set(f->s, -1), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->dir, STORE_READONLY, 0, &f->s, NULL, 0), 0);
	assert_int_equal(store_journal_get(f->s, &v, &ran, &n), 0);
	assert_true(v == -1 && n == 0);
	assert_int_equal(store_journal_set(f->s, 3), -EROFS);
	assert_int_equal(store_journal_ran(f->s, 0, 3), -EROFS);
}

/* 6. A database damaged in the middle is reported as corrupt (not a crash),
 * naming the file; so is a file that is no database at all. */
static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	int i, rc;

	open_rw(f);
	assert_int_equal(store_begin(f->s), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(store_event(f->s, "event %d with some padding to fill pages "
					     "................................", i), 0);
	assert_int_equal(store_commit(f->s), 0);
	store_close(f->s); /* checkpoints the WAL into the file */
	f->s = NULL;
	assert_int_equal(stat(f->db, &st), 0);
	assert_true(st.st_size > 16 * 4096);
	scribble(f->db, (st.st_size / 2) & ~(off_t)4095, 4096);

	rc = store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err));
	assert_int_equal(rc, -EIO);
	assert_null(f->s);
	assert_non_null(strstr(f->err, f->db));
	assert_non_null(strstr(f->err, "corrupt"));

	/* the header destroyed too: SQLite no longer sees a database */
	scribble(f->db, 0, 100);
	rc = store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err));
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(f->err, f->db));
}

/* Child side of the lock tests: hold the store until told to go, then wait
 * delay_ms and release it. Never returns. */
static void child_hold(const char *dir, int ready_fd, int go_fd, int delay_ms)
{
	struct store *s = NULL;
	char c = 0;

	if (store_open(dir, STORE_WRITE, 0, &s, NULL, 0) != 0)
		_exit(2);
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	if (read(go_fd, &c, 1) != 1)
		_exit(4);
	if (delay_ms)
		nanosleep(&(struct timespec){ 0, delay_ms * 1000000L }, NULL);
	store_close(s);
	_exit(0);
}

/* Fork a child that holds the write lock; returns its pid once it does. */
static pid_t fork_holder(struct fixture *f, int delay_ms, int *go_fd)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child_hold(f->dir, ready[1], go[0], delay_ms);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*go_fd = go[1];
	return pid;
}

/* 7. While another process holds the state dir, a second run waits for its
 * timeout, fails with -ETIMEDOUT naming the holder's pid, and gets the lock
 * once the holder is gone. */
static void test_lock_timeout(void **state)
{
	struct fixture *f = *state;
	char want[64];
	int go, status, rc;
	pid_t pid;

	open_rw(f); /* create the dir and db first */
	store_close(f->s);
	f->s = NULL;

	pid = fork_holder(f, 0, &go);
	rc = store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_null(f->s);
	snprintf(want, sizeof(want), "(pid %ld)", (long)pid);
	assert_non_null(strstr(f->err, want));
	assert_non_null(strstr(f->err, f->dir));
	assert_non_null(strstr(f->err, "locked by another jail6 run"));
	/* readers are kept out by a writer as well */
	assert_int_equal(store_open(f->dir, STORE_READONLY, 50, &f->s, NULL, 0), -ETIMEDOUT);

	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	open_rw(f);
}

/* 8. A waiter gets the lock as soon as the holder releases it within the
 * waiter's timeout. */
static void test_lock_wait_then_acquire(void **state)
{
	struct fixture *f = *state;
	int go, status, rc;
	pid_t pid;

	pid = fork_holder(f, 150, &go);
	assert_int_equal(write(go, "g", 1), 1); /* releases 150 ms from now */
	close(go);
	rc = store_open(f->dir, STORE_WRITE, 5000, &f->s, f->err, sizeof(f->err));
	if (rc)
		print_error("store_open: %s\n", f->err);
	assert_int_equal(rc, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* 9. Read-only opens share the lock, cannot write, and need an existing db. */
static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct store *r1 = NULL, *r2 = NULL, *w = NULL;

	assert_int_equal(store_open(f->dir, STORE_READONLY, 0, &r1, f->err, sizeof(f->err)),
			 -ENOENT);
	assert_non_null(strstr(f->err, f->dir));
	open_rw(f);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("web"))), 0);
	store_close(f->s);
	f->s = NULL;

	assert_int_equal(store_open(f->dir, STORE_READONLY, 0, &r1, NULL, 0), 0);
	assert_int_equal(store_open(f->dir, STORE_READONLY, 0, &r2, NULL, 0), 0);
	assert_int_equal(store_own_has(r1, REF(store_own_jail("web"))), 1);
	assert_int_equal(store_own_has(r2, REF(store_own_jail("web"))), 1);
	assert_int_equal(store_own_add(r1, REF(store_own_jail("db"))), -EROFS);
	/* a writer (another open file description) must wait for the readers */
	assert_int_equal(store_open(f->dir, STORE_WRITE, 50, &w, f->err, sizeof(f->err)),
			 -ETIMEDOUT);
	assert_null(w);
	store_close(r1);
	store_close(r2);
	open_rw(f);
}

/* 10. Ownership records, typed: add (idempotent, detail and flags
 * updated), has, list with filters and in key order, delete, and records
 * whose kind's key is missing or malformed. */
static void test_own(void **state)
{
	struct fixture *f = *state;
	struct own_seen seen = { 0 };
	struct addr a6 = A("2001:db8::3/64"), a4 = A("192.0.2.7/24"), rt = A("72.52.104.74/32"), bad;
	struct store_own o;

	open_rw(f);
	assert_int_equal(store_own_add(f->s, REF(store_own_link("", "bridge0"))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_link("", "epair1a"))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_route("", &rt))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_addr("web", "eth0", &a6))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_addr("web", "eth0", &a4))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_sysctl("", "ipv6.forwarding", "0"))), 0);
	o = store_own_jail("web");
	o.flags = STORE_OWN_F_START_PENDING;
	assert_int_equal(store_own_add(f->s, &o), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_sysctl("", "ipv6.forwarding", "1"))), 0);

	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "bridge0"))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("web", "bridge0"))), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("bridge0"))), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("web", "eth0", &a6))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("web", "eth1", &a6))), 0);
	/* another prefix length is another record */
	bad = a6;
	bad.plen = 128;
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("web", "eth0", &bad))), 0);

	assert_int_equal(store_own_list(f->s, -1, NULL, collect_own, &seen), 0);
	assert_int_equal(seen.n, 7);
	assert_string_equal(seen.text[0], "addr web:eth0 192.0.2.7/24|-|0");
	assert_string_equal(seen.text[1], "addr web:eth0 2001:db8::3/64|-|0");
	assert_string_equal(seen.text[2], "jail web|-|0x1");
	assert_string_equal(seen.text[3], "link bridge0|-|0");
	assert_string_equal(seen.text[4], "link epair1a|-|0");
	assert_string_equal(seen.text[5], "route 72.52.104.74/32|-|0");
	assert_string_equal(seen.text[6], "sysctl ipv6.forwarding|1|0");

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_own_list(f->s, STORE_OWN_LINK, NULL, collect_own, &seen), 0);
	assert_int_equal(seen.n, 2);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_own_list(f->s, -1, "web", collect_own, &seen), 0);
	assert_int_equal(seen.n, 2);

	assert_int_equal(store_own_del(f->s, REF(store_own_link("", "epair1a"))), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_link("", "epair1a"))), 0);
	assert_int_equal(store_own_del(f->s, REF(store_own_link("", "epair1a"))), -ENOENT);
	assert_int_equal(store_own_del(f->s, REF(store_own_addr("web", "eth0", &a4))), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_addr("web", "eth0", &a6))), 1);

	o = store_own_link("", "x");
	o.kind = (enum store_own_kind)42;
	assert_int_equal(store_own_add(f->s, &o), -EINVAL);
	assert_int_equal(store_own_add(f->s, REF(store_own_link("", ""))), -EINVAL);
	assert_int_equal(store_own_add(f->s, REF(store_own_addr("web", "", &a6))), -EINVAL);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(store_own_add(f->s, REF(store_own_route("", &bad))), -EINVAL);
	bad = a6;
	bad.plen = 129;
	assert_int_equal(store_own_add(f->s, REF(store_own_addr("web", "eth0", &bad))), -EINVAL);
	o = store_own_link("", "x");
	o.addr = a6;
	assert_int_equal(store_own_add(f->s, &o), -EINVAL);
	assert_int_equal(store_own_list(f->s, 42, NULL, collect_own, &seen), -EINVAL);
}

static int stop_at_second(const struct store_own *o, void *ctx)
{
	(void)o;
	return ++*(int *)ctx == 2 ? 77 : 0;
}

/* 11. A callback's non-zero return stops a walk and is returned. */
static void test_list_stops(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	open_rw(f);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("a"))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("b"))), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("c"))), 0);
	assert_int_equal(store_own_list(f->s, -1, NULL, stop_at_second, &n), 77);
	assert_int_equal(n, 2);
}

static int jail_names(const struct store_jail *j, void *ctx)
{
	strcat(ctx, j->name);
	strcat(ctx, ":");
	strcat(ctx, store_jail_state_name(j->state));
	strcat(ctx, " ");
	return 0;
}

/* 12. Jail records: put, get, change state, list, delete. */
static void test_jail_records(void **state)
{
	struct fixture *f = *state;
	struct store_jail j = { .name = "db", .state = STORE_JAIL_CREATED };
	char names[128] = "";

	open_rw(f);
	assert_int_equal(store_jail_put(f->s, &j), 0);
	snprintf(j.name, sizeof(j.name), "ClamAV_Dev");
	snprintf(j.hostname, sizeof(j.hostname), "clamav.example");
	j.state = STORE_JAIL_RUNNING;
	assert_int_equal(store_jail_put(f->s, &j), 0);
	assert_int_equal(store_jail_set_state(f->s, "db", STORE_JAIL_STOPPED), 0);
	assert_int_equal(store_jail_set_state(f->s, "nope", STORE_JAIL_STOPPED), -ENOENT);
	assert_int_equal(store_jail_list(f->s, jail_names, names), 0);
	assert_string_equal(names, "ClamAV_Dev:running db:stopped ");

	memset(&j, 0, sizeof(j));
	assert_int_equal(store_jail_get(f->s, "ClamAV_Dev", &j), 0);
	assert_string_equal(j.name, "ClamAV_Dev");
	assert_string_equal(j.hostname, "clamav.example");
	assert_string_equal(j.path, "");
	assert_true(j.updated_at > 0);

	assert_int_equal(store_jail_del(f->s, "ClamAV_Dev"), 0);
	assert_int_equal(store_jail_get(f->s, "ClamAV_Dev", &j), -ENOENT);
	assert_int_equal(store_jail_del(f->s, "ClamAV_Dev"), -ENOENT);
	j.state = (enum store_jail_state)9;
	snprintf(j.name, sizeof(j.name), "x");
	assert_int_equal(store_jail_put(f->s, &j), -EINVAL);
}

struct ev_seen {
	int n;
	int64_t last_id;
	char first[64], last[64];
	int ordered;
};

static int collect_ev(const struct store_event_rec *e, void *ctx)
{
	struct ev_seen *v = ctx;

	if (v->n == 0)
		snprintf(v->first, sizeof(v->first), "%s", e->text);
	else if (e->id <= v->last_id)
		v->ordered = 0;
	snprintf(v->last, sizeof(v->last), "%s", e->text);
	v->last_id = e->id;
	v->n++;
	return 0;
}

/* 13. The event log keeps only the last STORE_EVENT_KEEP entries, listed
 * oldest first; a limit returns the newest ones. */
static void test_events_bounded(void **state)
{
	struct fixture *f = *state;
	struct ev_seen v = { .ordered = 1 };
	char want[64];
	int i;

	open_rw(f);
	assert_int_equal(store_begin(f->s), 0);
	for (i = 0; i < STORE_EVENT_KEEP + 25; i++)
		assert_int_equal(store_event(f->s, "event %d", i), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_event_list(f->s, 0, collect_ev, &v), 0);
	assert_int_equal(v.n, STORE_EVENT_KEEP);
	assert_true(v.ordered);
	assert_string_equal(v.first, "event 25");
	snprintf(want, sizeof(want), "event %d", STORE_EVENT_KEEP + 24);
	assert_string_equal(v.last, want);

	memset(&v, 0, sizeof(v));
	v.ordered = 1;
	assert_int_equal(store_event_list(f->s, 3, collect_ev, &v), 0);
	assert_int_equal(v.n, 3);
	assert_true(v.ordered);
	snprintf(want, sizeof(want), "event %d", STORE_EVENT_KEEP + 22);
	assert_string_equal(v.first, want);
}

/* 14. Transactions: rollback drops, commit keeps, nested levels undo only
 * their own part. */
static void test_transactions(void **state)
{
	struct fixture *f = *state;

	open_rw(f);
	assert_int_equal(store_commit(f->s), -EINVAL);
	assert_int_equal(store_rollback(f->s), -EINVAL);

	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("gone"))), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("gone"))), 0);

	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("outer"))), 0);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("inner"))), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("inner2"))), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_commit(f->s), 0);
	reopen(f);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("outer"))), 1);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("inner"))), 0);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("inner2"))), 1);

	/* an unfinished transaction is abandoned by close */
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("uncommitted"))), 0);
	reopen(f);
	assert_int_equal(store_own_has(f->s, REF(store_own_jail("uncommitted"))), 0);
}

/* Lease and assert the result in one line. */
static void lease_is(struct store *s, const char *jail, const char *iface, int slot,
		     const struct addr *p, const struct addr *res, size_t n_res,
		     const char *want)
{
	struct addr got;
	int rc = store_ipam_lease(s, jail, iface, slot, p, res, n_res, &got);

	if (rc)
		print_error("lease %s/%s/%d: %s\n", jail, iface, slot, store_errmsg(s));
	assert_int_equal(rc, 0);
	assert_addr(&got, want);
}

/* 15. Leases take the lowest free index, skipping the network address and
 * the bridge's own, and stay put when asked again. */
static void test_ipam_lowest_free(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), bridge = A("2001:db8:1::1/64");

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::3/64");
	lease_is(f->s, "a", "e0", 1, &p, &bridge, 1, "2001:db8:1::4/64");
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::3/64");
	/* the prefix may be given as the bridge's address with its length */
	lease_is(f->s, "a", "e0", 1, &bridge, &bridge, 1, "2001:db8:1::4/64");
	/* without reserved addresses ::1 is free */
	lease_is(f->s, "c", "e0", 0, &p, NULL, 0, "2001:db8:1::1/64");
}

/* 16. A lease survives other jails coming and going. */
static void test_ipam_stable(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), bridge = A("2001:db8:1::1");

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::3/64");
	assert_int_equal(store_ipam_release_jail(f->s, "a"), 1);
	lease_is(f->s, "c", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::3/64");
	reopen(f);
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::3/64");
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8:1::4/64");
}

/* 17. Reserved (bridge and static) addresses are never leased; a lease that
 * became reserved moves to the lowest free address. */
static void test_ipam_reserved(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), got;
	struct addr res[4] = { A("2001:db8:1::4/64"), A("2001:db8:1::1"), A("2001:db8:1::2"),
			       A("2001:db8:2::3") /* another prefix: ignored */ };
	struct addr res2[5] = { res[0], res[1], res[2], res[3], A("2001:db8:1::6") };

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, res, 4, "2001:db8:1::3/64");
	lease_is(f->s, "b", "e0", 0, &p, res, 4, "2001:db8:1::5/64");
	lease_is(f->s, "c", "e0", 0, &p, res, 4, "2001:db8:1::6/64");
	lease_is(f->s, "c", "e0", 0, &p, res2, 5, "2001:db8:1::7/64");
	assert_int_equal(store_ipam_lookup(f->s, "c", "e0", 0, &got), 0);
	assert_addr(&got, "2001:db8:1::7/64");
	lease_is(f->s, "a", "e0", 0, &p, res2, 5, "2001:db8:1::3/64");
}

struct lease_seen {
	int n;
	char text[8][96];
};

static int collect_lease(const struct store_lease *l, void *ctx)
{
	struct lease_seen *v = ctx;
	char a[ADDR_STRLEN];

	if (v->n < 8)
		snprintf(v->text[v->n], sizeof(v->text[0]), "%s %s %d %s", l->jail, l->iface,
			 l->slot, addr_format(&l->addr, a, sizeof(a)));
	v->n++;
	return 0;
}

/* 18. Destroying a jail releases all its leases and nothing else. */
static void test_ipam_release(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), bridge = A("2001:db8:1::1"), got;
	struct lease_seen v = { 0 };

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
	lease_is(f->s, "a", "e0", 1, &p, &bridge, 1, "2001:db8:1::3/64");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8:1::4/64");
	lease_is(f->s, "a", "e1", 0, &p, &bridge, 1, "2001:db8:1::5/64");
	assert_int_equal(store_ipam_list(f->s, "a", collect_lease, &v), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.text[0], "a e0 0 2001:db8:1::2/64");
	assert_string_equal(v.text[1], "a e0 1 2001:db8:1::3/64");
	assert_string_equal(v.text[2], "a e1 0 2001:db8:1::5/64");

	assert_int_equal(store_ipam_release_jail(f->s, "a"), 3);
	assert_int_equal(store_ipam_release_jail(f->s, "a"), 0);
	assert_int_equal(store_ipam_lookup(f->s, "a", "e0", 0, &got), -ENOENT);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_ipam_list(f->s, NULL, collect_lease, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.text[0], "b e0 0 2001:db8:1::4/64");

	assert_int_equal(store_ipam_release(f->s, "b", "e0", 0), 0);
	assert_int_equal(store_ipam_release(f->s, "b", "e0", 0), -ENOENT);
	lease_is(f->s, "d", "e0", 0, &p, &bridge, 1, "2001:db8:1::2/64");
}

/* 19. A full prefix fails with -ENOSPC and changes nothing. */
static void test_ipam_full(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8::/126"), bridge = A("2001:db8::1"), got;
	struct addr p4 = A("192.0.2.0/30"), gw4 = A("192.0.2.1");
	struct lease_seen v = { 0 };

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, &bridge, 1, "2001:db8::2/126");
	lease_is(f->s, "b", "e0", 0, &p, &bridge, 1, "2001:db8::3/126");
	assert_int_equal(store_ipam_lease(f->s, "c", "e0", 0, &p, &bridge, 1, &got), -ENOSPC);
	assert_non_null(strstr(store_errmsg(f->s), "2001:db8::/126"));
	assert_int_equal(store_ipam_list(f->s, NULL, collect_lease, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(store_ipam_lookup(f->s, "c", "e0", 0, &got), -ENOENT);
	assert_int_equal(store_ipam_release_jail(f->s, "a"), 1);
	lease_is(f->s, "c", "e0", 0, &p, &bridge, 1, "2001:db8::2/126");

	/* IPv4: neither the network nor the broadcast address */
	lease_is(f->s, "a", "e0", 0, &p4, &gw4, 1, "192.0.2.2/30");
	assert_int_equal(store_ipam_lease(f->s, "b4", "e0", 0, &p4, &gw4, 1, &got), -ENOSPC);
	/* a /128 has no room at all */
	p = A("2001:db8::5/128");
	assert_int_equal(store_ipam_lease(f->s, "z", "e0", 0, &p, NULL, 0, &got), -ENOSPC);
}

/* 20. A lease whose prefix changed moves into the new prefix and frees its
 * old index. */
static void test_ipam_prefix_change(void **state)
{
	struct fixture *f = *state;
	struct addr p1 = A("2001:db8:1::/64"), p2 = A("2001:db8:2::/64"), got;

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p1, NULL, 0, "2001:db8:1::1/64");
	lease_is(f->s, "a", "e0", 0, &p2, NULL, 0, "2001:db8:2::1/64");
	assert_int_equal(store_ipam_lookup(f->s, "a", "e0", 0, &got), 0);
	assert_addr(&got, "2001:db8:2::1/64");
	lease_is(f->s, "b", "e0", 0, &p1, NULL, 0, "2001:db8:1::1/64");
	lease_is(f->s, "c", "e0", 0, &p2, NULL, 0, "2001:db8:2::2/64");
}

/* 21. Bad arguments are refused before touching the database. */
static void test_ipam_bad_args(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), noplen = A("2001:db8:1::"), got;

	open_rw(f);
	assert_int_equal(store_ipam_lease(f->s, "a", "e0", 0, &noplen, NULL, 0, &got), -EINVAL);
	assert_int_equal(store_ipam_lease(f->s, "a", "e0", -1, &p, NULL, 0, &got), -EINVAL);
	assert_int_equal(store_ipam_lease(f->s, "", "e0", 0, &p, NULL, 0, &got), -EINVAL);
	assert_int_equal(store_ipam_lease(f->s, "a", "0123456789abcdef", 0, &p, NULL, 0, &got),
			 -EINVAL);
	assert_int_equal(store_ipam_lease(f->s, "a", "e0", 0, &p, NULL, 2, &got), -EINVAL);
}

/* 22. 1000 leases on a /64 are the 1000 lowest addresses after the bridge's,
 * in order; freed ones are reused lowest first. */
static void test_ipam_thousand(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), bridge = A("2001:db8:1::1"), got, want;
	char name[32];
	int i;

	open_rw(f);
	assert_int_equal(store_begin(f->s), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "j%d", i);
		assert_int_equal(store_ipam_lease(f->s, name, "e0", 0, &p, &bridge, 1, &got), 0);
		assert_int_equal(addr_nth(&p, (uint64_t)i + 2, &want), 0);
		assert_true(addr_equal(&got, &want));
	}
	assert_int_equal(store_commit(f->s), 0);
	/* free j700, j10 and j500: new jails fill ::c, ::1f6, ::2be in that order */
	assert_int_equal(store_ipam_release_jail(f->s, "j700"), 1);
	assert_int_equal(store_ipam_release_jail(f->s, "j10"), 1);
	assert_int_equal(store_ipam_release_jail(f->s, "j500"), 1);
	lease_is(f->s, "n1", "e0", 0, &p, &bridge, 1, "2001:db8:1::c/64");
	lease_is(f->s, "n2", "e0", 0, &p, &bridge, 1, "2001:db8:1::1f6/64");
	lease_is(f->s, "n3", "e0", 0, &p, &bridge, 1, "2001:db8:1::2be/64");
	lease_is(f->s, "n4", "e0", 0, &p, &bridge, 1, "2001:db8:1::3ea/64");
	lease_is(f->s, "j999", "e0", 0, &p, &bridge, 1, "2001:db8:1::3e9/64");
}

/* ---- the batch: store_ipam_assign, store_ipam_lookup_all ---- */

/* Requests r[i] = (jails[i], "e0", 0) in prefix p. */
static void reqs(struct store_ipam_req *r, const char *const *jails, size_t n, const struct addr *p)
{
	for (size_t i = 0; i < n; i++)
		r[i] = (struct store_ipam_req){ jails[i], "e0", 0, p };
}

/* Assign and assert every address, in request order. */
static void assign_is(struct store *s, const struct store_ipam_req *r, size_t n, const struct addr *res,
		      size_t n_res, const char *const *want)
{
	struct addr out[16];
	size_t failed = 99;
	int rc = store_ipam_assign(s, r, n, res, n_res, out, &failed);

	if (rc)
		print_error("assign: %s\n", store_errmsg(s));
	assert_int_equal(rc, 0);
	assert_int_equal(failed, n);
	for (size_t i = 0; i < n; i++)
		assert_addr(&out[i], want[i]);
}

static int count_leases(struct fixture *f)
{
	struct lease_seen v = { 0 };

	assert_int_equal(store_ipam_list(f->s, NULL, collect_lease, &v), 0);
	return v.n;
}

/* 23. A batch keeps the existing leases that are still good, whatever the
 * request order, and gives the new ones the lowest free indexes in request
 * order, around reserved addresses; asked again it changes nothing. */
static void test_ipam_batch_keeps(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), res[2] = { A("2001:db8:1::1"), A("2001:db8:1::4/64") };
	static const char *const first[] = { "a", "b" }, *const later[] = { "n1", "b", "n2", "a", "n3" };
	struct store_ipam_req r[5];

	open_rw(f);
	reqs(r, first, 2, &p);
	assign_is(f->s, r, 2, res, 2, (const char *const[]){ "2001:db8:1::2/64", "2001:db8:1::3/64" });
	reqs(r, later, 5, &p);
	assign_is(f->s, r, 5, res, 2,
		  (const char *const[]){ "2001:db8:1::5/64", "2001:db8:1::3/64", "2001:db8:1::6/64",
					 "2001:db8:1::2/64", "2001:db8:1::7/64" });
	assign_is(f->s, r, 5, res, 2,
		  (const char *const[]){ "2001:db8:1::5/64", "2001:db8:1::3/64", "2001:db8:1::6/64",
					 "2001:db8:1::2/64", "2001:db8:1::7/64" });
	assert_int_equal(count_leases(f), 5);
	/* released indexes are reused lowest first */
	assert_int_equal(store_ipam_release_jail(f->s, "n2"), 1);
	assert_int_equal(store_ipam_release_jail(f->s, "a"), 1);
	r[0] = (struct store_ipam_req){ "x", "e0", 0, &p };
	r[1] = (struct store_ipam_req){ "y", "e0", 0, &p };
	assign_is(f->s, r, 2, res, 2, (const char *const[]){ "2001:db8:1::2/64", "2001:db8:1::6/64" });
	assign_is(f->s, r, 0, res, 2, NULL);
}

/* 24. A lease whose address became reserved moves to the lowest free one,
 * after the leases that stay were kept (a later request's lease is never
 * taken from it); a lease from a prefix that changed keeps its index in the
 * new one when it lies inside and the index is free there, even ahead of an
 * earlier request that is new. */
static void test_ipam_batch_moves(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), wider = A("2001:db8:1::/56"), none = A("2001:db8:9::1"), got;
	struct addr res[2] = { A("2001:db8:1::1"), A("2001:db8:1::2") };
	static const char *const abc[] = { "a", "b", "c" };
	struct store_ipam_req r[3];

	open_rw(f);
	reqs(r, abc, 3, &p);
	assign_is(f->s, r, 3, &none, 1,
		  (const char *const[]){ "2001:db8:1::1/64", "2001:db8:1::2/64", "2001:db8:1::3/64" });
	/* ::1 and ::2 are now the bridge's and a static address */
	assign_is(f->s, r, 3, res, 2,
		  (const char *const[]){ "2001:db8:1::4/64", "2001:db8:1::5/64", "2001:db8:1::3/64" });
	/* c's bridge prefix widened to a /56 that holds its ::3: c keeps it,
	 * and n, asked for first, gets the next free one */
	r[0] = (struct store_ipam_req){ "n", "e0", 0, &wider };
	r[1] = (struct store_ipam_req){ "c", "e0", 0, &wider };
	assign_is(f->s, r, 2, res, 2, (const char *const[]){ "2001:db8:1::4/56", "2001:db8:1::3/56" });
	assert_int_equal(store_ipam_lookup(f->s, "c", "e0", 0, &got), 0);
	assert_addr(&got, "2001:db8:1::3/56");
	assert_int_equal(count_leases(f), 4);
}

/* 25. Two bridges with addresses in one prefix share its indexes; several
 * autos of one interface are slots; an IPv4 prefix never gives its
 * broadcast address, and a full prefix fails naming the request, with
 * nothing changed. */
static void test_ipam_batch_shared_full(void **state)
{
	struct fixture *f = *state;
	struct addr b1 = A("2001:db8:1::1/64"), b2 = A("2001:db8:1::2/64"), res[2] = { b1, b2 };
	struct addr p4 = A("192.0.2.0/29"), gw4 = A("192.0.2.1"), out[8];
	struct store_ipam_req r[8] = {
		{ "a", "e0", 0, &b1 }, { "b", "e0", 0, &b2 }, { "a", "e0", 1, &b1 }, { "c", "e1", 0, &b2 },
	};
	size_t failed;

	open_rw(f);
	assign_is(f->s, r, 4, res, 2,
		  (const char *const[]){ "2001:db8:1::3/64", "2001:db8:1::4/64", "2001:db8:1::5/64",
					 "2001:db8:1::6/64" });
	/* a /29: .1 is the gateway, .2-.6 are hosts, .7 is the broadcast */
	for (int i = 0; i < 6; i++)
		r[i] = (struct store_ipam_req){ (const char *const[]){ "v0", "v1", "v2", "v3", "v4", "v5" }[i],
						"e0", 0, &p4 };
	assert_int_equal(store_ipam_assign(f->s, r, 6, &gw4, 1, out, &failed), -ENOSPC);
	assert_int_equal(failed, 5);
	assert_non_null(strstr(store_errmsg(f->s), "v5"));
	assert_non_null(strstr(store_errmsg(f->s), "192.0.2.0/29"));
	assert_int_equal(count_leases(f), 4); /* none of the five before it either */
	assign_is(f->s, r, 5, &gw4, 1,
		  (const char *const[]){ "192.0.2.2/29", "192.0.2.3/29", "192.0.2.4/29", "192.0.2.5/29",
					 "192.0.2.6/29" });
	/* a bad request is refused before anything, naming it */
	r[2].slot = -1;
	assert_int_equal(store_ipam_assign(f->s, r, 5, &gw4, 1, out, &failed), -EINVAL);
	assert_int_equal(failed, 2);
	r[2].prefix = NULL;
	r[2].slot = 0;
	assert_int_equal(store_ipam_assign(f->s, r, 5, &gw4, 1, out, &failed), -EINVAL);
	assert_int_equal(failed, 2);
	assert_int_equal(store_ipam_assign(f->s, r, 2, NULL, 1, out, &failed), -EINVAL);
}

/* 26. store_ipam_lookup_all reads without writing, also through a
 * read-only store: the leases there are, and no others. */
static void test_ipam_lookup_all(void **state)
{
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), out[3];
	static const char *const jails[] = { "a", "zz", "b" };
	struct store_ipam_req r[3];
	bool found[3];

	open_rw(f);
	lease_is(f->s, "a", "e0", 0, &p, NULL, 0, "2001:db8:1::1/64");
	lease_is(f->s, "b", "e0", 0, &p, NULL, 0, "2001:db8:1::2/64");
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->dir, STORE_READONLY, 300, &f->s, f->err, sizeof(f->err)), 0);
	reqs(r, jails, 3, &p);
	assert_int_equal(store_ipam_lookup_all(f->s, r, 3, out, found), 2);
	assert_true(found[0]);
	assert_false(found[1]);
	assert_true(found[2]);
	assert_addr(&out[0], "2001:db8:1::1/64");
	assert_addr(&out[2], "2001:db8:1::2/64");
	assert_int_equal(count_leases(f), 2);
}

/* 27. 10,000 requests in one batch are the 10,000 lowest free addresses;
 * the same batch again, reversed, keeps every one of them. */
static void test_ipam_batch_ten_thousand(void **state)
{
	enum { N = 10000 };
	struct fixture *f = *state;
	struct addr p = A("2001:db8:1::/64"), bridge = A("2001:db8:1::1"), want;
	struct store_ipam_req *r = calloc(N, sizeof(*r));
	struct addr *out = calloc(N, sizeof(*out));
	static char names[N][16];

	assert_non_null(r);
	assert_non_null(out);
	open_rw(f);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "j%d", i);
		r[i] = (struct store_ipam_req){ names[i], "e0", 0, &p };
	}
	assert_int_equal(store_ipam_assign(f->s, r, N, &bridge, 1, out, NULL), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(addr_nth(&p, (uint64_t)i + 2, &want), 0);
		assert_true(addr_equal(&out[i], &want));
	}
	for (int i = 0; i < N / 2; i++) {
		struct store_ipam_req t = r[i];
		r[i] = r[N - 1 - i];
		r[N - 1 - i] = t;
	}
	assert_int_equal(store_ipam_assign(f->s, r, N, &bridge, 1, out, NULL), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(addr_nth(&p, (uint64_t)(N - 1 - i) + 2, &want), 0);
		assert_true(addr_equal(&out[i], &want));
	}
	free(r);
	free(out);
}

struct idmap_seen {
	size_t n;
	char text[8][96];
};

static int collect_idmap(const struct store_idmap *l, void *ctx)
{
	struct idmap_seen *w = ctx;

	if (w->n < 8)
		snprintf(w->text[w->n++], sizeof(w->text[0]), "%s %u+%u", l->jail, l->base, l->count);
	return 0;
}

/* 28. Id-range leases: one per jail, kept by name, listed by base; a first
 * id another jail holds is refused; release forgets it; bad ranges are
 * refused; leases survive a reopen. */
static void test_idmap_leases(void **state)
{
	struct fixture *f = *state;
	struct idmap_seen seen = { 0 };
	struct store_idmap l;

	open_rw(f);
	assert_int_equal(store_idmap_get(f->s, "a", &l), -ENOENT);
	assert_int_equal(store_idmap_lease(f->s, "b", 1000065536u, 65536), 0);
	assert_int_equal(store_idmap_lease(f->s, "a", 1000000000u, 65536), 0);
	assert_int_equal(store_idmap_lease(f->s, "c", 1000000000u, 65536), -EEXIST);
	assert_non_null(strstr(store_errmsg(f->s), "jail c"));
	/* leasing again (the same or another range) replaces the jail's lease */
	assert_int_equal(store_idmap_lease(f->s, "a", 1000000000u, 65536), 0);
	assert_int_equal(store_idmap_get(f->s, "a", &l), 0);
	assert_string_equal(l.jail, "a");
	assert_int_equal(l.base, 1000000000u);
	assert_int_equal(l.count, 65536);
	assert_true(l.created_at > 0);
	assert_int_equal(store_idmap_list(f->s, collect_idmap, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "a 1000000000+65536");
	assert_string_equal(seen.text[1], "b 1000065536+65536");
	/* bad arguments */
	assert_int_equal(store_idmap_lease(f->s, "", 1, 1), -EINVAL);
	assert_int_equal(store_idmap_lease(f->s, "d", 5, 0), -EINVAL);
	assert_int_equal(store_idmap_lease(f->s, "d", 4294967295u, 2), -EINVAL);
	assert_int_equal(store_idmap_lease(f->s, "d", 4294967295u, 1), 0);
	assert_int_equal(store_idmap_get(f->s, "", &l), -EINVAL);
	assert_int_equal(store_idmap_release(f->s, "d"), 0);
	/* release */
	assert_int_equal(store_idmap_release(f->s, "a"), 0);
	assert_int_equal(store_idmap_release(f->s, "a"), -ENOENT);
	assert_int_equal(store_idmap_get(f->s, "a", &l), -ENOENT);
	/* the freed first id may be leased again; leases outlive the process */
	assert_int_equal(store_idmap_lease(f->s, "c", 1000000000u, 65536), 0);
	reopen(f);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_idmap_list(f->s, collect_idmap, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "c 1000000000+65536");
	assert_string_equal(seen.text[1], "b 1000065536+65536");
}

/* 29. A lease in a rolled-back transaction is gone (plan's dry run). */
static void test_idmap_rollback(void **state)
{
	struct fixture *f = *state;
	struct store_idmap l;

	open_rw(f);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_idmap_lease(f->s, "a", 1000000000u, 65536), 0);
	assert_int_equal(store_idmap_get(f->s, "a", &l), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_idmap_get(f->s, "a", &l), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2_bad_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_wait_then_acquire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jail_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_lowest_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_prefix_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_thousand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_batch_keeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_batch_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_batch_shared_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_lookup_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam_batch_ten_thousand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idmap_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idmap_rollback, setup, teardown),
	};

	/* a child that dies must not take the runner with it through SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
