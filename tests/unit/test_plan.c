/* Unit tests of the planner (src/plan/planner.c, simulate.c): order,
 * minimality, partial states, removal, destroy, conflicts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "plan_fixtures.h"

/* ---- helpers ---- */

static void copy_state(struct state *dst, const struct state *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n_links; i++)
		assert_int_equal(state_add_link(dst, &src->links[i]), 0);
	for (size_t i = 0; i < src->n_addrs; i++)
		assert_int_equal(state_add_addr(dst, &src->addrs[i]), 0);
	for (size_t i = 0; i < src->n_routes; i++)
		assert_int_equal(state_add_route(dst, &src->routes[i]), 0);
	for (size_t i = 0; i < src->n_jails; i++)
		assert_int_equal(state_add_jail(dst, &src->jails[i]), 0);
	for (size_t i = 0; i < src->n_sysctls; i++)
		assert_int_equal(state_add_sysctl(dst, &src->sysctls[i]), 0);
	assert_int_equal(state_filter_append(dst, src), 0);
}

static void build(const struct model *m, const struct state *s, struct plan *p)
{
	assert_int_equal(plan_build(m, s, p), 0);
}

/* Apply p to s with the simulator, which refuses what a kernel would refuse
 * (a route over a missing link, a move into a missing jail, ...). */
static void apply(struct state *s, const struct plan *p)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		char line[512];
		int r = plan_state_apply_action(s, &p->actions[i]);
		if (r != 0) {
			fx_print_plan("plan", p);
			fail_msg("action %zu (%s) does not apply: %s", i + 1,
				 action_describe(&p->actions[i], line, sizeof(line)), strerror(-r));
		}
	}
}

/* Plan, apply, plan again: the second plan must be empty. Leaves the
 * converged state in *out when out is not NULL. */
static void assert_converges(const struct model *m, const struct state *start, struct state *out)
{
	struct state s;
	struct plan p, again;

	copy_state(&s, start);
	build(m, &s, &p);
	apply(&s, &p);
	build(m, &s, &again);
	if (again.n_actions)
		fx_print_plan("second plan not empty", &again);
	assert_int_equal(again.n_actions, 0);
	plan_free(&p);
	plan_free(&again);
	if (out)
		*out = s;
	else
		state_free(&s);
}

/* The seed host after a full apply. */
static void seed_applied(struct model *m, struct state *s)
{
	struct state base;

	fx_seed_model(m);
	fx_host_baseline(&base);
	assert_converges(m, &base, s);
	state_free(&base);
}

static const char *const seed_plan[] = {
	"route: add 72.52.104.74/32 via 192.168.3.1",
	"gif0: create 6in4 tunnel local auto remote 72.52.104.74 ttl 64 mtu 1480 (datapath auto)",
	"gif0: add address 2001:470:7:5d1::2/64 peer 2001:470:7:5d1::1",
	"gif0: up",
	"route: add default via 2001:470:7:5d1::1 dev gif0",
	"sysctl ipv6.forwarding = 1",
	"port filter: create",
	"bridge0: create bridge",
	"sysctl ipv6.accept_ra/bridge0 = 0",
	"bridge0: add address 2001:470:8142:1::1/64",
	"bge0: attach to bridge0",
	"bridge0: up",
	"ClamAV_Dev: create jail (hostname clamav-dev, confined)",
	"[ClamAV_Dev] sysctl ipv4.ping_group_range = 0 2147483647",
	"[ClamAV_Dev] sysctl ipv4.ip_unprivileged_port_start = 0",
	"epair1a: port filter for jail ClamAV_Dev: 2001:470:8142:1::3",
	"epair1a: create veth pair with epair1b",
	"epair1a: attach to bridge0",
	"epair1a: up",
	"epair1b: move into jail ClamAV_Dev",
	"[ClamAV_Dev] epair1b: add address 2001:470:8142:1::3/64",
	"[ClamAV_Dev] epair1b: up",
	"[ClamAV_Dev] lo: up",
	"[ClamAV_Dev] route: add default via 2001:470:8142:1::1 dev epair1b",
};

/* A larger world: two bridges (one with IPv4), three jails, explicit routes,
 * a MAC, two interfaces in one jail, exec.start. */
static void lab_model(struct model *m)
{
	static const char *const start[] = { "/bin/sh", "/etc/rc", NULL };
	struct model_bridge *b;
	struct model_jail *j;
	struct model_iface *f;

	memset(m, 0, sizeof(*m));
	fx_tunnel(m, "he0", "198.51.100.1", "192.0.2.1", "2001:db8:ffff::2/64", "2001:db8:ffff::1");
	b = fx_bridge(m, "br0");
	fx_bridge_addr(b, "2001:db8:1::1/64");
	fx_bridge_addr(b, "203.0.113.1/24");
	fx_bridge_member(b, "eth1");
	fx_bridge_member(b, "eth2");
	b = fx_bridge(m, "br1");
	fx_bridge_addr(b, "2001:db8:2::1/64");
	j = fx_jail(m, "web", "web.example");
	f = fx_iface(j, "web0", "br0");
	fx_iface_addr(f, "2001:db8:1::10/64");
	fx_iface_addr(f, "203.0.113.10/24");
	f->has_mac = true;
	memcpy(f->mac, "\x02\xfb\xc0\x00\x16\x0b", 6);
	j = fx_jail(m, "db", NULL);
	fx_iface_addr(fx_iface(j, "db0", "br1"), "2001:db8:2::5/64");
	fx_route(j, "2001:db8:9::/48", "2001:db8:2::fe");
	fx_exec(j, start);
	j = fx_jail(m, "mail", "mail");
	fx_iface_addr(fx_iface(j, "mail0", "br0"), "2001:db8:1::20/64");
	fx_iface_addr(fx_iface(j, "mail1", "br1"), "2001:db8:2::20/64");
	fx_route(j, "::/0", "2001:db8:2::1");
}

