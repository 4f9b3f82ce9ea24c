/* What the lab's files share inside src/lab (not for other modules). */
#ifndef JAIL6_LAB_LAB_INT_H
#define JAIL6_LAB_LAB_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab/lab.h"

/* Bounds of the steps, in milliseconds. */
#define LAB_APPLY_MS       120000  /* jail6 apply / destroy */
#define LAB_CMD_MS         30000   /* nft, status, a ping */
#define LAB_VPN_WAIT_MS    20000   /* OpenVPN up and the server answering */
#define LAB_DAEMON_STOP_MS 5000    /* SIGTERM, then SIGKILL */
#define LAB_FILE_MAX       (1 << 20)

/* The lab's four namespaces, in creation order. */
extern const char *const lab_all_ns[4];

/* Record a message in l->err; returns rc. */
__attribute__((format(printf, 3, 4)))
int lab_fail(struct lab *l, int rc, const char *fmt, ...);

/* Print one progress line to l->out. */
__attribute__((format(printf, 2, 3)))
void lab_say(struct lab *l, const char *fmt, ...);

/* Write len bytes to path (created with mode, or replaced; never through
 * a symlink). 0 or -errno. */

/* Copy the config src into the lab dir as name. 0 or -errno (l->err set). */
int lab_copy_conf(struct lab *l, const char *src, const char *name);

/* One end of the tunnel, as jail6 sees it. */
struct lab_end {
	const char *ns;          /* its host namespace */
	const char *conf_name;   /* the config's copy in the lab dir */
	const char *state_name;  /* its state dir in the lab dir */
	const char *what;        /* for messages */
};

extern const struct lab_end lab_host_end;    /* examples/lab.conf in "host" */
extern const struct lab_end lab_broker_end;  /* examples/lab-broker.conf in "internet" */

struct lab_end_paths {
	char conf[PATH_MAX], state[PATH_MAX];
};

/* The config and state paths of one end. 0 or -ENAMETOOLONG. */
int lab_end_paths_get(const struct lab *l, const struct lab_end *e, struct lab_end_paths *p);

/* An engine with no store over the lab's namespaces, for what the lab
 * builds itself; host_ns: the namespace that plays the host (NULL: none
 * needed). 0 or -errno with l->err set. */
struct engine;
int lab_engine(struct lab *l, const char *host_ns, struct engine **e);

/* Run `jail6 -s STATE --runtime-dir NETNS --host-netns NS -f CONF ARGS...`
 * for one end: its exit status, or -errno (-ETIMEDOUT with l->err set). */
int lab_run_jail6(struct lab *l, const struct lab_end *e, const char *const *args,
		  enum lab_out out, char *buf, size_t len, int timeout_ms, bool interruptible);

/* Print that command line (with "$ "), for people who want to poke at it. */
void lab_say_jail6(struct lab *l, const struct lab_end *e, const char *cmd);

#endif
