/*
 * Bridges: create one, with the DAD knobs of its link-local address off.
 */
#include <errno.h>

#include "os/linux/execute.h"

/* ACTION_BRIDGE_CREATE: a new bridge, its link-local address without DAD. */
int exec_bridge_create(struct exec *x)
{
	char buf[NL_REQ_SIZE];
	int rc;

	/* EEXIST is an error here: an existing link may be of another kind or
	 * someone else's; the planner decides when a bridge may be adopted. */
	rc = nl_talk(x->s, nl_req_bridge_create(buf, x->a->ifname), NULL, NULL);
	if (rc < 0)
		return exec_fail(x, rc, "%s: create bridge", x->a->ifname);
	/*
	 * The bridge's link-local address usable at once: no DAD probes, and
	 * no random wait (up to router_solicitation_delay, 1 s) before the
	 * kernel decides that zero probes succeeded. Set before the link is
	 * up. While the address is tentative the kernel sends no neighbour
	 * solicitation for a packet it forwards, so the first packets toward
	 * a jail waited a retransmit (1-2 s). The segment holds only jail6's
	 * jails, whose addresses jail6 assigns (without DAD, as the bridge's
	 * global address); an adopted bridge is left as it is.
	 */
	rc = linux_link_no_dad(x->c, x->a->ns, x->a->ifname);
	if (rc < 0 && rc != -ENOENT) /* ENOENT: IPv6 is off */
		return exec_fail(x, rc, "%s: turn DAD off", x->a->ifname);
	return 0;
}
