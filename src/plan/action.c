/* Action kinds: their stable names and the one-line description logs use. */
#include "plan/action.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Indexed by enum action_kind; the names are part of the JSON output. */
static const char *const kind_names[] = {
	[ACTION_JAIL_CREATE] = "jail-create",
	[ACTION_JAIL_DESTROY] = "jail-destroy",
	[ACTION_JAIL_EXEC] = "jail-exec",
	[ACTION_TUNNEL_CREATE] = "tunnel-create",
	[ACTION_TUNNEL_CHANGE] = "tunnel-change",
	[ACTION_BRIDGE_CREATE] = "bridge-create",
	[ACTION_VETH_CREATE] = "veth-create",
	[ACTION_LINK_DESTROY] = "link-destroy",
	[ACTION_LINK_SET_MASTER] = "link-set-master",
	[ACTION_LINK_SET_NS] = "link-set-ns",
	[ACTION_LINK_SET_MTU] = "link-set-mtu",
	[ACTION_LINK_SET_MAC] = "link-set-mac",
	[ACTION_LINK_UP] = "link-up",
	[ACTION_ADDR_ADD] = "addr-add",
	[ACTION_ADDR_DEL] = "addr-del",
	[ACTION_ROUTE_ADD] = "route-add",
	[ACTION_ROUTE_DEL] = "route-del",
	[ACTION_SYSCTL_SET] = "sysctl-set",
	[ACTION_FILTER_CREATE] = "filter-create",
	[ACTION_FILTER_PORT_SET] = "filter-port-set",
	[ACTION_FILTER_PORT_DEL] = "filter-port-del",
	[ACTION_FILTER_DESTROY] = "filter-destroy",
};

const char *action_kind_name(enum action_kind k)
{
	if ((size_t)k >= sizeof(kind_names) / sizeof(kind_names[0]) || !kind_names[k])
		return "unknown";
	return kind_names[k];
}

/* A bounded appender: once full, later output is dropped, never overrun. */
struct line {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->pos >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->pos, l->len - l->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->pos += (size_t)n;
	if (l->pos >= l->len)
		l->pos = l->len - 1;
}

/* "default" for a zero-length prefix, else the prefix itself. */
static const char *route_dst(const struct addr *dst, char *buf, size_t len)
{
	if (dst->plen == 0) {
		snprintf(buf, len, "default");
		return buf;
	}
	return addr_format(dst, buf, len);
}

/* "gif0: create 6in4 tunnel local auto remote R ttl T mtu M (datapath D)". */
static void describe_tunnel(struct line *l, const struct action *a, const char *verb)
{
	char local[ADDR_STRLEN], remote[ADDR_STRLEN];

	if (a->local_auto)
		snprintf(local, sizeof(local), "auto");
	else
		addr_format_host(&a->addr, local, sizeof(local));
	addr_format_host(&a->gw, remote, sizeof(remote));
	put(l, "%s: %s 6in4 tunnel local %s remote %s ttl %d mtu %d (datapath %s)", a->ifname,
	    verb, local, remote, a->ttl, a->mtu, model_datapath_name(a->datapath));
	if (a->keepalive)
		put(l, " keepalive %d s", a->keepalive);
	if (a->reason)
		put(l, ": %s", a->reason);
}

/* "route: add DST via GW dev IF", DST "default" for a zero-length prefix. */
static void describe_route(struct line *l, const struct action *a, const char *verb)
{
	char dst[ADDR_STRLEN], gw[ADDR_STRLEN];

	put(l, "route: %s %s", verb, route_dst(&a->addr, dst, sizeof(dst)));
	if (a->gw.family)
		put(l, " via %s", addr_format_host(&a->gw, gw, sizeof(gw)));
	if (a->ifname[0])
		put(l, " dev %s", a->ifname);
}

/* " ADDR ADDR..." (the IPv6 ones, as hosts), or " link-local only". */
static void describe_filter_addrs(struct line *l, const struct action *a)
{
	char x[ADDR_STRLEN];
	bool any = false;

	for (size_t i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].family == AF_INET6) {
			put(l, " %s", addr_format_host(&a->addrs[i], x, sizeof(x)));
			any = true;
		}
	if (!any)
		put(l, " link-local only");
}

/* "NAME: exec ARGV..." with the words quoted for sh. */
static void describe_exec(struct line *l, const struct action *a)
{
	char q[256];

	put(l, "%s: exec", a->target);
	for (size_t i = 0; a->argv && i < a->argv->argc; i++)
		put(l, " %s", action_quote_arg(a->argv->argv[i], q, sizeof(q)));
}

char *action_size_text(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
	return buf;
}

/* "NAME: create jail (hostname H, path P, confined, ids B-E, limit...,
 * allow...)" or "(..., not confined)"; a jail whose ids are not leased
 * (a plan without a store) shows none. */
