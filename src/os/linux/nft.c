/*
 * The port filter on Linux: an nftables table of the bridge family, "jail6",
 * in the host namespace jail6 manages, built with libnftnl and sent over a
 * libmnl socket, one batch (one transaction) per change.
 *
 *   table bridge jail6                          comment "jail6"
 *     set ports { ifname }                      "PORT" comment "jail NAME"
 *     set allowed { ifname . ipv6_addr }        "PORT" . ADDRESS
 *     chain forward (hook forward), chain input (hook input), each:
 *       from @ports: icmpv6 type router-advert counter drop               r1
 *       from @ports: icmpv6 type nd-neighbor-advert, target not
 *         fe80::/10 and iifname . target not in @allowed: counter drop    r2
 *       from @ports: ip6 saddr fe80::/10 accept                           r3
 *       from @ports: ip6 saddr :: accept                                  r4
 *       from @ports: iifname . ip6 saddr not in @allowed: counter drop    r5
 *     ("from @ports": meta protocol ip6, iifname in @ports)
 *
 * Rules carry a comment ("jail6 forward r1"...) by which observe tells them
 * intact. A frame costs five rules and hash lookups whatever the number of
 * jails; there is no jump, so a change does not make the kernel validate
 * the table. A port's elements are replaced in one batch; the elements to
 * delete come from a copy of the sets this context read once
 * (linux_nft_cache) and kept up to date, not from a dump per change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>

#include "os/linux/execute.h"
#include "os/linux/nft_int.h"

/* ---- rules ---- */

static void meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_rule_add_expr(r, e);
}

static void cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

/* reg1 &= fe80::/10's mask over 2 bytes, for a link-local test. */
static void mask_ll(struct nftnl_rule *r)
{
	static const uint8_t mask[2] = { 0xff, 0xc0 }, zero[2] = { 0, 0 };
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 2);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, 2);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_XOR, zero, 2);
	nftnl_rule_add_expr(r, e);
}

/* The registers from reg1 in @set, or not in it. */
static void lookup(struct nftnl_rule *r, const char *set, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(r, e);
}

/* iifname . the 16 bytes at (base, off) not in @allowed (reg1 and reg2
 * are contiguous: the concatenation's key). */
static void not_allowed(struct nftnl_rule *r, uint32_t base, uint32_t off)
{
	meta(r, NFT_META_IIFNAME, NFT_REG_1);
	payload(r, base, off, 16, NFT_REG_2);
	lookup(r, NFT_ALLOWED, true);
}

/* counter (for drops), then the verdict. */
static void verdict(struct nftnl_rule *r, int v)
{
	struct nftnl_expr *e;

	if (v == NF_DROP)
		nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	nftnl_rule_add_expr(r, e);
}

/* icmpv6 type == t (after its l4proto). */
static void icmp6_type(struct nftnl_rule *r, uint8_t t)
{
	static const uint8_t icmp6 = 58;

	meta(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, &icmp6, 1);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, &t, 1);
}

/* Rule k (1..NFT_N_RULES) of a base chain: IPv6 from a jail port, then its test. */
static void port_rule(struct nftnl_rule *r, int k)
{
	static const uint8_t ip6[2] = { 0x86, 0xdd }, ll[2] = { 0xfe, 0x80 }, any[16] = { 0 };

	meta(r, NFT_META_PROTOCOL, NFT_REG_1);
	cmp(r, NFT_CMP_EQ, ip6, 2);
	meta(r, NFT_META_IIFNAME, NFT_REG_1);
	lookup(r, NFT_PORTS, false);
	switch (k) {
	case 1: /* Router Advertisement */
		icmp6_type(r, 134);
		verdict(r, NF_DROP);
		break;
	case 2: /* Neighbour Advertisement for an address not the port's */
		icmp6_type(r, 136);
		payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 2, NFT_REG_1);
		mask_ll(r);
		cmp(r, NFT_CMP_NEQ, ll, 2);
		not_allowed(r, NFT_PAYLOAD_TRANSPORT_HEADER, 8);
		verdict(r, NF_DROP);
		break;
	case 3: /* from a link-local address */
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 2, NFT_REG_1);
		mask_ll(r);
		cmp(r, NFT_CMP_EQ, ll, 2);
		verdict(r, NF_ACCEPT);
		break;
	case 4: /* from :: (duplicate address detection) */
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG_1);
		cmp(r, NFT_CMP_EQ, any, 16);
		verdict(r, NF_ACCEPT);
		break;
	default: /* from an address not the port's */
		not_allowed(r, NFT_PAYLOAD_NETWORK_HEADER, 8);
		verdict(r, NF_DROP);
		break;
	}
}

