/* jail6 status: what the host has for each object of the config, in the
 * spirit of the seed's "End Result", and whether it drifted from the file. */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_status(struct cli_global *g, int argc, char **argv)
{
	struct model m = { 0 };
	struct engine *e = NULL;
	json_t *js = NULL;
	bool in_sync = false;
	int rc, json = 0;

	rc = cli_opts(g, argc, argv, "status",
		      "Show the tunnel, the bridge (addresses, members) and each jail\n"
		      "(state, interfaces, addresses, port filter, routing table; a\n"
		      "running confined jail's memory and process use against its limits)\n"
		      "as the host has them, then whether the host matches FILE. A jail6\n"
		      "datapath's tunnel shows whether the datapath is alive, when a packet\n"
		      "last came from the remote and its keepalive; a datapath whose stats are\n"
		      "older than 5 s (stopped, hung or failing) is drift. Exit 0 when the host\n"
		      "matches, 3 when it drifted (the actions apply would take are listed)\n"
		      "or an object jail6 did not create stands in the way (a conflict),\n"
		      "1 on error.\n",
		      "json", 'j', &json);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind < argc) {
		warnx("status: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	if (rc == 0)
		rc = cli_engine_open(g, &e, true, false);
	if (rc == 0) {
		if (engine_status(e, &m, &js, &in_sync) < 0) {
			cli_warn_lines(engine_error(e));
			rc = CLI_EXIT_FAIL;
		} else {
			if (json)
				json_dumpf(js, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER), putchar('\n');
			else
				engine_status_print(stdout, js, g->conf);
			rc = in_sync ? CLI_EXIT_OK : CLI_EXIT_DRIFT;
		}
	}
	json_decref(js);
	engine_close(e);
	model_free(&m);
	return rc;
}
