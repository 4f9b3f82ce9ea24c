/* jail6 apply: observe the host, plan, and execute the plan. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

/* The removals of a plan the guard stopped, one line each. */
static void print_removals(const struct plan *p)
{
	char line[512];

	for (size_t i = 0; i < p->n_actions; i++) {
		enum action_kind k = p->actions[i].kind;
		if (k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY || k == ACTION_ADDR_DEL ||
		    k == ACTION_ROUTE_DEL)
			fprintf(stderr, "  would %s\n", action_describe(&p->actions[i], line, sizeof(line)));
	}
}

int cmd_apply(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "prune", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_converge_opts o = { 0 };
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	int c, r, rc;

	while ((c = getopt_long(argc, argv, "f:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'P': o.prune = true; break;
		case 'h':
			printf("usage: jail6 apply [-f FILE] [-n|--dry-run] [--prune]\n\n"
			       "Make the host match FILE (default %s): observe it, plan the\n"
			       "missing actions and execute them, one line each. A second apply\n"
			       "changes nothing and says so. Objects jail6 created that left the\n"
			       "file are removed; objects it did not create are never changed, and a\n"
			       "clash with one (say an existing bridge0) stops apply before anything\n"
			       "changes, unless the bridge says `adopt = yes`.\n\n"
			       "  -n, --dry-run   print the plan, change nothing\n"
			       "  --prune         let the plan remove more than half of the jails jail6\n"
			       "                  made, or all it made (without it such a plan, from an\n"
			       "                  empty or cut-short file, stops with the list)\n", g->conf);
			return CLI_EXIT_OK;
		default: cli_usage("apply"); return CLI_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		warnx("apply: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	if (rc == 0)
		rc = cli_engine_open(g, &e, false, false);
	if (rc == 0) {
		r = engine_converge(e, &m, &o, &res);
		if (r == -ECANCELED) {
			warnx("%s", engine_error(e));
			print_removals(&res.plan);
			rc = CLI_EXIT_FAIL;
		} else {
			rc = cli_report(g, e, r, &res, o.dry_run, NULL, "run apply again once fixed");
		}
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return rc;
}
