/*
 * Unit tests of the rtnetlink plumbing (src/os/linux/nl_req.c, nl_parse.c,
 * and the sysctl key map): requests are built and read back attribute by
 * attribute, replies are hand-made and parsed, all without a socket. No
 * case here opens a netlink socket: the kernel cases (the socket exchange,
 * execute's refusals) run inside a throwaway namespace, tests/netns/drv_nl.c
 * under t_nl_execute.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/veth.h>

#include "model/addr.h"
#include "os/linux/linux_int.h"
#include "os/linux/nl.h"

static struct addr P(const char *s)
{
	struct addr a;

	assert_int_equal(addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL), 0);
	return a;
}

/* Attributes of a message (after a fixed header of hdrlen) or of a nest,
 * by type; at most type 63 is kept, which covers what is checked here. */
struct tb {
	const struct nlattr *a[64];
	int count;
};

static int tb_cb(const struct nlattr *attr, void *data)
{
	struct tb *t = data;
	int type = mnl_attr_get_type(attr);

	if (type < 64)
		t->a[type] = attr;
	t->count++;
	return MNL_CB_OK;
}

static struct tb attrs(const struct nlmsghdr *nlh, size_t hdrlen)
{
	struct tb t = { 0 };

	assert_true(mnl_attr_parse(nlh, (unsigned int)hdrlen, tb_cb, &t) >= 0);
	return t;
}

static struct tb nested(const struct nlattr *nest)
{
	struct tb t = { 0 };

	assert_non_null(nest);
	assert_true(mnl_attr_parse_nested(nest, tb_cb, &t) >= 0);
	return t;
}

/* 1. A bridge: RTM_NEWLINK, create exclusive, name and kind. */
static void test_req_bridge(void **st)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_req_bridge_create(buf, "bridge0");
	struct tb t = attrs(nlh, sizeof(struct ifinfomsg)), info;

	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	assert_string_equal(mnl_attr_get_str(t.a[IFLA_IFNAME]), "bridge0");
	info = nested(t.a[IFLA_LINKINFO]);
	assert_string_equal(mnl_attr_get_str(info.a[IFLA_INFO_KIND]), "bridge");
	assert_null(info.a[IFLA_INFO_DATA]);
	assert_true(nl_req_needs_ack(nlh));
	(void)st;
}

/* 2. A veth pair: the peer nest holds an ifinfomsg, its name and its MAC. */
static void test_req_veth(void **st)
{
	static const uint8_t mac[6] = { 0x02, 0xfb, 0xc0, 0x00, 0x16, 0x0b };
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_req_veth_create(buf, "epair1a", "epair1b", mac, -1);
	struct tb t = attrs(nlh, sizeof(struct ifinfomsg)), info, data, peer = { 0 };
	const struct nlattr *p;

	assert_string_equal(mnl_attr_get_str(t.a[IFLA_IFNAME]), "epair1a");
	assert_null(t.a[IFLA_ADDRESS]); /* the MAC is the peer's, not ours */
	info = nested(t.a[IFLA_LINKINFO]);
	assert_string_equal(mnl_attr_get_str(info.a[IFLA_INFO_KIND]), "veth");
	data = nested(info.a[IFLA_INFO_DATA]);
	p = data.a[VETH_INFO_PEER];
	assert_non_null(p);
	assert_true(mnl_attr_get_payload_len(p) > sizeof(struct ifinfomsg));
	/* Attributes start after the peer's own ifinfomsg. */
	{
		const char *pl = mnl_attr_get_payload(p);
		size_t off = MNL_ALIGN(sizeof(struct ifinfomsg));
		size_t len = mnl_attr_get_payload_len(p);
		assert_true(mnl_attr_parse_payload(pl + off, len - off, tb_cb, &peer) >= 0);
	}
	assert_string_equal(mnl_attr_get_str(peer.a[IFLA_IFNAME]), "epair1b");
	assert_int_equal(mnl_attr_get_payload_len(peer.a[IFLA_ADDRESS]), 6);
	assert_memory_equal(mnl_attr_get_payload(peer.a[IFLA_ADDRESS]), mac, 6);

	nlh = nl_req_veth_create(buf, "v0a", "v0b", NULL, -1);
	t = attrs(nlh, sizeof(struct ifinfomsg));
	info = nested(t.a[IFLA_LINKINFO]);
	data = nested(info.a[IFLA_INFO_DATA]);
	assert_true(mnl_attr_get_payload_len(data.a[VETH_INFO_PEER]) > sizeof(struct ifinfomsg));
	assert_true(nlh->nlmsg_len < NL_REQ_SIZE);
	(void)st;
}

