/* `address = auto` without a store: lowest free address of the bridge prefix. */
#include "plan/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr_pool.h"

/* The IPv6 prefix interface f's auto addresses come from, or NULL. */
static const struct addr *auto_prefix(const struct model *m, const struct model_iface *f)
{
	const struct model_bridge *b = model_find_bridge(m, f->bridge);

	return b ? model_bridge_addr(b, AF_INET6) : NULL;
}

/* A pool for every prefix some auto address comes from. */
static int make_pools(const struct model *m, struct addr_pools *pools)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n_jails; i++)
		for (size_t k = 0; r == 0 && k < m->jails[i].n_ifaces; k++) {
			const struct model_iface *f = &m->jails[i].ifaces[k];
			const struct addr *prefix = f->n_auto > 0 ? auto_prefix(m, f) : NULL;
			size_t pos;

			if (prefix)
				r = addr_pools_get(pools, prefix, &pos);
		}
	return r;
}

/* Take every address already spoken for: bridge addresses and static jail
 * addresses, in every bridge and jail (prefixes may be shared). */
static int take_used(const struct model *m, struct addr_pools *pools)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n_bridges; i++)
		for (size_t k = 0; r == 0 && k < m->bridges[i].n_addrs; k++)
			r = addr_pools_take(pools, &m->bridges[i].addrs[k]);
	for (size_t i = 0; r == 0 && i < m->n_jails; i++)
		for (size_t f = 0; r == 0 && f < m->jails[i].n_ifaces; f++)
			for (size_t k = 0; r == 0 && k < m->jails[i].ifaces[f].n_addrs; k++)
				r = addr_pools_take(pools, &m->jails[i].ifaces[f].addrs[k]);
	return r;
}

/* Give interface f its n_auto addresses from prefix's pool; each pick is
 * taken in every pool that holds it. */
static int resolve_iface(struct model_iface *f, const struct addr *prefix, struct addr_pools *pools)
{
	size_t want = (size_t)f->n_auto, pos;
	struct addr *v = realloc(f->addrs, (f->n_addrs + want) * sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	f->addrs = v;
	r = addr_pools_get(pools, prefix, &pos);
	while (r == 0 && f->n_auto > 0) {
		struct addr pick;
		r = addr_pool_pick(&pools->v[pos], &pick, NULL);
		if (r == 0)
			r = addr_pools_take(pools, &pick);
		if (r == 0) {
			f->addrs[f->n_addrs++] = pick;
			f->n_auto--;
		}
	}
	return r;
}

int plan_resolve_auto(struct model *m)
{
	struct addr_pools pools = { 0 };
	int r = make_pools(m, &pools);

	if (r == 0)
		r = take_used(m, &pools);
	for (size_t i = 0; r == 0 && i < m->n_jails; i++) {
		struct model_jail *j = &m->jails[i];
		for (size_t k = 0; r == 0 && k < j->n_ifaces; k++) {
			struct model_iface *f = &j->ifaces[k];
			const struct addr *prefix;

			if (f->n_auto <= 0)
				continue;
			prefix = auto_prefix(m, f);
			/* validation guarantees it; an unchecked model gets -EINVAL */
			r = prefix ? resolve_iface(f, prefix, &pools) : -EINVAL;
		}
	}
	addr_pools_free(&pools);
	return r;
}
