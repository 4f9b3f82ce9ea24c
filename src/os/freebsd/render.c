/* FreeBSD: actions as argv for ifconfig, route, sysctl, jail and jexec. */
#include "os/freebsd/freebsd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Builds a freebsd_cmds; the first failure sticks and later calls no-op. */
struct builder {
	struct freebsd_cmds *c;
	int err;
};

int freebsd_argv_append(char ***argv, const char *w)
{
	size_t n = 0;
	char **v, *d;

	while (*argv && (*argv)[n])
		n++;
	d = strdup(w);
	v = d ? realloc(*argv, (n + 2) * sizeof(*v)) : NULL;
	if (!v) {
		free(d);
		return -ENOMEM;
	}
	v[n] = d;
	v[n + 1] = NULL;
	*argv = v;
	return 0;
}

static void argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

void freebsd_cmds_free(struct freebsd_cmds *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		argv_free(c->argv[i]);
	free(c->argv);
	c->argv = NULL;
	c->n = 0;
}

static void arg(struct builder *b, const char *w)
{
	if (!b->err && b->c->n)
		b->err = freebsd_argv_append(&b->c->argv[b->c->n - 1], w);
}

__attribute__((format(printf, 2, 3)))
static void argf(struct builder *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	arg(b, buf);
}

/* Start a new command running prog, inside jail ns when ns is not "". */
static void cmd(struct builder *b, const char *ns, const char *prog)
{
	char ***v;

	if (b->err)
		return;
	v = realloc(b->c->argv, (b->c->n + 1) * sizeof(*v));
	if (!v) {
		b->err = -ENOMEM;
		return;
	}
	b->c->argv = v;
	v[b->c->n++] = NULL;
	if (ns[0]) {
		arg(b, FREEBSD_JEXEC);
		arg(b, ns);
	}
	arg(b, prog);
}

/* Start `[jexec ns] ifconfig IF`. */
static void ifconfig(struct builder *b, const char *ns, const char *ifname)
{
	cmd(b, ns, FREEBSD_IFCONFIG);
	arg(b, strcmp(ifname, "lo") ? ifname : "lo0");
}

