/* Converge: make the host match the model (apply, start). */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>

#include "util/msg.h"

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

int engine_converge(struct engine *e, struct model *m, const struct engine_converge_opts *o,
		    struct engine_result *res)
{
	struct engine_stale stale = { 0 };
	struct state st = { 0 };
	struct model view = { 0 };
	int r;

	memset(res, 0, sizeof(*res));
	if (!e->store)
		return engine_fail(e, -EINVAL, "no state directory: nothing can be recorded");
	if (o->dry_run)
		store_begin(e->store); /* leases and forgotten records roll back */
	r = engine_resolve_auto(e, m, false);
	if (r == 0)
		r = engine_observe(e, m, &st, &stale);
	if (r == 0)
		r = engine_forget(e, &stale);
	if (r == 0 && !o->dry_run)
		r = engine_journal_reset(e, &stale);
	if (r == 0 && (r = engine_view(e, m, &view, o->only, o->n_only)) < 0)
		engine_fail(e, r, "out of memory");
	if (r < 0)
		goto cleanup;
	r = plan_conflicts(&view, &st, &res->conflicts);
	if (r == 0 && res->conflicts.n) {
		r = engine_fail(e, -EEXIST, "%zu conflict%s with objects jail6 did not create; nothing was changed",
				res->conflicts.n, res->conflicts.n == 1 ? "" : "s");
		goto cleanup;
	}
	if (r == 0)
		r = plan_into(e, &view, &st, o->additive, res);
	msg_debug("converge: %zu links, %zu addresses, %zu routes, %zu jails observed; %zu actions",
		  st.n_links, st.n_addrs, st.n_routes, st.n_jails, res->plan.n_actions);
	if (r == 0 && !o->dry_run && res->plan.n_actions)
		r = engine_execute(e, &res->plan, &st, &res->done);
cleanup:
	if (o->dry_run)
		store_rollback(e->store);
	engine_stale_free(&stale);
	engine_view_free(&view);
	state_free(&st);
	return r;
}
