/*
 * The planner: desired model + observed state -> ordered, minimal actions.
 *
 * Pure: it reads its inputs, works on a private copy of the observed state
 * and returns a list. Removals come first, in reverse canonical order; then
 * the desired model is walked in canonical order (tunnels, forwarding,
 * bridges, jails: the order an admin types it), emitting each fact only when
 * the state does not have it yet. Every emitted action is applied to the
 * private copy with plan_state_apply_action(), so later checks see what
 * earlier actions did (a created link is down, a moved link has lost its
 * addresses) instead of re-deriving it.
 *
 * Ownership: only facts jail6 owns are ever removed or replaced. A foreign
 * object in the way (a bridge0 that is not a bridge, a default route jail6
 * did not add) is left alone and reported by plan_conflicts(); the actions
 * that build on it are still emitted, so the backend's error names it.
 */
#include "plan/plan_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Record one clash for plan_conflicts(); a no-op for plan_build(). */
__attribute__((format(printf, 2, 3)))
static void conflict(struct planner *P, const char *fmt, ...)
{
	char buf[256], *msg, **v;
	size_t n;
	va_list ap;

	if (!P->conflicts || P->err)
		return;
	n = P->conflicts->n;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msg = strdup(buf);
	v = P->conflicts->msgs;
	/* capacity is implicit: powers of two from 16 (a host full of
	 * foreign jails clashes once per jail) */
	if (msg && (n == 0 || (n >= 16 && (n & (n - 1)) == 0)))
		v = realloc(v, (n < 16 ? 16 : n * 2) * sizeof(*v));
	if (!msg || !v) {
		free(msg);
		P->err = -ENOMEM;
		return;
	}
	v[P->conflicts->n++] = msg;
	P->conflicts->msgs = v;
}

void plan_conflict_msg(struct planner *P, const char *msg)
{
	conflict(P, "%s", msg);
}

static const char *ns_label(const char *ns)
{
	return ns[0] ? ns : "host";
}

static const char *kind_label(enum state_link_kind k)
{
	switch (k) {
	case STATE_LINK_BRIDGE: return "bridge";
	case STATE_LINK_VETH: return "veth";
	case STATE_LINK_SIT: return "6in4 tunnel";
	case STATE_LINK_TUN: return "tun device";
	case STATE_LINK_OTHER: break;
	}
	return "non-jail6 interface";
}

/* ---- additions: the desired model in canonical order ---- */

/* Whether route r already goes via gw (and dev, when both name one). */
static bool same_gw(const struct state_route *r, const struct addr *gw, const char *dev)
{
	bool want_gw = gw && gw->family;

	if (want_gw != (r->gw.family != 0))
		return false;
	if (want_gw && !addr_same_host(&r->gw, gw))
		return false;
	return !(dev[0] && r->dev[0] && strcmp(dev, r->dev));
}

/* Make sure route dst (in ns) goes via gw [dev]; an owned route elsewhere is
 * replaced, a foreign one is left alone (it may be what keeps the host
 * reachable) and reported. */
static void ensure_route(struct planner *P, const char *ns, const struct addr *dst,
			 const struct addr *gw, const char *dev)
{
	const struct state_route *r = state_find_route(&P->w, ns, dst);
	struct action a;
	char d[ADDR_STRLEN], g[ADDR_STRLEN], w[ADDR_STRLEN];

	if (r && same_gw(r, gw, dev))
		return;
	if (r && !r->owned) {
		conflict(P, "%s: route %s via %s was not added by jail6; left alone (wanted via %s)",
			 ns_label(ns), addr_format(dst, d, sizeof(d)), addr_format_host(&r->gw, g, sizeof(g)),
			 gw ? addr_format_host(gw, w, sizeof(w)) : "-");
		return;
	}
	if (r) {
		a = plan_act(ACTION_ROUTE_DEL, ns, r->dev);
		a.addr = r->dst;
		a.gw = r->gw;
		plan_emit(P, &a);
	}
	a = plan_act(ACTION_ROUTE_ADD, ns, dev);
	a.addr = *dst;
	if (gw)
		a.gw = plan_host_of(gw);
	plan_emit(P, &a);
}

