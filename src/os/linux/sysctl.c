/*
 * Sysctls of a namespace: the generic keys of state.h mapped to their
 * /proc/sys files, read and written from inside the namespace (through
 * linux_in_ns), the per-link DAD knobs, and the plan's sysctl action.
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
	/* for links made later; only the lab sets it, in its own namespaces */
	{ "ipv6.default_dad_transmits", "/proc/sys/net/ipv6/conf/default/dad_transmits" },
	{ "ipv6.default_rs_delay", "/proc/sys/net/ipv6/conf/default/router_solicitation_delay" },
};

const char *linux_sysctl_path(const char *key)
{
	for (size_t i = 0; i < sizeof(sysctl_map) / sizeof(sysctl_map[0]); i++)
		if (strcmp(sysctl_map[i].key, key) == 0)
			return sysctl_map[i].path;
	return NULL;
}

/* Read or write (value != NULL) one /proc/sys file; runs while the thread
 * is inside the namespace, since /proc/sys/net shows the current netns. */
static int sysctl_io(const char *path, char *buf, size_t len, const char *value)
{
	int fd = open(path, (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
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
		}
	}
	close(fd);
	return rc;
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
	struct sysctl_call k = { linux_sysctl_path(key), buf, len, value };

	return k.path ? linux_in_ns(c, ns, sysctl_call, &k) : -EINVAL;
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

/* A sysctl value jail6 writes: a small decimal integer. */
static bool sysctl_value_ok(const char *v)
{
	size_t i = v[0] == '-' ? 1 : 0;

	if (v[i] == '\0')
		return false;
	for (; v[i]; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

/* ACTION_SYSCTL_SET of a known key to a small integer, in a->ns. */
int exec_sysctl(struct exec *x)
{
	const struct action *a = x->a;
	int rc;

	if (!linux_sysctl_path(a->key))
		return exec_fail_msg(x, -EINVAL, "sysctl %s: unknown key", a->key);
	if (!sysctl_value_ok(a->value))
		return exec_fail_msg(x, -EINVAL, "sysctl %s: invalid value \"%s\"", a->key, a->value);
	rc = linux_sysctl_write(x->c, a->ns, a->key, a->value);
	return rc < 0 ? exec_fail(x, rc, "sysctl %s=%s", a->key, a->value) : 0;
}
