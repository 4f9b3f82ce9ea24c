/* Unit tests of the renderers: action descriptions, `plan` text and JSON
 * (src/plan/action.c, render.c) and FreeBSD commands (src/os/freebsd). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "os/freebsd/freebsd.h"
#include "plan_fixtures.h"

/* ---- helpers ---- */

static struct action mk(enum action_kind k, const char *ns, const char *ifname)
{
	struct action a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	fx_name(a.ns, sizeof(a.ns), ns);
	fx_name(a.ifname, sizeof(a.ifname), ifname);
	return a;
}

static struct model_argv exec_argv = {
	.argv = (char *[]){ "/bin/sh", "-c", "echo it's up", NULL },
	.argc = 3,
};

/* One action of every kind, with the fields each uses. */
static size_t every_kind(struct action *v)
{
	size_t n = 0;

	v[n] = mk(ACTION_JAIL_CREATE, "", "");
	strcpy(v[n].target, "web");
	v[n].hostname = "web.example";
	v[n++].path = "/jails/web";
	v[n] = mk(ACTION_JAIL_DESTROY, "", "");
	strcpy(v[n++].target, "web");
	v[n] = mk(ACTION_JAIL_EXEC, "", "");
	strcpy(v[n].target, "web");
	v[n++].argv = &exec_argv;
	v[n] = mk(ACTION_TUNNEL_CREATE, "", "gif0");
	v[n].addr = fx_addr("192.0.2.10");
	v[n].gw = fx_addr("198.51.100.1");
	v[n].ttl = 64;
	v[n++].mtu = 1480;
	v[n] = mk(ACTION_TUNNEL_CHANGE, "", "gif0");
	v[n].local_auto = true;
	v[n].gw = fx_addr("198.51.100.2");
	v[n].ttl = 255;
	v[n].mtu = 1400;
	v[n++].datapath = MODEL_DATAPATH_KERNEL;
	v[n++] = mk(ACTION_BRIDGE_CREATE, "", "bridge0");
	v[n] = mk(ACTION_VETH_CREATE, "", "epair3a");
	strcpy(v[n].peer, "epair3b");
	strcpy(v[n].base, "epair3");
	v[n].has_mac = true;
	memcpy(v[n++].mac, "\x02\xfb\xc0\x00\x16\x0b", 6);
	v[n++] = mk(ACTION_LINK_DESTROY, "web", "epair3b");
	v[n] = mk(ACTION_LINK_SET_MASTER, "", "epair3a");
	strcpy(v[n++].peer, "bridge0");
	v[n] = mk(ACTION_LINK_SET_NS, "", "epair3b");
	strcpy(v[n++].target, "web");
	v[n] = mk(ACTION_LINK_SET_MTU, "", "bridge0");
	v[n++].mtu = 9000;
	v[n] = mk(ACTION_LINK_SET_MAC, "web", "epair3b");
	v[n].has_mac = true;
	memcpy(v[n++].mac, "\x02\x00\x00\x00\x00\x01", 6);
	v[n++] = mk(ACTION_LINK_UP, "web", "lo");
	v[n] = mk(ACTION_ADDR_ADD, "web", "epair3b");
	v[n++].addr = fx_addr("203.0.113.10/24");
	v[n] = mk(ACTION_ADDR_DEL, "", "bridge0");
	v[n++].addr = fx_addr("2001:db8:1::1/64");
	v[n] = mk(ACTION_ROUTE_ADD, "web", "");
	v[n].addr = fx_addr("2001:db8:9::/48");
	v[n++].gw = fx_addr("2001:db8:1::fe");
	v[n] = mk(ACTION_ROUTE_DEL, "", "gif0");
	v[n].addr = fx_addr("::/0");
	v[n++].gw = fx_addr("fe80::1");
	v[n] = mk(ACTION_SYSCTL_SET, "", "");
	strcpy(v[n].key, "ipv4.forwarding");
	strcpy(v[n++].value, "1");
	return n;
}

/* Full argv of every command of a, one line each. */
static char *argv_text(const struct action *a, int *rc)
{
	struct freebsd_cmds c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = freebsd_action_argv(a, &c);
	for (size_t i = 0; *rc == 0 && i < c.n; i++) {
		assert_true(c.argv[i][0][0] == '/');
		for (size_t k = 0; c.argv[i][k]; k++)
			fprintf(f, "%s%s", k ? " " : "", c.argv[i][k]);
		fputc('\n', f);
	}
	freebsd_cmds_free(&c);
	fclose(f);
	return buf;
}

