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
 * store's IPAM). Returns 0, -EINVAL when an auto address is unresolved, or
 * -ENOMEM. *out is always initialised (empty on error).
 */
int plan_build(const struct model *desired, const struct state *observed, struct plan *out);

/* Free the actions; NULL-tolerant. */
void plan_free(struct plan *p);

/*
 * Resolve `address = auto` without a store: each auto address becomes the
 * lowest free address of its bridge's IPv6 prefix (after the network
 * address), never a bridge address nor any static or already assigned one,
 * in jail order (model/addr_pool.h: O(addresses) in all). Appends them to
 * the interface's addrs and sets n_auto to 0.
 * Returns 0, -ENOSPC when a prefix is full, -EINVAL when an interface with
 * auto addresses has no bridge with an IPv6 prefix, or -ENOMEM.
 */
int plan_resolve_auto(struct model *m);

/* Output formats of `jail6 plan`. Each returns 0 or -errno. */
int plan_render_text(FILE *out, const struct plan *p);
int plan_render_json(FILE *out, const struct plan *p);

/* Append a copy of one action to a plan that is empty ({0}) or was built by
 * plan_append/plan_build (its capacity is implied by n_actions); 0 or -ENOMEM. */
int plan_append(struct plan *p, const struct action *a);

/*
 * The plan of `jail6 destroy`: remove what jail6 owns in *observed, in
 * reverse order. With n_jails == 0 everything owned goes (jails, veths,
 * bridges, tunnels, and owned addresses and routes left on links that stay);
 * otherwise only the named jails and their veth pairs. Returns 0, -ENOENT
 * when a named jail is not in *observed, -EPERM when it exists but jail6 did
 * not create it, or -ENOMEM.
 */
int plan_destroy(const struct state *observed, const char *const *jails, size_t n_jails,
		 struct plan *out);

/*
 * What plan_build leaves alone because jail6 does not own it although the
 * configuration wants it otherwise (a bridge0 that is not a bridge, a foreign
 * default route, an existing bridge without `adopt = yes`, ...). One message
 * per clash, naming the object. The CLI decides whether to warn or refuse.
 */
struct plan_conflicts {
	char **msgs;
	size_t n;
};

/* Collect the conflicts between *desired and *observed; 0 or -ENOMEM. */
int plan_conflicts(const struct model *desired, const struct state *observed,
		   struct plan_conflicts *out);

/* Free the messages; NULL-tolerant. */
void plan_conflicts_free(struct plan_conflicts *c);

/*
 * A model of what executing an action does to the observed state, as the
 * kernels do it (a moved link loses its addresses, destroying one end of a
 * veth pair destroys both, a destroyed jail takes its links along, created
 * objects are owned). Used by the planner to see the effect of its own
 * earlier actions, and by tests to check convergence. Returns 0, -ENOMEM, or
 * the error a kernel would give: -EEXIST (create over an existing object),
 * -ENODEV (no such link), -ENOENT (no such jail), -ESRCH (no such address or
 * route); on those *s is left unchanged.
 */
int plan_state_apply_action(struct state *s, const struct action *a);

/* plan_state_apply_action for every action in order; stops at the first error. */
int plan_state_apply(struct state *s, const struct plan *p);

#endif
