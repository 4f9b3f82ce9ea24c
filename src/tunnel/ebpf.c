/*
 * The eBPF 6in4 datapath (datapath = ebpf) inside `jail6 tunnel run`: the
 * same process, supervisor, pidfile and stats file as the userspace
 * datapath, but the packets stay in the kernel. It loads the two tc
 * programs of ebpf.bpf.c with libbpf (the skeleton bpftool generated at
 * build time; nothing is pinned), attaches the encapsulator to the TUN
 * device's egress and, where the kernel can run it (Linux 6.3: probed by
 * running it once), the decapsulator to the ingress of the link toward the
 * remote (the underlay). Then it runs the userspace loop (dp_loop.c) with
 * its raw protocol-41 socket, which gets what the decapsulator leaves to
 * the kernel: everything on an older kernel (the userspace datapath
 * decapsulates there), else reassembled fragments and packets to other
 * addresses of ours. Once a second and on SIGHUP, when the loop writes the
 * stats, dp_ebpf_stats() keeps the programs' configuration true (local =
 * auto, the underlay the route to the remote takes now, the TUN device's
 * MTU) and adds their per-CPU counters. The TUN device stays open, so
 * that the link has its carrier; the encapsulator leaves nothing to read
 * on it. On SIGTERM or SIGINT both programs are detached (the kernel then
 * frees them and their map) and a clsact qdisc it created is removed. A
 * datapath killed outright leaves its filters attached; the next one
 * replaces them, and tunnel_ebpf_cleanup() removes them.
 */
#include <errno.h>
#include <poll.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include "model/model.h"
#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "tunnel/ebpf.h"
#include "tunnel/ebpf_shared.h"
#include "util/testhook.h"
#include "tunnel/ebpf.skel.h" /* generated: BUILD/gen (Makefile) */

_Static_assert((int)J6_DROP_WRONG_SOURCE == (int)DP_DROP_WRONG_SOURCE && (int)J6_DROP_SHORT == (int)DP_DROP_SHORT &&
		       (int)J6_DROP_BAD_HEADER == (int)DP_DROP_BAD_HEADER &&
		       (int)J6_DROP_NOT_IPV6 == (int)DP_DROP_NOT_IPV6 && (int)J6_DROP_TOO_BIG == (int)DP_DROP_TOO_BIG &&
		       (int)J6_DROP_TUN_WRITE == (int)DP_DROP_TUN_WRITE && (int)J6_DROP_SEND == (int)DP_DROP_SEND &&
		       (int)J6_DROP_VIA_DOWN == (int)DP_DROP_VIA_DOWN &&
		       (int)J6_DROP_COUNT == (int)DP_DROP_COUNT,
	       "the BPF programs' drop slots follow enum dp_verdict");

/* The running eBPF datapath. */
struct ebpf_run {
	struct dp_ctx *x;
	struct j6_ebpf *skel;
	int tun_ifindex;
	struct tunnel_ebpf_tc tc;      /* where the filters are (the stats say it too) */
	struct tunnel_ebpf_tc prev;    /* where a killed predecessor's were */
	int underlay;                  /* the link encapsulated packets leave by */
	char underlay_name[IF_NAMESIZE];
	bool decap;                    /* the kernel decapsulates in BPF */
	bool stopped;                  /* detached: the counters are in x->ctr */
	int ncpu;
	__u64 *percpu;                 /* ncpu * J6_CTR_N, one map lookup */
};

/* libbpf's messages go to the log, warnings and errors only. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* The route to the remote: its output interface and gateway (0: none,
 * the remote is on-link). */
struct route_to {
	int oif;
	uint32_t gw;
};

/* mnl_attr_parse callback: the output interface and the gateway. */
static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct route_to *r = data;

	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		r->oif = (int)mnl_attr_get_u32(a);
	if (mnl_attr_get_type(a) == RTA_GATEWAY && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		r->gw = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr_cb, data);
}

/* Send the rtnetlink request in buf and run cb on the answer (on every
 * part of a dump, until its end). 0 or -errno. */
static int rtnl_talk(char *buf, size_t len, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)buf;
	bool dump = nlh->nlmsg_flags & NLM_F_DUMP;
	uint32_t port, seq = (uint32_t)time(NULL);
	int r;
	ssize_t n;

	if (!nl)
		return -errno;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	/* (buf holds the answers from here on) */
	do {
		n = mnl_socket_recvfrom(nl, buf, len);
		r = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, seq, port, cb, data);
	} while (dump && r > 0);
	if (r < 0)
		r = errno ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return r;
}

