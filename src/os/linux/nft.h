/*
 * The port filter as an nftables bridge table (nft.c): observed into
 * state->filter, changed by the FILTER_* actions (exec_filter, execute.h).
 */
#ifndef JAIL6_OS_LINUX_NFT_H
#define JAIL6_OS_LINUX_NFT_H

#include "model/state.h"
#include "os/linux/linux.h"

/* Read jail6's table of the host namespace into out->filter (nothing when
 * it is not there, or the kernel has no nf_tables). 0 or -errno. */
int linux_nft_observe(struct linux_ctx *c, struct state *out);

#endif
