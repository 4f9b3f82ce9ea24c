/*
 * Unit tests of jail6.conf validation: one test per kind of error, each
 * asserting the exact "LINE:COL: message" and that no model comes out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

/* A valid tunnel and bridge (lines 1-12); tests append from line 13. */
#define BASE \
	"tunnel gif0 {\n"                       /*  1 */ \
	"\ttype = 6in4;\n"                      /*  2 */ \
	"\tremote = 72.52.104.74;\n"            /*  3 */ \
	"\tvia = 192.168.3.1;\n"                /*  4 */ \
	"\taddress = 2001:470:7:5d1::2/64;\n"   /*  5 */ \
	"\tpeer = 2001:470:7:5d1::1;\n"         /*  6 */ \
	"}\n"                                   /*  7 */ \
	"bridge bridge0 {\n"                    /*  8 */ \
	"\taddress = 2001:470:8142:1::1/64;\n"  /*  9 */ \
	"\tmembers = bge0;\n"                   /* 10 */ \
	"\ttunnel = gif0;\n"                    /* 11 */ \
	"}\n"                                   /* 12 */

/* Tunnel gif0 with the given body lines (line 1 is "tunnel gif0 {"). */
#define TUNNEL(body) "tunnel gif0 {\n" body "}\n"

/*
 * Parse text as "t.conf" and assert that it fails with exactly the given
 * errors, each "LINE:COL: message", in this order (NULL ends the list), and
 * that no model is produced.
 */
static void expect_errors(const char *text, ...)
{
	struct model m;
	struct conf_errors e = { 0 };
	const char *want[16];
	size_t n = 0;
	bool same;
	va_list ap;
	int r;

	va_start(ap, text);
	while (n < 16 && (want[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	memset(&m, 0xa5, sizeof(m)); /* must be reset even on failure */
	r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, &m, &e);
	same = r == -EINVAL && e.n == n;
	for (size_t i = 0; same && i < n; i++) {
		char got[1200];

		snprintf(got, sizeof(got), "%d:%d: %s", e.v[i].line, e.v[i].col, e.v[i].msg);
		same = strcmp(got, want[i]) == 0 && strcmp(e.v[i].file, "t.conf") == 0;
	}
	if (!same) {
		print_message("returned %d; expected %zu error(s), got:\n", r, n);
		for (size_t k = 0; k < e.n; k++)
			print_message("  %s:%d:%d: %s\n", e.v[k].file, e.v[k].line, e.v[k].col, e.v[k].msg);
		for (size_t k = 0; k < n; k++)
			print_message("  want %s\n", want[k]);
	}
	assert_true(same);
	assert_int_equal(m.n_tunnels + m.n_bridges + m.n_jails + m.n_files, 0);
	assert_null(m.tunnels);
	assert_null(m.bridges);
	assert_null(m.jails);
	assert_null(m.files);
	conf_errors_free(&e);
}

/* Assert text is valid (used to show that a boundary value is accepted). */
static void expect_ok(const char *text)
{
	struct model m;
	struct conf_errors e = { 0 };
	int r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, &m, &e);

	for (size_t k = 0; k < e.n; k++)
		print_message("  got %d:%d: %s\n", e.v[k].line, e.v[k].col, e.v[k].msg);
	assert_int_equal(r, 0);
	assert_int_equal(e.n, 0);
	model_free(&m);
}

/* 1. The BASE itself is valid, so each test below fails for its own reason. */
static void test_base_is_valid(void **state)
{
	(void)state;
	expect_ok(BASE);
	expect_ok(BASE "jail j { interface epair1 { bridge = bridge0; address = auto; } }\n");
}

/* 2. A bad IPv4 address is named with the key that holds it. */
static void test_bad_ipv4(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 72.52.104.300;\n"),
		      "3:11: tunnel 'gif0': remote: '72.52.104.300' is not an IPv4 address", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 2001:db8::1;\n"),
		      "3:11: tunnel 'gif0': remote: '2001:db8::1' is an IPv6 address, expected IPv4", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1/32;\n"),
		      "3:11: tunnel 'gif0': remote: '198.51.100.1/32' must not have a prefix length", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tlocal = nowhere;\n"),
		      "4:10: tunnel 'gif0': local: 'nowhere' is not an IPv4 address", NULL);
}

/* 3. Endpoint addresses that can never be a tunnel endpoint or gateway. */
static void test_unusable_addresses(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 224.0.0.1;\n\tlocal = 127.0.0.1;\n\tvia = 0.0.0.0;\n"),
		      "3:11: tunnel 'gif0': remote: 224.0.0.1 is a multicast address",
		      "4:10: tunnel 'gif0': local: 127.0.0.1 is a loopback address",
		      "5:8: tunnel 'gif0': via: 0.0.0.0 is the unspecified address", NULL);
}

/* 4. IPv6 addresses: prefix length missing or out of range. */
static void test_bad_ipv6_and_prefix(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\taddress = 2001:db8:ffff::2;\n"),
		      "4:12: tunnel 'gif0': address: '2001:db8:ffff::2' needs a prefix length, e.g. '2001:db8:ffff::2/64'",
		      NULL);
	expect_errors("bridge b0 {\n\taddress = 2001:db8::1/129;\n}\n",
		      "2:12: bridge 'b0': address: '2001:db8::1/129' has a bad prefix length (0..128)", NULL);
	expect_errors("bridge b0 {\n\taddress = 2001:db8::1/64, 2001:db8:::2/64;\n}\n",
		      "2:28: bridge 'b0': address: '2001:db8:::2/64' is not an IPv4 or IPv6 address", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tpeer = 192.0.2.1;\n"),
		      "4:9: tunnel 'gif0': peer: '192.0.2.1' is an IPv4 address, expected IPv6", NULL);
}