bool freebsd_unit_name(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	if (strncmp(s, prefix, l) || !s[l])
		return false;
	for (s += l; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

const char *freebsd_sysctl_name(const char *generic)
{
	static const char *const map[][2] = {
		{ "ipv6.forwarding", "net.inet6.ip6.forwarding" },
		{ "ipv4.forwarding", "net.inet.ip.forwarding" },
		{ "ipv6.accept_ra", "net.inet6.ip6.accept_rtadv" },
		/* ports up to reservedhigh need privilege: 0 is below any port
		 * a service binds, as ip_unprivileged_port_start = 0 */
		{ "ipv4.ip_unprivileged_port_start", "net.inet.ip.portrange.reservedhigh" },
		/* no counterpart (ping needs allow.raw_sockets): nothing to run */
		{ "ipv4.ping_group_range", "" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], generic))
			return map[i][1];
	return NULL;
}

/* Whether a VETH_CREATE is epairN with ends epairNa / epairNb. */
static bool veth_names_ok(const struct action *a)
{
	size_t l = strlen(a->base);

	return freebsd_unit_name(a->base, "epair") && !strncmp(a->ifname, a->base, l) &&
	       !strcmp(a->ifname + l, "a") && !strncmp(a->peer, a->base, l) && !strcmp(a->peer + l, "b");
}

const char *freebsd_unsupported(const struct action *a)
{
	switch (a->kind) {
	case ACTION_VETH_CREATE:
		if (!veth_names_ok(a))
			return "FreeBSD epair(4) interfaces are named epairN (epairNa on the bridge, "
			       "epairNb in the jail): name the interface epairN";
		break;
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		if (a->datapath == MODEL_DATAPATH_USERSPACE)
			return "datapath = userspace is Linux only; FreeBSD uses the gif(4) kernel tunnel";
		if (a->datapath == MODEL_DATAPATH_EBPF)
			return "datapath = ebpf is Linux only; FreeBSD uses the gif(4) kernel tunnel";
		if (a->keepalive)
			return "keepalive needs jail6's datapath, which is Linux only; FreeBSD uses the gif(4) "
			       "kernel tunnel";
		if (a->gw.family != AF_INET || (!a->local_auto && a->addr.family != AF_INET))
			return "a 6in4 tunnel needs IPv4 endpoints";
		break;
	case ACTION_LINK_SET_MASTER:
		if (freebsd_unit_name(a->ifname, "gif"))
			return "a gif(4) tunnel is never added to a bridge: if_bridge would carry "
			       "EtherIP over it, not 6in4";
		break;
	case ACTION_LINK_SET_NS:
		if (a->ns[0])
			return "only interfaces of the host can be moved into a jail";
		break;
	case ACTION_SYSCTL_SET:
		if (!strncmp(a->key, "ipv6.accept_ra/", 15))
			break; /* ifconfig IF inet6 -accept_rtadv */
		if (!freebsd_sysctl_name(a->key))
			return "no FreeBSD sysctl for this key";
		break;
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
			return "no address";
		break;
	default:
		break;
	}
	return NULL;
}

/* `ifconfig gif0 create`, or `ifconfig gif create name he-ipv6` for a name
 * that is not the cloner's own (ifconfig renames right after cloning). */
static void create_clone(struct builder *b, const char *ifname, const char *cloner)
{
	if (freebsd_unit_name(ifname, cloner)) {
		ifconfig(b, "", ifname);
		arg(b, "create");
	} else {
		ifconfig(b, "", cloner);
		arg(b, "create");
		arg(b, "name");
		arg(b, ifname);
	}
}

/* gif: create (or rename at birth), endpoints, the per-vnet ttl, mtu. */
static void render_tunnel(struct builder *b, const struct action *a)
{
	char local[ADDR_STRLEN], remote[ADDR_STRLEN];

	if (a->kind == ACTION_TUNNEL_CREATE)
		create_clone(b, a->ifname, "gif");
	if (a->local_auto)
		snprintf(local, sizeof(local), "%s", FREEBSD_LOCAL_AUTO);
	else
		addr_format_host(&a->addr, local, sizeof(local));
	ifconfig(b, "", a->ifname);
	arg(b, "tunnel");
	arg(b, local);
	arg(b, addr_format_host(&a->gw, remote, sizeof(remote)));
	if (a->ttl > 0) {
		cmd(b, "", FREEBSD_SYSCTL);
		argf(b, "net.inet.ip.gifttl=%d", a->ttl);
	}
	if (a->mtu > 0) {
		ifconfig(b, "", a->ifname);
		arg(b, "mtu");
		argf(b, "%d", a->mtu);
	}
}

/* ifconfig inet6/inet add or delete, point-to-point when a peer is given. */
static void render_addr(struct builder *b, const struct action *a)
{
	char x[ADDR_STRLEN], p[ADDR_STRLEN];
	bool v6 = a->addr.family == AF_INET6;

	ifconfig(b, a->ns, a->ifname);
	arg(b, v6 ? "inet6" : "inet");
	if (a->kind == ACTION_ADDR_DEL) {
		arg(b, addr_format_host(&a->addr, x, sizeof(x)));
		arg(b, "delete");
		return;
	}
	if (!v6) {
		/* without alias, inet replaces the first address */
		arg(b, addr_format(&a->addr, x, sizeof(x)));
		if (a->gw.family)
			arg(b, addr_format_host(&a->gw, p, sizeof(p)));
		arg(b, "alias");
		return;
	}
	/* devd(8) marks interfaces created on the host ifdisabled unless
	 * rc.conf enables IPv6 on them; a jail's end needs it lifted */
	if (a->ns[0])
		arg(b, "-ifdisabled");
	arg(b, addr_format_host(&a->addr, x, sizeof(x)));
	if (a->gw.family) {
		/* point-to-point (gif): our end, the far end, a host prefix */
		arg(b, addr_format_host(&a->gw, p, sizeof(p)));
		arg(b, "prefixlen");
		arg(b, "128");
	} else {
		arg(b, "prefixlen");
		argf(b, "%d", a->addr.plen < 0 ? 128 : a->addr.plen);
	}
}

/* route add/delete with -inet6, default / -host / -net, gateway or -interface. */
static void render_route(struct builder *b, const struct action *a)
{
	char x[ADDR_STRLEN], g[ADDR_STRLEN];
	bool v6 = a->addr.family == AF_INET6;
	int full = v6 ? 128 : 32;

	cmd(b, a->ns, FREEBSD_ROUTE);
	arg(b, a->kind == ACTION_ROUTE_ADD ? "add" : "delete");
	if (v6)
		arg(b, "-inet6");
	if (a->addr.plen == 0) {
		arg(b, "default");
	} else if (a->addr.plen < 0 || a->addr.plen == full) {
		arg(b, "-host");
		arg(b, addr_format_host(&a->addr, x, sizeof(x)));
	} else {
		arg(b, "-net");
		arg(b, addr_format(&a->addr, x, sizeof(x)));
	}
	if (a->kind == ACTION_ROUTE_DEL)
		return;
	if (a->gw.family) {
		addr_format_host(&a->gw, g, sizeof(g));
		/* a link-local gateway means nothing without its interface */
		if (addr_is_link_local(&a->gw) && a->ifname[0])
			argf(b, "%s%%%s", g, a->ifname);
		else
			arg(b, g);
	} else if (a->ifname[0]) {
		arg(b, "-interface");
		arg(b, a->ifname);
	}
}

/* The allow.* parameters a confined jail gets, all off unless granted
 * (those of FreeBSD 12 and later; allow.net_admin has none: a VNET jail's
 * root always manages its own interfaces and routes). */
static const struct {
	const char *param;
	unsigned grant;     /* the MODEL_ALLOW_* bit that turns it on, 0 = never */
} jail_allow[] = {
	{ "allow.set_hostname", 0 },
	{ "allow.sysvipc", 0 },
	{ "allow.raw_sockets", MODEL_ALLOW_RAW_SOCKETS },
	{ "allow.chflags", 0 },
	{ "allow.mount", 0 },
	{ "allow.quotas", 0 },
	{ "allow.socket_af", 0 },
	{ "allow.mlock", 0 },
	{ "allow.reserved_ports", 0 },
	{ "allow.read_msgbuf", 0 },
	{ "allow.unprivileged_proc_debug", 0 },
};

/* jail -c of a confined jail: its parameters, then its rctl rules. */
static void render_confined(struct builder *b, const struct action *a, const struct model_jail *j)
{
	char amount[32];

	arg(b, "securelevel=3");
	arg(b, "enforce_statfs=2");
	arg(b, "devfs_ruleset=4");
	/* a jail at path=/ has the host's /dev: devfs must not go over it */
	if (a->path)
		arg(b, "mount.devfs");
	arg(b, "children.max=0");
	for (size_t i = 0; i < sizeof(jail_allow) / sizeof(jail_allow[0]); i++)
		argf(b, "%s=%s", jail_allow[i].param,
		     jail_allow[i].grant && (j->allow & jail_allow[i].grant) ? "true" : "false");
	if (j->limits.memory) {
		/* rctl(8) reads the same K/M/G/T suffixes (expand_number(3)) */
		action_size_text(j->limits.memory, amount, sizeof(amount));
		cmd(b, "", FREEBSD_RCTL);
		arg(b, "-a");
		argf(b, "jail:%s:memoryuse:deny=%s", a->target, amount);
	}
	if (j->limits.pids) {
		cmd(b, "", FREEBSD_RCTL);
		arg(b, "-a");
		argf(b, "jail:%s:maxproc:deny=%u", a->target, j->limits.pids);
	}
}

/* jail -c / jail -r / jexec with the exec.start words. */
static void render_jail(struct builder *b, const struct action *a)
{
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		cmd(b, "", FREEBSD_JAIL);
		arg(b, "-c");
		argf(b, "name=%s", a->target);
		argf(b, "host.hostname=%s", a->hostname ? a->hostname : a->target);
		argf(b, "path=%s", a->path ? a->path : "/");
		arg(b, "vnet");
		arg(b, "persist");
		if (a->jail && a->jail->confine)
			render_confined(b, a, a->jail);
		break;
	case ACTION_JAIL_DESTROY:
		cmd(b, "", FREEBSD_JAIL);
		arg(b, "-r");
		arg(b, a->target);
		break;
	default:
		if (!a->argv || !a->argv->argc)
			break;
		cmd(b, a->target, a->argv->argv[0]);
		for (size_t i = 1; i < a->argv->argc; i++)
			arg(b, a->argv->argv[i]);
		break;
	}
}

