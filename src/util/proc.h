/*
 * Processes jail6 starts and must find again later (the tunnel's
 * supervisor, the lab's VPN): one pidfile format, one liveness test, one
 * way to stop them.
 *
 * A pid alone names whatever process holds it now. A record here is the
 * pid, the process's start time (clock ticks after boot, /proc/PID/stat
 * field 22) and its executable: a process that is not the one recorded
 * never matches, even when it reuses the pid. Pidfiles hold
 * "PID START EXE\n"; a plain "PID\n" (written by another program, say
 * openvpn --writepid) is read with start 0 and exe "", which only liveness
 * can check. A zombie counts as gone.
 *
 * Functions return 0 (or the documented value) or -errno.
 */
#ifndef JAIL6_UTIL_PROC_H
#define JAIL6_UTIL_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct proc_id {
	pid_t pid;
	unsigned long long start;  /* 0 = unknown */
	char exe[PATH_MAX];        /* "" = unknown; never ends in " (deleted)" */
};

/* The identity of the live process pid; -ESRCH when there is none or it is
 * a zombie. */
int proc_of(pid_t pid, struct proc_id *out);

/* Parse a pidfile's text; -EINVAL when it is not one. */
int proc_pidfile_parse(const char *text, struct proc_id *out);

/* Read a pidfile; -ENOENT when absent, -EINVAL when it is not one. */
int proc_pidfile_read(const char *path, struct proc_id *out);

/* Write id to path atomically (0644). */
int proc_pidfile_write(const char *path, const struct proc_id *id);

/* Whether id names a running, non-zombie process that is the one recorded
 * (same start time and executable, where the record has them). */
bool proc_alive(const struct proc_id *id);

/* The pid of the live process a pidfile records with its identity, or 0
 * (absent, unreadable, stale, another process now, or a plain pid: not a
 * pidfile jail6 wrote). */
pid_t proc_pidfile_live(const char *path);

/*
 * Stop the process id names: pin it with a pidfd, check that it is still
 * the one recorded (and, when ours is not NULL, that ours(pid, arg) says it
 * is the caller's), SIGTERM it, wait up to timeout_ms, then SIGKILL it and
 * wait up to a second more. Signals go through the pidfd, so they never
 * reach a process that took the pid meanwhile. A record without a start
 * time (a plain pid) is only stopped when ours vouches for it. 0 when it
 * is gone, -ESRCH when it was not running (nothing is signalled), -EPERM
 * when it is not the one recorded or not vouched for (nothing is
 * signalled), -ETIMEDOUT.
 */
int proc_stop(const struct proc_id *id, int timeout_ms, bool (*ours)(pid_t pid, void *arg), void *arg);

/*
 * Send sig to the process id names, through a pidfd taken before checking
 * that it is still the one recorded (so never to a process that took the
 * pid meanwhile). 0 when sent; -ESRCH, and nothing is signalled, when it is
 * not running (gone, a zombie, or its pid is another process's now).
 */
int proc_signal(const struct proc_id *id, int sig);

/* Milliseconds on the monotonic clock. */
long long proc_now_ms(void);

/* The path of jail6's helper program name (jail6-init, jail6-start,
 * jail6-datapath) into found (PATH_MAX bytes): beside this binary, one
 * folder up (the test build's build/tests/jail6 finds build/tests/NAME,
 * then build/NAME), in its ../lib/jail6, or in JAIL6_LIBDIR. A found[]
 * already filled is returned as it is (callers keep it static). NULL
 * (found emptied) when there is none. */
const char *proc_helper_path(const char *name, char *found);

#endif
