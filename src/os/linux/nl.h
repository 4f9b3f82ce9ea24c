/*
 * rtnetlink plumbing of the Linux backend, free of any backend state:
 *  - request builders (nl_req.c) and reply parsers (nl_parse.c): pure, no
 *    socket (unit-tested);
 *  - a libmnl socket that sends one request and checks every reply
 *    (nl_sock.c).
 * The context's per-namespace sockets, entering namespaces and sysctls are
 * backend internals: linux_int.h.
 */
#ifndef JAIL6_OS_LINUX_NL_H
#define JAIL6_OS_LINUX_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "model/addr.h"
#include "model/model.h"

/*
 * The protocol number jail6 gives its routes (rtm_protocol) and addresses
 * (IFA_PROTO): what it made carries it from the moment the kernel made it,
 * so a route or address someone else put in its place never passes for
 * jail6's. `ip route show proto 106` lists jail6's routes; unused in
 * /etc/iproute2/rt_protos.
 */
#define NL_PROTO_JAIL6 106

/* Room for any one request below (the largest, a veth pair, is < 200 B). */
#define NL_REQ_SIZE 1024
/* Receive buffer: the kernel sizes dump messages up to 32 KiB. */
#define NL_RECV_SIZE 32768

/* ---- requests: each fills buf (NL_REQ_SIZE bytes) and returns the header.
 * Flags are set for the operation (NLM_F_CREATE|NLM_F_EXCL on creation);
 * nl_talk() adds NLM_F_ACK, the sequence number and the port id. */

/* RTM_GETLINK for one link by name (to learn its index). */
struct nlmsghdr *nl_req_link_get(void *buf, const char *name);
/* A dump request: RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE for family. */
struct nlmsghdr *nl_req_dump(void *buf, uint16_t type, int family);
/* RTM_NEWLINK of kind "bridge". */
struct nlmsghdr *nl_req_bridge_create(void *buf, const char *name);
/* RTM_NEWLINK of kind "veth" with its peer; peer_mac NULL = kernel's choice;
 * peer_netns_fd -1 = the peer stays here, else it is born in that netns. */
struct nlmsghdr *nl_req_veth_create(void *buf, const char *name, const char *peer,
				    const uint8_t *peer_mac, int peer_netns_fd);
/* RTM_SETLINK of link name: no IPv6 address generation (a bridge port). */
struct nlmsghdr *nl_req_link_no_ipv6(void *buf, const char *name);

/* Changes to an existing link; the defaults of NL_LINK_SET_INIT change nothing. */
struct nl_link_set {
	int master;         /* bridge ifindex; -1 = leave alone */
	int netns_fd;       /* move into this netns; -1 = stay */
	int mtu;            /* 0 = leave alone */
	const uint8_t *mac; /* NULL = leave alone */
	bool up;            /* set IFF_UP */
};
#define NL_LINK_SET_INIT { .master = -1, .netns_fd = -1 }

/* RTM_NEWLINK (no NLM_F_CREATE) changing link ifindex. */
struct nlmsghdr *nl_req_link_set(void *buf, int ifindex, const struct nl_link_set *set);
/* RTM_DELLINK of link ifindex. */
struct nlmsghdr *nl_req_link_del(void *buf, int ifindex);
/* RTM_NEWADDR (create, exclusive) or RTM_DELADDR of a (with its prefix). */
struct nlmsghdr *nl_req_addr(void *buf, uint16_t type, int ifindex, const struct addr *a);
/* RTM_NEWROUTE (create, exclusive) or RTM_DELROUTE in the main table,
 * protocol static. dst->plen 0 is the default route; gw family 0 = on-link;
 * oif 0 = any. */
struct nlmsghdr *nl_req_route(void *buf, uint16_t type, const struct addr *dst,
			      const struct addr *gw, int oif);
/* RTM_GETROUTE asking which route (and source address) reaches dst. */
struct nlmsghdr *nl_req_route_get(void *buf, const struct addr *dst);

