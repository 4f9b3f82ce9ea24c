/*
 * `jail6 export --target freebsd`: the plan of an empty host, compiled into
 * the base system's own files, which rc(8) and jail(8) run at every boot.
 *
 * It starts from the very commands `plan --target freebsd` renders
 * (freebsd_action_argv), so the two cannot disagree in what they do; only
 * who runs them changes (tests/cli/fbsd_boot.py checks that):
 *  - a command on the host becomes an rc.conf(5) variable: `ifconfig X
 *    create` an entry of cloned_interfaces, other ifconfig words
 *    ifconfig_X (IPv6 ones ifconfig_X_ipv6, further addresses
 *    ifconfig_X_aliasN), `route add` static_routes / ipv6_static_routes
 *    or (ipv6_)defaultrouter, the forwarding sysctls
 *    (ipv6_)gateway_enable; any other sysctl a line of sysctl.conf(5).
 *    `up` is left out: rc.d/netif brings up every interface it configured
 *    (network.subr ifconfig_up), and a bridge says `addm M up` as the
 *    handbook writes it. The bridge's physical members are the host's own
 *    interfaces: their ifconfig_M stays the admin's;
 *  - a command about a jail becomes a jail.conf(5) parameter of that jail:
 *    its host-side epair commands exec.prestart, `jail -c` words its
 *    parameters, `ifconfig epairNb vnet J` vnet.interface, rctl rules
 *    exec.created, commands inside it (jexec J ...) exec.start, in plan
 *    order; exec.poststop destroys the epair and removes the rules.
 */
#include "os/freebsd/freebsd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A growing list of strings. */
struct strs {
	char **v;
	size_t n;
};

static int strs_add(struct strs *s, const char *w)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	char *d = strdup(w);

	if (v)
		s->v = v;
	if (!v || !d) {
		free(d);
		return -ENOMEM;
	}
	v[s->n++] = d;
	return 0;
}

static void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool strs_has(const struct strs *s, const char *w)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], w))
			return true;
	return false;
}

/* One host interface rc.conf configures. */
struct host_if {
	char name[MODEL_IFNAMSIZ];
	struct strs words;   /* ifconfig_IF, af-less words (tunnel, mtu, addm) */
	struct strs inet;    /* IPv4 addresses: "inet A/len [peer]" each */
	struct strs inet6;   /* IPv6 addresses: "A [peer] prefixlen N" each */
	struct strs flags6;  /* inet6 flags (-accept_rtadv) */
	bool bridge;
};

/* One static route: its rc.conf name and route(8) words after `add` (and
 * after -inet6 for an IPv6 one). */
struct route {
	char name[MODEL_IFNAMSIZ + 8];
	char *args;
	bool v6;
	bool broker;   /* a tunnel's host route to its broker through via */
};

/* One jail's jail.conf block. */
struct jail_out {
	const struct model_jail *j;
	struct strs params;    /* "key = value;" or "key;" lines */
	struct strs vnet_if, prestart, created, start, poststop;
};

struct exp {
	const struct model *m;
	struct strs cloned;
	struct host_if *ifs;
	size_t n_ifs;
	struct route *routes;
	size_t n_routes;
	char defrouter6[ADDR_STRLEN], defrouter[ADDR_STRLEN];
	bool gateway6, gateway4;
	struct strs sysctls;   /* sysctl.conf lines */
	struct strs notes;     /* rc.conf comments */
	struct jail_out *jails;
	size_t n_jails;
	char *errs;            /* newline-terminated error lines */
	size_t errs_len;
	int err;               /* -ENOMEM */
};

__attribute__((format(printf, 3, 4)))
static void fail(struct exp *x, const struct model_pos *pos, const char *fmt, ...)
{
	char msg[768], line[1024];
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos && pos->file)
		n = snprintf(line, sizeof(line), "%s:%d:%d: %s\n", pos->file, pos->line, pos->col, msg);
	else
		n = snprintf(line, sizeof(line), "%s\n", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	p = realloc(x->errs, x->errs_len + (size_t)n + 1);
	if (!p) {
		x->err = -ENOMEM;
		return;
	}
	memcpy(p + x->errs_len, line, (size_t)n + 1);
	x->errs = p;
	x->errs_len += (size_t)n;
}

