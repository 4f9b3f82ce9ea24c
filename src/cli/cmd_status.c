/* jail6 status: what the host has for each object of the config, in the
 * spirit of the seed's "End Result", and whether it drifted from the file. */
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "model/model.h"
#include "os/linux/linux.h"
#include "plan/plan.h"
#include "store/store.h"

/* The addresses of one link, as a JSON array of "addr/plen" strings. */
static json_t *link_addrs(const struct state *st, const char *ns, const char *ifname)
{
	json_t *a = json_array();
	char buf[ADDR_STRLEN];

	for (size_t i = 0; i < st->n_addrs; i++)
		if (!strcmp(st->addrs[i].ns, ns) && !strcmp(st->addrs[i].ifname, ifname))
			json_array_append_new(a, json_string(addr_format(&st->addrs[i].addr, buf, sizeof(buf))));
	return a;
}

/* A link as JSON: present, kind, up, mtu, mac, addresses. */
static json_t *link_json(const struct state *st, const char *ns, const char *name)
{
	const struct state_link *l = state_find_link(st, ns, name);
	json_t *o = json_pack("{s:s, s:b}", "name", name, "present", l != NULL);
	char buf[ADDR_STRLEN];

	if (!l)
		return o;
	json_object_set_new(o, "up", json_boolean(l->up));
	json_object_set_new(o, "mtu", json_integer(l->mtu));
	if (l->has_mac)
		json_object_set_new(o, "ether", json_string(mac_format(l->mac, buf, sizeof(buf))));
	if (l->master[0])
		json_object_set_new(o, "master", json_string(l->master));
	json_object_set_new(o, "addresses", link_addrs(st, ns, name));
	return o;
}

static json_t *routes_json(const struct state *st, const char *ns)
{
	json_t *a = json_array();
	char d[ADDR_STRLEN], gw[ADDR_STRLEN];

	for (size_t i = 0; i < st->n_routes; i++) {
		const struct state_route *r = &st->routes[i];
		if (strcmp(r->ns, ns))
			continue;
		if (r->dst.plen == 0)
			snprintf(d, sizeof(d), "%s", r->dst.family == AF_INET ? "default4" : "default");
		else
			addr_format(&r->dst, d, sizeof(d));
		json_t *o = json_pack("{s:s}", "destination", d);
		if (r->gw.family)
			json_object_set_new(o, "gateway", json_string(addr_format_host(&r->gw, gw, sizeof(gw))));
		if (r->dev[0])
			json_object_set_new(o, "dev", json_string(r->dev));
		json_array_append_new(a, o);
	}
	return a;
}

