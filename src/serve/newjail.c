/* The new jail form (GET and POST /new). */
#include "serve/http.h"
#include "serve/pages.h"

void route_new(const char *cred, const struct page_who *w, const char *method, const struct form *f, struct resp *r)
{
	r->status = 501;
	page_frame(&r->body, w, "New jail", "<p>Not yet.</p>");
}