/* A base chain at hook with its rules. */
static void batch_base(struct nft *n, const char *name, uint32_t hook)
{
	struct nftnl_chain *c = nft_chain_new(name);
	char tag[64];
	const void *ud;
	uint32_t len;

	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, -200);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nft_batch_put(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE, nft_chain_payload, c);
	nftnl_chain_free(c);
	for (int k = 1; k <= NFT_N_RULES; k++) {
		struct nftnl_rule *r = nftnl_rule_alloc();
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		port_rule(r, k);
		nft_rule_tag(tag, sizeof(tag), name, k);
		ud = nft_comment(n, NFTNL_UDATA_RULE_COMMENT, tag, &len);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, ud, len);
		nft_batch_put(n, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, nft_rule_payload, r);
		nftnl_rule_free(r);
	}
}

/* A set of the table: its key (len bytes, nft type), its userdata. */
static void batch_set(struct nft *n, const char *name, uint32_t len, uint32_t type)
{
	struct nftnl_set *s = nft_set_new(name);
	struct nftnl_udata_buf *ub = nftnl_udata_buf_alloc(16);

	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_ID, ++n->seq);
	/* interface names are strings in host order: `nft list` shows them so */
	if (ub && type == NFT_TYPE_IFNAME) {
		nftnl_udata_put_u32(ub, NFTNL_UDATA_SET_KEYBYTEORDER, 1);
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ub), nftnl_udata_buf_len(ub));
	}
	nft_batch_put(n, NFT_MSG_NEWSET, NLM_F_CREATE, nft_set_payload, s);
	if (ub)
		nftnl_udata_buf_free(ub);
	nftnl_set_free(s);
}

/* The table anew: removed first when there, then made with its sets and hooks. */
static void batch_table(struct nft *n, bool there)
{
	struct nftnl_table *t = nft_table_new();
	const void *ud;
	uint32_t len;

	if (there)
		nft_batch_put(n, NFT_MSG_DELTABLE, 0, nft_table_payload, t);
	ud = nft_comment(n, NFTNL_UDATA_TABLE_COMMENT, "jail6", &len);
	nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, ud, len);
	nft_batch_put(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, nft_table_payload, t);
	nftnl_table_free(t);
	batch_set(n, NFT_PORTS, 16, NFT_TYPE_IFNAME);
	batch_set(n, NFT_ALLOWED, 32, NFT_TYPE_IFNAME << NFT_TYPE_BITS | NFT_TYPE_IPV6);
	batch_base(n, "forward", NF_BR_FORWARD);
	batch_base(n, "input", NF_BR_LOCAL_IN);
}

/* One element op on the allowed set: port . each of addrs. */
static void batch_allowed(struct nft *n, uint16_t type, const char *port, const struct addr *addrs, size_t k)
{
	struct nftnl_set *s;
	char key[32];

	if (!k)
		return;
	s = nft_set_new(NFT_ALLOWED);
	nft_port_key(key, port);
	for (size_t i = 0; i < k; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		memcpy(key + 16, addrs[i].bytes, 16);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 32);
		nftnl_set_elem_add(s, e);
	}
	nft_batch_put(n, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, nft_elems_payload, s);
	nftnl_set_free(s);
}

/* One element op on the ports set (with its jail's comment when added). */
static void batch_port(struct nft *n, uint16_t type, const char *port, const char *jail)
{
	struct nftnl_set *s = nft_set_new(NFT_PORTS);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	char key[16], text[MODEL_NAME_MAX + 8];
	const void *ud;
	uint32_t len;

	nft_port_key(key, port);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 16);
	if (jail) {
		snprintf(text, sizeof(text), "jail %s", jail);
		ud = nft_comment(n, NFTNL_UDATA_SET_ELEM_COMMENT, text, &len);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, ud, len);
	}
	nftnl_set_elem_add(s, e);
	nft_batch_put(n, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, nft_elems_payload, s);
	nftnl_set_free(s);
}

/* Remove what there is of port's filter, as the cache knows it. */
static void batch_port_del(struct nft *n, const struct state_fport *old)
{
	if (!old)
		return;
	if (old->intact) /* in the ports set */
		batch_port(n, NFT_MSG_DELSETELEM, old->port, NULL);
	batch_allowed(n, NFT_MSG_DELSETELEM, old->port, old->addrs, old->n_addrs);
}

/* ---- execute ---- */

/* The cache of the filter's elements, read now when it is not there. */
static int cache_get(struct linux_ctx *c, struct nft *n, struct state **out)
{
	struct state **cache = linux_nft_cache(c);
	int r;

	if (*cache) {
		*out = *cache;
		return 0;
	}
	*cache = calloc(1, sizeof(**cache));
	if (!*cache)
		return -ENOMEM;
	r = nft_read(n, *cache);
	if (r < 0) {
		free(*cache);
		*cache = NULL;
		return r;
	}
	*out = *cache;
	return 0;
}

