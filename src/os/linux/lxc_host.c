/*
 * What the host must offer a confined jail before liblxc is asked to start
 * it: jail6-init (and the copy a jail binds), directories its root user can
 * search, ids delegated to root where newuidmap maps them, the cgroup
 * controllers of its limits. Used by lxc.c; declared in lxc_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/proc.h"
#include "os/linux/lxc.h"
#include "os/linux/lxc_int.h"

#ifndef JAIL6_LIBDIR
#define JAIL6_LIBDIR "/usr/local/lib/jail6"
#endif

static int exists_exec(const char *p)
{
	return access(p, X_OK) == 0;
}

const char *lxcj_init_path(void)
{
	static char found[PATH_MAX];

	return proc_helper_path("jail6-init", found);
}

const char *lxcj_starter_path(void)
{
	static char found[PATH_MAX];

	return proc_helper_path("jail6-start", found);
}

/* The first directory above (and including, when self) path that others
 * cannot search: the jail's mapped root is "others" on the host. */
int lxcj_unsearchable(const char *path, char *bad, size_t len)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		char *slash = strrchr(buf, '/');
		if (!slash)
			return 0;
		*slash = '\0';
		const char *dir = buf[0] ? buf : "/";
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH)) {
			snprintf(bad, len, "%s", dir);
			return 1;
		}
		if (!buf[0])
			return 0;
	}
}

/* When newuidmap is installed liblxc maps ids through it, even as root,
 * and it needs the range delegated to root in file (/etc/subuid, subgid). */
bool lxcj_delegated(const char *file, uint32_t base, uint32_t count)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen(file, "re");

	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		char who[64];
		unsigned long long b, c;
		if (sscanf(line, "%63[^:]:%llu:%llu", who, &b, &c) == 3 &&
		    (strcmp(who, "root") == 0 || strcmp(who, "0") == 0) &&
		    b <= base && (unsigned long long)base + count <= b + c)
			ok = true;
	}
	fclose(f);
	return ok;
}

/* Add o+x to a directory of jail6's own (root's) that lacks it. */
int lxcj_open_search(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	if (st.st_uid != 0 || (st.st_mode & S_IXOTH))
		return 0;
	return chmod(dir, (st.st_mode & 07777) | S_IXOTH) < 0 ? -errno : 0;
}

/* buf = dirname(path); -EINVAL for "/" or a relative path. */
int lxcj_parent_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return -EINVAL;
	snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return 0;
}

bool lxcj_have_newuidmap(void)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/newuidmap", dirs[i]);
		if (exists_exec(p))
			return true;
	}
	return false;
}

bool lxcj_cgroup_v2(void)
{
	struct statfs sf;

	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int lxcj_controller_version(const char *proc_cgroups, const char *unified, const char *ctrl)
{
	const char *p = proc_cgroups;
	size_t n = strlen(ctrl);

	/* "name hierarchy num_cgroups enabled": hierarchy 0 is the v2 one */
	while (p && *p) {
		char name[64];
		unsigned h, num, en;
		if (*p != '#' && sscanf(p, "%63s %u %u %u", name, &h, &num, &en) == 4 && !strcmp(name, ctrl)) {
			if (!en)
				return 0;
			if (h > 0)
				return 1;
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	for (p = unified; p && (p = strstr(p, ctrl)); p += n)
		if ((p == unified || p[-1] == ' ' || p[-1] == '\n') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 2;
	return 0;
}

/* A small file's text into buf ("" when it cannot be read). */
static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Where controller ctrl is on this host: 1 (a v1 hierarchy), 2 (the v2
 * hierarchy), 0 (neither). */
int lxcj_controller_of(const char *ctrl)
{
	char pc[4096], un[512];

	read_text("/proc/cgroups", pc, sizeof(pc));
	read_text(lxcj_cgroup_v2() ? "/sys/fs/cgroup/cgroup.controllers" : "/sys/fs/cgroup/unified/cgroup.controllers",
		  un, sizeof(un));
	return lxcj_controller_version(pc, un, ctrl);
}

/* Same size and contents: the staged copy is up to date. */
static bool same_file(int a, int b)
{
	char x[8192], y[8192];
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0 || sa.st_size != sb.st_size)
		return false;
	for (;;) {
		ssize_t n = read(a, x, sizeof(x));
		if (n <= 0)
			return n == 0;
		if (read(b, y, (size_t)n) != n || memcmp(x, y, (size_t)n) != 0)
			return false;
	}
}

/* Copy jail6-init (src) to DIR/jail6-init, mode 0755, unless an identical
 * copy is there; *out is its path. Written beside and renamed, so a jail
 * starting at the same time binds either the old copy or the new one. */
int lxcj_stage_init(const char *src, const char *dir, char *out, size_t len)
{
	char tmp[PATH_MAX + 16], buf[65536];
	int in, cur, fd, r = 0;

	int w = snprintf(out, len, "%s/jail6-init", dir);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	cur = open(out, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (cur >= 0) {
		bool same = same_file(in, cur);
		close(cur);
		if (same) {
			close(in);
			return 0;
		}
		if (lseek(in, 0, SEEK_SET) < 0) {
			r = -errno;
			close(in);
			return r;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", out, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755);
	if (fd < 0) {
		r = -errno;
		close(in);
		return r;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
	}
	if (r == 0 && fchmod(fd, 0755) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	close(in);
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

