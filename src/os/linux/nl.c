/*
 * rtnetlink plumbing: request builders, reply parsers, a checked
 * request/reply exchange over libmnl, and the backend context that keeps one
 * socket per network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/veth.h>

#include "os/linux/nl.h"

/* ------------------------------------------------------------------ */
/* request builders */

/* Zero buf and start a request of type with flags (NLM_F_REQUEST added). */
static struct nlmsghdr *req_start(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return ifi;
}

static uint8_t full_plen(const struct addr *a)
{
	if (a->plen >= 0)
		return (uint8_t)a->plen;
	return a->family == AF_INET ? 32 : 128;
}

static bool addr_ok(const struct addr *a)
{
	int max = a->family == AF_INET ? 32 : 128;

	return (a->family == AF_INET || a->family == AF_INET6) && a->plen <= max;
}

struct nlmsghdr *nl_req_link_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_GETLINK, 0);

	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

struct nlmsghdr *nl_req_dump(void *buf, uint16_t type, int family)
{
	struct nlmsghdr *nlh = req_start(buf, type, NLM_F_DUMP);

	switch (type) {
	case RTM_GETLINK:
		put_ifinfo(nlh, 0)->ifi_family = (unsigned char)family;
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		break;
	case RTM_GETADDR: {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = (uint8_t)family;
		break;
	}
	case RTM_GETROUTE: {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = (unsigned char)family;
		break;
	}
	default:
		return NULL;
	}
	return nlh;
}

/* Start RTM_NEWLINK creating name of kind; returns the open IFLA_LINKINFO
 * nest in *info so the caller can add IFLA_INFO_DATA. */
static struct nlmsghdr *req_link_create(void *buf, const char *name, const char *kind,
					struct nlattr **info)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);

	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	return nlh;
}

struct nlmsghdr *nl_req_bridge_create(void *buf, const char *name)
{
	struct nlattr *info;
	struct nlmsghdr *nlh = req_link_create(buf, name, "bridge", &info);

	mnl_attr_nest_end(nlh, info);
	return nlh;
}

/*
 * The host end of a veth is a bridge port: it needs no IPv6 of its own.
 * Without a link-local address it sends no DAD probes, MLD reports or router
 * solicitations, which the bridge would flood to every other port: with a
 * thousand jails that chatter was most of apply's time.
 */
static void put_no_ipv6_addrs(struct nlmsghdr *nlh)
{
	struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);

	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
}

struct nlmsghdr *nl_req_veth_create(void *buf, const char *name, const char *peer,
				    const uint8_t *peer_mac, int peer_netns_fd)
{
	struct nlattr *info, *data, *p;
	struct nlmsghdr *nlh = req_link_create(buf, name, "veth", &info);

	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is described like a link of its own: ifinfomsg, then attrs. */
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	/* Born in its jail: moving a link between namespaces later costs an
	 * RCU grace period (about 15 ms each), creating it there does not. */
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *nl_req_link_no_ipv6(void *buf, const char *name)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_SETLINK, 0);

	put_ifinfo(nlh, 0); /* index 0: the kernel finds the link by IFLA_IFNAME */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	put_no_ipv6_addrs(nlh);
	return nlh;
}

struct nlmsghdr *nl_req_link_set(void *buf, int ifindex, const struct nl_link_set *set)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_SETLINK, 0);
	struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);

	if (set->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (set->master >= 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)set->master);
	if (set->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)set->netns_fd);
	if (set->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)set->mtu);
	if (set->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, set->mac);
	return nlh;
}

struct nlmsghdr *nl_req_link_del(void *buf, int ifindex)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_DELLINK, 0);

	put_ifinfo(nlh, ifindex);
	return nlh;
}

struct nlmsghdr *nl_req_addr(void *buf, uint16_t type, int ifindex, const struct addr *a)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t len = addr_len(a);

	if ((type != RTM_NEWADDR && type != RTM_DELADDR) || !addr_ok(a))
		return NULL;
	nlh = req_start(buf, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = full_plen(a);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (a->family == AF_INET) {
		/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer, the
		 * same on a non-point-to-point link. */
		mnl_attr_put(nlh, IFA_LOCAL, len, a->bytes);
		mnl_attr_put(nlh, IFA_ADDRESS, len, a->bytes);
	} else {
		mnl_attr_put(nlh, IFA_ADDRESS, len, a->bytes);
		if (type == RTM_NEWADDR) {
			/* No duplicate address detection: the address is
			 * usable at once instead of "tentative" for ~1 s. */
			ifa->ifa_flags = IFA_F_NODAD;
			mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
		}
	}
	return nlh;
}

