/*
 * The lab's world as data: the links, addresses and routes between its
 * namespaces (plan actions for the Linux backend), the nftables rulesets,
 * OpenVPN's command lines and the paths of the lab's files. No I/O.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lab/lab.h"
#include "lab/lab_int.h"

/* One veth pair: end a lives in ns_a, end b in ns_b. The a end is the one
 * the backend creates (with IPv6 address generation off, as for a bridge
 * port), so it is the IPv4-only side wherever there is one. */
struct lab_veth {
	const char *ns_a, *if_a, *addr_a;
	const char *ns_b, *if_b, *addr_b;
};

static const struct lab_veth lab_veths[] = {
	{ LAB_NS_VPS, LAB_IF_VPS_PUBLIC, LAB_VPS_PUBLIC_V4 "/24",
	  LAB_NS_INTERNET, LAB_IF_INET_VPS, LAB_BROKER_V4 "/24" },
	{ LAB_NS_VPS, LAB_IF_VPS_LAN, LAB_VPS_LAN_V4 "/24",
	  LAB_NS_HOST, LAB_IF_HOST_WAN, LAB_HOST_WAN_V4 "/24" },
	{ LAB_NS_REMOTE, LAB_IF_REM_INET, LAB_REMOTE_V6 "/64",
	  LAB_NS_INTERNET, LAB_IF_INET_REM, LAB_REMOTE_GW_V6 "/64" },
};

static const char *const lab_namespaces[] = {
	LAB_NS_INTERNET, LAB_NS_REMOTE, LAB_NS_VPS, LAB_NS_HOST,
};

/* An action of kind k in namespace ns on link ifname. */
static struct action act(enum action_kind k, const char *ns, const char *ifname)
{
	struct action a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	snprintf(a.ns, sizeof(a.ns), "%s", ns);
	snprintf(a.ifname, sizeof(a.ifname), "%s", ifname ? ifname : "");
	return a;
}

/* Parse one of the constants above; they are known to be valid. */
static struct addr parse(const char *s)
{
	struct addr a = { 0 };

	addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL);
	return a;
}

static int add_route(struct plan *p, const char *ns, const char *dst, const char *gw,
		     const char *dev)
{
	struct action a = act(ACTION_ROUTE_ADD, ns, dev);

	a.addr = parse(dst);
	a.gw = parse(gw);
	return plan_append(p, &a);
}

static int add_sysctl(struct plan *p, const char *ns, const char *key, const char *value)
{
	struct action a = act(ACTION_SYSCTL_SET, ns, NULL);

	snprintf(a.key, sizeof(a.key), "%s", key);
	snprintf(a.value, sizeof(a.value), "%s", value);
	return plan_append(p, &a);
}

int lab_topology(struct plan *out)
{
	struct action a;
	int rc = 0;

	*out = (struct plan){ 0 };
	/* netns_create leaves lo down; local traffic (and OpenVPN) wants it */
	for (size_t i = 0; rc == 0 && i < sizeof(lab_namespaces) / sizeof(lab_namespaces[0]); i++) {
		a = act(ACTION_LINK_UP, lab_namespaces[i], "lo");
		rc = plan_append(out, &a);
		/* link-locals usable at once on the links made next (no DAD,
		 * no random wait before it; see do_bridge_create): while one is
		 * tentative the kernel sends no neighbour solicitation for a
		 * packet it forwards, and the first pings waited 1-2 s */
		if (rc == 0)
			rc = add_sysctl(out, lab_namespaces[i], "ipv6.default_dad_transmits", "0");
		if (rc == 0)
			rc = add_sysctl(out, lab_namespaces[i], "ipv6.default_rs_delay", "0");
	}
	for (size_t i = 0; rc == 0 && i < sizeof(lab_veths) / sizeof(lab_veths[0]); i++) {
		const struct lab_veth *v = &lab_veths[i];

		/* born with its peer already in ns_b: no move needed */
		a = act(ACTION_VETH_CREATE, v->ns_a, v->if_a);
		snprintf(a.peer, sizeof(a.peer), "%s", v->if_b);
		snprintf(a.target, sizeof(a.target), "%s", v->ns_b);
		rc = plan_append(out, &a);
		a = act(ACTION_ADDR_ADD, v->ns_a, v->if_a);
		a.addr = parse(v->addr_a);
		if (rc == 0)
			rc = plan_append(out, &a);
		a = act(ACTION_ADDR_ADD, v->ns_b, v->if_b);
		a.addr = parse(v->addr_b);
		if (rc == 0)
			rc = plan_append(out, &a);
		a = act(ACTION_LINK_UP, v->ns_a, v->if_a);
		if (rc == 0)
			rc = plan_append(out, &a);
		a = act(ACTION_LINK_UP, v->ns_b, v->if_b);
		if (rc == 0)
			rc = plan_append(out, &a);
	}
	/* the host's ordinary LAN default route; the broker's host route via
	 * the VPN is jail6's job (the tunnel's `via`) */
	if (rc == 0)
		rc = add_route(out, LAB_NS_HOST, "0.0.0.0/0", LAB_VPS_LAN_V4, LAB_IF_HOST_WAN);
	if (rc == 0)
		rc = add_route(out, LAB_NS_REMOTE, "::/0", LAB_REMOTE_GW_V6, LAB_IF_REM_INET);
	/* the VPS routes the VPN to the internet; the internet routes between
	 * the broker's tunnel and the remote host */
	if (rc == 0)
		rc = add_sysctl(out, LAB_NS_VPS, "ipv4.forwarding", "1");
	if (rc == 0)
		rc = add_sysctl(out, LAB_NS_INTERNET, "ipv6.forwarding", "1");
	if (rc < 0)
		plan_free(out);
	return rc;
}

