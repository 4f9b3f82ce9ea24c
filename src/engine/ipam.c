/* `address = auto`: addresses from the store's IPAM, stable across runs. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Grow an address array by one. */
static int addrs_push(struct addr **v, size_t *n, const struct addr *a)
{
	struct addr *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = *a;
	*v = p;
	return 0;
}

/* Every address the IPAM must never hand out: bridge and static addresses. */
static int reserved_addrs(const struct model *m, struct addr **out, size_t *n)
{
	int r = 0;

	for (size_t i = 0; i < m->n_bridges && !r; i++)
		for (size_t k = 0; k < m->bridges[i].n_addrs && !r; k++)
			r = addrs_push(out, n, &m->bridges[i].addrs[k]);
	for (size_t i = 0; i < m->n_jails && !r; i++)
		for (size_t f = 0; f < m->jails[i].n_ifaces && !r; f++)
			for (size_t k = 0; k < m->jails[i].ifaces[f].n_addrs && !r; k++)
				r = addrs_push(out, n, &m->jails[i].ifaces[f].addrs[k]);
	return r;
}

int engine_resolve_auto(struct engine *e, struct model *m, bool lookup_only)
{
	struct addr *reserved = NULL;
	size_t n_reserved = 0;
	int r = reserved_addrs(m, &reserved, &n_reserved);

	for (size_t i = 0; i < m->n_jails && !r; i++) {
		struct model_jail *j = &m->jails[i];
		for (size_t f = 0; f < j->n_ifaces && !r; f++) {
			struct model_iface *ifc = &j->ifaces[f];
			const struct model_bridge *b = model_find_bridge(m, ifc->bridge);
			const struct addr *prefix = b ? model_bridge_addr(b, AF_INET6) : NULL;
			int got = 0;

			for (int slot = 0; slot < ifc->n_auto && !r; slot++) {
				struct addr a;
				if (!prefix) {
					r = engine_fail(e, -EINVAL, "jail %s: interface %s: auto address without an IPv6 bridge prefix",
						 j->name, ifc->name);
					break;
				}
				if (lookup_only) {
					if (!e->store || store_ipam_lookup(e->store, j->name, ifc->name, slot, &a) < 0)
						continue;
				} else {
					r = store_ipam_lease(e->store, j->name, ifc->name, slot, prefix, reserved, n_reserved, &a);
					if (r < 0) {
						r = engine_fail(e, r, "jail %s: interface %s: auto address: %s", j->name, ifc->name,
							 r == -ENOSPC ? "the bridge prefix is full" : strerror(-r));
						break;
					}
				}
				r = addrs_push(&ifc->addrs, &ifc->n_addrs, &a);
				got++;
			}
			if (!r && got == ifc->n_auto)
				ifc->n_auto = 0;
		}
	}
	free(reserved);
	return r;
}

