/* jail6 tunnel restore NAME: put back the tunnel's host route to its broker
 * through via, as jail6 recorded it (after a VPN restart took it away). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void help_restore(FILE *f)
{
	fprintf(f,
		"usage: jail6 [-f FILE] [-s DIR] [--host-netns NS] [--runtime-dir DIR] tunnel restore NAME\n"
		"           [--remote IPV4 --via IPV4]\n\n"
		"Put back the host route of tunnel NAME to its broker (REMOTE/32 via VIA)\n"
		"when it is missing and the store records it as jail6's: a VPN that\n"
		"restarts takes the route along with its device. Nothing else is touched;\n"
		"another route to the remote is left alone. The userspace and eBPF\n"
		"datapaths run this themselves once via is on-link again; for the kernel\n"
		"datapath, run it from the VPN's up hook (OpenVPN: --route-up). Without\n"
		"--remote the remote and via come from the tunnel block NAME of the config.\n\n"
		"  --remote IPV4   the broker's IPv4 endpoint\n"
		"  --via IPV4      the gateway the route goes through\n\n"
		"Exit 0 when the route is in place (put back or there already), 1 when it\n"
		"could not be (via not reachable yet, no record, another route), 2 on a\n"
		"usage or config error.\n");
}

/* jail6 tunnel restore NAME [--remote IPV4 --via IPV4] (argv[0] is "restore"). */
int cmd_tunnel_restore(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "via", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *remote = NULL, *via = NULL, *name, *why;
	struct model_tunnel t = { 0 };
	const struct model_tunnel *ct;
	struct model m = { 0 };
	struct engine *e = NULL;
	bool restored = false;
	int c, r, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': remote = optarg; break;
		case 'v': via = optarg; break;
		case 'h': help_restore(stdout); return CLI_EXIT_OK;
		default: help_restore(stderr); return CLI_EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		warnx("tunnel restore: %s", optind >= argc ? "which tunnel? (NAME missing)" : "one tunnel NAME only");
		help_restore(stderr);
		return CLI_EXIT_CONFIG;
	}
	name = argv[optind];
	if (!model_ifname_ok(name)) {
		warnx("tunnel restore: '%s' is not a valid interface name", name);
		return CLI_EXIT_CONFIG;
	}
	if (!remote != !via) {
		warnx("tunnel restore: --remote and --via go together");
		return CLI_EXIT_CONFIG;
	}
	if (!remote) {
		if ((rc = cli_load_conf(g, &m)) != 0)
			return rc;
		ct = model_find_tunnel(&m, name);
		if (!ct) {
			warnx("tunnel %s: no such tunnel in %s (or give --remote and --via)", name, g->conf);
			rc = CLI_EXIT_CONFIG;
			goto cleanup;
		}
		t = *ct;
	} else {
		snprintf(t.name, sizeof(t.name), "%s", name);
		t.has_via = true;
		if (addr_parse(remote, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &t.remote, &why) < 0 ||
		    addr_parse(via, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &t.via, &why) < 0) {
			warnx("tunnel %s: --%s %s: %s", name, t.remote.family ? "via" : "remote",
			      t.remote.family ? via : remote, why);
			return CLI_EXIT_CONFIG;
		}
	}
	if (!t.has_via) {
		warnx("tunnel %s: no via in %s: there is no host route of jail6's to put back", name, g->conf);
		rc = CLI_EXIT_CONFIG;
		goto cleanup;
	}
	if ((rc = cli_engine_open(g, &e, false, false)) != 0)
		goto cleanup;
	r = engine_tunnel_restore(e, &t, &restored);
	if (r < 0)
		warnx("%s", engine_error(e));
	else if (restored)
		printf("%s: host route to the broker put back\n", name);
	rc = r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
cleanup:
	engine_close(e);
	model_free(&m);
	return rc;
}
