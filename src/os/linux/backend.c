/*
 * The Linux backend behind the seam (os/backend.h): observe and execute
 * over rtnetlink (observe.c, execute.c), jails as namespaces (jail.c), the
 * userspace datapath's files (tundev.c). Two Linux-only tricks live here,
 * where the kernel's costs are known: a veth whose peer the plan moves into
 * a jail is created in place, and veths that a jail's destruction removes
 * anyway are left to it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>

#include "os/backend.h"
#include "os/linux/jail.h"
#include "os/linux/lxc.h"
#include "os/linux/linux.h"
#include "os/linux/linux_int.h"
#include "os/linux/tundev.h"
#include "util/msg.h"
#include "util/strmap.h"

struct backend {
	struct linux_ctx *lx;
};

static int lb_open(const struct backend_opts *o, struct backend **out, char *err, size_t errlen)
{
	struct backend *b = calloc(1, sizeof(*b));
	int r;

	*out = NULL;
	if (!b)
		return msg_fail(err, errlen, -ENOMEM, "out of memory");
	r = linux_open(o->host_netns, o->runtime_dir, o->run_dir, &b->lx);
	if (r < 0) {
		free(b);
		if (o->host_netns)
			return msg_fail(err, errlen, r, "host namespace %s: %s", o->host_netns, strerror(-r));
		return msg_fail(err, errlen, r, "netlink: %s", strerror(-r));
	}
	*out = b;
	return 0;
}

static void lb_close(struct backend *b)
{
	if (!b)
		return;
	linux_close(b->lx);
	free(b);
}

static const char *lb_runtime_dir(const struct backend *b)
{
	return linux_runtime_dir(b->lx);
}

static int lb_observe(struct backend *b, const char *const *jails, size_t n, struct state *out,
		      char *err, size_t errlen)
{
	int r = linux_observe(b->lx, jails, n, out);

	return r < 0 ? msg_fail(err, errlen, r, "observe: %s", strerror(-r)) : 0;
}

/*
 * A veth whose peer the plan moves into a jail a few actions later is
 * created with the peer already there (target set): moving a link between
 * namespaces costs the kernel an RCU grace period, creating it in place does
 * not, which makes apply several times faster. The later LINK_SET_NS then
 * finds the link in place and succeeds. The plan itself stays as it is
 * (FreeBSD renders the create and the move as two commands).
 */
static struct action fuse_veth(const struct plan *p, size_t i)
{
	struct action a = p->actions[i];

	if (a.kind != ACTION_VETH_CREATE || a.target[0])
		return a;
	for (size_t k = i + 1; k < p->n_actions && k < i + 32; k++) {
		const struct action *m = &p->actions[k];
		if (m->kind == ACTION_LINK_SET_NS && !strcmp(m->ifname, a.peer) && !strcmp(m->ns, a.ns)) {
			snprintf(a.target, sizeof(a.target), "%s", m->target);
			break;
		}
		if (m->kind == ACTION_VETH_CREATE || m->kind == ACTION_JAIL_CREATE)
			break;
	}
	return a;
}

/*
 * Deferred veth removal. Destroying a veth costs the kernel an RCU grace
 * period (~10 ms); deleting a jail's namespace takes the veths in it, and
 * their host ends, in one batch. So a LINK_DESTROY of a veth whose other end
 * lies in a jail that the plan destroys later is left to that jail (the
 * FreeBSD rendering keeps the explicit `ifconfig epairNa destroy`, which
 * jail -r needs there); its done() is called only once the link is gone.
 */
struct deferred {
	struct strmap doomed;          /* jails the plan destroys */
	struct strmap jail_of_veth;    /* veth name in a jail -> its jail */
	const struct action **acts;    /* host-side destroys left to their jail */
	size_t n;
};

static void deferred_init(struct deferred *d, const struct plan *p, const struct state *st)
{
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == ACTION_JAIL_DESTROY)
			strmap_put(&d->doomed, p->actions[i].target, (void *)p->actions[i].target);
	for (size_t i = 0; st && d->doomed.used && i < st->n_links; i++)
		if (st->links[i].ns[0] && st->links[i].kind == STATE_LINK_VETH)
			strmap_put(&d->jail_of_veth, st->links[i].name, (void *)st->links[i].ns);
}

