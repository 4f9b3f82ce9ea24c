/*
 * The engine: the one API every front end calls (the CLI, `jail6 serve`,
 * the boot units, the lab). It joins the pieces: the store (ownership,
 * IPAM, the lock), a backend behind the seam (os/backend.h) and the pure
 * planner. Front ends parse their input, call these functions and print;
 * none of them reaches a backend or the store directly.
 *
 * Observe -> plan -> apply:
 *   engine_converge   observe the host, plan what the model wants, refuse
 *                     clashes with foreign objects, execute, record
 *   engine_teardown   exec.stop, then remove what jail6 created
 *   engine_status     what the host has, and the drift from the model
 *   engine_jail_*     start, stop, restart, exec, list
 *   engine_plan_*     render a plan for a target, with no host at all
 *
 * Conventions. Functions return 0 or -errno; on failure engine_error(e)
 * names the object ("bridge0: add member bge0: No such device"); a failure
 * about several objects gives one line each. Progress lines (one per
 * action, "[jail] exec.stop: ...") go to the log stream of engine_opts and
 * warnings to its warn stream, never to stdout behind the caller's back. The engine is not
 * thread-safe: one engine, one thread.
 */
#ifndef JAIL6_ENGINE_ENGINE_H
#define JAIL6_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "plan/plan.h"

struct engine;

struct engine_opts {
	const char *state_dir;   /* the store's directory; NULL = none (then only
				  * engine_run_actions and engine_jail_exec work) */
	const char *host_netns;  /* NULL = the caller's own namespace */
	const char *runtime_dir; /* NULL = the backend's default (/run/netns) */
	bool readonly;           /* shared lock, never a write (status, list) */
	int lock_timeout_ms;     /* < 0: the store's default */
	FILE *log;               /* progress lines; NULL = silent */
	FILE *warn;              /* warnings that do not stop a run (an
				  * exec.stop that failed); NULL = none */
};

/*
 * Open the store (taking its lock: exclusive, or shared when readonly) and
 * the native backend. A read-only open of a state dir that holds no store
 * yet succeeds with nothing owned. On failure *out is NULL and err holds the
 * message; -EPERM/-EACCES mean the caller lacks the privileges.
 */
int engine_open(const struct engine_opts *o, struct engine **out, char *err, size_t errlen);

/* Release everything; NULL-tolerant. */
void engine_close(struct engine *e);

/* The instance's run directory, STATE_DIR/run: what it keeps at run time
 * (jails' extra namespaces, the userspace datapath's pidfile, stats and
 * log). Two instances never share it. 0 or -ENAMETOOLONG. */
int engine_run_dir(const char *state_dir, char *buf, size_t len);

/* The message of the last failure ("" when none). */
const char *engine_error(const struct engine *e);

/* The result of a run that plans and executes. */
struct engine_result {
	struct plan plan;        /* what was (or, dry, would be) executed */
	size_t done;             /* how many actions of it succeeded */
	struct plan_conflicts conflicts; /* clashes that stopped it (-EEXIST) */
	struct model view;       /* what the plan's strings borrow (private) */
	struct model view0;      /* restart -n: what the stop's actions borrow */
};

/* Free a result; NULL-tolerant; a zeroed result is empty. */
void engine_result_free(struct engine_result *r);

/* Options of engine_converge. */
struct engine_converge_opts {
	const char *const *only; /* also converge these jails even when stopped */
	size_t n_only;
	bool dry_run;            /* plan only: leases and records roll back */
	bool additive;           /* never remove anything, and of the jails
				  * not in only[] keep those on the host
				  * without creating the missing (start NAME) */
	bool prune;              /* let a plan remove most of jail6's jails */
	const struct plan *after; /* dry run: plan as if this plan (a restart's
				   * stop) had run on the host first */
};

/*
 * Make the host match *m: resolve `address = auto` from the store's IPAM
 * (*m gets the addresses), forget ownership records whose object is gone,
 * observe, plan for the jails that should run (engine_jail_wanted, plus
 * only[]), and execute. Returns 0 (res->plan may be empty: nothing to do),
 * -EEXIST when objects jail6 did not create clash with the model
 * (res->conflicts lists them; nothing changed), -ECANCELED when the plan
 * would remove everything or more than half of the jails jail6 made (an
 * empty, jail-less or truncated file?) and prune is not set (res->plan
 * holds it; nothing changed), or -errno with res->done telling how far
 * execution got.
 */
int engine_converge(struct engine *e, struct model *m, const struct engine_converge_opts *o,
		    struct engine_result *res);

/*
 * Remove what jail6 created: with n == 0 everything (then the sysctls it
 * changed get their old values back), else the named jails and their
 * epairs. exec.stop of each such jail in *m (may be NULL or empty) runs
 * first. keep_leases (stop) keeps the jails' auto addresses and marks them
 * stopped. -ENOENT: a named jail is not running; -EPERM: a named jail was
 * not created by jail6 (the message says which).
 */
