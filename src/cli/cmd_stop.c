/* jail6 stop JAIL...: exec.stop, then remove the jails (leases kept).
 * jail6 stop --shutdown: the same for every running jail of the config,
 * for the host's shutdown (jail6.service's ExecStop): apply starts them
 * again at boot. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/jail_cmd.h"

#define STOP_HELP \
	"Run exec.stop inside the named jails, then remove them and their\n" \
	"epairs. Their auto addresses are kept for the next start; apply leaves\n" \
	"them stopped until `jail6 start`.\n\n" \
	"  --shutdown   no JAIL: stop every running jail of FILE the same way,\n" \
	"               but leave them wanted, so that the next apply (at boot)\n" \
	"               starts them again; the tunnel, the bridge and the state\n" \
	"               directory stay (jail6.service runs it when it stops)\n" \
	"  -n, --dry-run  print the actions only\n"

/* engine_jail_stop with the signature of the other jail operations. */
static int stop(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
		struct engine_result *res)
{
	return engine_jail_stop(e, m, names, n, dry_run, res);
}

/* jail6 stop --shutdown [-n] [-f FILE]. */
static int shutdown_all(struct cli_global *g, bool dry)
{
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	int rc = cli_load_conf(g, &m);

	if (rc == 0)
		rc = cli_engine_open(g, &e, false, false);
	if (rc == 0)
		rc = cli_report(g, e, engine_jail_shutdown(e, &m, dry, &res), &res, dry,
				"nothing to stop: no jail runs", "run it again once fixed");
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return rc;
}

int cmd_stop(struct cli_global *g, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--shutdown"))
			continue;
		static const struct option opts[] = {
			{ "file", required_argument, NULL, 'f' },
			{ "dry-run", no_argument, NULL, 'n' },
			{ "shutdown", no_argument, NULL, 'S' },
			{ "help", no_argument, NULL, 'h' },
			{ NULL, 0, NULL, 0 },
		};
		bool dry = false;
		int c;

		while ((c = getopt_long(argc, argv, "f:nh", opts, NULL)) != -1) {
			switch (c) {
			case 'f': g->conf = optarg; break;
			case 'n': dry = true; break;
			case 'S': break;
			case 'h':
				printf("usage: jail6 stop %s\n\n%s", "[-f FILE] [-n|--dry-run] JAIL... | --shutdown", STOP_HELP);
				return CLI_EXIT_OK;
			default: cli_usage("stop"); return CLI_EXIT_CONFIG;
			}
		}
		if (optind < argc) {
			warnx("stop: --shutdown stops every jail; no JAIL names with it");
			return CLI_EXIT_CONFIG;
		}
		return shutdown_all(g, dry);
	}
	return cli_jail_cmd(g, argc, argv, "stop", STOP_HELP, "nothing to stop: they do not run", stop);
}