/* Whether action a can be left to a jail's destruction (and remember it). */
static bool deferred_take(struct deferred *d, const struct action *a, const struct state *st)
{
	const struct state_link *l;
	char peer[MODEL_IFNAMSIZ];
	const char *jail;
	size_t len = strlen(a->ifname);
	void *p;

	if (a->kind != ACTION_LINK_DESTROY || a->ns[0] || !d->doomed.used || len < 2 || !st)
		return false;
	l = state_find_link(st, "", a->ifname);
	if (!l || l->kind != STATE_LINK_VETH)
		return false;
	snprintf(peer, sizeof(peer), "%s", a->ifname);
	peer[len - 1] = peer[len - 1] == 'a' ? 'b' : peer[len - 1] == 'b' ? 'a' : '\0';
	jail = strmap_get(&d->jail_of_veth, peer);
	if (!peer[len - 1] || !jail || !strmap_get(&d->doomed, jail))
		return false;
	p = realloc(d->acts, (d->n + 1) * sizeof(*d->acts));
	if (!p)
		return false;
	d->acts = p;
	d->acts[d->n++] = a;
	return true;
}

/* A jail made again after it is destroyed (an incomplete one): the host
 * ends of its veths go with its namespace, asynchronously; wait (bounded)
 * until they are gone, or making them again would find them there. */
static int wait_veths_gone(struct backend *b, const struct state *st, const char *jail, char *err, size_t errlen)
{
	for (size_t i = 0; st && i < st->n_links; i++) {
		const struct state_link *l = &st->links[i];
		char peer[MODEL_IFNAMSIZ];
		size_t len = strlen(l->name);

		if (strcmp(l->ns, jail) || l->kind != STATE_LINK_VETH || len < 2 || l->name[len - 1] != 'b')
			continue;
		snprintf(peer, sizeof(peer), "%s", l->name);
		peer[len - 1] = 'a';
		for (int polls = 0; linux_link_exists(b->lx, "", peer) == 1; polls++) {
			if (polls > 1500)
				return msg_fail(err, errlen, -ETIMEDOUT, "%s: still there 30 s after jail %s was destroyed",
						peer, jail);
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
		}
	}
	return 0;
}

/* Mark in again[i] each jail destroy of p whose jail is made again later
 * in p (a restart): one pass from the end. 0 or -ENOMEM. */
static int mark_remade(const struct plan *p, bool *again)
{
	struct strmap later = { 0 };
	int r = 0;

	for (size_t i = p->n_actions; !r && i-- > 0;) {
		const struct action *a = &p->actions[i];
		if (a->kind == ACTION_JAIL_DESTROY)
			again[i] = strmap_get(&later, a->target) != NULL;
		else if (a->kind == ACTION_JAIL_CREATE)
			r = strmap_put(&later, a->target, (void *)a);
	}
	strmap_free(&later);
	return r;
}

/* Wait until the deferred links are gone (20 ms polls, at most 30 s), and
 * report each as done once it is. */
