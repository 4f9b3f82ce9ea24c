/* jail6: a short dispatcher over the subcommand table. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/msg.h"

#ifndef JAIL6_VERSION
#define JAIL6_VERSION "0.1.0"
#endif

const struct cli_command cli_commands[] = {
	{ "check", cmd_check, "[-f FILE] [-q] [--target linux|freebsd]", "validate a config file; print every error as FILE:LINE:COL" },
	{ "plan", cmd_plan, "[-f FILE] [--target linux|freebsd] [--json]", "print the actions that set up an empty host" },
	{ "apply", cmd_apply, "[-f FILE] [-n|--dry-run] [--prune]", "make the host match the config" },
	{ "status", cmd_status, "[-f FILE] [--json]", "show tunnel, bridge and jails; exit 3 when drifted" },
	{ "destroy", cmd_destroy, "[-f FILE] [-n|--dry-run] [JAIL...]", "remove what jail6 created (all, or the jails)" },
	{ "start", cmd_start, "[-f FILE] [-n|--dry-run] JAIL...", "create and start jails" },
	{ "stop", cmd_stop, "[-f FILE] [-n|--dry-run] JAIL... | --shutdown", "stop jails (exec.stop, then remove them)" },
	{ "restart", cmd_restart, "[-f FILE] [-n|--dry-run] JAIL...", "stop and start jails" },
	{ "exec", cmd_exec, "[-e VAR=value]... [-u USER] JAIL COMMAND [ARG...]", "run a command inside a jail (like jexec)" },
	{ "list", cmd_list, "[-f FILE] [--json]", "list the jails and their state" },
	{ "export", cmd_export, "--target freebsd [-f FILE] [-o DIR] [--local ADDR] [--force]", "write the FreeBSD rc.conf and jail.conf of the config" },
	{ "serve", cmd_serve, "[-f FILE] [--listen ADDR:PORT] [--tls-cert F --tls-key F] [--users F] [--jail-dir D] [--server-name NAME] | --add-user NAME | --add-token NAME", "serve the web UI and the JSON API" },
	{ "tunnel", cmd_tunnel, "run|update|restore NAME [OPTIONS]", "the 6in4 datapath (userspace or eBPF); the broker's endpoint update" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: jail6 [-f FILE] [-s DIR] [--host-netns NAME] [--runtime-dir DIR] [--lock-timeout SEC] [-v] COMMAND [ARGS]\n\n"
		   "Give jails globally routable IPv6 through a 6in4 tunnel broker.\n\n"
		   "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->help);
	fprintf(f, "\nGlobal options:\n"
		   "  -f FILE              config file (default $JAIL6_CONF, else " CLI_DEFAULT_CONF ")\n"
		   "  -s DIR               state directory (default $JAIL6_STATE_DIR, else " CLI_DEFAULT_STATE ")\n"
		   "  --host-netns NAME    run the host side inside network namespace NAME\n"
		   "  --runtime-dir DIR    where namespaces are bind-mounted (default /run/netns)\n"
		   "  --lock-timeout SEC   wait at most SEC for another jail6 run (default 30)\n"
		   "  -v                   say more: what was read, opened, observed and planned\n"
		   "  -h, --help           this help; `jail6 COMMAND --help` for a command\n"
		   "  -V, --version        print the version\n\n"
		   "See jail6(8) and jail6.conf(5).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "host-netns", required_argument, NULL, 'N' },
		{ "runtime-dir", required_argument, NULL, 'R' },
		{ "lock-timeout", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_global g = { .lock_timeout_ms = -1 };
	int c;

	g.conf = getenv("JAIL6_CONF");
	g.state_dir = getenv("JAIL6_STATE_DIR");
	/* '+': stop at the subcommand, its options are its own */
	while ((c = getopt_long(argc, argv, "+f:s:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g.conf = optarg; break;
		case 's': g.state_dir = optarg; break;
		case 'v': g.verbose++; break;
		case 'N': g.host_netns = optarg; break;
		case 'R': g.runtime_dir = optarg; break;
		case 'L': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 86400) {
				warnx("--lock-timeout: '%s' is not a number of seconds (0..86400)", optarg);
				return CLI_EXIT_CONFIG;
			}
			g.lock_timeout_ms = (int)v * 1000;
			break;
		}
		case 'h': usage(stdout); return CLI_EXIT_OK;
		case 'V': printf("jail6 %s\n", JAIL6_VERSION); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_CONFIG;
		}
	}
	msg_set_verbosity(g.verbose);
	if (!g.conf || !*g.conf)
		g.conf = CLI_DEFAULT_CONF;
	if (!g.state_dir || !*g.state_dir)
		g.state_dir = CLI_DEFAULT_STATE;
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_CONFIG;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, argv[optind]))
			continue;
		int first = optind;
		optind = 0; /* reset getopt for the subcommand (glibc: 0 reinitialises) */
		return cmd->fn(&g, argc - first, argv + first);
	}
	warnx("unknown command '%s'; see jail6 --help", argv[optind]);
	return CLI_EXIT_CONFIG;
}
