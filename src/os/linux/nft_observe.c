/* Observe the port filter: jail6's table read back into state->filter,
 * each port's addresses from its set, its rules by their comments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "os/linux/linux_int.h"
#include "os/linux/nft.h"
#include "os/linux/nft_int.h"

/* ---- observe ---- */

/* What a dump of the table finds, before it becomes state facts. */
struct seen {
	struct state *out;
	struct nft *n;
	char (*chains)[32];         /* port chains (p_PORT) and base chains */
	size_t n_chains;
	int *rules_ok;              /* per chain: intact rules counted; -1 = a stray */
	char (*sets)[32];
	char (*jails)[MODEL_NAME_MAX];
	size_t n_sets;
	int err;
};

static int chain_index(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n_chains; i++)
		if (!strcmp(s->chains[i], name))
			return (int)i;
	return -1;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	void *p;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0)
		goto fail;
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_TABLE)) {
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	p = realloc(s->chains, (s->n_chains + 1) * sizeof(*s->chains));
	if (!p)
		goto fail;
	s->chains = p;
	p = realloc(s->rules_ok, (s->n_chains + 1) * sizeof(*s->rules_ok));
	if (!p)
		goto fail;
	s->rules_ok = p;
	snprintf(s->chains[s->n_chains], 32, "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	s->rules_ok[s->n_chains++] = 0;
	nftnl_chain_free(c);
	return MNL_CB_OK;
fail:
	nftnl_chain_free(c);
	s->err = -ENOMEM;
	return MNL_CB_ERROR;
}

/* A rule counts when it carries the tag its place in its chain calls for. */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	char tag[64], want[64];
	const void *ud;
	uint32_t len = 0;
	int i;

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		s->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	i = strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), NFT_TABLE) ? -1
		: chain_index(s, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	if (i >= 0 && s->rules_ok[i] >= 0) {
		const char *ch = s->chains[i];
		bool base = strncmp(ch, "p_", 2) != 0;
		ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
		nft_comment_of(ud, len, NFTNL_UDATA_RULE_COMMENT, tag, sizeof(tag));
		nft_rule_tag(want, sizeof(want), s->rules_ok[i] + 1, base ? ch : NULL);
		s->rules_ok[i] = strcmp(tag, want) ? -1 : s->rules_ok[i] + 1;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	struct nftnl_set *x = nftnl_set_alloc();
	char text[MODEL_NAME_MAX + 8];
	const void *ud;
	uint32_t len = 0;
	void *p;

	if (!x || nftnl_set_nlmsg_parse(nlh, x) < 0 ||
	    !(p = realloc(s->sets, (s->n_sets + 1) * sizeof(*s->sets)))) {
		nftnl_set_free(x);
		s->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	s->sets = p;
	if (!(p = realloc(s->jails, (s->n_sets + 1) * sizeof(*s->jails)))) {
		nftnl_set_free(x);
		s->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	s->jails = p;
	snprintf(s->sets[s->n_sets], 32, "%s", nftnl_set_get_str(x, NFTNL_SET_NAME));
	ud = nftnl_set_get_data(x, NFTNL_SET_USERDATA, &len);
	nft_comment_of(ud, len, NFTNL_UDATA_SET_COMMENT, text, sizeof(text));
	snprintf(s->jails[s->n_sets++], MODEL_NAME_MAX, "%.*s", MODEL_NAME_MAX - 1,
		 strncmp(text, "jail ", 5) ? "" : text + 5);
	nftnl_set_free(x);
	return MNL_CB_OK;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return nftnl_set_elems_nlmsg_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* The elements of set name into a new nftnl_set (*out), or -errno. */
static int dump_elems(struct nft *n, const char *name, struct nftnl_set **out)
{
	struct nftnl_set *s = nft_set_new(name);
	int r = nft_talk(n, NFT_MSG_GETSETELEM, NLM_F_DUMP, nft_elems_payload, s, elems_cb, s);

	if (r < 0) {
		nftnl_set_free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* One port: its set's addresses, and whether its chain, rules and map
 * entry (jump to its chain) are jail6's. */
static int observe_port(struct seen *s, size_t set_i, const struct nftnl_set *map)
{
	struct state_fport p = { .intact = true };
	const char *port = s->sets[set_i] + 2;
	char chain[32];
	struct nftnl_set *x = NULL;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	bool mapped = false;
	int ci, r;

	snprintf(p.port, sizeof(p.port), "%s", port);
	snprintf(p.jail, sizeof(p.jail), "%s", s->jails[set_i]);
	snprintf(chain, sizeof(chain), "p_%s", port);
	ci = chain_index(s, chain);
	p.intact = ci >= 0 && s->rules_ok[ci] == NFT_N_RULES;
	it = map ? nftnl_set_elems_iter_create(map) : NULL;
	for (e = it ? nftnl_set_elems_iter_cur(it) : NULL; e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t kl = 0;
		const char *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &kl);
		const char *to = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
		if (k && kl == 16 && !strncmp(k, port, 16))
			mapped = to && !strcmp(to, chain) && nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT) == (uint32_t)NFT_JUMP;
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	p.intact = p.intact && mapped;
	r = dump_elems(s->n, s->sets[set_i], &x);
	if (r < 0)
		return r;
	it = nftnl_set_elems_iter_create(x);
	for (e = it ? nftnl_set_elems_iter_cur(it) : NULL; e && r == 0; e = nftnl_set_elems_iter_next(it)) {
		uint32_t kl = 0;
		const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &kl);
		struct addr *v = realloc(p.addrs, (p.n_addrs + 1) * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			break;
		}
		p.addrs = v;
		if (k && kl == 16) {
			memset(&v[p.n_addrs], 0, sizeof(*v));
			v[p.n_addrs].family = AF_INET6;
			v[p.n_addrs].plen = 128;
			memcpy(v[p.n_addrs++].bytes, k, 16);
		}
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(x);
	if (r == 0)
		r = state_filter_put(s->out, &p);
	free(p.addrs);
	return r;
}

/* linux_in_ns callback: read jail6's table into the state (arg: struct seen). */
static int observe_here(void *arg)
{
	struct seen *s = arg;
	struct nftnl_table *t = nft_table_new();
	struct nftnl_chain *c = nft_chain_new("");
	struct nftnl_rule *ru = nftnl_rule_alloc();
	struct nftnl_set *st = nft_set_new("");
	struct nftnl_set *map = NULL;
	char mark[64] = "";
	struct nft n;
	int r = nft_open(&n), fi, ii;

	s->n = &n;
	if (r == 0)
		r = nft_table_exists(&n, mark, sizeof(mark));
	if (r <= 0)
		goto cleanup;
	s->out->filter.present = true;
	/* jail6's mark, as addresses and routes carry protocol 106 */
	s->out->filter.owned = !strcmp(mark, "jail6");
	nftnl_chain_unset(c, NFTNL_CHAIN_NAME);
	nftnl_rule_set_u32(ru, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
	nftnl_rule_set_str(ru, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_set_unset(st, NFTNL_SET_NAME);
	r = nft_talk(&n, NFT_MSG_GETCHAIN, NLM_F_DUMP, nft_chain_payload, c, chain_cb, s);
	if (r == 0)
		r = nft_talk(&n, NFT_MSG_GETRULE, NLM_F_DUMP, nft_rule_payload, ru, rule_cb, s);
	if (r == 0)
		r = nft_talk(&n, NFT_MSG_GETSET, NLM_F_DUMP, nft_set_payload, st, set_cb, s);
	if (r < 0)
		goto cleanup;
	fi = chain_index(s, "forward");
	ii = chain_index(s, "input");
	for (size_t i = 0; i < s->n_sets; i++)
		if (!strcmp(s->sets[i], NFT_PORTS))
			r = dump_elems(&n, NFT_PORTS, &map);
	s->out->filter.intact = map && fi >= 0 && ii >= 0 && s->rules_ok[fi] == 1 && s->rules_ok[ii] == 1;
	for (size_t i = 0; r == 0 && i < s->n_sets; i++)
		if (!strncmp(s->sets[i], "a_", 2) && model_ifname_ok(s->sets[i] + 2))
			r = observe_port(s, i, map);
cleanup:
	if (map)
		nftnl_set_free(map);
	nftnl_table_free(t);
	nftnl_chain_free(c);
	nftnl_rule_free(ru);
	nftnl_set_free(st);
	nft_close(&n);
	return s->err ? s->err : r;
}

int linux_nft_observe(struct linux_ctx *c, struct state *out)
{
	struct seen s = { .out = out };
	int r = linux_in_ns(c, "", observe_here, &s);

	free(s.chains);
	free(s.rules_ok);
	free(s.sets);
	free(s.jails);
	/* no nf_tables in this kernel: no filter can be there */
	return r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT ? 0 : r;
}
