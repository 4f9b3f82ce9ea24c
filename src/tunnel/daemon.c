/*
 * The userspace 6in4 datapath: one process, one poll() loop. IPv6 packets
 * the kernel routes into the TUN device are read (as 64 KiB TCP bursts when
 * the TUN offloads are on), cut into segments, and sent in batches
 * (sendmmsg) on a raw IPv4 socket of protocol 41, which adds the outer
 * header (our TTL, no DF: RFC 4213 3.2.1). Protocol-41 packets are received
 * in batches (recvmmsg) on the same socket, checked (datapath.c), and
 * written to the TUN device, consecutive segments of one TCP flow as one GSO
 * write.
 *
 * The raw socket is not bound to the local address: bound, the kernel would
 * filter other destinations silently, and the counters must show them. The
 * source of sent packets is set per message (IP_PKTINFO) instead. (Sending
 * with a header of our own, IP_HDRINCL, was measured: no faster, and it
 * refuses packets above the device MTU instead of fragmenting them.)
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/if_tun.h>

#include "model/model.h"
#include "tunnel/daemon.h"
#include "util/fs.h"
#include "util/proc.h"

#define VH_LEN          sizeof(struct virtio_net_hdr)
#define RX_BATCH        64                  /* packets per recvmmsg */
#define RX_ROUNDS       8                   /* recvmmsg calls per wakeup */
#define RX_HEADROOM     64                  /* room for the vnet header */
#define RX_BUFSZ        (RX_HEADROOM + 65536)
#define TX_BUFSZ        (VH_LEN + 65536)    /* room for one TUN read */
#define TX_MEM          (TX_BUFSZ * 17)     /* TUN reads held until a send */
#define TX_BATCH        256                 /* segments per sendmmsg */
#define TX_READS        256                 /* TUN reads per wakeup ... */
#define TX_BUDGET       (1 << 20)           /* ... and bytes */
#define SOCK_BUF        (4 << 20)
#define STATS_EVERY_MS  1000
#define RESOLVE_MIN_MS  1000                /* local = auto: at most once a second */
#define RESOLVE_EVERY_MS 5000               /* ... and at least every 5 s */
#define PTB_SRC_TTL_MS  5000                /* how long a looked-up PTB source holds */
#define PTB_RATE        100                 /* Packet Too Big per second ... */
#define PTB_BURST       100                 /* ... with this burst */
#define ERRLOG_MIN_MS   10000               /* one log line per error kind per 10 s */
#define STOP_GRACE_MS   3000                /* supervisor: SIGTERM, then SIGKILL */
#define RESTART_WINDOW_MS 10000
#define RESTART_QUICK   5                   /* restarts allowed in the window ... */
#define RESTART_SLOW_MS 1000                /* ... then one per second */

/* Kinds of I/O errors, each logged at most once per ERRLOG_MIN_MS. */
enum { ERRLOG_SEND, ERRLOG_TUN, ERRLOG_READ, ERRLOG_STATS, ERRLOG_N };

