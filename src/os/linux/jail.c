/*
 * Jails as Linux namespaces: create (net + uts [+ mnt rooted at a path]),
 * run a command inside (jexec), destroy (kill what is left, unmount).
 *
 * Everything that enters or creates a namespace does it in a forked child:
 * setns(CLONE_NEWNS) needs a single-threaded process, and the caller's own
 * namespaces must never change. Code that runs in those children only makes
 * async-signal-safe calls, as the caller may have threads; all paths are
 * prepared before the fork.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "os/linux/jail.h"
#include "os/linux/netns.h"
#include "os/linux/jail_int.h"

/* Human words for a step, used in error messages. */
const char *jail_step_what(int step)
{
	switch (step) {
	case NETNS_STAGE_FORK:    return "fork";
	case NETNS_STAGE_UNSHARE: return "unshare namespaces";
	case STEP_HOSTNAME:       return "set hostname";
	case STEP_LOOPBACK:       return "bring loopback up";
	case STEP_PROPAGATION:    return "make mounts slave";
	case STEP_BIND_ROOT:      return "bind root";
	case STEP_CHDIR_ROOT:     return "enter root";
	case STEP_PIVOT:          return "pivot_root into root";
	case STEP_DETACH_HOST:    return "detach host tree";
	case STEP_SETNS_NET:      return "join network namespace";
	case STEP_SETNS_UTS:      return "join UTS namespace";
	case STEP_SETNS_MNT:      return "join mount namespace";
	case STEP_UNSHARE_PID:    return "new PID namespace";
	case STEP_FORK:           return "fork";
	case STEP_UNSHARE_MNT:    return "new mount namespace";
	case STEP_MOUNT_PROC:     return "mount /proc";
	case STEP_CHDIR:          return "chdir /";
	case STEP_EXEC:           return "exec";
	default:                  return "set up";
	}
}

