/*
 * A tunnel with a via (jail6.conf(5)): the remote is reached through that
 * gateway and through nothing else. The datapath watches the routing table
 * (rtnetlink events of IPv4 routes, addresses and links, through libmnl;
 * any event at all is a reason to look, none is parsed) and asks the
 * kernel, after each batch of events and every few seconds anyway, which
 * route it takes toward the remote:
 *
 *  - through via: packets go out, from the source that route gives
 *    (local = auto) or the configured one;
 *  - any other way (the VPN went down, its tun device took jail6's host
 *    route with it, and the default route over the WAN took over): the
 *    datapath holds. What it would send is dropped, counted as via_down,
 *    and no other uplink's address ever becomes its source (the eBPF
 *    datapath's loader reads x->held: ebpf.c, refresh);
 *  - while it holds and via is on-link again (the kernel routes via
 *    directly, with no gateway: the VPN is back), it asks its parent
 *    (ctl.h: CTL_RESTORE; the datapath itself runs unprivileged) to run
 *    `jail6 tunnel restore NAME`, which puts back the host route that the store records
 *    as jail6's (engine_tunnel_restore); that route's event ends the hold.
 *
 * Why a watcher in the datapath and not a hook of the VPN: docs/architecture.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"

#define ROUTE_EVERY_MS  5000                /* look without events too */
#define RESTORE_MIN_MS  2000                /* at most one restore started per 2 s */
#define NL_BUFSZ        8192

/* What the kernel answered to RTM_GETROUTE. */
struct rt_answer {
	bool has_gw, has_src;
	uint8_t gw[4], src[4];
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct rt_answer *r = data;
	int type = mnl_attr_get_type(a);

	if ((type != RTA_GATEWAY && type != RTA_PREFSRC) || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	memcpy(type == RTA_GATEWAY ? r->gw : r->src, mnl_attr_get_payload(a), 4);
	if (type == RTA_GATEWAY)
		r->has_gw = true;
	else
		r->has_src = true;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(struct rtmsg), attr_cb, data);
}

/* The route the kernel takes toward dst: 0, or -errno (-ENETUNREACH: none). */
static int route_get(struct dp_ctx *x, const uint8_t dst[4], struct rt_answer *a)
{
	char buf[NL_BUFSZ];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned seq = ++x->nl_seq, port = mnl_socket_get_portid(x->nl_req);
	struct rtmsg *rtm;

	memset(a, 0, sizeof(*a));
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put(nlh, RTA_DST, 4, dst);
	if (mnl_socket_sendto(x->nl_req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(x->nl_req, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		if (mnl_cb_run(buf, (size_t)n, seq, port, route_cb, a) >= 0)
			return 0;
		/* ESRCH: the answer to an earlier request that timed out */
		if (errno != ESRCH)
			return -errno;
	}
}

int dp_route_open(struct dp_ctx *x)
{
	struct timeval tv = { .tv_sec = 1 };
	int r;

	if (!x->o->has_via)
		return 0;
	x->nl_req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	x->nl_ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!x->nl_req || !x->nl_ev || mnl_socket_bind(x->nl_req, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(x->nl_ev, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(x->nl_req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		dp_log(x->o, "rtnetlink sockets to watch the route via the gateway: %s", strerror(errno));
		return r;
	}
	x->nl_seq = (unsigned)time(NULL);
	return 0;
}

int dp_route_fd(const struct dp_ctx *x)
{
	return x->nl_ev ? mnl_socket_get_fd(x->nl_ev) : -1;
}

/* Ask the parent to run `jail6 tunnel restore` (the datapath has no
 * privilege left to change a route or the store, nor a program to run:
 * privdrop.c), at most every RESTORE_MIN_MS; the parent runs one at a
 * time (supervisor.c). */
static void restore_start(struct dp_ctx *x)
{
	struct ctl_msg m = { .type = CTL_RESTORE };
	uint64_t t = dp_now_ms();
	int r;

	if (x->ctl_fd < 0 || (x->restore_ms && t - x->restore_ms < RESTORE_MIN_MS))
		return;
	x->restore_ms = t;
	if ((r = ctl_send(x->ctl_fd, &m, -1)) < 0)
		dp_log(x->o, "ask the parent for jail6 tunnel restore: %s", strerror(-r));
}

void dp_route_check(struct dp_ctx *x)
{
	char rs[INET_ADDRSTRLEN], vs[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN], ls[INET_ADDRSTRLEN];
	struct rt_answer a, v;
	int r;

	if (!x->o->has_via || !x->nl_req)
		return;
	x->route_ms = dp_now_ms();
	inet_ntop(AF_INET, x->cfg.remote, rs, sizeof(rs));
	inet_ntop(AF_INET, x->o->via.bytes, vs, sizeof(vs));
	r = route_get(x, x->cfg.remote, &a);
	if (r == 0 && a.has_gw && memcmp(a.gw, x->o->via.bytes, 4) == 0) {
		if (x->o->local_auto && a.has_src && memcmp(a.src, x->cfg.local, 4) != 0) {
			inet_ntop(AF_INET, x->cfg.local, gs, sizeof(gs));
			dp_log(x->o, "local address %s -> %s", gs, inet_ntop(AF_INET, a.src, ls, sizeof(ls)));
			dp_set_local(x, a.src);
		}
		if (x->held && x->local_known)
			dp_log(x->o, "the route to %s goes via %s again: sending from %s", rs, vs,
			       inet_ntop(AF_INET, x->cfg.local, ls, sizeof(ls)));
		x->held = !x->local_known;
		x->route_logged = false;
		return;
	}
	if (!x->route_logged) {
		if (r < 0)
			snprintf(gs, sizeof(gs), "none (%s)", strerror(-r));
		else if (a.has_gw)
			inet_ntop(AF_INET, a.gw, gs, sizeof(gs));
		else
			snprintf(gs, sizeof(gs), "on-link");
		dp_log(x->o, "the route to %s is not via %s (gateway: %s): holding, packets are dropped as via_down until it is",
		       rs, vs, gs);
		x->route_logged = true;
	}
	x->held = true;
	/* via reachable directly again: put jail6's host route back */
	if (route_get(x, x->o->via.bytes, &v) == 0 && !v.has_gw)
		restore_start(x);
}

void dp_route_events(struct dp_ctx *x)
{
	char buf[NL_BUFSZ];
	bool any = false;

	/* bounded: a storm of events is one look */
	for (int i = 0; x->nl_ev && i < 64; i++) {
		ssize_t n = mnl_socket_recvfrom(x->nl_ev, buf, sizeof(buf));

		if (n < 0 && errno != ENOBUFS) /* ENOBUFS: events were lost, look anyway */
			break;
		any = true;
	}
	if (any)
		dp_route_check(x);
}

void dp_route_tick(struct dp_ctx *x)
{
	if (!x->o->has_via)
		return;
	/* while held, every tick: the restore is retried */
	if (x->held || dp_now_ms() - x->route_ms >= ROUTE_EVERY_MS)
		dp_route_check(x);
}

void dp_route_close(struct dp_ctx *x)
{
	if (x->nl_ev)
		mnl_socket_close(x->nl_ev);
	if (x->nl_req)
		mnl_socket_close(x->nl_req);
	x->nl_ev = x->nl_req = NULL;
}
