/* FreeBSD: a plan printed as the commands an admin would type. */
#include "os/freebsd/freebsd.h"

#include <errno.h>
#include <string.h>

static const char *const tools[] = {
	FREEBSD_IFCONFIG, FREEBSD_ROUTE, FREEBSD_SYSCTL, FREEBSD_JAIL, FREEBSD_JEXEC, FREEBSD_RCTL,
};

/* Our own tools print by basename; anything else (exec.start) as given. */
static const char *shown(const char *w)
{
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!strcmp(w, tools[i]))
			return strrchr(w, '/') + 1;
	return w;
}

/* One command line: tool basenames, words quoted for sh. */
static void print_argv(FILE *out, char **argv)
{
	char q[512];
	bool jexec = argv[0] && !strcmp(argv[0], FREEBSD_JEXEC);

	for (size_t k = 0; argv[k]; k++) {
		const char *w = (k == 0 || (jexec && k == 2)) ? shown(argv[k]) : argv[k];
		fprintf(out, "%s%s", k ? " " : "", action_quote_arg(w, q, sizeof(q)));
	}
	fputc('\n', out);
}

static bool is_up_of(const struct action *b, const char *ns, const char *ifname)
{
	return b->kind == ACTION_LINK_UP && !strcmp(b->ns, ns) && !strcmp(b->ifname, ifname);
}

/*
 * Fold the actions after p->actions[i] that ifconfig takes on the same line
 * into c's last command; returns how many actions were folded. Only two
 * folds, both exactly what an admin writes:
 *   ADDR_ADD X + LINK_UP X                    -> ifconfig X inet6 ... up
 *   SET_MASTER M1->B [SET_MASTER M2->B ...] [+ LINK_UP B]
 *                                             -> ifconfig B addm M1 addm M2 up
 */
static size_t fold(const struct plan *p, size_t i, struct freebsd_cmds *c, int *err)
{
	const struct action *a = &p->actions[i];
	char ***last = &c->argv[c->n - 1];
	size_t j = i + 1;

	if (a->kind == ACTION_ADDR_ADD) {
		if (j < p->n_actions && is_up_of(&p->actions[j], a->ns, a->ifname)) {
			*err = freebsd_argv_append(last, "up");
			return 1;
		}
		return 0;
	}
	if (a->kind != ACTION_LINK_SET_MASTER)
		return 0;
	while (!*err && j < p->n_actions) {
		const struct action *m = &p->actions[j];
		if (m->kind != ACTION_LINK_SET_MASTER || strcmp(m->ns, a->ns) || strcmp(m->peer, a->peer) ||
		    freebsd_unsupported(m))
			break;
		*err = freebsd_argv_append(last, "addm");
		if (!*err)
			*err = freebsd_argv_append(last, m->ifname);
		j++;
	}
	if (!*err && j < p->n_actions && is_up_of(&p->actions[j], a->ns, a->peer)) {
		*err = freebsd_argv_append(last, "up");
		j++;
	}
	return j - i - 1;
}

/* What a confined jail's confinement is on FreeBSD, and what of it has no
 * FreeBSD equivalent, before its jail -c. */
static void explain_jail(FILE *out, const struct action *a)
{
	const struct model_jail *j = a->jail;

	if (!j || !j->confine)
		return;
	fprintf(out, "# %s: confined: securelevel 3, sees only its own mounts, devfs ruleset 4, no child jails, "
		     "allow.* off%s\n", a->target, j->allow & MODEL_ALLOW_RAW_SOCKETS ? " but raw_sockets" : "");
	if (!a->path)
		fprintf(out, "# %s: no path: on FreeBSD the jail's root is the host's / (read-write for its root, "
			     "with the host's /dev); give it a path to confine its files\n", a->target);
	if (!(j->allow & MODEL_ALLOW_NET_ADMIN))
		fprintf(out, "# %s: allow.net_admin = no has no FreeBSD equivalent: a VNET jail's root manages "
			     "its own interfaces and routes\n", a->target);
	if (j->init)
		fprintf(out, "# %s: init %s: a FreeBSD jail has no init of its own (persist keeps it; exec.start "
			     "starts its services)\n", a->target, j->init);
	if (j->limits.memory || j->limits.pids)
		fprintf(out, "# %s: limits as rctl(8) rules: they need kern.racct.enable=1 in /boot/loader.conf, "
			     "and outlive the jail until rctl -r jail:%s\n", a->target, a->target);
	if (j->limits.cpu_weight)
		fprintf(out, "# %s: limit.cpu_weight %u has no clean rctl(8) equivalent (pcpu is a cap, not a "
			     "share): not rendered\n", a->target, j->limits.cpu_weight);
	/* jail(8)'s own stop.timeout is 10 s, jail6's default */
	if (j->stop_timeout != 10)
		fprintf(out, "# %s: stop.timeout %u s: jail -r takes stop.timeout from jail.conf(5) (default 10 s); "
			     "set it there for this jail\n", a->target, j->stop_timeout);
}

/* Comments an admin needs before the commands of a. */
static void explain(FILE *out, const struct action *a)
{
	char remote[ADDR_STRLEN];

	if (a->kind == ACTION_JAIL_CREATE)
		explain_jail(out, a);
	if (a->kind == ACTION_FILTER_CREATE)
		fprintf(out, "# the filter of the jails' bridge ports (own addresses, Neighbour "
			     "Advertisements, no Router Advertisements) is Linux only: not rendered\n");
	if (a->kind != ACTION_TUNNEL_CREATE && a->kind != ACTION_TUNNEL_CHANGE)
		return;
	if (a->local_auto)
		fprintf(out, "# local = auto: jail6 uses the source address of the route to %s; "
			     "%s below stands for it\n",
			addr_format_host(&a->gw, remote, sizeof(remote)), FREEBSD_LOCAL_AUTO);
	if (a->ttl > 0)
		fprintf(out, "# gif(4) has no per-tunnel ttl: net.inet.ip.gifttl applies to every gif\n");
}

int freebsd_render(FILE *out, const struct plan *p)
{
	int ret = 0;

	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		const char *why = freebsd_unsupported(a);
		struct freebsd_cmds c;
		char line[512];
		int err = 0;

		if (why) {
			fprintf(out, "# error: %s: %s\n", action_describe(a, line, sizeof(line)), why);
			ret = ret ? ret : -EINVAL;
			continue;
		}
		err = freebsd_action_argv(a, &c);
		if (err == 0 && c.n > 0)
			i += fold(p, i, &c, &err);
		if (err < 0) {
			freebsd_cmds_free(&c);
			return err;
		}
		explain(out, a);
		for (size_t k = 0; k < c.n; k++)
			print_argv(out, c.argv[k]);
		freebsd_cmds_free(&c);
	}
	if (ferror(out))
		return -EIO;
	return ret;
}
