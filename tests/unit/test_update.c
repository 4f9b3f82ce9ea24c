/*
 * Unit tests of the broker endpoint update (src/tunnel/update.c): parsing of
 * every kind of answer, the messages, which failures are retried, the key
 * file's checks on temporary files, URL building and escaping, and the call
 * itself against loopback sockets of this process (refused, silent) and a
 * forked one-shot HTTP server that checks the request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tunnel/update.h"

static const struct tunnel_update_req REQ = {
	.name = "he0", .url = "https://ipv4.tunnelbroker.net/nic/update",
	.tunnel_id = "1234", .user = "alice", .key = "s3cr3tkey",
};

static struct tunnel_update_answer parse(long code, const char *body)
{
	struct tunnel_update_answer a;

	tunnel_update_parse(code, body, body ? strlen(body) : 0, &a);
	return a;
}

/* The message of parse(code, body) for REQ. */
static const char *msg_of(long code, const char *body, char *buf, size_t len)
{
	struct tunnel_update_answer a = parse(code, body);

	return tunnel_update_message(&REQ, &a, buf, len);
}

/* ---- answers ---- */

/* 1. good and nochg with the address, with the line endings servers use. */
static void test_parse_good_nochg(void **state)
{
	struct tunnel_update_answer a;

	(void)state;
	a = parse(200, "good 203.0.113.2");
	assert_int_equal(a.status, TUNNEL_UPDATE_GOOD);
	assert_string_equal(a.ip, "203.0.113.2");
	assert_string_equal(a.code, "good");
	assert_true(tunnel_update_ok(&a));
	a = parse(200, "nochg 203.0.113.2\r\n");
	assert_int_equal(a.status, TUNNEL_UPDATE_NOCHG);
	assert_string_equal(a.ip, "203.0.113.2");
	assert_true(tunnel_update_ok(&a));
	a = parse(200, "  good\t198.51.100.7  \nsecond line ignored\n");
	assert_int_equal(a.status, TUNNEL_UPDATE_GOOD);
	assert_string_equal(a.ip, "198.51.100.7");
	a = parse(200, "good\n");
	assert_int_equal(a.status, TUNNEL_UPDATE_GOOD);
	assert_string_equal(a.ip, "");
	a = parse(200, "NOCHG 2001:db8::1");
	assert_int_equal(a.status, TUNNEL_UPDATE_NOCHG);
	assert_string_equal(a.ip, "2001:db8::1");
}

/* 2. "good" followed by something that is not one address is not success. */
static void test_parse_good_garbage(void **state)
{
	struct tunnel_update_answer a;

	(void)state;
	a = parse(200, "good 203.0.113.300");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
	assert_false(tunnel_update_ok(&a));
	a = parse(200, "good 203.0.113.2 extra");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
	a = parse(200, "goodness 203.0.113.2");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
	assert_string_equal(a.code, "goodness");
	a = parse(200, "nochg;rm -rf /");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
}

