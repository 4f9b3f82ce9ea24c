/* Jail blocks and their interface and route blocks: names, host names,
 * commands, the epair ends on the host, addresses inside the bridge's
 * prefixes, MACs, routes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/validate_int.h"

static const struct cv_keyspec jail_keys[] = {
	{ "hostname", 0 }, { "path", 0 }, { "exec.start", CV_KEY_LIST },
	{ "exec.stop", CV_KEY_LIST }, { "autostart", 0 },
	/* TEMPORARY (wip-lxc, for its tests): confine, limit.pids, allow.* only;
	 * the config-keys branch brings every key of issue 10 and replaces this */
	{ "confine", 0 }, { "limit.pids", 0 }, { "allow.net_admin", 0 }, { "allow.raw_sockets", 0 },
};
static const struct cv_keyspec iface_keys[] = {
	{ "bridge", CV_KEY_REQ }, { "address", CV_KEY_REPEAT | CV_KEY_LIST }, { "mac", 0 },
};
static const struct cv_keyspec route_keys[] = {
	{ "via", CV_KEY_REQ },
};
static const char *const jail_blocks[] = { "interface", "route" };

static const struct cv_blockspec jail_spec = { "jail", jail_keys, CV_N(jail_keys), jail_blocks, CV_N(jail_blocks) };
static const struct cv_blockspec iface_spec = { "interface", iface_keys, CV_N(iface_keys), NULL, 0 };
static const struct cv_blockspec route_spec = { "route", route_keys, CV_N(route_keys), NULL, 0 };

/* Why s is not a valid host name (RFC 1123), or NULL when it is. */
static const char *hostname_problem(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0)
		return "it is empty";
	if (n > 253)
		return "it is longer than 253 characters";
	for (size_t i = 0; i <= n; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0)
				return "it has an empty label";
			if (s[i - 1] == '-')
				return "a label ends with '-'";
			if (label > 63)
				return "a label is longer than 63 characters";
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return "only letters, digits, '-' and '.' are allowed";
		if (label == 0 && ch == '-')
			return "a label starts with '-'";
		label++;
	}
	return NULL;
}

/* exec.start / exec.stop: the values become an argv. */
static bool build_argv(struct cv_ctx *c, const char *label, const struct conf_stmt *s,
		       struct model_argv *out)
{
	if (!s)
		return true;
	if (s->vals[0].text[0] == '\0') {
		cv_err(c, s->vals[0].loc, "%s: %s: the program (first value) is empty", label, s->key);
		return false;
	}
	out->argv = calloc(s->n_vals + 1, sizeof(*out->argv));
	if (!out->argv) {
		c->err = -ENOMEM;
		return false;
	}
	for (size_t i = 0; i < s->n_vals; i++) {
		out->argv[i] = strdup(s->vals[i].text);
		if (!out->argv[i]) {
			c->err = -ENOMEM;
			return false;
		}
		out->argc++;
	}
	return true;
}

/* "prefix A" or "prefixes A, B" of the bridge's addresses of family af. */
static void bridge_prefixes(const struct model_bridge *br, int af, char *buf, size_t len)
{
	size_t o = 0, n = 0;

	for (size_t i = 0; i < br->n_addrs; i++)
		n += br->addrs[i].family == af;
	o = (size_t)snprintf(buf, len, n > 1 ? "prefixes " : "prefix ");
	for (size_t i = 0, k = 0; i < br->n_addrs && o < len; i++) {
		struct addr net;
		char s[ADDR_STRLEN];

		if (br->addrs[i].family != af)
			continue;
		net = addr_network(&br->addrs[i]);
		o += (size_t)snprintf(buf + o, len - o, "%s%s", k++ ? ", " : "", addr_format(&net, s, sizeof(s)));
	}
}

