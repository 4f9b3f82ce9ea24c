/* jail6 plan: the actions that take an empty host to what the config says,
 * rendered for Linux (readable lines), as JSON, or as FreeBSD commands. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_plan(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct model m = { 0 };
	const char *target = "linux";
	int c, r, json = 0;

	while ((c = getopt_long(argc, argv, "f:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 't': target = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: jail6 plan [-f FILE] [--target linux|freebsd] [--json]\n\n"
			       "Print, in order, the actions that set up an empty host as FILE\n"
			       "(default %s) says. Changes nothing and needs no privileges.\n\n"
			       "  --target linux    one readable line per action (default)\n"
			       "  --target freebsd  the ifconfig/route/jail/jexec commands a FreeBSD\n"
			       "                    admin would type for the same plan\n"
			       "  --json            the actions as JSON (with --target freebsd, each\n"
			       "                    action also carries its commands)\n", g->conf);
			return CLI_EXIT_OK;
		default: cli_usage("plan"); return CLI_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		warnx("plan: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	if (strcmp(target, "linux") && strcmp(target, "freebsd")) {
		warnx("plan: unknown target '%s' (%s)", target, engine_plan_targets());
		return CLI_EXIT_CONFIG;
	}
	g->trust_warn = true; /* it runs nothing */
	r = cli_load_conf(g, &m);
	if (r)
		return r;
	r = engine_plan_render(stdout, &m, target, json);
	if (r == -ENOSPC)
		warnx("%s: cannot assign auto addresses: a bridge prefix is full", g->conf);
	else if (r == -ENOMEM)
		warnx("plan: out of memory");
	model_free(&m);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
