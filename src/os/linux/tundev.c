/*
 * The userspace and eBPF 6in4 datapaths as the Linux backend sees them (the
 * eBPF one runs in the same supervised process): a persistent TUN
 * device named like the tunnel (it outlives any daemon, so a restarted daemon
 * re-attaches to the same link with its addresses and routes), and the
 * supervisor `jail6 tunnel run NAME --supervise` spawned with posix_spawn,
 * whose pidfile and stats file live in dirname(RUNTIME_DIR)/jail6/tunnel/HOSTNS;
 * or, when systemd is PID 1, the unit jail6-datapath@NAME.service, which
 * runs `jail6 tunnel run NAME --foreground` with the same pidfile and stats
 * (unit_start).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/linux/linux.h"
#include "os/linux/linux_int.h"
#include "os/linux/tundev.h"
#include "tunnel/daemon.h"
#include "tunnel/ebpf.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/testhook.h"

extern char **environ;

/* How long apply waits for a running datapath to take a new MTU: it reads
 * the link on SIGHUP at once, and once a second anyway; a datapath being
 * restarted by its supervisor may take a second more to come back. */
#define RELOAD_WAIT_MS 3000
#define POLL_STEP_MS   10

/*
 * Where the release before the run dir kept a daemon's files:
 * dirname(runtime_dir)/jail6/tunnel/HOSTNS (HOSTNS: the host namespace's
 * name, or "-"). A daemon that release started still runs after an
 * upgrade; it is found (and stopped) there until it is restarted.
 */
