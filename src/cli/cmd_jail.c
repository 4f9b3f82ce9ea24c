/* jail6 start | stop | restart | exec | list: one jail at a time, as
 * jail(8) and jexec(8) do on FreeBSD. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "model/model.h"
#include "os/linux/jail.h"
#include "os/linux/netns.h"
#include "store/store.h"

/* Parse the options of start/stop/restart: -f and -n, then JAIL names that
 * the config must know. Returns 0 or an exit code. */
static int jail_args(struct cli_global *g, int argc, char **argv, const char *what, const char *help,
		     struct model *m, int *dry)
{
	int rc = cli_dry_run_opts(g, argc, argv, what, help, dry);

	if (rc)
		return rc;
	if (optind >= argc) {
		cli_usage(what);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, m);
	if (rc)
		return rc;
	for (int i = optind; i < argc; i++)
		if (!model_find_jail(m, argv[i])) {
			fprintf(stderr, "jail6 %s: no jail '%s' in %s\n", what, argv[i], g->conf);
			model_free(m);
			return CLI_EXIT_CONFIG;
		}
	return 0;
}

/* Record the user's wish (running or stopped) so that apply respects it. */
static int set_wish(struct engine *e, const struct model *m, const char *name, enum store_jail_state st)
{
	const struct model_jail *j = model_find_jail(m, name);
	struct store_jail rec = { .state = st };

	if (store_jail_get(e->store, name, &rec) == 0)
		return store_jail_set_state(e->store, name, st);
	rec.state = st;
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.hostname, sizeof(rec.hostname), "%s", j && j->hostname ? j->hostname : "");
	snprintf(rec.path, sizeof(rec.path), "%s", j && j->path ? j->path : "");
	return store_jail_put(e->store, &rec);
}

static int do_start(struct cli_global *g, struct engine *e, struct model *m, char **names, size_t n, int dry)
{
	for (size_t i = 0; i < n && !dry; i++)
		set_wish(e, m, names[i], STORE_JAIL_RUNNING);
	return cli_converge(g, e, m, (const char *const *)names, n, dry, true);
}

static int do_stop(struct engine *e, struct model *m, char **names, size_t n, int dry)
{
	int rc = cli_teardown(e, m, (const char *const *)names, n, dry, true);

	for (size_t i = 0; i < n && !dry && rc == CLI_EXIT_OK; i++)
		set_wish(e, m, names[i], STORE_JAIL_STOPPED);
	return rc;
}

/* The shared frame of start/stop/restart. */
static int jail_cmd(struct cli_global *g, int argc, char **argv, const char *what, const char *help)
{
	struct model m = { 0 };
	struct engine e;
	int dry = 0, rc = jail_args(g, argc, argv, what, help, &m, &dry);
	char **names = argv + optind;
	size_t n = (size_t)(argc - optind);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = cli_engine_open(g, &e, false);
	if (rc == 0) {
		if (!strcmp(what, "start")) {
			rc = do_start(g, &e, &m, names, n, dry);
		} else if (!strcmp(what, "stop")) {
			rc = do_stop(&e, &m, names, n, dry);
		} else {
			/* restart: stop what runs (a stopped jail is fine), then start */
			struct state st = { 0 };
			size_t k = 0;
			char *up[n ? n : 1];
			if (engine_observe(&e, &m, &st) == 0)
				for (size_t i = 0; i < n; i++)
					if (state_find_jail(&st, names[i]))
						up[k++] = names[i];
			state_free(&st);
			rc = k ? do_stop(&e, &m, up, k, dry) : CLI_EXIT_OK;
			if (rc == CLI_EXIT_OK)
				rc = do_start(g, &e, &m, names, n, dry);
		}
	}
	engine_close(&e);
	model_free(&m);
	return rc;
}

int cmd_start(struct cli_global *g, int argc, char **argv)
{
	return jail_cmd(g, argc, argv, "start",
			"Create and start the named jails of FILE: the namespace, its epair on\n"
			"the bridge, its addresses and routes (and the bridge and tunnel when\n"
			"missing), then exec.start inside. apply starts them again from now on.\n");
}