static void add(struct exp *x, struct strs *s, const char *w)
{
	if (!x->err)
		x->err = strs_add(s, w);
}

__attribute__((format(printf, 3, 4)))
static void addf(struct exp *x, struct strs *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	add(x, s, buf);
}

static struct host_if *host_if(struct exp *x, const char *name)
{
	struct host_if *v;

	for (size_t i = 0; i < x->n_ifs; i++)
		if (!strcmp(x->ifs[i].name, name))
			return &x->ifs[i];
	v = realloc(x->ifs, (x->n_ifs + 1) * sizeof(*v));
	if (!v) {
		x->err = -ENOMEM;
		return NULL;
	}
	x->ifs = v;
	v = &x->ifs[x->n_ifs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

/* The jail an interface of the host belongs to: epairN, epairNa, epairNb. */
static const struct model_jail *jail_of_if(const struct model *m, const char *ifname)
{
	const struct model_jail *j = NULL;
	char base[MODEL_IFNAMSIZ];
	size_t l = strlen(ifname);

	if (model_find_iface(m, ifname, &j))
		return j;
	if (l < 2 || (ifname[l - 1] != 'a' && ifname[l - 1] != 'b'))
		return NULL;
	snprintf(base, sizeof(base), "%.*s", (int)(l - 1), ifname);
	return model_find_iface(m, base, &j) ? j : NULL;
}

static struct jail_out *jail_out(struct exp *x, const char *name)
{
	for (size_t i = 0; i < x->n_jails; i++)
		if (!strcmp(x->jails[i].j->name, name))
			return &x->jails[i];
	return NULL;
}

/* argv as one sh command line (jail(8) hands exec.* strings to sh). */
static char *sh_line(char *const *argv, size_t skip)
{
	char q[1024], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t k = skip; argv[k]; k++)
		fprintf(f, "%s%s", k > skip ? " " : "", action_quote_arg(argv[k], q, sizeof(q)));
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void add_line(struct exp *x, struct strs *s, char *const *argv, size_t skip)
{
	char *l = sh_line(argv, skip);

	if (!l)
		x->err = -ENOMEM;
	else
		add(x, s, l);
	free(l);
}

static size_t argc_of(char *const *argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

/* `ifconfig IF up` right after `ifconfig IF inet6 ...`: one line, as the
 * plan's text folds it (an admin writes it so). */
static bool fold_up(struct exp *x, struct strs *s, const char *ifname)
{
	char head[64];
	char *l, *n;

	if (!s->n)
		return false;
	snprintf(head, sizeof(head), FREEBSD_IFCONFIG " %s inet", ifname);
	l = s->v[s->n - 1];
	if (strncmp(l, head, strlen(head)))
		return false;
	n = realloc(l, strlen(l) + 4);
	if (!n) {
		x->err = -ENOMEM;
		return true;
	}
	strcat(n, " up");
	s->v[s->n - 1] = n;
	return true;
}

/* A jail.conf value as is when it has only safe characters, else quoted
 * by w_str at writing: here, whether it needs the quotes. */
static bool bare_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:-", *v))
			return false;
	return true;
}

/* `jail -c name=J k=v ... flag ...`: the jail's parameters. */
static void jail_params(struct exp *x, struct jail_out *jo, char *const *argv)
{
	for (size_t k = 2; argv[k]; k++) {
		const char *eq = strchr(argv[k], '=');

		if (!strncmp(argv[k], "name=", 5))
			continue;
		/* strings (host.hostname, path) quoted, numbers and flags bare */
		if (eq && bare_ok(eq + 1) && strncmp(argv[k], "host.hostname=", 14) && strncmp(argv[k], "path=", 5))
			addf(x, &jo->params, "%.*s = %s;", (int)(eq - argv[k]), argv[k], eq + 1);
		else if (eq && !strpbrk(eq + 1, "\"\\$\n"))
			addf(x, &jo->params, "%.*s = \"%s\";", (int)(eq - argv[k]), argv[k], eq + 1);
		else if (eq)
			fail(x, &jo->j->pos, "jail '%s': %.*s: a '\"', '\\', '$' or newline in it: jail6 export "
			     "cannot write it in jail.conf(5)", jo->j->name, (int)(eq - argv[k]), argv[k]);
		else
			addf(x, &jo->params, "%s;", argv[k]);
	}
}

/* route add [-inet6] ...: a static route of rc.conf. */
static void host_route(struct exp *x, const struct action *a, char *const *argv)
{
	size_t k = 2, n = argc_of(argv);
	bool v6 = k < n && !strcmp(argv[k], "-inet6");
	struct route *r;
	char *args;

	if (v6)
		k++;
	if (k + 1 < n && !strcmp(argv[k], "default") && k + 2 == n) {
		snprintf(v6 ? x->defrouter6 : x->defrouter, ADDR_STRLEN, "%s", argv[k + 1]);
		return;
	}
	args = sh_line(argv, k);
	r = args ? realloc(x->routes, (x->n_routes + 1) * sizeof(*r)) : NULL;
	if (!r) {
		free(args);
		x->err = -ENOMEM;
		return;
	}
	x->routes = r;
	r = &x->routes[x->n_routes++];
	memset(r, 0, sizeof(*r));
	r->args = args;
	r->v6 = v6;
	/* the broker's host route is named after its tunnel (route_gif0) */
	for (size_t t = 0; t < x->m->n_tunnels; t++) {
		const struct model_tunnel *tu = &x->m->tunnels[t];
		if (!v6 && tu->has_via && addr_same_host(&tu->remote, &a->addr)) {
			snprintf(r->name, sizeof(r->name), "%s", tu->name);
			r->broker = true;
		}
	}
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "jail6_%zu", x->n_routes);
	/* rc.conf variable names: get_if_var turns .-/+ into _ */
	for (char *c = r->name; *c; c++)
		if (strchr(".-/+", *c))
			*c = '_';
}

/* ifconfig IF WORDS on the host: rc.conf's ifconfig_IF variables. */
static void host_ifconfig(struct exp *x, const struct action *a, char *const *argv)
{
	size_t n = argc_of(argv);
	const char *ifname = argv[1];
	struct host_if *h;

	if (n == 3 && !strcmp(argv[2], "create")) {
		add(x, &x->cloned, ifname);
		if ((h = host_if(x, ifname)))
			h->bridge = a->kind == ACTION_BRIDGE_CREATE;
		return;
	}
	if (n == 3 && !strcmp(argv[2], "up")) {
		/* an interface rc.conf does not configure (a bridge's
		 * physical member): the host's own ifconfig_IF brings it up */
		for (size_t i = 0; i < x->n_ifs; i++)
			if (!strcmp(x->ifs[i].name, ifname))
				return;
		const char *br = "a bridge";
		for (size_t b = 0; b < x->m->n_bridges; b++)
			for (size_t k = 0; k < x->m->bridges[b].n_members; k++)
				if (!strcmp(x->m->bridges[b].members[k], ifname))
					br = x->m->bridges[b].name;
		addf(x, &x->notes, "# %s (a member of %s) is the host's own: its ifconfig_%s (DHCP, an address or "
			"\"up\") brings it up; jail6 leaves it alone", ifname, br, ifname);
		return;
	}
	if (!(h = host_if(x, ifname)))
		return;
	if (n >= 3 && !strcmp(argv[2], "inet6")) {
		char q[256], buf[1024];
		size_t o = 0;

		buf[0] = '\0';
		for (size_t k = 3; k < n; k++) {
			if (argv[k][0] == '-' || !strcmp(argv[k], "accept_rtadv"))
				add(x, &h->flags6, argv[k]);
			else if (strcmp(argv[k], "up"))
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "",
						      action_quote_arg(argv[k], q, sizeof(q)));
		}
		if (buf[0])
			add(x, &h->inet6, buf);
		return;
	}
	if (n >= 3 && !strcmp(argv[2], "inet")) {
		char *l = sh_line(argv, 3);
		/* "A/len [peer] alias": alias is implied by ifconfig_IF_aliasN */
		if (l && n > 4 && !strcmp(argv[n - 1], "alias"))
			l[strlen(l) - strlen(" alias")] = '\0';
		if (l)
			add(x, &h->inet, l);
		else
			x->err = -ENOMEM;
		free(l);
		return;
	}
	for (size_t k = 2; k < n; k++)
		if (strcmp(argv[k], "up"))
			add(x, &h->words, argv[k]);
}

