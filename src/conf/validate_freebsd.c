/*
 * What a FreeBSD host does not accept (CONF_F_FREEBSD: `check --target
 * freebsd`, `export --target freebsd`), checked on a file that is
 * otherwise valid, each at the offending name or key. The rules and the
 * man pages they come from (docs/freebsd.md lists them):
 *  - a jail interface NAME is epairN: `ifconfig epairN create` makes
 *    epairNa and epairNb (epair(4)); N is a unit number, written without
 *    leading zeros and at most IF_MAXUNIT (32767), so epairNa fits in
 *    IFNAMSIZ - 1 = 15 characters (ifconfig(8), if_clone);
 *  - a jail name has no '.': jail(8) reads "a.b" as jail b inside jail a
 *    (hierarchical jails), and is not all digits: jexec(8) and jail -r
 *    take a number as a jail ID (jail_getid(3));
 *  - a tunnel is a gif(4): datapath = userspace / ebpf and keepalive need
 *    jail6's Linux datapath;
 *  - a gif(4) is never a bridge member (if_bridge(4) would carry EtherIP
 *    over it, not 6in4: the seed's "known bug").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/validate_int.h"

/* IF_MAXUNIT of FreeBSD's net/if.h: the largest unit of a cloned interface. */
#define FREEBSD_IF_MAXUNIT 32767

/* Whether s is prefix then a unit number (digits, no leading zero, at
 * most FREEBSD_IF_MAXUNIT). */
static bool unit_of(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);
	char *end;
	long n;

	if (strncmp(s, prefix, l) || s[l] < '0' || s[l] > '9' || (s[l] == '0' && s[l + 1]))
		return false;
	n = strtol(s + l, &end, 10);
	return !*end && n <= FREEBSD_IF_MAXUNIT;
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void check_tunnel(struct cv_ctx *c, const struct conf_block *b)
{
	const struct conf_stmt *s = cv_find_key(b, "datapath");
	char q[CV_QMAX];

	if (s && s->n_vals && (!strcmp(s->vals[0].text, "userspace") || !strcmp(s->vals[0].text, "ebpf")))
		cv_err(c, s->vals[0].loc, "tunnel '%s': datapath = %s is Linux only: a FreeBSD host's tunnel is "
		       "a gif(4) in the kernel (drop the key, or datapath = kernel)", cv_quote(b->name, q),
		       s->vals[0].text);
	s = cv_find_key(b, "keepalive");
	if (s && s->n_vals)
		cv_err(c, s->loc, "tunnel '%s': keepalive needs jail6's datapath, which is Linux only: a FreeBSD "
		       "host's tunnel is a gif(4) in the kernel", cv_quote(b->name, q));
}

static void check_bridge(struct cv_ctx *c, const struct conf_block *b)
{
	const struct conf_stmt *s = cv_find_key(b, "members");
	char q[CV_QMAX], q2[CV_QMAX];

	for (size_t i = 0; s && i < s->n_vals; i++) {
		const char *mname = s->vals[i].text;
		bool tunnel = false;

		for (size_t t = 0; t < c->m->n_tunnels; t++)
			tunnel = tunnel || !strcmp(c->m->tunnels[t].name, mname);
		if (tunnel || unit_of(mname, "gif"))
			cv_err(c, s->vals[i].loc, "bridge '%s': member '%s' is a gif(4) tunnel: on FreeBSD a gif in "
			       "a bridge carries EtherIP, not 6in4; the bridge routes through it (tunnel = NAME)",
			       cv_quote(b->name, q), cv_quote(mname, q2));
	}
}

static void check_jail(struct cv_ctx *c, const struct conf_block *b)
{
	char q[CV_QMAX], q2[CV_QMAX];

	if (strchr(b->name, '.'))
		cv_err(c, b->name_loc, "jail name '%s' has a '.': jail(8) reads it as a jail inside jail '%.*s' "
		       "(hierarchical jails); use '_' or '-'", cv_quote(b->name, q),
		       (int)(strchr(b->name, '.') - b->name), b->name);
	else if (all_digits(b->name))
		cv_err(c, b->name_loc, "jail name '%s' is a number: jexec(8) and jail -r read a number as a jail "
		       "ID; put a letter in it", cv_quote(b->name, q));
	for (size_t i = 0; i < b->n_blocks; i++) {
		const struct conf_block *f = &b->blocks[i];

		if (strcmp(f->kind, "interface") || !f->name || unit_of(f->name, "epair"))
			continue;
		cv_err(c, f->name_loc, "jail '%s': interface '%s': FreeBSD names an epair(4) by its unit: "
		       "`ifconfig epairN create` makes epairNa (bridge side) and epairNb (jail side); name it "
		       "epairN, N a number from 0 to %d without leading zeros", cv_quote(b->name, q),
		       cv_quote(f->name, q2), FREEBSD_IF_MAXUNIT);
	}
}

void cv_check_freebsd(struct cv_ctx *c, const struct conf_block *root)
{
	for (size_t i = 0; i < root->n_blocks && !c->ctx->diag.full; i++) {
		const struct conf_block *b = &root->blocks[i];

		if (!b->name)
			continue;
		if (!strcmp(b->kind, "tunnel"))
			check_tunnel(c, b);
		else if (!strcmp(b->kind, "bridge"))
			check_bridge(c, b);
		else if (!strcmp(b->kind, "jail"))
			check_jail(c, b);
	}
}
