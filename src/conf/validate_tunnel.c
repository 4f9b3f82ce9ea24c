/* Tunnel blocks: the 6in4 endpoints, the tunnel prefix, a broker's routed
 * prefixes and the settings of `jail6 tunnel update`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/validate_int.h"

static const struct cv_keyspec tunnel_keys[] = {
	{ "type", CV_KEY_REQ }, { "remote", CV_KEY_REQ }, { "local", 0 }, { "via", 0 },
	{ "address", 0 }, { "peer", 0 }, { "mtu", 0 }, { "ttl", 0 }, { "datapath", 0 },
	{ "role", 0 }, { "routed", CV_KEY_REPEAT | CV_KEY_LIST }, { "update_url", 0 }, { "tunnel_id", 0 },
	{ "user", 0 }, { "update_key_file", 0 }, { "myip", 0 },
};

static const struct cv_blockspec tunnel_spec = { "tunnel", tunnel_keys, CV_N(tunnel_keys), NULL, 0 };

/* Parse an IPv4 endpoint setting (remote, local, via) into *out. */
static bool get_v4(struct cv_ctx *c, const char *label, const char *key,
		   const struct conf_value *v, struct addr *out)
{
	return cv_get_addr(c, label, key, v, AF_INET, CV_PFX_NONE, out) &&
	       cv_usable(c, label, key, v, out);
}

/* Why s is not a value the broker's update API takes (tunnel_id, user), or
 * NULL. A user may not contain ':', which ends the user in HTTP basic auth. */
static const char *token_problem(const char *s, bool is_user)
{
	if (*s == '\0')
		return "is empty";
	if (strlen(s) > 255)
		return "is longer than 255 characters";
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ')
			return "must not contain spaces";
		if (ch < 0x20 || ch == 0x7f)
			return "must not contain control characters";
		if (ch > 0x7e)
			return "must be printable ASCII";
		if (ch == ':' && is_user)
			return "must not contain ':' (it ends the user name in HTTP basic authentication)";
	}
	return NULL;
}

/* Why s is not an http:// or https:// URL with a host, or NULL. */
static const char *url_problem(const char *s)
{
	size_t n;

	if (strcasecmp(s, "http:") == 0 || strcasecmp(s, "https:") == 0)
		return "is cut short: write the URL in double quotes ('//' starts a comment)";
	if (strncasecmp(s, "https://", 8) == 0)
		n = 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		n = 7;
	else
		return "must start with http:// or https://";
	if (s[n] == '\0' || strchr("/?#", s[n]))
		return "has no host";
	if (strlen(s) > 2048)
		return "is longer than 2048 characters";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "must not contain spaces or control characters";
	return NULL;
}

/* Whether prefixes a and b share any address. */
static bool prefixes_overlap(const struct addr *a, const struct addr *b)
{
	return addr_in_prefix(a, b) || addr_in_prefix(b, a);
}

/* One `routed` prefix of a broker: IPv6 with a length, host bits clear, not
 * the default route nor multicast, not overlapping the tunnel's own prefix
 * or an earlier routed prefix. Returns whether it was added. */
static bool routed_prefix(struct cv_ctx *c, const char *label, const struct conf_value *v,
			  struct model_tunnel *t)
{
	char s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	struct addr a, net;

