/* Internals shared by lxc.c (start), lxc_run.c (exec, state, stop),
 * lxc_record.c (the record; the start's child half) and jail6-start. */
#ifndef JAIL6_OS_LINUX_LXC_INT_H
#define JAIL6_OS_LINUX_LXC_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What U/lxc/NAME/jail6 records of a started container. */
#define LXCJ_MAX_CGROUPS 8
struct lxcj_record {
	pid_t init_pid;
	unsigned long long start_time;     /* /proc/PID/stat field 22 */
	unsigned stop_timeout;             /* seconds */
	char cgroups[LXCJ_MAX_CGROUPS][256]; /* the payload's cgroup paths, "" = unused */
};

/* buf = U/lxc, or U/lxc/NAME[/file] when name (and file) are given. */
int lxcj_path(char *buf, size_t len, const char *run_dir, const char *name, const char *file);

/* Write or read U/lxc/NAME/jail6; 0 or -errno. */
int lxcj_record_write(const char *run_dir, const char *name, const struct lxcj_record *r);
int lxcj_record_read(const char *run_dir, const char *name, struct lxcj_record *r);

/* Field 22 of /proc/PID/stat (the start time in ticks), 0 if gone. */
unsigned long long lxcj_proc_start_time(pid_t pid);

/* The first ERROR line of U/lxc/NAME/lxc.log into buf ("" if none). */
void lxcj_log_error(const char *run_dir, const char *name, char *buf, size_t len);

/* Start the container NAME from the configuration saved in U/lxc/NAME
 * (liblxc daemonizes its monitor and waits until it runs), then write its
 * record. What jail6-start runs, in a child that exits after it. 0 or
 * -errno with a message naming the jail in err. */
int lxcj_start_saved(const char *run_dir, const char *name, unsigned stop_timeout, char *err, size_t errlen);

/* Where cgroup controller ctrl is, from the text of /proc/cgroups and of
 * the v2 hierarchy's cgroup.controllers: 1 on a v1 hierarchy, 2 on the v2
 * one, 0 absent or disabled. */
int lxcj_controller_version(const char *proc_cgroups, const char *unified, const char *ctrl);

/* Remove the container's cgroups (every hierarchy; r NULL: as recorded,
 * and liblxc's default names) and, unless LXCJ_KEEP_DIR, U/lxc/NAME. With
 * LXCJ_WAIT, give a monitor on its way out up to 2 s to leave its cgroup
 * (only where the container is known to be ours and ending: a jail of the
 * same name in another instance keeps its cgroups busy for good). */
#define LXCJ_KEEP_DIR 1u
#define LXCJ_WAIT     2u
int lxcj_cleanup(const char *run_dir, const char *name, const struct lxcj_record *r, unsigned flags);

/* lxc_host.c: the host's side of a start. */

/* The path of jail6-start (src/starter), found as lxcj_init_path finds
 * jail6-init; NULL when there is none. */
const char *lxcj_starter_path(void);

/* A request to jail6-start, a SOCK_SEQPACKET message on its descriptor
 * LXCJ_STARTER_FD, with the write end of a pipe (SCM_RIGHTS) on which the
 * child starting the jail reports: an int, 0 or -errno, then a message. */
#define LXCJ_STARTER_FD 3
struct lxcj_start_req {
	char run_dir[PATH_MAX];
	char name[64];
	unsigned stop_timeout;
};

/*
 * The report of a child that started or stopped a jail (jail6-start's, or
 * the one lxcj_stop_begin forks), on a pipe: r (0 or -errno) then msg, in
 * one write of at most PIPE_BUF bytes, so that it arrives whole.
 * lxcj_report_write returns what the child exits with (0 when r was 0 and
 * the write went through, else 1). lxcj_report_read reads it (EINTR
 * retried): 0 with *r and msg (NUL-terminated, msglen > sizeof(int)) set,
 * or -EIO when the pipe closed first (the child died).
 */
int lxcj_report_write(int fd, int r, const char *msg);
int lxcj_report_read(int fd, int *r, char *msg, size_t msglen);

/* 1 if a directory on the way to path (path's parent and up) lacks o+x:
 * the jail's mapped root is "others" on the host; bad gets its name. */
int lxcj_unsearchable(const char *path, char *bad, size_t len);

/* Whether file (/etc/subuid, /etc/subgid) delegates [base, base+count)
 * to root: newuidmap, when installed, checks it even for root. */
bool lxcj_delegated(const char *file, uint32_t base, uint32_t count);
bool lxcj_have_newuidmap(void);

/* Add o+x to dir when it is root's and lacks it; 0 or -errno. */
int lxcj_open_search(const char *dir);

/* buf = dirname(path); -EINVAL for "/" or a relative path. */
int lxcj_parent_of(const char *path, char *buf, size_t len);

/* Whether /sys/fs/cgroup is the v2 hierarchy (not a hybrid or v1 host). */
bool lxcj_cgroup_v2(void);

/* Where controller ctrl is on this host: 1, 2 or 0 as lxcj_controller_version. */
int lxcj_controller_of(const char *ctrl);

/* Copy jail6-init (src) to DIR/jail6-init (0755) unless an identical copy
 * is there; *out is its path; 0 or -errno. */
int lxcj_stage_init(const char *src, const char *dir, char *out, size_t len);

#endif