/* sysctl K=V on the host. */
static void host_sysctl(struct exp *x, char *const *argv)
{
	if (!strcmp(argv[1], "net.inet6.ip6.forwarding=1"))
		x->gateway6 = true;
	else if (!strcmp(argv[1], "net.inet.ip.forwarding=1"))
		x->gateway4 = true;
	else if (!strs_has(&x->sysctls, argv[1]))
		add(x, &x->sysctls, argv[1]);
}

/* One command of a host action that is no jail's. */
static void host_cmd(struct exp *x, const struct action *a, char *const *argv)
{
	char line[512];

	if (!strcmp(argv[0], FREEBSD_IFCONFIG) && argv[1])
		host_ifconfig(x, a, argv);
	else if (!strcmp(argv[0], FREEBSD_ROUTE) && argv[1] && !strcmp(argv[1], "add"))
		host_route(x, a, argv);
	else if (!strcmp(argv[0], FREEBSD_SYSCTL) && argv[1])
		host_sysctl(x, argv);
	else
		fail(x, NULL, "%s: rc.conf cannot express this step (jail6 export only adds)",
		     action_describe(a, line, sizeof(line)));
}

/* A tunnel rc.conf can make: a gifN (cloned_interfaces creates units, and
 * jail6 export renames nothing) with a literal local address. */
