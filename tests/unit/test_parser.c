/*
 * Unit tests of the jail6.conf parser: every block and key into the model,
 * lists, syntax errors and their recovery, includes (relative paths,
 * cycles, depth, missing files), and the shipped examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

/* ---- helpers ---- */

static void assert_addr(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

static void assert_mac(const uint8_t mac[6], const char *want)
{
	char buf[18];

	assert_string_equal(mac_format(mac, buf, sizeof(buf)), want);
}

/* Parse text (no includes) and assert it is valid. */
static void parse_ok(const char *text, struct model *m)
{
	struct conf_errors e = { 0 };
	int r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, m, &e);

	for (size_t k = 0; k < e.n; k++)
		print_message("  %s:%d:%d: %s\n", e.v[k].file, e.v[k].line, e.v[k].col, e.v[k].msg);
	assert_int_equal(e.n, 0);
	assert_int_equal(r, 0);
}

/* The errors of e as one string "FILE:LINE:COL: msg\n..." (as printed). */
static char *printed(const struct conf_errors *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_errors_print(f, e);
	fclose(f);
	return buf;
}

/* Parse text (no includes) and assert the printed errors are exactly want. */
static void parse_fails(const char *text, const char *want)
{
	struct model m;
	struct conf_errors e = { 0 };
	int r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, &m, &e);
	char *got = printed(&e);

	if (strcmp(got, want) != 0)
		print_message("got:\n%swant:\n%s", got, want);
	assert_string_equal(got, want);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(m.n_tunnels + m.n_bridges + m.n_jails, 0);
	free(got);
	conf_errors_free(&e);
}

/* ---- the examples ---- */

