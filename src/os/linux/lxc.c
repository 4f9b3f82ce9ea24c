/*
 * Starting a confined jail: the liblxc configuration, the seccomp policy,
 * the checks that turn liblxc's silent failures into messages (see lxc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <spawn.h>
#include <unistd.h>

#include <lxc/lxccontainer.h>

#include "model/model.h"
#include "os/linux/lxc.h"
#include "os/linux/lxc_int.h"
#include "os/linux/jail_int.h"
#include "os/linux/netns.h"

#ifndef JAIL6_LIBDIR
#define JAIL6_LIBDIR "/usr/local/lib/jail6"
#endif

/* Where jail6-init is bound inside the jail: in autodev's /dev tmpfs, so
 * the jail's own root is not touched. */
#define INIT_IN_JAIL "/dev/.jail6-init"

/*
 * Capabilities taken out of the jail's bounding set. The jail's root is
 * an unprivileged user on the host (its user namespace), so most of these
 * only act on the namespaces it owns; they go anyway, as defence in depth
 * and because no service needs them:
 *   sys_admin        mount, sethostname, setns, swapon: the big one
 *   sys_module sys_rawio sys_boot sys_time kexec-ish host control
 *   mac_admin mac_override   LSM policy
 *   sys_ptrace       tracing other processes of the jail
 *   mknod            device nodes (autodev gives the few that are needed)
 *   net_admin net_raw  addresses, routes, raw/packet sockets (allow.* would
 *                    grant them; the netns is not the jail's own anyway).
 *                    net_raw is kept where the netns is the host's (see
 *                    configure): it opens no raw socket there, and ping
 *                    binaries with file capabilities (Debian's iputils:
 *                    cap_net_raw=ep) cannot even be executed when the
 *                    bounding set lacks it (execve: EPERM)
 *   dac_read_search  open_by_handle_at, the classic container escape
 *   audit_control audit_write audit_read syslog  the host's logs
 *   wake_alarm block_suspend  power management
 *   sys_resource     raising limits past rlimits and quotas
 *   sys_pacct sys_tty_config lease linux_immutable perfmon bpf
 *   checkpoint_restore  rarely needed, each an attack surface
 * Kept: chown dac_override fowner fsetid kill setuid setgid setpcap setfcap
 * net_bind_service net_broadcast sys_chroot sys_nice ipc_lock ipc_owner:
 * what package scripts and services expect of root within their own files.
 */
static const char CAP_DROP[] =
	"sys_admin sys_module sys_rawio sys_boot sys_time mac_admin mac_override sys_ptrace mknod "
	"net_admin net_raw dac_read_search audit_control audit_write audit_read syslog wake_alarm "
	"block_suspend sys_resource sys_pacct sys_tty_config lease linux_immutable perfmon bpf "
	"checkpoint_restore";

/*
 * The seccomp policy (LXC's text format, version 2, deny list): LXC's own
 * common.seccomp (kexec, open_by_handle_at, module loading, umount -f),
 * plus the handle syscalls, the kernel keyring, bpf, perf_event_open, the
 * whole mount family (a user namespace's root may otherwise mount tmpfs,
 * proc or sysfs in its own mount namespace), and ioctl TIOCSTI (0x5412:
 * pushing input into a terminal). Denials answer EPERM.
 */
static const char SECCOMP_POLICY[] =
	"2\n"
	"denylist\n"
	"reject_force_umount\n"
	"[all]\n"
	"kexec_load errno 1\n"
	"kexec_file_load errno 1\n"
	"open_by_handle_at errno 1\n"
	"name_to_handle_at errno 1\n"
	"init_module errno 1\n"
	"finit_module errno 1\n"
	"delete_module errno 1\n"
	"keyctl errno 1\n"
	"add_key errno 1\n"
	"request_key errno 1\n"
	"bpf errno 1\n"
	"perf_event_open errno 1\n"
	"mount errno 1\n"
	"umount2 errno 1\n"
	"fsopen errno 1\n"
	"fsmount errno 1\n"
	"fsconfig errno 1\n"
	"fspick errno 1\n"
	"move_mount errno 1\n"
	"open_tree errno 1\n"
	"mount_setattr errno 1\n"
	"pivot_root errno 1\n"
	"ioctl errno 1 [1,21522,SCMP_CMP_EQ]\n";


