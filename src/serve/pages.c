/* The HTML pages of jail6 serve: server-rendered, no JavaScript, every
 * value from the host or the config escaped by the template renderer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "serve/pages.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char page_css[] =
	"body{font-family:sans-serif;margin:0;background:#f6f7f9;color:#1d232b}"
	"header{background:#1d3557;color:#fff;padding:.6em 1.2em;display:flex;gap:1.5em;align-items:center}"
	"header a{color:#fff}header form{margin-left:auto}main{padding:1em 1.5em;max-width:70em}"
	"table{border-collapse:collapse;background:#fff;margin:.5em 0 1.2em}"
	"th,td{border:1px solid #d0d5dc;padding:.3em .6em;text-align:left;vertical-align:top}"
	"th{background:#e9edf2}pre{background:#fff;border:1px solid #d0d5dc;padding:.8em;overflow:auto}"
	".running{color:#1a7f37;font-weight:bold}.stopped,.absent,.incomplete,.conflict{color:#b42318;font-weight:bold}"
	".err{background:#fdecea;border:1px solid #b42318;padding:.5em 1em}.ok{background:#e7f5ec;border:1px solid #1a7f37;padding:.5em 1em}"
	"form.inline{display:inline}button{margin:.1em .3em .1em 0}label{display:block;margin:.4em 0}"
	"input[type=text],input[type=password]{width:22em}";

void sbuf_html_each(struct sbuf *b, json_t *arr, const char *sep)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		sbuf_html(b, json_string_value(v));
		sbuf_puts(b, sep);
	}
}

static const char frame_tmpl[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>{{title}} - jail6</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\n<body>"
	"<header><strong>jail6</strong>{{&nav}}</header>\n<main><h1>{{title}}</h1>\n{{&content}}</main></body></html>\n";

static const char nav_tmpl[] =
	"<a href=\"/\">Dashboard</a><a href=\"/new\">New jail</a><a href=\"/plan\">Plan</a>"
	"<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">"
	"{{user}} <button type=\"submit\">Log out</button></form>";

void page_frame(struct sbuf *out, const struct page_who *w, const char *title, const char *content)
{
	struct sbuf nav = { 0 };

	if (w && w->user) {
		struct tmpl_var nv[] = { { "csrf", w->csrf }, { "user", w->user } };
		tmpl_render(&nav, nav_tmpl, nv, N(nv));
	}
	struct tmpl_var v[] = { { "title", title }, { "nav", sbuf_str(&nav) }, { "content", content } };
	tmpl_render(out, frame_tmpl, v, N(v));
	sbuf_free(&nav);
}

static const char login_tmpl[] =
	"{{&msg}}<form method=\"post\" action=\"/login\">"
	"<label>User <input type=\"text\" name=\"user\" autocomplete=\"username\" required></label>"
	"<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>"
	"<button type=\"submit\">Log in</button></form>";

void page_login(struct sbuf *out, const char *msg)
{
	struct sbuf c = { 0 }, m = { 0 };

	if (msg) {
		sbuf_puts(&m, "<p class=\"err\">");
		sbuf_html(&m, msg);
		sbuf_puts(&m, "</p>");
	}
	struct tmpl_var v[] = { { "msg", sbuf_str(&m) } };
	tmpl_render(&c, login_tmpl, v, N(v));
	page_frame(out, NULL, "Log in", sbuf_str(&c));
	sbuf_free(&c);
	sbuf_free(&m);
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* "1.5 MiB": bytes in binary units */
static void human(char *buf, size_t len, long long v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < N(unit)) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", d, unit[u]);
}

/* the addresses of a list of links, one per line, escaped */
static void addrs(struct sbuf *b, json_t *links)
{
	size_t i;
	json_t *l;

	json_array_foreach(links, i, l)
		sbuf_html_each(b, json_object_get(l, "addresses"), "<br>");
}

static void limits(struct sbuf *b, json_t *l)
{
	json_t *mem = json_object_get(l, "memory"), *pids = json_object_get(l, "pids");
	char cur[32], max[32];

	if (!l) {
		sbuf_puts(b, "none");
		return;
	}
	human(cur, sizeof(cur), json_integer_value(json_object_get(mem, "current")));
	if (json_is_integer(json_object_get(mem, "max")))
		human(max, sizeof(max), json_integer_value(json_object_get(mem, "max")));
	else
		snprintf(max, sizeof(max), "no limit");
	sbuf_printf(b, "memory %s of %s<br>pids %lld of ", cur, max, json_integer_value(json_object_get(pids, "current")));
	if (json_is_integer(json_object_get(pids, "max")))
		sbuf_printf(b, "%lld", json_integer_value(json_object_get(pids, "max")));
	else
		sbuf_puts(b, "no limit");
	sbuf_printf(b, "<br>cpu weight %lld", json_integer_value(json_object_get(l, "cpu_weight")));
}