/* 1. examples/seed.conf is the seed's topology, field by field. */
static void test_seed_example(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };
	const struct model_tunnel *t;
	const struct model_bridge *b;
	const struct model_jail *j;

	(void)state;
	assert_int_equal(conf_load("examples/seed.conf", &m, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(m.n_files, 1);
	assert_string_equal(m.files[0], "examples/seed.conf");

	assert_int_equal(m.n_tunnels, 1);
	t = model_find_tunnel(&m, "gif0");
	assert_non_null(t);
	assert_ptr_equal(t->pos.file, m.files[0]);
	assert_int_equal(t->type, MODEL_TUNNEL_6IN4);
	assert_addr(&t->remote, "72.52.104.74");
	assert_true(t->local_auto);
	assert_true(t->has_via);
	assert_addr(&t->via, "192.168.3.1");
	assert_true(t->has_address);
	assert_addr(&t->address, "2001:470:7:5d1::2/64");
	assert_true(t->has_peer);
	assert_addr(&t->peer, "2001:470:7:5d1::1");
	assert_int_equal(t->mtu, 1480);
	assert_int_equal(t->ttl, 64);
	assert_int_equal(t->datapath, MODEL_DATAPATH_AUTO);

	assert_int_equal(m.n_bridges, 1);
	b = model_find_bridge(&m, "bridge0");
	assert_non_null(b);
	assert_int_equal(b->n_addrs, 1);
	assert_addr(&b->addrs[0], "2001:470:8142:1::1/64");
	assert_int_equal(b->n_members, 1);
	assert_string_equal(b->members[0], "bge0");
	assert_string_equal(b->tunnel, "gif0");
	assert_false(b->adopt);

	assert_int_equal(m.n_jails, 1);
	j = model_find_jail(&m, "ClamAV_Dev");
	assert_non_null(j);
	assert_string_equal(j->hostname, "clamav-dev");
	assert_null(j->path);
	assert_true(j->autostart);
	assert_int_equal(j->n_routes, 0);
	assert_int_equal(j->exec_start.argc, 0);
	assert_int_equal(j->n_ifaces, 1);
	assert_string_equal(j->ifaces[0].name, "epair1");
	assert_string_equal(j->ifaces[0].bridge, "bridge0");
	assert_int_equal(j->ifaces[0].n_addrs, 1);
	assert_addr(&j->ifaces[0].addrs[0], "2001:470:8142:1::3/64");
	assert_int_equal(j->ifaces[0].n_auto, 0);
	assert_true(j->ifaces[0].has_mac);
	assert_mac(j->ifaces[0].mac, "02:fb:c0:00:16:0b");
	model_free(&m);
}

/* 2. examples/lab.conf: documentation addresses, userspace datapath, an auto address. */
static void test_lab_example(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };
	const struct model_jail *www, *db;

	(void)state;
	assert_int_equal(conf_load("examples/lab.conf", &m, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(m.n_tunnels, 1);
	assert_string_equal(m.tunnels[0].name, "he0");
	assert_addr(&m.tunnels[0].remote, "198.51.100.1");
	assert_addr(&m.tunnels[0].via, "192.0.2.1");
	assert_addr(&m.tunnels[0].address, "2001:db8:ffff::2/64");
	assert_addr(&m.tunnels[0].peer, "2001:db8:ffff::1");
	assert_int_equal(m.tunnels[0].datapath, MODEL_DATAPATH_USERSPACE);
	assert_int_equal(m.n_bridges, 1);
	assert_addr(&m.bridges[0].addrs[0], "2001:db8:1::1/64");
	assert_int_equal(m.bridges[0].n_members, 0);
	assert_string_equal(m.bridges[0].tunnel, "he0");
	assert_int_equal(m.n_jails, 2);
	www = model_find_jail(&m, "www");
	db = model_find_jail(&m, "db");
	assert_non_null(www);
	assert_non_null(db);
	assert_string_equal(www->ifaces[0].name, "epair1");
	assert_addr(&www->ifaces[0].addrs[0], "2001:db8:1::3/64");
	assert_string_equal(db->ifaces[0].name, "epair2");
	assert_int_equal(db->ifaces[0].n_addrs, 0);
	assert_int_equal(db->ifaces[0].n_auto, 1);
	model_free(&m);
}

/* ---- every key ---- */

static const char every_key[] =
	"tunnel he-ipv6 {\n"
	"\ttype = 6in4; remote = 198.51.100.1; local = 192.0.2.10; via = 192.0.2.1;\n"
	"\taddress = 2001:db8:ffff::2/64; peer = 2001:db8:ffff::1;\n"
	"\tmtu = 1400; ttl = 32; datapath = kernel;\n"
	"}\n"
	"bridge br0 {\n"
	"\taddress = 192.0.2.129/25;             // IPv4 first in the file...\n"
	"\taddress = 2001:db8:1::1/64, 2001:db8:2::1/64;\n"
	"\tmembers = em0, \"em1\";\n"
	"\ttunnel = he-ipv6;\n"
	"\tadopt = yes;\n"
	"}\n"
	"jail web.1 {\n"
	"\thostname = \"www.example.org\";\n"
	"\tpath = /jails/web;\n"
	"\texec.start = \"/bin/sh\", \"/etc/rc\";\n"
	"\texec.stop = /bin/sh, /etc/rc.shutdown, \"with space\";\n"
	"\tautostart = off;\n"
	"\tinterface e0 {\n"
	"\t\tbridge = br0;\n"
	"\t\taddress = 2001:db8:1::10/64, auto, 192.0.2.130/25;\n"
	"\t\taddress = auto;\n"
	"\t\tmac = 02:AA:bb:00:00:01;\n"
	"\t}\n"
	"\troute default { via = 2001:db8:1::1; }\n"
	"\troute default4 { via = 192.0.2.129; }\n"
	"\troute 2001:db8:100::/48 { via = fe80::1; }\n"
	"\troute 203.0.113.7 { via = 192.0.2.129; }\n"
	"}\n";

/* 3. Every key of every block lands in the model. */
static void test_every_key(void **state)
{
	struct model m;
	const struct model_tunnel *t;
	const struct model_bridge *b;
	const struct model_jail *j;
	const struct model_iface *i;

	(void)state;
	parse_ok(every_key, &m);
	t = &m.tunnels[0];
	assert_string_equal(t->name, "he-ipv6");
	assert_int_equal(t->pos.line, 1);
	assert_int_equal(t->pos.col, 8);
	assert_false(t->local_auto);
	assert_addr(&t->local, "192.0.2.10");
	assert_int_equal(t->mtu, 1400);
	assert_int_equal(t->ttl, 32);
	assert_int_equal(t->datapath, MODEL_DATAPATH_KERNEL);

	b = &m.bridges[0];
	assert_int_equal(b->n_addrs, 3);
	/* ...but IPv6 comes first in the model. */
	assert_addr(&b->addrs[0], "2001:db8:1::1/64");
	assert_addr(&b->addrs[1], "2001:db8:2::1/64");
	assert_addr(&b->addrs[2], "192.0.2.129/25");
	assert_ptr_equal(model_bridge_addr(b, AF_INET), &b->addrs[2]);
	assert_int_equal(b->n_members, 2);
	assert_string_equal(b->members[0], "em0");
	assert_string_equal(b->members[1], "em1");
	assert_string_equal(b->tunnel, "he-ipv6");
	assert_true(b->adopt);

	j = &m.jails[0];
	assert_string_equal(j->name, "web.1");
	assert_string_equal(j->hostname, "www.example.org");
	assert_string_equal(j->path, "/jails/web");
	assert_int_equal(j->exec_start.argc, 2);
	assert_string_equal(j->exec_start.argv[0], "/bin/sh");
	assert_string_equal(j->exec_start.argv[1], "/etc/rc");
	assert_null(j->exec_start.argv[2]);
	assert_int_equal(j->exec_stop.argc, 3);
	assert_string_equal(j->exec_stop.argv[2], "with space");
	assert_null(j->exec_stop.argv[3]);
	assert_false(j->autostart);

	assert_int_equal(j->n_ifaces, 1);
	i = &j->ifaces[0];
	assert_int_equal(i->pos.line, 19);
	assert_int_equal(i->pos.col, 12);
	assert_int_equal(i->n_addrs, 2);
	assert_addr(&i->addrs[0], "2001:db8:1::10/64");
	assert_addr(&i->addrs[1], "192.0.2.130/25");
	assert_int_equal(i->n_auto, 2);
	assert_mac(i->mac, "02:aa:bb:00:00:01");

	assert_int_equal(j->n_routes, 4);
	assert_addr(&j->routes[0].dst, "::/0");
	assert_addr(&j->routes[0].gw, "2001:db8:1::1");
	assert_addr(&j->routes[1].dst, "0.0.0.0/0");
	assert_addr(&j->routes[1].gw, "192.0.2.129");
	assert_addr(&j->routes[2].dst, "2001:db8:100::/48");
	assert_addr(&j->routes[2].gw, "fe80::1");
	assert_addr(&j->routes[3].dst, "203.0.113.7/32"); /* a host route */
	assert_int_equal(j->routes[3].pos.line, 28);
	model_free(&m);
}

/* 4. Defaults of everything optional. */
static void test_defaults(void **state)
{
	struct model m;

	(void)state;
	parse_ok("tunnel t { type = 6in4; remote = 198.51.100.1; }\n"
		 "bridge b { address = 2001:db8::1/64; }\n"
		 "jail j { }\n", &m);
	assert_true(m.tunnels[0].local_auto);
	assert_false(m.tunnels[0].has_via);
	assert_false(m.tunnels[0].has_address);
	assert_false(m.tunnels[0].has_peer);
	assert_int_equal(m.tunnels[0].mtu, MODEL_TUNNEL_MTU_DEFAULT);
	assert_int_equal(m.tunnels[0].ttl, MODEL_TUNNEL_TTL_DEFAULT);
	assert_int_equal(m.tunnels[0].datapath, MODEL_DATAPATH_AUTO);
	assert_int_equal(m.tunnels[0].role, MODEL_ROLE_CLIENT);
	assert_int_equal(m.tunnels[0].n_routed, 0);
	assert_null(m.tunnels[0].update_url);
	assert_null(m.tunnels[0].tunnel_id);
	assert_null(m.tunnels[0].user);
	assert_null(m.tunnels[0].update_key_file);
	assert_false(m.tunnels[0].myip_auto);
	assert_false(m.tunnels[0].has_myip);
	assert_int_equal(m.bridges[0].n_members, 0);
	assert_string_equal(m.bridges[0].tunnel, "");
	assert_false(m.bridges[0].adopt);
	assert_null(m.jails[0].hostname);
	assert_null(m.jails[0].path);
	assert_true(m.jails[0].autostart);
	assert_int_equal(m.jails[0].n_ifaces, 0);
	model_free(&m);
}

/* 4b. The tunnel keys of role, routing and the endpoint update, into the model. */
static void test_tunnel_update_keys(void **state)
{
	struct model m;
	const struct model_tunnel *t;

	(void)state;
	parse_ok("tunnel he-ipv6 {\n"
		 "\ttype = 6in4; remote = 198.51.100.1;\n"
		 "\tupdate_url = \"http://127.0.0.1:8080/nic/update\";\n"
		 "\ttunnel_id = \"1234\"; user = alice;\n"
		 "\tupdate_key_file = \"/etc/jail6/he.key\";\n"
		 "\tmyip = 203.0.113.2; role = client;\n"
		 "}\n"
		 "tunnel he-broker {\n"
		 "\ttype = 6in4; remote = 198.51.100.2; role = broker;\n"
		 "\taddress = 2001:db8:ffff::1/64; peer = 2001:db8:ffff::2;\n"
		 "\trouted = 2001:db8:1::/64, 2001:db8:100::/48;\n"
		 "\trouted = 2001:db8:2::7/128;\n"
		 "\tmyip = auto;\n"
		 "}\n", &m);
	t = model_find_tunnel(&m, "he-ipv6");
	assert_non_null(t);
	assert_int_equal(t->role, MODEL_ROLE_CLIENT);
	assert_int_equal(t->n_routed, 0);
	assert_null(t->routed);
	assert_string_equal(t->update_url, "http://127.0.0.1:8080/nic/update");
	assert_string_equal(t->tunnel_id, "1234");
	assert_string_equal(t->user, "alice");
	assert_string_equal(t->update_key_file, "/etc/jail6/he.key");
	assert_true(t->has_myip);
	assert_false(t->myip_auto);
	assert_addr(&t->myip, "203.0.113.2");
	t = model_find_tunnel(&m, "he-broker");
	assert_non_null(t);
	assert_int_equal(t->role, MODEL_ROLE_BROKER);
	assert_int_equal(t->n_routed, 3);
	assert_addr(&t->routed[0], "2001:db8:1::/64");
	assert_addr(&t->routed[1], "2001:db8:100::/48");
	assert_addr(&t->routed[2], "2001:db8:2::7/128");
	assert_null(t->update_url); /* MODEL_UPDATE_URL_DEFAULT */
	assert_null(t->tunnel_id);
	assert_null(t->user);
	assert_null(t->update_key_file);
	assert_true(t->myip_auto);
	assert_false(t->has_myip);
	model_free(&m);
}

/* 4c. examples/lab-broker.conf: the broker end of the lab. */
static void test_lab_broker_example(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };

	(void)state;
	assert_int_equal(conf_load("examples/lab-broker.conf", &m, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(m.n_tunnels, 1);
	assert_int_equal(m.tunnels[0].role, MODEL_ROLE_BROKER);
	assert_true(m.tunnels[0].has_peer);
	assert_true(m.tunnels[0].n_routed >= 1);
	assert_addr(&m.tunnels[0].routed[0], "2001:db8:1::/64");
	model_free(&m);
}

/* 5. Free-form layout: one line, "};", comments anywhere, booleans in every spelling. */
static void test_layout_and_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "YES" };
	static const char *const no[] = { "no", "false", "off", "Off" };
	struct model m;
	char text[256];

	(void)state;
	parse_ok("bridge/*c*/b{address=2001:db8::1/64;adopt=yes;};;jail j{}#x", &m);
	assert_true(m.bridges[0].adopt);
	model_free(&m);
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "jail a { autostart = %s; }\njail b { autostart = %s; }\n",
			 yes[i], no[i]);
		parse_ok(text, &m);
		assert_true(m.jails[0].autostart);
		assert_false(m.jails[1].autostart);
		model_free(&m);
	}
	/* An empty file is a valid, empty configuration. */
	parse_ok("# nothing\n", &m);
	assert_int_equal(m.n_tunnels + m.n_bridges + m.n_jails, 0);
	assert_int_equal(m.n_files, 1);
	model_free(&m);
}

