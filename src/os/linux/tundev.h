/* The userspace 6in4 datapath's device and daemon, for the tunnel and link
 * actions (link_tunnel.c, link.c). */
#ifndef JAIL6_OS_LINUX_TUNDEV_H
#define JAIL6_OS_LINUX_TUNDEV_H

#include <stdbool.h>
#include <stddef.h>

#include "os/linux/linux.h"
#include "plan/action.h"

/* A persistent TUN device name in the host namespace. 0 or -errno. */
int linux_tun_create(struct linux_ctx *c, const char *name);

/* Spawn `jail6 tunnel run NAME --supervise` with a's endpoints, ttl and mtu
 * and wait (at most 5 s) until its pidfile names a live process. */
int linux_tun_daemon_start(struct linux_ctx *c, const struct action *a, char *err, size_t errlen);

/*
 * The MTU of link name was just set to mtu: if a userspace datapath runs for
 * it, SIGHUP its supervisor (found by its pidfile's identity, signalled
 * through a pidfd; it passes the signal on) and wait, bounded, until its
 * stats say the MTU it takes from such a link. 0, also when no datapath
 * runs; else -errno with a message naming the link in err.
 */
int linux_tun_daemon_reload(struct linux_ctx *c, const char *name, int mtu, char *err, size_t errlen);

/* Stop tunnel name's supervisor (SIGTERM, 5 s, SIGKILL), remove the tc
 * filters an eBPF datapath killed outright left attached (its stats say
 * where), and remove its pidfile and stats; 0 also when none runs. */
int linux_tun_daemon_stop(struct linux_ctx *c, const char *name);

/* Whether tunnel name has a pidfile at all (live, stale or foreign): its
 * files are to be removed with the link. */
bool linux_tun_has_pidfile(const struct linux_ctx *c, const char *name);

#endif
