/* Trust in jail6's own files (trust.h): ownership and modes up to /. */
#include "util/trust.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/msg.h"

bool trust_enforced(void)
{
	return geteuid() == 0;
}

/* Who may write a mode's file ("group", "others", both), and the fix. */
static const char *writers(mode_t m, const char **fix)
{
	if ((m & 022) == 022) {
		*fix = "go-w";
		return "group and others";
	}
	*fix = (m & 020) ? "g-w" : "o-w";
	return (m & 020) ? "group" : "others";
}

/* Check one file or directory p: the object itself (below NULL), or a
 * directory above below. */
static int check_one(const char *p, const struct stat *st, const char *below, uid_t uid, const char *why,
		     char *msg, size_t len)
{
	const char *who, *fix;

	if (st->st_uid != 0 && st->st_uid != uid) {
		if (below)
			return msg_fail(msg, len, -EPERM, "%s: owned by uid %u, not root, a directory above %s; %s: chown root %s",
					p, (unsigned)st->st_uid, below, why, p);
		return msg_fail(msg, len, -EPERM, "%s: owned by uid %u, not root; %s: chown root %s", p,
				(unsigned)st->st_uid, why, p);
	}
	if (!(st->st_mode & 022))
		return 0;
	/* sticky: only an entry's owner (root, checked one level down) or
	 * root may rename or remove it */
	if (below && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return 0;
	who = writers(st->st_mode, &fix);
	if (below)
		return msg_fail(msg, len, -EPERM, "%s: writable by %s (mode %04o), a directory above %s; %s: chmod %s %s",
				p, who, (unsigned)(st->st_mode & 07777), below, why, fix, p);
	return msg_fail(msg, len, -EPERM, "%s: writable by %s (mode %04o); %s: chmod %s %s", p, who,
			(unsigned)(st->st_mode & 07777), why, fix, p);
}

/* Check dir (absolute, resolved) and every directory above it, up to /,
 * as directories above below. */
static int check_dirs(const char *dir, const char *below, uid_t uid, const char *why, char *msg, size_t len)
{
	char d[PATH_MAX];
	struct stat st;
	int r;

	if (snprintf(d, sizeof(d), "%s", dir) >= (int)sizeof(d))
		return msg_fail(msg, len, -ENAMETOOLONG, "%s: path too long", dir);
	for (;;) {
		char *slash;

		if (stat(d, &st) < 0)
			return msg_fail(msg, len, -errno, "%s: %s", d, strerror(errno));
		r = check_one(d, &st, below, uid, why, msg, len);
		if (r < 0 || !strcmp(d, "/"))
			return r;
		slash = strrchr(d, '/');
		if (!slash)
			return 0;
		slash[slash == d] = '\0'; /* "/a" -> "/", "/a/b" -> "/a" */
	}
}

/* The directory part of path, resolved: "/a/b" for "/a/b/c", "." -> cwd. */
static int resolved_dir(const char *path, char *out)
{
	char d[PATH_MAX], *slash;

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d))
		return -ENAMETOOLONG;
	slash = strrchr(d, '/');
	if (!slash)
		snprintf(d, sizeof(d), ".");
	else
		slash[slash == d] = '\0';
	return realpath(d, out) ? 0 : -errno;
}

int trust_path(const char *path, uid_t uid, const char *why, char *msg, size_t len)
{
	char real[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX];
	struct stat st;
	int r;

	if (realpath(path, real)) {
		if (stat(real, &st) < 0)
			return msg_fail(msg, len, -errno, "%s: %s", real, strerror(errno));
		r = check_one(real, &st, NULL, uid, why, msg, len);
		if (r == 0 && strcmp(real, "/") && resolved_dir(real, dir) == 0)
			r = check_dirs(dir, real, uid, why, msg, len);
		/* a symlink: whoever may write beside it may point it elsewhere */
		if (r == 0 && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			r = resolved_dir(path, dir);
			if (r < 0)
				return msg_fail(msg, len, r, "%s: %s", path, strerror(-r));
			r = check_dirs(dir, path, uid, why, msg, len);
		}
		return r;
	}
	if (errno != ENOENT)
		return msg_fail(msg, len, -errno, "%s: %s", path, strerror(errno));
	/* not there yet (jail6 will make it): the deepest directory above it
	 * that is, and those above that */
	if (snprintf(probe, sizeof(probe), "%s", path) >= (int)sizeof(probe))
		return msg_fail(msg, len, -ENAMETOOLONG, "%s: path too long", path);
	for (;;) {
		r = resolved_dir(probe, dir);
		if (r == 0)
			return check_dirs(dir, path, uid, why, msg, len);
		if (r != -ENOENT)
			return msg_fail(msg, len, r, "%s: %s", probe, strerror(-r));
		char *slash = strrchr(probe, '/');
		if (!slash || slash == probe)
			return msg_fail(msg, len, r, "%s: %s", path, strerror(-r));
		*slash = '\0';
	}
}