/* A generic sysctl: a link's accept_ra is an ifconfig flag, a key without
 * a counterpart runs nothing. */
static void render_sysctl(struct builder *b, const struct action *a)
{
	const char *name = freebsd_sysctl_name(a->key);

	if (!strncmp(a->key, "ipv6.accept_ra/", 15)) {
		ifconfig(b, a->ns, a->key + 15);
		arg(b, "inet6");
		arg(b, strcmp(a->value, "0") ? "accept_rtadv" : "-accept_rtadv");
	} else if (name && name[0]) {
		cmd(b, a->ns, FREEBSD_SYSCTL);
		argf(b, "%s=%s", name, a->value);
	}
}

/* Link creation, destruction and attributes via ifconfig. */
static void render_link(struct builder *b, const struct action *a)
{
	char mac[18];

	switch (a->kind) {
	case ACTION_BRIDGE_CREATE:
		create_clone(b, a->ifname, "bridge");
		break;
	case ACTION_VETH_CREATE:
		ifconfig(b, "", a->base);
		arg(b, "create");
		if (a->has_mac) {
			ifconfig(b, "", a->peer);
			arg(b, "ether");
			arg(b, mac_format(a->mac, mac, sizeof(mac)));
		}
		break;
	case ACTION_LINK_DESTROY:
		ifconfig(b, a->ns, a->ifname);
		arg(b, "destroy");
		break;
	case ACTION_LINK_SET_MASTER:
		ifconfig(b, a->ns, a->peer);
		arg(b, "addm");
		arg(b, a->ifname);
		break;
	case ACTION_LINK_SET_NS:
		ifconfig(b, "", a->ifname);
		arg(b, "vnet");
		arg(b, a->target);
		break;
	case ACTION_LINK_SET_MTU:
		ifconfig(b, a->ns, a->ifname);
		arg(b, "mtu");
		argf(b, "%d", a->mtu);
		break;
	case ACTION_LINK_SET_MAC:
		ifconfig(b, a->ns, a->ifname);
		arg(b, "ether");
		arg(b, mac_format(a->mac, mac, sizeof(mac)));
		break;
	default: /* ACTION_LINK_UP */
		ifconfig(b, a->ns, a->ifname);
		arg(b, "up");
		break;
	}
}