/* 3. Link changes: only what is asked for is in the message. */
static void test_req_link_set(void **st)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	char buf[NL_REQ_SIZE];
	struct nl_link_set none = NL_LINK_SET_INIT, all = NL_LINK_SET_INIT;
	struct nlmsghdr *nlh = nl_req_link_set(buf, 7, &none);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct tb t = attrs(nlh, sizeof(*ifi));

	assert_int_equal(nlh->nlmsg_type, RTM_SETLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(ifi->ifi_index, 7);
	assert_int_equal(ifi->ifi_change, 0);
	assert_int_equal(t.count, 0);

	all.up = true;
	all.master = 3;
	all.netns_fd = 9;
	all.mtu = 1480;
	all.mac = mac;
	nlh = nl_req_link_set(buf, 7, &all);
	ifi = mnl_nlmsg_get_payload(nlh);
	t = attrs(nlh, sizeof(*ifi));
	assert_int_equal(ifi->ifi_flags & IFF_UP, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(mnl_attr_get_u32(t.a[IFLA_MASTER]), 3);
	assert_int_equal(mnl_attr_get_u32(t.a[IFLA_NET_NS_FD]), 9);
	assert_int_equal(mnl_attr_get_u32(t.a[IFLA_MTU]), 1480);
	assert_memory_equal(mnl_attr_get_payload(t.a[IFLA_ADDRESS]), mac, 6);
	assert_int_equal(t.count, 4);

	nlh = nl_req_link_del(buf, 12);
	assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
	assert_int_equal(((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index, 12);
	(void)st;
}

/* 4. Addresses: IPv6 without DAD and with IFA_ADDRESS; IPv4 with
 * IFA_LOCAL and IFA_ADDRESS; a delete carries no NODAD. */
static void test_req_addr(void **st)
{
	char buf[NL_REQ_SIZE];
	struct addr a6 = P("2001:470:8142:1::3/64"), a4 = P("192.0.2.1/24"), bare = P("2001:db8::1");
	struct nlmsghdr *nlh = nl_req_addr(buf, RTM_NEWADDR, 5, &a6);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct tb t = attrs(nlh, sizeof(*ifa));

	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_prefixlen, 64);
	assert_int_equal(ifa->ifa_index, 5);
	assert_int_equal(ifa->ifa_flags, IFA_F_NODAD);
	assert_int_equal(mnl_attr_get_u32(t.a[IFA_FLAGS]), IFA_F_NODAD);
	assert_memory_equal(mnl_attr_get_payload(t.a[IFA_ADDRESS]), a6.bytes, 16);
	assert_null(t.a[IFA_LOCAL]);
	/* an address jail6 adds carries its mark from the start */
	assert_non_null(t.a[IFA_PROTO]);
	assert_int_equal(mnl_attr_get_u8(t.a[IFA_PROTO]), NL_PROTO_JAIL6);

	nlh = nl_req_addr(buf, RTM_DELADDR, 5, &a6);
	ifa = mnl_nlmsg_get_payload(nlh);
	t = attrs(nlh, sizeof(*ifa));
	assert_int_equal(nlh->nlmsg_type, RTM_DELADDR);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(ifa->ifa_flags, 0);
	assert_null(t.a[IFA_FLAGS]);
	assert_null(t.a[IFA_PROTO]);

	nlh = nl_req_addr(buf, RTM_NEWADDR, 2, &a4);
	ifa = mnl_nlmsg_get_payload(nlh);
	t = attrs(nlh, sizeof(*ifa));
	assert_int_equal(ifa->ifa_prefixlen, 24);
	assert_memory_equal(mnl_attr_get_payload(t.a[IFA_LOCAL]), a4.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(t.a[IFA_ADDRESS]), a4.bytes, 4);
	assert_null(t.a[IFA_FLAGS]);

	/* No prefix given: a host address. */
	nlh = nl_req_addr(buf, RTM_NEWADDR, 2, &bare);
	assert_int_equal(((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_prefixlen, 128);

	/* Invalid input builds nothing. */
	struct addr none = { 0 };
	assert_null(nl_req_addr(buf, RTM_NEWADDR, 2, &none));
	assert_null(nl_req_addr(buf, RTM_NEWLINK, 2, &a4));
	(void)st;
}

/* 5. Routes: the default route has no RTA_DST; main table, static. */
static void test_req_route(void **st)
{
	char buf[NL_REQ_SIZE];
	struct addr def = P("::/0"), gw = P("2001:470:8142:1::1"), net4 = P("10.0.0.0/8");
	struct addr host4 = P("72.52.104.74/32"), gw4 = P("192.168.3.1");
	struct nlmsghdr *nlh = nl_req_route(buf, RTM_NEWROUTE, &def, &gw, 0);
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct tb t = attrs(nlh, sizeof(*rtm));

	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_dst_len, 0);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_protocol, NL_PROTO_JAIL6); /* jail6's mark */
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_null(t.a[RTA_DST]);
	assert_null(t.a[RTA_OIF]);
	assert_memory_equal(mnl_attr_get_payload(t.a[RTA_GATEWAY]), gw.bytes, 16);
	assert_int_equal(mnl_attr_get_u32(t.a[RTA_TABLE]), RT_TABLE_MAIN);

	/* The seed's host route to the broker via the VPN gateway. */
	nlh = nl_req_route(buf, RTM_NEWROUTE, &host4, &gw4, 4);
	rtm = mnl_nlmsg_get_payload(nlh);
	t = attrs(nlh, sizeof(*rtm));
	assert_int_equal(rtm->rtm_dst_len, 32);
	assert_memory_equal(mnl_attr_get_payload(t.a[RTA_DST]), host4.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(t.a[RTA_GATEWAY]), gw4.bytes, 4);
	assert_int_equal(mnl_attr_get_u32(t.a[RTA_OIF]), 4);

	/* On-link IPv4: link scope. Delete: any protocol and scope. */
	nlh = nl_req_route(buf, RTM_NEWROUTE, &net4, NULL, 4);
	assert_int_equal(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope, RT_SCOPE_LINK);
	nlh = nl_req_route(buf, RTM_DELROUTE, &net4, NULL, 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(rtm->rtm_protocol, 0);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_NOWHERE);

	/* A gateway of another family is refused. */
	assert_null(nl_req_route(buf, RTM_NEWROUTE, &def, &gw4, 0));

	nlh = nl_req_route_get(buf, &host4);
	rtm = mnl_nlmsg_get_payload(nlh);
	t = attrs(nlh, sizeof(*rtm));
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(rtm->rtm_dst_len, 32);
	assert_memory_equal(mnl_attr_get_payload(t.a[RTA_DST]), host4.bytes, 4);
	/* A single-route GET is no dump: it gets an ack. */
	assert_true(nl_req_needs_ack(nlh));
	(void)st;
}

/* 6. A sit tunnel: endpoints and ttl in IFLA_INFO_DATA, mtu outside. */
static void test_req_sit(void **st)
{
	char buf[NL_REQ_SIZE];
	struct nl_sit t = { .local = P("192.168.3.6"), .remote = P("72.52.104.74"), .ttl = 64, .mtu = 1480 };
	struct nlmsghdr *nlh = nl_req_sit(buf, "gif0", 0, &t);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct tb a = attrs(nlh, sizeof(*ifi)), info, data;
	uint32_t be;

	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(ifi->ifi_index, 0);
	assert_string_equal(mnl_attr_get_str(a.a[IFLA_IFNAME]), "gif0");
	assert_int_equal(mnl_attr_get_u32(a.a[IFLA_MTU]), 1480);
	info = nested(a.a[IFLA_LINKINFO]);
	assert_string_equal(mnl_attr_get_str(info.a[IFLA_INFO_KIND]), "sit");
	data = nested(info.a[IFLA_INFO_DATA]);
	be = mnl_attr_get_u32(data.a[IFLA_IPTUN_REMOTE]);
	assert_memory_equal(&be, t.remote.bytes, 4);
	be = mnl_attr_get_u32(data.a[IFLA_IPTUN_LOCAL]);
	assert_memory_equal(&be, t.local.bytes, 4);
	assert_int_equal(mnl_attr_get_u8(data.a[IFLA_IPTUN_TTL]), 64);
	assert_int_equal(mnl_attr_get_u8(data.a[IFLA_IPTUN_PROTO]), IPPROTO_IPV6);

	/* Change in place: no create flags, the index; local "any" omitted. */
	memset(&t.local, 0, sizeof(t.local));
	nlh = nl_req_sit(buf, "gif0", 9, &t);
	ifi = mnl_nlmsg_get_payload(nlh);
	a = attrs(nlh, sizeof(*ifi));
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(ifi->ifi_index, 9);
	data = nested(nested(a.a[IFLA_LINKINFO]).a[IFLA_INFO_DATA]);
	assert_null(data.a[IFLA_IPTUN_LOCAL]);
	assert_non_null(data.a[IFLA_IPTUN_REMOTE]);

	t.ttl = 256;
	assert_null(nl_req_sit(buf, "gif0", 0, &t));
	t.ttl = 64;
	t.remote = P("2001:db8::1");
	assert_null(nl_req_sit(buf, "gif0", 0, &t));
	(void)st;
}

/* 7. Dumps get no ack flag; the EXCL|CREATE bits of a NEW request, which
 * overlap NLM_F_DUMP's, do not make it a dump. */
static void test_req_dump_ack(void **st)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_req_dump(buf, RTM_GETROUTE, AF_INET6);

	assert_int_equal(nlh->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
	assert_int_equal(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family, AF_INET6);
	assert_false(nl_req_needs_ack(nlh));
	assert_false(nl_req_needs_ack(nl_req_dump(buf, RTM_GETLINK, AF_UNSPEC)));
	assert_false(nl_req_needs_ack(nl_req_dump(buf, RTM_GETADDR, AF_INET)));
	assert_null(nl_req_dump(buf, RTM_NEWLINK, AF_UNSPEC));
	nlh = nl_req_bridge_create(buf, "br0");
	nlh->nlmsg_flags |= NLM_F_REPLACE; /* 0x100|0x200 == NLM_F_DUMP */
	assert_true(nl_req_needs_ack(nlh));
	(void)st;
}

/* Build an RTM_NEWLINK reply like the kernel's, for the parsers. */
static struct nlmsghdr *fake_link(void *buf, int index, unsigned int flags, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(buf, 0, NL_RECV_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* 8. Link replies: name, flags, mtu, master, MAC, kind, sit endpoints. */
static void test_parse_link(void **st)
{
	static char buf[NL_RECV_SIZE];
	static const uint8_t mac[6] = { 2, 0xfe, 0x21, 0x34, 0xd3, 0 };
	struct nlmsghdr *nlh = fake_link(buf, 4, IFF_UP | IFF_BROADCAST, "epair1a");
	struct nlattr *info, *data;
	struct nl_link l;
	struct addr local = P("192.168.3.6"), remote = P("72.52.104.74");
	uint32_t be;

	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 3);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_put_u32(nlh, 999, 1); /* an attribute from a newer kernel */
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, info);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_int_equal(l.index, 4);
	assert_string_equal(l.name, "epair1a");
	assert_string_equal(l.kind, "veth");
	assert_true(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1500);
	assert_int_equal(l.master, 3);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, mac, 6);
	assert_false(l.has_iptun);

	nlh = fake_link(buf, 6, 0, "gif0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1480);
	mnl_attr_put(nlh, IFLA_ADDRESS, 4, local.bytes); /* a tunnel's "MAC" is IPv4 */
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "sit");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	memcpy(&be, local.bytes, 4);
	mnl_attr_put_u32(nlh, IFLA_IPTUN_LOCAL, be);
	memcpy(&be, remote.bytes, 4);
	mnl_attr_put_u32(nlh, IFLA_IPTUN_REMOTE, be);
	mnl_attr_put_u8(nlh, IFLA_IPTUN_TTL, 64);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.kind, "sit");
	assert_false(l.has_mac);
	assert_true(l.has_iptun);
	assert_true(addr_same_host(&l.local, &local));
	assert_true(addr_same_host(&l.remote, &remote));
	assert_int_equal(l.ttl, 64);
	assert_int_equal(l.master, 0);
	(void)st;
}

