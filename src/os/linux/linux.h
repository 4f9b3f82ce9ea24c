/*
 * The Linux backend: observe a host (and its jails = named network
 * namespaces) over rtnetlink and execute plan actions in-process with libmnl.
 * Never runs ip(8) or a shell.
 *
 * A jail NAME is the network namespace bound at RUNTIME_DIR/NAME (as
 * `ip netns add` makes them when RUNTIME_DIR is /run/netns). The "host" is
 * the caller's namespace, or with host_netns the namespace RUNTIME_DIR/HOST
 * (tests and the lab run a whole world inside throwaway namespaces).
 */
#ifndef JAIL6_OS_LINUX_LINUX_H
#define JAIL6_OS_LINUX_LINUX_H

#include <stddef.h>

#include "model/state.h"
#include "plan/action.h"

/* Where named network namespaces live unless told otherwise. */
#define LINUX_RUNTIME_DIR_DEFAULT "/run/netns"

/* Opaque: one netlink socket per namespace entered, the caller's own netns
 * fd (to come back to), the runtime dir. Not thread-safe: one thread. */
struct linux_ctx;

/*
 * Open a backend context. host_netns: NULL = the caller's namespace, else a
 * namespace name under runtime_dir that plays the host. runtime_dir: NULL =
 * LINUX_RUNTIME_DIR_DEFAULT. run_dir: the instance's own directory for what
 * it keeps at run time (jails' extra namespaces, the datapath's files);
 * NULL = none (then jails and userspace tunnels cannot be made). Returns 0
 * or -errno (-ENOENT: no such host ns).
 */
int linux_open(const char *host_netns, const char *runtime_dir, const char *run_dir, struct linux_ctx **out);

/* The run dir c was opened with, or NULL. */
const char *linux_run_dir(const struct linux_ctx *c);

/* Close every socket and fd of c; NULL-tolerant. */
void linux_close(struct linux_ctx *c);

/* The runtime dir c was opened with (never NULL). */
const char *linux_runtime_dir(const struct linux_ctx *c);

/* The host namespace's name c was opened with; "" for the caller's own. */
const char *linux_host_netns(const struct linux_ctx *c);

/* ---- the userspace 6in4 datapath (tundev.c) ---- */

/* Where the datapath daemon of tunnel name keeps its files:
 * RUN/tunnel/NAME.SUFFIX (the dir itself with name NULL). 0, -EINVAL
 * without a run dir, or -ENAMETOOLONG. */
int linux_tun_path(const struct linux_ctx *c, const char *name, const char *suffix, char *buf, size_t len);

/* The pid of tunnel name's running supervisor (from its pidfile), or 0. */
int linux_tun_daemon_pid(const struct linux_ctx *c, const char *name);

/* Fill the TUN link l (kind STATE_LINK_TUN) with what its daemon reports:
 * daemon running, local, remote, ttl, the MTU it uses (from the stats file). */
void linux_tun_observe(const struct linux_ctx *c, struct state_link *l);

/*
 * Append to *out what the host namespace and each named jail that exists
 * hold: links, addresses (no link-local, loopback or kernel-managed ones),
 * main-table routes (no proto kernel, link-local, multicast), the host's
 * sysctls ipv6.forwarding, ipv4.forwarding, ipv6.accept_ra, and one state_jail per
 * existing jail. Every fact has owned = false. Returns 0 or -errno; on error
 * *out may hold part of the facts (free it with state_free).
 */
int linux_observe(struct linux_ctx *c, const char *const *jails, size_t n_jails, struct state *out);

/*
 * Execute one action. Returns 0 or -errno; on failure writes into err a
 * message naming the object, e.g. "bridge0: add member bge0: No such device".
 */
int linux_execute(struct linux_ctx *c, const struct action *a, char *err, size_t errlen);

/* 1 when link name exists in namespace ns ("" = host), 0 when not, or
 * -errno. */
int linux_link_exists(struct linux_ctx *c, const char *ns, const char *name);

#endif
