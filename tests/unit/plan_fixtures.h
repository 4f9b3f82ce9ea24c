/*
 * Fixtures for the planner and renderer tests: desired models built in C
 * (no parser involved), observed states, and plan assertions. Header-only
 * (static inline) because every tests/unit/test_*.c is its own binary.
 * Include after <cmocka.h>.
 */
#ifndef JAIL6_TESTS_PLAN_FIXTURES_H
#define JAIL6_TESTS_PLAN_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "model/model.h"
#include "model/state.h"
#include "plan/plan.h"

static inline struct addr fx_addr(const char *s)
{
	struct addr a;
	const char *why = NULL;

	if (addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, &why) != 0)
		fail_msg("fixture address %s: %s", s, why);
	return a;
}

static inline void fx_name(char *dst, size_t n, const char *src)
{
	assert_true(strlen(src) < n);
	strcpy(dst, src);
}

static inline void *fx_grow(void *arr, size_t n, size_t sz)
{
	void *p = realloc(arr, (n + 1) * sz);

	assert_non_null(p);
	memset((char *)p + n * sz, 0, sz);
	return p;
}

/* A 6in4 tunnel with local = auto, the defaults of model.h; NULL = unset. */
static inline struct model_tunnel *fx_tunnel(struct model *m, const char *name, const char *remote,
					      const char *via, const char *address, const char *peer)
{
	struct model_tunnel *t;

	m->tunnels = fx_grow(m->tunnels, m->n_tunnels, sizeof(*t));
	t = &m->tunnels[m->n_tunnels++];
	fx_name(t->name, sizeof(t->name), name);
	t->remote = fx_addr(remote);
	t->local_auto = true;
	if (via) {
		t->has_via = true;
		t->via = fx_addr(via);
	}
	if (address) {
		t->has_address = true;
		t->address = fx_addr(address);
	}
	if (peer) {
		t->has_peer = true;
		t->peer = fx_addr(peer);
	}
	t->mtu = MODEL_TUNNEL_MTU_DEFAULT;
	t->ttl = MODEL_TUNNEL_TTL_DEFAULT;
	return t;
}

static inline struct model_bridge *fx_bridge(struct model *m, const char *name)
{
	struct model_bridge *b;

	m->bridges = fx_grow(m->bridges, m->n_bridges, sizeof(*b));
	b = &m->bridges[m->n_bridges++];
	fx_name(b->name, sizeof(b->name), name);
	return b;
}

static inline void fx_bridge_addr(struct model_bridge *b, const char *a)
{
	b->addrs = fx_grow(b->addrs, b->n_addrs, sizeof(*b->addrs));
	b->addrs[b->n_addrs++] = fx_addr(a);
}

static inline void fx_bridge_member(struct model_bridge *b, const char *name)
{
	b->members = fx_grow(b->members, b->n_members, sizeof(*b->members));
	fx_name(b->members[b->n_members++], MODEL_IFNAMSIZ, name);
}

static inline struct model_jail *fx_jail(struct model *m, const char *name, const char *hostname)
{
	struct model_jail *j;

	m->jails = fx_grow(m->jails, m->n_jails, sizeof(*j));
	j = &m->jails[m->n_jails++];
	fx_name(j->name, sizeof(j->name), name);
	if (hostname)
		j->hostname = strdup(hostname);
	j->autostart = true;
	j->confine = true;      /* the parser's defaults */
	j->stop_timeout = 10;
	return j;
}

static inline struct model_iface *fx_iface(struct model_jail *j, const char *name, const char *bridge)
{
	struct model_iface *f;

	j->ifaces = fx_grow(j->ifaces, j->n_ifaces, sizeof(*f));
	f = &j->ifaces[j->n_ifaces++];
	fx_name(f->name, sizeof(f->name), name);
	if (bridge)
		fx_name(f->bridge, sizeof(f->bridge), bridge);
	return f;
}

static inline void fx_iface_addr(struct model_iface *f, const char *a)
{
	f->addrs = fx_grow(f->addrs, f->n_addrs, sizeof(*f->addrs));
	f->addrs[f->n_addrs++] = fx_addr(a);
}

static inline void fx_route(struct model_jail *j, const char *dst, const char *gw)
{
	struct model_route *r;

	j->routes = fx_grow(j->routes, j->n_routes, sizeof(*r));
	r = &j->routes[j->n_routes++];
	r->dst = fx_addr(dst);
	r->gw = fx_addr(gw);
}

/* exec.start = the NULL-terminated words. */
static inline void fx_exec(struct model_jail *j, const char *const *words)
{
	size_t n = 0;

	while (words[n])
		n++;
	j->exec_start.argv = calloc(n + 1, sizeof(char *));
	assert_non_null(j->exec_start.argv);
	for (size_t i = 0; i < n; i++)
		j->exec_start.argv[i] = strdup(words[i]);
	j->exec_start.argc = n;
}

/* The seed: HE tunnel gif0 reached via the OpenVPN gateway, bridge0 with the
 * routed /64 and bge0, jail ClamAV_Dev on epair1. */
