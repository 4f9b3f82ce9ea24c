/*
 * The backend context: the caller's own netns to come back to, the runtime
 * dir where jails' namespaces are bound, and a small cache of namespaces
 * entered (each a netns fd and a netlink socket). The cache is bounded:
 * a run over thousands of jails would otherwise hold two descriptors and a
 * socket's receive buffer per jail (~33 KiB each, and past the usual 1024
 * open files); the least recently used jail is closed to make room, and
 * opened again if it is needed later. The host entry is never evicted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "os/linux/linux_int.h"

/* Jails open at once, beside the host. Apply works a jail at a time and
 * observe visits each once, so a few are enough for every hit. */
#define NS_CACHE_JAILS 16

struct linux_ns {
	char name[MODEL_NAME_MAX]; /* "" = host */
	int fd;                    /* netns fd; -1 = the caller's own */
	struct nl_sock *sock;
	unsigned long used;        /* when last asked for (LRU) */
};

struct linux_ctx {
	char runtime_dir[PATH_MAX];
	char run_dir[PATH_MAX];          /* the instance's own; "" = none */
	char host_netns[MODEL_NAME_MAX]; /* "" = the caller's own */
	int self_fd;               /* the caller's netns, to come back to */
	struct linux_ns ns[1 + NS_CACHE_JAILS]; /* [0]: the host */
	size_t n_ns;
	unsigned long clock;
	struct state *nft_cache;   /* nft.c: the port filter as its batches left it */
};

/* Open RUNTIME_DIR/name as a network namespace fd: -ENOENT when absent,
 * -EINVAL when the path is not a network namespace. */
static int netns_fd_open(const struct linux_ctx *c, const char *name, int *out)
{
	char path[PATH_MAX];
	int fd, type;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->runtime_dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	*out = fd;
	return 0;
}

/* Enter n's namespace (nothing to do for the caller's own). */
static int ns_enter(const struct linux_ns *n)
{
	if (n->fd < 0)
		return 0;
	return setns(n->fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* Back to the caller's namespace. Staying elsewhere would aim every later
 * change at the wrong namespace, so failure here is fatal. */
static void ns_leave(const struct linux_ctx *c, bool entered)
{
	if (!entered)
		return;
	if (setns(c->self_fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "jail6: cannot return to the original network namespace: %s\n",
			strerror(errno));
		abort();
	}
}

static void ns_close(struct linux_ns *n)
{
	nl_sock_close(n->sock);
	n->sock = NULL;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

/* A free slot for a jail: a new one while the cache has room, else the
 * least recently used jail's, closed. */
static struct linux_ns *ns_slot(struct linux_ctx *c)
{
	struct linux_ns *n;

	if (c->n_ns < sizeof(c->ns) / sizeof(c->ns[0]))
		return &c->ns[c->n_ns++];
	n = &c->ns[1];
	for (size_t i = 2; i < c->n_ns; i++)
		if (c->ns[i].used < n->used)
			n = &c->ns[i];
	ns_close(n);
	return n;
}

/* Find ns in c, or add it (opening its netns fd) when absent. A pointer
 * stays good until NS_CACHE_JAILS other jails were asked for. */
static int ns_get(struct linux_ctx *c, const char *ns, struct linux_ns **out)
{
	struct linux_ns *n;
	int fd = -1, rc;

	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, ns) == 0) {
			c->ns[i].used = ++c->clock;
			*out = &c->ns[i];
			return 0;
		}
	}
	/* The host entry is made by linux_open(); anything else is a jail. */
	if (!model_jailname_ok(ns))
		return -EINVAL;
	rc = netns_fd_open(c, ns, &fd);
	if (rc < 0)
		return rc;
	n = ns_slot(c);
	memset(n, 0, sizeof(*n));
	strcpy(n->name, ns);
	n->fd = fd;
	n->used = ++c->clock;
	*out = n;
	return 0;
}

