/* Unit tests of the address helpers (src/model/addr.c) and name checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "model/model.h"

static struct addr P(const char *s)
{
	struct addr a;
	assert_int_equal(addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL), 0);
	return a;
}

static void test_parse_ok(void **st)
{
	struct addr a;
	char buf[ADDR_STRLEN];

	assert_int_equal(addr_parse("2001:470:8142:1::3/64", ADDR_PREFIX_REQUIRED, &a, NULL), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.plen, 64);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:470:8142:1::3/64");
	assert_string_equal(addr_format_host(&a, buf, sizeof(buf)), "2001:470:8142:1::3");
	assert_int_equal(addr_parse("72.52.104.74", ADDR_PREFIX_NONE | ADDR_V4_ONLY, &a, NULL), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.plen, -1);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "72.52.104.74");
	assert_int_equal(addr_parse("0.0.0.0/0", ADDR_PREFIX_REQUIRED, &a, NULL), 0);
	assert_int_equal(a.plen, 0);
	(void)st;
}

static void test_parse_errors(void **st)
{
	struct addr a;
	const char *why = NULL;

	assert_int_equal(addr_parse("72.52.104.300", 0, &a, &why), -EINVAL);
	assert_string_equal(why, "not an IPv4 address");
	assert_int_equal(addr_parse("2001:db8::zz", 0, &a, &why), -EINVAL);
	assert_string_equal(why, "not an IPv6 address");
	assert_int_equal(addr_parse("2001:db8::1/129", ADDR_PREFIX_REQUIRED, &a, &why), -EINVAL);
	assert_string_equal(why, "bad prefix length (0..128)");
	assert_int_equal(addr_parse("192.0.2.1/33", ADDR_PREFIX_OPTIONAL, &a, &why), -EINVAL);
	assert_string_equal(why, "bad prefix length (0..32)");
	assert_int_equal(addr_parse("192.0.2.1/", ADDR_PREFIX_OPTIONAL, &a, &why), -EINVAL);
	assert_int_equal(addr_parse("192.0.2.1/2x", ADDR_PREFIX_OPTIONAL, &a, &why), -EINVAL);
	assert_int_equal(addr_parse("192.0.2.1/24", ADDR_PREFIX_NONE, &a, &why), -EINVAL);
	assert_string_equal(why, "a prefix length is not allowed here");
	assert_int_equal(addr_parse("2001:db8::1", ADDR_PREFIX_REQUIRED, &a, &why), -EINVAL);
	assert_string_equal(why, "a prefix length (/N) is required");
	assert_int_equal(addr_parse("192.0.2.1", ADDR_V6_ONLY, &a, &why), -EINVAL);
	assert_string_equal(why, "not an IPv6 address");
	assert_int_equal(addr_parse("2001:db8::1", ADDR_V4_ONLY, &a, &why), -EINVAL);
	assert_int_equal(addr_parse("", 0, &a, &why), -EINVAL);
	assert_int_equal(addr_parse("/64", ADDR_PREFIX_REQUIRED, &a, &why), -EINVAL);
	/* longer than any address: must not overflow the copy */
	assert_int_equal(addr_parse("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/64", ADDR_PREFIX_REQUIRED, &a, &why), -EINVAL);
	(void)st;
}

static void test_prefix(void **st)
{
	struct addr p = P("2001:470:8142:1::1/64"), n;
	char buf[ADDR_STRLEN];

	assert_true(addr_in_prefix(&(struct addr){ 0 }, &p) == false);
	struct addr in = P("2001:470:8142:1::3"), out = P("2001:470:8142:2::3"), v4 = P("192.0.2.1");
	assert_true(addr_in_prefix(&in, &p));
	assert_false(addr_in_prefix(&out, &p));
	assert_false(addr_in_prefix(&v4, &p));
	n = addr_network(&p);
	assert_string_equal(addr_format(&n, buf, sizeof(buf)), "2001:470:8142:1::/64");
	struct addr p4 = P("192.0.2.77/26"), x = P("192.0.2.64"), y = P("192.0.2.128");
	n = addr_network(&p4);
	assert_string_equal(addr_format(&n, buf, sizeof(buf)), "192.0.2.64/26");
	assert_true(addr_in_prefix(&x, &p4));
	assert_false(addr_in_prefix(&y, &p4));
	(void)st;
}

