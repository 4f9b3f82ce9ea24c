/*
 * jail6-datapath: the userspace or eBPF 6in4 datapath of one tunnel, as a
 * small program of its own (the datapath sources, libmnl, libbpf,
 * libseccomp and libc: none of libcurl, SQLite, jansson or liblxc). Its
 * parent, `jail6 tunnel run` (src/tunnel/supervisor.c), resolves the
 * settings from the config and the command line and runs it with them as
 * arguments, an empty environment and a control channel (tunnel/ctl.h);
 * it opens what it needs as root, then drops every privilege
 * (tunnel/privdrop.c) and moves packets. Not meant to be run by hand.
 *
 *   jail6-datapath --name NAME --remote IPV4 --local IPV4|auto --ttl N
 *       --mtu N --ctl-fd FD --uid UID --gid GID --root DIR
 *       [--address IPV6] [--ebpf | --ebpf-or-userspace]
 *       [--keepalive N --peer IPV6] [--via IPV4] [--create-tun]
 *       [--restarts N]
 *
 * Exit status: 0 after SIGTERM or SIGINT (or its parent's end), 1 when it
 * could not set up (its log, stderr, says why), 2 for bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "tunnel/daemon.h"
#include "util/num.h"

#if defined(__SANITIZE_ADDRESS__)
/* make sanitize: no leak check at exit, which would need ptrace and
 * /proc, both out of the datapath's reach (privdrop.c) */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "jail6-datapath: %s%s%s (it is run by `jail6 tunnel run`, see jail6(8))\n", why,
		arg ? ": " : "", arg ? arg : "");
	return 2;
}

static bool addr_of(const char *s, int family, struct addr *out)
{
	const char *why;

	return addr_parse(s, (family == AF_INET ? ADDR_V4_ONLY : ADDR_V6_ONLY) | ADDR_PREFIX_NONE, out, &why) == 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "remote", required_argument, NULL, 'r' },
		{ "local", required_argument, NULL, 'l' },
		{ "ttl", required_argument, NULL, 't' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "address", required_argument, NULL, 'a' },
		{ "ebpf", no_argument, NULL, 'e' },
		{ "ebpf-or-userspace", no_argument, NULL, 'E' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "peer", required_argument, NULL, 'P' },
		{ "via", required_argument, NULL, 'v' },
		{ "create-tun", no_argument, NULL, 'c' },
		{ "restarts", required_argument, NULL, 'R' },
		{ "ctl-fd", required_argument, NULL, 'C' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "root", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct tunnel_opts o = { .ttl = -1, .mtu = -1 };
	struct tunnel_drop d = { 0 };
	bool create = false;
	long restarts = 0, ctl = -1, uid = -1, gid = -1, v;
	const char *why;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'r':
			if (!addr_of(optarg, AF_INET, &o.remote))
				return usage("--remote is not an IPv4 address", optarg);
			break;
		case 'l':
			if (!strcmp(optarg, "auto"))
				o.local_auto = true;
			else if (!addr_of(optarg, AF_INET, &o.local))
				return usage("--local is not an IPv4 address or auto", optarg);
			break;
		case 't':
			if ((v = num_in(optarg, 1, 255)) < 0)
				return usage("--ttl is not 1..255", optarg);
			o.ttl = (int)v;
			break;
		case 'm':
			if ((v = num_in(optarg, 0, 65535)) < 0)
				return usage("--mtu is not a number", optarg);
			o.mtu = (int)v;
			break;
		case 'a':
			if (!addr_of(optarg, AF_INET6, &o.address))
				return usage("--address is not an IPv6 address", optarg);
			o.has_address = true;
			break;
		case 'e': o.ebpf = true; break;
		case 'E': o.ebpf = o.ebpf_or_userspace = true; break;
		case 'k':
			if ((v = num_in(optarg, 0, 86400)) < 0)
				return usage("--keepalive is not a number of seconds", optarg);
			o.keepalive = (int)v;
			break;
		case 'P':
			if (!addr_of(optarg, AF_INET6, &o.peer))
				return usage("--peer is not an IPv6 address", optarg);
			o.has_peer = true;
			break;
		case 'v':
			if (!addr_of(optarg, AF_INET, &o.via))
				return usage("--via is not an IPv4 address", optarg);
			o.has_via = true;
			break;
		case 'c': create = true; break;
		case 'R':
			if ((restarts = num_in(optarg, 0, 1L << 30)) < 0)
				return usage("--restarts is not a number", optarg);
			break;
		case 'C':
			if ((ctl = num_in(optarg, 3, 1 << 20)) < 0)
				return usage("--ctl-fd is not a descriptor", optarg);
			break;
		case 'u':
			if ((uid = num_in(optarg, 1, 0x7fffffffL)) < 0)
				return usage("--uid is not a user id other than 0", optarg);
			break;
		case 'g':
			if ((gid = num_in(optarg, 1, 0x7fffffffL)) < 0)
				return usage("--gid is not a group id other than 0", optarg);
			break;
		case 'o': d.root = optarg; break;
		default: return usage("unknown option", NULL);
		}
	}
	if (optind != argc)
		return usage("unexpected argument", argv[optind]);
	if (ctl < 0 || uid < 0 || gid < 0 || !d.root || d.root[0] != '/')
		return usage("--ctl-fd, --uid, --gid and an absolute --root are required", NULL);
	d.uid = (uid_t)uid;
	d.gid = (gid_t)gid;
	if (tunnel_opts_check(&o, &why) < 0)
		return usage(why, o.name);
	return tunnel_datapath(&o, (int)ctl, create, (unsigned)restarts, &d) < 0 ? 1 : 0;
}