static char *render(int (*fn)(FILE *, const struct plan *), const struct plan *p, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = fn(f, p);
	fclose(f);
	return buf;
}

static void seed_plan(struct model *m, struct plan *p)
{
	struct state s;

	fx_seed_model(m);
	fx_host_baseline(&s);
	assert_int_equal(plan_build(m, &s, p), 0);
	state_free(&s);
}

/* Assert that the whole lines want[] occur in text in this order. */
static void assert_lines_in_order(const char *text, const char *const *want, size_t n)
{
	const char *at = text;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(want[i]);
		const char *hit = at;

		for (;;) {
			hit = strstr(hit, want[i]);
			if (!hit)
				fail_msg("line %zu \"%s\" missing or out of order in:\n%s", i + 1, want[i], text);
			if ((hit == text || hit[-1] == '\n') && hit[l] == '\n')
				break;
			hit++;
		}
		at = hit + l;
	}
}

/* ---- tests ---- */

/* 1: every kind has its own name; an unknown kind says so. */
static void test_kind_names(void **st)
{
	for (int a = ACTION_JAIL_CREATE; a <= ACTION_SYSCTL_SET; a++) {
		assert_string_not_equal(action_kind_name(a), "unknown");
		for (int b = a + 1; b <= ACTION_SYSCTL_SET; b++)
			assert_string_not_equal(action_kind_name(a), action_kind_name(b));
	}
	assert_string_equal(action_kind_name(ACTION_BRIDGE_CREATE), "bridge-create");
	assert_string_equal(action_kind_name((enum action_kind)99), "unknown");
	(void)st;
}

/* 2: one readable line per kind. */
static void test_describe(void **st)
{
	static const char *const want[] = {
		"web: create jail (hostname web.example, path /jails/web)",
		"web: destroy jail",
		"web: exec /bin/sh -c 'echo it'\\''s up'",
		"gif0: create 6in4 tunnel local 192.0.2.10 remote 198.51.100.1 ttl 64 mtu 1480 (datapath auto)",
		"gif0: change 6in4 tunnel local auto remote 198.51.100.2 ttl 255 mtu 1400 (datapath kernel)",
		"bridge0: create bridge",
		"epair3a: create veth pair with epair3b (epair3b mac 02:fb:c0:00:16:0b)",
		"[web] epair3b: destroy",
		"epair3a: attach to bridge0",
		"epair3b: move into jail web",
		"bridge0: set mtu 9000",
		"[web] epair3b: set mac 02:00:00:00:00:01",
		"[web] lo: up",
		"[web] epair3b: add address 203.0.113.10/24",
		"bridge0: delete address 2001:db8:1::1/64",
		"[web] route: add 2001:db8:9::/48 via 2001:db8:1::fe",
		"route: delete default via fe80::1 dev gif0",
		"sysctl ipv4.forwarding = 1",
	};
	struct action v[32];
	struct plan p;
	char small[8];

	p.actions = v;
	p.n_actions = every_kind(v);
	fx_assert_plan(&p, want, FX_N(want));
	/* a short buffer truncates, never overruns */
	assert_string_equal(action_describe(&v[0], small, sizeof(small)), "web: cr");
	(void)st;
}

/* 3: sh quoting. */
static void test_quote(void **st)
{
	char b[64];

	assert_string_equal(action_quote_arg("host.hostname=clamav-dev", b, sizeof(b)), "host.hostname=clamav-dev");
	assert_string_equal(action_quote_arg("2001:db8::1%gif0", b, sizeof(b)), "2001:db8::1%gif0");
	assert_string_equal(action_quote_arg("a b", b, sizeof(b)), "'a b'");
	assert_string_equal(action_quote_arg("it's", b, sizeof(b)), "'it'\\''s'");
	assert_string_equal(action_quote_arg("$HOME", b, sizeof(b)), "'$HOME'");
	assert_string_equal(action_quote_arg("", b, sizeof(b)), "''");
	(void)st;
}