/* ---- syntax errors ---- */

/* 6. A forgotten ';' at the end of a line: reported, and parsing goes on
 * from the next line so the later error is found too. */
static void test_missing_semicolon(void **state)
{
	(void)state;
	parse_fails("tunnel t {\n\ttype = 6in4\n\tremote = 198.51.100.1;\n\tmtu = 9000;\n}\n",
		    "t.conf:3:2: expected ';' after the value of 'type', found 'remote'\n"
		    "t.conf:4:8: tunnel 't': mtu 9000 is out of range (1280..1480)\n");
	/* On the same line the rest of the statement is skipped. */
	parse_fails("jail j { hostname = a b; autostart = maybe; }\n",
		    "t.conf:1:23: expected ';' after the value of 'hostname', found 'b'\n"
		    "t.conf:1:38: jail 'j': autostart: 'maybe' is not a boolean (use yes or no)\n");
	/* Before a '}', too. */
	parse_fails("jail j { hostname = h }\n",
		    "t.conf:1:23: expected ';' after the value of 'hostname', found '}'\n");
}

/* 7. Braces: unclosed, unexpected, and a block without a name. */
static void test_braces(void **state)
{
	(void)state;
	parse_fails("jail j {\n\tinterface e0 {\n\t\tmac = 02:00:00:00:00:01;\n",
		    "t.conf:4:1: expected '}' to close interface 'e0' (opened on line 2), found end of file\n"
		    "t.conf:4:1: expected '}' to close jail 'j' (opened on line 1), found end of file\n");
	parse_fails("jail j { }\n}\njail k { autostart = x; }\n",
		    "t.conf:2:1: unexpected '}': no block is open\n"
		    "t.conf:3:22: jail 'k': autostart: 'x' is not a boolean (use yes or no)\n");
	parse_fails("bridge {\n\taddress = 2001:db8::1/64;\n}\n",
		    "t.conf:1:8: bridge block needs a name: bridge NAME { ... }\n");
}

