/*
 * The state store: what jail6 must remember between runs, in one SQLite
 * database DIR/jail6.db (WAL, versioned schema) guarded by an flock(2) on
 * DIR/lock so that two jail6 runs never interleave. It holds the objects
 * jail6 created (ownership), jail records, a bounded event log and the
 * address leases of `address = auto` (IPAM). See docs/store.md.
 *
 * Every function returns 0 (or a count where documented) or -errno:
 *   -EIO        the database is corrupt or unreadable
 *   -EPROTO     the database schema is newer than this jail6
 *   -ETIMEDOUT  the state dir stayed locked by another run
 *   -EINVAL     a bad argument (empty name, prefix without length, ...)
 *   -ENOENT     no such record
 *   -ENOSPC     IPAM: no free address left in the prefix
 * store_errmsg() gives SQLite's text for the last failure.
 */
#ifndef JAIL6_STORE_STORE_H
#define JAIL6_STORE_STORE_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "model/addr.h"
#include "model/model.h"

#define STORE_DIR_DEFAULT "/var/lib/jail6"
#define STORE_DB_NAME     "jail6.db"
#define STORE_LOCK_NAME   "lock"

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 2

/* How long store_open() waits for the lock when given a negative timeout. */
#define STORE_LOCK_TIMEOUT_DEFAULT_MS 30000

/* The event log keeps this many most recent entries. */
#define STORE_EVENT_KEEP 10000

/* Longest ownership name ("ifname addr", a route destination, a key). */
#define STORE_OWN_NAME_MAX 256

/* Flags for store_open(). */
#define STORE_WRITE    0x0 /* create DIR and the db if needed; exclusive lock */
#define STORE_READONLY 0x1 /* shared lock, no writes; -ENOENT if there is no db */

struct store;

/*
 * Open (creating when STORE_WRITE) the store in dir: take the lock on
 * DIR/lock within lock_timeout_ms (< 0: the default, 0: try once), open
 * DIR/jail6.db, check its integrity and bring its schema up to date.
 * On failure *out is NULL and err (when not NULL) holds a message naming the
 * file, e.g. "state dir /var/lib/jail6 is locked by another jail6 run (pid 42)".
 */
int store_open(const char *dir, int flags, int lock_timeout_ms,
	       struct store **out, char *err, size_t errlen);

/* Close the database and release the lock; NULL-tolerant. */
void store_close(struct store *s);

/* The database file's path ("DIR/jail6.db"). */
const char *store_path(const struct store *s);

/* The schema version of the open database (== STORE_SCHEMA_VERSION). */
int store_schema_version(const struct store *s);

/* SQLite's message for the last failed call on s ("" when none). */
const char *store_errmsg(const struct store *s);

/*
 * Group changes: store_begin() .. store_commit() or store_rollback().
 * Calls nest (savepoints): an inner rollback undoes only the inner part.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* ---- ownership: the objects jail6 created ---- */

enum store_own_kind {
	STORE_OWN_LINK = 0,
	STORE_OWN_ADDR,
	STORE_OWN_ROUTE,
	STORE_OWN_JAIL,
	STORE_OWN_SYSCTL,
};

/* One owned object, as passed to a store_own_list() callback. The strings
 * belong to the store and are valid only during the callback. */
struct store_own {
	enum store_own_kind kind;
	const char *ns;      /* "" = the host */
	const char *name;    /* link / jail name, "ifname addr", route dst, key */
	const char *detail;  /* NULL when none */
	int64_t created_at;  /* unix seconds */
};

/* "link", "addr", "route", "jail", "sysctl"; NULL for an unknown kind. */
const char *store_own_kind_name(enum store_own_kind kind);

/* Record that jail6 created (kind, ns, name); detail may be NULL. Recording
 * an object again updates its detail and keeps its creation time. */
int store_own_add(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name, const char *detail);

/* Forget an owned object; -ENOENT when it was not recorded. */
int store_own_del(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name);

/* 1 when (kind, ns, name) is owned, 0 when not, or -errno. */
int store_own_has(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name);

