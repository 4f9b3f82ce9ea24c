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

/* Steps that can fail inside a child; the child reports one with its errno. */
enum jail_step {
	STEP_HOSTNAME = 1,
	STEP_LOOPBACK,
	STEP_PROPAGATION,
	STEP_BIND_ROOT,
	STEP_CHDIR_ROOT,
	STEP_PIVOT,
	STEP_DETACH_HOST,
	STEP_SETNS_NET,
	STEP_SETNS_UTS,
	STEP_SETNS_MNT,
	STEP_UNSHARE_PID,
	STEP_FORK,
	STEP_UNSHARE_MNT,
	STEP_MOUNT_PROC,
	STEP_CHDIR,
	STEP_EXEC,
};

/* A child's report of a failed step (the same shape as netns.c's). */
struct step_msg {
	int step;
	int err;
};

/* Every path of one jail, computed before any fork. */
struct jail_paths {
	char state[PATH_MAX];  /* dirname(R)/jail6/ns */
	char netns[PATH_MAX];  /* R/NAME */
	char dir[PATH_MAX];    /* state/NAME */
	char uts[PATH_MAX];    /* state/NAME/uts */
	char mnt[PATH_MAX];    /* state/NAME/mnt */
};

/* What the holder child sets up in the jail's fresh namespaces. */
struct jail_setup {
	const char *hostname;
	const char *root;      /* NULL: no mount namespace */
};

/* One namespace of a jail, as stat(2) identifies it. */
struct ns_id {
	bool set;
	dev_t dev;
	ino_t ino;
};