/* 3. Every error word of the Dyn protocol that HE uses. */
static void test_parse_errors(void **state)
{
	static const struct { const char *body; enum tunnel_update_status st; } cases[] = {
		{ "badauth", TUNNEL_UPDATE_BADAUTH }, { "abuse\n", TUNNEL_UPDATE_ABUSE },
		{ "nohost", TUNNEL_UPDATE_NOHOST }, { "!yours", TUNNEL_UPDATE_NOHOST },
		{ "notfqdn", TUNNEL_UPDATE_NOHOST }, { "911", TUNNEL_UPDATE_SERVER },
		{ "dnserr", TUNNEL_UPDATE_SERVER }, { "-ERROR: Invalid API key", TUNNEL_UPDATE_UNKNOWN },
		{ "", TUNNEL_UPDATE_UNKNOWN }, { "\ngood 203.0.113.2", TUNNEL_UPDATE_UNKNOWN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tunnel_update_answer a = parse(200, cases[i].body);

		if (a.status != cases[i].st)
			print_message("body '%s': status %d, want %d\n", cases[i].body, a.status, cases[i].st);
		assert_int_equal(a.status, cases[i].st);
		assert_false(tunnel_update_ok(&a));
		assert_false(tunnel_update_retryable(&a));
	}
}

/* 4. HTTP statuses: 401 is an authentication failure whatever the body;
 * other non-2xx are HTTP failures even when the body says "good". */
static void test_parse_http(void **state)
{
	struct tunnel_update_answer a;

	(void)state;
	a = parse(401, "Unauthorized");
	assert_int_equal(a.status, TUNNEL_UPDATE_BADAUTH);
	assert_int_equal(a.http_code, 401);
	a = parse(404, "good 203.0.113.2");
	assert_int_equal(a.status, TUNNEL_UPDATE_HTTP);
	assert_false(tunnel_update_ok(&a));
	a = parse(500, NULL);
	assert_int_equal(a.status, TUNNEL_UPDATE_HTTP);
	assert_string_equal(a.text, "");
	a = parse(302, "");
	assert_int_equal(a.status, TUNNEL_UPDATE_HTTP);
	a = parse(204, "");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
}

/* 5. The text kept for messages is printable and bounded, whatever came. */
static void test_parse_text_sanitized(void **state)
{
	struct tunnel_update_answer a;
	char big[1000];
	static const char bin[] = "bad\x01\x1b[31m\xff";

	(void)state;
	a = parse(200, bin);
	assert_string_equal(a.text, "bad\\x01\\x1b[31m\\xff");
	assert_int_equal(a.status, TUNNEL_UPDATE_UNKNOWN);
	/* a NUL ends the line: nothing after it is read */
	tunnel_update_parse(200, "nochg\0 evil", 11, &a);
	assert_int_equal(a.status, TUNNEL_UPDATE_NOCHG);
	assert_string_equal(a.text, "nochg");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = parse(200, big);
	assert_int_equal(strlen(a.text), sizeof(a.text) - 1);
	assert_string_equal(a.text + sizeof(a.text) - 4, "...");
	assert_int_equal(strlen(a.code), sizeof(a.code) - 1);
	/* a body that is not NUL-terminated is read only up to len */
	tunnel_update_parse(200, "good 203.0.113.2XXXX", 16, &a);
	assert_int_equal(a.status, TUNNEL_UPDATE_GOOD);
	assert_string_equal(a.ip, "203.0.113.2");
}

/* 6. Only transport errors (not a bad URL or TLS verification) and 5xx are retried. */
static void test_retryable(void **state)
{
	struct tunnel_update_answer a = { .status = TUNNEL_UPDATE_TRANSPORT };

	(void)state;
	a.curl_code = CURLE_COULDNT_CONNECT;
	assert_true(tunnel_update_retryable(&a));
	a.curl_code = CURLE_OPERATION_TIMEDOUT;
	assert_true(tunnel_update_retryable(&a));
	a.curl_code = CURLE_COULDNT_RESOLVE_HOST;
	assert_true(tunnel_update_retryable(&a));
	a.curl_code = CURLE_PEER_FAILED_VERIFICATION;
	assert_false(tunnel_update_retryable(&a));
	a.curl_code = CURLE_URL_MALFORMAT;
	assert_false(tunnel_update_retryable(&a));
	a = parse(500, "");
	assert_true(tunnel_update_retryable(&a));
	a = parse(503, "busy");
	assert_true(tunnel_update_retryable(&a));
	a = parse(404, "");
	assert_false(tunnel_update_retryable(&a));
	a = parse(401, "");
	assert_false(tunnel_update_retryable(&a));
	a = parse(200, "good 203.0.113.2");
	assert_false(tunnel_update_retryable(&a));
}

/* 7. One clear message per outcome; the key is in none of them. */
static void test_messages(void **state)
{
	static const struct { long code; const char *body; const char *want; } cases[] = {
		{ 200, "good 203.0.113.2", "he0: endpoint updated to 203.0.113.2" },
		{ 200, "good", "he0: endpoint updated" },
		{ 200, "nochg 203.0.113.2", "he0: endpoint already 203.0.113.2, nothing to change" },
		{ 200, "badauth", "he0: the broker refused user 'alice' or the update key (badauth): "
				  "check user and update_key_file" },
		{ 401, "", "he0: the broker refused user 'alice' or the update key (HTTP 401): "
			   "check user and update_key_file" },
		{ 200, "abuse", "he0: the broker blocks updates of tunnel 1234 as abuse (abuse): "
				"update only when the address changes, and wait before trying again" },
		{ 200, "nohost", "he0: the broker knows no tunnel 1234 of user 'alice' (nohost): "
				 "check tunnel_id and user" },
		{ 200, "!yours", "he0: the broker knows no tunnel 1234 of user 'alice' (!yours): "
				 "check tunnel_id and user" },
		{ 200, "911", "he0: the broker reports trouble on its side (911): try again later" },
		{ 200, "Tunnel is not pingable", "he0: unexpected answer from the broker at "
			"https://ipv4.tunnelbroker.net/nic/update: 'Tunnel is not pingable'" },
		{ 200, "", "he0: empty answer from the broker at https://ipv4.tunnelbroker.net/nic/update (HTTP 200)" },
		{ 404, "Not Found", "he0: the broker at https://ipv4.tunnelbroker.net/nic/update answered "
				    "HTTP 404: 'Not Found': check update_url" },
		{ 403, "", "he0: the broker at https://ipv4.tunnelbroker.net/nic/update refused access (HTTP 403): "
			   "check user, update_key_file and update_url" },
		{ 503, "", "he0: the broker at https://ipv4.tunnelbroker.net/nic/update failed with HTTP 503: "
			   "try again later" },
		{ 301, "", "he0: unexpected HTTP 301 from the broker at https://ipv4.tunnelbroker.net/nic/update "
			   "(redirects are not followed)" },
	};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg_of(cases[i].code, cases[i].body, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
		assert_null(strstr(buf, REQ.key));
	}
}

/* 8. Transport failures: timeout, TLS, the rest; tries counted; the URL
 * shown without credentials or query. */
static void test_transport_messages(void **state)
{
	struct tunnel_update_req r = REQ;
	struct tunnel_update_answer a = { .status = TUNNEL_UPDATE_TRANSPORT, .tries = 3 };
	char buf[512];

	(void)state;
	r.url = "https://bob:hunter2@broker.example:8443/nic/update?x=1";
	r.timeout_ms = 1500;
	a.curl_code = CURLE_OPERATION_TIMEDOUT;
	tunnel_update_message(&r, &a, buf, sizeof(buf));
	assert_string_equal(buf, "he0: no answer from the broker at https://broker.example:8443/nic/update "
				 "within 1.5 s (3 tries)");
	a.curl_code = CURLE_COULDNT_CONNECT;
	snprintf(a.detail, sizeof(a.detail), "Failed to connect to broker.example port 8443: Connection refused");
	tunnel_update_message(&r, &a, buf, sizeof(buf));
	assert_string_equal(buf, "he0: cannot reach the broker at https://broker.example:8443/nic/update: "
				 "Failed to connect to broker.example port 8443: Connection refused (3 tries)");
	assert_null(strstr(buf, "hunter2"));
	a.curl_code = CURLE_PEER_FAILED_VERIFICATION;
	a.tries = 1;
	snprintf(a.detail, sizeof(a.detail), "SSL: no alternative certificate subject name matches");
	tunnel_update_message(&r, &a, buf, sizeof(buf));
	assert_string_equal(buf, "he0: the broker at https://broker.example:8443/nic/update failed TLS "
				 "verification: SSL: no alternative certificate subject name matches");
	r.url = NULL; /* the default URL */
	a.curl_code = CURLE_OPERATION_TIMEDOUT;
	r.timeout_ms = 0;
	tunnel_update_message(&r, &a, buf, sizeof(buf));
	assert_string_equal(buf, "he0: no answer from the broker at https://ipv4.tunnelbroker.net/nic/update "
				 "within 5.0 s");
}

/* ---- URLs ---- */

static void build_ok(const char *base, const char *id, const char *myip, const char *want)
{
	char err[256] = "", *url = NULL;
	int r = tunnel_update_build_url(base, id, myip, &url, err, sizeof(err));

	if (r)
		print_message("%s: %s\n", base, err);
	assert_int_equal(r, 0);
	/* libcurl may write %xx in either case: compare them in upper case */
	for (char *p = url; (p = strchr(p, '%')) && p[1] && p[2]; p += 3) {
		p[1] = (char)toupper((unsigned char)p[1]);
		p[2] = (char)toupper((unsigned char)p[2]);
	}
	assert_string_equal(url, want);
	free(url);
}

static void build_fails(const char *base, const char *want)
{
	char err[256] = "", *url = (char *)"x";

	assert_int_equal(tunnel_update_build_url(base, "1", NULL, &url, err, sizeof(err)), -EINVAL);
	assert_null(url);
	assert_string_equal(err, want);
}

/* 9. hostname and myip appended, percent-escaped, after an existing query. */
static void test_build_url(void **state)
{
	(void)state;
	build_ok("https://ipv4.tunnelbroker.net/nic/update", "1234", NULL,
		 "https://ipv4.tunnelbroker.net/nic/update?hostname=1234");
	build_ok("https://ipv4.tunnelbroker.net/nic/update", "1234", "203.0.113.2",
		 "https://ipv4.tunnelbroker.net/nic/update?hostname=1234&myip=203.0.113.2");
	build_ok("http://127.0.0.1:8080/nic/update", "a&b=c d/#?%", NULL,
		 "http://127.0.0.1:8080/nic/update?hostname=a%26b%3Dc%20d%2F%23%3F%25");
	build_ok("http://127.0.0.1:8080/nic/update", "\xc3\xa9t\xc3\xa9", NULL,
		 "http://127.0.0.1:8080/nic/update?hostname=%C3%A9t%C3%A9");
	build_ok("http://h.example/update?v=2", "7", NULL, "http://h.example/update?v=2&hostname=7");
	build_ok("HTTPS://h.example", "7", NULL, "https://h.example/?hostname=7");
}

/* 10. Only http(s) URLs with a host. */
static void test_build_url_errors(void **state)
{
	(void)state;
	build_fails("ftp://h.example/nic/update", "update URL 'ftp://h.example/nic/update' must start with http:// or https://");
	build_fails("file:///etc/passwd", "update URL 'file:///etc/passwd' must start with http:// or https://");
	build_fails("h.example/nic/update", "update URL 'h.example/nic/update' must start with http:// or https://");
	build_fails("http://", "update URL 'http://' is not a valid URL");
	build_fails("http://h.example/a b", "update URL 'http://h.example/a b' must not contain spaces or control characters");
	build_fails("http://h.example/\n", "update URL 'http://h.example/\\x0a' must not contain spaces or control characters");
}

/* 11. What is shown of a URL: no user, password, query or fragment. */
static void test_display_url(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(tunnel_update_display_url("https://u:p@h.example:8443/nic/update?hostname=1&x=2#f",
						      buf, sizeof(buf)), "https://h.example:8443/nic/update");
	assert_string_equal(tunnel_update_display_url("not a url", buf, sizeof(buf)), "(invalid URL)");
}

/* ---- the key file ---- */

struct keydir {
	char dir[64];
	char path[128];
};

static int key_setup(void **state)
{
	struct keydir *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	snprintf(k->dir, sizeof(k->dir), "/tmp/jail6-test-update-XXXXXX");
	if (!mkdtemp(k->dir)) {
		free(k);
		return -1;
	}
	snprintf(k->path, sizeof(k->path), "%s/he.key", k->dir);
	*state = k;
	return 0;
}

static int key_teardown(void **state)
{
	struct keydir *k = *state;

	unlink(k->path);
	rmdir(k->dir);
	free(k);
	return 0;
}

/* Write text to path with the given mode (chmod after: umask does not matter). */
static void put_key(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Read the key as owned by us; returns the result, key and err filled. */
static int read_key(const char *path, char *key, size_t len, char *err, size_t errlen)
{
	err[0] = '\0';
	return tunnel_update_key_read(path, getuid(), key, len, err, errlen);
}

/* 12. A 0600 and a 0400 file of the right owner give the key, trimmed. */
static void test_key_ok(void **state)
{
	struct keydir *k = *state;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512];

	put_key(k->path, "  Zx81aQ9m0b\n", 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), 0);
	assert_string_equal(key, "Zx81aQ9m0b");
	put_key(k->path, "k3y\r\n\r\n", 0400);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), 0);
	assert_string_equal(key, "k3y");
}