/* The liblxc key of a limit, by where its controller is: v1key on a v1
 * hierarchy, v2key on v2 (a hybrid host may have either); false with a
 * message naming the limit when the host has no such controller (liblxc
 * would only fail with a log line about the key). */
static bool limit_key(const char *ctrl, const char *limit, const char *v1key, const char *v2key,
		      const char **key, const char *name, char *err, size_t errlen)
{
	int v = lxcj_controller_of(ctrl);

	*key = v == 1 ? v1key : v2key;
	if (v)
		return true;
	jail_set_err(err, errlen, "%s: %s needs the cgroup %s controller, which this host does not have (not in "
		"/proc/cgroups, or disabled, and not in the v2 hierarchy's cgroup.controllers)", name, limit, ctrl);
	return false;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), r = 0;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Whether the jail gets a network namespace owned by its own user
 * namespace: only there do allow.net_admin and allow.raw_sockets mean
 * anything (in a netns of the host's, the jail's root has no capability). */
static bool own_netns(const struct model_jail *j)
{
	return j->allow & (MODEL_ALLOW_NET_ADMIN | MODEL_ALLOW_RAW_SOCKETS);
}

/* Remove word w from the space-separated list s. */
static void drop_word(char *s, const char *w)
{
	size_t n = strlen(w);

	for (char *p = s; (p = strstr(p, w)); p += n) {
		bool start = p == s || p[-1] == ' ', end = p[n] == ' ' || p[n] == '\0';
		if (start && end) {
			memmove(p, p + n + (p[n] == ' '), strlen(p + n + (p[n] == ' ')) + 1);
			return;
		}
	}
}

/* A config item, or false with the key named in err. */
static bool set(struct lxc_container *c, const char *key, const char *value, char *err, size_t errlen,
		const char *name)
{
	if (c->set_config_item(c, key, value))
		return true;
	jail_set_err(err, errlen, "%s: liblxc refused %s = %s", name, key, value);
	return false;
}

#define SET(k, v) do { if (!set(c, (k), (v), err, errlen, j->name)) return -EINVAL; } while (0)