/* 5. via must be the gateway, not the broker itself. */
static void test_via_equals_remote(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tvia = 198.51.100.1;\n"),
		      "4:8: tunnel 'gif0': via 198.51.100.1 is the remote address itself; via is the gateway towards it",
		      NULL);
}

/* 6. MTU and TTL ranges, bounds included. */
static void test_mtu_ttl(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = 1500;\n\tttl = 0;\n"),
		      "4:8: tunnel 'gif0': mtu 1500 is out of range (1280..1480)",
		      "5:8: tunnel 'gif0': ttl 0 is out of range (1..255)", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = 1279;\n\tttl = 256;\n"),
		      "4:8: tunnel 'gif0': mtu 1279 is out of range (1280..1480)",
		      "5:8: tunnel 'gif0': ttl 256 is out of range (1..255)", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = 1.5k;\n\tttl = -1;\n"),
		      "4:8: tunnel 'gif0': mtu: '1.5k' is not a number",
		      "5:8: tunnel 'gif0': ttl: '-1' is not a number", NULL);
	expect_ok(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = 1280;\n\tttl = 255;\n"));
	expect_ok(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = 1480;\n\tttl = 1;\n"));
}

/* 7. Unknown tunnel type and datapath. */
static void test_unknown_type_and_datapath(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = gre;\n\tremote = 198.51.100.1;\n\tdatapath = turbo;\n"),
		      "2:9: tunnel 'gif0': unknown type 'gre' (the only type is 6in4)",
		      "4:13: tunnel 'gif0': unknown datapath 'turbo' (expected auto, kernel, userspace or ebpf)", NULL);
}

/* 8. The broker's IPv6 must sit inside the tunnel's own prefix. */
static void test_peer_outside_prefix(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n"
			     "\taddress = 2001:db8:ffff::2/64;\n\tpeer = 2001:db8:fffe::1;\n"),
		      "5:9: tunnel 'gif0': peer 2001:db8:fffe::1 is outside the tunnel prefix 2001:db8:ffff::/64",
		      NULL);
}

/* 9. Missing required keys are reported at the block's name. */
static void test_missing_required_keys(void **state)
{
	(void)state;
	expect_errors("tunnel t {\n}\nbridge b {\n}\n",
		      "1:8: tunnel 't': missing required key 'type'",
		      "1:8: tunnel 't': missing required key 'remote'",
		      "3:8: bridge 'b': missing required key 'address'", NULL);
	expect_errors(BASE "jail j {\n\tinterface e1 { address = auto; }\n\troute default { }\n}\n",
		      "14:12: jail 'j': interface 'e1': missing required key 'bridge'",
		      "15:8: jail 'j': route default: missing required key 'via'", NULL);
}

/* 10. Unknown keys, with a suggestion from the keys of that block only. */
static void test_unknown_keys(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tremot = 1.2.3.4;\n\tcolour = red;\n"),
		      "4:2: tunnel 'gif0': unknown key 'remot'; did you mean 'remote'?",
		      "5:2: tunnel 'gif0': unknown key 'colour'", NULL);
	expect_errors("bridge b {\n\taddress = 2001:db8::1/64;\n\tmember = bge0;\n\tremote = x;\n}\n",
		      "3:2: bridge 'b': unknown key 'member'; did you mean 'members'?",
		      "4:2: bridge 'b': unknown key 'remote'", NULL);
	expect_errors("jail j {\n\thostnmae = x;\n}\nfoo = bar;\n",
		      "2:2: jail 'j': unknown key 'hostnmae'; did you mean 'hostname'?",
		      "4:1: unknown key 'foo' at the top level; expected a tunnel, bridge or jail block, or include",
		      NULL);
}

/* 11. Unknown blocks, and keys and blocks used one for the other. */
static void test_unknown_blocks(void **state)
{
	(void)state;
	expect_errors("tunel t {\n}\nvlan v { }\n",
		      "1:1: unknown block 'tunel'; did you mean 'tunnel'?",
		      "3:1: unknown block 'vlan'", NULL);
	expect_errors("jail j {\n\tinterfce e1 { }\n\thostname h { }\n\tinterface = e1;\n}\n",
		      "2:2: jail 'j': unknown block 'interfce'; did you mean 'interface'?",
		      "3:2: jail 'j': 'hostname' is a key, not a block: write 'hostname = VALUE;'",
		      "4:2: jail 'j': 'interface' is a block, not a key: interface NAME { ... }", NULL);
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\troute default { }\n"),
		      "4:2: tunnel 'gif0': unknown block 'route'", NULL);
}

/* 12. Keys that may not repeat, and single-valued keys given a list. */
static void test_duplicate_keys_and_lists(void **state)
{
	(void)state;
	expect_errors(TUNNEL("\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tremote = 198.51.100.2;\n"
			     "\tmtu = 1400, 1300;\n"),
		      "4:2: tunnel 'gif0': duplicate key 'remote' (first set on line 3)",
		      "5:14: tunnel 'gif0': 'mtu' takes a single value, found 2", NULL);
	/* address may repeat in a bridge and in an interface. */
	expect_ok("bridge b {\n\taddress = 2001:db8::1/64;\n\taddress = 2001:db8:1::1/64, 192.0.2.1/24;\n}\n"
		  "jail j { interface e1 { bridge = b; address = 2001:db8::2/64; address = auto, auto; } }\n");
}

