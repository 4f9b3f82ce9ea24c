/*
 * The removal pass: owned facts the desired model no longer has, removed in
 * reverse canonical order before anything is added (so a renamed object
 * frees its name and addresses first). Facts that vanish with their link or
 * jail get no action of their own. Nothing jail6 does not own is touched.
 */
#include "plan/plan_int.h"
#include "util/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Whether an observed link kind can carry t with its configured datapath. */
static bool tunnel_kind_ok(const struct model_tunnel *t, enum state_link_kind k)
{
	switch (t->datapath) {
	case MODEL_DATAPATH_KERNEL: return k == STATE_LINK_SIT;
	case MODEL_DATAPATH_USERSPACE:
	case MODEL_DATAPATH_EBPF: return k == STATE_LINK_TUN;
	case MODEL_DATAPATH_AUTO: break;
	}
	return plan_is_tunnel_kind(k);
}

/* Whether jail name stays under scope S (only: S->only as a set, so that
 * `destroy` of thousands of named jails is not quadratic). */
static bool jail_wanted(const struct plan_scope *S, const struct strmap *only, const char *name)
{
	if (S->n_only)
		return !strmap_get(only, name);
	return S->m && model_find_jail(S->m, name);
}

/* Whether the owned link l (not inside a doomed jail) stays. */
static bool link_wanted(const struct plan_scope *S, const struct state *s, const struct state_link *l)
{
	const struct model *m = S->m;
	const struct model_tunnel *t;
	char peer[MODEL_IFNAMSIZ];

	if (S->n_only)
		return true;
	if (!m)
		return false;
	if (l->ns[0]) {
		const struct model_jail *j = model_find_jail(m, l->ns);
		return j && l->kind == STATE_LINK_VETH && plan_iface_by_veth(j, l->name, 'b');
	}
	if ((t = model_find_tunnel(m, l->name)))
		return tunnel_kind_ok(t, l->kind);
	if (model_find_bridge(m, l->name))
		return l->kind == STATE_LINK_BRIDGE;
	/* a veth end NAMEa / NAMEb of interface NAME (found by name: linear) */
	size_t len = strlen(l->name);
	char base[MODEL_IFNAMSIZ], end = len ? l->name[len - 1] : 0;
	const struct model_jail *j = NULL;
	const struct model_iface *f;

	if (len < 2 || (end != 'a' && end != 'b'))
		return false;
	PLAN_SCOPY(base, l->name);
	base[len - 1] = '\0';
	if (!(f = model_find_iface(m, base, &j)))
		return false;
	if (end == 'b') {
		/* not moved yet: kept while its host end is there */
		plan_veth_name(peer, f->name, 'a');
		return l->kind == STATE_LINK_VETH && state_find_link(s, "", peer);
	}
	if (l->kind != STATE_LINK_VETH)
		return false;
	/* a pair whose jail end sits in another jail is rebuilt */
	plan_veth_name(peer, f->name, 'b');
	return state_find_link(s, "", peer) || state_find_link(s, j->name, peer);
	return false;
}

/* Whether the owned address a stays (its prefix length may differ: the addition pass fixes that). */
static bool addr_wanted(const struct plan_scope *S, const struct state_addr *a)
{
	const struct model *m = S->m;

	if (S->n_only)
		return true;
	if (!m)
		return false;
	if (a->ns[0]) {
		const struct model_jail *j = model_find_jail(m, a->ns);
		const struct model_iface *f = j ? plan_iface_by_veth(j, a->ifname, 'b') : NULL;
		for (size_t i = 0; f && i < f->n_addrs; i++)
			if (addr_same_host(&f->addrs[i], &a->addr))
				return true;
		return false;
	}
	for (size_t i = 0; i < m->n_tunnels; i++) {
		const struct model_tunnel *t = &m->tunnels[i];
		if (!strcmp(t->name, a->ifname) && t->has_address && addr_same_host(&t->address, &a->addr))
			return true;
	}
	for (size_t i = 0; i < m->n_bridges; i++) {
		const struct model_bridge *b = &m->bridges[i];
		for (size_t k = 0; !strcmp(b->name, a->ifname) && k < b->n_addrs; k++)
			if (addr_same_host(&b->addrs[k], &a->addr))
				return true;
	}
	return false;
}

/* Whether a route to r's destination is desired (its gateway may differ:
 * the addition pass replaces it). */
