/* The verbosity of -v, and messages handed up with an -errno. */
#include "util/msg.h"

#include <err.h>
#include <stdio.h>

static int verbosity;

void msg_set_verbosity(int level)
{
	verbosity = level;
}

int msg_verbosity(void)
{
	return verbosity;
}

void msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

int msg_failv(char *buf, size_t len, int rc, const char *fmt, va_list ap)
{
	if (buf && len)
		vsnprintf(buf, len, fmt, ap);
	return rc;
}

int msg_fail(char *buf, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_failv(buf, len, rc, fmt, ap);
	va_end(ap);
	return rc;
}