/* Everything of the container's configuration but what depends on state. */
static int configure(struct lxc_container *c, const char *run_dir, const struct model_jail *j,
		     const char *netns, const char *init, char *err, size_t errlen)
{
	char buf[PATH_MAX + 128];

	lxcj_path(buf, sizeof(buf), run_dir, j->name, "lxc.log");
	SET("lxc.log.file", buf);
	SET("lxc.log.level", "WARN");
	SET("lxc.uts.name", j->hostname ? j->hostname : j->name);
	snprintf(buf, sizeof(buf), "dir:%s", j->path ? j->path : "/");
	SET("lxc.rootfs.path", buf);
	if (!j->path) {
		/* The host's tree, with private scratch space. Not mounted
		 * read-only: liblxc's recursive "ro" also resets the atime
		 * flags, which the kernel refuses on the locked nsfs binds
		 * (netns files) every jail6 host has. It is read-only by
		 * ownership: the jail's root is an unmapped stranger to the
		 * host's files, so only world-writable places are writable,
		 * and /tmp, /run (and /run/lock) and /var/tmp are its own. */
		SET("lxc.mount.entry", "tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777 0 0");
		SET("lxc.mount.entry", "tmpfs run tmpfs rw,nosuid,nodev,noexec,mode=755 0 0");
		SET("lxc.mount.entry", "tmpfs var/tmp tmpfs rw,nosuid,nodev,mode=1777 0 0");
	}
	if (own_netns(j))
		SET("lxc.net.0.type", "empty"); /* a netns of the container's own; jail6 adds the rest */
	else
		SET("lxc.namespace.share.net", netns);
	snprintf(buf, sizeof(buf), "u 0 %u %u", j->idmap.base, j->idmap.count);
	SET("lxc.idmap", buf);
	snprintf(buf, sizeof(buf), "g 0 %u %u", j->idmap.base, j->idmap.count);
	SET("lxc.idmap", buf);
	/* proc:mixed: /proc/sys read-only. Not sys or cgroup: the netns is
	 * owned by the host's user namespace, so sysfs cannot be mounted */
	SET("lxc.mount.auto", "proc:mixed");
	SET("lxc.autodev", "1");
	SET("lxc.no_new_privs", "1");
	lxcj_path(buf, sizeof(buf), run_dir, j->name, "seccomp");
	SET("lxc.seccomp.profile", buf);
	/* allow.*: the capability stays (in the jail's own netns, see
	 * own_netns) */
	char caps[sizeof(CAP_DROP) + 1];
	snprintf(caps, sizeof(caps), "%s", CAP_DROP);
	if (j->allow & MODEL_ALLOW_NET_ADMIN)
		drop_word(caps, "net_admin");
	/* in a netns owned by the host's user namespace net_raw opens
	 * nothing (the socket checks that namespace), and without it in the
	 * bounding set execve refuses binaries whose file capabilities hold
	 * it (iputils ping); only a netns of the jail's own needs it gone */
	if ((j->allow & MODEL_ALLOW_RAW_SOCKETS) || !own_netns(j))
		drop_word(caps, "net_raw");
	SET("lxc.cap.drop", caps);
	SET("lxc.console.path", "none");
	SET("lxc.tty.max", "0");
	SET("lxc.pty.max", "16");
	if (access("/sys/kernel/security/apparmor", F_OK) == 0)
		SET("lxc.apparmor.profile", "unconfined"); /* confinement is userns + caps + seccomp */
	if (j->init) {
		SET("lxc.init.cmd", j->init);
	} else {
		snprintf(buf, sizeof(buf), "%s %s none bind,ro,create=file 0 0", init, INIT_IN_JAIL + 1);
		SET("lxc.mount.entry", buf);
		snprintf(buf, sizeof(buf), "%s %u", INIT_IN_JAIL, j->stop_timeout);
		SET("lxc.init.cmd", buf);
		/* said outright: without it liblxc's shutdown sends SIGRTMIN+3
		 * (systemd's) to an init that blocks it, as jail6-init blocks
		 * every signal, and the stop waited out the whole timeout */
		SET("lxc.signal.halt", "SIGPWR");
	}
	const char *key;
	if (j->limits.memory) {
		if (!limit_key("memory", "limit.memory", "lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup2.memory.max",
			       &key, j->name, err, errlen))
			return -EOPNOTSUPP;
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)j->limits.memory);
		SET(key, buf);
	}
	if (j->limits.pids) {
		if (!limit_key("pids", "limit.pids", "lxc.cgroup.pids.max", "lxc.cgroup2.pids.max", &key, j->name,
			       err, errlen))
			return -EOPNOTSUPP;
		snprintf(buf, sizeof(buf), "%u", j->limits.pids);
		SET(key, buf);
	}
	if (j->limits.cpu_weight) {
		if (!limit_key("cpu", "limit.cpu_weight", "lxc.cgroup.cpu.shares", "lxc.cgroup2.cpu.weight", &key,
			       j->name, err, errlen))
			return -EOPNOTSUPP;
		/* v1's cpu.shares: 1024 is v2's weight 100 */
		bool v1 = !strcmp(key, "lxc.cgroup.cpu.shares");
		unsigned long w = v1 ? (unsigned long)j->limits.cpu_weight * 1024 / 100 : j->limits.cpu_weight;
		snprintf(buf, sizeof(buf), "%lu", w < 2 ? 2 : w);
		SET(key, buf);
	}
	return 0;
}

