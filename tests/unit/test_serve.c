/* Unit tests of jail6 serve's pieces that need no root: the template
 * renderer's escaping, the form parser, the parent-child protocol against
 * malformed requests, account names, and the parent's first checks of a
 * hostile request (src/serve). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/http.h"
#include "serve/priv.h"
#include "serve/serve_int.h"

static void test_tmpl_escapes(void **st)
{
	struct sbuf b = { 0 };
	struct tmpl_var v[] = { { "x", "<script>alert('1')</script> & \"q\"" }, { "raw", "<b>ok</b>" } };

	tmpl_render(&b, "<p title=\"{{x}}\">{{x}}</p>{{&raw}}", v, 2);
	assert_string_equal(sbuf_str(&b), "<p title=\"&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;q&quot;\">"
					  "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p><b>ok</b>");
	sbuf_free(&b);
	(void)st;
}

static void test_form(void **st)
{
	struct form f;
	const char body[] = "user=a%3Cb%3E+c&password=p%26w&empty=&flag";

	assert_int_equal(form_parse(&f, body, strlen(body)), 0);
	assert_string_equal(form_get(&f, "user"), "a<b> c");
	assert_string_equal(form_get(&f, "password"), "p&w");
	assert_string_equal(form_get(&f, "empty"), "");
	assert_string_equal(form_get(&f, "flag"), "");
	assert_null(form_get(&f, "nope"));
	form_free(&f);
	/* a NUL in a field is refused, not cut short */
	assert_int_equal(form_parse(&f, "a=x%00y", 7), -EINVAL);
	form_free(&f);
	/* a bad escape stays as it is */
	assert_int_equal(form_parse(&f, "a=%zz%4", 7), 0);
	assert_string_equal(form_get(&f, "a"), "%zz%4");
	form_free(&f);
	struct sbuf many = { 0 };
	for (int i = 0; i < MAX_FORM_FIELDS + 1; i++)
		sbuf_printf(&many, "k%d=v&", i);
	assert_int_equal(form_parse(&f, many.p, many.n), -E2BIG);
	form_free(&f);
	sbuf_free(&many);
	(void)st;
}

/* Write raw bytes as a request and read them back as the parent does. */
static int recv_raw(const void *p, size_t n, struct serve_msg *m)
{
	int sp[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(io_write_all(sp[0], p, n), 0);
	close(sp[0]);
	int r = ipc_recv(sp[1], m);
	close(sp[1]);
	return r;
}

struct raw {
	uint32_t len, type, n, l1;
	char s1[4];
};

static void test_ipc_hostile(void **st)
{
	struct serve_msg m;
	struct raw good = { 4 * 3 + 4, SERVE_REQ_AUTH, 1, 4, { 's', ':', 'a', 'b' } };
	struct raw r;

	assert_int_equal(recv_raw(&good, sizeof(good), &m), 1);
	assert_int_equal(m.type, SERVE_REQ_AUTH);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arg[0], "s:ab");
	ipc_msg_free(&m);

	r = good, r.type = 0;
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.type = SERVE_REQ_MAX;
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.n = SERVE_IPC_MAX_ARGS + 1;
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.l1 = 5; /* past the end */
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.l1 = 0xffffffff;
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.l1 = 3; /* a byte left over */
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.s1[1] = '\0'; /* a NUL inside */
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.len = SERVE_IPC_MAX_REQ + 1; /* refused before any allocation */
	assert_int_equal(recv_raw(&r, sizeof(r), &m), -EPROTO);
	r = good, r.len = 100; /* shorter than it says: the peer closed */
	assert_true(recv_raw(&r, sizeof(r), &m) < 0);
	assert_int_equal(recv_raw(&r, 0, &m), 0); /* EOF before a request */
	(void)st;
}

static void test_names(void **st)
{
	assert_true(auth_name_ok("alice"));
	assert_true(auth_name_ok("_ops.team-1"));
	assert_false(auth_name_ok(""));
	assert_false(auth_name_ok("Alice"));
	assert_false(auth_name_ok("1abc"));
	assert_false(auth_name_ok("a b"));
	assert_false(auth_name_ok("a:b"));
	assert_false(auth_name_ok("abcdefghijklmnopqrstuvwxyz0123456"));
	(void)st;
}