static bool is_default(const char *d)
{
	return !strcmp(d, "default") || !strcmp(d, "::/0") || !strcmp(d, "0.0.0.0/0");
}

static void tunnels(struct sbuf *b, json_t *s)
{
	size_t i;
	json_t *t;

	if (!json_array_size(json_object_get(s, "tunnels")))
		return;
	sbuf_puts(b, "<h2>Tunnels</h2><table><tr><th>Tunnel</th><th>State</th><th>Endpoints</th><th>Datapath</th>"
		     "<th>Counters</th><th>Last packet from the broker</th></tr>");
	json_array_foreach(json_object_get(s, "tunnels"), i, t) {
		json_t *c = json_object_get(t, "counters"), *lv = json_object_get(t, "liveness");
		json_t *age = json_object_get(lv, "last_rx_age");
		sbuf_puts(b, "<tr><td>");
		sbuf_html(b, str(t, "name"));
		sbuf_printf(b, "</td><td>%s</td><td>", !json_is_true(json_object_get(t, "present")) ? "missing"
							: json_is_true(json_object_get(t, "up")) ? "UP" : "DOWN");
		sbuf_html(b, str(t, "local"));
		sbuf_puts(b, " &rarr; ");
		sbuf_html(b, str(t, "remote"));
		sbuf_puts(b, "</td><td>");
		sbuf_html(b, str(t, "datapath"));
		if (json_string_value(json_object_get(lv, "datapath"))) {
			sbuf_puts(b, " (");
			sbuf_html(b, str(lv, "datapath"));
			sbuf_puts(b, ")");
		}
		sbuf_puts(b, "</td><td>");
		if (c)
			sbuf_printf(b, "rx %lld packets, %lld bytes<br>tx %lld packets, %lld bytes",
				    json_integer_value(json_object_get(c, "rx_packets")), json_integer_value(json_object_get(c, "rx_bytes")),
				    json_integer_value(json_object_get(c, "tx_packets")), json_integer_value(json_object_get(c, "tx_bytes")));
		sbuf_puts(b, "</td><td>");
		if (json_is_integer(age))
			sbuf_printf(b, "%lld s ago", json_integer_value(age));
		else if (lv)
			sbuf_puts(b, "never");
		sbuf_puts(b, "</td></tr>");
	}
	sbuf_puts(b, "</table>");
}

static void bridges(struct sbuf *b, json_t *s)
{
	size_t i;
	json_t *o;

	if (!json_array_size(json_object_get(s, "bridges")))
		return;
	sbuf_puts(b, "<h2>Bridges</h2><table><tr><th>Bridge</th><th>State</th><th>Addresses</th><th>Members</th></tr>");
	json_array_foreach(json_object_get(s, "bridges"), i, o) {
		sbuf_puts(b, "<tr><td>");
		sbuf_html(b, str(o, "name"));
		sbuf_printf(b, "</td><td>%s</td><td>", !json_is_true(json_object_get(o, "present")) ? "missing"
							: json_is_true(json_object_get(o, "up")) ? "UP" : "DOWN");
		sbuf_html_each(b, json_object_get(o, "addresses"), "<br>");
		sbuf_puts(b, "</td><td>");
		sbuf_html_each(b, json_object_get(o, "members"), "<br>");
		sbuf_puts(b, "</td></tr>");
	}
	sbuf_puts(b, "</table>");
}

/* the start/stop/restart buttons of jail name */
static void buttons(struct sbuf *b, const struct page_who *w, const char *name)
{
	static const char *const ops[] = { "start", "stop", "restart", "remove" };
	static const char *const label[] = { "Start", "Stop", "Restart", "Remove" };

	for (size_t i = 0; i < N(ops); i++) {
		sbuf_puts(b, "<form class=\"inline\" method=\"post\" action=\"/jail/");
		sbuf_html(b, name);
		sbuf_printf(b, "/%s\"><input type=\"hidden\" name=\"csrf\" value=\"", ops[i]);
		sbuf_html(b, w->csrf);
		sbuf_printf(b, "\"><button type=\"submit\">%s</button></form>", label[i]);
	}
}