/* 13. The message of the seed's own mistake: a jail address outside the bridge prefix. */
static void test_address_outside_bridge_prefix(void **state)
{
	(void)state;
	expect_errors(BASE
		      "jail ClamAV_Dev {\n"
		      "\tinterface epair1 {\n"
		      "\t\tbridge = bridge0;\n"
		      "\t\taddress = 2001:470:8142:2::3/64;\n"
		      "\t}\n"
		      "}\n",
		      "16:13: jail 'ClamAV_Dev': interface 'epair1': address 2001:470:8142:2::3/64 is outside "
		      "bridge 'bridge0' prefix 2001:470:8142:1::/64", NULL);
	expect_errors(BASE "jail j { interface e1 { bridge = bridge0; address = 192.0.2.3/24; } }\n",
		      "13:53: jail 'j': interface 'e1': address 192.0.2.3/24: bridge 'bridge0' has no IPv4 address",
		      NULL);
	expect_errors("bridge b {\n\taddress = 2001:db8:1::1/64, 2001:db8:2::1/64;\n}\n"
		      "jail j { interface e1 { bridge = b; address = 2001:db8:3::1/64; } }\n",
		      "4:47: jail 'j': interface 'e1': address 2001:db8:3::1/64 is outside bridge 'b' prefixes "
		      "2001:db8:1::/64, 2001:db8:2::/64", NULL);
}

/* 14. Two objects of one kind with the same name. */
static void test_duplicate_names(void **state)
{
	(void)state;
	expect_errors(BASE "tunnel gif0 { type = 6in4; remote = 198.51.100.1; }\n"
		      "bridge bridge0 { address = 2001:db8::1/64; }\n"
		      "jail a { }\njail a { }\n",
		      "13:8: duplicate tunnel 'gif0' (first defined at t.conf:1:8)",
		      "14:8: duplicate bridge 'bridge0' (first defined at t.conf:8:8)",
		      "16:6: duplicate jail 'a' (first defined at t.conf:15:6)", NULL);
	/* Interface names are global across jails. */
	expect_errors(BASE "jail a { interface e1 { bridge = bridge0; } }\n"
		      "jail b { interface e1 { bridge = bridge0; } }\n",
		      "14:20: duplicate interface 'e1' (first defined at t.conf:13:20)", NULL);
}

/* 15. Interface names share one namespace with bridges, tunnels, members and epair ends. */
static void test_name_clashes(void **state)
{
	(void)state;
	expect_errors(BASE "bridge gif0 { address = 2001:db8::1/64; }\n",
		      "13:8: bridge 'gif0' clashes with tunnel 'gif0' (defined at t.conf:1:8)", NULL);
	expect_errors(BASE "jail a { interface bridge0 { bridge = bridge0; } }\n",
		      "13:20: jail 'a': interface 'bridge0' clashes with bridge 'bridge0' (defined at t.conf:8:8)",
		      NULL);
	expect_errors(BASE "jail a { interface e { bridge = bridge0; } interface ea { bridge = bridge0; } }\n",
		      "13:54: jail 'a': interface 'ea' clashes with jail 'a': interface 'e': epair end 'ea' "
		      "(defined at t.conf:13:20)", NULL);
	expect_errors(BASE "bridge b1 { address = 2001:db8::1/64; members = epair1a, gif0; }\n"
		      "jail a { interface epair1 { bridge = bridge0; } }\n",
		      "13:58: bridge 'b1': member 'gif0' clashes with tunnel 'gif0' (defined at t.conf:1:8)",
		      "14:20: jail 'a': interface 'epair1': epair end 'epair1a' clashes with bridge 'b1': "
		      "member 'epair1a' (defined at t.conf:13:49)", NULL);
}

/* 16. A member listed twice, or in two bridges. */
static void test_members(void **state)
{
	(void)state;
	expect_errors(BASE "bridge b1 { address = 2001:db8::1/64; members = em0, em0, bge0; }\n",
		      "13:54: bridge 'b1': member 'em0' is listed twice",
		      "13:59: bridge 'b1': member 'bge0' is already a member of bridge 'bridge0' (defined at t.conf:10:12)",
		      NULL);
}

/* 17. Names: too long, bad characters, leading '-' (and '.' for jails). */
static void test_bad_names(void **state)
{
	(void)state;
	expect_errors("tunnel abcdefghijklmnop { type = 6in4; remote = 198.51.100.1; }\n",
		      "1:8: tunnel name 'abcdefghijklmnop' is too long (16 characters, at most 15)", NULL);
	expect_errors(BASE "jail j { interface abcdefghijklmno { bridge = bridge0; } }\n",
		      "13:20: jail 'j': interface name 'abcdefghijklmno' is too long (15 characters, at most 14: "
		      "jail6 appends 'a' and 'b' for the epair ends)", NULL);
	expect_errors("jail \"x;rm -rf /\" { }\njail \"../x\" { }\njail -v { }\njail .hidden { }\n",
		      "1:6: jail name 'x;rm -rf /' is not valid: use letters, digits, '_', '.' and '-', not starting with '-' or '.'",
		      "2:6: jail name '../x' is not valid: use letters, digits, '_', '.' and '-', not starting with '-' or '.'",
		      "3:6: jail name '-v' is not valid: use letters, digits, '_', '.' and '-', not starting with '-' or '.'",
		      "4:6: jail name '.hidden' is not valid: use letters, digits, '_', '.' and '-', not starting with '-' or '.'",
		      NULL);
	expect_errors("jail a234567890123456789012345678901234567890123456789012345678901234 { }\n",
		      "1:6: jail name 'a234567890123456789012345678901234567890123456789012345678901234' is too long "
		      "(64 characters, at most 63)", NULL);
	expect_errors("bridge b { address = 2001:db8::1/64; members = -v, \"\"; }\n",
		      "1:48: bridge 'b': member name '-v' is not valid: use letters, digits, '_', '.' and '-', not starting with '-'",
		      "1:52: bridge 'b': member name is empty", NULL);
	/* Within the limits, '.' and '_' are fine in interface names. */
	expect_ok("bridge br_0.1 { address = 2001:db8::1/64; members = eth0.100; }\n"
		  "jail a.b-c_d { interface abcdefghijklmn { bridge = br_0.1; } }\n");
}

