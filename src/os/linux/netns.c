/*
 * Named network namespaces on a runtime directory, `ip netns`-compatible.
 *
 * A namespace stays alive without processes as long as its /proc/PID/ns file
 * is bind-mounted somewhere. The runtime directory is made a shared mount
 * point so that these bind mounts (and their removal) propagate into mount
 * namespaces created later; otherwise every such namespace would keep a
 * private reference and a deleted netns would never be freed.
 */
#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sched.h>
#include <linux/magic.h>

#include "model/model.h"
#include "os/linux/netns.h"
#include "util/fs.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* What the holder child reports once its namespaces are ready (err 0) or not. */
struct holder_msg {
	int stage;
	int err;
};

int netns_path(char *buf, size_t len, const char *dir, const char *name)
{
	int r;

	if (!dir || dir[0] != '/' || !model_jailname_ok(name))
		return -EINVAL;
	r = snprintf(buf, len, "%s/%s", dir, name);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	return 0;
}

int netns_make_mount_point(const char *dir, unsigned long propagation)
{
	int r = fs_mkdir_p(dir, 0755, 0755);
	bool bound = false;

	if (r < 0)
		return r;
	/* Changing the propagation of a directory that is not a mount point
	 * fails with EINVAL: bind it onto itself once and try again. */
	while (mount("none", dir, NULL, propagation | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		bound = true;
	}
	return 0;
}

int netns_is_nsfs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	return sfs.f_type == NSFS_MAGIC;
}

