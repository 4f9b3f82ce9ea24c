/*
 * Execute: carry out one plan action in-process, over rtnetlink for links,
 * addresses and routes, /proc/sys for sysctls, and jail.c for jails. Every
 * request asks for an ack and every reply is checked; a failure leaves a
 * message naming the object in err.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include "os/linux/jail.h"
#include "os/linux/linux.h"
#include "os/linux/nl.h"
#include "os/linux/tundev.h"

/* One action being executed, and where its error message goes. */
struct exec {
	struct linux_ctx *c;
	const struct action *a;
	struct nl_sock *s;   /* socket of a->ns, for netlink actions */
	char *err;
	size_t errlen;
};

/* Write "[NS: ]MESSAGE" into x->err; returns rc. */
__attribute__((format(printf, 4, 0)))
static int failv(const struct exec *x, int rc, bool with_errno, const char *fmt, va_list ap)
{
	size_t off = 0;
	int n;

	if (!x->err || x->errlen == 0)
		return rc;
	x->err[0] = '\0';
	if (x->a->ns[0] != '\0') {
		n = snprintf(x->err, x->errlen, "%s: ", x->a->ns);
		off = n >= 0 && (size_t)n < x->errlen ? (size_t)n : x->errlen - 1;
	}
	n = vsnprintf(x->err + off, x->errlen - off, fmt, ap);
	off += n >= 0 && (size_t)n < x->errlen - off ? (size_t)n : x->errlen - 1 - off;
	if (with_errno) {
		n = snprintf(x->err + off, x->errlen - off, ": %s", strerror(-rc));
		off += n >= 0 && (size_t)n < x->errlen - off ? (size_t)n : x->errlen - 1 - off;
		/* The kernel's own words, e.g. "Unknown device type". */
		if (x->s && nl_sock_ext_ack(x->s)[0] != '\0')
			snprintf(x->err + off, x->errlen - off, " (%s)", nl_sock_ext_ack(x->s));
	}
	return rc;
}

/* "[NS: ]WHAT: strerror(-rc) (kernel text)"; returns rc. */
__attribute__((format(printf, 3, 4)))
static int fail(const struct exec *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(x, rc, true, fmt, ap);
	va_end(ap);
	return rc;
}

/* "[NS: ]WHAT" with no errno text; returns rc. */
__attribute__((format(printf, 3, 4)))
static int fail_msg(const struct exec *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(x, rc, false, fmt, ap);
	va_end(ap);
	return rc;
}

static int talk(struct exec *x, struct nlmsghdr *req, nl_msg_cb cb, void *data)
{
	return nl_talk(x->s, req, cb, data);
}

/* An address with its prefix length made explicit (full when absent). */
static struct addr with_plen(const struct addr *a)
{
	struct addr r = *a;

	if (r.plen < 0)
		r.plen = r.family == AF_INET ? 32 : 128;
	return r;
}

/* ---- links */

static int do_bridge_create(struct exec *x)
{
	char buf[NL_REQ_SIZE];
	int rc;

	/* EEXIST is an error here: an existing link may be of another kind or
	 * someone else's; the planner decides when a bridge may be adopted. */
	rc = talk(x, nl_req_bridge_create(buf, x->a->ifname), NULL, NULL);
	if (rc < 0)
		return fail(x, rc, "%s: create bridge", x->a->ifname);
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
		return fail(x, rc, "%s: turn DAD off", x->a->ifname);
	return 0;
}

static int do_veth_create(struct exec *x)
{
	const struct action *a = x->a;
	char buf[NL_REQ_SIZE];
	int rc;

	int peer_fd = -1;

	if (!model_ifname_ok(a->peer))
		return fail_msg(x, -EINVAL, "%s: invalid veth peer name \"%s\"", a->ifname, a->peer);
	/* target set: create the peer directly inside that jail (see engine.c) */
	if (a->target[0]) {
		rc = linux_ns_fd(x->c, a->target, &peer_fd);
		if (rc < 0)
			return fail(x, rc, "%s: create veth pair: jail %s", a->ifname, a->target);
	}
	rc = talk(x, nl_req_veth_create(buf, a->ifname, a->peer, a->has_mac ? a->mac : NULL, peer_fd),
		  NULL, NULL);
	/* the host end will be a bridge port: no link-local, no DAD or MLD
	 * chatter (set before the link is ever up; see nl_req_link_no_ipv6) */
	if (rc == 0)
		rc = talk(x, nl_req_link_no_ipv6(buf, a->ifname), NULL, NULL);
	return rc < 0 ? fail(x, rc, "%s: create veth pair %s/%s", a->ifname, a->ifname, a->peer) : 0;
}

