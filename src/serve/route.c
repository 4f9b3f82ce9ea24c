/* The pages' routes: log in and out, the dashboard, a jail's page, its
 * start, stop, restart and removal, the plan and apply, new jail. Every
 * change is posted twice: first for its plan (a dry run), then, confirmed,
 * for real; each post carries the session's CSRF token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"
#include "serve/pages.h"

#define COOKIE "jail6_session"

char *path_name(const char *s, size_t n)
{
	if (n == 0 || n > 64 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") < n)
		return NULL;
	return strndup(s, n);
}

static void html(struct resp *r, int status)
{
	r->status = status;
	r->ctype = "text/html; charset=utf-8";
}

static void redirect(struct resp *r, const char *to)
{
	r->status = 303;
	snprintf(r->location, sizeof(r->location), "%s", to);
}

static void not_found(struct resp *r, const struct page_who *w)
{
	html(r, 404);
	page_frame(&r->body, w, "Not found", "<p>There is no such page.</p><p><a href=\"/\">Back to the dashboard</a></p>");
}

static void login(struct MHD_Connection *c, const char *body, size_t n, struct resp *r)
{
	struct form f;
	char addr[64];
	json_t *doc = NULL;

	client_addr(c, addr, sizeof(addr));
	if (form_parse(&f, body, n) < 0 || !form_get(&f, "user") || !form_get(&f, "password")) {
		html(r, 400);
		page_login(&r->body, "Give a user name and a password.");
		form_free(&f);
		return;
	}
	const char *args[] = { form_get(&f, "user"), form_get(&f, "password"), addr };
	int st = http_call(SERVE_REQ_LOGIN, args, 3, &doc);
	if (st == 200) {
		snprintf(r->cookie, sizeof(r->cookie), COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
			 json_string_value(json_object_get(doc, "session")), SERVE_SESSION_TTL, http_tls() ? "; Secure" : "");
		redirect(r, "/");
	} else {
		html(r, st);
		page_login(&r->body, json_string_value(json_object_get(doc, "message")));
	}
	json_decref(doc);
	form_free(&f);
}

/* A change posted from a page: its plan first, then, confirmed, the run. */
static void change(enum serve_req type, const char *cred, const struct page_who *w, const struct form *f,
		   const char *op, const char *name, const char *action, const char *title, struct resp *r)
{
	const char *csrf = form_get(f, "csrf") ? form_get(f, "csrf") : "";
	const char *confirm = form_get(f, "confirm");
	const char *dry = confirm && !strcmp(confirm, "1") ? "0" : "1";
	json_t *doc = NULL;
	int st;

	if (type == SERVE_REQ_JAIL) {
		const char *a[] = { cred, csrf, op, name, dry };
		st = http_call(type, a, 5, &doc);
	} else if (type == SERVE_REQ_REMOVE) {
		const char *a[] = { cred, csrf, dry, name };
		st = http_call(type, a, 4, &doc);
	} else {
		const char *a[] = { cred, csrf, dry };
		st = http_call(type, a, 3, &doc);
	}
	html(r, st);
	if (st == 200 && dry[0] == '1')
		page_confirm(&r->body, w, title, doc, action, NULL, 0);
	else
		page_result(&r->body, w, title, doc, st);
	json_decref(doc);
}

/* /jail/NAME and /jail/NAME/OP */
static void jail_routes(const char *cred, const struct page_who *w, const char *url, const char *method,
			const struct form *f, struct resp *r)
{
	const char *rest = url + strlen("/jail/"), *slash = strchr(rest, '/');
	char *name = path_name(rest, slash ? (size_t)(slash - rest) : strlen(rest));
	char title[128];
	json_t *doc = NULL;

	if (!name) {
		not_found(r, w);
		return;
	}
	if (!slash && !strcmp(method, "GET")) {
		const char *a[] = { cred };
		int st = http_call(SERVE_REQ_STATUS, a, 1, &doc);
		if (st != 200) {
			html(r, st);
			page_result(&r->body, w, name, doc, st);
		} else {
			const char *la[] = { cred, name };
			json_t *log = NULL;
			http_call(SERVE_REQ_LOG, la, 2, &log);
			html(r, 200);
			if (page_jail(&r->body, w, doc, name, json_string_value(json_object_get(log, "log"))) < 0)
				not_found(r, w);
			json_decref(log);
		}
	} else if (slash && !strcmp(method, "POST") &&
		   (!strcmp(slash, "/start") || !strcmp(slash, "/stop") || !strcmp(slash, "/restart"))) {
		snprintf(title, sizeof(title), "%s %s", slash + 1, name);
		change(SERVE_REQ_JAIL, cred, w, f, slash + 1, name, url, title, r);
	} else if (slash && !strcmp(method, "POST") && !strcmp(slash, "/remove")) {
		snprintf(title, sizeof(title), "remove %s", name);
		change(SERVE_REQ_REMOVE, cred, w, f, "remove", name, url, title, r);
	} else
		not_found(r, w);
	json_decref(doc);
	free(name);
}