/* A kernel 6in4 (sit) tunnel. */
struct nl_sit {
	struct addr local;  /* family 0 = any */
	struct addr remote;
	int ttl;            /* 0 = inherit */
	int mtu;            /* 0 = kernel default */
};
/* RTM_NEWLINK of kind "sit": create (exclusive) when ifindex is 0, else
 * change the tunnel ifindex in place. */
struct nlmsghdr *nl_req_sit(void *buf, const char *name, int ifindex, const struct nl_sit *t);

/* ---- replies */

/* One link of RTM_NEWLINK. */
struct nl_link {
	int index;
	char name[MODEL_IFNAMSIZ];
	char kind[16];          /* IFLA_INFO_KIND, "" = none (physical, lo) */
	int master;             /* 0 = none */
	unsigned int flags;     /* IFF_* */
	int mtu;
	bool has_mac;
	uint8_t mac[6];
	bool has_iptun;         /* local/remote/ttl below are set (sit) */
	struct addr local, remote;
	int ttl;
};
/* One address of RTM_NEWADDR. */
struct nl_addr {
	int index;
	struct addr addr;       /* with prefix */
	uint32_t flags;         /* IFA_F_*, from IFA_FLAGS when present */
	uint8_t scope;
	uint8_t proto;          /* IFA_PROTO; 0 when absent */
};
/* One route of RTM_NEWROUTE. */
struct nl_route {
	int family;
	uint32_t table;         /* RTA_TABLE when present */
	uint8_t protocol, type, scope;
	uint32_t flags;         /* rtm_flags */
	struct addr dst;        /* with prefix; plen 0 = default */
	struct addr gw;         /* family 0 = none */
	struct addr prefsrc;    /* family 0 = none */
	int oif;                /* 0 = none */
};

/* Where nl_attr_keep_cb puts attributes: tb[0..max], zeroed by the caller. */
struct nl_attr_tab {
	const struct nlattr **tb;
	int max;
};
/* mnl_attr_parse callback keeping each attribute of type <= max in
 * tb[type] (data is a struct nl_attr_tab); newer ones beyond max are
 * skipped, not errors. */
int nl_attr_keep_cb(const struct nlattr *attr, void *data);

/* Parse one reply message; 0, or -EINVAL when it is not of that type or is
 * malformed (attributes fail validation, a required one is missing). */
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *out);
int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *out);
int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *out);

/* ---- socket */

struct nl_sock;

/* Open and bind a NETLINK_ROUTE socket in the calling thread's current
 * network namespace (it stays bound to it). 0 or -errno. */
int nl_sock_open(struct nl_sock **out);
/* NULL-tolerant. */
void nl_sock_close(struct nl_sock *s);

/* Called for each data message of a reply; return 0 to go on or -errno. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Send req and read replies until the kernel's ack (or NLMSG_DONE of a
 * dump), passing each data message to cb (may be NULL). Returns 0, the
 * kernel's -errno, or cb's. The kernel's extended-ack text of a failure, if
 * any, is then in nl_sock_ext_ack().
 */
int nl_talk(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data);
/* Whether req gets NLM_F_ACK from nl_talk(): every request but a dump
 * (a dump ends with NLMSG_DONE instead). */
bool nl_req_needs_ack(const struct nlmsghdr *req);
/* Text of the kernel's extended ack for the last failed request, "" = none. */
const char *nl_sock_ext_ack(const struct nl_sock *s);
/* Forget that text (a new operation starts). */
void nl_sock_clear_ext_ack(struct nl_sock *s);

/* The cookie of the network namespace s is bound to (SO_NETNS_COOKIE): a
 * number no other namespace ever has, unlike its inode. 0 or -errno. */
int nl_sock_netns_cookie(struct nl_sock *s, uint64_t *cookie);

/* Index of link name as seen by s: 0 or -errno (-ENODEV when absent). */
int nl_link_index(struct nl_sock *s, const char *name, int *index);

#endif
