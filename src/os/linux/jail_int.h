/* Internals shared by jail.c, jail_destroy.c and jail_run.c. */
#ifndef JAIL6_OS_LINUX_JAIL_INT_H
#define JAIL6_OS_LINUX_JAIL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Steps that can fail inside a child; the child reports one with its errno. */
enum jail_step {
	STEP_HOSTNAME = 1,
	STEP_LOOPBACK,
	STEP_PROPAGATION,
	STEP_BIND_ROOT,
	STEP_CHDIR_ROOT,
	STEP_PIVOT,
	STEP_DETACH_HOST,
	STEP_SETNS_NET,
	STEP_SETNS_UTS,
	STEP_SETNS_MNT,
	STEP_UNSHARE_PID,
	STEP_FORK,
	STEP_UNSHARE_MNT,
	STEP_MOUNT_PROC,
	STEP_CHDIR,
	STEP_EXEC,
};

/* A child's report of a failed step (the same shape as netns.c's). */
struct step_msg {
	int step;
	int err;
};

/* Every path of one jail, computed before any fork. */
struct jail_paths {
	char state[PATH_MAX];  /* RUN/ns (or dirname(R)/jail6/ns) */
	char netns[PATH_MAX];  /* R/NAME */
	char dir[PATH_MAX];    /* "" (or state/NAME in an older layout) */
	char uts[PATH_MAX];    /* state/NAME.uts (or dir/uts) */
	char mnt[PATH_MAX];    /* state/NAME.mnt (or dir/mnt) */
};

/* What the holder child sets up in the jail's fresh namespaces. */
struct jail_setup {
	const char *hostname;
	const char *root;      /* NULL: no mount namespace */
};

/* One namespace of a jail, as stat(2) identifies it. */
struct ns_id {
	bool set;
	dev_t dev;
	ino_t ino;
};

/* Human words for a step, used in error messages. */
const char *jail_step_what(int step);

/* snprintf into err when the caller gave a buffer. */
void jail_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* In a child that runs a command through a child of its own (pid): wait
 * for it and exit with its status as a shell gives it (128+N when signal
 * N killed it), or with fail when the wait fails. */
_Noreturn void jail_exit_as(pid_t pid, int fail);

/* Every path of jail name under runtime_dir; 0, -EINVAL or -ENAMETOOLONG. */
int jail_paths_init(struct jail_paths *p, const char *runtime_dir, const char *run_dir, const char *name);

/* Whether any of the jail's extras (uts, mnt bind, older layouts' dir) is there. */
bool jail_extras_present(const struct jail_paths *p);

/* No DAD for link-local addresses and no router solicitations on the
 * interfaces of the current network namespace made from now on (see
 * jail.c); async-signal-safe: for children that have joined a jail's. */
void jail_ipv6_quiet_defaults(void);

/* Unmount and remove what jail_create made beside the netns (the uts and
 * mnt binds and their directory); 0 or -errno. */
int jail_clear_state(const struct jail_paths *p);

#endif
