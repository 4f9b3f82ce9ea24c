/* Shared pieces of the planner: the plan array, the emit step, and the
 * queries on the desired model that both passes ask. */
#include "plan/plan_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void plan_scopy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* NAME + end ('a' host side, 'b' jail side): the veth names of interface NAME. */
void plan_veth_name(char out[MODEL_IFNAMSIZ], const char *base, char end)
{
	size_t l = strnlen(base, MODEL_IFNAMSIZ - 2);

	memcpy(out, base, l);
	out[l] = end;
	out[l + 1] = '\0';
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->actions);
	p->actions = NULL;
	p->n_actions = 0;
}

int plan_append(struct plan *p, const struct action *a)
{
	/* capacity is implicit: powers of two from 16 */
	size_t n = p->n_actions;

	if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
		size_t cap = n < 16 ? 16 : n * 2;
		struct action *v = realloc(p->actions, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->actions = v;
	}
	p->actions[n] = *a;
	p->n_actions = n + 1;
	return 0;
}

void plan_conflicts_free(struct plan_conflicts *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->msgs[i]);
	free(c->msgs);
	c->msgs = NULL;
	c->n = 0;
}

/* Append the action and play it on the working state. A kernel-style error
 * from the simulation (say LINK_UP of a NIC the observer did not report) is
 * not the planner's business: the backend will meet and report it. */
void plan_emit(struct planner *P, const struct action *a)
{
	int r;

	if (P->err)
		return;
	r = plan_append(P->out, a);
	if (r == 0)
		r = plan_state_play(&P->w, a);
	if (r == -ENOMEM)
		P->err = r;
}

struct action plan_act(enum action_kind k, const char *ns, const char *ifname)
{
	struct action a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	PLAN_SCOPY(a.ns, ns);
	PLAN_SCOPY(a.ifname, ifname);
	return a;
}

struct addr plan_default_dst(int af)
{
	struct addr d = { .family = af, .plen = 0 };

	return d;
}

struct addr plan_host_of(const struct addr *a)
{
	struct addr h = *a;

	h.plen = -1;
	return h;
}

bool plan_is_tunnel_kind(enum state_link_kind k)
{
	return k == STATE_LINK_SIT || k == STATE_LINK_TUN;
}

/* The implicit default route of family af for jail j: via the first address
 * of that family on the bridge of j's first interface that has such an
 * address itself and whose bridge has one too. */
bool plan_jail_default(const struct model *m, const struct model_jail *j, int af,
		       struct addr *gw, char dev[MODEL_IFNAMSIZ])
{
	for (size_t i = 0; i < j->n_ifaces; i++) {
		const struct model_iface *f = &j->ifaces[i];
		const struct model_bridge *b = f->bridge[0] ? model_find_bridge(m, f->bridge) : NULL;
		const struct addr *ba = b ? model_bridge_addr(b, af) : NULL;
		bool has = false;

		for (size_t k = 0; k < f->n_addrs; k++)
			has = has || f->addrs[k].family == af;
		if (ba && has) {
			*gw = plan_host_of(ba);
			plan_veth_name(dev, f->name, 'b');
			return true;
		}
	}
	return false;
}

bool plan_jail_has_explicit_default(const struct model_jail *j, int af)
{
	for (size_t i = 0; i < j->n_routes; i++)
		if (j->routes[i].dst.family == af && j->routes[i].dst.plen == 0)
			return true;
	return false;
}

/* The interface of jail j whose veth end `end` is called name, or NULL. */
const struct model_iface *plan_iface_by_veth(const struct model_jail *j, const char *name, char end)
{
	char v[MODEL_IFNAMSIZ];

	for (size_t i = 0; i < j->n_ifaces; i++) {
		plan_veth_name(v, j->ifaces[i].name, end);
		if (!strcmp(v, name))
			return &j->ifaces[i];
	}
	return NULL;
}

/* The host route to a tunnel's broker: remote/32. */
struct addr plan_broker_dst(const struct model_tunnel *t)
{
	struct addr d = plan_host_of(&t->remote);

	d.plen = (int)addr_len(&d) * 8;
	return d;
}

size_t plan_veth_partner(const struct state *s, size_t i)
{
	const struct state_link *l = &s->links[i];
	size_t len = strlen(l->name), k = SIZE_MAX;
	struct state_set named = { 0 };
	char want[MODEL_IFNAMSIZ];

	if (l->kind != STATE_LINK_VETH || len < 2 || (l->name[len - 1] != 'a' && l->name[len - 1] != 'b'))
		return SIZE_MAX;
	PLAN_SCOPY(want, l->name);
	want[len - 1] = l->name[len - 1] == 'a' ? 'b' : 'a';
	const struct state_link *h = state_find_link(s, "", want);
	if (h && h->kind == STATE_LINK_VETH)
		return (size_t)(h - s->links);
	/* else the first veth of that name in any namespace, in array order
	 * (out of memory: none, as if the pair were broken) */
	if (state_select(s, STATE_SEL_LINKS_NAMED, NULL, want, &named) == 0)
		for (size_t x = 0; x < named.n && k == SIZE_MAX; x++)
			if (named.v[x] != i && s->links[named.v[x]].kind == STATE_LINK_VETH)
				k = named.v[x];
	state_set_free(&named);
	return k;
}
