/* jail6 tunnel run NAME: the userspace or eBPF 6in4 datapath, in the
 * foreground or supervised. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/num.h"

static void help_run(FILE *f)
{
	fprintf(f,
		"usage: jail6 [-f FILE] [--host-netns NS] [--runtime-dir DIR] tunnel run NAME\n"
		"           [--local IPV4|auto] [--remote IPV4] [--via IPV4] [--ttl N] [--mtu N] [--address IPV6]\n"
		"           [--datapath userspace|ebpf|auto] [--keepalive SECONDS --peer IPV6]\n"
		"           [--foreground | --supervise] [--pidfile P] [--stats S] [--log L] [--user U]\n\n"
		"Run the 6in4 datapath of tunnel NAME: the TUN device NAME on one side, the\n"
		"IPv4 path toward the remote on the other. The datapath is the program\n"
		"jail6-datapath, which drops every privilege once set up (user U, no\n"
		"capabilities, an empty root, seccomp); this process stays its parent\n"
		"(jail6(8), PRIVILEGES OF THE DATAPATH). userspace: a raw IPv4 socket of\n"
		"protocol 41, packets moved by the datapath. ebpf: tc BPF programs on the\n"
		"TUN device's egress and on the ingress of the link toward the remote; the\n"
		"datapath loads, configures and counts them, and decapsulates what they leave\n"
		"to the kernel (all of it before Linux 6.3: only the egress program runs).\n"
		"Without --remote the endpoints, ttl, mtu, address and datapath come from\n"
		"the tunnel block NAME of the config; the options override them.\n\n"
		"  --local IPV4|auto   our IPv4 endpoint (auto: the source toward the remote)\n"
		"  --remote IPV4       the broker's IPv4 endpoint\n"
		"  --via IPV4          the gateway the remote is reached through: while the\n"
		"                      route to the remote does not go via it, nothing is sent\n"
		"                      (drops: via_down), and once it is on-link again\n"
		"                      `jail6 tunnel restore` puts jail6's host route back\n"
		"  --ttl N             outer TTL, 1..255; 0 means the default (%d)\n"
		"  --mtu N             MTU of a TUN device it creates, %d..%d (default %d);\n"
		"                      the tunnel MTU is the device's (SIGHUP: read it again)\n"
		"  --address IPV6      our tunnel address: the source of Packet Too Big\n"
		"                      (default: an address of the TUN device)\n"
		"  --datapath D        userspace (the default without a config), ebpf, or auto:\n"
		"                      ebpf where its programs load, else userspace; a\n"
		"                      config's datapath kernel runs the userspace one\n"
		"  --keepalive N       send an ICMPv6 echo request to --peer every N seconds\n"
		"                      (1..%d; 0: none), counted in the stats\n"
		"  --peer IPV6         the remote's tunnel address (the keepalive's target)\n"
		"  --foreground        run in this process until SIGTERM/SIGINT (the default);\n"
		"                      creates the TUN device when it does not exist\n"
		"  --supervise         daemonize and keep the datapath running, restarting it\n"
		"                      when it dies; the TUN device must exist\n"
		"  --pidfile P, --stats S, --log L\n"
		"                      the supervisor's pidfile, the stats JSON, the log; with\n"
		"                      --supervise they default to STATE/run/tunnel/NAME.*\n"
		"                      (STATE: the state directory, -s); in the foreground\n"
		"                      --pidfile and --stats are this process's (a systemd\n"
		"                      unit's: jail6-datapath@.service), --log is stderr\n"
		"  --user U            the datapath's user: a name or UID[:GID], not root\n"
		"                      (default: _jail6, else nobody)\n",
		MODEL_TUNNEL_TTL_DEFAULT, MODEL_TUNNEL_MTU_MIN, MODEL_TUNNEL_MTU_MAX,
		MODEL_TUNNEL_MTU_DEFAULT, MODEL_TUNNEL_KEEPALIVE_MAX);
}

/* What the command line said; unset members keep the config's values. */
struct run_args {
	const char *local, *remote, *address, *via, *datapath, *peer;
	long ttl, mtu, keepalive;   /* -1 = unset */
	bool supervise;
	const char *pidfile, *stats, *log, *user;
};

