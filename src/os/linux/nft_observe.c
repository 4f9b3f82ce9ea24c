/* Observe the port filter: jail6's table read back into state->filter
 * (its chains' rules by their comments, each port's jail and addresses
 * from the two sets) in a fixed number of dumps, whatever the jails. */
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

/* One element of the allowed set: a port and an address. */
struct pair {
	char port[MODEL_IFNAMSIZ];
	struct addr addr;
};

/* What the dumps found. */
struct seen {
	int rules[2];               /* forward, input: rules in order with their tag; -1: a stray */
	bool chain[2];
	struct state_fport *ports;  /* from the ports set (jail from its comment) */
	size_t n_ports;
	struct pair *pairs;
	size_t n_pairs;
	int err;
};

static const char *const base_chains[2] = { "forward", "input" };

static int base_index(const char *name)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(name, base_chains[i]))
			return i;
	return -1;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	int i;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	i = base_index(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	if (i >= 0 && !strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_TABLE))
		s->chain[i] = true;
	nftnl_chain_free(c);
	return MNL_CB_OK;
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
		return MNL_CB_ERROR;
	}
	i = strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), NFT_TABLE) ? -1
		: base_index(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	if (i >= 0 && s->rules[i] >= 0) {
		ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
		nft_comment_of(ud, len, NFTNL_UDATA_RULE_COMMENT, tag, sizeof(tag));
		nft_rule_tag(want, sizeof(want), base_chains[i], s->rules[i] + 1);
		s->rules[i] = strcmp(tag, want) ? -1 : s->rules[i] + 1;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return nftnl_set_elems_nlmsg_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* The elements of set name into a new nftnl_set (*out); -ENOENT when the
 * set is not there. */
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

/* Each element of x, its key (klen bytes) and userdata, to fn. */
static int each_elem(struct nftnl_set *x, uint32_t klen, int (*fn)(struct seen *, const char *key, const void *ud,
								     uint32_t udlen), struct seen *s)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(x);
	struct nftnl_set_elem *e;
	int r = 0;

	if (!it)
		return -ENOMEM;
	for (e = nftnl_set_elems_iter_cur(it); e && r == 0; e = nftnl_set_elems_iter_next(it)) {
		uint32_t kl = 0, ul = 0;
		const char *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &kl);
		const void *ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ul);
		if (k && kl == klen)
			r = fn(s, k, ud, ud ? ul : 0);
	}
	nftnl_set_elems_iter_destroy(it);
	return r;
}

/* An element of the ports set: a port and its jail. */
static int port_fn(struct seen *s, const char *key, const void *ud, uint32_t udlen)
{
	struct state_fport *v = realloc(s->ports, (s->n_ports + 1) * sizeof(*v));
	char text[MODEL_NAME_MAX + 8];

	if (!v)
		return -ENOMEM;
	s->ports = v;
	v = &s->ports[s->n_ports++];
	memset(v, 0, sizeof(*v));
	v->intact = true;
	snprintf(v->port, sizeof(v->port), "%.*s", MODEL_IFNAMSIZ - 1, key);
	nft_comment_of(ud, udlen, NFTNL_UDATA_SET_ELEM_COMMENT, text, sizeof(text));
	snprintf(v->jail, sizeof(v->jail), "%.*s", MODEL_NAME_MAX - 1, strncmp(text, "jail ", 5) ? "" : text + 5);
	return 0;
}

/* An element of the allowed set: port . address. */
static int pair_fn(struct seen *s, const char *key, const void *ud, uint32_t udlen)
{
	struct pair *v = realloc(s->pairs, (s->n_pairs + 1) * sizeof(*v));

	(void)ud;
	(void)udlen;
	if (!v)
		return -ENOMEM;
	s->pairs = v;
	v = &s->pairs[s->n_pairs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->port, sizeof(v->port), "%.*s", MODEL_IFNAMSIZ - 1, key);
	v->addr.family = AF_INET6;
	v->addr.plen = 128;
	memcpy(v->addr.bytes, key + 16, 16);
	return 0;
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->port, ((const struct pair *)b)->port);
}

