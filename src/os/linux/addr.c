/*
 * Addresses: add (EEXIST is success only for the very same address and
 * prefix length) and delete (absent is success).
 */
#include <errno.h>
#include <stdio.h>

#include <netinet/in.h>

#include "os/linux/execute.h"

/* What addr_find_cb looks for, and whether it saw it. */
struct addr_find {
	int index;
	struct addr addr;
	bool found;
};

/* Dump callback: is the sought address (same prefix length), made by
 * jail6 (its mark), on the link? */
static int addr_find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_find *f = data;
	struct nl_addr na;

	if (nl_parse_addr(nlh, &na) == 0 && na.index == f->index && addr_equal(&na.addr, &f->addr) &&
	    na.proto == NL_PROTO_JAIL6)
		f->found = true;
	return 0;
}

/* ACTION_ADDR_ADD and ACTION_ADDR_DEL of a->addr (with its prefix) on ifname. */
int exec_addr(struct exec *x)
{
	const struct action *a = x->a;
	bool add = a->kind == ACTION_ADDR_ADD;
	struct addr_find f = { .addr = exec_with_plen(&a->addr) };
	char buf[NL_REQ_SIZE], s[ADDR_STRLEN], what[ADDR_STRLEN + 16];
	int rc;

	if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
		return exec_fail_msg(x, -EINVAL, "%s: address without a family", a->ifname);
	snprintf(what, sizeof(what), "%s address %s", add ? "add" : "delete",
		 addr_format(&f.addr, s, sizeof(s)));
	rc = nl_link_index(x->s, a->ifname, &f.index);
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_addr(buf, add ? RTM_NEWADDR : RTM_DELADDR, f.index, &f.addr),
			     NULL, NULL);
	/* Deleting an address that is not there (or whose link is gone)
	 * leaves what was asked for. */
	if (!add && (rc == -EADDRNOTAVAIL || rc == -ENODEV))
		return 0;
	/* EEXIST on add is success only if the very address, with the same
	 * prefix length and jail6's mark, is there (IPv6 refuses the same
	 * address with another prefix length with EEXIST too); someone else's
	 * is not taken over. */
	if (add && rc == -EEXIST) {
		int rc2 = nl_talk(x->s, nl_req_dump(buf, RTM_GETADDR, a->addr.family), addr_find_cb, &f);

		if (rc2 == 0 && f.found)
			return 0;
		return exec_fail_msg(x, rc, "%s: %s: the address exists with another prefix length or "
				     "was not made by jail6", a->ifname, what);
	}
	return rc < 0 ? exec_fail(x, rc, "%s: %s", a->ifname, what) : 0;
}