void http_route(struct MHD_Connection *c, const char *url, const char *method, const char *body, size_t n,
		struct resp *r)
{
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
	struct page_who w = { 0 };
	struct form f = { 0 };
	json_t *who = NULL, *doc = NULL;
	char cred[80];

	if (!strncmp(url, "/api/v1/", 8) || !strcmp(url, "/api/v1")) {
		api_route(c, url + 7, method, body, n, r);
		return;
	}
	if (!strcmp(url, "/static/style.css") && !strcmp(method, "GET")) {
		r->status = 200;
		r->ctype = "text/css";
		sbuf_puts(&r->body, page_css);
		return;
	}
	if (!strncmp(url, "/static/", 8)) {
		not_found(r, NULL);
		return;
	}
	if (!strcmp(url, "/login")) {
		if (!strcmp(method, "POST"))
			login(c, body, n, r);
		else
			html(r, 200), page_login(&r->body, NULL);
		return;
	}
	/* everything else is for a session */
	snprintf(cred, sizeof(cred), "s:%s", cookie && strlen(cookie) == 64 ? cookie : "");
	const char *a[] = { cred };
	if (http_call(SERVE_REQ_AUTH, a, 1, &who) != 200) {
		json_decref(who);
		if (!strcmp(method, "GET"))
			redirect(r, "/login");
		else
			html(r, 401), page_login(&r->body, "Log in first.");
		return;
	}
	w.user = json_string_value(json_object_get(who, "user"));
	w.csrf = json_string_value(json_object_get(who, "csrf"));
	if (!strcmp(method, "POST") && form_parse(&f, body, n) < 0) {
		html(r, 400);
		page_frame(&r->body, &w, "Bad request", "<p>The form could not be read.</p>");
	} else if (!strcmp(url, "/") && !strcmp(method, "GET")) {
		int st = http_call(SERVE_REQ_STATUS, a, 1, &doc);
		html(r, st);
		if (st == 200)
			page_dashboard(&r->body, &w, doc, http_conf());
		else
			page_result(&r->body, &w, "Dashboard", doc, st);
	} else if (!strcmp(url, "/logout") && !strcmp(method, "POST")) {
		const char *csrf = form_get(&f, "csrf");
		if (csrf && !strcmp(csrf, w.csrf)) {
			json_decref(doc);
			http_call(SERVE_REQ_LOGOUT, a, 1, &doc);
			snprintf(r->cookie, sizeof(r->cookie), COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
				 http_tls() ? "; Secure" : "");
			redirect(r, "/login");
		} else {
			html(r, 403);
			page_frame(&r->body, &w, "Refused", "<p class=\"err\">The form is stale or forged (CSRF token).</p>");
		}
	} else if (!strncmp(url, "/jail/", 6)) {
		jail_routes(cred, &w, url, method, &f, r);
	} else if (!strcmp(url, "/plan") && !strcmp(method, "GET")) {
		int st = http_call(SERVE_REQ_PLAN, a, 1, &doc);
		html(r, st);
		if (st == 200)
			page_confirm(&r->body, &w, "Plan", doc, "/apply", NULL, 0);
		else
			page_result(&r->body, &w, "Plan", doc, st);
	} else if (!strcmp(url, "/apply") && !strcmp(method, "POST")) {
		change(SERVE_REQ_APPLY, cred, &w, &f, "apply", NULL, "/apply", "Apply", r);
	} else if (!strcmp(url, "/new")) {
		route_new(cred, &w, method, &f, r);
	} else
		not_found(r, &w);
	form_free(&f);
	json_decref(doc);
	json_decref(who);
}
