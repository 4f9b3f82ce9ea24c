/*
 * `jail6 export --target freebsd`, the second half: the files rc(8) and
 * jail(8) read, written from what export.c collected of the plan.
 */
#include "os/freebsd/export_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		fx_strs_free(&names);
		for (size_t i = 0; i < x->n_routes; i++)
			if (x->routes[i].v6 == v6)
				fx_add(x, &names, x->routes[i].name);
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
	fx_strs_free(&names);
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
			fx_fail(x, &j->pos, "jail '%s': %s: a '$' or a newline would be expanded by jail.conf(5): "
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
			fx_add_line(x, &stop, j->exec_stop.argv, 0);
		if (!str_ok(x, j, "exec.start", &jo->start) || !str_ok(x, j, "exec.stop", &stop) ||
		    !str_ok(x, j, "parameters", &jo->params)) {
			fx_strs_free(&stop);
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
		fx_strs_free(&stop);
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
		fx_action(&x, &p->actions[i]);
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
	fx_strs_free(&x.cloned);
	for (size_t i = 0; i < x.n_ifs; i++) {
		fx_strs_free(&x.ifs[i].words);
		fx_strs_free(&x.ifs[i].inet);
		fx_strs_free(&x.ifs[i].inet6);
		fx_strs_free(&x.ifs[i].flags6);
	}
	free(x.ifs);
	for (size_t i = 0; i < x.n_routes; i++)
		free(x.routes[i].args);
	free(x.routes);
	fx_strs_free(&x.sysctls);
	fx_strs_free(&x.notes);
	for (size_t i = 0; i < x.n_jails; i++) {
		struct jail_out *jo = &x.jails[i];
		fx_strs_free(&jo->params);
		fx_strs_free(&jo->vnet_if);
		fx_strs_free(&jo->prestart);
		fx_strs_free(&jo->created);
		fx_strs_free(&jo->start);
		fx_strs_free(&jo->poststop);
	}
	free(x.jails);
	free(x.errs);
	return r;
}