/* 8. Statements missing '=', a value, or starting with the wrong token. */
static void test_bad_statements(void **state)
{
	(void)state;
	parse_fails("tunnel t {\n\ttype = 6in4;\n\tremote 198.51.100.1;\n}\n",
		    "t.conf:3:9: missing '=' between 'remote' and '198.51.100.1'\n");
	parse_fails("tunnel t {\n\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tmtu = ;\n\tttl = 1,;\n}\n",
		    "t.conf:4:8: expected a value for 'mtu', found ';'\n"
		    "t.conf:5:10: expected a value for 'ttl', found ';'\n");
	parse_fails("jail j {\n\t\"hostname\" = x;\n\t= 3;\n\thostname;\n}\n",
		    "t.conf:2:2: expected a key or a block, found string \"hostname\"\n"
		    "t.conf:3:2: expected a key or a block, found '='\n"
		    "t.conf:4:10: expected '=' or a block name after 'hostname', found ';'\n");
	parse_fails("jail j { interface e0 bridge = b; }\n",
		    "t.conf:1:23: expected '=' or '{', found 'bridge'\n");
}

/* 9. A block with a syntax error does not also report its missing keys. */
static void test_damaged_block_no_missing_keys(void **state)
{
	(void)state;
	parse_fails("tunnel t {\n\ttype = 6in4 remote = 198.51.100.1;\n}\n",
		    "t.conf:2:14: expected ';' after the value of 'type', found 'remote'\n");
}

