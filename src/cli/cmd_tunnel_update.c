/* jail6 tunnel update NAME: tell the broker the tunnel's current IPv4 endpoint. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Bounds of --timeout, in milliseconds. */
#define TIMEOUT_MS_MIN 100
#define TIMEOUT_MS_MAX 60000

static void help(const struct cli_global *g)
{
	long timeout;
	int tries;

	engine_update_defaults(&tries, &timeout);
	printf("usage: jail6 [-f FILE] tunnel update NAME [--myip IPV4|auto] [--url URL] [--timeout MS]\n\n"
	       "Tell the tunnel broker the current IPv4 endpoint of tunnel NAME:\n"
	       "GET update_url?hostname=TUNNEL_ID[&myip=IP] with HTTP basic authentication\n"
	       "as user, with the key read from update_key_file (owned by root, mode 600\n"
	       "or stricter). At most %d tries, %ld s each, for transport errors and HTTP 5xx.\n"
	       "The config is %s.\n\n"
	       "  --myip IPV4|auto  the endpoint to set (default: the tunnel's myip; auto or\n"
	       "                    unset: the broker takes the address the request comes from)\n"
	       "  --url URL         the update URL instead of the tunnel's update_url\n"
	       "  --timeout MS      the time one try may take, %d..%d ms (default %ld)\n\n"
	       "Exit 0 when the broker answers good or nochg, 1 on any other answer or\n"
	       "failure, 2 on a usage or config error.\n",
	       tries, timeout / 1000, g->conf, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX, timeout);
}

/* Print why a try failed and that another one follows (or a warning). */
static void note(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

/* --timeout MS: the value, or -1 when it is not a number in range. */
static long timeout_arg(const char *s)
{
	char *end;
	long v;

	if (!*s || s[0] == '-' || s[0] == '+')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < TIMEOUT_MS_MIN || v > TIMEOUT_MS_MAX ? -1 : v;
}

int cmd_tunnel_update(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "myip", required_argument, NULL, 'm' },
		{ "url", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_update u = { .note = note };
	struct model m = { 0 };
	struct addr ip;
	char msg[1024];
	int c, r, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': u.myip = optarg; break;
		case 'u': u.url = optarg; break;
		case 't':
			if ((u.timeout_ms = timeout_arg(optarg)) < 0) {
				warnx("tunnel update: --timeout: '%s' is not a number of milliseconds (%d..%d)",
				      optarg, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX);
				return CLI_EXIT_CONFIG;
			}
			break;
		case 'h': help(g); return CLI_EXIT_OK;
		default:
			fprintf(stderr, "usage: jail6 [-f FILE] tunnel update NAME [--myip IPV4|auto] [--url URL] [--timeout MS]\n");
			return CLI_EXIT_CONFIG;
		}
	}
	if (argc - optind != 1) {
		warnx("tunnel update: %s", optind < argc ? "one tunnel NAME only" : "which tunnel? NAME is missing");
		return CLI_EXIT_CONFIG;
	}
	if (u.myip && strcmp(u.myip, "auto") && addr_parse(u.myip, ADDR_V4_ONLY | ADDR_PREFIX_NONE, &ip, NULL) < 0) {
		warnx("tunnel update: --myip: '%s' is not an IPv4 address (or auto)", u.myip);
		return CLI_EXIT_CONFIG;
	}
	if (u.url && engine_update_url_check(u.url, msg, sizeof(msg)) < 0) {
		warnx("tunnel update: --url: %s", msg);
		return CLI_EXIT_CONFIG;
	}
	if ((rc = cli_load_conf(g, &m)))
		return rc;
	u.tunnel = model_find_tunnel(&m, argv[optind]);
	if (!u.tunnel) {
		warnx("tunnel '%s' is not defined in %s", argv[optind], g->conf);
		model_free(&m);
		return CLI_EXIT_CONFIG;
	}
	r = engine_tunnel_update(&u, msg, sizeof(msg));
	if (r == 0) {
		printf("%s\n", msg);
		rc = CLI_EXIT_OK;
	} else if (r == -ENOKEY) {
		fprintf(stderr, "%s\n", msg); /* FILE:LINE:COL lines, as check prints them */
		rc = CLI_EXIT_CONFIG;
	} else {
		warnx("%s", msg);
		rc = r == -EINVAL ? CLI_EXIT_CONFIG : CLI_EXIT_FAIL;
	}
	model_free(&m);
	return rc;
}
