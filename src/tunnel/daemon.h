/*
 * `jail6 tunnel run`: the userspace 6in4 datapath daemon. A TUN device on
 * the IPv6 side, a raw IPv4 socket for protocol 41 on the other; the packet
 * decisions are datapath.c's. The datapath is its own small program,
 * jail6-datapath (src/datapath/main.c), which runs unprivileged once set
 * up (privdrop.c); `jail6 tunnel run` is its privileged parent
 * (supervisor.c): in the foreground it waits on one datapath process, with
 * supervise it daemonizes and keeps one running (restarted when it dies).
 * Linux only.
 *
 * Files (paths given by the caller; tunnel_path() gives the defaults the
 * Linux backend uses): the pidfile holds the parent's pid; the stats
 * file, written by the parent with what the datapath sends it, is JSON, rewritten atomically about once a second:
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
	const char *user;          /* the datapath's user (tunnel_user); NULL =
				    * the default */
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

/* How the datapath process gives up its privileges once it has opened
 * what it needs (privdrop.c): the user and group it becomes (no
 * supplementary group) and the empty directory it makes its root. */
struct tunnel_drop {
	uid_t uid;
	gid_t gid;
	const char *root;
};

/*
 * jail6-datapath's work (src/datapath/main.c): run the datapath in this
 * process until SIGTERM or SIGINT, or until its parent's end of ctl_fd
 * (ctl.h) closes. Enter the host namespace, attach to the TUN device
 * (create_tun: create a non-persistent one when it does not exist), open
 * the raw socket (and the keepalive's, the route watcher's netlink
 * sockets, or load and attach the eBPF programs), then drop every
 * privilege as d says, and move packets. SIGHUP makes it read the TUN
 * device's MTU again and send the stats at once. restarts is what the
 * stats say (the supervisor's count; 0 in the foreground). Returns 0 after
 * SIGTERM or SIGINT, or -errno when setting up failed (logged to stderr,
 * naming the object).
 */
int tunnel_datapath(const struct tunnel_opts *o, int ctl_fd, bool create_tun, unsigned restarts,
		    const struct tunnel_drop *d);

/*
 * `jail6 tunnel run --foreground`: run jail6-datapath (tunnel_datapath)
 * as a child of this process, which stays its privileged parent until it
 * ends (supervisor.c): it writes the stats file, tells a service manager
 * READY=1 and WATCHDOG=1 (o->notify), runs `jail6 tunnel restore` when the
 * child asks, forwards SIGHUP, SIGTERM and SIGINT, and removes the eBPF
 * datapath's tc filters once the child is gone. Returns 0 after SIGTERM
 * or SIGINT, or -errno (the child's setup failed: its log says why).
 */
int tunnel_run(const struct tunnel_opts *o, bool create_tun, unsigned restarts);

/*
 * Become a daemon supervising the datapath: fork (the parent returns 0 once
 * the pidfile is written, or -errno), setsid, stdio to o->log, write
 * o->pidfile, then run jail6-datapath as a child process, as tunnel_run
 * does, and restart it when it exits or is killed (at most 5 restarts in
 * 10 s, then one a second). SIGHUP is passed on to the datapath. SIGTERM or
 * SIGINT stop the child (SIGKILL after 3 s) and remove the pidfile. The
 * daemon itself never returns: it exits. -EEXIST when the pidfile names a
 * live process already.
 */
int tunnel_supervise(const struct tunnel_opts *o);

/* The user the datapath runs as (o->user; NULL: TUNNEL_USER_DEFAULT, or
 * where there is no such user nobody, else uid and gid 65534): a name, or
 * UID[:GID] in numbers. 0 with *uid and *gid (never 0), or -errno with a
 * static reason in *why. */
#define TUNNEL_USER_DEFAULT "_jail6"
int tunnel_user(const char *user, uid_t *uid, gid_t *gid, const char **why);

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