static int do_link_destroy(struct exec *x)
{
	char buf[NL_REQ_SIZE];
	int index, rc;

	/* a userspace tunnel: its daemon goes first (else it re-attaches) */
	if (!x->a->ns[0] && linux_tun_daemon_pid(x->c, x->a->ifname) > 0)
		linux_tun_daemon_stop(x->c, x->a->ifname);

	rc = nl_link_index(x->s, x->a->ifname, &index);
	if (rc == 0)
		rc = talk(x, nl_req_link_del(buf, index), NULL, NULL);
	/* Already gone is what was asked for: deleting one end of a veth pair
	 * takes the other end with it. */
	if (rc == -ENODEV)
		return 0;
	return rc < 0 ? fail(x, rc, "%s: destroy", x->a->ifname) : 0;
}

/* Apply set to link a->ifname; what names the change in messages. */
static int link_change(struct exec *x, const struct nl_link_set *set, const char *what)
{
	char buf[NL_REQ_SIZE];
	int index, rc;

	rc = nl_link_index(x->s, x->a->ifname, &index);
	if (rc == 0)
		rc = talk(x, nl_req_link_set(buf, index, set), NULL, NULL);
	return rc < 0 ? fail(x, rc, "%s: %s", x->a->ifname, what) : 0;
}

static int do_link_set_master(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link_set set = NL_LINK_SET_INIT;
	char buf[NL_REQ_SIZE];
	int member, rc;

	if (!model_ifname_ok(a->peer))
		return fail_msg(x, -EINVAL, "%s: invalid bridge name \"%s\"", a->ifname, a->peer);
	rc = nl_link_index(x->s, a->peer, &set.master);
	if (rc == -ENODEV)
		return fail_msg(x, rc, "%s: add member %s: no such bridge", a->peer, a->ifname);
	if (rc == 0)
		rc = nl_link_index(x->s, a->ifname, &member);
	if (rc == 0)
		rc = talk(x, nl_req_link_set(buf, member, &set), NULL, NULL);
	return rc < 0 ? fail(x, rc, "%s: add member %s", a->peer, a->ifname) : 0;
}

static int do_link_set_ns(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link_set set = NL_LINK_SET_INIT;
	char what[MODEL_NAME_MAX + 16];
	int rc, index;

	snprintf(what, sizeof(what), "move to jail %s", a->target);
	if (!model_jailname_ok(a->target))
		return fail_msg(x, -EINVAL, "%s: %s: invalid jail name", a->ifname, what);
	rc = linux_ns_fd(x->c, a->target, &set.netns_fd);
	if (rc == -ENOENT)
		return fail_msg(x, rc, "%s: %s: no such jail", a->ifname, what);
	if (rc < 0)
		return fail(x, rc, "%s: %s", a->ifname, what);
	/* already there: the veth was created with its peer inside the jail */
	if (nl_link_index(x->s, a->ifname, &index) == -ENODEV) {
		struct nl_sock *ts;
		if (linux_ns_sock(x->c, a->target, &ts) == 0 && nl_link_index(ts, a->ifname, &index) == 0)
			return 0;
	}
	return link_change(x, &set, what);
}

static int do_link_set_mtu(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "set mtu %d", x->a->mtu);
	/* 68: the IPv4 minimum; 65535: what a netlink u32 MTU sanely holds. */
	if (x->a->mtu < 68 || x->a->mtu > 65535)
		return fail_msg(x, -EINVAL, "%s: %s: out of range 68..65535", x->a->ifname, what);
	set.mtu = x->a->mtu;
	rc = link_change(x, &set, what);
	/* a userspace tunnel's datapath follows its TUN link (tundev.c) */
	if (rc == 0 && !x->a->ns[0])
		rc = linux_tun_daemon_reload(x->c, x->a->ifname, x->a->mtu, x->err, x->errlen);
	return rc;
}

