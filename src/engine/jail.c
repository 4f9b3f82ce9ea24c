/* The jail operations: start, stop, restart, list, exec. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Record the user's wish (running or stopped) so that apply respects it. */
static int set_wish(struct engine *e, const struct model *m, const char *name, enum store_jail_state st)
{
	const struct model_jail *j = model_find_jail(m, name);
	struct store_jail rec = { .state = st };

	if (store_jail_get(e->store, name, &rec) == 0)
		return store_jail_set_state(e->store, name, st);
	rec.state = st;
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.hostname, sizeof(rec.hostname), "%s", j && j->hostname ? j->hostname : "");
	snprintf(rec.path, sizeof(rec.path), "%s", j && j->path ? j->path : "");
	return store_jail_put(e->store, &rec);
}

/* Every name must be a jail of *m. */
static int known(struct engine *e, const struct model *m, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!model_find_jail(m, names[i]))
			return engine_fail(e, -ENOENT, "no jail '%s' in the configuration", names[i]);
	return e->store ? 0 : engine_fail(e, -EINVAL, "no state directory");
}

/* The names[] whose jail exists on the host, in up[] (*k of them). */
static int which_exist(struct engine *e, const struct model *m, const char *const *names, size_t n,
		       const char **up, size_t *k)
{
	struct state st = { 0 };
	int r = engine_observe(e, m, &st, NULL);

	*k = 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (state_find_jail(&st, names[i]))
			up[(*k)++] = names[i];
	state_free(&st);
	return r;
}

int engine_jail_start(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
		      struct engine_result *res)
{
	struct engine_converge_opts o = { .only = names, .n_only = n, .dry_run = dry_run, .additive = true };
	int r = known(e, m, names, n);

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; r == 0 && i < n && !dry_run; i++)
		if ((r = set_wish(e, m, names[i], STORE_JAIL_RUNNING)) < 0)
			engine_fail(e, r, "store: %s", store_errmsg(e->store));
	return r ? r : engine_converge(e, m, &o, res);
}

int engine_jail_stop(struct engine *e, const struct model *m, const char *const *names, size_t n, bool dry_run,
		     struct engine_result *res)
{
	const char **up = calloc(n ? n : 1, sizeof(*up));
	size_t k = 0;
	int r = up ? known(e, m, names, n) : engine_fail(e, -ENOMEM, "out of memory");

	memset(res, 0, sizeof(*res));
	/* the wish first: a stop killed half way still leaves them stopped */
	for (size_t i = 0; r == 0 && i < n && !dry_run; i++)
		if ((r = set_wish(e, m, names[i], STORE_JAIL_STOPPED)) < 0)
			engine_fail(e, r, "store: %s", store_errmsg(e->store));
	/* a jail that does not run is stopped already */
	if (r == 0)
		r = which_exist(e, m, names, n, up, &k);
	if (r == 0 && k)
		r = engine_teardown(e, m, up, k, dry_run, true, res);
	free(up);
	return r;
}

int engine_jail_shutdown(struct engine *e, const struct model *m, bool dry_run, struct engine_result *res)
{
	const char **names = calloc(m->n_jails ? m->n_jails : 1, sizeof(*names));
	const char **up = calloc(m->n_jails ? m->n_jails : 1, sizeof(*up));
	size_t k = 0;
	int r = names && up ? known(e, m, NULL, 0) : engine_fail(e, -ENOMEM, "out of memory");

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < m->n_jails && names; i++)
		names[i] = m->jails[i].name;
	if (r == 0)
		r = which_exist(e, m, names, m->n_jails, up, &k);
	if (r == 0 && k) {
		e->keep_wish = true;
		r = engine_teardown(e, m, up, k, dry_run, true, res);
		e->keep_wish = false;
	}
	free(names);
	free(up);
	return r;
}

/* restart -n of jails that run: the stop's plan (in *res) followed by the
 * start's, planned as if the stop had run (nothing ran). */
static int restart_dry(struct engine *e, struct model *m, const char *const *names, size_t n,
		       struct engine_result *res)
{
	struct engine_converge_opts o = { .only = names, .n_only = n, .dry_run = true, .additive = true,
					  .after = &res->plan };
	struct engine_result start = { 0 };
	struct plan both = { 0 };
	int r = known(e, m, names, n);

