/*
 * The control channel between a datapath process (jail6-datapath, which
 * runs unprivileged: privdrop.c) and its parent (`jail6 tunnel run`: the
 * supervisor, or the foreground parent a unit runs; supervisor.c). One
 * SOCK_SEQPACKET socketpair, one fixed-size struct ctl_msg per message;
 * parent and child are of the same build, so the struct is the format.
 *
 * parent -> child
 *   CTL_CARRY       once, first: the previous process's stats (counters
 *                   that carry over a restart, an eBPF predecessor's
 *                   filters); arg[0] = 1 when s holds them, 0 when none.
 *   CTL_TC_DONE     the answer to CTL_TC: arg[0] = 0 or -errno, arg[1] =
 *                   1 when the attach created the clsact qdisc.
 *   CTL_HUP         as SIGHUP: read the TUN device's MTU again, send the
 *                   stats at once.
 *   (end)           the parent's end shut down for writing: stop, as on
 *                   SIGTERM. A root parent without CAP_KILL (a bounding
 *                   set) may not signal a process of another uid; the
 *                   channel needs no privilege, so HUP and stop go by it.
 * child -> parent
 *   CTL_STATS       the stats (about once a second, and on SIGHUP): the
 *                   parent writes the stats file (stats.c, jansson) and
 *                   tells a service manager READY=1, then WATCHDOG=1.
 *   CTL_RESTORE     via is on-link again: run `jail6 tunnel restore`
 *                   (one at a time, at most every 2 s: the parent's rule).
 *   CTL_DECAP_PROG  carries the eBPF decapsulator's descriptor
 *                   (SCM_RIGHTS), sent while still privileged.
 *   CTL_TC          attach the decapsulator to the ingress of arg[1]
 *                   (arg[0] = 1), or detach the filter of handle arg[2]
 *                   from the ingress of arg[1] (arg[0] = 0; arg[3] = 1:
 *                   and its clsact qdisc, which that datapath made, once
 *                   no filter is left); answered by CTL_TC_DONE. Only the
 *                   decapsulator moves after the drop (a new underlay).
 *
 * The parent trusts nothing in a message beyond its type and size: the
 * child parses packets from the internet.
 */
#ifndef JAIL6_TUNNEL_CTL_H
#define JAIL6_TUNNEL_CTL_H

#include <stdint.h>

#include "tunnel/daemon.h"

enum ctl_type {
	CTL_CARRY = 1,
	CTL_STATS,
	CTL_RESTORE,
	CTL_DECAP_PROG,
	CTL_TC,
	CTL_TC_DONE,
	CTL_HUP,
};

struct ctl_msg {
	uint32_t type;
	int32_t arg[4];
	struct tunnel_stats s;
};

/* Send m on fd, with descriptor pass (>= 0) attached. 0 or -errno. */
int ctl_send(int fd, const struct ctl_msg *m, int pass);

/* Receive one message from fd (blocking unless fd is not); a descriptor
 * that came with it in *pass (else -1; pass may be NULL: it is closed).
 * 0, -EAGAIN, -EPIPE at the peer's end, -EBADMSG for a message of the
 * wrong size, or -errno. */
int ctl_recv(int fd, struct ctl_msg *m, int *pass);

/* Make the strings of stats s (from the child) terminated, and name and
 * pid the parent's own idea of them. */
void ctl_stats_sanitize(struct tunnel_stats *s, const char *name, pid_t pid);

#endif