static int deferred_finish(struct backend *b, struct deferred *d, const struct backend_exec_cb *cb,
			   char *err, size_t errlen)
{
	for (size_t i = 0, polls = 0; i < d->n;) {
		int r = linux_link_exists(b->lx, "", d->acts[i]->ifname);
		if (r < 0)
			return msg_fail(err, errlen, r, "%s: %s", d->acts[i]->ifname, strerror(-r));
		if (r == 0) {
			r = cb->done ? cb->done(cb->arg, d->acts[i], &(struct backend_made){ 0 }) : 0;
			if (r)
				return r;
			i++;
			continue;
		}
		if (++polls > 1500)
			return msg_fail(err, errlen, -ETIMEDOUT, "%s: still there 30 s after its jail was destroyed",
					d->acts[i]->ifname);
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static void deferred_free(struct deferred *d)
{
	strmap_free(&d->doomed);
	strmap_free(&d->jail_of_veth);
	free(d->acts);
}

/* The ifindex of link name in namespace ns, or 0. */
static uint64_t ifindex_of(struct backend *b, const char *ns, const char *name)
{
	struct nl_sock *s;
	int index = 0;

	if (linux_ns_sock(b->lx, ns, &s) < 0 || nl_link_index(s, name, &index) < 0)
		return 0;
	return (uint64_t)index;
}

/* Read back what action a (as executed: fused) made; zero where unknown,
 * which only weakens a later check, never fails the run. */
static void made_of(struct backend *b, const struct action *a, struct backend_made *m)
{
	struct nl_sock *s;

	memset(m, 0, sizeof(*m));
	switch (a->kind) {
	case ACTION_BRIDGE_CREATE:
	case ACTION_TUNNEL_CREATE:
		m->id = ifindex_of(b, a->ns, a->ifname);
		break;
	case ACTION_VETH_CREATE:
		m->id = ifindex_of(b, a->ns, a->ifname);
		m->peer_id = ifindex_of(b, a->target[0] ? a->target : a->ns, a->peer);
		break;
	case ACTION_LINK_SET_NS:
		m->id = ifindex_of(b, a->target, a->ifname);
		break;
	case ACTION_JAIL_CREATE:
		if (linux_ns_sock(b->lx, a->target, &s) == 0)
			nl_sock_netns_cookie(s, &m->id);
		break;
	default:
		break;
	}
}

/*
 * Containers starting or stopping while the plan goes on
 * (linux_jail_create_async, linux_jail_destroy_async): liblxc's start and
 * stop are mostly waiting, and the jails are independent, so a few at a
 * time. Each one's done() comes when it is over; an action on the jail
 * itself (exec, destroy, create) waits for it first. A jail destroyed and
 * made again in the same plan is destroyed in line.
 */
#define STARTING_MAX 8

struct starting {
	struct lxcj_starting s[STARTING_MAX];
	size_t act[STARTING_MAX];   /* its action's index in the plan */
	bool stop[STARTING_MAX];    /* a destroy's stop, not a start */
	size_t n, max;
};

static void starting_init(struct starting *g)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	g->n = 0;
	g->max = cpus < 1 ? 2 : (size_t)cpus * 2;
	if (g->max > STARTING_MAX)
		g->max = STARTING_MAX;
}

/* End the start in slot k and report it done; err keeps an earlier
 * failure's message (first) when there is one. */
static int starting_end(struct backend *b, struct starting *g, size_t k, const struct plan *p, const struct action *v,
			const struct backend_exec_cb *cb, char *err, size_t errlen)
{
	char mine[512];
	size_t i = g->act[k];
	int r = g->stop[k] ? linux_jail_destroy_end(b->lx, &g->s[k], mine, sizeof(mine))
			   : linux_jail_create_end(b->lx, &g->s[k], mine, sizeof(mine));

	memmove(&g->s[k], &g->s[k + 1], (g->n - k - 1) * sizeof(g->s[0]));
	memmove(&g->act[k], &g->act[k + 1], (g->n - k - 1) * sizeof(g->act[0]));
	memmove(&g->stop[k], &g->stop[k + 1], (g->n - k - 1) * sizeof(g->stop[0]));
	g->n--;
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s", mine);
		return r;
	}
	if (cb->done) {
		struct backend_made made;
		made_of(b, &v[i], &made);
		return cb->done(cb->arg, &p->actions[i], &made);
	}
	return 0;
}

/* Wait for the start of jail name, if one is under way. */
static int starting_wait(struct backend *b, struct starting *g, const char *name, const struct plan *p,
			 const struct action *v, const struct backend_exec_cb *cb, char *err, size_t errlen)
{
	for (size_t k = 0; k < g->n; k++)
		if (!strcmp(g->s[k].name, name))
			return starting_end(b, g, k, p, v, cb, err, errlen);
	return 0;
}

/* End every start under way: all of them, failure or not; the first
 * failure is the result. */
static int starting_finish(struct backend *b, struct starting *g, const struct plan *p, const struct action *v,
			   const struct backend_exec_cb *cb, char *err, size_t errlen)
{
	int r = 0;

	while (g->n) {
		int r1 = starting_end(b, g, 0, p, v, cb, err, errlen);
		if (!r)
			r = r1;
	}
	return r;
}