/* 4: text output: numbered lines, or "nothing to do". */
static void test_text(void **st)
{
	struct model m;
	struct plan p, empty = { 0 };
	char *out;
	int rc;

	out = render(plan_render_text, &empty, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "nothing to do\n");
	free(out);
	seed_plan(&m, &p);
	out = render(plan_render_text, &p, &rc);
	assert_int_equal(rc, 0);
	assert_true(!strncmp(out, "  1  route: add 72.52.104.74/32 via 192.168.3.1\n", 48));
	assert_non_null(strstr(out, "\n 12  bridge0: up\n"));
	assert_non_null(strstr(out, "\n 24  [ClamAV_Dev] route: add default via 2001:470:8142:1::1 dev epair1b\n"));
	free(out);
	plan_free(&p);
	model_free(&m);
	(void)st;
}

/* 5: JSON parses back, one object per action, kind and ns first, the
 * fields of each kind present. */
static void test_json(void **st)
{
	struct action v[32];
	struct plan p, empty = { 0 };
	json_t *root, *arr, *o;
	json_error_t jerr;
	const char *key;
	json_t *val;
	char *out;
	int rc;

	p.actions = v;
	p.n_actions = every_kind(v);
	out = render(plan_render_json, &p, &rc);
	assert_int_equal(rc, 0);
	root = json_loads(out, 0, &jerr);
	if (!root)
		fail_msg("invalid JSON at line %d: %s\n%s", jerr.line, jerr.text, out);
	arr = json_object_get(root, "actions");
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), p.n_actions);
	for (size_t i = 0; i < p.n_actions; i++) {
		char line[512];
		int k = 0;

		o = json_array_get(arr, i);
		json_object_foreach(o, key, val) {
			if (k == 0)
				assert_string_equal(key, "kind");
			if (k == 1)
				assert_string_equal(key, "ns");
			k++;
		}
		assert_string_equal(json_string_value(json_object_get(o, "kind")), action_kind_name(v[i].kind));
		assert_string_equal(json_string_value(json_object_get(o, "ns")), v[i].ns);
		assert_string_equal(json_string_value(json_object_get(o, "description")),
				    action_describe(&v[i], line, sizeof(line)));
	}
	o = json_array_get(arr, 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "argv"), 2)), "echo it's up");
	o = json_array_get(arr, 3);
	assert_string_equal(json_string_value(json_object_get(o, "local")), "192.0.2.10");
	assert_string_equal(json_string_value(json_object_get(o, "remote")), "198.51.100.1");
	assert_int_equal(json_integer_value(json_object_get(o, "mtu")), 1480);
	o = json_array_get(arr, 4);
	assert_string_equal(json_string_value(json_object_get(o, "local")), "auto");
	assert_string_equal(json_string_value(json_object_get(o, "datapath")), "kernel");
	o = json_array_get(arr, 6);
	assert_string_equal(json_string_value(json_object_get(o, "mac")), "02:fb:c0:00:16:0b");
	o = json_array_get(arr, 8);
	assert_string_equal(json_string_value(json_object_get(o, "master")), "bridge0");
	o = json_array_get(arr, 16);
	assert_string_equal(json_string_value(json_object_get(o, "destination")), "::/0");
	assert_string_equal(json_string_value(json_object_get(o, "gateway")), "fe80::1");
	assert_string_equal(json_string_value(json_object_get(o, "dev")), "gif0");
	json_decref(root);
	free(out);

	out = render(plan_render_json, &empty, &rc);
	assert_int_equal(rc, 0);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "actions")), 0);
	json_decref(root);
	free(out);
	(void)st;
}

/* 5b: a created jail's confinement, in its line and in JSON: not
 * confined; confined without ids (no store: plan); confined with its id
 * range, init, limits and grants. */
