/*
 * Named network namespaces, kept alive by a bind mount of the namespace file
 * onto RUNTIME_DIR/NAME: the same scheme as `ip netns`, so with
 * NETNS_RUNTIME_DIR the two tools see each other's namespaces. The caller's
 * own namespaces never change: every unshare happens in a forked child.
 *
 * Names follow model_jailname_ok(). Every function returns 0 (or the value
 * documented) on success and -errno on failure.
 */
#ifndef JAIL6_OS_LINUX_NETNS_H
#define JAIL6_OS_LINUX_NETNS_H

#include <stddef.h>
#include <sys/types.h>

#define NETNS_RUNTIME_DIR "/run/netns"

/* Create the network namespace NAME (loopback left down, like `ip netns add`);
 * -EEXIST if it exists, -EINVAL for a bad name or a relative runtime_dir. A
 * placeholder file left by an interrupted create is replaced. */
int netns_create(const char *runtime_dir, const char *name);

/* An O_RDONLY|O_CLOEXEC descriptor of the namespace, for setns(2). */
int netns_open(const char *runtime_dir, const char *name);

/* Detach the bind mount and remove the file; -ENOENT if absent. The namespace
 * itself lives on while processes are still in it. */
int netns_delete(const char *runtime_dir, const char *name);

/* 1 if NAME is a live namespace mount, 0 if not (absent, stale or invalid). */
int netns_exists(const char *runtime_dir, const char *name);

/* The names of the live namespaces in runtime_dir, sorted. Skipped: entries
 * starting with '.', names model_jailname_ok() rejects (`ip netns add` is
 * laxer), and files that are not namespace mounts (stale placeholders). A
 * missing runtime_dir is an empty list. Free with netns_list_free(). */
int netns_list(const char *runtime_dir, char ***names, size_t *n);
void netns_list_free(char **names, size_t n);

/*
 * Building blocks shared with jail.c.
 */

/* buf = DIR/NAME; -EINVAL for an invalid name, -ENAMETOOLONG if it does not fit. */
int netns_path(char *buf, size_t len, const char *dir, const char *name);

/* Make dir (created if needed) a mount point with the given propagation
 * (MS_SHARED or MS_PRIVATE), bind-mounting it onto itself when it is not one. */
int netns_make_mount_point(const char *dir, unsigned long propagation);

/* 1 if path is a bind-mounted namespace file (nsfs), 0 if not, -errno. */
int netns_is_nsfs(const char *path);

/* Create the empty file a namespace is bound onto (O_EXCL); -EEXIST when a
 * namespace is already bound there; an unbound leftover is reused. */
int netns_placeholder(const char *path);

/* Lazily unmount path and unlink it; -ENOENT if absent. */
int netns_unbind(const char *path);

/* A forked child that holds freshly unshared namespaces until they are bound. */
struct netns_holder {
	pid_t pid;
	int release_fd;    /* closing it lets the child exit */
};

/*
 * Fork a child that unshares flags (CLONE_NEW*) and then runs setup(arg) in
 * the new namespaces; setup runs in a forked child of a possibly threaded
 * process, so it must only make async-signal-safe calls, and on failure it
 * returns -errno with *stage set to a caller-defined step number. On failure
 * *stage tells the failed step (NETNS_STAGE_* or setup's) and nothing is left.
 */
#define NETNS_STAGE_FORK    (-2)
#define NETNS_STAGE_UNSHARE (-1)
int netns_holder_start(struct netns_holder *h, int flags,
                       int (*setup)(void *arg, int *stage), void *arg, int *stage);

/* Bind the holder's /proc/PID/ns/NS (ns: "net", "uts", "mnt") onto target. */
int netns_holder_bind(const struct netns_holder *h, const char *ns, const char *target);

/* Let the holder exit and reap it; NULL-tolerant and idempotent. */
int netns_holder_finish(struct netns_holder *h);

/*
 * The same without a holder, for namespaces that can be bound from inside:
 * a child that shares the caller's memory (the caller waits, as with
 * vfork(2), so no page tables are copied) unshares flags, runs setup, binds
 * /proc/self/ns/NS[i] onto targets[i] for i < n and exits. flags must not
 * hold CLONE_NEWNS (a mount namespace cannot bind itself where the caller
 * sees it). Same contract for setup and *stage as netns_holder_start; on
 * failure *stage may also be NETNS_STAGE_BIND + i. Targets already bound
 * before a failure stay bound: the caller unbinds them.
 */
#define NETNS_STAGE_BIND    (-100)
int netns_spawn_bound(int flags, int (*setup)(void *arg, int *stage), void *arg,
                      const char *const *ns, const char *const *targets, int n, int *stage);

#endif
