/* Internals shared by the store's files (store.c, store_own.c, store_ipam.c). */
#ifndef JAIL6_STORE_STORE_INT_H
#define JAIL6_STORE_STORE_INT_H

#include <stdarg.h>
#include <stdbool.h>

#include <sqlite3.h>

#include "store/store.h"

/* Statements prepared once per store and reused (see stmt_sql in store.c). */
enum store_stmt {
	STMT_OWN_ADD = 0,
	STMT_OWN_DEL,
	STMT_OWN_HAS,
	STMT_OWN_CLAIM,
	STMT_OWN_CONFIRM,
	STMT_OWN_FLAGS,
	STMT_OWN_DROP_CLAIMS,
	STMT_OWN_UNCLAIM,
	STMT_OWN_DEL_UNCLAIMED,
	STMT_JAIL_PUT,
	STMT_JAIL_STATE,
	STMT_JAIL_GET,
	STMT_JAIL_DEL,
	STMT_EVENT_ADD,
	STMT_EVENT_TRIM,
	STMT_LEASE_GET,
	STMT_LEASE_SCAN,
	STMT_LEASE_PUT,
	STMT_LEASE_DEL,
	STMT_LEASE_DEL_JAIL,
	STMT_IDMAP_GET,
	STMT_IDMAP_PUT,
	STMT_IDMAP_DEL,
	STMT__COUNT,
};

struct store {
	sqlite3 *db;
	int lock_fd;
	int journal_fd;                  /* DIR/journal, opened on first use; -1 */
	int flags;
	int tx_depth;                    /* store_begin() nesting */
	int version;
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char errmsg[PATH_MAX + 512]; /* messages name the db file */
	sqlite3_stmt *stmts[STMT__COUNT];
};

/* Set *out to the cached statement id, prepared on first use; 0 or -errno. */
int store_stmt(struct store *s, enum store_stmt id, sqlite3_stmt **out);

/* Bind parameters 1.. by type letter: 't' const char * (NULL binds NULL),
 * 'i' int, 'I' int64_t, "bi" a blob (const void *, int length: one
 * parameter). Returns an SQLite result code. */
int store_bind(sqlite3_stmt *st, const char *types, ...);

/* store_bind from parameter number first on. */
int store_bind_from(sqlite3_stmt *st, int first, const char *types, ...);

/* store_bind with the arguments as a va_list. */
int store_vbind(sqlite3_stmt *st, const char *types, va_list ap);
int store_vbind_from(sqlite3_stmt *st, int first, const char *types, va_list ap);

/* Run the cached statement id with its parameters bound (store_bind's type
 * letters), for a statement that returns no rows: the number of rows it
 * changed (>= 0), or -errno with the store's message set. */
int store_run(struct store *s, enum store_stmt id, const char *types, ...);

/* Run the cached statement id, bound likewise, for whether it returns a
 * row: 1, 0, or -errno with the store's message set. */
int store_exists(struct store *s, enum store_stmt id, const char *types, ...);

/* Reset a statement after use so it holds no read lock. */
void store_stmt_done(sqlite3_stmt *st);

/* Record SQLite's message for rc and map rc to -errno. */
int store_sql_err(struct store *s, int rc);

/* Record a message of our own; returns err. */
int store_set_err(struct store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run statements without results (no user data: fixed SQL only). */
int store_exec(struct store *s, const char *sql);

/* A savepoint around one multi-statement operation; store_sp_end()
 * releases it when rc == 0 and rolls it back otherwise, returning rc (or
 * the release failure). */
int store_sp_begin(struct store *s);
int store_sp_end(struct store *s, int rc);

/* Copy text column i into dst; -EIO when it does not fit. */
int store_col_copy(struct store *s, sqlite3_stmt *st, int i, char *dst, size_t len);

/* SQLite's result code rc as -errno (0 for OK, ROW and DONE). */
int store_rc_errno(sqlite3 *db, int rc);

/*
 * Run sql on a statement of its own (so that row may call the store, even
 * walk it again) with parameters bound by types (store_bind's letters),
 * calling row(s, st, ctx) for each row. A non-zero return from row stops
 * the walk and is returned; else 0 or -errno with the store's message.
 */
int store_walk(struct store *s, const char *sql, int (*row)(struct store *s, sqlite3_stmt *st, void *ctx),
	       void *ctx, const char *types, ...);

/* Run a pragma that returns one integer into *out; 0 or -errno. */
int store_pragma_int(struct store *s, const char *sql, int *out);

/* Bring the schema to STORE_SCHEMA_VERSION (store_schema.c); -EPROTO for
 * a newer one, -EIO when a step cannot read what it migrates. */
int store_migrate(struct store *s);

/* Whether name is a non-empty string shorter than max. */
bool store_name_ok(const char *name, size_t max);

#endif