static void jails(struct sbuf *b, const struct page_who *w, json_t *s)
{
	size_t i, k;
	json_t *j, *r;

	sbuf_puts(b, "<h2>Jails</h2><table><tr><th>Jail</th><th>State</th><th>Hostname</th><th>Addresses</th>"
		     "<th>Default route</th><th>Limits and usage</th><th></th></tr>");
	json_array_foreach(json_object_get(s, "jails"), i, j) {
		const char *name = str(j, "name"), *state = str(j, "state");
		sbuf_puts(b, "<tr><td><a href=\"/jail/");
		sbuf_html(b, name);
		sbuf_puts(b, "\">");
		sbuf_html(b, name);
		sbuf_puts(b, "</a></td><td class=\"");
		sbuf_html(b, state);
		sbuf_puts(b, "\">");
		sbuf_html(b, state);
		sbuf_puts(b, "</td><td>");
		sbuf_html(b, str(j, "hostname"));
		sbuf_puts(b, "</td><td>");
		addrs(b, json_object_get(j, "interfaces"));
		sbuf_puts(b, "</td><td>");
		json_array_foreach(json_object_get(j, "routes"), k, r)
			if (is_default(str(r, "destination"))) {
				sbuf_html(b, json_object_get(r, "gateway") ? str(r, "gateway") : "link");
				sbuf_puts(b, " dev ");
				sbuf_html(b, str(r, "dev"));
				sbuf_puts(b, "<br>");
			}
		sbuf_puts(b, "</td><td>");
		limits(b, json_object_get(j, "limits"));
		sbuf_puts(b, "</td><td>");
		buttons(b, w, name);
		sbuf_puts(b, "</td></tr>");
	}
	sbuf_puts(b, "</table>");
}

/* the End Result exactly as `jail6 status` prints it */
static void end_result(struct sbuf *b, json_t *s, const char *conf)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		return;
	engine_status_print(f, s, conf);
	fclose(f);
	sbuf_puts(b, "<h2>End Result</h2><pre id=\"end-result\">");
	sbuf_html(b, text);
	sbuf_puts(b, "</pre>");
	free(text);
}

void page_dashboard(struct sbuf *out, const struct page_who *w, json_t *s, const char *conf)
{
	struct sbuf c = { 0 };

	if (json_is_true(json_object_get(s, "in_sync")))
		sbuf_puts(&c, "<p class=\"ok\">The host matches the config.</p>");
	else
		sbuf_puts(&c, "<p class=\"err\">The host differs from the config: see <a href=\"/plan\">the plan</a>.</p>");
	tunnels(&c, s);
	bridges(&c, s);
	jails(&c, w, s);
	end_result(&c, s, conf);
	page_frame(out, w, "Dashboard", sbuf_str(&c));
	sbuf_free(&c);
}

static json_t *find_jail(json_t *s, const char *name)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(s, "jails"), i, j)
		if (!strcmp(str(j, "name"), name))
			return j;
	return NULL;
}

int page_jail(struct sbuf *out, const struct page_who *w, json_t *s, const char *name, const char *log)
{
	json_t *j = find_jail(s, name), *o = json_object(), *one = json_array(), *v;
	struct sbuf c = { 0 };
	size_t i, k;

	if (!j) {
		json_decref(o);
		json_decref(one);
		return -ENOENT;
	}
	sbuf_puts(&c, "<p>State: <span class=\"");
	sbuf_html(&c, str(j, "state"));
	sbuf_puts(&c, "\">");
	sbuf_html(&c, str(j, "state"));
	sbuf_puts(&c, "</span>, hostname <code>");
	sbuf_html(&c, str(j, "hostname"));
	sbuf_puts(&c, "</code></p><p>");
	buttons(&c, w, name);
	sbuf_puts(&c, "</p><h2>Interfaces</h2><table><tr><th>Interface</th><th>State</th><th>MTU</th><th>Addresses</th></tr>");
	json_array_foreach(json_object_get(j, "interfaces"), i, v) {
		json_t *a;
		sbuf_puts(&c, "<tr><td>");
		sbuf_html(&c, str(v, "name"));
		sbuf_printf(&c, "</td><td>%s</td><td>%lld</td><td>", !json_is_true(json_object_get(v, "present")) ? "missing"
				 : json_is_true(json_object_get(v, "up")) ? "UP" : "DOWN", json_integer_value(json_object_get(v, "mtu")));
		json_array_foreach(json_object_get(v, "addresses"), k, a) {
			sbuf_html(&c, json_string_value(a));
			sbuf_puts(&c, "<br>");
		}
		sbuf_puts(&c, "</td></tr>");
	}
	sbuf_puts(&c, "</table><h2>Routes</h2><table><tr><th>Destination</th><th>Gateway</th><th>Netif</th></tr>");
	json_array_foreach(json_object_get(j, "routes"), i, v) {
		sbuf_puts(&c, "<tr><td>");
		sbuf_html(&c, str(v, "destination"));
		sbuf_puts(&c, "</td><td>");
		sbuf_html(&c, json_object_get(v, "gateway") ? str(v, "gateway") : "link");
		sbuf_puts(&c, "</td><td>");
		sbuf_html(&c, str(v, "dev"));
		sbuf_puts(&c, "</td></tr>");
	}
	sbuf_puts(&c, "</table><h2>Limits and usage</h2><p>");
	limits(&c, json_object_get(j, "limits"));
	sbuf_puts(&c, "</p><h2>exec log (its last 4 KiB)</h2>");
	if (json_object_get(j, "exec_start_log"))
		sbuf_puts(&c, "<p class=\"err\">exec.start has not completed.</p>");
	sbuf_puts(&c, "<pre id=\"exec-log\">");
	sbuf_html(&c, log && log[0] ? log : "(empty)");
	sbuf_puts(&c, "</pre>");
	/* and the End Result of this jail alone */
	json_array_append(one, j);
	json_object_set_new(o, "jails", one);
	json_object_set_new(o, "in_sync", json_true());
	end_result(&c, o, "the config");
	json_decref(o);
	page_frame(out, w, name, sbuf_str(&c));
	sbuf_free(&c);
	return 0;
}