/* Make sure ifname (in ns) carries address x (same prefix length). */
static void ensure_addr(struct planner *P, const char *ns, const char *ifname,
			const struct addr *x, const struct addr *peer)
{
	const struct state_addr *o = state_find_addr(&P->w, ns, ifname, x);
	struct action a;
	char b[ADDR_STRLEN];

	if (o && o->addr.plen == x->plen)
		return;
	if (o && !o->owned) {
		conflict(P, "%s: %s: address %s has another prefix length and was not added by jail6",
			 ns_label(ns), ifname, addr_format(&o->addr, b, sizeof(b)));
		return;
	}
	if (o) {
		a = plan_act(ACTION_ADDR_DEL, ns, ifname);
		a.addr = o->addr;
		plan_emit(P, &a);
	}
	a = plan_act(ACTION_ADDR_ADD, ns, ifname);
	a.addr = *x;
	if (peer)
		a.gw = plan_host_of(peer);
	plan_emit(P, &a);
}

/* Bring ifname (in ns) up unless it already is. */
static void ensure_up(struct planner *P, const char *ns, const char *ifname)
{
	const struct state_link *l = state_find_link(&P->w, ns, ifname);
	struct action a;

	if (l && l->up)
		return;
	a = plan_act(ACTION_LINK_UP, ns, ifname);
	plan_emit(P, &a);
}

/* Enslave host link ifname to bridge. Owned links are moved from another
 * bridge; a foreign link that already has another master is left there. */
static void ensure_master(struct planner *P, const char *ifname, const char *bridge)
{
	const struct state_link *l = state_find_link(&P->w, "", ifname);
	struct action a;

	if (l && !strcmp(l->master, bridge))
		return;
	if (l && l->master[0] && !l->owned) {
		conflict(P, "%s: already a member of %s; not moved to %s", ifname, l->master, bridge);
		return;
	}
	a = plan_act(ACTION_LINK_SET_MASTER, "", ifname);
	PLAN_SCOPY(a.peer, bridge);
	plan_emit(P, &a);
}

/* A TUNNEL_CREATE/TUNNEL_CHANGE carrying every setting of t. */
static struct action tunnel_action(enum action_kind k, const struct model_tunnel *t)
{
	struct action a = plan_act(k, "", t->name);

	a.local_auto = t->local_auto;
	if (!t->local_auto)
		a.addr = plan_host_of(&t->local);
	a.gw = plan_host_of(&t->remote);
	a.ttl = t->ttl;
	a.mtu = t->mtu;
	a.datapath = t->datapath;
	a.keepalive = t->keepalive;
	if (t->keepalive)
		a.ka_peer = plan_host_of(&t->peer);
	if (t->has_via)
		a.via = plan_host_of(&t->via);
	return a;
}

/* Create tunnel t, or change the endpoints/ttl/mtu of the one there (the
 * link's MTU, and a userspace datapath's). */
static void ensure_tunnel(struct planner *P, const struct model_tunnel *t)
{
	const struct state_link *l = state_find_link(&P->w, "", t->name);
	struct action a;
	bool differs, stale;

	if (!l) {
		a = tunnel_action(ACTION_TUNNEL_CREATE, t);
		plan_emit(P, &a);
		return;
	}
	if (!plan_is_tunnel_kind(l->kind)) {
		conflict(P, "%s: exists as a %s, not a 6in4 tunnel", t->name, kind_label(l->kind));
		return;
	}
	/* compare only what the observer knows: a TUN device has no endpoints
	 * in the kernel, so family 0 / ttl 0 / mtu 0 mean "unknown" */
	differs = (!t->local_auto && l->local.family && !addr_same_host(&l->local, &t->local)) ||
		  (l->remote.family && !addr_same_host(&l->remote, &t->remote)) ||
		  (l->ttl && l->ttl != t->ttl);
	/* a userspace datapath that did not follow its link's MTU (one that
	 * ignores SIGHUP, or whose reload timed out): restarting it is what
	 * gives it the configured MTU for sure */
	stale = l->kind == STATE_LINK_TUN && l->daemon && l->daemon_mtu && l->daemon_mtu != t->mtu;
	/* and one that holds to another via than the config's, or to none */
	stale = stale || (l->kind == STATE_LINK_TUN && l->daemon && l->daemon_mtu &&
			  (t->has_via ? !l->daemon_via.family || !addr_same_host(&l->daemon_via, &t->via)
				      : l->daemon_via.family != 0));
	/* the other datapath on the TUN device (userspace <-> ebpf): the
	 * change restarts the daemon as the config says */
	if (l->kind == STATE_LINK_TUN && l->daemon && l->daemon_dp && l->daemon_dp != t->datapath &&
	    (t->datapath == MODEL_DATAPATH_USERSPACE || t->datapath == MODEL_DATAPATH_EBPF))
		differs = true;
	if ((differs || stale || (l->mtu && l->mtu != t->mtu)) && !l->owned)
		conflict(P, "%s: tunnel was not created by jail6; its settings will be changed", t->name);
	/* a userspace tunnel whose datapath daemon is gone: (re)start it */
	if (differs || (l->kind == STATE_LINK_TUN && !l->daemon)) {
		a = tunnel_action(ACTION_TUNNEL_CHANGE, t);
		plan_emit(P, &a);
	} else if (l->kind == STATE_LINK_TUN && l->daemon_stale) {
		/* a datapath that stopped writing its stats (stopped, hung),
		 * or never wrote any: a restart is what gets it moving again */
		a = tunnel_action(ACTION_TUNNEL_CHANGE, t);
		a.reason = "restart the datapath: its stats are stale (stopped, hung or failing)";
		plan_emit(P, &a);
	} else if (l->kind == STATE_LINK_TUN && l->daemon && l->daemon_keepalive >= 0 &&
		   l->daemon_keepalive != t->keepalive) {
		/* the keepalive is the datapath process's: it starts with it */
		a = tunnel_action(ACTION_TUNNEL_CHANGE, t);
		a.reason = "restart the datapath: its keepalive changes";
		plan_emit(P, &a);
	} else if (l->mtu && l->mtu != t->mtu) {
		/* the backend tells a running datapath too (and waits) */
		a = plan_act(ACTION_LINK_SET_MTU, "", t->name);
		a.mtu = t->mtu;
		plan_emit(P, &a);
	} else if (stale) {
		a = tunnel_action(ACTION_TUNNEL_CHANGE, t);
		plan_emit(P, &a);
	}
}

