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
#include "os/freebsd/export_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int fx_strs_add(struct strs *s, const char *w)
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

void fx_strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool fx_strs_has(const struct strs *s, const char *w)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], w))
			return true;
	return false;
}

/* One host interface rc.conf configures. */
void fx_fail(struct exp *x, const struct model_pos *pos, const char *fmt, ...)
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

void fx_add(struct exp *x, struct strs *s, const char *w)
{
	if (!x->err)
		x->err = fx_strs_add(s, w);
}

__attribute__((format(printf, 3, 4)))
static void addf(struct exp *x, struct strs *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fx_add(x, s, buf);
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

void fx_add_line(struct exp *x, struct strs *s, char *const *argv, size_t skip)
{
	char *l = sh_line(argv, skip);

	if (!l)
		x->err = -ENOMEM;
	else
		fx_add(x, s, l);
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
			fx_fail(x, &jo->j->pos, "jail '%s': %.*s: a '\"', '\\', '$' or newline in it: jail6 export "
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
		fx_add(x, &x->cloned, ifname);
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
				fx_add(x, &h->flags6, argv[k]);
			else if (strcmp(argv[k], "up"))
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "",
						      action_quote_arg(argv[k], q, sizeof(q)));
		}
		if (buf[0])
			fx_add(x, &h->inet6, buf);
		return;
	}
	if (n >= 3 && !strcmp(argv[2], "inet")) {
		char *l = sh_line(argv, 3);
		/* "A/len [peer] alias": alias is implied by ifconfig_IF_aliasN */
		if (l && n > 4 && !strcmp(argv[n - 1], "alias"))
			l[strlen(l) - strlen(" alias")] = '\0';
		if (l)
			fx_add(x, &h->inet, l);
		else
			x->err = -ENOMEM;
		free(l);
		return;
	}
	for (size_t k = 2; k < n; k++)
		if (strcmp(argv[k], "up"))
			fx_add(x, &h->words, argv[k]);
}

/* sysctl K=V on the host. */
static void host_sysctl(struct exp *x, char *const *argv)
{
	if (!strcmp(argv[1], "net.inet6.ip6.forwarding=1"))
		x->gateway6 = true;
	else if (!strcmp(argv[1], "net.inet.ip.forwarding=1"))
		x->gateway4 = true;
	else if (!fx_strs_has(&x->sysctls, argv[1]))
		fx_add(x, &x->sysctls, argv[1]);
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
		fx_fail(x, NULL, "%s: rc.conf cannot express this step (jail6 export only adds)",
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
		fx_fail(x, pos, "tunnel '%s': rc.conf creates a gif(4) by its unit (cloned_interfaces=\"gifN\"); "
		     "jail6 export renames nothing: name the tunnel gifN", a->ifname);
		return false;
	}
	if (a->local_auto) {
		fx_fail(x, pos, "tunnel '%s': local = auto: rc.conf needs the address itself (ifconfig_%s=\"tunnel "
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

	fx_add_line(x, &jo->created, argv, 0);
	snprintf(rm, sizeof(rm), "jail:%s", jo->j->name);
	if (jo->created.n == 1)
		fx_add_line(x, &jo->poststop, rv, 0);
}

void fx_action(struct exp *x, const struct action *a)
{
	const struct model_jail *j = NULL;
	struct jail_out *jo;
	struct freebsd_cmds c;
	const char *why = freebsd_unsupported(a);
	char line[512];
	int r;

	if (why) {
		fx_fail(x, NULL, "%s: %s", action_describe(a, line, sizeof(line)), why);
		return;
	}
	if ((a->kind == ACTION_TUNNEL_CREATE) && !tunnel_ok(x, a))
		return;
	if (a->kind == ACTION_BRIDGE_CREATE && !freebsd_unit_name(a->ifname, "bridge")) {
		const struct model_bridge *b = model_find_bridge(x->m, a->ifname);
		fx_fail(x, b ? &b->pos : NULL, "bridge '%s': rc.conf creates a bridge by its unit "
		     "(cloned_interfaces=\"bridgeN\"); jail6 export renames nothing: name it bridgeN", a->ifname);
		return;
	}
	r = freebsd_action_argv(a, &c);
	if (r == -ENOMEM) {
		x->err = r;
		return;
	}
	if (r < 0) {
		fx_fail(x, NULL, "%s: cannot be rendered for FreeBSD", action_describe(a, line, sizeof(line)));
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
			fx_add_line(x, &jo->start, argv, 2);
		else if (!strcmp(argv[0], FREEBSD_JAIL))
			jail_params(x, jo, argv);
		else if (!strcmp(argv[0], FREEBSD_RCTL))
			rctl_rule(x, jo, argv);
		else if (a->kind == ACTION_LINK_SET_NS)
			fx_add(x, &jo->vnet_if, a->ifname);
		else {
			fx_add_line(x, &jo->prestart, argv, 0);
			if (a->kind == ACTION_VETH_CREATE && k == 0) {
				char *const dv[] = { (char *)FREEBSD_IFCONFIG, (char *)a->ifname, (char *)"destroy", NULL };
				fx_add_line(x, &jo->poststop, dv, 0);
			}
		}
	}
	freebsd_cmds_free(&c);
}