int freebsd_action_argv(const struct action *a, struct freebsd_cmds *out)
{
	struct builder b = { out, 0 };

	memset(out, 0, sizeof(*out));
	if (freebsd_unsupported(a))
		return -EINVAL;
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
	case ACTION_JAIL_DESTROY:
	case ACTION_JAIL_EXEC:
		render_jail(&b, a);
		break;
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		render_tunnel(&b, a);
		break;
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
		render_addr(&b, a);
		break;
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		render_route(&b, a);
		break;
	case ACTION_SYSCTL_SET:
		render_sysctl(&b, a);
		break;
	case ACTION_BRIDGE_CREATE:
	case ACTION_VETH_CREATE:
	case ACTION_LINK_DESTROY:
	case ACTION_LINK_SET_MASTER:
	case ACTION_LINK_SET_NS:
	case ACTION_LINK_SET_MTU:
	case ACTION_LINK_SET_MAC:
	case ACTION_LINK_UP:
		render_link(&b, a);
		break;
	case ACTION_FILTER_CREATE:
	case ACTION_FILTER_PORT_SET:
	case ACTION_FILTER_PORT_DEL:
	case ACTION_FILTER_DESTROY:
		break; /* Linux only (nftables); script.c says so */
	default:
		return -EINVAL;
	}
	if (b.err)
		freebsd_cmds_free(out);
	return b.err;
}
