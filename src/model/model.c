/* The desired model: lookups, name checks and freeing. */
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/strmap.h"

struct model_index {
	struct strmap tunnels, bridges, jails, ifaces;
	size_t n_tunnels, n_bridges, n_jails; /* what it was built for */
	/* the arrays it points into: appends that left them in place are
	 * indexed on their own, so that the parser, which looks up bridges
	 * while it appends jails, does not rebuild the index per jail */
	const void *tunnels_at, *bridges_at, *jails_at;
};

/* Index the objects from position t, b and j of each array on. */
static int index_add(struct model_index *x, const struct model *m, size_t t, size_t b, size_t j)
{
	int r = 0;

	for (size_t i = t; !r && i < m->n_tunnels; i++)
		r = strmap_put(&x->tunnels, m->tunnels[i].name, &m->tunnels[i]);
	for (size_t i = b; !r && i < m->n_bridges; i++)
		r = strmap_put(&x->bridges, m->bridges[i].name, &m->bridges[i]);
	for (size_t i = j; !r && i < m->n_jails; i++) {
		r = strmap_put(&x->jails, m->jails[i].name, &m->jails[i]);
		for (size_t k = 0; !r && k < m->jails[i].n_ifaces; k++)
			r = strmap_put(&x->ifaces, m->jails[i].ifaces[k].name, &m->jails[i]); /* -> its jail */
	}
	return r;
}

/* Build (or rebuild, or extend, when objects were added) the name index;
 * NULL when out of memory, and callers then scan. Logically const: a cache. */
static struct model_index *index_get(const struct model *cm)
{
	struct model *m = (struct model *)cm;
	struct model_index *x = m->idx;
	int r = 0;

	if (x && x->n_tunnels == m->n_tunnels && x->n_bridges == m->n_bridges && x->n_jails == m->n_jails)
		return x;
	/* nothing to index (and nothing to allocate for a model nobody frees) */
	if (!x && !m->n_tunnels && !m->n_bridges && !m->n_jails)
		return NULL;
	if (x && x->tunnels_at == m->tunnels && x->bridges_at == m->bridges && x->jails_at == m->jails &&
	    x->n_tunnels <= m->n_tunnels && x->n_bridges <= m->n_bridges && x->n_jails <= m->n_jails) {
		r = index_add(x, m, x->n_tunnels, x->n_bridges, x->n_jails);
	} else {
		if (x) {
			strmap_free(&x->tunnels);
			strmap_free(&x->bridges);
			strmap_free(&x->jails);
			strmap_free(&x->ifaces);
		} else if (!(x = m->idx = calloc(1, sizeof(*x)))) {
			return NULL;
		}
		r = index_add(x, m, 0, 0, 0);
	}
	x->n_tunnels = m->n_tunnels;
	x->n_bridges = m->n_bridges;
	x->n_jails = r ? (size_t)-1 : m->n_jails; /* failed: rebuild next time */
	x->tunnels_at = m->tunnels;
	x->bridges_at = m->bridges;
	x->jails_at = m->jails;
	return r ? NULL : x;
}

static void index_free(struct model *m)
{
	if (!m->idx)
		return;
	strmap_free(&m->idx->tunnels);
	strmap_free(&m->idx->bridges);
	strmap_free(&m->idx->jails);
	strmap_free(&m->idx->ifaces);
	free(m->idx);
	m->idx = NULL;
}

/* Characters allowed in interface and jail names: never a shell metacharacter,
 * a path separator or whitespace, so a name can't change a command's meaning. */
static bool name_chars_ok(const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool model_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	/* "." and ".." would be directory names in /sys/class/net */
	if (n == 0 || n >= MODEL_IFNAMSIZ || s[0] == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return name_chars_ok(s);
}

bool model_jailname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MODEL_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	return name_chars_ok(s);
}

const struct model_tunnel *model_find_tunnel(const struct model *m, const char *name)
{
	struct model_index *x = index_get(m);

	if (x)
		return strmap_get(&x->tunnels, name);
	for (size_t i = 0; i < m->n_tunnels; i++)
		if (!strcmp(m->tunnels[i].name, name))
			return &m->tunnels[i];
	return NULL;
}

const struct model_bridge *model_find_bridge(const struct model *m, const char *name)
{
	struct model_index *x = index_get(m);

	if (x)
		return strmap_get(&x->bridges, name);
	for (size_t i = 0; i < m->n_bridges; i++)
		if (!strcmp(m->bridges[i].name, name))
			return &m->bridges[i];
	return NULL;
}