/* The datapath process's state. Allocated once: the batches are large. */
struct dp_ctx {
	const struct tunnel_opts *o;
	struct dp_config cfg;
	struct dp_counters ctr;
	int tun_fd, raw_fd, sig_fd;
	bool vnet;                  /* every TUN read/write has a vnet header */
	unsigned restarts;
	time_t started;
	struct sockaddr_in remote_sa;
	uint64_t cmsg[8];           /* IP_PKTINFO: our source (aligned for cmsghdr) */
	bool local_known;
	uint64_t resolve_ms;        /* last local = auto resolution */
	struct dp_ratelimit ptb_rl;
	bool has_ptb_src;
	uint8_t ptb_src[16];
	uint64_t ptb_src_ms;        /* when ptb_src was looked up (0 = never) */
	uint64_t errlog_ms[ERRLOG_N]; /* rate limit of log lines, by kind */
	uint8_t *rx_mem;
	struct mmsghdr rx_msgs[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct dp_pkt rx_pkts[RX_BATCH];
	struct iovec gro_iov[RX_BATCH];
	uint8_t *tx_mem;
	size_t n_segs;
	struct dp_seg segs[TX_BATCH];
	struct mmsghdr tx_msgs[TX_BATCH];
	struct iovec tx_iov[TX_BATCH][2];
	uint8_t ptb_buf[VH_LEN + DP_IPV6_MIN_MTU];
};

/* Milliseconds on the monotonic clock. */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One log line on stderr (the log file under supervision), timestamped and
 * naming the tunnel and the process. */
__attribute__((format(printf, 2, 3)))
static void tlog(const struct tunnel_opts *o, const char *fmt, ...)
{
	char ts[32], msg[512];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s jail6 tunnel %s[%ld]: %s\n", ts, o->name ? o->name : "?", (long)getpid(), msg);
	fflush(stderr);
}

/* An absolute path (or none at all). */
static bool path_ok(const char *p)
{
	return !p || (p[0] == '/' && strlen(p) < PATH_MAX - 8);
}

int tunnel_opts_check(const struct tunnel_opts *o, const char **why)
{
	const char *w = NULL;

	if (!o->name || !model_ifname_ok(o->name))
		w = "the tunnel name is not a valid interface name";
	else if (o->remote.family != AF_INET)
		w = "the remote endpoint must be an IPv4 address";
	else if (!o->local_auto && o->local.family != AF_INET)
		w = "the local endpoint must be an IPv4 address or auto";
	else if (o->ttl < 1 || o->ttl > 255)
		w = "the TTL must be 1..255";
	else if (o->mtu < MODEL_TUNNEL_MTU_MIN || o->mtu > MODEL_TUNNEL_MTU_MAX)
		w = "the MTU must be 1280..1480";
	else if (o->has_address && o->address.family != AF_INET6)
		w = "the tunnel address must be an IPv6 address";
	else if (!path_ok(o->pidfile) || !path_ok(o->stats) || !path_ok(o->log) || !path_ok(o->runtime_dir))
		w = "file and directory paths must be absolute";
	else if (o->host_netns && !model_jailname_ok(o->host_netns))
		w = "the host namespace name is not valid";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

int tunnel_path(const char *runtime_dir, const char *host_netns, const char *name,
		const char *suffix, char *buf, size_t len)
{
	char rt[PATH_MAX];
	char *slash;
	int n;

	n = snprintf(rt, sizeof(rt), "%s", runtime_dir ? runtime_dir : TUNNEL_RUNTIME_DIR_DEFAULT);
	if (n < 0 || (size_t)n >= sizeof(rt))
		return -ENAMETOOLONG;
	/* dirname without libgen's surprises: strip trailing slashes, then
	 * the last component */
	while (n > 1 && rt[n - 1] == '/')
		rt[--n] = '\0';
	slash = strrchr(rt, '/');
	if (!slash)
		snprintf(rt, sizeof(rt), ".");
	else if (slash == rt)
		rt[1] = '\0';
	else
		*slash = '\0';
	n = snprintf(buf, len, "%s/jail6/tunnel/%s%s%s%s", strcmp(rt, "/") ? rt : "",
		     host_netns && *host_netns ? host_netns : "-", name ? "/" : "", name ? name : "",
		     name && suffix ? suffix : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Stats files.
 */

int tunnel_stats_write(const char *path, const struct tunnel_stats *s)
{
	json_t *js = NULL, *drops = NULL;
	char *text = NULL;
	int r = 0;

	drops = json_object();
	for (int v = DP_PASS + 1; drops && v < DP_DROP_COUNT; v++)
		json_object_set_new(drops, dp_drop_name((enum dp_verdict)v),
				    json_integer((json_int_t)s->c.drops[v]));
	js = json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O}",
		       "pid", (json_int_t)s->pid, "name", s->name, "local", s->local,
		       "remote", s->remote, "ttl", s->ttl, "mtu", s->mtu,
		       "started", (json_int_t)s->started, "restarts", (json_int_t)s->restarts,
		       "rx_packets", (json_int_t)s->c.rx_packets, "rx_bytes", (json_int_t)s->c.rx_bytes,
		       "tx_packets", (json_int_t)s->c.tx_packets, "tx_bytes", (json_int_t)s->c.tx_bytes,
		       "ptb_sent", (json_int_t)s->c.ptb_sent, "drops", drops);
	if (!js) {
		r = -ENOMEM;
		goto cleanup;
	}
	text = json_dumps(js, JSON_COMPACT);
	r = text ? fs_write_atomic(path, text, strlen(text), 0644) : -ENOMEM;
cleanup:
	free(text);
	json_decref(js);
	json_decref(drops);
	return r;
}

/* An integer member of o, or 0. */
static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* A string member of o copied into buf, or "". */
static void jstr(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int tunnel_stats_read(const char *path, struct tunnel_stats *out)
{
	json_error_t jerr;
	json_t *js, *drops;

	memset(out, 0, sizeof(*out));
	errno = 0;
	js = json_load_file(path, 0, &jerr);
	if (!js)
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	if (!json_is_object(js)) {
		json_decref(js);
		return -EINVAL;
	}
	out->pid = (pid_t)jint(js, "pid");
	jstr(js, "name", out->name, sizeof(out->name));
	jstr(js, "local", out->local, sizeof(out->local));
	jstr(js, "remote", out->remote, sizeof(out->remote));
	out->ttl = (int)jint(js, "ttl");
	out->mtu = (int)jint(js, "mtu");
	out->started = (int64_t)jint(js, "started");
	out->restarts = (unsigned)jint(js, "restarts");
	out->c.rx_packets = (uint64_t)jint(js, "rx_packets");
	out->c.rx_bytes = (uint64_t)jint(js, "rx_bytes");
	out->c.tx_packets = (uint64_t)jint(js, "tx_packets");
	out->c.tx_bytes = (uint64_t)jint(js, "tx_bytes");
	out->c.ptb_sent = (uint64_t)jint(js, "ptb_sent");
	drops = json_object_get(js, "drops");
	for (int v = DP_PASS + 1; json_is_object(drops) && v < DP_DROP_COUNT; v++)
		out->c.drops[v] = (uint64_t)jint(drops, dp_drop_name((enum dp_verdict)v));
	json_decref(js);
	return 0;
}

/* Write the datapath's stats file, if it has one; failures are logged once
 * in a while, never fatal. */
static void stats_flush(struct dp_ctx *x)
{
	struct tunnel_stats s = { .pid = getpid(), .ttl = x->o->ttl, .mtu = x->cfg.mtu,
				  .started = x->started, .restarts = x->restarts, .c = x->ctr };
	int r;

	if (!x->o->stats)
		return;
	snprintf(s.name, sizeof(s.name), "%s", x->o->name);
	inet_ntop(AF_INET, x->cfg.local, s.local, sizeof(s.local));
	inet_ntop(AF_INET, x->cfg.remote, s.remote, sizeof(s.remote));
	r = tunnel_stats_write(x->o->stats, &s);
	if (r < 0 && (!x->errlog_ms[ERRLOG_STATS] || now_ms() - x->errlog_ms[ERRLOG_STATS] >= ERRLOG_MIN_MS)) {
		x->errlog_ms[ERRLOG_STATS] = now_ms();
		tlog(x->o, "write stats %s: %s", x->o->stats, strerror(-r));
	}
}

/*
 * Setting up.
 */

/* Enter the host namespace named by o, if any. */
static int enter_netns(const struct tunnel_opts *o)
{
	char path[PATH_MAX];
	int fd, r = 0;

	if (!o->host_netns)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", o->runtime_dir ? o->runtime_dir : TUNNEL_RUNTIME_DIR_DEFAULT,
		     o->host_netns) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		tlog(o, "host namespace %s: %s", o->host_netns, strerror(-r));
		return r;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		r = -errno;
		tlog(o, "enter host namespace %s: %s", o->host_netns, strerror(errno));
	}
	close(fd);
	return r;
}

/* Set the MTU and the up flag of interface name with an ioctl socket. */
static int link_setup(const char *name, int mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			r = -errno;
			goto cleanup;
		}
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto cleanup;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
cleanup:
	close(s);
	return r;
}

