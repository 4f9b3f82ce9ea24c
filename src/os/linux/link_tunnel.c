/*
 * 6in4 tunnels: the kernel's sit link, or the userspace datapath (a TUN
 * device and its supervised daemon, tundev.c); the local endpoint "auto"
 * resolved to the source address the kernel would use toward the remote.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "os/linux/execute.h"
#include "os/linux/tundev.h"

/* nl_talk callback: the preferred source of the route the kernel picked. */
static int prefsrc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_route r;

	if (nl_parse_route(nlh, &r) < 0)
		return -EBADMSG;
	*(struct addr *)data = r.prefsrc;
	return 0;
}

/* local = auto: the source address the kernel would use toward remote. */
static int tunnel_local(struct exec *x, struct addr *local)
{
	char buf[NL_REQ_SIZE], r[ADDR_STRLEN];
	int rc;

	memset(local, 0, sizeof(*local));
	rc = nl_talk(x->s, nl_req_route_get(buf, &x->a->gw), prefsrc_cb, local);
	addr_format_host(&x->a->gw, r, sizeof(r));
	if (rc < 0)
		return exec_fail(x, rc, "%s: find local address toward %s", x->a->ifname, r);
	if (local->family != AF_INET)
		return exec_fail_msg(x, -EADDRNOTAVAIL, "%s: no local IPv4 address toward %s",
				     x->a->ifname, r);
	return 0;
}

/* Dump callback of link_get(). */
static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_parse_link(nlh, data) == 0 ? 0 : 0;
}

/* The link named name in x's namespace; -ENODEV when absent. */
static int link_get(struct exec *x, const char *name, struct nl_link *l)
{
	char buf[NL_REQ_SIZE];
	int rc;

	memset(l, 0, sizeof(*l));
	rc = nl_talk(x->s, nl_req_link_get(buf, name), link_get_cb, l);
	if (rc < 0)
		return rc;
	return l->index > 0 ? 0 : -ENODEV;
}

/* The userspace datapath: a persistent TUN device with the tunnel's MTU and
 * its supervised daemon; a change restarts the daemon with the new settings. */
static int do_tunnel_userspace(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link_set set = NL_LINK_SET_INIT;
	char what[32];
	int rc;

	if (a->kind == ACTION_TUNNEL_CREATE) {
		rc = linux_tun_create(x->c, a->ifname);
		if (rc < 0)
			return exec_fail(x, rc, "%s: create TUN device", a->ifname);
	}
	set.mtu = a->mtu ? a->mtu : MODEL_TUNNEL_MTU_DEFAULT;
	snprintf(what, sizeof(what), "set mtu %d", set.mtu);
	rc = exec_link_change(x, &set, what);
	if (rc < 0)
		return rc;
	linux_tun_daemon_stop(x->c, a->ifname);
	rc = linux_tun_daemon_start(x->c, a, x->err, x->errlen);
	return rc;
}

/* The kernel datapath: a sit link, created or changed in place. */
static int do_tunnel_kernel(struct exec *x)
{
	const struct action *a = x->a;
	bool create = a->kind == ACTION_TUNNEL_CREATE;
	struct nl_sit t = { .ttl = a->ttl, .mtu = a->mtu };
	char buf[NL_REQ_SIZE], r[ADDR_STRLEN];
	int index = 0, rc;

	if (a->gw.family != AF_INET || (!a->local_auto && a->addr.family != AF_INET))
		return exec_fail_msg(x, -EINVAL, "%s: 6in4 endpoints must be IPv4 addresses", a->ifname);
	if (a->ttl < 0 || a->ttl > 255)
		return exec_fail_msg(x, -EINVAL, "%s: ttl %d out of range 0..255", a->ifname, a->ttl);
	if (a->mtu != 0 && (a->mtu < MODEL_TUNNEL_MTU_MIN || a->mtu > MODEL_TUNNEL_MTU_MAX))
		return exec_fail_msg(x, -EINVAL, "%s: mtu %d out of range %d..%d", a->ifname, a->mtu,
				     MODEL_TUNNEL_MTU_MIN, MODEL_TUNNEL_MTU_MAX);
	t.remote = a->gw;
	t.remote.plen = -1;
	if (a->local_auto) {
		rc = tunnel_local(x, &t.local);
		if (rc < 0)
			return rc;
	} else {
		t.local = a->addr;
		t.local.plen = -1;
	}
	rc = create ? 0 : nl_link_index(x->s, a->ifname, &index);
	/* Datapath auto means the kernel's sit for now: it is the only one. */
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_sit(buf, a->ifname, index, &t), NULL, NULL);
	addr_format_host(&a->gw, r, sizeof(r));
	if (rc < 0)
		return exec_fail(x, rc, "%s: %s 6in4 tunnel to %s", a->ifname,
				 create ? "create" : "change", r);
	return 0;
}

/*
 * datapath kernel: a sit link. userspace: TUN + daemon. auto: a sit link when
 * the kernel can make one, else the userspace datapath; a change keeps the
 * kind that is there.
 */
int exec_tunnel(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link l;
	int rc;

	if (a->gw.family != AF_INET || (!a->local_auto && a->addr.family != AF_INET))
		return exec_fail_msg(x, -EINVAL, "%s: 6in4 endpoints must be IPv4 addresses", a->ifname);
	if (a->datapath == MODEL_DATAPATH_USERSPACE || a->datapath == MODEL_DATAPATH_EBPF)
		return do_tunnel_userspace(x);
	if (a->datapath == MODEL_DATAPATH_KERNEL)
		return do_tunnel_kernel(x);
	if (a->kind == ACTION_TUNNEL_CHANGE && link_get(x, a->ifname, &l) == 0 && !strcmp(l.kind, "tun"))
		return do_tunnel_userspace(x);
	rc = do_tunnel_kernel(x);
	/* no sit in this kernel (unknown link kind): fall back */
	if (a->kind == ACTION_TUNNEL_CREATE && (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOENT)) {
		x->err[0] = '\0';
		return do_tunnel_userspace(x);
	}
	return rc;
}