/* 10. Nesting is bounded, so hostile input cannot exhaust the stack. */
static void test_nesting_limit(void **state)
{
	(void)state;
	parse_fails("jail j { a b { c d { e f { g h { i j { k l { m n { } } } } } } } }\n",
		    "t.conf:1:10: jail 'j': unknown block 'a'\n"
		    "t.conf:1:50: blocks nested too deeply (more than 7 levels)\n");
}

/* 11. Lexical errors surface through the parser with their positions. */
static void test_lexical_errors(void **state)
{
	static const char text[] = "jail j {\n\thostname = \"a\\qb\";\n\tpath = \"/x\0y\";\n} /* open";
	struct model m;
	struct conf_errors e = { 0 };
	char *got;

	(void)state;
	assert_int_equal(conf_parse_buffer("t.conf", text, sizeof(text) - 1, CONF_F_NO_INCLUDE, &m, &e), -EINVAL);
	got = printed(&e);
	assert_string_equal(got,
			    "t.conf:2:15: unknown escape '\\q' in string (use \\\" \\\\ \\n or \\t)\n"
			    "t.conf:3:12: control character 0x00 in string\n"
			    "t.conf:4:3: unterminated comment: '/*' without '*/'\n");
	free(got);
	conf_errors_free(&e);
}