static void test_confinement(void **st)
{
	static const char *const want[] = {
		"web: create jail (hostname web, not confined)",
		"web: create jail (hostname web, confined)",
		"web: create jail (hostname web, path /jails/web, confined, ids 1000000000-1000065535, init /sbin/init, "
		"limit.memory 512M, limit.pids 100, limit.cpu_weight 200, allow.net_admin, allow.raw_sockets)",
		"web: create jail (hostname web, confined, ids 100000-165535, limit.memory 4097K)",
	};
	struct model_jail j[4];
	struct action v[4];
	struct plan p = { .actions = v, .n_actions = 4 };
	json_t *root, *arr, *o;
	json_error_t jerr;
	char *out;
	int rc;

	memset(j, 0, sizeof(j));
	for (size_t i = 0; i < 4; i++) {
		j[i].confine = i > 0;
		j[i].stop_timeout = 10;
		v[i] = mk(ACTION_JAIL_CREATE, "", "");
		strcpy(v[i].target, "web");
		v[i].hostname = "web";
		v[i].jail = &j[i];
	}
	v[2].path = "/jails/web";
	j[2].idmap = (struct model_idmap){ 1000000000u, 65536 };
	j[2].init = "/sbin/init";
	j[2].limits = (struct model_limits){ UINT64_C(512) << 20, 100, 200 };
	j[2].allow = MODEL_ALLOW_NET_ADMIN | MODEL_ALLOW_RAW_SOCKETS;
	j[2].stop_timeout = 30;
	j[3].idmap = (struct model_idmap){ 100000, 65536 };
	j[3].limits.memory = 4097 * 1024;
	fx_assert_plan(&p, want, FX_N(want));

	out = render(plan_render_json, &p, &rc);
	assert_int_equal(rc, 0);
	root = json_loads(out, 0, &jerr);
	if (!root)
		fail_msg("invalid JSON at line %d: %s\n%s", jerr.line, jerr.text, out);
	arr = json_object_get(root, "actions");
	o = json_array_get(arr, 0);
	assert_true(json_is_false(json_object_get(o, "confined")));
	assert_int_equal(json_integer_value(json_object_get(o, "stop_timeout")), 10);
	assert_null(json_object_get(o, "ids"));
	assert_null(json_object_get(o, "limits"));
	o = json_array_get(arr, 1);
	assert_true(json_is_true(json_object_get(o, "confined")));
	assert_null(json_object_get(o, "ids"));
	assert_int_equal(json_object_size(json_object_get(o, "limits")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "allow")), 0);
	o = json_array_get(arr, 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "ids"), "base")), 1000000000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "ids"), "count")), 65536);
	assert_string_equal(json_string_value(json_object_get(o, "init")), "/sbin/init");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "limits"), "memory")), 536870912);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "limits"), "pids")), 100);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "limits"), "cpu_weight")), 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "allow"), 0)), "net_admin");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "allow"), 1)), "raw_sockets");
	assert_int_equal(json_integer_value(json_object_get(o, "stop_timeout")), 30);
	json_decref(root);
	free(out);
	(void)st;
}

/* 6: FreeBSD argv for every kind: absolute program paths, jexec inside jails. */
static void test_freebsd_argv(void **st)
{
	static const char *const want[] = {
		"/usr/sbin/jail -c name=web host.hostname=web.example path=/jails/web vnet persist\n",
		"/usr/sbin/jail -r web\n",
		"/usr/sbin/jexec web /bin/sh -c echo it's up\n",
		"/sbin/ifconfig gif0 create\n/sbin/ifconfig gif0 tunnel 192.0.2.10 198.51.100.1\n"
		"/sbin/sysctl net.inet.ip.gifttl=64\n/sbin/ifconfig gif0 mtu 1480\n",
		"/sbin/ifconfig gif0 tunnel AUTO 198.51.100.2\n/sbin/sysctl net.inet.ip.gifttl=255\n"
		"/sbin/ifconfig gif0 mtu 1400\n",
		"/sbin/ifconfig bridge0 create\n",
		"/sbin/ifconfig epair3 create\n/sbin/ifconfig epair3b ether 02:fb:c0:00:16:0b\n",
		"/usr/sbin/jexec web /sbin/ifconfig epair3b destroy\n",
		"/sbin/ifconfig bridge0 addm epair3a\n",
		"/sbin/ifconfig epair3b vnet web\n",
		"/sbin/ifconfig bridge0 mtu 9000\n",
		"/usr/sbin/jexec web /sbin/ifconfig epair3b ether 02:00:00:00:00:01\n",
		"/usr/sbin/jexec web /sbin/ifconfig lo0 up\n",
		"/usr/sbin/jexec web /sbin/ifconfig epair3b inet 203.0.113.10/24 alias\n",
		"/sbin/ifconfig bridge0 inet6 2001:db8:1::1 delete\n",
		"/usr/sbin/jexec web /sbin/route add -inet6 -net 2001:db8:9::/48 2001:db8:1::fe\n",
		"/sbin/route delete -inet6 default\n",
		"/sbin/sysctl net.inet.ip.forwarding=1\n",
	};
	struct action v[32];
	size_t n = every_kind(v);

	assert_int_equal(n, FX_N(want));
	for (size_t i = 0; i < n; i++) {
		int rc;
		char *got = argv_text(&v[i], &rc);

		assert_int_equal(rc, 0);
		assert_string_equal(got, want[i]);
		free(got);
	}
	(void)st;
}

