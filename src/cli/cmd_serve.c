/* jail6 serve: the web UI and JSON API (src/serve), or its accounts. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "serve/serve.h"

static const char serve_help[] =
	"Serve a web UI and a JSON API (/api/v1, docs/api.md) for FILE's host:\n"
	"a dashboard of the tunnel, bridges and jails, a page per jail with\n"
	"start, stop, restart and remove, new jail, the plan and apply; every\n"
	"change shows its plan first. A privileged parent runs the engine; an\n"
	"HTTP child (user " SERVE_USER ", else " SERVE_FALLBACK_USER "; no capability, no_new_privs,\n"
	"seccomp, an empty root) talks to the clients. See jail6(8) SERVE.\n\n"
	"  --listen ADDR:PORT   where to listen (default " SERVE_DEFAULT_LISTEN "; [ADDR]:PORT for IPv6)\n"
	"  --tls-cert FILE      HTTPS with this certificate (PEM) ...\n"
	"  --tls-key FILE       ... and its key; needed for a non-loopback address\n"
	"  --insecure-listen    allow plain HTTP on a non-loopback address\n"
	"  --users FILE         the accounts file (default " SERVE_DEFAULT_USERS ")\n"
	"  --jail-dir DIR       where new jail writes NAME.conf (default " SERVE_DEFAULT_JAIL_DIR ")\n"
	"  --user NAME          the HTTP child's user\n"
	"  --server-name NAME   a host name clients reach it by: besides IP addresses\n"
	"                       and localhost, the only name accepted in Host (421\n"
	"                       otherwise, against DNS rebinding)\n"
	"  --add-user NAME      set NAME's password (from the terminal or one line of\n"
	"                       stdin) in the accounts file, and exit\n"
	"  --add-token NAME     make a bearer token for NAME, print it once, and exit\n";

int cmd_serve(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "insecure-listen", no_argument, NULL, 'I' },
		{ "users", required_argument, NULL, 'U' },
		{ "jail-dir", required_argument, NULL, 'D' },
		{ "user", required_argument, NULL, 'u' },
		{ "server-name", required_argument, NULL, 'S' },
		{ "add-user", required_argument, NULL, 'A' },
		{ "add-token", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_opts o = {
		.listen = SERVE_DEFAULT_LISTEN,
		.users = SERVE_DEFAULT_USERS,
		.jail_dir = SERVE_DEFAULT_JAIL_DIR,
	};
	const char *add_user = NULL, *add_token = NULL;
	char err[1024] = "", tok[128];
	int c;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'c': o.tls_cert = optarg; break;
		case 'k': o.tls_key = optarg; break;
		case 'I': o.insecure_listen = true; break;
		case 'U': o.users = optarg; break;
		case 'D': o.jail_dir = optarg; break;
		case 'u': o.user = optarg; break;
		case 'S': o.server_name = optarg; break;
		case 'A': add_user = optarg; break;
		case 'T': add_token = optarg; break;
		case 'h':
			for (const struct cli_command *k = cli_commands; k->name; k++)
				if (!strcmp(k->name, "serve"))
					printf("usage: jail6 serve %s\n\n%s", k->usage, serve_help);
			return CLI_EXIT_OK;
		default: cli_usage("serve"); return CLI_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		warnx("serve: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	if (add_user) {
		if (serve_add_user(o.users, add_user, err, sizeof(err)) < 0) {
			warnx("%s", err);
			return CLI_EXIT_FAIL;
		}
		printf("jail6: %s: password of %s set\n", o.users, add_user);
		return CLI_EXIT_OK;
	}
	if (add_token) {
		if (serve_add_token(o.users, add_token, tok, sizeof(tok), err, sizeof(err)) < 0) {
			warnx("%s", err);
			return CLI_EXIT_FAIL;
		}
		printf("%s\n", tok);
		return CLI_EXIT_OK;
	}
	o.conf = g->conf;
	o.state_dir = g->state_dir;
	o.host_netns = g->host_netns;
	o.runtime_dir = g->runtime_dir;
	o.lock_timeout_ms = g->lock_timeout_ms;
	if (serve_run(&o, err, sizeof(err)) < 0) {
		cli_warn_lines(err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
