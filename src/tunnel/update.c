/*
 * The broker's endpoint update over libcurl, and the pure pieces around it
 * (answer parsing, messages, URL building, the key file) kept apart so that
 * unit tests can reach them without a network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "model/model.h"
#include "tunnel/update.h"

/* ---- answers ---- */

/* The printable form of byte ch: itself, or \xNN. Returns its length. */
static size_t escape_byte(unsigned char ch, char tmp[5])
{
	if (ch >= 0x20 && ch < 0x7f) {
		tmp[0] = (char)ch;
		tmp[1] = '\0';
		return 1;
	}
	return (size_t)snprintf(tmp, 5, "\\x%02x", ch);
}

/* Copy len bytes of s into buf (size bytes) as printable ASCII, other bytes
 * as \xNN, ending in "..." when it does not all fit. */
static void printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t total = 0, o = 0;
	bool cut;
	char tmp[5];

	if (size == 0)
		return;
	for (size_t i = 0; i < len; i++)
		total += escape_byte((unsigned char)s[i], tmp);
	cut = total + 1 > size;
	for (size_t i = 0; i < len; i++) {
		size_t n = escape_byte((unsigned char)s[i], tmp);

		if (o + n + (cut ? 3 : 0) + 1 > size)
			break;
		memcpy(buf + o, tmp, n);
		o += n;
	}
	if (cut && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Whether s (of n bytes) is an IPv4 or IPv6 address; copied into ip if so. */
static bool take_ip(const char *s, size_t n, char *ip, size_t size)
{
	char tmp[ADDR_STRLEN];
	unsigned char bin[16];

	if (n == 0 || n >= sizeof(tmp) || n >= size)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) != 1 && inet_pton(AF_INET6, tmp, bin) != 1)
		return false;
	memcpy(ip, tmp, n + 1);
	return true;
}

void tunnel_update_parse(long http_code, const char *body, size_t len,
			 struct tunnel_update_answer *out)
{
	static const struct { const char *word; enum tunnel_update_status st; } codes[] = {
		{ "good", TUNNEL_UPDATE_GOOD }, { "nochg", TUNNEL_UPDATE_NOCHG },
		{ "badauth", TUNNEL_UPDATE_BADAUTH }, { "abuse", TUNNEL_UPDATE_ABUSE },
		{ "nohost", TUNNEL_UPDATE_NOHOST }, { "!yours", TUNNEL_UPDATE_NOHOST },
		{ "notfqdn", TUNNEL_UPDATE_NOHOST }, { "911", TUNNEL_UPDATE_SERVER },
		{ "dnserr", TUNNEL_UPDATE_SERVER },
	};
	size_t start = 0, end = 0, w;

	memset(out, 0, sizeof(*out));
	out->http_code = http_code;
	if (!body)
		len = 0;
	/* the first line, without the blanks around it */
	while (end < len && body[end] != '\n' && body[end] != '\r' && body[end] != '\0')
		end++;
	while (start < end && is_blank(body[start]))
		start++;
	while (end > start && is_blank(body[end - 1]))
		end--;
	printable(body ? body + start : "", end - start, out->text, sizeof(out->text));
	for (w = start; w < end && !is_blank(body[w]); w++)
		;
	printable(body ? body + start : "", w - start, out->code, sizeof(out->code));

	if (http_code < 200 || http_code > 299) {
		out->status = http_code == 401 ? TUNNEL_UPDATE_BADAUTH : TUNNEL_UPDATE_HTTP;
		return;
	}
	out->status = TUNNEL_UPDATE_UNKNOWN;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t a = w;

		if (strlen(codes[i].word) != w - start ||
		    strncasecmp(body + start, codes[i].word, w - start) != 0)
			continue;
		while (a < end && is_blank(body[a]))
			a++;
		if (codes[i].st == TUNNEL_UPDATE_GOOD || codes[i].st == TUNNEL_UPDATE_NOCHG) {
			/* "good" alone, or "good ADDRESS"; anything else is not understood */
			if (a < end && !take_ip(body + a, end - a, out->ip, sizeof(out->ip)))
				return;
		}
		out->status = codes[i].st;
		return;
	}
}

bool tunnel_update_ok(const struct tunnel_update_answer *a)
{
	return a->status == TUNNEL_UPDATE_GOOD || a->status == TUNNEL_UPDATE_NOCHG;
}

