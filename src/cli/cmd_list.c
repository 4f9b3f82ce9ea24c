/* jail6 list: the jails of the config, their state and addresses. */
#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

/* One jail as JSON: name, state, hostname, path, addresses. */
static json_t *jail_json(const struct engine_jail_info *ji)
{
	const struct model_jail *j = ji->jail;
	json_t *addrs = json_array();
	char buf[ADDR_STRLEN];

	for (size_t f = 0; ji->state != ENGINE_JAIL_CONFLICT && f < j->n_ifaces; f++)
		for (size_t k = 0; k < j->ifaces[f].n_addrs; k++)
			json_array_append_new(addrs, json_string(addr_format(&j->ifaces[f].addrs[k], buf, sizeof(buf))));
	return json_pack("{s:s, s:s, s:s, s:s?, s:o}", "name", j->name, "state", engine_jail_state_name(ji->state),
			 "hostname", j->hostname ? j->hostname : j->name, "path", j->path, "addresses", addrs);
}

static void print_table(json_t *arr)
{
	size_t i, k;
	json_t *o, *v;

	printf("%-20s %-8s %-24s %s\n", "NAME", "STATE", "HOSTNAME", "ADDRESSES");
	json_array_foreach(arr, i, o) {
		printf("%-20s %-8s %-24s", json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "state")), json_string_value(json_object_get(o, "hostname")));
		json_array_foreach(json_object_get(o, "addresses"), k, v)
			printf(" %s", json_string_value(v));
		putchar('\n');
	}
}

int cmd_list(struct cli_global *g, int argc, char **argv)
{
	struct engine_jail_info *v = NULL;
	struct model m = { 0 };
	struct engine *e = NULL;
	json_t *arr = NULL;
	size_t n = 0;
	int rc, json = 0;

	rc = cli_opts(g, argc, argv, "list",
		      "One line per jail of FILE: name, state, hostname, root path and\n"
		      "addresses. The state is running, stopped, absent (wanted but not up),\n"
		      "incomplete (jail6's, a part missing: apply makes it again) or conflict\n"
		      "(a namespace of that name that jail6 did not create: nothing of it is\n"
		      "shown).\n",
		      "json", 'j', &json);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind < argc) {
		warnx("list: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	rc = cli_load_conf(g, &m);
	if (rc == 0)
		rc = cli_engine_open(g, &e, true, false);
	if (rc == 0 && engine_jail_list(e, &m, &v, &n) < 0) {
		cli_warn_lines(engine_error(e));
		rc = CLI_EXIT_FAIL;
	}
	if (rc == 0) {
		arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, jail_json(&v[i]));
		if (json) {
			json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else {
			print_table(arr);
		}
	}
	json_decref(arr);
	free(v);
	engine_close(e);
	model_free(&m);
	return rc;
}