int engine_teardown(struct engine *e, const struct model *m, const char *const *jails, size_t n,
		    bool dry_run, bool keep_leases, struct engine_result *res);

/* The state of one jail as status and list report it. */
enum engine_jail_state {
	ENGINE_JAIL_RUNNING,     /* up, and jail6's */
	ENGINE_JAIL_ABSENT,      /* wanted, but not up */
	ENGINE_JAIL_STOPPED,     /* stopped by the user (or autostart = no) */
	ENGINE_JAIL_INCOMPLETE,  /* jail6's, with a part missing: apply makes it again */
	ENGINE_JAIL_CONFLICT,    /* a namespace of its name that jail6 did not make */
};
const char *engine_jail_state_name(enum engine_jail_state s);

/*
 * Whole status, for front ends to render: a JSON document (jansson, owned
 * by the caller: json_decref) with tunnels, bridges, jails, in_sync and
 * drift, as `jail6 status --json` prints it (docs/jail6.8 documents the
 * keys). *in_sync says whether the host matches *m. Read-only: records the
 * engine would forget are only ignored.
 */
struct json_t;
int engine_status(struct engine *e, struct model *m, struct json_t **out, bool *in_sync);

/* Print a document of engine_status as text, the seed's End Result in
 * ifconfig and netstat -r style (the tunnel and its datapath, the bridges,
 * each jail's limits, interfaces and routes), then "in sync with CONF" or
 * the conflicts and the drift: what `jail6 status` prints and the web UI's
 * dashboard shows. Needs no engine. */
void engine_status_print(FILE *out, struct json_t *s, const char *conf);

/* start / stop / restart of jails named in *m (apply then keeps them in
 * that state; stop records it before it tears down, so a stop killed half
 * way leaves them stopped too, and stopping a jail that does not run is
 * no error). Results as engine_converge and engine_teardown. */
int engine_jail_start(struct engine *e, struct model *m, const char *const *names, size_t n,
		      bool dry_run, struct engine_result *res);
int engine_jail_stop(struct engine *e, const struct model *m, const char *const *names, size_t n,
		     bool dry_run, struct engine_result *res);
int engine_jail_restart(struct engine *e, struct model *m, const char *const *names, size_t n,
			bool dry_run, struct engine_result *res);

/* The host shuts down: every jail of *m that runs is stopped as stop does
 * (exec.stop, then the jail and its epairs removed; leases and id ranges
 * kept), but what the user wished is left as it was, so the next apply (at
 * boot) starts again the jails it would have started. The tunnel, the
 * bridge and the store stay. Nothing running: an empty plan. */
int engine_jail_shutdown(struct engine *e, const struct model *m, bool dry_run, struct engine_result *res);

/* One jail as `jail6 list` shows it. */
struct engine_jail_info {
	const struct model_jail *jail;  /* borrowed from the model */
	enum engine_jail_state state;
};

/* The jails of *m with their state, in model order (*out: free()). Auto
 * addresses already leased are filled into *m. Nothing of a jail in
 * conflict is jail6's: front ends show no address for it. */
int engine_jail_list(struct engine *e, struct model *m, struct engine_jail_info **out, size_t *n);

/* Run argv inside jail name (like jexec); *status as the backend gives it.
 * Only a jail jail6 made and that is whole: -ESRCH when it is not running
 * or incomplete, -EPERM when a namespace of that name is not jail6's,
 * -ENOENT when the command is not found in it. The store's lock is let go
 * before the command runs (the engine then has no store). */
struct engine_exec_opts {
	char *const *env;      /* extra VAR=value for the command (NULL-terminated), or NULL */
	const char *user;      /* run as this user of the jail; NULL = root */
};
int engine_jail_exec(struct engine *e, const char *name, char *const argv[], const struct engine_exec_opts *o,
		     int *status);

/* Whether apply should run jail j: autostart and not stopped by the user. */
bool engine_jail_wanted(struct engine *e, const struct model_jail *j);

/*
 * Render the plan that sets up an empty host as *m says, for target
 * ("linux", "freebsd"; NULL = the native one), as text or JSON, with auto
 * addresses picked as an empty store would. Needs no engine, no store and
 * no privileges. -ENOENT for an unknown target, -ENOSPC when a bridge
 * prefix is full, -EINVAL when some action cannot be rendered for target
 * (the rest still is).
 */
int engine_plan_render(FILE *out, struct model *m, const char *target, bool json);

/* The targets engine_plan_render knows, for messages: "linux, freebsd". */
const char *engine_plan_targets(void);