	if (!cv_get_addr(c, label, "routed", v, AF_INET6, CV_PFX_REQUIRED, &a))
		return false;
	net = addr_network(&a);
	addr_format(&a, s1, sizeof(s1));
	if (!addr_equal(&net, &a)) {
		cv_err(c, v->loc, "%s: routed %s: host bits are set; did you mean %s?", label, s1,
		       addr_format(&net, s2, sizeof(s2)));
		return false;
	}
	if (a.plen == 0) {
		cv_err(c, v->loc, "%s: routed %s is the default route; list the prefixes the broker routes to its client",
		       label, s1);
		return false;
	}
	if (addr_is_multicast(&a) || addr_is_link_local(&a) || addr_is_loopback(&a)) {
		cv_err(c, v->loc, "%s: routed %s is a %s prefix", label, s1,
		       addr_is_multicast(&a) ? "multicast" : addr_is_link_local(&a) ? "link-local" : "loopback");
		return false;
	}
	if (t->has_address && prefixes_overlap(&a, &t->address)) {
		net = addr_network(&t->address);
		cv_err(c, v->loc, "%s: routed %s overlaps the tunnel prefix %s", label, s1,
		       addr_format(&net, s2, sizeof(s2)));
		return false;
	}
	for (size_t i = 0; i < t->n_routed; i++) {
		if (!prefixes_overlap(&a, &t->routed[i]))
			continue;
		if (addr_equal(&a, &t->routed[i]))
			cv_err(c, v->loc, "%s: routed %s is listed twice", label, s1);
		else
			cv_err(c, v->loc, "%s: routed %s overlaps routed %s", label, s1,
			       addr_format(&t->routed[i], s2, sizeof(s2)));
		return false;
	}
	if (cv_push_addr(&t->routed, &t->n_routed, &a) < 0) {
		c->err = -ENOMEM;
		return false;
	}
	return true;
}

/* role and routed: a broker routes its `routed` prefixes to the peer; a
 * client has none (its broker routes them to it). */
static void tunnel_role(struct cv_ctx *c, const struct conf_block *b, const char *label,
			struct model_tunnel *t)
{
	const struct conf_stmt *first = cv_find_key(b, "routed");
	const struct conf_value *v;
	char q1[CV_QMAX];

	if ((v = cv_value_of(b, "role"))) {
		if (model_role_parse(v->text, &t->role) < 0) {
			cv_err(c, v->loc, "%s: unknown role '%s' (expected client or broker)", label,
			       cv_quote(v->text, q1));
			return; /* routed would be judged against the wrong role */
		}
	}
	if (!first)
		return;
	if (t->role != MODEL_ROLE_BROKER) {
		cv_err(c, first->loc, "%s: routed is only for role = broker (a client's prefixes are routed to it by the broker)",
		       label);
		return;
	}
	if (!cv_find_key(b, "peer"))
		cv_err(c, first->loc, "%s: routed needs peer: the broker routes each prefix to the client's address",
		       label);
	for (size_t i = 0; i < b->n_stmts && !c->err; i++) {
		const struct conf_stmt *s = &b->stmts[i];

		if (strcmp(s->key, "routed") != 0)
			continue;
		for (size_t k = 0; k < s->n_vals && !c->err; k++)
			routed_prefix(c, label, &s->vals[k], t);
	}
}

/* The settings of `jail6 tunnel update`; all optional here, the command
 * says which it misses. */
static void tunnel_update_keys(struct cv_ctx *c, const struct conf_block *b, const char *label,
			       struct model_tunnel *t)
{
	const struct conf_value *v;

	if ((v = cv_value_of(b, "update_url")))
		cv_get_string(c, label, "update_url", v, url_problem(v->text), &t->update_url);
	if ((v = cv_value_of(b, "tunnel_id")))
		cv_get_string(c, label, "tunnel_id", v, token_problem(v->text, false), &t->tunnel_id);
	if ((v = cv_value_of(b, "user")))
		cv_get_string(c, label, "user", v, token_problem(v->text, true), &t->user);
	if ((v = cv_value_of(b, "update_key_file")))
		cv_get_string(c, label, "update_key_file", v, cv_path_problem(v->text), &t->update_key_file);
	if ((v = cv_value_of(b, "myip"))) {
		if (strcmp(v->text, "auto") == 0)
			t->myip_auto = true;
		else
			t->has_myip = get_v4(c, label, "myip", v, &t->myip);
	}
}

/* Free what a tunnel that never made it into the model owns. */
static void free_tunnel_fields(struct model_tunnel *t)
{
	free(t->routed);
	free(t->update_url);
	free(t->tunnel_id);
	free(t->user);
	free(t->update_key_file);
}

