/* jail6 apply: observe the host, plan, and execute the plan. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

int cmd_apply(struct cli_global *g, int argc, char **argv)
{
	struct engine_converge_opts o = { 0 };
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	char help[1024];
	int r, rc, dry = 0;

	snprintf(help, sizeof(help),
		 "Make the host match FILE (default %s): observe it, plan the\n"
		 "missing actions and execute them, one line each. A second apply\n"
		 "changes nothing and says so. Objects jail6 created that left the\n"
		 "file are removed; objects it did not create are never changed, and a\n"
		 "clash with one (say an existing bridge0) stops apply before anything\n"
		 "changes, unless the bridge says `adopt = yes`.\n\n"
		 "  -n, --dry-run   print the plan, change nothing\n", g->conf);
	rc = cli_opts(g, argc, argv, "apply", help, "dry-run", 'n', &dry);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind < argc) {
		warnx("apply: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	if (rc == 0)
		rc = cli_engine_open(g, &e, false, false);
	if (rc == 0) {
		o.dry_run = dry;
		r = engine_converge(e, &m, &o, &res);
		rc = cli_report(g, e, r, &res, dry, NULL, "run apply again once fixed");
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return rc;
}
