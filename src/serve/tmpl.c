/* The pages' template renderer: "{{key}}" is replaced by the value escaped
 * for HTML, so whatever a config or a host holds (a hostname, an exec
 * string) is text on the page, never markup; "{{&key}}" inserts a fragment
 * the renderer built itself (already escaped, piece by piece). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_int.h"

static const char *lookup(const struct tmpl_var *vars, size_t n, const char *key, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].key) == klen && !memcmp(vars[i].key, key, klen))
			return vars[i].val ? vars[i].val : "";
	fprintf(stderr, "jail6 serve: template key '%.*s' has no value\n", (int)klen, key);
	abort();
}

void tmpl_render(struct sbuf *out, const char *t, const struct tmpl_var *vars, size_t n)
{
	const char *open;

	while ((open = strstr(t, "{{"))) {
		const char *close = strstr(open + 2, "}}");
		if (!close)
			break;
		sbuf_add(out, t, (size_t)(open - t));
		const char *k = open + 2;
		bool raw = *k == '&';
		k += raw;
		const char *v = lookup(vars, n, k, (size_t)(close - k));
		if (raw)
			sbuf_puts(out, v);
		else
			sbuf_html(out, v);
		t = close + 2;
	}
	sbuf_puts(out, t);
}
