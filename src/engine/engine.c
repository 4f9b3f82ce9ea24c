/* The engine: store + Linux backend + planner, shared by the subcommands. */
#include "engine/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/strmap.h"
#include "os/linux/linux.h"
#include "store/store.h"

/* printf into e->err; returns r so callers can `return fail(e, r, ...)`. */
static int fail(struct engine *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct engine *e, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	return r;
}

int engine_open(struct engine *e, const struct engine_opts *o)
{
	int r;

	memset(e, 0, sizeof(*e));
	r = store_open(o->state_dir, o->readonly ? STORE_READONLY : STORE_WRITE, o->lock_timeout_ms,
		       &e->store, e->err, sizeof(e->err));
	/* a read-only look at a host jail6 never touched: nothing is owned */
	if (r == -ENOENT && o->readonly) {
		e->store = NULL;
		e->err[0] = '\0';
	} else if (r < 0) {
		return r;
	}
	r = linux_open(o->host_netns, o->runtime_dir, &e->lx);
	if (r < 0) {
		if (o->host_netns)
			return fail(e, r, "host namespace %s: %s", o->host_netns, strerror(-r));
		return fail(e, r, "netlink: %s", strerror(-r));
	}
	e->runtime_dir = linux_runtime_dir(e->lx);
	return 0;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	linux_close(e->lx);
	store_close(e->store);
	e->lx = NULL;
	e->store = NULL;
}

/* Grow an address array by one. */
static int addrs_push(struct addr **v, size_t *n, const struct addr *a)
{
	struct addr *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = *a;
	*v = p;
	return 0;
}

/* Every address the IPAM must never hand out: bridge and static addresses. */
static int reserved_addrs(const struct model *m, struct addr **out, size_t *n)
{
	int r = 0;

	for (size_t i = 0; i < m->n_bridges && !r; i++)
		for (size_t k = 0; k < m->bridges[i].n_addrs && !r; k++)
			r = addrs_push(out, n, &m->bridges[i].addrs[k]);
	for (size_t i = 0; i < m->n_jails && !r; i++)
		for (size_t f = 0; f < m->jails[i].n_ifaces && !r; f++)
			for (size_t k = 0; k < m->jails[i].ifaces[f].n_addrs && !r; k++)
				r = addrs_push(out, n, &m->jails[i].ifaces[f].addrs[k]);
	return r;
}

int engine_resolve_auto(struct engine *e, struct model *m, bool lookup_only)
{
	struct addr *reserved = NULL;
	size_t n_reserved = 0;
	int r = reserved_addrs(m, &reserved, &n_reserved);

	for (size_t i = 0; i < m->n_jails && !r; i++) {
		struct model_jail *j = &m->jails[i];
		for (size_t f = 0; f < j->n_ifaces && !r; f++) {
			struct model_iface *ifc = &j->ifaces[f];
			const struct model_bridge *b = model_find_bridge(m, ifc->bridge);
			const struct addr *prefix = b ? model_bridge_addr(b, AF_INET6) : NULL;
			int got = 0;

			for (int slot = 0; slot < ifc->n_auto && !r; slot++) {
				struct addr a;
				if (!prefix) {
					r = fail(e, -EINVAL, "jail %s: interface %s: auto address without an IPv6 bridge prefix",
						 j->name, ifc->name);
					break;
				}
				if (lookup_only) {
					if (!e->store || store_ipam_lookup(e->store, j->name, ifc->name, slot, &a) < 0)
						continue;
				} else {
					r = store_ipam_lease(e->store, j->name, ifc->name, slot, prefix, reserved, n_reserved, &a);
					if (r < 0) {
						r = fail(e, r, "jail %s: interface %s: auto address: %s", j->name, ifc->name,
							 r == -ENOSPC ? "the bridge prefix is full" : strerror(-r));
						break;
					}
				}
				r = addrs_push(&ifc->addrs, &ifc->n_addrs, &a);
				got++;
			}
			if (!r && got == ifc->n_auto)
				ifc->n_auto = 0;
		}
	}
	free(reserved);
	return r;
}

/* The owned-object name of an address or route fact. */
static void addr_key(char *buf, size_t len, const char *ifname, const struct addr *a)
{
	char s[ADDR_STRLEN];

	snprintf(buf, len, "%s %s", ifname, addr_format(a, s, sizeof(s)));
}

