/*
 * Jails on Linux: a named network namespace (see netns.h) plus, kept beside
 * it, a UTS namespace carrying the jail's hostname and, for a jail with a
 * root path, a mount namespace whose root is that path.
 *
 * Layout, for a runtime directory R (NETNS_RUNTIME_DIR = /run/netns) and
 * the instance's run directory U (STATE/run: every jail6 instance has its
 * own, so two never share one):
 *   R/NAME               the network namespace (`ip netns` sees it)
 *   U/ns/NAME.uts        the UTS namespace
 *   U/ns/NAME.mnt        the mount namespace (jails with a path)
 * (Jails made by earlier builds keep their U/ns/NAME/{uts,mnt} or
 * dirname(R)/jail6/ns/NAME/{uts,mnt} until destroyed: both are still read.)
 * Files side by side, not a directory per jail: one mkdir and rmdir less
 * per jail is measurable at a thousand jails.
 * The extras live outside R because `ip netns list` (and `ip -all netns
 * exec`) treat every entry of R as a namespace. U/ns is a private mount
 * point: a mount namespace may only be bind-mounted where the mount cannot
 * propagate, or the namespace would end up holding itself.
 *
 * Decisions:
 * - Every jail gets its own UTS namespace, with or without a path: the
 *   hostname (default: the jail name) is then what `hostname` prints in the
 *   jail, consistently, for the price of one tiny namespace.
 * - jail_create brings the jail's loopback up, as a jail's services expect.
 * - The root is entered with pivot_root(2) at create time, in the jail's own
 *   mount namespace, and the host's tree is detached there: unlike chroot,
 *   nothing of the host stays reachable from inside, and a process joining the
 *   namespace (setns) lands in the root by itself. pivot_root needs the root
 *   to be on a real file system (not an initramfs rootfs). The root is used
 *   as it is: populate its /dev yourself.
 * - Mounts are slaves of the host's in the jail, so a mount made inside never
 *   propagates out.
 * - Limitation: a mount namespace created elsewhere on the host while a jail
 *   exists (say a service with PrivateTmp=) copies the private uts/mnt bind
 *   mounts, and keeps a destroyed jail's UTS and mount namespaces (and so its
 *   root busy) until it ends. The netns is not affected: R is shared, so its
 *   unmount propagates. jail6's own children drop those copies.
 *
 * Names follow model_jailname_ok(); runtime_dir must be absolute. Functions
 * return 0 or -errno; where err is given it receives a complete message that
 * names the jail, e.g. "web: pivot_root into /srv/web: Invalid argument".
 * Callers serialize create/destroy of the same name (jail6 holds its lock).
 */
#ifndef JAIL6_OS_LINUX_JAIL_H
#define JAIL6_OS_LINUX_JAIL_H

#include <stddef.h>

/* How long jail_destroy lets processes exit after SIGTERM before SIGKILL. */
#define JAIL_TERM_TIMEOUT_MS 2000

/* buf = RUN/ns, where the jails' extra namespaces live. */
int jail_state_dir(const char *run_dir, char *buf, size_t len);

/* Create jail NAME: network + UTS namespaces, and a mount namespace rooted at
 * path when path != NULL (an existing directory other than /). hostname NULL
 * means the jail name. -EEXIST if a namespace NAME exists. On failure nothing
 * is left behind. */
int jail_create(const char *runtime_dir, const char *run_dir, const char *name, const char *hostname,
                const char *path, char *err, size_t errlen);

/* The network namespace of a confined jail (lxc.h makes the rest): R/NAME
 * with its loopback up and the same quiet IPv6 defaults; no UTS or mount
 * namespace of jail6's own (the container has them). */
int jail_create_net(const char *runtime_dir, const char *name, char *err, size_t errlen);

/* Kill every process still in the jail (SIGTERM, up to JAIL_TERM_TIMEOUT_MS,
 * then SIGKILL), then unmount and remove all that jail_create made. Also
 * removes a plain netns_create() namespace (run_dir NULL: only the netns is
 * looked at), and what a killed create or destroy left half made. -ENOENT
 * if there is no such jail; -EBUSY if processes survive SIGKILL
 * (everything is unmounted anyway). */
int jail_destroy(const char *runtime_dir, const char *run_dir, const char *name, char *err, size_t errlen);

/*
 * Run argv in the jail, like jexec(8), and wait for it; stdio is inherited.
 * The child joins the jail's network and UTS namespaces. In a jail without a
 * root it also gets a mount namespace of its own with /sys remounted, so that
 * /sys/class/net shows the jail's interfaces (as `ip netns exec` does). In a
 * jail with a root it joins the jail's mount namespace and runs as PID 1 of a
 * new PID namespace with its own /proc (when the root has a /proc directory),
 * in a private copy of the jail's mount namespace that ends with it. As PID 1
 * the command ignores signals it has no handler for, and its descendants die
 * with it; if the caller dies first, the command is killed.
 * *status is the exit status, or 128+N when killed by signal N. Returns -errno
 * when the command could not be started (e.g. -ENOENT: no such jail or
 * command, or a jail whose UTS namespace is gone: it never runs with a
 * part of the jail missing); argv[0] is looked up in PATH inside the jail.
 */
int jail_run(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[], int *status);

/* jail_run, with a message naming the jail and the failed step in err. */
int jail_run_err(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[],
                 int *status, char *err, size_t errlen);

/* jail_run_err behind the exec boundary of jail6 exec, exec.start and
 * exec.stop: stdout and stderr to out_fd (-1: kept), no descriptor but
 * 0-2, a new session (never the caller's controlling terminal), and envp
 * (lxcj_env) as the whole environment. */
struct jail_run_opts {
	char *const *envp;
	int out_fd;
};
int jail_run_opts(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[],
		  const struct jail_run_opts *o, int *status, char *err, size_t errlen);

/* Whether jail name has extras (the directory of its UTS and mount
 * namespaces, in the run dir or where the previous release kept them):
 * 1 or 0, with the path of its UTS binding in uts; -EINVAL without a run
 * dir. */
int jail_extras(const char *runtime_dir, const char *run_dir, const char *name, char *uts, size_t len);

/* 1 if the jail's network namespace exists, else 0. */
int jail_exists(const char *runtime_dir, const char *name);

/* 1 if jail NAME has a root path (its own mount namespace), 0 if not. */
int jail_has_root(const char *runtime_dir, const char *run_dir, const char *name);

#endif