static int do_link_set_mac(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;
	char mac[18], what[32];

	snprintf(what, sizeof(what), "set mac %s", mac_format(x->a->mac, mac, sizeof(mac)));
	set.mac = x->a->mac;
	return link_change(x, &set, what);
}

static int do_link_up(struct exec *x)
{
	struct nl_link_set set = NL_LINK_SET_INIT;

	set.up = true;
	return link_change(x, &set, "up");
}

/* ---- 6in4 tunnel */

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
	rc = talk(x, nl_req_route_get(buf, &x->a->gw), prefsrc_cb, local);
	addr_format_host(&x->a->gw, r, sizeof(r));
	if (rc < 0)
		return fail(x, rc, "%s: find local address toward %s", x->a->ifname, r);
	if (local->family != AF_INET)
		return fail_msg(x, -EADDRNOTAVAIL, "%s: no local IPv4 address toward %s",
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
			return fail(x, rc, "%s: create TUN device", a->ifname);
	}
	set.mtu = a->mtu ? a->mtu : MODEL_TUNNEL_MTU_DEFAULT;
	snprintf(what, sizeof(what), "set mtu %d", set.mtu);
	rc = link_change(x, &set, what);
	if (rc < 0)
		return rc;
	linux_tun_daemon_stop(x->c, a->ifname);
	rc = linux_tun_daemon_start(x->c, a, x->err, x->errlen);
	return rc;
}

static int do_tunnel_kernel(struct exec *x);

/*
 * datapath kernel: a sit link. userspace: TUN + daemon. auto: a sit link when
 * the kernel can make one, else the userspace datapath; a change keeps the
 * kind that is there.
 */