static bool tunnel_ok(struct exp *x, const struct action *a)
{
	const struct model_tunnel *t = model_find_tunnel(x->m, a->ifname);
	const struct model_pos *pos = t ? &t->pos : NULL;
	char remote[ADDR_STRLEN];

	if (!freebsd_unit_name(a->ifname, "gif")) {
		fail(x, pos, "tunnel '%s': rc.conf creates a gif(4) by its unit (cloned_interfaces=\"gifN\"); "
		     "jail6 export renames nothing: name the tunnel gifN", a->ifname);
		return false;
	}
	if (a->local_auto) {
		fail(x, pos, "tunnel '%s': local = auto: rc.conf needs the address itself (ifconfig_%s=\"tunnel "
		     "LOCAL %s\") and no jail6 store records it: write local = ADDRESS, or give export "
		     "--local ADDRESS (this host's source address towards %s)", a->ifname, a->ifname,
		     addr_format_host(&a->gw, remote, sizeof(remote)), remote);
		return false;
	}
	return true;
}

/* An rctl -a of the jail: exec.created; the first one also gets its
 * exec.poststop `rctl -r jail:J`, which removes every rule of the jail
 * (an rctl(8) filter), as the rules outlive the jail. */
static void rctl_rule(struct exp *x, struct jail_out *jo, char *const *argv)
{
	char rm[MODEL_NAME_MAX + 8];
	char *const rv[] = { (char *)FREEBSD_RCTL, (char *)"-r", rm, NULL };

	add_line(x, &jo->created, argv, 0);
	snprintf(rm, sizeof(rm), "jail:%s", jo->j->name);
	if (jo->created.n == 1)
		add_line(x, &jo->poststop, rv, 0);
}