static void route_key(char *buf, size_t len, const struct addr *dst)
{
	addr_format(dst, buf, len);
}

struct own_ctx {
	struct engine *e;
	struct state *st;
	char **stale_kind_ns_name; /* triples, flattened */
	size_t n_stale;
	int err;
};

/* Parse an address ownership name "IFNAME ADDR/PLEN" back into its parts. */
static bool parse_addr_key(const char *name, char *ifname, size_t len, struct addr *a)
{
	const char *sp = strchr(name, ' ');

	if (!sp || (size_t)(sp - name) >= len)
		return false;
	snprintf(ifname, len, "%.*s", (int)(sp - name), name);
	return addr_parse(sp + 1, ADDR_PREFIX_OPTIONAL, a, NULL) == 0;
}

/*
 * The detail of a jail's ownership record while its exec.start has not
 * completed: set when the plan is claimed, cleared when the exec is
 * recorded as done. A kill or a failing exec.start leaves it, and the next
 * observe reports start_pending, so the next apply runs exec.start again
 * (at least once, not exactly once: a kill during exec.start reruns it).
 */
#define OWN_START_PENDING "exec.start pending"

/* Store callback: mark the observed fact owned, or remember a stale record.
 * Lookups go through the state's hash index: linear in the owned count. */
static int own_mark(const struct store_own *o, void *arg)
{
	struct own_ctx *c = arg;
	struct state *st = c->st;
	char ifname[MODEL_IFNAMSIZ];
	struct addr a;
	bool found = false;

	switch (o->kind) {
	case STORE_OWN_LINK: {
		struct state_link *l = (struct state_link *)state_find_link(st, o->ns, o->name);
		if (l)
			l->owned = found = true;
		break;
	}
	case STORE_OWN_ADDR: {
		struct state_addr *x = NULL;
		if (parse_addr_key(o->name, ifname, sizeof(ifname), &a))
			x = (struct state_addr *)state_find_addr(st, o->ns, ifname, &a);
		/* the same address with another prefix length is another fact */
		if (x && x->addr.plen == a.plen)
			x->owned = found = true;
		break;
	}
	case STORE_OWN_ROUTE: {
		struct state_route *r = NULL;
		if (addr_parse(o->name, ADDR_PREFIX_OPTIONAL, &a, NULL) == 0)
			r = (struct state_route *)state_find_route(st, o->ns, &a);
		if (r)
			r->owned = found = true;
		break;
	}
	case STORE_OWN_JAIL: {
		struct state_jail *j = (struct state_jail *)state_find_jail(st, o->name);
		if (j) {
			j->owned = found = true;
			j->start_pending = o->detail && !strcmp(o->detail, OWN_START_PENDING);
		}
		break;
	}
	case STORE_OWN_SYSCTL:
		/* a record of the value to restore, not an object: stale only
		 * when its jail is gone */
		found = !o->ns[0] || state_find_jail(st, o->ns);
		break;
	}
	if (!found) {
		char **p = realloc(c->stale_kind_ns_name, (c->n_stale + 1) * 3 * sizeof(*p));
		if (!p)
			return c->err = -ENOMEM;
		c->stale_kind_ns_name = p;
		p += c->n_stale * 3;
		p[0] = strdup(store_own_kind_name(o->kind));
		p[1] = strdup(o->ns);
		p[2] = strdup(o->name);
		c->n_stale++;
		if (!p[0] || !p[1] || !p[2])
			return c->err = -ENOMEM;
	}
	return 0;
}

static int own_kind_from_name(const char *s)
{
	for (int k = STORE_OWN_LINK; k <= STORE_OWN_SYSCTL; k++)
		if (!strcmp(store_own_kind_name((enum store_own_kind)k), s))
			return k;
	return -1;
}

