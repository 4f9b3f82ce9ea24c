/*
 * Changes to a link of any kind: destroy, enslave to a bridge, move into a
 * jail, mtu, MAC, up; and whether a link exists.
 */
#include <errno.h>
#include <stdio.h>

#include "os/linux/execute.h"
#include "os/linux/tundev.h"

/* ACTION_LINK_DESTROY, a userspace tunnel's daemon first; absent is success. */
int exec_link_destroy(struct exec *x)
{
	char buf[NL_REQ_SIZE];
	int index, rc;

	/* a userspace tunnel: its daemon goes first (else it re-attaches),
	 * and its files with it, also when the pidfile names no daemon of
	 * ours any more (linux_tun_daemon_stop signals only a live one) */
	if (!x->a->ns[0] && linux_tun_has_pidfile(x->c, x->a->ifname))
		linux_tun_daemon_stop(x->c, x->a->ifname);

	rc = nl_link_index(x->s, x->a->ifname, &index);
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_link_del(buf, index), NULL, NULL);
	/* Already gone is what was asked for: deleting one end of a veth pair
	 * takes the other end with it. */
	if (rc == -ENODEV)
		return 0;
	return rc < 0 ? exec_fail(x, rc, "%s: destroy", x->a->ifname) : 0;
}

/* Apply set to link a->ifname; what names the change in messages. */
int exec_link_change(struct exec *x, const struct nl_link_set *set, const char *what)
{
	char buf[NL_REQ_SIZE];
	int index, rc;

	rc = nl_link_index(x->s, x->a->ifname, &index);
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_link_set(buf, index, set), NULL, NULL);
	return rc < 0 ? exec_fail(x, rc, "%s: %s", x->a->ifname, what) : 0;
}

/* ACTION_LINK_SET_MASTER: make ifname a port of bridge a->peer. */
int exec_link_set_master(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link_set set = NL_LINK_SET_INIT;
	char buf[NL_REQ_SIZE];
	int member, rc;

	if (!model_ifname_ok(a->peer))
		return exec_fail_msg(x, -EINVAL, "%s: invalid bridge name \"%s\"", a->ifname, a->peer);
	rc = nl_link_index(x->s, a->peer, &set.master);
	if (rc == -ENODEV)
		return exec_fail_msg(x, rc, "%s: add member %s: no such bridge", a->peer, a->ifname);
	if (rc == 0)
		rc = nl_link_index(x->s, a->ifname, &member);
	if (rc == 0)
		rc = nl_talk(x->s, nl_req_link_set(buf, member, &set), NULL, NULL);
	return rc < 0 ? exec_fail(x, rc, "%s: add member %s", a->peer, a->ifname) : 0;
}

/* ACTION_LINK_SET_NS: move ifname into jail a->target; already there is success. */
int exec_link_set_ns(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link_set set = NL_LINK_SET_INIT;
	char what[MODEL_NAME_MAX + 16];
	int rc, index;

	snprintf(what, sizeof(what), "move to jail %s", a->target);
	if (!model_jailname_ok(a->target))
		return exec_fail_msg(x, -EINVAL, "%s: %s: invalid jail name", a->ifname, what);
	rc = linux_ns_fd(x->c, a->target, &set.netns_fd);
	if (rc == -ENOENT)
		return exec_fail_msg(x, rc, "%s: %s: no such jail", a->ifname, what);
	if (rc < 0)
		return exec_fail(x, rc, "%s: %s", a->ifname, what);
	/* already there: the veth was created with its peer inside the jail */
	if (nl_link_index(x->s, a->ifname, &index) == -ENODEV) {
		struct nl_sock *ts;
		if (linux_ns_sock(x->c, a->target, &ts) == 0 && nl_link_index(ts, a->ifname, &index) == 0)
			return 0;
	}
	return exec_link_change(x, &set, what);
}

/* ACTION_LINK_SET_MTU, refused outside what any link could take. */
int exec_link_set_mtu(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "set mtu %d", x->a->mtu);
	/* 68: the IPv4 minimum; 65535: what a netlink u32 MTU sanely holds. */
	if (x->a->mtu < 68 || x->a->mtu > 65535)
		return exec_fail_msg(x, -EINVAL, "%s: %s: out of range 68..65535", x->a->ifname, what);
	set.mtu = x->a->mtu;
	rc = exec_link_change(x, &set, what);
	/* a userspace tunnel's datapath follows its TUN link (tundev.c) */
	if (rc == 0 && !x->a->ns[0])
		rc = linux_tun_daemon_reload(x->c, x->a->ifname, x->a->mtu, x->err, x->errlen);
	return rc;
}

int exec_link_set_mac(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;
	char mac[18], what[32];

	snprintf(what, sizeof(what), "set mac %s", mac_format(x->a->mac, mac, sizeof(mac)));
	set.mac = x->a->mac;
	return exec_link_change(x, &set, what);
}

int exec_link_up(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;

	set.up = true;
	return exec_link_change(x, &set, "up");
}

int linux_link_exists(struct linux_ctx *c, const char *ns, const char *name)
{
	struct nl_sock *s;
	int index, rc = linux_ns_sock(c, ns, &s);

	if (rc < 0)
		return rc;
	rc = nl_link_index(s, name, &index);
	return rc == 0 ? 1 : rc == -ENODEV ? 0 : rc;
}
