/*
 * What execute.c shares with the files that carry out each kind of plan
 * action (link_bridge.c, link_veth.c, link_tunnel.c, link.c, addr.c,
 * route.c, sysctl.c, jail_action.c): the action being executed, and the
 * helpers that write its error message. Backend-internal.
 */
#ifndef JAIL6_OS_LINUX_EXECUTE_H
#define JAIL6_OS_LINUX_EXECUTE_H

#include <stddef.h>

#include "model/addr.h"
#include "os/linux/linux.h"
#include "os/linux/linux_int.h"
#include "plan/action.h"

/* One action being executed, and where its error message goes. */
struct exec {
	struct linux_ctx *c;
	const struct action *a;
	struct nl_sock *s;   /* socket of a->ns, for netlink actions */
	char *err;
	size_t errlen;
};

/* "[NS: ]WHAT: strerror(-rc) (kernel text)" into x->err; returns rc. */
__attribute__((format(printf, 3, 4)))
int exec_fail(const struct exec *x, int rc, const char *fmt, ...);
/* "[NS: ]WHAT" with no errno text; returns rc. */
__attribute__((format(printf, 3, 4)))
int exec_fail_msg(const struct exec *x, int rc, const char *fmt, ...);

/* An address with its prefix length made explicit (full when absent). */
struct addr exec_with_plen(const struct addr *a);
/* Apply set to link x->a->ifname; what names the change in messages
 * (link.c; the userspace tunnel sets its MTU with it too). */
int exec_link_change(struct exec *x, const struct nl_link_set *set, const char *what);

/* ---- handlers: carry out x->a, 0 or -errno with x->err set. Those of
 * netlink kinds run with x->s open and its ext ack cleared. */

int exec_bridge_create(struct exec *x);   /* link_bridge.c */
int exec_veth_create(struct exec *x);     /* link_veth.c */
int exec_tunnel(struct exec *x);          /* link_tunnel.c: create and change */
int exec_link_destroy(struct exec *x);    /* link.c */
int exec_link_set_master(struct exec *x);
int exec_link_set_ns(struct exec *x);
int exec_link_set_mtu(struct exec *x);
int exec_link_set_mac(struct exec *x);
int exec_link_up(struct exec *x);
int exec_addr(struct exec *x);            /* addr.c: add and delete */
int exec_route(struct exec *x);           /* route.c: add and delete */
int exec_sysctl(struct exec *x);          /* sysctl.c */
int exec_jail(struct exec *x);            /* jail_action.c: create, destroy, exec */
int exec_filter(struct exec *x);          /* nft.c: the port filter */

#endif