/* Where the routing table sends packets to remote (IPv4, network order):
 * 0 with *out filled, or -errno. */
static int route_get(const uint8_t remote[4], struct route_to *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint32_t dst;
	int r;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	memcpy(&dst, remote, 4);
	mnl_attr_put_u32(nlh, RTA_DST, dst);
	memset(out, 0, sizeof(*out));
	r = rtnl_talk(buf, sizeof(buf), route_cb, out);
	return r < 0 ? r : out->oif > 0 ? 0 : -ENETUNREACH;
}

/* mnl_cb_run callback of a filter dump: count the filters (a filter has a
 * handle; the entry of its priority alone has none). */
static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWTFILTER && t->tcm_handle)
		++*(int *)data;
	return MNL_CB_OK;
}

/* How many tc filters the clsact hooks of ifindex hold (both), or -errno. */
static int clsact_filters(int ifindex)
{
	static const uint32_t parents[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	int n = 0, r;

	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct tcmsg *t;

		nlh->nlmsg_type = RTM_GETTFILTER;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = ifindex;
		t->tcm_parent = parents[i];
		if ((r = rtnl_talk(buf, sizeof(buf), filter_cb, &n)) < 0)
			return r;
	}
	return n;
}

/* The link header length of interface name: 14 for Ethernet, 0 for a link
 * without one (a TUN or PPP uplink: a VPN); -errno or -EOPNOTSUPP. */
static int link_header_len(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ? -errno : 0;
	close(s);
	if (r < 0)
		return r;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER: return 14;
	case ARPHRD_NONE: case ARPHRD_PPP: case ARPHRD_IPGRE: case ARPHRD_TUNNEL: return 0;
	default: return -EOPNOTSUPP;
	}
}

/* The MTU of interface name, or -errno. */
static int link_mtu(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(s, SIOCGIFMTU, &ifr) < 0 ? -errno : ifr.ifr_mtu;
	close(s);
	return r;
}

/* Set the MTU of interface name. */
static int link_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	r = ioctl(s, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

/* Attach prog_fd to the hook of ifindex (creating its clsact qdisc when
 * missing: *created then says so), replacing a filter of ours left there. */
static int tc_attach(int ifindex, enum bpf_tc_attach_point where, int prog_fd, uint32_t handle, bool *created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = J6_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int r = bpf_tc_hook_create(&hook);

	if (r == 0)
		*created = true;
	else if (r != -EEXIST)
		return r;
	return bpf_tc_attach(&hook, &opts);
}

/* Remove our filter from the hook of ifindex, and its clsact qdisc if we
 * created it and no other filter (another tunnel's on a shared underlay,
 * someone else's) is left on it. 0 also when there was nothing (the link
 * is gone, say). */
static int tc_detach(int ifindex, enum bpf_tc_attach_point where, uint32_t handle, bool created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = J6_TC_PRIORITY);
	int r = bpf_tc_detach(&hook, &opts);

	if (r == -ENOENT || r == -ENODEV || r == -EINVAL)
		r = 0;
	if (created && clsact_filters(ifindex) == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		int d = bpf_tc_hook_destroy(&hook);
		if (d < 0 && d != -ENOENT && d != -ENODEV && d != -EINVAL && r == 0)
			r = d;
	}
	return r;
}

int tunnel_ebpf_cleanup(const struct tunnel_ebpf_tc *tc)
{
	int r = 0, k;

	if (!tc->handle)
		return 0;
	if (tc->underlay > 0)
		r = tc_detach(tc->underlay, BPF_TC_INGRESS, tc->handle, tc->own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY);
	if (tc->tun > 0 && (k = tc_detach(tc->tun, BPF_TC_EGRESS, tc->handle, tc->own_clsact & TUNNEL_EBPF_CLSACT_TUN)) < 0 &&
	    r == 0)
		r = k;
	return r;
}

int tunnel_ebpf_decap_attach(int ifindex, int prog_fd, uint32_t handle, bool *created)
{
	*created = false;
	return tc_attach(ifindex, BPF_TC_INGRESS, prog_fd, handle, created);
}

int tunnel_ebpf_decap_detach(int ifindex, uint32_t handle, bool own_clsact)
{
	return tc_detach(ifindex, BPF_TC_INGRESS, handle, own_clsact);
}

/* Ask the parent for a tc change on the ingress of ifindex (ctl.h: CTL_TC)
 * and wait (bounded) for its answer: 0 or -errno, *created as the attach
 * says. */