/*
 * Attach to the TUN device o->name (created, non-persistent, when it is
 * missing and create is set), with a vnet header and TCP segmentation
 * offload when the kernel allows (x->vnet says which). Brings the link up.
 */
static int tun_open(struct dp_ctx *x, bool create)
{
	const struct tunnel_opts *o = x->o;
	struct ifreq ifr = { 0 };
	bool exists = if_nametoindex(o->name) != 0;
	int fd, r;

	if (!exists && !create) {
		tlog(o, "TUN device %s does not exist (jail6 apply creates it)", o->name);
		return -ENODEV;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		tlog(o, "open /dev/net/tun: %s", strerror(errno));
		return r;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	x->vnet = true;
	r = ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
	if (r == -EINVAL) {
		/* no vnet headers on TUN here: one plain packet per call */
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		x->vnet = false;
		r = ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
	}
	if (r < 0) {
		if (r == -EBUSY)
			tlog(o, "TUN device %s: in use by another process (one datapath per tunnel)", o->name);
		else
			tlog(o, "attach to TUN device %s: %s%s", o->name, strerror(-r),
			     r == -EINVAL ? " (not a TUN device?)" : "");
		close(fd);
		return r;
	}
	int hdr = (int)VH_LEN;
	/* checksums and TCPv6 segmentation left to us: the kernel hands over
	 * whole 64 KiB bursts instead of cutting them into MTU packets */
	if (x->vnet && (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
			ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO6)) < 0))
		tlog(o, "TUN offloads unavailable (%s); one packet per read", strerror(errno));
	r = link_setup(o->name, exists ? 0 : o->mtu);
	if (r < 0) {
		tlog(o, "set up %s: %s", o->name, strerror(-r));
		close(fd);
		return r;
	}
	x->tun_fd = fd;
	return 0;
}

/* The source address the routing table picks toward the remote. */
static int resolve_local(const uint8_t remote[4], uint8_t out[4])
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	memcpy(&sa.sin_addr, remote, 4);
	/* a connected UDP socket sends nothing: it only asks the FIB */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) < 0)
		r = -errno;
	else
		memcpy(out, &sa.sin_addr, 4);
	close(s);
	return r;
}

/* Use local as the source of every packet sent (IP_PKTINFO). */
static void set_local(struct dp_ctx *x, const uint8_t local[4])
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)x->cmsg;
	struct in_pktinfo pi = { 0 };

	memcpy(x->cfg.local, local, 4);
	x->local_known = memcmp(local, "\0\0\0\0", 4) != 0;
	memset(&x->cmsg, 0, sizeof(x->cmsg));
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(&pi.ipi_spec_dst, local, 4);
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

