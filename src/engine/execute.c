/*
 * Executing a plan with ownership. A record exists only while its object
 * exists and jail6 made it:
 *  - before the plan runs, what it will create is claimed in one
 *    transaction (STORE_OWN_F_CLAIMED, with the action's place);
 *  - before each action the journal says which one starts, and after it
 *    that it ran (one pwrite each);
 *  - a removal's record goes as soon as the backend says the object is
 *    gone (a lease must not outlive its jail even if jail6 is killed);
 *  - at the end, in one transaction, the claims of the actions that ran
 *    are confirmed with what tells their object from a look-alike (an
 *    ifindex, a namespace cookie), the claims of those that did not are
 *    dropped, and every record whose object went along with another (a
 *    link's addresses, a jail's interfaces) is forgotten: the effect of
 *    what ran is simulated (plan/simulate.c) on the state the plan was
 *    built from.
 * A kill leaves claims and the journal: the next observe keeps the claims
 * whose action ran and whose object is there (engine/observe.c); that of
 * an action cut short is dropped, as its object may never have been made
 * and a look-alike made since must stay someone else's.
 * A commit per action made SQLite the largest cost of applying 1000 jails;
 * a journal write is a few microseconds.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/testhook.h"

/* The links claimed so far in this plan: "ns/name" -> place + 1. */
struct claims {
	struct strmap links;
	char **keys;
	size_t n;
};

/* Remember that link (ns, name) was claimed at place i. */
static int claims_put(struct claims *c, const char *ns, const char *name, int64_t i)
{
	char *k, **v;

	if (asprintf(&k, "%s/%s", ns, name) < 0)
		return -ENOMEM;
	v = realloc(c->keys, (c->n + 1) * sizeof(*v));
	if (!v) {
		free(k);
		return -ENOMEM;
	}
	c->keys = v;
	c->keys[c->n++] = k;
	return strmap_put(&c->links, k, (void *)(intptr_t)(i + 1));
}

/* The place link (ns, name) was claimed at in this plan, or -1. */
static int64_t claims_get(const struct claims *c, const char *ns, const char *name)
{
	char k[2 * MODEL_NAME_MAX + 2];

	snprintf(k, sizeof(k), "%s/%s", ns, name);
	return (int64_t)(intptr_t)strmap_get(&c->links, k) - 1;
}

static void claims_free(struct claims *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i]);
	free(c->keys);
	strmap_free(&c->links);
}

/* Claim link (ns, name) for place i. */
static int claim_link(struct engine *e, struct claims *c, const char *ns, const char *name, int64_t i)
{
	struct store_own o = store_own_link(ns, name);
	int r = store_own_claim(e->store, &o, i);

	return r < 0 ? r : claims_put(c, ns, name, i);
}