bool tunnel_update_retryable(const struct tunnel_update_answer *a)
{
	if (a->status == TUNNEL_UPDATE_HTTP)
		return a->http_code >= 500 && a->http_code <= 599;
	if (a->status != TUNNEL_UPDATE_TRANSPORT)
		return false;
	switch (a->curl_code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_LOGIN_DENIED:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
		return false; /* the same request would fail the same way */
	default:
		return true;
	}
}

/* " (N tries)" when more than one request was made, else "". */
static const char *tries_note(const struct tunnel_update_answer *a, char *buf, size_t len)
{
	if (a->tries <= 1)
		return "";
	snprintf(buf, len, " (%d tries)", a->tries);
	return buf;
}

/* The TRANSPORT message: which of timeout, TLS or anything else. */
static void transport_message(const struct tunnel_update_req *r, const struct tunnel_update_answer *a,
			      const char *url, const char *tries, char *buf, size_t len)
{
	long ms = r->timeout_ms > 0 ? r->timeout_ms : TUNNEL_UPDATE_TIMEOUT_MS;

	switch (a->curl_code) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(buf, len, "%s: no answer from the broker at %s within %ld.%01ld s%s",
			 r->name, url, ms / 1000, ms % 1000 / 100, tries);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(buf, len, "%s: the broker at %s failed TLS verification: %s", r->name, url, a->detail);
		break;
	default:
		snprintf(buf, len, "%s: cannot reach the broker at %s: %s%s", r->name, url, a->detail, tries);
		break;
	}
}

char *tunnel_update_message(const struct tunnel_update_req *r, const struct tunnel_update_answer *a,
			    char *buf, size_t len)
{
	const char *id = r->tunnel_id ? r->tunnel_id : "?", *user = r->user ? r->user : "?";
	char url[256], tries[32] = "", ans[sizeof(a->text) + 16] = "";

	tunnel_update_display_url(r->url ? r->url : MODEL_UPDATE_URL_DEFAULT, url, sizeof(url));
	tries_note(a, tries, sizeof(tries));
	if (a->text[0])
		snprintf(ans, sizeof(ans), ": '%s'", a->text);
	switch (a->status) {
	case TUNNEL_UPDATE_GOOD:
		if (a->ip[0])
			snprintf(buf, len, "%s: endpoint updated to %s", r->name, a->ip);
		else
			snprintf(buf, len, "%s: endpoint updated", r->name);
		break;
	case TUNNEL_UPDATE_NOCHG:
		if (a->ip[0])
			snprintf(buf, len, "%s: endpoint already %s, nothing to change", r->name, a->ip);
		else
			snprintf(buf, len, "%s: endpoint already up to date, nothing to change", r->name);
		break;
	case TUNNEL_UPDATE_BADAUTH:
		if (a->http_code == 401)
			snprintf(buf, len, "%s: the broker refused user '%s' or the update key (HTTP 401): "
				 "check user and update_key_file", r->name, user);
		else
			snprintf(buf, len, "%s: the broker refused user '%s' or the update key (badauth): "
				 "check user and update_key_file", r->name, user);
		break;
	case TUNNEL_UPDATE_ABUSE:
		snprintf(buf, len, "%s: the broker blocks updates of tunnel %s as abuse (abuse): "
			 "update only when the address changes, and wait before trying again", r->name, id);
		break;
	case TUNNEL_UPDATE_NOHOST:
		snprintf(buf, len, "%s: the broker knows no tunnel %s of user '%s' (%s): check tunnel_id and user",
			 r->name, id, user, a->code);
		break;
	case TUNNEL_UPDATE_SERVER:
		snprintf(buf, len, "%s: the broker reports trouble on its side (%s): try again later",
			 r->name, a->code);
		break;
	case TUNNEL_UPDATE_UNKNOWN:
		if (a->text[0])
			snprintf(buf, len, "%s: unexpected answer from the broker at %s: '%s'", r->name, url, a->text);
		else
			snprintf(buf, len, "%s: empty answer from the broker at %s (HTTP %ld)", r->name, url,
				 a->http_code);
		break;
	case TUNNEL_UPDATE_HTTP:
		if (a->http_code >= 500)
			snprintf(buf, len, "%s: the broker at %s failed with HTTP %ld%s%s: try again later",
				 r->name, url, a->http_code, ans, tries);
		else if (a->http_code == 403)
			snprintf(buf, len, "%s: the broker at %s refused access (HTTP 403)%s: "
				 "check user, update_key_file and update_url", r->name, url, ans);
		else if (a->http_code >= 400)
			snprintf(buf, len, "%s: the broker at %s answered HTTP %ld%s: check update_url",
				 r->name, url, a->http_code, ans);
		else
			snprintf(buf, len, "%s: unexpected HTTP %ld from the broker at %s (redirects are not followed)",
				 r->name, a->http_code, url);
		break;
	case TUNNEL_UPDATE_TRANSPORT:
		transport_message(r, a, url, tries, buf, len);
		break;
	}
	return buf;
}