/* jail6's quiet IPv6 defaults (jail_ipv6_quiet_defaults) in the network
 * namespace nsfd, from a child that joins it (/proc/sys/net is the
 * opener's namespace); our own stays ours. */
static int netns_sysctls(int nsfd)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(1);
		jail_ipv6_quiet_defaults();
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* Bind the network namespace of the container's init on netns (R/NAME),
 * where the rest of jail6 finds every jail's, with the same quiet IPv6
 * defaults jail.c gives a namespace of its own making. */
static int bind_netns(pid_t init, const char *netns)
{
	char src[64], dir[PATH_MAX];
	const char *slash = strrchr(netns, '/');
	int r, fd;

	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)init);
	if (!slash || slash == netns)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - netns), netns);
	r = netns_make_mount_point(dir, MS_SHARED);
	if (r == 0)
		r = netns_placeholder(netns);
	if (r < 0)
		return r;
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = netns_sysctls(fd);
	if (r == 0 && mount(src, netns, NULL, MS_BIND, NULL) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		netns_unbind(netns);
	return r;
}

/*
 * jail6-start, spawned on the first start and kept until lxcj_starter_stop:
 * a small program of liblxc alone that forks a child per jail to start it.
 * liblxc forks several times per start (its daemonized monitor, the
 * container's init, newuidmap), and every fork of jail6 itself copies an
 * address space that grows with the config; the monitor that stays with
 * each jail is a copy of jail6-start's, not of jail6's.
 */
static struct {
	pid_t pid;
	int sock;
} starter = { -1, -1 };

static int starter_spawn(char *err, size_t errlen, const char *name)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	const char *path = lxcj_starter_path();
	char *const argv[] = { "jail6-start", NULL };
	posix_spawn_file_actions_t fa;
	int sv[2], r;

	if (!path) {
		jail_set_err(err, errlen, "%s: jail6-start not found beside %s nor in %s", name, "the jail6 binary",
			     JAIL6_LIBDIR);
		return -ENOENT;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: socketpair: %s", name, strerror(-r));
		return r;
	}
	/* default dispositions and no blocked signal: liblxc waits for its
	 * own children and signals its monitor */
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], LXCJ_STARTER_FD);
	r = -posix_spawn(&starter.pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		starter.pid = -1;
		jail_set_err(err, errlen, "%s: spawn %s: %s", name, path, strerror(-r));
		return r;
	}
	starter.sock = sv[0];
	return 0;
}

void lxcj_starter_stop(void)
{
	int st;

	if (starter.sock >= 0)
		close(starter.sock);
	starter.sock = -1;
	/* it ends once the starts under way are over */
	while (starter.pid > 0 && waitpid(starter.pid, &st, 0) < 0 && errno == EINTR)
		;
	starter.pid = -1;
}

/* Ask jail6-start to start the saved container of jail j; its report comes
 * on s->fd. */
