/*
 * Observe: the backend's facts about the host and the jails, with the facts
 * jail6 owns marked from the store's records. Observing changes nothing;
 * the records whose object is gone are handed back, and only runs that
 * write drop them (engine_forget), so that `status` on a read-only store
 * sees what `apply` would.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/msg.h"
#include "util/strmap.h"

void engine_stale_free(struct engine_stale *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

struct mark_ctx {
	struct state *st;
	struct engine_stale *stale;  /* NULL: not wanted */
};

/* Mark the observed fact that record o names as owned; true when found. */
static bool mark(struct state *st, const struct store_own *o)
{
	switch (o->kind) {
	case STORE_OWN_LINK: {
		struct state_link *l = (struct state_link *)state_find_link(st, o->ns, o->name);
		return l ? (l->owned = true) : false;
	}
	case STORE_OWN_ADDR: {
		struct state_addr *x = (struct state_addr *)state_find_addr(st, o->ns, o->ifname, &o->addr);
		/* the same address with another prefix length is another fact */
		return x && x->addr.plen == o->addr.plen ? (x->owned = true) : false;
	}
	case STORE_OWN_ROUTE: {
		struct state_route *r = (struct state_route *)state_find_route(st, o->ns, &o->addr);
		return r ? (r->owned = true) : false;
	}
	case STORE_OWN_JAIL: {
		struct state_jail *j = (struct state_jail *)state_find_jail(st, o->name);
		if (!j)
			return false;
		j->owned = true;
		j->start_pending = o->flags & STORE_OWN_F_START_PENDING;
		return true;
	}
	case STORE_OWN_SYSCTL:
		/* a record of the value to restore, not an object: stale only
		 * when its jail is gone */
		return !o->ns[0] || state_find_jail(st, o->ns);
	}
	return false;
}

/* Store callback: mark, or keep the record as stale. */
static int mark_cb(const struct store_own *o, void *arg)
{
	struct mark_ctx *c = arg;
	struct store_own *v;

	if (mark(c->st, o) || !c->stale)
		return 0;
	v = realloc(c->stale->v, (c->stale->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[c->stale->n++] = *o;
	c->stale->v = v;
	return 0;
}

/* The jails to look into: those jail6 owns, then those of *m not yet named. */
struct names {
	char **v;
	size_t n;
	struct strmap seen;
};

static int name_add(struct names *l, const char *name)
{
	char **p, *s;

	if (strmap_get(&l->seen, name))
		return 0;
	if (!(s = strdup(name)) || !(p = realloc(l->v, (l->n + 1) * sizeof(*p)))) {
		free(s);
		return -ENOMEM;
	}
	l->v = p;
	l->v[l->n++] = s;
	return strmap_put(&l->seen, s, s);
}

static int owned_jail_cb(const struct store_own *o, void *arg)
{
	return name_add(arg, o->name);
}

int engine_observe(struct engine *e, const struct model *m, struct state *st, struct engine_stale *stale)
{
	struct names names = { 0 };
	struct mark_ctx mc = { .st = st, .stale = stale };
	int r;

	if (stale)
		memset(stale, 0, sizeof(*stale));
	r = e->store ? store_own_list(e->store, STORE_OWN_JAIL, NULL, owned_jail_cb, &names) : 0;
	for (size_t i = 0; !r && m && i < m->n_jails; i++)
		r = name_add(&names, m->jails[i].name);
	if (r < 0) {
		engine_fail(e, r, "observe: %s", strerror(-r));
		goto cleanup;
	}
	e->err[0] = '\0';
	r = e->ops->observe(e->be, (const char *const *)names.v, names.n, st, e->err, sizeof(e->err));
	if (r < 0 || !e->store)
		goto cleanup;
	r = store_own_list(e->store, -1, NULL, mark_cb, &mc);
	if (r < 0)
		engine_fail(e, r, "store: %s", r == -ENOMEM ? strerror(-r) : store_errmsg(e->store));
cleanup:
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	strmap_free(&names.seen);
	return r;
}

int engine_forget(struct engine *e, const struct engine_stale *stale)
{
	char what[256];

	for (size_t i = 0; i < stale->n; i++) {
		int r = store_own_del(e->store, &stale->v[i]);
		if (r < 0 && r != -ENOENT)
			return engine_fail(e, r, "store: %s", store_errmsg(e->store));
		msg_debug("forget %s: it is gone", store_own_describe(&stale->v[i], what, sizeof(what)));
	}
	return 0;
}
