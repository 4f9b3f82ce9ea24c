/*
 * The datapath's parent (supervisor.c) starts jail6-datapath: where the
 * program is, the empty directory that becomes its root, the user it
 * becomes, its command line (the settings jail6 resolved), an empty
 * environment and the control channel (ctl.h) on its descriptor 3. And the
 * `jail6 tunnel restore` the datapath asks for once via is back, which
 * needs the privilege it no longer has.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "tunnel/parent.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/testhook.h"

#ifndef JAIL6_LIBDIR
#define JAIL6_LIBDIR "/usr/local/lib/jail6"
#endif

#define RESTORE_MIN_MS  2000                /* at most one restore started per 2 s */
#define RESTORE_LOCK_S  "10"                /* how long it waits for the store's lock */
#define RESTORE_STOP_MS 2000                /* SIGTERM at exit, then SIGKILL */
#define NOBODY_ID       65534

extern char **environ;

int tunnel_user(const char *user, uid_t *uid, gid_t *gid, const char **why)
{
	const struct passwd *pw;
	char *end;
	unsigned long u, g;

	*why = NULL;
	if (user && *user >= '0' && *user <= '9') {
		errno = 0;
		u = strtoul(user, &end, 10);
		g = u;
		if (*end == ':')
			g = strtoul(end + 1, &end, 10);
		if (errno || *end || u == 0 || g == 0 || u > 0x7fffffffUL || g > 0x7fffffffUL) {
			*why = "expected a user name or UID[:GID], not 0";
			return -EINVAL;
		}
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	pw = getpwnam(user ? user : TUNNEL_USER_DEFAULT);
	/* a host without the package's user (the lab, the tests): nobody */
	if (!pw && !user)
		pw = getpwnam("nobody");
	if (!pw && user) {
		*why = "no such user";
		return -ENOENT;
	}
	*uid = pw ? pw->pw_uid : NOBODY_ID;
	*gid = pw ? pw->pw_gid : NOBODY_ID;
	if (*uid == 0 || *gid == 0) {
		*why = "the datapath's user must not be root nor in group 0";
		return -EPERM;
	}
	return 0;
}

/* jail6-datapath into p->exe (proc_helper_path). */
int parent_find_exe(struct parent *p)
{
	p->exe[0] = '\0';
	if (proc_helper_path("jail6-datapath", p->exe))
		return 0;
	dp_log(p->o, "jail6-datapath not found beside the jail6 binary nor in %s", JAIL6_LIBDIR);
	return -ENOENT;
}

/* The datapath's empty root: the name of its stats file (else its
 * pidfile, its log) with ".root" for its suffix (RUN/tunnel/NAME.root as
 * apply and the unit run it),
 * else (a run with no file at all) a new directory
 * /run/jail6-datapath.XXXXXX (or under /tmp). Made here if missing and
 * removed by the parent at exit; it must be a directory of root's that no
 * one else may write to, and empty. One per tunnel: no other parent
 * removes it under a running datapath. */
int parent_root_make(struct parent *p)
{
	const struct tunnel_opts *o = p->o;
	const char *near = o->stats ? o->stats : o->pidfile ? o->pidfile : o->log;
	const char *slash = near ? strrchr(near, '/') : NULL;
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n;

	if (slash) {
		const char *dot = strrchr(slash, '.');
		size_t stem = dot && dot > slash + 1 ? (size_t)(dot - near) : strlen(near);
		n = snprintf(p->root, sizeof(p->root), "%.*s.root", (int)stem, near);
		if (n < 0 || (size_t)n >= sizeof(p->root))
			return -ENAMETOOLONG;
		n = fs_mkdir_p(p->root, 0700, 0555);
	} else {
		snprintf(p->root, sizeof(p->root), "/run/jail6-datapath.XXXXXX");
		if (!mkdtemp(p->root)) {
			snprintf(p->root, sizeof(p->root), "/tmp/jail6-datapath.XXXXXX");
			if (!mkdtemp(p->root))
				return -errno;
		}
		n = 0;
	}
	if (n == 0 && lstat(p->root, &st) < 0)
		n = -errno;
	if (n == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022)))
		n = -EPERM;
	if (n == 0 && !(d = opendir(p->root)))
		n = -errno;
	if (n == 0) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				n = -ENOTEMPTY;
		closedir(d);
	}
	if (n < 0)
		dp_log(o, "the datapath's empty root %s: %s%s", p->root, strerror(-n),
		       n == -EPERM ? " (it must be a directory of root's that only root may write to)" : "");
	return n;
}