/*
 * `jail6 export --target freebsd`: the files that make a FreeBSD host set
 * up what *m says at every boot (rc.conf variables, jail.conf, and what
 * they need), compiled from the plan engine_plan_render renders for that
 * target (os/freebsd/export.c). Auto values: `address = auto` from the
 * leases of the store in state_dir, read only (none there: refused);
 * `local = auto` from local, the host's address towards the broker,
 * which no store records (none given: refused). 0; -EINVAL when
 * something cannot be expressed or resolved (out->errors: one
 * "FILE:LINE:COL: message" line each); -ENOENT for an unknown target;
 * -errno for a store that cannot be read (err says why). *m gets the
 * resolved values.
 */
struct engine_export_opts {
	const char *target;      /* "freebsd" */
	const char *state_dir;   /* the store with the leases; NULL = none */
	int lock_timeout_ms;
	const char *local;       /* local = auto stands for this IPv4; NULL = refuse */
	const char *source;      /* the config's name, for the files' headers */
};
struct engine_export_file {
	const char *name;        /* "rc.conf.jail6", "jail.conf", ... */
	char *text;
};
struct engine_export {
	struct engine_export_file files[4];
	size_t n;
	char *errors;
};
int engine_export(struct model *m, const struct engine_export_opts *o, struct engine_export *out, char *err,
		  size_t errlen);
void engine_export_free(struct engine_export *x);

/* The words every file exported for target carries in its first line
 * (after "# " in the config files): export overwrites only a file that has
 * them. NULL for a target without export. */
const char *engine_export_mark(const char *target);

/* Print a plan as apply -n shows it: one numbered line per action. */
int engine_plan_print(FILE *out, const struct plan *p);

/*
 * `jail6 tunnel run`: the userspace 6in4 datapath of tunnel *t (its name,
 * endpoints, ttl, mtu and address) in this process until SIGTERM/SIGINT,
 * or with supervise as a daemon that restarts it. Paths NULL: none in the
 * foreground; with supervise the backend's defaults, in the instance's run
 * dir (engine_run_dir). -EINVAL for a bad setting (err says which), -EEXIST when a
 * supervisor already runs, or -errno.
 */
struct engine_datapath {
	const struct model_tunnel *tunnel;
	const char *state_dir;   /* the instance: default paths in its run dir */
	const char *host_netns, *runtime_dir;
	bool supervise;
	const char *pidfile, *stats, *log;
	const char *user;        /* the datapath's user (tunnel_user); NULL: default */
};
int engine_datapath_run(const struct engine_datapath *d, char *err, size_t errlen);

/*
 * `jail6 tunnel update`: tell the broker of tunnel *t our IPv4 endpoint
 * (HE's dyndns-style update). myip NULL: the tunnel's myip (or the
 * broker's view when it has none); "auto": the broker's view. url NULL:
 * the tunnel's update_url. timeout_ms <= 0: the default per try. Returns
 * 0 when the broker said good or nochg (msg: its answer), -ENOKEY when the
 * tunnel block lacks keys the update needs (msg: one "FILE:LINE:COL: ..."
 * line each), -EINVAL for a bad setting (msg: the reason), or -errno or
 * -EIO for a failure or a refusal (msg says which).
 */
struct engine_update {
	const struct model_tunnel *tunnel;
	const char *myip;
	const char *url;
	long timeout_ms;
	/* each failed try but the last, and warnings (a plain http:// URL) */
	void (*note)(void *arg, const char *msg);
	void *arg;
};
int engine_tunnel_update(const struct engine_update *u, char *msg, size_t len);

/*
 * `jail6 tunnel restore`: put back the host route of tunnel *t to its
 * broker through its via (remote/32 via VIA in the host's main table),
 * when the store records that route as jail6's and it is missing (a VPN
 * restart took it along with its device). Run by the userspace datapath
 * when via is on-link again, or by a VPN's up hook. Nothing else is
 * touched: a route to the remote that is there is left alone. 0 with
 * *restored saying whether it was put back (false: it was there already);
 * -EINVAL when *t has no via; -ENOENT when the store has no such record
 * (apply adds the route); -EEXIST when another route to the remote is
 * there; or -errno (-ENETUNREACH: via is not reachable yet).
 */
int engine_tunnel_restore(struct engine *e, const struct model_tunnel *t, bool *restored);

/* The update's defaults: tries, and the timeout of one try. */
void engine_update_defaults(int *tries, long *timeout_ms);

/* Whether url is an http(s) URL the update accepts; -EINVAL with the reason. */
int engine_update_url_check(const char *url, char *why, size_t len);

/*
 * Plumbing for programs that build their own world with the backend (the
 * lab wires its namespaces with it): execute p in order with no store and
 * no ownership records. Progress lines go to the log stream.
 */
int engine_run_actions(struct engine *e, const struct plan *p);

/* Remove namespace name of the runtime dir (a jail's, or one the tool made)
 * with everything in it, processes killed, whoever created it: for tools
 * that clean up their own world. -ENOENT when there is none. */
int engine_jail_purge(struct engine *e, const char *name);

#endif
