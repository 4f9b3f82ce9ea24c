/*
 * What an action does to the observed state, modelled as the kernels behave
 * (Linux netlink and FreeBSD ifconfig agree on everything modelled here). The
 * planner uses it to see the effect of its own earlier actions; tests use it
 * as an executor that refuses what a kernel would refuse.
 */
#include "plan/plan_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct state_link *link_at(struct state *s, const char *ns, const char *name)
{
	return (struct state_link *)state_find_link(s, ns, name);
}

/* The positions sel selects in s (see state_select); -ENOMEM sticks in *err
 * and selects nothing. */
static const struct state_set *sel(struct state *s, enum state_sel what, const char *ns, const char *name,
				   struct state_set *set, int *err)
{
	if (state_select(s, what, ns, name, set) < 0) {
		*err = -ENOMEM;
		set->n = 0;
	}
	return set;
}

/* Forget the addresses and routes that hang on link (ns, name). */
static int drop_link_facts(struct state *s, const char *ns, const char *name)
{
	struct state_set set = { 0 };
	int err = 0;

	sel(s, STATE_SEL_ADDRS_ON, ns, name, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		state_drop_addr(s, set.v[k]);
	sel(s, STATE_SEL_ROUTES_VIA, ns, name, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		state_drop_route(s, set.v[k]);
	/* its own settings ("ipv6.accept_ra/NAME") */
	sel(s, STATE_SEL_SYSCTLS_IN, ns, NULL, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		if (!strcmp(state_sysctl_link(s->sysctls[set.v[k]].key), name))
			state_drop_sysctl(s, set.v[k]);
	state_set_free(&set);
	return err;
}

/* Destroy link i and what goes with it: its facts, its bridge ports, and for
 * a veth the other end. */
static int destroy_link(struct state *s, size_t i)
{
	struct state_link l = s->links[i];
	size_t p = plan_veth_partner(s, i);
	struct state_set set = { 0 };
	int err = drop_link_facts(s, l.ns, l.name);

	/* only a bridge (or a foreign kind of link, a bond say) has ports: a
	 * veth or a tunnel is never anyone's master */
	if (l.kind != STATE_LINK_VETH && !plan_is_tunnel_kind(l.kind)) {
		sel(s, STATE_SEL_LINKS_IN, l.ns, NULL, &set, &err);
		for (size_t k = 0; k < set.n; k++)
			if (!strcmp(s->links[set.v[k]].master, l.name))
				s->links[set.v[k]].master[0] = '\0';
		state_set_free(&set);
	}
	state_drop_link(s, i);
	if (p != SIZE_MAX) {
		int r = drop_link_facts(s, s->links[p].ns, s->links[p].name);
		err = err ? err : r;
		state_drop_link(s, p);
	}
	return err;
}

static bool jail_exists(const struct state *s, const char *ns)
{
	return !ns[0] || state_find_jail(s, ns);
}

/* A new jail, with its loopback down. */
static int apply_jail_create(struct state *s, const struct action *a)
{
	struct state_jail j = { .owned = true, .confined = a->jail && a->jail->confine };
	struct state_link lo = { .kind = STATE_LINK_OTHER };

	if (state_find_jail(s, a->target))
		return -EEXIST;
	PLAN_SCOPY(j.name, a->target);
	/* a new jail or network namespace comes with its loopback, down */
	PLAN_SCOPY(lo.ns, a->target);
	PLAN_SCOPY(lo.name, "lo");
	if (state_add_jail(s, &j) < 0 || state_add_link(s, &lo) < 0)
		return -ENOMEM;
	return 0;
}

/* The jail and everything in it go; veths take their other end along. */
static int apply_jail_destroy(struct state *s, const struct action *a)
{
	const struct state_jail *j = state_find_jail(s, a->target);
	struct state_set set = { 0 };
	int err = 0;

	if (!j)
		return -ENOENT;
	state_drop_jail(s, (size_t)(j - s->jails));
	/* the last of the jail's links first, again and again: destroying one
	 * may take another along (its veth partner) */
	while (err == 0 && sel(s, STATE_SEL_LINKS_IN, a->target, NULL, &set, &err)->n)
		err = destroy_link(s, set.v[set.n - 1]);
	sel(s, STATE_SEL_ADDRS_IN, a->target, NULL, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		state_drop_addr(s, set.v[k]);
	sel(s, STATE_SEL_ROUTES_IN, a->target, NULL, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		state_drop_route(s, set.v[k]);
	sel(s, STATE_SEL_SYSCTLS_IN, a->target, NULL, &set, &err);
	for (size_t k = 0; k < set.n; k++)
		state_drop_sysctl(s, set.v[k]);
	state_set_free(&set);
	return err;
}

/* TUNNEL_CREATE adds an owned SIT (TUN for userspace) link; TUNNEL_CHANGE updates one. */
static int apply_tunnel(struct state *s, const struct action *a)
{
	struct state_link t = { .owned = true };
	struct state_link *l = link_at(s, "", a->ifname);

	if (a->kind == ACTION_TUNNEL_CREATE) {
		if (l)
			return -EEXIST;
		PLAN_SCOPY(t.name, a->ifname);
		/* auto with a keepalive: a jail6 datapath, which sends it */
		t.kind = a->datapath == MODEL_DATAPATH_USERSPACE || a->datapath == MODEL_DATAPATH_EBPF ||
				 (a->datapath == MODEL_DATAPATH_AUTO && a->keepalive)
			 ? STATE_LINK_TUN
			 : STATE_LINK_SIT;
		l = &t;
	} else if (!l) {
		return -ENODEV;
	}
	if (!a->local_auto)
		l->local = a->addr;
	l->remote = a->gw;
	l->ttl = a->ttl;
	l->mtu = a->mtu;
	l->daemon = l->kind == STATE_LINK_TUN; /* create and change (re)start it */
	l->daemon_mtu = l->daemon ? a->mtu : 0;
	l->daemon_via = l->daemon ? a->via : (struct addr){ 0 };
	l->daemon_dp = !l->daemon ? MODEL_DATAPATH_AUTO
		       : a->datapath == MODEL_DATAPATH_EBPF ? MODEL_DATAPATH_EBPF : MODEL_DATAPATH_USERSPACE;
	l->daemon_keepalive = l->daemon ? a->keepalive : 0;
	l->daemon_stale = false;
	if (l == &t)
		return state_add_link(s, &t);
	return 0;
}

/* BRIDGE_CREATE, or VETH_CREATE: both ends in the host, owned, down. */
static int apply_create(struct state *s, const struct action *a)
{
	struct state_link l = { .owned = true };
	int r;

	if (state_find_link(s, "", a->ifname))
		return -EEXIST;
	PLAN_SCOPY(l.name, a->ifname);
	if (a->kind == ACTION_BRIDGE_CREATE) {
		l.kind = STATE_LINK_BRIDGE;
		return state_add_link(s, &l);
	}
	if (state_find_link(s, "", a->peer))
		return -EEXIST;
	l.kind = STATE_LINK_VETH;
	r = state_add_link(s, &l);
	if (r < 0)
		return r;
	PLAN_SCOPY(l.name, a->peer);
	l.has_mac = a->has_mac;
	memcpy(l.mac, a->mac, sizeof(l.mac));
	return state_add_link(s, &l);
}

/* LINK_DESTROY with everything that goes along (see destroy_link). */
static int apply_link_destroy(struct state *s, const struct action *a)
{
	const struct state_link *l = state_find_link(s, a->ns, a->ifname);

	if (!l)
		return -ENODEV;
	return destroy_link(s, (size_t)(l - s->links));
}

/* LINK_SET_NS from the host into a jail. */
static int apply_set_ns(struct state *s, const struct action *a)
{
	struct state_link *l = link_at(s, a->ns, a->ifname);
	int r;

	if (!l)
		return -ENODEV;
	if (!state_find_jail(s, a->target))
		return -ENOENT;
	if (state_find_link(s, a->target, a->ifname))
		return -EEXIST;
	/* moving a link flushes its addresses and routes, takes it off its
	 * bridge and brings it down, on Linux and FreeBSD alike */
	r = drop_link_facts(s, l->ns, l->name);
	if (r < 0)
		return r;
	state_link_set_ns(s, (size_t)(l - s->links), a->target);
	l->master[0] = '\0';
	l->up = false;
	return 0;
}

/* LINK_SET_MASTER, LINK_SET_MTU, LINK_SET_MAC, LINK_UP. */
static int apply_link_attr(struct state *s, const struct action *a)
{
	struct state_link *l = link_at(s, a->ns, a->ifname);

	if (!l)
		return -ENODEV;
	switch (a->kind) {
	case ACTION_LINK_SET_MASTER:
		if (!state_find_link(s, a->ns, a->peer))
			return -ENODEV;
		PLAN_SCOPY(l->master, a->peer);
		break;
	case ACTION_LINK_SET_MTU:
		l->mtu = a->mtu;
		/* the backend has a running datapath follow its TUN link */
		if (l->kind == STATE_LINK_TUN && l->daemon)
			l->daemon_mtu = a->mtu;
		break;
	case ACTION_LINK_SET_MAC:
		l->has_mac = true;
		memcpy(l->mac, a->mac, sizeof(l->mac));
		break;
	default:
		l->up = true;
		break;
	}
	return 0;
}

/* ADDR_ADD / ADDR_DEL on an existing link. */
static int apply_addr(struct state *s, const struct action *a)
{
	const struct state_addr *x = state_find_addr(s, a->ns, a->ifname, &a->addr);
	struct state_addr n = { .addr = a->addr, .owned = true };

	if (!state_find_link(s, a->ns, a->ifname))
		return -ENODEV;
	if (a->kind == ACTION_ADDR_DEL) {
		if (!x)
			return -ESRCH;
		state_drop_addr(s, (size_t)(x - s->addrs));
		return 0;
	}
	if (x)
		return -EEXIST;
	PLAN_SCOPY(n.ns, a->ns);
	PLAN_SCOPY(n.ifname, a->ifname);
	return state_add_addr(s, &n);
}

/* ROUTE_ADD (refused over an existing destination) / ROUTE_DEL. */
static int apply_route(struct state *s, const struct action *a)
{
	const struct state_route *x = state_find_route(s, a->ns, &a->addr);
	struct state_route n = { .dst = a->addr, .gw = a->gw, .owned = true };

	if (a->kind == ACTION_ROUTE_DEL) {
		if (!x)
			return -ESRCH;
		state_drop_route(s, (size_t)(x - s->routes));
		return 0;
	}
	if (x)
		return -EEXIST;
	if (a->ifname[0] && !state_find_link(s, a->ns, a->ifname))
		return -ENODEV;
	PLAN_SCOPY(n.ns, a->ns);
	PLAN_SCOPY(n.dev, a->ifname);
	return state_add_route(s, &n);
}

/* SYSCTL_SET: add or overwrite the value. */
static int apply_sysctl(struct state *s, const struct action *a)
{
	struct state_sysctl *c = (struct state_sysctl *)state_find_sysctl(s, a->ns, a->key);
	struct state_sysctl n = { .ns = "" };
	const char *link = state_sysctl_link(a->key);

	if (link[0] && !state_find_link(s, a->ns, link))
		return -ENODEV;
	if (c) {
		PLAN_SCOPY(c->value, a->value);
		return 0;
	}
	PLAN_SCOPY(n.ns, a->ns);
	PLAN_SCOPY(n.key, a->key);
	PLAN_SCOPY(n.value, a->value);
	return state_add_sysctl(s, &n);
}

/* The port filter: made anew (empty), a port replaced or removed, gone. */
static int apply_filter(struct state *s, const struct action *a)
{
	struct state_fport p = { .intact = true };

	switch (a->kind) {
	case ACTION_FILTER_CREATE:
		state_filter_clear(s);
		s->filter.present = s->filter.intact = s->filter.marked = s->filter.owned = true;
		s->filter.ident = 0;
		return 0;
	case ACTION_FILTER_DESTROY:
		if (!s->filter.present)
			return -ENOENT;
		state_filter_clear(s);
		s->filter.present = s->filter.intact = s->filter.marked = s->filter.owned = false;
		s->filter.ident = 0;
		return 0;
	case ACTION_FILTER_PORT_DEL:
		if (!state_filter_port(s, a->ifname))
			return -ENOENT;
		state_filter_del(s, a->ifname);
		return 0;
	default:
		if (!s->filter.present)
			return -ENOENT;
		PLAN_SCOPY(p.port, a->ifname);
		PLAN_SCOPY(p.jail, a->target);
		p.addrs = (struct addr *)a->addrs;
		p.n_addrs = a->n_addrs;
		return state_filter_put(s, &p);
	}
}

int plan_state_play(struct state *s, const struct action *a)
{
	if (!jail_exists(s, a->ns))
		return -ENOENT;
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		return apply_jail_create(s, a);
	case ACTION_JAIL_DESTROY:
		return apply_jail_destroy(s, a);
	case ACTION_JAIL_EXEC: {
		struct state_jail *j = (struct state_jail *)state_find_jail(s, a->target);
		if (!j)
			return -ENOENT;
		j->start_pending = false;
		return 0;
	}
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		return apply_tunnel(s, a);
	case ACTION_BRIDGE_CREATE:
	case ACTION_VETH_CREATE:
		return apply_create(s, a);
	case ACTION_LINK_DESTROY:
		return apply_link_destroy(s, a);
	case ACTION_LINK_SET_NS:
		return apply_set_ns(s, a);
	case ACTION_LINK_SET_MASTER:
	case ACTION_LINK_SET_MTU:
	case ACTION_LINK_SET_MAC:
	case ACTION_LINK_UP:
		return apply_link_attr(s, a);
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
		return apply_addr(s, a);
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		return apply_route(s, a);
	case ACTION_SYSCTL_SET:
		return apply_sysctl(s, a);
	case ACTION_FILTER_CREATE:
	case ACTION_FILTER_PORT_SET:
	case ACTION_FILTER_PORT_DEL:
	case ACTION_FILTER_DESTROY:
		return apply_filter(s, a);
	}
	return -EINVAL;
}

int plan_state_apply_action(struct state *s, const struct action *a)
{
	int r = plan_state_play(s, a);

	state_compact(s);
	return r;
}

int plan_state_apply(struct state *s, const struct plan *p)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		int r = plan_state_apply_action(s, &p->actions[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