static int legacy_path(const struct linux_ctx *c, const char *name, const char *suffix, char *buf, size_t len)
{
	const char *rt = linux_runtime_dir(c), *host = linux_host_netns(c), *slash = strrchr(rt, '/');
	int n;

	if (!slash || slash == rt)
		return -EINVAL;
	n = snprintf(buf, len, "%.*s/jail6/tunnel/%s/%s%s", (int)(slash - rt), rt, host[0] ? host : "-", name,
		     suffix ? suffix : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int linux_tun_path(const struct linux_ctx *c, const char *name, const char *suffix, char *buf, size_t len)
{
	char pid[PATH_MAX];
	int r;

	/* one scheme for the backend and the daemon: tunnel_path() */
	if (!linux_run_dir(c))
		return -EINVAL;
	r = tunnel_path(linux_run_dir(c), name, suffix, buf, len);
	/* a daemon of the previous release: its files, until it is gone */
	if (r == 0 && name && tunnel_path(linux_run_dir(c), name, ".pid", pid, sizeof(pid)) == 0 &&
	    access(pid, F_OK) < 0 && legacy_path(c, name, ".pid", pid, sizeof(pid)) == 0 && access(pid, F_OK) == 0)
		return legacy_path(c, name, suffix, buf, len);
	return r;
}

/* mkdir -p of the tunnel directory (0700: pidfiles steer kill(2)). */
static int tun_dir_make(const struct linux_ctx *c)
{
	char path[PATH_MAX];
	int r = linux_tun_path(c, NULL, NULL, path, sizeof(path));

	return r < 0 ? r : fs_mkdir_p(path, 0755, 0700);
}

/* 1 if one argument of /proc/PID/cmdline is exactly word. */
static bool cmdline_has(pid_t pid, const char *word)
{
	char path[64], *text = NULL;
	size_t len = 0;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (fs_read_file(path, 65536, 0, &text, &len, NULL) < 0)
		return false;
	for (char *p = text; p < text + len && !found; p += strlen(p) + 1)
		found = !strcmp(p, word);
	free(text);
	return found;
}

/*
 * The identity of tunnel name's running supervisor, from its pidfile: 0,
 * or -ESRCH when none runs. A pidfile of the release before the run dir
 * holds a bare pid; it names the daemon only when that process is a jail6
 * whose command line gives this very pidfile.
 */
static int daemon_id(const struct linux_ctx *c, const char *name, struct proc_id *id)
{
	char path[PATH_MAX];
	pid_t pid;

	if (linux_tun_path(c, name, ".pid", path, sizeof(path)) < 0 || proc_pidfile_read(path, id) < 0)
		return -ESRCH;
	if (id->start)
		return proc_alive(id) ? 0 : -ESRCH;
	pid = id->pid;
	if (proc_of(pid, id) < 0 || strncmp(strrchr(id->exe, '/') ? strrchr(id->exe, '/') + 1 : id->exe, "jail6", 5) ||
	    !cmdline_has(pid, path))
		return -ESRCH;
	return 0;
}

int linux_tun_daemon_pid(const struct linux_ctx *c, const char *name)
{
	struct proc_id id;

	return daemon_id(c, name, &id) == 0 ? (int)id.pid : 0;
}

bool linux_tun_has_pidfile(const struct linux_ctx *c, const char *name)
{
	char path[PATH_MAX];

	return linux_tun_path(c, name, ".pid", path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

void linux_tun_observe(const struct linux_ctx *c, struct state_link *l)
{
	char path[PATH_MAX], pidf[PATH_MAX];
	struct tunnel_stats s;
	struct stat st;
	int r;

	l->daemon = linux_tun_daemon_pid(c, l->name) > 0;
	l->daemon_keepalive = -1; /* unknown until its stats say */
	if (!l->daemon || linux_tun_path(c, l->name, ".stats", path, sizeof(path)) < 0)
		return;
	if ((r = tunnel_stats_read(path, &s)) < 0) {
		/* no stats from a supervisor that runs for a while already: its
		 * datapath never gets as far as writing them (failing, hung) */
		if (r == -ENOENT && linux_tun_path(c, l->name, ".pid", pidf, sizeof(pidf)) == 0 &&
		    stat(pidf, &st) == 0 && time(NULL) - st.st_mtime > STATE_DAEMON_STALE_S)
			l->daemon_stale = true;
		return;
	}
	/* what the file lacks reads as "" or 0: unknown, left alone */
	addr_parse(s.local, ADDR_V4_ONLY, &l->local, NULL);
	addr_parse(s.remote, ADDR_V4_ONLY, &l->remote, NULL);
	l->ttl = s.ttl;
	l->daemon_mtu = s.mtu;
	/* a file without "datapath" is the userspace one's, of a release before */
	l->daemon_dp = !strcmp(s.datapath, "ebpf") ? MODEL_DATAPATH_EBPF : MODEL_DATAPATH_USERSPACE;
	l->daemon_keepalive = s.keepalive;
	l->daemon_stale = tunnel_stats_age(&s, time(NULL)) > STATE_DAEMON_STALE_S;
	if (s.via[0])
		addr_parse(s.via, ADDR_V4_ONLY, &l->daemon_via, NULL);
}

/* Runs inside the host namespace: a persistent TUN device named name. */
static int tun_create_here(void *arg)
{
	const char *name = arg;
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		r = -errno;
	close(fd);
	return r;
}

int linux_tun_create(struct linux_ctx *c, const char *name)
{
	return linux_in_ns(c, "", tun_create_here, (void *)name);
}

/* What a host with systemd as PID 1 runs a tunnel's datapath as, and the
 * run directory whose tunnel/NAME.{pid,stats,env} that unit names (the
 * default state directory's). */
#define DATAPATH_UNIT    "jail6-datapath@%s.service"
#define UNIT_RUN_DIR     "/var/lib/jail6/run"
#define SYSTEMCTL        "/bin/systemctl"

/*
 * Whether apply hands the datapath to jail6-datapath@NAME.service instead
 * of starting its own supervisor: systemd runs as PID 1 (the directory
 * /run/systemd/system exists: sd_booted(3)'s test), and this instance is
 * the one the unit serves: the host's own namespace, the default runtime
 * dir, the default state directory. Elsewhere (the lab, the tests,
 * containers, hosts without systemd) the built-in supervisor stays. The
 * test build names another directory in JAIL6_TEST_SYSTEMD_DIR, and then
 * only its existence counts.
 */
static bool handover(const struct linux_ctx *c)
{
	const char *dir = testhook_env("JAIL6_TEST_SYSTEMD_DIR");

	if (dir && *dir)
		return access(dir, F_OK) == 0;
	return access("/run/systemd/system", F_OK) == 0 && !linux_host_netns(c)[0] &&
	       !strcmp(linux_runtime_dir(c), TUNNEL_RUNTIME_DIR_DEFAULT) && linux_run_dir(c) &&
	       !strcmp(linux_run_dir(c), UNIT_RUN_DIR);
}

/* Wait (bounded) for the supervisor to write a pidfile naming a live process;
 * reap the spawned process if it is gone (it may have forked to daemonize). */
static int wait_started(const char *pidfile, pid_t spawned)
{
	for (int i = 0; i < 250; i++) { /* 20 ms steps: 5 s */
		int status;
		pid_t w = waitpid(spawned, &status, WNOHANG);

		if (proc_pidfile_live(pidfile) > 0)
			return 0;
		if (w == spawned && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			return -ECHILD;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	return -ETIMEDOUT;
}

/*
 * Hand tunnel a's datapath to its unit: the settings (args[0..n), the
 * options after `tunnel run NAME`) go to RUN/tunnel/NAME.env as
 * JAIL6_DATAPATH_ARGS, which the unit puts on its command line, then
 * `systemctl start --no-block jail6-datapath@NAME.service`, and apply waits
 * (bounded) for the pidfile the datapath writes, as for a supervisor's.
 * The backend stops it as it stops a supervisor: SIGTERM to the process
 * the pidfile records, a clean exit that the unit does not restart.
 */
static int unit_start(struct linux_ctx *c, const struct action *a, char **args, int n, const char *pidfile,
		      char *err, size_t errlen)
{
	char env[PATH_MAX], tmp[PATH_MAX + 8], unit[64], line[512];
	const char *exe = testhook_env("JAIL6_TEST_SYSTEMCTL");
	char *argv[] = { "systemctl", "start", "--no-block", unit, NULL };
	size_t off = 0;
	posix_spawn_file_actions_t fa;
	pid_t child;
	int fd, r;

	if (!exe || !*exe)
		exe = SYSTEMCTL;
	snprintf(unit, sizeof(unit), DATAPATH_UNIT, a->ifname);
	off = (size_t)snprintf(line, sizeof(line), "JAIL6_DATAPATH_ARGS=");
	for (int i = 0; i < n && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", i ? " " : "", args[i]);
	if (off + 1 >= sizeof(line) || (r = linux_tun_path(c, a->ifname, ".env", env, sizeof(env))) < 0) {
		snprintf(err, errlen, "%s: the datapath unit's settings: %s", a->ifname, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	line[off++] = '\n';
	/* written whole, then renamed: the unit never reads half a file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", env);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
	} else {
		ssize_t w = write(fd, line, off);
		r = w == (ssize_t)off ? 0 : w < 0 ? -errno : -EIO;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, env) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: write %s: %s", a->ifname, env, strerror(-r));
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&child, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		snprintf(err, errlen, "%s: %s start %s: %s", a->ifname, exe, unit, strerror(r));
		return -r;
	}
	r = wait_started(pidfile, child);
	if (r < 0)
		snprintf(err, errlen, "%s: %s did not start (%s); see journalctl -u %s", a->ifname, unit,
			 r == -ETIMEDOUT ? "no pidfile after 5 s" : "systemctl failed", unit);
	return r;
}

int linux_tun_daemon_start(struct linux_ctx *c, const struct action *a, char *err, size_t errlen)
{
	char pid[PATH_MAX], stats[PATH_MAX], logf[PATH_MAX], local[ADDR_STRLEN], remote[ADDR_STRLEN];
	char ttl[16], mtu[16], ka[16], kapeer[ADDR_STRLEN], via[ADDR_STRLEN], state[PATH_MAX];
	const char *host = linux_host_netns(c);
	char *argv[40]; /* 34 at the most today (a via and a keepalive); room for more options */
	const char *exe;
	int n = 0, first, r;
	posix_spawn_file_actions_t fa;
	pid_t child;

	/* Checked before anything is made. The datapath is this very binary
	 * (jail6 tunnel run), never another program as /proc/self/exe: a test
	 * driver would run itself again, and again. The test build's drivers
	 * name the jail6 binary in JAIL6_TEST_EXE (util/testhook.h). */
	exe = testhook_env("JAIL6_TEST_EXE");
	if (!exe || !*exe) {
		char self[PATH_MAX];
		ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[k > 0 ? k : 0] = '\0';
		if (k <= 0 || strcmp(basename(self), "jail6")) {
			snprintf(err, errlen, "%s: start the userspace datapath: this program is not jail6", a->ifname);
			return -ENOEXEC;
		}
		exe = "/proc/self/exe";
	}
	if ((r = tun_dir_make(c)) < 0 || (r = linux_tun_path(c, a->ifname, ".pid", pid, sizeof(pid))) < 0 ||
	    (r = linux_tun_path(c, a->ifname, ".stats", stats, sizeof(stats))) < 0 ||
	    (r = linux_tun_path(c, a->ifname, ".log", logf, sizeof(logf))) < 0) {
		snprintf(err, errlen, "%s: tunnel state directory: %s", a->ifname, strerror(-r));
		return r;
	}
	if (a->local_auto)
		snprintf(local, sizeof(local), "auto");
	else
		addr_format_host(&a->addr, local, sizeof(local));
	addr_format_host(&a->gw, remote, sizeof(remote));
	snprintf(ttl, sizeof(ttl), "%d", a->ttl);
	snprintf(mtu, sizeof(mtu), "%d", a->mtu ? a->mtu : MODEL_TUNNEL_MTU_DEFAULT);
	/* the instance's state dir (its run dir is STATE/run): with a via, the
	 * datapath runs `jail6 -s STATE tunnel restore` (tunnel/dp_route.c) */
	snprintf(state, sizeof(state), "%s", linux_run_dir(c));
	if (strrchr(state, '/') && strrchr(state, '/') != state)
		*strrchr(state, '/') = '\0';
	argv[n++] = "jail6";
	argv[n++] = "-s";
	argv[n++] = state;
	if (host[0]) {
		argv[n++] = "--host-netns";
		argv[n++] = (char *)host;
	}
	argv[n++] = "--runtime-dir";
	argv[n++] = (char *)linux_runtime_dir(c);
	argv[n++] = "tunnel";
	argv[n++] = "run";
	argv[n++] = (char *)a->ifname;
	first = n; /* the settings, what the unit takes */
	argv[n++] = "--local";
	argv[n++] = local;
	argv[n++] = "--remote";
	argv[n++] = remote;
	argv[n++] = "--ttl";
	argv[n++] = ttl;
	argv[n++] = "--mtu";
	argv[n++] = mtu;
	argv[n++] = "--datapath";
	/* auto: ebpf where its programs load (the daemon decides), else userspace */
	argv[n++] = (char *)model_datapath_name(a->datapath == MODEL_DATAPATH_KERNEL ? MODEL_DATAPATH_USERSPACE
										      : a->datapath);
	if (a->keepalive) {
		snprintf(ka, sizeof(ka), "%d", a->keepalive);
		argv[n++] = "--keepalive";
		argv[n++] = ka;
		argv[n++] = "--peer";
		argv[n++] = (char *)addr_format_host(&a->ka_peer, kapeer, sizeof(kapeer));
	}
	if (a->via.family == AF_INET) {
		argv[n++] = "--via";
		argv[n++] = addr_format_host(&a->via, via, sizeof(via));
	}
	if (handover(c))
		return unit_start(c, a, argv + first, n - first, pid, err, errlen);
	argv[n++] = "--supervise";
	argv[n++] = "--pidfile";
	argv[n++] = pid;
	argv[n++] = "--stats";
	argv[n++] = stats;
	argv[n++] = "--log";
	argv[n++] = logf;
	argv[n] = NULL;
	/* nothing of ours may leak into the daemon: the store's lock file
	 * above all, or the next jail6 run would wait for the daemon */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&child, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		snprintf(err, errlen, "%s: start the userspace datapath: %s", a->ifname, strerror(r));
		if (linux_tun_path(c, NULL, NULL, logf, sizeof(logf)) == 0)
			rmdir(logf); /* the directory, if nothing else is in it */
		return -r;
	}
	r = wait_started(pid, child);
	if (r < 0)
		snprintf(err, errlen, "%s: the userspace datapath did not start (%s); see %s", a->ifname,
			 r == -ETIMEDOUT ? "no pidfile after 5 s" : "it exited", logf);
	return r;
}

/* linux_in_ns callback: remove the tc filters of struct tunnel_ebpf_tc arg. */
static int ebpf_cleanup_here(void *arg)
{
	return tunnel_ebpf_cleanup(arg);
}

int linux_tun_daemon_stop(struct linux_ctx *c, const char *name)
{
	char path[PATH_MAX], stats[PATH_MAX];
	struct tunnel_stats s;
	struct proc_id id;

	if (linux_tun_path(c, name, ".pid", path, sizeof(path)) < 0 ||
	    linux_tun_path(c, name, ".stats", stats, sizeof(stats)) < 0)
		return -ENAMETOOLONG;
	/* only the process the pidfile records (pid, start time, exe) is
	 * signalled, through a pidfd: never a stranger with a reused pid */
	if (daemon_id(c, name, &id) == 0)
		proc_stop(&id, 5000, NULL, NULL);
	/* an eBPF datapath detaches its programs when it stops; one that was
	 * killed outright left them attached, and its stats say where */
	if (tunnel_stats_read(stats, &s) == 0 && !strcmp(s.datapath, "ebpf") && s.tc.handle)
		linux_in_ns(c, "", ebpf_cleanup_here, &s.tc);
	unlink(path);
	unlink(stats);
	if (linux_tun_path(c, name, ".log", path, sizeof(path)) == 0)
		unlink(path);
	/* (a datapath handed to its unit: its settings) */
	if (linux_tun_path(c, name, ".env", path, sizeof(path)) == 0)
		unlink(path);
	/* and the host namespace's directory once it is empty */
	if (linux_tun_path(c, NULL, NULL, path, sizeof(path)) == 0)
		rmdir(path);
	return 0;
}

int linux_tun_daemon_reload(struct linux_ctx *c, const char *name, int mtu, char *err, size_t errlen)
{
	char pidf[PATH_MAX], stats[PATH_MAX], logf[PATH_MAX];
	int want = tunnel_mtu_of_link(mtu), r;
	struct tunnel_stats s = { 0 };
	struct proc_id id;
	long long until;

	if (linux_tun_path(c, name, ".pid", pidf, sizeof(pidf)) < 0 ||
	    linux_tun_path(c, name, ".stats", stats, sizeof(stats)) < 0 ||
	    linux_tun_path(c, name, ".log", logf, sizeof(logf)) < 0) {
		snprintf(err, errlen, "%s: tunnel state directory: %s", name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	/* no datapath for this link (or not a TUN link at all): nothing to tell */
	if (daemon_id(c, name, &id) < 0)
		return 0;
	/* through a pidfd, and only to the process the pidfile records */
	r = proc_signal(&id, SIGHUP);
	if (r == -ESRCH)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "%s: tell the userspace datapath its new mtu %d: %s", name, mtu, strerror(-r));
		return r;
	}
	until = proc_now_ms() + RELOAD_WAIT_MS;
	for (;;) {
		if (tunnel_stats_read(stats, &s) == 0 && s.mtu == want)
			return 0;
		if (!proc_alive(&id)) {
			snprintf(err, errlen, "%s: the userspace datapath stopped while taking mtu %d; see %s",
				 name, want, logf);
			return -ESRCH;
		}
		if (proc_now_ms() >= until)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = POLL_STEP_MS * 1000 * 1000 }, NULL);
	}
	snprintf(err, errlen, "%s: the userspace datapath did not take mtu %d within %d s (its stats say %d); see %s",
		 name, want, RELOAD_WAIT_MS / 1000, s.mtu, logf);
	return -ETIMEDOUT;
}