/* 9. Malformed link replies are refused, not half-parsed. */
static void test_parse_link_bad(void **st)
{
	static char buf[NL_RECV_SIZE];
	struct nlmsghdr *nlh;
	struct nl_link l;
	uint16_t short_mtu = 1500;

	nlh = fake_link(buf, 4, 0, NULL); /* no name */
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);

	nlh = fake_link(buf, 4, 0, "averyveryverylongname"); /* >= IFNAMSIZ */
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);

	nlh = fake_link(buf, 4, 0, "eth0");
	mnl_attr_put(nlh, IFLA_MTU, sizeof(short_mtu), &short_mtu); /* u32 of 2 bytes */
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);

	nlh = fake_link(buf, 4, 0, "eth0");
	mnl_attr_put(nlh, IFLA_IFNAME, 0, ""); /* a second, empty name wins */
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);

	nlh = fake_link(buf, 4, 0, "eth0");
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);

	nlh = fake_link(buf, 4, 0, "eth0");
	nlh->nlmsg_len = sizeof(struct nlmsghdr) + 2; /* header cut short */
	assert_int_equal(nl_parse_link(nlh, &l), -EINVAL);
	(void)st;
}

/* 10. Address replies: IFA_LOCAL wins over IFA_ADDRESS; IFA_FLAGS over
 * ifa_flags; lengths must match the family. */
