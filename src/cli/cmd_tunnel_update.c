/* jail6 tunnel update NAME: tell the broker the tunnel's current IPv4 endpoint. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "model/model.h"
#include "tunnel/update.h"

/* Bounds of JAIL6_UPDATE_TIMEOUT_MS, the tests' way to shorten the wait. */
#define TIMEOUT_MS_MIN 100
#define TIMEOUT_MS_MAX 60000

static void help(const struct cli_global *g)
{
	printf("usage: jail6 [-f FILE] tunnel update NAME [--myip IPV4|auto] [--url URL]\n\n"
	       "Tell the tunnel broker the current IPv4 endpoint of tunnel NAME:\n"
	       "GET update_url?hostname=TUNNEL_ID[&myip=IP] with HTTP basic authentication\n"
	       "as user, with the key read from update_key_file (owned by root, mode 600\n"
	       "or stricter). At most %d tries, %d s each, for transport errors and HTTP 5xx.\n"
	       "The config is %s.\n\n"
	       "  --myip IPV4|auto  the endpoint to set (default: the tunnel's myip; auto or\n"
	       "                    unset: the broker takes the address the request comes from)\n"
	       "  --url URL         the update URL instead of the tunnel's update_url\n\n"
	       "Exit 0 when the broker answers good or nochg, 1 on any other answer or\n"
	       "failure, 2 on a usage or config error.\n",
	       TUNNEL_UPDATE_TRIES, TUNNEL_UPDATE_TIMEOUT_MS / 1000, g->conf);
}

/* The per-try timeout: JAIL6_UPDATE_TIMEOUT_MS (for tests) or the default.
 * Returns -1 when the variable is set but not a number in range. */
static long timeout_ms(void)
{
	const char *s = getenv("JAIL6_UPDATE_TIMEOUT_MS");
	char *end;
	long v;

	if (!s || !*s)
		return TUNNEL_UPDATE_TIMEOUT_MS;
	v = strtol(s, &end, 10);
	if (*end || s[0] == '-' || s[0] == '+' || v < TIMEOUT_MS_MIN || v > TIMEOUT_MS_MAX) {
		fprintf(stderr, "jail6: JAIL6_UPDATE_TIMEOUT_MS: '%s' is not a number of milliseconds (%d..%d)\n",
			s, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX);
		return -1;
	}
	return v;
}

/* Print why a try failed and that another one follows. */
static void note_retry(void *arg, const struct tunnel_update_req *r, int try,
		       const struct tunnel_update_answer *a)
{
	struct tunnel_update_answer one = *a;
	char msg[768];

	(void)arg;
	one.tries = 1; /* this try alone, not "(N tries)" */
	fprintf(stderr, "jail6: try %d of %d failed: %s; trying again in %ld.%01ld s\n", try, r->tries,
		tunnel_update_message(r, &one, msg, sizeof(msg)), r->pause_ms / 1000, r->pause_ms % 1000 / 100);
}

/* Say which of the keys the update needs are missing; true when none is. */
static bool has_update_keys(const struct model_tunnel *t)
{
	const char *missing[3];
	size_t n = 0;

	if (!t->tunnel_id)
		missing[n++] = "tunnel_id";
	if (!t->user)
		missing[n++] = "user";
	if (!t->update_key_file)
		missing[n++] = "update_key_file";
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s:%d:%d: tunnel '%s': missing key '%s', which `jail6 tunnel update` needs\n",
			t->pos.file, t->pos.line, t->pos.col, t->name, missing[i]);
	return n == 0;
}

int cmd_tunnel_update(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "myip", required_argument, NULL, 'm' },
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct model m = { 0 };
	struct tunnel_update_req req = { .tries = TUNNEL_UPDATE_TRIES, .pause_ms = TUNNEL_UPDATE_PAUSE_MS,
					  .on_retry = note_retry };
	struct tunnel_update_answer ans;
	const struct model_tunnel *t;
	const char *opt_myip = NULL, *opt_url = NULL;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512], msg[768], myip[ADDR_STRLEN], *url = NULL;
	int c, e, rc = CLI_EXIT_CONFIG;

	key[0] = '\0';
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': opt_myip = optarg; break;
		case 'u': opt_url = optarg; break;
		case 'h': help(g); return CLI_EXIT_OK;
		default:
			fprintf(stderr, "usage: jail6 [-f FILE] tunnel update NAME [--myip IPV4|auto] [--url URL]\n");
			return CLI_EXIT_CONFIG;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "jail6 tunnel update: %s\n", optind < argc ? "one tunnel NAME only" : "which tunnel? NAME is missing");
		return CLI_EXIT_CONFIG;
	}
	if (opt_myip && strcmp(opt_myip, "auto") != 0) {
		unsigned char bin[4];

		if (inet_pton(AF_INET, opt_myip, bin) != 1) {
			fprintf(stderr, "jail6 tunnel update: --myip: '%s' is not an IPv4 address (or auto)\n", opt_myip);
			return CLI_EXIT_CONFIG;
		}
	}
	if (opt_url && tunnel_update_build_url(opt_url, "0", NULL, &url, err, sizeof(err)) < 0) {
		fprintf(stderr, "jail6 tunnel update: --url: %s\n", err);
		return CLI_EXIT_CONFIG;
	}
	free(url);
	req.timeout_ms = timeout_ms();
	if (req.timeout_ms < 0)
		return CLI_EXIT_CONFIG;
	if ((rc = cli_load_conf(g, &m)))
		return rc;
	rc = CLI_EXIT_CONFIG;
	t = model_find_tunnel(&m, argv[optind]);
	if (!t) {
		fprintf(stderr, "jail6: tunnel '%s' is not defined in %s\n", argv[optind], g->conf);
		goto cleanup;
	}
	if (!has_update_keys(t))
		goto cleanup;
	req.name = t->name;
	req.url = opt_url ? opt_url : t->update_url;
	req.tunnel_id = t->tunnel_id;
	req.user = t->user;
	if (opt_myip)
		req.myip = strcmp(opt_myip, "auto") ? opt_myip : NULL;
	else if (t->has_myip)
		req.myip = addr_format_host(&t->myip, myip, sizeof(myip));
	rc = CLI_EXIT_FAIL;
	if (tunnel_update_key_read(t->update_key_file, 0, key, sizeof(key), err, sizeof(err)) < 0) {
		fprintf(stderr, "jail6: %s: %s\n", t->name, err);
		goto cleanup;
	}
	req.key = key;
	if (req.url && strncasecmp(req.url, "http://", 7) == 0)
		fprintf(stderr, "jail6: %s: warning: the update URL is plain http://, the update key travels unencrypted\n",
			t->name);
	e = tunnel_update_call(&req, &ans);
	if (e == -EINVAL) {
		fprintf(stderr, "jail6: %s: %s\n", t->name, ans.detail);
		rc = CLI_EXIT_CONFIG;
		goto cleanup;
	}
	if (e < 0) {
		fprintf(stderr, "jail6: %s: update: %s\n", t->name, strerror(-e));
		goto cleanup;
	}
	tunnel_update_message(&req, &ans, msg, sizeof(msg));
	if (tunnel_update_ok(&ans)) {
		printf("%s\n", msg);
		rc = CLI_EXIT_OK;
	} else {
		fprintf(stderr, "jail6: %s\n", msg);
	}
cleanup:
	explicit_bzero(key, sizeof(key));
	model_free(&m);
	return rc;
}