/* 13. Group or other bits set: refused, naming the file and its mode. */
static void test_key_mode(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0660, 0644, 0602, 0620, 0700 | 01 };
	struct keydir *k = *state;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512], want[512];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		put_key(k->path, "Zx81aQ9m0b\n", modes[i]);
		memset(key, 'A', sizeof(key));
		assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EPERM);
		snprintf(want, sizeof(want), "update key file %s has mode %04o: group or others may read or "
			 "write it (chmod 600 %s)", k->path, (unsigned)modes[i], k->path);
		assert_string_equal(err, want);
		assert_null(strstr(err, "Zx81aQ9m0b"));
		/* nothing of the key is left in the buffer */
		for (size_t j = 0; j < sizeof(key); j++)
			assert_int_equal(key[j], 0);
	}
}

/* 14. Owned by someone else: refused with the owner's uid. As root, also a
 * real chown to another uid against the required root. */
static void test_key_owner(void **state)
{
	struct keydir *k = *state;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512], want[512];
	uid_t other = getuid() + 1;

	put_key(k->path, "Zx81aQ9m0b\n", 0600);
	err[0] = '\0';
	assert_int_equal(tunnel_update_key_read(k->path, other, key, sizeof(key), err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "update key file %s is owned by uid %lu (mode 0600); it must be owned by "
		 "uid %lu (chown %lu %s)", k->path, (unsigned long)getuid(), (unsigned long)other,
		 (unsigned long)other, k->path);
	assert_string_equal(err, want);
	if (geteuid() != 0) {
		print_message("not root: the chown part is skipped\n");
		skip(); /* counted as a skip by tests/run, not passed */
	}
	assert_int_equal(chown(k->path, 65534, 65534), 0);
	assert_int_equal(tunnel_update_key_read(k->path, 0, key, sizeof(key), err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "update key file %s is owned by uid 65534 (mode 0600); it must be owned by "
		 "root, uid 0 (chown 0 %s)", k->path, k->path);
	assert_string_equal(err, want);
	assert_int_equal(chown(k->path, 0, 0), 0);
	assert_int_equal(tunnel_update_key_read(k->path, 0, key, sizeof(key), err, sizeof(err)), 0);
	assert_string_equal(key, "Zx81aQ9m0b");
}

/* 15. Not a regular file (a directory, a FIFO: without hanging), missing. */
static void test_key_not_regular(void **state)
{
	struct keydir *k = *state;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512], want[512];

	assert_int_equal(read_key(k->dir, key, sizeof(key), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "update key file %s is not a regular file", k->dir);
	assert_string_equal(err, want);
	unlink(k->path);
	assert_int_equal(mkfifo(k->path, 0600), 0);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "update key file %s is not a regular file", k->path);
	assert_string_equal(err, want);
	unlink(k->path);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "update key file %s: No such file or directory", k->path);
	assert_string_equal(err, want);
}