static void test_parse_addr(void **st)
{
	static char buf[NL_RECV_SIZE];
	struct addr a6 = P("2001:470:8142:1::1"), mine = P("192.0.2.1"), peer = P("192.0.2.2");
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct nl_addr na;
	char s[ADDR_STRLEN];

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_index = 3;
	ifa->ifa_flags = 0;
	mnl_attr_put(nlh, IFA_ADDRESS, 16, a6.bytes);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NODAD);
	assert_int_equal(nl_parse_addr(nlh, &na), 0);
	assert_int_equal(na.index, 3);
	assert_string_equal(addr_format(&na.addr, s, sizeof(s)), "2001:470:8142:1::1/64");
	assert_int_equal(na.flags, IFA_F_PERMANENT | IFA_F_NODAD);
	assert_int_equal(na.proto, 0);
	mnl_attr_put_u8(nlh, IFA_PROTO, NL_PROTO_JAIL6);
	assert_int_equal(nl_parse_addr(nlh, &na), 0);
	assert_int_equal(na.proto, NL_PROTO_JAIL6);

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_flags = IFA_F_PERMANENT;
	mnl_attr_put(nlh, IFA_ADDRESS, 4, peer.bytes);
	mnl_attr_put(nlh, IFA_LOCAL, 4, mine.bytes);
	assert_int_equal(nl_parse_addr(nlh, &na), 0);
	assert_string_equal(addr_format(&na.addr, s, sizeof(s)), "192.0.2.1/32");
	assert_int_equal(na.flags, IFA_F_PERMANENT);

	ifa->ifa_family = AF_INET6; /* 4-byte addresses in an IPv6 message */
	assert_int_equal(nl_parse_addr(nlh, &na), -EINVAL);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 33;
	assert_int_equal(nl_parse_addr(nlh, &na), -EINVAL);
	(void)st;
}

