/*
 * The eBPF 6in4 datapath (datapath = ebpf) inside `jail6 tunnel run`: the
 * same process, supervisor, pidfile and stats file as the userspace
 * datapath, but the packets never reach it. It loads the two tc programs
 * of ebpf.bpf.c with libbpf (the skeleton bpftool generated at build time;
 * nothing is pinned), attaches the encapsulator to the TUN device's egress
 * and the decapsulator to the ingress of the link toward the remote (the
 * underlay), and then, once a second and on SIGHUP, keeps the programs'
 * configuration true (local = auto, the underlay the route to the remote
 * takes now, the TUN device's MTU) and writes the counters of their BPF
 * map into the stats file. It holds the TUN device open, so that the link
 * has its carrier. On SIGTERM or SIGINT it detaches both programs (the
 * kernel then frees them and their maps) and removes a clsact qdisc it
 * created. A datapath killed outright leaves its filters attached; the
 * next one replaces them, and tunnel_ebpf_cleanup() removes them.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include "model/model.h"
#include "tunnel/dp_int.h"
#include "tunnel/ebpf.h"
#include "tunnel/ebpf_shared.h"
#include "tunnel/ebpf.skel.h" /* generated: BUILD/gen (Makefile) */

_Static_assert((int)J6_DROP_WRONG_SOURCE == (int)DP_DROP_WRONG_SOURCE && (int)J6_DROP_SHORT == (int)DP_DROP_SHORT &&
		       (int)J6_DROP_BAD_HEADER == (int)DP_DROP_BAD_HEADER &&
		       (int)J6_DROP_NOT_IPV6 == (int)DP_DROP_NOT_IPV6 && (int)J6_DROP_TOO_BIG == (int)DP_DROP_TOO_BIG &&
		       (int)J6_DROP_TUN_WRITE == (int)DP_DROP_TUN_WRITE && (int)J6_DROP_SEND == (int)DP_DROP_SEND &&
		       (int)J6_DROP_COUNT == (int)DP_DROP_COUNT,
	       "the BPF programs' drop slots follow enum dp_verdict");

#define TICK_MS 1000

/* The running eBPF datapath. */
struct ebpf_run {
	struct dp_ctx *x;
	struct j6_ebpf *skel;
	int tun_ifindex;
	struct tunnel_ebpf_tc tc;      /* where the filters are (the stats say it too) */
	struct tunnel_ebpf_tc prev;    /* where a killed predecessor's were */
	char underlay_name[IF_NAMESIZE];
	struct dp_counters base;       /* carried over from the previous process */
	int ncpu;
	__u64 *percpu;                 /* ncpu * J6_CTR_N, one map lookup */
};

/* libbpf's messages go to the log, warnings and errors only. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* mnl_cb_run callback: the route's output interface. */
static int route_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		*(int *)data = (int)mnl_attr_get_u32(a);
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

/* The interface the routing table sends packets to remote (IPv4, network
 * order) out of: its ifindex, or -errno. */
static int route_oif(const uint8_t remote[4])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint32_t dst;
	int oif = 0, r;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	memcpy(&dst, remote, 4);
	mnl_attr_put_u32(nlh, RTA_DST, dst);
	r = rtnl_talk(buf, sizeof(buf), route_cb, &oif);
	return r < 0 ? r : oif > 0 ? oif : -ENETUNREACH;
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

/* The programs' counters, summed over the CPUs, on top of what the
 * previous datapath process of this tunnel had counted. */
