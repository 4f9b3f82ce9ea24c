/*
 * The observed port filter: each jail port's allowed IPv6 addresses, found
 * by port name through a hash index (a host with thousands of jails looks
 * each one up once per plan). Removal moves the last port into the gap.
 */
#include "model/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The key a lookup compares: a port name in a filter's array. */
struct port_key {
	const struct state_filter *f;
	const char *port;
};

static bool port_eq(const void *arg, size_t pos)
{
	const struct port_key *k = arg;

	return !strcmp(k->f->ports[pos].port, k->port);
}

static uint64_t port_hash(const char *port)
{
	return hmap_fin(hmap_hash_str(HMAP_SEED, port));
}

/* The position of port in f, or SIZE_MAX. */
static size_t find(const struct state_filter *f, const char *port)
{
	struct port_key k = { f, port };
	size_t *pos = hmap_find(&f->by_port, port_hash(port), port_eq, &k);

	return pos ? *pos : SIZE_MAX;
}

const struct state_fport *state_filter_port(const struct state *s, const char *port)
{
	size_t i = find(&s->filter, port);

	return i == SIZE_MAX ? NULL : &s->filter.ports[i];
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(((const struct addr *)a)->bytes, ((const struct addr *)b)->bytes, 16);
}

int state_filter_addrs(const struct addr *in, size_t n, struct addr **out, size_t *n_out)
{
	struct addr *v = NULL;
	size_t k = 0;

	*out = NULL;
	*n_out = 0;
	if (n && !(v = calloc(n, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (in[i].family == AF_INET6) {
			v[k] = in[i];
			v[k++].plen = 128;
		}
	if (k)
		qsort(v, k, sizeof(*v), addr_cmp);
	/* the same address twice in a config is one element */
	for (size_t i = 1, w = 1; i <= k; i++) {
		if (i == k) {
			k = w;
			break;
		}
		if (addr_cmp(&v[i], &v[w - 1]))
			v[w++] = v[i];
	}
	if (!k) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n_out = k;
	return 0;
}

bool state_fport_same(const struct state_fport *p, const struct addr *in, size_t n)
{
	struct addr *v;
	size_t k;
	bool same;

	if (state_filter_addrs(in, n, &v, &k) < 0)
		return false;
	same = k == p->n_addrs && (!k || !memcmp(v, p->addrs, k * sizeof(*v)));
	free(v);
	return same;
}

int state_filter_put(struct state *s, const struct state_fport *p)
{
	struct state_filter *f = &s->filter;
	struct state_fport n = *p, *v;
	struct port_key k = { f, p->port };
	size_t i = find(f, p->port);

	if (state_filter_addrs(p->addrs, p->n_addrs, &n.addrs, &n.n_addrs) < 0)
		return -ENOMEM;
	if (i != SIZE_MAX) {
		free(f->ports[i].addrs);
		f->ports[i] = n;
		return 0;
	}
	v = realloc(f->ports, (f->n_ports + 1) * sizeof(*v));
	if (!v) {
		free(n.addrs);
		return -ENOMEM;
	}
	f->ports = v;
	f->ports[f->n_ports] = n;
	if (hmap_put(&f->by_port, port_hash(p->port), f->n_ports, port_eq, &k) < 0) {
		free(n.addrs);
		return -ENOMEM;
	}
	f->n_ports++;
	return 0;
}

void state_filter_del(struct state *s, const char *port)
{
	struct state_filter *f = &s->filter;
	size_t i = find(f, port), last = f->n_ports - 1;
	struct port_key k = { f, port };

	if (i == SIZE_MAX)
		return;
	hmap_del(&f->by_port, port_hash(port), port_eq, &k);
	free(f->ports[i].addrs);
	if (i != last) {
		k.port = f->ports[last].port;
		hmap_del(&f->by_port, port_hash(k.port), port_eq, &k);
		f->ports[i] = f->ports[last];
		/* cannot fail: the slot the removal freed takes it */
		hmap_put(&f->by_port, port_hash(f->ports[i].port), i, port_eq, &k);
	}
	f->n_ports--;
}

void state_filter_clear(struct state *s)
{
	struct state_filter *f = &s->filter;

	for (size_t i = 0; i < f->n_ports; i++)
		free(f->ports[i].addrs);
	free(f->ports);
	hmap_free(&f->by_port);
	f->ports = NULL;
	f->n_ports = 0;
}

void state_filter_free(struct state_filter *f)
{
	struct state s = { .filter = *f };

	state_filter_clear(&s);
	memset(f, 0, sizeof(*f));
}

int state_filter_append(struct state *dst, const struct state *src)
{
	int r = 0;

	if (src->filter.present) {
		dst->filter.present = true;
		dst->filter.intact = src->filter.intact;
		dst->filter.marked = src->filter.marked;
		dst->filter.owned = src->filter.owned;
		dst->filter.ident = src->filter.ident;
	}
	for (size_t i = 0; r == 0 && i < src->filter.n_ports; i++)
		r = state_filter_put(dst, &src->filter.ports[i]);
	return r;
}
