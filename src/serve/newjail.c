/* The new jail form: GET shows it, POST shows the plan of the jail it
 * would make (or the config's errors, FILE:LINE:COL, with the form again),
 * and POST confirmed writes JAIL_DIR/NAME.conf and starts the jail. */
#include <string.h>

#include "serve/http.h"
#include "serve/pages.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const fields[] = { "name", "hostname", "bridge", "address", "path", "memory", "pids" };
static const char *const labels[] = { "Name", "Hostname (default: the name)", "Bridge", "Address (auto, or ADDRESS/PREFIXLEN)",
				      "Root path (empty: the host's files, read-only)", "Memory limit (such as 64M)",
				      "Process limit" };

static const char field_tmpl[] = "<label>{{label}} <input type=\"text\" name=\"{{name}}\" value=\"{{value}}\"{{&extra}}></label>";

void page_new(struct sbuf *out, const struct page_who *w, json_t *status, const char *const *vals, json_t *err)
{
	struct sbuf c = { 0 };
	size_t i;

	if (err) {
		sbuf_puts(&c, "<div class=\"err\"><p>");
		sbuf_html(&c, json_string_value(json_object_get(err, "message")));
		sbuf_puts(&c, "</p><pre id=\"errors\">");
		sbuf_html_each(&c, json_object_get(err, "errors"), "\n");
		sbuf_puts(&c, "</pre></div>");
	}
	sbuf_puts(&c, "<form method=\"post\" action=\"/new\"><input type=\"hidden\" name=\"csrf\" value=\"");
	sbuf_html(&c, w->csrf);
	sbuf_puts(&c, "\">");
	for (i = 0; i < N(fields); i++) {
		const char *val = vals && vals[i] ? vals[i] : "";
		if (!strcmp(fields[i], "address") && !val[0])
			val = "auto";
		if (!strcmp(fields[i], "bridge") && !val[0])
			val = json_string_value(json_object_get(json_array_get(json_object_get(status, "bridges"), 0), "name"));
		struct tmpl_var tv[] = { { "label", labels[i] }, { "name", fields[i] }, { "value", val ? val : "" },
					 { "extra", !strcmp(fields[i], "name") || !strcmp(fields[i], "bridge") ? " required" : "" } };
		tmpl_render(&c, field_tmpl, tv, N(tv));
	}
	sbuf_puts(&c, "<button type=\"submit\" id=\"show-plan\">Show the plan</button></form>");
	page_frame(out, w, "New jail", sbuf_str(&c));
	sbuf_free(&c);
}

void route_new(const char *cred, const struct page_who *w, const char *method, const struct form *f, struct resp *r)
{
	const char *vals[N(fields)];
	const char *hidden[2 * N(fields)];
	json_t *status = NULL, *doc = NULL;
	const char *a1[] = { cred };
	int st;

	r->ctype = "text/html; charset=utf-8";
	if (strcmp(method, "POST")) {
		r->status = http_call(SERVE_REQ_STATUS, a1, 1, &status);
		if (r->status != 200)
			r->status = 200; /* the form works without the bridges' names */
		page_new(&r->body, w, status, NULL, NULL);
		json_decref(status);
		return;
	}
	const char *confirm = form_get(f, "confirm");
	const char *dry = confirm && !strcmp(confirm, "1") ? "0" : "1";
	const char *args[10] = { cred, form_get(f, "csrf") ? form_get(f, "csrf") : "", dry };
	for (size_t i = 0; i < N(fields); i++) {
		vals[i] = form_get(f, fields[i]) ? form_get(f, fields[i]) : "";
		args[3 + i] = vals[i];
		hidden[2 * i] = fields[i];
		hidden[2 * i + 1] = vals[i];
	}
	st = http_call(SERVE_REQ_CREATE, args, 10, &doc);
	r->status = st;
	if (st == 200 && dry[0] == '1')
		page_confirm(&r->body, w, "New jail: the plan", doc, "/new", hidden, 2 * N(fields));
	else if (st == 422 || st == 400 || st == 409) {
		http_call(SERVE_REQ_STATUS, a1, 1, &status);
		page_new(&r->body, w, status, vals, doc);
	} else
		page_result(&r->body, w, "New jail", doc, st);
	json_decref(status);
	json_decref(doc);
}
