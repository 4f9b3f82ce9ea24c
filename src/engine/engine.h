/*
 * The engine: what `apply`, `destroy`, `status` and the jail commands share
 * on Linux. It joins the pieces: the store (ownership, IPAM, lock), the Linux
 * backend (observe, execute) and the pure planner. The CLI only prints.
 */
#ifndef JAIL6_ENGINE_ENGINE_H
#define JAIL6_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"
#include "model/state.h"
#include "plan/plan.h"

struct store;
struct linux_ctx;

struct engine {
	struct store *store;
	struct linux_ctx *lx;
	const char *runtime_dir;
	FILE *log;              /* one line per action; NULL = silent */
	bool keep_leases;       /* a destroyed jail keeps its IPAM leases (stop) */
	char err[512];          /* the message of the last failure */
};

/* Options of engine_open(). */
struct engine_opts {
	const char *state_dir;
	const char *host_netns;  /* NULL = the caller's namespace */
	const char *runtime_dir; /* NULL = /run/netns */
	bool readonly;           /* shared lock, no writes (status, list) */
	int lock_timeout_ms;     /* < 0: the store's default */
};

/* Open the store (taking its lock) and the Linux backend. 0 or -errno with
 * e->err set. */
int engine_open(struct engine *e, const struct engine_opts *o);

/* Release everything; NULL-tolerant, safe on a half-opened engine. */
void engine_close(struct engine *e);

/*
 * Give every `address = auto` of *m an address from the store's IPAM: the
 * lease it already has, else the lowest free one of its bridge's IPv6 prefix
 * (never a bridge address or a static one). With lookup_only, only existing
 * leases are used and an auto without one stays unresolved (n_auto kept).
 */
int engine_resolve_auto(struct engine *e, struct model *m, bool lookup_only);

/*
 * Observe the host and every jail that *m names or the store owns, mark the
 * facts jail6 owns, and forget ownership records whose object is gone (a
 * killed apply may leave such records behind).
 */
int engine_observe(struct engine *e, const struct model *m, struct state *st);

/*
 * Execute a plan in order, logging each action; ownership is recorded before
 * an object is created (so a kill between the two leaves it owned, and the
 * next apply converges) and forgotten after it is removed. *st is the
 * observed state the plan was built from (sysctl values to restore).
 * Stops at the first failure: returns -errno with e->err naming the object.
 * *done receives how many actions succeeded.
 */
int engine_execute(struct engine *e, const struct plan *p, const struct state *st, size_t *done);

/* Which jails of *m apply should run: autostart and not stopped by the user. */
bool engine_jail_wanted(struct engine *e, const struct model_jail *j);

/* A copy of *m without the jails that engine_jail_wanted refuses, but with
 * those named in only[] (the strings are borrowed: free with
 * engine_model_view_free, not model_free). */
int engine_model_view(struct engine *e, const struct model *m, struct model *view,
		      const char *const *only, size_t n_only);
void engine_model_view_free(struct model *view);

/* The plan that restores the sysctls jail6 changed (destroy everything). */
int engine_sysctl_restore(struct engine *e, struct plan *p);

#endif