/* The whole status as one JSON document (the text form prints from it). */
static json_t *status_json(struct engine *e, const struct model *m, const struct state *st,
			   const struct plan *drift)
{
	json_t *root = json_object(), *tun = json_array(), *br = json_array(), *jails = json_array(), *d = json_array();
	char buf[512];

	for (size_t i = 0; i < m->n_tunnels; i++) {
		const struct model_tunnel *t = &m->tunnels[i];
		const struct state_link *l = state_find_link(st, "", t->name);
		json_t *o = link_json(st, "", t->name);
		json_object_set_new(o, "type", json_string("6in4"));
		json_object_set_new(o, "remote", json_string(addr_format_host(&t->remote, buf, sizeof(buf))));
		if (l && (l->kind == STATE_LINK_SIT || l->kind == STATE_LINK_TUN))
			json_object_set_new(o, "datapath", json_string(l->kind == STATE_LINK_SIT ? "kernel" : "userspace"));
		if (l && l->local.family)
			json_object_set_new(o, "local", json_string(addr_format_host(&l->local, buf, sizeof(buf))));
		json_object_set_new(o, "role", json_string(t->role == MODEL_ROLE_BROKER ? "broker" : "client"));
		if (l && l->kind == STATE_LINK_TUN) {
			char path[PATH_MAX];
			json_t *stats = NULL;
			json_object_set_new(o, "daemon", json_boolean(l->daemon));
			if (l->daemon && linux_tun_path(e->lx, t->name, ".stats", path, sizeof(path)) == 0)
				stats = json_load_file(path, 0, NULL);
			if (stats)
				json_object_set_new(o, "counters", stats);
		}
		json_array_append_new(tun, o);
	}
	for (size_t i = 0; i < m->n_bridges; i++) {
		const struct model_bridge *b = &m->bridges[i];
		json_t *o = link_json(st, "", b->name), *mem = json_array();
		for (size_t k = 0; k < st->n_links; k++)
			if (!st->links[k].ns[0] && !strcmp(st->links[k].master, b->name))
				json_array_append_new(mem, json_string(st->links[k].name));
		json_object_set_new(o, "members", mem);
		json_array_append_new(br, o);
	}
	for (size_t i = 0; i < m->n_jails; i++) {
		const struct model_jail *j = &m->jails[i];
		const struct state_jail *sj = state_find_jail(st, j->name);
		json_t *o = json_pack("{s:s}", "name", j->name), *ifs = json_array();
		const char *state = sj ? "running" : engine_jail_wanted(e, j) ? "absent" : "stopped";
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "hostname", json_string(j->hostname ? j->hostname : j->name));
		for (size_t f = 0; sj && f < j->n_ifaces; f++) {
			snprintf(buf, sizeof(buf), "%sb", j->ifaces[f].name);
			json_array_append_new(ifs, link_json(st, j->name, buf));
		}
		json_object_set_new(o, "interfaces", ifs);
		json_object_set_new(o, "routes", sj ? routes_json(st, j->name) : json_array());
		json_array_append_new(jails, o);
	}
	for (size_t i = 0; i < drift->n_actions; i++)
		json_array_append_new(d, json_string(action_describe(&drift->actions[i], buf, sizeof(buf))));
	json_object_set_new(root, "tunnels", tun);
	json_object_set_new(root, "bridges", br);
	json_object_set_new(root, "jails", jails);
	json_object_set_new(root, "in_sync", json_boolean(drift->n_actions == 0));
	json_object_set_new(root, "drift", d);
	return root;
}

/* "2001:db8::1/64" -> "inet6 2001:db8::1 prefixlen 64", as ifconfig shows it. */
static void print_addr(const char *indent, const char *s)
{
	char host[ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	snprintf(host, sizeof(host), "%.*s", (int)n, s);
	if (strchr(host, ':'))
		printf("%sinet6 %s prefixlen %s\n", indent, host, slash ? slash + 1 : "128");
	else
		printf("%sinet %s/%s\n", indent, host, slash ? slash + 1 : "32");
}

static void print_link(const char *indent, json_t *l)
{
	size_t i;
	json_t *v;

	if (!json_is_true(json_object_get(l, "present"))) {
		printf("%s%s: missing\n", indent, json_string_value(json_object_get(l, "name")));
		return;
	}
	printf("%s%s: %s mtu %d\n", indent, json_string_value(json_object_get(l, "name")),
	       json_is_true(json_object_get(l, "up")) ? "UP" : "DOWN",
	       (int)json_integer_value(json_object_get(l, "mtu")));
	char in2[32];
	snprintf(in2, sizeof(in2), "%s\t", indent);
	if ((v = json_object_get(l, "ether")))
		printf("%sether %s\n", in2, json_string_value(v));
	json_array_foreach(json_object_get(l, "addresses"), i, v)
		print_addr(in2, json_string_value(v));
}

/* The userspace datapath's counters, one line each for traffic and drops. */
static void print_counters(json_t *c)
{
	const char *k;
	json_t *v;

	if (!c)
		return;
	printf("\tdaemon pid %lld, %lld restarts: rx %lld packets %lld bytes, tx %lld packets %lld bytes, %lld packet-too-big sent\n",
	       json_integer_value(json_object_get(c, "pid")), json_integer_value(json_object_get(c, "restarts")),
	       json_integer_value(json_object_get(c, "rx_packets")), json_integer_value(json_object_get(c, "rx_bytes")),
	       json_integer_value(json_object_get(c, "tx_packets")), json_integer_value(json_object_get(c, "tx_bytes")),
	       json_integer_value(json_object_get(c, "ptb_sent")));
	printf("\tdrops:");
	json_object_foreach(json_object_get(c, "drops"), k, v)
		printf(" %s %lld", k, json_integer_value(v));
	printf("\n");
}

static void print_text(json_t *s, const char *conf)
{
	size_t i, k;
	json_t *o, *v;

	json_array_foreach(json_object_get(s, "tunnels"), i, o) {
		printf("tunnel ");
		print_link("", o);
		if ((v = json_object_get(o, "datapath")))
			printf("\t6in4 %s -> %s, %s datapath%s\n",
			       json_string_value(json_object_get(o, "local")) ? json_string_value(json_object_get(o, "local")) : "?",
			       json_string_value(json_object_get(o, "remote")), json_string_value(v),
			       json_is_false(json_object_get(o, "daemon")) ? " (daemon NOT running)" : "");
		print_counters(json_object_get(o, "counters"));
	}
	json_array_foreach(json_object_get(s, "bridges"), i, o) {
		print_link("", o);
		json_array_foreach(json_object_get(o, "members"), k, v)
			printf("\tmember: %s\n", json_string_value(v));
	}
	json_array_foreach(json_object_get(s, "jails"), i, o) {
		printf("jail %s: %s (hostname %s)\n", json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "state")),
		       json_string_value(json_object_get(o, "hostname")));
		json_array_foreach(json_object_get(o, "interfaces"), k, v)
			print_link("\t", v);
		if (json_array_size(json_object_get(o, "routes")))
			printf("\tDestination                Gateway                    Netif\n");
		json_array_foreach(json_object_get(o, "routes"), k, v) {
			json_t *gw = json_object_get(v, "gateway"), *dev = json_object_get(v, "dev");
			printf("\t%-26s %-26s %s\n", json_string_value(json_object_get(v, "destination")),
			       gw ? json_string_value(gw) : "link", dev ? json_string_value(dev) : "");
		}
	}
	if (json_is_true(json_object_get(s, "in_sync"))) {
		printf("in sync with %s\n", conf);
		return;
	}
	printf("drift from %s: apply would\n", conf);
	json_array_foreach(json_object_get(s, "drift"), i, v)
		printf("  %3zu  %s\n", i + 1, json_string_value(v));
}