static int parent_tc(struct dp_ctx *x, bool attach, int ifindex, uint32_t handle, bool own, bool *created)
{
	struct ctl_msg m = { .type = CTL_TC, .arg = { attach, ifindex, (int32_t)handle, own } };
	struct pollfd p = { .fd = x->ctl_fd, .events = POLLIN };
	int r;

	if (created)
		*created = false;
	if (x->ctl_fd < 0)
		return -EPERM;
	if ((r = ctl_send(x->ctl_fd, &m, -1)) < 0)
		return r;
	for (;;) {
		if ((r = poll(&p, 1, 3000)) <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		if ((r = ctl_recv(x->ctl_fd, &m, NULL)) < 0)
			return r;
		if (m.type == CTL_HUP)
			x->hup = true;
		if (m.type != CTL_TC_DONE)
			continue;
		if (created)
			*created = m.arg[1] != 0;
		return m.arg[0] > 0 ? -EIO : m.arg[0];
	}
}

/* The decapsulator onto the ingress of ifindex: here while privileged,
 * else by the parent. */
static int decap_attach(struct ebpf_run *e, int ifindex, bool *created)
{
	if (e->x->dropped)
		return parent_tc(e->x, true, ifindex, e->tc.handle, false, created);
	return tunnel_ebpf_decap_attach(ifindex, bpf_program__fd(e->skel->progs.j6_decap), e->tc.handle, created);
}

/* A decapsulator's filter (handle) off the ingress of ifindex, and the
 * clsact qdisc with it when own and nothing else is left on it. */
static int decap_detach(struct ebpf_run *e, int ifindex, uint32_t handle, bool own)
{
	if (e->x->dropped)
		return parent_tc(e->x, false, ifindex, handle, own, NULL);
	return tunnel_ebpf_decap_detach(ifindex, handle, own);
}

/* The programs' counters, summed over the CPUs, into sum. */
static int counters_sum(struct ebpf_run *e, __u64 sum[J6_CTR_N])
{
	size_t sz = (size_t)e->ncpu * J6_CTR_N * sizeof(__u64);
	__u32 k = 0;

	memset(sum, 0, J6_CTR_N * sizeof(__u64));
	if (bpf_map__lookup_elem(e->skel->maps.counters, &k, sizeof(k), e->percpu, sz, 0) < 0)
		return -errno;
	for (int cpu = 0; cpu < e->ncpu; cpu++)
		for (int i = 0; i < J6_CTR_N; i++)
			sum[i] += e->percpu[(size_t)cpu * J6_CTR_N + (size_t)i];
	return 0;
}

/* c += the counter slots of sum. */
static void counters_add(struct dp_counters *c, const __u64 sum[J6_CTR_N])
{
	c->rx_packets += sum[J6_CTR_RX_PACKETS];
	c->rx_bytes += sum[J6_CTR_RX_BYTES];
	c->tx_packets += sum[J6_CTR_TX_PACKETS];
	c->tx_bytes += sum[J6_CTR_TX_BYTES];
	for (int v = DP_PASS + 1; v < DP_DROP_COUNT; v++)
		c->drops[v] += sum[J6_CTR_DROP0 + v];
}

/* Put the decapsulator on the ingress of link oif (0: nowhere), removing
 * it from where it was, and a killed predecessor's filter as well. */
static void decap_move(struct ebpf_run *e, int oif)
{
	struct dp_ctx *x = e->x;
	bool created = false;
	int r;

	if (e->tc.underlay > 0) {
		decap_detach(e, e->tc.underlay, e->tc.handle, e->tc.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY);
		e->tc.own_clsact &= ~TUNNEL_EBPF_CLSACT_UNDERLAY;
		e->tc.underlay = 0;
	}
	if (oif <= 0)
		return;
	r = decap_attach(e, oif, &created);
	if (r < 0) {
		dp_errlog(x, ERRLOG_SEND, "attach the decapsulator", -r);
		if (created)
			decap_detach(e, oif, e->tc.handle, true);
		return;
	}
	if (created)
		e->tc.own_clsact |= TUNNEL_EBPF_CLSACT_UNDERLAY;
	/* a killed predecessor's filter: replaced in place (its qdisc, if
	 * it made one, is ours now), or left elsewhere: removed */
	if (e->prev.underlay > 0 && e->prev.underlay == oif && e->prev.handle == e->tc.handle)
		e->tc.own_clsact |= e->prev.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY;
	else if (e->prev.underlay > 0)
		decap_detach(e, e->prev.underlay, e->prev.handle, e->prev.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY);
	e->prev.underlay = 0;
	e->tc.underlay = oif;
}

/* Follow the underlay the route to the remote takes now (at start, and
 * when the route changes: a VPN that came back on another interface): the
 * encapsulator sends out of it to the route's next hop, the decapsulator
 * (when it runs in BPF) sits on its ingress. Also its MTU, which must
 * carry the tunnel MTU and the outer header. */
static void underlay_sync(struct ebpf_run *e)
{
	struct dp_ctx *x = e->x;
	struct j6_ebpf_cfg *cfg = &e->skel->bss->cfg;
	char name[IF_NAMESIZE] = "";
	struct route_to rt;
	int r = route_get(x->cfg.remote, &rt), l2 = -ENODEV, mtu = 0;
	uint32_t nexthop = 0;

	if (r == 0 && if_indextoname((unsigned)rt.oif, name)) {
		l2 = link_header_len(name);
		mtu = link_mtu(name);
		memcpy(&nexthop, x->cfg.remote, 4);
		if (rt.gw)
			nexthop = rt.gw;
	}
	if (r < 0 || l2 < 0 || mtu <= 0) {
		if (e->underlay)
			decap_move(e, 0);
		cfg->underlay = 0;
		e->underlay = 0;
		e->underlay_name[0] = '\0';
		dp_errlog(x, ERRLOG_SEND, r < 0 ? "no route to the remote" : "the link toward the remote",
			  r < 0 ? -r : l2 == -EOPNOTSUPP ? EPROTONOSUPPORT : l2 < 0 ? -l2 : mtu < 0 ? -mtu : EINVAL);
		return;
	}
	if (mtu != (int)cfg->underlay_mtu && mtu < x->cfg.mtu + DP_IPV4_HLEN)
		dp_log(x->o, "underlay %s has MTU %d: inner packets above %d bytes cannot pass (nothing fragments "
			     "them; they are counted as too_big): give the tunnel mtu = %d", name, mtu,
		       mtu - DP_IPV4_HLEN, mtu - DP_IPV4_HLEN);
	cfg->underlay_mtu = (__u32)mtu;
	cfg->nexthop = nexthop;
	cfg->l2len = (__u32)l2;
	if (rt.oif == e->underlay)
		return;
	cfg->underlay = 0;
	if (e->decap)
		decap_move(e, rt.oif);
	e->underlay = rt.oif;
	snprintf(e->underlay_name, sizeof(e->underlay_name), "%s", name);
	cfg->underlay = (__u32)rt.oif;
	dp_log(x->o, "underlay %s (ifindex %d): encapsulated packets leave by it%s", name, rt.oif,
	       e->decap ? ", decapsulation on its ingress" : "");
}

/* Bring the programs' configuration up to date: local address, tunnel
 * MTU (the TUN device's, which must not exceed it: the kernel answers
 * Packet Too Big for what the device cannot take), the underlay. */
static void refresh(struct ebpf_run *e)
{
	struct dp_ctx *x = e->x;
	struct j6_ebpf_cfg *cfg = &e->skel->bss->cfg;
	uint32_t local;

	dp_reresolve(x);
	dp_tun_mtu_sync(x);
	if (x->link_mtu > MODEL_TUNNEL_MTU_MAX) {
		int r = link_set_mtu(x->o->name, x->cfg.mtu);
		if (r < 0)
			dp_errlog(x, ERRLOG_TUN, "lower the TUN device's MTU to the tunnel MTU", -r);
		else
			dp_log(x->o, "TUN device %s: MTU %d -> %d, so that the kernel answers Packet Too Big", x->o->name,
			       x->link_mtu, x->cfg.mtu);
		dp_tun_mtu_sync(x);
	}
	/* a via whose route is gone (dp_route.c): the encapsulator drops, and
	 * the underlay stays what it was: never the other uplink's */
	__atomic_store_n(&cfg->held, x->held ? 1u : 0u, __ATOMIC_RELEASE);
	if (x->held) {
		__atomic_store_n(&cfg->ready, 0u, __ATOMIC_RELEASE);
		return;
	}
	underlay_sync(e);
	memcpy(&local, x->cfg.local, 4);
	cfg->mtu = (__u32)x->cfg.mtu;
	cfg->local = local;
	__atomic_store_n(&cfg->ready, x->local_known && cfg->underlay ? 1u : 0u, __ATOMIC_RELEASE);
}

/*
 * Whether this kernel decapsulates in BPF (BPF_F_ADJ_ROOM_DECAP_L3_IPV6,
 * Linux 6.3): the decapsulator itself, run once by the kernel
 * (BPF_PROG_TEST_RUN) on a valid 6in4 packet between two documentation
 * addresses, must get as far as its redirect. Its configuration and
 * counters are put back after.
 */
static bool decap_works(struct ebpf_run *e)
{
	static const uint8_t local[4] = { 192, 0, 2, 1 }, remote[4] = { 192, 0, 2, 2 };
	uint8_t pkt[14 + 20 + 40] = { [12] = 0x08, [14] = 0x45, [17] = 60, [22] = 64, [23] = 41, [34] = 0x60,
				     [40] = 59, [41] = 64 };
	struct j6_ebpf_cfg *cfg = &e->skel->bss->cfg, saved = *cfg;
	const char *force = testhook_env("JAIL6_TEST_EBPF_DECAP");
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	size_t sz = (size_t)e->ncpu * J6_CTR_N * sizeof(__u64);
	uint16_t sum;
	__u32 k = 0;
	int r;

	/* the test build can pretend an older kernel */
	if (force && !strcmp(force, "0"))
		return false;
	memcpy(pkt + 26, remote, 4);
	memcpy(pkt + 30, local, 4);
	sum = dp_csum_fold(dp_csum_add(0, pkt + 14, 20));
	pkt[24] = (uint8_t)(sum >> 8);
	pkt[25] = (uint8_t)sum;
	memcpy(&cfg->local, local, 4);
	memcpy(&cfg->remote, remote, 4);
	cfg->l2len = 14;
	cfg->tun_ifindex = (__u32)e->tun_ifindex;
	cfg->ready = 1;
	r = bpf_prog_test_run_opts(bpf_program__fd(e->skel->progs.j6_decap), &t);
	*cfg = saved;
	memset(e->percpu, 0, sz);
	bpf_map__update_elem(e->skel->maps.counters, &k, sizeof(k), e->percpu, sz, 0);
	return r == 0 && t.retval == TC_ACT_REDIRECT;
}

/* Load the programs, configure them, attach the encapsulator (and the
 * decapsulator where the kernel can run it). -EOPNOTSUPP when the programs
 * do not load or attach here (logged). */
static int ebpf_start(struct ebpf_run *e)
{
	struct dp_ctx *x = e->x;
	const struct tunnel_opts *o = x->o;
	struct j6_ebpf_cfg *cfg;
	uint32_t remote;
	bool created = false;
	int r;

	libbpf_set_print(libbpf_print);
	e->ncpu = libbpf_num_possible_cpus();
	if (e->ncpu <= 0)
		return e->ncpu < 0 ? e->ncpu : -EINVAL;
	e->percpu = calloc((size_t)e->ncpu * J6_CTR_N, sizeof(__u64));
	if (!e->percpu)
		return -ENOMEM;
	e->tun_ifindex = (int)if_nametoindex(o->name);
	if (e->tun_ifindex <= 0)
		return -ENODEV;
	e->skel = j6_ebpf__open_and_load();
	if (!e->skel) {
		dp_log(o, "load the eBPF programs: %s%s", strerror(errno),
		       errno == EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		return -EOPNOTSUPP;
	}
	e->decap = decap_works(e);
	if (!e->decap)
		dp_log(o, "this kernel cannot decapsulate in BPF (Linux 6.3 or later can): "
			  "the userspace datapath decapsulates, the eBPF one encapsulates");
	cfg = &e->skel->bss->cfg;
	memcpy(&remote, o->remote.bytes, 4);
	cfg->remote = remote;
	cfg->ttl = (__u32)o->ttl;
	cfg->tun_ifindex = (__u32)e->tun_ifindex;
	e->tc.handle = (uint32_t)e->tun_ifindex;
	e->tc.tun = e->tun_ifindex;
	/* (tunnel_run has looked for the local address) */
	refresh(e);
	r = tc_attach(e->tun_ifindex, BPF_TC_EGRESS, bpf_program__fd(e->skel->progs.j6_encap), e->tc.handle, &created);
	if (created)
		e->tc.own_clsact |= TUNNEL_EBPF_CLSACT_TUN;
	if (r < 0) {
		dp_log(o, "attach the encapsulator to %s: %s", o->name, strerror(-r));
		return -EOPNOTSUPP;
	}
	if (e->prev.tun == e->tun_ifindex && e->prev.handle == e->tc.handle)
		e->tc.own_clsact |= e->prev.own_clsact & TUNNEL_EBPF_CLSACT_TUN;
	else if (e->prev.tun > 0)
		tc_detach(e->prev.tun, BPF_TC_EGRESS, e->prev.handle, e->prev.own_clsact & TUNNEL_EBPF_CLSACT_TUN);
	return 0;
}

void dp_ebpf_stats(struct dp_ctx *x, struct tunnel_stats *s)
{
	struct ebpf_run *e = x->ebpf;
	__u64 sum[J6_CTR_N];

	if (!e->stopped) {
		refresh(e);
		if (counters_sum(e, sum) == 0)
			counters_add(&s->c, sum);
	}
	snprintf(s->datapath, sizeof(s->datapath), "ebpf");
	snprintf(s->decap, sizeof(s->decap), "%s", e->decap ? "ebpf" : "userspace");
	snprintf(s->underlay, sizeof(s->underlay), "%s", e->underlay_name);
	s->tc = e->tc;
}

/* Detach everything; the programs' counters go into x->ctr for the last
 * stats. */
static void ebpf_stop(struct ebpf_run *e)
{
	__u64 sum[J6_CTR_N];

	if (!e->skel)
		return;
	if (!e->stopped && counters_sum(e, sum) == 0)
		counters_add(&e->x->ctr, sum);
	e->stopped = true;
	/* once detached, nothing holds the programs and their map; without
	 * the privilege (the usual case) the parent detaches them once this
	 * process is gone, from where the last stats say they are */
	if (!e->x->dropped) {
		if (tunnel_ebpf_cleanup(&e->tc) < 0)
			dp_log(e->x->o, "detach the eBPF programs: some were left attached");
		memset(&e->tc, 0, sizeof(e->tc));
	}
	e->underlay_name[0] = '\0';
	j6_ebpf__destroy(e->skel);
	e->skel = NULL;
}

int dp_ebpf_run(struct dp_ctx *x)
{
	struct ebpf_run e = { .x = x };
	char la[INET_ADDRSTRLEN] = "auto", ra[INET_ADDRSTRLEN];
	int r;

	/* a previous process of this tunnel that was killed: its counters,
	 * and its filters and the clsact qdiscs it created, which are ours
	 * to replace or remove now */
	if (x->restarts > 0) {
		dp_stats_carry_over(x);
		dp_stats_ebpf_tc(x, &e.prev);
	}
	r = ebpf_start(&e);
	/* the raw socket: what the decapsulator leaves to the kernel that is
	 * protocol 41 (all of it where BPF cannot decapsulate; else
	 * reassembled fragments, and packets to another address of ours,
	 * counted as the userspace datapath counts them) */
	if (r == 0)
		r = dp_raw_open(x);
	/* the parent moves the decapsulator to a new underlay once this
	 * process may not: it gets the program now; then the privileges go */
	if (r == 0 && e.decap && x->ctl_fd >= 0) {
		struct ctl_msg m = { .type = CTL_DECAP_PROG };
		r = ctl_send(x->ctl_fd, &m, bpf_program__fd(e.skel->progs.j6_decap));
		if (r < 0)
			dp_log(x->o, "pass the decapsulator to the parent: %s", strerror(-r));
	}
	if (r == 0)
		r = dp_privdrop(x, x->drop);
	if (r < 0) {
		ebpf_stop(&e);
		free(e.percpu);
		return r;
	}
	dp_rx_init(x);
	x->ebpf = &e;
	if (x->local_known)
		inet_ntop(AF_INET, x->cfg.local, la, sizeof(la));
	dp_log(x->o, "datapath up (ebpf): local %s remote %s ttl %d mtu %d underlay %s, decapsulation in %s", la,
	       inet_ntop(AF_INET, x->cfg.remote, ra, sizeof(ra)), x->o->ttl, x->cfg.mtu,
	       e.underlay_name[0] ? e.underlay_name : "none yet", e.decap ? "BPF" : "userspace");
	dp_stats_flush(x);
	/* the userspace loop: the signals, the stats once a second (which
	 * keep the programs' configuration up to date, dp_ebpf_stats), and
	 * the raw socket's packets; the TUN device never has any to read,
	 * the encapsulator takes them all */
	r = dp_loop(x);
	ebpf_stop(&e);
	dp_stats_flush(x);
	x->ebpf = NULL;
	free(e.percpu);
	return r;
}
