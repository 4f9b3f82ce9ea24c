/* The JSON API under /api/v1 (docs/api.md): the same operations as the
 * pages, for a bearer token ("Authorization: Bearer j6_...") or a session
 * cookie with its CSRF token in X-CSRF-Token. Errors are {code, message}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

static void reply(struct resp *r, int status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	r->status = status;
	r->ctype = "application/json";
	sbuf_puts(&r->body, text ? text : "{}");
	sbuf_puts(&r->body, "\n");
	free(text);
}

static void error(struct resp *r, int status, const char *code, const char *msg)
{
	json_t *doc = json_pack("{s:s, s:s}", "code", code, "message", msg);

	reply(r, status, doc);
	json_decref(doc);
}

static const char *dry_run(struct MHD_Connection *c)
{
	const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dry_run");

	return d && (!strcmp(d, "1") || !strcmp(d, "true")) ? "1" : "0";
}

/* the status document's jail name, or NULL */
static json_t *find_jail(json_t *s, const char *name)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(s, "jails"), i, j)
		if (!strcmp(json_string_value(json_object_get(j, "name")), name))
			return j;
	return NULL;
}

/* GET /jails, /jails/NAME */
static void get_jails(const char *cred, const char *name, struct resp *r)
{
	const char *a[] = { cred };
	json_t *doc = NULL;
	int st = http_call(SERVE_REQ_STATUS, a, 1, &doc);

	if (st != 200)
		reply(r, st, doc);
	else if (!name) {
		json_t *o = json_pack("{s:O}", "jails", json_object_get(doc, "jails"));
		reply(r, 200, o);
		json_decref(o);
	} else if (find_jail(doc, name))
		reply(r, 200, find_jail(doc, name));
	else
		error(r, 404, "not_found", "no such jail");
	json_decref(doc);
}

/* POST /jails: a JSON object of the new jail form's fields */
static void create(const char *cred, const char *csrf, const char *dry, const char *body, size_t n, struct resp *r)
{
	static const char *const keys[] = { "name", "hostname", "bridge", "address", "path", "memory", "pids" };
	json_t *in = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL), *doc = NULL;
	const char *a[10] = { cred, csrf, dry };
	char num[7][32];

	if (!json_is_object(in)) {
		json_decref(in);
		error(r, 400, "bad_request", "the body is not a JSON object");
		return;
	}
	for (size_t i = 0; i < 7; i++) {
		json_t *v = json_object_get(in, keys[i]);
		if (json_is_integer(v)) {
			snprintf(num[i], sizeof(num[i]), "%lld", json_integer_value(v));
			a[3 + i] = num[i];
		} else if (!v || json_is_null(v))
			a[3 + i] = "";
		else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
			a[3 + i] = json_string_value(v);
		else {
			json_decref(in);
			error(r, 400, "bad_request", "a field is neither a string nor a number");
			return;
		}
	}
	int st = http_call(SERVE_REQ_CREATE, a, 10, &doc);
	reply(r, st == 200 && dry[0] == '0' ? 201 : st, doc);
	json_decref(doc);
	json_decref(in);
}

void api_route(struct MHD_Connection *c, const char *path, const char *method, const char *body, size_t n,
	       struct resp *r)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "jail6_session");
	const char *csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");
	const char *dry = dry_run(c);
	json_t *doc = NULL;
	char cred[160];

	if (auth && !strncmp(auth, "Bearer ", 7) && strlen(auth + 7) < 128)
		snprintf(cred, sizeof(cred), "b:%s", auth + 7);
	else if (!auth && cookie && strlen(cookie) == 64)
		snprintf(cred, sizeof(cred), "s:%s", cookie);
	else {
		error(r, 401, "unauthorized", "a bearer token (Authorization: Bearer ...) or a session is needed");
		return;
	}
	if (!csrf || strlen(csrf) > 128)
		csrf = "";
	const char *a1[] = { cred };
	if (!strcmp(path, "/status") && get) {
		/* as the parent wrote it: no parse and print again */
		char *text = NULL;
		r->status = http_call_raw(SERVE_REQ_STATUS, a1, 1, &text);
		r->ctype = "application/json";
		sbuf_puts(&r->body, text);
		sbuf_puts(&r->body, "\n");
		free(text);
	} else if (!strcmp(path, "/plan") && get) {
		int st = http_call(SERVE_REQ_PLAN, a1, 1, &doc);
		reply(r, st, doc);
	} else if (!strcmp(path, "/apply") && post) {
		const char *a[] = { cred, csrf, dry };
		int st = http_call(SERVE_REQ_APPLY, a, 3, &doc);
		reply(r, st, doc);
	} else if (!strcmp(path, "/jails") && get) {
		get_jails(cred, NULL, r);
	} else if (!strcmp(path, "/jails") && post) {
		create(cred, csrf, dry, body, n, r);
	} else if (!strncmp(path, "/jails/", 7)) {
		const char *rest = path + 7, *slash = strchr(rest, '/');
		char *name = path_name(rest, slash ? (size_t)(slash - rest) : strlen(rest));
		if (!name)
			error(r, 404, "not_found", "no such jail");
		else if (!slash && get)
			get_jails(cred, name, r);
		else if (!slash && del) {
			const char *a[] = { cred, csrf, dry, name };
			int st = http_call(SERVE_REQ_REMOVE, a, 4, &doc);
			reply(r, st, doc);
		} else if (slash && post && (!strcmp(slash, "/start") || !strcmp(slash, "/stop") || !strcmp(slash, "/restart"))) {
			const char *a[] = { cred, csrf, slash + 1, name, dry };
			int st = http_call(SERVE_REQ_JAIL, a, 5, &doc);
			reply(r, st, doc);
		} else if (!slash || !strcmp(slash, "/start") || !strcmp(slash, "/stop") || !strcmp(slash, "/restart"))
			error(r, 405, "method_not_allowed", "not with this method");
		else
			error(r, 404, "not_found", "no such resource");
		free(name);
	} else if (!strcmp(path, "/status") || !strcmp(path, "/plan") || !strcmp(path, "/apply") || !strcmp(path, "/jails"))
		error(r, 405, "method_not_allowed", "not with this method");
	else
		error(r, 404, "not_found", "no such resource");
	json_decref(doc);
}
