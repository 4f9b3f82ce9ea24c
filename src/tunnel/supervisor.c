/* `jail6 tunnel run --supervise`: a daemon that keeps one datapath process
 * running, restarting it when it dies, until SIGTERM or SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tunnel/dp_int.h"
#include "util/fs.h"
#include "util/proc.h"

#define STOP_GRACE_MS   3000                /* SIGTERM, then SIGKILL */
#define RESTART_WINDOW_MS 10000
#define RESTART_QUICK   5                   /* restarts allowed in the window ... */
#define RESTART_SLOW_MS 1000                /* ... then one per second */

/* Start a datapath process; its parent's death stops it too. */
static pid_t spawn_datapath(const struct tunnel_opts *o, unsigned restarts, int sig_fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	close(sig_fd);
	_exit(tunnel_run(o, false, restarts) < 0 ? 1 : 0);
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

/* Stop the child: SIGTERM, up to STOP_GRACE_MS, then SIGKILL. */
static void stop_child(const struct tunnel_opts *o, pid_t child)
{
	uint64_t until = dp_now_ms() + STOP_GRACE_MS;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	while (dp_now_ms() < until) {
		if (waitpid(child, NULL, WNOHANG) == child)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	dp_log(o, "datapath %ld ignored SIGTERM for %d ms: SIGKILL", (long)child, STOP_GRACE_MS);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/* The supervisor's loop: keep one datapath process running until SIGTERM
 * or SIGINT. Returns the exit code. */
static int supervise_loop(const struct tunnel_opts *o, int sig_fd)
{
	uint64_t starts[RESTART_QUICK] = { 0 }, next_start = 0;
	unsigned restarts = 0, nstart = 0;
	pid_t child = -1;
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };

	for (;;) {
		uint64_t t = dp_now_ms();
		int timeout = -1;

		if (child < 0 && t >= next_start) {
			child = spawn_datapath(o, restarts, sig_fd);
			if (child < 0) {
				dp_log(o, "fork the datapath: %s", strerror(errno));
				next_start = t + RESTART_SLOW_MS;
			} else {
				starts[nstart++ % RESTART_QUICK] = t;
			}
		}
		if (child < 0)
			timeout = next_start > t ? (int)(next_start - t) : 0;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			dp_log(o, "poll: %s", strerror(errno));
			stop_child(o, child);
			return 1;
		}
		for (int i = 0; i < 16; i++) {
			struct signalfd_siginfo si;
			int st;
			pid_t w;

			if (read(sig_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				break;
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				dp_log(o, "signal %u: stopping the datapath", si.ssi_signo);
				stop_child(o, child);
				return 0;
			}
			/* child is ours and not reaped yet: its pid cannot
			 * name another process */
			if (si.ssi_signo == SIGHUP && child > 0)
				kill(child, SIGHUP);
			if (si.ssi_signo != SIGCHLD)
				continue;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
				char how[96];

				if (w != child)
					continue;
				describe_status(st, how, sizeof(how));
				child = -1;
				restarts++;
				next_start = restart_at(starts, dp_now_ms());
				dp_log(o, "datapath %ld %s; restart %u %s", (long)w, how, restarts,
				       next_start > dp_now_ms() ? "in 1 s (restarting too often)" : "now");
			}
		}
	}
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
	sigset_t set;
	int fd, sig_fd, r = 0, code;

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
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		r = -errno;
		goto fail;
	}
	r = proc_of(getpid(), &self);
	if (r == 0)
		r = proc_pidfile_write(o->pidfile, &self);
	if (r < 0) {
		dp_log(o, "write pidfile %s: %s", o->pidfile, strerror(-r));
		goto fail;
	}
	dp_log(o, "supervisor started");
	while (write(ready_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	close(ready_fd);
	code = supervise_loop(o, sig_fd);
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
	/* wait (bounded) for the daemon's word: 0 once its pidfile exists */
	struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
	r = poll(&pfd, 1, 5000);
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
