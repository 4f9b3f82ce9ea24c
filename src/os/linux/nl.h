/*
 * rtnetlink plumbing of the Linux backend, in three parts:
 *  - request builders and reply parsers: pure, no socket (unit-tested);
 *  - a libmnl socket that sends one request and checks every reply;
 *  - backend internals shared by observe.c and execute.c: the context's
 *    per-namespace sockets, entering/leaving namespaces, sysctls.
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
#include "os/linux/linux.h"

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
/* RTM_NEWLINK of kind "veth" with its peer; peer_mac NULL = kernel's choice. */
/* RTM_SETLINK of link name: no IPv6 address generation (a bridge port). */
struct nlmsghdr *nl_req_link_no_ipv6(void *buf, const char *name);

struct nlmsghdr *nl_req_veth_create(void *buf, const char *name, const char *peer,
				    const uint8_t *peer_mac, int peer_netns_fd);

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

/* Index of link name as seen by s: 0 or -errno (-ENODEV when absent). */
int nl_link_index(struct nl_sock *s, const char *name, int *index);

/* ---- backend internals (implemented in nl.c) */

/* The socket of namespace ns ("" = host), opened on first use. -ENOENT
 * when the jail ns does not exist, -EINVAL for a bad name. */
int linux_ns_sock(struct linux_ctx *c, const char *ns, struct nl_sock **out);
/* Run fn(arg) with the calling thread in namespace ns ("" = host), then
 * come back; fn's result. */
int linux_in_ns(struct linux_ctx *c, const char *ns, int (*fn)(void *arg), void *arg);
/* A netns fd of ns owned by c (do not close), for IFLA_NET_NS_FD. */
int linux_ns_fd(struct linux_ctx *c, const char *ns, int *fd);
/* Whether jail ns exists as a network namespace under the runtime dir:
 * 1, 0, or -errno. */
int linux_ns_exists(struct linux_ctx *c, const char *ns);
/* Drop what c holds of ns (socket, fd): before the namespace is destroyed,
 * since an open socket would keep it alive. */
void linux_ns_forget(struct linux_ctx *c, const char *ns);

/* /proc/sys path of a generic sysctl key (state.h), or NULL if unknown. */
const char *linux_sysctl_path(const char *key);
/* Read (trailing newline stripped) or write a generic sysctl key in ns.
 * Read returns -ENOENT when the kernel lacks it (e.g. IPv6 disabled). */
int linux_sysctl_read(struct linux_ctx *c, const char *ns, const char *key, char *buf, size_t len);
int linux_sysctl_write(struct linux_ctx *c, const char *ns, const char *key, const char *value);
/* For a link jail6 made, in ns: its link-local address usable at once,
 * /proc/sys/net/ipv6/conf/IFNAME/{dad_transmits,router_solicitation_delay}
 * set to 0 (both in one visit to the namespace). 0, -EINVAL for a bad
 * name, or -errno (-ENOENT: no such link, or no IPv6). */
int linux_link_no_dad(struct linux_ctx *c, const char *ns, const char *ifname);

#endif
