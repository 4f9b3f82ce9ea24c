/* Planner: the tunnel's role (client or broker) and the userspace (or
 * eBPF) datapath daemon's liveness, MTU and kind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/model.h"
#include "model/state.h"
#include "plan/plan.h"
#include "plan_fixtures.h"

/* The lab's broker end: routed prefix to the peer, no default route. */
static void broker_model(struct model *m)
{
	struct model_tunnel *t;

	memset(m, 0, sizeof(*m));
	t = fx_tunnel(m, "he-broker", "198.51.100.2", NULL, "2001:db8:ffff::1/64", "2001:db8:ffff::2");
	t->local_auto = false;
	t->local = fx_addr("198.51.100.1");
	t->datapath = MODEL_DATAPATH_USERSPACE;
	t->role = MODEL_ROLE_BROKER;
	t->routed = calloc(2, sizeof(*t->routed));
	assert_non_null(t->routed);
	t->routed[0] = fx_addr("2001:db8:1::/64");
	t->routed[1] = fx_addr("2001:db8:2::/48");
	t->n_routed = 2;
}

/* 1: a broker routes each routed prefix via the peer and adds no default. */
static void test_broker_routes(void **st)
{
	static const char *const want[] = {
		"he-broker: create 6in4 tunnel local 198.51.100.1 remote 198.51.100.2 ttl 64 mtu 1480 (datapath userspace)",
		"he-broker: add address 2001:db8:ffff::1/64 peer 2001:db8:ffff::2",
		"he-broker: up",
		"route: add 2001:db8:1::/64 via 2001:db8:ffff::2 dev he-broker",
		"route: add 2001:db8:2::/48 via 2001:db8:ffff::2 dev he-broker",
		"sysctl ipv6.forwarding = 1",
	};
	struct model m;
	struct state s = { 0 }, after = { 0 };
	struct plan p = { 0 }, again = { 0 };

	broker_model(&m);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	fx_assert_plan(&p, want, FX_N(want));
	/* applied: nothing more to do, and the routes are not removed */
	assert_int_equal(plan_state_apply(&after, &p), 0);
	assert_int_equal(plan_build(&m, &after, &again), 0);
	assert_int_equal(again.n_actions, 0);
	plan_free(&p);
	plan_free(&again);
	state_free(&after);
	model_free(&m);
	(void)st;
}

/* 2: a client adds the default route via the peer instead. */
static void test_client_default(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };

	broker_model(&m);
	m.tunnels[0].role = MODEL_ROLE_CLIENT;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_true(fx_find(&p, 0, ACTION_ROUTE_ADD, "", "he-broker") >= 0);
	for (size_t i = 0; i < p.n_actions; i++)
		if (p.actions[i].kind == ACTION_ROUTE_ADD)
			assert_int_equal(p.actions[i].addr.plen, 0); /* only the default */
	plan_free(&p);
	model_free(&m);
	(void)st;
}

/* 3: a userspace tunnel whose daemon died is restarted (TUNNEL_CHANGE), and
 * nothing else changes; with the daemon running nothing happens. */
static void test_daemon_restart(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 }, q = { 0 };
	struct state_link *l;

	broker_model(&m);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	l = fx_find_link(&s, "", "he-broker");
	assert_non_null(l);
	assert_true(l->daemon);
	l->daemon = false;
	assert_int_equal(plan_build(&m, &s, &q), 0);
	assert_int_equal(q.n_actions, 1);
	assert_int_equal(q.actions[0].kind, ACTION_TUNNEL_CHANGE);
	assert_string_equal(q.actions[0].ifname, "he-broker");
	plan_free(&q);
	l->daemon = true;
	assert_int_equal(plan_build(&m, &s, &q), 0);
	assert_int_equal(q.n_actions, 0);
	plan_free(&q);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 4: removing a routed prefix from the broker removes its (owned) route. */
static void test_broker_route_removed(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };

	broker_model(&m);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	m.tunnels[0].n_routed = 1;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_ROUTE_DEL);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 5: a userspace tunnel's MTU is the link's and its datapath's. A new mtu
 * sets the link (the backend has the datapath follow); a datapath that did
 * not follow while the link did is restarted; equal, or not known (no
 * stats yet), is nothing. */
