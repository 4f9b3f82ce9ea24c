/*
 * The port filter on Linux: an nftables table of the bridge family, "jail6",
 * in the host namespace jail6 manages, built with libnftnl and sent over a
 * libmnl socket, one batch (one transaction) per change.
 *
 *   table bridge jail6                        comment "jail6"
 *     map ports { ifname : verdict }          PORT : jump p_PORT
 *     chain forward (hook forward)  meta protocol ip6 iifname vmap @ports
 *     chain input   (hook input)    the same: what reaches the host's stack
 *     set a_PORT { ipv6_addr }                comment "jail NAME"
 *     chain p_PORT
 *       icmpv6 type router-advert counter drop                    r1
 *       icmpv6 type nd-neighbor-advert, target not fe80::/10
 *         and not in @a_PORT counter drop                          r2
 *       ip6 saddr fe80::/10 return                                 r3
 *       ip6 saddr :: return                                        r4
 *       ip6 saddr != @a_PORT counter drop                          r5
 *
 * Rules carry a comment ("jail6 forward", "jail6 r1"...) by which observe
 * tells them intact. A port is replaced whole in one batch (its map entry,
 * chain and set removed and made again), so no frame ever meets half a
 * filter; the dispatch through one map keeps a frame's cost and a change's
 * independent of the number of jails.
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

static void expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
}

static void meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	expr_add(r, e);
}

static void payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	expr_add(r, e);
}

static void cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
	expr_add(r, e);
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
	expr_add(r, e);
}

/* reg1 in @set (a verdict map when dreg is NFT_REG_VERDICT), or not in it. */
static void lookup(struct nftnl_rule *r, const char *set, bool inv, bool vmap)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (vmap)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	expr_add(r, e);
}

/* counter, then the verdict. */
static void verdict(struct nftnl_rule *r, int v, bool count)
{
	struct nftnl_expr *e;

	if (count)
		expr_add(r, nftnl_expr_alloc("counter"));
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	expr_add(r, e);
}

/* icmpv6 type == t (after its l4proto). */
static void icmp6_type(struct nftnl_rule *r, uint8_t t)
{
	static const uint8_t icmp6 = 58;

	meta(r, NFT_META_L4PROTO);
	cmp(r, NFT_CMP_EQ, &icmp6, 1);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
	cmp(r, NFT_CMP_EQ, &t, 1);
}

/* Rule k (1..NFT_N_RULES) of port chain `chain` over address set `set`. */
static void port_rule(struct nftnl_rule *r, int k, const char *set)
{
	static const uint8_t ll[2] = { 0xfe, 0x80 }, any[16] = { 0 };

	switch (k) {
	case 1: /* Router Advertisement */
		icmp6_type(r, 134);
		verdict(r, NF_DROP, true);
		break;
	case 2: /* Neighbour Advertisement for an address not the port's */
		icmp6_type(r, 136);
		payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 2);
		mask_ll(r);
		cmp(r, NFT_CMP_NEQ, ll, 2);
		payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 16);
		lookup(r, set, true, false);
		verdict(r, NF_DROP, true);
		break;
	case 3: /* from a link-local address */
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 2);
		mask_ll(r);
		cmp(r, NFT_CMP_EQ, ll, 2);
		verdict(r, NFT_RETURN, false);
		break;
	case 4: /* from :: (duplicate address detection) */
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
		cmp(r, NFT_CMP_EQ, any, 16);
		verdict(r, NFT_RETURN, false);
		break;
	default: /* from an address not the port's */
		payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
		lookup(r, set, true, false);
		verdict(r, NF_DROP, true);
		break;
	}
}

/* The dispatch of a base chain: IPv6 from a jail port jumps to its chain. */
static void dispatch_rule(struct nftnl_rule *r)
{
	static const uint8_t ip6[2] = { 0x86, 0xdd };

	meta(r, NFT_META_PROTOCOL);
	cmp(r, NFT_CMP_EQ, ip6, 2);
	meta(r, NFT_META_IIFNAME);
	lookup(r, NFT_PORTS, false, true);
}

/* Add a rule to chain (k: port rule number, or 0 with base: dispatch). */
static void batch_rule(struct nft *n, const char *chain, int k, const char *set, const char *base)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char tag[64];
	const void *ud;
	uint32_t len;

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if (base)
		dispatch_rule(r);
	else
		port_rule(r, k, set);
	nft_rule_tag(tag, sizeof(tag), k, base);
	ud = nft_comment(n, NFTNL_UDATA_RULE_COMMENT, tag, &len);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, ud, len);
	nft_batch_put(n, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, nft_rule_payload, r);
	nftnl_rule_free(r);
}

