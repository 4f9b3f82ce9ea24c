/*
 * Sysctls of a namespace: the generic keys of state.h mapped to their
 * /proc/sys files (a per-link key "KEY/IFNAME" to the link's own file),
 * read and written from inside the namespace (through linux_in_ns), the
 * per-link DAD knobs, and the plan's sysctl action.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/linux/execute.h"
#include "os/linux/linux_int.h"

static const struct {
	const char *key, *path;
} sysctl_map[] = {
	{ "ipv6.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding" },
	{ "ipv4.forwarding", "/proc/sys/net/ipv4/ip_forward" },
	{ "ipv6.accept_ra", "/proc/sys/net/ipv6/conf/all/accept_ra" },
	{ "ipv4.ping_group_range", "/proc/sys/net/ipv4/ping_group_range" },
	{ "ipv4.ip_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start" },
	/* for links made later; only the lab sets it, in its own namespaces */
	{ "ipv6.default_dad_transmits", "/proc/sys/net/ipv6/conf/default/dad_transmits" },
	{ "ipv6.default_rs_delay", "/proc/sys/net/ipv6/conf/default/router_solicitation_delay" },
};

/* The per-link keys: "ipv6.accept_ra/IFNAME" is DIR/IFNAME/FILE. */
static const struct {
	const char *key, *dir, *file;
} sysctl_link_map[] = {
	{ "ipv6.accept_ra", "/proc/sys/net/ipv6/conf", "accept_ra" },
};