static void lab_baseline(struct state *s)
{
	fx_host_baseline(s);
	fx_link(s, "", "eth1", STATE_LINK_OTHER, false, false);
	fx_link(s, "", "eth2", STATE_LINK_OTHER, true, false);
}

/* Whether an action in [0, before) matches. */
static bool earlier(const struct plan *p, size_t before, enum action_kind k, const char *ifname,
		    const char *peer, const char *target)
{
	for (size_t i = 0; i < before; i++) {
		const struct action *a = &p->actions[i];
		if (a->kind == k && (!ifname || !strcmp(a->ifname, ifname)) &&
		    (!peer || !strcmp(a->peer, peer)) && (!target || !strcmp(a->target, target)))
			return true;
	}
	return false;
}

static bool in_plan(const struct plan *p, enum action_kind k, const char *ifname, const char *peer,
		    const char *target)
{
	return earlier(p, p->n_actions, k, ifname, peer, target);
}

/* Every dependency that is in the plan comes before what needs it. */
static void check_order(const struct model *m, const struct plan *p)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];

		switch (a->kind) {
		case ACTION_TUNNEL_CREATE:
			for (size_t t = 0; t < m->n_tunnels; t++) {
				const struct model_tunnel *T = &m->tunnels[t];
				if (strcmp(T->name, a->ifname) || !T->has_via)
					continue;
				/* the broker's host route precedes its tunnel */
				for (size_t k = i; k < p->n_actions; k++)
					assert_false(p->actions[k].kind == ACTION_ROUTE_ADD &&
						     p->actions[k].addr.plen == 32 &&
						     addr_same_host(&p->actions[k].addr, &T->remote));
			}
			break;
		case ACTION_LINK_SET_MASTER:
			/* the bridge exists before its members join */
			if (in_plan(p, ACTION_BRIDGE_CREATE, a->peer, NULL, NULL))
				assert_true(earlier(p, i, ACTION_BRIDGE_CREATE, a->peer, NULL, NULL));
			if (in_plan(p, ACTION_VETH_CREATE, a->ifname, NULL, NULL))
				assert_true(earlier(p, i, ACTION_VETH_CREATE, a->ifname, NULL, NULL));
			break;
		case ACTION_LINK_SET_NS:
			/* the jail exists before its interface moves in */
			if (in_plan(p, ACTION_JAIL_CREATE, NULL, NULL, a->target))
				assert_true(earlier(p, i, ACTION_JAIL_CREATE, NULL, NULL, a->target));
			break;
		case ACTION_ROUTE_ADD:
			/* an address on the gateway's prefix precedes the route */
			for (size_t k = i + 1; k < p->n_actions; k++) {
				const struct action *x = &p->actions[k];
				if (x->kind == ACTION_ADDR_ADD && !strcmp(x->ns, a->ns) && a->gw.family &&
				    addr_in_prefix(&a->gw, &x->addr))
					fail_msg("address of %s comes after the route via it", x->ifname);
			}
			break;
		case ACTION_JAIL_EXEC:
			/* exec.start runs when the jail's network is complete */
			for (size_t k = i + 1; k < p->n_actions; k++)
				assert_string_not_equal(p->actions[k].ns, a->target);
			break;
		default:
			break;
		}
	}
}

/* ---- tests ---- */

