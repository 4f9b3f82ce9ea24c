/*
 * Internal to src/plan: the planner's working context and what its two
 * passes (removal.c, then planner.c's additions) share. Not for other
 * modules: they use plan.h.
 */
#ifndef JAIL6_PLAN_PLAN_INT_H
#define JAIL6_PLAN_PLAN_INT_H

#include "plan/plan.h"

/* Copy a NUL-terminated string into a fixed array, truncating. */
#define PLAN_SCOPY(dst, src) plan_scopy((dst), sizeof(dst), (src))

struct planner {
	const struct model *m;             /* desired; NULL = nothing is desired */
	struct state w;                    /* observed + every action emitted so far */
	struct plan *out;
	struct plan_conflicts *conflicts;  /* NULL = not collected */
	int err;                           /* first -ENOMEM; later emits are no-ops */
};

/* Which observed facts the removal pass may keep. */
struct plan_scope {
	const struct model *m;             /* desired model (may be NULL) */
	const char *const *only;           /* n_only > 0: remove just these jails */
	size_t n_only;
};

void plan_scopy(char *dst, size_t n, const char *src);

/* NAME + end ('a' host side, 'b' jail side): the veth names of interface NAME. */
void plan_veth_name(char out[MODEL_IFNAMSIZ], const char *base, char end);

/* plan_state_apply_action without closing the gaps that drops leave in *s:
 * the planner's working state is only ever read through lookups and
 * state_select(), so a plan of N removals costs O(N), not O(N * facts). */
int plan_state_play(struct state *s, const struct action *a);

/* Append a to the plan and play it on P->w; only -ENOMEM sticks in P->err. */
void plan_emit(struct planner *P, const struct action *a);

/* A zeroed action of kind k on (ns, ifname). */
struct action plan_act(enum action_kind k, const char *ns, const char *ifname);

/* ::/0 or 0.0.0.0/0. */
struct addr plan_default_dst(int af);

/* a without its prefix length (gateways, endpoints). */
struct addr plan_host_of(const struct addr *a);

bool plan_is_tunnel_kind(enum state_link_kind k);

/* The implicit default route of family af for jail j (rules in plan.c);
 * false when j gets none. */
bool plan_jail_default(const struct model *m, const struct model_jail *j, int af,
		       struct addr *gw, char dev[MODEL_IFNAMSIZ]);

/* Whether j lists an explicit default route of family af. */
bool plan_jail_has_explicit_default(const struct model_jail *j, int af);

/* The interface of jail j whose veth end `end` is called name, or NULL. */
const struct model_iface *plan_iface_by_veth(const struct model_jail *j, const char *name, char end);

/* The host route to a tunnel's broker: remote/32. */
struct addr plan_broker_dst(const struct model_tunnel *t);

/* Index of the other end of veth link i by jail6's naming (NAMEa <-> NAMEb),
 * the host namespace first, or SIZE_MAX. */
size_t plan_veth_partner(const struct state *s, size_t i);

/* The removal pass: emit what scope S removes, from the untouched P->w. */
void plan_removals(struct planner *P, const struct plan_scope *S);

/* Record a clash for plan_conflicts() (planner.c). */
void plan_conflict_msg(struct planner *P, const char *msg);

/* The port filter (filter.c): made when the model has a jail interface on
 * a bridge (before the bridges); each such interface's port set to its
 * addresses (before its veth exists, so no frame passes unfiltered); the
 * ports that scope S drops removed, or the whole filter when no jail
 * interface is left on a bridge. */
void plan_filter_ensure(struct planner *P);
void plan_filter_port(struct planner *P, const struct model_jail *j, const struct model_iface *f);
void plan_filter_removals(struct planner *P, const struct plan_scope *S);

#endif
