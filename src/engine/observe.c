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
	free(s->drop);
	free(s->keep);
	memset(s, 0, sizeof(*s));
}

struct mark_ctx {
	struct state *st;
	int64_t started;             /* the journal: -1 = no killed run */
	int64_t *ran;                /* the places of the actions that ran */
	size_t n_ran;
	struct engine_stale *stale;  /* NULL: not wanted */
};

/* The observed fact record o names (links, addresses, routes, jails and
 * the port filter; NULL for sysctls and when absent), with its identity in
 * *ident (0 for addresses and routes) and whether it carries jail6's mark. */
static void *fact_of(const struct state *st, const struct store_own *o, uint64_t *ident, bool *marked)
{
	*ident = 0;
	*marked = true;
	switch (o->kind) {
	case STORE_OWN_LINK: {
		const struct state_link *l = state_find_link(st, o->ns, o->name);
		*ident = l ? l->ident : 0;
		return (void *)l;
	}
	case STORE_OWN_ADDR: {
		const struct state_addr *x = state_find_addr(st, o->ns, o->ifname, &o->addr);
		/* the same address with another prefix length is another fact */
		if (!x || x->addr.plen != o->addr.plen)
			return NULL;
		*marked = x->marked;
		return (void *)x;
	}
	case STORE_OWN_ROUTE: {
		const struct state_route *r = state_find_route(st, o->ns, &o->addr);
		*marked = r && r->marked;
		return (void *)r;
	}
	case STORE_OWN_JAIL: {
		const struct state_jail *j = state_find_jail(st, o->name);
		*ident = j ? j->ident : 0;
		return (void *)j;
	}
	case STORE_OWN_FILTER: {
		struct state_filter *f = (struct state_filter *)&st->filter;
		if (!f->present)
			return NULL;
		*ident = f->ident;
		*marked = f->marked;
		return f;
	}
	case STORE_OWN_SYSCTL:
		break;
	}
	return NULL;
}

bool engine_fact_present(const struct state *st, const struct store_own *o)
{
	uint64_t ident;
	bool marked;

	/* a sysctl record is a value to restore, not an object: it lasts as
	 * long as its namespace, or its link */
	if (o->kind == STORE_OWN_SYSCTL && state_sysctl_link(o->name)[0])
		return state_find_link(st, o->ns, state_sysctl_link(o->name));
	if (o->kind == STORE_OWN_SYSCTL)
		return !o->ns[0] || state_find_jail(st, o->ns);
	return fact_of(st, o, &ident, &marked) != NULL;
}

/* Set the owned flag of the fact f of record o's kind. */
static void set_owned(const struct store_own *o, void *f)
{
	switch (o->kind) {
	case STORE_OWN_LINK: ((struct state_link *)f)->owned = true; break;
	case STORE_OWN_ADDR: ((struct state_addr *)f)->owned = true; break;
	case STORE_OWN_ROUTE: ((struct state_route *)f)->owned = true; break;
	case STORE_OWN_JAIL: {
		struct state_jail *j = f;
		j->owned = true;
		j->start_pending = o->flags & STORE_OWN_F_START_PENDING;
		break;
	}
	case STORE_OWN_FILTER: ((struct state_filter *)f)->owned = true; break;
	case STORE_OWN_SYSCTL: break;
	}
}

