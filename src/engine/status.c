/*
 * Status: what the host has for each object of the model, in the spirit of
 * the seed's "End Result", and the drift from the model (the actions apply
 * would take), as one JSON document that every front end renders.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

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
		json_t *o;
		if (strcmp(r->ns, ns))
			continue;
		if (r->dst.plen == 0)
			snprintf(d, sizeof(d), "%s", r->dst.family == AF_INET ? "default4" : "default");
		else
			addr_format(&r->dst, d, sizeof(d));
		o = json_pack("{s:s}", "destination", d);
		if (r->gw.family)
			json_object_set_new(o, "gateway", json_string(addr_format_host(&r->gw, gw, sizeof(gw))));
		if (r->dev[0])
			json_object_set_new(o, "dev", json_string(r->dev));
		json_array_append_new(a, o);
	}
	return a;
}

/* Whether a TUN tunnel's datapath is alive and moving, when a packet last
 * came from the remote, and its keepalive: "liveness" of the status. The
 * datapath is "alive" (its stats are fresh), "stale" (not rewritten, or
 * not written, for over STATE_DAEMON_STALE_S: stopped, hung or failing;
 * drift) or "not running". */
static json_t *liveness_json(const struct state_link *l, const struct tunnel_stats *ts, int64_t now)
{
	int64_t age = ts ? tunnel_stats_age(ts, now) : INT64_MAX;
	json_t *o = json_object();

	json_object_set_new(o, "datapath", json_string(!l->daemon ? "not running" : l->daemon_stale ? "stale" : "alive"));
	json_object_set_new(o, "stats_age", age != INT64_MAX ? json_integer((json_int_t)age) : json_null());
	json_object_set_new(o, "last_rx", ts && ts->last_rx ? json_integer((json_int_t)ts->last_rx) : json_null());
	json_object_set_new(o, "last_rx_age", ts && ts->last_rx
						     ? json_integer((json_int_t)(now > ts->last_rx ? now - ts->last_rx : 0))
						     : json_null());
	if (ts && ts->keepalive)
		json_object_set_new(o, "keepalive", json_pack("{s:i,s:I,s:I}", "interval", ts->keepalive, "sent",
							      (json_int_t)ts->ka_sent, "replies",
							      (json_int_t)ts->ka_replies));
	else
		json_object_set_new(o, "keepalive", json_null());
	return o;
}

/* One tunnel of the model as JSON. */
static json_t *tunnel_json(struct engine *e, const struct model_tunnel *t, const struct state *st)
{
	const struct state_link *l = state_find_link(st, "", t->name);
	json_t *o = link_json(st, "", t->name);
	struct tunnel_stats ts;
	char buf[ADDR_STRLEN];

	json_object_set_new(o, "type", json_string("6in4"));
	json_object_set_new(o, "remote", json_string(addr_format_host(&t->remote, buf, sizeof(buf))));
	/* a TUN device's: what its daemon's stats say, else (no stats yet)
	 * what the config asks for */
	if (l && (l->kind == STATE_LINK_SIT || l->kind == STATE_LINK_TUN))
		json_object_set_new(o, "datapath", json_string(model_datapath_name(
				   l->kind == STATE_LINK_SIT ? MODEL_DATAPATH_KERNEL
				   : l->daemon_dp	     ? l->daemon_dp
				   : t->datapath == MODEL_DATAPATH_EBPF ? MODEL_DATAPATH_EBPF
									: MODEL_DATAPATH_USERSPACE)));
	if (l && l->local.family)
		json_object_set_new(o, "local", json_string(addr_format_host(&l->local, buf, sizeof(buf))));
	json_object_set_new(o, "role", json_string(model_role_name(t->role)));
	if (l && l->kind == STATE_LINK_TUN) {
		bool have = l->daemon && e->ops->tunnel_stats(e->be, t->name, &ts) == 0;

		json_object_set_new(o, "daemon", json_boolean(l->daemon));
		if (have)
			json_object_set_new(o, "counters", tunnel_stats_json(&ts));
		json_object_set_new(o, "liveness", liveness_json(l, have ? &ts : NULL, (int64_t)time(NULL)));
	}
	return o;
}

static json_t *bridge_json(const struct model_bridge *b, const struct state *st)
{
	json_t *o = link_json(st, "", b->name), *mem = json_array();

	for (size_t k = 0; k < st->n_links; k++)
		if (!st->links[k].ns[0] && !strcmp(st->links[k].master, b->name))
			json_array_append_new(mem, json_string(st->links[k].name));
	json_object_set_new(o, "members", mem);
	return o;
}

/* Whether the port filter of interface f of jail j is as the model wants:
 * "in place", "missing" or "drift" (its table or rules changed by hand,
 * other addresses). */
static const char *filter_state(const struct model_jail *j, const struct model_iface *f, const struct state *st)
{
	char port[MODEL_IFNAMSIZ + 1];
	const struct state_fport *p;

	snprintf(port, sizeof(port), "%sa", f->name);
	p = state_filter_port(st, port);
	if (!st->filter.present || !p)
		return "missing";
	if (!st->filter.intact || !p->intact || strcmp(p->jail, j->name) || !state_fport_same(p, f->addrs, f->n_addrs))
		return "drift";
	return "in place";
}

