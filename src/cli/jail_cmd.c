/* The frame that start, stop and restart share: -f and -n, then JAIL names
 * that the config must know, then one engine call. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/jail_cmd.h"

int cli_jail_cmd(struct cli_global *g, int argc, char **argv, const char *what, const char *help, const char *empty,
		 int (*op)(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
			   struct engine_result *res))
{
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	int r, rc, dry = 0;

	rc = cli_opts(g, argc, argv, what, help, "dry-run", 'n', &dry);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind >= argc) {
		cli_usage(what);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	for (int i = optind; rc == 0 && i < argc; i++)
		if (!model_find_jail(&m, argv[i])) {
			warnx("%s: no jail '%s' in %s", what, argv[i], g->conf);
			rc = CLI_EXIT_CONFIG;
		}
	if (rc == 0)
		rc = cli_engine_open(g, &e, false, false);
	if (rc == 0) {
		r = op(e, &m, (const char *const *)argv + optind, (size_t)(argc - optind), dry, &res);
		rc = cli_report(g, e, r, &res, dry, empty, "run it again once fixed");
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return rc;
}
