/*
 * jail6-lab: the seed's world in network namespaces (see lab.h and
 * docs/lab.md), its own program beside jail6. It runs jail6 for both ends
 * of the tunnel and builds the rest (namespaces, VPN, NAT) itself.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lab/lab.h"
#include "os/linux/netns.h"
#include "util/msg.h"

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

static void usage(FILE *f)
{
	fprintf(f, "usage: jail6-lab [--dir DIR] [--jail6 PATH] [-v] up|test [--conf FILE] [--broker-conf FILE]\n"
		   "       jail6-lab [--dir DIR] [-v] down | status\n"
		   "       jail6-lab [--dir DIR] exec NAMESPACE COMMAND [ARG...]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nThe seed's world in network namespaces under DIR (default " LAB_DIR_DEFAULT "):\n"
	       "a broker and a remote IPv6 host (internet, remote), a VPS with OpenVPN\n"
	       "and NAT (vps), the seed's host behind a WAN that drops pings (host),\n"
	       "where FILE (default examples/lab.conf) is applied with jail6; its jails\n"
	       "then ping the remote host over the 6in4 tunnel.\n\n"
	       "  up      build it all and show the End Result (status, routes, ping6)\n"
	       "  down    remove everything of the lab (also after a failed up)\n"
	       "  test    down, up, one \"ok\"/\"not ok\" line per check, down; exit 1 on\n"
	       "          any failure\n"
	       "  status  what is up; exit 0 when all of it\n"
	       "  exec    run a command in namespace internet, remote, vps, host or a jail\n\n"
	       "  --dir DIR           the lab's directory, so that two labs can run side\n"
	       "                      by side (an absolute path)\n"
	       "  --jail6 PATH        the jail6 binary (default: the one beside jail6-lab,\n"
	       "                      else jail6 in PATH)\n"
	       "  --conf FILE         the host's config (default examples/lab.conf)\n"
	       "  --broker-conf FILE  the broker's (default examples/lab-broker.conf)\n"
	       "  -v                  print every command the lab runs\n\n"
	       "Needs root, openvpn, nft and iproute2. See docs/lab.md.\n");
}

/* jail6-lab exec NS COMMAND...: join the namespace, exec the command. */
static int exec_main(struct lab *l, int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	rc = lab_exec(l, argv[0], argv + 1);
	if (rc == -ENOENT && !netns_exists(l->netns_dir, argv[0]))
		warnx("exec: %s: no such namespace in %s", argv[0], l->netns_dir);
	else
		warnx("exec: %s: %s: %s", argv[0], argv[1], strerror(-rc));
	/* 127: like a shell whose command could not run */
	return 127;
}

/* The verbs that build or remove; an exit code. */
static int run_verb(struct lab *l, const char *verb)
{
	int rc, failed = 0;

	if (!strcmp(verb, "up")) {
		catch_stop_signals();
		rc = lab_up(l);
		if (rc < 0) {
			warnx("up: %s", l->err);
			if (rc != -EEXIST && lab_present(l))
				warnx("up: what was built stays for a look; `jail6-lab down` removes it");
			return 1;
		}
		printf("\nThe lab is up. Poke at it: jail6-lab status; jail6-lab exec host ip route;\n"
		       "jail6-lab down removes it. See docs/lab.md.\n");
		return 0;
	}
	if (!strcmp(verb, "down")) {
		rc = lab_down(l);
		if (rc < 0)
			warnx("down: %s", l->err);
		return rc < 0;
	}
	if (!strcmp(verb, "test")) {
		catch_stop_signals();
		rc = lab_test(l, &failed);
		if (rc < 0) {
			warnx("test: %s", l->err);
			return 1;
		}
		printf("# lab test: %d failed\n", failed);
		return failed || lab_stop_flag;
	}
	if (!strcmp(verb, "status"))
		return lab_status(l) != 0;
	warnx("unknown command '%s'; see jail6-lab --help", verb);
	return 2;
}

/* The command line. */
struct args {
	const char *dir, *jail6, *conf, *broker;
	int verbose;
};

/* Parse options up to the next non-option ('+'); 0, 1 after --help, or 2. */
static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "jail6", required_argument, NULL, 'j' },
		{ "conf", required_argument, NULL, 'c' },
		{ "broker-conf", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'j': a->jail6 = optarg; break;
		case 'c': a->conf = optarg; break;
		case 'b': a->broker = optarg; break;
		case 'v': a->verbose++; break;
		case 'h': help(); return 1;
		default: usage(stderr); return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *verb;
	struct lab l;
	int rc;

	/* options before the verb; after it too, except for exec, whose
	 * command keeps its own */
	if ((rc = parse(argc, argv, &a)))
		return rc == 1 ? 0 : rc;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	verb = argv[optind++];
	if (strcmp(verb, "exec")) {
		if ((rc = parse(argc, argv, &a)))
			return rc == 1 ? 0 : rc;
		if (optind != argc || ((a.conf || a.broker) && strcmp(verb, "up") && strcmp(verb, "test"))) {
			usage(stderr);
			return 2;
		}
	}
	msg_set_verbosity(a.verbose);
	if (lab_init(&l, a.dir, a.conf, a.broker) < 0 || (a.jail6 && lab_set_jail6(&l, a.jail6) < 0)) {
		warnx("%s", l.err);
		return 2;
	}
	l.out = stdout;
	l.verbose = a.verbose > 0;
	l.stop = &lab_stop_flag;
	if (!strcmp(verb, "exec"))
		return exec_main(&l, argc - optind, argv + optind);
	return run_verb(&l, verb);
}