/* 18. References to bridges and tunnels that do not exist. */
static void test_undefined_references(void **state)
{
	(void)state;
	expect_errors(BASE "bridge b1 { address = 2001:db8::1/64; tunnel = gif1; }\n"
		      "jail j { interface e1 { bridge = brdge0; } interface e2 { bridge = nothere; } }\n",
		      "13:48: bridge 'b1': tunnel 'gif1' is not defined; did you mean 'gif0'?",
		      "14:34: jail 'j': interface 'e1': bridge 'brdge0' is not defined; did you mean 'bridge0'?",
		      "14:68: jail 'j': interface 'e2': bridge 'nothere' is not defined", NULL);
}

/* 19. One address on two objects. */
static void test_duplicate_addresses(void **state)
{
	(void)state;
	expect_errors(BASE "jail a { interface e1 { bridge = bridge0; address = 2001:470:8142:1::1/64; } }\n"
		      "jail b { interface e2 { bridge = bridge0; address = 2001:470:8142:1::3/64, 2001:470:8142:1::3/64; } }\n"
		      "jail c { interface e3 { bridge = bridge0; address = 2001:470:8142:1::3/64; } }\n",
		      "13:53: jail 'a': interface 'e1': address 2001:470:8142:1::1 is already used by bridge 'bridge0' (t.conf:9:12)",
		      "14:76: jail 'b': interface 'e2': address 2001:470:8142:1::3 is listed twice",
		      "15:53: jail 'c': interface 'e3': address 2001:470:8142:1::3 is already used by jail 'b': "
		      "interface 'e2' (t.conf:14:53)", NULL);
}

/* 20. MACs: syntax, multicast, all zeroes, used twice. */
static void test_macs(void **state)
{
	(void)state;
	expect_errors(BASE
		      "jail a {\n"
		      "\tinterface e1 { bridge = bridge0; mac = 02:00:00:00:00:01; }\n"
		      "\tinterface e2 { bridge = bridge0; mac = 02:00:00:00:00:01; }\n"
		      "\tinterface e3 { bridge = bridge0; mac = 01:00:5e:00:00:01; }\n"
		      "\tinterface e4 { bridge = bridge0; mac = 00:00:00:00:00:00; }\n"
		      "\tinterface e5 { bridge = bridge0; mac = 02:00:00:00:00; }\n"
		      "}\n",
		      "15:41: jail 'a': interface 'e2': mac 02:00:00:00:00:01 is already used by jail 'a': interface 'e1' (t.conf:14:41)",
		      "16:41: jail 'a': interface 'e3': mac 01:00:5e:00:00:01 is a multicast address (the first byte must be even)",
		      "17:41: jail 'a': interface 'e4': mac 00:00:00:00:00:00 is all zeroes",
		      "18:41: jail 'a': interface 'e5': mac: '02:00:00:00:00' is not a MAC address (xx:xx:xx:xx:xx:xx)",
		      NULL);
}

/* 21. Routes: gateway family, host bits, bad destination, duplicates. */
static void test_routes(void **state)
{
	(void)state;
	expect_errors("jail j {\n"
		      "\troute default { via = 192.0.2.1; }\n"
		      "\troute default4 { via = 2001:db8::1; }\n"
		      "\troute 2001:db8::1/48 { via = fe80::1; }\n"
		      "\troute nonsense { via = fe80::1; }\n"
		      "\troute 2001:db8::/32 { via = fe80::1; }\n"
		      "\troute 2001:db8::/32 { via = fe80::2; }\n"
		      "}\n",
		      "2:24: jail 'j': route default: via 192.0.2.1 is an IPv4 address but the destination is IPv6",
		      "3:25: jail 'j': route default4: via 2001:db8::1 is an IPv6 address but the destination is IPv4",
		      "4:8: jail 'j': route 2001:db8::1/48: host bits are set; did you mean 2001:db8::/48?",
		      "5:8: jail 'j': route: 'nonsense' is not an IPv4 or IPv6 address",
		      "7:8: jail 'j': duplicate route 2001:db8::/32 (first on line 6)", NULL);
}

/* 22. A bridge must carry IPv6; IPv4 alone is not enough. */
static void test_bridge_needs_ipv6(void **state)
{
	(void)state;
	expect_errors("bridge b {\n\taddress = 192.0.2.1/24;\n}\n",
		      "1:8: bridge 'b': needs at least one IPv6 address (address = PREFIX/LEN)", NULL);
}

/* 23. Two bridges on overlapping prefixes would fight over the routes. */
static void test_bridge_prefix_overlap(void **state)
{
	(void)state;
	expect_errors("bridge b1 { address = 2001:db8::1/48; }\nbridge b2 { address = 2001:db8:0:1::1/64; }\n",
		      "2:23: bridge 'b2': prefix 2001:db8:0:1::/64 overlaps bridge 'b1' prefix 2001:db8::/48", NULL);
}

/* 24. Host names (RFC 1123) and jail root paths. */
static void test_hostname_and_path(void **state)
{
	(void)state;
	expect_errors("jail a { hostname = \"-bad\"; }\njail b { hostname = \"a..b\"; }\n"
		      "jail c { hostname = x_y; }\njail d { path = \"jails/d\"; }\n"
		      "jail e { path = \"/jails/../etc\"; }\njail f { path = /jails/f/..; }\n",
		      "1:21: jail 'a': hostname '-bad' is not valid: a label starts with '-'",
		      "2:21: jail 'b': hostname 'a..b' is not valid: it has an empty label",
		      "3:21: jail 'c': hostname 'x_y' is not valid: only letters, digits, '-' and '.' are allowed",
		      "4:17: jail 'd': path 'jails/d' must be an absolute path",
		      "5:17: jail 'e': path '/jails/../etc' must not contain '..' components",
		      "6:17: jail 'f': path '/jails/f/..' must not contain '..' components", NULL);
	expect_ok("jail a { hostname = clamav-dev.example.org; path = \"/jails/a..b/x\"; }\n");
}

