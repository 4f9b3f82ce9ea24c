/*
 * The datapath's parent, `jail6 tunnel run`: in the foreground (a unit's
 * main process, jail6-datapath@.service) it waits on one datapath process;
 * with --supervise it is a daemon that keeps one running, restarting it
 * when it dies, until SIGTERM or SIGINT.
 *
 * The datapath is jail6-datapath (src/datapath/main.c), which gives up
 * every privilege once set up (privdrop.c). What needs privilege after
 * that is done here, at its request over the control channel (ctl.h):
 * `jail6 tunnel restore` when via is back, and moving the eBPF
 * decapsulator to a new underlay; and when it is gone, removing its tc
 * filters (tunnel_ebpf_cleanup). The parent also writes the stats file
 * with what the child sends (stats.c: the one writer, with jansson) and
 * tells a service manager READY=1 and WATCHDOG=1 with them (util/notify.h:
 * NotifyAccess=main still holds, as this is the unit's main process).
 *
 * The parent stays root: it starts the datapath again after a crash, which
 * needs what the datapath needs to set up (CAP_NET_ADMIN for the TUN device
 * and the tc filters, CAP_NET_RAW, CAP_BPF and CAP_PERFMON for the
 * programs, CAP_SYS_CHROOT, CAP_SETUID, CAP_SETGID and CAP_SETPCAP for the
 * drop, CAP_SYS_ADMIN to enter a named host namespace), and the restore it
 * runs changes routes and writes the store, root's files. It parses no
 * packet: what it reads from the child is fixed-size and checked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tunnel/ctl.h"
#include "tunnel/dp_int.h"
#include "tunnel/ebpf.h"
#include "tunnel/parent.h"
#include "util/fs.h"
#include "util/notify.h"
#include "util/proc.h"

#define STOP_GRACE_MS   3000                /* SIGTERM, then SIGKILL */
#define RESTART_WINDOW_MS 10000
#define RESTART_QUICK   5                   /* restarts allowed in the window ... */
#define RESTART_SLOW_MS 1000                /* ... then one per second */
#define READY_MS        4000                /* supervise returns once the datapath is up, or by then */