int netns_placeholder(const char *path)
{
	for (int tries = 0; tries < 2; tries++) {
		int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
		int r = netns_is_nsfs(path);
		if (r != 0)
			return r < 0 ? r : -EEXIST;
		/* Left behind by a create that died before its bind mount;
		 * callers serialize creates, so nobody else is using it. */
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	return -EEXIST;
}

int netns_unbind(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	/* EINVAL: not a mount point (a stale placeholder), only unlink it. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Write a whole buffer to a pipe, retrying on EINTR (async-signal-safe). */
static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* Body of the holder child: unshare, set up, report, wait to be released. */
static _Noreturn void holder_child(int ready_fd, int release_fd, int flags,
                                   int (*setup)(void *, int *), void *arg)
{
	struct holder_msg m = { .stage = NETNS_STAGE_UNSHARE, .err = 0 };
	char c;

	if (unshare(flags) < 0)
		m.err = errno;
	else if (setup) {
		m.stage = 0;
		int r = setup(arg, &m.stage);
		m.err = r < 0 ? -r : 0;
	}
	write_all(ready_fd, &m, sizeof(m));
	if (m.err)
		_exit(1);
	/* EOF (the parent closed its end, or died) is the signal to go. */
	while (read(release_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int netns_holder_start(struct netns_holder *h, int flags,
                       int (*setup)(void *arg, int *stage), void *arg, int *stage)
{
	int ready[2] = { -1, -1 }, release[2] = { -1, -1 };
	struct holder_msg m;
	ssize_t got;
	int r = 0;

	h->pid = -1;
	h->release_fd = -1;
	*stage = NETNS_STAGE_FORK;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(release, O_CLOEXEC) < 0) {
		r = -errno;
		goto cleanup;
	}
	h->pid = fork();
	if (h->pid < 0) {
		r = -errno;
		goto cleanup;
	}
	if (h->pid == 0) {
		close(ready[0]);
		close(release[1]);
		holder_child(ready[1], release[0], flags, setup, arg);
	}
	close(ready[1]);
	ready[1] = -1;
	close(release[0]);
	release[0] = -1;
	h->release_fd = release[1];
	release[1] = -1;

	do
		got = read(ready[0], &m, sizeof(m));
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(m)) {
		/* The child died without a word (killed, or out of memory). */
		r = got < 0 ? -errno : -ECHILD;
	} else if (m.err) {
		*stage = m.stage;
		r = -m.err;
	}
cleanup:
	if (r < 0)
		netns_holder_finish(h);
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (release[i] >= 0)
			close(release[i]);
	}
	return r;
}

int netns_holder_bind(const struct netns_holder *h, const char *ns, const char *target)
{
	char src[64];

	snprintf(src, sizeof(src), "/proc/%ld/ns/%s", (long)h->pid, ns);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

int netns_holder_finish(struct netns_holder *h)
{
	int status, r = 0;

	if (!h)
		return 0;
	if (h->release_fd >= 0) {
		close(h->release_fd);
		h->release_fd = -1;
	}
	if (h->pid > 0) {
		while (waitpid(h->pid, &status, 0) < 0) {
			if (errno != EINTR) {
				r = -errno;
				break;
			}
		}
		h->pid = -1;
	}
	return r;
}

/* What the child of netns_spawn_bound reads and reports, in shared memory. */
struct spawn_job {
	int flags;
	int (*setup)(void *, int *);
	void *arg;
	const char *const *ns;
	const char *const *targets;
	int n;
	int stage;
	int err;
};

/* Body of netns_spawn_bound's child: only raw, async-signal-safe calls; it
 * writes nothing but job->stage and job->err (the caller is suspended). */
static int spawn_child(void *arg)
{
	struct spawn_job *job = arg;
	char src[32];

	job->stage = NETNS_STAGE_UNSHARE;
	if (unshare(job->flags) < 0)
		goto fail;
	if (job->setup) {
		job->stage = 0;
		int r = job->setup(job->arg, &job->stage);
		if (r < 0) {
			job->err = -r;
			_exit(1);
		}
	}
	for (int i = 0; i < job->n; i++) {
		size_t len = strlen(job->ns[i]);

		job->stage = NETNS_STAGE_BIND + i;
		if (len > 16)
			_exit(1);
		memcpy(src, "/proc/self/ns/", 14);
		memcpy(src + 14, job->ns[i], len + 1);
		if (mount(src, job->targets[i], NULL, MS_BIND, NULL) < 0)
			goto fail;
	}
	job->err = 0;
	_exit(0);
fail:
	job->err = errno;
	_exit(1);
}

int netns_spawn_bound(int flags, int (*setup)(void *arg, int *stage), void *arg,
                      const char *const *ns, const char *const *targets, int n, int *stage)
{
	struct spawn_job job = {
		.flags = flags, .setup = setup, .arg = arg, .ns = ns, .targets = targets, .n = n,
		.stage = NETNS_STAGE_FORK, .err = ECHILD,
	};
	const size_t stack_len = 64 * 1024;
	sigset_t all, old;
	int status, r = 0;
	void *stack;
	pid_t pid;

	*stage = NETNS_STAGE_FORK;
	if (flags & CLONE_NEWNS)
		return -EINVAL;
	stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	/* No handler of the caller may run on the child's side of the
	 * shared memory: signals stay blocked until the child is gone. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(spawn_child, (char *)stack + stack_len, CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
	if (pid < 0)
		r = -errno;
	else {
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				r = -errno;
				break;
			}
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, stack_len);
	if (r < 0)
		return r;
	if (job.err) {
		*stage = job.stage;
		return -job.err;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int netns_create(const char *runtime_dir, const char *name)
{
	const char *ns[] = { "net" }, *targets[1];
	char path[PATH_MAX];
	int stage, r;

	r = netns_path(path, sizeof(path), runtime_dir, name);
	if (r < 0)
		return r;
	r = netns_make_mount_point(runtime_dir, MS_SHARED);
	if (r < 0)
		return r;
	r = netns_placeholder(path);
	if (r < 0)
		return r;
	targets[0] = path;
	r = netns_spawn_bound(CLONE_NEWNET, NULL, NULL, ns, targets, 1, &stage);
	if (r < 0)
		netns_unbind(path);
	return r;
}

int netns_open(const char *runtime_dir, const char *name)
{
	char path[PATH_MAX];
	int fd, r;

	r = netns_path(path, sizeof(path), runtime_dir, name);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = netns_is_nsfs(path);
	if (r <= 0) {
		close(fd);
		return r < 0 ? r : -ENOENT;
	}
	return fd;
}

int netns_delete(const char *runtime_dir, const char *name)
{
	char path[PATH_MAX];
	int r;

	r = netns_path(path, sizeof(path), runtime_dir, name);
	if (r < 0)
		return r;
	return netns_unbind(path);
}

int netns_exists(const char *runtime_dir, const char *name)
{
	char path[PATH_MAX];

	if (netns_path(path, sizeof(path), runtime_dir, name) < 0)
		return 0;
	return netns_is_nsfs(path) == 1;
}

/* qsort comparator for an array of C strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int netns_list(const char *runtime_dir, char ***names, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!runtime_dir || runtime_dir[0] != '/')
		return -EINVAL;
	d = opendir(runtime_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (netns_path(path, sizeof(path), runtime_dir, de->d_name) < 0)
			continue;
		if (netns_is_nsfs(path) != 1)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				goto cleanup;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			r = -ENOMEM;
			goto cleanup;
		}
		cnt++;
	}
	if (errno) {
		r = -errno;
		goto cleanup;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
cleanup:
	netns_list_free(v, cnt);
	if (d)
		closedir(d);
	return r;
}

void netns_list_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
