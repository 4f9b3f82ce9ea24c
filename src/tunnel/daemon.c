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
 * This file sets the process (jail6-datapath) up: options, namespace,
 * signals, what it opens before it drops its privileges (privdrop.c); and
 * it logs. The jobs are in dp_tun.c, dp_raw.c, dp_loop.c, dp_route.c,
 * keepalive.c, ebpf.c and dp_stats.c; the parent's side is supervisor.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/signalfd.h>

#include "model/model.h"
#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "util/testhook.h"
#include "tunnel/ebpf.h"

#define PTB_RATE        100                 /* Packet Too Big per second ... */
#define PTB_BURST       100                 /* ... with this burst */

/* One log line on stderr (the log file under supervision), timestamped and
 * naming the tunnel and the process. */
void dp_log(const struct tunnel_opts *o, const char *fmt, ...)
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
	else if (o->keepalive < 0 || o->keepalive > MODEL_TUNNEL_KEEPALIVE_MAX)
		w = "the keepalive must be 1..86400 seconds (0: none)";
	else if (o->keepalive && (!o->has_peer || o->peer.family != AF_INET6))
		w = "a keepalive needs the peer's IPv6 address";
	else if (o->has_via && o->via.family != AF_INET)
		w = "via must be an IPv4 address";
	else if (o->state_dir && o->state_dir[0] != '/')
		w = "file and directory paths must be absolute";
	else if (!path_ok(o->pidfile) || !path_ok(o->stats) || !path_ok(o->log) || !path_ok(o->runtime_dir))
		w = "file and directory paths must be absolute";
	else if (o->host_netns && !model_jailname_ok(o->host_netns))
		w = "the host namespace name is not valid";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

int tunnel_mtu_of_link(int link_mtu)
{
	if (link_mtu < MODEL_TUNNEL_MTU_MIN)
		return MODEL_TUNNEL_MTU_MIN;
	return link_mtu > MODEL_TUNNEL_MTU_MAX ? MODEL_TUNNEL_MTU_MAX : link_mtu;
}

int tunnel_path(const char *run_dir, const char *name, const char *suffix, char *buf, size_t len)
{
	int n;

	if (!run_dir || run_dir[0] != '/')
		return -EINVAL;
	n = snprintf(buf, len, "%s/tunnel%s%s%s", run_dir, name ? "/" : "", name ? name : "",
		     name && suffix ? suffix : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Enter the host namespace named by o, if any. */
int dp_enter_netns(const struct tunnel_opts *o)
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
		dp_log(o, "host namespace %s: %s", o->host_netns, strerror(-r));
		return r;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		r = -errno;
		dp_log(o, "enter host namespace %s: %s", o->host_netns, strerror(errno));
	}
	close(fd);
	return r;
}

/* Log an I/O error of kind k, at most once per ERRLOG_MIN_MS. */
void dp_errlog(struct dp_ctx *x, int k, const char *what, int err)
{
	uint64_t t = dp_now_ms();

	if (x->errlog_ms[k] && t - x->errlog_ms[k] < ERRLOG_MIN_MS)
		return;
	x->errlog_ms[k] = t;
	dp_log(x->o, "%s: %s (further errors of this kind: see the counters)", what, strerror(err));
}

/* Block SIGTERM, SIGINT and SIGHUP and return a signalfd for them. */
static int signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
#ifdef JAIL6_TEST_HOOKS
	/* the test build: SIGUSR2 makes the loop call what seccomp forbids
	 * (dp_loop.c; t_privdrop.sh) */
	sigaddset(&set, SIGUSR2);
#endif
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
	dp_keepalive_close(x);
	dp_route_close(x);
	free(x->rx_mem);
	free(x->tx_mem);
	free(x);
}

/* The previous process's stats from the parent (CTL_CARRY, the first
 * message; bounded wait). */
