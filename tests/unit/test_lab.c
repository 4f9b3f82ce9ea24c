/*
 * Unit tests of the lab's pure pieces (no root, no namespaces): the
 * topology's actions, the nftables rulesets and counter parsing, OpenVPN's
 * command lines, paths, and that the example configs agree with
 * the lab's addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lab/lab.h"
#include "util/proc.h"

static const char *const lab_ns[] = { LAB_NS_INTERNET, LAB_NS_REMOTE, LAB_NS_VPS, LAB_NS_HOST };

static bool is_lab_ns(const char *ns)
{
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(ns, lab_ns[i]))
			return true;
	return false;
}

/* A link known to exist at some point of the plan. */
struct known {
	char ns[MODEL_NAME_MAX];
	char name[MODEL_IFNAMSIZ];
};

static bool known_has(const struct known *k, size_t n, const char *ns, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k[i].ns, ns) && !strcmp(k[i].name, name))
			return true;
	return false;
}

/* 1. Every action names a lab namespace explicitly (never the caller's own
 * namespace, ns ""), and every link is created before it is used. */
static void test_topology_order(void **state)
{
	struct plan p;
	struct known k[64];
	size_t nk = 0, n_defaults = 0;

	(void)state;
	assert_int_equal(lab_topology(&p), 0);
	assert_true(p.n_actions > 10);
	for (size_t i = 0; i < 4; i++) {
		snprintf(k[nk].ns, sizeof(k[nk].ns), "%s", lab_ns[i]);
		snprintf(k[nk].name, sizeof(k[nk].name), "lo");
		nk++;
	}
	for (size_t i = 0; i < p.n_actions; i++) {
		const struct action *a = &p.actions[i];
		assert_true(is_lab_ns(a->ns));
		switch (a->kind) {
		case ACTION_VETH_CREATE:
			assert_true(is_lab_ns(a->target));
			assert_string_not_equal(a->target, a->ns);
			assert_true(model_ifname_ok(a->ifname) && model_ifname_ok(a->peer));
			assert_false(known_has(k, nk, a->ns, a->ifname));
			assert_false(known_has(k, nk, a->target, a->peer));
			snprintf(k[nk].ns, sizeof(k[nk].ns), "%s", a->ns);
			snprintf(k[nk].name, sizeof(k[nk].name), "%s", a->ifname);
			nk++;
			snprintf(k[nk].ns, sizeof(k[nk].ns), "%s", a->target);
			snprintf(k[nk].name, sizeof(k[nk].name), "%s", a->peer);
			nk++;
			break;
		case ACTION_ADDR_ADD:
		case ACTION_LINK_UP:
			assert_true(known_has(k, nk, a->ns, a->ifname));
			break;
		case ACTION_ROUTE_ADD:
			assert_true(known_has(k, nk, a->ns, a->ifname));
			assert_int_equal(a->addr.plen, 0);   /* the lab adds default routes only */
			assert_int_equal(a->gw.family, a->addr.family);
			break;
		case ACTION_SYSCTL_SET:
			if (strncmp(a->key, "ipv6.default_", 13) == 0) {
				/* for links made later: before any link of ns
				 * (k holds the four lo entries, then the veths) */
				assert_string_equal(a->value, "0");
				for (size_t j = 4; j < nk; j++)
					assert_string_not_equal(k[j].ns, a->ns);
				n_defaults++;
			} else {
				assert_string_equal(a->value, "1");
			}
			break;
		default:
			fail_msg("unexpected action kind %d", (int)a->kind);
		}
	}
	assert_int_equal(nk, 4 + 2 * 3);
	assert_int_equal(n_defaults, 2 * 4);   /* DAD and its delay, each namespace */
	plan_free(&p);
}

/* Find the address action on ns/ifname; NULL when absent. */
static const struct action *find_addr(const struct plan *p, const char *ns, const char *ifname)
{
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == ACTION_ADDR_ADD && !strcmp(p->actions[i].ns, ns) &&
		    !strcmp(p->actions[i].ifname, ifname))
			return &p->actions[i];
	return NULL;
}

static void assert_addr(const struct plan *p, const char *ns, const char *ifname, const char *want)
{
	const struct action *a = find_addr(p, ns, ifname);
	char buf[ADDR_STRLEN];

	assert_non_null(a);
	assert_string_equal(addr_format(&a->addr, buf, sizeof(buf)), want);
}

