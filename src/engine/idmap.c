/* The id ranges of confined jails: the pool, leasing and look-up (see
 * engine/idmap.h). */
#include "engine/idmap.h"
#include "engine/engine_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/testhook.h"

/* A pointer to a temporary record, for the store's by-pointer calls. */
#define REF_OWN(x) ((const struct store_own[]){ x })

void idmap_pool_free(struct idmap_pool *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static int span_push(struct idmap_span **v, size_t *n, uint64_t first, uint64_t end)
{
	struct idmap_span *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = (struct idmap_span){ first, end };
	*v = p;
	return 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct idmap_span *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sort spans and merge the overlapping and adjacent ones, in place. */
static void spans_normalize(struct idmap_span *v, size_t *n)
{
	size_t k = 0;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), span_cmp);
	for (size_t i = 1; i < *n; i++) {
		if (v[i].first <= v[k].end) {
			if (v[i].end > v[k].end)
				v[k].end = v[i].end;
		} else {
			v[++k] = v[i];
		}
	}
	*n = k + 1;
}

/* A decimal number below 2^32 spanning all of s. */
static bool parse_u32(const char *s, uint64_t *out)
{
	size_t len = strlen(s);

	if (len == 0 || len > 10 || strspn(s, "0123456789") != len)
		return false;
	*out = strtoull(s, NULL, 10);
	return *out <= UINT32_MAX;
}

/*
 * Root's spans in a subordinate-id file (subuid(5) / subgid(5)): lines of
 * NAME:FIRST:COUNT. *found says whether root has any line. A missing file
 * is no line at all.
 */
static int read_subid(const char *path, struct idmap_span **v, size_t *n, bool *found, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, r = 0;

	*found = false;
	if (!f) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		char *name, *first, *count, *rest;
		uint64_t a, c;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		name = line;
		first = strchr(name, ':');
		count = first ? strchr(first + 1, ':') : NULL;
		rest = count ? strchr(count + 1, ':') : NULL;
		if (first)
			*first++ = '\0';
		if (count)
			*count++ = '\0';
		if (!count || rest || name[0] == '\0' || !parse_u32(first, &a) || !parse_u32(count, &c) || c == 0 ||
		    a + c > (uint64_t)UINT32_MAX + 1) {
			snprintf(err, errlen, "%s:%d: not a NAME:FIRST:COUNT line (FIRST and COUNT decimal, COUNT at "
				 "least 1, FIRST+COUNT at most 2^32)", path, lineno);
			r = -EINVAL;
			break;
		}
		if (strcmp(name, "root") != 0 && strcmp(name, "0") != 0)
			continue;
		*found = true;
		if (span_push(v, n, a, a + c) < 0)
			r = -ENOMEM;
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	free(line);
	fclose(f);
	return r;
}

/* out = the ids in both a and b (both normalized), clipped to the usable
 * ids [IDMAP_ID_MIN, IDMAP_ID_LIMIT). */
static int spans_intersect(const struct idmap_span *a, size_t na, const struct idmap_span *b, size_t nb,
			   struct idmap_pool *out)
{
	size_t i = 0, k = 0;

	while (i < na && k < nb) {
		uint64_t lo = a[i].first > b[k].first ? a[i].first : b[k].first;
		uint64_t hi = a[i].end < b[k].end ? a[i].end : b[k].end;

		if (lo < IDMAP_ID_MIN)
			lo = IDMAP_ID_MIN;
		if (hi > IDMAP_ID_LIMIT)
			hi = IDMAP_ID_LIMIT;
		if (lo < hi && span_push(&out->v, &out->n, lo, hi) < 0)
			return -ENOMEM;
		if (a[i].end < b[k].end)
			i++;
		else
			k++;
	}
	return 0;
}

int idmap_pool_read(const char *subuid, const char *subgid, struct idmap_pool *out, char *err, size_t errlen)
{
	struct idmap_span *u = NULL, *g = NULL;
	size_t nu = 0, ng = 0;
	bool fu = false, fg = false;
	int r;

	memset(out, 0, sizeof(*out));
	r = read_subid(subuid, &u, &nu, &fu, err, errlen);
	if (r == 0)
		r = read_subid(subgid, &g, &ng, &fg, err, errlen);
	if (r == 0 && fu && fg) {
		spans_normalize(u, &nu);
		spans_normalize(g, &ng);
		r = spans_intersect(u, nu, g, ng, out);
		snprintf(out->what, sizeof(out->what), "root's ids in both %s and %s", subuid, subgid);
	} else if (r == 0) {
		static const struct idmap_span dflt = { IDMAP_POOL_BASE, (uint64_t)IDMAP_POOL_BASE + IDMAP_POOL_SIZE };

		r = span_push(&out->v, &out->n, dflt.first, dflt.end);
		snprintf(out->what, sizeof(out->what), "ids %u-%u", IDMAP_POOL_BASE,
			 IDMAP_POOL_BASE + IDMAP_POOL_SIZE - 1);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r < 0)
		idmap_pool_free(out);
	free(u);
	free(g);
	return r;
}

