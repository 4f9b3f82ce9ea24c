/* The desired model: lookups, name checks and freeing. */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	for (size_t i = 0; i < m->n_tunnels; i++)
		if (!strcmp(m->tunnels[i].name, name))
			return &m->tunnels[i];
	return NULL;
}

const struct model_bridge *model_find_bridge(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_bridges; i++)
		if (!strcmp(m->bridges[i].name, name))
			return &m->bridges[i];
	return NULL;
}

const struct model_jail *model_find_jail(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_jails; i++)
		if (!strcmp(m->jails[i].name, name))
			return &m->jails[i];
	return NULL;
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
	argv_free(&j->exec_start);
	argv_free(&j->exec_stop);
}

void model_free(struct model *m)
{
	if (!m)
		return;
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