/* ---- URLs ---- */

/* Why base is not an http(s) URL with a host, or NULL; u holds it parsed. */
static const char *url_problem(CURLU *u, const char *base)
{
	char *host = NULL;
	const char *why = NULL;

	if (strncasecmp(base, "http://", 7) != 0 && strncasecmp(base, "https://", 8) != 0)
		return "must start with http:// or https://";
	for (const char *p = base; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "must not contain spaces or control characters";
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
		return "is not a valid URL";
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
		why = "has no host";
	curl_free(host);
	return why;
}

int tunnel_update_build_url(const char *base, const char *tunnel_id, const char *myip,
			    char **out, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *id = NULL, *ip = NULL, *q = NULL, *url = NULL, shown[160];
	const char *why;
	int e = 0;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	if ((why = url_problem(u, base))) {
		printable(base, strlen(base), shown, sizeof(shown));
		snprintf(err, errlen, "update URL '%s' %s", shown, why);
		e = -EINVAL;
		goto cleanup;
	}
	/* the handle argument of curl_easy_escape is unused since 7.82 */
	id = curl_easy_escape(NULL, tunnel_id, 0);
	ip = myip ? curl_easy_escape(NULL, myip, 0) : NULL;
	if (!id || (myip && !ip) ||
	    asprintf(&q, "hostname=%s%s%s", id, ip ? "&myip=" : "", ip ? ip : "") < 0) {
		q = NULL;
		e = -ENOMEM;
		goto cleanup;
	}
	if (curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		e = -ENOMEM;
		goto cleanup;
	}
	*out = strdup(url);
	if (!*out)
		e = -ENOMEM;
cleanup:
	curl_free(id);
	curl_free(ip);
	curl_free(url);
	free(q);
	curl_url_cleanup(u);
	return e;
}

char *tunnel_update_display_url(const char *url, char *buf, size_t len)
{
	static const CURLUPart hide[] = {
		CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY, CURLUPART_FRAGMENT,
	};
	CURLU *u = curl_url();
	char *s = NULL;

	snprintf(buf, len, "(invalid URL)");
	if (!u)
		return buf;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		for (size_t i = 0; i < sizeof(hide) / sizeof(hide[0]); i++)
			curl_url_set(u, hide[i], NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
			printable(s, strlen(s), buf, len);
	}
	curl_free(s);
	curl_url_cleanup(u);
	return buf;
}

/* ---- the key file ---- */

int tunnel_update_key_read(const char *path, uid_t owner, char *key, size_t len,
			   char *err, size_t errlen)
{
	char buf[TUNNEL_UPDATE_KEY_MAX * 4];
	size_t n = 0, start = 0;
	struct stat st;
	ssize_t got;
	int fd, e = 0;

	if (len)
		key[0] = '\0';
	/* O_NONBLOCK: a FIFO must not hang us before fstat() turns it down */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "update key file %s: %s", path, strerror(-e));
		return e;
	}
	/* fstat on what was opened: no window between check and use */
	if (fstat(fd, &st) < 0) {
		e = -errno;
		snprintf(err, errlen, "update key file %s: %s", path, strerror(-e));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "update key file %s is not a regular file", path);
		e = -EINVAL;
		goto cleanup;
	}
	if (st.st_uid != owner) {
		snprintf(err, errlen, "update key file %s is owned by uid %lu (mode %04o); it must be owned by %s%lu"
			 " (chown %lu %s)", path, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777),
			 owner == 0 ? "root, uid " : "uid ", (unsigned long)owner, (unsigned long)owner, path);
		e = -EPERM;
		goto cleanup;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "update key file %s has mode %04o: group or others may read or write it"
			 " (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
		e = -EPERM;
		goto cleanup;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			e = -errno;
			snprintf(err, errlen, "update key file %s: %s", path, strerror(-e));
			goto cleanup;
		}
		n += (size_t)got;
	}
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	while (start < n && strchr(" \t\r\n", buf[start]))
		start++;
	if (start == n) {
		snprintf(err, errlen, "update key file %s is empty", path);
		e = -EINVAL;
		goto cleanup;
	}
	if (n - start >= len || n - start >= TUNNEL_UPDATE_KEY_MAX) {
		snprintf(err, errlen, "update key file %s is too long for an update key (at most %d characters)",
			 path, TUNNEL_UPDATE_KEY_MAX - 1);
		e = -EINVAL;
		goto cleanup;
	}
	for (size_t i = start; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch <= 0x20 || ch >= 0x7f) {
			snprintf(err, errlen, "update key file %s must hold the key alone on one line"
				 " (printable characters, no spaces)", path);
			e = -EINVAL;
			goto cleanup;
		}
	}
	memcpy(key, buf + start, n - start);
	key[n - start] = '\0';