/* Whether [base, base+count) lies inside one span of the pool. */
static bool in_pool(const struct idmap_pool *p, uint64_t base, uint64_t count)
{
	for (size_t i = 0; i < p->n; i++)
		if (base >= p->v[i].first && base + count <= p->v[i].end)
			return true;
	return false;
}

struct leases {
	struct store_idmap *v;
	size_t n, cap;
};

static int collect_lease(const struct store_idmap *l, void *ctx)
{
	struct leases *q = ctx;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct store_idmap *v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n++] = *l;
	return 0;
}

/* The next slot from (*span, *slot) on that overlaps none of the taken spans
 * (sorted by first; *t is the first that may still matter): its base in
 * *base and true, or false when the pool is exhausted. Slots only move
 * forward, so the walk over both lists is linear. */
static bool next_free(const struct idmap_pool *p, size_t *span, uint64_t *slot, const struct idmap_span *taken,
		      size_t n_taken, size_t *t, uint64_t *base)
{
	while (*span < p->n) {
		uint64_t b = p->v[*span].first + *slot * IDMAP_RANGE;

		if (b + IDMAP_RANGE > p->v[*span].end) {
			(*span)++;
			*slot = 0;
			continue;
		}
		while (*t < n_taken && taken[*t].end <= b)
			(*t)++;
		if (*t < n_taken && taken[*t].first < b + IDMAP_RANGE) {
			/* overlaps: go to the first slot after the taken span */
			uint64_t past = taken[*t].end - p->v[*span].first;

			*slot = (past + IDMAP_RANGE - 1) / IDMAP_RANGE;
			continue;
		}
		*base = b;
		(*slot)++;
		return true;
	}
	return false;
}

/* bsearch over the leases by jail name. */
static int lease_of(const void *key, const void *elem)
{
	const char *name = key;
	const struct store_idmap *const *l = elem;

	return strcmp(name, (*l)->jail);
}

static int by_name(const void *a, const void *b)
{
	const struct store_idmap *const *x = a, *const *y = b;

	return strcmp((*x)->jail, (*y)->jail);
}