/* 25. Booleans and exec argv. */
static void test_booleans_and_exec(void **state)
{
	(void)state;
	expect_errors("bridge b { address = 2001:db8::1/64; adopt = maybe; }\n"
		      "jail j { autostart = 2; exec.start = \"\", \"x\"; }\n",
		      "1:46: bridge 'b': adopt: 'maybe' is not a boolean (use yes or no)",
		      "2:22: jail 'j': autostart: '2' is not a boolean (use yes or no)",
		      "2:38: jail 'j': exec.start: the program (first value) is empty", NULL);
}

/* 26. All errors of a file in one pass, ordered by position. */
static void test_all_errors_sorted(void **state)
{
	(void)state;
	expect_errors("jail j { interface e1 { bridge = nope; } }\n"
		      "bridge b { address = 2001:db8::1/64; adopt = perhaps; }\n"
		      "tunnel t { type = 6in4; remote = 1.2.3; }\n",
		      "1:34: jail 'j': interface 'e1': bridge 'nope' is not defined",
		      "2:46: bridge 'b': adopt: 'perhaps' is not a boolean (use yes or no)",
		      "3:34: tunnel 't': remote: '1.2.3' is not an IPv4 address", NULL);
}

/* 27. The cap on the number of errors. */
static void test_error_cap(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };
	char *text = malloc(200 * 16);
	size_t o = 0;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 200; i++)
		o += (size_t)sprintf(text + o, "x%d = 1;\n", i);
	assert_int_equal(conf_parse_buffer("t.conf", text, o, CONF_F_NO_INCLUDE, &m, &e), -EINVAL);
	assert_int_equal(e.n, CONF_MAX_ERRORS + 1);
	assert_int_equal(e.v[99].line, 100);
	assert_int_equal(e.v[CONF_MAX_ERRORS].line, 0);
	assert_string_equal(e.v[CONF_MAX_ERRORS].msg, "too many errors; stopped after 100");
	conf_errors_free(&e);
	free(text);
}

/* Lines 2-3 of a tunnel that is valid so far; the tests below go on at line 4. */
#define TB "\ttype = 6in4;\n\tremote = 198.51.100.1;\n"

/* 28. role: client or broker; routed only on a broker, which needs a peer. */
static void test_role_and_routed(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\trole = brokr;\n\trouted = 2001:db8:1::/64;\n"),
		      "4:9: tunnel 'gif0': unknown role 'brokr' (expected client or broker)", NULL);
	expect_errors(TUNNEL(TB "\trouted = 2001:db8:1::/64;\n"),
		      "4:2: tunnel 'gif0': routed is only for role = broker (a client's prefixes are routed to it by the broker)",
		      NULL);
	expect_errors(TUNNEL(TB "\trole = client;\n\trouted = 2001:db8:1::/64;\n"),
		      "5:2: tunnel 'gif0': routed is only for role = broker (a client's prefixes are routed to it by the broker)",
		      NULL);
	expect_errors(TUNNEL(TB "\trole = broker;\n\trouted = 2001:db8:1::/64;\n"),
		      "5:2: tunnel 'gif0': routed needs peer: the broker routes each prefix to the client's address", NULL);
	/* a broker without routed prefixes, and a client without, are fine */
	expect_ok(TUNNEL(TB "\trole = broker;\n\tpeer = 2001:db8:ffff::2;\n"));
	expect_ok(TUNNEL(TB "\trole = client;\n"));
	expect_ok(TUNNEL(TB "\trole = broker;\n\taddress = 2001:db8:ffff::1/64;\n\tpeer = 2001:db8:ffff::2;\n"
			 "\trouted = 2001:db8:1::/64, 2001:db8:100::/48;\n\trouted = 2001:db8:2::1/128;\n"));
}

/* 29. routed values: IPv6 prefixes with a length and clear host bits, not
 * the default route nor multicast or link-local, no overlaps. */
static void test_routed_values(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\trole = broker;\n\tpeer = 2001:db8:ffff::2;\n"
			     "\trouted = 192.0.2.0/24, 2001:db8:1::, 2001:db8:1::1/64;\n"),
		      "6:11: tunnel 'gif0': routed: '192.0.2.0/24' is an IPv4 address, expected IPv6",
		      "6:25: tunnel 'gif0': routed: '2001:db8:1::' needs a prefix length, e.g. '2001:db8:1::/64'",
		      "6:39: tunnel 'gif0': routed 2001:db8:1::1/64: host bits are set; did you mean 2001:db8:1::/64?",
		      NULL);
	expect_errors(TUNNEL(TB "\trole = broker;\n\tpeer = 2001:db8:ffff::2;\n"
			     "\trouted = ::/0, ff02::/16, fe80::/64, 2001:db8:1::/129;\n"),
		      "6:11: tunnel 'gif0': routed ::/0 is the default route; list the prefixes the broker routes to its client",
		      "6:17: tunnel 'gif0': routed ff02::/16 is a multicast prefix",
		      "6:28: tunnel 'gif0': routed fe80::/64 is a link-local prefix",
		      "6:39: tunnel 'gif0': routed: '2001:db8:1::/129' has a bad prefix length (0..128)", NULL);
	expect_errors(TUNNEL(TB "\trole = broker;\n\taddress = 2001:db8:ffff::1/64;\n\tpeer = 2001:db8:ffff::2;\n"
			     "\trouted = 2001:db8:ff00::/40, 2001:db8:1::/64;\n"
			     "\trouted = 2001:db8:1::/64, 2001:db8:1:0:8000::/65, 2001:db8::/32;\n"),
		      "7:11: tunnel 'gif0': routed 2001:db8:ff00::/40 overlaps the tunnel prefix 2001:db8:ffff::/64",
		      "8:11: tunnel 'gif0': routed 2001:db8:1::/64 is listed twice",
		      "8:28: tunnel 'gif0': routed 2001:db8:1:0:8000::/65 overlaps routed 2001:db8:1::/64",
		      "8:52: tunnel 'gif0': routed 2001:db8::/32 overlaps the tunnel prefix 2001:db8:ffff::/64", NULL);
}