void cv_build_tunnel(struct cv_ctx *c, const struct conf_block *b)
{
	struct model_tunnel t = {
		.local_auto = true, .mtu = MODEL_TUNNEL_MTU_DEFAULT,
		.ttl = MODEL_TUNNEL_TTL_DEFAULT, .datapath = MODEL_DATAPATH_AUTO,
	};
	const struct conf_value *v;
	char label[CV_DESC_MAX], q1[CV_QMAX], s1[ADDR_STRLEN], s2[ADDR_STRLEN];
	bool named, remote_ok = false, addr_ok = false;
	struct model_tunnel *arr;

	snprintf(label, sizeof(label), "tunnel '%s'", cv_quote(b->name, q1));
	cv_check_block(c, b, &tunnel_spec, label);
	named = cv_check_name(c, b->name, b->name_loc, "tunnel name", MODEL_IFNAMSIZ - 1, false, NULL);
	if (named) {
		snprintf(t.name, sizeof(t.name), "%s", b->name);
		cv_reg_name(c, t.name, CV_REG_TUNNEL, label, b->name_loc);
	}
	t.pos = cv_pos(c, b->name_loc);
	if ((v = cv_value_of(b, "type")) && strcmp(v->text, "6in4") != 0)
		cv_err(c, v->loc, "%s: unknown type '%s' (the only type is 6in4)", label, cv_quote(v->text, q1));
	if ((v = cv_value_of(b, "remote")))
		remote_ok = get_v4(c, label, "remote", v, &t.remote);
	if ((v = cv_value_of(b, "local")) && strcmp(v->text, "auto") != 0) {
		t.local_auto = false;
		get_v4(c, label, "local", v, &t.local);
	}
	if ((v = cv_value_of(b, "via"))) {
		t.has_via = get_v4(c, label, "via", v, &t.via);
		if (t.has_via && remote_ok && addr_same_host(&t.via, &t.remote))
			cv_err(c, v->loc, "%s: via %s is the remote address itself; via is the gateway towards it",
			       label, addr_format_host(&t.via, s1, sizeof(s1)));
	}
	if ((v = cv_value_of(b, "address"))) {
		addr_ok = cv_get_addr(c, label, "address", v, AF_INET6, CV_PFX_REQUIRED, &t.address) &&
			  cv_usable(c, label, "address", v, &t.address);
		t.has_address = addr_ok;
		if (addr_ok)
			cv_reg_addr(c, &t.address, label, v->loc);
	}
	if ((v = cv_value_of(b, "peer"))) {
		t.has_peer = cv_get_addr(c, label, "peer", v, AF_INET6, CV_PFX_NONE, &t.peer) &&
			     cv_usable(c, label, "peer", v, &t.peer);
		if (t.has_peer && addr_ok && !addr_in_prefix(&t.peer, &t.address)) {
			struct addr net = addr_network(&t.address);

			cv_err(c, v->loc, "%s: peer %s is outside the tunnel prefix %s", label,
			       addr_format_host(&t.peer, s1, sizeof(s1)), addr_format(&net, s2, sizeof(s2)));
		} else if (t.has_peer) {
			char desc[CV_DESC_MAX];

			snprintf(desc, sizeof(desc), "%.150s (peer)", label);
			cv_reg_addr(c, &t.peer, desc, v->loc);
		}
	}
	if ((v = cv_value_of(b, "mtu")))
		cv_get_int(c, label, "mtu", v, MODEL_TUNNEL_MTU_MIN, MODEL_TUNNEL_MTU_MAX, &t.mtu);
	if ((v = cv_value_of(b, "ttl")))
		cv_get_int(c, label, "ttl", v, 1, 255, &t.ttl);
	if ((v = cv_value_of(b, "datapath"))) {
		if (model_datapath_parse(v->text, &t.datapath) < 0)
			cv_err(c, v->loc, "%s: unknown datapath '%s' (expected auto, kernel, userspace or ebpf)",
			       label, cv_quote(v->text, q1));
	}
	tunnel_role(c, b, label, &t);
	tunnel_update_keys(c, b, label, &t);
	/* A broken tunnel is kept (the model is discarded anyway) so that
	 * references to it are not also reported as undefined. */
	if (!named || c->err)
		goto fail;
	arr = cv_grow(c->m->tunnels, c->m->n_tunnels, sizeof(*arr), &c->err);
	if (!arr)
		goto fail;
	c->m->tunnels = arr;
	arr[c->m->n_tunnels++] = t;
	return;
fail:
	free_tunnel_fields(&t);
}