/* 1: the seed from an untouched host: exactly the admin's sequence. */
static void test_seed_from_scratch(void **st)
{
	struct model m;
	struct state s;
	struct plan p;

	fx_seed_model(&m);
	fx_host_baseline(&s);
	build(&m, &s, &p);
	fx_assert_plan(&p, seed_plan, FX_N(seed_plan));
	check_order(&m, &p);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 2: the dependency order holds on a larger world and the simulator (which
 * refuses out-of-order actions) accepts every step. */
static void test_order_lab(void **st)
{
	struct model m;
	struct state s, done;
	struct plan p;
	int exec;

	lab_model(&m);
	lab_baseline(&s);
	build(&m, &s, &p);
	check_order(&m, &p);
	/* eth1 is down: it comes up before it joins, then the bridge comes up */
	assert_true(fx_find(&p, 0, ACTION_LINK_UP, "", "eth1") < fx_find(&p, 0, ACTION_LINK_SET_MASTER, "", "eth1"));
	assert_int_equal(fx_find(&p, 0, ACTION_LINK_UP, "", "eth2"), -1);
	assert_true(fx_find(&p, 0, ACTION_LINK_SET_MASTER, "", "eth2") < fx_find(&p, 0, ACTION_LINK_UP, "", "br0"));
	/* exec.start of db, once, after db's routes */
	exec = fx_find(&p, 0, ACTION_JAIL_EXEC, NULL, NULL);
	assert_true(exec > fx_find(&p, 0, ACTION_ROUTE_ADD, "db", NULL));
	assert_string_equal(p.actions[exec].target, "db");
	assert_int_equal(fx_find(&p, (size_t)exec + 1, ACTION_JAIL_EXEC, NULL, NULL), -1);
	assert_converges(&m, &s, &done);
	plan_free(&p);
	state_free(&s);
	state_free(&done);
	model_free(&m);
	(void)st;
}

/* 3: default routes: IPv6 via the bridge of the first interface, IPv4 when
 * both the bridge and the interface have IPv4; an explicit default wins. */
static void test_default_routes(void **st)
{
	struct model m;
	struct state s;
	struct plan p;
	char line[512];
	int i;

	lab_model(&m);
	lab_baseline(&s);
	build(&m, &s, &p);
	i = fx_find(&p, 0, ACTION_ROUTE_ADD, "web", NULL);
	assert_string_equal(action_describe(&p.actions[i], line, sizeof(line)),
			    "[web] route: add default via 2001:db8:1::1 dev web0b");
	i = fx_find(&p, (size_t)i + 1, ACTION_ROUTE_ADD, "web", NULL);
	assert_string_equal(action_describe(&p.actions[i], line, sizeof(line)),
			    "[web] route: add default via 203.0.113.1 dev web0b");
	assert_int_equal(fx_find(&p, (size_t)i + 1, ACTION_ROUTE_ADD, "web", NULL), -1);
	i = fx_find(&p, 0, ACTION_ROUTE_ADD, "db", NULL);
	assert_string_equal(action_describe(&p.actions[i], line, sizeof(line)),
			    "[db] route: add 2001:db8:9::/48 via 2001:db8:2::fe");
	i = fx_find(&p, (size_t)i + 1, ACTION_ROUTE_ADD, "db", NULL);
	assert_string_equal(action_describe(&p.actions[i], line, sizeof(line)),
			    "[db] route: add default via 2001:db8:2::1 dev db0b");
	/* mail: its explicit default via br1, not the implicit one via br0 */
	i = fx_find(&p, 0, ACTION_ROUTE_ADD, "mail", NULL);
	assert_string_equal(action_describe(&p.actions[i], line, sizeof(line)),
			    "[mail] route: add default via 2001:db8:2::1");
	assert_int_equal(fx_find(&p, (size_t)i + 1, ACTION_ROUTE_ADD, "mail", NULL), -1);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 4: a state built by hand the way an observer reports it (with foreign
 * noise around) gives an empty plan: minimality without the simulator. */
static void test_observed_seed_is_noop(void **st)
{
	struct model m;
	struct state s;
	struct plan p;
	struct state_link *l;
	struct plan_conflicts c;

	fx_seed_model(&m);
	fx_host_baseline(&s);
	fx_find_link(&s, "", "bge0")->up = true;
	fx_link(&s, "", "gif0", STATE_LINK_SIT, true, true);
	l = fx_find_link(&s, "", "gif0");
	l->remote = fx_addr("72.52.104.74");
	l->local = fx_addr("192.168.3.6");
	l->ttl = 64;
	l->mtu = 1480;
	fx_link(&s, "", "bridge0", STATE_LINK_BRIDGE, true, true);
	strcpy(fx_find_link(&s, "", "bge0")->master, "bridge0");
	fx_link(&s, "", "epair1a", STATE_LINK_VETH, true, true);
	strcpy(fx_find_link(&s, "", "epair1a")->master, "bridge0");
	fx_sjail(&s, "ClamAV_Dev", true);
	fx_link(&s, "ClamAV_Dev", "lo", STATE_LINK_OTHER, true, false);
	fx_link(&s, "ClamAV_Dev", "epair1b", STATE_LINK_VETH, true, true);
	fx_saddr(&s, "", "gif0", "2001:470:7:5d1::2/64", true);
	fx_saddr(&s, "", "gif0", "fe80::c0a8:306/64", false);
	fx_saddr(&s, "", "bridge0", "2001:470:8142:1::1/64", true);
	fx_saddr(&s, "", "bridge0", "fe80::1:1/64", false);
	fx_saddr(&s, "ClamAV_Dev", "epair1b", "2001:470:8142:1::3/64", true);
	fx_saddr(&s, "ClamAV_Dev", "epair1b", "fe80::fb:c0ff:fe00:160b/64", false);
	fx_saddr(&s, "ClamAV_Dev", "lo", "::1/128", false);
	fx_sroute(&s, "", "72.52.104.74/32", "192.168.3.1", "tun0", true);
	fx_sroute(&s, "", "::/0", "2001:470:7:5d1::1", "gif0", true);
	fx_sroute(&s, "", "2001:470:8142:1::/64", NULL, "bridge0", false);
	fx_sroute(&s, "ClamAV_Dev", "::/0", "2001:470:8142:1::1", "epair1b", true);
	fx_sroute(&s, "ClamAV_Dev", "2001:470:8142:1::/64", NULL, "epair1b", false);
	strcpy((char *)state_find_sysctl(&s, "", "ipv6.forwarding")->value, "1");
	fx_ssysctl(&s, "", "ipv6.accept_ra/bridge0", "0");
	fx_ssysctl(&s, "ClamAV_Dev", "ipv4.ping_group_range", "0 2147483647");
	fx_ssysctl(&s, "ClamAV_Dev", "ipv4.ip_unprivileged_port_start", "0");
	{
		struct addr a = fx_addr("2001:470:8142:1::3/64");
		struct state_fport fp = { .port = "epair1a", .jail = "ClamAV_Dev", .addrs = &a, .n_addrs = 1,
					  .intact = true };
		s.filter.present = s.filter.intact = s.filter.marked = s.filter.owned = true;
		assert_int_equal(state_filter_put(&s, &fp), 0);
	}
	/* someone else's jail and bridge next to ours */
	fx_sjail(&s, "poudriere", false);
	fx_link(&s, "poudriere", "lo", STATE_LINK_OTHER, true, false);
	fx_link(&s, "", "bridge9", STATE_LINK_BRIDGE, true, false);
	fx_saddr(&s, "", "bridge9", "2001:db8:99::1/64", false);

	build(&m, &s, &p);
	if (p.n_actions)
		fx_print_plan("expected nothing", &p);
	assert_int_equal(p.n_actions, 0);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 0);
	plan_conflicts_free(&c);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 5: a killed apply: after any prefix of the plan has run, the new plan is
 * exactly the rest of the old one. */
static void test_killed_apply_resumes(void **st)
{
	struct model m;
	struct state base;
	struct plan full;
	char line[512];

	fx_seed_model(&m);
	fx_host_baseline(&base);
	build(&m, &base, &full);
	for (size_t k = 0; k <= full.n_actions; k++) {
		struct state s;
		struct plan rest = { 0 };
		const char *expect[64];

		copy_state(&s, &base);
		for (size_t i = 0; i < k; i++)
			assert_int_equal(plan_state_apply_action(&s, &full.actions[i]), 0);
		build(&m, &s, &rest);
		for (size_t i = k; i < full.n_actions; i++)
			expect[i - k] = strdup(action_describe(&full.actions[i], line, sizeof(line)));
		fx_assert_plan(&rest, expect, full.n_actions - k);
		for (size_t i = k; i < full.n_actions; i++)
			free((char *)expect[i - k]);
		plan_free(&rest);
		state_free(&s);
	}
	plan_free(&full);
	state_free(&base);
	model_free(&m);
	(void)st;
}

/* 6: drop one fact from the converged state: only that fact comes back. */
static void test_partial_single_facts(void **st)
{
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	for (size_t i = 0; i < full.n_addrs; i++) {
		struct state s;
		struct state_addr gone = full.addrs[i];

		if (!gone.owned)
			continue;
		copy_state(&s, &full);
		memmove(&s.addrs[i], &s.addrs[i + 1], (s.n_addrs - i - 1) * sizeof(s.addrs[0]));
		s.n_addrs--;
		state_touch(&s);
		build(&m, &s, &p);
		assert_int_equal(p.n_actions, 1);
		assert_int_equal(p.actions[0].kind, ACTION_ADDR_ADD);
		assert_string_equal(p.actions[0].ns, gone.ns);
		assert_string_equal(p.actions[0].ifname, gone.ifname);
		assert_true(addr_equal(&p.actions[0].addr, &gone.addr));
		plan_free(&p);
		state_free(&s);
	}
	for (size_t i = 0; i < full.n_routes; i++) {
		struct state s;
		struct state_route gone = full.routes[i];

		if (!gone.owned)
			continue;
		copy_state(&s, &full);
		memmove(&s.routes[i], &s.routes[i + 1], (s.n_routes - i - 1) * sizeof(s.routes[0]));
		s.n_routes--;
		state_touch(&s);
		build(&m, &s, &p);
		assert_int_equal(p.n_actions, 1);
		assert_int_equal(p.actions[0].kind, ACTION_ROUTE_ADD);
		assert_string_equal(p.actions[0].ns, gone.ns);
		assert_true(addr_equal(&p.actions[0].addr, &gone.dst));
		assert_true(addr_same_host(&p.actions[0].gw, &gone.gw));
		plan_free(&p);
		state_free(&s);
	}
	for (size_t i = 0; i < full.n_links; i++) {
		struct state s;

		if (!full.links[i].up)
			continue;
		copy_state(&s, &full);
		s.links[i].up = false;
		build(&m, &s, &p);
		if (!strcmp(full.links[i].name, "tun0") || (!strcmp(full.links[i].name, "lo") && !full.links[i].ns[0])) {
			assert_int_equal(p.n_actions, 0); /* not jail6's business */
		} else {
			assert_int_equal(p.n_actions, 1);
			assert_int_equal(p.actions[0].kind, ACTION_LINK_UP);
			assert_string_equal(p.actions[0].ifname, full.links[i].name);
			assert_string_equal(p.actions[0].ns, full.links[i].ns);
		}
		plan_free(&p);
		state_free(&s);
	}
	/* forwarding switched off behind our back */
	{
		struct state s;

		copy_state(&s, &full);
		strcpy((char *)state_find_sysctl(&s, "", "ipv6.forwarding")->value, "0");
		build(&m, &s, &p);
		assert_int_equal(p.n_actions, 1);
		assert_int_equal(p.actions[0].kind, ACTION_SYSCTL_SET);
		assert_string_equal(p.actions[0].key, "ipv6.forwarding");
		assert_string_equal(p.actions[0].value, "1");
		plan_free(&p);
		state_free(&s);
	}
	/* the host end fell off the bridge */
	{
		struct state s;
		static const char *const want[] = { "epair1a: attach to bridge0" };

		copy_state(&s, &full);
		fx_find_link(&s, "", "epair1a")->master[0] = '\0';
		build(&m, &s, &p);
		fx_assert_plan(&p, want, FX_N(want));
		plan_free(&p);
		state_free(&s);
	}
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* Take every jail out of m (model_free on a model holding only them). */
static void drop_jails(struct model *m)
{
	struct model jails = { .jails = m->jails, .n_jails = m->n_jails };

	model_free(&jails);
	m->jails = NULL;
	m->n_jails = 0;
}

/* True when no removal in p touches a fact that *s has and does not own. */
static void assert_only_owned_removed(const struct state *s, const struct plan *p)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const struct state_link *l;
		const struct state_addr *x;
		const struct state_route *r;
		const struct state_jail *j;

		switch (a->kind) {
		case ACTION_LINK_DESTROY:
			l = state_find_link(s, a->ns, a->ifname);
			assert_true(l && l->owned);
			break;
		case ACTION_ADDR_DEL:
			x = state_find_addr(s, a->ns, a->ifname, &a->addr);
			assert_true(x && x->owned);
			break;
		case ACTION_ROUTE_DEL:
			r = state_find_route(s, a->ns, &a->addr);
			assert_true(r && r->owned);
			break;
		case ACTION_JAIL_DESTROY:
			j = state_find_jail(s, a->target);
			assert_true(j && j->owned);
			break;
		default:
			break;
		}
	}
}

/* 7: a jail left the config: its veth then the jail go, nothing else (its
 * addresses and routes vanish with them). */
static void test_remove_jail(void **st)
{
	static const char *const want[] = { "epair1a: destroy", "ClamAV_Dev: destroy jail", "port filter: destroy" };
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	drop_jails(&m);
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_only_owned_removed(&full, &p);
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 8: an empty config removes everything owned in reverse order, and leaves
 * the host as it was before jail6 (forwarding aside). */
static void test_remove_all(void **st)
{
	static const char *const want[] = {
		"epair1a: destroy",
		"ClamAV_Dev: destroy jail",
		"bridge0: destroy",
		"gif0: destroy",
		"route: delete 72.52.104.74/32 via 192.168.3.1",
		"port filter: destroy",
	};
	struct model m, empty = { 0 };
	struct state full, base, s;
	struct plan p, d;

	seed_applied(&m, &full);
	fx_host_baseline(&base);
	build(&empty, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_only_owned_removed(&full, &p);
	/* plan_destroy with no names is the same plan */
	assert_int_equal(plan_destroy(&full, NULL, 0, &d), 0);
	fx_assert_plan(&d, want, FX_N(want));
	copy_state(&s, &full);
	apply(&s, &p);
	assert_int_equal(s.n_links, base.n_links);
	assert_int_equal(s.n_addrs, base.n_addrs);
	assert_int_equal(s.n_routes, base.n_routes);
	assert_int_equal(s.n_jails, 0);
	assert_string_equal(fx_find_link(&s, "", "bge0")->master, "");
	plan_free(&p);
	plan_free(&d);
	state_free(&s);
	state_free(&base);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 9: a renamed bridge: the old one goes first (freeing its address), then
 * the new one is built and the members join it. */
static void test_rename_bridge(void **st)
{
	static const char *const want[] = {
		"bridge0: destroy",
		"br6: create bridge",
		"sysctl ipv6.accept_ra/br6 = 0",
		"br6: add address 2001:470:8142:1::1/64",
		"bge0: attach to br6",
		"br6: up",
		"epair1a: attach to br6",
	};
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	strcpy(m.bridges[0].name, "br6");
	strcpy(m.jails[0].ifaces[0].bridge, "br6");
	model_touch(&m);
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 10: a new prefix: owned old addresses are deleted (reverse order) before
 * the new ones; the jail's owned default route is replaced. */
static void test_change_prefix(void **st)
{
	static const char *const want[] = {
		"[ClamAV_Dev] epair1b: delete address 2001:470:8142:1::3/64",
		"bridge0: delete address 2001:470:8142:1::1/64",
		"bridge0: add address 2001:470:8142:2::1/64",
		"epair1a: port filter for jail ClamAV_Dev: 2001:470:8142:2::3",
		"[ClamAV_Dev] epair1b: add address 2001:470:8142:2::3/64",
		"[ClamAV_Dev] route: delete default via 2001:470:8142:1::1 dev epair1b",
		"[ClamAV_Dev] route: add default via 2001:470:8142:2::1 dev epair1b",
	};
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	m.bridges[0].addrs[0] = fx_addr("2001:470:8142:2::1/64");
	m.jails[0].ifaces[0].addrs[0] = fx_addr("2001:470:8142:2::3/64");
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_only_owned_removed(&full, &p);
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 11: a new broker: the old host route goes, the tunnel is changed in place. */
static void test_change_broker(void **st)
{
	static const char *const want[] = {
		"route: delete 72.52.104.75/32 via 192.168.3.1",
		"route: add 72.52.104.74/32 via 192.168.3.1",
		"gif0: change 6in4 tunnel local auto remote 72.52.104.74 ttl 64 mtu 1480 (datapath auto)",
	};
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	fx_find_link(&full, "", "gif0")->remote = fx_addr("72.52.104.75");
	for (size_t i = 0; i < full.n_routes; i++)
		if (full.routes[i].dst.family == AF_INET && full.routes[i].dst.plen == 32)
			full.routes[i].dst = fx_addr("72.52.104.75/32");
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 12: only the MTU differs -> set it; the datapath differs -> rebuild. */
static void test_tunnel_mtu_and_datapath(void **st)
{
	static const char *const mtu[] = { "gif0: set mtu 1480" };
	static const char *const rebuild[] = {
		"gif0: destroy",
		"gif0: create 6in4 tunnel local auto remote 72.52.104.74 ttl 64 mtu 1480 (datapath kernel)",
		"gif0: add address 2001:470:7:5d1::2/64 peer 2001:470:7:5d1::1",
		"gif0: up",
		"route: add default via 2001:470:7:5d1::1 dev gif0",
	};
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	fx_find_link(&full, "", "gif0")->mtu = 1400;
	build(&m, &full, &p);
	fx_assert_plan(&p, mtu, FX_N(mtu));
	plan_free(&p);
	fx_find_link(&full, "", "gif0")->mtu = 1480;
	fx_find_link(&full, "", "gif0")->kind = STATE_LINK_TUN;
	/* a TUN device whose endpoints the kernel does not know is fine as is,
	 * while its datapath daemon runs */
	fx_find_link(&full, "", "gif0")->daemon = true;
	memset(&fx_find_link(&full, "", "gif0")->remote, 0, sizeof(struct addr));
	fx_find_link(&full, "", "gif0")->ttl = 0;
	build(&m, &full, &p);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	m.tunnels[0].datapath = MODEL_DATAPATH_KERNEL;
	build(&m, &full, &p);
	fx_assert_plan(&p, rebuild, FX_N(rebuild));
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 13: the jail end has another MAC than configured -> set it in the jail. */
static void test_mac(void **st)
{
	static const char *const want[] = { "[ClamAV_Dev] epair1b: set mac 02:fb:c0:00:16:0b" };
	struct model m;
	struct state full;
	struct plan p;
	struct state_link *b;

	seed_applied(&m, &full);
	m.jails[0].ifaces[0].has_mac = true;
	memcpy(m.jails[0].ifaces[0].mac, "\x02\xfb\xc0\x00\x16\x0b", 6);
	b = fx_find_link(&full, "ClamAV_Dev", "epair1b");
	b->has_mac = true;
	memcpy(b->mac, "\x02\x00\x00\x00\x00\x01", 6);
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 14: foreign facts are never touched: a foreign IPv6 default route stays
 * (and is reported), a foreign jail and bridge survive an empty config, an
 * owned address on an adopted bridge is the only thing removed from it. */
static void test_foreign_untouched(void **st)
{
	static const char *const want[] = { "bridge0: delete address 2001:470:8142:1::1/64" };
	struct model m, empty = { 0 };
	struct state s;
	struct plan p;
	struct plan_conflicts c;

	fx_seed_model(&m);
	fx_host_baseline(&s);
	fx_sroute(&s, "", "::/0", "fe80::1", "bge0", false);
	build(&m, &s, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_ROUTE_ADD, "", "gif0"), -1);
	assert_int_equal(fx_find(&p, 0, ACTION_ROUTE_DEL, NULL, NULL), -1);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "route ::/0 via fe80::1"));
	plan_conflicts_free(&c);
	plan_free(&p);
	state_free(&s);

	/* an adopted bridge keeps everything but the address jail6 added */
	fx_host_baseline(&s);
	fx_link(&s, "", "bridge0", STATE_LINK_BRIDGE, true, false);
	strcpy(fx_find_link(&s, "", "bge0")->master, "bridge0");
	fx_saddr(&s, "", "bridge0", "2001:db8:77::1/64", false);
	fx_saddr(&s, "", "bridge0", "2001:470:8142:1::1/64", true);
	fx_sjail(&s, "poudriere", false);
	fx_link(&s, "poudriere", "vtnet9", STATE_LINK_VETH, true, false);
	fx_sroute(&s, "poudriere", "::/0", "2001:db8:77::1", "vtnet9", false);
	build(&empty, &s, &p);
	fx_assert_plan(&p, want, FX_N(want));
	plan_free(&p);
	assert_int_equal(plan_destroy(&s, NULL, 0, &p), 0);
	fx_assert_plan(&p, want, FX_N(want));
	plan_free(&p);
	/* and without adopt = yes, the same bridge is a reported conflict */
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "bridge0"));
	assert_non_null(strstr(c.msgs[0], "adopt"));
	plan_conflicts_free(&c);
	m.bridges[0].adopt = true;
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 0);
	plan_conflicts_free(&c);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 15: a name clash: bridge0 exists but is not a bridge -> not created, the
 * rest still planned, the clash reported; a tunnel is never bridged. */
static void test_conflicts(void **st)
{
	struct model m;
	struct state s;
	struct plan p;
	struct plan_conflicts c;

	fx_seed_model(&m);
	fx_host_baseline(&s);
	fx_link(&s, "", "bridge0", STATE_LINK_OTHER, true, false);
	build(&m, &s, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_BRIDGE_CREATE, NULL, NULL), -1);
	assert_true(fx_find(&p, 0, ACTION_ADDR_ADD, "", "bridge0") >= 0);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "bridge0: exists as a non-jail6 interface, not a bridge"));
	plan_conflicts_free(&c);
	plan_free(&p);
	state_free(&s);

	fx_bridge_member(&m.bridges[0], "gif0");
	fx_host_baseline(&s);
	build(&m, &s, &p);
	for (size_t i = 0; i < p.n_actions; i++)
		assert_false(p.actions[i].kind == ACTION_LINK_SET_MASTER && !strcmp(p.actions[i].ifname, "gif0"));
	assert_true(fx_find(&p, 0, ACTION_LINK_SET_MASTER, "", "bge0") >= 0);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "member gif0 is a 6in4 tunnel"));
	plan_conflicts_free(&c);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 16: plan_destroy of one jail removes it and its veth only; unknown and
 * foreign jails are refused. */
