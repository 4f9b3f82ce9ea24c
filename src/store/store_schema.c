/*
 * The store's schema: its history of migration steps, and bringing a
 * database written by an older jail6 up to date in place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store/store_int.h"

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

/* The typed own table after its kind column (steps 3 and 5 make it, with
 * the kinds of their time): the same SQL text in both. */
#define OWN_TYPED_COLUMNS                                                      \
	" ns TEXT NOT NULL DEFAULT '',"                                        \
	" name TEXT NOT NULL DEFAULT '',"                                      \
	" ifname TEXT NOT NULL DEFAULT '',"                                    \
	" family INTEGER NOT NULL DEFAULT 0 CHECK (family IN (0, 4, 6)),"      \
	" addr BLOB NOT NULL DEFAULT x'',"                                     \
	" plen INTEGER NOT NULL DEFAULT -1,"                                   \
	" detail TEXT,"                                                        \
	" flags INTEGER NOT NULL DEFAULT 0,"                                   \
	" ident INTEGER NOT NULL DEFAULT 0,"                                   \
	" seq INTEGER NOT NULL DEFAULT -1,"                                    \
	" created_at INTEGER NOT NULL,"                                        \
	" CHECK ((kind IN ('addr','route')) = (family <> 0)),"                 \
	" CHECK ((kind IN ('addr','route')) = (name = '')),"                   \
	" CHECK ((kind = 'addr') = (ifname <> '')),"                           \
	" PRIMARY KEY (kind, ns, name, ifname, family, addr, plen)"            \
	") WITHOUT ROWID;"

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
	  OWN_TYPED_COLUMNS
	  "INSERT INTO own_v3 (kind, ns, name, detail, flags, created_at)"
	  " SELECT kind, ns, name,"
	  "  CASE WHEN kind = 'jail' THEN NULL ELSE detail END,"
	  "  CASE WHEN kind = 'jail' AND detail = 'exec.start pending' THEN 1 ELSE 0 END,"
	  "  created_at FROM own WHERE kind IN ('link','jail','sysctl');",
	  migrate_own_v3 },
	{ 4,
	  /* Confined jails: each leases a range of user and group ids (its
	   * root is host id base); ranges never share a first id, and the
	   * engine keeps them disjoint. */
	  "CREATE TABLE idmap_lease ("
	  " jail TEXT NOT NULL PRIMARY KEY CHECK (jail <> ''),"
	  " base INTEGER NOT NULL CHECK (base >= 0 AND base <= 4294967295),"
	  " count INTEGER NOT NULL CHECK (count >= 1 AND base + count <= 4294967296),"
	  " created_at INTEGER NOT NULL,"
	  " UNIQUE (base)"
	  ");",
	  NULL },
	{ 5,
	  /* The port filter is recorded like every other object jail6 makes:
	   * own gets the kind 'filter' (SQLite cannot change a CHECK, so the
	   * table is made again). A state dir of a jail6 that knew the table
	   * by its comment only, and had jails, may have made it: it gets
	   * the record, which the next observe keeps only if a table with
	   * jail6's comment is there (engine/observe.c), and forgets if not.
	   * A new store has no jail and gets nothing. */
	  "CREATE TABLE own_v5 ("
	  " kind TEXT NOT NULL CHECK (kind IN ('link','addr','route','jail','sysctl','filter')),"
	  OWN_TYPED_COLUMNS
	  "INSERT INTO own_v5 (kind, ns, name, ifname, family, addr, plen, detail, flags, ident, seq, created_at)"
	  " SELECT kind, ns, name, ifname, family, addr, plen, detail, flags, ident, seq, created_at FROM own;"
	  "INSERT INTO own_v5 (kind, ns, name, created_at)"
	  " SELECT 'filter', '', 'jail6', CAST(strftime('%s', 'now') AS INTEGER)"
	  " WHERE EXISTS (SELECT 1 FROM own WHERE kind = 'jail');"
	  "DROP TABLE own;"
	  "ALTER TABLE own_v5 RENAME TO own;",
	  NULL },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

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
		"INSERT OR IGNORE INTO own_v3 (kind, ns, ifname, family, addr, plen, flags, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
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
		/* made before jail6 marked its addresses and routes: whatever
		 * protocol they carry, they stay jail6's */
		rc = store_bind(w, "ttti" "bi" "iiI", kind, (const char *)sqlite3_column_text(q, 1), ifname,
				a.family == AF_INET ? 4 : 6, a.bytes, (int)addr_len(&a), a.plen,
				STORE_OWN_F_UNMARKED, (int64_t)sqlite3_column_int64(q, 3));
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
	rc = store_pragma_int(s, "PRAGMA user_version", &v);
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
int store_migrate(struct store *s)
{
	size_t i;
	int rc, v = 0;

	rc = store_pragma_int(s, "PRAGMA user_version", &v);
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
	return store_pragma_int(s, "PRAGMA user_version", &s->version);
}

