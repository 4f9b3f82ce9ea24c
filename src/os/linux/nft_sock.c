/* The conversation with nf_tables: gets, dumps and batches over one libmnl
 * socket, libnftnl's object builders, jail6's comments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "os/linux/nft_int.h"

#define NFT_BUF (1 << 16)

int nft_open(struct nft *n)
{
	struct timeval tv = { .tv_sec = 10 };

	memset(n, 0, sizeof(*n));
	n->buf = malloc(NFT_BUF);
	n->ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
	if (!n->buf || !n->ud)
		return -ENOMEM;
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return errno ? -errno : -EIO;
	/* a reply that never comes is an error, not a hang */
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (unsigned)time(NULL);
	return 0;
}

void nft_close(struct nft *n)
{
	if (n->batch)
		mnl_nlmsg_batch_stop(n->batch);
	if (n->nl)
		mnl_socket_close(n->nl);
	if (n->ud)
		nftnl_udata_buf_free(n->ud);
	free(n->buf);
}

/* A comment as nft writes it (TLV of type `type`); the buffer is n->ud's,
 * valid until the next call. */
const void *nft_comment(struct nft *n, uint8_t type, const char *text, uint32_t *len)
{
	if (n->ud)
		nftnl_udata_buf_free(n->ud);
	n->ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
	if (!n->ud) {
		*len = 0;
		return "";
	}
	nftnl_udata_put_strz(n->ud, type, text);
	*len = nftnl_udata_buf_len(n->ud);
	return nftnl_udata_buf_data(n->ud);
}

/* The comment of type `type` in udata, or "". */
void nft_comment_of(const void *data, uint32_t len, uint8_t type, char *out, size_t outlen)
{
	const struct nftnl_udata *a;

	out[0] = '\0';
	if (!data)
		return;
	nftnl_udata_for_each_data((const char *)data, len, a)
		if (nftnl_udata_type(a) == type && nftnl_udata_len(a) > 0)
			snprintf(out, outlen, "%.*s", (int)nftnl_udata_len(a), (const char *)nftnl_udata_get(a));
}

/* ---- requests: a get or dump, with a parser per reply ---- */

int nft_talk(struct nft *n, uint16_t type, uint16_t flags, nft_payload_fn payload, const void *obj,
	     mnl_cb_t cb, void *data)
{
	unsigned seq = ++n->seq;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(n->buf, type, NFPROTO_BRIDGE, flags, seq);
	int r;

	payload(nlh, obj);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		r = (int)mnl_socket_recvfrom(n->nl, n->buf, NFT_BUF);
		if (r < 0)
			return -errno;
		r = mnl_cb_run(n->buf, (size_t)r, seq, n->portid, cb, data);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

void nft_table_payload(struct nlmsghdr *nlh, const void *t)
{
	nftnl_table_nlmsg_build_payload(nlh, t);
}
void nft_chain_payload(struct nlmsghdr *nlh, const void *c)
{
	nftnl_chain_nlmsg_build_payload(nlh, c);
}
void nft_rule_payload(struct nlmsghdr *nlh, const void *r)
{
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)r);
}
void nft_set_payload(struct nlmsghdr *nlh, const void *s)
{
	nftnl_set_nlmsg_build_payload(nlh, (struct nftnl_set *)s);
}
void nft_elems_payload(struct nlmsghdr *nlh, const void *s)
{
	nftnl_set_elems_nlmsg_build_payload(nlh, (struct nftnl_set *)s);
}

/* ---- the batch ---- */

void nft_batch_start(struct nft *n)
{
	n->batch = mnl_nlmsg_batch_start(n->buf, NFT_BUF);
	n->n_msgs = 0;
	n->begin_seq = ++n->seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(n->batch), n->begin_seq);
	mnl_nlmsg_batch_next(n->batch);
}

/* The header of the next message of the batch (acked). */
static struct nlmsghdr *batch_msg(struct nft *n, uint16_t type, uint16_t flags)
{
	n->n_msgs++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(n->batch), type, NFPROTO_BRIDGE,
				     flags | NLM_F_ACK, ++n->seq);
}

void nft_batch_put(struct nft *n, uint16_t type, uint16_t flags, nft_payload_fn payload, const void *obj)
{
	payload(batch_msg(n, type, flags), obj);
	mnl_nlmsg_batch_next(n->batch);
}

/* Send the batch; 0 when every message was acked, else the first error.
 * An error about the batch itself (its begin or end: no nf_tables, no
 * privilege) comes alone: the messages in it get no answer. */
int nft_batch_send(struct nft *n)
{
	unsigned acked = 0, end_seq;
	int first = 0;

	end_seq = ++n->seq;
	nftnl_batch_end(mnl_nlmsg_batch_current(n->batch), end_seq);
	mnl_nlmsg_batch_next(n->batch);
	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(n->batch), mnl_nlmsg_batch_size(n->batch)) < 0)
		return -errno;
	mnl_nlmsg_batch_stop(n->batch);
	n->batch = NULL;
	while (acked < n->n_msgs) {
		int len = (int)mnl_socket_recvfrom(n->nl, n->buf, NFT_BUF);
		const struct nlmsghdr *h = (const struct nlmsghdr *)n->buf;

		if (len < 0)
			return -errno;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			if ((h->nlmsg_seq == n->begin_seq || h->nlmsg_seq == end_seq) && e->error)
				return e->error;
			acked++;
			if (e->error && !first)
				first = e->error;
		}
	}
	return first;
}

/* The comment that marks rule k of base chain chain ("jail6 forward r1"). */
void nft_rule_tag(char *buf, size_t len, const char *chain, int k)
{
	snprintf(buf, len, "jail6 %s r%d", chain, k);
}

/* ---- objects ---- */

struct nftnl_chain *nft_chain_new(const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_BRIDGE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	return c;
}

struct nftnl_set *nft_set_new(const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_BRIDGE);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	return s;
}

struct nftnl_table *nft_table_new(void)
{
	struct nftnl_table *t = nftnl_table_alloc();

	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_BRIDGE);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	return t;
}

/* The port's key in the ports map: its name, NUL-padded to IFNAMSIZ. */
void nft_port_key(char key[16], const char *port)
{
	memset(key, 0, 16);
	snprintf(key, 16, "%s", port);
}

/* Parse callback: count the reply (a get that found its object). */
static int found_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return MNL_CB_OK;
}

/* Whether object obj (a get of type) exists: 1, 0, or -errno. */
int nft_exists(struct nft *n, uint16_t type, nft_payload_fn pl, const void *obj)
{
	bool found = false;
	int r = nft_talk(n, type, NLM_F_ACK, pl, obj, found_cb, &found);

	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : found;
}

/* What a get of the table read: its comment. */
struct table_seen {
	bool found;
	char *mark;
	size_t len;
	uint64_t *handle;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_seen *ts = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len = 0;

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return MNL_CB_ERROR;
	}
	ts->found = true;
	if (ts->mark) {
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		nft_comment_of(ud, len, NFTNL_UDATA_TABLE_COMMENT, ts->mark, ts->len);
	}
	if (ts->handle && nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
		*ts->handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int nft_table_exists(struct nft *n, char *mark, size_t len, uint64_t *handle)
{
	struct nftnl_table *t = nft_table_new();
	struct table_seen ts = { false, mark, len, handle };
	int r = nft_talk(n, NFT_MSG_GETTABLE, NLM_F_ACK, nft_table_payload, t, table_cb, &ts);

	nftnl_table_free(t);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : ts.found;
}