static int lb_execute(struct backend *b, const struct plan *p, const struct state *st,
		      const struct backend_exec_cb *cb, char *err, size_t errlen)
{
	struct deferred def = { 0 };
	struct starting go;
	struct action *v = calloc(p->n_actions ? p->n_actions : 1, sizeof(*v));
	bool *again = calloc(p->n_actions ? p->n_actions : 1, sizeof(*again));
	int r = 0, r2, r3;

	if (!v || !again || mark_remade(p, again) < 0) {
		free(v);
		free(again);
		return msg_fail(err, errlen, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->n_actions; i++)
		v[i] = fuse_veth(p, i);
	deferred_init(&def, p, st);
	starting_init(&go);
	err[0] = '\0';
	for (size_t i = 0; !r && i < p->n_actions; i++) {
		if (cb->start)
			cb->start(cb->arg, &p->actions[i]);
		if (deferred_take(&def, &p->actions[i], st))
			continue;
		if (v[i].kind == ACTION_JAIL_EXEC || v[i].kind == ACTION_JAIL_DESTROY || v[i].kind == ACTION_JAIL_CREATE)
			r = starting_wait(b, &go, v[i].target, p, v, cb, err, errlen);
		bool stop = !r && linux_jail_destroy_async(b->lx, &v[i]) && !again[i];
		if (!r && (stop || linux_jail_create_async(&v[i]))) {
			if (go.n == go.max)
				r = starting_end(b, &go, 0, p, v, cb, err, errlen);
			if (!r) {
				r = stop ? linux_jail_destroy_begin(b->lx, &v[i], &go.s[go.n], err, errlen)
					 : linux_jail_create_begin(b->lx, &v[i], &go.s[go.n], err, errlen);
				if (r == 0) {
					go.stop[go.n] = stop;
					go.act[go.n++] = i;
				}
			}
			continue;
		}
		if (r)
			break;
		r = linux_execute(b->lx, &v[i], err, errlen);
		if (r == 0 && v[i].kind == ACTION_JAIL_DESTROY && again[i])
			r = wait_veths_gone(b, st, v[i].target, err, errlen);
		if (r < 0) {
			if (!err[0])
				msg_fail(err, errlen, r, "%s: %s", v[i].ifname[0] ? v[i].ifname : v[i].target,
					 strerror(-r));
			break;
		}
		if (cb->done) {
			struct backend_made made;
			made_of(b, &v[i], &made);
			r = cb->done(cb->arg, &p->actions[i], &made);
		}
	}
	r3 = starting_finish(b, &go, p, v, cb, err, errlen);
	lxcj_starter_stop();
	if (!r)
		r = r3;
	/* what was left to destroyed jails is done once gone, failure or not */
	r2 = deferred_finish(b, &def, cb, err, errlen);
	deferred_free(&def);
	free(again);
	free(v);
	return r ? r : r2;
}

static int lb_jail_exec(struct backend *b, const char *jail, char *const argv[], const struct backend_exec_opts *o,
			int *status, char *err, size_t errlen)
{
	const struct backend_exec_opts none = { 0 };
	const char *run = linux_run_dir(b->lx);
	char log[PATH_MAX] = "", *env[64];
	struct lxcj_envbuf eb;
	int out = -1, r;

	if (!o)
		o = &none;
	if (o->to_log && (out = linux_jail_log_open(run, jail, log, sizeof(log))) < 0) {
		msg_fail(err, errlen, out, "%s: log %s: %s", jail, log, strerror(-out));
		return out;
	}
	if (run && lxcj_present(run, jail)) {
		struct lxcj_cmd cmd = { .argv = argv, .env = o->env, .user = o->user, .out_fd = out };
		r = lxcj_exec(run, jail, &cmd, status, err, errlen);
	} else if (o->user) {
		r = msg_fail(err, errlen, -EOPNOTSUPP, "%s: -u needs a confined jail (this one has confine = no)", jail);
	} else if ((r = lxcj_env(env, sizeof(env) / sizeof(env[0]), &eb, "/", o->env)) < 0) {
		msg_fail(err, errlen, r, "%s: %s", jail, r == -E2BIG ? "too many -e variables" :
			 "an -e variable is not VAR=value");
	} else {
		struct jail_run_opts ro = { .envp = env, .out_fd = out };
		r = jail_run_opts(linux_runtime_dir(b->lx), run, jail, argv, &ro, status, err, errlen);
	}
	if (out >= 0)
		close(out);
	if (r == 0 && *status && log[0] && err && errlen)
		snprintf(err, errlen, "%s: %s exited with status %d (output in %s)", jail, argv[0], *status, log);
	return r;
}

static int lb_jail_purge(struct backend *b, const char *name, char *err, size_t errlen)
{
	return jail_destroy(linux_runtime_dir(b->lx), linux_run_dir(b->lx), name, err, errlen);
}

static int lb_tunnel_stats(struct backend *b, const char *name, struct tunnel_stats *out)
{
	char path[PATH_MAX];

	if (linux_tun_daemon_pid(b->lx, name) <= 0)
		return -ENOENT;
	if (linux_tun_path(b->lx, name, ".stats", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return tunnel_stats_read(path, out);
}

static int lb_render(FILE *out, const struct plan *p, bool json)
{
	return json ? plan_render_json(out, p) : plan_render_text(out, p);
}

const struct backend_ops backend_linux = {
	.name = "linux",
	.open = lb_open,
	.close = lb_close,
	.runtime_dir = lb_runtime_dir,
	.observe = lb_observe,
	.execute = lb_execute,
	.jail_exec = lb_jail_exec,
	.jail_purge = lb_jail_purge,
	.tunnel_stats = lb_tunnel_stats,
	.render = lb_render,
};