static bool route_wanted(const struct plan_scope *S, const struct state_route *r)
{
	const struct model *m = S->m;
	struct addr gw, d6 = plan_default_dst(AF_INET6), d4 = plan_default_dst(AF_INET);
	char dev[MODEL_IFNAMSIZ];

	if (S->n_only)
		return true;
	if (!m)
		return false;
	if (r->ns[0]) {
		const struct model_jail *j = model_find_jail(m, r->ns);
		if (!j)
			return false;
		for (size_t i = 0; i < j->n_routes; i++)
			if (addr_equal(&j->routes[i].dst, &r->dst))
				return true;
		if (addr_equal(&r->dst, &d6))
			return !plan_jail_has_explicit_default(j, AF_INET6) && plan_jail_default(m, j, AF_INET6, &gw, dev);
		if (addr_equal(&r->dst, &d4))
			return !plan_jail_has_explicit_default(j, AF_INET) && plan_jail_default(m, j, AF_INET, &gw, dev);
		return false;
	}
	for (size_t i = 0; i < m->n_tunnels; i++) {
		const struct model_tunnel *t = &m->tunnels[i];
		struct addr b = plan_broker_dst(t);
		if (t->has_via && addr_equal(&b, &r->dst))
			return true;
		if (t->has_peer && t->role != MODEL_ROLE_BROKER && addr_equal(&d6, &r->dst))
			return true;
		for (size_t k = 0; t->has_peer && t->role == MODEL_ROLE_BROKER && k < t->n_routed; k++)
			if (addr_equal(&t->routed[k], &r->dst))
				return true;
	}
	return false;
}

/* Reverse canonical order, as ranks: higher ranks are removed first. A fact
 * that vanishes with its link or jail gets no action at all. */
enum {
	RANK_BROKER_ROUTE = 10,
	RANK_TUNNEL = 11,
	RANK_TUNNEL_ADDR = 12,
	RANK_HOST_ROUTE = 13,
	RANK_BRIDGE = 20,
	RANK_BRIDGE_ADDR = 21,
	RANK_JAIL = 30,
	RANK_VETH = 31,
	RANK_JAIL_ADDR = 32,
	RANK_JAIL_ROUTE = 33,
};

struct removal {
	int rank;
	size_t seq;    /* observed order, to break ties (later first) */
	struct action a;
};

struct removals {
	struct removal *v;
	size_t n;
	int err;
};

static void removal_add(struct removals *R, int rank, const struct action *a)
{
	struct removal *v;

	if (R->err)
		return;
	/* capacity is implicit: powers of two from 16 */
	if (R->n == 0 || (R->n >= 16 && (R->n & (R->n - 1)) == 0)) {
		v = realloc(R->v, (R->n < 16 ? 16 : R->n * 2) * sizeof(*v));
		if (!v) {
			R->err = -ENOMEM;
			return;
		}
		R->v = v;
	}
	R->v[R->n].rank = rank;
	R->v[R->n].seq = R->n;
	R->v[R->n].a = *a;
	R->n++;
}