/* snprintf into err when the caller gave a buffer. */
void jail_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int jail_state_dir(const char *run_dir, char *buf, size_t len)
{
	int r;

	if (!run_dir || run_dir[0] != '/')
		return -EINVAL;
	r = snprintf(buf, len, "%s/ns", run_dir);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/*
 * The directory of jail name's extras as the release before the run dir
 * kept them, dirname(runtime_dir)/jail6/ns/NAME; -ENOENT when there is
 * none. A jail that release made still has them there after an upgrade.
 */
static int legacy_dir(const char *runtime_dir, const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(runtime_dir, '/');
	struct stat st;
	int n;

	if (!slash || slash == runtime_dir)
		return -ENOENT;
	n = snprintf(buf, len, "%.*s/jail6/ns/%s", (int)(slash - runtime_dir), runtime_dir, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return lstat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -ENOENT;
}

/* Fill every path of jail NAME; -EINVAL for a bad name or directory. With
 * no run dir only the netns path is set (the others are ""). The extras
 * of a jail the previous release made are where it left them. */
int jail_paths_init(struct jail_paths *p, const char *runtime_dir, const char *run_dir, const char *name)
{
	char old[PATH_MAX];
	struct stat st;
	int r;

	memset(p, 0, sizeof(*p));
	r = netns_path(p->netns, sizeof(p->netns), runtime_dir, name);
	if (r < 0 || !run_dir)
		return r;
	r = jail_state_dir(run_dir, p->state, sizeof(p->state));
	if (r < 0)
		return r;
	r = netns_path(p->dir, sizeof(p->dir), p->state, name);
	if (r < 0)
		return r;
	if (lstat(p->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (legacy_dir(runtime_dir, name, old, sizeof(old)) < 0) {
			/* the current layout: STATE/NAME.uts and STATE/NAME.mnt */
			p->dir[0] = '\0';
			r = snprintf(p->uts, sizeof(p->uts), "%s/%s.uts", p->state, name);
			if (r < 0 || (size_t)r >= sizeof(p->uts))
				return -ENAMETOOLONG;
			r = snprintf(p->mnt, sizeof(p->mnt), "%s/%s.mnt", p->state, name);
			return r < 0 || (size_t)r >= sizeof(p->mnt) ? -ENAMETOOLONG : 0;
		}
		snprintf(p->dir, sizeof(p->dir), "%s", old);
		snprintf(p->state, sizeof(p->state), "%.*s", (int)(strrchr(old, '/') - old), old);
	}
	r = netns_path(p->uts, sizeof(p->uts), p->dir, "uts");
	if (r < 0)
		return r;
	return netns_path(p->mnt, sizeof(p->mnt), p->dir, "mnt");
}

bool jail_extras_present(const struct jail_paths *p)
{
	struct stat st;

	return lstat(p->uts, &st) == 0 || lstat(p->mnt, &st) == 0 || (p->dir[0] && lstat(p->dir, &st) == 0);
}

/* A hostname we accept: 1..64 chars of [A-Za-z0-9_.-], not starting with '-' or '.'. */
static bool hostname_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Remove the extra namespaces of a jail; missing pieces are not errors. */
int jail_clear_state(const struct jail_paths *p)
{
	int r, first = 0;

	r = netns_unbind(p->uts);
	if (r < 0 && r != -ENOENT)
		first = r;
	r = netns_unbind(p->mnt);
	if (r < 0 && r != -ENOENT && !first)
		first = r;
	if (p->dir[0] && rmdir(p->dir) < 0 && errno != ENOENT && !first)
		first = -errno;
	return first;
}

/* Set IFF_UP on lo of the current network namespace (async-signal-safe). */
static int loopback_up(void)
{
	struct ifreq ifr;
	int fd, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto cleanup;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
cleanup:
	close(fd);
	return r;
}

/* Write a short value to a /proc/sys file (async-signal-safe). */
static int sysctl_write(int dir, const char *name, const char *value)
{
	int fd = openat(dir, name, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Quiet IPv6 defaults for the jail's interfaces, set before any exists: no
 * DAD probe for the link-local address and no router solicitations. jail6
 * gives every jail its addresses (added without DAD) and its default route,
 * on a bridge it manages; each probe and solicitation would be flooded to
 * every other jail, and with a thousand jails that chatter dominated apply.
 * Link-local addresses stay (the seed's jail has one).
 */
void jail_ipv6_quiet_defaults(void)
{
	/* One walk to the directory: every name on the way has a dentry per
	 * network namespace on the machine, and each lookup scans them. */
	int dir = open("/proc/sys/net/ipv6/conf/default", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return;  /* IPv6 is off in the kernel: nothing to quiet */
	sysctl_write(dir, "dad_transmits", "0");
	sysctl_write(dir, "router_solicitations", "0");
	close(dir);
}

/* Runs in the holder child, in the new namespaces: hostname, lo, the root. */
static int jail_setup_child(void *arg, int *stage)
{
	const struct jail_setup *js = arg;

	jail_ipv6_quiet_defaults();
	*stage = STEP_HOSTNAME;
	if (js->hostname && sethostname(js->hostname, strlen(js->hostname)) < 0)
		return -errno;
	*stage = STEP_LOOPBACK;
	int r = loopback_up();
	if (r < 0)
		return r;
	if (!js->root)
		return 0;
	*stage = STEP_PROPAGATION;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -errno;
	/* pivot_root wants the new root to be a mount point of its own. */
	*stage = STEP_BIND_ROOT;
	if (mount(js->root, js->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	*stage = STEP_CHDIR_ROOT;
	if (chdir(js->root) < 0)
		return -errno;
	/* pivot_root(".", "."): the old root ends up stacked on the new one,
	 * from where it is detached, with every host mount beneath it. */
	*stage = STEP_PIVOT;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	*stage = STEP_DETACH_HOST;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

/* Resolve and check a jail root: an existing directory that is not "/". */
static int root_check(const char *path, char *buf)
{
	struct stat st;

	if (!realpath(path, buf))
		return -errno;
	if (stat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (strcmp(buf, "/") == 0)
		return -EINVAL;
	return 0;
}

int jail_create(const char *runtime_dir, const char *run_dir, const char *name, const char *hostname,
                const char *path, char *err, size_t errlen)
{
	struct netns_holder h = { .pid = -1, .release_fd = -1 };
	struct jail_paths p;
	struct jail_setup js;
	char root[PATH_MAX];
	bool placed = false;
	int stage, r;
	const char *what = NULL;

	jail_set_err(err, errlen, "%s", "");
	if (!model_jailname_ok(name)) {
		jail_set_err(err, errlen, "'%s': invalid jail name", name ? name : "");
		return -EINVAL;
	}
	r = run_dir ? jail_paths_init(&p, runtime_dir, run_dir, name) : -EINVAL;
	if (r < 0) {
		jail_set_err(err, errlen, "%s: runtime directory '%s', run directory '%s': %s", name,
		        runtime_dir ? runtime_dir : "", run_dir ? run_dir : "", strerror(-r));
		return r;
	}
	js.hostname = hostname ? hostname : name;
	js.root = NULL;
	if (!hostname_ok(js.hostname)) {
		jail_set_err(err, errlen, "%s: invalid hostname '%s'", name, js.hostname);
		return -EINVAL;
	}
	if (path) {
		r = root_check(path, root);
		if (r < 0) {
			jail_set_err(err, errlen, "%s: root path %s: %s", name, path,
			        r == -EINVAL ? "cannot be the host's root" : strerror(-r));
			return r;
		}
		js.root = root;
	}
	if (netns_exists(runtime_dir, name)) {
		jail_set_err(err, errlen, "%s: jail exists: %s", name, strerror(EEXIST));
		return -EEXIST;
	}

	what = runtime_dir;
	r = netns_make_mount_point(runtime_dir, MS_SHARED);
	if (r < 0)
		goto cleanup;
	what = p.state;
	r = netns_make_mount_point(p.state, MS_PRIVATE);
	if (r < 0)
		goto cleanup;
	what = p.netns;
	r = netns_placeholder(p.netns);
	if (r < 0)
		goto cleanup;
	placed = true;
	what = p.dir[0] ? p.dir : p.uts;
	r = jail_clear_state(&p);  /* leftovers of an interrupted create */
	if (r == 0 && p.dir[0] && mkdir(p.dir, 0700) < 0)
		r = -errno;
	if (r < 0)
		goto cleanup;
	what = p.uts;
	r = netns_placeholder(p.uts);
	if (r == 0 && js.root) {
		what = p.mnt;
		r = netns_placeholder(p.mnt);
	}
	if (r < 0)
		goto cleanup;

	if (!js.root) {
		/* net and uts only: bound from inside, no holder to fork */
		const char *ns[] = { "net", "uts" }, *targets[] = { p.netns, p.uts };
		r = netns_spawn_bound(CLONE_NEWNET | CLONE_NEWUTS, jail_setup_child, &js, ns, targets, 2, &stage);
		if (r < 0 && stage >= NETNS_STAGE_BIND && stage <= NETNS_STAGE_BIND + 1) {
			what = targets[stage - NETNS_STAGE_BIND];
			goto cleanup;
		}
	} else
		r = netns_holder_start(&h, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS, jail_setup_child, &js, &stage);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s%s%s: %s", name, jail_step_what(stage),
		        js.root && stage >= STEP_PROPAGATION ? " " : "",
		        js.root && stage >= STEP_PROPAGATION ? js.root : "", strerror(-r));
		what = NULL;
		goto cleanup;
	}
	what = p.netns;
	if (js.root) {
		r = netns_holder_bind(&h, "net", p.netns);
		if (r == 0) {
			what = p.uts;
			r = netns_holder_bind(&h, "uts", p.uts);
		}
	}
	if (r == 0 && js.root) {
		what = p.mnt;
		r = netns_holder_bind(&h, "mnt", p.mnt);
	}
cleanup:
	netns_holder_finish(&h);
	if (r < 0) {
		if (what)
			jail_set_err(err, errlen, "%s: %s: %s", name, what, strerror(-r));
		jail_clear_state(&p);
		if (placed)
			netns_unbind(p.netns);
	}
	return r;
}

int jail_create_net(const char *runtime_dir, const char *name, char *err, size_t errlen)
{
	struct jail_setup js = { .hostname = NULL, .root = NULL };
	char netns[PATH_MAX];
	const char *ns[] = { "net" }, *targets[] = { netns };
	int stage, r;

	jail_set_err(err, errlen, "%s", "");
	if (!model_jailname_ok(name) || netns_path(netns, sizeof(netns), runtime_dir, name) < 0) {
		jail_set_err(err, errlen, "'%s': invalid jail name", name ? name : "");
		return -EINVAL;
	}
	if (netns_exists(runtime_dir, name)) {
		jail_set_err(err, errlen, "%s: jail exists: %s", name, strerror(EEXIST));
		return -EEXIST;
	}
	r = netns_make_mount_point(runtime_dir, MS_SHARED);
	if (r == 0)
		r = netns_placeholder(netns);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s: %s", name, netns, strerror(-r));
		return r;
	}
	r = netns_spawn_bound(CLONE_NEWNET, jail_setup_child, &js, ns, targets, 1, &stage);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s: %s", name, stage == NETNS_STAGE_BIND ? netns : jail_step_what(stage),
			     strerror(-r));
		netns_unbind(netns);
	}
	return r;
}

int jail_extras(const char *runtime_dir, const char *run_dir, const char *name, char *uts, size_t len)
{
	struct jail_paths p;

	if (!run_dir || jail_paths_init(&p, runtime_dir, run_dir, name) < 0)
		return -EINVAL;
	snprintf(uts, len, "%s", p.uts);
	return jail_extras_present(&p);
}

int jail_exists(const char *runtime_dir, const char *name)
{
	return netns_exists(runtime_dir, name);
}

int jail_has_root(const char *runtime_dir, const char *run_dir, const char *name)
{
	struct jail_paths p;

	if (!run_dir || jail_paths_init(&p, runtime_dir, run_dir, name) < 0)
		return 0;
	return netns_is_nsfs(p.mnt) == 1;
}

