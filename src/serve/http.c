/*
 * The unprivileged HTTP child: libmicrohttpd on the socket the parent
 * opened, one thread, no state of its own but the parent's answers. It
 * knows no password hash, no session list and no file: every request
 * becomes one typed request to the parent (ipc.c), and the reply is shown
 * as a page (pages.c) or as JSON (api.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "serve/http.h"
#include "serve/pages.h"

#define MAX_BODY (64 * 1024)

static const struct serve_child *C;

struct req {
	struct sbuf body;
	bool too_big;
};

void resp_free(struct resp *r)
{
	sbuf_free(&r->body);
}

int http_call_raw(enum serve_req type, const char *const *args, size_t n, char **body)
{
	int status = 0, r = ipc_call(C->ipc_fd, type, args, n, &status, body);

	if (r < 0) {
		/* the parent is gone or broke the protocol: nothing to serve */
		fprintf(stderr, "jail6 serve (http): parent: %s\n", strerror(-r));
		_exit(1);
	}
	return status;
}

/* The last status document the parent sent, parsed: the parent keeps one
 * for a second, so a page reloaded meanwhile parses nothing again. */
static struct {
	char *text;
	json_t *doc;
} last_status;

int http_call(enum serve_req type, const char *const *args, size_t n, json_t **doc)
{
	char *body = NULL;
	int status = http_call_raw(type, args, n, &body);

	if (type == SERVE_REQ_STATUS && status == 200 && last_status.text && !strcmp(body, last_status.text)) {
		free(body);
		*doc = json_incref(last_status.doc);
		return status;
	}
	*doc = json_loads(body, 0, NULL);
	if (type == SERVE_REQ_STATUS && status == 200 && *doc) {
		free(last_status.text);
		json_decref(last_status.doc);
		last_status.text = strdup(body);
		last_status.doc = last_status.text ? json_incref(*doc) : NULL;
	}
	free(body);
	if (!*doc) {
		*doc = json_pack("{s:s, s:s}", "code", "failed", "message", "bad reply");
		return 500;
	}
	return status;
}

const char *http_conf(void)
{
	return C->conf;
}

bool http_tls(void)
{
	return C->tls;
}

const char *form_get(const struct form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->key[i], key))
			return f->val[i];
	return NULL;
}

/* One %XX-decoded piece of an urlencoded body ('+' is a space); NULL
 * when it holds a NUL, which no field may. */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };
			*o++ = (char)strtoul(h, NULL, 16);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	if (strlen(out) != (size_t)(o - out)) {
		free(out);
		return NULL;
	}
	return out;
}

int form_parse(struct form *f, const char *body, size_t n)
{
	*f = (struct form){ 0 };
	while (n) {
		const char *amp = memchr(body, '&', n);
		size_t len = amp ? (size_t)(amp - body) : n;
		const char *eq = memchr(body, '=', len);
		if (len) {
			if (f->n == MAX_FORM_FIELDS)
				return -E2BIG;
			size_t kl = eq ? (size_t)(eq - body) : len;
			f->key[f->n] = decode(body, kl);
			f->val[f->n] = decode(eq ? eq + 1 : "", eq ? len - kl - 1 : 0);
			f->n++;
			if (!f->key[f->n - 1] || !f->val[f->n - 1])
				return -EINVAL;
		}
		if (!amp)
			break;
		n -= len + 1;
		body = amp + 1;
	}
	return 0;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->key[i]);
		free(f->val[i]);
	}
	*f = (struct form){ 0 };
}

