/*
 * `jail6 tunnel run`: the userspace 6in4 datapath daemon. A TUN device on
 * the IPv6 side, a raw IPv4 socket for protocol 41 on the other; the packet
 * decisions are datapath.c's. With supervise it daemonizes and keeps one
 * datapath process running (restarted when it dies). Linux only.
 *
 * Files (paths given by the caller; tunnel_path() gives the defaults the
 * Linux backend uses): the pidfile holds the supervisor's pid; the stats
 * file is JSON, rewritten atomically about once a second:
 *   {"pid":N,"name":"he0","local":"A.B.C.D","remote":"A.B.C.D","ttl":64,
 *    "mtu":1480,"started":UNIXTIME,"restarts":N,"rx_packets":N,"rx_bytes":N,
 *    "tx_packets":N,"tx_bytes":N,"ptb_sent":N,"drops":{"wrong_source":N,...},
 *    "datapath":"userspace","updated":UNIXTIME,"last_rx":UNIXTIME,
 *    "keepalive":SECONDS,"keepalive_sent":N,"keepalive_replies":N,
 *    "via":"A.B.C.D","held":false}
 * where pid and started are the datapath process's, and the counters carry
 * over a restart (at most the last second of them is lost with a crash).
 * updated is when the file was written (a reader judges the datapath alive
 * by it: tunnel_stats_age); last_rx when rx_packets last grew, i.e. a packet
 * from the remote was decapsulated (0 = never; carried over a restart);
 * keepalive the interval of the echo requests to the peer (0 = none), with
 * the requests sent and the echo replies received. A file of an older
 * release lacks these keys: they read as 0.
 * The eBPF datapath's file ("datapath":"ebpf") adds "underlay":"eth0",
 * "decap":"ebpf" (or "userspace": an older kernel) and
 * "tc":{"underlay":N,"tun":N,"handle":N,"own_clsact":N}, where its filters
 * are (struct tunnel_ebpf_tc), for whoever cleans up after a killed one.
 * "via" and "held" are there for a userspace datapath with a via: held is
 * true while the route to the remote does not go through via (packets are
 * dropped as via_down, see dp_route.c).
 *
 * The tunnel MTU is the TUN device's MTU, bounded to 1280..1480
 * (tunnel_mtu_of_link): the link is the one place it is set (apply sets it
 * from the config), and the datapath reads it when it starts, on SIGHUP and
 * once a second; "mtu" in the stats file is the one it uses.
 */
#ifndef JAIL6_TUNNEL_DAEMON_H
#define JAIL6_TUNNEL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/addr.h"
#include "tunnel/datapath.h"

/* Where named network namespaces are bound unless runtime_dir says. */
#define TUNNEL_RUNTIME_DIR_DEFAULT "/run/netns"

/* What to run. Strings are borrowed; NULL paths mean "no such file". */
struct tunnel_opts {
	const char *name;          /* the TUN device (a valid interface name) */
	bool local_auto;           /* resolve the source toward remote */
	struct addr local;         /* IPv4, when !local_auto */
	struct addr remote;        /* IPv4 */
	int ttl;                   /* outer TTL, 1..255 */
	int mtu;                   /* MTU of a TUN device run creates, 1280..1480 */
	bool ebpf;                 /* the eBPF datapath (ebpf.c), not the userspace one */
	bool ebpf_or_userspace;    /* ebpf: the userspace one where it does not load */
	bool has_address;          /* our IPv6 on the tunnel: the source of */
	struct addr address;       /* Packet Too Big messages (else looked up) */
	int keepalive;             /* seconds between echo requests to peer, 0 = none */
	bool has_peer;
	struct addr peer;          /* IPv6: the remote's tunnel address */
	bool has_via;              /* the remote is reached through this IPv4 */
	struct addr via;           /* gateway: held while it is not (dp_route.c) */
	const char *state_dir;     /* the instance's: `tunnel restore` runs with
				    * it when via comes back; NULL = never */
	const char *host_netns;    /* NULL = the caller's namespace */
	const char *runtime_dir;   /* where host_netns is bound; NULL = /run/netns */
	const char *pidfile;
	const char *stats;
	const char *log;           /* supervise: stdout and stderr go here */
	bool notify;               /* foreground: sd_notify READY=1 once up, then
				    * WATCHDOG=1 with each stats write (about
				    * once a second), when $NOTIFY_SOCKET is set */
};