int cmd_status(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct model m = { 0 }, view = { 0 };
	struct state st = { 0 };
	struct plan drift = { 0 };
	struct engine e;
	json_t *js = NULL;
	int c, r, rc, json = 0;

	while ((c = getopt_long(argc, argv, "f:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: jail6 status [-f FILE] [--json]\n\n"
			       "Show the tunnel, the bridge (addresses, members) and each jail\n"
			       "(state, interfaces, addresses, routing table) as the host has them,\n"
			       "then whether the host matches FILE. Exit 0 when it does, 3 when it\n"
			       "drifted (the actions apply would take are listed), 1 on error.\n");
			return CLI_EXIT_OK;
		default: cli_usage("status"); return CLI_EXIT_CONFIG;
		}
	}
	rc = cli_load_conf(g, &m);
	if (rc)
		return rc;
	rc = cli_engine_open(g, &e, true);
	if (rc) {
		model_free(&m);
		return rc;
	}
	rc = CLI_EXIT_FAIL;
	r = engine_resolve_auto(&e, &m, true);
	/* auto addresses without a lease yet (never applied): the ones apply
	 * would pick, so that the drift lists them too */
	if (!r)
		r = plan_resolve_auto(&m);
	if (!r)
		r = engine_observe(&e, &m, &st);
	if (!r)
		r = engine_model_view(&e, &m, &view, NULL, 0);
	if (!r)
		r = plan_build(&view, &st, &drift);
	if (r < 0) {
		fprintf(stderr, "jail6: %s\n", e.err[0] ? e.err : strerror(-r));
		goto cleanup;
	}
	js = status_json(&e, &m, &st, &drift);
	if (json)
		json_dumpf(js, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER), putchar('\n');
	else
		print_text(js, g->conf);
	rc = drift.n_actions ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
cleanup:
	json_decref(js);
	plan_free(&drift);
	engine_model_view_free(&view);
	state_free(&st);
	engine_close(&e);
	model_free(&m);
	return rc;
}