static void counters_read(struct ebpf_run *e)
{
	struct dp_counters *c = &e->x->ctr;
	size_t sz = (size_t)e->ncpu * J6_CTR_N * sizeof(__u64);
	__u64 sum[J6_CTR_N] = { 0 };
	__u32 k = 0;

	if (bpf_map__lookup_elem(e->skel->maps.counters, &k, sizeof(k), e->percpu, sz, 0) < 0)
		return;
	for (int cpu = 0; cpu < e->ncpu; cpu++)
		for (int i = 0; i < J6_CTR_N; i++)
			sum[i] += e->percpu[(size_t)cpu * J6_CTR_N + (size_t)i];
	*c = e->base;
	c->rx_packets += sum[J6_CTR_RX_PACKETS];
	c->rx_bytes += sum[J6_CTR_RX_BYTES];
	c->tx_packets += sum[J6_CTR_TX_PACKETS];
	c->tx_bytes += sum[J6_CTR_TX_BYTES];
	for (int v = DP_PASS + 1; v < DP_DROP_COUNT; v++)
		c->drops[v] += sum[J6_CTR_DROP0 + v];
}

/* Move the decapsulator to the underlay the route to the remote takes now
 * (at start, and when the route changes: a VPN that came back on another
 * interface). The programs' configuration says which one. */
static void underlay_sync(struct ebpf_run *e)
{
	struct dp_ctx *x = e->x;
	char name[IF_NAMESIZE] = "";
	int oif = route_oif(x->cfg.remote), l2 = -ENODEV, r;
	bool created = false;

	if (oif > 0 && if_indextoname((unsigned)oif, name))
		l2 = link_header_len(name);
	if (oif == e->tc.underlay && l2 >= 0)
		return;
	if (e->tc.underlay > 0) {
		tc_detach(e->tc.underlay, BPF_TC_INGRESS, e->tc.handle, e->tc.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY);
		e->tc.own_clsact &= ~TUNNEL_EBPF_CLSACT_UNDERLAY;
		e->tc.underlay = 0;
		e->underlay_name[0] = '\0';
	}
	e->skel->bss->cfg.underlay = 0;
	if (oif < 0 || l2 < 0) {
		dp_errlog(x, ERRLOG_SEND, oif < 0 ? "no route to the remote" : "the link toward the remote",
			  oif < 0 ? -oif : (l2 == -EOPNOTSUPP ? EPROTONOSUPPORT : -l2));
		return;
	}
	r = tc_attach(oif, BPF_TC_INGRESS, bpf_program__fd(e->skel->progs.j6_decap), e->tc.handle, &created);
	if (created)
		e->tc.own_clsact |= TUNNEL_EBPF_CLSACT_UNDERLAY;
	if (r < 0) {
		dp_errlog(x, ERRLOG_SEND, "attach the decapsulator", -r);
		if (created)
			tc_detach(oif, BPF_TC_INGRESS, e->tc.handle, true);
		e->tc.own_clsact &= ~TUNNEL_EBPF_CLSACT_UNDERLAY;
		return;
	}
	/* a killed predecessor's filter: replaced in place (its qdisc, if
	 * it made one, is ours now), or left elsewhere: removed */
	if (e->prev.underlay > 0 && e->prev.underlay == oif && e->prev.handle == e->tc.handle)
		e->tc.own_clsact |= e->prev.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY;
	else if (e->prev.underlay > 0)
		tc_detach(e->prev.underlay, BPF_TC_INGRESS, e->prev.handle,
			  e->prev.own_clsact & TUNNEL_EBPF_CLSACT_UNDERLAY);
	e->prev.underlay = 0;
	e->tc.underlay = oif;
	snprintf(e->underlay_name, sizeof(e->underlay_name), "%s", name);
	e->skel->bss->cfg.l2len = (__u32)l2;
	e->skel->bss->cfg.underlay = (__u32)oif;
	dp_log(x->o, "underlay %s (ifindex %d): decapsulating on its ingress", name, oif);
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
	underlay_sync(e);
	memcpy(&local, x->cfg.local, 4);
	cfg->mtu = (__u32)x->cfg.mtu;
	cfg->local = local;
	__atomic_store_n(&cfg->ready, x->local_known && cfg->underlay ? 1u : 0u, __ATOMIC_RELEASE);
}

