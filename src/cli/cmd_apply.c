/* jail6 apply: observe the host, plan, and execute the plan. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "model/model.h"
#include "plan/plan.h"
#include "store/store.h"

int cli_engine_open(const struct cli_global *g, struct engine *e, bool readonly)
{
	struct engine_opts o = {
		.state_dir = g->state_dir,
		.host_netns = g->host_netns,
		.runtime_dir = g->runtime_dir,
		.readonly = readonly,
		.lock_timeout_ms = g->lock_timeout_ms,
	};
	int r = engine_open(e, &o);

	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", e->err[0] ? e->err : strerror(-r));
		if (r == -EPERM || r == -EACCES)
			fprintf(stderr, "jail6: this needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)\n");
		engine_close(e);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* Print the clashes with objects jail6 did not create; true when any. */
static bool report_conflicts(const struct model *m, const struct state *st)
{
	struct plan_conflicts c = { 0 };
	bool any;

	if (plan_conflicts(m, st, &c) < 0) {
		fprintf(stderr, "jail6: out of memory\n");
		return true;
	}
	for (size_t i = 0; i < c.n; i++)
		fprintf(stderr, "jail6: %s\n", c.msgs[i]);
	any = c.n > 0;
	if (any)
		fprintf(stderr, "jail6: %zu conflict%s with objects jail6 did not create; nothing was changed\n",
			c.n, c.n == 1 ? "" : "s");
	plan_conflicts_free(&c);
	return any;
}

int cli_run_plan(struct engine *e, const struct plan *p, const struct state *st, bool dry_run,
		 const char *what)
{
	size_t done = 0;
	int r;

	if (dry_run) {
		plan_render_text(stdout, p);
		return CLI_EXIT_OK;
	}
	e->log = stdout;
	r = engine_execute(e, p, st, &done);
	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", e->err);
		fprintf(stderr, "jail6: stopped after %zu of %zu actions; %s\n", done, p->n_actions, what);
		return CLI_EXIT_FAIL;
	}
	printf("jail6: %zu action%s applied\n", done, done == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

/*
 * The shared body of apply and start: resolve auto addresses, observe, plan
 * for the jails `view` keeps, refuse foreign clashes, then execute (or print
 * with dry_run). additive_only drops removals from the plan (start NAME must
 * not tear down anything else).
 */
int cli_converge(const struct cli_global *g, struct engine *e, struct model *m,
		 const char *const *only, size_t n_only, bool dry_run, bool additive_only)
{
	struct state st = { 0 };
	struct model view = { 0 };
	struct plan p = { 0 }, q = { 0 };
	int r, rc = CLI_EXIT_FAIL;

	if (dry_run)
		store_begin(e->store); /* leases taken for the preview are rolled back */
	r = engine_resolve_auto(e, m, false);
	if (r == 0)
		r = engine_observe(e, m, &st);
	if (r == 0)
		r = engine_model_view(e, m, &view, only, n_only);
	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", e->err[0] ? e->err : strerror(-r));
		goto cleanup;
	}
	if (report_conflicts(&view, &st))
		goto cleanup;
	r = plan_build(&view, &st, &p);
	for (size_t i = 0; r == 0 && i < p.n_actions; i++) {
		enum action_kind k = p.actions[i].kind;
		if (additive_only && (k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY ||
				      k == ACTION_ADDR_DEL || k == ACTION_ROUTE_DEL))
			continue;
		r = plan_append(&q, &p.actions[i]);
	}
	if (r < 0) {
		fprintf(stderr, "jail6: plan: %s\n", strerror(-r));
		goto cleanup;
	}
	if (q.n_actions == 0) {
		printf("jail6: nothing to do: the host already matches %s\n", g->conf);
		rc = CLI_EXIT_OK;
		goto cleanup;
	}
	rc = cli_run_plan(e, &q, &st, dry_run, "run apply again once fixed");
cleanup:
	if (dry_run)
		store_rollback(e->store);
	plan_free(&p);
	plan_free(&q);
	engine_model_view_free(&view);
	state_free(&st);
	return rc;
}

int cmd_apply(struct cli_global *g, int argc, char **argv)
{
	struct model m = { 0 };
	struct engine e;
	char help[1024];
	int rc, dry = 0;

	snprintf(help, sizeof(help),
		 "Make the host match FILE (default %s): observe it, plan the\n"
		 "missing actions and execute them, one line each. A second apply\n"
		 "changes nothing and says so. Objects jail6 created that left the\n"
		 "file are removed; objects it did not create are never changed, and a\n"
		 "clash with one (say an existing bridge0) stops apply before anything\n"
		 "changes, unless the bridge says `adopt = yes`.\n\n"
		 "  -n, --dry-run   print the plan, change nothing\n", g->conf);
	rc = cli_dry_run_opts(g, argc, argv, "apply", help, &dry);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind < argc) {
		fprintf(stderr, "jail6 apply: unexpected argument '%s'\n", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	if (rc)
		return rc;
	rc = cli_engine_open(g, &e, false);
	if (rc == 0)
		rc = cli_converge(g, &e, &m, NULL, 0, dry, false);
	engine_close(&e);
	model_free(&m);
	return rc;
}