/* 7: routes and addresses in their FreeBSD spellings. */
static void test_freebsd_routes_addrs(void **st)
{
	static const struct {
		const char *dst, *gw, *dev, *ns, *want;
	} routes[] = {
		{ "72.52.104.74/32", "192.168.3.1", "", "", "/sbin/route add -host 72.52.104.74 192.168.3.1\n" },
		{ "0.0.0.0/0", "203.0.113.1", "epair1b", "j", "/usr/sbin/jexec j /sbin/route add default 203.0.113.1\n" },
		{ "::/0", "2001:470:7:5d1::1", "gif0", "", "/sbin/route add -inet6 default 2001:470:7:5d1::1\n" },
		{ "::/0", "fe80::1", "gif0", "", "/sbin/route add -inet6 default fe80::1%gif0\n" },
		{ "::/0", NULL, "gif0", "", "/sbin/route add -inet6 default -interface gif0\n" },
		{ "2001:db8::5/128", "2001:db8::1", "", "", "/sbin/route add -inet6 -host 2001:db8::5 2001:db8::1\n" },
		{ "198.51.100.0/24", "192.0.2.1", "", "", "/sbin/route add -net 198.51.100.0/24 192.0.2.1\n" },
	};
	struct action a;
	char *got;
	int rc;

	for (size_t i = 0; i < FX_N(routes); i++) {
		a = mk(ACTION_ROUTE_ADD, routes[i].ns, routes[i].dev);
		a.addr = fx_addr(routes[i].dst);
		if (routes[i].gw)
			a.gw = fx_addr(routes[i].gw);
		got = argv_text(&a, &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(got, routes[i].want);
		free(got);
	}
	/* point-to-point: our address, the peer, a host prefix */
	a = mk(ACTION_ADDR_ADD, "", "gif0");
	a.addr = fx_addr("2001:470:7:5d1::2/64");
	a.gw = fx_addr("2001:470:7:5d1::1");
	got = argv_text(&a, &rc);
	assert_string_equal(got, "/sbin/ifconfig gif0 inet6 2001:470:7:5d1::2 2001:470:7:5d1::1 prefixlen 128\n");
	free(got);
	/* a tunnel or bridge that is not called gifN / bridgeN is renamed at birth */
	a = mk(ACTION_TUNNEL_CREATE, "", "he-ipv6");
	a.local_auto = true;
	a.gw = fx_addr("72.52.104.74");
	got = argv_text(&a, &rc);
	assert_string_equal(got, "/sbin/ifconfig gif create name he-ipv6\n/sbin/ifconfig he-ipv6 tunnel AUTO 72.52.104.74\n");
	free(got);
	a = mk(ACTION_BRIDGE_CREATE, "", "lan6");
	got = argv_text(&a, &rc);
	assert_string_equal(got, "/sbin/ifconfig bridge create name lan6\n");
	free(got);
	(void)st;
}

/* 7b: FreeBSD: a confined jail carries its parameters (allow.* off but a
 * granted raw_sockets; mount.devfs only with a path) and its limits as
 * rctl rules; the text says what has no FreeBSD equivalent; an unconfined
 * jail renders the bare VNET jail. */
static void test_freebsd_confined(void **st)
{
	static const char params[] =
		" securelevel=3 enforce_statfs=2 devfs_ruleset=4%s children.max=0 allow.set_hostname=false"
		" allow.sysvipc=false allow.raw_sockets=%s allow.chflags=false allow.mount=false allow.quotas=false"
		" allow.socket_af=false allow.mlock=false allow.reserved_ports=false allow.read_msgbuf=false"
		" allow.unprivileged_proc_debug=false\n";
	struct model_jail j;
	struct action a = mk(ACTION_JAIL_CREATE, "", "");
	struct plan p = { .actions = &a, .n_actions = 1 };
	char want[1024], tail[600];
	char *got;
	int rc;

	memset(&j, 0, sizeof(j));
	strcpy(a.target, "www");
	a.hostname = "www";
	a.path = "/jails/www";
	a.jail = &j;
	/* confine = no: as before confinement */
	got = argv_text(&a, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "/usr/sbin/jail -c name=www host.hostname=www path=/jails/www vnet persist\n");
	free(got);
	/* confined, a path, limits, raw sockets granted */
	j.confine = true;
	j.stop_timeout = 10;
	j.limits = (struct model_limits){ UINT64_C(3) << 30, 64, 500 };
	j.allow = MODEL_ALLOW_RAW_SOCKETS;
	snprintf(tail, sizeof(tail), params, " mount.devfs", "true");
	snprintf(want, sizeof(want),
		 "/usr/sbin/jail -c name=www host.hostname=www path=/jails/www vnet persist%s"
		 "/usr/bin/rctl -a jail:www:memoryuse:deny=3G\n/usr/bin/rctl -a jail:www:maxproc:deny=64\n", tail);
	got = argv_text(&a, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
	got = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, "# www: confined: securelevel 3, sees only its own mounts, devfs ruleset 4, no "
				    "child jails, allow.* off but raw_sockets\n"));
	assert_non_null(strstr(got, "kern.racct.enable=1"));
	assert_non_null(strstr(got, "# www: limit.cpu_weight 500 has no clean rctl(8) equivalent"));
	assert_non_null(strstr(got, "# www: allow.net_admin = no has no FreeBSD equivalent"));
	assert_null(strstr(got, "stop.timeout"));
	assert_null(strstr(got, "no path"));
	assert_non_null(strstr(got, "\nrctl -a jail:www:memoryuse:deny=3G\nrctl -a jail:www:maxproc:deny=64\n"));
	free(got);
	/* confined, pathless, the defaults: no devfs over the host's /dev, no
	 * rctl; a stop.timeout other than jail(8)'s is pointed out */
	a.path = NULL;
	j.limits = (struct model_limits){ 0 };
	j.allow = MODEL_ALLOW_NET_ADMIN;
	j.stop_timeout = 0;
	snprintf(tail, sizeof(tail), params, "", "false");
	snprintf(want, sizeof(want), "/usr/sbin/jail -c name=www host.hostname=www path=/ vnet persist%s", tail);
	got = argv_text(&a, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
	got = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, "# www: no path: on FreeBSD the jail's root is the host's /"));
	assert_non_null(strstr(got, "# www: stop.timeout 0 s: jail -r takes stop.timeout from jail.conf(5)"));
	assert_null(strstr(got, "net_admin"));
	assert_null(strstr(got, "rctl"));
	free(got);
	(void)st;
}