/* A base chain at hook with its dispatch rule. */
static void batch_base(struct nft *n, const char *name, uint32_t hook)
{
	struct nftnl_chain *c = nft_chain_new(name);

	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, -200);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nft_batch_put(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE, nft_chain_payload, c);
	nftnl_chain_free(c);
	batch_rule(n, name, 0, NULL, name);
}

/* Which of a port's objects are there (to remove them first). */
struct port_has {
	bool elem, chain, set;
};

/* Remove what there is of port's objects: map entry, rules, chain, set. */
static void batch_port_del(struct nft *n, const char *port, const struct port_has *h)
{
	char name[32], key[16];

	if (h->elem) {
		struct nftnl_set *s = nft_set_new(NFT_PORTS);
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		nft_port_key(key, port);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 16);
		nftnl_set_elem_add(s, e);
		nft_batch_put(n, NFT_MSG_DELSETELEM, 0, nft_elems_payload, s);
		nftnl_set_free(s);
	}
	snprintf(name, sizeof(name), "p_%s", port);
	if (h->chain) {
		struct nftnl_rule *r = nftnl_rule_alloc();
		struct nftnl_chain *c = nft_chain_new(name);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		nft_batch_put(n, NFT_MSG_DELRULE, 0, nft_rule_payload, r);
		nft_batch_put(n, NFT_MSG_DELCHAIN, 0, nft_chain_payload, c);
		nftnl_rule_free(r);
		nftnl_chain_free(c);
	}
	if (h->set) {
		struct nftnl_set *s;
		snprintf(name, sizeof(name), "a_%s", port);
		s = nft_set_new(name);
		nft_batch_put(n, NFT_MSG_DELSET, 0, nft_set_payload, s);
		nftnl_set_free(s);
	}
}

/* Make port's set (with addrs), chain and map entry. */
static void batch_port_add(struct nft *n, const char *port, const char *jail, const struct addr *addrs,
			   size_t n_addrs)
{
	char chain[32], set[32], key[16], text[96];
	struct nftnl_set *s, *m;
	struct nftnl_set_elem *e;
	struct nftnl_chain *c;
	const void *ud;
	uint32_t len;

	snprintf(chain, sizeof(chain), "p_%s", port);
	snprintf(set, sizeof(set), "a_%s", port);
	s = nft_set_new(set);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 16);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_IPV6);
	nftnl_set_set_u32(s, NFTNL_SET_ID, ++n->seq);
	snprintf(text, sizeof(text), "jail %s", jail);
	ud = nft_comment(n, NFTNL_UDATA_SET_COMMENT, text, &len);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, len);
	nft_batch_put(n, NFT_MSG_NEWSET, NLM_F_CREATE, nft_set_payload, s);
	for (size_t i = 0; i < n_addrs; i++) {
		e = nftnl_set_elem_alloc();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, addrs[i].bytes, 16);
		nftnl_set_elem_add(s, e);
	}
	if (n_addrs)
		nft_batch_put(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, nft_elems_payload, s);
	nftnl_set_free(s);
	c = nft_chain_new(chain);
	nft_batch_put(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE, nft_chain_payload, c);
	nftnl_chain_free(c);
	for (int k = 1; k <= NFT_N_RULES; k++)
		batch_rule(n, chain, k, set, NULL);
	m = nft_set_new(NFT_PORTS);
	e = nftnl_set_elem_alloc();
	nft_port_key(key, port);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 16);
	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
	nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	nftnl_set_elem_add(m, e);
	nft_batch_put(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, nft_elems_payload, m);
	nftnl_set_free(m);
}

/* The table anew: removed first when there, then made with its map and hooks. */
static void batch_table(struct nft *n, bool there)
{
	struct nftnl_udata_buf *ub;
	struct nftnl_table *t = nft_table_new();
	struct nftnl_set *m = nft_set_new(NFT_PORTS);
	const void *ud;
	uint32_t len;

	if (there)
		nft_batch_put(n, NFT_MSG_DELTABLE, 0, nft_table_payload, t);
	ud = nft_comment(n, NFTNL_UDATA_TABLE_COMMENT, "jail6", &len);
	nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, ud, len);
	nft_batch_put(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, nft_table_payload, t);
	nftnl_set_set_u32(m, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(m, NFTNL_SET_KEY_LEN, 16);
	nftnl_set_set_u32(m, NFTNL_SET_KEY_TYPE, NFT_TYPE_IFNAME);
	nftnl_set_set_u32(m, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(m, NFTNL_SET_ID, ++n->seq);
	/* names are strings in host order: `nft list` shows them so */
	if ((ub = nftnl_udata_buf_alloc(16))) {
		nftnl_udata_put_u32(ub, NFTNL_UDATA_SET_KEYBYTEORDER, 1);
		nftnl_set_set_data(m, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ub), nftnl_udata_buf_len(ub));
		nftnl_udata_buf_free(ub);
	}
	nft_batch_put(n, NFT_MSG_NEWSET, NLM_F_CREATE, nft_set_payload, m);
	batch_base(n, "forward", NF_BR_FORWARD);
	batch_base(n, "input", NF_BR_LOCAL_IN);
	nftnl_set_free(m);
	nftnl_table_free(t);
}

