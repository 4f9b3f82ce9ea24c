#include "util/drop.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/* Empty the bounding set (while CAP_SETPCAP is there), then the ambient one. */
static int caps_bound_clear(void)
{
	for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* Effective, permitted and inheritable: none (capset(2), version 3). */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int drop_to(const char *root, uid_t uid, gid_t gid, const char **step)
{
	int r;

	if (uid == 0 || gid == 0) {
		*step = "the user (not root, nor group 0)";
		return -EINVAL;
	}
	*step = "the empty root";
	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -errno;
	*step = "the capability bounding set";
	if ((r = caps_bound_clear()) < 0)
		return r;
	*step = "the groups";
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0)
		return -errno;
	*step = "the user";
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	*step = "the capabilities";
	if ((r = caps_clear()) < 0)
		return r;
	*step = "the check that root cannot come back";
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0)
		return -EPERM;
	*step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
