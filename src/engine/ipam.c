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

/* The auto addresses of a model as IPAM requests, in jail, interface and
 * slot order; ifc[i] is request i's interface. */
struct auto_reqs {
	struct store_ipam_req *v;
	struct model_iface **ifc;
	const struct model_jail **jail;
	size_t n, cap;
};

static void reqs_free(struct auto_reqs *q)
{
	free(q->v);
	free(q->ifc);
	free(q->jail);
}

static int reqs_push(struct auto_reqs *q, const struct model_jail *j, struct model_iface *f, int slot,
		     const struct addr *prefix)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct store_ipam_req *v = realloc(q->v, cap * sizeof(*v));
		struct model_iface **fv = v ? realloc(q->ifc, cap * sizeof(*fv)) : NULL;
		const struct model_jail **jv = fv ? realloc(q->jail, cap * sizeof(*jv)) : NULL;

		if (v)
			q->v = v;
		if (fv)
			q->ifc = fv;
		if (!jv)
			return -ENOMEM;
		q->jail = jv;
		q->cap = cap;
	}
	q->v[q->n] = (struct store_ipam_req){ j->name, f->name, slot, prefix };
	q->ifc[q->n] = f;
	q->jail[q->n++] = j;
	return 0;
}

/* Collect the requests; an auto address without an IPv6 bridge prefix
 * fails, naming the first such interface. */
static int collect(struct engine *e, struct model *m, struct auto_reqs *q)
{
	int r = 0;

	for (size_t i = 0; i < m->n_jails && !r; i++) {
		struct model_jail *j = &m->jails[i];
		for (size_t f = 0; f < j->n_ifaces && !r; f++) {
			struct model_iface *ifc = &j->ifaces[f];
			const struct model_bridge *b = model_find_bridge(m, ifc->bridge);
			const struct addr *prefix = b ? model_bridge_addr(b, AF_INET6) : NULL;

			if (ifc->n_auto > 0 && !prefix)
				return engine_fail(e, -EINVAL, "jail %s: interface %s: auto address without an IPv6 bridge prefix",
						   j->name, ifc->name);
			for (int slot = 0; slot < ifc->n_auto && !r; slot++)
				r = reqs_push(q, j, ifc, slot, prefix);
		}
	}
	return r < 0 ? engine_fail(e, r, "out of memory") : 0;
}

/* Append the addresses found to their interfaces: an interface whose every
 * auto address was found has none left (n_auto 0). */
static int give(struct auto_reqs *q, const struct addr *out, const bool *found)
{
	int r = 0;

	for (size_t i = 0, end; i < q->n && !r; i = end) {
		struct model_iface *f = q->ifc[i];
		int got = 0;

		/* an interface's requests are next to each other, in slot order */
		for (end = i; end < q->n && q->ifc[end] == f && !r; end++)
			if (found[end] && !(r = addrs_push(&f->addrs, &f->n_addrs, &out[end])))
				got++;
		if (!r && got == f->n_auto)
			f->n_auto = 0;
	}
	return r;
}

int engine_resolve_auto(struct engine *e, struct model *m, bool lookup_only)
{
	struct auto_reqs q = { 0 };
	struct addr *reserved = NULL, *out = NULL;
	size_t n_reserved = 0, failed = 0;
	bool *found = NULL;
	int r = collect(e, m, &q);

	if (r < 0 || q.n == 0)
		goto cleanup;
	out = calloc(q.n, sizeof(*out));
	found = calloc(q.n, sizeof(*found));
	if (!out || !found) {
		r = engine_fail(e, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if (lookup_only) {
		/* status and list: only the leases there are, nothing written; a
		 * lease that cannot be read is one the status shows as missing */
		if (e->store)
			(void)store_ipam_lookup_all(e->store, q.v, q.n, out, found);
	} else if ((r = reserved_addrs(m, &reserved, &n_reserved)) < 0) {
		r = engine_fail(e, r, "out of memory");
	} else {
		r = store_ipam_assign(e->store, q.v, q.n, reserved, n_reserved, out, &failed);
		if (r < 0 && failed < q.n)
			r = engine_fail(e, r, "jail %s: interface %s: auto address: %s", q.jail[failed]->name,
					q.ifc[failed]->name, r == -ENOSPC ? "the bridge prefix is full" : strerror(-r));
		else if (r < 0)
			r = engine_fail(e, r, "store: %s", store_errmsg(e->store));
		for (size_t i = 0; i < q.n && r == 0; i++)
			found[i] = true;
	}
	if (r >= 0)
		r = give(&q, out, found) < 0 ? engine_fail(e, -ENOMEM, "out of memory") : 0;
cleanup:
	free(reserved);
	free(out);
	free(found);
	reqs_free(&q);
	return r;
}
