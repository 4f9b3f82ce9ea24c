/*
 * The state store: what jail6 must remember between runs, in one SQLite
 * database DIR/jail6.db (WAL, versioned schema) guarded by an flock(2) on
 * DIR/lock so that two jail6 runs never interleave. It holds the objects
 * jail6 created (ownership), jail records, a bounded event log, the
 * address leases of `address = auto` (IPAM) and the id ranges of confined
 * jails. See docs/store.md.
 *
 * Every function returns 0 (or a count where documented) or -errno:
 *   -EIO        the database is corrupt or unreadable
 *   -EPROTO     the database schema is newer than this jail6
 *   -ETIMEDOUT  the state dir stayed locked by another run
 *   -EINVAL     a bad argument (empty name, prefix without length, ...)
 *   -ENOENT     no such record
 *   -ENOSPC     IPAM: no free address left in the prefix
 *   -EEXIST     an id range whose first id is leased to another jail
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
#define STORE_JOURNAL_NAME "journal"

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 5

/* How long store_open() waits for the lock when given a negative timeout. */
#define STORE_LOCK_TIMEOUT_DEFAULT_MS 30000

/* The event log keeps this many most recent entries. */
#define STORE_EVENT_KEEP 10000

/* Longest detail of an ownership record (a sysctl's old value). */
#define STORE_OWN_DETAIL_MAX 64

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

/*
 * The journal: where the run that holds the lock has got to in its plan:
 * the place of the action that starts, written before it runs, and the
 * place of each action that ran, appended when it has (one pwrite each,
 * no transaction). A run that was killed leaves its claims
 * (STORE_OWN_F_CLAIMED, with the action's place in seq) and the journal;
 * the next writer keeps the claims of the actions that ran and whose
 * object exists, and drops the others: an action killed while it ran may
 * not have made its object, and what has its name then is someone else's.
 * started: the place of the last action begun, -1 = no run in progress
 * (which also empties the list of those that ran).
 * store_journal_ran: the k-th action of the run to finish was at place.
 * store_journal_get gives -1 and no list when there is no journal; *ran
 * (n_ran places, in the order they finished) is the caller's to free.
 */
int store_journal_set(struct store *s, int64_t started);
int store_journal_ran(struct store *s, size_t k, int64_t place);
int store_journal_get(struct store *s, int64_t *started, int64_t **ran, size_t *n_ran);

/* ---- ownership: the objects jail6 created ---- */

enum store_own_kind {
	STORE_OWN_LINK = 0,
	STORE_OWN_ADDR,
	STORE_OWN_ROUTE,
	STORE_OWN_JAIL,
	STORE_OWN_SYSCTL,
	STORE_OWN_FILTER,
};
#define STORE_OWN_KIND_COUNT 6

/* Flags of an ownership record. */
#define STORE_OWN_F_START_PENDING 0x1 /* jail: its exec.start has not completed */
#define STORE_OWN_F_CLAIMED       0x2 /* claimed for action seq of a run that has
				       * not confirmed it yet (see the journal) */
#define STORE_OWN_F_UNMARKED      0x4 /* addr/route made before jail6 marked
				       * its own: any protocol is accepted */
#define STORE_OWN_F_RECLAIMED     0x8 /* CLAIMED over a record that was there:
				       * if its action does not run, the record
				       * is as it was */

/*
 * One owned object, typed: the key is (kind, ns, name, ifname, addr), of
 * which each kind uses its own part. Built with the store_own_*()
 * constructors below, which leave the rest zero.
 */
struct store_own {
	enum store_own_kind kind;
	char ns[MODEL_NAME_MAX];          /* the namespace it lives in; "" = the host */
	char name[MODEL_NAME_MAX];        /* link, jail or sysctl key; "" for addr/route */
	char ifname[MODEL_IFNAMSIZ];      /* addr: the interface it is on */
	struct addr addr;                 /* addr: address/plen; route: destination/plen */
	bool has_detail;                  /* sysctl: the value before jail6 is known */
	char detail[STORE_OWN_DETAIL_MAX];
	unsigned flags;                   /* STORE_OWN_F_* */
	uint64_t ident;                   /* what tells the very object from a look-
					   * alike: a link's ifindex, a jail's netns
					   * cookie, the filter table's handle;
					   * 0 = not known */
	int64_t seq;                      /* CLAIMED: the action's place in its plan */
	int64_t created_at;               /* unix seconds; set by the store */
};

struct store_own store_own_link(const char *ns, const char *name);
struct store_own store_own_addr(const char *ns, const char *ifname, const struct addr *a);
struct store_own store_own_route(const char *ns, const struct addr *dst);
struct store_own store_own_jail(const char *name);
/* old: the value before jail6 changed it (NULL = unknown: destroy leaves it). */
struct store_own store_own_sysctl(const char *ns, const char *key, const char *old);
/* The port filter (Linux: the nftables bridge table "jail6" of the host). */
struct store_own store_own_filter(void);

/* "link", "addr", "route", "jail", "sysctl", "filter"; NULL for an unknown kind.
 * store_own_kind_parse() is the inverse: the kind, or -1. */
const char *store_own_kind_name(enum store_own_kind kind);
int store_own_kind_parse(const char *name);

