/* Unit tests of `address = auto` without a store (src/plan/auto.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "plan_fixtures.h"
#include "model/addr_pool.h"

static char *fmt(const struct addr *a)
{
	static char buf[ADDR_STRLEN];

	return addr_format(a, buf, sizeof(buf));
}

/* The lowest free address of prefix with used[] taken, by the allocator
 * plan_resolve_auto and the store share (model/addr_pool.h). */
static int pick(const struct addr *prefix, const struct addr *used, size_t n_used, struct addr *out)
{
	struct addr_pool p;
	int r = addr_pool_init(&p, prefix);

	for (size_t i = 0; r == 0 && i < n_used; i++)
		r = addr_pool_take_addr(&p, &used[i]) < 0 ? -ENOMEM : 0;
	if (r == 0)
		r = addr_pool_pick(&p, out, NULL);
	addr_pool_free(&p);
	return r;
}

/* 1: the lowest free index from 1, whatever the order of the used set. */
static void test_pick_lowest_free(void **st)
{
	struct addr prefix = fx_addr("2001:db8:1::1/64"), out;
	struct addr used[] = { fx_addr("2001:db8:1::3/64"), fx_addr("2001:db8:1::1"),
			       fx_addr("2001:db8:1::2/64"), fx_addr("2001:db8:1::5/64") };

	assert_int_equal(pick(&prefix, NULL, 0, &out), 0);
	assert_string_equal(fmt(&out), "2001:db8:1::1/64");
	assert_int_equal(pick(&prefix, used, 4, &out), 0);
	assert_string_equal(fmt(&out), "2001:db8:1::4/64");
	assert_int_equal(pick(&prefix, used, 3, &out), 0);
	assert_string_equal(fmt(&out), "2001:db8:1::4/64");
	/* addresses of other prefixes do not count */
	used[0] = fx_addr("2001:db8:2::4/64");
	assert_int_equal(pick(&prefix, used, 4, &out), 0);
	assert_string_equal(fmt(&out), "2001:db8:1::3/64");
	(void)st;
}

/* 2: a full prefix is -ENOSPC; IPv4 skips the broadcast address. */
static void test_pick_full(void **st)
{
	struct addr p126 = fx_addr("2001:db8::/126"), p30 = fx_addr("192.0.2.0/30"), out;
	struct addr used6[] = { fx_addr("2001:db8::1"), fx_addr("2001:db8::2"), fx_addr("2001:db8::3") };
	struct addr used4[] = { fx_addr("192.0.2.1"), fx_addr("192.0.2.2") };
	struct addr none = { 0 };

	assert_int_equal(pick(&p126, used6, 2, &out), 0);
	assert_string_equal(fmt(&out), "2001:db8::3/126");
	assert_int_equal(pick(&p126, used6, 3, &out), -ENOSPC);
	assert_int_equal(pick(&p30, used4, 1, &out), 0);
	assert_string_equal(fmt(&out), "192.0.2.2/30");
	assert_int_equal(pick(&p30, used4, 2, &out), -ENOSPC); /* .3 is broadcast */
	assert_int_equal(pick(&none, NULL, 0, &out), -EINVAL);
	(void)st;
}

/* 3: resolve_auto in jail order, skipping bridge and static addresses of
 * every jail (also later ones), with the bridge's prefix length. */