/* 2. The addresses are the spec's, on the right sides. */
static void test_topology_addresses(void **state)
{
	struct plan p;
	bool fwd4 = false, fwd6 = false, host_default = false, remote_default = false;
	char buf[ADDR_STRLEN];

	(void)state;
	assert_int_equal(lab_topology(&p), 0);
	assert_addr(&p, LAB_NS_INTERNET, LAB_IF_INET_VPS, "198.51.100.1/24");
	assert_addr(&p, LAB_NS_VPS, LAB_IF_VPS_PUBLIC, "198.51.100.2/24");
	assert_addr(&p, LAB_NS_VPS, LAB_IF_VPS_LAN, "203.0.113.1/24");
	assert_addr(&p, LAB_NS_HOST, LAB_IF_HOST_WAN, "203.0.113.2/24");
	assert_addr(&p, LAB_NS_INTERNET, LAB_IF_INET_REM, "2001:db8:aaaa::1/64");
	assert_addr(&p, LAB_NS_REMOTE, LAB_IF_REM_INET, "2001:db8:aaaa::2/64");
	for (size_t i = 0; i < p.n_actions; i++) {
		const struct action *a = &p.actions[i];
		if (a->kind == ACTION_SYSCTL_SET && !strcmp(a->ns, LAB_NS_VPS))
			fwd4 = !strcmp(a->key, "ipv4.forwarding");
		if (a->kind == ACTION_SYSCTL_SET && !strcmp(a->ns, LAB_NS_INTERNET))
			fwd6 = !strcmp(a->key, "ipv6.forwarding");
		if (a->kind == ACTION_ROUTE_ADD && !strcmp(a->ns, LAB_NS_HOST)) {
			assert_int_equal(a->addr.family, AF_INET);
			assert_string_equal(addr_format_host(&a->gw, buf, sizeof(buf)), "203.0.113.1");
			host_default = true;
		}
		if (a->kind == ACTION_ROUTE_ADD && !strcmp(a->ns, LAB_NS_REMOTE)) {
			assert_int_equal(a->addr.family, AF_INET6);
			assert_string_equal(addr_format_host(&a->gw, buf, sizeof(buf)), "2001:db8:aaaa::1");
			remote_default = true;
		}
		/* the internet knows nothing of the VPN or the host's LAN: only
		 * NAT makes replies find their way back */
		if (!strcmp(a->ns, LAB_NS_INTERNET))
			assert_int_not_equal(a->kind, ACTION_ROUTE_ADD);
	}
	assert_true(fwd4 && fwd6 && host_default && remote_default);
	plan_free(&p);
}

/* 3. The rulesets say what the lab promises, and refuse a short buffer. */
static void test_nft_rulesets(void **state)
{
	char buf[2048], tiny[16];
	int n;

	(void)state;
	n = lab_nft_vps(buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_non_null(strstr(buf, "table ip " LAB_NFT_TABLE));
	assert_non_null(strstr(buf, "hook postrouting"));
	assert_non_null(strstr(buf, "oifname \"to-inet\" counter masquerade"));
	assert_non_null(strstr(buf, "hook prerouting"));
	assert_non_null(strstr(buf, "iifname \"to-inet\" ip protocol 41 counter dnat to 192.0.2.2"));
	n = lab_nft_host(buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "hook input"));
	assert_non_null(strstr(buf, "iifname \"wan0\" icmp type echo-request counter drop"));
	assert_int_equal(lab_nft_vps(tiny, sizeof(tiny)), -ENOSPC);
	assert_int_equal(lab_nft_host(tiny, sizeof(tiny)), -ENOSPC);
}