/* Append a copy of o to a list of records. */
static int push(struct store_own **v, size_t *n, const struct store_own *o)
{
	struct store_own *p = realloc(*v, (*n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	p[*n] = *o;
	(*n)++;
	*v = p;
	return 0;
}

/* Whether the killed run's action at place seq ran to its end. */
static bool ran(const struct mark_ctx *c, int64_t seq)
{
	for (size_t i = 0; i < c->n_ran; i++)
		if (c->ran[i] == seq)
			return true;
	return false;
}

/*
 * Store callback: does record o count, and what does it need? A record
 * counts when its object is there and is the one jail6 made: the same
 * ifindex or namespace cookie when the record knows it, jail6's mark on an
 * address or route (unless the record is older than the marks). A claim
 * counts when the killed run it belongs to had carried its action out:
 * one killed while it ran may not have made its object, and what has that
 * name then may be anyone's.
 */
static int mark_cb(const struct store_own *o, void *arg)
{
	struct mark_ctx *c = arg;
	struct store_own keep = *o;
	bool claimed = o->flags & STORE_OWN_F_CLAIMED, started = claimed && ran(c, o->seq);
	uint64_t ident;
	bool marked, counts, fill;
	void *f;

	if (o->kind == STORE_OWN_SYSCTL) {
		counts = engine_fact_present(c->st, o) && !(claimed && !started);
		if (!counts && c->stale)
			return push(&c->stale->drop, &c->stale->n_drop, o);
		if (o->flags & STORE_OWN_F_CLAIMED && c->stale)
			return push(&c->stale->keep, &c->stale->n_keep, o);
		return 0;
	}
	f = fact_of(c->st, o, &ident, &marked);
	marked = marked || (o->flags & STORE_OWN_F_UNMARKED);
	if (claimed && started)
		/* its action ran: the object there is the one it made */
		counts = f && marked;
	else if (claimed && !(o->flags & STORE_OWN_F_RECLAIMED))
		/* a claim whose action never ran, or was cut short */
		counts = false;
	else
		/* a record (or one a never-started claim was made over) */
		counts = f && (!o->ident || o->ident == ident) && marked;
	if (counts)
		set_owned(o, f);
	if (!c->stale)
		return 0;
	if (!counts)
		return push(&c->stale->drop, &c->stale->n_drop, o);
	/* settle a killed run's claim; learn the identity a record lacks */
	fill = !o->ident && ident;
	if (!claimed && !fill)
		return 0;
	keep.ident = (claimed && started) || fill ? ident : o->ident;
	return push(&c->stale->keep, &c->stale->n_keep, &keep);
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
	struct mark_ctx mc = { .st = st, .stale = stale, .started = -1 };
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
	r = store_journal_get(e->store, &mc.started, &mc.ran, &mc.n_ran);
	if (r == 0 && stale)
		stale->journal = mc.started >= 0;
	if (r == 0)
		r = store_own_list(e->store, -1, NULL, mark_cb, &mc);
	if (r < 0)
		engine_fail(e, r, "store: %s", r == -ENOMEM ? strerror(-r) : store_errmsg(e->store));
cleanup:
	free(mc.ran);
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	strmap_free(&names.seen);
	return r;
}

int engine_forget(struct engine *e, const struct engine_stale *stale)
{
	char what[256];
	int r = store_begin(e->store);

	for (size_t i = 0; r >= 0 && i < stale->n_drop; i++) {
		r = store_own_del(e->store, &stale->drop[i]);
		if (r == -ENOENT)
			r = 0;
		msg_debug("forget %s: %s", store_own_describe(&stale->drop[i], what, sizeof(what)),
			  stale->drop[i].flags & STORE_OWN_F_CLAIMED ? "its action never ran"
								    : "it is gone, or another object now");
	}
	for (size_t i = 0; r >= 0 && i < stale->n_keep; i++) {
		r = store_own_confirm(e->store, &stale->keep[i], stale->keep[i].ident);
		msg_debug("keep %s", store_own_describe(&stale->keep[i], what, sizeof(what)));
	}
	if (r < 0) {
		store_rollback(e->store);
		return engine_fail(e, r, "store: %s", store_errmsg(e->store));
	}
	r = store_commit(e->store);
	return r < 0 ? engine_fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
}

int engine_journal_reset(struct engine *e, const struct engine_stale *stale)
{
	int r = stale->journal ? store_journal_set(e->store, -1) : 0;

	return r < 0 ? engine_fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
}