/* Start a datapath process: fork, the control channel on its fd 3, exec
 * jail6-datapath with the settings, an empty environment (the test build
 * passes its eBPF hook on) and no blocked signal; our death stops it. */
pid_t parent_spawn(struct parent *p, bool create_tun)
{
	const struct tunnel_opts *o = p->o;
	char remote[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN] = "auto", ttl[16], mtu[16], ka[16], restarts[16];
	char uid[24], gid[24], addr[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN], via[INET_ADDRSTRLEN];
	char *argv[48], *envp[2] = { NULL, NULL };
	char envbuf[64];
	const char *hook = testhook_env("JAIL6_TEST_EBPF_DECAP");
	struct ctl_msg m = { .type = CTL_CARRY };
	pid_t parent = getpid(), pid;
	int n = 0, sv[2];
	sigset_t none;

	inet_ntop(AF_INET, o->remote.bytes, remote, sizeof(remote));
	if (!o->local_auto)
		inet_ntop(AF_INET, o->local.bytes, local, sizeof(local));
	snprintf(ttl, sizeof(ttl), "%d", o->ttl);
	snprintf(mtu, sizeof(mtu), "%d", o->mtu);
	snprintf(restarts, sizeof(restarts), "%u", p->restarts);
	snprintf(uid, sizeof(uid), "%ld", (long)p->uid);
	snprintf(gid, sizeof(gid), "%ld", (long)p->gid);
	argv[n++] = "jail6-datapath";
	argv[n++] = "--name";
	argv[n++] = (char *)o->name;
	argv[n++] = "--remote";
	argv[n++] = remote;
	argv[n++] = "--local";
	argv[n++] = local;
	argv[n++] = "--ttl";
	argv[n++] = ttl;
	argv[n++] = "--mtu";
	argv[n++] = mtu;
	if (o->has_address) {
		argv[n++] = "--address";
		argv[n++] = (char *)inet_ntop(AF_INET6, o->address.bytes, addr, sizeof(addr));
	}
	if (o->ebpf)
		argv[n++] = o->ebpf_or_userspace ? "--ebpf-or-userspace" : "--ebpf";
	if (o->keepalive) {
		snprintf(ka, sizeof(ka), "%d", o->keepalive);
		argv[n++] = "--keepalive";
		argv[n++] = ka;
		argv[n++] = "--peer";
		argv[n++] = (char *)inet_ntop(AF_INET6, o->peer.bytes, peer, sizeof(peer));
	}
	if (o->has_via) {
		argv[n++] = "--via";
		argv[n++] = (char *)inet_ntop(AF_INET, o->via.bytes, via, sizeof(via));
	}
	if (create_tun)
		argv[n++] = "--create-tun";
	argv[n++] = "--restarts";
	argv[n++] = restarts;
	argv[n++] = "--ctl-fd";
	argv[n++] = "3";
	argv[n++] = "--uid";
	argv[n++] = uid;
	argv[n++] = "--gid";
	argv[n++] = gid;
	argv[n++] = "--root";
	argv[n++] = p->root;
	argv[n] = NULL;
	if (hook) {
		snprintf(envbuf, sizeof(envbuf), "JAIL6_TEST_EBPF_DECAP=%s", hook);
		envp[0] = envbuf;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* what the previous process counted, and where its filters were */
	if (p->has_last) {
		m.arg[0] = 1;
		m.s = p->last;
	}
	if (ctl_send(sv[0], &m, -1) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid != 0) {
		close(sv[1]);
		if (pid < 0) {
			close(sv[0]);
			return -1;
		}
		p->ctl = sv[0];
		fcntl(p->ctl, F_SETFL, O_NONBLOCK);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	if (sv[1] != 3) {
		if (dup2(sv[1], 3) < 0)
			_exit(127);
	} else {
		fcntl(3, F_SETFD, 0);
	}
	syscall(SYS_close_range, 4U, ~0U, 0U);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(p->exe, argv, envp);
	fprintf(stderr, "jail6 tunnel %s: exec %s: %s\n", o->name, p->exe, strerror(errno));
	_exit(127);
}

/* Reap a finished `jail6 tunnel restore` (w, its status st). */
void parent_restore_reaped(struct parent *p, int st)
{
	p->restore_pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		dp_log(p->o, "jail6 tunnel restore %s failed (%s %d; its message is above); trying again while held",
		       p->o->name, WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Run `jail6 -s STATE ... tunnel restore NAME --remote R --via G` (this
 * very binary), one at a time, at most every RESTORE_MIN_MS. */
void parent_restore_start(struct parent *p)
{
	const struct tunnel_opts *o = p->o;
	char remote[INET_ADDRSTRLEN], via[INET_ADDRSTRLEN];
	char *argv[24];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t none, def;
	uint64_t t = dp_now_ms();
	pid_t pid;
	int n = 0, r;

	if (p->restore_pid > 0 || !o->state_dir || !o->has_via || (p->restore_ms && t - p->restore_ms < RESTORE_MIN_MS))
		return;
	p->restore_ms = t;
	inet_ntop(AF_INET, o->remote.bytes, remote, sizeof(remote));
	inet_ntop(AF_INET, o->via.bytes, via, sizeof(via));
	argv[n++] = "jail6";
	argv[n++] = "-s";
	argv[n++] = (char *)o->state_dir;
	if (o->host_netns) {
		argv[n++] = "--host-netns";
		argv[n++] = (char *)o->host_netns;
	}
	if (o->runtime_dir) {
		argv[n++] = "--runtime-dir";
		argv[n++] = (char *)o->runtime_dir;
	}
	argv[n++] = "--lock-timeout";
	argv[n++] = RESTORE_LOCK_S;
	argv[n++] = "tunnel";
	argv[n++] = "restore";
	argv[n++] = (char *)o->name;
	argv[n++] = "--remote";
	argv[n++] = remote;
	argv[n++] = "--via";
	argv[n++] = via;
	argv[n] = NULL;
	/* the parent blocks its signals (signalfd) and ignores SIGPIPE: the
	 * child gets neither */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&sa);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setsigdefault(&sa, &def);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&pid, "/proc/self/exe", &fa, &sa, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (r) {
		dp_log(o, "start jail6 tunnel restore: %s", strerror(r));
		return;
	}
	p->restore_pid = pid;
	dp_log(o, "%s is on-link again: jail6 tunnel restore (pid %ld) puts the host route to %s back", via, (long)pid,
	       remote);
}

/* Stop a running restore (at exit): SIGTERM, then SIGKILL. */
void parent_restore_stop(struct parent *p)
{
	uint64_t until = dp_now_ms() + RESTORE_STOP_MS;
	pid_t w = 0;

	if (p->restore_pid <= 0)
		return;
	/* our child, not reaped yet: the pid is its */
	kill(p->restore_pid, SIGTERM);
	while ((w = waitpid(p->restore_pid, NULL, WNOHANG)) == 0 && dp_now_ms() < until)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	if (w == 0) {
		kill(p->restore_pid, SIGKILL);
		waitpid(p->restore_pid, NULL, 0);
	}
	p->restore_pid = 0;
}