/* One `address` value of an interface: auto, or a prefix inside the bridge's. */
static bool iface_addr(struct cv_ctx *c, const char *label, const struct conf_value *v,
		       const struct model_bridge *br, struct model_iface *ifc)
{
	struct addr a;
	char s[ADDR_STRLEN], pfx[256];
	bool inside = false, fam = false;

	if (strcmp(v->text, "auto") == 0) {
		ifc->n_auto++;
		return true;
	}
	if (!cv_get_addr(c, label, "address", v, 0, CV_PFX_REQUIRED, &a) ||
	    !cv_usable(c, label, "address", v, &a))
		return false;
	for (size_t i = 0; br && i < br->n_addrs; i++) {
		if (br->addrs[i].family != a.family)
			continue;
		fam = true;
		inside = inside || addr_in_prefix(&a, &br->addrs[i]);
	}
	addr_format(&a, s, sizeof(s));
	if (br && !fam) {
		cv_err(c, v->loc, "%s: address %s: bridge '%s' has no %s address", label, s, br->name,
		       a.family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	if (br && !inside) {
		bridge_prefixes(br, a.family, pfx, sizeof(pfx));
		cv_err(c, v->loc, "%s: address %s is outside bridge '%s' %s", label, s, br->name, pfx);
		return false;
	}
	if (!cv_reg_addr(c, &a, label, v->loc))
		return false;
	if (cv_push_addr(&ifc->addrs, &ifc->n_addrs, &a) < 0) {
		c->err = -ENOMEM;
		return false;
	}
	return true;
}

/* The mac setting of an interface: unicast and not all zeroes. */
static bool iface_mac(struct cv_ctx *c, const char *label, const struct conf_value *v,
		      struct model_iface *ifc)
{
	static const uint8_t zero[6];
	char q1[CV_QMAX], s[18];

	if (mac_parse(v->text, ifc->mac) < 0) {
		cv_err(c, v->loc, "%s: mac: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", label,
		       cv_quote(v->text, q1));
		return false;
	}
	mac_format(ifc->mac, s, sizeof(s));
	if (memcmp(ifc->mac, zero, 6) == 0) {
		cv_err(c, v->loc, "%s: mac %s is all zeroes", label, s);
		return false;
	}
	if (ifc->mac[0] & 1) {
		cv_err(c, v->loc, "%s: mac %s is a multicast address (the first byte must be even)", label, s);
		return false;
	}
	cv_reg_mac(c, ifc->mac, label, v->loc);
	ifc->has_mac = true;
	return true;
}

/* Register the epair's two host-side names NAMEa and NAMEb. */
static bool reg_epair(struct cv_ctx *c, const char *name, const char *label, struct conf_loc loc)
{
	bool ok = true;

	for (const char *sfx = "ab"; *sfx; sfx++) {
		char end[MODEL_IFNAMSIZ + 1];

		snprintf(end, sizeof(end), "%s%c", name, *sfx);
		ok &= cv_reg_name(c, end, CV_REG_IFACE_END, label, loc);
	}
	return ok;
}

/* An interface block of jail j: name (and epair ends), bridge, addresses, MAC. */
static bool build_iface(struct cv_ctx *c, const char *jlabel, const struct conf_block *b,
			struct model_jail *j)
{
	struct model_iface ifc = { 0 };
	const struct model_bridge *br = NULL;
	const struct conf_value *v;
	char label[CV_DESC_MAX], what[CV_DESC_MAX], q1[CV_QMAX];
	struct model_iface *arr;
	bool ok;

	snprintf(label, sizeof(label), "%.100s: interface '%s'", jlabel, cv_quote(b->name, q1));
	snprintf(what, sizeof(what), "%.100s: interface name", jlabel);
	cv_check_block(c, b, &iface_spec, label);
	ok = cv_check_name(c, b->name, b->name_loc, what, MODEL_IFNAMSIZ - 2, false,
			   ": jail6 appends 'a' and 'b' for the epair ends");
	if (ok) {
		snprintf(ifc.name, sizeof(ifc.name), "%s", b->name);
		ok = cv_reg_name(c, ifc.name, CV_REG_IFACE, label, b->name_loc) &&
		     reg_epair(c, ifc.name, label, b->name_loc);
	}
	ifc.pos = cv_pos(c, b->name_loc);
	if ((v = cv_value_of(b, "bridge"))) {
		br = model_find_bridge(c->m, v->text);
		if (br) {
			snprintf(ifc.bridge, sizeof(ifc.bridge), "%s", br->name);
		} else {
			ok = false;
			if (!cv_declared(c->bridges, c->n_bridges, v->text))
				cv_undefined(c, label, "bridge", v, c->bridges, c->n_bridges);
		}
	}
	for (size_t i = 0; i < b->n_stmts && !c->err; i++) {
		const struct conf_stmt *s = &b->stmts[i];

		if (strcmp(s->key, "address") != 0)
			continue;
		for (size_t k = 0; k < s->n_vals; k++)
			ok &= iface_addr(c, label, &s->vals[k], br, &ifc);
	}
	if ((v = cv_value_of(b, "mac")))
		ok &= iface_mac(c, label, v, &ifc);
	if (!ok || c->err)
		goto fail;
	arr = cv_grow(j->ifaces, j->n_ifaces, sizeof(*arr), &c->err);
	if (!arr)
		goto fail;
	j->ifaces = arr;
	arr[j->n_ifaces++] = ifc;
	return true;
fail:
	free(ifc.addrs);
	return false;
}

/* A route block of jail j: destination (default, default4 or a prefix) and gateway. */
static bool build_route(struct cv_ctx *c, const char *jlabel, const struct conf_block *b,
			struct model_jail *j)
{
	struct model_route r = { .pos = cv_pos(c, b->name_loc) };
	const struct conf_value *v;
	char label[CV_DESC_MAX], q1[CV_QMAX], s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	struct conf_value dest = { b->name, false, b->name_loc };
	struct model_route *arr;
	bool ok = true;

	snprintf(label, sizeof(label), "%.100s: route %s", jlabel, cv_quote(b->name, q1));
	cv_check_block(c, b, &route_spec, label);
	if (strcmp(b->name, "default") == 0) {
		r.dst = (struct addr){ .family = AF_INET6, .plen = 0 };
	} else if (strcmp(b->name, "default4") == 0) {
		r.dst = (struct addr){ .family = AF_INET, .plen = 0 };
	} else if (cv_get_addr(c, jlabel, "route", &dest, 0, CV_PFX_OPTIONAL, &r.dst)) {
		struct addr net;

		if (r.dst.plen < 0)
			r.dst.plen = (int)addr_len(&r.dst) * 8;
		net = addr_network(&r.dst);
		if (!addr_equal(&net, &r.dst)) {
			cv_err(c, b->name_loc, "%s: host bits are set; did you mean %s?", label,
			       addr_format(&net, s1, sizeof(s1)));
			ok = false;
		}
	} else {
		ok = false;
	}
	if ((v = cv_value_of(b, "via"))) {
		if (!cv_get_addr(c, label, "via", v, 0, CV_PFX_NONE, &r.gw) ||
		    !cv_usable(c, label, "via", v, &r.gw))
			ok = false;
		else if (r.dst.family && r.gw.family != r.dst.family) {
			cv_err(c, v->loc, "%s: via %s is an %s address but the destination is %s", label,
			       addr_format_host(&r.gw, s1, sizeof(s1)),
			       r.gw.family == AF_INET ? "IPv4" : "IPv6",
			       r.dst.family == AF_INET ? "IPv4" : "IPv6");
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < j->n_routes; i++) {
		if (addr_equal(&j->routes[i].dst, &r.dst)) {
			cv_err(c, b->name_loc, "%s: duplicate route %s (first on line %d)", jlabel,
			       addr_format(&r.dst, s2, sizeof(s2)), j->routes[i].pos.line);
			ok = false;
		}
	}
	if (!ok)
		return false;
	arr = cv_grow(j->routes, j->n_routes, sizeof(*arr), &c->err);
	if (!arr)
		return false;
	j->routes = arr;
	arr[j->n_routes++] = r;
	return true;
}

/* Free a heap-allocated jail and what it owns. */
static void free_jail(struct model_jail *j)
{
	struct model m = { .jails = j, .n_jails = 1 };

	/* model_free() knows how to free a jail (and frees j itself). */
	model_free(&m);
}

void cv_build_jail(struct cv_ctx *c, const struct conf_block *b)
{
	struct model_jail *j = calloc(1, sizeof(*j));
	const struct conf_value *v;
	const char *why;
	char label[CV_DESC_MAX], q1[CV_QMAX];
	struct model_jail *arr;

	if (!j) {
		c->err = -ENOMEM;
		return;
	}
	j->autostart = true;
	j->confine = true;
	j->stop_timeout = 10;
	snprintf(label, sizeof(label), "jail '%s'", cv_quote(b->name, q1));
	cv_check_block(c, b, &jail_spec, label);
	if (cv_check_name(c, b->name, b->name_loc, "jail name", MODEL_NAME_MAX - 1, true, NULL)) {
		snprintf(j->name, sizeof(j->name), "%s", b->name);
		cv_reg_jail(c, j->name, label, b->name_loc);
	}
	j->pos = cv_pos(c, b->name_loc);
	if ((v = cv_value_of(b, "hostname"))) {
		if ((why = hostname_problem(v->text)))
			cv_err(c, v->loc, "%s: hostname '%s' is not valid: %s", label, cv_quote(v->text, q1), why);
		else if (!(j->hostname = strdup(v->text)))
			c->err = -ENOMEM;
	}
	if ((v = cv_value_of(b, "path"))) {
		if ((why = cv_path_problem(v->text)))
			cv_err(c, v->loc, "%s: path '%s' %s", label, cv_quote(v->text, q1), why);
		else if (!(j->path = strdup(v->text)))
			c->err = -ENOMEM;
	}
	build_argv(c, label, cv_find_key(b, "exec.start"), &j->exec_start);
	build_argv(c, label, cv_find_key(b, "exec.stop"), &j->exec_stop);
	if ((v = cv_value_of(b, "autostart")))
		cv_get_bool(c, label, "autostart", v, &j->autostart);
	/* TEMPORARY (see jail_keys) */
	if ((v = cv_value_of(b, "confine")))
		cv_get_bool(c, label, "confine", v, &j->confine);
	static const struct { const char *key; unsigned bit; } allows[] = {
		{ "allow.net_admin", MODEL_ALLOW_NET_ADMIN }, { "allow.raw_sockets", MODEL_ALLOW_RAW_SOCKETS },
	};
	for (size_t i = 0; i < 2; i++) {
		bool on = false;
		if ((v = cv_value_of(b, allows[i].key)) && cv_get_bool(c, label, allows[i].key, v, &on) && on)
			j->allow |= allows[i].bit;
	}
	if ((v = cv_value_of(b, "limit.pids"))) {
		int pids = 0;
		if (cv_get_int(c, label, "limit.pids", v, 1, 4194304, &pids))
			j->limits.pids = (uint32_t)pids;
	}
	for (size_t i = 0; i < b->n_blocks && !c->err && !c->ctx->diag.full; i++) {
		const struct conf_block *nb = &b->blocks[i];

		if (!nb->name)
			continue; /* a syntax error was reported */
		if (strcmp(nb->kind, "interface") == 0)
			build_iface(c, label, nb, j);
		else if (strcmp(nb->kind, "route") == 0)
			build_route(c, label, nb, j);
	}
	arr = cv_grow(c->m->jails, c->m->n_jails, sizeof(*arr), &c->err);
	if (!arr) {
		free_jail(j);
		return;
	}
	c->m->jails = arr;
	arr[c->m->n_jails++] = *j;
	free(j);
}