struct nlmsghdr *nl_req_route(void *buf, uint16_t type, const struct addr *dst,
			      const struct addr *gw, int oif)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	bool has_gw = gw && gw->family != 0;

	if ((type != RTM_NEWROUTE && type != RTM_DELROUTE) || !addr_ok(dst))
		return NULL;
	if (has_gw && gw->family != dst->family)
		return NULL;
	nlh = req_start(buf, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)dst->family;
	rtm->rtm_dst_len = full_plen(dst);
	rtm->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_type = RTN_UNICAST;
		rtm->rtm_scope = has_gw || dst->family == AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	} else {
		/* Delete matches any protocol, type and scope. */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	if (rtm->rtm_dst_len > 0)
		mnl_attr_put(nlh, RTA_DST, addr_len(dst), dst->bytes);
	if (has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw), gw->bytes);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

struct nlmsghdr *nl_req_route_get(void *buf, const struct addr *dst)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!addr_ok(dst))
		return NULL;
	nlh = req_start(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, addr_len(dst), dst->bytes);
	return nlh;
}

static uint32_t v4_be(const struct addr *a)
{
	uint32_t v = 0;

	if (a->family == AF_INET)
		memcpy(&v, a->bytes, 4);
	return v;
}

struct nlmsghdr *nl_req_sit(void *buf, const char *name, int ifindex, const struct nl_sit *t)
{
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (t->remote.family != AF_INET || (t->local.family != 0 && t->local.family != AF_INET) ||
	    t->ttl < 0 || t->ttl > 255 || t->mtu < 0)
		return NULL;
	if (ifindex > 0) {
		nlh = req_start(buf, RTM_NEWLINK, 0);
		put_ifinfo(nlh, ifindex);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "sit");
	} else {
		nlh = req_link_create(buf, name, "sit", &info);
	}
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	if (t->local.family == AF_INET)
		mnl_attr_put_u32(nlh, IFLA_IPTUN_LOCAL, v4_be(&t->local));
	mnl_attr_put_u32(nlh, IFLA_IPTUN_REMOTE, v4_be(&t->remote));
	mnl_attr_put_u8(nlh, IFLA_IPTUN_TTL, (uint8_t)t->ttl);
	mnl_attr_put_u8(nlh, IFLA_IPTUN_PROTO, IPPROTO_IPV6);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	/* IFLA_MTU sits outside IFLA_LINKINFO, after the nest. */
	if (t->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)t->mtu);
	return nlh;
}

/* ------------------------------------------------------------------ */
/* reply parsers */

struct attr_tab {
	const struct nlattr **tb;
	int max;
};

/* mnl_attr_parse callback: keep attributes of known type in tb[type];
 * newer attributes beyond max are skipped, not errors. */
static int attr_keep_cb(const struct nlattr *attr, void *data)
{
	const struct attr_tab *t = data;
	int type = mnl_attr_get_type(attr);

	if (type > t->max)
		return MNL_CB_OK;
	t->tb[type] = attr;
	return MNL_CB_OK;
}

/* Validate the attributes of tb against per-type rules; -EINVAL on the
 * first that fails (wrong length for a u32, a string without its NUL...). */
