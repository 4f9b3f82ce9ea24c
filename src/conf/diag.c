/* Diagnostics of the config reader: collecting, ordering, printing. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

void *conf_grow(void *v, size_t n, size_t size)
{
	size_t cap;

	if (n & (n - 1))
		return v; /* n is not a power of two: there is room already */
	cap = n ? n * 2 : 1;
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(v, cap * size);
}

void conf_diag_init(struct conf_diag *d, struct conf_errors *errs)
{
	d->errs = errs;
	d->n0 = errs->n;
	d->full = false;
	d->nomem = false;
}

size_t conf_diag_count(const struct conf_diag *d)
{
	return d->errs->n - d->n0;
}

/* Append one entry whose strings are already allocated; frees them on failure. */
static void diag_push(struct conf_diag *d, char *file, int line, int col, char *msg)
{
	struct conf_error *v;

	if (!file || !msg)
		goto nomem;
	v = realloc(d->errs->v, (d->errs->n + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	d->errs->v = v;
	v[d->errs->n++] = (struct conf_error){ file, line, col, msg };
	return;
nomem:
	d->nomem = true;
	free(file);
	free(msg);
}

void conf_diag_add(struct conf_diag *d, const char *file, int line, int col,
		   const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int r;

	if (conf_diag_count(d) >= CONF_MAX_ERRORS) {
		d->full = true;
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	diag_push(d, strdup(file ? file : "<input>"), line, col, msg);
}

/* Rank of a file name in load order (unknown names sort last). */
static size_t file_rank(const char *file, char *const *files, size_t n_files)
{
	for (size_t i = 0; i < n_files; i++)
		if (strcmp(files[i], file) == 0)
			return i;
	return n_files;
}

/* Whether error a must be printed after error b. */
static int diag_after(const struct conf_error *a, const struct conf_error *b,
		      char *const *files, size_t n_files)
{
	size_t ra = file_rank(a->file, files, n_files);
	size_t rb = file_rank(b->file, files, n_files);

	if (ra != rb)
		return ra > rb;
	if (a->line != b->line)
		return a->line > b->line;
	return a->col > b->col;
}

void conf_diag_finish(struct conf_diag *d, char *const *files, size_t n_files)
{
	size_t n = conf_diag_count(d);
	/* errs->v is NULL until the first error, and NULL + 0 is undefined. */
	struct conf_error *v = n ? d->errs->v + d->n0 : NULL;

	/* Insertion sort: stable, and n is at most CONF_MAX_ERRORS. */
	for (size_t i = 1; i < n; i++) {
		struct conf_error e = v[i];
		size_t j = i;

		while (j > 0 && diag_after(&v[j - 1], &e, files, n_files)) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = e;
	}
	if (d->full) {
		char *msg = NULL;
		const char *file = n_files ? files[0] : "<input>";

		if (asprintf(&msg, "too many errors; stopped after %d", CONF_MAX_ERRORS) < 0)
			msg = NULL;
		diag_push(d, strdup(file), 0, 0, msg);
	}
}

char *conf_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return buf;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char one[5];
		int n;

		if (c >= 0x20 && c < 0x7f)
			n = snprintf(one, sizeof(one), "%c", c);
		else
			n = snprintf(one, sizeof(one), "\\x%02x", c);
		/* Keep room for "..." and the NUL. */
		if (o + (size_t)n + 4 > len) {
			if (o + 4 <= len) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(buf + o, one, (size_t)n);
		o += (size_t)n;
	}
	buf[o] = '\0';
	return buf;
}

int conf_edit_distance(const char *a, const char *b, int max)
{
	/* Optimal string alignment over three rolling rows; words are short. */
	size_t la = strlen(a), lb = strlen(b);
	int rows[3][65];
	int *pp = rows[0], *p = rows[1], *c = rows[2];

	if (la > 64 || lb > 64)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > (size_t)max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		p[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int best;

		c[0] = (int)i;
		best = c[0];
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			int cost = ca != cb;
			int v = p[j - 1] + cost;

			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
		int *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb] > max ? max + 1 : p[lb];
}

const char *conf_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	/* Short words get a tighter bound, or everything would match them. */
	int max = strlen(word) <= 3 ? 1 : 2;
	int best_d = max + 1;

	for (size_t i = 0; i < n; i++) {
		int d = conf_edit_distance(word, cands[i], max);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best;
}

void conf_errors_print(FILE *f, const struct conf_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		const struct conf_error *x = &e->v[i];

		if (x->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", x->file, x->line, x->col, x->msg);
		else
			fprintf(f, "%s: %s\n", x->file, x->msg);
	}
}

void conf_errors_free(struct conf_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].file);
		free(e->v[i].msg);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}
