/*
 * Main-table routes: add (EEXIST is success only for the very same route)
 * and delete (absent is success).
 */
#include <errno.h>
#include <stdio.h>

#include <netinet/in.h>

#include "os/linux/execute.h"

/* What route_find_cb looks for, and whether it saw it. */
struct route_find {
	struct addr dst, gw;
	int oif;
	bool found;
};

/* Dump callback: is a main-table route to dst via gw (on oif) there? */
static int route_find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_find *f = data;
	struct nl_route r;

	if (nl_parse_route(nlh, &r) < 0 || r.table != RT_TABLE_MAIN)
		return 0;
	if (!addr_equal(&r.dst, &f->dst) || r.gw.family != f->gw.family)
		return 0;
	if (f->gw.family && !addr_same_host(&r.gw, &f->gw))
		return 0;
	if (f->oif && r.oif != f->oif)
		return 0;
	f->found = true;
	return 0;
}

/* ACTION_ROUTE_ADD and ACTION_ROUTE_DEL in the main table. */
int exec_route(struct exec *x)
{
	const struct action *a = x->a;
	bool add = a->kind == ACTION_ROUTE_ADD;
	struct route_find f = { .gw = a->gw };
	char buf[NL_REQ_SIZE], d[ADDR_STRLEN], g[ADDR_STRLEN], what[2 * ADDR_STRLEN + 48];
	int rc;

	if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
		return exec_fail_msg(x, -EINVAL, "route without a destination family");
	if (a->gw.family != 0 && a->gw.family != a->addr.family)
		return exec_fail_msg(x, -EINVAL, "route %s: gateway of another family",
				     addr_format(&a->addr, d, sizeof(d)));
	/* The kernel wants the network address (IPv4 refuses host bits). */
	f.dst = addr_network(&a->addr);
	f.dst = exec_with_plen(&f.dst);
	f.gw.plen = -1;
	snprintf(what, sizeof(what), "route %s%s%s%s%s", addr_format(&f.dst, d, sizeof(d)),
		 f.gw.family ? " via " : "", f.gw.family ? addr_format_host(&f.gw, g, sizeof(g)) : "",
		 a->ifname[0] ? " dev " : "", a->ifname);
	rc = a->ifname[0] ? nl_link_index(x->s, a->ifname, &f.oif) : 0;
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_route(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, &f.dst, &f.gw,
						f.oif), NULL, NULL);
	/* Deleting a route that is not there (or whose device is gone) leaves
	 * what was asked for. */
	if (!add && (rc == -ESRCH || rc == -ENODEV))
		return 0;
	/* EEXIST on add is success only if that route, same gateway and
	 * device, is there: another route to dst is a conflict. */
	if (add && rc == -EEXIST) {
		int rc2 = nl_talk(x->s, nl_req_dump(buf, RTM_GETROUTE, f.dst.family), route_find_cb, &f);

		if (rc2 == 0 && f.found)
			return 0;
		return exec_fail_msg(x, rc, "%s: add: another route to %s exists", what, d);
	}
	return rc < 0 ? exec_fail(x, rc, "%s: %s", what, add ? "add" : "delete") : 0;
}