/* 12. Arbitrary bytes give errors, never a crash or a model. */
static void test_garbage(void **state)
{
	static const char text[] = "\xff\xfe\0\x01jail \x80 { \"\xc3\x28\" = ; }}}{{{";
	struct model m;
	struct conf_errors e = { 0 };

	(void)state;
	assert_int_equal(conf_parse_buffer("t.conf", text, sizeof(text) - 1, CONF_F_NO_INCLUDE, &m, &e), -EINVAL);
	assert_true(e.n > 0);
	assert_int_equal(m.n_jails, 0);
	assert_string_equal(e.v[0].msg, "unexpected byte 0xff");
	conf_errors_free(&e);
}

/* ---- file handling ---- */

/* 13. A missing main file: -errno, and one "FILE: cannot open" entry. */
static void test_load_missing_file(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };
	char *got;

	(void)state;
	assert_int_equal(conf_load("/nonexistent/jail6.conf", &m, &e), -ENOENT);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].line, 0);
	got = printed(&e);
	assert_string_equal(got, "/nonexistent/jail6.conf: cannot open: No such file or directory\n");
	free(got);
	conf_errors_free(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.v);
	conf_errors_free(NULL);
}

/* 14. Files over 1 MiB are refused, from memory and from disk; 1 MiB exactly is fine. */
static void test_size_limit(void **state)
{
	size_t len = CONF_MAX_FILE_SIZE + 1;
	char *big = malloc(len);
	char path[] = "/tmp/jail6-test-big-XXXXXX";
	struct model m;
	struct conf_errors e = { 0 };
	int fd;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	assert_int_equal(conf_parse_string("big.conf", big, len, &m, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].msg, "file is larger than 1 MiB");
	conf_errors_free(&e);
	assert_int_equal(conf_parse_string("big.conf", big, len - 1, &m, &e), 0);
	model_free(&m);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, len), (ssize_t)len);
	close(fd);
	assert_int_equal(conf_load(path, &m, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].file, path);
	assert_string_equal(e.v[0].msg, "file is larger than 1 MiB");
	conf_errors_free(&e);
	unlink(path);
	free(big);
}