/* Start an RTM_NEWROUTE reply. */
static struct nlmsghdr *fake_route(void *buf, int family, int dst_len, struct rtmsg **rtm)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_RECV_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	*rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(**rtm));
	(*rtm)->rtm_family = (unsigned char)family;
	(*rtm)->rtm_dst_len = (unsigned char)dst_len;
	(*rtm)->rtm_table = RT_TABLE_MAIN;
	(*rtm)->rtm_protocol = RTPROT_STATIC;
	(*rtm)->rtm_type = RTN_UNICAST;
	return nlh;
}

/* 11. Route replies: default, gateway, device, table, multipath. */
static void test_parse_route(void **st)
{
	static char buf[NL_RECV_SIZE];
	struct addr gw = P("2001:470:8142:1::1"), dst = P("72.52.104.74"), gw4 = P("192.168.3.1");
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct nl_route r;
	char s[ADDR_STRLEN];

	nlh = fake_route(buf, AF_INET6, 0, &rtm);
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, gw.bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	assert_int_equal(nl_parse_route(nlh, &r), 0);
	assert_string_equal(addr_format(&r.dst, s, sizeof(s)), "::/0");
	assert_true(addr_same_host(&r.gw, &gw));
	assert_int_equal(r.oif, 2);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.protocol, RTPROT_STATIC);

	/* A route with two next hops: the first one's gateway and device. */
	nlh = fake_route(buf, AF_INET, 32, &rtm);
	mnl_attr_put(nlh, RTA_DST, 4, dst.bytes);
	{
		struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		for (int i = 0; i < 2; i++) {
			struct rtnexthop *nh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nh));
			size_t before = nlh->nlmsg_len;
			nh->rtnh_ifindex = 7 + i;
			mnl_attr_put(nlh, RTA_GATEWAY, 4, gw4.bytes);
			nh->rtnh_len = (unsigned short)(sizeof(*nh) + nlh->nlmsg_len - before);
		}
		mnl_attr_nest_end(nlh, mp);
	}
	assert_int_equal(nl_parse_route(nlh, &r), 0);
	assert_string_equal(addr_format(&r.dst, s, sizeof(s)), "72.52.104.74/32");
	assert_true(addr_same_host(&r.gw, &gw4));
	assert_int_equal(r.oif, 7);

	/* dst_len beyond the family, a 16-byte gateway on IPv4, no family. */
	nlh = fake_route(buf, AF_INET, 33, &rtm);
	assert_int_equal(nl_parse_route(nlh, &r), -EINVAL);
	nlh = fake_route(buf, AF_INET, 0, &rtm);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, gw.bytes);
	assert_int_equal(nl_parse_route(nlh, &r), -EINVAL);
	nlh = fake_route(buf, AF_UNSPEC, 0, &rtm);
	assert_int_equal(nl_parse_route(nlh, &r), -EINVAL);
	(void)st;
}

