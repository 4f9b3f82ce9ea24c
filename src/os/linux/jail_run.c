/*
 * Running a command inside a jail, like jexec(8): a forked child joins the
 * jail's namespaces (and, in a jail with a root, becomes PID 1 of a new PID
 * namespace) and execs; only async-signal-safe calls after the fork.
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
#include <linux/close_range.h>

#include "model/model.h"
#include "os/linux/jail.h"
#include "os/linux/netns.h"
#include "os/linux/jail_int.h"

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
	int out;               /* stdout and stderr go there; -1: keep */
	char *const *envp;     /* the command's environment; NULL: ours */
	bool boundary;         /* only fds 0-2, a new session, envp */
};

extern char **environ;

/* The exec boundary (jail_run_opts): output to out, only descriptors 0-2
 * (the rest close on exec: the report pipe must work until then), a new
 * session (the jail never gets our controlling terminal, and TIOCSTI on it
 * fails), the fixed environment. */
static void boundary(const struct run_fds *fds)
{
	if (!fds->boundary)
		return;
	if (fds->out >= 0 && (dup2(fds->out, 1) < 0 || dup2(fds->out, 2) < 0))
		child_fail(fds->err, STEP_EXEC, errno);
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(fds->err, STEP_EXEC, errno);
	setsid();
}

/* The child of jail_run: join the jail, then exec (or fork PID 1 and wait). */
static _Noreturn void run_child(const struct run_fds *fds, const char *state,
                                char *const argv[])
{
	struct stat st;
	pid_t pid;

	boundary(fds);
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
		if (fds->envp)
			environ = (char **)fds->envp;
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
	if (pid == 0) {
		if (fds->envp)
			environ = (char **)fds->envp;
		run_pid1(fds->err, argv);
	}
	close(fds->err);
	jail_exit_as(pid, 127);
}

_Noreturn void jail_exit_as(pid_t pid, int fail)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(fail);
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

int jail_run_err(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[],
                 int *status, char *err, size_t errlen)
{
	return jail_run_opts(runtime_dir, run_dir, name, argv, NULL, status, err, errlen);
}

int jail_run_opts(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[],
		  const struct jail_run_opts *o, int *status, char *err, size_t errlen)
{
	struct run_fds fds = { -1, -1, -1, -1, -1, NULL, false };
	struct jail_paths p;
	struct step_msg m;
	int pipefd[2] = { -1, -1 };
	int wstatus, r = 0;
	ssize_t got;
	pid_t pid;

	jail_set_err(err, errlen, "%s", "");
	if (!argv || !argv[0] || !status) {
		jail_set_err(err, errlen, "%s: no command to run", name ? name : "");
		return -EINVAL;
	}
	r = jail_paths_init(&p, runtime_dir, run_dir, name);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: invalid jail name or runtime directory", name ? name : "");
		return r;
	}
	fds.net = netns_open(runtime_dir, name);
	if (fds.net < 0) {
		r = fds.net;
		jail_set_err(err, errlen, "%s: %s", name, r == -ENOENT ? "no such jail" : strerror(-r));
		goto cleanup;
	}
	/* every part of the jail, or nothing: a command that ran with the
	 * caller's UTS namespace could rename the caller's host */
	if (run_dir && netns_is_nsfs(p.uts) != 1) {
		r = -ENOENT;
		jail_set_err(err, errlen, "%s: its UTS namespace is missing: an incomplete jail (apply repairs it)",
			     name);
		goto cleanup;
	}
	if (netns_is_nsfs(p.uts) == 1 && (fds.uts = open(p.uts, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: %s: %s", name, p.uts, strerror(-r));
		goto cleanup;
	}
	if (netns_is_nsfs(p.mnt) == 1 && (fds.mnt = open(p.mnt, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: %s: %s", name, p.mnt, strerror(-r));
		goto cleanup;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: pipe: %s", name, strerror(-r));
		goto cleanup;
	}
	fds.err = pipefd[1];
	if (o) {
		fds.boundary = true;
		fds.out = o->out_fd;
		fds.envp = o->envp;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: fork: %s", name, strerror(-r));
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
			jail_set_err(err, errlen, "%s: wait: %s", name, strerror(-r));
			goto cleanup;
		}
	}
	if (got == (ssize_t)sizeof(m)) {
		r = -m.err;
		if (m.step == STEP_EXEC)
			jail_set_err(err, errlen, "%s: exec %s: %s", name, argv[0], strerror(m.err));
		else
			jail_set_err(err, errlen, "%s: %s: %s", name, jail_step_what(m.step), strerror(m.err));
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

int jail_run(const char *runtime_dir, const char *run_dir, const char *name, char *const argv[], int *status)
{
	return jail_run_opts(runtime_dir, run_dir, name, argv, NULL, status, NULL, 0);
}

