/* The planner: desired model + observed state -> ordered actions. Pure. */
#ifndef JAIL6_PLAN_PLAN_H
#define JAIL6_PLAN_PLAN_H

#include <stdio.h>

#include "model/model.h"
#include "model/state.h"
#include "plan/action.h"

struct plan {
	struct action *actions;
	size_t n_actions;
};

/*
 * Build the ordered, minimal list of actions that takes a host from
 * *observed to what *desired says, and removes what jail6 owns (owned facts
 * in *observed) that *desired no longer has, in reverse order. Every `auto`
 * address of *desired must have been resolved first (plan_resolve_auto or the
 * store's IPAM). Returns 0 or -errno (-ENOMEM).
 */
int plan_build(const struct model *desired, const struct state *observed, struct plan *out);

/* Free the actions; NULL-tolerant. */
void plan_free(struct plan *p);

/*
 * Resolve `address = auto` without a store: each auto address becomes the
 * lowest free address of its bridge's IPv6 prefix (after the network
 * address), never a bridge address nor any static or already assigned one,
 * in jail order. Appends them to the interface's addrs and sets n_auto to 0.
 * Returns 0, -ENOSPC when a prefix is full, or -ENOMEM.
 */
int plan_resolve_auto(struct model *m);

/* Output formats of `jail6 plan`. Each returns 0 or -errno. */
int plan_render_text(FILE *out, const struct plan *p);
int plan_render_json(FILE *out, const struct plan *p);

#endif
