/*
 * Veth pairs: create one, the peer born in its jail when the plan says so,
 * the host end without IPv6 of its own (it becomes a bridge port).
 */
#include <errno.h>

#include "os/linux/execute.h"

/* ACTION_VETH_CREATE: the pair ifname/peer, the peer born in jail a->target when set. */
int exec_veth_create(struct exec *x)
{
	const struct action *a = x->a;
	char buf[NL_REQ_SIZE];
	int rc;

	int peer_fd = -1;

	if (!model_ifname_ok(a->peer))
		return exec_fail_msg(x, -EINVAL, "%s: invalid veth peer name \"%s\"", a->ifname, a->peer);
	/* target set: create the peer directly inside that jail (see engine.c) */
	if (a->target[0]) {
		rc = linux_ns_fd(x->c, a->target, &peer_fd);
		if (rc < 0)
			return exec_fail(x, rc, "%s: create veth pair: jail %s", a->ifname, a->target);
	}
	rc = nl_talk(x->s, nl_req_veth_create(buf, a->ifname, a->peer, a->has_mac ? a->mac : NULL, peer_fd),
		     NULL, NULL);
	/* the host end will be a bridge port: no link-local, no DAD or MLD
	 * chatter (set before the link is ever up; see nl_req_link_no_ipv6) */
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_link_no_ipv6(buf, a->ifname), NULL, NULL);
	return rc < 0 ? exec_fail(x, rc, "%s: create veth pair %s/%s", a->ifname, a->ifname, a->peer) : 0;
}
