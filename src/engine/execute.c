/*
 * Executing a plan with ownership: what the plan creates is claimed in the
 * store before it runs, removals are recorded as each object is gone, and
 * the rest is recorded in one transaction at the end (a commit per action
 * made SQLite the largest cost of applying 1000 jails).
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/testhook.h"

/*
 * Record ownership before the action runs. A jail's record carries
 * STORE_OWN_F_START_PENDING while its exec.start has not completed: set
 * when the plan is claimed, cleared when the exec is recorded as done. A
 * kill or a failing exec.start leaves it, and the next observe reports
 * start_pending, so the next apply runs exec.start again (at least once,
 * not exactly once: a kill during exec.start reruns it).
 */
static int own_before(struct engine *e, const struct action *a, const struct state *st)
{
	const struct state_sysctl *old;
	struct store_own o;
	int r;

	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		o = store_own_jail(a->target);
		return store_own_add(e->store, &o);
	case ACTION_JAIL_EXEC:
		/* comes after its JAIL_CREATE: marks the jail until it ran */
		o = store_own_jail(a->target);
		o.flags = STORE_OWN_F_START_PENDING;
		return store_own_add(e->store, &o);
	case ACTION_TUNNEL_CREATE:
	case ACTION_BRIDGE_CREATE:
		o = store_own_link(a->ns, a->ifname);
		return store_own_add(e->store, &o);
	case ACTION_VETH_CREATE:
		o = store_own_link(a->ns, a->ifname);
		r = store_own_add(e->store, &o);
		o = store_own_link(a->ns, a->peer);
		return r ? r : store_own_add(e->store, &o);
	case ACTION_LINK_SET_NS:
		/* owned in its new namespace only if it was owned here */
		o = store_own_link(a->ns, a->ifname);
		if (store_own_has(e->store, &o) != 1)
			return 0;
		o = store_own_link(a->target, a->ifname);
		return store_own_add(e->store, &o);
	case ACTION_ADDR_ADD:
		o = store_own_addr(a->ns, a->ifname, &a->addr);
		return store_own_add(e->store, &o);
	case ACTION_ROUTE_ADD:
		o = store_own_route(a->ns, &a->addr);
		return store_own_add(e->store, &o);
	case ACTION_SYSCTL_SET:
		/* remember the value it had first, once: destroy restores it */
		o = store_own_sysctl(a->ns, a->key, NULL);
		if (store_own_has(e->store, &o) == 1)
			return 0;
		old = st ? state_find_sysctl(st, a->ns, a->key) : NULL;
		o = store_own_sysctl(a->ns, a->key, old ? old->value : NULL);
		return store_own_add(e->store, &o);
	default:
		return 0;
	}
}

/* Forget or complete ownership after the action ran. */
static int own_after(struct engine *e, const struct action *a)
{
	struct store_own o;

	switch (a->kind) {
	case ACTION_JAIL_DESTROY:
		o = store_own_jail(a->target);
		store_own_del(e->store, &o);
		if (e->keep_leases) { /* stop: the jail keeps its addresses */
			store_jail_set_state(e->store, a->target, STORE_JAIL_STOPPED);
			return 0;
		}
		store_ipam_release_jail(e->store, a->target);
		store_jail_del(e->store, a->target);
		return 0;
	case ACTION_LINK_SET_NS:
	case ACTION_LINK_DESTROY:
		o = store_own_link(a->ns, a->ifname);
		store_own_del(e->store, &o);
		return 0;
	case ACTION_ADDR_DEL:
		o = store_own_addr(a->ns, a->ifname, &a->addr);
		store_own_del(e->store, &o);
		return 0;
	case ACTION_ROUTE_DEL:
		o = store_own_route(a->ns, &a->addr);
		store_own_del(e->store, &o);
		return 0;
	case ACTION_JAIL_EXEC:
		o = store_own_jail(a->target);
		return store_own_add(e->store, &o);
	case ACTION_JAIL_CREATE: {
		struct store_jail j = { .state = STORE_JAIL_RUNNING };
		snprintf(j.name, sizeof(j.name), "%s", a->target);
		snprintf(j.hostname, sizeof(j.hostname), "%s", a->hostname ? a->hostname : "");
		snprintf(j.path, sizeof(j.path), "%s", a->path ? a->path : "");
		return store_jail_put(e->store, &j);
	}
	default:
		return 0;
	}
}

