/* jail6 tunnel run | update: the userspace 6in4 datapath
 * (cmd_tunnel_run.c); the broker's endpoint update (cmd_tunnel_update.c). */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_tunnel(struct cli_global *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "usage: jail6 tunnel run NAME [OPTIONS]     the userspace 6in4 datapath\n"
			   "       jail6 tunnel update NAME [OPTIONS]  tell the broker our IPv4 endpoint\n"
			   "`jail6 tunnel run --help`, `jail6 tunnel update --help` for the options.\n");
		return argc < 2 ? CLI_EXIT_CONFIG : CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_tunnel_run(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "update"))
		return cmd_tunnel_update(g, argc - 1, argv + 1);
	warnx("tunnel: unknown subcommand '%s' (run or update)", argv[1]);
	return CLI_EXIT_CONFIG;
}
