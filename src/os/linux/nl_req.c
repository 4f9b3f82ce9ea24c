/*
 * rtnetlink request builders: each fills a caller's NL_REQ_SIZE buffer with
 * one message and returns its header. Pure: no socket, no backend state.
 */
#include <stdbool.h>
#include <string.h>

#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/veth.h>

#include "os/linux/nl.h"

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

/* Append the ifinfomsg of a request about link index (0: new, or named by IFLA_IFNAME). */
static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return ifi;
}

/* a's prefix length, or the full length of its family when it has none. */
static uint8_t full_plen(const struct addr *a)
{
	if (a->plen >= 0)
		return (uint8_t)a->plen;
	return a->family == AF_INET ? 32 : 128;
}

/* Whether a is an IPv4 or IPv6 address with a prefix length its family allows. */
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
	if (type == RTM_NEWADDR)
		mnl_attr_put_u8(nlh, IFA_PROTO, NL_PROTO_JAIL6);
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
		rtm->rtm_protocol = NL_PROTO_JAIL6;
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

/* An IPv4 address as the network-order u32 of IFLA_IPTUN_*; 0 for others. */
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