/* 8: the seed renders as the admin's commands, in the admin's order (its
 * jail confined, as the parser's default makes it). */
static void test_freebsd_seed(void **st)
{
	static const char *const want[] = {
		"route add -host 72.52.104.74 192.168.3.1",
		"# local = auto: jail6 uses the source address of the route to 72.52.104.74; AUTO below stands for it",
		"ifconfig gif0 create",
		"ifconfig gif0 tunnel AUTO 72.52.104.74",
		"sysctl net.inet.ip.gifttl=64",
		"ifconfig gif0 mtu 1480",
		"ifconfig gif0 inet6 2001:470:7:5d1::2 2001:470:7:5d1::1 prefixlen 128 up",
		"route add -inet6 default 2001:470:7:5d1::1",
		"sysctl net.inet6.ip6.forwarding=1",
		"# the filter of the jails' bridge ports (own addresses, Neighbour Advertisements, no Router "
		"Advertisements) is Linux only: not rendered",
		"ifconfig bridge0 create",
		"ifconfig bridge0 inet6 -accept_rtadv",
		"ifconfig bridge0 inet6 2001:470:8142:1::1 prefixlen 64",
		"ifconfig bridge0 addm bge0 up",
		"# ClamAV_Dev: confined: securelevel 3, sees only its own mounts, devfs ruleset 4, no child jails, "
		"allow.* off",
		"# ClamAV_Dev: no path: on FreeBSD the jail's root is the host's / (read-write for its root, with the "
		"host's /dev); give it a path to confine its files",
		"# ClamAV_Dev: allow.net_admin = no has no FreeBSD equivalent: a VNET jail's root manages its own "
		"interfaces and routes",
		"jail -c name=ClamAV_Dev host.hostname=clamav-dev path=/ vnet persist securelevel=3 enforce_statfs=2 "
		"devfs_ruleset=4 children.max=0 allow.set_hostname=false allow.sysvipc=false allow.raw_sockets=false "
		"allow.chflags=false allow.mount=false allow.quotas=false allow.socket_af=false allow.mlock=false "
		"allow.reserved_ports=false allow.read_msgbuf=false allow.unprivileged_proc_debug=false",
		"jexec ClamAV_Dev sysctl net.inet.ip.portrange.reservedhigh=0",
		"ifconfig epair1 create",
		"ifconfig bridge0 addm epair1a",
		"ifconfig epair1a up",
		"ifconfig epair1b vnet ClamAV_Dev",
		"jexec ClamAV_Dev ifconfig epair1b inet6 -ifdisabled 2001:470:8142:1::3 prefixlen 64 up",
		"jexec ClamAV_Dev ifconfig lo0 up",
		"jexec ClamAV_Dev route add -inet6 default 2001:470:8142:1::1",
	};
	struct model m;
	struct plan p;
	char *out;
	int rc;
	size_t lines = 0;

	seed_plan(&m, &p);
	out = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, 0);
	assert_lines_in_order(out, want, FX_N(want));
	for (const char *c = out; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, FX_N(want) + 1); /* + the gifttl comment */
	assert_null(strstr(out, "addm gif"));
	free(out);
	plan_free(&p);
	model_free(&m);
	(void)st;
}