static int attr_check(const struct nlattr **tb, int max, const enum mnl_attr_data_type *types)
{
	for (int i = 0; i <= max; i++) {
		if (!tb[i] || types[i] == MNL_TYPE_UNSPEC)
			continue;
		if (mnl_attr_validate(tb[i], types[i]) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Fill out (family, bytes) from an attribute carrying a raw address. */
static int attr_addr(const struct nlattr *attr, int family, int plen, struct addr *out)
{
	size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (want == 0 || mnl_attr_get_payload_len(attr) != want)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->bytes, mnl_attr_get_payload(attr), want);
	out->plen = plen;
	return 0;
}

/* Parse IFLA_INFO_DATA of a sit link into out. */
static int parse_iptun(const struct nlattr *nest, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_IPTUN_MAX + 1] = { 0 };
	struct attr_tab t = { tb, IFLA_IPTUN_MAX };
	static const enum mnl_attr_data_type types[IFLA_IPTUN_MAX + 1] = {
		[IFLA_IPTUN_LOCAL] = MNL_TYPE_U32,
		[IFLA_IPTUN_REMOTE] = MNL_TYPE_U32,
		[IFLA_IPTUN_TTL] = MNL_TYPE_U8,
	};

	if (mnl_attr_parse_nested(nest, attr_keep_cb, &t) < 0 ||
	    attr_check(tb, IFLA_IPTUN_MAX, types) < 0)
		return -EINVAL;
	out->has_iptun = true;
	if (tb[IFLA_IPTUN_LOCAL] && mnl_attr_get_u32(tb[IFLA_IPTUN_LOCAL]) != 0)
		attr_addr(tb[IFLA_IPTUN_LOCAL], AF_INET, -1, &out->local);
	if (tb[IFLA_IPTUN_REMOTE] && mnl_attr_get_u32(tb[IFLA_IPTUN_REMOTE]) != 0)
		attr_addr(tb[IFLA_IPTUN_REMOTE], AF_INET, -1, &out->remote);
	if (tb[IFLA_IPTUN_TTL])
		out->ttl = mnl_attr_get_u8(tb[IFLA_IPTUN_TTL]);
	return 0;
}

/* Parse IFLA_LINKINFO: the kind, and tunnel parameters for sit. */
static int parse_linkinfo(const struct nlattr *nest, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = { 0 };
	struct attr_tab t = { tb, IFLA_INFO_MAX };
	static const enum mnl_attr_data_type types[IFLA_INFO_MAX + 1] = {
		[IFLA_INFO_KIND] = MNL_TYPE_STRING,
		[IFLA_INFO_DATA] = MNL_TYPE_NESTED,
	};
	const char *kind;

	if (mnl_attr_parse_nested(nest, attr_keep_cb, &t) < 0 ||
	    attr_check(tb, IFLA_INFO_MAX, types) < 0)
		return -EINVAL;
	if (!tb[IFLA_INFO_KIND])
		return 0;
	kind = mnl_attr_get_str(tb[IFLA_INFO_KIND]);
	/* The kernel sends the kind NUL-terminated; bound it anyway. */
	if (strnlen(kind, mnl_attr_get_payload_len(tb[IFLA_INFO_KIND])) >= sizeof(out->kind))
		return -EINVAL;
	memcpy(out->kind, kind, strnlen(kind, mnl_attr_get_payload_len(tb[IFLA_INFO_KIND])));
	if (strcmp(out->kind, "sit") == 0 && tb[IFLA_INFO_DATA])
		return parse_iptun(tb[IFLA_INFO_DATA], out);
	return 0;
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	struct attr_tab t = { tb, IFLA_MAX };
	static const enum mnl_attr_data_type types[IFLA_MAX + 1] = {
		[IFLA_IFNAME] = MNL_TYPE_NUL_STRING,
		[IFLA_MTU] = MNL_TYPE_U32,
		[IFLA_MASTER] = MNL_TYPE_U32,
		[IFLA_LINKINFO] = MNL_TYPE_NESTED,
	};
	const struct ifinfomsg *ifi;
	const char *name;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifi), attr_keep_cb, &t) < 0 ||
	    attr_check(tb, IFLA_MAX, types) < 0 || !tb[IFLA_IFNAME])
		return -EINVAL;
	name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (name[0] == '\0' || strlen(name) >= sizeof(out->name))
		return -EINVAL;
	strcpy(out->name, name);
	out->index = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	if (tb[IFLA_MTU])
		out->mtu = (int)mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		out->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	/* Only Ethernet-like 6-byte hardware addresses are MACs. */
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		out->has_mac = true;
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	}
	if (tb[IFLA_LINKINFO])
		return parse_linkinfo(tb[IFLA_LINKINFO], out);
	return 0;
}