const struct model_jail *model_find_jail(const struct model *m, const char *name)
{
	struct model_index *x = index_get(m);

	if (x)
		return strmap_get(&x->jails, name);
	for (size_t i = 0; i < m->n_jails; i++)
		if (!strcmp(m->jails[i].name, name))
			return &m->jails[i];
	return NULL;
}

/* The interface name in jail j, or NULL. */
static const struct model_iface *iface_in(const struct model_jail *j, const char *name)
{
	for (size_t k = 0; k < j->n_ifaces; k++)
		if (!strcmp(j->ifaces[k].name, name))
			return &j->ifaces[k];
	return NULL;
}

const struct model_iface *model_find_iface(const struct model *m, const char *name,
					   const struct model_jail **jail)
{
	struct model_index *x = index_get(m);
	const struct model_iface *f = NULL;
	const struct model_jail *j = NULL;

	if (x) {
		j = strmap_get(&x->ifaces, name);
		f = j ? iface_in(j, name) : NULL;
	}
	for (size_t i = 0; !x && !f && i < m->n_jails; i++)
		if ((f = iface_in(&m->jails[i], name)))
			j = &m->jails[i];
	if (f && jail)
		*jail = j;
	return f;
}

const struct addr *model_bridge_addr(const struct model_bridge *b, int af)
{
	for (size_t i = 0; i < b->n_addrs; i++)
		if (b->addrs[i].family == af)
			return &b->addrs[i];
	return NULL;
}

static void argv_free(struct model_argv *a)
{
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

static void jail_free(struct model_jail *j)
{
	for (size_t i = 0; i < j->n_ifaces; i++)
		free(j->ifaces[i].addrs);
	free(j->ifaces);
	free(j->routes);
	free(j->hostname);
	free(j->path);
	free(j->init);
	argv_free(&j->exec_start);
	argv_free(&j->exec_stop);
}

void model_touch(struct model *m)
{
	index_free(m);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	index_free(m);
	for (size_t i = 0; i < m->n_tunnels; i++) {
		free(m->tunnels[i].routed);
		free(m->tunnels[i].update_url);
		free(m->tunnels[i].tunnel_id);
		free(m->tunnels[i].user);
		free(m->tunnels[i].update_key_file);
	}
	free(m->tunnels);
	for (size_t i = 0; i < m->n_bridges; i++) {
		free(m->bridges[i].addrs);
		free(m->bridges[i].members);
	}
	free(m->bridges);
	for (size_t i = 0; i < m->n_jails; i++)
		jail_free(&m->jails[i]);
	free(m->jails);
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i]);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

static const char *const datapath_names[] = {
	[MODEL_DATAPATH_AUTO] = "auto",
	[MODEL_DATAPATH_KERNEL] = "kernel",
	[MODEL_DATAPATH_USERSPACE] = "userspace",
	[MODEL_DATAPATH_EBPF] = "ebpf",
};

static const char *const role_names[] = {
	[MODEL_ROLE_CLIENT] = "client",
	[MODEL_ROLE_BROKER] = "broker",
};

/* Index of s in names[n], or -1. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

const char *model_datapath_name(enum model_datapath d)
{
	return (unsigned)d < sizeof(datapath_names) / sizeof(*datapath_names) ? datapath_names[d] : "?";
}

int model_datapath_parse(const char *s, enum model_datapath *out)
{
	int i = name_index(datapath_names, sizeof(datapath_names) / sizeof(*datapath_names), s);

	if (i < 0)
		return -EINVAL;
	*out = (enum model_datapath)i;
	return 0;
}

const char *model_role_name(enum model_tunnel_role r)
{
	return (unsigned)r < sizeof(role_names) / sizeof(*role_names) ? role_names[r] : "?";
}

int model_role_parse(const char *s, enum model_tunnel_role *out)
{
	int i = name_index(role_names, sizeof(role_names) / sizeof(*role_names), s);

	if (i < 0)
		return -EINVAL;
	*out = (enum model_tunnel_role)i;
	return 0;
}

static const char *const allow_names[MODEL_ALLOW_COUNT] = { "net_admin", "raw_sockets" };
_Static_assert(MODEL_ALLOW_NET_ADMIN == 1 << 0 && MODEL_ALLOW_RAW_SOCKETS == 1 << 1, "allow_names order");

const char *model_allow_name(unsigned bit)
{
	for (unsigned i = 0; i < MODEL_ALLOW_COUNT; i++)
		if (bit == 1u << i)
			return allow_names[i];
	return NULL;
}
