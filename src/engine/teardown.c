/* Teardown: remove what jail6 created (destroy, stop). */
#include "engine/engine_int.h"
#include "engine/idmap.h"

#include <errno.h>
#include <string.h>

/* Run exec.stop of a jail that is up, if the config gives one; a failure
 * is a warning: the jail goes anyway. */
static void exec_stop(struct engine *e, const struct model_jail *j, const struct state *st)
{
	const struct backend_exec_opts bo = { .to_log = true };
	char err[512] = "";
	int status = 0;

	if (!j->exec_stop.argc || !state_find_jail(st, j->name))
		return;
	engine_say(e, "[%s] exec.stop: %s", j->name, j->exec_stop.argv[0]);
	if (e->ops->jail_exec(e->be, j->name, j->exec_stop.argv, &bo, &status, err, sizeof(err)) < 0)
		engine_warn(e, "%s", err);
	else if (status)
		engine_warn(e, "%s", err[0] ? err : "exec.stop failed");
}

/* Why plan_destroy refused: a line per named jail that is not jail6's. */
static int refusal(struct engine *e, int r, const struct state *st, const char *const *jails, size_t n)
{
	size_t off = 0;

	e->err[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(e->err); i++) {
		const struct state_jail *sj = state_find_jail(st, jails[i]);
		int k = 0;
		if (!sj)
			k = snprintf(e->err + off, sizeof(e->err) - off, "%sjail %s: not running", off ? "\n" : "",
				     jails[i]);
		else if (!sj->owned)
			k = snprintf(e->err + off, sizeof(e->err) - off, "%sjail %s: not created by jail6; left alone",
				     off ? "\n" : "", jails[i]);
		off += k > 0 ? (size_t)k : 0;
	}
	return r;
}

/* Store callback: forget a sysctl record once its value was restored. */
static int forget_sysctl(const struct store_own *o, void *arg)
{
	store_own_del(arg, o);
	return 0;
}

int engine_teardown(struct engine *e, const struct model *m, const char *const *jails, size_t n,
		    bool dry_run, bool keep_leases, struct engine_result *res)
{
	struct engine_stale stale = { 0 };
	struct state st = { 0 };
	int r;

	memset(res, 0, sizeof(*res));
	if (!e->store)
		return engine_fail(e, -EINVAL, "no state directory: nothing jail6 created is known");
	r = engine_observe(e, m, &st, dry_run ? NULL : &stale);
	if (r == 0)
		r = engine_forget(e, &stale);
	if (r == 0)
		r = engine_journal_reset(e, &stale);
	if (r < 0)
		goto cleanup;
	r = plan_destroy(&st, jails, n, &res->plan);
	if (r == -ENOENT || r == -EPERM) {
		plan_free(&res->plan);
		refusal(e, r, &st, jails, n);
		goto cleanup;
	}
	if (r == 0 && n == 0)
		r = engine_sysctl_restore(e, &res->plan);
	if (r < 0) {
		engine_fail(e, r, "plan: %s", strerror(-r));
		goto cleanup;
	}
	/* a full destroy also gives back the id ranges of jails an apply
	 * leased but never made (the others go with their jails) */
	if (!dry_run && n == 0 && !keep_leases && idmap_release_orphans(e->store) < 0)
		engine_warn(e, "store: releasing id ranges: %s", store_errmsg(e->store));
	if (dry_run || res->plan.n_actions == 0)
		goto cleanup;
	for (size_t i = 0; m && i < m->n_jails; i++) {
		bool named = n == 0;
		for (size_t k = 0; k < n; k++)
			named = named || !strcmp(jails[k], m->jails[i].name);
		if (named)
			exec_stop(e, &m->jails[i], &st);
	}
	e->keep_leases = keep_leases;
	r = engine_execute(e, &res->plan, &st, &res->done);
	e->keep_leases = false;
	if (r == 0 && n == 0)
		store_own_list(e->store, STORE_OWN_SYSCTL, NULL, forget_sysctl, e->store);
cleanup:
	engine_stale_free(&stale);
	state_free(&st);
	return r;
}