static void test_nth_index(void **st)
{
	struct addr p = P("2001:db8:1::1/64"), a;
	uint64_t n;
	char buf[ADDR_STRLEN];

	assert_int_equal(addr_nth(&p, 3, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8:1::3/64");
	assert_int_equal(addr_nth(&p, 0x10000, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8:1::1:0/64");
	assert_int_equal(addr_index(&p, &a, &n), 0);
	assert_int_equal(n, 0x10000);
	struct addr small = P("2001:db8::/126");
	assert_int_equal(addr_nth(&small, 3, &a), 0);
	assert_int_equal(addr_nth(&small, 4, &a), -ERANGE);
	struct addr other = P("2001:db8:2::5");
	assert_int_equal(addr_index(&p, &other, &n), -ERANGE);
	/* a /48: indexes above 64 bits are refused, below work */
	struct addr p48 = P("2001:db8::/48"), big = P("2001:db8:0:1::5");
	assert_int_equal(addr_index(&p48, &big, &n), -ERANGE);
	struct addr v4 = P("192.0.2.0/24"), h = P("192.0.2.9");
	assert_int_equal(addr_index(&v4, &h, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(addr_nth(&v4, 256, &a), -ERANGE);
	(void)st;
}

static void test_classes(void **st)
{
	struct addr a = P("::"), b = P("ff02::1"), c = P("127.0.0.1"), d = P("fe80::1"), e = P("224.0.0.1"), f = P("2001:db8::1");
	assert_true(addr_is_unspecified(&a));
	assert_true(addr_is_multicast(&b));
	assert_true(addr_is_multicast(&e));
	assert_true(addr_is_loopback(&c));
	assert_true(addr_is_link_local(&d));
	assert_false(addr_is_unspecified(&f) || addr_is_multicast(&f) || addr_is_loopback(&f) || addr_is_link_local(&f));
	struct addr g = P("2001:db8::1/64"), h = P("2001:db8::1/128");
	assert_true(addr_same_host(&g, &h));
	assert_false(addr_equal(&g, &h));
	(void)st;
}

static void test_mac(void **st)
{
	uint8_t m[6];
	char buf[18];

	assert_int_equal(mac_parse("02:FB:c0:00:16:0b", m), 0);
	assert_string_equal(mac_format(m, buf, sizeof(buf)), "02:fb:c0:00:16:0b");
	assert_int_equal(mac_parse("02:fb:c0:00:16", m), -EINVAL);
	assert_int_equal(mac_parse("02:fb:c0:00:16:0b:00", m), -EINVAL);
	assert_int_equal(mac_parse("02-fb-c0-00-16-0b", m), -EINVAL);
	assert_int_equal(mac_parse("0g:fb:c0:00:16:0b", m), -EINVAL);
	assert_int_equal(mac_parse("", m), -EINVAL);
	(void)st;
}

static void test_names(void **st)
{
	assert_true(model_ifname_ok("bridge0"));
	assert_true(model_ifname_ok("he-ipv6"));
	assert_true(model_ifname_ok("a23456789012345"));   /* 15 */
	assert_false(model_ifname_ok("a234567890123456")); /* 16 */
	assert_false(model_ifname_ok(""));
	assert_false(model_ifname_ok("x;rm -rf /"));
	assert_false(model_ifname_ok("-v"));
	assert_false(model_ifname_ok("a/b"));
	assert_false(model_ifname_ok(".."));
	assert_false(model_ifname_ok("ep air"));
	assert_true(model_jailname_ok("ClamAV_Dev"));
	assert_false(model_jailname_ok(".hidden"));
	assert_false(model_jailname_ok("x;rm -rf /"));
	assert_false(model_jailname_ok("$(reboot)"));
	char longname[70];
	memset(longname, 'j', 63); longname[63] = 0;
	assert_true(model_jailname_ok(longname));
	longname[63] = 'j'; longname[64] = 0;
	assert_false(model_jailname_ok(longname));
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_nth_index),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
