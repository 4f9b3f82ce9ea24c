/* jail6 destroy: remove what jail6 created, everything or the named jails. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "engine/engine.h"
#include "model/model.h"
#include "os/linux/jail.h"
#include "plan/plan.h"
#include "store/store.h"

/* Run exec.stop of a jail that is up, if the config gives one. */
static void run_exec_stop(const struct engine *e, const struct model_jail *j, const struct state *st)
{
	int status = 0;
	char err[256] = "";

	if (!j || !j->exec_stop.argc || !state_find_jail(st, j->name))
		return;
	printf("[%s] exec.stop: %s\n", j->name, j->exec_stop.argv[0]);
	if (jail_run_err(e->runtime_dir, j->name, j->exec_stop.argv, &status, err, sizeof(err)) < 0)
		fprintf(stderr, "jail6: %s\n", err);
	else if (status)
		fprintf(stderr, "jail6: %s: exec.stop exited %d\n", j->name, status);
}

/* Forget the sysctl records once their values were restored. */
static int forget_sysctl(const struct store_own *o, void *arg)
{
	store_own_del(arg, STORE_OWN_SYSCTL, o->ns, o->name);
	return 0;
}

/*
 * Destroy the named jails (or everything owned when n == 0): exec.stop, then
 * the plan of plan_destroy, and for everything also the sysctl restore.
 * keep_leases is set by `stop`.
 */
int cli_teardown(struct engine *e, const struct model *m, const char *const *jails, size_t n,
		 bool dry_run, bool keep_leases)
{
	struct state st = { 0 };
	struct plan p = { 0 };
	int r, rc = CLI_EXIT_FAIL;

	r = engine_observe(e, m, &st);
	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", e->err);
		goto cleanup;
	}
	r = plan_destroy(&st, jails, n, &p);
	if (r == -ENOENT || r == -EPERM) {
		for (size_t i = 0; i < n; i++) {
			const struct state_jail *sj = state_find_jail(&st, jails[i]);
			if (!sj)
				fprintf(stderr, "jail6: jail %s: not running\n", jails[i]);
			else if (!sj->owned)
				fprintf(stderr, "jail6: jail %s: not created by jail6; left alone\n", jails[i]);
		}
		goto cleanup;
	}
	if (r == 0 && n == 0)
		r = engine_sysctl_restore(e, &p);
	if (r < 0) {
		fprintf(stderr, "jail6: plan: %s\n", strerror(-r));
		goto cleanup;
	}
	if (p.n_actions == 0) {
		printf("jail6: nothing to destroy\n");
		rc = CLI_EXIT_OK;
		goto cleanup;
	}
	for (size_t i = 0; !dry_run && m && i < m->n_jails; i++) {
		bool named = n == 0;
		for (size_t k = 0; k < n; k++)
			named = named || !strcmp(jails[k], m->jails[i].name);
		if (named)
			run_exec_stop(e, &m->jails[i], &st);
	}
	e->keep_leases = keep_leases;
	rc = cli_run_plan(e, &p, &st, dry_run, "run destroy again once fixed");
	if (rc != CLI_EXIT_OK || dry_run)
		goto cleanup;
	if (n == 0)
		store_own_list(e->store, STORE_OWN_SYSCTL, NULL, forget_sysctl, e->store);
cleanup:
	plan_free(&p);
	state_free(&st);
	return rc;
}

int cmd_destroy(struct cli_global *g, int argc, char **argv)
{
	static const char help[] =
		"Remove what jail6 created, in reverse order: with no JAIL,\n"
		"everything (jails, their epairs, bridges, tunnels, routes, addresses)\n"
		"and the sysctls it changed get their old values back; with JAILs,\n"
		"only those jails and their epairs, and their auto addresses are\n"
		"released. exec.stop runs first when FILE gives one. Nothing jail6 did\n"
		"not create is touched.\n\n"
		"  -n, --dry-run   print the plan, change nothing\n";
	struct model m = { 0 };
	struct engine e;
	int rc, dry = 0;

	rc = cli_dry_run_opts(g, argc, argv, "destroy", help, &dry);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	for (int i = optind; i < argc; i++)
		if (!model_jailname_ok(argv[i])) {
			fprintf(stderr, "jail6 destroy: '%s' is not a valid jail name\n", argv[i]);
			return CLI_EXIT_CONFIG;
		}
	/* the config is only needed for exec.stop: destroy works without it */
	if (access(g->conf, F_OK) == 0) {
		rc = cli_load_conf(g, &m);
		if (rc)
			return rc;
	}
	rc = cli_engine_open(g, &e, false);
	if (rc == 0)
		rc = cli_teardown(&e, &m, (const char *const *)argv + optind, (size_t)(argc - optind), dry, false);
	engine_close(&e);
	model_free(&m);
	return rc;
}