	if (r == 0)
		r = engine_converge(e, m, &o, &start);
	for (size_t i = 0; r == 0 && i < res->plan.n_actions + start.plan.n_actions; i++) {
		const struct plan *p = i < res->plan.n_actions ? &res->plan : &start.plan;
		size_t k = i < res->plan.n_actions ? i : i - res->plan.n_actions;
		if (plan_append(&both, &p->actions[k]) < 0)
			r = engine_fail(e, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		plan_free(&both);
		engine_result_free(&start);
		return r;
	}
	/* the result owns both views: the stop's actions borrow the first */
	plan_free(&res->plan);
	plan_free(&start.plan);
	res->plan = both;
	res->view0 = res->view;
	res->view = start.view;
	plan_conflicts_free(&res->conflicts);
	res->conflicts = start.conflicts;
	return 0;
}

int engine_jail_restart(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
			struct engine_result *res)
{
	const char **up = calloc(n ? n : 1, sizeof(*up));
	size_t k = 0;
	int r = up ? known(e, m, names, n) : engine_fail(e, -ENOMEM, "out of memory");

	memset(res, 0, sizeof(*res));
	/* stop what runs (a stopped jail is fine), then start */
	if (r == 0)
		r = which_exist(e, m, names, n, up, &k);
	if (r == 0 && k)
		r = engine_jail_stop(e, m, up, k, dry_run, res);
	free(up);
	if (r == 0 && dry_run && k)
		return restart_dry(e, m, names, n, res);
	if (r == 0) {
		engine_result_free(res);
		r = engine_jail_start(e, m, names, n, dry_run, res);
	}
	return r;
}

int engine_jail_list(struct engine *e, struct model *m, struct engine_jail_info **out, size_t *n)
{
	struct state st = { 0 };
	struct engine_jail_info *v;
	int r;

	*out = NULL;
	*n = 0;
	v = calloc(m->n_jails ? m->n_jails : 1, sizeof(*v));
	if (!v)
		return engine_fail(e, -ENOMEM, "out of memory");
	r = engine_resolve_auto(e, m, true);
	if (r == 0)
		r = engine_resolve_idmap(e, m, true);
	if (r == 0)
		r = engine_observe(e, m, &st, NULL);
	for (size_t i = 0; r == 0 && i < m->n_jails; i++) {
		const struct model_jail *j = &m->jails[i];
		v[i].jail = j;
		v[i].state = engine_jail_state_of(e, j, &st);
	}
	state_free(&st);
	if (r < 0) {
		free(v);
		return r;
	}
	*out = v;
	*n = m->n_jails;
	return 0;
}

int engine_jail_exec(struct engine *e, const char *name, char *const argv[], const struct engine_exec_opts *o,
		     int *status)
{
	struct backend_exec_opts bo = { .env = o ? o->env : NULL, .user = o ? o->user : NULL };
	struct model one = { 0 };
	struct model_jail j = { 0 };
	struct state st = { 0 };
	const struct state_jail *sj;
	int r;

	if (!model_jailname_ok(name))
		return engine_fail(e, -EINVAL, "'%s' is not a valid jail name", name);
	snprintf(j.name, sizeof(j.name), "%s", name);
	one.jails = &j;
	one.n_jails = 1;
	r = engine_observe(e, &one, &st, NULL);
	sj = r == 0 ? state_find_jail(&st, name) : NULL;
	if (r == 0 && (!sj || !sj->owned))
		r = sj ? engine_fail(e, -EPERM, "%s: not a jail of jail6's (a namespace of that name that jail6 did "
				 "not create, or another one now)", name)
		       : engine_fail(e, -ESRCH, "jail %s is not running", name);
	else if (r == 0 && sj->incomplete)
		r = engine_fail(e, -ESRCH, "jail %s is incomplete (a part of it is missing): apply makes it again",
				name);
	state_free(&st);
	if (r < 0)
		return r;
	/* the command may run for long: the lock is not held meanwhile */
	store_close(e->store);
	e->store = NULL;
	e->err[0] = '\0';
	return e->ops->jail_exec(e->be, name, argv, &bo, status, e->err, sizeof(e->err));
}
