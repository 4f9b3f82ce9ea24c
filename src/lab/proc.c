/*
 * Running programs for the lab: posix_spawn of this binary with a bounded
 * wait (and optional capture of its output), and stopping the lab's daemons
 * by pidfile without ever signalling a process that is not the lab's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab.h"
#include "os/linux/netns.h"
#include "plan/action.h"
#include "util/fs.h"
#include "util/proc.h"

extern char **environ;


static bool stopped(const struct lab *l)
{
	return l->stop && *l->stop;
}

void lab_sleep_ms(const struct lab *l, int ms)
{
	long long end = proc_now_ms() + ms;

	/* in slices, so that a signal that sets *l->stop ends the nap soon */
	while (!stopped(l)) {
		long long left = end - proc_now_ms();
		if (left <= 0)
			break;
		if (left > 50)
			left = 50;
		struct timespec ts = { 0, (long)left * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Print "+ jail6 ARG..." for -v, shell-quoted so it can be pasted. */
static void trace(struct lab *l, const char *const *argv)
{
	char q[PATH_MAX + 3];

	if (!l->verbose || !l->out)
		return;
	fputs("+", l->out);
	for (size_t i = 0; argv[i]; i++)
		fprintf(l->out, " %s", action_quote_arg(argv[i], q, sizeof(q)));
	fputc('\n', l->out);
	fflush(l->out);
}

/* Append what the pipe has now (non-blocking) to r->buf; 1 at EOF. */
static int drain(int fd, struct lab_run *r, size_t *used)
{
	char tmp[4096];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;   /* EAGAIN: nothing more for now */
		if (n == 0)
			return 1;
		/* keep the start, drop what does not fit (the buffer is for
		 * messages and small documents) */
		size_t room = r->len > *used + 1 ? r->len - *used - 1 : 0;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(r->buf + *used, tmp, take);
		*used += take;
		r->buf[*used] = '\0';
	}
}

/* Set up the child's stdio: stdin from /dev/null, stdout/stderr as asked. */
static int file_actions(posix_spawn_file_actions_t *fa, const struct lab_run *r, int pipe_w)
{
	int rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);

	if (rc == 0 && r->out == LAB_OUT_NULL) {
		rc = posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
		if (rc == 0)
			rc = posix_spawn_file_actions_adddup2(fa, 1, 2);
	} else if (rc == 0 && r->out == LAB_OUT_CAPTURE) {
		rc = posix_spawn_file_actions_adddup2(fa, pipe_w, 1);
		if (rc == 0)
			rc = posix_spawn_file_actions_adddup2(fa, pipe_w, 2);
	}
	return -rc;
}

/* Kill pid with sig and reap it. */
static void kill_reap(pid_t pid, int sig, int *wstatus)
{
	kill(pid, sig);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
}