/* 9: the folds, and only when the actions are adjacent and match. */
static void test_freebsd_fold(void **st)
{
	struct action v[8];
	struct plan p = { v, 0 };
	char *out;
	int rc;

	/* address + up of the same interface: one line */
	v[0] = mk(ACTION_ADDR_ADD, "j", "epair1b");
	v[0].addr = fx_addr("2001:db8::3/64");
	v[1] = mk(ACTION_LINK_UP, "j", "epair1b");
	p.n_actions = 2;
	out = render(freebsd_render, &p, &rc);
	assert_string_equal(out, "jexec j ifconfig epair1b inet6 -ifdisabled 2001:db8::3 prefixlen 64 up\n");
	free(out);
	/* up of another interface, or in another jail: not folded */
	strcpy(v[1].ns, "k");
	out = render(freebsd_render, &p, &rc);
	assert_string_equal(out, "jexec j ifconfig epair1b inet6 -ifdisabled 2001:db8::3 prefixlen 64\n"
				 "jexec k ifconfig epair1b up\n");
	free(out);
	/* joins to one bridge, then its up: one line */
	v[0] = mk(ACTION_LINK_SET_MASTER, "", "eth1");
	strcpy(v[0].peer, "br0");
	v[1] = mk(ACTION_LINK_SET_MASTER, "", "eth2");
	strcpy(v[1].peer, "br0");
	v[2] = mk(ACTION_LINK_UP, "", "br0");
	v[3] = mk(ACTION_LINK_SET_MASTER, "", "eth3");
	strcpy(v[3].peer, "br1");
	v[4] = mk(ACTION_LINK_UP, "", "eth3");
	p.n_actions = 5;
	out = render(freebsd_render, &p, &rc);
	assert_string_equal(out, "ifconfig br0 addm eth1 addm eth2 up\n"
				 "ifconfig br1 addm eth3\n"
				 "ifconfig eth3 up\n");
	free(out);
	/* joins to different bridges stay apart */
	strcpy(v[1].peer, "br9");
	p.n_actions = 3;
	out = render(freebsd_render, &p, &rc);
	assert_string_equal(out, "ifconfig br0 addm eth1\nifconfig br9 addm eth2\nifconfig br0 up\n");
	free(out);
	(void)st;
}

/* 10: a gif is never bridged: not by the planner (seed with gif0 listed as
 * a member), not by the renderer (a hand-made action is refused). */
static void test_freebsd_never_bridges_gif(void **st)
{
	struct model m;
	struct state s;
	struct plan p;
	struct action a;
	struct freebsd_cmds c;
	char *out;
	int rc;

	fx_seed_model(&m);
	fx_bridge_member(&m.bridges[0], "gif0");
	fx_host_baseline(&s);
	assert_int_equal(plan_build(&m, &s, &p), 0);
	out = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "addm gif"));
	assert_non_null(strstr(out, "ifconfig bridge0 addm bge0 up\n"));
	free(out);
	plan_free(&p);
	state_free(&s);
	model_free(&m);

	a = mk(ACTION_LINK_SET_MASTER, "", "gif0");
	strcpy(a.peer, "bridge0");
	assert_int_equal(freebsd_action_argv(&a, &c), -EINVAL);
	assert_int_equal(c.n, 0);
	p.actions = &a;
	p.n_actions = 1;
	out = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_true(!strncmp(out, "# error: gif0: attach to bridge0: a gif(4) tunnel is never added", 64));
	free(out);
	(void)st;
}