int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *out)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct attr_tab t = { tb, IFA_MAX };
	static const enum mnl_attr_data_type types[IFA_MAX + 1] = {
		[IFA_FLAGS] = MNL_TYPE_U32,
	};
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_keep_cb, &t) < 0 ||
	    attr_check(tb, IFA_MAX, types) < 0)
		return -EINVAL;
	/* IFA_LOCAL is our address on point-to-point links (IFA_ADDRESS is then
	 * the peer); elsewhere only IFA_ADDRESS may be present. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || attr_addr(a, ifa->ifa_family, ifa->ifa_prefixlen, &out->addr) < 0)
		return -EINVAL;
	if (ifa->ifa_prefixlen > (ifa->ifa_family == AF_INET ? 32 : 128))
		return -EINVAL;
	out->index = (int)ifa->ifa_index;
	out->scope = ifa->ifa_scope;
	out->flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	return 0;
}

/* The first next hop of an RTA_MULTIPATH route: gateway and device. */
static int parse_multipath(const struct nlattr *mp, struct nl_route *out)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	const struct nlattr *attr;
	size_t off;

	if (len < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return -EINVAL;
	out->oif = nh->rtnh_ifindex;
	for (off = MNL_ALIGN(sizeof(*nh)); off + sizeof(struct nlattr) <= nh->rtnh_len;
	     off += MNL_ALIGN(attr->nla_len)) {
		attr = (const struct nlattr *)((const char *)nh + off);
		if (attr->nla_len < sizeof(struct nlattr) || off + attr->nla_len > nh->rtnh_len)
			return -EINVAL;
		if (mnl_attr_get_type(attr) == RTA_GATEWAY &&
		    attr_addr(attr, out->family, -1, &out->gw) < 0)
			return -EINVAL;
	}
	return 0;
}

int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *out)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct attr_tab t = { tb, RTA_MAX };
	static const enum mnl_attr_data_type types[RTA_MAX + 1] = {
		[RTA_TABLE] = MNL_TYPE_U32,
		[RTA_OIF] = MNL_TYPE_U32,
	};
	const struct rtmsg *rtm;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EINVAL;
	if (rtm->rtm_dst_len > (rtm->rtm_family == AF_INET ? 32 : 128))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_keep_cb, &t) < 0 ||
	    attr_check(tb, RTA_MAX, types) < 0)
		return -EINVAL;
	out->family = rtm->rtm_family;
	out->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	out->protocol = rtm->rtm_protocol;
	out->type = rtm->rtm_type;
	out->scope = rtm->rtm_scope;
	out->flags = rtm->rtm_flags;
	if (tb[RTA_DST]) {
		if (attr_addr(tb[RTA_DST], out->family, rtm->rtm_dst_len, &out->dst) < 0)
			return -EINVAL;
	} else {
		out->dst.family = out->family;
		out->dst.plen = rtm->rtm_dst_len;
	}
	if (tb[RTA_GATEWAY] && attr_addr(tb[RTA_GATEWAY], out->family, -1, &out->gw) < 0)
		return -EINVAL;
	if (tb[RTA_PREFSRC] && attr_addr(tb[RTA_PREFSRC], out->family, -1, &out->prefsrc) < 0)
		return -EINVAL;
	if (tb[RTA_OIF])
		out->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_MULTIPATH] && !tb[RTA_GATEWAY] && parse_multipath(tb[RTA_MULTIPATH], out) < 0)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* socket */

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned int portid;
	unsigned int seq;
	char ext_ack[256];
	char *buf; /* NL_RECV_SIZE */
};