/* The parent refuses a request with the wrong count of fields, and one
 * whose credential it did not issue, before it loads anything. */
/* Host: IP literals, localhost and --server-name, each with a port or
 * not; any other name (DNS rebinding) and malformed values refused. */
static void test_host(void **st)
{
	(void)st;
	assert_true(http_host_ok("127.0.0.1:6446", NULL));
	assert_true(http_host_ok("127.0.0.1", NULL));
	assert_true(http_host_ok("[::1]:6446", NULL));
	assert_true(http_host_ok("[2001:db8::1]", NULL));
	assert_true(http_host_ok("localhost:6446", NULL));
	assert_true(http_host_ok("LOCALHOST.", NULL));
	assert_true(http_host_ok("admin.example.org:443", "admin.example.org"));
	assert_false(http_host_ok("evil.example.com:6446", NULL));
	assert_false(http_host_ok("evil.example.com", "admin.example.org"));
	assert_false(http_host_ok("127.0.0.1.evil.example.com", NULL));
	assert_false(http_host_ok("localhost.evil.example.com", NULL));
	assert_false(http_host_ok("", NULL));
	assert_false(http_host_ok(NULL, NULL));
	assert_false(http_host_ok("127.0.0.1:", NULL));
	assert_false(http_host_ok("127.0.0.1:80x", NULL));
	assert_false(http_host_ok("[::1", NULL));
	assert_false(http_host_ok("[::1]x", NULL));
	assert_false(http_host_ok("[evil.example.com]:80", NULL));
	/* Origin on a POST: none (API clients), or this very server */
	assert_true(http_origin_ok(NULL, "127.0.0.1:6446"));
	assert_true(http_origin_ok("http://127.0.0.1:6446", "127.0.0.1:6446"));
	assert_true(http_origin_ok("https://admin.example.org", "admin.example.org"));
	assert_false(http_origin_ok("http://evil.example.com", "127.0.0.1:6446"));
	assert_false(http_origin_ok("http://127.0.0.1:6447", "127.0.0.1:6446"));
	assert_false(http_origin_ok("null", "127.0.0.1:6446"));
	assert_false(http_origin_ok("http://127.0.0.1:6446", NULL));
	assert_false(http_origin_ok("javascript-nope://127.0.0.1:6446", "127.0.0.1:6446"));
}

static void test_priv_refuses(void **st)
{
	struct serve_opts o = { .conf = "/nonexistent/jail6.conf", .users = "/nonexistent/users" };
	struct serve_msg q = { .type = SERVE_REQ_JAIL, .n = 2, .arg = { "s:x", "y" } };
	struct priv_reply out;

	priv_handle(&o, &q, &out);
	assert_int_equal(out.status, 400);
	json_decref(out.doc);
	const char *forged[] = { "s:0000000000000000000000000000000000000000000000000000000000000000", "csrf", "stop", "www", "0" };
	q.n = 5;
	memcpy(q.arg, forged, sizeof(forged));
	priv_handle(&o, &q, &out);
	assert_int_equal(out.status, 401);
	assert_string_equal(json_string_value(json_object_get(out.doc, "code")), "unauthorized");
	json_decref(out.doc);
	const char *bearer[] = { "b:j6_0123456789abcdef_0000", "", "stop", "www", "0" };
	memcpy(q.arg, bearer, sizeof(bearer));
	priv_handle(&o, &q, &out);
	assert_int_equal(out.status, 401);
	json_decref(out.doc);
	/* a session's change without its CSRF token */
	char id[65], csrf[65], cred[70];
	assert_int_equal(auth_session_new("alice", id, csrf), 0);
	snprintf(cred, sizeof(cred), "s:%s", id);
	const char *nocsrf[] = { cred, "", "stop", "www", "0" };
	memcpy(q.arg, nocsrf, sizeof(nocsrf));
	priv_handle(&o, &q, &out);
	assert_int_equal(out.status, 403);
	json_decref(out.doc);
	auth_session_end(id);
	priv_handle(&o, &q, &out);
	assert_int_equal(out.status, 401);
	json_decref(out.doc);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmpl_escapes), cmocka_unit_test(test_form), cmocka_unit_test(test_ipc_hostile),
		cmocka_unit_test(test_names), cmocka_unit_test(test_priv_refuses),
		cmocka_unit_test(test_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
