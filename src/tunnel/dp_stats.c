/* The datapath's side of its stats: what it counts goes to its parent over
 * the control channel (ctl.h), which writes the stats file (stats.c) and
 * tells a service manager; what a previous process counted comes from the
 * parent when it starts (CTL_CARRY). No file is touched here: the datapath
 * runs in an empty root (privdrop.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "tunnel/ebpf.h"

/* Send the stats to the parent (the eBPF datapath's part: dp_ebpf_stats);
 * a failure is logged once in a while, never fatal (the parent's end is
 * watched by the loop). */
void dp_stats_flush(struct dp_ctx *x)
{
	struct ctl_msg m = { .type = CTL_STATS };
	struct tunnel_stats *s = &m.s;
	int r;

	s->pid = getpid();
	s->ttl = x->o->ttl;
	s->mtu = x->cfg.mtu;
	s->started = x->started;
	s->restarts = x->restarts;
	s->c = x->ctr;
	s->keepalive = x->o->keepalive;
	s->ka_sent = x->ka_sent;
	s->ka_replies = x->ka_replies;
	snprintf(s->datapath, sizeof(s->datapath), "userspace");
	/* (the eBPF datapath's configuration follows the host here) */
	if (x->ebpf)
		dp_ebpf_stats(x, s);
	/* a packet from the remote since the last look (either datapath
	 * counts what it decapsulated in rx_packets) */
	s->updated = (int64_t)time(NULL);
	if (s->c.rx_packets != x->rx_seen) {
		x->rx_seen = s->c.rx_packets;
		x->last_rx = s->updated;
	}
	s->last_rx = x->last_rx;
	if (x->ctl_fd < 0)
		return;
	snprintf(s->name, sizeof(s->name), "%s", x->o->name);
	inet_ntop(AF_INET, x->cfg.local, s->local, sizeof(s->local));
	inet_ntop(AF_INET, x->cfg.remote, s->remote, sizeof(s->remote));
	if (x->o->has_via) {
		inet_ntop(AF_INET, x->o->via.bytes, s->via, sizeof(s->via));
		s->held = x->held;
	}
	r = ctl_send(x->ctl_fd, &m, -1);
	if (r < 0 && (!x->errlog_ms[ERRLOG_STATS] || dp_now_ms() - x->errlog_ms[ERRLOG_STATS] >= ERRLOG_MIN_MS)) {
		x->errlog_ms[ERRLOG_STATS] = dp_now_ms();
		dp_log(x->o, "send the stats to the parent: %s", strerror(-r));
	}
}

int dp_stats_ebpf_tc(struct dp_ctx *x, struct tunnel_ebpf_tc *tc)
{
	if (!x->has_carry || strcmp(x->carry.name, x->o->name) || strcmp(x->carry.datapath, "ebpf"))
		return -ENOENT;
	*tc = x->carry.tc;
	return 0;
}

/* Counters from the previous datapath process of this tunnel, so that they
 * only ever grow across restarts. */
void dp_stats_carry_over(struct dp_ctx *x)
{
	if (!x->has_carry || strcmp(x->carry.name, x->o->name))
		return;
	x->ctr = x->carry.c;
	x->rx_seen = x->carry.c.rx_packets;
	x->last_rx = x->carry.last_rx;
	x->ka_sent = x->carry.ka_sent;
	x->ka_replies = x->carry.ka_replies;
}