int nl_sock_open(struct nl_sock **out)
{
	struct nl_sock *s = calloc(1, sizeof(*s));
	struct timeval tv = { .tv_sec = 10 };
	int one = 1, rc;

	if (!s)
		return -ENOMEM;
	s->buf = malloc(NL_RECV_SIZE);
	if (!s->buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* CLOEXEC: jails run programs; they must not inherit the socket. */
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl || mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto cleanup;
	}
	/* Best effort: error text from the kernel, and no echo of our request. */
	mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A safety net only: the kernel answers synchronously. */
	setsockopt(mnl_socket_get_fd(s->mnl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = (unsigned int)time(NULL);
	*out = s;
	return 0;
cleanup:
	nl_sock_close(s);
	return rc;
}

void nl_sock_close(struct nl_sock *s)
{
	if (!s)
		return;
	if (s->mnl)
		mnl_socket_close(s->mnl);
	free(s->buf);
	free(s);
}

const char *nl_sock_ext_ack(const struct nl_sock *s)
{
	return s->ext_ack;
}

void nl_sock_clear_ext_ack(struct nl_sock *s)
{
	s->ext_ack[0] = '\0';
}

/* State of one exchange, shared by the callbacks of nl_talk(). */
struct talk {
	struct nl_sock *s;
	unsigned int seq;
	nl_msg_cb cb;
	void *data;
	int err;
};

/* Copy NLMSGERR_ATTR_MSG of an extended ack starting at payload offset off. */
static void take_ext_ack(struct talk *t, const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	struct attr_tab at = { tb, NLMSGERR_ATTR_MAX };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || mnl_nlmsg_size(off) > nlh->nlmsg_len)
		return;
	if (mnl_attr_parse(nlh, (unsigned int)off, attr_keep_cb, &at) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG] && mnl_attr_validate(tb[NLMSGERR_ATTR_MSG], MNL_TYPE_NUL_STRING) == 0)
		snprintf(t->s->ext_ack, sizeof(t->s->ext_ack), "%s",
			 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
}

/* A data message: hand it to the caller's callback unless an earlier one
 * failed; keep reading either way so no reply is left in the socket. */
static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int rc;

	if (nlh->nlmsg_seq != t->seq || t->err || !t->cb)
		return MNL_CB_OK;
	rc = t->cb(nlh, t->data);
	if (rc < 0)
		t->err = rc;
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ack (error 0) or the kernel's -errno; ends the exchange. */
static int talk_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_seq != t->seq)
		return MNL_CB_OK; /* stale reply of an earlier exchange */
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = -EBADMSG;
		return MNL_CB_STOP;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (!t->err)
		t->err = e->error < 0 ? e->error : -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	take_ext_ack(t, nlh, off);
	return MNL_CB_STOP;
}

/* NLMSG_DONE ends a dump; it carries an int error of its own. */
static int talk_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (nlh->nlmsg_seq != t->seq)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0 && !t->err) {
			t->err = err;
			take_ext_ack(t, nlh, sizeof(int));
		}
	}
	return MNL_CB_STOP;
}

bool nl_req_needs_ack(const struct nlmsghdr *req)
{
	/* NLM_F_DUMP's bits mean REPLACE|EXCL on NEW requests: only a GET
	 * (the third of each group of four rtnetlink types) is a dump. */
	bool get = req->nlmsg_type >= RTM_BASE && (req->nlmsg_type - RTM_BASE) % 4 == 2;

	return !(get && (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = talk_error_cb,
		[NLMSG_DONE] = talk_done_cb,
	};
	struct talk t = { .s = s, .cb = cb, .data = data };
	ssize_t n;
	int ret;

	if (!req)
		return -EINVAL;
	s->ext_ack[0] = '\0';
	req->nlmsg_seq = t.seq = ++s->seq;
	if (nl_req_needs_ack(req))
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->mnl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->mnl, s->buf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		/* seq 0: we filter by sequence ourselves, so that a stale
		 * reply is skipped instead of failing this exchange. */
		ret = mnl_cb_run2(s->buf, (size_t)n, 0, s->portid, talk_data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return t.err ? t.err : -errno;
		if (ret == MNL_CB_STOP)
			return t.err;
	}
}

/* nl_talk callback of nl_link_index(). */
static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link l;

	if (nl_parse_link(nlh, &l) < 0)
		return -EBADMSG;
	*(int *)data = l.index;
	return 0;
}

int nl_link_index(struct nl_sock *s, const char *name, int *index)
{
	char buf[NL_REQ_SIZE];
	int rc;

	if (!model_ifname_ok(name))
		return -EINVAL;
	*index = 0;
	rc = nl_talk(s, nl_req_link_get(buf, name), link_index_cb, index);
	if (rc < 0)
		return rc;
	return *index > 0 ? 0 : -ENODEV;
}

/* ------------------------------------------------------------------ */
/* backend context: one socket per namespace */

struct linux_ns {
	char name[MODEL_NAME_MAX]; /* "" = host */
	int fd;                    /* netns fd; -1 = the caller's own */
	struct nl_sock *sock;
};

struct linux_ctx {
	char runtime_dir[PATH_MAX];
	char host_netns[MODEL_NAME_MAX]; /* "" = the caller's own */
	int self_fd;               /* the caller's netns, to come back to */
	struct linux_ns *ns;
	size_t n_ns;
};

/* Open RUNTIME_DIR/name as a network namespace fd: -ENOENT when absent,
 * -EINVAL when the path is not a network namespace. */