static json_t *jail_json(struct engine *e, const struct model_jail *j, const struct state *st)
{
	json_t *o = json_pack("{s:s}", "name", j->name), *ifs = json_array();
	enum engine_jail_state s = engine_jail_state_of(e, j, st);
	/* only what is jail6's is shown as the jail's */
	bool sj = s == ENGINE_JAIL_RUNNING || s == ENGINE_JAIL_INCOMPLETE;
	char buf[MODEL_IFNAMSIZ + 1];

	json_object_set_new(o, "state", json_string(engine_jail_state_name(s)));
	json_object_set_new(o, "hostname", json_string(j->hostname ? j->hostname : j->name));
	for (size_t f = 0; sj && f < j->n_ifaces; f++) {
		json_t *l;
		snprintf(buf, sizeof(buf), "%sb", j->ifaces[f].name);
		l = link_json(st, j->name, buf);
		/* what the host lets through from it: its bridge port's filter */
		if (j->ifaces[f].bridge[0])
			json_object_set_new(l, "port_filter", json_string(filter_state(j, &j->ifaces[f], st)));
		json_array_append_new(ifs, l);
	}
	json_object_set_new(o, "interfaces", ifs);
	json_object_set_new(o, "routes", sj ? routes_json(st, j->name) : json_array());
	const struct state_jail *sjp = sj ? state_find_jail(st, j->name) : NULL;
	if (sjp)
		json_object_set_new(o, "confined", json_boolean(sjp->confined));
	/* a running confined jail: its usage against its limits (null: no
	 * limit) */
	if (sjp && sjp->has_usage) {
		json_t *lim = json_object();
		json_object_set_new(lim, "memory", json_pack("{s:I, s:o}", "current", (json_int_t)sjp->mem_current,
							      "max", j->limits.memory ? json_integer((json_int_t)j->limits.memory)
									      : json_null()));
		json_object_set_new(lim, "pids", json_pack("{s:I, s:o}", "current", (json_int_t)sjp->pids_current,
							    "max", j->limits.pids ? json_integer(j->limits.pids) : json_null()));
		json_object_set_new(lim, "cpu_weight", json_integer(j->limits.cpu_weight ? j->limits.cpu_weight : 100));
		json_object_set_new(o, "limits", lim);
	}
	/* exec.start failed or was cut short: where its output went */
	if (sjp && sjp->start_pending && e->store) {
		const char *db = store_path(e->store), *slash = strrchr(db, '/');
		char log[4096];
		if (slash) {
			snprintf(log, sizeof(log), "%.*s/run/log/%s.log", (int)(slash - db), db, j->name);
			json_object_set_new(o, "exec_start_log", json_string(log));
		}
	}
	return o;
}

/* The whole document. */
static json_t *status_doc(struct engine *e, const struct model *m, const struct state *st,
			  const struct plan *drift, const struct plan_conflicts *cf)
{
	json_t *root = json_object(), *tun = json_array(), *br = json_array(), *jails = json_array(), *d = json_array();
	json_t *c = json_array();
	char buf[512];

	for (size_t i = 0; i < m->n_tunnels; i++)
		json_array_append_new(tun, tunnel_json(e, &m->tunnels[i], st));
	for (size_t i = 0; i < m->n_bridges; i++)
		json_array_append_new(br, bridge_json(&m->bridges[i], st));
	for (size_t i = 0; i < m->n_jails; i++)
		json_array_append_new(jails, jail_json(e, &m->jails[i], st));
	for (size_t i = 0; i < drift->n_actions; i++)
		json_array_append_new(d, json_string(action_describe(&drift->actions[i], buf, sizeof(buf))));
	for (size_t i = 0; i < cf->n; i++)
		json_array_append_new(c, json_string(cf->msgs[i]));
	json_object_set_new(root, "tunnels", tun);
	json_object_set_new(root, "bridges", br);
	json_object_set_new(root, "jails", jails);
	json_object_set_new(root, "in_sync", json_boolean(drift->n_actions == 0 && cf->n == 0));
	json_object_set_new(root, "drift", d);
	json_object_set_new(root, "conflicts", c);
	return root;
}

int engine_status(struct engine *e, struct model *m, json_t **out, bool *in_sync)
{
	struct plan_conflicts cf = { 0 };
	struct model view = { 0 };
	struct state st = { 0 };
	struct plan drift = { 0 };
	int r;

	*out = NULL;
	r = engine_resolve_auto(e, m, true);
	if (!r)
		r = engine_resolve_idmap(e, m, true);
	/* auto addresses without a lease yet (never applied): the ones apply
	 * would pick, so that the drift lists them too */
	if (!r)
		r = plan_resolve_auto(m);
	if (!r)
		r = engine_observe(e, m, &st, NULL);
	if (!r)
		r = engine_view(e, m, &view, NULL, 0, NULL);
	if (!r)
		r = plan_build(&view, &st, &drift);
	if (!r)
		r = plan_conflicts(&view, &st, &cf);
	if (r < 0 && !e->err[0])
		engine_fail(e, r, "status: %s", strerror(-r));
	if (r == 0) {
		*out = status_doc(e, m, &st, &drift, &cf);
		*in_sync = drift.n_actions == 0 && cf.n == 0;
		if (!*out)
			r = engine_fail(e, -ENOMEM, "status: out of memory");
	}
	plan_free(&drift);
	plan_conflicts_free(&cf);
	engine_view_free(&view);
	state_free(&st);
	return r;
}
