/*
 * Internal to nft*.c: the conversation with nf_tables (nft_sock.c), shared
 * by the actions (nft.c) and observe (nft_observe.c). See nft.c for the
 * table jail6 keeps.
 */
#ifndef JAIL6_OS_LINUX_NFT_INT_H
#define JAIL6_OS_LINUX_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "model/state.h"

#define NFT_TABLE    "jail6"
#define NFT_PORTS    "ports"    /* set of the jail ports, each commented "jail NAME" */
#define NFT_ALLOWED  "allowed"  /* set of port . address pairs */
#define NFT_N_RULES  5          /* the rules of each base chain */
#define NFT_TYPE_IPV6 8         /* nft's datatype ids, for `nft list` */
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_BITS 6         /* nft's concatenation of datatypes */

/* One conversation with nf_tables in the namespace it was opened in. */
struct nft {
	struct mnl_socket *nl;
	unsigned portid, seq;
	unsigned begin_seq;           /* of the batch being built */
	char *buf;
	struct mnl_nlmsg_batch *batch;
	unsigned n_msgs;              /* messages in the batch, each acked */
	struct nftnl_udata_buf *ud;
};

/* A payload builder of libnftnl for one object kind. */
typedef void (*nft_payload_fn)(struct nlmsghdr *nlh, const void *obj);
void nft_table_payload(struct nlmsghdr *nlh, const void *t);
void nft_chain_payload(struct nlmsghdr *nlh, const void *c);
void nft_rule_payload(struct nlmsghdr *nlh, const void *r);
void nft_set_payload(struct nlmsghdr *nlh, const void *s);
void nft_elems_payload(struct nlmsghdr *nlh, const void *s);

/* Open (0 or -errno) and close; close is safe after a failed open. */
int nft_open(struct nft *n);
void nft_close(struct nft *n);

/* A comment TLV of type `type` as nft writes it, valid until the next
 * call; and the comment of that type found in userdata ("" if none). */
const void *nft_comment(struct nft *n, uint8_t type, const char *text, uint32_t *len);
void nft_comment_of(const void *data, uint32_t len, uint8_t type, char *out, size_t outlen);

/* One get (flags NLM_F_ACK) or dump (NLM_F_DUMP) of obj, each reply to cb. */
int nft_talk(struct nft *n, uint16_t type, uint16_t flags, nft_payload_fn pl, const void *obj,
	     mnl_cb_t cb, void *data);
/* Whether the object of a get exists: 1, 0 (ENOENT), -errno. */
int nft_exists(struct nft *n, uint16_t type, nft_payload_fn pl, const void *obj);
/* Whether jail6's table exists (1, 0, -errno); its comment into mark when
 * mark is not NULL, its handle (unique to that table while the namespace
 * lasts) into *handle when handle is not NULL. */
int nft_table_exists(struct nft *n, char *mark, size_t len, uint64_t *handle);

/* A batch: start, messages (each acked), send: 0 or the first error. */
void nft_batch_start(struct nft *n);
void nft_batch_put(struct nft *n, uint16_t type, uint16_t flags, nft_payload_fn pl, const void *obj);
int nft_batch_send(struct nft *n);

/* Objects of jail6's table, named. */
struct nftnl_table *nft_table_new(void);
struct nftnl_chain *nft_chain_new(const char *name);
struct nftnl_set *nft_set_new(const char *name);

/* A port's key in the ports set: its name, NUL-padded to IFNAMSIZ. */
void nft_port_key(char key[16], const char *port);
/* The comment that marks rule k of base chain chain ("jail6 forward r1"). */
void nft_rule_tag(char *buf, size_t len, const char *chain, int k);

/* Read jail6's table into out->filter (nft_observe.c): present, marked
 * (its comment), ident (its handle), intact (chains, rules, sets), each port with its jail and
 * addresses; a port with addresses but not in the ports set is not intact.
 * 0 or -errno. */
int nft_read(struct nft *n, struct state *out);

#endif
