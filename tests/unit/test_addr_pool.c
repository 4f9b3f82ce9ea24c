/* Unit tests of the lowest-free allocator (src/model/addr_pool.c) that
 * plan_resolve_auto and the store's IPAM share. */
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

/* The next pick of p, as text ("ENOSPC" when full). */
static const char *next(struct addr_pool *p)
{
	struct addr a;
	int r = addr_pool_pick(p, &a, NULL);

	return r == -ENOSPC ? "ENOSPC" : r < 0 ? "error" : fmt(&a);
}

/* 1: picks fill the gaps between taken indexes lowest first, with the
 * prefix's length, whatever the order things were taken in; index 0 (the
 * network address), indexes beyond the prefix and other prefixes' hosts
 * are ignored. */
static void test_lowest_free(void **st)
{
	struct addr_pool p;
	struct addr pre = fx_addr("2001:db8:1::1/64");
	uint64_t ix;

	assert_int_equal(addr_pool_init(&p, &pre), 0);
	assert_int_equal(addr_pool_take_addr(&p, &(struct addr){ 0 }), 0);
	assert_int_equal(addr_pool_take_addr(&p, &pre), 1);
	assert_int_equal(addr_pool_take_addr(&p, &pre), 0); /* twice is once */
	assert_int_equal(addr_pool_take_addr(&p, &(struct addr){ .family = AF_INET6, .plen = 64 }), 0);
	assert_int_equal(addr_pool_take_addr(&p, &(struct addr){ .family = AF_INET6, .plen = -1,
								   .bytes = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 } }), 0);
	assert_int_equal(addr_pool_take(&p, 4), 1);
	assert_int_equal(addr_pool_take(&p, 3), 1);
	assert_int_equal(addr_pool_take(&p, 0), 0);
	assert_true(addr_pool_taken(&p, 1));
	assert_false(addr_pool_taken(&p, 2));
	assert_string_equal(next(&p), "2001:db8:1::2/64");
	assert_string_equal(next(&p), "2001:db8:1::5/64");
	assert_int_equal(addr_pool_take(&p, 7), 1);
	assert_string_equal(next(&p), "2001:db8:1::6/64");
	assert_string_equal(next(&p), "2001:db8:1::8/64");
	assert_int_equal(addr_pool_index(&p, &(struct addr){ .family = AF_INET6, .plen = -1,
							     .bytes = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 9 } }, &ix), 0);
	assert_int_equal(ix, 9);
	assert_int_equal(addr_pool_index(&p, &pre, &ix), 0);
	assert_int_equal(ix, 1);
	{
		struct addr net = addr_network(&pre);
		assert_int_equal(addr_pool_index(&p, &net, &ix), -ERANGE); /* index 0 */
	}
	addr_pool_free(&p);
	addr_pool_free(NULL);
	(void)st;
}

/* 2: full prefixes: a /126 holds three hosts, an IPv4 /30 two (.3 is the
 * broadcast address), a /31 one, a /32 and a /128 none; a full pool stays
 * full. A prefix without a family, or a length beyond it, is -EINVAL. */
static void test_full(void **st)
{
	struct addr_pool p;
	struct addr p126 = fx_addr("2001:db8::/126"), p30 = fx_addr("192.0.2.0/30");
	struct addr p31 = fx_addr("192.0.2.4/31"), p32 = fx_addr("192.0.2.9/32"), h = fx_addr("2001:db8::5");
	struct addr bad = fx_addr("2001:db8::/64"), none = { 0 };

	assert_int_equal(addr_pool_init(&p, &p126), 0);
	assert_int_equal(addr_pool_take_addr(&p, &(struct addr){ .family = AF_INET6, .plen = -1,
								   .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }), 1);
	assert_string_equal(next(&p), "2001:db8::2/126");
	assert_string_equal(next(&p), "2001:db8::3/126");
	assert_string_equal(next(&p), "ENOSPC");
	assert_string_equal(next(&p), "ENOSPC");
	addr_pool_free(&p);

	assert_int_equal(addr_pool_init(&p, &p30), 0);
	assert_string_equal(next(&p), "192.0.2.1/30");
	assert_string_equal(next(&p), "192.0.2.2/30");
	assert_string_equal(next(&p), "ENOSPC");
	assert_int_equal(addr_pool_take(&p, 3), 0); /* the broadcast address is no host */
	addr_pool_free(&p);

	assert_int_equal(addr_pool_init(&p, &p31), 0);
	assert_string_equal(next(&p), "192.0.2.5/31");
	assert_string_equal(next(&p), "ENOSPC");
	addr_pool_free(&p);
	assert_int_equal(addr_pool_init(&p, &p32), 0);
	assert_string_equal(next(&p), "ENOSPC");
	addr_pool_free(&p);
	assert_int_equal(addr_pool_init(&p, &h), 0); /* no length: one host, no room */
	assert_string_equal(next(&p), "ENOSPC");
	addr_pool_free(&p);

	assert_int_equal(addr_pool_init(&p, &none), -EINVAL);
	bad.plen = 129;
	assert_int_equal(addr_pool_init(&p, &bad), -EINVAL);
	(void)st;
}

