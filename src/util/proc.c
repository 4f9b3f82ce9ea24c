/* Pidfiles, liveness and stopping, identified by pid + start time + exe. */
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

#ifndef JAIL6_LIBDIR
#define JAIL6_LIBDIR "/usr/local/lib/jail6"
#endif

long long proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* /proc/PID/stat: the state letter and the start time; -ESRCH when gone. */
static int read_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], *text = NULL, *p;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	r = fs_read_file(path, 4096, 0, &text, &len, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	/* the name in parentheses may hold anything: fields follow the last ')' */
	p = strrchr(text, ')');
	r = -EINVAL;
	if (p && p[1] == ' ' && p[2]) {
		*state = p[2];
		/* p at the space in front of field 4 (field 3 is the state);
		 * step to the one in front of field 22, the start time (not
		 * 23, the virtual size, which changes as the process runs) */
		p += 3;
		for (int f = 4; f < 22 && p; f++)
			p = strchr(p + 1, ' ');
		if (p && sscanf(p, " %llu", start) == 1)
			r = 0;
	}
	free(text);
	return r;
}

/* The executable of pid, without the " (deleted)" of an upgraded binary. */
static int read_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	const char *del = " (deleted)";
	ssize_t n;
	size_t dl = strlen(del);

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	buf[n] = '\0';
	if ((size_t)n > dl && !strcmp(buf + n - dl, del))
		buf[n - dl] = '\0';
	return 0;
}

int proc_of(pid_t pid, struct proc_id *out)
{
	char state;
	int r;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -ESRCH;
	r = read_stat(pid, &state, &out->start);
	if (r < 0)
		return r;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	out->pid = pid;
	/* unreadable (another user's, or a kernel thread): left unknown */
	if (read_exe(pid, out->exe, sizeof(out->exe)) == -ESRCH)
		return -ESRCH;
	return 0;
}

int proc_pidfile_parse(const char *text, struct proc_id *out)
{
	char *end;
	long v;

	memset(out, 0, sizeof(*out));
	while (*text == ' ' || *text == '\t')
		text++;
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || v <= 0 || v > 0x3fffffffL) /* pid_max is at most 2^22 */
		return -EINVAL;
	out->pid = (pid_t)v;
	if (*end == ' ' && end[1] >= '0' && end[1] <= '9') {
		char *e2;
		errno = 0;
		out->start = strtoull(end + 1, &e2, 10);
		if (errno || e2 == end + 1 || *e2 != ' ' || e2[1] != '/')
			return -EINVAL;
		end = e2 + 1;
		size_t n = strcspn(end, "\n");
		if (n >= sizeof(out->exe))
			return -EINVAL;
		memcpy(out->exe, end, n);
		out->exe[n] = '\0';
		end += n;
	}
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	return *end ? -EINVAL : 0;
}

int proc_pidfile_read(const char *path, struct proc_id *out)
{
	char *text;
	size_t len;
	int r = fs_read_file(path, PATH_MAX + 64, FS_READ_REGULAR, &text, &len, NULL);

	if (r < 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	r = proc_pidfile_parse(text, out);
	free(text);
	return r;
}

int proc_pidfile_write(const char *path, const struct proc_id *id)
{
	char buf[PATH_MAX + 64];
	int n;

	if (id->exe[0])
		n = snprintf(buf, sizeof(buf), "%ld %llu %s\n", (long)id->pid, id->start, id->exe);
	else
		n = snprintf(buf, sizeof(buf), "%ld\n", (long)id->pid);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return fs_write_atomic(path, buf, (size_t)n, 0644);
}

bool proc_alive(const struct proc_id *id)
{
	struct proc_id now;

	if (proc_of(id->pid, &now) < 0)
		return false;
	if (id->start && id->start != now.start)
		return false;
	return !id->exe[0] || !strcmp(id->exe, now.exe);
}

pid_t proc_pidfile_live(const char *path)
{
	struct proc_id id;

	/* a pidfile of jail6's carries the identity; one without it (a plain
	 * pid, or one rewritten by someone else) names no process of ours */
	if (proc_pidfile_read(path, &id) < 0 || !id.start || !id.exe[0] || !proc_alive(&id))
		return 0;
	return id.pid;
}

/* Wait up to ms for the pinned process to exit; true when it did. */
static bool wait_gone(const struct proc_id *id, int pidfd, int ms)
{
	long long end = proc_now_ms() + ms;

	while (proc_alive(id)) {
		long long left = end - proc_now_ms();
		if (left <= 0)
			return false;
		/* a pidfd is readable once its process has exited */
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		poll(&p, 1, left > 20 ? 20 : (int)left);
	}
	return true;
}

/* A pidfd for the process id names, checked after it was taken (and, with
 * ours, that ours(pid, arg) accepts it): the fd, -ESRCH or -EPERM. */
static int pin(const struct proc_id *id, bool (*ours)(pid_t pid, void *arg), void *arg)
{
	int pidfd;

	if (!proc_alive(id))
		return -ESRCH;
	/* a bare pid proves nothing: only the caller's own check can */
	if (!id->start && !ours)
		return -EPERM;
	/* pin first, check after: if the process exits and its pid is reused
	 * in between, the check fails and nothing is signalled */
	pidfd = (int)syscall(SYS_pidfd_open, id->pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	if (!proc_alive(id) || (ours && !ours(id->pid, arg))) {
		int r = proc_alive(id) ? -EPERM : -ESRCH;
		close(pidfd);
		return r;
	}
	return pidfd;
}

int proc_signal(const struct proc_id *id, int sig)
{
	int pidfd = pin(id, NULL, NULL), r = 0;

	if (pidfd < 0)
		return pidfd;
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		r = -errno;
	close(pidfd);
	return r;
}

int proc_stop(const struct proc_id *id, int timeout_ms, bool (*ours)(pid_t pid, void *arg), void *arg)
{
	int pidfd = pin(id, ours, arg), r = 0;

	if (pidfd < 0)
		return pidfd;
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!wait_gone(id, pidfd, timeout_ms)) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		if (!wait_gone(id, pidfd, 1000))
			r = -ETIMEDOUT;
	}
	close(pidfd);
	return r;
}

const char *proc_helper_path(const char *name, char *found)
{
	/* build/jail6, build/tests/jail6, PREFIX/sbin/jail6 */
	static const char *const rel[] = { "", "../", "../lib/jail6/" };
	char self[PATH_MAX], cand[PATH_MAX + 64], *slash;
	ssize_t n;

	if (found[0])
		return found;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(cand, sizeof(cand), "%s/%s%s", self, rel[i], name);
				if (access(cand, X_OK) == 0 && realpath(cand, found))
					return found;
			}
		}
	}
	snprintf(cand, sizeof(cand), "%s/%s", JAIL6_LIBDIR, name);
	if (access(cand, X_OK) == 0 && realpath(cand, found))
		return found;
	found[0] = '\0';
	return NULL;
}
