/*
 * Destroying a jail: every process still in one of its namespaces gets
 * SIGTERM, then SIGKILL after JAIL_TERM_TIMEOUT_MS; then its namespace
 * binds are unmounted and removed.
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

#include "model/model.h"
#include "os/linux/jail.h"
#include "os/linux/netns.h"
#include "os/linux/jail_int.h"
/* Identify the namespace bound at path, if it is one. */
static void ns_id_of(const char *path, struct ns_id *id)
{
	struct stat st;

	id->set = netns_is_nsfs(path) == 1 && stat(path, &st) == 0;
	if (id->set) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* 1 if process pid is in any of the n namespaces ids (by /proc/PID/ns/). */
static int pid_in_jail(int procfd, long pid, const struct ns_id *ids, size_t n)
{
	static const char *const kinds[] = { "net", "uts", "mnt" };
	char rel[64];
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		if (!ids[i].set)
			continue;
		snprintf(rel, sizeof(rel), "%ld/ns/%s", pid, kinds[i]);
		if (fstatat(procfd, rel, &st, 0) == 0 &&
		    st.st_dev == ids[i].dev && st.st_ino == ids[i].ino)
			return 1;
	}
	return 0;
}

/* Send sig (0: only count) to every process in the jail; the count, or -errno. */
static int signal_jail(const struct ns_id ids[3], int sig)
{
	struct dirent *de;
	int procfd, count = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	procfd = dirfd(d);
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		/* most processes are not the jail's: no pidfd for them (with
		 * many jails, one per process per jail destroyed adds up) */
		if (!pid_in_jail(procfd, pid, ids, 3))
			continue;
		/* A pidfd taken before the membership check pins the process:
		 * if it exits and its pid is reused, the signal goes nowhere. */
		int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (pfd < 0 && errno != ENOSYS)
			continue;
		if (pid_in_jail(procfd, pid, ids, 3)) {
			count++;
			if (pfd >= 0)
				syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
			else
				kill((pid_t)pid, sig);
		}
		if (pfd >= 0)
			close(pfd);
	}
	closedir(d);
	return count;
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM the jail's processes, SIGKILL what is left after the timeout;
 * 0 once none is left, -EBUSY if some survive a second more. */
static int kill_jail(const struct ns_id ids[3])
{
	const struct timespec tick = { 0, 20 * 1000000L };
	long long start = now_ms();
	int n = signal_jail(ids, SIGTERM);

	while (n > 0) {
		long long elapsed = now_ms() - start;

		if (elapsed > JAIL_TERM_TIMEOUT_MS + 1000)
			return -EBUSY;
		nanosleep(&tick, NULL);
		n = signal_jail(ids, elapsed >= JAIL_TERM_TIMEOUT_MS ? SIGKILL : 0);
	}
	return n;
}

int jail_destroy(const char *runtime_dir, const char *run_dir, const char *name, char *err, size_t errlen)
{
	struct ns_id ids[3];
	struct jail_paths p;
	struct stat st;
	int r, kr;

	jail_set_err(err, errlen, "%s", "");
	r = jail_paths_init(&p, runtime_dir, run_dir, name);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: invalid jail name or runtime directory", name ? name : "");
		return r;
	}
	if (lstat(p.netns, &st) < 0 && !jail_extras_present(&p)) {
		jail_set_err(err, errlen, "%s: no such jail", name);
		return -ENOENT;
	}
	ns_id_of(p.netns, &ids[0]);
	ns_id_of(p.uts, &ids[1]);
	ns_id_of(p.mnt, &ids[2]);
	kr = kill_jail(ids);
	if (kr < 0)
		jail_set_err(err, errlen, "%s: processes survived SIGKILL: %s", name, strerror(-kr));

	r = jail_clear_state(&p);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: remove %s: %s", name, p.dir[0] ? p.dir : p.uts, strerror(-r));
		netns_unbind(p.netns);
		return r;
	}
	r = netns_unbind(p.netns);
	if (r < 0 && r != -ENOENT) {
		jail_set_err(err, errlen, "%s: remove %s: %s", name, p.netns, strerror(-r));
		return r;
	}
	return kr < 0 ? kr : 0;
}