static void plan_list(struct sbuf *b, json_t *plan)
{
	if (!json_array_size(plan)) {
		sbuf_puts(b, "<p>Nothing to do: the host already matches.</p>");
		return;
	}
	sbuf_puts(b, "<pre class=\"plan\">");
	sbuf_html_each(b, plan, "\n");
	sbuf_puts(b, "</pre>");
}

void page_confirm(struct sbuf *out, const struct page_who *w, const char *title, json_t *res, const char *action,
		  const char *const *hidden, size_t n_hidden)
{
	struct sbuf c = { 0 };

	sbuf_puts(&c, "<p>The plan:</p>");
	plan_list(&c, json_object_get(res, "plan"));
	sbuf_puts(&c, "<form method=\"post\" action=\"");
	sbuf_html(&c, action);
	sbuf_puts(&c, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
	sbuf_html(&c, w->csrf);
	sbuf_puts(&c, "\"><input type=\"hidden\" name=\"confirm\" value=\"1\">");
	for (size_t i = 0; i + 1 < n_hidden; i += 2) {
		sbuf_puts(&c, "<input type=\"hidden\" name=\"");
		sbuf_html(&c, hidden[i]);
		sbuf_puts(&c, "\" value=\"");
		sbuf_html(&c, hidden[i + 1]);
		sbuf_puts(&c, "\">");
	}
	sbuf_puts(&c, "<button type=\"submit\" id=\"confirm\">Apply this plan</button> <a href=\"/\">Cancel</a></form>");
	page_frame(out, w, title, sbuf_str(&c));
	sbuf_free(&c);
}

/* an error reply {code, message, errors, conflicts} as a box */
static void error_box(struct sbuf *b, json_t *res)
{
	sbuf_puts(b, "<div class=\"err\"><p>");
	sbuf_html(b, str(res, "message"));
	sbuf_puts(b, "</p>");
	if (json_array_size(json_object_get(res, "errors")) || json_array_size(json_object_get(res, "conflicts"))) {
		sbuf_puts(b, "<pre>");
		sbuf_html_each(b, json_object_get(res, "errors"), "\n");
		sbuf_html_each(b, json_object_get(res, "conflicts"), "\n");
		sbuf_puts(b, "</pre>");
	}
	sbuf_puts(b, "</div>");
}

void page_result(struct sbuf *out, const struct page_who *w, const char *title, json_t *res, int status)
{
	struct sbuf c = { 0 };

	if (status == 200)
		sbuf_printf(&c, "<p class=\"ok\">Done: %lld action%s applied.</p>", json_integer_value(json_object_get(res, "done")),
			    json_integer_value(json_object_get(res, "done")) == 1 ? "" : "s");
	else
		error_box(&c, res);
	if (json_array_size(json_object_get(res, "plan"))) {
		sbuf_puts(&c, "<p>The plan:</p>");
		plan_list(&c, json_object_get(res, "plan"));
	}
	sbuf_puts(&c, "<p><a href=\"/\">Back to the dashboard</a></p>");
	page_frame(out, w, title, sbuf_str(&c));
	sbuf_free(&c);
}