/* qsort order: higher rank first, then later observed first. */
static int removal_cmp(const void *x, const void *y)
{
	const struct removal *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

static size_t link_index(const struct state *s, const char *ns, const char *name)
{
	const struct state_link *l = state_find_link(s, ns, name);

	return l ? (size_t)(l - s->links) : SIZE_MAX;
}

/* Whether ns is a jail this pass destroys. */
static bool ns_doomed(const struct state *s, const bool *doomed_jail, const char *ns)
{
	const struct state_jail *j;

	if (!ns[0] || !(j = state_find_jail(s, ns)))
		return false;
	return doomed_jail[j - s->jails];
}

/* Destroy veth i through its host end when jail6 owns that (it works from
 * the host on both systems, and on FreeBSD a jail's end would otherwise
 * return to the host when the jail goes), else in place. Marks both ends
 * gone. */
static void doom_veth(struct removals *R, const struct state *s, bool *gone, size_t i)
{
	size_t p = plan_veth_partner(s, i);
	const struct state_link *l = &s->links[i];
	struct action a;

	if (l->ns[0] && p != SIZE_MAX && !s->links[p].ns[0] && s->links[p].owned)
		l = &s->links[p];
	a = plan_act(ACTION_LINK_DESTROY, l->ns, l->name);
	removal_add(R, RANK_VETH, &a);
	gone[i] = true;
	if (p != SIZE_MAX)
		gone[p] = true;
}

/* Owned links to destroy; marks every link that goes (destroyed or vanishing) in gone[]. */
static void collect_links(struct removals *R, const struct plan_scope *S, const struct state *s,
			  const bool *doomed_jail, bool *gone)
{
	for (size_t i = 0; i < s->n_links; i++) {
		const struct state_link *l = &s->links[i];
		struct action a;
		int rank;

		if (gone[i])
			continue;
		if (ns_doomed(s, doomed_jail, l->ns)) {
			if (l->owned && l->kind == STATE_LINK_VETH)
				doom_veth(R, s, gone, i);
			else
				gone[i] = true; /* vanishes with its jail */
			continue;
		}
		if (!l->owned || link_wanted(S, s, l))
			continue;
		if (l->kind == STATE_LINK_VETH) {
			doom_veth(R, s, gone, i);
			continue;
		}
		rank = l->kind == STATE_LINK_BRIDGE ? RANK_BRIDGE : RANK_TUNNEL;
		a = plan_act(ACTION_LINK_DESTROY, l->ns, l->name);
		removal_add(R, rank, &a);
		gone[i] = true;
	}
}

/* Owned addresses to delete on links that stay. */
static void collect_addrs(struct removals *R, const struct plan_scope *S, const struct state *s,
			  const bool *doomed_jail, const bool *gone)
{
	for (size_t i = 0; i < s->n_addrs; i++) {
		const struct state_addr *x = &s->addrs[i];
		size_t li = link_index(s, x->ns, x->ifname);
		struct action a;
		int rank;

		if (!x->owned || ns_doomed(s, doomed_jail, x->ns) || li == SIZE_MAX || gone[li])
			continue;
		if (addr_wanted(S, x))
			continue;
		if (x->ns[0])
			rank = RANK_JAIL_ADDR;
		else
			rank = plan_is_tunnel_kind(s->links[li].kind) ? RANK_TUNNEL_ADDR : RANK_BRIDGE_ADDR;
		a = plan_act(ACTION_ADDR_DEL, x->ns, x->ifname);
		a.addr = x->addr;
		removal_add(R, rank, &a);
	}
}

/* Owned routes to delete that do not vanish with a link or jail. */
static void collect_routes(struct removals *R, const struct plan_scope *S, const struct state *s,
			   const bool *doomed_jail, const bool *gone)
{
	for (size_t i = 0; i < s->n_routes; i++) {
		const struct state_route *r = &s->routes[i];
		size_t li = r->dev[0] ? link_index(s, r->ns, r->dev) : SIZE_MAX;
		struct action a;
		int rank;

		if (!r->owned || ns_doomed(s, doomed_jail, r->ns) || (li != SIZE_MAX && gone[li]))
			continue;
		if (route_wanted(S, r))
			continue;
		if (r->ns[0])
			rank = RANK_JAIL_ROUTE;
		else if (r->dst.plen == 0 || (li != SIZE_MAX && plan_is_tunnel_kind(s->links[li].kind)))
			rank = RANK_HOST_ROUTE;
		else
			rank = RANK_BROKER_ROUTE;
		a = plan_act(ACTION_ROUTE_DEL, r->ns, r->dev);
		a.addr = r->dst;
		a.gw = r->gw;
		removal_add(R, rank, &a);
	}
}

/* Emit the removals scope S calls for, against the untouched working state. */
void plan_removals(struct planner *P, const struct plan_scope *S)
{
	const struct state *s = &P->w;
	struct removals R = { 0 };
	struct strmap only = { 0 };
	bool *doomed_jail = calloc(s->n_jails + 1, sizeof(bool));
	bool *gone = calloc(s->n_links + 1, sizeof(bool));

	if (!doomed_jail || !gone)
		R.err = -ENOMEM;
	for (size_t i = 0; i < S->n_only && !R.err; i++)
		if (strmap_put(&only, S->only[i], &only) < 0)
			R.err = -ENOMEM;
	for (size_t i = 0; i < s->n_jails && !R.err; i++) {
		struct action a = plan_act(ACTION_JAIL_DESTROY, "", "");
		if (!s->jails[i].owned || jail_wanted(S, &only, s->jails[i].name))
			continue;
		doomed_jail[i] = true;
		PLAN_SCOPY(a.target, s->jails[i].name);
		removal_add(&R, RANK_JAIL, &a);
	}
	if (!R.err) {
		collect_links(&R, S, s, doomed_jail, gone);
		collect_addrs(&R, S, s, doomed_jail, gone);
		collect_routes(&R, S, s, doomed_jail, gone);
	}
	if (R.err) {
		P->err = R.err;
		goto cleanup;
	}
	if (R.n)
		qsort(R.v, R.n, sizeof(R.v[0]), removal_cmp);
	for (size_t i = 0; i < R.n; i++)
		plan_emit(P, &R.v[i].a);
	plan_filter_removals(P, S);
cleanup:
	strmap_free(&only);
	free(R.v);
	free(doomed_jail);
	free(gone);
}
