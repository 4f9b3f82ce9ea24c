/* Unit tests of the jail ports' filter: its observed state
 * (model/state_filter.c) and its planning (plan/filter.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "plan_fixtures.h"

/* The seed's model, applied by the simulator from the host's baseline. */
static void seed_applied(struct model *m, struct state *s)
{
	struct state base;
	struct plan p;

	fx_seed_model(m);
	fx_host_baseline(&base);
	assert_int_equal(plan_build(m, &base, &p), 0);
	memset(s, 0, sizeof(*s));
	assert_int_equal(state_append(s, &base), 0);
	assert_int_equal(plan_state_apply(s, &p), 0);
	plan_free(&p);
	state_free(&base);
}

static void build(const struct model *m, const struct state *s, struct plan *p)
{
	assert_int_equal(plan_build(m, s, p), 0);
}

/* 1. Addresses as a port lets them through: IPv6 hosts, sorted, once. */
static void test_addrs(void **st)
{
	struct addr in[] = { fx_addr("2001:db8::9/64"), fx_addr("192.0.2.1/24"), fx_addr("2001:db8::3/64"),
			     fx_addr("2001:db8::9/128") };
	struct state_fport p = { .port = "p0a", .jail = "j" };
	struct addr *v;
	size_t n;

	assert_int_equal(state_filter_addrs(in, 4, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_true(addr_same_host(&v[0], &in[2]) && v[0].plen == 128);
	assert_true(addr_same_host(&v[1], &in[0]));
	p.addrs = v;
	p.n_addrs = n;
	assert_true(state_fport_same(&p, in, 4));
	assert_false(state_fport_same(&p, in, 2));
	free(v);
	assert_int_equal(state_filter_addrs(&in[1], 1, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	(void)st;
}

/* 2. Ports found by name through put, replace, delete (the last moves into
 * the gap), clear. */
static void test_ports(void **st)
{
	struct state s = { 0 };
	struct addr a = fx_addr("2001:db8::1/64");
	char name[MODEL_IFNAMSIZ];

	for (int i = 0; i < 100; i++) {
		struct state_fport p = { .addrs = &a, .n_addrs = 1 };
		snprintf(p.port, sizeof(p.port), "e%da", i);
		assert_int_equal(state_filter_put(&s, &p), 0);
	}
	assert_int_equal(s.filter.n_ports, 100);
	for (int i = 0; i < 100; i += 2) {
		snprintf(name, sizeof(name), "e%da", i);
		state_filter_del(&s, name);
	}
	assert_int_equal(s.filter.n_ports, 50);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "e%da", i);
		assert_true((state_filter_port(&s, name) != NULL) == (i % 2 == 1));
	}
	{
		struct state_fport p = { .port = "e1a", .jail = "x" };
		assert_int_equal(state_filter_put(&s, &p), 0);
		assert_int_equal(s.filter.n_ports, 50);
		assert_string_equal(state_filter_port(&s, "e1a")->jail, "x");
		assert_int_equal(state_filter_port(&s, "e1a")->n_addrs, 0);
	}
	state_filter_clear(&s);
	assert_null(state_filter_port(&s, "e3a"));
	state_free(&s);
	(void)st;
}

/* 3. Applied, the filter is in place: nothing to do. A port with another
 * address, or rules changed, is replaced alone; a damaged table is made
 * again with every port. */
static void test_drift(void **st)
{
	struct model m;
	struct state full, s;
	struct addr other = fx_addr("2001:470:8142:1::99/64");
	struct plan p;

	seed_applied(&m, &full);
	assert_true(full.filter.present && full.filter.intact);
	assert_non_null(state_filter_port(&full, "epair1a"));
	build(&m, &full, &p);
	assert_int_equal(p.n_actions, 0);
	plan_free(&p);

	memset(&s, 0, sizeof(s));
	assert_int_equal(state_append(&s, &full), 0);
	{
		struct state_fport fp = *state_filter_port(&s, "epair1a");
		fp.addrs = &other;
		fp.n_addrs = 1;
		assert_int_equal(state_filter_put(&s, &fp), 0);
	}
	build(&m, &s, &p);
	static const char *const one[] = { "epair1a: port filter for jail ClamAV_Dev: 2001:470:8142:1::3" };
	fx_assert_plan(&p, one, FX_N(one));
	plan_free(&p);

	((struct state_fport *)state_filter_port(&s, "epair1a"))->intact = false;
	build(&m, &s, &p);
	fx_assert_plan(&p, one, FX_N(one));
	plan_free(&p);

	s.filter.intact = false;
	build(&m, &s, &p);
	static const char *const all[] = { "port filter: create",
					   "epair1a: port filter for jail ClamAV_Dev: 2001:470:8142:1::3" };
	fx_assert_plan(&p, all, FX_N(all));
	plan_free(&p);
	state_free(&s);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 4. Another instance's port (its jail not ours, its veth there) stays, and
 * so does the table; a stale port (no veth) goes. */
static void test_foreign_and_stale(void **st)
{
	struct model m, empty = { 0 };
	struct state full;
	struct plan p;
	struct state_fport theirs = { .port = "w0a", .jail = "web", .intact = true };
	struct state_fport stale = { .port = "z0a", .jail = "gone", .intact = true };

	seed_applied(&m, &full);
	assert_int_equal(state_filter_put(&full, &theirs), 0);
	assert_int_equal(state_filter_put(&full, &stale), 0);
	fx_link(&full, "", "w0a", STATE_LINK_VETH, true, false);
	build(&m, &full, &p);
	static const char *const one[] = { "z0a: remove port filter" };
	fx_assert_plan(&p, one, FX_N(one));
	plan_free(&p);
	/* everything of ours goes, the table stays for theirs */
	build(&empty, &full, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_FILTER_DESTROY, NULL, NULL), -1);
	assert_true(fx_find(&p, 0, ACTION_FILTER_PORT_DEL, "", "epair1a") >= 0);
	assert_true(fx_find(&p, 0, ACTION_FILTER_PORT_DEL, "", "z0a") >= 0);
	assert_int_equal(fx_find(&p, 0, ACTION_FILTER_PORT_DEL, "", "w0a"), -1);
	plan_free(&p);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 5. A table of jail6's name without its mark is someone else's: a
 * conflict, and nothing planned on it. */
static void test_foreign_table(void **st)
{
	struct model m;
	struct state base;
	struct plan p;
	struct plan_conflicts c;

	fx_seed_model(&m);
	fx_host_baseline(&base);
	base.filter.present = base.filter.intact = true;
	build(&m, &base, &p);
	for (size_t i = 0; i < p.n_actions; i++)
		assert_true(p.actions[i].kind < ACTION_FILTER_CREATE);
	plan_free(&p);
	assert_int_equal(plan_conflicts(&m, &base, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "without jail6's mark"));
	plan_conflicts_free(&c);
	state_free(&base);
	model_free(&m);
	(void)st;
}

/* 5b. A table with jail6's mark but no record of this store: someone
 * else's (made by hand, or by a jail6 whose state is gone), a conflict,
 * nothing planned on it, and a destroy leaves it. With a port of another
 * instance's jail in it, it is that instance's: ours join it (ports set,
 * the table not made again) and never remove it. */
static void test_unrecorded_table(void **st)
{
	struct model m, empty = { 0 };
	struct state full, s;
	struct plan p;
	struct plan_conflicts c;
	struct state_fport theirs = { .port = "w0a", .jail = "web", .intact = true };

	seed_applied(&m, &full);
	memset(&s, 0, sizeof(s));
	assert_int_equal(state_append(&s, &full), 0);
	state_filter_clear(&s);
	s.filter.present = s.filter.intact = s.filter.marked = true;
	s.filter.owned = false;
	build(&m, &s, &p);
	for (size_t i = 0; i < p.n_actions; i++)
		assert_true(p.actions[i].kind < ACTION_FILTER_CREATE);
	plan_free(&p);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(c.msgs[0], "no record of making it"));
	plan_conflicts_free(&c);
	build(&empty, &s, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_FILTER_DESTROY, NULL, NULL), -1);
	plan_free(&p);

	assert_int_equal(state_filter_put(&s, &theirs), 0);
	fx_link(&s, "", "w0a", STATE_LINK_VETH, true, false);
	build(&m, &s, &p);
	static const char *const join[] = { "epair1a: port filter for jail ClamAV_Dev: 2001:470:8142:1::3" };
	fx_assert_plan(&p, join, FX_N(join));
	plan_free(&p);
	assert_int_equal(plan_conflicts(&m, &s, &c), 0);
	assert_int_equal(c.n, 0);
	plan_conflicts_free(&c);
	build(&empty, &s, &p);
	assert_int_equal(fx_find(&p, 0, ACTION_FILTER_DESTROY, NULL, NULL), -1);
	assert_int_equal(fx_find(&p, 0, ACTION_FILTER_PORT_DEL, "", "w0a"), -1);
	plan_free(&p);
	state_free(&s);
	state_free(&full);
	model_free(&m);
	(void)st;
}

/* 6. An interface on no bridge has no port filter; without any, no table. */
static void test_unbridged(void **st)
{
	struct model m = { 0 };
	struct state base;
	struct plan p;
	struct model_jail *j = fx_jail(&m, "solo", NULL);

	fx_iface_addr(fx_iface(j, "s0", ""), "2001:db8::5/64");
	fx_host_baseline(&base);
	build(&m, &base, &p);
	for (size_t i = 0; i < p.n_actions; i++)
		assert_true(p.actions[i].kind < ACTION_FILTER_CREATE);
	plan_free(&p);
	state_free(&base);
	model_free(&m);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_foreign_and_stale),
		cmocka_unit_test(test_foreign_table),
		cmocka_unit_test(test_unrecorded_table),
		cmocka_unit_test(test_unbridged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