/* Whether the action removes something: its record goes at once (a lease
 * must not outlive its jail even when jail6 is killed right after). */
static bool is_removal(enum action_kind k)
{
	return k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY || k == ACTION_ADDR_DEL ||
	       k == ACTION_ROUTE_DEL;
}

/* Claim, in one transaction, every object the plan will create. */
static int claim_all(struct engine *e, const struct plan *p, const struct state *st)
{
	int r = store_begin(e->store);

	for (size_t i = 0; !r && i < p->n_actions; i++)
		r = own_before(e, &p->actions[i], st);
	if (r) {
		store_rollback(e->store);
		return engine_fail(e, r, "store: %s", store_errmsg(e->store));
	}
	r = store_commit(e->store);
	return r ? engine_fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
}

/* What one execution has done so far. */
struct run {
	struct engine *e;
	const struct action **done;   /* in the order they completed */
	size_t n_done;
	long kill_after;              /* test hook: SIGKILL after this many; -1 */
};

static void on_start(void *arg, const struct action *a)
{
	struct run *x = arg;
	char desc[512];

	engine_say(x->e, "%s", action_describe(a, desc, sizeof(desc)));
}

static int on_done(void *arg, const struct action *a)
{
	struct run *x = arg;
	char desc[512];
	int r;

	if (is_removal(a->kind) && (r = own_after(x->e, a)) < 0)
		return engine_fail(x->e, r, "%s: store: %s", action_describe(a, desc, sizeof(desc)),
				   store_errmsg(x->e->store));
	x->done[x->n_done++] = a;
	if (x->kill_after >= 0 && (long)x->n_done == x->kill_after)
		raise(SIGKILL);
	return 0;
}

/* Record what was done (all but removals, recorded already) and log it as
 * events, in one transaction. */
static int record_done(struct engine *e, const struct run *x)
{
	char desc[512];
	int r = store_begin(e->store);

	for (size_t i = 0; !r && i < x->n_done; i++) {
		if (!is_removal(x->done[i]->kind))
			r = own_after(e, x->done[i]);
		if (!r)
			r = store_event(e->store, "%s", action_describe(x->done[i], desc, sizeof(desc)));
	}
	if (r) {
		store_rollback(e->store);
		return r;
	}
	return store_commit(e->store);
}

/* JAIL6_TEST_KILL_AFTER=K (test build only): SIGKILL after K actions. */
static long kill_after(void)
{
	const char *s = testhook_env("JAIL6_TEST_KILL_AFTER");
	char *end;
	long k;

	if (!s || !*s)
		return -1;
	k = strtol(s, &end, 10);
	return *end || k < 0 ? -1 : k;
}

int engine_execute(struct engine *e, const struct plan *p, const struct state *st, size_t *done)
{
	struct run x = { .e = e, .kill_after = kill_after() };
	struct backend_exec_cb cb = { .start = on_start, .done = on_done, .arg = &x };
	int r, r2;

	*done = 0;
	if (!e->store)
		return engine_fail(e, -EINVAL, "no state directory: nothing can be recorded");
	x.done = calloc(p->n_actions ? p->n_actions : 1, sizeof(*x.done));
	if (!x.done)
		return engine_fail(e, -ENOMEM, "out of memory");
	r = claim_all(e, p, st);
	if (r == 0) {
		e->err[0] = '\0';
		r = e->ops->execute(e->be, p, st, &cb, e->err, sizeof(e->err));
	}
	*done = x.n_done;
	r2 = record_done(e, &x);
	if (!r && r2)
		r = engine_fail(e, r2, "store: %s", store_errmsg(e->store));
	free(x.done);
	return r;
}

/* Store callback: the action that puts a recorded sysctl value back. */
static int restore_cb(const struct store_own *o, void *arg)
{
	struct action a = { .kind = ACTION_SYSCTL_SET };

	if (!o->has_detail) /* the value before jail6 is unknown: leave it */
		return 0;
	snprintf(a.ns, sizeof(a.ns), "%s", o->ns);
	snprintf(a.key, sizeof(a.key), "%s", o->name);
	snprintf(a.value, sizeof(a.value), "%.*s", (int)sizeof(a.value) - 1, o->detail);
	return plan_append(arg, &a);
}

int engine_sysctl_restore(struct engine *e, struct plan *p)
{
	return store_own_list(e->store, STORE_OWN_SYSCTL, NULL, restore_cb, p);
}
