/*
 * Trust in jail6's own files, as sshd's StrictModes: jail6 runs as root what
 * its config says (exec.start, exec.stop) and believes what its state dir
 * holds, so as root it refuses a config file, an include, the state dir, its
 * run dir or the namespaces' runtime dir that someone other than root could
 * have written, or could replace.
 *
 * The rule, for path P (made absolute, symlinks resolved):
 *  - P itself, when it exists, is owned by root (or by uid) and writable by
 *    neither its group nor others;
 *  - so is every directory above P up to /, except that a directory
 *    writable by others (or its group) passes when it has the sticky bit,
 *    as /tmp does: there nobody but the owner of an entry (root, as checked
 *    for the entry below it) and root may rename or remove it;
 *  - for a P that does not exist yet (a state dir jail6 will make) the rule
 *    holds for the directories above it;
 *  - when P is a symlink, the directories above the link are checked too
 *    (whoever may write there may point it elsewhere).
 * sshd checks up to / the same way but knows no sticky exception; without
 * it nothing could live under /tmp, which is where the tests keep theirs.
 */
#ifndef JAIL6_UTIL_TRUST_H
#define JAIL6_UTIL_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Check path as above; uid is the one owner trusted besides root (jail6
 * passes 0; the unit tests their own uid). why says what jail6 does with
 * the file ("jail6 runs what it says as root") and goes into the message:
 * "/etc/jail6.conf: writable by group (mode 0664); jail6 runs what it says
 * as root: chmod g-w /etc/jail6.conf". 0 when trusted; -EPERM with msg when
 * not; another -errno (and msg) when a directory cannot be looked at.
 */
int trust_path(const char *path, uid_t uid, const char *why, char *msg, size_t len);

/* Whether jail6 enforces the rule: it runs as root (euid 0). A user's
 * jail6 starts nothing as root, so it trusts what that user may read. */
bool trust_enforced(void);

#endif