/* 15. Errors accumulate: a second, valid load leaves earlier entries alone and succeeds. */
static void test_errors_accumulate(void **state)
{
	struct model m;
	struct conf_errors e = { 0 };

	(void)state;
	assert_int_equal(conf_parse_buffer("a.conf", "x = 1;", 6, CONF_F_NO_INCLUDE, &m, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_int_equal(conf_parse_buffer("b.conf", "jail j {}", 9, CONF_F_NO_INCLUDE, &m, &e), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(m.n_jails, 1);
	model_free(&m);
	conf_errors_free(&e);
}

/* ---- includes ---- */

/* A scratch directory per test, removed afterwards. */
static int make_dir(void **state)
{
	char *dir = strdup("/tmp/jail6-test-conf-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_dir(void **state)
{
	char *dir = *state;
	int r = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(dir);
	return r;
}

/* Write dir/name (creating one level of subdirectory if named). */
static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	const char *slash = strchr(name, '/');
	FILE *f;

	if (slash) {
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(slash - name), name);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Load dir/name; return the printed errors (caller frees) and the result. */
static char *load(const char *dir, const char *name, struct model *m, int *r)
{
	char path[512];
	struct conf_errors e = { 0 };
	char *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*r = conf_load(path, m, &e);
	out = printed(&e);
	conf_errors_free(&e);
	return out;
}

/* Replace every occurrence of the scratch dir by "D" so expectations are fixed strings. */
static char *undir(char *s, const char *dir)
{
	size_t dl = strlen(dir);
	char *p;

	while ((p = strstr(s, dir))) {
		*p = 'D';
		memmove(p + 1, p + dl, strlen(p + dl) + 1);
	}
	return s;
}

/* 16. Includes are relative to the including file, nested, and all recorded. */
static void test_include_relative(void **state)
{
	const char *dir = *state;
	struct model m;
	char *errs;
	int r;

	put(dir, "main.conf", "include \"net/tunnel.conf\";\njail j { interface e0 { bridge = b; } }\n");
	put(dir, "net/tunnel.conf", "tunnel t { type = 6in4; remote = 198.51.100.1; }\ninclude \"bridge.conf\";\n");
	put(dir, "net/bridge.conf", "\n\nbridge b { address = 2001:db8::1/64; tunnel = t; }\n");
	errs = load(dir, "main.conf", &m, &r);
	assert_string_equal(errs, "");
	assert_int_equal(r, 0);
	assert_int_equal(m.n_files, 3);
	assert_true(strstr(m.files[1], "/net/tunnel.conf") != NULL);
	assert_true(strstr(m.files[2], "/net/bridge.conf") != NULL);
	/* Objects know the file and line they come from. */
	assert_ptr_equal(m.bridges[0].pos.file, m.files[2]);
	assert_int_equal(m.bridges[0].pos.line, 3);
	assert_ptr_equal(m.jails[0].pos.file, m.files[0]);
	model_free(&m);
	free(errs);
}

/* 17. An error inside an included file is reported with that file's name. */
static void test_include_error_position(void **state)
{
	const char *dir = *state;
	struct model m;
	char *errs;
	int r;

	put(dir, "main.conf", "# main\ninclude \"sub/jails.conf\";\njail a { autostart = nope; }\n");
	put(dir, "sub/jails.conf", "jail b {\n\thostname = \"bad_name\";\n}\n");
	errs = undir(load(dir, "main.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs,
			    "D/main.conf:3:22: jail 'a': autostart: 'nope' is not a boolean (use yes or no)\n"
			    "D/sub/jails.conf:2:13: jail 'b': hostname 'bad_name' is not valid: only letters, digits, '-' and '.' are allowed\n");
	free(errs);
}

/* 18. A missing include is an error at the include's path. */
static void test_include_missing(void **state)
{
	const char *dir = *state;
	struct model m;
	char *errs;
	int r;

	put(dir, "main.conf", "jail a { }\n  include \"nope.conf\";\n");
	errs = undir(load(dir, "main.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/main.conf:2:11: include 'nope.conf': cannot open: No such file or directory\n");
	free(errs);
}

/* 19. Include cycles, direct and indirect, are errors (not endless recursion). */
static void test_include_cycle(void **state)
{
	const char *dir = *state;
	struct model m;
	char *errs;
	int r;

	put(dir, "a.conf", "include \"b.conf\";\n");
	put(dir, "b.conf", "jail b { }\ninclude \"a.conf\";\n");
	errs = undir(load(dir, "a.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/b.conf:2:9: include 'a.conf': include cycle: D/a.conf -> D/b.conf -> D/a.conf\n");
	free(errs);

	put(dir, "self.conf", "include \"self.conf\";\n");
	errs = undir(load(dir, "self.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/self.conf:1:9: include 'self.conf': include cycle: D/self.conf -> D/self.conf\n");
	free(errs);
}

/* 20. Including the same file twice (no cycle) is allowed by itself; its
 * objects then clash as duplicates. */
static void test_include_twice(void **state)
{
	const char *dir = *state;
	struct model m;
	char *errs;
	int r;

	put(dir, "main.conf", "include \"j.conf\";\ninclude \"j.conf\";\n");
	put(dir, "j.conf", "jail j { }\n");
	errs = undir(load(dir, "main.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/j.conf:1:6: duplicate jail 'j' (first defined at D/j.conf:1:6)\n");
	free(errs);
}

/* 21. The include depth limit: 16 levels below the main file work, 17 do not. */
static void test_include_depth(void **state)
{
	const char *dir = *state;
	struct model m;
	char name[32], text[64], *errs;
	int r;

	for (int i = 0; i <= 17; i++) {
		snprintf(name, sizeof(name), "f%d.conf", i);
		snprintf(text, sizeof(text), "include \"f%d.conf\";\n", i + 1);
		put(dir, name, i < 17 ? text : "jail deep { }\n");
	}
	errs = undir(load(dir, "f1.conf", &m, &r), dir);
	assert_string_equal(errs, "");
	assert_int_equal(r, 0);
	assert_int_equal(m.n_files, 17);
	assert_string_equal(m.jails[0].name, "deep");
	model_free(&m);
	free(errs);

	errs = undir(load(dir, "f0.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/f16.conf:1:9: include 'f17.conf': includes nested deeper than 16 levels\n");
	free(errs);
}

/* 22. include only at the top level, and never in no-include mode. */
static void test_include_misplaced_or_disabled(void **state)
{
	const char *dir = *state;
	struct model m;
	struct conf_errors e = { 0 };
	char path[512], *errs;
	int r;

	put(dir, "j.conf", "jail j { }\n");
	put(dir, "main.conf", "jail a {\n\tinclude \"j.conf\";\n}\n");
	errs = undir(load(dir, "main.conf", &m, &r), dir);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(errs, "D/main.conf:2:2: include is only allowed at the top level, not inside a block\n");
	free(errs);

	/* conf_parse_string resolves includes against the directory of filename... */
	snprintf(path, sizeof(path), "%s/virtual.conf", dir);
	assert_int_equal(conf_parse_string(path, "include \"j.conf\";", 17, &m, &e), 0);
	assert_int_equal(m.n_jails, 1);
	model_free(&m);
	/* ...unless includes are disabled (the fuzzer's mode). */
	assert_int_equal(conf_parse_buffer(path, "include \"j.conf\";", 17, CONF_F_NO_INCLUDE, &m, &e), -EINVAL);
	errs = undir(printed(&e), dir);
	assert_string_equal(errs, "D/virtual.conf:1:1: include 'j.conf': includes are disabled here\n");
	free(errs);
	conf_errors_free(&e);
	/* The fuzzer's mode: a file beside this one, never a path with a '/'. */
	assert_int_equal(conf_parse_buffer(path, "include \"j.conf\";", 17, CONF_F_INCLUDE_HERE, &m, &e), 0);
	assert_int_equal(m.n_jails, 1);
	model_free(&m);
	assert_int_equal(conf_parse_buffer(path, "include \"./j.conf\";", 19, CONF_F_INCLUDE_HERE, &m, &e), -EINVAL);
	errs = undir(printed(&e), dir);
	assert_string_equal(errs, "D/virtual.conf:1:9: include './j.conf': only a file beside this one may be included here\n");
	free(errs);
	conf_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_example),
		cmocka_unit_test(test_lab_example),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_tunnel_update_keys),
		cmocka_unit_test(test_lab_broker_example),
		cmocka_unit_test(test_layout_and_booleans),
		cmocka_unit_test(test_missing_semicolon),
		cmocka_unit_test(test_braces),
		cmocka_unit_test(test_bad_statements),
		cmocka_unit_test(test_damaged_block_no_missing_keys),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_lexical_errors),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_errors_accumulate),
		cmocka_unit_test_setup_teardown(test_include_relative, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_error_position, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_missing, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_cycle, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_twice, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_depth, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_include_misplaced_or_disabled, make_dir, remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
