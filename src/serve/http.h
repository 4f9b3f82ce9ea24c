/* The HTTP child's parts (http.c, route.c, api.c). */
#ifndef JAIL6_SERVE_HTTP_H
#define JAIL6_SERVE_HTTP_H

#include <jansson.h>
#include <microhttpd.h>

#include "serve/serve_int.h"

struct resp {
	int status;
	const char *ctype;     /* NULL: text/html */
	struct sbuf body;
	char cookie[256];      /* Set-Cookie, or "" */
	char location[512];    /* Location, or "" */
};
void resp_free(struct resp *r);

#define MAX_FORM_FIELDS 24
struct form {
	char *key[MAX_FORM_FIELDS], *val[MAX_FORM_FIELDS];
	size_t n;
};
/* an application/x-www-form-urlencoded body; -EINVAL for a field holding a
 * NUL, -E2BIG for too many fields (form_free in any case) */
int form_parse(struct form *f, const char *body, size_t n);
const char *form_get(const struct form *f, const char *key);
void form_free(struct form *f);

/* One request to the parent: the reply's HTTP status and JSON (*doc, to
 * json_decref). The child ends when the parent is gone. */
int http_call(enum serve_req type, const char *const *args, size_t n, json_t **doc);
/* the same, the reply as the parent sent it (*body: to free) */
int http_call_raw(enum serve_req type, const char *const *args, size_t n, char **body);
const char *http_conf(void);
bool http_tls(void);
/* Whether Host header host names this server (see http.c). */
bool http_host_ok(const char *host, const char *server_name);
/* Whether Origin header origin (NULL: none) is the server named by host. */
bool http_origin_ok(const char *origin, const char *host);
void client_addr(struct MHD_Connection *c, char *buf, size_t len);

/* Answer one whole request into *r: the pages (route.c) and /api/v1 (api.c). */
void http_route(struct MHD_Connection *c, const char *url, const char *method, const char *body, size_t n,
		struct resp *r);
void api_route(struct MHD_Connection *c, const char *path, const char *method, const char *body, size_t n,
	       struct resp *r);

/* GET and POST /new (newjail.c) */
struct page_who;
void route_new(const char *cred, const struct page_who *w, const char *method, const struct form *f, struct resp *r);

/* "j6a" in "/jail/j6a/start": the name between two slashes, copied (NULL
 * when it is empty or holds anything but [A-Za-z0-9_.-]) */
char *path_name(const char *s, size_t n);

#endif
