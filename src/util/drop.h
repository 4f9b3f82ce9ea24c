/* Giving up root for good: what the datapath (jail6-datapath) and the web
 * UI's HTTP child do once they have opened what they need. */
#ifndef JAIL6_UTIL_DROP_H
#define JAIL6_UTIL_DROP_H

#include <sys/types.h>

/*
 * Become uid:gid (neither 0) with no capability, inside root: chroot into
 * root, empty the capability bounding set (while CAP_SETPCAP is there) and
 * the ambient set, no supplementary group, real, effective and saved gid
 * and uid set, the remaining capability sets cleared (capset), a check
 * that uid and gid 0 cannot come back, then no_new_privs. 0, or -errno
 * with *step naming what failed (static text).
 */
int drop_to(const char *root, uid_t uid, gid_t gid, const char **step);

#endif
