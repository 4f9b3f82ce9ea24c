/* The HTML pages (pages.c), rendered in the HTTP child from the parent's
 * JSON replies through the escaping template renderer. */
#ifndef JAIL6_SERVE_PAGES_H
#define JAIL6_SERVE_PAGES_H

#include <jansson.h>

#include "serve/serve_int.h"

/* who is logged in, for the header and the forms' CSRF token */
struct page_who {
	const char *user, *csrf;
};

extern const char page_css[];

/* Each string of JSON array arr, escaped, followed by sep (markup). */
void sbuf_html_each(struct sbuf *b, json_t *arr, const char *sep);

void page_login(struct sbuf *out, const char *msg);
/* the dashboard: the tunnels, bridges and jails of status, then the End
 * Result as jail6 status prints it */
void page_dashboard(struct sbuf *out, const struct page_who *w, json_t *status, const char *conf);
/* one jail of status, with the tail of its exec log; 0, or -ENOENT when status has no such jail */
int page_jail(struct sbuf *out, const struct page_who *w, json_t *status, const char *name, const char *log);
/* the plan of a change and a form to confirm it: POST action with hidden
 * (name, value) pairs and confirm=1 */
void page_confirm(struct sbuf *out, const struct page_who *w, const char *title, json_t *res, const char *action,
		  const char *const *hidden, size_t n_hidden);
/* what a change did, or its error {code, message, errors, conflicts, plan} */
void page_result(struct sbuf *out, const struct page_who *w, const char *title, json_t *res, int status);
/* the new jail form, with the values given so far and the errors */
void page_new(struct sbuf *out, const struct page_who *w, json_t *status, const char *const *vals, json_t *err);

/* the frame of every page around content (already HTML) */
void page_frame(struct sbuf *out, const struct page_who *w, const char *title, const char *content);

#endif