/* Check o (names, families, ranges, absolute paths): 0, or -EINVAL with a
 * static reason in *why. */
int tunnel_opts_check(const struct tunnel_opts *o, const char **why);

/* The tunnel MTU the datapath uses on a TUN device whose MTU is link_mtu:
 * that, bounded to 1280..1480 (1480: what a 1500-byte IPv4 path carries). */
int tunnel_mtu_of_link(int link_mtu);

/*
 * The directory the Linux backend keeps the tunnels' files in, RUN/tunnel
 * (RUN: the instance's own run directory, STATE/run), and with name (not
 * NULL) the file NAME + suffix in it. 0, -EINVAL for a run dir that is not
 * absolute, or -ENAMETOOLONG.
 */
int tunnel_path(const char *run_dir, const char *name, const char *suffix, char *buf, size_t len);

/*
 * Run the datapath in this process until SIGTERM or SIGINT (then the final
 * stats are written): enter the host namespace, attach to the TUN device
 * (create_tun: create a non-persistent one when it does not exist), open the
 * raw socket and move packets. SIGHUP makes it read the TUN device's MTU
 * again and write the stats at once. restarts is what the stats say (the
 * supervisor's count; 0 in the foreground). Returns 0 after SIGTERM or
 * SIGINT, or -errno when setting up failed (logged to stderr, naming the
 * object).
 */
int tunnel_run(const struct tunnel_opts *o, bool create_tun, unsigned restarts);

/*
 * Become a daemon supervising the datapath: fork (the parent returns 0 once
 * the pidfile is written, or -errno), setsid, stdio to o->log, write
 * o->pidfile, then run the datapath in a child process and restart it when it
 * exits or is killed (at most 5 restarts in 10 s, then one a second). SIGHUP
 * is passed on to the datapath. SIGTERM or SIGINT stop the child (SIGKILL
 * after 3 s) and remove the pidfile. The
 * daemon itself never returns: it exits. -EEXIST when the pidfile names a
 * live process already.
 */
int tunnel_supervise(const struct tunnel_opts *o);

/* Where an eBPF datapath's tc filters are: the handle (the TUN device's
 * ifindex when attached; 0 = none) on the TUN device's egress and the
 * underlay's ingress (ifindexes, 0 = none), and which of those links got
 * their clsact qdisc from jail6 (TUNNEL_EBPF_CLSACT_*). */
#define TUNNEL_EBPF_CLSACT_UNDERLAY 1u
#define TUNNEL_EBPF_CLSACT_TUN      2u
struct tunnel_ebpf_tc {
	int underlay, tun;
	uint32_t handle;
	unsigned own_clsact;
};

/* What a stats file says. */
struct tunnel_stats {
	pid_t pid;
	char name[16];
	char datapath[12];         /* "userspace" or "ebpf"; "" = an older file */
	char underlay[16];         /* ebpf: the link toward the remote */
	char decap[12];            /* ebpf: who decapsulates, "ebpf" or "userspace" */
	struct tunnel_ebpf_tc tc;  /* ebpf: its filters */
	char local[ADDR_STRLEN], remote[ADDR_STRLEN];
	int ttl, mtu;
	int64_t started;
	unsigned restarts;
	struct dp_counters c;
	int64_t updated;           /* when written (read: an older file's mtime) */
	int64_t last_rx;           /* when rx_packets last grew; 0 = never */
	int keepalive;             /* interval, 0 = none */
	uint64_t ka_sent, ka_replies;
	char via[ADDR_STRLEN];     /* "" = none */
	bool held;
};

/* Read a stats file (missing keys read as 0, but updated as the file's
 * modification time). 0, -errno, or -EINVAL when it
 * is not such a JSON object. */
int tunnel_stats_read(const char *path, struct tunnel_stats *out);

/* How old (seconds at now) stats s are, by s->updated: 0 when in the
 * future, INT64_MAX when unknown (updated 0). */
int64_t tunnel_stats_age(const struct tunnel_stats *s, int64_t now);

/* s as the JSON object of the stats file (jansson; NULL when out of
 * memory). */
struct json_t;
struct json_t *tunnel_stats_json(const struct tunnel_stats *s);

/* Write s to path atomically (path.tmp, then rename). 0 or -errno. */
int tunnel_stats_write(const char *path, const struct tunnel_stats *s);

#endif
