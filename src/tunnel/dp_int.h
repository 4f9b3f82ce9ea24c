/*
 * Inside `jail6 tunnel run`: what the files of the datapath process share.
 * daemon.c sets the process up and logs, dp_tun.c attaches to the TUN
 * device, dp_raw.c owns the raw protocol-41 socket and our addresses,
 * dp_loop.c moves packets, dp_stats.c sends the stats to the parent,
 * keepalive.c pings the peer, privdrop.c drops the privileges. These are
 * the files of jail6-datapath (src/datapath/main.c); supervisor.c, the
 * parent's side, is jail6's. Not for use outside src/tunnel.
 */
#ifndef JAIL6_TUNNEL_DP_INT_H
#define JAIL6_TUNNEL_DP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

#include "tunnel/daemon.h"
#include "tunnel/datapath.h"
#include "util/proc.h"

#define VH_LEN          sizeof(struct virtio_net_hdr)
#define RX_BATCH        64                  /* packets per recvmmsg */
#define RX_HEADROOM     64                  /* room for the vnet header */
#define RX_BUFSZ        (RX_HEADROOM + 65536)
#define TX_BUFSZ        (VH_LEN + 65536)    /* room for one TUN read */
#define TX_MEM          (TX_BUFSZ * 17)     /* TUN reads held until a send */
#define TX_BATCH        256                 /* segments per sendmmsg */
#define ERRLOG_MIN_MS   10000               /* one log line per error kind per 10 s */

/* Kinds of I/O errors, each logged at most once per ERRLOG_MIN_MS. */
enum { ERRLOG_SEND, ERRLOG_TUN, ERRLOG_READ, ERRLOG_STATS, ERRLOG_KEEPALIVE, ERRLOG_N };

/* The datapath process's state. Allocated once: the batches are large. */
struct dp_ctx {
	const struct tunnel_opts *o;
	struct dp_config cfg;
	struct dp_counters ctr;
	int tun_fd, raw_fd, sig_fd;
	int ctl_fd;                 /* to the parent (ctl.h), or -1 */
	bool dropped;               /* privileges dropped (privdrop.c): tc
				     * changes go through the parent */
	const struct tunnel_drop *drop; /* how to drop them */
	bool hup;                   /* a CTL_HUP came (maybe while awaiting an answer) */
	bool has_carry;             /* the previous process's stats (CTL_CARRY) */
	struct tunnel_stats carry;
	bool vnet;                  /* every TUN read/write has a vnet header */
	int link_mtu;               /* the TUN device's MTU when last read */
	unsigned restarts;
	time_t started;
	struct sockaddr_in remote_sa;
	uint64_t cmsg[8];           /* IP_PKTINFO: our source (aligned for cmsghdr) */
	bool local_known;
	uint64_t resolve_ms;        /* last local = auto resolution */
	/* via (dp_route.c): rtnetlink events, the route check, the restore */
	struct mnl_socket *nl_ev, *nl_req;
	unsigned nl_seq;
	bool held;                  /* the route to the remote is not via: drop */
	bool route_logged;          /* the reason of the hold was logged */
	uint64_t route_ms;          /* last route check */
	uint64_t restore_ms;        /* when the parent was last asked for a restore */
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
	struct ebpf_run *ebpf;      /* the eBPF datapath's (ebpf.c), or NULL */
	uint64_t rx_seen;           /* rx_packets at the last stats */
	int64_t last_rx;            /* when rx_packets last grew (wall clock), 0 = never */
	int ka_fd;                  /* keepalive: ICMPv6 socket, -1 = none yet */
	uint16_t ka_id, ka_seq;
	uint64_t ka_next_ms;        /* when the next echo request is due */
	uint64_t ka_sent, ka_replies;
};

/* Milliseconds on the monotonic clock (util/proc.h's), unsigned as the
 * datapath's timestamps are. */
static inline uint64_t dp_now_ms(void)
{
	return (uint64_t)proc_now_ms();
}

/* daemon.c: one log line on stderr (the log file under supervision),
 * timestamped and naming the tunnel and the process. */
void dp_log(const struct tunnel_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* daemon.c: enter the host namespace o names (if any). 0 or -errno (logged). */
int dp_enter_netns(const struct tunnel_opts *o);

/* daemon.c: log an I/O error of kind k, at most once per ERRLOG_MIN_MS. */
void dp_errlog(struct dp_ctx *x, int k, const char *what, int err);

/* dp_tun.c: attach to the TUN device; take the tunnel MTU from it. */
int dp_tun_open(struct dp_ctx *x, bool create);
int dp_tun_mtu_sync(struct dp_ctx *x);

/* dp_raw.c: the raw socket, our IPv4 source, the Packet Too Big source. */
int dp_raw_open(struct dp_ctx *x);
void dp_set_local(struct dp_ctx *x, const uint8_t local[4]);
void dp_reresolve(struct dp_ctx *x);
bool dp_ptb_source(struct dp_ctx *x);

/* dp_route.c: with a via, watch the route to the remote (rtnetlink
 * events), hold the datapath while it does not go through via, and put
 * jail6's host route back (`jail6 tunnel restore`) once via is on-link. */
struct mnl_socket;
int dp_route_open(struct dp_ctx *x);
int dp_route_fd(const struct dp_ctx *x);
void dp_route_events(struct dp_ctx *x);
void dp_route_check(struct dp_ctx *x);
void dp_route_tick(struct dp_ctx *x);
void dp_route_close(struct dp_ctx *x);

/* dp_loop.c: the receive batch's buffers, and the poll loop until a signal. */
void dp_rx_init(struct dp_ctx *x);
int dp_loop(struct dp_ctx *x);

/* keepalive.c: open its socket (before the privileges go); once a second (from the stats tick): count the echo replies
 * that came, send an echo request to the peer when one is due; and close. */
int dp_keepalive_open(struct dp_ctx *x);
void dp_keepalive(struct dp_ctx *x, uint64_t now_ms);
void dp_keepalive_close(struct dp_ctx *x);

/* dp_stats.c: send the stats to the parent (which writes the file and tells
 * a service manager the datapath is ready, then alive); take over the
 * previous process's counters (CTL_CARRY). */
void dp_stats_flush(struct dp_ctx *x);
void dp_stats_carry_over(struct dp_ctx *x);

/* privdrop.c: the empty root, the unprivileged user, no capabilities,
 * no_new_privs, the seccomp allow-list. 0 or -errno (logged). */
struct tunnel_drop;
int dp_privdrop(struct dp_ctx *x, const struct tunnel_drop *d);

#endif
