/*
 * Confined jails on Linux: a liblxc system container joined to the jail's
 * network namespace (R/NAME, made by jail.c as for any jail).
 *
 * Layout, for the instance's run directory U (linux_run_dir):
 *   U/lxc                  liblxc's lxcpath
 *   U/lxc/NAME/config      the container's configuration (liblxc's format;
 *                          attach reads its seccomp and no_new_privs back)
 *   U/lxc/NAME/seccomp     the seccomp policy jail6 writes (LXC's text format)
 *   U/lxc/NAME/lxc.log     liblxc's log: its only error report
 *   U/lxc/NAME/jail6       what jail6 needs to stop and clean up without the
 *                          monitor: init pid and start time, stop timeout,
 *                          the container's cgroups
 *
 * The container: a user namespace mapping its ids 0..count-1 to host ids
 * base.. (model_jail.idmap), its own PID, IPC, UTS, mount and cgroup
 * namespaces, the jail's netns shared, no_new_privs, a reduced capability
 * bounding set, seccomp, /proc mounted proc:mixed (/proc/sys read-only),
 * a minimal /dev (autodev), no console, cgroup limits. Its root is the
 * jail's path, or for a jail without one the host's / bound read-only with
 * private tmpfs on /tmp, /run and /var/tmp. PID 1 is model_jail.init, or
 * jail6-init bound (read-only) at /dev/.jail6-init.
 *
 * Functions return 0 or -errno, with a message naming the jail in err.
 */
#ifndef JAIL6_OS_LINUX_LXC_H
#define JAIL6_OS_LINUX_LXC_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct model_jail;

/* Start the container of confined jail j (j->name), joined to the network
 * namespace bound at netns. -EEXIST if it runs already. On failure nothing
 * of the container is left (the netns is the caller's). */
int lxcj_start(const char *run_dir, const struct model_jail *j, const char *netns, char *err, size_t errlen);

/*
 * lxcj_start in two halves, so that several jails start at once: begin
 * checks and saves the container's configuration, then has jail6-start
 * (src/starter) start it in a child of its own, and returns; end waits for
 * that child's report. Every begun start must be ended. A failure of either
 * leaves nothing of the container.
 */
struct lxcj_starting {
	int fd;                /* the report, -1 when none is awaited */
	pid_t pid;             /* lxcj_stop_begin's child, -1 for a start */
	char name[64];         /* the jail */
	char bind[PATH_MAX];   /* where to bind a netns the container made, or "" */
};
int lxcj_start_begin(const char *run_dir, const struct model_jail *j, const char *netns, struct lxcj_starting *s,
		     char *err, size_t errlen);
int lxcj_start_end(const char *run_dir, struct lxcj_starting *s, char *err, size_t errlen);

/* lxcj_stop in two halves, as a start: begin forks a child of ours that
 * stops the container (mostly waiting for it), end waits for that child.
 * Every begun stop must be ended. */
int lxcj_stop_begin(const char *run_dir, const char *name, struct lxcj_starting *s, char *err, size_t errlen);
int lxcj_stop_end(struct lxcj_starting *s, char *err, size_t errlen);

/* Let jail6-start go, once the starts begun are ended (it exits when they
 * are over); the next start spawns it again. */
void lxcj_starter_stop(void);

/* Stop the container NAME: SIGPWR to its init, which has the stop timeout to
 * end the jail's processes, then SIGKILL to what is left (through the
 * monitor, or directly when the monitor is gone); then remove its cgroups
 * and U/lxc/NAME. 0 also when there was nothing to stop. */
int lxcj_stop(const char *run_dir, const char *name, char *err, size_t errlen);

/* Whether jail NAME is confined (U/lxc/NAME exists). */
bool lxcj_present(const char *run_dir, const char *name);

/* 1 if the container runs with a live init (its monitor answers RUNNING),
 * 0 if not, -ENOENT if the jail is not confined. */
int lxcj_running(const char *run_dir, const char *name);

/* What the running container NAME uses of what its limits bound, from the
 * cgroup files (v1 or v2) of the cgroups recorded at its start: *mem in
 * bytes (memory.usage_in_bytes or memory.current), *pids (pids.current).
 * 0, or -ENOENT when neither can be read. */
int lxcj_usage(const char *run_dir, const char *name, unsigned long long *mem, unsigned long long *pids);

/* A command to run in a confined jail. */
struct lxcj_cmd {
	char *const *argv;       /* argv[0] looked up in the jail's PATH */
	char *const *env;        /* extra VAR=value, NULL-terminated, or NULL */
	const char *user;        /* a user of the jail's /etc/passwd, NULL = root */
	int out_fd;              /* stdout and stderr go there; -1 = keep 1 and 2 */
};

/*
 * Run cmd inside the running jail and wait (liblxc attach): every namespace
 * of the jail, its cgroup, capabilities, no_new_privs and seccomp; in a new
 * session (never the caller's controlling terminal), with only descriptors
 * 0-2 and a fixed environment (PATH, HOME, and TERM when stdin is a
 * terminal) plus cmd->env. *status: the exit status, 128+N if killed by
 * signal N; a command that cannot be executed returns 0 with *status 127
 * (not found) or 126 (found, not executable) and the reason ("J: exec
 * PROG: strerror") in err and, with cmd->out_fd, on it. -ENOENT: no such user (or jail), -ESRCH: the jail is not
 * running.
 */
int lxcj_exec(const char *run_dir, const char *name, const struct lxcj_cmd *cmd, int *status,
	      char *err, size_t errlen);

/*
 * The fixed environment of a command run in a jail (jail6 exec, exec.start,
 * exec.stop), into env (n slots, NULL-terminated): PATH, HOME=home, TERM
 * when stdin is a terminal (the command may draw on it; it cannot take it
 * as its controlling terminal), then extra (VAR=value each). buf holds the
 * strings made here. -E2BIG when it does not fit, -EINVAL for an extra
 * that is not VAR=value.
 */
struct lxcj_envbuf {
	char home[PATH_MAX + 8];
	char term[128];
};
int lxcj_env(char **env, size_t n, struct lxcj_envbuf *buf, const char *home, char *const *extra);

/* RUN/log/NAME.log, where exec.start and exec.stop of jail NAME write,
 * opened for appending (made if missing): the fd, or -errno. path gets
 * its name either way. */
int linux_jail_log_open(const char *run_dir, const char *name, char *path, size_t len);

/* The path of jail6-init this jail6 uses, or NULL when none is found
 * (beside the binary, in its ../lib/jail6, or JAIL6_LIBDIR). */
const char *lxcj_init_path(void);

#endif
