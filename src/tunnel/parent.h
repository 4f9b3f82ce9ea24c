/*
 * Inside `jail6 tunnel run`: the datapath's parent (supervisor.c: its loop
 * and the daemon; spawn.c: finding, preparing and starting jail6-datapath,
 * and the restores it asks for). Not for use outside src/tunnel.
 */
#ifndef JAIL6_TUNNEL_PARENT_H
#define JAIL6_TUNNEL_PARENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tunnel/daemon.h"

/* The parent's state. */
struct parent {
	const struct tunnel_opts *o;
	char exe[PATH_MAX];         /* jail6-datapath */
	char root[PATH_MAX];        /* its empty root */
	uid_t uid;
	gid_t gid;
	int sig_fd;
	int notify_fd;              /* $NOTIFY_SOCKET, or -1 */
	bool notified_ready;
	pid_t child;                /* the datapath, or -1 */
	int ctl;                    /* our end of its control channel, or -1 */
	int decap_fd;               /* its eBPF decapsulator (CTL_DECAP_PROG), or -1 */
	int tun_ifindex;            /* the TUN device's (its filters' handle), 0 = unknown */
	unsigned restarts;
	bool has_last;              /* the last stats of a datapath process */
	struct tunnel_stats last;
	int ready_fd;               /* supervise: told 0 once the first datapath
				     * is up (or ended, or READY_MS passed), or -1 */
	uint64_t ready_by;          /* when it is told at the latest */
	pid_t restore_pid;          /* `jail6 tunnel restore` running, or 0 */
	uint64_t restore_ms;        /* when it was last started */
};

/* spawn.c: jail6-datapath into p->exe: beside this binary, one folder up,
 * in its ../lib/jail6, or in JAIL6_LIBDIR. 0 or -ENOENT (logged). */
int parent_find_exe(struct parent *p);

/* spawn.c: the datapath's empty root into p->root, made if missing. 0 or
 * -errno (logged). */
int parent_root_make(struct parent *p);

/* spawn.c: start a datapath process (p->ctl: our end of its channel, the
 * carry-over sent). Its pid, or -1 with errno. */
pid_t parent_spawn(struct parent *p, bool create_tun);

/* spawn.c: `jail6 tunnel restore` for the datapath (one at a time, at most
 * every 2 s), its end (st: its status), stopping it at exit. */
void parent_restore_start(struct parent *p);
void parent_restore_reaped(struct parent *p, int st);
void parent_restore_stop(struct parent *p);

#endif
