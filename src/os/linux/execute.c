/*
 * Execute: carry out one plan action in-process, over rtnetlink for links,
 * addresses and routes, /proc/sys for sysctls, and jail.c for jails. Every
 * request asks for an ack and every reply is checked; a failure leaves a
 * message naming the object in err. This file dispatches on the action's
 * kind through a table; each kind's handler lives in its own file
 * (execute.h lists them) and writes its message with exec_fail().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "os/linux/execute.h"

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
int exec_fail(const struct exec *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(x, rc, true, fmt, ap);
	va_end(ap);
	return rc;
}

/* "[NS: ]WHAT" with no errno text; returns rc. */
int exec_fail_msg(const struct exec *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	failv(x, rc, false, fmt, ap);
	va_end(ap);
	return rc;
}

/* An address with its prefix length made explicit (full when absent). */
struct addr exec_with_plen(const struct addr *a)
{
	struct addr r = *a;

	if (r.plen < 0)
		r.plen = r.family == AF_INET ? 32 : 128;
	return r;
}

/* What an action kind needs before its handler runs. */
#define EXEC_NETLINK    (1u << 0) /* the socket of a->ns in x->s */
#define EXEC_IFNAME     (1u << 1) /* a valid a->ifname */
#define EXEC_IFNAME_OPT (1u << 2) /* a valid a->ifname, or none ("") */

/* One action kind: its handler and what it needs. */
struct exec_kind {
	int (*run)(struct exec *x);
	unsigned int needs;
};

/* An action on one named link: its namespace's socket and a valid ifname. */
#define EXEC_ON_LINK(fn) { fn, EXEC_NETLINK | EXEC_IFNAME }

/* Every action kind's handler, by kind: a new kind needs a line here. */
static const struct exec_kind exec_kinds[] = {
	[ACTION_JAIL_CREATE] = { exec_jail, 0 },
	[ACTION_JAIL_DESTROY] = { exec_jail, 0 },
	[ACTION_JAIL_EXEC] = { exec_jail, 0 },
	[ACTION_SYSCTL_SET] = { exec_sysctl, 0 },
	[ACTION_FILTER_CREATE] = { exec_filter, 0 },
	[ACTION_FILTER_PORT_SET] = { exec_filter, 0 },
	[ACTION_FILTER_PORT_DEL] = { exec_filter, 0 },
	[ACTION_FILTER_DESTROY] = { exec_filter, 0 },
	[ACTION_TUNNEL_CREATE] = EXEC_ON_LINK(exec_tunnel),
	[ACTION_TUNNEL_CHANGE] = EXEC_ON_LINK(exec_tunnel),
	[ACTION_BRIDGE_CREATE] = EXEC_ON_LINK(exec_bridge_create),
	[ACTION_VETH_CREATE] = EXEC_ON_LINK(exec_veth_create),
	[ACTION_LINK_DESTROY] = EXEC_ON_LINK(exec_link_destroy),
	[ACTION_LINK_SET_MASTER] = EXEC_ON_LINK(exec_link_set_master),
	[ACTION_LINK_SET_NS] = EXEC_ON_LINK(exec_link_set_ns),
	[ACTION_LINK_SET_MTU] = EXEC_ON_LINK(exec_link_set_mtu),
	[ACTION_LINK_SET_MAC] = EXEC_ON_LINK(exec_link_set_mac),
	[ACTION_LINK_UP] = EXEC_ON_LINK(exec_link_up),
	[ACTION_ADDR_ADD] = EXEC_ON_LINK(exec_addr),
	[ACTION_ADDR_DEL] = EXEC_ON_LINK(exec_addr),
	[ACTION_ROUTE_ADD] = { exec_route, EXEC_NETLINK | EXEC_IFNAME_OPT },
	[ACTION_ROUTE_DEL] = { exec_route, EXEC_NETLINK | EXEC_IFNAME_OPT },
};

/* A kind without a handler goes through the same checks as a link kind
 * (so a bad name is reported the same way) before it is refused. */
static const struct exec_kind exec_unknown = { NULL, EXEC_NETLINK | EXEC_IFNAME };

/* The table entry of kind k, or exec_unknown. */
static const struct exec_kind *exec_kind_of(enum action_kind k)
{
	if ((size_t)k < sizeof(exec_kinds) / sizeof(exec_kinds[0]) && exec_kinds[k].run)
		return &exec_kinds[k];
	return &exec_unknown;
}

/* Whether the action's own names are valid, before anything is sent. */
static int check_names(const struct exec *x, unsigned int needs)
{
	const struct action *a = x->a;

	if (a->ns[0] != '\0' && !model_jailname_ok(a->ns))
		return exec_fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->ns);
	if ((needs & EXEC_IFNAME_OPT) && a->ifname[0] == '\0')
		return 0;
	if ((needs & (EXEC_IFNAME | EXEC_IFNAME_OPT)) && !model_ifname_ok(a->ifname))
		return exec_fail_msg(x, -EINVAL, "invalid interface name \"%s\"", a->ifname);
	return 0;
}

int linux_execute(struct linux_ctx *c, const struct action *a, char *err, size_t errlen)
{
	struct exec x = { .c = c, .a = a, .err = err, .errlen = errlen };
	const struct exec_kind *k = exec_kind_of(a->kind);
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = check_names(&x, k->needs);
	if (rc < 0)
		return rc;
	if (k->needs & EXEC_NETLINK) {
		rc = linux_ns_sock(c, a->ns, &x.s);
		if (rc == -ENOENT)
			return exec_fail_msg(&x, rc, "no such jail");
		if (rc < 0)
			return exec_fail(&x, rc, "netlink socket");
		nl_sock_clear_ext_ack(x.s);
	}
	if (!k->run)
		return exec_fail_msg(&x, -EINVAL, "action kind %d not supported", (int)a->kind);
	return k->run(&x);
}