/* 30. update_url: http:// or https:// with a host, no blanks. */
static void test_update_url(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\tupdate_url = \"ftp://h.example/nic/update\";\n"),
		      "4:15: tunnel 'gif0': update_url 'ftp://h.example/nic/update' must start with http:// or https://",
		      NULL);
	expect_errors(TUNNEL(TB "\tupdate_url = \"https:///nic/update\";\n"),
		      "4:15: tunnel 'gif0': update_url 'https:///nic/update' has no host", NULL);
	expect_errors(TUNNEL(TB "\tupdate_url = \"http://h.example/nic update\";\n"),
		      "4:15: tunnel 'gif0': update_url 'http://h.example/nic update' must not contain spaces or control characters",
		      NULL);
	expect_errors(TUNNEL(TB "\tupdate_url = \"\";\n"), "4:15: tunnel 'gif0': update_url is empty", NULL);
	expect_ok(TUNNEL(TB "\tupdate_url = \"http://127.0.0.1:8080/nic/update?v=1\";\n"));
	/* unquoted, '//' starts a comment: the value is cut and said so */
	expect_errors(TUNNEL(TB "\tupdate_url = https://ipv4.tunnelbroker.net/nic/update;\n\t;\n"),
		      "4:15: tunnel 'gif0': update_url 'https:' is cut short: write the URL in double quotes ('//' starts a comment)",
		      NULL);
}

/* 31. tunnel_id and user: printable ASCII, no spaces; no ':' in a user. */
static void test_tunnel_id_and_user(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\ttunnel_id = \"12 34\";\n\tuser = \"a:b\";\n"),
		      "4:14: tunnel 'gif0': tunnel_id '12 34' must not contain spaces",
		      "5:9: tunnel 'gif0': user 'a:b' must not contain ':' (it ends the user name in HTTP basic authentication)",
		      NULL);
	expect_errors(TUNNEL(TB "\ttunnel_id = \"\";\n\tuser = \"tab\\there\";\n"),
		      "4:14: tunnel 'gif0': tunnel_id is empty",
		      "5:9: tunnel 'gif0': user 'tab\\x09here' must not contain control characters", NULL);
	expect_errors(TUNNEL(TB "\tuser = \"j\xc3\xbcrgen\";\n"),
		      "4:9: tunnel 'gif0': user 'j\\xc3\\xbcrgen' must be printable ASCII", NULL);
	/* a tunnel id may be a host name, and may contain ':' */
	expect_ok(TUNNEL(TB "\ttunnel_id = \"tunnel1234.tunnelbroker.net\";\n\tuser = \"alice_42\";\n"));
	expect_ok(TUNNEL(TB "\ttunnel_id = 1234;\n\tuser = \"alice@example.org\";\n"));
}

/* 32. update_key_file: an absolute path without '..' or control characters. */
static void test_update_key_file(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\tupdate_key_file = he.key;\n"),
		      "4:20: tunnel 'gif0': update_key_file 'he.key' must be an absolute path", NULL);
	expect_errors(TUNNEL(TB "\tupdate_key_file = \"/etc/jail6/../shadow\";\n"),
		      "4:20: tunnel 'gif0': update_key_file '/etc/jail6/../shadow' must not contain '..' components", NULL);
	expect_errors(TUNNEL(TB "\tupdate_key_file = \"/etc/he\\n.key\";\n"),
		      "4:20: tunnel 'gif0': update_key_file '/etc/he\\x0a.key' must not contain control characters", NULL);
	expect_ok(TUNNEL(TB "\tupdate_key_file = /etc/jail6/he.key;\n"));
}

/* 33. myip: an IPv4 address that can be an endpoint, or auto. */
static void test_myip(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\tmyip = 2001:db8::1;\n"),
		      "4:9: tunnel 'gif0': myip: '2001:db8::1' is an IPv6 address, expected IPv4", NULL);
	expect_errors(TUNNEL(TB "\tmyip = dynamic;\n"),
		      "4:9: tunnel 'gif0': myip: 'dynamic' is not an IPv4 address", NULL);
	expect_errors(TUNNEL(TB "\tmyip = 127.0.0.1;\n"),
		      "4:9: tunnel 'gif0': myip: 127.0.0.1 is a loopback address", NULL);
	expect_errors(TUNNEL(TB "\tmyip = 203.0.113.2/24;\n"),
		      "4:9: tunnel 'gif0': myip: '203.0.113.2/24' must not have a prefix length", NULL);
	expect_ok(TUNNEL(TB "\tmyip = auto;\n"));
	expect_ok(TUNNEL(TB "\tmyip = 203.0.113.2;\n"));
}

/* 34. The new keys follow the block rules: single values, no repeats, suggestions. */
static void test_update_keys_block_rules(void **state)
{
	(void)state;
	expect_errors(TUNNEL(TB "\ttunnel_id = 1, 2;\n\tuser = a;\n\tuser = b;\n\tupdate_ulr = \"http://h\";\n"
			     "\tmyip = auto, 203.0.113.2;\n"),
		      "4:17: tunnel 'gif0': 'tunnel_id' takes a single value, found 2",
		      "6:2: tunnel 'gif0': duplicate key 'user' (first set on line 5)",
		      "7:2: tunnel 'gif0': unknown key 'update_ulr'; did you mean 'update_url'?",
		      "8:15: tunnel 'gif0': 'myip' takes a single value, found 2", NULL);
	/* a tunnel dropped for its name still frees its strings and prefixes
	 * (checked under ASan by make sanitize) */
	expect_errors("tunnel -he { type = 6in4; remote = 198.51.100.1; role = broker; peer = 2001:db8::2;\n"
		      "\trouted = 2001:db8:1::/64; update_url = \"http://h\"; tunnel_id = 1; user = u;\n"
		      "\tupdate_key_file = /k; }\n",
		      "1:8: tunnel name '-he' is not valid: use letters, digits, '_', '.' and '-', not starting with '-'",
		      NULL);
}

