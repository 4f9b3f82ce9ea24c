/*
 * The HTTP child gives up everything before it reads a byte from the
 * network: an empty root (chroot into an empty directory), no
 * supplementary groups, its own uid and gid, an empty capability bounding
 * set (so no capability at all once the uid is not 0), no_new_privs, not
 * dumpable, no environment, and last a seccomp allow-list of the system
 * calls an HTTP server on an already open socket needs.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "serve/serve_int.h"
#include "util/drop.h"
#include "util/msg.h"

extern char **environ;

/* Wipe the environment, the strings too: /proc/PID/environ shows the
 * memory they were in, not environ. */
static void clear_env(void)
{
	for (char **e = environ; e && *e; e++)
		explicit_bzero(*e, strlen(*e));
	clearenv();
}

int sandbox_enter(const struct serve_child *c, char *err, size_t len)
{
	struct rlimit none = { 0, 0 };
	const char *step;
	int r;

	clear_env();
	if ((r = drop_to(c->empty_dir, c->uid, c->gid, &step)) < 0)
		return msg_fail(err, len, r, "%s (root %s, uid %u): %s", step, c->empty_dir, c->uid, strerror(-r));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return msg_fail(err, len, -errno, "prctl: %s", strerror(errno));
	/* no new process, whatever seccomp allows (not RLIMIT_FSIZE: stderr
	 * may be a log file, and libmicrohttpd writes its errors there) */
	if (setrlimit(RLIMIT_NPROC, &none) < 0)
		return msg_fail(err, len, -errno, "setrlimit: %s", strerror(errno));
	return 0;
}

/* What the child may call: I/O on the descriptors it has, accepting and
 * polling sockets, memory, time, randomness (TLS), signals' return and
 * exit. No open, no socket, no exec, no fork, no ptrace, no mount. */
static const char *const allowed[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "lseek", "fstat", "newfstatat",
	"accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "sendfile", "shutdown",
	"getsockopt", "setsockopt", "getsockname", "getpeername", "fcntl",
	"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create1",
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getrandom",
	"futex", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack", "restart_syscall",
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "exit", "exit_group", "sched_yield",
};

int sandbox_seccomp(char *err, size_t len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r = 0;

	if (!ctx)
		return msg_fail(err, len, -ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* ioctl only to ask how much a socket holds or make it non-blocking:
	 * never TIOCSTI into a terminal that stderr may be */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? msg_fail(err, len, r, "seccomp: %s", strerror(-r)) : 0;
}