/* Claim what action a (place i) creates. */
static int claim(struct engine *e, struct claims *c, const struct action *a, int64_t i, const struct state *st)
{
	const struct state_sysctl *old;
	struct store_own o;
	int64_t at;
	int r;

	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		o = store_own_jail(a->target);
		return store_own_claim(e->store, &o, i);
	case ACTION_JAIL_EXEC:
		/* marks the jail until exec.start ran: its claim, or its record */
		o = store_own_jail(a->target);
		return store_own_set_flags(e->store, &o, STORE_OWN_F_START_PENDING, 0);
	case ACTION_TUNNEL_CREATE:
	case ACTION_BRIDGE_CREATE:
		return claim_link(e, c, a->ns, a->ifname, i);
	case ACTION_VETH_CREATE:
		r = claim_link(e, c, a->ns, a->ifname, i);
		return r < 0 ? r : claim_link(e, c, a->ns, a->peer, i);
	case ACTION_LINK_SET_NS:
		/* owned in its new namespace only if it is jail6's here; a link
		 * this plan makes is claimed there from its making on (the
		 * backend may make it in the jail right away) */
		at = claims_get(c, a->ns, a->ifname);
		o = store_own_link(a->ns, a->ifname);
		if (at < 0 && store_own_has(e->store, &o) != 1)
			return 0;
		o = store_own_link(a->target, a->ifname);
		return store_own_claim(e->store, &o, at < 0 ? i : at);
	case ACTION_ADDR_ADD:
		o = store_own_addr(a->ns, a->ifname, &a->addr);
		return store_own_claim(e->store, &o, i);
	case ACTION_ROUTE_ADD:
		o = store_own_route(a->ns, &a->addr);
		return store_own_claim(e->store, &o, i);
	case ACTION_SYSCTL_SET:
		/* remember the value it had first, once: destroy restores it;
		 * not that of a jail's namespace or of a link of jail6's, which
		 * go with their jail or link */
		o = store_own_sysctl(a->ns, a->key, NULL);
		if (store_own_has(e->store, &o) == 1)
			return 0;
		old = st && !a->ns[0] && !state_sysctl_link(a->key)[0] ? state_find_sysctl(st, a->ns, a->key) : NULL;
		o = store_own_sysctl(a->ns, a->key, old ? old->value : NULL);
		return store_own_claim(e->store, &o, i);
	case ACTION_FILTER_CREATE:
		o = store_own_filter();
		return store_own_claim(e->store, &o, i);
	case ACTION_FILTER_PORT_SET:
		/* a port in a table of another instance of jail6 (the planner
		 * uses one without this store's record only then) joins it:
		 * recorded here too, the last instance to leave removes it */
		o = store_own_filter();
		r = store_own_has(e->store, &o);
		return r != 0 ? (r < 0 ? r : 0) : store_own_claim(e->store, &o, i);
	default:
		return 0;
	}
}

/* Confirm what action a made (made: its identity), now that it ran. */
static int confirm(struct engine *e, const struct action *a, const struct backend_made *made)
{
	struct store_own o;
	int r;

	switch (a->kind) {
	case ACTION_JAIL_CREATE: {
		struct store_jail j = { .state = STORE_JAIL_RUNNING };
		o = store_own_jail(a->target);
		r = store_own_confirm(e->store, &o, made->id);
		snprintf(j.name, sizeof(j.name), "%s", a->target);
		snprintf(j.hostname, sizeof(j.hostname), "%s", a->hostname ? a->hostname : "");
		snprintf(j.path, sizeof(j.path), "%s", a->path ? a->path : "");
		return r < 0 ? r : store_jail_put(e->store, &j);
	}
	case ACTION_JAIL_EXEC:
		o = store_own_jail(a->target);
		return store_own_set_flags(e->store, &o, 0, STORE_OWN_F_START_PENDING);
	case ACTION_TUNNEL_CREATE:
	case ACTION_BRIDGE_CREATE:
		o = store_own_link(a->ns, a->ifname);
		return store_own_confirm(e->store, &o, made->id);
	case ACTION_VETH_CREATE:
		o = store_own_link(a->ns, a->ifname);
		r = store_own_confirm(e->store, &o, made->id);
		o = store_own_link(a->ns, a->peer);
		return r < 0 ? r : store_own_confirm(e->store, &o, made->peer_id);
	case ACTION_LINK_SET_NS:
		o = store_own_link(a->ns, a->ifname);
		store_own_del(e->store, &o);
		o = store_own_link(a->target, a->ifname);
		return store_own_confirm(e->store, &o, made->id);
	case ACTION_ADDR_ADD:
		o = store_own_addr(a->ns, a->ifname, &a->addr);
		return store_own_confirm(e->store, &o, 0);
	case ACTION_ROUTE_ADD:
		o = store_own_route(a->ns, &a->addr);
		return store_own_confirm(e->store, &o, 0);
	case ACTION_SYSCTL_SET:
		o = store_own_sysctl(a->ns, a->key, NULL);
		return store_own_confirm(e->store, &o, 0);
	case ACTION_FILTER_CREATE:
		/* its handle is learnt by the next observe */
		o = store_own_filter();
		return store_own_confirm(e->store, &o, 0);
	case ACTION_FILTER_PORT_SET:
		/* settles a join's claim, keeps the handle already known */
		o = store_own_filter();
		r = store_own_set_flags(e->store, &o, 0, STORE_OWN_F_CLAIMED | STORE_OWN_F_RECLAIMED);
		return r < 0 ? r : 0;
	default:
		return 0;
	}
}