/* Parse text, which must be valid, into *m (the caller frees it). */
static void parse_ok(const char *text, struct model *m)
{
	struct conf_errors e = { 0 };
	int r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, m, &e);

	for (size_t k = 0; k < e.n; k++)
		print_message("  got %d:%d: %s\n", e.v[k].line, e.v[k].col, e.v[k].msg);
	assert_int_equal(r, 0);
	assert_int_equal(e.n, 0);
}

/* 35. Confinement defaults: confined, jail6's init, no limits, nothing
 * allowed, stop.timeout 10 s, no id range yet. */
static void test_confine_defaults(void **state)
{
	struct model m;

	(void)state;
	parse_ok("jail j { }\n", &m);
	assert_true(m.jails[0].confine);
	assert_null(m.jails[0].init);
	assert_int_equal(m.jails[0].limits.memory, 0);
	assert_int_equal(m.jails[0].limits.pids, 0);
	assert_int_equal(m.jails[0].limits.cpu_weight, 0);
	assert_int_equal(m.jails[0].allow, 0);
	assert_int_equal(m.jails[0].stop_timeout, 10);
	assert_int_equal(m.jails[0].idmap.count, 0);
	model_free(&m);
	parse_ok("jail j { confine = no; stop.timeout = 0; }\n", &m);
	assert_false(m.jails[0].confine);
	assert_int_equal(m.jails[0].stop_timeout, 0);
	model_free(&m);
	expect_errors("jail j { confine = maybe; }\n",
		      "1:20: jail 'j': confine: 'maybe' is not a boolean (use yes or no)", NULL);
}

/* 36. init: one absolute path inside the jail. */
static void test_init(void **state)
{
	struct model m;

	(void)state;
	parse_ok("jail j { path = /jails/j; init = \"/sbin/init\"; }\n", &m);
	assert_string_equal(m.jails[0].init, "/sbin/init");
	model_free(&m);
	expect_errors("jail j { init = sbin/init; }\njail k { init = \"/a/../b\"; }\n"
		      "jail l { init = /a, /b; }\n",
		      "1:17: jail 'j': init 'sbin/init' must be an absolute path",
		      "2:17: jail 'k': init '/a/../b' must not contain '..' components",
		      "3:21: jail 'l': 'init' takes a single value, found 2", NULL);
}

/* 37. limit.memory: binary units, 4M..1T. */
static void test_limit_memory(void **state)
{
	static const struct { const char *text; uint64_t bytes; } good[] = {
		{ "4M", UINT64_C(4) << 20 }, { "4m", UINT64_C(4) << 20 }, { "4096K", UINT64_C(4) << 20 },
		{ "4194304", UINT64_C(4) << 20 }, { "1G", UINT64_C(1) << 30 }, { "1T", UINT64_C(1) << 40 },
		{ "1024G", UINT64_C(1) << 40 }, { "1099511627776", UINT64_C(1) << 40 },
		{ "512M", UINT64_C(512) << 20 },
	};
	char text[128];
	struct model m;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "jail j { limit.memory = %s; }\n", good[i].text);
		parse_ok(text, &m);
		assert_true(m.jails[0].limits.memory == good[i].bytes);
		model_free(&m);
	}
	expect_errors("jail a { limit.memory = 4194303; }\njail b { limit.memory = 4095K; }\n"
		      "jail c { limit.memory = 1025G; }\njail d { limit.memory = 2T; }\n"
		      "jail e { limit.memory = 9999999999999T; }\njail f { limit.memory = 0; }\n",
		      "1:25: jail 'a': limit.memory 4194303 is out of range (4M..1T)",
		      "2:25: jail 'b': limit.memory 4095K is out of range (4M..1T)",
		      "3:25: jail 'c': limit.memory 1025G is out of range (4M..1T)",
		      "4:25: jail 'd': limit.memory 2T is out of range (4M..1T)",
		      "5:25: jail 'e': limit.memory 9999999999999T is out of range (4M..1T)",
		      "6:25: jail 'f': limit.memory 0 is out of range (4M..1T)", NULL);
	expect_errors("jail a { limit.memory = 64MB; }\njail b { limit.memory = 64X; }\n"
		      "jail c { limit.memory = M; }\njail d { limit.memory = \"64 M\"; }\n"
		      "jail e { limit.memory = 12345678901234; }\njail f { limit.memory = -1G; }\n",
		      "1:25: jail 'a': limit.memory: '64MB' is not a size (a number of bytes, or with a K, M, G or T suffix: binary units)",
		      "2:25: jail 'b': limit.memory: '64X' is not a size (a number of bytes, or with a K, M, G or T suffix: binary units)",
		      "3:25: jail 'c': limit.memory: 'M' is not a size (a number of bytes, or with a K, M, G or T suffix: binary units)",
		      "4:25: jail 'd': limit.memory: '64 M' is not a size (a number of bytes, or with a K, M, G or T suffix: binary units)",
		      "5:25: jail 'e': limit.memory 12345678901234 is out of range (4M..1T)",
		      "6:25: jail 'f': limit.memory: '-1G' is not a size (a number of bytes, or with a K, M, G or T suffix: binary units)",
		      NULL);
}