static void describe_jail_create(struct line *l, const struct action *a)
{
	const struct model_jail *j = a->jail;
	const char *sep = "";
	char b[32];

	put(l, "%s: create jail", a->target);
	if (!a->hostname && !a->path && !j)
		return;
	put(l, " (");
	if (a->hostname) {
		put(l, "hostname %s", a->hostname);
		sep = ", ";
	}
	if (a->path) {
		put(l, "%spath %s", sep, a->path);
		sep = ", ";
	}
	if (j && !j->confine)
		put(l, "%snot confined", sep);
	if (j && j->confine) {
		put(l, "%sconfined", sep);
		if (j->idmap.count)
			put(l, ", ids %u-%llu", j->idmap.base,
			    (unsigned long long)j->idmap.base + j->idmap.count - 1);
		if (j->init)
			put(l, ", init %s", j->init);
		if (j->limits.memory)
			put(l, ", limit.memory %s", action_size_text(j->limits.memory, b, sizeof(b)));
		if (j->limits.pids)
			put(l, ", limit.pids %u", j->limits.pids);
		if (j->limits.cpu_weight)
			put(l, ", limit.cpu_weight %u", j->limits.cpu_weight);
		for (unsigned i = 0; i < MODEL_ALLOW_COUNT; i++)
			if (j->allow & (1u << i))
				put(l, ", allow.%s", model_allow_name(1u << i));
	}
	put(l, ")");
}

char *action_describe(const struct action *a, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	char x[ADDR_STRLEN], y[ADDR_STRLEN];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->ns[0])
		put(&l, "[%s] ", a->ns);
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		describe_jail_create(&l, a);
		break;
	case ACTION_JAIL_DESTROY:
		put(&l, "%s: destroy jail", a->target);
		break;
	case ACTION_JAIL_EXEC:
		describe_exec(&l, a);
		break;
	case ACTION_TUNNEL_CREATE:
		describe_tunnel(&l, a, "create");
		break;
	case ACTION_TUNNEL_CHANGE:
		describe_tunnel(&l, a, "change");
		break;
	case ACTION_BRIDGE_CREATE:
		put(&l, "%s: create bridge", a->ifname);
		break;
	case ACTION_VETH_CREATE:
		put(&l, "%s: create veth pair with %s", a->ifname, a->peer);
		if (a->has_mac)
			put(&l, " (%s mac %s)", a->peer, mac_format(a->mac, x, sizeof(x)));
		break;
	case ACTION_LINK_DESTROY:
		put(&l, "%s: destroy", a->ifname);
		break;
	case ACTION_LINK_SET_MASTER:
		put(&l, "%s: attach to %s", a->ifname, a->peer);
		break;
	case ACTION_LINK_SET_NS:
		put(&l, "%s: move into jail %s", a->ifname, a->target);
		break;
	case ACTION_LINK_SET_MTU:
		put(&l, "%s: set mtu %d", a->ifname, a->mtu);
		break;
	case ACTION_LINK_SET_MAC:
		put(&l, "%s: set mac %s", a->ifname, mac_format(a->mac, x, sizeof(x)));
		break;
	case ACTION_LINK_UP:
		put(&l, "%s: up", a->ifname);
		break;
	case ACTION_ADDR_ADD:
		put(&l, "%s: add address %s", a->ifname, addr_format(&a->addr, x, sizeof(x)));
		if (a->gw.family)
			put(&l, " peer %s", addr_format_host(&a->gw, y, sizeof(y)));
		break;
	case ACTION_ADDR_DEL:
		put(&l, "%s: delete address %s", a->ifname, addr_format(&a->addr, x, sizeof(x)));
		break;
	case ACTION_ROUTE_ADD:
		describe_route(&l, a, "add");
		break;
	case ACTION_ROUTE_DEL:
		describe_route(&l, a, "delete");
		break;
	case ACTION_SYSCTL_SET:
		put(&l, "sysctl %s = %s", a->key, a->value);
		break;
	case ACTION_FILTER_CREATE:
		put(&l, "port filter: create");
		break;
	case ACTION_FILTER_PORT_SET:
		put(&l, "%s: port filter for jail %s:", a->ifname, a->target);
		describe_filter_addrs(&l, a);
		break;
	case ACTION_FILTER_PORT_DEL:
		put(&l, "%s: remove port filter", a->ifname);
		break;
	case ACTION_FILTER_DESTROY:
		put(&l, "port filter: destroy");
		break;
	default:
		put(&l, "unknown action %d", (int)a->kind);
		break;
	}
	return buf;
}

static int safe_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_-./:=%@,+", c));
}

char *action_quote_arg(const char *word, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	const char *p;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (p = word; *p && safe_char((unsigned char)*p); p++)
		;
	if (*word && !*p) {
		put(&l, "%s", word);
		return buf;
	}
	/* inside single quotes only ' itself needs care: close, escape, reopen */
	put(&l, "'");
	for (p = word; *p; p++) {
		if (*p == '\'')
			put(&l, "'\\''");
		else
			put(&l, "%c", *p);
	}
	put(&l, "'");
	return buf;
}
