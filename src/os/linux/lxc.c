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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/statfs.h>
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

int lxcj_path(char *buf, size_t len, const char *run_dir, const char *name, const char *file)
{
	int n;

	if (!run_dir || run_dir[0] != '/')
		return -EINVAL;
	if (!name)
		n = snprintf(buf, len, "%s/lxc", run_dir);
	else if (!file)
		n = snprintf(buf, len, "%s/lxc/%s", run_dir, name);
	else
		n = snprintf(buf, len, "%s/lxc/%s/%s", run_dir, name, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}


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

/* c->start in a child of ours: on a failed start liblxc keeps a socket to
 * the monitor open in the caller, and the monitor does not leave its
 * cgroup until that closes; the child's exit closes it. */
static bool start_in_child(struct lxc_container *c)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(c->start(c, 0, NULL) ? 0 : 1);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The container's cgroup paths as the host sees them, from /proc/PID/cgroup. */
static void record_cgroups(pid_t pid, struct lxcj_record *r)
{
	char path[64], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (n < LXCJ_MAX_CGROUPS && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || p[1] != '/' || p[2] == '\n' || p[2] == '\0')
			continue;
		p++;
		p[strcspn(p, "\n")] = '\0';
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup = dup || strcmp(r->cgroups[i], p) == 0;
		if (!dup && strlen(p) < sizeof(r->cgroups[0]))
			snprintf(r->cgroups[n++], sizeof(r->cgroups[0]), "%s", p);
	}
	fclose(f);
}

int lxcj_start(const char *run_dir, const struct model_jail *j, const char *netns, char *err, size_t errlen)
{
	char lxcpath[PATH_MAX], dir[PATH_MAX], file[PATH_MAX], bad[PATH_MAX] = "", logerr[512], staged[PATH_MAX];
	const char *init = NULL;
	struct lxc_container *c = NULL;
	struct lxcj_record rec;
	int r;

	jail_set_err(err, errlen, "%s", "");
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
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	if (!start_in_child(c)) {
		r = -EIO;
		lxcj_log_error(run_dir, j->name, logerr, sizeof(logerr));
		/* the log outlives the jail's lxc directory, which goes (a
		 * directory left would make a half jail of a failed one) */
		char kept[PATH_MAX + 32];
		lxcj_path(file, sizeof(file), run_dir, j->name, "lxc.log");
		snprintf(kept, sizeof(kept), "%s/log", run_dir);
		mkdir(kept, 0700);
		snprintf(kept, sizeof(kept), "%s/log/%s.lxc.log", run_dir, j->name);
		const char *shown = rename(file, kept) == 0 ? kept : file;
		jail_set_err(err, errlen, "%s: liblxc could not start the jail%s%s (log: %s)", j->name,
			logerr[0] ? ": " : "", logerr, shown);
		goto fail;
	}
	memset(&rec, 0, sizeof(rec));
	rec.init_pid = c->init_pid(c);
	if (own_netns(j)) {
		r = rec.init_pid > 0 ? bind_netns(rec.init_pid, netns) : -ESRCH;
		if (r < 0) {
			jail_set_err(err, errlen, "%s: bind the jail's network namespace on %s: %s", j->name, netns,
				strerror(-r));
			c->stop(c);
			goto fail;
		}
	}
	rec.start_time = rec.init_pid > 0 ? lxcj_proc_start_time(rec.init_pid) : 0;
	rec.stop_timeout = j->stop_timeout;
	if (rec.init_pid > 0)
		record_cgroups(rec.init_pid, &rec);
	r = lxcj_record_write(run_dir, j->name, &rec);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s/jail6: %s", j->name, dir, strerror(-r));
		c->stop(c);
		goto fail;
	}
	lxc_container_put(c);
	return 0;
fail:
	lxc_container_put(c);
	lxcj_cleanup(run_dir, j->name, NULL, LXCJ_WAIT);
	return r;
}