static int starter_request(const char *run_dir, const struct model_jail *j, struct lxcj_starting *s, char *err,
			   size_t errlen)
{
	struct lxcj_start_req req;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	int fds[2], r;

	memset(&req, 0, sizeof(req));
	snprintf(req.run_dir, sizeof(req.run_dir), "%s", run_dir);
	snprintf(req.name, sizeof(req.name), "%s", j->name);
	req.stop_timeout = j->stop_timeout;
	if (starter.sock < 0 && (r = starter_spawn(err, errlen, j->name)) < 0)
		return r;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: pipe: %s", j->name, strerror(-r));
		return r;
	}
	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fds[1], sizeof(int));
	while ((r = (int)sendmsg(starter.sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	r = r < 0 ? -errno : 0;
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		jail_set_err(err, errlen, "%s: jail6-start: %s", j->name, strerror(-r));
		lxcj_starter_stop();
		return r;
	}
	s->fd = fds[0];
	return 0;
}

int lxcj_start_begin(const char *run_dir, const struct model_jail *j, const char *netns, struct lxcj_starting *s,
		     char *err, size_t errlen)
{
	char lxcpath[PATH_MAX], dir[PATH_MAX], file[PATH_MAX], bad[PATH_MAX] = "", staged[PATH_MAX];
	const char *init = NULL;
	struct lxc_container *c = NULL;
	int r;

	jail_set_err(err, errlen, "%s", "");
	s->fd = -1;
	s->pid = -1;
	snprintf(s->name, sizeof(s->name), "%s", j->name);
	snprintf(s->bind, sizeof(s->bind), "%s", own_netns(j) ? netns : "");
	if (strcmp(s->name, j->name) || (own_netns(j) && strcmp(s->bind, netns))) {
		jail_set_err(err, errlen, "%s: name too long", j->name);
		return -ENAMETOOLONG;
	}
	if ((r = lxcj_path(lxcpath, sizeof(lxcpath), run_dir, NULL, NULL)) < 0 ||
	    (r = lxcj_path(dir, sizeof(dir), run_dir, j->name, NULL)) < 0) {
		jail_set_err(err, errlen, "%s: run directory '%s': %s", j->name, run_dir ? run_dir : "", strerror(-r));
		return r;
	}
	if (j->idmap.count == 0) {
		jail_set_err(err, errlen, "%s: no id range leased for the jail's user namespace", j->name);
		return -EINVAL;
	}
	if (!j->init && !(init = lxcj_init_path())) {
		jail_set_err(err, errlen, "%s: jail6-init not found beside %s nor in %s", j->name, "the jail6 binary",
			JAIL6_LIBDIR);
		return -ENOENT;
	}
	if (j->path && lxcj_unsearchable(j->path, bad, sizeof(bad))) {
		jail_set_err(err, errlen, "%s: %s is not searchable by others (chmod o+x): the jail's root user, "
			"host uid %u, must reach its root %s", j->name, bad, j->idmap.base, j->path);
		return -EACCES;
	}
	if (lxcj_have_newuidmap() && (!lxcj_delegated("/etc/subuid", j->idmap.base, j->idmap.count) ||
				 !lxcj_delegated("/etc/subgid", j->idmap.base, j->idmap.count))) {
		jail_set_err(err, errlen, "%s: newuidmap is installed, so liblxc maps ids through it: /etc/subuid and "
			"/etc/subgid need the line root:%u:%u", j->name, j->idmap.base, j->idmap.count);
		return -EPERM;
	}
	if ((mkdir(run_dir, 0700) < 0 && errno != EEXIST) || (mkdir(lxcpath, 0700) < 0 && errno != EEXIST)) {
		r = -errno;
		jail_set_err(err, errlen, "%s: %s: %s", j->name, lxcpath, strerror(-r));
		return r;
	}
	/* liblxc wants the jail's root user to reach U/lxc/NAME: the run
	 * dir and the state dir above it, jail6's own, get o+x (search, not
	 * list); any other directory above is the admin's to open */
	if ((r = lxcj_open_search(run_dir)) < 0 || (r = lxcj_open_search(lxcpath)) < 0 ||
	    ((r = lxcj_parent_of(run_dir, bad, sizeof(bad))) == 0 && (r = lxcj_open_search(bad)) < 0)) {
		jail_set_err(err, errlen, "%s: chmod o+x %s: %s", j->name, bad[0] ? bad : run_dir, strerror(-r));
		return r;
	}
	if (lxcj_unsearchable(dir, bad, sizeof(bad))) {
		jail_set_err(err, errlen, "%s: %s is not searchable by others (chmod o+x): liblxc needs the jail's root "
			"user, host uid %u, to reach %s", j->name, bad, j->idmap.base, dir);
		return -EACCES;
	}
	c = lxc_container_new(j->name, lxcpath);
	if (!c) {
		jail_set_err(err, errlen, "%s: liblxc could not make a container in %s", j->name, lxcpath);
		return -ENOMEM;
	}
	if (c->is_running(c)) {
		jail_set_err(err, errlen, "%s: its container runs already", j->name);
		lxc_container_put(c);
		return -EEXIST;
	}
	/* a previous container of this name (killed monitor, crash) */
	lxcj_cleanup(run_dir, j->name, NULL, 0);
	if (mkdir(dir, 0700) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: %s: %s", j->name, dir, strerror(-r));
		goto fail;
	}
	/* the jail's root user binds jail6-init from where it can reach it:
	 * a copy in U/lxc, whatever the directories above the binary (after
	 * the cleanup above, which drops a copy no jail uses) */
	if (init && (r = lxcj_stage_init(init, lxcpath, staged, sizeof(staged))) < 0) {
		jail_set_err(err, errlen, "%s: copy %s into %s: %s", j->name, init, lxcpath, strerror(-r));
		goto fail;
	}
	if (init)
		init = staged;
	lxcj_path(file, sizeof(file), run_dir, j->name, "seccomp");
	r = write_file(file, SECCOMP_POLICY);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s: %s", j->name, file, strerror(-r));
		goto fail;
	}
	c->clear_config(c);
	r = configure(c, run_dir, j, netns, init, err, errlen);
	if (r < 0)
		goto fail;
	if (!c->save_config(c, NULL)) {
		r = -EIO;
		jail_set_err(err, errlen, "%s: liblxc could not save its configuration in %s", j->name, dir);
		goto fail;
	}
	r = starter_request(run_dir, j, s, err, errlen);
	if (r < 0)
		goto fail;
	lxc_container_put(c);
	return 0;
fail:
	lxc_container_put(c);
	lxcj_cleanup(run_dir, j->name, NULL, LXCJ_WAIT);
	return r;
}

