/*
 * rtnetlink reply parsers, the libmnl way: attributes into tb[X_MAX + 1],
 * each checked with mnl_attr_validate before use. Pure: no socket.
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>

#include "os/linux/nl.h"

/* mnl_attr_parse callback: keep attributes of known type in tb[type];
 * newer attributes beyond max are skipped, not errors. */
int nl_attr_keep_cb(const struct nlattr *attr, void *data)
{
	const struct nl_attr_tab *t = data;
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
	struct nl_attr_tab t = { tb, IFLA_IPTUN_MAX };
	static const enum mnl_attr_data_type types[IFLA_IPTUN_MAX + 1] = {
		[IFLA_IPTUN_LOCAL] = MNL_TYPE_U32,
		[IFLA_IPTUN_REMOTE] = MNL_TYPE_U32,
		[IFLA_IPTUN_TTL] = MNL_TYPE_U8,
	};

	if (mnl_attr_parse_nested(nest, nl_attr_keep_cb, &t) < 0 ||
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
	struct nl_attr_tab t = { tb, IFLA_INFO_MAX };
	static const enum mnl_attr_data_type types[IFLA_INFO_MAX + 1] = {
		[IFLA_INFO_KIND] = MNL_TYPE_STRING,
		[IFLA_INFO_DATA] = MNL_TYPE_NESTED,
	};
	const char *kind;

	if (mnl_attr_parse_nested(nest, nl_attr_keep_cb, &t) < 0 ||
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
	struct nl_attr_tab t = { tb, IFLA_MAX };
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
	if (mnl_attr_parse(nlh, sizeof(*ifi), nl_attr_keep_cb, &t) < 0 ||
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
	struct nl_attr_tab t = { tb, IFA_MAX };
	static const enum mnl_attr_data_type types[IFA_MAX + 1] = {
		[IFA_FLAGS] = MNL_TYPE_U32,
		[IFA_PROTO] = MNL_TYPE_U8,
	};
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifa), nl_attr_keep_cb, &t) < 0 ||
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
	out->proto = tb[IFA_PROTO] ? mnl_attr_get_u8(tb[IFA_PROTO]) : 0;
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
	struct nl_attr_tab t = { tb, RTA_MAX };
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
	if (mnl_attr_parse(nlh, sizeof(*rtm), nl_attr_keep_cb, &t) < 0 ||
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