static inline void fx_seed_model(struct model *m)
{
	struct model_bridge *b;
	struct model_jail *j;

	memset(m, 0, sizeof(*m));
	fx_tunnel(m, "gif0", "72.52.104.74", "192.168.3.1", "2001:470:7:5d1::2/64", "2001:470:7:5d1::1");
	b = fx_bridge(m, "bridge0");
	fx_bridge_addr(b, "2001:470:8142:1::1/64");
	fx_bridge_member(b, "bge0");
	j = fx_jail(m, "ClamAV_Dev", "clamav-dev");
	fx_iface_addr(fx_iface(j, "epair1", "bridge0"), "2001:470:8142:1::3/64");
}

static inline void fx_link(struct state *s, const char *ns, const char *name, enum state_link_kind kind,
			   bool up, bool owned)
{
	struct state_link l;

	memset(&l, 0, sizeof(l));
	fx_name(l.ns, sizeof(l.ns), ns);
	fx_name(l.name, sizeof(l.name), name);
	l.kind = kind;
	l.up = up;
	l.owned = owned;
	l.mtu = 1500;
	assert_int_equal(state_add_link(s, &l), 0);
}

static inline struct state_link *fx_find_link(struct state *s, const char *ns, const char *name)
{
	struct state_link *l = (struct state_link *)state_find_link(s, ns, name);

	assert_non_null(l);
	return l;
}

static inline void fx_saddr(struct state *s, const char *ns, const char *ifname, const char *a, bool owned)
{
	struct state_addr x;

	memset(&x, 0, sizeof(x));
	fx_name(x.ns, sizeof(x.ns), ns);
	fx_name(x.ifname, sizeof(x.ifname), ifname);
	x.addr = fx_addr(a);
	x.owned = owned;
	assert_int_equal(state_add_addr(s, &x), 0);
}

static inline void fx_sroute(struct state *s, const char *ns, const char *dst, const char *gw,
			     const char *dev, bool owned)
{
	struct state_route r;

	memset(&r, 0, sizeof(r));
	fx_name(r.ns, sizeof(r.ns), ns);
	r.dst = fx_addr(dst);
	if (gw)
		r.gw = fx_addr(gw);
	fx_name(r.dev, sizeof(r.dev), dev);
	r.owned = owned;
	assert_int_equal(state_add_route(s, &r), 0);
}

static inline void fx_sjail(struct state *s, const char *name, bool owned)
{
	struct state_jail j;

	memset(&j, 0, sizeof(j));
	fx_name(j.name, sizeof(j.name), name);
	j.owned = owned;
	j.confined = true;  /* as the model's default */
	assert_int_equal(state_add_jail(s, &j), 0);
}

static inline void fx_ssysctl(struct state *s, const char *ns, const char *key, const char *value)
{
	struct state_sysctl c;

	memset(&c, 0, sizeof(c));
	fx_name(c.ns, sizeof(c.ns), ns);
	fx_name(c.key, sizeof(c.key), key);
	fx_name(c.value, sizeof(c.value), value);
	assert_int_equal(state_add_sysctl(s, &c), 0);
}

/* The seed host before jail6: loopback, bge0 on the LAN, tun0 to the VPN,
 * an IPv4 default route, link-locals; nothing owned. */
static inline void fx_host_baseline(struct state *s)
{
	memset(s, 0, sizeof(*s));
	fx_link(s, "", "lo", STATE_LINK_OTHER, true, false);
	fx_link(s, "", "bge0", STATE_LINK_OTHER, true, false);
	fx_link(s, "", "tun0", STATE_LINK_OTHER, true, false);
	fx_saddr(s, "", "lo", "127.0.0.1/8", false);
	fx_saddr(s, "", "bge0", "10.0.0.20/23", false);
	fx_saddr(s, "", "bge0", "fe80::21e:bff:fe11:2233/64", false);
	fx_saddr(s, "", "tun0", "192.168.3.6/24", false);
	fx_sroute(s, "", "0.0.0.0/0", "10.0.0.1", "bge0", false);
	fx_sroute(s, "", "192.168.3.0/24", NULL, "tun0", false);
	fx_sroute(s, "", "fe80::/64", NULL, "bge0", false);
	fx_ssysctl(s, "", "ipv6.forwarding", "0");
}

/* Describe every action, one string per line, for messages. */
static inline void fx_print_plan(const char *title, const struct plan *p)
{
	char line[512];

	fprintf(stderr, "%s (%zu actions):\n", title, p->n_actions);
	for (size_t i = 0; i < p->n_actions; i++)
		fprintf(stderr, "  %2zu  %s\n", i + 1, action_describe(&p->actions[i], line, sizeof(line)));
}

/* Assert that the plan's descriptions are exactly expected[0..n). */
static inline void fx_assert_plan(const struct plan *p, const char *const *expected, size_t n)
{
	char line[512];
	bool ok = p->n_actions == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = !strcmp(action_describe(&p->actions[i], line, sizeof(line)), expected[i]);
	if (!ok) {
		fx_print_plan("got", p);
		fprintf(stderr, "expected (%zu actions):\n", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %2zu  %s\n", i + 1, expected[i]);
		fail_msg("plan differs");
	}
}

#define FX_N(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Index of the first action of kind k on (ns, ifname) from index `from`, or -1. */
static inline int fx_find(const struct plan *p, size_t from, enum action_kind k, const char *ns,
			  const char *ifname)
{
	for (size_t i = from; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->kind == k && (!ns || !strcmp(a->ns, ns)) && (!ifname || !strcmp(a->ifname, ifname)))
			return (int)i;
	}
	return -1;
}

#endif