static int netns_fd_open(const struct linux_ctx *c, const char *name, int *out)
{
	char path[PATH_MAX];
	int fd, type;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->runtime_dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	*out = fd;
	return 0;
}

/* Enter n's namespace (nothing to do for the caller's own). */
static int ns_enter(const struct linux_ns *n)
{
	if (n->fd < 0)
		return 0;
	return setns(n->fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* Back to the caller's namespace. Staying elsewhere would aim every later
 * change at the wrong namespace, so failure here is fatal. */
static void ns_leave(const struct linux_ctx *c, const struct linux_ns *n)
{
	if (n->fd < 0)
		return;
	if (setns(c->self_fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "jail6: cannot return to the original network namespace: %s\n",
			strerror(errno));
		abort();
	}
}

/* Find ns in c, or add it (opening its netns fd) when absent. */
static int ns_get(struct linux_ctx *c, const char *ns, struct linux_ns **out)
{
	struct linux_ns *n;
	int fd = -1, rc;

	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, ns) == 0) {
			*out = &c->ns[i];
			return 0;
		}
	}
	/* The host entry is made by linux_open(); anything else is a jail. */
	if (!model_jailname_ok(ns))
		return -EINVAL;
	rc = netns_fd_open(c, ns, &fd);
	if (rc < 0)
		return rc;
	n = realloc(c->ns, (c->n_ns + 1) * sizeof(*n));
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	c->ns = n;
	n = &c->ns[c->n_ns++];
	memset(n, 0, sizeof(*n));
	strcpy(n->name, ns);
	n->fd = fd;
	*out = n;
	return 0;
}

int linux_ns_sock(struct linux_ctx *c, const char *ns, struct nl_sock **out)
{
	struct linux_ns *n;
	int rc;

	rc = ns_get(c, ns, &n);
	if (rc < 0)
		return rc;
	if (!n->sock) {
		rc = ns_enter(n);
		if (rc < 0)
			return rc;
		rc = nl_sock_open(&n->sock);
		ns_leave(c, n);
		if (rc < 0)
			return rc;
	}
	*out = n->sock;
	return 0;
}

int linux_ns_fd(struct linux_ctx *c, const char *ns, int *fd)
{
	struct linux_ns *n;
	int rc = ns_get(c, ns, &n);

	if (rc < 0)
		return rc;
	*fd = n->fd >= 0 ? n->fd : c->self_fd;
	return 0;
}

int linux_ns_exists(struct linux_ctx *c, const char *ns)
{
	struct linux_ns *n;
	int rc;

	if (ns[0] == '\0')
		return 1;
	rc = ns_get(c, ns, &n);
	if (rc == -ENOENT || (rc == -EINVAL && model_jailname_ok(ns)))
		return 0;
	return rc < 0 ? rc : 1;
}

void linux_ns_forget(struct linux_ctx *c, const char *ns)
{
	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, ns) != 0 || ns[0] == '\0')
			continue;
		nl_sock_close(c->ns[i].sock);
		if (c->ns[i].fd >= 0)
			close(c->ns[i].fd);
		c->ns[i] = c->ns[--c->n_ns];
		return;
	}
}

int linux_open(const char *host_netns, const char *runtime_dir, struct linux_ctx **out)
{
	struct linux_ctx *c;
	struct nl_sock *s;
	int rc;

	if (!runtime_dir)
		runtime_dir = LINUX_RUNTIME_DIR_DEFAULT;
	if (runtime_dir[0] != '/' || strlen(runtime_dir) >= PATH_MAX - MODEL_NAME_MAX - 1)
		return -EINVAL;
	if (host_netns && !model_jailname_ok(host_netns))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->self_fd = -1;
	strcpy(c->runtime_dir, runtime_dir);
	c->ns = calloc(1, sizeof(*c->ns));
	if (!c->ns) {
		rc = -ENOMEM;
		goto cleanup;
	}
	c->n_ns = 1;
	c->ns[0].fd = -1;
	c->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->self_fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	if (host_netns) {
		rc = netns_fd_open(c, host_netns, &c->ns[0].fd);
		if (rc < 0)
			goto cleanup;
		strcpy(c->host_netns, host_netns);
	}
	/* Open the host socket now so a missing namespace shows up here. */
	rc = linux_ns_sock(c, "", &s);
	if (rc < 0)
		goto cleanup;
	*out = c;
	return 0;
cleanup:
	linux_close(c);
	return rc;
}