int idmap_assign(struct store *s, struct model *m, const struct idmap_pool *pool, char *err, size_t errlen)
{
	struct leases q = { 0 };
	const struct store_idmap **names = NULL;
	struct idmap_span *taken = NULL;
	bool *keep = NULL, *stays = NULL, *named = NULL;
	size_t n_taken = 0, span = 0, t = 0;
	uint64_t slot = 0;
	int r = store_idmap_list(s, collect_lease, &q);

	if (r < 0) {
		snprintf(err, errlen, "store: %s", r == -ENOMEM ? "out of memory" : store_errmsg(s));
		goto cleanup;
	}
	names = calloc(q.n + 1, sizeof(*names));
	keep = calloc(m->n_jails + 1, sizeof(*keep));
	stays = calloc(q.n + 1, sizeof(*stays));
	named = calloc(q.n + 1, sizeof(*named));
	taken = calloc(q.n + 1, sizeof(*taken));
	if (!names || !keep || !stays || !named || !taken) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < q.n; i++) {
		names[i] = &q.v[i];
		stays[i] = true;
	}
	qsort(names, q.n, sizeof(*names), by_name);
	/* the leases that stay: a confined jail's that is inside the pool,
	 * and those of jails the config does not name (destroy releases them) */
	for (size_t i = 0; i < m->n_jails; i++) {
		struct model_jail *j = &m->jails[i];
		const struct store_idmap **l;

		j->idmap = (struct model_idmap){ 0 };
		if (!j->confine)
			continue;
		l = bsearch(j->name, names, q.n, sizeof(*names), lease_of);
		if (!l)
			continue;
		keep[i] = (*l)->count == IDMAP_RANGE && in_pool(pool, (*l)->base, (*l)->count);
		stays[*l - q.v] = keep[i];
		named[*l - q.v] = true;
		if (keep[i])
			j->idmap = (struct model_idmap){ (*l)->base, (*l)->count };
	}
	r = store_begin(s);
	if (r < 0) {
		snprintf(err, errlen, "store: %s", store_errmsg(s));
		goto cleanup;
	}
	/* a lease of a jail that the config does not name (as confined) and
	 * that does not exist (no ownership record: an apply that leased and
	 * then failed, a jail removed from the config before it was made) is
	 * no one's: released */
	for (size_t i = 0; i < q.n && r == 0; i++) {
		if (named[i])
			continue;
		r = store_own_has(s, REF_OWN(store_own_jail(q.v[i].jail)));
		if (r == 0) {
			stays[i] = false;
			r = store_idmap_release(s, q.v[i].jail);
		} else if (r > 0) {
			r = 0;
		}
		if (r < 0)
			snprintf(err, errlen, "store: %s", store_errmsg(s));
	}
	/* q is by base, so taken is sorted */
	for (size_t i = 0; i < q.n; i++)
		if (stays[i])
			taken[n_taken++] = (struct idmap_span){ q.v[i].base, (uint64_t)q.v[i].base + q.v[i].count };
	for (size_t i = 0; i < m->n_jails && r == 0; i++) {
		struct model_jail *j = &m->jails[i];
		uint64_t base;

		if (!j->confine || keep[i])
			continue;
		if (!next_free(pool, &span, &slot, taken, n_taken, &t, &base)) {
			r = -ENOSPC;
			snprintf(err, errlen, "jail %s: no free range of %u ids left in the pool (%s)", j->name,
				 IDMAP_RANGE, pool->what);
			break;
		}
		r = store_idmap_lease(s, j->name, (uint32_t)base, IDMAP_RANGE);
		if (r < 0)
			snprintf(err, errlen, "jail %s: id range: %s", j->name, store_errmsg(s));
		else
			j->idmap = (struct model_idmap){ (uint32_t)base, IDMAP_RANGE };
	}
	if (r == 0 && (r = store_commit(s)) < 0)
		snprintf(err, errlen, "store: %s", store_errmsg(s));
	if (r < 0) {
		store_rollback(s);
		for (size_t i = 0; i < m->n_jails; i++)
			if (!keep[i])
				m->jails[i].idmap = (struct model_idmap){ 0 };
	}
cleanup:
	free(q.v);
	free(names);
	free(keep);
	free(stays);
	free(named);
	free(taken);
	return r;
}

int idmap_release_orphans(struct store *s)
{
	struct leases q = { 0 };
	int r = store_idmap_list(s, collect_lease, &q), n = 0;

	for (size_t i = 0; i < q.n && r >= 0; i++) {
		r = store_own_has(s, REF_OWN(store_own_jail(q.v[i].jail)));
		if (r == 0 && (r = store_idmap_release(s, q.v[i].jail)) == 0)
			n++;
	}
	free(q.v);
	return r < 0 ? r : n;
}

int idmap_lookup(struct store *s, struct model *m)
{
	for (size_t i = 0; i < m->n_jails; i++) {
		struct model_jail *j = &m->jails[i];
		struct store_idmap l;
		int r;

		j->idmap = (struct model_idmap){ 0 };
		if (!j->confine || !s)
			continue;
		r = store_idmap_get(s, j->name, &l);
		if (r == 0)
			j->idmap = (struct model_idmap){ l.base, l.count };
		else if (r != -ENOENT)
			return r;
	}
	return 0;
}

int engine_resolve_idmap(struct engine *e, struct model *m, bool lookup_only)
{
	struct idmap_pool pool = { 0 };
	const char *su = testhook_env("JAIL6_TEST_SUBUID"), *sg = testhook_env("JAIL6_TEST_SUBGID");
	char err[sizeof(e->err)];
	bool any = false;
	int r;

	if (lookup_only) {
		r = idmap_lookup(e->store, m);
		return r < 0 ? engine_fail(e, r, "store: %s", store_errmsg(e->store)) : 0;
	}
	for (size_t i = 0; i < m->n_jails && !any; i++)
		any = m->jails[i].confine;
	if (!any)
		return 0;
	r = idmap_pool_read(su ? su : IDMAP_SUBUID, sg ? sg : IDMAP_SUBGID, &pool, err, sizeof(err));
	if (r == 0)
		r = idmap_assign(e->store, m, &pool, err, sizeof(err));
	idmap_pool_free(&pool);
	return r < 0 ? engine_fail(e, r, "%s", err) : 0;
}