static void test_destroy_named(void **st)
{
	static const char *const want[] = { "epair1a: destroy", "ClamAV_Dev: destroy jail",
					    "epair1a: remove port filter" };
	static const char *const one[] = { "ClamAV_Dev" };
	static const char *const nope[] = { "nope" };
	static const char *const foreign[] = { "poudriere" };
	struct model m;
	struct state full, s;
	struct plan p;
	struct model_jail *j;

	fx_seed_model(&m);
	j = fx_jail(&m, "other", NULL);
	fx_iface_addr(fx_iface(j, "epair2", "bridge0"), "2001:470:8142:1::4/64");
	fx_host_baseline(&s);
	assert_converges(&m, &s, &full);
	state_free(&s);
	fx_sjail(&full, "poudriere", false);

	assert_int_equal(plan_destroy(&full, one, 1, &p), 0);
	fx_assert_plan(&p, want, FX_N(want));
	copy_state(&s, &full);
	apply(&s, &p);
	assert_non_null(state_find_jail(&s, "other"));
	assert_non_null(state_find_link(&s, "", "epair2a"));
	assert_non_null(state_find_link(&s, "other", "epair2b"));
	assert_null(state_find_link(&s, "", "epair1a"));
	state_free(&s);
	plan_free(&p);

	assert_int_equal(plan_destroy(&full, nope, 1, &p), -ENOENT);
	assert_int_equal(p.n_actions, 0);
	assert_int_equal(plan_destroy(&full, foreign, 1, &p), -EPERM);
	assert_int_equal(p.n_actions, 0);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 17: an interface moved to another jail in the config: the pair is rebuilt
 * (its jail end is in the wrong jail), and the emptied jail goes. */
static void test_iface_moves_jail(void **st)
{
	struct model m;
	struct state full;
	struct plan p;

	seed_applied(&m, &full);
	strcpy(m.jails[0].name, "ClamAV_Prod");
	model_touch(&m);
	build(&m, &full, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_LINK_DESTROY, "", "epair1a"), 0);
	assert_int_equal(p.actions[1].kind, ACTION_JAIL_DESTROY);
	assert_string_equal(p.actions[1].target, "ClamAV_Dev");
	assert_true(fx_find(&p, 0, ACTION_VETH_CREATE, "", "epair1a") > 1);
	assert_converges(&m, &full, NULL);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 18: exec.start runs when the jail is created, not on later applies. */
static void test_exec_start_once(void **st)
{
	static const char *const start[] = { "/bin/sh", "/etc/rc", NULL };
	struct model m;
	struct state s;
	struct plan p;

	fx_seed_model(&m);
	fx_exec(&m.jails[0], start);
	fx_host_baseline(&s);
	build(&m, &s, &p);
	assert_int_equal(p.actions[p.n_actions - 1].kind, ACTION_JAIL_EXEC);
	assert_ptr_equal(p.actions[p.n_actions - 1].argv, &m.jails[0].exec_start);
	plan_free(&p);
	assert_converges(&m, &s, NULL); /* the second plan has no exec */
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 18b: an existing jail whose exec.start never completed (the engine marks
 * it start_pending) gets it, without being created again; a jail that is not
 * jail6's gets neither, and exec.start clears the mark. */
static void test_exec_start_pending(void **st)
{
	static const char *const start[] = { "/bin/sh", "/etc/rc", NULL };
	struct model m;
	struct state base, s;
	struct plan p;
	struct state_jail *j;
	size_t argc;

	fx_seed_model(&m);
	fx_exec(&m.jails[0], start);
	fx_host_baseline(&base);
	assert_converges(&m, &base, &s);
	j = (struct state_jail *)state_find_jail(&s, m.jails[0].name);
	assert_non_null(j);
	assert_true(j->owned);
	j->start_pending = true;
	build(&m, &s, &p);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_JAIL_EXEC);
	assert_string_equal(p.actions[0].target, m.jails[0].name);
	assert_ptr_equal(p.actions[0].argv, &m.jails[0].exec_start);
	plan_free(&p);
	assert_converges(&m, &s, NULL); /* the simulated exec clears the mark */

	/* without exec.start in the file there is nothing to run */
	j = (struct state_jail *)state_find_jail(&s, m.jails[0].name);
	j->start_pending = true;
	argc = m.jails[0].exec_start.argc;
	m.jails[0].exec_start.argc = 0;
	build(&m, &s, &p);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	m.jails[0].exec_start.argc = argc; /* for model_free */

	/* a jail jail6 does not own is never exec'd into */
	j->owned = false;
	build(&m, &s, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_JAIL_EXEC, NULL, NULL), -1);
	plan_free(&p);
	state_free(&s);
	state_free(&base);
	model_free(&m);
	(void)st;
}

