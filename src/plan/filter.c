/*
 * The planner's part for the host's filter of the jails' bridge ports: each
 * interface of a jail on a bridge (its host end NAMEa) lets through, from
 * the jail, IPv6 from the interface's own addresses (and link-local, ::),
 * Neighbour Advertisements for those only, and no Router Advertisement.
 * What a port must let through is the model's addresses after `auto` is
 * resolved; the observed filter (state_filter) is compared per port, and a
 * port that differs is replaced whole (one action). The filter itself is
 * made when a jail interface is on a bridge, and goes with the last.
 *
 * Whose the table is: jail6's when the store recorded it (filter.owned)
 * and it carries jail6's mark; another instance's of jail6 when it carries
 * the mark and holds a port of a jail not this instance's whose veth is
 * there (this instance then puts its ports in, and records the table as it
 * does so: the last instance to leave removes it). Any other table of
 * jail6's name is someone else's: a conflict, never touched.
 */
#include "plan/plan_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

/* Whether the model puts any jail interface on a bridge. */
static bool filter_wanted(const struct model *m)
{
	for (size_t i = 0; m && i < m->n_jails; i++)
		for (size_t k = 0; k < m->jails[i].n_ifaces; k++)
			if (m->jails[i].ifaces[k].bridge[0])
				return true;
	return false;
}

/* Whether port filter p is someone else's: its veth is there and its jail
 * is not one of jail6's (another instance of jail6 on the same host keeps
 * its ports in the same table). A port whose veth is gone is stale. */
static bool port_foreign(const struct state *s, const struct state_fport *p)
{
	const struct state_jail *j = state_find_jail(s, p->jail);

	return !(j && j->owned) && state_find_link(s, "", p->port);
}

/* Whether the table there is one jail6 may put its ports in: recorded
 * by this store, or another instance's (see the top). */
static bool filter_usable(const struct state *s)
{
	const struct state_filter *f = &s->filter;

	if (!f->present || !f->marked)
		return false;
	for (size_t i = 0; !f->owned && i < f->n_ports; i++)
		if (port_foreign(s, &f->ports[i]))
			return true;
	return f->owned;
}

void plan_filter_ensure(struct planner *P)
{
	const struct state_filter *f = &P->w.filter;
	struct action a;

	if (!filter_wanted(P->m) || (filter_usable(&P->w) && f->intact))
		return;
	if (f->present && !f->marked) {
		/* someone else's table of jail6's name: never touched */
		plan_conflict_msg(P, "port filter: nftables table bridge jail6 exists without jail6's mark; left "
				     "alone, jail ports unfiltered");
		return;
	}
	if (f->present && !filter_usable(&P->w)) {
		plan_conflict_msg(P, "port filter: nftables table bridge jail6 carries jail6's mark but this state "
				     "dir has no record of making it (made by hand, or by a jail6 whose state is "
				     "gone); left alone, jail ports unfiltered (remove it if it is no one's)");
		return;
	}
	a = plan_act(ACTION_FILTER_CREATE, "", "");
	plan_emit(P, &a);
}

void plan_filter_port(struct planner *P, const struct model_jail *j, const struct model_iface *f)
{
	const struct state_fport *sp;
	char port[MODEL_IFNAMSIZ];
	struct action a;

	if (!f->bridge[0] || (P->w.filter.present && !filter_usable(&P->w)))
		return;
	plan_veth_name(port, f->name, 'a');
	sp = state_filter_port(&P->w, port);
	if (sp && sp->intact && !strcmp(sp->jail, j->name) && state_fport_same(sp, f->addrs, f->n_addrs))
		return;
	a = plan_act(ACTION_FILTER_PORT_SET, "", port);
	PLAN_SCOPY(a.target, j->name);
	a.addrs = f->addrs;
	a.n_addrs = f->n_addrs;
	plan_emit(P, &a);
}

/* Whether the port filter p stays: its jail is kept and still has that
 * interface on a bridge. */
static bool port_wanted(const struct plan_scope *S, const struct strmap *only, const struct state_fport *p)
{
	const struct model_jail *j;
	const struct model_iface *f;
	char name[MODEL_IFNAMSIZ];
	size_t n = strlen(p->port);

	if (S->n_only)
		return !strmap_get(only, p->jail);
	if (!S->m || n < 2 || p->port[n - 1] != 'a')
		return false;
	memcpy(name, p->port, n - 1);
	name[n - 1] = '\0';
	f = model_find_iface(S->m, name, &j);
	return f && f->bridge[0] && !strcmp(j->name, p->jail);
}

void plan_filter_removals(struct planner *P, const struct plan_scope *S)
{
	const struct state_filter *f = &P->w.filter;
	struct strmap only = { 0 };
	char (*gone)[MODEL_IFNAMSIZ] = NULL;
	size_t n = 0;
	bool foreign = false;
	struct action a;

	/* only a table this store recorded: never someone else's */
	if (!f->present || !f->owned || !f->marked)
		return;
	/* the names first: each removal moves the filter's last port */
	gone = calloc(f->n_ports + 1, sizeof(*gone));
	for (size_t i = 0; gone && i < S->n_only; i++)
		if (strmap_put(&only, S->only[i], &only) < 0)
			goto nomem;
	for (size_t i = 0; gone && i < f->n_ports; i++) {
		if (port_foreign(&P->w, &f->ports[i]))
			foreign = true;
		else if (!port_wanted(S, &only, &f->ports[i]))
			memcpy(gone[n++], f->ports[i].port, MODEL_IFNAMSIZ);
	}
	if (!gone)
		goto nomem;
	if (!S->n_only && !filter_wanted(S->m) && !foreign) {
		a = plan_act(ACTION_FILTER_DESTROY, "", "");
		plan_emit(P, &a);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		a = plan_act(ACTION_FILTER_PORT_DEL, "", gone[i]);
		plan_emit(P, &a);
	}
	goto cleanup;
nomem:
	P->err = P->err ? P->err : -ENOMEM;
cleanup:
	strmap_free(&only);
	free(gone);
}
