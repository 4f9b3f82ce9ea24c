/*
 * Internals of the Linux backend, shared by its own files (observe.c,
 * execute.c and the per-kind files, tundev.c) and the lab: the context's
 * per-namespace sockets and entering namespaces (ctx.c), sysctls
 * (sysctl.c). Not for the rest of jail6, which sees linux.h only.
 */
#ifndef JAIL6_OS_LINUX_LINUX_INT_H
#define JAIL6_OS_LINUX_LINUX_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "os/linux/linux.h"
#include "os/linux/nl.h"

/* ---- namespaces (ctx.c) */

/* The socket of namespace ns ("" = host), opened on first use. -ENOENT
 * when the jail ns does not exist, -EINVAL for a bad name. */
int linux_ns_sock(struct linux_ctx *c, const char *ns, struct nl_sock **out);
/* Run fn(arg) with the calling thread in namespace ns ("" = host), then
 * come back; fn's result. */
int linux_in_ns(struct linux_ctx *c, const char *ns, int (*fn)(void *arg), void *arg);
/* A netns fd of ns owned by c (do not close), for IFLA_NET_NS_FD. */
int linux_ns_fd(struct linux_ctx *c, const char *ns, int *fd);
/* Whether jail ns exists as a network namespace under the runtime dir:
 * 1, 0, or -errno. */
int linux_ns_exists(struct linux_ctx *c, const char *ns);
/* Drop what c holds of ns (socket, fd): before the namespace is destroyed,
 * since an open socket would keep it alive. */
void linux_ns_forget(struct linux_ctx *c, const char *ns);

/* ---- jails starting and stopping in parallel (jail_action.c) */

struct action;
struct lxcj_starting;

/* Whether action a is a JAIL_CREATE whose container may start while the
 * actions after it run (a confined jail in a network namespace jail6
 * makes: its network can be set up before the container runs). */
bool linux_jail_create_async(const struct action *a);
/* Make the jail's network namespace and begin its container's start in *s
 * (lxcj_start_begin); 0 or -errno, and then nothing of the jail is left. */
int linux_jail_create_begin(struct linux_ctx *c, const struct action *a, struct lxcj_starting *s, char *err,
			    size_t errlen);
/* Wait for the start begun in *s; on failure the jail's namespace goes too.
 * 0 or -errno with err naming the jail. */
int linux_jail_create_end(struct linux_ctx *c, struct lxcj_starting *s, char *err, size_t errlen);

/* Whether action a is a JAIL_DESTROY of a confined jail, whose container
 * can stop (mostly a wait) while the actions after it run. */
bool linux_jail_destroy_async(struct linux_ctx *c, const struct action *a);
/* Begin stopping its container (lxcj_stop_begin); 0 or -errno. */
int linux_jail_destroy_begin(struct linux_ctx *c, const struct action *a, struct lxcj_starting *s, char *err,
			     size_t errlen);
/* Wait for the stop begun in *s, then remove the jail's namespaces. */
int linux_jail_destroy_end(struct linux_ctx *c, struct lxcj_starting *s, char *err, size_t errlen);

/* The port filter as the FILTER_* actions of this context left it (nft.c
 * keeps it, to replace a port's elements without a dump per port); NULL
 * until read. linux_close frees it. */
struct state **linux_nft_cache(struct linux_ctx *c);

/* ---- sysctls (sysctl.c) */

/* The /proc/sys path of a generic sysctl key (state.h), per-link keys
 * included, into buf: 0, -EINVAL for an unknown key or -ENAMETOOLONG. */
int linux_sysctl_path(const char *key, char *buf, size_t len);
/* Read keys in ns, in one visit, as facts of out (a key the kernel lacks
 * gives none): 0 or -errno. */
int linux_sysctl_observe(struct linux_ctx *c, const char *ns, const char *const *keys, size_t n,
			 struct state *out);
/* Read (trailing newline stripped) or write a generic sysctl key in ns.
 * Read returns -ENOENT when the kernel lacks it (e.g. IPv6 disabled). */
int linux_sysctl_read(struct linux_ctx *c, const char *ns, const char *key, char *buf, size_t len);
int linux_sysctl_write(struct linux_ctx *c, const char *ns, const char *key, const char *value);
/* For a link jail6 made, in ns: its link-local address usable at once,
 * /proc/sys/net/ipv6/conf/IFNAME/{dad_transmits,router_solicitation_delay}
 * set to 0 (both in one visit to the namespace). 0, -EINVAL for a bad
 * name, or -errno (-ENOENT: no such link, or no IPv6). */
int linux_link_no_dad(struct linux_ctx *c, const char *ns, const char *ifname);

#endif