int cmd_stop(struct cli_global *g, int argc, char **argv)
{
	return jail_cmd(g, argc, argv, "stop",
			"Run exec.stop inside the named jails, then remove them and their\n"
			"epairs. Their auto addresses are kept for the next start; apply leaves\n"
			"them stopped until `jail6 start`.\n");
}

int cmd_restart(struct cli_global *g, int argc, char **argv)
{
	return jail_cmd(g, argc, argv, "restart", "Stop (when running) and start the named jails.\n");
}

int cmd_exec(struct cli_global *g, int argc, char **argv)
{
	char err[512] = "";
	int status = 0, r;
	const char *rt = g->runtime_dir ? g->runtime_dir : NETNS_RUNTIME_DIR;

	/* no getopt: everything after the jail name is the command's own argv */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: jail6 exec JAIL COMMAND [ARG...]\n\n"
		       "Run COMMAND inside JAIL (its network, hostname and, for a jail with a\n"
		       "root path, its root and a fresh PID namespace), like jexec(8). The exit\n"
		       "status is the command's (128+N when killed by signal N).\n");
		return CLI_EXIT_OK;
	}
	if (argc < 3) {
		cli_usage("exec");
		return CLI_EXIT_CONFIG;
	}
	if (!model_jailname_ok(argv[1])) {
		fprintf(stderr, "jail6 exec: '%s' is not a valid jail name\n", argv[1]);
		return CLI_EXIT_CONFIG;
	}
	if (!jail_exists(rt, argv[1])) {
		fprintf(stderr, "jail6 exec: jail %s is not running\n", argv[1]);
		return CLI_EXIT_FAIL;
	}
	r = jail_run_err(rt, argv[1], argv + 2, &status, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", err[0] ? err : strerror(-r));
		return 127;
	}
	return status;
}

int cmd_list(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct model m = { 0 };
	struct engine e;
	int c, rc, json = 0;
	json_t *arr = json_array();
	char buf[ADDR_STRLEN];

	while ((c = getopt_long(argc, argv, "f:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: jail6 list [-f FILE] [--json]\n\n"
			       "One line per jail of FILE: name, state (running, stopped, or absent:\n"
			       "wanted but not up), hostname, root path and addresses.\n");
			json_decref(arr);
			return CLI_EXIT_OK;
		default: cli_usage("list"); json_decref(arr); return CLI_EXIT_CONFIG;
		}
	}
	rc = cli_load_conf(g, &m);
	if (rc == 0)
		rc = cli_engine_open(g, &e, true);
	if (rc) {
		json_decref(arr);
		model_free(&m);
		return rc;
	}
	engine_resolve_auto(&e, &m, true);
	for (size_t i = 0; i < m.n_jails; i++) {
		const struct model_jail *j = &m.jails[i];
		bool up = jail_exists(e.runtime_dir, j->name) == 1;
		json_t *addrs = json_array();
		for (size_t f = 0; f < j->n_ifaces; f++)
			for (size_t k = 0; k < j->ifaces[f].n_addrs; k++)
				json_array_append_new(addrs, json_string(addr_format(&j->ifaces[f].addrs[k], buf, sizeof(buf))));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:o}", "name", j->name,
			"state", up ? "running" : engine_jail_wanted(&e, j) ? "absent" : "stopped",
			"hostname", j->hostname ? j->hostname : j->name, "path", j->path, "addresses", addrs));
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		size_t i;
		json_t *o, *v;
		printf("%-20s %-8s %-24s %s\n", "NAME", "STATE", "HOSTNAME", "ADDRESSES");
		json_array_foreach(arr, i, o) {
			size_t k;
			printf("%-20s %-8s %-24s", json_string_value(json_object_get(o, "name")),
			       json_string_value(json_object_get(o, "state")),
			       json_string_value(json_object_get(o, "hostname")));
			json_array_foreach(json_object_get(o, "addresses"), k, v)
				printf(" %s", json_string_value(v));
			putchar('\n');
		}
	}
	json_decref(arr);
	engine_close(&e);
	model_free(&m);
	return CLI_EXIT_OK;
}
