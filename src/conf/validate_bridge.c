/* Bridge blocks: prefixes that must not overlap another bridge's, members,
 * the tunnel the bridge routes through. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/validate_int.h"

static const struct cv_keyspec bridge_keys[] = {
	{ "address", CV_KEY_REQ | CV_KEY_REPEAT | CV_KEY_LIST }, { "members", CV_KEY_LIST },
	{ "tunnel", 0 }, { "adopt", 0 },
};

static const struct cv_blockspec bridge_spec = { "bridge", bridge_keys, CV_N(bridge_keys), NULL, 0 };

/* Reject a bridge prefix that overlaps one of an earlier bridge. */
static bool check_overlap(struct cv_ctx *c, const char *label, const struct conf_value *v,
			  const struct addr *a)
{
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN];

	for (size_t i = 0; i < c->m->n_bridges; i++) {
		const struct model_bridge *o = &c->m->bridges[i];

		for (size_t j = 0; j < o->n_addrs; j++) {
			const struct addr *p = &o->addrs[j];
			struct addr n1, n2;

			if (p->family != a->family || addr_same_host(p, a))
				continue; /* the same address is reported as such */
			if (!addr_in_prefix(a, p) && !addr_in_prefix(p, a))
				continue;
			n1 = addr_network(a);
			n2 = addr_network(p);
			cv_err(c, v->loc, "%s: prefix %s overlaps bridge '%s' prefix %s", label,
			       addr_format(&n1, s1, sizeof(s1)), o->name, addr_format(&n2, s2, sizeof(s2)));
			return false;
		}
	}
	return true;
}

/* The bridge's addresses: IPv6 ones first, then IPv4, each in file order. */
static void bridge_addrs(struct cv_ctx *c, const struct conf_block *b, const char *label,
			 struct model_bridge *br)
{
	struct parsed { struct addr a; const struct conf_value *v; } *all = NULL;
	size_t n = 0, n6 = 0;
	bool ok = true;

	for (size_t i = 0; i < b->n_stmts; i++) {
		const struct conf_stmt *s = &b->stmts[i];

		if (strcmp(s->key, "address") != 0)
			continue;
		for (size_t j = 0; j < s->n_vals; j++) {
			struct parsed *p;
			struct addr a;

			if (!cv_get_addr(c, label, "address", &s->vals[j], 0, CV_PFX_REQUIRED, &a) ||
			    !cv_usable(c, label, "address", &s->vals[j], &a)) {
				ok = false;
				continue;
			}
			p = cv_grow(all, n, sizeof(*p), &c->err);
			if (!p)
				goto cleanup;
			all = p;
			all[n++] = (struct parsed){ a, &s->vals[j] };
			n6 += a.family == AF_INET6;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			if ((all[i].a.family == AF_INET6) != (pass == 0))
				continue;
			if (!check_overlap(c, label, all[i].v, &all[i].a)) {
				ok = false;
				continue;
			}
			if (!cv_reg_addr(c, &all[i].a, label, all[i].v->loc))
				continue;
			if (cv_push_addr(&br->addrs, &br->n_addrs, &all[i].a) < 0) {
				c->err = -ENOMEM;
				goto cleanup;
			}
		}
	}
	if (ok && cv_find_key(b, "address") && n6 == 0)
		cv_err(c, b->name_loc, "%s: needs at least one IPv6 address (address = PREFIX/LEN)", label);
cleanup:
	free(all);
}

void cv_build_bridge(struct cv_ctx *c, const struct conf_block *b)
{
	struct model_bridge br = { 0 };
	const struct conf_stmt *s;
	const struct conf_value *v;
	char label[CV_DESC_MAX], what[CV_DESC_MAX + 16], q1[CV_QMAX];
	bool named;
	struct model_bridge *arr;

	snprintf(label, sizeof(label), "bridge '%s'", cv_quote(b->name, q1));
	cv_check_block(c, b, &bridge_spec, label);
	named = cv_check_name(c, b->name, b->name_loc, "bridge name", MODEL_IFNAMSIZ - 1, false, NULL);
	if (named) {
		snprintf(br.name, sizeof(br.name), "%s", b->name);
		cv_reg_name(c, br.name, CV_REG_BRIDGE, label, b->name_loc);
	}
	br.pos = cv_pos(c, b->name_loc);
	bridge_addrs(c, b, label, &br);
	if ((s = cv_find_key(b, "members"))) {
		snprintf(what, sizeof(what), "%s: member name", label);
		for (size_t i = 0; i < s->n_vals && !c->err; i++) {
			char (*m)[MODEL_IFNAMSIZ];

			v = &s->vals[i];
			if (!cv_check_name(c, v->text, v->loc, what, MODEL_IFNAMSIZ - 1, false, NULL) ||
			    !cv_reg_name(c, v->text, CV_REG_MEMBER, label, v->loc))
				continue;
			m = cv_grow(br.members, br.n_members, sizeof(*m), &c->err);
			if (!m)
				break;
			br.members = m;
			snprintf(m[br.n_members++], MODEL_IFNAMSIZ, "%s", v->text);
		}
	}
	if ((v = cv_value_of(b, "tunnel"))) {
		if (model_find_tunnel(c->m, v->text))
			snprintf(br.tunnel, sizeof(br.tunnel), "%s", v->text);
		else if (!cv_declared(c->tunnels, c->n_tunnels, v->text))
			cv_undefined(c, label, "tunnel", v, c->tunnels, c->n_tunnels);
	}
	if ((v = cv_value_of(b, "adopt")))
		cv_get_bool(c, label, "adopt", v, &br.adopt);
	/* Kept even when broken, so that interfaces on it are still checked. */
	if (!named || c->err)
		goto fail;
	arr = cv_grow(c->m->bridges, c->m->n_bridges, sizeof(*arr), &c->err);
	if (!arr)
		goto fail;
	c->m->bridges = arr;
	arr[c->m->n_bridges++] = br;
	return;
fail:
	free(br.addrs);
	free(br.members);
}