static int do_tunnel(struct exec *x)
{
	const struct action *a = x->a;
	struct nl_link l;
	int rc;

	if (a->gw.family != AF_INET || (!a->local_auto && a->addr.family != AF_INET))
		return fail_msg(x, -EINVAL, "%s: 6in4 endpoints must be IPv4 addresses", a->ifname);
	if (a->datapath == MODEL_DATAPATH_USERSPACE)
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

static int do_tunnel_kernel(struct exec *x)
{
	const struct action *a = x->a;
	bool create = a->kind == ACTION_TUNNEL_CREATE;
	struct nl_sit t = { .ttl = a->ttl, .mtu = a->mtu };
	char buf[NL_REQ_SIZE], r[ADDR_STRLEN];
	int index = 0, rc;

	if (a->gw.family != AF_INET || (!a->local_auto && a->addr.family != AF_INET))
		return fail_msg(x, -EINVAL, "%s: 6in4 endpoints must be IPv4 addresses", a->ifname);
	if (a->ttl < 0 || a->ttl > 255)
		return fail_msg(x, -EINVAL, "%s: ttl %d out of range 0..255", a->ifname, a->ttl);
	if (a->mtu != 0 && (a->mtu < MODEL_TUNNEL_MTU_MIN || a->mtu > MODEL_TUNNEL_MTU_MAX))
		return fail_msg(x, -EINVAL, "%s: mtu %d out of range %d..%d", a->ifname, a->mtu,
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
		rc = talk(x, nl_req_sit(buf, a->ifname, index, &t), NULL, NULL);
	addr_format_host(&a->gw, r, sizeof(r));
	if (rc < 0)
		return fail(x, rc, "%s: %s 6in4 tunnel to %s", a->ifname,
			    create ? "create" : "change", r);
	return 0;
}

/* ---- addresses */

struct addr_find {
	int index;
	struct addr addr;
	bool found;
};

/* Dump callback: is the sought address (same prefix length) on the link? */
static int addr_find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_find *f = data;
	struct nl_addr na;

	if (nl_parse_addr(nlh, &na) == 0 && na.index == f->index && addr_equal(&na.addr, &f->addr))
		f->found = true;
	return 0;
}

static int do_addr(struct exec *x)
{
	const struct action *a = x->a;
	bool add = a->kind == ACTION_ADDR_ADD;
	struct addr_find f = { .addr = with_plen(&a->addr) };
	char buf[NL_REQ_SIZE], s[ADDR_STRLEN], what[ADDR_STRLEN + 16];
	int rc;

	if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
		return fail_msg(x, -EINVAL, "%s: address without a family", a->ifname);
	snprintf(what, sizeof(what), "%s address %s", add ? "add" : "delete",
		 addr_format(&f.addr, s, sizeof(s)));
	rc = nl_link_index(x->s, a->ifname, &f.index);
	if (rc == 0)
		rc = talk(x, nl_req_addr(buf, add ? RTM_NEWADDR : RTM_DELADDR, f.index, &f.addr),
			  NULL, NULL);
	/* Deleting an address that is not there (or whose link is gone)
	 * leaves what was asked for. */
	if (!add && (rc == -EADDRNOTAVAIL || rc == -ENODEV))
		return 0;
	/* EEXIST on add is success only if the very address, with the same
	 * prefix length, is there (IPv6 refuses the same address with another
	 * prefix length with EEXIST too). */
	if (add && rc == -EEXIST) {
		int rc2 = talk(x, nl_req_dump(buf, RTM_GETADDR, a->addr.family), addr_find_cb, &f);

		if (rc2 == 0 && f.found)
			return 0;
		return fail_msg(x, rc, "%s: %s: the address exists with another prefix length",
				a->ifname, what);
	}
	return rc < 0 ? fail(x, rc, "%s: %s", a->ifname, what) : 0;
}

/* ---- routes */

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

static int do_route(struct exec *x)
{
	const struct action *a = x->a;
	bool add = a->kind == ACTION_ROUTE_ADD;
	struct route_find f = { .gw = a->gw };
	char buf[NL_REQ_SIZE], d[ADDR_STRLEN], g[ADDR_STRLEN], what[2 * ADDR_STRLEN + 48];
	int rc;

	if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
		return fail_msg(x, -EINVAL, "route without a destination family");
	if (a->gw.family != 0 && a->gw.family != a->addr.family)
		return fail_msg(x, -EINVAL, "route %s: gateway of another family",
				addr_format(&a->addr, d, sizeof(d)));
	/* The kernel wants the network address (IPv4 refuses host bits). */
	f.dst = addr_network(&a->addr);
	f.dst = with_plen(&f.dst);
	f.gw.plen = -1;
	snprintf(what, sizeof(what), "route %s%s%s%s%s", addr_format(&f.dst, d, sizeof(d)),
		 f.gw.family ? " via " : "", f.gw.family ? addr_format_host(&f.gw, g, sizeof(g)) : "",
		 a->ifname[0] ? " dev " : "", a->ifname);
	rc = a->ifname[0] ? nl_link_index(x->s, a->ifname, &f.oif) : 0;
	if (rc == 0)
		rc = talk(x, nl_req_route(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, &f.dst, &f.gw,
					  f.oif), NULL, NULL);
	/* Deleting a route that is not there (or whose device is gone) leaves
	 * what was asked for. */
	if (!add && (rc == -ESRCH || rc == -ENODEV))
		return 0;
	/* EEXIST on add is success only if that route, same gateway and
	 * device, is there: another route to dst is a conflict. */
	if (add && rc == -EEXIST) {
		int rc2 = talk(x, nl_req_dump(buf, RTM_GETROUTE, f.dst.family), route_find_cb, &f);

		if (rc2 == 0 && f.found)
			return 0;
		return fail_msg(x, rc, "%s: add: another route to %s exists", what, d);
	}
	return rc < 0 ? fail(x, rc, "%s: %s", what, add ? "add" : "delete") : 0;
}

/* ---- sysctls and jails */

/* A sysctl value jail6 writes: a small decimal integer. */
static bool sysctl_value_ok(const char *v)
{
	size_t i = v[0] == '-' ? 1 : 0;

	if (v[i] == '\0')
		return false;
	for (; v[i]; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static int do_sysctl(struct exec *x)
{
	const struct action *a = x->a;
	int rc;

	if (!linux_sysctl_path(a->key))
		return fail_msg(x, -EINVAL, "sysctl %s: unknown key", a->key);
	if (!sysctl_value_ok(a->value))
		return fail_msg(x, -EINVAL, "sysctl %s: invalid value \"%s\"", a->key, a->value);
	rc = linux_sysctl_write(x->c, a->ns, a->key, a->value);
	return rc < 0 ? fail(x, rc, "sysctl %s=%s", a->key, a->value) : 0;
}

static int do_jail(struct exec *x)
{
	const struct action *a = x->a;
	const char *rt = linux_runtime_dir(x->c);
	int rc, status = 0;

	if (!model_jailname_ok(a->target))
		return fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->target);
	/* A socket or fd we hold would keep the old namespace alive, or make
	 * us talk to it instead of the new one. */
	linux_ns_forget(x->c, a->target);
	if (x->err && x->errlen)
		x->err[0] = '\0';
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		rc = jail_create(rt, a->target, a->hostname, a->path, x->err, x->errlen);
		break;
	case ACTION_JAIL_DESTROY:
		rc = jail_destroy(rt, a->target, x->err, x->errlen);
		/* No such jail: destroyed already, what was asked for. */
		if (rc == -ENOENT)
			return 0;
		break;
	default:
		if (!a->argv || a->argv->argc == 0 || !a->argv->argv || !a->argv->argv[0])
			return fail_msg(x, -EINVAL, "%s: exec: empty command", a->target);
		rc = jail_run_err(rt, a->target, a->argv->argv, &status, x->err, x->errlen);
		if (rc == 0 && status != 0)
			return fail_msg(x, -EIO, "%s: exec %s: exited with status %d", a->target,
					a->argv->argv[0], status);
		break;
	}
	if (rc < 0 && x->err && x->errlen && x->err[0] == '\0')
		fail(x, rc, "%s: %s", a->target, action_kind_name(a->kind));
	return rc;
}

/* ---- dispatch */

/* Whether the action's own names are valid, before anything is sent. */
static int check_names(const struct exec *x)
{
	const struct action *a = x->a;

	if (a->ns[0] != '\0' && !model_jailname_ok(a->ns))
		return fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->ns);
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
	case ACTION_JAIL_DESTROY:
	case ACTION_JAIL_EXEC:
	case ACTION_SYSCTL_SET:
		return 0;
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		if (a->ifname[0] == '\0')
			return 0;
		break;
	default:
		break;
	}
	if (!model_ifname_ok(a->ifname))
		return fail_msg(x, -EINVAL, "invalid interface name \"%s\"", a->ifname);
	return 0;
}

