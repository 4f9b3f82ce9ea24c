/*
 * jail6's one error idiom. Front ends print with err(3)/warn(3)/warnx(3)
 * from <err.h>: one prefix (the program's name), then the object, then what
 * happened: "jail6: bridge0: add member bge0: No such device". Library code
 * never prints; it returns -errno with a message naming the object. -v makes
 * msg_debug() lines appear, in every command.
 */
#ifndef JAIL6_UTIL_MSG_H
#define JAIL6_UTIL_MSG_H

#include <stdarg.h>
#include <stddef.h>

/* How verbose: 0 = quiet (the default), 1 and up with each -v. */
void msg_set_verbosity(int level);
int msg_verbosity(void);

/* warnx(3) when the verbosity is at least 1; else nothing. */
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* printf into buf of len (truncating), returns rc: `return msg_fail(...)`
 * for functions that hand a message up with their -errno. */
int msg_fail(char *buf, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int msg_failv(char *buf, size_t len, int rc, const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

#endif