/*
 * Call cb for every owned object, ordered by kind, ns and name; kind < 0
 * lists all kinds, ns NULL lists all namespaces. A non-zero return from cb
 * stops the walk and is returned. Ordered by the kind's name, then ns, name.
 */
int store_own_list(struct store *s, int kind, const char *ns,
		   int (*cb)(const struct store_own *o, void *ctx), void *ctx);

/* ---- jail records ---- */

enum store_jail_state {
	STORE_JAIL_CREATED = 0,
	STORE_JAIL_RUNNING,
	STORE_JAIL_STOPPED,
};

struct store_jail {
	char name[MODEL_NAME_MAX];
	enum store_jail_state state;
	char hostname[256];     /* "" = none */
	char path[PATH_MAX];    /* "" = none */
	int64_t updated_at;     /* unix seconds; set by the store */
};

/* "created", "running", "stopped"; NULL for an unknown state. */
const char *store_jail_state_name(enum store_jail_state st);

/* Insert or replace the record of j->name (updated_at = now). */
int store_jail_put(struct store *s, const struct store_jail *j);

/* Change only the state of a recorded jail; -ENOENT when absent. */
int store_jail_set_state(struct store *s, const char *name,
			 enum store_jail_state st);

/* Fetch one record; -ENOENT when absent. */
int store_jail_get(struct store *s, const char *name, struct store_jail *out);

/* Remove a record; -ENOENT when absent. */
int store_jail_del(struct store *s, const char *name);

/* Call cb for every jail record, by name; non-zero from cb stops and is
 * returned. */
int store_jail_list(struct store *s,
		    int (*cb)(const struct store_jail *j, void *ctx), void *ctx);

/* ---- event log ---- */

struct store_event_rec {
	int64_t id;         /* increasing, never reused */
	int64_t time;       /* unix seconds */
	const char *text;   /* valid only during the callback */
};

/* Append a line to the event log, dropping all but the last
 * STORE_EVENT_KEEP entries. */
int store_event(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int store_eventv(struct store *s, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Call cb for the last `limit` events (all when limit <= 0), oldest first. */
int store_event_list(struct store *s, int limit,
		     int (*cb)(const struct store_event_rec *e, void *ctx), void *ctx);

/* ---- IPAM: persistent leases for `address = auto` ---- */

struct store_lease {
	char jail[MODEL_NAME_MAX];
	char iface[MODEL_IFNAMSIZ];
	int slot;               /* 0.. for several autos on one interface */
	struct addr addr;       /* with the prefix length of its prefix */
};

/*
 * The address of (jail, iface, slot) in prefix: its existing lease when that
 * is still inside the prefix, not reserved and not taken; otherwise the
 * lowest free host index >= 1 (never the network address, never one of the
 * n_reserved addresses such as the bridge's own and static ones, never an
 * address leased to someone else; for IPv4 never the broadcast address).
 * The lease is stored; *out gets the address with prefix->plen.
 * -ENOSPC when the prefix is full, -EINVAL without a prefix length.
 */
int store_ipam_lease(struct store *s, const char *jail, const char *iface,
		     int slot, const struct addr *prefix,
		     const struct addr *reserved, size_t n_reserved,
		     struct addr *out);

/* The stored lease of (jail, iface, slot) without changing anything;
 * -ENOENT when there is none. */
int store_ipam_lookup(struct store *s, const char *jail, const char *iface,
		      int slot, struct addr *out);

/* Release one lease; -ENOENT when there was none. */
int store_ipam_release(struct store *s, const char *jail, const char *iface,
		       int slot);

/* Release every lease of a jail (it was destroyed); returns how many. */
int store_ipam_release_jail(struct store *s, const char *jail);

/* Call cb for the leases of jail (all jails when NULL), ordered by jail,
 * iface, slot; non-zero from cb stops and is returned. */
int store_ipam_list(struct store *s, const char *jail,
		    int (*cb)(const struct store_lease *l, void *ctx), void *ctx);

#endif