/* The ports into out: each with its addresses (the allowed pairs sorted
 * by port, taken in runs); pairs of a port not in the ports set make a
 * port that is not intact. */
static int put_ports(struct seen *s, struct state *out)
{
	struct addr *v = calloc(s->n_pairs + 1, sizeof(*v));
	int r = v ? 0 : -ENOMEM;

	if (s->n_pairs)
		qsort(s->pairs, s->n_pairs, sizeof(*s->pairs), pair_cmp);
	for (size_t i = 0; r == 0 && i < s->n_ports; i++)
		r = state_filter_put(out, &s->ports[i]);
	for (size_t i = 0, k; r == 0 && i < s->n_pairs; i = k) {
		const struct state_fport *sp = state_filter_port(out, s->pairs[i].port);
		struct state_fport p = { .intact = false };

		for (k = i; k < s->n_pairs && !strcmp(s->pairs[k].port, s->pairs[i].port); k++)
			v[k - i] = s->pairs[k].addr;
		if (sp)
			p = *sp;
		else
			snprintf(p.port, sizeof(p.port), "%s", s->pairs[i].port);
		p.addrs = v;
		p.n_addrs = k - i;
		r = state_filter_put(out, &p);
	}
	free(v);
	return r;
}

int nft_read(struct nft *n, struct state *out)
{
	struct seen s = { .rules = { 0, 0 } };
	struct nftnl_chain *c = nft_chain_new("");
	struct nftnl_rule *ru = nftnl_rule_alloc();
	struct nftnl_set *ports = NULL, *allowed = NULL;
	char mark[64] = "";
	uint64_t handle = 0;
	int r = nft_table_exists(n, mark, sizeof(mark), &handle), rp, ra;

	if (r <= 0)
		goto cleanup;
	out->filter.present = true;
	/* jail6's mark, as addresses and routes carry protocol 106; whether
	 * it is jail6's is the store's record (engine/observe.c) */
	out->filter.marked = !strcmp(mark, "jail6");
	out->filter.ident = handle;
	nftnl_chain_unset(c, NFTNL_CHAIN_NAME);
	nftnl_rule_set_u32(ru, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
	nftnl_rule_set_str(ru, NFTNL_RULE_TABLE, NFT_TABLE);
	r = nft_talk(n, NFT_MSG_GETCHAIN, NLM_F_DUMP, nft_chain_payload, c, chain_cb, &s);
	if (r == 0)
		r = nft_talk(n, NFT_MSG_GETRULE, NLM_F_DUMP, nft_rule_payload, ru, rule_cb, &s);
	rp = r ? r : dump_elems(n, NFT_PORTS, &ports);
	ra = r ? r : dump_elems(n, NFT_ALLOWED, &allowed);
	r = r ? r : rp == -ENOENT ? 0 : rp ? rp : ra == -ENOENT ? 0 : ra;
	if (r < 0)
		goto cleanup;
	out->filter.intact = s.chain[0] && s.chain[1] && s.rules[0] == NFT_N_RULES && s.rules[1] == NFT_N_RULES &&
			     ports && allowed;
	if (ports)
		r = each_elem(ports, 16, port_fn, &s);
	if (r == 0 && allowed)
		r = each_elem(allowed, 32, pair_fn, &s);
	if (r == 0)
		r = put_ports(&s, out);
cleanup:
	if (ports)
		nftnl_set_free(ports);
	if (allowed)
		nftnl_set_free(allowed);
	nftnl_chain_free(c);
	nftnl_rule_free(ru);
	free(s.ports);
	free(s.pairs);
	return r < 0 ? r : 0;
}

/* linux_in_ns callback: nft_read in the host namespace. */
static int observe_here(void *arg)
{
	struct nft n;
	int r = nft_open(&n);

	if (r == 0)
		r = nft_read(&n, arg);
	nft_close(&n);
	return r;
}

int linux_nft_observe(struct linux_ctx *c, struct state *out)
{
	int r = linux_in_ns(c, "", observe_here, out);

	/* no nf_tables in this kernel: no filter can be there */
	return r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT ? 0 : r;
}