/* Human words for a step, used in error messages. */
static const char *step_what(int step)
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
static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int jail_state_dir(const char *runtime_dir, char *buf, size_t len)
{
	size_t n;
	int r;

	if (!runtime_dir || runtime_dir[0] != '/')
		return -EINVAL;
	n = strlen(runtime_dir);
	while (n > 1 && runtime_dir[n - 1] == '/')
		n--;
	while (n > 0 && runtime_dir[n - 1] != '/')
		n--;
	/* n now covers "dirname/"; runtime_dir "/" has no dirname. */
	if (n == 0 || strspn(runtime_dir, "/") == strlen(runtime_dir))
		return -EINVAL;
	r = snprintf(buf, len, "%.*sjail6/ns", (int)n, runtime_dir);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Fill every path of jail NAME; -EINVAL for a bad name or runtime_dir. */
static int paths_init(struct jail_paths *p, const char *runtime_dir, const char *name)
{
	int r;

	r = jail_state_dir(runtime_dir, p->state, sizeof(p->state));
	if (r < 0)
		return r;
	r = netns_path(p->netns, sizeof(p->netns), runtime_dir, name);
	if (r < 0)
		return r;
	r = netns_path(p->dir, sizeof(p->dir), p->state, name);
	if (r < 0)
		return r;
	r = netns_path(p->uts, sizeof(p->uts), p->dir, "uts");
	if (r < 0)
		return r;
	return netns_path(p->mnt, sizeof(p->mnt), p->dir, "mnt");
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
static int clear_state(const struct jail_paths *p)
{
	int r, first = 0;

	r = netns_unbind(p->uts);
	if (r < 0 && r != -ENOENT)
		first = r;
	r = netns_unbind(p->mnt);
	if (r < 0 && r != -ENOENT && !first)
		first = r;
	if (rmdir(p->dir) < 0 && errno != ENOENT && !first)
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
static int sysctl_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

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
static void ipv6_quiet_defaults(void)
{
	/* absent when IPv6 is off in the kernel: nothing to quiet then */
	sysctl_write("/proc/sys/net/ipv6/conf/default/dad_transmits", "0");
	sysctl_write("/proc/sys/net/ipv6/conf/default/router_solicitations", "0");
}

/* Runs in the holder child, in the new namespaces: hostname, lo, the root. */
static int jail_setup_child(void *arg, int *stage)
{
	const struct jail_setup *js = arg;

	ipv6_quiet_defaults();
	*stage = STEP_HOSTNAME;
	if (sethostname(js->hostname, strlen(js->hostname)) < 0)
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

int jail_create(const char *runtime_dir, const char *name, const char *hostname,
                const char *path, char *err, size_t errlen)
{
	struct netns_holder h = { .pid = -1, .release_fd = -1 };
	struct jail_paths p;
	struct jail_setup js;
	char root[PATH_MAX];
	bool placed = false;
	int stage, r;
	const char *what = NULL;

	set_err(err, errlen, "%s", "");
	if (!model_jailname_ok(name)) {
		set_err(err, errlen, "'%s': invalid jail name", name ? name : "");
		return -EINVAL;
	}
	r = paths_init(&p, runtime_dir, name);
	if (r < 0) {
		set_err(err, errlen, "%s: runtime directory '%s': %s", name,
		        runtime_dir ? runtime_dir : "", strerror(-r));
		return r;
	}
	js.hostname = hostname ? hostname : name;
	js.root = NULL;
	if (!hostname_ok(js.hostname)) {
		set_err(err, errlen, "%s: invalid hostname '%s'", name, js.hostname);
		return -EINVAL;
	}
	if (path) {
		r = root_check(path, root);
		if (r < 0) {
			set_err(err, errlen, "%s: root path %s: %s", name, path,
			        r == -EINVAL ? "cannot be the host's root" : strerror(-r));
			return r;
		}
		js.root = root;
	}
	if (netns_exists(runtime_dir, name)) {
		set_err(err, errlen, "%s: jail exists: %s", name, strerror(EEXIST));
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
	what = p.dir;
	r = clear_state(&p);  /* leftovers of an interrupted create */
	if (r == 0 && mkdir(p.dir, 0700) < 0)
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

	r = netns_holder_start(&h, CLONE_NEWNET | CLONE_NEWUTS | (js.root ? CLONE_NEWNS : 0),
	                       jail_setup_child, &js, &stage);
	if (r < 0) {
		set_err(err, errlen, "%s: %s%s%s: %s", name, step_what(stage),
		        js.root && stage >= STEP_PROPAGATION ? " " : "",
		        js.root && stage >= STEP_PROPAGATION ? js.root : "", strerror(-r));
		what = NULL;
		goto cleanup;
	}
	what = p.netns;
	r = netns_holder_bind(&h, "net", p.netns);
	if (r == 0) {
		what = p.uts;
		r = netns_holder_bind(&h, "uts", p.uts);
	}
	if (r == 0 && js.root) {
		what = p.mnt;
		r = netns_holder_bind(&h, "mnt", p.mnt);
	}
cleanup:
	netns_holder_finish(&h);
	if (r < 0) {
		if (what)
			set_err(err, errlen, "%s: %s: %s", name, what, strerror(-r));
		clear_state(&p);
		if (placed)
			netns_unbind(p.netns);
	}
	return r;
}

int jail_exists(const char *runtime_dir, const char *name)
{
	return netns_exists(runtime_dir, name);
}

int jail_has_root(const char *runtime_dir, const char *name)
{
	struct jail_paths p;

	if (paths_init(&p, runtime_dir, name) < 0)
		return 0;
	return netns_is_nsfs(p.mnt) == 1;
}

/* Identify the namespace bound at path, if it is one. */
static void ns_id_of(const char *path, struct ns_id *id)
{
	struct stat st;

	id->set = netns_is_nsfs(path) == 1 && stat(path, &st) == 0;
	if (id->set) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* 1 if process pid is in any of the n namespaces ids (by /proc/PID/ns/). */
static int pid_in_jail(int procfd, long pid, const struct ns_id *ids, size_t n)
{
	static const char *const kinds[] = { "net", "uts", "mnt" };
	char rel[64];
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		if (!ids[i].set)
			continue;
		snprintf(rel, sizeof(rel), "%ld/ns/%s", pid, kinds[i]);
		if (fstatat(procfd, rel, &st, 0) == 0 &&
		    st.st_dev == ids[i].dev && st.st_ino == ids[i].ino)
			return 1;
	}
	return 0;
}

/* Send sig (0: only count) to every process in the jail; the count, or -errno. */
static int signal_jail(const struct ns_id ids[3], int sig)
{
	struct dirent *de;
	int procfd, count = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	procfd = dirfd(d);
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		/* A pidfd taken before the membership check pins the process:
		 * if it exits and its pid is reused, the signal goes nowhere. */
		int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (pfd < 0 && errno != ENOSYS)
			continue;
		if (pid_in_jail(procfd, pid, ids, 3)) {
			count++;
			if (pfd >= 0)
				syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
			else
				kill((pid_t)pid, sig);
		}
		if (pfd >= 0)
			close(pfd);
	}
	closedir(d);
	return count;
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM the jail's processes, SIGKILL what is left after the timeout;
 * 0 once none is left, -EBUSY if some survive a second more. */
static int kill_jail(const struct ns_id ids[3])
{
	const struct timespec tick = { 0, 20 * 1000000L };
	long long start = now_ms();
	int n = signal_jail(ids, SIGTERM);

	while (n > 0) {
		long long elapsed = now_ms() - start;

		if (elapsed > JAIL_TERM_TIMEOUT_MS + 1000)
			return -EBUSY;
		nanosleep(&tick, NULL);
		n = signal_jail(ids, elapsed >= JAIL_TERM_TIMEOUT_MS ? SIGKILL : 0);
	}
	return n;
}

int jail_destroy(const char *runtime_dir, const char *name, char *err, size_t errlen)
{
	struct ns_id ids[3];
	struct jail_paths p;
	struct stat st;
	int r, kr;

	set_err(err, errlen, "%s", "");
	r = paths_init(&p, runtime_dir, name);
	if (r < 0) {
		set_err(err, errlen, "%s: invalid jail name or runtime directory", name ? name : "");
		return r;
	}
	if (lstat(p.netns, &st) < 0 && lstat(p.dir, &st) < 0) {
		set_err(err, errlen, "%s: no such jail", name);
		return -ENOENT;
	}
	ns_id_of(p.netns, &ids[0]);
	ns_id_of(p.uts, &ids[1]);
	ns_id_of(p.mnt, &ids[2]);
	kr = kill_jail(ids);
	if (kr < 0)
		set_err(err, errlen, "%s: processes survived SIGKILL: %s", name, strerror(-kr));

	r = clear_state(&p);
	if (r < 0) {
		set_err(err, errlen, "%s: remove %s: %s", name, p.dir, strerror(-r));
		netns_unbind(p.netns);
		return r;
	}
	r = netns_unbind(p.netns);
	if (r < 0 && r != -ENOENT) {
		set_err(err, errlen, "%s: remove %s: %s", name, p.netns, strerror(-r));
		return r;
	}
	return kr < 0 ? kr : 0;
}

/* Report a failed step to the parent and exit (async-signal-safe). */
static _Noreturn void child_fail(int fd, int step, int e)
{
	struct step_msg m = { .step = step, .err = e ? e : EIO };
	const char *p = (const char *)&m;
	size_t len = sizeof(m);

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
	_exit(127);
}

/* Give the command default signal handling and an empty signal mask, as if
 * started from a fresh shell rather than from whatever the caller ignores. */
static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The grandchild of a rooted jail run: PID 1 of a fresh PID namespace. */
static _Noreturn void run_pid1(int errfd, char *const argv[])
{
	struct stat st;

	/* If the waiting parent dies (e.g. ^C), take the whole namespace along. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(errfd, STEP_UNSHARE_MNT, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		child_fail(errfd, STEP_PROPAGATION, errno);
	if (stat("/proc", &st) == 0 && S_ISDIR(st.st_mode) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(errfd, STEP_MOUNT_PROC, errno);
	if (chdir("/") < 0)
		child_fail(errfd, STEP_CHDIR, errno);
	reset_signals();
	execvp(argv[0], argv);
	child_fail(errfd, STEP_EXEC, errno);
}

/* File descriptors of the jail's namespaces, opened by the parent. */
struct run_fds {
	int net, uts, mnt;     /* -1 when the jail has none */
	int err;               /* write end of the report pipe */
};

/* The child of jail_run: join the jail, then exec (or fork PID 1 and wait). */
static _Noreturn void run_child(const struct run_fds *fds, const char *state,
                                char *const argv[])
{
	struct stat st;
	int status;
	pid_t pid;

	if (setns(fds->net, CLONE_NEWNET) < 0)
		child_fail(fds->err, STEP_SETNS_NET, errno);
	if (fds->uts >= 0 && setns(fds->uts, CLONE_NEWUTS) < 0)
		child_fail(fds->err, STEP_SETNS_UTS, errno);
	if (fds->mnt < 0) {
		if (unshare(CLONE_NEWNS) < 0)
			child_fail(fds->err, STEP_UNSHARE_MNT, errno);
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
			child_fail(fds->err, STEP_PROPAGATION, errno);
		/* Our copy of the jails' namespace mounts would keep destroyed
		 * jails alive while the command runs. */
		umount2(state, MNT_DETACH);
		/* Best effort, as /sys only mirrors the namespace for tools. */
		if (stat("/sys", &st) == 0 && S_ISDIR(st.st_mode))
			mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		reset_signals();
		execvp(argv[0], argv);
		child_fail(fds->err, STEP_EXEC, errno);
	}
	/* Joining the mount namespace also sets our root and cwd to its root. */
	if (setns(fds->mnt, CLONE_NEWNS) < 0)
		child_fail(fds->err, STEP_SETNS_MNT, errno);
	if (unshare(CLONE_NEWPID) < 0)
		child_fail(fds->err, STEP_UNSHARE_PID, errno);
	pid = fork();
	if (pid < 0)
		child_fail(fds->err, STEP_FORK, errno);
	if (pid == 0)
		run_pid1(fds->err, argv);
	close(fds->err);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(127);
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

int jail_run_err(const char *runtime_dir, const char *name, char *const argv[],
                 int *status, char *err, size_t errlen)
{
	struct run_fds fds = { -1, -1, -1, -1 };
	struct jail_paths p;
	struct step_msg m;
	int pipefd[2] = { -1, -1 };
	int wstatus, r = 0;
	ssize_t got;
	pid_t pid;

	set_err(err, errlen, "%s", "");
	if (!argv || !argv[0] || !status) {
		set_err(err, errlen, "%s: no command to run", name ? name : "");
		return -EINVAL;
	}
	r = paths_init(&p, runtime_dir, name);
	if (r < 0) {
		set_err(err, errlen, "%s: invalid jail name or runtime directory", name ? name : "");
		return r;
	}
	fds.net = netns_open(runtime_dir, name);
	if (fds.net < 0) {
		r = fds.net;
		set_err(err, errlen, "%s: %s", name, r == -ENOENT ? "no such jail" : strerror(-r));
		goto cleanup;
	}
	if (netns_is_nsfs(p.uts) == 1 && (fds.uts = open(p.uts, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		set_err(err, errlen, "%s: %s: %s", name, p.uts, strerror(-r));
		goto cleanup;
	}
	if (netns_is_nsfs(p.mnt) == 1 && (fds.mnt = open(p.mnt, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		set_err(err, errlen, "%s: %s: %s", name, p.mnt, strerror(-r));
		goto cleanup;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		set_err(err, errlen, "%s: pipe: %s", name, strerror(-r));
		goto cleanup;
	}
	fds.err = pipefd[1];
	pid = fork();
	if (pid < 0) {
		r = -errno;
		set_err(err, errlen, "%s: fork: %s", name, strerror(-r));
		goto cleanup;
	}
	if (pid == 0) {
		close(pipefd[0]);
		run_child(&fds, p.state, argv);
	}
	close(pipefd[1]);
	pipefd[1] = -1;

	/* EOF means the command was exec'd: every write end is close-on-exec. */
	do
		got = read(pipefd[0], &m, sizeof(m));
	while (got < 0 && errno == EINTR);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			set_err(err, errlen, "%s: wait: %s", name, strerror(-r));
			goto cleanup;
		}
	}
	if (got == (ssize_t)sizeof(m)) {
		r = -m.err;
		if (m.step == STEP_EXEC)
			set_err(err, errlen, "%s: exec %s: %s", name, argv[0], strerror(m.err));
		else
			set_err(err, errlen, "%s: %s: %s", name, step_what(m.step), strerror(m.err));
		goto cleanup;
	}
	*status = WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
cleanup:
	for (int i = 0; i < 2; i++) {
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	}
	if (fds.net >= 0)
		close(fds.net);
	if (fds.uts >= 0)
		close(fds.uts);
	if (fds.mnt >= 0)
		close(fds.mnt);
	return r;
}

int jail_run(const char *runtime_dir, const char *name, char *const argv[], int *status)
{
	return jail_run_err(runtime_dir, name, argv, status, NULL, 0);
}