static void cache_drop(struct linux_ctx *c)
{
	struct state **cache = linux_nft_cache(c);

	state_free(*cache);
	free(*cache);
	*cache = NULL;
}

/* What filter_here works on. */
struct filter_call {
	struct exec *x;
	struct nft n;
};

/* Build the batch of action a; 0, -ENOENT (no table), -errno. */
static int filter_batch(struct filter_call *f, struct state **cache)
{
	const struct action *a = f->x->a;
	struct state *st;
	struct addr *v = NULL;
	size_t nv = 0;
	int r;

	if (a->kind == ACTION_FILTER_CREATE || a->kind == ACTION_FILTER_DESTROY) {
		r = nft_table_exists(&f->n, NULL, 0, NULL);
		if (r < 0)
			return r;
		nft_batch_start(&f->n);
		if (a->kind == ACTION_FILTER_CREATE) {
			batch_table(&f->n, r == 1);
		} else if (r == 1) {
			struct nftnl_table *t = nft_table_new();
			nft_batch_put(&f->n, NFT_MSG_DELTABLE, 0, nft_table_payload, t);
			nftnl_table_free(t);
		}
		return 0;
	}
	r = cache_get(f->x->c, &f->n, &st);
	if (r < 0)
		return r;
	*cache = st;
	if (!st->filter.present)
		return a->kind == ACTION_FILTER_PORT_DEL ? 0 : -ENOENT;
	if (a->kind == ACTION_FILTER_PORT_SET && state_filter_addrs(a->addrs, a->n_addrs, &v, &nv) < 0)
		return -ENOMEM;
	nft_batch_start(&f->n);
	batch_port_del(&f->n, state_filter_port(st, a->ifname));
	if (a->kind == ACTION_FILTER_PORT_SET) {
		batch_port(&f->n, NFT_MSG_NEWSETELEM, a->ifname, a->target);
		batch_allowed(&f->n, NFT_MSG_NEWSETELEM, a->ifname, v, nv);
	}
	free(v);
	return 0;
}

/* linux_in_ns callback: carry out filter action arg in the host namespace,
 * and keep the cache as the kernel now has it. */
static int filter_here(void *arg)
{
	struct filter_call *f = arg;
	const struct action *a = f->x->a;
	struct state *cache = NULL;
	struct state_fport p = { .intact = true };
	int r = nft_open(&f->n);

	if (r == 0)
		r = filter_batch(f, &cache);
	if (r == 0 && f->n.batch)
		r = f->n.n_msgs ? nft_batch_send(&f->n) : 0;
	nft_close(&f->n);
	if (r < 0 || a->kind == ACTION_FILTER_DESTROY) {
		cache_drop(f->x->c); /* read again when next needed */
		return r;
	}
	if (a->kind == ACTION_FILTER_CREATE) {
		cache_drop(f->x->c);
		return 0;
	}
	if (a->kind == ACTION_FILTER_PORT_DEL) {
		if (cache)
			state_filter_del(cache, a->ifname);
		return 0;
	}
	snprintf(p.port, sizeof(p.port), "%s", a->ifname);
	snprintf(p.jail, sizeof(p.jail), "%s", a->target);
	p.addrs = (struct addr *)a->addrs;
	p.n_addrs = a->n_addrs;
	if (cache && state_filter_put(cache, &p) < 0)
		cache_drop(f->x->c);
	return 0;
}

int exec_filter(struct exec *x)
{
	const struct action *a = x->a;
	struct filter_call f = { .x = x };
	int r;

	if (a->kind == ACTION_FILTER_PORT_SET || a->kind == ACTION_FILTER_PORT_DEL) {
		if (!model_ifname_ok(a->ifname))
			return exec_fail_msg(x, -EINVAL, "invalid interface name \"%s\"", a->ifname);
		if (a->kind == ACTION_FILTER_PORT_SET && !model_jailname_ok(a->target))
			return exec_fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->target);
	}
	r = linux_in_ns(x->c, "", filter_here, &f);
	if (r == -ENOENT && a->kind == ACTION_FILTER_PORT_SET)
		return exec_fail_msg(x, r, "%s: port filter: no nftables table bridge %s", a->ifname, NFT_TABLE);
	if (r < 0 && a->ifname[0])
		return exec_fail(x, r, "%s: port filter (nftables table bridge %s)", a->ifname, NFT_TABLE);
	return r < 0 ? exec_fail(x, r, "port filter (nftables table bridge %s)", NFT_TABLE) : 0;
}