/* The path of key, or "" when it has none. */
static const char *spath(const char *key)
{
	static char buf[128];

	return linux_sysctl_path(key, buf, sizeof(buf)) == 0 ? buf : "";
}

/* 12. The generic sysctl keys map to the Linux files, a per-link key to the
 * link's own; others, and bad link names, do not. */
static void test_sysctl_path(void **st)
{
	assert_string_equal(spath("ipv6.forwarding"), "/proc/sys/net/ipv6/conf/all/forwarding");
	assert_string_equal(spath("ipv4.forwarding"), "/proc/sys/net/ipv4/ip_forward");
	assert_string_equal(spath("ipv6.accept_ra"), "/proc/sys/net/ipv6/conf/all/accept_ra");
	assert_string_equal(spath("ipv4.ping_group_range"), "/proc/sys/net/ipv4/ping_group_range");
	assert_string_equal(spath("ipv4.ip_unprivileged_port_start"),
			    "/proc/sys/net/ipv4/ip_unprivileged_port_start");
	assert_string_equal(spath("ipv6.accept_ra/bridge0"), "/proc/sys/net/ipv6/conf/bridge0/accept_ra");
	assert_string_equal(spath("ipv6.accept_ra/.."), "");
	assert_string_equal(spath("ipv6.accept_ra/a/../b"), "");
	assert_string_equal(spath("ipv6.forwarding/bridge0"), "");
	assert_string_equal(spath("net.inet6.ip6.forwarding"), "");
	assert_string_equal(spath("../../../etc/passwd"), "");
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_bridge),
		cmocka_unit_test(test_req_veth),
		cmocka_unit_test(test_req_link_set),
		cmocka_unit_test(test_req_addr),
		cmocka_unit_test(test_req_route),
		cmocka_unit_test(test_req_sit),
		cmocka_unit_test(test_req_dump_ack),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_link_bad),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_sysctl_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