/* 11: what FreeBSD cannot do is -EINVAL and an error comment; the rest of
 * the plan is still printed. */
static void test_freebsd_unsupported(void **st)
{
	struct action v[4];
	struct plan p = { v, 0 };
	struct freebsd_cmds c;
	char *out;
	int rc;

	v[0] = mk(ACTION_VETH_CREATE, "", "veth0a");
	strcpy(v[0].peer, "veth0b");
	strcpy(v[0].base, "veth0");
	v[1] = mk(ACTION_SYSCTL_SET, "", "");
	strcpy(v[1].key, "ipv6.bogus");
	strcpy(v[1].value, "1");
	v[2] = mk(ACTION_TUNNEL_CREATE, "", "gif0");
	v[2].local_auto = true;
	v[2].gw = fx_addr("198.51.100.1");
	v[2].datapath = MODEL_DATAPATH_USERSPACE;
	v[3] = mk(ACTION_BRIDGE_CREATE, "", "bridge0");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(freebsd_action_argv(&v[i], &c), -EINVAL);
		assert_non_null(freebsd_unsupported(&v[i]));
	}
	assert_null(freebsd_unsupported(&v[3]));
	p.n_actions = 4;
	out = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(out, "# error: veth0a: create veth pair with veth0b: FreeBSD epair(4) interfaces are named epairN"));
	assert_non_null(strstr(out, "# error: sysctl ipv6.bogus = 1: no FreeBSD sysctl"));
	assert_non_null(strstr(out, "datapath = userspace is Linux only"));
	assert_non_null(strstr(out, "\nifconfig bridge0 create\n"));
	free(out);
	/* epairN with mismatched ends is refused too */
	v[0] = mk(ACTION_VETH_CREATE, "", "epair1a");
	strcpy(v[0].peer, "epair2b");
	strcpy(v[0].base, "epair1");
	assert_non_null(freebsd_unsupported(&v[0]));
	assert_string_equal(freebsd_sysctl_name("ipv6.accept_ra"), "net.inet6.ip6.accept_rtadv");
	assert_null(freebsd_sysctl_name("ipv6.bogus"));
	(void)st;
}

/* 12: removal renders as destroy / jail -r / route delete / address delete,
 * and exec.start words are quoted for sh. */
static void test_freebsd_removal_and_quoting(void **st)
{
	struct action v[4];
	struct plan p = { v, 0 };
	char *out;
	int rc;

	v[0] = mk(ACTION_LINK_DESTROY, "", "epair1a");
	v[1] = mk(ACTION_JAIL_DESTROY, "", "");
	strcpy(v[1].target, "ClamAV_Dev");
	v[2] = mk(ACTION_ROUTE_DEL, "", "");
	v[2].addr = fx_addr("72.52.104.74/32");
	v[2].gw = fx_addr("192.168.3.1");
	v[3] = mk(ACTION_JAIL_EXEC, "", "");
	strcpy(v[3].target, "ClamAV_Dev");
	v[3].argv = &exec_argv;
	p.n_actions = 4;
	out = render(freebsd_render, &p, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "ifconfig epair1a destroy\n"
				 "jail -r ClamAV_Dev\n"
				 "route delete -host 72.52.104.74\n"
				 "jexec ClamAV_Dev /bin/sh -c 'echo it'\\''s up'\n");
	free(out);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_confinement),
		cmocka_unit_test(test_freebsd_argv),
		cmocka_unit_test(test_freebsd_routes_addrs),
		cmocka_unit_test(test_freebsd_confined),
		cmocka_unit_test(test_freebsd_seed),
		cmocka_unit_test(test_freebsd_fold),
		cmocka_unit_test(test_freebsd_never_bridges_gif),
		cmocka_unit_test(test_freebsd_unsupported),
		cmocka_unit_test(test_freebsd_removal_and_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