int linux_ns_sock(struct linux_ctx *c, const char *ns, struct nl_sock **out)
{
	struct linux_ns *n;
	int rc;

	rc = ns_get(c, ns, &n);
	if (rc < 0)
		return rc;
	if (!n->sock) {
		rc = ns_enter(n);
		if (rc < 0)
			return rc;
		rc = nl_sock_open(&n->sock);
		ns_leave(c, n->fd >= 0);
		if (rc < 0)
			return rc;
	}
	*out = n->sock;
	return 0;
}

int linux_ns_fd(struct linux_ctx *c, const char *ns, int *fd)
{
	struct linux_ns *n;
	int rc = ns_get(c, ns, &n);

	if (rc < 0)
		return rc;
	*fd = n->fd >= 0 ? n->fd : c->self_fd;
	return 0;
}

int linux_ns_exists(struct linux_ctx *c, const char *ns)
{
	struct linux_ns *n;
	int rc;

	if (ns[0] == '\0')
		return 1;
	rc = ns_get(c, ns, &n);
	if (rc == -ENOENT || (rc == -EINVAL && model_jailname_ok(ns)))
		return 0;
	return rc < 0 ? rc : 1;
}

void linux_ns_forget(struct linux_ctx *c, const char *ns)
{
	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, ns) != 0 || ns[0] == '\0')
			continue;
		ns_close(&c->ns[i]);
		c->ns[i] = c->ns[--c->n_ns];
		return;
	}
}

int linux_open(const char *host_netns, const char *runtime_dir, const char *run_dir, struct linux_ctx **out)
{
	struct linux_ctx *c;
	struct nl_sock *s;
	int rc;

	if (!runtime_dir)
		runtime_dir = LINUX_RUNTIME_DIR_DEFAULT;
	if (runtime_dir[0] != '/' || strlen(runtime_dir) >= PATH_MAX - MODEL_NAME_MAX - 1)
		return -EINVAL;
	if (host_netns && !model_jailname_ok(host_netns))
		return -EINVAL;
	if (run_dir && (run_dir[0] != '/' || strlen(run_dir) >= PATH_MAX - MODEL_NAME_MAX - 16))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->self_fd = -1;
	strcpy(c->runtime_dir, runtime_dir);
	if (run_dir)
		strcpy(c->run_dir, run_dir);
	c->n_ns = 1;
	c->ns[0].fd = -1;
	c->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->self_fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	if (host_netns) {
		rc = netns_fd_open(c, host_netns, &c->ns[0].fd);
		if (rc < 0)
			goto cleanup;
		strcpy(c->host_netns, host_netns);
	}
	/* Open the host socket now so a missing namespace shows up here. */
	rc = linux_ns_sock(c, "", &s);
	if (rc < 0)
		goto cleanup;
	*out = c;
	return 0;
cleanup:
	linux_close(c);
	return rc;
}

void linux_close(struct linux_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_ns; i++)
		ns_close(&c->ns[i]);
	if (c->self_fd >= 0)
		close(c->self_fd);
	state_free(c->nft_cache);
	free(c->nft_cache);
	free(c);
}

struct state **linux_nft_cache(struct linux_ctx *c)
{
	return &c->nft_cache;
}

const char *linux_runtime_dir(const struct linux_ctx *c)
{
	return c->runtime_dir;
}

const char *linux_run_dir(const struct linux_ctx *c)
{
	return c->run_dir[0] ? c->run_dir : NULL;
}

const char *linux_host_netns(const struct linux_ctx *c)
{
	return c->host_netns;
}

int linux_in_ns(struct linux_ctx *c, const char *ns, int (*fn)(void *arg), void *arg)
{
	struct linux_ns *n;
	bool entered;
	int rc = ns_get(c, ns, &n);

	if (rc < 0)
		return rc;
	entered = n->fd >= 0;
	rc = ns_enter(n);
	if (rc < 0)
		return rc;
	rc = fn(arg);
	/* entered, not n: fn may have asked for other jails and evicted n */
	ns_leave(c, entered);
	return rc;
}
