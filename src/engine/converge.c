/* Converge: make the host match the model (apply, start). */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>

#include "util/msg.h"
#include "util/strmap.h"

/* Whether an action removes something (start NAME removes nothing). */
static bool removes(enum action_kind k)
{
	return k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY || k == ACTION_ADDR_DEL ||
	       k == ACTION_ROUTE_DEL;
}

/* Plan for *view over *st into res->plan (only additions when additive). */
static int plan_into(struct engine *e, const struct model *view, const struct state *st, bool additive,
		     struct engine_result *res)
{
	struct plan p = { 0 };
	int r = plan_build(view, st, &p);

	for (size_t i = 0; r == 0 && i < p.n_actions; i++)
		if (!additive || !removes(p.actions[i].kind))
			r = plan_append(&res->plan, &p.actions[i]);
	plan_free(&p);
	return r < 0 ? engine_fail(e, r, "plan: %s", strerror(-r)) : 0;
}

/* Whether p destroys a jail for good at action i: a JAIL_DESTROY of a jail
 * that p does not create again (an incomplete jail is remade, not removed).
 * made holds the jails p creates. */
static bool doomed_at(const struct plan *p, size_t i, const struct strmap *made)
{
	return p->actions[i].kind == ACTION_JAIL_DESTROY && !strmap_get(made, p->actions[i].target);
}

/*
 * The guard against a file that says less than it meant to (empty, cut
 * short, or pointed at the wrong file): a plan that removes every object
 * jail6 made, or more than half of its jails, is not run without prune.
 */
static int guard(struct engine *e, const struct model *m, const struct state *st, const struct plan *p)
{
	size_t owned = 0, doomed = 0, removals = 0, off;
	struct strmap made = { 0 };
	int r = 0;

	for (size_t i = 0; i < st->n_jails; i++)
		owned += st->jails[i].owned;
	for (size_t i = 0; r == 0 && i < p->n_actions; i++)
		if (p->actions[i].kind == ACTION_JAIL_CREATE)
			r = strmap_put(&made, p->actions[i].target, (void *)p->actions[i].target);
	if (r < 0) {
		strmap_free(&made);
		return engine_fail(e, r, "out of memory");
	}
	for (size_t i = 0; i < p->n_actions; i++) {
		doomed += doomed_at(p, i, &made);
		removals += removes(p->actions[i].kind);
	}
	if (!(owned && doomed * 2 > owned) && !(removals && !m->n_tunnels && !m->n_bridges && !m->n_jails)) {
		strmap_free(&made);
		return 0;
	}
	off = (size_t)snprintf(e->err, sizeof(e->err), "the plan removes %zu of the %zu jails jail6 made", doomed,
			       owned);
	for (size_t i = 0, k = 0; i < p->n_actions && off < sizeof(e->err); i++)
		if (doomed_at(p, i, &made))
			off += (size_t)snprintf(e->err + off, sizeof(e->err) - off, "%s%s", k++ ? ", " : " (",
						 p->actions[i].target);
	if (off < sizeof(e->err))
		snprintf(e->err + off, sizeof(e->err) - off, "%s%s; nothing was changed: apply --prune removes them",
			 doomed ? ")" : "", m->n_jails ? "" : ", and the file has no jail");
	strmap_free(&made);
	return -ECANCELED;
}

int engine_converge(struct engine *e, struct model *m, const struct engine_converge_opts *o,
		    struct engine_result *res)
{
	struct engine_stale stale = { 0 };
	struct model *view = &res->view;
	struct state st = { 0 };
	int r;

	memset(res, 0, sizeof(*res));
	if (!e->store)
		return engine_fail(e, -EINVAL, "no state directory: nothing can be recorded");
	if (o->dry_run)
		store_begin(e->store); /* leases and forgotten records roll back */
	r = engine_resolve_auto(e, m, false);
	if (r == 0)
		r = engine_resolve_idmap(e, m, false);
	if (r == 0)
		r = engine_observe(e, m, &st, &stale);
	if (r == 0 && o->after && o->dry_run && (r = plan_state_apply(&st, o->after)) < 0)
		engine_fail(e, r, "the plan after the stop could not be worked out: %s", strerror(-r));
	if (r == 0)
		r = engine_forget(e, &stale);
	if (r == 0 && !o->dry_run)
		r = engine_journal_reset(e, &stale);
	if (r == 0 && (r = engine_view(e, m, view, o->only, o->n_only, o->additive ? &st : NULL)) < 0)
		engine_fail(e, r, "out of memory");
	if (r < 0)
		goto cleanup;
	r = plan_conflicts(view, &st, &res->conflicts);
	if (r == 0 && res->conflicts.n) {
		r = engine_fail(e, -EEXIST, "%zu conflict%s with objects jail6 did not create; nothing was changed",
				res->conflicts.n, res->conflicts.n == 1 ? "" : "s");
		goto cleanup;
	}
	if (r == 0)
		r = plan_into(e, view, &st, o->additive, res);
	if (r == 0 && !o->prune)
		r = guard(e, m, &st, &res->plan);
	msg_debug("converge: %zu links, %zu addresses, %zu routes, %zu jails observed; %zu actions",
		  st.n_links, st.n_addrs, st.n_routes, st.n_jails, res->plan.n_actions);
	if (r == 0 && !o->dry_run && res->plan.n_actions)
		r = engine_execute(e, &res->plan, &st, &res->done);
cleanup:
	if (o->dry_run)
		store_rollback(e->store);
	engine_stale_free(&stale);
	state_free(&st);
	return r;
}