void linux_close(struct linux_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_ns; i++) {
		nl_sock_close(c->ns[i].sock);
		if (c->ns[i].fd >= 0)
			close(c->ns[i].fd);
	}
	free(c->ns);
	if (c->self_fd >= 0)
		close(c->self_fd);
	free(c);
}

const char *linux_runtime_dir(const struct linux_ctx *c)
{
	return c->runtime_dir;
}

const char *linux_host_netns(const struct linux_ctx *c)
{
	return c->host_netns;
}

int linux_in_ns(struct linux_ctx *c, const char *ns, int (*fn)(void *arg), void *arg)
{
	struct linux_ns *n;
	int rc = ns_get(c, ns, &n);

	if (rc < 0)
		return rc;
	rc = ns_enter(n);
	if (rc < 0)
		return rc;
	rc = fn(arg);
	ns_leave(c, n);
	return rc;
}

/* ------------------------------------------------------------------ */
/* sysctls */

static const struct {
	const char *key, *path;
} sysctl_map[] = {
	{ "ipv6.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding" },
	{ "ipv4.forwarding", "/proc/sys/net/ipv4/ip_forward" },
	{ "ipv6.accept_ra", "/proc/sys/net/ipv6/conf/all/accept_ra" },
	/* for links made later; only the lab sets it, in its own namespaces */
	{ "ipv6.default_dad_transmits", "/proc/sys/net/ipv6/conf/default/dad_transmits" },
	{ "ipv6.default_rs_delay", "/proc/sys/net/ipv6/conf/default/router_solicitation_delay" },
};

const char *linux_sysctl_path(const char *key)
{
	for (size_t i = 0; i < sizeof(sysctl_map) / sizeof(sysctl_map[0]); i++)
		if (strcmp(sysctl_map[i].key, key) == 0)
			return sysctl_map[i].path;
	return NULL;
}

/* Read or write (value != NULL) one /proc/sys file; runs while the thread
 * is inside the namespace, since /proc/sys/net shows the current netns. */
static int sysctl_io(const char *path, char *buf, size_t len, const char *value)
{
	int fd = open(path, (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (value) {
		n = write(fd, value, strlen(value));
		if (n < 0)
			rc = -errno;
		else if ((size_t)n != strlen(value))
			rc = -EIO;
	} else {
		n = read(fd, buf, len - 1);
		if (n < 0) {
			rc = -errno;
		} else {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
		}
	}
	close(fd);
	return rc;
}

/* sysctl_io's arguments, for linux_in_ns. */
struct sysctl_call {
	const char *path;
	char *buf;
	size_t len;
	const char *value;
};

static int sysctl_call(void *arg)
{
	struct sysctl_call *k = arg;

	return sysctl_io(k->path, k->buf, k->len, k->value);
}

/* Run sysctl_io for key inside namespace ns. */
static int sysctl_in_ns(struct linux_ctx *c, const char *ns, const char *key,
			char *buf, size_t len, const char *value)
{
	struct sysctl_call k = { linux_sysctl_path(key), buf, len, value };

	return k.path ? linux_in_ns(c, ns, sysctl_call, &k) : -EINVAL;
}

/* Inside the namespace: both knobs of linux_link_no_dad for link arg. */
static int no_dad_here(void *arg)
{
	static const char *const knobs[] = { "dad_transmits", "router_solicitation_delay" };
	char path[128];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", (const char *)arg, knobs[i]);
		rc = sysctl_io(path, NULL, 0, "0");
	}
	return rc;
}

int linux_link_no_dad(struct linux_ctx *c, const char *ns, const char *ifname)
{
	return model_ifname_ok(ifname) ? linux_in_ns(c, ns, no_dad_here, (void *)ifname) : -EINVAL;
}

int linux_sysctl_read(struct linux_ctx *c, const char *ns, const char *key, char *buf, size_t len)
{
	if (len < 2)
		return -EINVAL;
	return sysctl_in_ns(c, ns, key, buf, len, NULL);
}

int linux_sysctl_write(struct linux_ctx *c, const char *ns, const char *key, const char *value)
{
	return sysctl_in_ns(c, ns, key, NULL, 0, value);
}