/* Load the programs, configure them, attach the encapsulator. */
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
		r = -errno;
		dp_log(o, "load the eBPF programs: %s%s", strerror(-r),
		       r == -EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		return r;
	}
	cfg = &e->skel->bss->cfg;
	memcpy(&remote, o->remote.bytes, 4);
	cfg->remote = remote;
	cfg->ttl = (__u32)o->ttl;
	cfg->tun_ifindex = (__u32)e->tun_ifindex;
	e->tc.handle = (uint32_t)e->tun_ifindex;
	e->tc.tun = e->tun_ifindex;
	if (o->local_auto)
		dp_reresolve(x);
	else
		dp_set_local(x, o->local.bytes);
	if (!x->local_known)
		dp_log(o, "local = auto: no route to the remote yet; retrying every second");
	refresh(e);
	r = tc_attach(e->tun_ifindex, BPF_TC_EGRESS, bpf_program__fd(e->skel->progs.j6_encap), e->tc.handle, &created);
	if (created)
		e->tc.own_clsact |= TUNNEL_EBPF_CLSACT_TUN;
	if (r < 0) {
		dp_log(o, "attach the encapsulator to %s: %s", o->name, strerror(-r));
		return r;
	}
	if (e->prev.tun == e->tun_ifindex && e->prev.handle == e->tc.handle)
		e->tc.own_clsact |= e->prev.own_clsact & TUNNEL_EBPF_CLSACT_TUN;
	else if (e->prev.tun > 0)
		tc_detach(e->prev.tun, BPF_TC_EGRESS, e->prev.handle, e->prev.own_clsact & TUNNEL_EBPF_CLSACT_TUN);
	return 0;
}

/* The stats file, with where the filters are. */
static void flush(struct ebpf_run *e)
{
	counters_read(e);
	dp_stats_flush_ebpf(e->x, e->underlay_name, &e->tc);
}

int dp_ebpf_run(struct dp_ctx *x)
{
	struct ebpf_run e = { .x = x };
	struct pollfd pfd = { .fd = x->sig_fd, .events = POLLIN };
	char la[INET_ADDRSTRLEN] = "auto", ra[INET_ADDRSTRLEN];
	uint64_t next = 0;
	int r;

	/* a previous process of this tunnel that was killed: its counters,
	 * and its filters and the clsact qdiscs it created, which are ours
	 * to replace or remove now */
	if (x->restarts > 0) {
		dp_stats_carry_over(x);
		dp_stats_ebpf_tc(x, &e.prev);
	}
	e.base = x->ctr;
	r = ebpf_start(&e);
	if (r < 0)
		goto out;
	if (x->local_known)
		inet_ntop(AF_INET, x->cfg.local, la, sizeof(la));
	dp_log(x->o, "datapath up (ebpf): local %s remote %s ttl %d mtu %d underlay %s", la,
	       inet_ntop(AF_INET, x->cfg.remote, ra, sizeof(ra)), x->o->ttl, x->cfg.mtu,
	       e.underlay_name[0] ? e.underlay_name : "none yet");
	flush(&e);
	for (;;) {
		struct signalfd_siginfo si;
		uint64_t t = dp_now_ms();
		bool hup = false, stop = false;

		if (t >= next) {
			refresh(&e);
			flush(&e);
			next = t + TICK_MS;
		}
		if (poll(&pfd, 1, (int)(next > t ? next - t : 0)) < 0 && errno != EINTR) {
			r = -errno;
			dp_log(x->o, "poll: %s", strerror(errno));
			break;
		}
		while (read(x->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				hup = true;
			else
				stop = true;
		}
		if (stop) {
			r = 0;
			break;
		}
		if (hup)
			next = 0;
	}
out:
	if (e.skel) {
		flush(&e);
		/* once detached, nothing holds the programs and their map */
		if (tunnel_ebpf_cleanup(&e.tc) < 0)
			dp_log(x->o, "detach the eBPF programs: some were left attached");
		e.tc.underlay = e.tc.tun = 0;
		e.tc.own_clsact = 0;
		dp_stats_flush_ebpf(x, "", &e.tc);
		j6_ebpf__destroy(e.skel);
	}
	free(e.percpu);
	return r;
}