/* Fill *o from tunnel block name of the config. An exit code, 0 when done. */
static int from_config(const struct cli_global *g, const char *name, struct model *m,
		       struct model_tunnel *o)
{
	const struct model_tunnel *t;
	int r = cli_load_conf(g, m);

	if (r)
		return r;
	t = model_find_tunnel(m, name);
	if (!t) {
		warnx("tunnel %s: no such tunnel in %s (or give --remote)", name, g->conf);
		return CLI_EXIT_CONFIG;
	}
	*o = *t;
	return 0;
}

/* Apply the command line over *o. An exit code, 0 when valid. */
static int from_args(const char *name, const struct run_args *a, struct model_tunnel *o)
{
	const char *why;

	if (a->local && !strcmp(a->local, "auto")) {
		o->local_auto = true;
	} else if (a->local) {
		o->local_auto = false;
		if (addr_parse(a->local, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &o->local, &why) < 0) {
			warnx("tunnel %s: --local %s: %s", name, a->local, why);
			return CLI_EXIT_CONFIG;
		}
	}
	if (a->via) {
		if (addr_parse(a->via, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &o->via, &why) < 0) {
			warnx("tunnel %s: --via %s: %s", name, a->via, why);
			return CLI_EXIT_CONFIG;
		}
		o->has_via = true;
	}
	if (a->remote && addr_parse(a->remote, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &o->remote, &why) < 0) {
		warnx("tunnel %s: --remote %s: %s", name, a->remote, why);
		return CLI_EXIT_CONFIG;
	}
	if (a->address) {
		if (addr_parse(a->address, ADDR_V6_ONLY | ADDR_PREFIX_OPTIONAL, &o->address, &why) < 0) {
			warnx("tunnel %s: --address %s: %s", name, a->address, why);
			return CLI_EXIT_CONFIG;
		}
		o->has_address = true;
	}
	if (a->datapath) {
		if (model_datapath_parse(a->datapath, &o->datapath) < 0 ||
		    o->datapath == MODEL_DATAPATH_KERNEL) {
			warnx("tunnel %s: --datapath %s: expected userspace, ebpf or auto", name, a->datapath);
			return CLI_EXIT_CONFIG;
		}
	}
	if (a->peer) {
		if (addr_parse(a->peer, ADDR_V6_ONLY | ADDR_PREFIX_NONE, &o->peer, &why) < 0) {
			warnx("tunnel %s: --peer %s: %s", name, a->peer, why);
			return CLI_EXIT_CONFIG;
		}
		o->has_peer = true;
	}
	if (a->keepalive >= 0)
		o->keepalive = (int)a->keepalive;
	if (o->keepalive && !o->has_peer) {
		warnx("tunnel %s: --keepalive needs --peer (the address it pings)", name);
		return CLI_EXIT_CONFIG;
	}
	if (a->ttl >= 0)
		o->ttl = (int)a->ttl;
	if (a->mtu >= 0)
		o->mtu = (int)a->mtu;
	return 0;
}