/* 19: jails without any tunnel still need forwarding; nothing at all does not. */
static void test_forwarding(void **st)
{
	struct model m = { 0 }, empty = { 0 };
	struct model_bridge *b;
	struct state s;
	struct plan p;

	b = fx_bridge(&m, "bridge0");
	fx_bridge_addr(b, "2001:db8:1::1/64");
	fx_host_baseline(&s);
	build(&m, &s, &p);
	assert_int_equal(p.actions[0].kind, ACTION_SYSCTL_SET);
	assert_int_equal(p.actions[1].kind, ACTION_BRIDGE_CREATE);
	plan_free(&p);
	build(&empty, &s, &p);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 20: the simulator refuses what a kernel refuses and changes nothing then. */
static void test_simulator_refuses(void **st)
{
	struct state s;
	struct action a;

	fx_host_baseline(&s);
	memset(&a, 0, sizeof(a));
	a.kind = ACTION_LINK_SET_NS;
	strcpy(a.ifname, "bge0");
	strcpy(a.target, "nojail");
	assert_int_equal(plan_state_apply_action(&s, &a), -ENOENT);
	a.kind = ACTION_LINK_UP;
	strcpy(a.ifname, "nosuch0");
	assert_int_equal(plan_state_apply_action(&s, &a), -ENODEV);
	a.kind = ACTION_BRIDGE_CREATE;
	strcpy(a.ifname, "bge0");
	assert_int_equal(plan_state_apply_action(&s, &a), -EEXIST);
	a.kind = ACTION_ADDR_DEL;
	a.addr = fx_addr("2001:db8::1/64");
	assert_int_equal(plan_state_apply_action(&s, &a), -ESRCH);
	a.kind = ACTION_ADDR_ADD;
	strcpy(a.ns, "nojail");
	assert_int_equal(plan_state_apply_action(&s, &a), -ENOENT);
	state_free(&s);
	(void)st;
}

/* 21: an address with another prefix length is replaced when jail6 added
 * it, reported and left alone when it did not. */
static void test_addr_prefix_len(void **st)
{
	static const char *const want[] = {
		"bridge0: delete address 2001:470:8142:1::1/48",
		"bridge0: add address 2001:470:8142:1::1/64",
	};
	struct model m;
	struct state full;
	struct plan p;
	struct plan_conflicts c;

	seed_applied(&m, &full);
	for (size_t i = 0; i < full.n_addrs; i++)
		if (!strcmp(full.addrs[i].ifname, "bridge0"))
			full.addrs[i].addr.plen = 48;
	build(&m, &full, &p);
	fx_assert_plan(&p, want, FX_N(want));
	plan_free(&p);
	for (size_t i = 0; i < full.n_addrs; i++)
		if (!strcmp(full.addrs[i].ifname, "bridge0"))
			full.addrs[i].owned = false;
	build(&m, &full, &p);
	assert_int_equal(p.n_actions, 0);
	assert_int_equal(plan_conflicts(&m, &full, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "bridge0: address 2001:470:8142:1::1/48"));
	plan_conflicts_free(&c);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* A tiny deterministic generator for the damage test. */
static unsigned lcg(unsigned *x)
{
	*x = *x * 1103515245u + 12345u;
	return (*x >> 16) & 0x7fff;
}

/* Damage a converged state the way a crash or an admin would: destroy
 * owned links and jails (with what goes along), delete owned addresses and
 * routes, take links down, detach ports, switch forwarding off. */
static void damage(struct state *s, unsigned *seed)
{
	int rounds = 1 + (int)(lcg(seed) % 4);

	for (int k = 0; k < rounds; k++) {
		struct action a;
		unsigned what = lcg(seed) % 6;

		memset(&a, 0, sizeof(a));
		if (what == 0 && s->n_links) {
			struct state_link *l = &s->links[lcg(seed) % s->n_links];
			if (!l->owned)
				continue;
			a.kind = ACTION_LINK_DESTROY;
			strcpy(a.ns, l->ns);
			strcpy(a.ifname, l->name);
		} else if (what == 1 && s->n_jails) {
			a.kind = ACTION_JAIL_DESTROY;
			strcpy(a.target, s->jails[lcg(seed) % s->n_jails].name);
		} else if (what == 2 && s->n_addrs) {
			struct state_addr *x = &s->addrs[lcg(seed) % s->n_addrs];
			if (!x->owned)
				continue;
			a.kind = ACTION_ADDR_DEL;
			strcpy(a.ns, x->ns);
			strcpy(a.ifname, x->ifname);
			a.addr = x->addr;
		} else if (what == 3 && s->n_routes) {
			struct state_route *r = &s->routes[lcg(seed) % s->n_routes];
			if (!r->owned)
				continue;
			a.kind = ACTION_ROUTE_DEL;
			strcpy(a.ns, r->ns);
			a.addr = r->dst;
		} else if (what == 4 && s->n_links) {
			struct state_link *l = &s->links[lcg(seed) % s->n_links];
			l->up = false;
			if (lcg(seed) & 1)
				l->master[0] = '\0';
			continue;
		} else if (what == 5 && s->n_sysctls) {
			strcpy(s->sysctls[0].value, "0");
			continue;
		} else {
			continue;
		}
		assert_int_equal(plan_state_apply_action(s, &a), 0);
	}
}

/* 22: from hundreds of damaged states the plan applies cleanly and
 * converges, towards the lab and towards nothing at all. */
static void test_converges_from_damage(void **st)
{
	struct model m, empty = { 0 };
	struct state base, full;
	unsigned seed = 6;

	lab_model(&m);
	lab_baseline(&base);
	assert_converges(&m, &base, &full);
	for (int iter = 0; iter < 400; iter++) {
		struct state s, gone;
		struct plan p;

		copy_state(&s, &full);
		damage(&s, &seed);
		copy_state(&gone, &s);
		build(&m, &s, &p);
		check_order(&m, &p);
		plan_free(&p);
		assert_converges(&m, &s, NULL);
		/* an empty config from there leaves nothing owned behind */
		build(&empty, &gone, &p);
		apply(&gone, &p);
		for (size_t i = 0; i < gone.n_links; i++)
			assert_false(gone.links[i].owned);
		for (size_t i = 0; i < gone.n_addrs; i++)
			assert_false(gone.addrs[i].owned);
		for (size_t i = 0; i < gone.n_routes; i++)
			assert_false(gone.routes[i].owned);
		assert_int_equal(gone.n_jails, 0);
		plan_free(&p);
		state_free(&s);
		state_free(&gone);
	}
	state_free(&base);
	state_free(&full);
	model_free(&m);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_from_scratch),
		cmocka_unit_test(test_order_lab),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_observed_seed_is_noop),
		cmocka_unit_test(test_killed_apply_resumes),
		cmocka_unit_test(test_partial_single_facts),
		cmocka_unit_test(test_remove_jail),
		cmocka_unit_test(test_remove_all),
		cmocka_unit_test(test_rename_bridge),
		cmocka_unit_test(test_change_prefix),
		cmocka_unit_test(test_change_broker),
		cmocka_unit_test(test_tunnel_mtu_and_datapath),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_foreign_untouched),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_destroy_named),
		cmocka_unit_test(test_iface_moves_jail),
		cmocka_unit_test(test_exec_start_once),
		cmocka_unit_test(test_exec_start_pending),
		cmocka_unit_test(test_forwarding),
		cmocka_unit_test(test_simulator_refuses),
		cmocka_unit_test(test_addr_prefix_len),
		cmocka_unit_test(test_converges_from_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
