/*
 * The backend seam: everything the engine asks of a platform, as one table
 * of operations. Linux (os/linux/) implements all of it; FreeBSD
 * (os/freebsd/) renders plans as the base system's commands, and its
 * observe/execute answer -EOPNOTSUPP on a host that is not FreeBSD. The
 * table is picked in one place, backend.c, the way wireguard-tools' ipc.c
 * picks ipc-linux.h or ipc-freebsd.h. Only the engine includes this file.
 *
 * Every operation returns 0 or -errno; where err is given it receives a
 * message naming the object ("bridge0: add member bge0: No such device").
 */
#ifndef JAIL6_OS_BACKEND_H
#define JAIL6_OS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/state.h"
#include "plan/plan.h"
#include "tunnel/daemon.h"

/* One platform's open context (sockets, namespace handles): opaque. */
struct backend;

struct backend_opts {
	const char *host_netns;   /* NULL = the caller's own namespace */
	const char *runtime_dir;  /* NULL = the platform's default */
	const char *run_dir;      /* the instance's own run directory
				   * (engine_run_dir); NULL = none */
};

/*
 * What an action made, read back from the kernel right after it: what
 * tells that very object from a look-alike made later under its name
 * (0 = nothing to tell). Links: their ifindex in their namespace, which the
 * kernel does not give to another link for a long time; a jail: its
 * network namespace's cookie, which no other namespace ever has.
 */
struct backend_made {
	uint64_t id;       /* the link or jail the action made or moved */
	uint64_t peer_id;  /* VETH_CREATE: the other end */
};

/*
 * Progress of execute. start(arg, a) is called before action a runs.
 * done(arg, a, made) is called once a's effect is in place: the object it
 * creates exists, the one it removes is gone. A backend may batch removals
 * (Linux lets a jail's destruction take its veths along), so done can come
 * after later actions started, but never before the effect, and always
 * before execute returns. A non-zero return from done stops execute with it.
 */
struct backend_exec_cb {
	void (*start)(void *arg, const struct action *a);
	int (*done)(void *arg, const struct action *a, const struct backend_made *made);
	void *arg;
};

/* How jail_exec runs a command (NULL: defaults). */
struct backend_exec_opts {
	char *const *env;      /* extra VAR=value, NULL-terminated, or NULL */
	const char *user;      /* NULL = the jail's root */
	bool to_log;           /* stdout and stderr to the jail's log */
};

/* What `jail6 export` writes for a target: the files its base system runs
 * at boot. Each text starts with export_mark somewhere in its first line. */
struct backend_export_file {
	const char *name;   /* "rc.conf.jail6", "jail.conf", ... */
	char *text;
};
struct backend_export {
	struct backend_export_file files[4];
	size_t n;
	char *errors;       /* on -EINVAL: "FILE:LINE:COL: message" lines */
};

struct backend_ops {
	const char *name;   /* "linux", "freebsd": the --target names */

	int (*open)(const struct backend_opts *o, struct backend **out, char *err, size_t errlen);
	/* NULL-tolerant. */
	void (*close)(struct backend *b);
	/* Where jail namespaces (Linux) are bound; never NULL. */
	const char *(*runtime_dir)(const struct backend *b);

	/*
	 * The facts of the host and of each jail in jails[] that exists
	 * (model/state.h), every one with owned = false. Changes nothing.
	 */
	int (*observe)(struct backend *b, const char *const *jails, size_t n_jails, struct state *out,
		       char *err, size_t errlen);

	/*
	 * Carry out p in order; st is the observed state p was built from.
	 * Stops at the first failure (-errno, err names the object); every
	 * action done() was called for is in effect, the others are not
	 * (the failed one may be half done, which the next observe sees).
	 */
	int (*execute)(struct backend *b, const struct plan *p, const struct state *st,
		       const struct backend_exec_cb *cb, char *err, size_t errlen);

	/*
	 * Run argv inside jail, like jexec(8), and wait: *status is its exit
	 * status, or 128+N when killed by signal N. -ENOENT when there is no
	 * such jail or command. Behind the exec boundary: descriptors 0-2
	 * only, a new session, a fixed environment plus o->env; o->user a
	 * user of the jail (confined jails only); o->to_log: output to the
	 * jail's log (exec.stop), named in err when the command fails.
	 */
	int (*jail_exec)(struct backend *b, const char *jail, char *const argv[], const struct backend_exec_opts *o,
			 int *status, char *err, size_t errlen);

	/* Remove namespace name under the runtime dir with everything in it
	 * (processes killed), whoever made it: for cleanup tools only. */
	int (*jail_purge)(struct backend *b, const char *name, char *err, size_t errlen);

	/* The userspace datapath's counters of tunnel name; -ENOENT when it
	 * has none (no datapath, or not running). */
	int (*tunnel_stats)(struct backend *b, const char *name, struct tunnel_stats *out);

	/* Print p as this platform runs it: readable lines, or JSON. Needs no
	 * context and no privileges. */
	int (*render)(FILE *out, const struct plan *p, bool json);

	/*
	 * Compile plan p (of an empty host for model m, its auto values
	 * resolved) into the files this platform runs at boot; source names
	 * the config in their headers. 0; -EINVAL when a step cannot be
	 * expressed (out->errors says which; no file then); -ENOMEM. The
	 * caller frees the texts and errors. NULL: the target has no export.
	 */
	int (*export)(const struct model *m, const struct plan *p, const char *source, struct backend_export *out);
	const char *export_mark;   /* the words every exported file carries */
};

/* The backend of the platform jail6 runs on. */
const struct backend_ops *backend_native(void);

/* A backend by name ("linux", "freebsd"); NULL when not built in. */
const struct backend_ops *backend_find(const char *name);

/* The names of the backends built in, for messages: "linux, freebsd". */
const char *backend_names(void);

#endif