/* 3: pools by prefix: two bridges' addresses in the same prefix share one
 * pool; an address is taken in every pool that holds it, nested prefixes
 * included, and in none of another family or prefix. */
static void test_pools(void **st)
{
	struct addr_pools s = { 0 };
	struct addr a1 = fx_addr("2001:db8:1::1/64"), a2 = fx_addr("2001:db8:1::2/64");
	struct addr wide = fx_addr("2001:db8::/48"), narrow = fx_addr("2001:db8:1::/96");
	struct addr v4 = fx_addr("10.0.0.1/24");
	struct addr x = fx_addr("2001:db8:1::3"), y = fx_addr("2001:db8::1"), z = fx_addr("10.0.0.3");
	size_t p1, p2, pw, pn, p4;

	assert_int_equal(addr_pools_get(&s, &a1, &p1), 0);
	assert_int_equal(addr_pools_get(&s, &a2, &p2), 0);
	assert_int_equal(p1, p2);
	assert_int_equal(addr_pools_get(&s, &wide, &pw), 0);
	assert_int_equal(addr_pools_get(&s, &narrow, &pn), 0);
	assert_int_equal(addr_pools_get(&s, &v4, &p4), 0);
	assert_int_equal(s.n, 4);
	assert_int_not_equal(pw, p1);
	assert_int_equal(addr_pools_take(&s, &a1), 0);
	assert_int_equal(addr_pools_take(&s, &x), 0);
	assert_int_equal(addr_pools_take(&s, &y), 0);
	assert_int_equal(addr_pools_take(&s, &z), 0);
	assert_true(addr_pool_taken(&s.v[p1], 1));
	assert_true(addr_pool_taken(&s.v[p1], 3));
	assert_false(addr_pool_taken(&s.v[p1], 2));
	/* in the /48, 2001:db8:1::3 is index 2^64 + 3: beyond what is ever
	 * handed out, so not taken there; 2001:db8::1 is its index 1 */
	assert_false(addr_pool_taken(&s.v[pw], 3));
	assert_true(addr_pool_taken(&s.v[pw], 1));
	assert_true(addr_pool_taken(&s.v[pn], 3)); /* the /96 inside the /64 */
	assert_true(addr_pool_taken(&s.v[pn], 1));
	assert_true(addr_pool_taken(&s.v[p4], 3));
	assert_false(addr_pool_taken(&s.v[p4], 1));
	assert_string_equal(next(&s.v[p1]), "2001:db8:1::2/64");
	assert_string_equal(next(&s.v[p1]), "2001:db8:1::4/64");
	assert_string_equal(next(&s.v[pw]), "2001:db8::2/48");
	assert_string_equal(next(&s.v[p4]), "10.0.0.1/24");
	addr_pools_free(&s);
	addr_pools_free(NULL);
	assert_int_equal(addr_pools_get(&s, &(struct addr){ 0 }, &p1), -EINVAL);
	addr_pools_free(&s);
	(void)st;
}

/* 4: 10,000 picks in a /64 with every seventh index reserved are the
 * unreserved indexes in order: the cursor never walks back. */
static void test_many(void **st)
{
	struct addr_pool p;
	struct addr pre = fx_addr("2001:db8:5::/64"), a;
	uint64_t ix, want = 0;

	assert_int_equal(addr_pool_init(&p, &pre), 0);
	for (uint64_t k = 7; k < 12000; k += 7)
		assert_int_equal(addr_pool_take(&p, k), 1);
	for (int i = 0; i < 10000; i++) {
		do
			want++;
		while (want % 7 == 0);
		assert_int_equal(addr_pool_pick(&p, &a, &ix), 0);
		assert_int_equal(ix, want);
		assert_int_equal(a.bytes[14] << 8 | a.bytes[15], want);
	}
	addr_pool_free(&p);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_free),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
