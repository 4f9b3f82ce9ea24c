/* jail6 lab up | down | test | status | exec: the seed's world in network
 * namespaces (see src/lab/lab.h and docs/lab.md). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lab/lab.h"
#include "os/linux/netns.h"

/* Set by SIGINT/SIGTERM/SIGHUP during up and test: the lab stops at the
 * next bounded wait (test then takes everything down). A signal handler
 * can only reach a global. */
static volatile sig_atomic_t lab_stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	lab_stop_flag = 1;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void lab_help(void)
{
	printf("usage: jail6 lab up|test [--conf FILE] [--broker-conf FILE]\n"
	       "       jail6 lab down | status\n"
	       "       jail6 lab exec NAMESPACE COMMAND [ARG...]\n\n"
	       "The seed's world in network namespaces under " LAB_DIR_DEFAULT ": a broker and a\n"
	       "remote IPv6 host (internet, remote), a VPS with OpenVPN and NAT (vps), the\n"
	       "seed's host behind a WAN that drops pings (host), where FILE (default\n"
	       "examples/lab.conf) is applied; its jails then ping the remote host over the\n"
	       "6in4 tunnel.\n\n"
	       "  up      build it all and show the End Result (status, routes, ping6)\n"
	       "  down    remove everything of the lab (also after a failed up)\n"
	       "  test    down, up, one \"ok\"/\"not ok\" line per check, down; exit 1 on\n"
	       "          any failure\n"
	       "  status  what is up; exit 0 when all of it\n"
	       "  exec    run a command in namespace internet, remote, vps, host or a jail\n\n"
	       "  --conf FILE         the host's config (default examples/lab.conf)\n"
	       "  --broker-conf FILE  the broker's (default examples/lab-broker.conf)\n\n"
	       "Needs root, openvpn and nft. See docs/lab.md.\n");
}

/* jail6 lab exec NS COMMAND...: join the namespace, exec the command. */
static int lab_exec_main(struct lab *l, int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: jail6 lab exec NAMESPACE COMMAND [ARG...]\n");
		return CLI_EXIT_CONFIG;
	}
	rc = lab_exec(l, argv[0], argv + 1);
	if (rc == -ENOENT && !netns_exists(l->netns_dir, argv[0]))
		fprintf(stderr, "jail6 lab exec: %s: no such namespace in %s\n", argv[0], l->netns_dir);
	else
		fprintf(stderr, "jail6 lab exec: %s: %s: %s\n", argv[0], argv[1], strerror(-rc));
	/* 127: like a shell whose command could not run */
	return 127;
}

int cmd_lab(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "broker-conf", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *broker = NULL, *verb;
	struct lab l;
	int c, rc, failed = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		if (argc < 2) {
			cli_usage("lab");
			return CLI_EXIT_CONFIG;
		}
		lab_help();
		return CLI_EXIT_OK;
	}
	verb = argv[1];
	argc--;
	argv++;
	/* '+': exec's command keeps its own options */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'b': broker = optarg; break;
		case 'h': lab_help(); return CLI_EXIT_OK;
		default: cli_usage("lab"); return CLI_EXIT_CONFIG;
		}
	}
	rc = lab_init(&l, NULL, conf, broker);
	if (rc < 0) {
		fprintf(stderr, "jail6 lab: %s\n", l.err);
		return CLI_EXIT_CONFIG;
	}
	l.out = stdout;
	l.verbose = g->verbose;
	l.stop = &lab_stop_flag;
	if (!strcmp(verb, "exec"))
		return lab_exec_main(&l, argc - optind, argv + optind);
	if (optind != argc || ((conf || broker) && strcmp(verb, "up") != 0 && strcmp(verb, "test") != 0)) {
		cli_usage("lab");
		return CLI_EXIT_CONFIG;
	}
	if (!strcmp(verb, "up")) {
		catch_stop_signals();
		rc = lab_up(&l);
		if (rc < 0) {
			fprintf(stderr, "jail6 lab up: %s\n", l.err);
			if (rc != -EEXIST && lab_present(&l))
				fprintf(stderr, "jail6 lab up: what was built stays for a look; "
					"`jail6 lab down` removes it\n");
			return CLI_EXIT_FAIL;
		}
		printf("\nThe lab is up. Poke at it: jail6 lab status; jail6 lab exec host ip route;\n"
		       "jail6 lab down removes it. See docs/lab.md.\n");
		return CLI_EXIT_OK;
	}
	if (!strcmp(verb, "down")) {
		rc = lab_down(&l);
		if (rc < 0) {
			fprintf(stderr, "jail6 lab down: %s\n", l.err);
			return CLI_EXIT_FAIL;
		}
		return CLI_EXIT_OK;
	}
	if (!strcmp(verb, "test")) {
		catch_stop_signals();
		rc = lab_test(&l, &failed);
		if (rc < 0) {
			fprintf(stderr, "jail6 lab test: %s\n", l.err);
			return CLI_EXIT_FAIL;
		}
		printf("# lab test: %d failed\n", failed);
		return failed || lab_stop_flag ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (!strcmp(verb, "status"))
		return lab_status(&l) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	fprintf(stderr, "jail6 lab: unknown command '%s'; see jail6 lab --help\n", verb);
	return CLI_EXIT_CONFIG;
}