static void one_action(struct exp *x, const struct action *a)
{
	const struct model_jail *j = NULL;
	struct jail_out *jo;
	struct freebsd_cmds c;
	const char *why = freebsd_unsupported(a);
	char line[512];
	int r;

	if (why) {
		fail(x, NULL, "%s: %s", action_describe(a, line, sizeof(line)), why);
		return;
	}
	if ((a->kind == ACTION_TUNNEL_CREATE) && !tunnel_ok(x, a))
		return;
	if (a->kind == ACTION_BRIDGE_CREATE && !freebsd_unit_name(a->ifname, "bridge")) {
		const struct model_bridge *b = model_find_bridge(x->m, a->ifname);
		fail(x, b ? &b->pos : NULL, "bridge '%s': rc.conf creates a bridge by its unit "
		     "(cloned_interfaces=\"bridgeN\"); jail6 export renames nothing: name it bridgeN", a->ifname);
		return;
	}
	r = freebsd_action_argv(a, &c);
	if (r == -ENOMEM) {
		x->err = r;
		return;
	}
	if (r < 0) {
		fail(x, NULL, "%s: cannot be rendered for FreeBSD", action_describe(a, line, sizeof(line)));
		return;
	}
	/* whose is it: a jail's (by name, or by its epair), or the host's */
	if (a->kind == ACTION_JAIL_CREATE || a->kind == ACTION_JAIL_EXEC)
		j = model_find_jail(x->m, a->target);
	else if (a->ns[0])
		j = model_find_jail(x->m, a->ns);
	else if (a->kind == ACTION_LINK_SET_NS)
		j = model_find_jail(x->m, a->target);
	else if (a->kind == ACTION_VETH_CREATE)
		j = jail_of_if(x->m, a->base);
	else if (a->kind == ACTION_LINK_SET_MASTER || a->kind == ACTION_LINK_UP || a->kind == ACTION_LINK_SET_MAC ||
		 a->kind == ACTION_LINK_SET_MTU)
		j = jail_of_if(x->m, a->ifname);
	jo = j ? jail_out(x, j->name) : NULL;
	for (size_t k = 0; k < c.n && !x->err; k++) {
		char **argv = c.argv[k];

		if (!jo)
			host_cmd(x, a, argv);
		else if (a->kind == ACTION_LINK_UP && fold_up(x, !strcmp(argv[0], FREEBSD_JEXEC) ? &jo->start :
							      &jo->prestart, a->ifname))
			continue;
		else if (!strcmp(argv[0], FREEBSD_JEXEC))
			add_line(x, &jo->start, argv, 2);
		else if (!strcmp(argv[0], FREEBSD_JAIL))
			jail_params(x, jo, argv);
		else if (!strcmp(argv[0], FREEBSD_RCTL))
			rctl_rule(x, jo, argv);
		else if (a->kind == ACTION_LINK_SET_NS)
			add(x, &jo->vnet_if, a->ifname);
		else {
			add_line(x, &jo->prestart, argv, 0);
			if (a->kind == ACTION_VETH_CREATE && k == 0) {
				char *const dv[] = { (char *)FREEBSD_IFCONFIG, (char *)a->ifname, (char *)"destroy", NULL };
				add_line(x, &jo->poststop, dv, 0);
			}
		}
	}
	freebsd_cmds_free(&c);
}

/* ---- writing the files ---- */

static void w_var(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"%s\"\n", name, value);
}

static void join(char *buf, size_t len, const struct strs *s, const char *sep)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? sep : "", s->v[i]);
}