/* Collect the jail names to look into: those of *m and those jail6 owns. */
static int jail_cb(const struct store_own *o, void *arg)
{
	struct { const char **v; size_t n; } *l = arg;
	const char **p = realloc(l->v, (l->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	l->v = p;
	if (!(p[l->n] = strdup(o->name)))
		return -ENOMEM;
	l->n++;
	return 0;
}

int engine_observe(struct engine *e, const struct model *m, struct state *st)
{
	struct { const char **v; size_t n; } names = { 0 };
	struct own_ctx oc = { .e = e, .st = st };
	size_t n_owned;
	int r;

	r = e->store ? store_own_list(e->store, STORE_OWN_JAIL, NULL, jail_cb, &names) : 0;
	n_owned = names.n;
	for (size_t i = 0; !r && m && i < m->n_jails; i++) {
		bool dup = false;
		for (size_t k = 0; k < n_owned; k++)
			dup = dup || !strcmp(names.v[k], m->jails[i].name);
		if (!dup)
			r = jail_cb(&(struct store_own){ .name = m->jails[i].name }, &names);
	}
	if (!r)
		r = linux_observe(e->lx, names.v, names.n, st);
	if (r < 0) {
		fail(e, r, "observe: %s", strerror(-r));
		goto cleanup;
	}
	if (!e->store)
		goto cleanup;
	r = store_own_list(e->store, -1, NULL, own_mark, &oc);
	if (!r)
		r = oc.err;
	for (size_t i = 0; !r && i < oc.n_stale; i++) {
		char **t = oc.stale_kind_ns_name + i * 3;
		int k = own_kind_from_name(t[0]);
		if (k >= 0)
			store_own_del(e->store, (enum store_own_kind)k, t[1], t[2]);
	}
	if (r < 0 && !e->err[0])
		fail(e, r, "store: %s", store_errmsg(e->store));
cleanup:
	for (size_t i = 0; i < oc.n_stale * 3; i++)
		free(oc.stale_kind_ns_name[i]);
	free(oc.stale_kind_ns_name);
	for (size_t i = 0; i < names.n; i++)
		free((char *)names.v[i]);
	free(names.v);
	return r;
}

/* Record ownership before the action runs (see engine_execute). */
static int own_before(struct engine *e, const struct action *a, const struct state *st)
{
	char key[STORE_OWN_NAME_MAX];
	const struct state_sysctl *old;

	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		return store_own_add(e->store, STORE_OWN_JAIL, "", a->target, NULL);
	case ACTION_JAIL_EXEC:
		/* comes after its JAIL_CREATE: marks the jail until it ran */
		return store_own_add(e->store, STORE_OWN_JAIL, "", a->target, OWN_START_PENDING);
	case ACTION_TUNNEL_CREATE:
	case ACTION_BRIDGE_CREATE:
		return store_own_add(e->store, STORE_OWN_LINK, a->ns, a->ifname, NULL);
	case ACTION_VETH_CREATE: {
		int r = store_own_add(e->store, STORE_OWN_LINK, a->ns, a->ifname, NULL);
		/* the peer is born in its jail when fuse_veth set a target */
		return r ? r : store_own_add(e->store, STORE_OWN_LINK, a->target[0] ? a->target : a->ns, a->peer, NULL);
	}
	case ACTION_LINK_SET_NS:
		/* owned in its new namespace only if it was owned here */
		if (store_own_has(e->store, STORE_OWN_LINK, a->ns, a->ifname) == 1)
			return store_own_add(e->store, STORE_OWN_LINK, a->target, a->ifname, NULL);
		return 0;
	case ACTION_ADDR_ADD:
		addr_key(key, sizeof(key), a->ifname, &a->addr);
		return store_own_add(e->store, STORE_OWN_ADDR, a->ns, key, NULL);
	case ACTION_ROUTE_ADD:
		route_key(key, sizeof(key), &a->addr);
		return store_own_add(e->store, STORE_OWN_ROUTE, a->ns, key, NULL);
	case ACTION_SYSCTL_SET:
		/* remember the value it had first, once: destroy restores it */
		if (store_own_has(e->store, STORE_OWN_SYSCTL, a->ns, a->key) == 1)
			return 0;
		old = st ? state_find_sysctl(st, a->ns, a->key) : NULL;
		return store_own_add(e->store, STORE_OWN_SYSCTL, a->ns, a->key, old ? old->value : NULL);
	default:
		return 0;
	}
}

/* Forget ownership after the action ran. */
static int own_after(struct engine *e, const struct action *a)
{
	char key[STORE_OWN_NAME_MAX];

	switch (a->kind) {
	case ACTION_JAIL_DESTROY:
		store_own_del(e->store, STORE_OWN_JAIL, "", a->target);
		if (e->keep_leases) /* stop: the jail keeps its addresses */
		{
			store_jail_set_state(e->store, a->target, STORE_JAIL_STOPPED);
			return 0;
		}
		store_ipam_release_jail(e->store, a->target);
		store_jail_del(e->store, a->target);
		return 0;
	case ACTION_LINK_SET_NS:
		store_own_del(e->store, STORE_OWN_LINK, a->ns, a->ifname);
		return 0;
	case ACTION_VETH_CREATE:
		return 0;
	case ACTION_LINK_DESTROY:
		store_own_del(e->store, STORE_OWN_LINK, a->ns, a->ifname);
		return 0;
	case ACTION_ADDR_DEL:
		addr_key(key, sizeof(key), a->ifname, &a->addr);
		store_own_del(e->store, STORE_OWN_ADDR, a->ns, key);
		return 0;
	case ACTION_ROUTE_DEL:
		route_key(key, sizeof(key), &a->addr);
		store_own_del(e->store, STORE_OWN_ROUTE, a->ns, key);
		return 0;
	case ACTION_JAIL_EXEC:
		return store_own_add(e->store, STORE_OWN_JAIL, "", a->target, NULL);
	case ACTION_JAIL_CREATE: {
		struct store_jail j = { .state = STORE_JAIL_RUNNING };
		snprintf(j.name, sizeof(j.name), "%s", a->target);
		snprintf(j.hostname, sizeof(j.hostname), "%s", a->hostname ? a->hostname : "");
		snprintf(j.path, sizeof(j.path), "%s", a->path ? a->path : "");
		return store_jail_put(e->store, &j);
	}
	default:
		return 0;
	}
}

/*
 * Test hook: JAIL6_TEST_KILL_AFTER=K makes the process SIGKILL itself after
 * K actions, so the suite can check that a killed apply converges on the
 * next run at a chosen point rather than wherever a racing kill lands.
 */
static long kill_after(void)
{
	const char *s = getenv("JAIL6_TEST_KILL_AFTER");
	char *end;
	long k;

	if (!s || !*s)
		return -1;
	k = strtol(s, &end, 10);
	return *end || k < 0 ? -1 : k;
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
 * jail -r needs there), and engine_execute waits, bounded, for those links to
 * be gone before it returns.
 */
struct deferred {
	struct strmap doomed;          /* jails the plan destroys */
	struct strmap jail_of_veth;    /* veth name in a jail -> its jail */
	char (*links)[MODEL_IFNAMSIZ]; /* host-side links left to their jail */
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
	p = realloc(d->links, (d->n + 1) * sizeof(*d->links));
	if (!p)
		return false;
	d->links = p;
	snprintf(d->links[d->n++], MODEL_IFNAMSIZ, "%s", a->ifname);
	return true;
}

/* Wait until the deferred links are gone: 20 ms polls, at most 30 s. */
static int deferred_wait(struct engine *e, struct deferred *d)
{
	for (size_t i = 0, polls = 0; i < d->n; ) {
		int r = linux_link_exists(e->lx, "", d->links[i]);
		if (r < 0)
			return fail(e, r, "%s: %s", d->links[i], strerror(-r));
		if (r == 0) {
			i++;
			continue;
		}
		if (++polls > 1500)
			return fail(e, -ETIMEDOUT, "%s: still there 30 s after its jail was destroyed", d->links[i]);
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static void deferred_free(struct deferred *d)
{
	strmap_free(&d->doomed);
	strmap_free(&d->jail_of_veth);
	free(d->links);
}

/* Whether the action removes something: its record goes at once (a lease
 * must not outlive its jail even when jail6 is killed right after). */
static bool is_removal(enum action_kind k)
{
	return k == ACTION_JAIL_DESTROY || k == ACTION_LINK_DESTROY || k == ACTION_ADDR_DEL ||
	       k == ACTION_ROUTE_DEL;
}

/* Claim, in one transaction, every object the plan will create. */
static int claim_all(struct engine *e, const struct action *v, size_t n, const struct state *st)
{
	int r = store_begin(e->store);

	for (size_t i = 0; !r && i < n; i++)
		r = own_before(e, &v[i], st);
	if (r) {
		store_rollback(e->store);
		return fail(e, r, "store: %s", store_errmsg(e->store));
	}
	r = store_commit(e->store);
	return r ? fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
}

/* Record what the first n actions did (all but removals, recorded already)
 * and log them as events, in one transaction. */
static int record_done(struct engine *e, const struct action *v, size_t n)
{
	char desc[512];
	int r = store_begin(e->store);

	for (size_t i = 0; !r && i < n; i++) {
		if (!is_removal(v[i].kind))
			r = own_after(e, &v[i]);
		if (!r)
			r = store_event(e->store, "%s", action_describe(&v[i], desc, sizeof(desc)));
	}
	if (r) {
		store_rollback(e->store);
		return r;
	}
	return store_commit(e->store);
}

/*
 * Ownership is claimed for the whole plan before anything runs (one
 * transaction, safe from a kill: a claim whose object never came is dropped
 * by the next engine_observe), removals are recorded as they happen, and the
 * rest is recorded in one transaction at the end. A commit per action made
 * SQLite the largest cost of applying 1000 jails.
 */
int engine_execute(struct engine *e, const struct plan *p, const struct state *st, size_t *done)
{
	char desc[512];
	long kill_k = kill_after();
	struct deferred def = { 0 };
	struct action *v = calloc(p->n_actions ? p->n_actions : 1, sizeof(*v));
	int r, r2;

	*done = 0;
	if (!v)
		return fail(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_actions; i++)
		v[i] = fuse_veth(p, i);
	deferred_init(&def, p, st);
	r = claim_all(e, v, p->n_actions, st);
	for (size_t i = 0; !r && i < p->n_actions; i++) {
		const struct action *a = &v[i];

		action_describe(a, desc, sizeof(desc));
		if (e->log) {
			fprintf(e->log, "%s\n", desc);
			fflush(e->log);
		}
		if (!deferred_take(&def, a, st)) {
			r = linux_execute(e->lx, a, e->err, sizeof(e->err));
			if (r < 0) {
				if (!e->err[0])
					fail(e, r, "%s: %s", desc, strerror(-r));
				break;
			}
		}
		if (is_removal(a->kind) && (r = own_after(e, a)) < 0) {
			fail(e, r, "%s: store: %s", desc, store_errmsg(e->store));
			break;
		}
		(*done)++;
		if (kill_k >= 0 && (long)*done == kill_k)
			raise(SIGKILL);
	}
	r2 = record_done(e, v, *done);
	if (!r && r2)
		r = fail(e, r2, "store: %s", store_errmsg(e->store));
	if (!r)
		r = deferred_wait(e, &def);
	deferred_free(&def);
	free(v);
	return r;
}

bool engine_jail_wanted(struct engine *e, const struct model_jail *j)
{
	struct store_jail rec;

	if (e->store && store_jail_get(e->store, j->name, &rec) == 0)
		return rec.state != STORE_JAIL_STOPPED;
	return j->autostart;
}

int engine_model_view(struct engine *e, const struct model *m, struct model *view,
		      const char *const *only, size_t n_only)
{
	*view = *m;
	view->idx = NULL; /* its own index: it has other jails */
	view->jails = calloc(m->n_jails ? m->n_jails : 1, sizeof(*view->jails));
	view->n_jails = 0;
	if (!view->jails)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_jails; i++) {
		bool keep = engine_jail_wanted(e, &m->jails[i]);
		for (size_t k = 0; k < n_only; k++)
			keep = keep || !strcmp(only[k], m->jails[i].name);
		if (keep)
			view->jails[view->n_jails++] = m->jails[i];
	}
	return 0;
}

void engine_model_view_free(struct model *view)
{
	struct model none = { 0 };

	if (!view)
		return;
	free(view->jails);
	/* the rest is borrowed from the real model: free only the index */
	none.idx = view->idx;
	model_free(&none);
	view->idx = NULL;
}

struct restore_ctx {
	struct plan *p;
	int err;
};

static int restore_cb(const struct store_own *o, void *arg)
{
	struct restore_ctx *c = arg;
	struct action a = { .kind = ACTION_SYSCTL_SET };

	if (!o->detail) /* the value before jail6 is unknown: leave it */
		return 0;
	snprintf(a.ns, sizeof(a.ns), "%s", o->ns);
	snprintf(a.key, sizeof(a.key), "%s", o->name);
	snprintf(a.value, sizeof(a.value), "%s", o->detail);
	return c->err = plan_append(c->p, &a);
}

int engine_sysctl_restore(struct engine *e, struct plan *p)
{
	struct restore_ctx c = { .p = p };
	int r = store_own_list(e->store, STORE_OWN_SYSCTL, NULL, restore_cb, &c);

	return r ? r : c.err;
}
