/* jail6 tunnel run | update | restore: the userspace 6in4 datapath
 * (cmd_tunnel_run.c); the broker's endpoint update (cmd_tunnel_update.c);
 * the host route to the broker put back (cmd_tunnel_restore.c). */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_tunnel(struct cli_global *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "usage: jail6 tunnel run NAME [OPTIONS]     the 6in4 datapath (userspace or eBPF)\n"
			   "       jail6 tunnel update NAME [OPTIONS]  tell the broker our IPv4 endpoint\n"
			   "       jail6 tunnel restore NAME [OPTIONS] put back the host route through via\n"
			   "`jail6 tunnel SUBCOMMAND --help` for the options.\n");
		return argc < 2 ? CLI_EXIT_CONFIG : CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_tunnel_run(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "update"))
		return cmd_tunnel_update(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return cmd_tunnel_restore(g, argc - 1, argv + 1);
	warnx("tunnel: unknown subcommand '%s' (run, update or restore)", argv[1]);
	return CLI_EXIT_CONFIG;
}
