/* The observed state: growable arrays of facts and lookups over them. */
#include "model/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Append one element of size sz to *arr (count *n), growing geometrically. */
static int push(void **arr, size_t *n, size_t sz, const void *elem)
{
	/* capacity is implicit: powers of two from 8 */
	if (*n == 0 || ((*n & (*n - 1)) == 0 && *n >= 8)) {
		size_t cap = *n < 8 ? 8 : *n * 2;
		void *p = realloc(*arr, cap * sz);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memcpy((char *)*arr + *n * sz, elem, sz);
	(*n)++;
	return 0;
}

int state_add_link(struct state *s, const struct state_link *l)
{
	return push((void **)&s->links, &s->n_links, sizeof(*l), l);
}

int state_add_addr(struct state *s, const struct state_addr *a)
{
	return push((void **)&s->addrs, &s->n_addrs, sizeof(*a), a);
}

int state_add_route(struct state *s, const struct state_route *r)
{
	return push((void **)&s->routes, &s->n_routes, sizeof(*r), r);
}

int state_add_jail(struct state *s, const struct state_jail *j)
{
	return push((void **)&s->jails, &s->n_jails, sizeof(*j), j);
}

int state_add_sysctl(struct state *s, const struct state_sysctl *c)
{
	return push((void **)&s->sysctls, &s->n_sysctls, sizeof(*c), c);
}

void state_free(struct state *s)
{
	if (!s)
		return;
	free(s->links);
	free(s->addrs);
	free(s->routes);
	free(s->jails);
	free(s->sysctls);
	memset(s, 0, sizeof(*s));
}

const struct state_link *state_find_link(const struct state *s, const char *ns, const char *name)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (!strcmp(s->links[i].ns, ns) && !strcmp(s->links[i].name, name))
			return &s->links[i];
	return NULL;
}

const struct state_addr *state_find_addr(const struct state *s, const char *ns, const char *ifname,
					 const struct addr *a)
{
	for (size_t i = 0; i < s->n_addrs; i++) {
		const struct state_addr *x = &s->addrs[i];
		if (!strcmp(x->ns, ns) && !strcmp(x->ifname, ifname) && addr_same_host(&x->addr, a))
			return x;
	}
	return NULL;
}

const struct state_route *state_find_route(const struct state *s, const char *ns, const struct addr *dst)
{
	for (size_t i = 0; i < s->n_routes; i++) {
		const struct state_route *r = &s->routes[i];
		if (!strcmp(r->ns, ns) && addr_same_host(&r->dst, dst) && r->dst.plen == dst->plen)
			return r;
	}
	return NULL;
}

const struct state_jail *state_find_jail(const struct state *s, const char *name)
{
	for (size_t i = 0; i < s->n_jails; i++)
		if (!strcmp(s->jails[i].name, name))
			return &s->jails[i];
	return NULL;
}

const struct state_sysctl *state_find_sysctl(const struct state *s, const char *ns, const char *key)
{
	for (size_t i = 0; i < s->n_sysctls; i++)
		if (!strcmp(s->sysctls[i].ns, ns) && !strcmp(s->sysctls[i].key, key))
			return &s->sysctls[i];
	return NULL;
}
