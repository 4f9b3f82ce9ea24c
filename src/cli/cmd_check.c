/* jail6 check: validate a config file and report every error in one pass. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"

static size_t count_ifaces(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_jails; i++)
		n += m->jails[i].n_ifaces;
	return n;
}

int cmd_check(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "target", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct model m = { 0 };
	const char *target = "linux";
	int c, r, quiet = 0;

	while ((c = getopt_long(argc, argv, "f:qt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'q': quiet = 1; break;
		case 't': target = optarg; break;
		case 'h':
			printf("usage: jail6 check [-f FILE] [-q] [--target linux|freebsd]\n\n"
			       "Validate FILE (default %s) without touching the host. Every error\n"
			       "is printed as FILE:LINE:COL: message. Exit 0 when valid, 2 when not.\n\n"
			       "  -q, --quiet       print nothing when the file is valid\n"
			       "  --target freebsd  also reject what a FreeBSD host does not accept: a jail\n"
			       "                    interface not named epairN, a jail name with a '.'\n"
			       "                    (jail(8) hierarchy) or all digits, a Linux-only\n"
			       "                    datapath or keepalive, a gif(4) as a bridge member\n", g->conf);
			return CLI_EXIT_OK;
		default: cli_usage("check"); return CLI_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		warnx("check: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	if (strcmp(target, "linux") && strcmp(target, "freebsd")) {
		warnx("check: unknown target '%s' (%s)", target, engine_plan_targets());
		return CLI_EXIT_CONFIG;
	}
	if (!strcmp(target, "freebsd"))
		g->conf_flags |= CONF_F_FREEBSD;
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