/* After a failed start: until the reporting child is gone (its pipe's end
 * closed), at most 5 s. Its exit closes the socket liblxc keeps to the
 * monitor, without which the monitor does not leave its cgroup, which the
 * cleanup removes. */
static void wait_eof(int fd)
{
	char c;

	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) == 1 && read(fd, &c, 1) == 0)
			return;
	}
}

int lxcj_start_end(const char *run_dir, struct lxcj_starting *s, char *err, size_t errlen)
{
	char msg[1024];
	struct lxcj_record rec;
	int r = -EIO, got;

	if (s->fd < 0)
		return -EINVAL;
	got = lxcj_report_read(s->fd, &r, msg, sizeof(msg));
	if (got < 0 || r != 0)
		wait_eof(s->fd);
	close(s->fd);
	s->fd = -1;
	if (got == 0)
		jail_set_err(err, errlen, "%s", msg);
	if (r > 0 || got < 0) {
		r = -EIO;
		jail_set_err(err, errlen, "%s: jail6-start ended before it reported the jail's start", s->name);
	}
	if (r == 0 && s->bind[0]) {
		/* the container made its network namespace: bound where jail6
		 * finds every jail's */
		r = lxcj_record_read(run_dir, s->name, &rec);
		if (r == 0)
			r = rec.init_pid > 0 ? bind_netns(rec.init_pid, s->bind) : -ESRCH;
		if (r < 0) {
			jail_set_err(err, errlen, "%s: bind the jail's network namespace on %s: %s", s->name, s->bind,
				     strerror(-r));
			lxcj_stop(run_dir, s->name, NULL, 0);
		}
	}
	if (r < 0)
		lxcj_cleanup(run_dir, s->name, NULL, LXCJ_WAIT);
	return r;
}

int lxcj_start(const char *run_dir, const struct model_jail *j, const char *netns, char *err, size_t errlen)
{
	struct lxcj_starting s;
	int r = lxcj_start_begin(run_dir, j, netns, &s, err, errlen);

	return r < 0 ? r : lxcj_start_end(run_dir, &s, err, errlen);
}