/* local = auto: ask the routing table again (at most once a second); says
 * when the address changed. */
static void reresolve(struct dp_ctx *x)
{
	uint8_t a[4];
	char old[INET_ADDRSTRLEN], now[INET_ADDRSTRLEN];
	uint64_t t = now_ms();
	int r;

	if (!x->o->local_auto || (x->resolve_ms && t - x->resolve_ms < RESOLVE_MIN_MS))
		return;
	x->resolve_ms = t;
	r = resolve_local(x->cfg.remote, a);
	if (r < 0) {
		if (x->local_known)
			tlog(x->o, "local = auto: no route to %s: %s",
			     inet_ntop(AF_INET, x->cfg.remote, old, sizeof(old)), strerror(-r));
		memset(a, 0, 4);
	}
	if (memcmp(a, x->cfg.local, 4) == 0)
		return;
	tlog(x->o, "local address %s -> %s", inet_ntop(AF_INET, x->cfg.local, old, sizeof(old)),
	     inet_ntop(AF_INET, a, now, sizeof(now)));
	set_local(x, a);
}

/* The raw protocol-41 socket: outer TTL, DF clear (RFC 4213 3.2.1: a static
 * tunnel MTU lets the IPv4 path fragment), big buffers, a bounded send. */
static int raw_open(struct dp_ctx *x)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPV6);
	int ttl = x->o->ttl, pmtu = IP_PMTUDISC_DONT, buf = SOCK_BUF, r;
	struct timeval tv = { .tv_usec = 100 * 1000 };

	if (fd < 0) {
		r = -errno;
		tlog(x->o, "raw IPv4 socket for protocol 41: %s", strerror(errno));
		return r;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		tlog(x->o, "raw socket options: %s", strerror(errno));
		close(fd);
		return r;
	}
	/* FORCE ignores rmem_max/wmem_max (root); the plain one is the fallback */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	x->raw_fd = fd;
	return 0;
}

/* Point the receive batch at its buffers (headroom first: the vnet header
 * is written in front of the inner packet, over the outer header). */
