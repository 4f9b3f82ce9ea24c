/*
 * FreeBSD backend, rendering half: each action becomes the argv of the base
 * system's own tools, run without a shell (jail(8) drives ifconfig the same
 * way). VNET jails are entered with jexec(8).
 *
 * FreeBSD specifics the renderer owns:
 *  - A jail interface NAME must be called epairN: `ifconfig epairN create`
 *    makes epairNa/epairNb and there is no way to name both ends at creation.
 *    Other names give -EINVAL (freebsd_unsupported() says why).
 *  - Tunnels are gif(4). A gif has no per-tunnel TTL: the per-vnet sysctl
 *    net.inet.ip.gifttl sets it for every gif.
 *  - `local = auto` is resolved by the executor before running (the source
 *    address of the route to the broker). Until then the argv carries the
 *    placeholder FREEBSD_LOCAL_AUTO, which ifconfig rejects as an address,
 *    so an unresolved action fails instead of doing something else.
 *  - A gif is never added to a bridge (if_bridge would carry EtherIP over it,
 *    not 6in4: the seed's "known bug"); such an action is refused.
 *  - The generic loopback name "lo" is lo0.
 *  - A confined jail (confine = yes, the default) is created with the
 *    kernel parameters that carry the Linux confinement's intent:
 *    securelevel=3, enforce_statfs=2, devfs_ruleset=4 (with mount.devfs
 *    when it has a path), children.max=0 and every allow.* off but a
 *    granted allow.raw_sockets; its limits become rctl(8) rules
 *    (memoryuse, maxproc) right after it exists. What has no FreeBSD
 *    equivalent (cpu weight, allow.net_admin, init, a pathless jail's
 *    read-only view of the host, a stop.timeout other than jail(8)'s
 *    10 s, which jail -r reads from jail.conf(5)) is said in comments of the text rendering
 *    (freebsd_render). confine = no renders the bare VNET jail.
 */
#ifndef JAIL6_OS_FREEBSD_H
#define JAIL6_OS_FREEBSD_H

#include <stdio.h>

#include "plan/action.h"
#include "plan/plan.h"

#define FREEBSD_IFCONFIG "/sbin/ifconfig"
#define FREEBSD_ROUTE    "/sbin/route"
#define FREEBSD_SYSCTL   "/sbin/sysctl"
#define FREEBSD_JAIL     "/usr/sbin/jail"
#define FREEBSD_JEXEC    "/usr/sbin/jexec"
#define FREEBSD_RCTL     "/usr/bin/rctl"

/* Stands for the tunnel's local IPv4 while `local = auto` is unresolved. */
#define FREEBSD_LOCAL_AUTO "AUTO"

/* The commands of one action, run in order. */
struct freebsd_cmds {
	char ***argv;  /* argv[i]: NULL-terminated, argv[i][0] an absolute path */
	size_t n;
};

/*
 * Build the commands for action a (0..4 of them; JAIL_EXEC without argv has
 * none). Returns 0, -EINVAL when FreeBSD cannot do a as asked (see
 * freebsd_unsupported), or -ENOMEM; on error *out is empty.
 */
int freebsd_action_argv(const struct action *a, struct freebsd_cmds *out);

/* Free the commands; NULL-tolerant. */
void freebsd_cmds_free(struct freebsd_cmds *c);

/* Append a copy of word to the NULL-terminated *argv (NULL = empty); 0 or
 * -ENOMEM. */
int freebsd_argv_append(char ***argv, const char *word);

/* NULL when a can be rendered for FreeBSD, else a static reason. */
const char *freebsd_unsupported(const struct action *a);

/* Whether s is prefix followed by one or more digits and nothing else (a
 * cloned interface's unit name: gif0, bridge0, epair1). */
bool freebsd_unit_name(const char *s, const char *prefix);

/* The FreeBSD sysctl for a generic key of state.h, or NULL. */
const char *freebsd_sysctl_name(const char *generic);

/*
 * Print the plan as the commands an admin would type (program basenames,
 * words quoted for sh), folding adjacent actions into one line where
 * ifconfig takes them together: an address then `up` of the same interface,
 * and a run of bridge joins then the bridge's `up`
 * (`ifconfig bridge0 addm bge0 up`). An action FreeBSD cannot do is printed
 * as a `# error:` comment. Returns 0, -EINVAL if some action could not be
 * rendered (the rest still is), -ENOMEM or -EIO.
 */
int freebsd_render(FILE *out, const struct plan *p);

/* The same plan as JSON: each action with its kind, description and
 * commands (argv arrays); 0 or -errno. */
int freebsd_render_json(FILE *out, const struct plan *p);

/* The first words of every file export writes: export overwrites only a
 * file that starts with them (else --force). */
#define FREEBSD_EXPORT_MARK "Written by jail6 export --target freebsd"

/* The files of `jail6 export --target freebsd` (malloc'd text). */
struct freebsd_export {
	char *rc_conf;      /* rc.conf.jail6: rc.conf(5) variables, sysrc-friendly */
	char *jail_conf;    /* jail.conf: one block per jail */
	char *sysctl_conf;  /* sysctl.conf.jail6, NULL when nothing needs it */
	char *readme;       /* README.freebsd: how to install them */
	char *errors;       /* on -EINVAL: "FILE:LINE:COL: message" lines */
};

/*
 * Compile plan p (the plan of an empty host for model m, its auto values
 * resolved) into the files rc(8) and jail(8) run at boot; source names the
 * config in their headers. 0; -EINVAL when a step cannot be expressed
 * (out->errors says which, at the config's position when known; no file
 * then); -ENOMEM. Free with freebsd_export_free.
 */
int freebsd_export(const struct model *m, const struct plan *p, const char *source, struct freebsd_export *out);
void freebsd_export_free(struct freebsd_export *o);

#endif
