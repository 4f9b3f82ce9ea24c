/*
 * The datapath's packet loop. tx: IPv6 packets read from the TUN device (64
 * KiB TCP bursts when the offloads are on, cut into segments here) are sent
 * in batches (sendmmsg) on the raw socket. rx: protocol-41 packets received
 * in batches (recvmmsg) are checked (datapath.c) and written to the TUN
 * device, consecutive segments of one TCP flow as one GSO write.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "util/testhook.h"

#define RX_ROUNDS       8                   /* recvmmsg calls per wakeup */
#define TX_READS        256                 /* TUN reads per wakeup ... */
#define TX_BUDGET       (1 << 20)           /* ... and bytes */
#define STATS_EVERY_MS  1000
#define RESOLVE_EVERY_MS 5000               /* local = auto: look again at least every 5 s */

/* Point the receive batch at its buffers (headroom first: the vnet header
 * is written in front of the inner packet, over the outer header). */
void dp_rx_init(struct dp_ctx *x)
{
	for (size_t i = 0; i < RX_BATCH; i++) {
		x->rx_iov[i].iov_base = x->rx_mem + i * RX_BUFSZ + RX_HEADROOM;
		x->rx_iov[i].iov_len = RX_BUFSZ - RX_HEADROOM;
		memset(&x->rx_msgs[i], 0, sizeof(x->rx_msgs[i]));
		x->rx_msgs[i].msg_hdr.msg_iov = &x->rx_iov[i];
		x->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

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
		/* a checksum a sender on this host left for offload: the vnet
		 * header says so (the kernel then trusts it as its own), else
		 * it is completed here; written as complete, the receiver
		 * would count it in TcpInCsumErrors / Udp6InCsumErrors */
		if (k == 1 && !vh.flags && dp_csum_partial(p[i].data, p[i].len, &vh) && !x->vnet)
			dp_csum_complete(p[i].data, p[i].len, &vh);
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
			dp_errlog(x, ERRLOG_TUN, "write to the TUN device", errno);
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
				dp_errlog(x, ERRLOG_READ, "receive on the raw socket", errno);
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

	/* the route to the remote is not via the tunnel's via: nothing may
	 * leave through another uplink (dp_route.c) */
	if (x->held) {
		x->ctr.drops[DP_DROP_VIA_DOWN] += n;
		x->n_segs = 0;
		return;
	}
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
		dp_errlog(x, ERRLOG_SEND, "send to the remote", err);
		if (err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH) {
			dp_reresolve(x);
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
	if (!dp_ratelimit_take(&x->ptb_rl, dp_now_ms()) || !dp_ptb_source(x))
		return;
	n = dp_build_ptb(x->o->has_address ? x->o->address.bytes : x->ptb_src, x->cfg.mtu, pkt, len,
			 out, DP_IPV6_MIN_MTU);
	if (!n)
		return;
	memset(x->ptb_buf, 0, VH_LEN);
	if (x->vnet ? write(x->tun_fd, x->ptb_buf, n + VH_LEN) < 0 : write(x->tun_fd, out, n) < 0)
		dp_errlog(x, ERRLOG_TUN, "write Packet Too Big to the TUN device", errno);
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
				dp_errlog(x, ERRLOG_READ, "read from the TUN device", errno);
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

/* SIGHUP, or the parent's CTL_HUP: take the TUN device's MTU again and
 * send the stats at once (apply waits for them to say the new MTU). */
static void dp_hup(struct dp_ctx *x)
{
	int r;

	if ((r = dp_tun_mtu_sync(x)) < 0)
		dp_errlog(x, ERRLOG_TUN, "read the MTU of the TUN device", -r);
	dp_stats_flush(x);
}

/* Read the pending signals. SIGHUP: take the TUN device's MTU again and
 * write the stats at once (apply waits for them to say the new MTU).
 * SIGTERM, SIGINT: true, the loop ends. */
static bool dp_signals(struct dp_ctx *x)
{
	struct signalfd_siginfo si;

	while (read(x->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
#ifdef JAIL6_TEST_HOOKS
		/* the test build: a system call outside the seccomp
		 * allow-list (privdrop.c), which must kill the process */
		if (si.ssi_signo == SIGUSR2) {
			dp_log(x->o, "test hook: calling getcwd, which seccomp forbids");
			char cwd[64];
			if (syscall(SYS_getcwd, cwd, sizeof(cwd)) >= 0)
				dp_log(x->o, "test hook: getcwd was allowed");
			continue;
		}
#endif
		if (si.ssi_signo != SIGHUP) {
			dp_log(x->o, "signal %u: stopping", si.ssi_signo);
			return true;
		}
		dp_hup(x);
	}
	return false;
}

/* What the parent sent: CTL_HUP (its other answers are read where they
 * are awaited). True when its end is closed or shut down: the loop ends,
 * the parent stops us or is gone. */
static bool dp_parent(struct dp_ctx *x)
{
	for (int i = 0; i < 16; i++) {
		struct ctl_msg m;
		int r = ctl_recv(x->ctl_fd, &m, NULL);

		if (r == -EAGAIN)
			break;
		if (r == -EPIPE || (r < 0 && r != -EBADMSG)) {
			dp_log(x->o, "the parent's end of the control channel closed: stopping");
			return true;
		}
		if (r == 0 && m.type == CTL_HUP)
			x->hup = true;
	}
	if (x->hup) {
		x->hup = false;
		dp_hup(x);
	}
	return false;
}

/* The poll loop, until SIGTERM or SIGINT, or the parent is gone. */
int dp_loop(struct dp_ctx *x)
{
	uint64_t next_stats = dp_now_ms() + STATS_EVERY_MS;
	struct pollfd pfd[5] = {
		{ .fd = x->tun_fd, .events = POLLIN },
		{ .fd = x->raw_fd, .events = POLLIN },
		{ .fd = x->sig_fd, .events = POLLIN },
		{ .fd = dp_route_fd(x), .events = POLLIN }, /* -1 (ignored) without a via */
		{ .fd = x->ctl_fd, .events = POLLIN },      /* -1 without a parent */
	};
	int r;

	for (;;) {
		uint64_t t = dp_now_ms();
		int timeout = next_stats > t ? (int)(next_stats - t) : 0;

		if (poll(pfd, 5, timeout) < 0 && errno != EINTR) {
			dp_log(x->o, "poll: %s", strerror(errno));
			return -errno;
		}
		if (pfd[2].revents && dp_signals(x))
			return 0;
		if (pfd[4].revents && dp_parent(x))
			return 0;
		/* the route first: a batch read below is sent or held by it */
		if (pfd[3].revents)
			dp_route_events(x);
		if (pfd[1].revents & POLLIN)
			rx_burst(x);
		if (pfd[0].revents & POLLIN)
			tx_burst(x);
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			dp_log(x->o, "the TUN device %s went away", x->o->name);
			return -ENODEV;
		}
		t = dp_now_ms();
		if (t >= next_stats) {
			/* an address can change without a send failing (a
			 * new route): look again now and then, not only on
			 * errors */
			if (x->o->has_via)
				dp_route_tick(x);
			else if (x->o->local_auto && (!x->local_known || t - x->resolve_ms >= RESOLVE_EVERY_MS))
				dp_reresolve(x);
			/* and the MTU: a link changed with no SIGHUP */
			if ((r = dp_tun_mtu_sync(x)) < 0)
				dp_errlog(x, ERRLOG_TUN, "read the MTU of the TUN device", -r);
			dp_keepalive(x, t);
			dp_stats_flush(x);
			next_stats = t + STATS_EVERY_MS;
		}
	}
}