/* snprintf that reports truncation as -ENOSPC. */
static int fit(int n, size_t len)
{
	return n < 0 ? -EINVAL : (size_t)n >= len ? -ENOSPC : n;
}

int lab_nft_vps(char *buf, size_t len)
{
	/* The forward of protocol 41 is what a NAT router in front of a 6in4
	 * client needs: without it, a packet from the broker that arrives
	 * before the client's first one makes conntrack take the flow for an
	 * inbound one, and the client's packets then find no free mapping
	 * (protocol 41 has no ports to vary) until it times out. */
	return fit(snprintf(buf, len,
		"# jail6 lab, vps: masquerade what leaves toward the broker, as the seed's\n"
		"# VPS NATs its OpenVPN network (192.0.2.0/24) to its public address, and\n"
		"# forward 6in4 (IP protocol 41) arriving from there to the host.\n"
		"table ip " LAB_NFT_TABLE " {\n"
		"\tchain prerouting {\n"
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		"\t\tiifname \"" LAB_IF_VPS_PUBLIC "\" ip protocol 41 counter dnat to " LAB_VPN_CLIENT_V4 "\n"
		"\t}\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\toifname \"" LAB_IF_VPS_PUBLIC "\" counter masquerade\n"
		"\t}\n"
		"}\n"), len);
}

int lab_nft_host(char *buf, size_t len)
{
	return fit(snprintf(buf, len,
		"# jail6 lab, host: the WAN does not answer pings (the seed's network),\n"
		"# which is why the tunnel's endpoint is reached through the VPN.\n"
		"table inet " LAB_NFT_TABLE " {\n"
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\tiifname \"" LAB_IF_HOST_WAN "\" icmp type echo-request counter drop\n"
		"\t}\n"
		"}\n"), len);
}

int lab_nft_counter_sum(const char *json, unsigned long long *packets)
{
	json_t *root = json_loads(json, 0, NULL), *items, *it;
	size_t i, k;
	int rc = 0;

	*packets = 0;
	items = json_object_get(root, "nftables");
	if (!json_is_array(items)) {
		rc = -EINVAL;
		goto cleanup;
	}
	json_array_foreach(items, i, it) {
		json_t *expr = json_object_get(json_object_get(it, "rule"), "expr"), *e;
		json_array_foreach(expr, k, e) {
			json_t *n = json_object_get(json_object_get(e, "counter"), "packets");
			if (json_is_integer(n) && json_integer_value(n) > 0)
				*packets += (unsigned long long)json_integer_value(n);
		}
	}
cleanup:
	json_decref(root);
	return rc;
}

int lab_path(const struct lab *l, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", l->dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lab_tunnel_file(const struct lab *l, const char *ns, const char *name, const char *ext,
		    char *buf, size_t len)
{
	/* the files the backend keeps in its instance's run dir: each end's
	 * state dir (lab_end) holds run/tunnel/NAME.EXT */
	const char *state = !strcmp(ns, lab_broker_end.ns) ? lab_broker_end.state_name : lab_host_end.state_name;
	int n = snprintf(buf, len, "%s/%s/run/tunnel/%s.%s", l->dir, state, name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lab_openvpn(const struct lab *l, bool server, struct lab_openvpn *o)
{
	char name[64];
	size_t n = 0;
	int rc;

	o->ns = server ? LAB_NS_VPS : LAB_NS_HOST;
	rc = lab_path(l, "vpn.key", o->key, sizeof(o->key));
	snprintf(name, sizeof(name), "openvpn-%s.pid", o->ns);
	if (rc == 0)
		rc = lab_path(l, name, o->pid, sizeof(o->pid));
	snprintf(name, sizeof(name), "openvpn-%s.log", o->ns);
	if (rc == 0)
		rc = lab_path(l, name, o->log, sizeof(o->log));
	if (rc < 0)
		return rc;
	const char **v = o->argv;
	v[n++] = "openvpn";
	v[n++] = "--dev"; v[n++] = LAB_IF_VPN;
	v[n++] = "--dev-type"; v[n++] = "tun";
	v[n++] = "--proto"; v[n++] = "udp";
	if (server) {
		v[n++] = "--local"; v[n++] = LAB_VPS_LAN_V4;
		v[n++] = "--lport"; v[n++] = LAB_VPN_PORT;
		v[n++] = "--ifconfig"; v[n++] = LAB_VPN_SERVER_V4; v[n++] = LAB_VPN_CLIENT_V4;
	} else {
		v[n++] = "--remote"; v[n++] = LAB_VPS_LAN_V4; v[n++] = LAB_VPN_PORT;
		v[n++] = "--nobind";
		v[n++] = "--ifconfig"; v[n++] = LAB_VPN_CLIENT_V4; v[n++] = LAB_VPN_SERVER_V4;
	}
	/* Static-key mode: the simplest point-to-point VPN, no PKI. OpenVPN 2.6
	 * still runs it (with a deprecation warning); its default cipher for
	 * it, BF-CBC, is gone from OpenSSL 3, hence the explicit one. */
	v[n++] = "--secret"; v[n++] = o->key;
	v[n++] = "--cipher"; v[n++] = "AES-256-CBC";
	/* it sets its addresses over netlink itself: no scripts at all */
	v[n++] = "--script-security"; v[n++] = "0";
	v[n++] = "--daemon";
	v[n++] = "--writepid"; v[n++] = o->pid;
	v[n++] = "--log"; v[n++] = o->log;
	v[n++] = "--verb"; v[n++] = "3";
	v[n] = NULL;
	return 0;
}
