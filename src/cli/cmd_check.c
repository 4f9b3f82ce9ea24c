/* jail6 check: validate a config file and report every error in one pass. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static size_t count_ifaces(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_jails; i++)
		n += m->jails[i].n_ifaces;
	return n;
}

int cmd_check(struct cli_global *g, int argc, char **argv)
{
	struct model m = { 0 };
	char help[512];
	int r, quiet = 0;

	snprintf(help, sizeof(help),
		 "Validate FILE (default %s) without touching the host. Every error\n"
		 "is printed as FILE:LINE:COL: message. Exit 0 when valid, 2 when not.\n", g->conf);
	r = cli_opts(g, argc, argv, "check", help, "quiet", 'q', &quiet);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	if (optind < argc) {
		warnx("check: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	g->trust_warn = true; /* it runs nothing */
	r = cli_load_conf(g, &m);
	if (r)
		return r;
	if (!quiet)
		printf("%s: ok: %zu tunnel%s, %zu bridge%s, %zu jail%s, %zu interface%s\n", g->conf,
		       m.n_tunnels, m.n_tunnels == 1 ? "" : "s", m.n_bridges, m.n_bridges == 1 ? "" : "s",
		       m.n_jails, m.n_jails == 1 ? "" : "s", count_ifaces(&m), count_ifaces(&m) == 1 ? "" : "s");
	model_free(&m);
	return CLI_EXIT_OK;
}