/* 4. Counters are summed over the rules of `nft -j list table`. */
static void test_nft_counters(void **state)
{
	unsigned long long n = 99;

	(void)state;
	assert_int_equal(lab_nft_counter_sum(
		"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
		" {\"table\": {\"family\": \"ip\", \"name\": \"jail6lab\"}},"
		" {\"rule\": {\"expr\": [{\"match\": {}}, {\"counter\": {\"packets\": 7, \"bytes\": 588}},"
		" {\"masquerade\": null}]}},"
		" {\"rule\": {\"expr\": [{\"counter\": {\"packets\": 5, \"bytes\": 1}}, {\"drop\": null}]}}]}",
		&n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(lab_nft_counter_sum("{\"nftables\": [{\"rule\": {\"expr\": [{\"drop\": null}]}}]}", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(lab_nft_counter_sum("{\"nftables\": []}", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(lab_nft_counter_sum("Error: No such file or directory", &n), -EINVAL);
	assert_int_equal(lab_nft_counter_sum("{\"other\": []}", &n), -EINVAL);
	assert_int_equal(lab_nft_counter_sum("", &n), -EINVAL);
	/* a negative count is not counted */
	assert_int_equal(lab_nft_counter_sum("{\"nftables\": [{\"rule\": {\"expr\": [{\"counter\": {\"packets\": -3}}]}}]}", &n), 0);
	assert_int_equal(n, 0);
}

/* Index of word in a NULL-terminated argv, or -1. */
static int argv_find(const char *const *v, const char *word)
{
	for (int i = 0; v[i]; i++)
		if (!strcmp(v[i], word))
			return i;
	return -1;
}

/* 5. OpenVPN: a static-key point-to-point pair whose ends mirror each other. */
static void test_openvpn_argv(void **state)
{
	struct lab l;
	struct lab_openvpn s, c;
	int i;

	(void)state;
	assert_int_equal(lab_init(&l, "/tmp/jail6-lab-unit", "h.conf", "b.conf"), 0);
	assert_int_equal(lab_openvpn(&l, true, &s), 0);
	assert_int_equal(lab_openvpn(&l, false, &c), 0);
	assert_string_equal(s.ns, LAB_NS_VPS);
	assert_string_equal(c.ns, LAB_NS_HOST);
	assert_string_equal(s.key, "/tmp/jail6-lab-unit/vpn.key");
	assert_string_equal(s.key, c.key);
	assert_string_equal(s.pid, "/tmp/jail6-lab-unit/openvpn-vps.pid");
	assert_string_equal(c.log, "/tmp/jail6-lab-unit/openvpn-host.log");
	assert_string_equal(s.argv[0], "openvpn");

	i = argv_find(s.argv, "--ifconfig");
	assert_true(i > 0);
	assert_string_equal(s.argv[i + 1], LAB_VPN_SERVER_V4);
	assert_string_equal(s.argv[i + 2], LAB_VPN_CLIENT_V4);
	i = argv_find(c.argv, "--ifconfig");
	assert_true(i > 0);
	assert_string_equal(c.argv[i + 1], LAB_VPN_CLIENT_V4);
	assert_string_equal(c.argv[i + 2], LAB_VPN_SERVER_V4);
	i = argv_find(c.argv, "--remote");
	assert_true(i > 0);
	assert_string_equal(c.argv[i + 1], LAB_VPS_LAN_V4);
	assert_string_equal(c.argv[i + 2], LAB_VPN_PORT);
	assert_int_equal(argv_find(s.argv, "--remote"), -1);
	i = argv_find(s.argv, "--lport");
	assert_true(i > 0);
	assert_string_equal(s.argv[i + 1], LAB_VPN_PORT);

	const struct lab_openvpn *both[] = { &s, &c };
	for (size_t k = 0; k < 2; k++) {
		const char *const *v = both[k]->argv;
		i = argv_find(v, "--secret");
		assert_true(i > 0);
		assert_ptr_equal(v[i + 1], both[k]->key);
		i = argv_find(v, "--script-security");
		assert_true(i > 0);
		assert_string_equal(v[i + 1], "0");
		i = argv_find(v, "--writepid");
		assert_true(i > 0);
		assert_ptr_equal(v[i + 1], both[k]->pid);
		i = argv_find(v, "--dev");
		assert_true(i > 0);
		assert_string_equal(v[i + 1], LAB_IF_VPN);
		assert_true(argv_find(v, "--daemon") > 0);
		assert_true(argv_find(v, "--cipher") > 0);
	}
}

/* 6. Only the lab's processes are the lab's: not us, not init. */
static void test_pid_is_ours(void **state)
{
	struct proc_id self;
	struct lab l;

	(void)state;
	assert_int_equal(lab_init(&l, "/tmp/jail6-lab-unit-none", NULL, NULL), 0);
	assert_int_equal(lab_pid_is_ours(&l, getpid()), 0);
	assert_int_equal(lab_pid_is_ours(&l, 1), 0);
	assert_int_equal(lab_pid_is_ours(&l, 0), 0);
	/* not ours: nothing is sent, whatever the process */
	assert_int_equal(proc_of(getpid(), &self), 0);
	assert_int_equal(lab_pid_stop(&l, &self, 100), -EPERM);
}

/* 7. lab_init: the default dir, and refusals. */
static void test_init(void **state)
{
	struct lab l;
	char path[PATH_MAX], longdir[LAB_DIR_MAX + 10];

	(void)state;
	assert_int_equal(lab_init(&l, NULL, "a.conf", "b.conf"), 0);
	assert_string_equal(l.dir, LAB_DIR_DEFAULT);
	assert_string_equal(l.netns_dir, LAB_DIR_DEFAULT "/netns");
	assert_string_equal(l.host_conf, "a.conf");
	assert_string_equal(l.broker_conf, "b.conf");
	assert_int_equal(lab_path(&l, "vpn.key", path, sizeof(path)), 0);
	assert_string_equal(path, LAB_DIR_DEFAULT "/vpn.key");
	assert_int_equal(lab_tunnel_file(&l, LAB_NS_HOST, LAB_TUNNEL_HOST, "pid", path, sizeof(path)), 0);
	assert_string_equal(path, LAB_DIR_DEFAULT "/state-host/run/tunnel/he0.pid");
	assert_int_equal(lab_tunnel_file(&l, LAB_NS_INTERNET, LAB_TUNNEL_BROKER, "stats", path, sizeof(path)), 0);
	assert_string_equal(path, LAB_DIR_DEFAULT "/state-broker/run/tunnel/he-broker.stats");
	assert_int_equal(lab_path(&l, "vpn.key", path, 8), -ENAMETOOLONG);

	assert_int_equal(lab_init(&l, "relative/lab", NULL, NULL), -EINVAL);
	assert_int_equal(lab_init(&l, "/", NULL, NULL), -EINVAL);
	assert_non_null(strstr(l.err, "absolute"));
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(lab_init(&l, longdir, NULL, NULL), -ENAMETOOLONG);
}

/* 8. lab_find_program: PATH, then the sbin dirs; never a relative dir. */
static void test_find_program(void **state)
{
	char buf[PATH_MAX];
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;

	(void)state;
	assert_int_equal(lab_find_program("sh", buf, sizeof(buf)), 0);
	assert_true(buf[0] == '/');
	assert_int_equal(lab_find_program("jail6-no-such-program", buf, sizeof(buf)), -ENOENT);
	/* an empty PATH still finds /bin/sh by the fallback dirs */
	setenv("PATH", ".", 1);
	assert_int_equal(lab_find_program("sh", buf, sizeof(buf)), 0);
	assert_true(buf[0] == '/');
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
}

/* Load a config file of the tree (tests run from the top directory). */
static void load(const char *path, struct model *m)
{
	struct conf_errors errs = { 0 };
	int rc = conf_load(path, m, &errs);

	if (rc != 0)
		conf_errors_print(stderr, &errs);
	conf_errors_free(&errs);
	assert_int_equal(rc, 0);
}

static void assert_host(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format_host(a, buf, sizeof(buf)), want);
}

/* 9. The two example configs and the lab agree on every address that
 * must match across the namespaces. */
static void test_examples_agree(void **state)
{
	struct model host = { 0 }, broker = { 0 };
	const struct model_tunnel *t, *b;

	(void)state;
	load("examples/lab.conf", &host);
	load("examples/lab-broker.conf", &broker);
	t = model_find_tunnel(&host, LAB_TUNNEL_HOST);
	b = model_find_tunnel(&broker, LAB_TUNNEL_BROKER);
	assert_non_null(t);
	assert_non_null(b);
	assert_host(&t->remote, LAB_BROKER_V4);
	assert_true(t->has_via);
	assert_host(&t->via, LAB_VPN_SERVER_V4);
	assert_int_equal(b->role, MODEL_ROLE_BROKER);
	assert_false(b->local_auto);
	assert_host(&b->local, LAB_BROKER_V4);
	/* the broker sees the VPS's masqueraded address as the outer source */
	assert_host(&b->remote, LAB_VPS_PUBLIC_V4);
	/* the two tunnel ends are each other's peers */
	assert_true(t->has_peer && b->has_peer);
	assert_true(addr_same_host(&t->peer, &b->address));
	assert_true(addr_same_host(&b->peer, &t->address));
	/* the broker routes the host's bridge prefix */
	assert_int_equal(b->n_routed, 1);
	assert_int_equal(host.n_bridges, 1);
	const struct addr *br = model_bridge_addr(&host.bridges[0], AF_INET6);
	assert_non_null(br);
	struct addr net = addr_network(br);
	assert_true(addr_equal(&net, &b->routed[0]));
	assert_non_null(model_find_jail(&host, "www"));
	assert_non_null(model_find_jail(&host, "db"));
	model_free(&host);
	model_free(&broker);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology_order),
		cmocka_unit_test(test_topology_addresses),
		cmocka_unit_test(test_nft_rulesets),
		cmocka_unit_test(test_nft_counters),
		cmocka_unit_test(test_openvpn_argv),
		cmocka_unit_test(test_pid_is_ours),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_find_program),
		cmocka_unit_test(test_examples_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