/* Broker host route, tunnel, address, up, IPv6 default route via the peer. */
static void plan_tunnel(struct planner *P, const struct model_tunnel *t)
{
	if (t->has_via) {
		struct addr dst = plan_broker_dst(t);
		ensure_route(P, "", &dst, &t->via, "");
	}
	ensure_tunnel(P, t);
	if (t->has_address)
		ensure_addr(P, "", t->name, &t->address, t->has_peer ? &t->peer : NULL);
	ensure_up(P, "", t->name);
	if (!t->has_peer)
		return;
	if (t->role == MODEL_ROLE_BROKER) {
		/* the broker's end: the client's routed prefixes go to the peer */
		for (size_t i = 0; i < t->n_routed; i++)
			ensure_route(P, "", &t->routed[i], &t->peer, t->name);
	} else {
		struct addr dst = plan_default_dst(AF_INET6);
		ensure_route(P, "", &dst, &t->peer, t->name);
	}
}

/* Set a generic sysctl in ns unless it already has that value. */
static void ensure_sysctl(struct planner *P, const char *ns, const char *key, const char *value)
{
	const struct state_sysctl *c = state_find_sysctl(&P->w, ns, key);
	struct action a;

	if (c && !strcmp(c->value, value))
		return;
	a = plan_act(ACTION_SYSCTL_SET, ns, "");
	PLAN_SCOPY(a.key, key);
	PLAN_SCOPY(a.value, value);
	plan_emit(P, &a);
}

/* Whether name is a 6in4 tunnel, configured or seen. */
static bool is_tunnel_name(struct planner *P, const char *name)
{
	const struct state_link *l = state_find_link(&P->w, "", name);

	return model_find_tunnel(P->m, name) || (l && plan_is_tunnel_kind(l->kind));
}

/* Bridge, its addresses, its members up and joined, the bridge up. */
static void plan_bridge(struct planner *P, const struct model_bridge *b)
{
	const struct state_link *l = state_find_link(&P->w, "", b->name);
	struct action a;

	if (!l) {
		a = plan_act(ACTION_BRIDGE_CREATE, "", b->name);
		plan_emit(P, &a);
	} else if (l->kind != STATE_LINK_BRIDGE) {
		conflict(P, "%s: exists as a %s, not a bridge", b->name, kind_label(l->kind));
	} else if (!l->owned && !b->adopt) {
		conflict(P, "%s: bridge exists and was not created by jail6 (adopt = yes uses it)", b->name);
	}
	/* a bridge of jail6's takes no Router Advertisements: its jails'
	 * ports must not configure the host (an adopted one is the admin's) */
	if (!l || (l->owned && l->kind == STATE_LINK_BRIDGE)) {
		char key[64];

		snprintf(key, sizeof(key), "ipv6.accept_ra/%s", b->name);
		ensure_sysctl(P, "", key, "0");
	}
	for (size_t i = 0; i < b->n_addrs; i++)
		ensure_addr(P, "", b->name, &b->addrs[i], NULL);
	/* members come up before they join, so the joins and the bridge's own
	 * up sit together (FreeBSD: one `ifconfig B addm M1 addm M2 up`) */
	for (size_t i = 0; i < b->n_members; i++) {
		/* a gif in an if_bridge speaks EtherIP, not 6in4: never bridge a tunnel */
		if (is_tunnel_name(P, b->members[i]))
			conflict(P, "%s: member %s is a 6in4 tunnel; tunnels are routed, never bridged",
				 b->name, b->members[i]);
		else
			ensure_up(P, "", b->members[i]);
	}
	for (size_t i = 0; i < b->n_members; i++)
		if (!is_tunnel_name(P, b->members[i]))
			ensure_master(P, b->members[i], b->name);
	ensure_up(P, "", b->name);
}