/* jail6 tunnel run NAME [OPTIONS] (argv[0] is "run"). */
int cmd_tunnel_run(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "remote", required_argument, NULL, 'r' },
		{ "via", required_argument, NULL, 'v' },
		{ "ttl", required_argument, NULL, 't' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "address", required_argument, NULL, 'a' },
		{ "datapath", required_argument, NULL, 'd' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "peer", required_argument, NULL, 'P' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "supervise", no_argument, NULL, 'S' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "stats", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'L' },
		{ "user", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_args a = { .ttl = -1, .mtu = -1, .keepalive = -1 };
	struct model_tunnel t = { .ttl = MODEL_TUNNEL_TTL_DEFAULT, .mtu = MODEL_TUNNEL_MTU_DEFAULT,
				  .local_auto = true, .datapath = MODEL_DATAPATH_USERSPACE };
	struct engine_datapath d = { 0 };
	struct model m = { 0 };
	bool foreground = false;
	char err[1024] = "";
	const char *name;
	int c, rc = 0, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': a.local = optarg; break;
		case 'r': a.remote = optarg; break;
		case 'v': a.via = optarg; break;
		case 'a': a.address = optarg; break;
		case 'd': a.datapath = optarg; break;
		case 'P': a.peer = optarg; break;
		case 'k':
			if ((a.keepalive = num_in(optarg, 0, MODEL_TUNNEL_KEEPALIVE_MAX)) < 0) {
				warnx("tunnel run: --keepalive '%s' is not a number in 0..%d", optarg,
				      MODEL_TUNNEL_KEEPALIVE_MAX);
				return CLI_EXIT_CONFIG;
			}
			break;
		case 'F': foreground = true; break;
		case 'S': a.supervise = true; break;
		case 'p': a.pidfile = optarg; break;
		case 's': a.stats = optarg; break;
		case 'L': a.log = optarg; break;
		case 'U': a.user = optarg; break;
		case 't':
			if ((a.ttl = num_in(optarg, 0, 255)) < 0) {
				warnx("tunnel run: --ttl '%s' is not a number in 0..255", optarg);
				return CLI_EXIT_CONFIG;
			}
			/* 0 = unset in the backend's actions: RFC 4213's default */
			if (a.ttl == 0)
				a.ttl = MODEL_TUNNEL_TTL_DEFAULT;
			break;
		case 'm':
			if ((a.mtu = num_in(optarg, MODEL_TUNNEL_MTU_MIN, MODEL_TUNNEL_MTU_MAX)) < 0) {
				warnx("tunnel run: --mtu '%s' is not a number in %d..%d", optarg, MODEL_TUNNEL_MTU_MIN,
				      MODEL_TUNNEL_MTU_MAX);
				return CLI_EXIT_CONFIG;
			}
			break;
		case 'h': help_run(stdout); return CLI_EXIT_OK;
		default: help_run(stderr); return CLI_EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		warnx("tunnel run: %s", optind >= argc ? "which tunnel? (NAME missing)" : "one tunnel NAME only");
		help_run(stderr);
		return CLI_EXIT_CONFIG;
	}
	name = argv[optind];
	if (!model_ifname_ok(name)) {
		warnx("tunnel run: '%s' is not a valid interface name", name);
		return CLI_EXIT_CONFIG;
	}
	if (foreground && a.supervise) {
		warnx("tunnel run: --foreground and --supervise exclude each other");
		return CLI_EXIT_CONFIG;
	}
	if (!a.supervise && a.log) {
		warnx("tunnel run: --log goes with --supervise");
		return CLI_EXIT_CONFIG;
	}
	snprintf(t.name, sizeof(t.name), "%s", name);
	/* the backend passes every setting: its config may be elsewhere */
	if (!a.remote && (rc = from_config(g, name, &m, &t)) != 0)
		return rc;
	rc = from_args(name, &a, &t);
	if (rc)
		goto cleanup;
	d.tunnel = &t;
	d.state_dir = g->state_dir;
	d.host_netns = g->host_netns;
	d.runtime_dir = g->runtime_dir;
	d.supervise = a.supervise;
	d.pidfile = a.pidfile;
	d.stats = a.stats;
	d.log = a.log;
	d.user = a.user;
	r = engine_datapath_run(&d, err, sizeof(err));
	if (r < 0 && err[0])
		warnx("%s", err);
	rc = r == -EINVAL ? CLI_EXIT_CONFIG : r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
cleanup:
	model_free(&m);
	return rc;
}