static void rx_init(struct dp_ctx *x)
{
	for (size_t i = 0; i < RX_BATCH; i++) {
		x->rx_iov[i].iov_base = x->rx_mem + i * RX_BUFSZ + RX_HEADROOM;
		x->rx_iov[i].iov_len = RX_BUFSZ - RX_HEADROOM;
		memset(&x->rx_msgs[i], 0, sizeof(x->rx_msgs[i]));
		x->rx_msgs[i].msg_hdr.msg_iov = &x->rx_iov[i];
		x->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

/* Whether an IPv6 address may be the source of our ICMPv6 errors beyond
 * the link: not link-local, loopback, multicast or unspecified. */
static bool global6(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_MULTICAST(a) &&
	       !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

/*
 * The source of our Packet Too Big messages (RFC 4443 2.2: an address of
 * ours): --address; else a global address of the TUN device (the tunnel's
 * own, as apply assigns it); else any global address in the namespace; else
 * a link-local one of the TUN device (enough for the host's own traffic).
 * Looked up again every few seconds. False when there is none.
 */
static bool ptb_source(struct dp_ctx *x)
{
	struct ifaddrs *ifa = NULL;
	uint64_t t = now_ms();
	int best = 0;

	if (x->o->has_address)
		return true;
	if (x->ptb_src_ms && t - x->ptb_src_ms < PTB_SRC_TTL_MS)
		return x->has_ptb_src;
	x->ptb_src_ms = t;
	x->has_ptb_src = false;
	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct in6_addr *a;
		bool ours;
		int rank;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		ours = i->ifa_name && !strcmp(i->ifa_name, x->o->name);
		rank = global6(a) ? (ours ? 3 : 2) : (ours && IN6_IS_ADDR_LINKLOCAL(a) ? 1 : 0);
		if (rank > best) {
			best = rank;
			memcpy(x->ptb_src, a, 16);
		}
	}
	freeifaddrs(ifa);
	x->has_ptb_src = best > 0;
	return x->has_ptb_src;
}

/* Log an I/O error of kind k, at most once per ERRLOG_MIN_MS. */
static void errlog(struct dp_ctx *x, int k, const char *what, int err)
{
	uint64_t t = now_ms();

	if (x->errlog_ms[k] && t - x->errlog_ms[k] < ERRLOG_MIN_MS)
		return;
	x->errlog_ms[k] = t;
	tlog(x->o, "%s: %s (further errors of this kind: see the counters)", what, strerror(err));
}

/*
 * rx: raw socket -> TUN.
 */

/* Write the decapsulated packets to the TUN device, coalescing TCP bursts. */
static void rx_deliver(struct dp_ctx *x, struct dp_pkt *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		struct virtio_net_hdr vh = { 0 };
		size_t k = 1, off = 0, bytes = 0;
		ssize_t w;

		if (x->vnet)
			k = dp_gro_next(p + i, n - i, x->cfg.mtu, &vh, &off);
		for (size_t j = 0; j < k; j++)
			bytes += p[i + j].len;
		if (!x->vnet) {
			w = write(x->tun_fd, p[i].data, p[i].len);
		} else if (k == 1) {
			memcpy(p[i].data - VH_LEN, &vh, VH_LEN);
			w = write(x->tun_fd, p[i].data - VH_LEN, p[i].len + VH_LEN);
		} else {
			memcpy(p[i].data - VH_LEN, &vh, VH_LEN);
			x->gro_iov[0].iov_base = p[i].data - VH_LEN;
			x->gro_iov[0].iov_len = p[i].len + VH_LEN;
			for (size_t j = 1; j < k; j++) {
				x->gro_iov[j].iov_base = p[i + j].data + off;
				x->gro_iov[j].iov_len = p[i + j].len - off;
			}
			w = writev(x->tun_fd, x->gro_iov, (int)k);
		}
		if (w < 0) {
			x->ctr.drops[DP_DROP_TUN_WRITE] += k;
			errlog(x, ERRLOG_TUN, "write to the TUN device", errno);
		} else {
			x->ctr.rx_packets += k;
			x->ctr.rx_bytes += bytes;
		}
		i += k;
	}
}

/* Receive what the raw socket holds (bounded), check, deliver. */
static void rx_burst(struct dp_ctx *x)
{
	for (int round = 0; round < RX_ROUNDS; round++) {
		int r = recvmmsg(x->raw_fd, x->rx_msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		size_t np = 0;

		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				errlog(x, ERRLOG_READ, "receive on the raw socket", errno);
			return;
		}
		for (int i = 0; i < r; i++) {
			uint8_t *b = x->rx_iov[i].iov_base;
			size_t off, len;
			enum dp_verdict v;

			if (x->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				v = DP_DROP_BAD_HEADER;
			else
				v = dp_decap(&x->cfg, b, x->rx_msgs[i].msg_len, &off, &len);
			if (v != DP_PASS) {
				x->ctr.drops[v]++;
				continue;
			}
			x->rx_pkts[np].data = b + off;
			x->rx_pkts[np].len = len;
			np++;
		}
		rx_deliver(x, x->rx_pkts, np);
		if (r < RX_BATCH)
			return;
	}
}

/*
 * tx: TUN -> raw socket.
 */

/* Queue one inner packet (hdr then data) for the next sendmmsg. */
static void tx_queue(struct dp_ctx *x, const uint8_t *hdr, size_t hlen, const uint8_t *data,
		     size_t dlen)
{
	struct mmsghdr *m = &x->tx_msgs[x->n_segs];
	struct iovec *iov = x->tx_iov[x->n_segs];

	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = dlen;
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_name = &x->remote_sa;
	m->msg_hdr.msg_namelen = sizeof(x->remote_sa);
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = dlen ? 2 : 1;
	if (x->local_known) {
		m->msg_hdr.msg_control = x->cmsg;
		m->msg_hdr.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
	}
	x->n_segs++;
}

/* Send the queued packets; a refused one is counted and skipped. */
static void tx_flush(struct dp_ctx *x)
{
	size_t done = 0, n = x->n_segs;

	for (size_t tries = 0; done < n && tries < n + 4; tries++) {
		int r = sendmmsg(x->raw_fd, x->tx_msgs + done, (unsigned)(n - done), 0), err;

		if (r > 0) {
			for (size_t i = done; i < done + (size_t)r; i++) {
				x->ctr.tx_packets++;
				x->ctr.tx_bytes += x->tx_iov[i][0].iov_len + x->tx_iov[i][1].iov_len;
			}
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		err = r < 0 ? errno : EIO;
		x->ctr.drops[DP_DROP_SEND]++;
		done++;
		errlog(x, ERRLOG_SEND, "send to the remote", err);
		if (err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH) {
			reresolve(x);
			/* the queued messages point at the cmsg, which holds
			 * the new source already; with none, send without */
			for (size_t i = done; i < n && !x->local_known; i++) {
				x->tx_msgs[i].msg_hdr.msg_control = NULL;
				x->tx_msgs[i].msg_hdr.msg_controllen = 0;
			}
		}
	}
	x->ctr.drops[DP_DROP_SEND] += n - done;
	x->n_segs = 0;
}

/* Answer a packet above the tunnel MTU with a Packet Too Big (rate limited). */
static void tx_too_big(struct dp_ctx *x, const uint8_t *pkt, size_t len)
{
	uint8_t *out = x->ptb_buf + VH_LEN;
	size_t n;

	x->ctr.drops[DP_DROP_TOO_BIG]++;
	if (!dp_ratelimit_take(&x->ptb_rl, now_ms()) || !ptb_source(x))
		return;
	n = dp_build_ptb(x->o->has_address ? x->o->address.bytes : x->ptb_src, x->cfg.mtu, pkt, len,
			 out, DP_IPV6_MIN_MTU);
	if (!n)
		return;
	memset(x->ptb_buf, 0, VH_LEN);
	if (x->vnet ? write(x->tun_fd, x->ptb_buf, n + VH_LEN) < 0 : write(x->tun_fd, out, n) < 0)
		errlog(x, ERRLOG_TUN, "write Packet Too Big to the TUN device", errno);
	else
		x->ctr.ptb_sent++;
}

/* A GSO burst: refuse it whole if its segments exceed the MTU, else queue
 * its segments (sending whenever the batch fills). */
static void tx_gso(struct dp_ctx *x, const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	size_t seg = dp_gso_seg_len(vh, pkt, len), first = 0, total = 1;

	if (!seg) {
		x->ctr.drops[DP_DROP_NOT_IPV6]++;
		return;
	}
	if (seg > (size_t)x->cfg.mtu) {
		/* quote the first segment as it would have gone out */
		uint8_t q[DP_IPV6_MIN_MTU];
		struct dp_seg s0;

		if (dp_gso_split(vh, pkt, len, 0, &s0, 1, NULL) == 1) {
			size_t dl = s0.data_len < sizeof(q) - s0.hdr_len ? s0.data_len : sizeof(q) - s0.hdr_len;
			memcpy(q, s0.hdr, s0.hdr_len);
			memcpy(q + s0.hdr_len, s0.data, dl);
			tx_too_big(x, q, s0.hdr_len + dl);
		} else {
			x->ctr.drops[DP_DROP_TOO_BIG]++;
		}
		return;
	}
	while (first < total) {
		int r;

		if (x->n_segs == TX_BATCH)
			tx_flush(x);
		r = dp_gso_split(vh, pkt, len, first, x->segs + x->n_segs, TX_BATCH - x->n_segs, &total);
		if (r <= 0) {
			x->ctr.drops[DP_DROP_NOT_IPV6]++;
			return;
		}
		for (int i = 0; i < r; i++) {
			struct dp_seg *s = &x->segs[x->n_segs];
			tx_queue(x, s->hdr, s->hdr_len, s->data, s->data_len);
		}
		first += (size_t)r;
	}
}

/* One packet read from the TUN device. */
static void tx_packet(struct dp_ctx *x, uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh)
{
	enum dp_verdict v;
	size_t own;

	if (vh && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		tx_gso(x, vh, pkt, len);
		return;
	}
	v = dp_encap_check(&x->cfg, pkt, len, &own);
	if (v == DP_DROP_TOO_BIG) {
		tx_too_big(x, pkt, len);
		return;
	}
	if (v != DP_PASS) {
		x->ctr.drops[v]++;
		return;
	}
	if (vh && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && dp_csum_complete(pkt, own, vh) < 0) {
		x->ctr.drops[DP_DROP_NOT_IPV6]++;
		return;
	}
	if (x->n_segs == TX_BATCH)
		tx_flush(x);
	tx_queue(x, pkt, own, NULL, 0);
}

/* Read what the TUN device holds (bounded), encapsulate, send in batches.
 * Reads are packed into tx_mem one after the other (small packets take
 * little room), and held until the sendmmsg that carries them. */
static void tx_burst(struct dp_ctx *x)
{
	size_t off = 0, total = 0;

	for (int i = 0; i < TX_READS && total < TX_BUDGET; i++) {
		uint8_t *b;
		ssize_t n;

		if (TX_MEM - off < TX_BUFSZ || x->n_segs + 64 > TX_BATCH) {
			tx_flush(x);
			off = 0;
		}
		b = x->tx_mem + off;
		n = read(x->tun_fd, b, TX_BUFSZ);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				errlog(x, ERRLOG_READ, "read from the TUN device", errno);
			break;
		}
		/* the next read starts 64-byte aligned after this one */
		off += ((size_t)n + 63) & ~(size_t)63;
		total += (size_t)n;
		if (x->vnet) {
			struct virtio_net_hdr vh;

			if ((size_t)n < VH_LEN) {
				x->ctr.drops[DP_DROP_SHORT]++;
				continue;
			}
			memcpy(&vh, b, VH_LEN);
			tx_packet(x, b + VH_LEN, (size_t)n - VH_LEN, &vh);
		} else {
			tx_packet(x, b, (size_t)n, NULL);
		}
	}
	tx_flush(x);
}

/*
 * The process.
 */

/* Block SIGTERM and SIGINT and return a signalfd for them. */
static int signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Free what x holds; NULL-tolerant. */
static void free_dp_ctx(struct dp_ctx *x)
{
	if (!x)
		return;
	if (x->tun_fd >= 0)
		close(x->tun_fd);
	if (x->raw_fd >= 0)
		close(x->raw_fd);
	if (x->sig_fd >= 0)
		close(x->sig_fd);
	free(x->rx_mem);
	free(x->tx_mem);
	free(x);
}

/* Counters from the previous datapath process of this tunnel, so that they
 * only ever grow across restarts. */
static void stats_carry_over(struct dp_ctx *x)
{
	struct tunnel_stats old;

	if (!x->o->stats || tunnel_stats_read(x->o->stats, &old) < 0 || strcmp(old.name, x->o->name))
		return;
	x->ctr = old.c;
}

/* The poll loop, until a signal. */
static int dp_loop(struct dp_ctx *x)
{
	uint64_t next_stats = now_ms() + STATS_EVERY_MS;
	struct pollfd pfd[3] = {
		{ .fd = x->tun_fd, .events = POLLIN },
		{ .fd = x->raw_fd, .events = POLLIN },
		{ .fd = x->sig_fd, .events = POLLIN },
	};

	for (;;) {
		uint64_t t = now_ms();
		int timeout = next_stats > t ? (int)(next_stats - t) : 0;

		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			tlog(x->o, "poll: %s", strerror(errno));
			return -errno;
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			if (read(x->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				tlog(x->o, "signal %u: stopping", si.ssi_signo);
				return 0;
			}
		}
		if (pfd[1].revents & POLLIN)
			rx_burst(x);
		if (pfd[0].revents & POLLIN)
			tx_burst(x);
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			tlog(x->o, "the TUN device %s went away", x->o->name);
			return -ENODEV;
		}
		t = now_ms();
		if (t >= next_stats) {
			/* an address can change without a send failing (a
			 * new route): look again now and then, not only on
			 * errors */
			if (x->o->local_auto && (!x->local_known || t - x->resolve_ms >= RESOLVE_EVERY_MS))
				reresolve(x);
			stats_flush(x);
			next_stats = t + STATS_EVERY_MS;
		}
	}
}

int tunnel_run(const struct tunnel_opts *o, bool create_tun, unsigned restarts)
{
	struct dp_ctx *x = calloc(1, sizeof(*x));
	char la[INET_ADDRSTRLEN] = "auto", ra[INET_ADDRSTRLEN];
	const char *why;
	int r;

	if (!x)
		return -ENOMEM;
	x->tun_fd = x->raw_fd = x->sig_fd = -1;
	x->o = o;
	x->restarts = restarts;
	x->started = time(NULL);
	if (tunnel_opts_check(o, &why) < 0) {
		tlog(o, "%s", why);
		r = -EINVAL;
		goto cleanup;
	}
	x->rx_mem = malloc((size_t)RX_BATCH * RX_BUFSZ);
	x->tx_mem = malloc(TX_MEM);
	if (!x->rx_mem || !x->tx_mem) {
		r = -ENOMEM;
		goto cleanup;
	}
	x->cfg.mtu = o->mtu;
	memcpy(x->cfg.remote, o->remote.bytes, 4);
	x->remote_sa.sin_family = AF_INET;
	memcpy(&x->remote_sa.sin_addr, o->remote.bytes, 4);
	x->ptb_rl.rate = PTB_RATE;
	x->ptb_rl.burst = PTB_BURST;
	signal(SIGPIPE, SIG_IGN);
	r = signals_open();
	if (r < 0)
		goto cleanup;
	x->sig_fd = r;
	/* everything below lives in the host namespace */
	if ((r = enter_netns(o)) < 0 || (r = tun_open(x, create_tun)) < 0 || (r = raw_open(x)) < 0)
		goto cleanup;
	if (o->local_auto)
		reresolve(x);
	else
		set_local(x, o->local.bytes);
	if (!x->local_known)
		tlog(o, "local = auto: no route to the remote yet; retrying every second");
	rx_init(x);
	if (restarts > 0)
		stats_carry_over(x);
	if (x->local_known)
		inet_ntop(AF_INET, x->cfg.local, la, sizeof(la));
	tlog(o, "datapath up: local %s remote %s ttl %d mtu %d%s", la,
	     inet_ntop(AF_INET, x->cfg.remote, ra, sizeof(ra)), o->ttl, o->mtu,
	     x->vnet ? ", TUN offloads" : "");
	stats_flush(x);
	r = dp_loop(x);
	stats_flush(x);
cleanup:
	free_dp_ctx(x);
	return r;
}

/*
 * The supervisor.
 */

/* Start a datapath process; its parent's death stops it too. */
static pid_t spawn_datapath(const struct tunnel_opts *o, unsigned restarts, int sig_fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	close(sig_fd);
	_exit(tunnel_run(o, false, restarts) < 0 ? 1 : 0);
}

/* When the next restart may happen: at once, unless RESTART_QUICK starts
 * fell within the window, then RESTART_SLOW_MS after this exit. */
static uint64_t restart_at(uint64_t *starts, uint64_t t)
{
	uint64_t oldest = starts[0];

	for (int i = 1; i < RESTART_QUICK; i++)
		if (starts[i] < oldest)
			oldest = starts[i];
	if (oldest && t - oldest < RESTART_WINDOW_MS)
		return t + RESTART_SLOW_MS;
	return t;
}

/* How a child ended, for the log. */
static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended (status %#x)", (unsigned)st);
}

/* Stop the child: SIGTERM, up to STOP_GRACE_MS, then SIGKILL. */
static void stop_child(const struct tunnel_opts *o, pid_t child)
{
	uint64_t until = now_ms() + STOP_GRACE_MS;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	while (now_ms() < until) {
		if (waitpid(child, NULL, WNOHANG) == child)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	tlog(o, "datapath %ld ignored SIGTERM for %d ms: SIGKILL", (long)child, STOP_GRACE_MS);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/* The supervisor's loop: keep one datapath process running until SIGTERM
 * or SIGINT. Returns the exit code. */
static int supervise_loop(const struct tunnel_opts *o, int sig_fd)
{
	uint64_t starts[RESTART_QUICK] = { 0 }, next_start = 0;
	unsigned restarts = 0, nstart = 0;
	pid_t child = -1;
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };

	for (;;) {
		uint64_t t = now_ms();
		int timeout = -1;

		if (child < 0 && t >= next_start) {
			child = spawn_datapath(o, restarts, sig_fd);
			if (child < 0) {
				tlog(o, "fork the datapath: %s", strerror(errno));
				next_start = t + RESTART_SLOW_MS;
			} else {
				starts[nstart++ % RESTART_QUICK] = t;
			}
		}
		if (child < 0)
			timeout = next_start > t ? (int)(next_start - t) : 0;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			tlog(o, "poll: %s", strerror(errno));
			stop_child(o, child);
			return 1;
		}
		for (int i = 0; i < 16; i++) {
			struct signalfd_siginfo si;
			int st;
			pid_t w;

			if (read(sig_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				break;
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				tlog(o, "signal %u: stopping the datapath", si.ssi_signo);
				stop_child(o, child);
				return 0;
			}
			if (si.ssi_signo != SIGCHLD)
				continue;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
				char how[96];

				if (w != child)
					continue;
				describe_status(st, how, sizeof(how));
				child = -1;
				restarts++;
				next_start = restart_at(starts, now_ms());
				tlog(o, "datapath %ld %s; restart %u %s", (long)w, how, restarts,
				     next_start > now_ms() ? "in 1 s (restarting too often)" : "now");
			}
		}
	}
}

/* Create the directory holding path (and its parents) if missing. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return fs_mkdir_p(dir, 0755, 0755);
}

/* The daemon side of tunnel_supervise(); never returns. */
static _Noreturn void supervisor_main(const struct tunnel_opts *o, int ready_fd)
{
	struct proc_id self;
	sigset_t set;
	int fd, sig_fd, r = 0, code;

	setsid();
	if (chdir("/") < 0)
		r = -errno;
	umask(022);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = open(o->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		r = -errno;
		goto fail;
	}
	r = proc_of(getpid(), &self);
	if (r == 0)
		r = proc_pidfile_write(o->pidfile, &self);
	if (r < 0) {
		tlog(o, "write pidfile %s: %s", o->pidfile, strerror(-r));
		goto fail;
	}
	tlog(o, "supervisor started");
	while (write(ready_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	close(ready_fd);
	code = supervise_loop(o, sig_fd);
	if (proc_pidfile_live(o->pidfile) == getpid() || proc_pidfile_live(o->pidfile) == 0)
		unlink(o->pidfile);
	tlog(o, "supervisor stopped");
	_exit(code);
fail:
	while (write(ready_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	_exit(1);
}

int tunnel_supervise(const struct tunnel_opts *o)
{
	int ready[2], err = 0, r;
	const char *why;
	pid_t pid;

	if (tunnel_opts_check(o, &why) < 0 || !o->pidfile || !o->log)
		return -EINVAL;
	if (proc_pidfile_live(o->pidfile) > 0)
		return -EEXIST;
	if ((r = make_parent(o->pidfile)) < 0 || (r = make_parent(o->log)) < 0 ||
	    (o->stats && (r = make_parent(o->stats)) < 0))
		return r;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(ready[0]);
		close(ready[1]);
		return r;
	}
	if (pid == 0) {
		close(ready[0]);
		supervisor_main(o, ready[1]);
	}
	close(ready[1]);
	/* wait (bounded) for the daemon's word: 0 once its pidfile exists */
	struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
	r = poll(&pfd, 1, 5000);
	if (r > 0 && read(ready[0], &err, sizeof(err)) == (ssize_t)sizeof(err))
		r = err;
	else
		r = r == 0 ? -ETIMEDOUT : -ECHILD;
	close(ready[0]);
	/* the daemon lives on in its own session; if it failed, it is gone
	 * and this reaps it */
	if (r < 0)
		waitpid(pid, NULL, 0);
	return r;
}