int linux_execute(struct linux_ctx *c, const struct action *a, char *err, size_t errlen)
{
	struct exec x = { .c = c, .a = a, .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = check_names(&x);
	if (rc < 0)
		return rc;
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
	case ACTION_JAIL_DESTROY:
	case ACTION_JAIL_EXEC:
		return do_jail(&x);
	case ACTION_SYSCTL_SET:
		return do_sysctl(&x);
	default:
		break;
	}
	rc = linux_ns_sock(c, a->ns, &x.s);
	if (rc == -ENOENT)
		return fail_msg(&x, rc, "no such jail");
	if (rc < 0)
		return fail(&x, rc, "netlink socket");
	nl_sock_clear_ext_ack(x.s);
	switch (a->kind) {
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		return do_tunnel(&x);
	case ACTION_BRIDGE_CREATE:
		return do_bridge_create(&x);
	case ACTION_VETH_CREATE:
		return do_veth_create(&x);
	case ACTION_LINK_DESTROY:
		return do_link_destroy(&x);
	case ACTION_LINK_SET_MASTER:
		return do_link_set_master(&x);
	case ACTION_LINK_SET_NS:
		return do_link_set_ns(&x);
	case ACTION_LINK_SET_MTU:
		return do_link_set_mtu(&x);
	case ACTION_LINK_SET_MAC:
		return do_link_set_mac(&x);
	case ACTION_LINK_UP:
		return do_link_up(&x);
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
		return do_addr(&x);
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		return do_route(&x);
	default:
		return fail_msg(&x, -EINVAL, "action kind %d not supported", (int)a->kind);
	}
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