/* 16. Contents: empty, several lines, a space inside, too long. */
static void test_key_contents(void **state)
{
	struct keydir *k = *state;
	char key[TUNNEL_UPDATE_KEY_MAX], err[512], want[512], big[TUNNEL_UPDATE_KEY_MAX + 2];

	put_key(k->path, " \n\t\n", 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "update key file %s is empty", k->path);
	assert_string_equal(err, want);
	put_key(k->path, "first\nsecond\n", 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "update key file %s must hold the key alone on one line "
		 "(printable characters, no spaces)", k->path);
	assert_string_equal(err, want);
	put_key(k->path, "two words\n", 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put_key(k->path, big, 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "update key file %s is too long for an update key (at most %d characters)",
		 k->path, TUNNEL_UPDATE_KEY_MAX - 1);
	assert_string_equal(err, want);
	big[TUNNEL_UPDATE_KEY_MAX - 1] = '\0'; /* the longest that fits */
	put_key(k->path, big, 0600);
	assert_int_equal(read_key(k->path, key, sizeof(key), err, sizeof(err)), 0);
	assert_int_equal(strlen(key), TUNNEL_UPDATE_KEY_MAX - 1);
}

/* ---- the call, against loopback sockets of this process ---- */

/* A TCP socket bound to 127.0.0.1:0, listening or not; its port in *port. */
static int loopback_socket(bool listening, int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void count_retry(void *arg, const struct tunnel_update_req *r, int try,
			const struct tunnel_update_answer *a)
{
	int *n = arg;

	(void)r;
	assert_int_equal(try, *n + 1);
	assert_int_equal(a->status, TUNNEL_UPDATE_TRANSPORT);
	(*n)++;
}

/* 17. Refused: all tries made, each announced, a transport failure. */
static void test_call_refused(void **state)
{
	struct tunnel_update_req r = REQ;
	struct tunnel_update_answer a;
	char url[64];
	int port, n = 0, fd = loopback_socket(false, &port);

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/nic/update", port);
	r.url = url;
	r.tries = 3;
	r.pause_ms = 0;
	r.timeout_ms = 2000;
	r.on_retry = count_retry;
	r.arg = &n;
	assert_int_equal(tunnel_update_call(&r, &a), 0);
	assert_int_equal(a.status, TUNNEL_UPDATE_TRANSPORT);
	assert_int_equal(a.curl_code, CURLE_COULDNT_CONNECT);
	assert_int_equal(a.tries, 3);
	assert_int_equal(n, 2);
	assert_false(tunnel_update_ok(&a));
	close(fd);
}

/* 18. A server that accepts but never answers: each try ends at the timeout. */
static void test_call_timeout(void **state)
{
	struct tunnel_update_req r = REQ;
	struct tunnel_update_answer a;
	char url[64];
	int port, fd = loopback_socket(true, &port);

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/nic/update", port);
	r.url = url;
	r.tries = 2;
	r.pause_ms = 100;
	r.timeout_ms = 300;
	/* the outcome says each try ended at its timeout; how long that took
	 * is the machine's business, not the test's */
	assert_int_equal(tunnel_update_call(&r, &a), 0);
	assert_int_equal(a.status, TUNNEL_UPDATE_TRANSPORT);
	assert_int_equal(a.curl_code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(a.tries, 2);
	close(fd);
}

/* 19. A bad URL is refused before any request. */
static void test_call_bad_url(void **state)
{
	struct tunnel_update_req r = REQ;
	struct tunnel_update_answer a;

	(void)state;
	r.url = "gopher://h.example/";
	assert_int_equal(tunnel_update_call(&r, &a), -EINVAL);
	assert_string_equal(a.detail, "update URL 'gopher://h.example/' must start with http:// or https://");
	assert_int_equal(a.tries, 0);
}

/* Serve one HTTP request on fd in a child: answer `answer` when the request
 * line and the basic auth header are as expected, else 400 "unexpected". */
static pid_t serve_once(int fd, const char *want_line, const char *want_auth, const char *answer)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char req[4096], resp[512];
		size_t n = 0;
		ssize_t got;
		int c = accept(fd, NULL, NULL);
		bool ok;

		alarm(10);
		while (c >= 0 && n < sizeof(req) - 1 && (got = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)got;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		ok = strncmp(req, want_line, strlen(want_line)) == 0 && strstr(req, want_auth);
		snprintf(resp, sizeof(resp), "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nConnection: close\r\n"
			 "Content-Length: %zu\r\n\r\n%s", ok ? "200 OK" : "400 Bad Request",
			 strlen(ok ? answer : "unexpected"), ok ? answer : "unexpected");
		if (write(c, resp, strlen(resp)) < 0)
			_exit(2);
		close(c);
		_exit(ok ? 0 : 1);
	}
	return pid;
}

/* 20. The request itself: GET with hostname and myip, basic auth user:key
 * (alice:s3cr3tkey is YWxpY2U6czNjcjN0a2V5), and the answer parsed. */
static void test_call_request(void **state)
{
	struct tunnel_update_req r = REQ;
	struct tunnel_update_answer a;
	char url[64];
	int port, st, fd = loopback_socket(true, &port);
	pid_t pid;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/nic/update", port);
	r.url = url;
	r.myip = "203.0.113.9";
	r.pause_ms = 0;
	pid = serve_once(fd, "GET /nic/update?hostname=1234&myip=203.0.113.9 HTTP/1.1\r\n",
			 "\r\nAuthorization: Basic YWxpY2U6czNjcjN0a2V5\r\n", "good 203.0.113.9\n");
	assert_int_equal(tunnel_update_call(&r, &a), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(a.status, TUNNEL_UPDATE_GOOD);
	assert_string_equal(a.ip, "203.0.113.9");
	assert_int_equal(a.tries, 1);
	assert_int_equal(a.http_code, 200);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good_nochg),
		cmocka_unit_test(test_parse_good_garbage),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_http),
		cmocka_unit_test(test_parse_text_sanitized),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_transport_messages),
		cmocka_unit_test(test_build_url),
		cmocka_unit_test(test_build_url_errors),
		cmocka_unit_test(test_display_url),
		cmocka_unit_test_setup_teardown(test_key_ok, key_setup, key_teardown),
		cmocka_unit_test_setup_teardown(test_key_mode, key_setup, key_teardown),
		cmocka_unit_test_setup_teardown(test_key_owner, key_setup, key_teardown),
		cmocka_unit_test_setup_teardown(test_key_not_regular, key_setup, key_teardown),
		cmocka_unit_test_setup_teardown(test_key_contents, key_setup, key_teardown),
		cmocka_unit_test(test_call_refused),
		cmocka_unit_test(test_call_timeout),
		cmocka_unit_test(test_call_bad_url),
		cmocka_unit_test(test_call_request),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