static int carry_read(struct dp_ctx *x)
{
	struct pollfd p = { .fd = x->ctl_fd, .events = POLLIN };
	struct ctl_msg m;
	int r;

	if (x->ctl_fd < 0)
		return 0;
	if ((r = poll(&p, 1, 5000)) <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	if ((r = ctl_recv(x->ctl_fd, &m, NULL)) < 0)
		return r;
	if (m.type != CTL_CARRY)
		return -EBADMSG;
	if (m.arg[0]) {
		x->carry = m.s;
		x->has_carry = true;
	}
	return 0;
}

int tunnel_datapath(const struct tunnel_opts *o, int ctl_fd, bool create_tun, unsigned restarts,
		    const struct tunnel_drop *d)
{
	struct dp_ctx *x = calloc(1, sizeof(*x));
	char la[INET_ADDRSTRLEN] = "auto", ra[INET_ADDRSTRLEN];
	const char *why;
	int r;

	if (!x)
		return -ENOMEM;
	x->tun_fd = x->raw_fd = x->sig_fd = x->ka_fd = -1;
	x->ctl_fd = ctl_fd;
	x->drop = d;
	x->o = o;
	x->restarts = restarts;
	x->started = time(NULL);
	/* the log's time is UTC: the zone files are read now, not in the
	 * empty root */
	tzset();
	if (tunnel_opts_check(o, &why) < 0) {
		dp_log(o, "%s", why);
		r = -EINVAL;
		goto cleanup;
	}
	if ((r = carry_read(x)) < 0) {
		dp_log(o, "the parent's first message: %s", strerror(-r));
		goto cleanup;
	}
	/* from here on the loop reads it as it reads its other descriptors */
	if (ctl_fd >= 0 && fcntl(ctl_fd, F_SETFL, fcntl(ctl_fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		goto cleanup;
	}
	x->rx_mem = malloc((size_t)RX_BATCH * RX_BUFSZ);
	x->tx_mem = malloc(TX_MEM);
	if (!x->rx_mem || !x->tx_mem) {
		r = -ENOMEM;
		goto cleanup;
	}
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
	if ((r = dp_enter_netns(o)) < 0 || (r = dp_tun_open(x, create_tun)) < 0 || (r = dp_route_open(x)) < 0)
		goto cleanup;
	/* the keepalive's raw ICMPv6 socket, while it may be opened */
	if (o->keepalive && (r = dp_keepalive_open(x)) < 0) {
		dp_log(o, "the keepalive's ICMPv6 socket: %s", strerror(-r));
		goto cleanup;
	}
	/* with a via, the source comes from the route through via only, and
	 * the datapath holds while there is none (dp_route.c) */
	if (!o->local_auto)
		dp_set_local(x, o->local.bytes);
	if (o->has_via)
		dp_route_check(x);
	else if (o->local_auto)
		dp_reresolve(x);
	if (o->has_via && x->held)
		dp_log(o, "via %s: waiting for the route to the remote to go through it",
		       inet_ntop(AF_INET, o->via.bytes, ra, sizeof(ra)));
	else if (!x->local_known)
		dp_log(o, "local = auto: no route to the remote yet; retrying every second");
	if (o->ebpf) {
		/* (it drops the privileges itself, once its programs are on) */
		r = dp_ebpf_run(x);
		if (r != -EOPNOTSUPP || !o->ebpf_or_userspace)
			goto cleanup;
		dp_log(o, "the eBPF datapath cannot run here: the userspace one runs");
	}
	if ((r = dp_raw_open(x)) < 0 || (r = dp_privdrop(x, d)) < 0)
		goto cleanup;
	dp_rx_init(x);
	if (restarts > 0)
		dp_stats_carry_over(x);
	if (x->local_known)
		inet_ntop(AF_INET, x->cfg.local, la, sizeof(la));
	dp_log(o, "datapath up: local %s remote %s ttl %d mtu %d%s", la,
	       inet_ntop(AF_INET, x->cfg.remote, ra, sizeof(ra)), o->ttl, x->cfg.mtu,
	       x->vnet ? ", TUN offloads" : "");
	dp_stats_flush(x);
	r = dp_loop(x);
	dp_stats_flush(x);
cleanup:
	free_dp_ctx(x);
	return r;
}