/* Tell the caller of tunnel_supervise the supervisor runs (once). */
static void ready_tell(struct parent *p)
{
	int r = 0;

	if (p->ready_fd < 0)
		return;
	while (write(p->ready_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	close(p->ready_fd);
	p->ready_fd = -1;
}

/* Stats from the child: checked, kept, written, and told to a service
 * manager (READY=1 the first time, WATCHDOG=1 after). */
static void on_stats(struct parent *p, struct tunnel_stats *s)
{
	int r;

	ctl_stats_sanitize(s, p->o->name, p->child);
	s->restarts = p->restarts;
	/* the filters it reports, which this parent removes once it is gone:
	 * only ones of this tunnel (their handle is its TUN device's ifindex) */
	if (s->tc.handle && (!p->tun_ifindex || s->tc.handle != (uint32_t)p->tun_ifindex || s->tc.tun != p->tun_ifindex))
		memset(&s->tc, 0, sizeof(s->tc));
	p->last = *s;
	p->has_last = true;
	if (p->notify_fd >= 0 &&
	    notify_send(p->notify_fd, p->notified_ready ? "WATCHDOG=1" : "READY=1\nSTATUS=datapath up") == 0)
		p->notified_ready = true;
	if (p->o->stats && (r = tunnel_stats_write(p->o->stats, s)) < 0)
		dp_log(p->o, "write stats %s: %s", p->o->stats, strerror(-r));
	ready_tell(p);
}

/* A tc change the child asks for (CTL_TC): only the decapsulator it
 * passed, only with the handle of its own TUN device (its filters'),
 * only on an ingress hook. */
static void on_tc(struct parent *p, const struct ctl_msg *m)
{
	struct ctl_msg a = { .type = CTL_TC_DONE };
	int handle = p->tun_ifindex;
	bool created = false;
	int r;

	if (m->arg[1] <= 0 || handle <= 0 || m->arg[2] != handle)
		r = -EPERM;
	else if (m->arg[0] == 1)
		r = p->decap_fd < 0 ? -EBADF : tunnel_ebpf_decap_attach(m->arg[1], p->decap_fd, (uint32_t)handle, &created);
	else
		r = tunnel_ebpf_decap_detach(m->arg[1], (uint32_t)handle, m->arg[3] != 0);
	a.arg[0] = r;
	a.arg[1] = created;
	if (r < 0)
		dp_log(p->o, "%s the decapsulator on ifindex %d for the datapath: %s", m->arg[0] == 1 ? "attach" : "detach",
		       (int)m->arg[1], strerror(-r));
	else if (m->arg[0] == 1)
		dp_log(p->o, "the decapsulator attached to the ingress of ifindex %d for the datapath", (int)m->arg[1]);
	ctl_send(p->ctl, &a, -1);
}

/* Read what the child sent (bounded); false when its end is closed. */
static bool on_ctl(struct parent *p)
{
	for (int i = 0; i < 64; i++) {
		struct ctl_msg m;
		int fd = -1, r = ctl_recv(p->ctl, &m, &fd);

		if (r == -EAGAIN)
			return true;
		if (r == -EBADMSG)
			continue;
		if (r < 0)
			return false;
		/* the TUN device's ifindex, once it exists (the child may
		 * have made it): what the child's tc requests must name */
		if (!p->tun_ifindex)
			p->tun_ifindex = (int)if_nametoindex(p->o->name);
		switch (m.type) {
		case CTL_STATS: on_stats(p, &m.s); break;
		case CTL_RESTORE: parent_restore_start(p); break;
		case CTL_DECAP_PROG:
			if (fd >= 0) {
				if (p->decap_fd >= 0)
					close(p->decap_fd);
				p->decap_fd = fd;
				fd = -1;
			}
			break;
		case CTL_TC: on_tc(p, &m); break;
		default: break;
		}
		if (fd >= 0)
			close(fd);
	}
	return true;
}

/* After the child is gone: its last words, then the eBPF filters it left
 * (it may not remove them itself), the channel closed. */
static void child_gone(struct parent *p)
{
	if (p->ctl >= 0) {
		on_ctl(p);
		close(p->ctl);
		p->ctl = -1;
	}
	if (p->decap_fd >= 0) {
		close(p->decap_fd);
		p->decap_fd = -1;
	}
	if (p->has_last && !strcmp(p->last.datapath, "ebpf") && p->last.tc.handle) {
		if (tunnel_ebpf_cleanup(&p->last.tc) < 0)
			dp_log(p->o, "remove the eBPF datapath's tc filters: some were left attached");
		memset(&p->last.tc, 0, sizeof(p->last.tc));
		if (p->o->stats)
			tunnel_stats_write(p->o->stats, &p->last);
	}
	/* (a TUN device made again has another ifindex) */
	p->tun_ifindex = 0;
	p->child = -1;
}

/* How a child ended, for the log. */
static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended (status %#x)", (unsigned)st);
}

/* Stop the child: our end of the channel shut down for writing (which it
 * takes as SIGTERM: a parent without CAP_KILL may not signal it) and
 * SIGTERM, up to STOP_GRACE_MS, then SIGKILL. Its status in *st. */
static void stop_child(struct parent *p, int *st)
{
	uint64_t until = dp_now_ms() + STOP_GRACE_MS;

	*st = 0;
	if (p->child <= 0)
		return;
	if (p->ctl >= 0)
		shutdown(p->ctl, SHUT_WR);
	kill(p->child, SIGTERM);
	while (dp_now_ms() < until) {
		if (waitpid(p->child, st, WNOHANG) == p->child) {
			child_gone(p);
			return;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	dp_log(p->o, "datapath %ld ignored SIGTERM for %d ms: SIGKILL", (long)p->child, STOP_GRACE_MS);
	kill(p->child, SIGKILL);
	waitpid(p->child, st, 0);
	child_gone(p);
}

/* When the next restart may happen: at once, unless RESTART_QUICK starts
 * fell within the window, then RESTART_SLOW_MS after this exit. */
static uint64_t restart_at(uint64_t *starts, uint64_t t)
{
	uint64_t oldest = starts[0];

	for (int i = 1; i < RESTART_QUICK; i++)
		if (starts[i] < oldest)
			oldest = starts[i];
	if (oldest && t - oldest < RESTART_WINDOW_MS)
		return t + RESTART_SLOW_MS;
	return t;
}

/*
 * The parent's loop: keep one datapath process running (supervise: start
 * it again when it ends) until SIGTERM or SIGINT. Without supervise it
 * returns when the child ends: 0 when it ended well, -ECHILD when not.
 */
static int parent_loop(struct parent *p, bool supervise, bool create_tun)
{
	uint64_t starts[RESTART_QUICK] = { 0 }, next_start = 0;
	unsigned nstart = 0;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = p->sig_fd, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
		uint64_t t = dp_now_ms();
		int timeout = -1, st;

		if (p->child < 0 && t >= next_start) {
			p->child = parent_spawn(p, create_tun);
			if (p->child < 0) {
				dp_log(p->o, "start the datapath: %s", strerror(errno));
				if (!supervise)
					return -errno;
				next_start = t + RESTART_SLOW_MS;
			} else {
				starts[nstart++ % RESTART_QUICK] = t;
			}
		}
		if (p->child < 0)
			timeout = next_start > t ? (int)(next_start - t) : 0;
		if (p->restore_pid > 0 && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (p->ready_fd >= 0 && t >= p->ready_by)
			ready_tell(p);
		else if (p->ready_fd >= 0 && (timeout < 0 || (uint64_t)timeout > p->ready_by - t))
			timeout = (int)(p->ready_by - t);
		pfd[1].fd = p->ctl;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			dp_log(p->o, "poll: %s", strerror(errno));
			stop_child(p, &st);
			return -EIO;
		}
		/* its end closed (it is exiting, or shut it): read what is
		 * left, then stop polling it, or the poll would spin */
		if (pfd[1].revents && !on_ctl(p)) {
			close(p->ctl);
			p->ctl = -1;
		}
		for (int i = 0; i < 16; i++) {
			struct signalfd_siginfo si;

			if (read(p->sig_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				break;
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				dp_log(p->o, "signal %u: stopping the datapath", si.ssi_signo);
				stop_child(p, &st);
				return 0;
			}
			/* by the channel: no signal to another uid */
			if (si.ssi_signo == SIGHUP && p->ctl >= 0) {
				struct ctl_msg m = { .type = CTL_HUP };
				ctl_send(p->ctl, &m, -1);
			}
		}
		/* (SIGCHLD wakes the poll; the reaping is done on each turn) */
		for (pid_t w; (w = waitpid(-1, &st, WNOHANG)) > 0;) {
			char how[96];

			if (w == p->restore_pid) {
				parent_restore_reaped(p, st);
				continue;
			}
			if (w != p->child)
				continue;
			describe_status(st, how, sizeof(how));
			child_gone(p);
			ready_tell(p);
			if (!supervise) {
				dp_log(p->o, "datapath %ld %s", (long)w, how);
				return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
			}
			p->restarts++;
			next_start = restart_at(starts, dp_now_ms());
			dp_log(p->o, "datapath %ld %s; restart %u %s", (long)w, how, p->restarts,
			       next_start > dp_now_ms() ? "in 1 s (restarting too often)" : "now");
		}
	}
}

/* Block the parent's signals and return a signalfd for them. */
static int parent_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* What the parent needs before its first child: the program, the user,
 * the empty root, the host namespace (the tc filters it removes are
 * there), the previous stats (a restart's counters carry over). */
static int parent_init(struct parent *p, const struct tunnel_opts *o)
{
	const char *why;
	int r;

	memset(p, 0, sizeof(*p));
	p->o = o;
	p->child = -1;
	p->ctl = p->decap_fd = p->notify_fd = p->sig_fd = p->ready_fd = -1;
	if ((r = tunnel_user(o->user, &p->uid, &p->gid, &why)) < 0) {
		dp_log(o, "the datapath's user %s: %s", o->user ? o->user : TUNNEL_USER_DEFAULT, why);
		return r;
	}
	if ((r = parent_find_exe(p)) < 0 || (r = parent_root_make(p)) < 0)
		return r;
	if (o->stats && tunnel_stats_read(o->stats, &p->last) == 0 && !strcmp(p->last.name, o->name))
		p->has_last = true;
	return 0;
}

static void parent_free(struct parent *p)
{
	parent_restore_stop(p);
	/* the datapath's root, once no datapath is left in it */
	if (p->root[0] && p->child < 0)
		rmdir(p->root);
	if (p->ctl >= 0)
		close(p->ctl);
	if (p->decap_fd >= 0)
		close(p->decap_fd);
	if (p->sig_fd >= 0)
		close(p->sig_fd);
	if (p->notify_fd >= 0) {
		if (p->notified_ready)
			notify_send(p->notify_fd, "STOPPING=1");
		close(p->notify_fd);
	}
}

int tunnel_run(const struct tunnel_opts *o, bool create_tun, unsigned restarts)
{
	struct parent p;
	const char *why;
	int r;

	if (tunnel_opts_check(o, &why) < 0) {
		dp_log(o, "%s", why);
		return -EINVAL;
	}
	if ((r = parent_init(&p, o)) < 0)
		goto out;
	p.restarts = restarts;
	/* a foreground run's first process counts from zero */
	p.has_last = false;
	if ((r = parent_signals()) < 0)
		goto out;
	p.sig_fd = r;
	/* under a Type=notify unit: READY=1 with the child's first stats
	 * (the datapath is up), WATCHDOG=1 with each after */
	if (o->notify && (r = notify_open()) < -1)
		dp_log(o, "$NOTIFY_SOCKET: %s; the service manager is not told", strerror(-r));
	else if (o->notify)
		p.notify_fd = r;
	if ((r = dp_enter_netns(o)) < 0)
		goto out;
	r = parent_loop(&p, false, create_tun);
out:
	parent_free(&p);
	return r;
}

/* Create the directory holding path (and its parents) if missing. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return fs_mkdir_p(dir, 0755, 0755);
}

/* The daemon side of tunnel_supervise(); never returns. */
static _Noreturn void supervisor_main(const struct tunnel_opts *o, int ready_fd)
{
	struct proc_id self;
	struct parent p;
	int fd, r = 0, code;

	setsid();
	if (chdir("/") < 0)
		r = -errno;
	umask(022);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = open(o->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	if ((r = parent_init(&p, o)) < 0)
		goto fail;
	if ((r = parent_signals()) < 0)
		goto fail;
	p.sig_fd = r;
	if ((r = dp_enter_netns(o)) < 0)
		goto fail;
	r = proc_of(getpid(), &self);
	if (r == 0)
		r = proc_pidfile_write(o->pidfile, &self);
	if (r < 0) {
		dp_log(o, "write pidfile %s: %s", o->pidfile, strerror(-r));
		goto fail;
	}
	dp_log(o, "supervisor started");
	/* the caller hears once the first datapath is up */
	p.ready_fd = ready_fd;
	p.ready_by = dp_now_ms() + READY_MS;
	code = parent_loop(&p, true, false) < 0 ? 1 : 0;
	parent_free(&p);
	if (proc_pidfile_live(o->pidfile) == getpid() || proc_pidfile_live(o->pidfile) == 0)
		unlink(o->pidfile);
	dp_log(o, "supervisor stopped");
	_exit(code);
fail:
	while (write(ready_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	_exit(1);
}

int tunnel_supervise(const struct tunnel_opts *o)
{
	int ready[2], err = 0, r;
	const char *why;
	pid_t pid;

	if (tunnel_opts_check(o, &why) < 0 || !o->pidfile || !o->log)
		return -EINVAL;
	if (proc_pidfile_live(o->pidfile) > 0)
		return -EEXIST;
	if ((r = make_parent(o->pidfile)) < 0 || (r = make_parent(o->log)) < 0 ||
	    (o->stats && (r = make_parent(o->stats)) < 0))
		return r;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(ready[0]);
		close(ready[1]);
		return r;
	}
	if (pid == 0) {
		close(ready[0]);
		supervisor_main(o, ready[1]);
	}
	close(ready[1]);
	/* wait (bounded) for the daemon's word: 0 once its pidfile exists
	 * and its datapath is up (or READY_MS passed) */
	struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
	r = poll(&pfd, 1, READY_MS + 5000);
	if (r > 0 && read(ready[0], &err, sizeof(err)) == (ssize_t)sizeof(err))
		r = err;
	else
		r = r == 0 ? -ETIMEDOUT : -ECHILD;
	close(ready[0]);
	/* the daemon lives on in its own session; if it failed, it is gone
	 * and this reaps it */
	if (r < 0)
		waitpid(pid, NULL, 0);
	return r;
}