/* 38. limit.pids 1..4194304 and limit.cpu_weight 1..10000. */
static void test_limit_pids_cpu(void **state)
{
	struct model m;

	(void)state;
	parse_ok("jail a { limit.pids = 1; limit.cpu_weight = 1; }\n"
		 "jail b { limit.pids = 4194304; limit.cpu_weight = 10000; }\n", &m);
	assert_int_equal(m.jails[0].limits.pids, 1);
	assert_int_equal(m.jails[0].limits.cpu_weight, 1);
	assert_int_equal(m.jails[1].limits.pids, 4194304);
	assert_int_equal(m.jails[1].limits.cpu_weight, 10000);
	model_free(&m);
	expect_errors("jail a { limit.pids = 0; limit.cpu_weight = 0; }\n"
		      "jail b { limit.pids = 4194305; limit.cpu_weight = 10001; }\n"
		      "jail c { limit.pids = 100k; limit.cpu_weight = 1.5; }\n",
		      "1:23: jail 'a': limit.pids 0 is out of range (1..4194304)",
		      "1:45: jail 'a': limit.cpu_weight 0 is out of range (1..10000)",
		      "2:23: jail 'b': limit.pids 4194305 is out of range (1..4194304)",
		      "2:51: jail 'b': limit.cpu_weight 10001 is out of range (1..10000)",
		      "3:23: jail 'c': limit.pids: '100k' is not a number",
		      "3:48: jail 'c': limit.cpu_weight: '1.5' is not a number", NULL);
}

/* 39. allow.net_admin and allow.raw_sockets: booleans, bits of allow. */
static void test_allow(void **state)
{
	struct model m;

	(void)state;
	parse_ok("jail a { allow.net_admin = yes; allow.raw_sockets = no; }\n"
		 "jail b { allow.raw_sockets = on; }\n"
		 "jail c { allow.net_admin = true; allow.raw_sockets = true; }\n", &m);
	assert_int_equal(m.jails[0].allow, MODEL_ALLOW_NET_ADMIN);
	assert_int_equal(m.jails[1].allow, MODEL_ALLOW_RAW_SOCKETS);
	assert_int_equal(m.jails[2].allow, MODEL_ALLOW_NET_ADMIN | MODEL_ALLOW_RAW_SOCKETS);
	model_free(&m);
	expect_errors("jail a { allow.net_admin = 1; }\njail b { allow.mount = yes; }\n",
		      "1:28: jail 'a': allow.net_admin: '1' is not a boolean (use yes or no)",
		      "2:10: jail 'b': unknown key 'allow.mount'", NULL);
}

/* 40. stop.timeout: seconds 0..3600, a plain number or with 's'. */
static void test_stop_timeout(void **state)
{
	struct model m;

	(void)state;
	parse_ok("jail a { stop.timeout = 0; }\njail b { stop.timeout = 30s; }\n"
		 "jail c { stop.timeout = 3600; }\n", &m);
	assert_int_equal(m.jails[0].stop_timeout, 0);
	assert_int_equal(m.jails[1].stop_timeout, 30);
	assert_int_equal(m.jails[2].stop_timeout, 3600);
	model_free(&m);
	expect_errors("jail a { stop.timeout = 3601; }\njail b { stop.timeout = 1m; }\n"
		      "jail c { stop.timeout = s; }\njail d { stop.timeout = 10ss; }\n",
		      "1:25: jail 'a': stop.timeout 3601 is out of range (0..3600 seconds)",
		      "2:25: jail 'b': stop.timeout: '1m' is not a number of seconds (e.g. 10 or 10s)",
		      "3:25: jail 'c': stop.timeout: 's' is not a number of seconds (e.g. 10 or 10s)",
		      "4:25: jail 'd': stop.timeout: '10ss' is not a number of seconds (e.g. 10 or 10s)", NULL);
}

/* 41. confine = no: a bare network namespace; the confinement keys are
 * errors naming the key, stop.timeout is still allowed. */
static void test_confine_no_errors(void **state)
{
	(void)state;
	expect_errors("jail j {\n\tconfine = no;\n\tinit = /sbin/init;\n\tlimit.memory = 64M;\n"
		      "\tlimit.pids = 100;\n\tlimit.cpu_weight = 200;\n\tallow.net_admin = yes;\n"
		      "\tallow.raw_sockets = no;\n\tstop.timeout = 5;\n}\n",
		      "3:2: jail 'j': init: only for confined jails (this one has confine = no)",
		      "4:2: jail 'j': limit.memory: only for confined jails (this one has confine = no)",
		      "5:2: jail 'j': limit.pids: only for confined jails (this one has confine = no)",
		      "6:2: jail 'j': limit.cpu_weight: only for confined jails (this one has confine = no)",
		      "7:2: jail 'j': allow.net_admin: only for confined jails (this one has confine = no)",
		      "8:2: jail 'j': allow.raw_sockets: only for confined jails (this one has confine = no)",
		      NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_bad_ipv4),
		cmocka_unit_test(test_unusable_addresses),
		cmocka_unit_test(test_bad_ipv6_and_prefix),
		cmocka_unit_test(test_via_equals_remote),
		cmocka_unit_test(test_mtu_ttl),
		cmocka_unit_test(test_unknown_type_and_datapath),
		cmocka_unit_test(test_peer_outside_prefix),
		cmocka_unit_test(test_missing_required_keys),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_unknown_blocks),
		cmocka_unit_test(test_duplicate_keys_and_lists),
		cmocka_unit_test(test_address_outside_bridge_prefix),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_name_clashes),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_undefined_references),
		cmocka_unit_test(test_duplicate_addresses),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_bridge_needs_ipv6),
		cmocka_unit_test(test_bridge_prefix_overlap),
		cmocka_unit_test(test_hostname_and_path),
		cmocka_unit_test(test_booleans_and_exec),
		cmocka_unit_test(test_all_errors_sorted),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_role_and_routed),
		cmocka_unit_test(test_routed_values),
		cmocka_unit_test(test_update_url),
		cmocka_unit_test(test_tunnel_id_and_user),
		cmocka_unit_test(test_update_key_file),
		cmocka_unit_test(test_myip),
		cmocka_unit_test(test_update_keys_block_rules),
		cmocka_unit_test(test_confine_defaults),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_limit_memory),
		cmocka_unit_test(test_limit_pids_cpu),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_stop_timeout),
		cmocka_unit_test(test_confine_no_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