/* A jail interface: the pair, host end on the bridge and up, jail end moved in, MAC, addresses, up. */
static void plan_iface(struct planner *P, const struct model_jail *j, const struct model_iface *f)
{
	char ha[MODEL_IFNAMSIZ], jb[MODEL_IFNAMSIZ];
	const struct state_link *la, *lb;
	struct action a;

	plan_filter_port(P, j, f);
	plan_veth_name(ha, f->name, 'a');
	plan_veth_name(jb, f->name, 'b');
	la = state_find_link(&P->w, "", ha);
	lb = state_find_link(&P->w, "", jb);
	if (!lb)
		lb = state_find_link(&P->w, j->name, jb);
	if (!la) {
		a = plan_act(ACTION_VETH_CREATE, "", ha);
		PLAN_SCOPY(a.peer, jb);
		PLAN_SCOPY(a.base, f->name);
		a.has_mac = f->has_mac;
		memcpy(a.mac, f->mac, sizeof(a.mac));
		plan_emit(P, &a);
	} else if (la->kind != STATE_LINK_VETH || !lb) {
		conflict(P, "%s: exists as a %s that is not jail %s's pair %s/%s", ha,
			 kind_label(la->kind), j->name, ha, jb);
	}
	if (f->bridge[0])
		ensure_master(P, ha, f->bridge);
	ensure_up(P, "", ha);
	if (state_find_link(&P->w, "", jb)) {
		a = plan_act(ACTION_LINK_SET_NS, "", jb);
		PLAN_SCOPY(a.target, j->name);
		plan_emit(P, &a);
	}
	lb = state_find_link(&P->w, j->name, jb);
	if (f->has_mac && lb && (!lb->has_mac || memcmp(lb->mac, f->mac, sizeof(f->mac)))) {
		a = plan_act(ACTION_LINK_SET_MAC, j->name, jb);
		a.has_mac = true;
		memcpy(a.mac, f->mac, sizeof(a.mac));
		plan_emit(P, &a);
	}
	for (size_t i = 0; i < f->n_addrs; i++)
		ensure_addr(P, j->name, jb, &f->addrs[i], NULL);
	ensure_up(P, j->name, jb);
}

/* A jail: created, its interfaces, loopback, routes, then exec.start when it
 * is new, or when an earlier apply created it but did not finish exec.start. */
