/* `address = auto` without a store: lowest free address of the bridge prefix. */
#include "plan/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool is_used(const struct addr *a, const struct addr *used, size_t n_used)
{
	for (size_t i = 0; i < n_used; i++)
		if (addr_same_host(a, &used[i]))
			return true;
	return false;
}

int plan_ipam_pick(const struct addr *prefix, const struct addr *used, size_t n_used,
		   struct addr *out)
{
	int bits = (int)addr_len(prefix) * 8;
	int plen = prefix->plen < 0 ? bits : prefix->plen;
	int hostbits = bits - plen;
	struct addr cand;

	if (!prefix->family)
		return -EINVAL;
	/* Among n_used + 1 candidates one is free, so the walk is bounded by
	 * the used set, not by the (possibly 2^64) size of the prefix. */
	for (uint64_t n = 1; n <= (uint64_t)n_used + 1; n++) {
		if (addr_nth(prefix, n, &cand) < 0)
			return -ENOSPC;
		/* the all-ones host is IPv4's broadcast address */
		if (prefix->family == AF_INET && hostbits > 1 && hostbits < 64 &&
		    n == (UINT64_C(1) << hostbits) - 1)
			return -ENOSPC;
		if (!is_used(&cand, used, n_used)) {
			cand.plen = plen;
			*out = cand;
			return 0;
		}
	}
	return -ENOSPC;
}

struct used_set {
	struct addr *v;
	size_t n;
};

static int used_add(struct used_set *u, const struct addr *a)
{
	struct addr *v = realloc(u->v, (u->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[u->n++] = *a;
	u->v = v;
	return 0;
}

/* Every address already spoken for: bridge addresses and static jail
 * addresses, in every bridge and jail (prefixes may be shared). */
static int collect_used(const struct model *m, struct used_set *u)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n_bridges; i++)
		for (size_t k = 0; r == 0 && k < m->bridges[i].n_addrs; k++)
			r = used_add(u, &m->bridges[i].addrs[k]);
	for (size_t i = 0; r == 0 && i < m->n_jails; i++)
		for (size_t f = 0; r == 0 && f < m->jails[i].n_ifaces; f++)
			for (size_t k = 0; r == 0 && k < m->jails[i].ifaces[f].n_addrs; k++)
				r = used_add(u, &m->jails[i].ifaces[f].addrs[k]);
	return r;
}

/* Give interface f its n_auto addresses from prefix; each pick is used. */
static int resolve_iface(struct model_iface *f, const struct addr *prefix, struct used_set *u)
{
	size_t want = (size_t)f->n_auto;
	struct addr *v = realloc(f->addrs, (f->n_addrs + want) * sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	f->addrs = v;
	while (f->n_auto > 0) {
		struct addr pick;
		r = plan_ipam_pick(prefix, u->v, u->n, &pick);
		if (r < 0)
			return r;
		r = used_add(u, &pick);
		if (r < 0)
			return r;
		f->addrs[f->n_addrs++] = pick;
		f->n_auto--;
	}
	return 0;
}

int plan_resolve_auto(struct model *m)
{
	struct used_set u = { 0 };
	int r = collect_used(m, &u);

	for (size_t i = 0; r == 0 && i < m->n_jails; i++) {
		struct model_jail *j = &m->jails[i];
		for (size_t k = 0; r == 0 && k < j->n_ifaces; k++) {
			struct model_iface *f = &j->ifaces[k];
			const struct model_bridge *b;
			const struct addr *prefix;

			if (f->n_auto <= 0)
				continue;
			b = model_find_bridge(m, f->bridge);
			prefix = b ? model_bridge_addr(b, AF_INET6) : NULL;
			/* validation guarantees it; an unchecked model gets -EINVAL */
			r = prefix ? resolve_iface(f, prefix, &u) : -EINVAL;
		}
	}
	free(u.v);
	return r;
}