/* The headers every answer carries: no script, no frame, no cache. */
static void common_headers(struct MHD_Response *m)
{
	MHD_add_response_header(m, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
				"frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(m, "X-Frame-Options", "DENY");
	MHD_add_response_header(m, "Referrer-Policy", "same-origin");
	MHD_add_response_header(m, "Cache-Control", "no-store");
	if (C->tls)
		MHD_add_response_header(m, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct resp *r)
{
	struct MHD_Response *m = MHD_create_response_from_buffer(r->body.n, r->body.p ? r->body.p : (void *)"",
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!m)
		return MHD_NO;
	common_headers(m);
	MHD_add_response_header(m, "Content-Type", r->ctype ? r->ctype : "text/html; charset=utf-8");
	if (r->cookie[0])
		MHD_add_response_header(m, "Set-Cookie", r->cookie);
	if (r->location[0])
		MHD_add_response_header(m, "Location", r->location);
	if (r->status == 401 && r->ctype && strstr(r->ctype, "json"))
		MHD_add_response_header(m, "WWW-Authenticate", "Bearer realm=\"jail6\"");
	ret = MHD_queue_response(c, (unsigned)r->status, m);
	MHD_destroy_response(m);
	return ret;
}

void client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* Whether the request's Host names this server: an IP literal (what a
 * client connecting by address sends), localhost, or --server-name, each
 * with an optional port. Any other name is refused: a page of another site
 * whose name was made to resolve to this address (DNS rebinding) sends its
 * own name, and must not reach the UI or the API. */
bool http_host_ok(const char *host, const char *server_name)
{
	char name[256], *colon;
	unsigned char a[16];
	size_t n;

	if (!host || !*host || strlen(host) >= sizeof(name))
		return false;
	snprintf(name, sizeof(name), "%s", host);
	if (name[0] == '[') {
		char *end = strchr(name, ']');
		if (!end || (end[1] && (end[1] != ':' || !end[2] || strspn(end + 2, "0123456789") != strlen(end + 2))))
			return false;
		*end = '\0';
		return inet_pton(AF_INET6, name + 1, a) == 1;
	}
	if ((colon = strchr(name, ':'))) {
		if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return false;
		*colon = '\0';
	}
	n = strlen(name);
	if (n && name[n - 1] == '.')
		name[--n] = '\0';
	if (inet_pton(AF_INET, name, a) == 1 || !strcasecmp(name, "localhost"))
		return true;
	return server_name && *server_name && !strcasecmp(name, server_name);
}

/* Whether a request's Origin (sent by browsers with every POST) is this
 * server: absent (an API client), or scheme://HOST where HOST is the
 * request's Host. A page of another site posting here (the login form
 * included, which has no session to carry a CSRF token yet) is refused. */
bool http_origin_ok(const char *origin, const char *host)
{
	const char *p;

	if (!origin)
		return true;
	p = strstr(origin, "://");
	return p && host && (size_t)(p - origin) <= 5 && !strcasecmp(p + 3, host);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;
	struct resp r = { 0 };
	enum MHD_Result ret;

	if (!q) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->too_big = cl && strtoull(cl, NULL, 10) > MAX_BODY;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->too_big && q->body.n + *upload_size <= MAX_BODY)
			sbuf_add(&q->body, upload, *upload_size);
		else
			q->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (!http_host_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST), C->server_name)) {
		r.status = 421;
		r.ctype = "application/json";
		sbuf_puts(&r.body, "{\"code\":\"misdirected\",\"message\":\"the Host header names another server "
				   "(an IP address, localhost or jail6 serve --server-name is expected)\"}");
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
		   !http_origin_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
				   MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) {
		r.status = 403;
		r.ctype = "application/json";
		sbuf_puts(&r.body, "{\"code\":\"cross_origin\",\"message\":\"a request from a page of another site\"}");
	} else if (q->too_big) {
		r.status = 413;
		r.ctype = "application/json";
		sbuf_puts(&r.body, "{\"code\":\"too_large\",\"message\":\"the body is over 65536 bytes\"}");
	} else
		http_route(c, url, method, q->body.p ? q->body.p : "", q->body.n, &r);
	ret = send_resp(c, &r);
	resp_free(&r);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	if (q) {
		sbuf_free(&q->body);
		free(q);
		*con_cls = NULL;
	}
}

void http_child(const struct serve_child *c)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (c->tls ? MHD_USE_TLS : 0);
	struct MHD_Daemon *d;
	char err[512];
	int efd;

	C = c;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (c->tls)
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, c->listen_fd,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				     (size_t)16384, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_NOTIFY_COMPLETED,
				     completed, NULL, MHD_OPTION_HTTPS_MEM_KEY, c->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
				     c->tls_cert, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, c->listen_fd,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				     (size_t)16384, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_NOTIFY_COMPLETED,
				     completed, NULL, MHD_OPTION_END);
	if (c->tls_key)
		explicit_bzero(c->tls_key, strlen(c->tls_key));
	if (!d) {
		fprintf(stderr, "jail6 serve (http): libmicrohttpd did not start\n");
		_exit(1);
	}
	if (sandbox_enter(c, err, sizeof(err)) < 0 || sandbox_seccomp(err, sizeof(err)) < 0) {
		fprintf(stderr, "jail6 serve (http): %s\n", err);
		_exit(1);
	}
	/* tell the parent: sandboxed, it may remove the empty root */
	if (io_write_all(c->ipc_fd, "R", 1) < 0)
		_exit(1);
	efd = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
	for (;;) {
		MHD_UNSIGNED_LONG_LONG to = 0;
		int ms = MHD_get_timeout(d, &to) == MHD_YES ? (to > 60000 ? 60000 : (int)to) : 60000;
		struct pollfd p[2] = { { .fd = efd, .events = POLLIN }, { .fd = c->ipc_fd, .events = POLLIN } };
		if (poll(p, 2, ms) < 0 && errno != EINTR)
			break;
		/* between requests the parent never writes: input is its end */
		if (p[1].revents)
			break;
		MHD_run(d);
	}
	_exit(0);
}
