/* Internals shared by the engine's files. */
#ifndef JAIL6_ENGINE_ENGINE_INT_H
#define JAIL6_ENGINE_ENGINE_INT_H

#include "engine/engine.h"
#include "model/state.h"
#include "os/backend.h"
#include "store/store.h"

struct engine {
	struct store *store;           /* NULL: read-only and nothing applied yet */
	const struct backend_ops *ops;
	struct backend *be;
	FILE *log, *warn;
	bool keep_leases;              /* teardown for stop: leases stay */
	bool keep_wish;                /* ... and the jails are not marked stopped (shutdown) */
	char err[1024];
};

/* printf into e->err; returns r (`return engine_fail(e, r, ...)`). */
int engine_fail(struct engine *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A progress line on the log stream, a warning on the warn stream. */
void engine_say(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void engine_warn(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Give every `address = auto` of *m its address (engine_ipam.c). With
 * lookup_only only existing leases are used. */
int engine_resolve_auto(struct engine *e, struct model *m, bool lookup_only);

/* Give every confined jail of *m its id range (engine/idmap.c): leased
 * from the pool and recorded in the store, or with lookup_only only the
 * leases there are (a jail without one keeps count 0). */
int engine_resolve_idmap(struct engine *e, struct model *m, bool lookup_only);

/*
 * What observe found the store's records to need, for a run that writes:
 * drop: records whose object is gone, or is another object now (another
 * ifindex, namespace cookie, or no jail6 mark), and claims of a killed run
 * whose action never ran; keep: claims of a killed run whose object is
 * there, and records that did not know their object's identity yet, to be
 * confirmed with it (ident).
 */
struct engine_stale {
	struct store_own *drop;
	size_t n_drop;
	struct store_own *keep;
	size_t n_keep;
	bool journal;              /* a killed run's journal is to be reset */
};
void engine_stale_free(struct engine_stale *s);

/*
 * Observe the host and every jail that *m names or the store owns, and
 * mark the facts jail6 owns: a record counts when its object is there and
 * is the very one (identity, jail6's mark), and a claim of a killed run
 * when its action had started (the journal) and its object is there.
 * Changes nothing: what the records need is handed back in *stale (may be
 * NULL) for engine_forget to do in a run that writes.
 */
int engine_observe(struct engine *e, const struct model *m, struct state *st, struct engine_stale *stale);

/* Do what *stale says (a write-mode run's explicit step), in the store's
 * transaction if one is open. */
int engine_forget(struct engine *e, const struct engine_stale *stale);

/* The journal of a killed run has been read and its claims settled: reset
 * it (not transactional: only after engine_forget was committed). */
int engine_journal_reset(struct engine *e, const struct engine_stale *stale);

/* Whether the fact record o names is in st (identity not looked at). */
bool engine_fact_present(const struct state *st, const struct store_own *o);

/* The state of jail j as status and list report it, from observed st. */
enum engine_jail_state engine_jail_state_of(struct engine *e, const struct model_jail *j, const struct state *st);

/* A copy of *m with only the jails apply should run, plus only[] (strings
 * borrowed: free with engine_view_free). With present (start NAME), of the
 * jails apply should run only those present there: a start or restart of
 * NAME never creates another jail that happens to be missing. */
int engine_view(struct engine *e, const struct model *m, struct model *view, const char *const *only,
		size_t n_only, const struct state *present);
void engine_view_free(struct model *view);

/* Execute p (observed state st), recording ownership; res->done counts. */
int engine_execute(struct engine *e, const struct plan *p, const struct state *st, size_t *done);

/* The actions that restore the sysctls jail6 changed. */
int engine_sysctl_restore(struct engine *e, struct plan *p);

#endif
