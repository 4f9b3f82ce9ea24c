/* Typed values of the config: names, addresses, numbers, booleans, paths
 * and checked strings. Each reports why a value is wrong at the value. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/validate_int.h"

static bool name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

bool cv_check_name(struct cv_ctx *c, const char *s, struct conf_loc loc,
		   const char *what, size_t max, bool jail, const char *why)
{
	char q1[CV_QMAX];
	size_t n = strlen(s);
	bool chars = true;

	for (size_t i = 0; i < n; i++)
		chars = chars && name_char_ok(s[i]);
	if (n == 0) {
		cv_err(c, loc, "%s is empty", what);
		return false;
	}
	if (!chars || s[0] == '-' || (jail && s[0] == '.') ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		cv_err(c, loc, "%s '%s' is not valid: use letters, digits, '_', '.' and '-', not starting with '-'%s",
		       what, cv_quote(s, q1), jail ? " or '.'" : "");
		return false;
	}
	if (n > max) {
		cv_err(c, loc, "%s '%s' is too long (%zu characters, at most %zu%s)",
		       what, cv_quote(s, q1), n, max, why ? why : "");
		return false;
	}
	return true;
}

bool cv_get_addr(struct cv_ctx *c, const char *label, const char *key,
		 const struct conf_value *v, int family, int pfx, struct addr *out)
{
	const char *slash = strchr(v->text, '/');
	size_t hl = slash ? (size_t)(slash - v->text) : strlen(v->text);
	const char *fam = family == AF_INET ? "an IPv4 address" :
			  family == AF_INET6 ? "an IPv6 address" : "an IPv4 or IPv6 address";
	char host[ADDR_STRLEN], q1[CV_QMAX];
	struct addr a;

	cv_quote(v->text, q1);
	if (hl == 0 || hl >= sizeof(host)) {
		cv_err(c, v->loc, "%s: %s: '%s' is not %s", label, key, q1, fam);
		return false;
	}
	memcpy(host, v->text, hl);
	host[hl] = '\0';
	if (addr_parse(host, ADDR_PREFIX_NONE, &a, NULL) < 0) {
		cv_err(c, v->loc, "%s: %s: '%s' is not %s", label, key, q1, fam);
		return false;
	}
	if (family && a.family != family) {
		cv_err(c, v->loc, "%s: %s: '%s' is an %s address, expected %s", label, key, q1,
		       a.family == AF_INET ? "IPv4" : "IPv6", family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	if (slash && pfx == CV_PFX_NONE) {
		cv_err(c, v->loc, "%s: %s: '%s' must not have a prefix length", label, key, q1);
		return false;
	}
	if (slash && addr_parse(v->text, ADDR_PREFIX_OPTIONAL, &a, NULL) < 0) {
		cv_err(c, v->loc, "%s: %s: '%s' has a bad prefix length (0..%d)", label, key, q1,
		       a.family == AF_INET ? 32 : 128);
		return false;
	}
	if (!slash && pfx == CV_PFX_REQUIRED) {
		cv_err(c, v->loc, "%s: %s: '%s' needs a prefix length, e.g. '%s/%d'", label, key,
		       q1, q1, a.family == AF_INET ? 24 : 64);
		return false;
	}
	*out = a;
	return true;
}

bool cv_usable(struct cv_ctx *c, const char *label, const char *key,
	       const struct conf_value *v, const struct addr *a)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };
	const char *what = NULL;
	char s[ADDR_STRLEN];

	if (addr_is_unspecified(a))
		what = "the unspecified address";
	else if (addr_is_multicast(a))
		what = "a multicast address";
	else if (addr_is_loopback(a))
		what = "a loopback address";
	else if (a->family == AF_INET && memcmp(a->bytes, bcast, 4) == 0)
		what = "the broadcast address";
	if (!what)
		return true;
	cv_err(c, v->loc, "%s: %s: %s is %s", label, key, addr_format_host(a, s, sizeof(s)), what);
	return false;
}

bool cv_get_int(struct cv_ctx *c, const char *label, const char *key,
		const struct conf_value *v, int min, int max, int *out)
{
	const char *s = v->text;
	char q1[CV_QMAX];
	long n = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 9 || strspn(s, "0123456789") != len) {
		cv_err(c, v->loc, "%s: %s: '%s' is not a number", label, key, cv_quote(s, q1));
		return false;
	}
	n = strtol(s, NULL, 10);
	if (n < min || n > max) {
		cv_err(c, v->loc, "%s: %s %ld is out of range (%d..%d)", label, key, n, min, max);
		return false;
	}
	*out = (int)n;
	return true;
}

bool cv_get_bool(struct cv_ctx *c, const char *label, const char *key,
		 const struct conf_value *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on" }, *const no[] = { "no", "false", "off" };
	char q1[CV_QMAX];

	for (size_t i = 0; i < CV_N(yes); i++) {
		if (strcasecmp(v->text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v->text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	cv_err(c, v->loc, "%s: %s: '%s' is not a boolean (use yes or no)", label, key,
	       cv_quote(v->text, q1));
	return false;
}

const char *cv_path_problem(const char *s)
{
	if (s[0] != '/')
		return "must be an absolute path";
	if (strlen(s) >= PATH_MAX)
		return "is too long";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "must not contain control characters";
	for (const char *p = s; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			return "must not contain '..' components";
	return NULL;
}

int cv_push_addr(struct addr **v, size_t *n, const struct addr *a)
{
	struct addr *p = conf_grow(*v, *n, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*v = p;
	p[(*n)++] = *a;
	return 0;
}

void cv_get_string(struct cv_ctx *c, const char *label, const char *key,
		   const struct conf_value *v, const char *problem, char **out)
{
	char q1[CV_QMAX];

	if (problem && v->text[0] == '\0') {
		cv_err(c, v->loc, "%s: %s is empty", label, key);
		return;
	}
	if (problem) {
		cv_err(c, v->loc, "%s: %s '%s' %s", label, key, cv_quote(v->text, q1), problem);
		return;
	}
	*out = strdup(v->text);
	if (!*out)
		c->err = -ENOMEM;
}