static void test_daemon_mtu(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };
	struct state_link *l;

	broker_model(&m);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	l = fx_find_link(&s, "", "he-broker");
	assert_non_null(l);
	assert_int_equal(l->daemon_mtu, 1480);
	/* the config says 1400: the link first */
	m.tunnels[0].mtu = 1400;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_LINK_SET_MTU);
	assert_int_equal(p.actions[0].mtu, 1400);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	l = fx_find_link(&s, "", "he-broker");
	assert_int_equal(l->mtu, 1400);
	assert_int_equal(l->daemon_mtu, 1400);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* the link has 1400, its datapath still 1480: restart the datapath */
	l->daemon_mtu = 1480;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CHANGE);
	assert_int_equal(p.actions[0].mtu, 1400);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	assert_int_equal(fx_find_link(&s, "", "he-broker")->daemon_mtu, 1400);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* not known yet: nothing */
	fx_find_link(&s, "", "he-broker")->daemon_mtu = 0;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 6: datapath = ebpf is a TUN device with a daemon too; the daemon of the
 * other kind (userspace <-> ebpf) is restarted as the config says, and a
 * daemon whose kind is unknown (no stats yet) is left alone. */
static void test_daemon_kind(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };
	struct state_link *l;

	broker_model(&m);
	m.tunnels[0].datapath = MODEL_DATAPATH_EBPF;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_true(p.n_actions > 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CREATE);
	assert_int_equal(p.actions[0].datapath, MODEL_DATAPATH_EBPF);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	l = fx_find_link(&s, "", "he-broker");
	assert_non_null(l);
	assert_int_equal(l->kind, STATE_LINK_TUN);
	assert_int_equal(l->daemon_dp, MODEL_DATAPATH_EBPF);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* the userspace datapath runs there: restart it as the eBPF one */
	l->daemon_dp = MODEL_DATAPATH_USERSPACE;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CHANGE);
	assert_int_equal(p.actions[0].datapath, MODEL_DATAPATH_EBPF);
	plan_free(&p);
	l->daemon_dp = MODEL_DATAPATH_AUTO;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* and back: the config says userspace, the eBPF one runs */
	m.tunnels[0].datapath = MODEL_DATAPATH_USERSPACE;
	l->daemon_dp = MODEL_DATAPATH_EBPF;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CHANGE);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* Plan m against s and apply the plan to s; the number of actions. */
static size_t converge(const struct model *m, struct state *s)
{
	struct plan p = { 0 };
	size_t n;

	assert_int_equal(plan_build(m, s, &p), 0);
	assert_int_equal(plan_state_apply(s, &p), 0);
	n = p.n_actions;
	plan_free(&p);
	return n;
}

/* 7: a datapath whose stats are stale (stopped, hung) is restarted, the
 * description says why; a keepalive that differs from the running
 * datapath's restarts it too; auto with a keepalive is a TUN tunnel, also
 * in place of a sit link auto made before. */