/* Forget the record of what removal a removed, at once; a record that a
 * later action of the plan claims (it makes the object again) stays, and
 * a jail made again keeps its leases. */
static int forget_removed(struct engine *e, const struct action *a)
{
	struct store_own o;

	switch (a->kind) {
	case ACTION_JAIL_DESTROY:
		o = store_own_jail(a->target);
		if (store_own_del_unclaimed(e->store, &o) == 0)
			return 0;
		if (e->keep_leases) { /* stop: the jail keeps its addresses */
			if (!e->keep_wish) /* (shutdown: apply starts it again) */
				store_jail_set_state(e->store, a->target, STORE_JAIL_STOPPED);
			return 0;
		}
		store_ipam_release_jail(e->store, a->target);
		store_idmap_release(e->store, a->target);
		store_jail_del(e->store, a->target);
		return 0;
	case ACTION_LINK_DESTROY:
		o = store_own_link(a->ns, a->ifname);
		break;
	case ACTION_ADDR_DEL:
		o = store_own_addr(a->ns, a->ifname, &a->addr);
		break;
	case ACTION_ROUTE_DEL:
		o = store_own_route(a->ns, &a->addr);
		break;
	case ACTION_FILTER_DESTROY:
		o = store_own_filter();
		break;
	default:
		return 0;
	}
	store_own_del_unclaimed(e->store, &o);
	return 0;
}

/* Whether the action removes something. */
static bool is_removal(enum action_kind k)
{
	return k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY || k == ACTION_ADDR_DEL ||
	       k == ACTION_ROUTE_DEL || k == ACTION_FILTER_DESTROY;
}

/* Claim, in one transaction, every object the plan will create. */
static int claim_all(struct engine *e, const struct plan *p, const struct state *st)
{
	struct claims c = { 0 };
	int r = store_begin(e->store);

	for (size_t i = 0; r >= 0 && i < p->n_actions; i++)
		r = claim(e, &c, &p->actions[i], (int64_t)i, st);
	claims_free(&c);
	if (r < 0) {
		store_rollback(e->store);
		return r == -ENOMEM ? engine_fail(e, r, "out of memory") : engine_fail(e, r, "store: %s", store_errmsg(e->store));
	}
	r = store_commit(e->store);
	return r ? engine_fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
}

/* One action that ran, and what it made. */
struct ran {
	const struct action *a;
	struct backend_made made;
};

/* What one execution has done so far. */
struct run {
	struct engine *e;
	const struct plan *p;
	struct ran *done;             /* in the order they completed */
	size_t n_done;
	struct state sim;             /* the observed state with their effect */
	long kill_after;              /* test hook: SIGKILL after this many; -1 */
	long kill_at_start;           /* test hook: SIGKILL as this one starts; -1 */
	long n_started;
	int err;
};

static void on_start(void *arg, const struct action *a)
{
	struct run *x = arg;
	char desc[512];

	engine_say(x->e, "%s", action_describe(a, desc, sizeof(desc)));
	/* a failed journal write only makes a kill's recovery drop this
	 * action's claim: remembered, reported at the end */
	if (store_journal_set(x->e->store, (int64_t)(a - x->p->actions)) < 0 && !x->err)
		x->err = -EIO;
	/* a kill with the action begun and its object not made yet */
	if (x->kill_at_start >= 0 && ++x->n_started == x->kill_at_start)
		raise(SIGKILL);
}