/* ---- what is there ---- */

/* Which of port's objects are there. */
static int port_has(struct nft *n, const char *port, struct port_has *h)
{
	char name[32], key[16];
	struct nftnl_chain *c;
	struct nftnl_set *s;
	struct nftnl_set_elem *e;
	int r;

	snprintf(name, sizeof(name), "p_%s", port);
	c = nft_chain_new(name);
	r = nft_exists(n, NFT_MSG_GETCHAIN, nft_chain_payload, c);
	nftnl_chain_free(c);
	h->chain = r == 1;
	snprintf(name, sizeof(name), "a_%s", port);
	s = nft_set_new(name);
	if (r >= 0)
		r = nft_exists(n, NFT_MSG_GETSET, nft_set_payload, s);
	nftnl_set_free(s);
	h->set = r == 1;
	s = nft_set_new(NFT_PORTS);
	e = nftnl_set_elem_alloc();
	nft_port_key(key, port);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, 16);
	nftnl_set_elem_add(s, e);
	if (r >= 0)
		r = nft_exists(n, NFT_MSG_GETSETELEM, nft_elems_payload, s);
	nftnl_set_free(s);
	h->elem = r == 1;
	return r < 0 ? r : 0;
}


/* ---- execute ---- */

/* linux_in_ns callback: carry out filter action arg in the host namespace. */
static int filter_here(void *arg)
{
	struct exec *x = arg;
	const struct action *a = x->a;
	struct port_has h = { 0 };
	struct addr *v = NULL;
	size_t nv = 0;
	struct nft n;
	int r = nft_open(&n), there;

	if (r < 0)
		goto cleanup;
	there = r = nft_table_exists(&n, NULL, 0);
	if (r < 0)
		goto cleanup;
	if (a->kind == ACTION_FILTER_DESTROY || a->kind == ACTION_FILTER_PORT_DEL) {
		if (!there) /* gone already: what the action wants */
			goto cleanup;
		if (a->kind == ACTION_FILTER_PORT_DEL && (r = port_has(&n, a->ifname, &h)) < 0)
			goto cleanup;
	}
	if (a->kind == ACTION_FILTER_PORT_SET) {
		if (!there) {
			r = -ENOENT;
			goto cleanup;
		}
		r = port_has(&n, a->ifname, &h);
		if (r == 0)
			r = state_filter_addrs(a->addrs, a->n_addrs, &v, &nv);
		if (r < 0)
			goto cleanup;
	}
	nft_batch_start(&n);
	switch (a->kind) {
	case ACTION_FILTER_CREATE:
		batch_table(&n, there);
		break;
	case ACTION_FILTER_DESTROY: {
		struct nftnl_table *t = nft_table_new();
		nft_batch_put(&n, NFT_MSG_DELTABLE, 0, nft_table_payload, t);
		nftnl_table_free(t);
		break;
	}
	case ACTION_FILTER_PORT_DEL:
		batch_port_del(&n, a->ifname, &h);
		break;
	default:
		batch_port_del(&n, a->ifname, &h);
		batch_port_add(&n, a->ifname, a->target, v, nv);
		break;
	}
	r = n.n_msgs ? nft_batch_send(&n) : 0;
cleanup:
	free(v);
	nft_close(&n);
	return r;
}

int exec_filter(struct exec *x)
{
	const struct action *a = x->a;
	int r;

	if (a->kind == ACTION_FILTER_PORT_SET || a->kind == ACTION_FILTER_PORT_DEL) {
		if (!model_ifname_ok(a->ifname))
			return exec_fail_msg(x, -EINVAL, "invalid interface name \"%s\"", a->ifname);
		if (a->kind == ACTION_FILTER_PORT_SET && !model_jailname_ok(a->target))
			return exec_fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->target);
	}
	r = linux_in_ns(x->c, "", filter_here, x);
	if (r == -ENOENT && a->kind == ACTION_FILTER_PORT_SET)
		return exec_fail_msg(x, r, "%s: port filter: no nftables table bridge %s", a->ifname, NFT_TABLE);
	if (r < 0 && a->ifname[0])
		return exec_fail(x, r, "%s: port filter (nftables table bridge %s)", a->ifname, NFT_TABLE);
	return r < 0 ? exec_fail(x, r, "port filter (nftables table bridge %s)", NFT_TABLE) : 0;
}