int lab_spawn(struct lab *l, struct lab_run *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	bool fa_init = false, at_init = false;
	int pfd[2] = { -1, -1 };
	int rc, wstatus = 0;
	size_t used = 0;
	sigset_t none, def;
	pid_t pid = -1;

	r->status = -1;
	r->timed_out = false;
	if (r->out == LAB_OUT_CAPTURE) {
		if (!r->buf || r->len == 0)
			return -EINVAL;
		r->buf[0] = '\0';
		if (pipe2(pfd, O_CLOEXEC) < 0)
			return -errno;
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	}
	trace(l, r->argv);
	/* what we printed must come before what the child prints */
	if (l->out)
		fflush(l->out);
	fflush(stdout);
	fflush(stderr);

	rc = -posix_spawn_file_actions_init(&fa);
	if (rc < 0)
		goto cleanup;
	fa_init = true;
	rc = file_actions(&fa, r, pfd[1]);
	if (rc < 0)
		goto cleanup;
	rc = -posix_spawnattr_init(&at);
	if (rc < 0)
		goto cleanup;
	at_init = true;
	/* The child starts with no blocked signals and default SIGPIPE even
	 * if we run with other settings. */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	/* Its own process group: ^C on the terminal reaches only us, and we
	 * decide (stop a step of up or test, but let down finish). */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	rc = -posix_spawn(&pid, r->prog ? r->prog : "/proc/self/exe", &fa, &at, (char *const *)r->argv, environ);
	if (rc < 0)
		goto cleanup;
	if (pfd[1] >= 0) {
		close(pfd[1]);
		pfd[1] = -1;
	}

	long long deadline = proc_now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 60000);
	for (;;) {
		pid_t w = waitpid(pid, &wstatus, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = -errno;
			goto cleanup;
		}
		if (r->interruptible && stopped(l)) {
			kill_reap(pid, SIGKILL, &wstatus);
			rc = -EINTR;
			goto cleanup;
		}
		if (proc_now_ms() >= deadline) {
			kill_reap(pid, SIGKILL, &wstatus);
			r->timed_out = true;
			break;
		}
		if (pfd[0] >= 0) {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };
			if (poll(&p, 1, 20) > 0 && drain(pfd[0], r, &used) == 1) {
				/* EOF: only the exit is left to wait for */
				close(pfd[0]);
				pfd[0] = -1;
			}
		} else {
			struct timespec ts = { 0, 5 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	/* A daemon the child started may hold the pipe: take what is there
	 * and stop reading once the child itself is gone. */
	if (pfd[0] >= 0)
		drain(pfd[0], r, &used);
	r->status = WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
	rc = 0;
cleanup:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (at_init)
		posix_spawnattr_destroy(&at);
	for (int i = 0; i < 2; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
	if (rc < 0 && rc != -EINTR)
		snprintf(l->err, sizeof(l->err), "run %s %s: %s", r->argv[0],
			 r->argv[1] ? r->argv[1] : "", strerror(-rc));
	return rc;
}

int lab_run_in(struct lab *l, const char *ns, const char *const *argv, int timeout_ms,
	       char *buf, size_t len)
{
	const char *full[64];
	size_t n = 0;
	struct lab_run r = {
		.argv = full,
		.out = buf ? LAB_OUT_CAPTURE : LAB_OUT_NULL,
		.buf = buf,
		.len = len,
		.timeout_ms = timeout_ms,
		.interruptible = true,
	};
	int rc;

	full[n++] = "jail6-lab";
	full[n++] = "--dir";
	full[n++] = l->dir;
	full[n++] = "exec";
	full[n++] = ns;
	for (size_t i = 0; argv[i]; i++) {
		if (n + 1 >= sizeof(full) / sizeof(full[0]))
			return -E2BIG;
		full[n++] = argv[i];
	}
	full[n] = NULL;
	rc = lab_spawn(l, &r);
	return rc < 0 ? rc : r.status;
}

/* ---- pids */

/* Read /proc/PID/FILE into buf (NUL-terminated): its length, or 0 when it
 * cannot be read or is empty. */
static ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64], *text;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if (fs_read_file(path, len - 1, 0, &text, &n, NULL) < 0)
		return 0;
	memcpy(buf, text, n + 1);
	free(text);
	return (ssize_t)n;
}

/* 1 if /proc/PID/ns/net is the namespace bound at path. */
static int same_netns(pid_t pid, const char *path)
{
	char proc[64];
	struct stat a, b;

	snprintf(proc, sizeof(proc), "/proc/%ld/ns/net", (long)pid);
	if (stat(proc, &a) < 0 || netns_is_nsfs(path) != 1 || stat(path, &b) < 0)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* 1 if one argument of /proc/PID/cmdline is exactly word. */
static int cmdline_has(pid_t pid, const char *word)
{
	char buf[8192];
	size_t wl = strlen(word);
	ssize_t n = proc_read(pid, "cmdline", buf, sizeof(buf));

	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (strlen(p) == wl && memcmp(p, word, wl) == 0)
			return 1;
	return 0;
}

int lab_pid_is_ours(const struct lab *l, pid_t pid)
{
	char **names = NULL;
	size_t n = 0;
	int ours = 0;

	if (pid <= 1 || pid == getpid())
		return 0;
	if (cmdline_has(pid, l->netns_dir))
		return 1;
	if (netns_list(l->netns_dir, &names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n && !ours; i++) {
		char path[PATH_MAX];
		if (netns_path(path, sizeof(path), l->netns_dir, names[i]) == 0)
			ours = same_netns(pid, path);
	}
	netns_list_free(names, n);
	return ours;
}

/* proc_stop's check: the process is the lab's. */
static bool is_ours(pid_t pid, void *arg)
{
	return lab_pid_is_ours(arg, pid) == 1;
}

int lab_pid_stop(const struct lab *l, const struct proc_id *id, int timeout_ms)
{
	return proc_stop(id, timeout_ms, is_ours, (void *)l);
}

int lab_sweep(const struct lab *l, int timeout_ms)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 1 || pid == (long)getpid())
			continue;
		/* only what names the lab's runtime dir: jail6 runs of the lab
		 * (a hung apply, a tunnel supervisor whose pid file is gone) */
		if (!cmdline_has((pid_t)pid, l->netns_dir))
			continue;
		struct proc_id id;
		if (proc_of((pid_t)pid, &id) == 0 && lab_pid_stop(l, &id, timeout_ms) == 0)
			n++;
	}
	closedir(d);
	return n;
}
