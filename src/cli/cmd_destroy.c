/* jail6 destroy: remove what jail6 created, everything or the named jails. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

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
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	int r, rc, dry = 0;

	rc = cli_opts(g, argc, argv, "destroy", help, "dry-run", 'n', &dry);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	for (int i = optind; i < argc; i++)
		if (!model_jailname_ok(argv[i])) {
			warnx("destroy: '%s' is not a valid jail name", argv[i]);
			return CLI_EXIT_CONFIG;
		}
	/* the config is only needed for exec.stop: destroy works without it */
	if (access(g->conf, F_OK) == 0 && (rc = cli_load_conf(g, &m)) != 0)
		return rc;
	rc = cli_engine_open(g, &e, false, false);
	if (rc == 0) {
		r = engine_teardown(e, &m, (const char *const *)argv + optind, (size_t)(argc - optind), dry, false,
				    &res);
		rc = cli_report(g, e, r, &res, dry, "nothing to destroy", "run destroy again once fixed");
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return rc;
}