static int write_rc(struct exp *x, FILE *f)
{
	char buf[2048], name[128];
	struct strs names = { 0 };
	int alias = 0;

	if (x->cloned.n) {
		join(buf, sizeof(buf), &x->cloned, " ");
		w_var(f, "cloned_interfaces", buf);
	}
	for (size_t i = 0; i < x->n_ifs; i++) {
		struct host_if *h = &x->ifs[i];
		size_t o = 0;

		alias = 0;
		buf[0] = '\0';
		/* ifconfig(8) takes the address family first: inet A/len addm M up */
		if (h->inet.n)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "inet %s", h->inet.v[0]);
		for (size_t k = 0; k < h->words.n; k++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "", h->words.v[k]);
		if (h->bridge && o)
			snprintf(buf + o, sizeof(buf) - o, " up");
		snprintf(name, sizeof(name), "ifconfig_%s", h->name);
		if (buf[0])
			w_var(f, name, buf);
		if (h->inet6.n || h->flags6.n) {
			o = (size_t)snprintf(buf, sizeof(buf), "inet6");
			if (h->inet6.n)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s", h->inet6.v[0]);
			for (size_t k = 0; k < h->flags6.n; k++)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s", h->flags6.v[k]);
			snprintf(name, sizeof(name), "ifconfig_%s_ipv6", h->name);
			w_var(f, name, buf);
		}
		for (size_t k = 1; k < h->inet.n; k++) {
			snprintf(name, sizeof(name), "ifconfig_%s_alias%d", h->name, alias++);
			snprintf(buf, sizeof(buf), "inet %s", h->inet.v[k]);
			w_var(f, name, buf);
		}
		for (size_t k = 1; k < h->inet6.n; k++) {
			snprintf(name, sizeof(name), "ifconfig_%s_alias%d", h->name, alias++);
			snprintf(buf, sizeof(buf), "inet6 %s", h->inet6.v[k]);
			w_var(f, name, buf);
		}
	}
	for (int v6 = 0; v6 <= 1; v6++) {
		strs_free(&names);
		for (size_t i = 0; i < x->n_routes; i++)
			if (x->routes[i].v6 == v6)
				add(x, &names, x->routes[i].name);
		if (names.n) {
			join(buf, sizeof(buf), &names, " ");
			w_var(f, v6 ? "ipv6_static_routes" : "static_routes", buf);
		}
		for (size_t i = 0; i < x->n_routes; i++) {
			if (x->routes[i].v6 != v6)
				continue;
			snprintf(name, sizeof(name), "%sroute_%s", v6 ? "ipv6_" : "", x->routes[i].name);
			w_var(f, name, x->routes[i].args);
		}
		if (!v6 && x->defrouter[0])
			w_var(f, "defaultrouter", x->defrouter);
		if (v6 && x->defrouter6[0])
			w_var(f, "ipv6_defaultrouter", x->defrouter6);
	}
	strs_free(&names);
	if (x->gateway4)
		w_var(f, "gateway_enable", "YES");
	if (x->gateway6)
		w_var(f, "ipv6_gateway_enable", "YES");
	for (size_t i = 0; i < x->notes.n; i++)
		fprintf(f, "%s\n", x->notes.v[i]);
	if (x->n_jails) {
		size_t o = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < x->n_jails; i++)
			if (x->jails[i].j->autostart)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "", x->jails[i].j->name);
		w_var(f, "jail_enable", "YES");
		w_var(f, "jail_list", buf);
	}
	return ferror(f) ? -EIO : 0;
}

/* A jail.conf(5) string: in double quotes, with " and \ escaped; a '$'
 * (variable expansion) is refused by the caller. */
static void w_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void w_list(FILE *f, const char *key, const struct strs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		fprintf(f, "\t%s %s ", key, i ? "+=" : "=");
		w_str(f, s->v[i]);
		fputs(";\n", f);
	}
}

/* Whether a jail.conf string would be read as something else. */
static bool str_ok(struct exp *x, const struct model_jail *j, const char *key, const struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strpbrk(s->v[i], "$\n")) {
			fail(x, &j->pos, "jail '%s': %s: a '$' or a newline would be expanded by jail.conf(5): "
			     "jail6 export cannot write it", j->name, key);
			return false;
		}
	return true;
}

/* What of a confined jail has no jail.conf(5) equivalent, as comments. */
static void explain(FILE *f, const struct model_jail *j)
{
	if (!j->confine)
		return;
	if (!j->path)
		fprintf(f, "\t# no path: its root is the host's / (read-write for its root, with the host's /dev)\n");
	if (!(j->allow & MODEL_ALLOW_NET_ADMIN))
		fprintf(f, "\t# allow.net_admin = no has no equivalent: a VNET jail's root manages its own interfaces\n");
	if (j->init)
		fprintf(f, "\t# init %s: a FreeBSD jail has no init of its own (persist keeps it)\n", j->init);
	if (j->limits.cpu_weight)
		fprintf(f, "\t# limit.cpu_weight %u: no rctl(8) equivalent (pcpu is a cap, not a share)\n",
			j->limits.cpu_weight);
	if (j->limits.memory || j->limits.pids)
		fprintf(f, "\t# limits: rctl(8) rules, which need kern.racct.enable=1 in /boot/loader.conf\n");
}

