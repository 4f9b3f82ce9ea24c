/*
 * Unit tests of the FreeBSD side of issue 13: the rules of check --target
 * freebsd at their boundaries (validate_freebsd.c), and what export writes
 * or refuses for forms the golden files do not show (os/freebsd/export.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "os/freebsd/freebsd.h"
#include "plan/plan.h"
#include "model/state.h"

#define HEAD \
	"tunnel gif0 {\n" \
	"\ttype = 6in4;\n" \
	"\tremote = 198.51.100.1;\n" \
	"\tlocal = 192.0.2.2;\n" \
	"\taddress = 2001:db8:ffff::2/64;\n" \
	"\tpeer = 2001:db8:ffff::1;\n" \
	"}\n" \
	"bridge bridge0 {\n" \
	"\taddress = 2001:db8:1::1/64;\n" \
	"\ttunnel = gif0;\n" \
	"}\n"

/* Load text with the FreeBSD rules; the errors joined, "" when none. */
static int load(const char *text, struct model *m, char *errs, size_t len)
{
	struct conf_errors e = { 0 };
	size_t o = 0;
	int r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE | CONF_F_FREEBSD, m, &e);

	errs[0] = '\0';
	for (size_t i = 0; i < e.n && o < len; i++)
		o += (size_t)snprintf(errs + o, len - o, "%d:%d: %s\n", e.v[i].line, e.v[i].col, e.v[i].msg);
	conf_errors_free(&e);
	return r;
}

static void iface_name(const char *name, bool ok)
{
	char text[1024], errs[2048];
	struct model m = { 0 };
	int r;

	snprintf(text, sizeof(text), HEAD "jail www {\n\tinterface %s { bridge = bridge0; address = 2001:db8:1::3/64; }\n}\n",
		 name);
	r = load(text, &m, errs, sizeof(errs));
	if (ok && r != 0)
		fail_msg("%s: %s", name, errs);
	if (!ok && (r != -EINVAL || !strstr(errs, "13:12: jail 'www': interface '") || !strstr(errs, "name it epairN")))
		fail_msg("%s: want an error at 13:12, got %d: %s", name, r, errs);
	model_free(&m);
}

static void test_epair_units(void **st)
{
	(void)st;
	iface_name("epair0", true);
	iface_name("epair7", true);
	iface_name("epair32767", true);
	iface_name("epair32768", false);   /* above IF_MAXUNIT */
	iface_name("epair00", false);      /* a leading zero */
	iface_name("epair", false);        /* no unit */
	iface_name("epair1x", false);
	iface_name("eth0", false);
}

static void jail_name(const char *name, const char *want)
{
	char text[1024], errs[2048];
	struct model m = { 0 };
	int r;

	snprintf(text, sizeof(text), HEAD "jail %s {\n\tinterface epair1 { bridge = bridge0; address = 2001:db8:1::3/64; }\n}\n",
		 name);
	r = load(text, &m, errs, sizeof(errs));
	if (!want && r != 0)
		fail_msg("%s: %s", name, errs);
	if (want && (r != -EINVAL || !strstr(errs, want)))
		fail_msg("%s: want '%s', got %d: %s", name, want, r, errs);
	model_free(&m);
}

static void test_jail_names(void **st)
{
	(void)st;
	jail_name("www", NULL);
	jail_name("w3", NULL);
	jail_name("3w", NULL);
	jail_name("a.b", "12:6: jail name 'a.b' has a '.': jail(8) reads it as a jail inside jail 'a'");
	jail_name("web.example.org", "inside jail 'web'");
	jail_name("007", "12:6: jail name '007' is a number");
}

/* Without CONF_F_FREEBSD the same names are fine (the rules are FreeBSD's). */
static void test_linux_unaffected(void **st)
{
	const char *text = HEAD "jail a.b {\n\tinterface veth7 { bridge = bridge0; address = 2001:db8:1::3/64; }\n}\n";
	struct conf_errors e = { 0 };
	struct model m = { 0 };

	(void)st;
	assert_int_equal(conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, &m, &e), 0);
	model_free(&m);
	conf_errors_free(&e);
}

/* Export text (0) or its errors (-EINVAL) for a config. */
static int export(const char *text, struct freebsd_export *x)
{
	struct model m = { 0 };
	struct state empty = { 0 };
	struct plan p = { 0 };
	char errs[2048];
	int r = load(text, &m, errs, sizeof(errs));

	if (r != 0)
		fail_msg("load: %s", errs);
	assert_int_equal(plan_build(&m, &empty, &p), 0);
	r = freebsd_export(&m, &p, "t.conf", x);
	plan_free(&p);
	model_free(&m);
	return r;
}

static void test_export_ipv4_aliases_quotes(void **st)
{
	const char *text =
		"bridge bridge0 {\n\taddress = 2001:db8:1::1/64, 192.0.2.129/25;\n}\n"
		"jail www {\n\texec.start = \"/bin/echo\", \"say \\\"hi\\\"\", \"a b\";\n"
		"\tinterface epair1 { bridge = bridge0; address = 2001:db8:1::3/64, 2001:db8:1::4/64; }\n}\n";
	struct freebsd_export x = { 0 };

	(void)st;
	assert_int_equal(export(text, &x), 0);
	assert_non_null(strstr(x.rc_conf, "\nifconfig_bridge0=\"inet 192.0.2.129/25 up\"\n"));
	assert_non_null(strstr(x.rc_conf, "\nifconfig_bridge0_ipv6=\"inet6 2001:db8:1::1 prefixlen 64 -accept_rtadv\"\n"));
	assert_null(x.sysctl_conf); /* no tunnel, no gifttl */
	/* the second address of the jail's end: its own ifconfig line */
	assert_non_null(strstr(x.jail_conf, "exec.start += \"/sbin/ifconfig epair1b inet6 -ifdisabled 2001:db8:1::4 prefixlen 64 up\";"));
	/* the command: sh words, then jail.conf's escapes */
	assert_non_null(strstr(x.jail_conf, "exec.start += \"/bin/echo 'say \\\"hi\\\"' 'a b'\";"));
	freebsd_export_free(&x);
}

static void test_export_refuses_dollar(void **st)
{
	const char *text = HEAD "jail www {\n\texec.start = \"/bin/echo\", \"$HOME\";\n"
			   "\tinterface epair1 { bridge = bridge0; address = 2001:db8:1::3/64; }\n}\n";
	struct freebsd_export x = { 0 };

	(void)st;
	assert_int_equal(export(text, &x), -EINVAL);
	assert_non_null(x.errors);
	assert_non_null(strstr(x.errors, "t.conf:12:6: jail 'www': exec.start: a '$'"));
	assert_null(x.rc_conf);
	freebsd_export_free(&x);
}

static void test_export_local_auto_refused(void **st)
{
	const char *text =
		"tunnel gif3 {\n\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tlocal = auto;\n"
		"\taddress = 2001:db8:ffff::2/64;\n\tpeer = 2001:db8:ffff::1;\n}\n";
	struct freebsd_export x = { 0 };

	(void)st;
	assert_int_equal(export(text, &x), -EINVAL);
	assert_non_null(strstr(x.errors, "t.conf:1:8: tunnel 'gif3': local = auto:"));
	freebsd_export_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epair_units),
		cmocka_unit_test(test_jail_names),
		cmocka_unit_test(test_linux_unaffected),
		cmocka_unit_test(test_export_ipv4_aliases_quotes),
		cmocka_unit_test(test_export_refuses_dollar),
		cmocka_unit_test(test_export_local_auto_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