int linux_sysctl_path(const char *key, char *buf, size_t len)
{
	const char *ifname = state_sysctl_link(key);
	size_t kl = ifname[0] ? (size_t)(ifname - 1 - key) : strlen(key);
	int n = -1;

	for (size_t i = 0; !ifname[0] && i < sizeof(sysctl_map) / sizeof(sysctl_map[0]); i++)
		if (strcmp(sysctl_map[i].key, key) == 0)
			n = snprintf(buf, len, "%s", sysctl_map[i].path);
	for (size_t i = 0; ifname[0] && i < sizeof(sysctl_link_map) / sizeof(sysctl_link_map[0]); i++)
		if (strlen(sysctl_link_map[i].key) == kl && !strncmp(sysctl_link_map[i].key, key, kl) &&
		    model_ifname_ok(ifname))
			n = snprintf(buf, len, "%s/%s/%s", sysctl_link_map[i].dir, ifname,
				     sysctl_link_map[i].file);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Read or write (value != NULL) one /proc/sys file, path relative to dir
 * (AT_FDCWD for an absolute one); runs while the thread is inside the
 * namespace, since /proc/sys/net shows the current netns. */
static int sysctl_io_at(int dir, const char *path, char *buf, size_t len, const char *value)
{
	int fd = openat(dir, path, (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (value) {
		n = write(fd, value, strlen(value));
		if (n < 0)
			rc = -errno;
		else if ((size_t)n != strlen(value))
			rc = -EIO;
	} else {
		n = read(fd, buf, len - 1);
		if (n < 0) {
			rc = -errno;
		} else {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			/* "1\t0" (ping_group_range) reads as the "1 0" written */
			for (char *t = buf; (t = strchr(t, '\t')); )
				*t = ' ';
		}
	}
	close(fd);
	return rc;
}

static int sysctl_io(const char *path, char *buf, size_t len, const char *value)
{
	return sysctl_io_at(AT_FDCWD, path, buf, len, value);
}

/* sysctl_io's arguments, for linux_in_ns. */
struct sysctl_call {
	const char *path;
	char *buf;
	size_t len;
	const char *value;
};

/* linux_in_ns callback running sysctl_io on a struct sysctl_call. */
static int sysctl_call(void *arg)
{
	struct sysctl_call *k = arg;

	return sysctl_io(k->path, k->buf, k->len, k->value);
}

/* Run sysctl_io for key inside namespace ns. */
static int sysctl_in_ns(struct linux_ctx *c, const char *ns, const char *key,
			char *buf, size_t len, const char *value)
{
	char path[128];
	struct sysctl_call k = { path, buf, len, value };
	int rc = linux_sysctl_path(key, path, sizeof(path));

	return rc < 0 ? rc : linux_in_ns(c, ns, sysctl_call, &k);
}

/* linux_sysctl_observe's arguments, for linux_in_ns. */
struct sysctl_many {
	const char *ns;
	const char *const *keys;
	size_t n;
	struct state *out;
};

/* Inside the namespace: read each key into a fact; a missing file (IPv6
 * off, a link gone meanwhile) is no fact. /proc/sys/net is looked up once:
 * every namespace has its own entry of that name, and the kernel compares
 * them all on each lookup, so a lookup costs as much as there are jails. */
static int sysctl_many_here(void *arg)
{
	static const char net[] = "/proc/sys/net/";
	struct sysctl_many *m = arg;
	int dir = open("/proc/sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char path[128];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < m->n; i++) {
		struct state_sysctl sc = { 0 };
		bool in_net;

		rc = linux_sysctl_path(m->keys[i], path, sizeof(path));
		in_net = dir >= 0 && !strncmp(path, net, sizeof(net) - 1);
		if (rc == 0)
			rc = sysctl_io_at(in_net ? dir : AT_FDCWD, in_net ? path + sizeof(net) - 1 : path, sc.value,
					  sizeof(sc.value), NULL);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		snprintf(sc.ns, sizeof(sc.ns), "%s", m->ns);
		snprintf(sc.key, sizeof(sc.key), "%s", m->keys[i]);
		if (rc == 0)
			rc = state_add_sysctl(m->out, &sc);
	}
	if (dir >= 0)
		close(dir);
	return rc;
}

int linux_sysctl_observe(struct linux_ctx *c, const char *ns, const char *const *keys, size_t n,
			 struct state *out)
{
	struct sysctl_many m = { ns, keys, n, out };

	return n ? linux_in_ns(c, ns, sysctl_many_here, &m) : 0;
}

/* Inside the namespace: both knobs of linux_link_no_dad for link arg. */
static int no_dad_here(void *arg)
{
	static const char *const knobs[] = { "dad_transmits", "router_solicitation_delay" };
	char path[128];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", (const char *)arg, knobs[i]);
		rc = sysctl_io(path, NULL, 0, "0");
	}
	return rc;
}

int linux_link_no_dad(struct linux_ctx *c, const char *ns, const char *ifname)
{
	return model_ifname_ok(ifname) ? linux_in_ns(c, ns, no_dad_here, (void *)ifname) : -EINVAL;
}

int linux_sysctl_read(struct linux_ctx *c, const char *ns, const char *key, char *buf, size_t len)
{
	if (len < 2)
		return -EINVAL;
	return sysctl_in_ns(c, ns, key, buf, len, NULL);
}

int linux_sysctl_write(struct linux_ctx *c, const char *ns, const char *key, const char *value)
{
	return sysctl_in_ns(c, ns, key, NULL, 0, value);
}

/* A sysctl value jail6 writes: small decimal integers, one space apart
 * ("0", "-1", "0 2147483647"). */
static bool sysctl_value_ok(const char *v)
{
	bool digit = false;

	for (size_t i = 0; v[i]; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digit = true;
		else if (v[i] == '-' && (i == 0 || v[i - 1] == ' ') && v[i + 1] >= '0' && v[i + 1] <= '9')
			continue;
		else if (v[i] == ' ' && digit && v[i + 1])
			digit = false;
		else
			return false;
	}
	return digit;
}

/* ACTION_SYSCTL_SET of a known key to a small integer, in a->ns. */
int exec_sysctl(struct exec *x)
{
	const struct action *a = x->a;
	int rc;

	char path[128];

	if (linux_sysctl_path(a->key, path, sizeof(path)) < 0)
		return exec_fail_msg(x, -EINVAL, "sysctl %s: unknown key", a->key);
	if (!sysctl_value_ok(a->value))
		return exec_fail_msg(x, -EINVAL, "sysctl %s: invalid value \"%s\"", a->key, a->value);
	rc = linux_sysctl_write(x->c, a->ns, a->key, a->value);
	return rc < 0 ? exec_fail(x, rc, "sysctl %s=%s", a->key, a->value) : 0;
}