static int write_jails(struct exp *x, FILE *f)
{
	for (size_t i = 0; i < x->n_jails; i++) {
		struct jail_out *jo = &x->jails[i];
		const struct model_jail *j = jo->j;
		struct strs stop = { 0 };

		if (j->exec_stop.argc)
			add_line(x, &stop, j->exec_stop.argv, 0);
		if (!str_ok(x, j, "exec.start", &jo->start) || !str_ok(x, j, "exec.stop", &stop) ||
		    !str_ok(x, j, "parameters", &jo->params)) {
			strs_free(&stop);
			continue;
		}
		fprintf(f, "%s%s {\n", i ? "\n" : "", j->name);
		explain(f, j);
		for (size_t k = 0; k < jo->params.n; k++)
			fprintf(f, "\t%s\n", jo->params.v[k]);
		if (j->stop_timeout != 10)
			fprintf(f, "\tstop.timeout = %u;\n", j->stop_timeout);
		w_list(f, "vnet.interface", &jo->vnet_if);
		w_list(f, "exec.prestart", &jo->prestart);
		w_list(f, "exec.created", &jo->created);
		w_list(f, "exec.start", &jo->start);
		w_list(f, "exec.stop", &stop);
		w_list(f, "exec.poststop", &jo->poststop);
		fputs("}\n", f);
		strs_free(&stop);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- the entry point ---- */

static char *mem_text(int (*fn)(struct exp *, FILE *), struct exp *x, const char *head)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int r;

	if (!f) {
		x->err = -ENOMEM;
		return NULL;
	}
	fputs(head, f);
	r = fn(x, f);
	if (fclose(f) != 0 || r < 0) {
		x->err = x->err ? x->err : -ENOMEM;
		free(out);
		return NULL;
	}
	return out;
}

static int write_sysctl(struct exp *x, FILE *f)
{
	for (size_t i = 0; i < x->sysctls.n; i++)
		fprintf(f, "%s\n", x->sysctls.v[i]);
	return ferror(f) ? -EIO : 0;
}

static int write_readme(struct exp *x, FILE *f)
{
	fprintf(f,
		"How to install these files on the FreeBSD host (docs/freebsd.md of jail6 says more):\n\n"
		"1. rc.conf.jail6: each line is a sysrc(8) argument. If rc.conf already sets\n"
		"   cloned_interfaces, static_routes or jail_list, add to them (sysrc NAME+=\" VALUE\")\n"
		"   instead of replacing them; then:\n"
		"       grep -v '^#' rc.conf.jail6 | xargs sysrc\n");
	if (x->sysctls.n)
		fprintf(f, "2. sysctl.conf.jail6: append it to /etc/sysctl.conf (rc.d/sysctl sets it before\n"
			   "   the interfaces are configured):\n"
			   "       cat sysctl.conf.jail6 >> /etc/sysctl.conf\n");
	char cl[512];

	join(cl, sizeof(cl), &x->cloned, " ");
	fprintf(f,
		"%d. jail.conf: copy it to /etc/jail.conf, or append its blocks to the one there:\n"
		"       cp jail.conf /etc/jail.conf\n"
		"%d. Reboot: rc(8) runs rc.d/sysctl, rc.d/netif, rc.d/routing, then rc.d/jail.\n"
		"   Or bring it up now in that order:\n"
		"       %sservice netif start %s && service routing start && service jail start\n"
		"   Check: ifconfig; netstat -rn -f inet6; jls; jexec JAIL ifconfig\n",
		x->sysctls.n ? 3 : 2, x->sysctls.n ? 4 : 3, x->sysctls.n ? "service sysctl start && " : "", cl);
	for (size_t i = 0; i < x->n_routes; i++)
		if (x->routes[i].broker)
			fprintf(f, "\nroute_%s goes through a gateway: rc.d/routing adds it early in boot. If that\n"
				   "gateway is a VPN's (OpenVPN starts later), the route fails then: let the VPN\n"
				   "add it when it comes up instead, and drop it from static_routes.\n",
				x->routes[i].name);
	for (size_t i = 0; i < x->n_jails; i++)
		if (x->jails[i].created.n) {
			fprintf(f, "\nrctl(8) limits need kern.racct.enable=1 in /boot/loader.conf (and a reboot).\n");
			break;
		}
	return ferror(f) ? -EIO : 0;
}

void freebsd_export_free(struct freebsd_export *o)
{
	if (!o)
		return;
	free(o->rc_conf);
	free(o->jail_conf);
	free(o->sysctl_conf);
	free(o->readme);
	free(o->errors);
	memset(o, 0, sizeof(*o));
}

int freebsd_export(const struct model *m, const struct plan *p, const char *source, struct freebsd_export *out)
{
	struct exp x = { .m = m };
	char head[1024];
	int r = 0;

	memset(out, 0, sizeof(*out));
	x.jails = calloc(m->n_jails ? m->n_jails : 1, sizeof(*x.jails));
	if (!x.jails)
		return -ENOMEM;
	x.n_jails = m->n_jails;
	for (size_t i = 0; i < m->n_jails; i++)
		x.jails[i].j = &m->jails[i];
	for (size_t i = 0; i < p->n_actions && !x.err; i++)
		one_action(&x, &p->actions[i]);
	if (!x.err && !x.errs) {
		snprintf(head, sizeof(head), "# " FREEBSD_EXPORT_MARK " from %s: rc.conf(5) variables, one\n"
			 "# sysrc(8) argument a line (see README.freebsd)\n", source);
		out->rc_conf = mem_text(write_rc, &x, head);
		snprintf(head, sizeof(head), "# " FREEBSD_EXPORT_MARK " from %s: jail.conf(5); rc.d/jail starts the\n"
			 "# jails of jail_list at boot (see README.freebsd)\n", source);
		out->jail_conf = mem_text(write_jails, &x, head);
		snprintf(head, sizeof(head), "# " FREEBSD_EXPORT_MARK " from %s: sysctl.conf(5) lines\n", source);
		if (x.sysctls.n)
			out->sysctl_conf = mem_text(write_sysctl, &x, head);
		snprintf(head, sizeof(head), FREEBSD_EXPORT_MARK " from %s.\n\n", source);
		out->readme = mem_text(write_readme, &x, head);
	}
	if (x.err)
		r = x.err;
	else if (x.errs)
		r = -EINVAL;
	out->errors = x.errs;
	x.errs = NULL;
	if (r < 0) {
		char *e = out->errors;
		out->errors = NULL;
		freebsd_export_free(out);
		out->errors = e;
	}
	/* cleanup */
	strs_free(&x.cloned);
	for (size_t i = 0; i < x.n_ifs; i++) {
		strs_free(&x.ifs[i].words);
		strs_free(&x.ifs[i].inet);
		strs_free(&x.ifs[i].inet6);
		strs_free(&x.ifs[i].flags6);
	}
	free(x.ifs);
	for (size_t i = 0; i < x.n_routes; i++)
		free(x.routes[i].args);
	free(x.routes);
	strs_free(&x.sysctls);
	strs_free(&x.notes);
	for (size_t i = 0; i < x.n_jails; i++) {
		struct jail_out *jo = &x.jails[i];
		strs_free(&jo->params);
		strs_free(&jo->vnet_if);
		strs_free(&jo->prestart);
		strs_free(&jo->created);
		strs_free(&jo->start);
		strs_free(&jo->poststop);
	}
	free(x.jails);
	free(x.errs);
	return r;
}