static int on_done(void *arg, const struct action *a, const struct backend_made *made)
{
	struct run *x = arg;
	char desc[512];
	int r;

	/* before anything else: a kill from here on leaves its object jail6's
	 * (a failed write: the next run takes it for someone else's) */
	if (store_journal_ran(x->e->store, x->n_done, (int64_t)(a - x->p->actions)) < 0 && !x->err)
		x->err = -EIO;
	if (is_removal(a->kind) && (r = forget_removed(x->e, a)) < 0)
		return engine_fail(x->e, r, "%s: store: %s", action_describe(a, desc, sizeof(desc)),
				   store_errmsg(x->e->store));
	x->done[x->n_done++] = (struct ran){ a, *made };
	/* errors only mean the simulation and the kernel disagree on an
	 * object already gone: the state is left as it was */
	plan_state_apply_action(&x->sim, a);
	if (x->kill_after >= 0 && (long)x->n_done == x->kill_after)
		raise(SIGKILL);
	return 0;
}

/* Store callback: forget a record whose object the run took away. */
static int reconcile_cb(const struct store_own *o, void *arg)
{
	struct run *x = arg;

	int r;

	if (o->flags & STORE_OWN_F_CLAIMED || engine_fact_present(&x->sim, o))
		return 0;
	r = store_own_del(x->e->store, o);
	return r == -ENOENT ? 0 : r;
}

/* Settle the records of what ran, in one transaction: confirm, drop the
 * claims of what did not run, forget what went along, log the events. */
static int record_run(struct engine *e, struct run *x)
{
	char desc[512];
	int r = store_begin(e->store);

	for (size_t i = 0; r >= 0 && i < x->n_done; i++) {
		if (!is_removal(x->done[i].a->kind))
			r = confirm(e, x->done[i].a, &x->done[i].made);
		if (r >= 0)
			r = store_event(e->store, "%s", action_describe(x->done[i].a, desc, sizeof(desc)));
	}
	if (r >= 0)
		r = store_own_drop_claims(e->store);
	if (r >= 0)
		r = store_own_list(e->store, -1, NULL, reconcile_cb, x);
	if (r < 0) {
		store_rollback(e->store);
		return r;
	}
	r = store_commit(e->store);
	if (r == 0)
		r = store_journal_set(e->store, -1);
	return r;
}

/* JAIL6_TEST_KILL_AFTER=K (test build only): SIGKILL after K actions;
 * JAIL6_TEST_KILL_AT_START=K: as the K-th starts, before the backend runs it. */
static long kill_hook(const char *name)
{
	const char *s = testhook_env(name);
	char *end;
	long k;

	if (!s || !*s)
		return -1;
	k = strtol(s, &end, 10);
	return *end || k < 0 ? -1 : k;
}

int engine_execute(struct engine *e, const struct plan *p, const struct state *st, size_t *done)
{
	struct run x = { .e = e, .p = p, .kill_after = kill_hook("JAIL6_TEST_KILL_AFTER"),
			 .kill_at_start = kill_hook("JAIL6_TEST_KILL_AT_START") };
	struct backend_exec_cb cb = { .start = on_start, .done = on_done, .arg = &x };
	int r, r2;

	*done = 0;
	if (!e->store)
		return engine_fail(e, -EINVAL, "no state directory: nothing can be recorded");
	x.done = calloc(p->n_actions ? p->n_actions : 1, sizeof(*x.done));
	if (!x.done || (st && state_append(&x.sim, st) < 0)) {
		free(x.done);
		state_free(&x.sim);
		return engine_fail(e, -ENOMEM, "out of memory");
	}
	r = claim_all(e, p, st);
	if (r == 0) {
		e->err[0] = '\0';
		r = e->ops->execute(e->be, p, st, &cb, e->err, sizeof(e->err));
	}
	*done = x.n_done;
	r2 = record_run(e, &x);
	if (!r && r2)
		r = engine_fail(e, r2, "store: %s", store_errmsg(e->store));
	if (!r && x.err)
		r = engine_fail(e, x.err, "%s/%s: cannot write the journal", "state dir", STORE_JOURNAL_NAME);
	state_free(&x.sim);
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