static void plan_jail(struct planner *P, const struct model_jail *j)
{
	const struct state_jail *sj = state_find_jail(&P->w, j->name);
	static const int afs[] = { AF_INET6, AF_INET };
	bool created = false;
	struct action a;

	/* a jail of jail6's with a part missing (its UTS namespace gone, a
	 * killed create or destroy): made again, as what is left of it cannot
	 * be trusted to be whole */
	/* likewise a jail whose confinement the file changed (confine =
	 * yes/no): a bare namespace and a container are made differently */
	if (sj && sj->owned && (sj->incomplete || sj->confined != j->confine)) {
		a = plan_act(ACTION_JAIL_DESTROY, "", "");
		PLAN_SCOPY(a.target, j->name);
		plan_emit(P, &a);
		sj = state_find_jail(&P->w, j->name);
	}
	if (!sj) {
		a = plan_act(ACTION_JAIL_CREATE, "", "");
		PLAN_SCOPY(a.target, j->name);
		a.hostname = j->hostname ? j->hostname : j->name;
		a.path = j->path;
		a.jail = j;
		plan_emit(P, &a);
		created = true;
	} else if (!sj->owned) {
		conflict(P, "jail %s: exists and was not created by jail6", j->name);
	}
	/* ping (ICMP sockets) for every group, ports below 1024 for every
	 * user: root in a jail has no privilege over its network namespace */
	if (!sj || sj->owned) {
		ensure_sysctl(P, j->name, "ipv4.ping_group_range", "0 2147483647");
		ensure_sysctl(P, j->name, "ipv4.ip_unprivileged_port_start", "0");
	}
	for (size_t i = 0; i < j->n_ifaces; i++)
		plan_iface(P, j, &j->ifaces[i]);
	ensure_up(P, j->name, "lo");
	for (size_t i = 0; i < j->n_routes; i++)
		ensure_route(P, j->name, &j->routes[i].dst, &j->routes[i].gw, "");
	for (size_t i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
		struct addr gw, dst = plan_default_dst(afs[i]);
		char dev[MODEL_IFNAMSIZ];

		if (!plan_jail_has_explicit_default(j, afs[i]) && plan_jail_default(P->m, j, afs[i], &gw, dev))
			ensure_route(P, j->name, &dst, &gw, dev);
	}
	if ((created || (sj && sj->owned && sj->start_pending)) && j->exec_start.argc) {
		a = plan_act(ACTION_JAIL_EXEC, "", "");
		PLAN_SCOPY(a.target, j->name);
		a.argv = &j->exec_start;
		plan_emit(P, &a);
	}
}

/* Tunnels, forwarding, bridges, jails: the order an admin types them. */
static void plan_additions(struct planner *P)
{
	const struct model *m = P->m;

	for (size_t i = 0; i < m->n_tunnels; i++)
		plan_tunnel(P, &m->tunnels[i]);
	/* the host routes between the tunnel and the jails' prefix */
	if (m->n_tunnels || m->n_bridges || m->n_jails)
		ensure_sysctl(P, "", "ipv6.forwarding", "1");
	plan_filter_ensure(P);
	for (size_t i = 0; i < m->n_bridges; i++)
		plan_bridge(P, &m->bridges[i]);
	for (size_t i = 0; i < m->n_jails; i++)
		plan_jail(P, &m->jails[i]);
}

/* The working copy of the observed state the planner mutates. */
static int state_copy(struct state *dst, const struct state *src)
{
	int r = 0;

	memset(dst, 0, sizeof(*dst));
	r = state_append(dst, src);
	if (r < 0)
		state_free(dst);
	return r;
}

/* plan_build with an optional conflict sink; the shared body. */
static int plan_run(const struct model *desired, const struct state *observed,
		    const struct plan_scope *S, struct plan *out, struct plan_conflicts *conflicts)
{
	struct planner P = { .m = desired, .out = out, .conflicts = conflicts };
	int r;

	memset(out, 0, sizeof(*out));
	r = state_copy(&P.w, observed);
	if (r < 0)
		return r;
	plan_removals(&P, S);
	if (desired)
		plan_additions(&P);
	state_free(&P.w);
	if (P.err)
		plan_free(out);
	return P.err;
}

/* Whether some interface still has an unresolved `address = auto`. */
static bool has_auto(const struct model *m)
{
	for (size_t i = 0; i < m->n_jails; i++)
		for (size_t k = 0; k < m->jails[i].n_ifaces; k++)
			if (m->jails[i].ifaces[k].n_auto > 0)
				return true;
	return false;
}

int plan_build(const struct model *desired, const struct state *observed, struct plan *out)
{
	struct plan_scope S = { .m = desired };

	memset(out, 0, sizeof(*out));
	if (desired && has_auto(desired))
		return -EINVAL;
	return plan_run(desired, observed, &S, out, NULL);
}

int plan_conflicts(const struct model *desired, const struct state *observed,
		   struct plan_conflicts *out)
{
	struct plan_scope S = { .m = desired };
	struct plan scratch;
	int r;

	memset(out, 0, sizeof(*out));
	if (desired && has_auto(desired))
		return -EINVAL;
	r = plan_run(desired, observed, &S, &scratch, out);
	plan_free(&scratch);
	if (r < 0)
		plan_conflicts_free(out);
	return r;
}

int plan_destroy(const struct state *observed, const char *const *jails, size_t n_jails,
		 struct plan *out)
{
	struct plan_scope S = { .m = NULL, .only = jails, .n_only = n_jails };

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n_jails; i++) {
		const struct state_jail *j = state_find_jail(observed, jails[i]);
		if (!j)
			return -ENOENT;
		if (!j->owned)
			return -EPERM;
	}
	return plan_run(NULL, observed, &S, out, NULL);
}