static void test_daemon_liveness(void **st)
{
	static const char *const stale[] = {
		"he-broker: change 6in4 tunnel local 198.51.100.1 remote 198.51.100.2 ttl 64 mtu 1480 (datapath "
		"userspace): restart the datapath: its stats are stale (stopped, hung or failing)",
	};
	static const char *const ka[] = {
		"he-broker: change 6in4 tunnel local 198.51.100.1 remote 198.51.100.2 ttl 64 mtu 1480 (datapath "
		"userspace) keepalive 30 s: restart the datapath: its keepalive changes",
	};
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };
	struct state_link *l;

	broker_model(&m);
	converge(&m, &s);
	l = fx_find_link(&s, "", "he-broker");
	assert_non_null(l);
	l->daemon_stale = true;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	fx_assert_plan(&p, stale, FX_N(stale));
	plan_free(&p);
	assert_int_equal(converge(&m, &s), 1);
	assert_false(fx_find_link(&s, "", "he-broker")->daemon_stale);
	assert_int_equal(converge(&m, &s), 0);
	/* a keepalive now: the running datapath has none */
	m.tunnels[0].keepalive = 30;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	fx_assert_plan(&p, ka, FX_N(ka));
	assert_int_equal(p.actions[0].keepalive, 30);
	assert_int_equal(p.actions[0].ka_peer.family, AF_INET6);
	plan_free(&p);
	assert_int_equal(converge(&m, &s), 1);
	assert_int_equal(fx_find_link(&s, "", "he-broker")->daemon_keepalive, 30);
	assert_int_equal(converge(&m, &s), 0);
	/* not known yet (no stats): nothing */
	fx_find_link(&s, "", "he-broker")->daemon_keepalive = -1;
	assert_int_equal(converge(&m, &s), 0);
	state_free(&s);
	/* auto with a keepalive: a jail6 datapath (the kernel's sends none) */
	memset(&s, 0, sizeof(s));
	m.tunnels[0].datapath = MODEL_DATAPATH_AUTO;
	converge(&m, &s);
	assert_int_equal(fx_find_link(&s, "", "he-broker")->kind, STATE_LINK_TUN);
	state_free(&s);
	/* auto made a sit link, then a keepalive: the sit goes, a TUN comes */
	memset(&s, 0, sizeof(s));
	m.tunnels[0].keepalive = 0;
	converge(&m, &s);
	assert_int_equal(fx_find_link(&s, "", "he-broker")->kind, STATE_LINK_SIT);
	m.tunnels[0].keepalive = 30;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_true(p.n_actions >= 2);
	assert_int_equal(p.actions[0].kind, ACTION_LINK_DESTROY);
	assert_int_equal(p.actions[1].kind, ACTION_TUNNEL_CREATE);
	plan_free(&p);
	converge(&m, &s);
	assert_int_equal(fx_find_link(&s, "", "he-broker")->kind, STATE_LINK_TUN);
	assert_int_equal(converge(&m, &s), 0);
	state_free(&s);
	model_free(&m);
	(void)st;
}

/* 8: a tunnel with a via: its datapath holds to that via (the action says
 * it); one that holds to another, or to none, is restarted; not known (no
 * stats yet) is nothing. */
static void test_daemon_via(void **st)
{
	struct model m;
	struct state s = { 0 };
	struct plan p = { 0 };
	struct state_link *l;
	int i;

	broker_model(&m);
	m.tunnels[0].has_via = true;
	m.tunnels[0].via = fx_addr("203.0.113.1");
	assert_int_equal(plan_build(&m, &s, &p), 0);
	i = fx_find(&p, 0, ACTION_TUNNEL_CREATE, "", "he-broker");
	assert_true(i >= 0);
	assert_int_equal(p.actions[i].via.family, AF_INET);
	assert_int_equal(plan_state_apply(&s, &p), 0);
	plan_free(&p);
	l = fx_find_link(&s, "", "he-broker");
	assert_non_null(l);
	assert_int_equal(l->daemon_via.family, AF_INET);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* a datapath of before: no via in its stats */
	l->daemon_via.family = 0;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CHANGE);
	plan_free(&p);
	/* another via */
	l->daemon_via = fx_addr("203.0.113.9");
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 1);
	assert_int_equal(p.actions[0].kind, ACTION_TUNNEL_CHANGE);
	plan_free(&p);
	/* not known yet: nothing */
	l->daemon_mtu = 0;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);
	/* the via left the config, the datapath still holds to one */
	l->daemon_mtu = 1480;
	m.tunnels[0].has_via = false;
	assert_int_equal(plan_build(&m, &s, &p), 0);
	assert_true(fx_find(&p, 0, ACTION_TUNNEL_CHANGE, "", "he-broker") >= 0);
	plan_free(&p);
	state_free(&s);
	model_free(&m);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broker_routes),
		cmocka_unit_test(test_client_default),
		cmocka_unit_test(test_daemon_restart),
		cmocka_unit_test(test_broker_route_removed),
		cmocka_unit_test(test_daemon_mtu),
		cmocka_unit_test(test_daemon_kind),
		cmocka_unit_test(test_daemon_liveness),
		cmocka_unit_test(test_daemon_via),
	};
	return cmocka_run_group_tests_name("plan_tunnel", tests, NULL, NULL);
}