cleanup:
	explicit_bzero(buf, sizeof(buf));
	if (e && len)
		explicit_bzero(key, len);
	close(fd);
	return e;
}

/* ---- the call ---- */

/* The first TUNNEL_UPDATE_BODY_MAX bytes of an answer; the rest is dropped. */
struct body {
	char buf[TUNNEL_UPDATE_BODY_MAX];
	size_t len;
};

static size_t body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb, room = sizeof(b->buf) - b->len;

	memcpy(b->buf + b->len, data, n < room ? n : room);
	b->len += n < room ? n : room;
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	/* nanosleep leaves the rest in ts after a signal: bounded in total */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Set the options of one update request on h. */
static CURLcode setup(CURL *h, const struct tunnel_update_req *r, const char *url, struct body *b,
		      char *errbuf)
{
	long ms = r->timeout_ms > 0 ? r->timeout_ms : TUNNEL_UPDATE_TIMEOUT_MS;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPGET, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	SET(CURLOPT_USERNAME, r->user);
	SET(CURLOPT_PASSWORD, r->key);
	SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
	SET(CURLOPT_TIMEOUT_MS, ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_USERAGENT, "jail6 tunnel update");
	SET(CURLOPT_WRITEFUNCTION, body_write);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	return rc;
}

/* One request: its HTTP answer parsed, or the transport error. */
static void request(CURL *h, struct body *b, char *errbuf, struct tunnel_update_answer *out)
{
	CURLcode rc;
	long code = 0;
	size_t n;

	b->len = 0;
	errbuf[0] = '\0';
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		tunnel_update_parse(code, b->buf, b->len, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->status = TUNNEL_UPDATE_TRANSPORT;
	out->curl_code = (int)rc;
	n = strlen(errbuf);
	while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '\r'))
		n--;
	if (n)
		printable(errbuf, n, out->detail, sizeof(out->detail));
	else
		snprintf(out->detail, sizeof(out->detail), "%s", curl_easy_strerror(rc));
}

int tunnel_update_call(const struct tunnel_update_req *r, struct tunnel_update_answer *out)
{
	int tries = r->tries > 0 ? r->tries : TUNNEL_UPDATE_TRIES;
	long pause = r->pause_ms >= 0 ? r->pause_ms : TUNNEL_UPDATE_PAUSE_MS;
	char errbuf[CURL_ERROR_SIZE], *url = NULL;
	struct body *b = NULL;
	bool global = false;
	CURL *h = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	e = tunnel_update_build_url(r->url ? r->url : MODEL_UPDATE_URL_DEFAULT, r->tunnel_id, r->myip,
				    &url, out->detail, sizeof(out->detail));
	if (e < 0)
		goto cleanup;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		e = -ENOMEM;
		goto cleanup;
	}
	global = true;
	b = calloc(1, sizeof(*b));
	h = curl_easy_init();
	if (!b || !h || setup(h, r, url, b, errbuf) != CURLE_OK) {
		e = -ENOMEM;
		goto cleanup;
	}
	for (int t = 1; t <= tries; t++) {
		request(h, b, errbuf, out);
		out->tries = t;
		if (t == tries || !tunnel_update_retryable(out))
			break;
		if (r->on_retry)
			r->on_retry(r->arg, r, t, out);
		sleep_ms(pause);
	}
cleanup:
	if (h)
		curl_easy_cleanup(h);
	if (global)
		curl_global_cleanup();
	free(b);
	free(url);
	return e;
}