/* "link bridge0", "addr web:eth0b 2001:db8::3/64", "route ::/0",
 * "jail web", "sysctl ipv6.forwarding": the record for messages. */
char *store_own_describe(const struct store_own *o, char *buf, size_t len);

/* Record that jail6 created *o. Recording it again updates its detail and
 * flags and keeps its creation time. -EINVAL for a record whose kind's key
 * is missing or malformed. */
int store_own_add(struct store *s, const struct store_own *o);

/* Forget an owned object (only its key is read); -ENOENT when it was not
 * recorded. */
int store_own_del(struct store *s, const struct store_own *o);

/* 1 when the key of *o is owned, 0 when not, or -errno. */
int store_own_has(struct store *s, const struct store_own *o);

/*
 * Claim *o for the action at place seq of the plan about to run: a record
 * flagged STORE_OWN_F_CLAIMED (with o->flags). A record of the key that is
 * there already is claimed too (a plan that makes an object again, after
 * removing it, makes its record a claim until the making ran). 1.
 */
int store_own_claim(struct store *s, const struct store_own *o, int64_t seq);

/* store_own_del, but a claimed record stays (a later action of the plan
 * makes its object again); 1 when deleted, 0 when not. */
int store_own_del_unclaimed(struct store *s, const struct store_own *o);

/* The action behind a claim ran: clear CLAIMED, record ident. 1 when the
 * key was recorded, 0 when not. */
int store_own_confirm(struct store *s, const struct store_own *o, uint64_t ident);

/* Set and clear flags of the record with the key of *o; 1, or 0 when it
 * is not recorded. */
int store_own_set_flags(struct store *s, const struct store_own *o, unsigned set, unsigned clear);

/* Settle every claim still unconfirmed (the actions of the run that made
 * them did not run): a new one is forgotten, one over a record that was
 * there gives the record back. 0 or -errno. */
int store_own_drop_claims(struct store *s);

/*
 * Call cb for every owned object; kind < 0 lists all kinds, ns NULL lists
 * all namespaces. Ordered by kind name, ns, name, ifname, address. The
 * record is valid only during the callback, which may call the store. A
 * non-zero return from cb stops the walk and is returned.
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

/* One `auto` address to assign: the lease (jail, iface, slot) in prefix (a
 * network with its length; the bridge's address with its length will do). */
struct store_ipam_req {
	const char *jail;
	const char *iface;
	int slot;
	const struct addr *prefix;
};

/*
 * Give each of the n requests its address in out[i], in one savepoint:
 * every existing lease that is still inside its prefix, not reserved and
 * not leased to another key (nor kept by an earlier request) is kept; every
 * other request gets, in request order, the lowest free host index >= 1 of
 * its prefix (never the network address, never one of the n_reserved
 * addresses such as the bridge's own and static ones, never an address
 * leased to someone else; for IPv4 never the broadcast address). Requests
 * whose prefixes are the same network share its indexes. Each prefix's
 * leases are read once: O(n log n) for n requests. The leases are stored;
 * out[i] gets the address with the prefix's length. -ENOSPC when a prefix
 * is full, -EINVAL for a bad key or a prefix without a length; on any error
 * nothing changed and, when failed is not NULL, *failed is the request the
 * error is about (n when it is about none).
 */
int store_ipam_assign(struct store *s, const struct store_ipam_req *req, size_t n,
		      const struct addr *reserved, size_t n_reserved, struct addr *out,
		      size_t *failed);

/* store_ipam_assign for one request. */
int store_ipam_lease(struct store *s, const char *jail, const char *iface,
		     int slot, const struct addr *prefix,
		     const struct addr *reserved, size_t n_reserved,
		     struct addr *out);

/* The stored leases of n requests (their prefixes are not looked at),
 * without writing anything: found[i] says whether req[i] has one, out[i]
 * is then its address (a bad key or a lease that cannot be read counts as
 * none). Returns how many were found, or -errno when the store fails. */
int store_ipam_lookup_all(struct store *s, const struct store_ipam_req *req, size_t n,
			  struct addr *out, bool *found);

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

/* ---- id ranges of confined jails ---- */

/* The lease of a jail's user and group ids: host ids base..base+count-1. */
struct store_idmap {
	char jail[MODEL_NAME_MAX];
	uint32_t base;
	uint32_t count;
	int64_t created_at;     /* unix seconds; set by the store */
};

/* The lease of jail; -ENOENT when it has none. */
int store_idmap_get(struct store *s, const char *jail, struct store_idmap *out);

/* Lease base..base+count-1 to jail, replacing its lease (and keeping its
 * creation time when the range is unchanged). The caller picks a free
 * range (src/engine/idmap.c); the store only refuses a first id that is
 * another jail's (-EEXIST) and a range that does not fit 32 bits or is
 * empty (-EINVAL). */
int store_idmap_lease(struct store *s, const char *jail, uint32_t base, uint32_t count);

/* Release the lease of jail (it was destroyed); -ENOENT when it had none. */
int store_idmap_release(struct store *s, const char *jail);

/* Call cb for every lease, by base; non-zero from cb stops and is returned. */
int store_idmap_list(struct store *s, int (*cb)(const struct store_idmap *l, void *ctx), void *ctx);

#endif