static void test_resolve_order(void **st)
{
	struct model m = { 0 };
	struct model_bridge *b;
	struct model_jail *j;
	struct model_iface *f;

	b = fx_bridge(&m, "bridge0");
	fx_bridge_addr(&m.bridges[0], "2001:db8:1::1/64");
	fx_bridge_addr(&m.bridges[0], "2001:db8:1::2/64");
	fx_bridge_addr(&m.bridges[0], "192.0.2.1/24");
	(void)b;
	j = fx_jail(&m, "a", NULL);
	f = fx_iface(j, "epair1", "bridge0");
	f->n_auto = 2;
	j = fx_jail(&m, "b", NULL);
	f = fx_iface(j, "epair2", "bridge0");
	fx_iface_addr(f, "2001:db8:1::4/64");
	f->n_auto = 1;
	j = fx_jail(&m, "c", NULL);
	f = fx_iface(j, "epair3", "bridge0");
	fx_iface_addr(f, "2001:db8:1::3/64"); /* static, in a later jail */

	/* the planner refuses a model with auto addresses left */
	{
		struct state s = { 0 };
		struct plan p;

		assert_int_equal(plan_build(&m, &s, &p), -EINVAL);
		assert_int_equal(p.n_actions, 0);
		assert_int_equal(plan_resolve_auto(&m), 0);
		assert_int_equal(plan_build(&m, &s, &p), 0);
		assert_true(p.n_actions > 0);
		plan_free(&p);
	}
	f = &m.jails[0].ifaces[0];
	assert_int_equal(f->n_auto, 0);
	assert_int_equal(f->n_addrs, 2);
	assert_string_equal(fmt(&f->addrs[0]), "2001:db8:1::5/64");
	assert_string_equal(fmt(&f->addrs[1]), "2001:db8:1::6/64");
	f = &m.jails[1].ifaces[0];
	assert_int_equal(f->n_auto, 0);
	assert_int_equal(f->n_addrs, 2);
	assert_string_equal(fmt(&f->addrs[0]), "2001:db8:1::4/64"); /* static stays first */
	assert_string_equal(fmt(&f->addrs[1]), "2001:db8:1::7/64");
	assert_int_equal(m.jails[2].ifaces[0].n_addrs, 1);
	/* resolving again changes nothing: n_auto is 0 everywhere */
	assert_int_equal(plan_resolve_auto(&m), 0);
	assert_int_equal(m.jails[0].ifaces[0].n_addrs, 2);
	model_free(&m);
	(void)st;
}

/* 4: the same model resolves the same way every time (stable order). */
static void test_resolve_stable(void **st)
{
	char first[4][ADDR_STRLEN];

	for (int round = 0; round < 2; round++) {
		struct model m = { 0 };

		fx_bridge_addr(fx_bridge(&m, "br0"), "2001:db8:7::1/64");
		for (int i = 0; i < 4; i++) {
			char name[16];
			snprintf(name, sizeof(name), "j%d", i);
			fx_iface(fx_jail(&m, name, NULL), "epair0", "br0")->n_auto = 1;
		}
		assert_int_equal(plan_resolve_auto(&m), 0);
		for (int i = 0; i < 4; i++) {
			char *s = fmt(&m.jails[i].ifaces[0].addrs[0]);
			if (round == 0)
				strcpy(first[i], s);
			else
				assert_string_equal(first[i], s);
		}
		assert_string_equal(first[3], "2001:db8:7::5/64");
		model_free(&m);
	}
	(void)st;
}

/* 5: a /126 bridge prefix holds three hosts: the bridge and two jails; a
 * third jail is -ENOSPC. No IPv6 bridge at all is -EINVAL. */
static void test_resolve_full(void **st)
{
	struct model m = { 0 };

	fx_bridge_addr(fx_bridge(&m, "br0"), "2001:db8::1/126");
	fx_iface(fx_jail(&m, "a", NULL), "epair1", "br0")->n_auto = 1;
	fx_iface(fx_jail(&m, "b", NULL), "epair2", "br0")->n_auto = 1;
	assert_int_equal(plan_resolve_auto(&m), 0);
	assert_string_equal(fmt(&m.jails[1].ifaces[0].addrs[0]), "2001:db8::3/126");
	fx_iface(fx_jail(&m, "c", NULL), "epair3", "br0")->n_auto = 1;
	assert_int_equal(plan_resolve_auto(&m), -ENOSPC);
	model_free(&m);

	memset(&m, 0, sizeof(m));
	fx_bridge_addr(fx_bridge(&m, "br4"), "192.0.2.1/24");
	fx_iface(fx_jail(&m, "a", NULL), "epair1", "br4")->n_auto = 1;
	assert_int_equal(plan_resolve_auto(&m), -EINVAL);
	model_free(&m);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_lowest_free),
		cmocka_unit_test(test_pick_full),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_resolve_stable),
		cmocka_unit_test(test_resolve_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
