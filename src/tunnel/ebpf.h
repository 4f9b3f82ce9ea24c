/*
 * The eBPF 6in4 datapath (datapath = ebpf): tc programs (ebpf.bpf.c) that
 * the datapath process (`jail6 tunnel run --datapath ebpf`) loads,
 * attaches, configures and counts with, ebpf.c. Linux only.
 */
#ifndef JAIL6_TUNNEL_EBPF_H
#define JAIL6_TUNNEL_EBPF_H

#include "tunnel/daemon.h"

/*
 * Remove the tc filters an eBPF datapath left (one killed before it could
 * detach them: its stats file says where, tc), and the clsact qdiscs it
 * created, in the calling thread's network namespace. 0, also when they
 * are gone already; else -errno.
 */
int tunnel_ebpf_cleanup(const struct tunnel_ebpf_tc *tc);

/* For the datapath's parent (supervisor.c), which moves the decapsulator
 * once the datapath has no privilege left: attach the program prog_fd as
 * filter handle to the ingress of ifindex (*created: its clsact qdisc was
 * made for it), or detach the filter handle from there (and the qdisc
 * when own_clsact and no filter is left). 0 or -errno. */
#include <stdbool.h>
#include <stdint.h>
int tunnel_ebpf_decap_attach(int ifindex, int prog_fd, uint32_t handle, bool *created);
int tunnel_ebpf_decap_detach(int ifindex, uint32_t handle, bool own_clsact);

/* Inside the datapath process (dp_int.h's struct dp_ctx, attached to the
 * TUN device, its local address looked for): run the eBPF datapath until
 * SIGTERM or SIGINT, then detach it. 0, -EOPNOTSUPP when the programs do
 * not load or attach here, or another -errno when it could not start (all
 * logged). */
struct dp_ctx;
int dp_ebpf_run(struct dp_ctx *x);

/* For stats.c, when x runs the eBPF datapath (x->ebpf): bring the
 * programs' configuration up to date and add their counters and where
 * they are to s. */
void dp_ebpf_stats(struct dp_ctx *x, struct tunnel_stats *s);

/* stats.c: the filters a previous process of the tunnel recorded in the
 * stats file (0), or -ENOENT. */
int dp_stats_ebpf_tc(struct dp_ctx *x, struct tunnel_ebpf_tc *tc);

#endif
