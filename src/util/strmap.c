/* A string-keyed map: entries in an array, looked up through hmap. */
#include "util/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	const struct strmap *m;
	const char *key;
};

static bool eq(const void *arg, size_t val)
{
	const struct probe *p = arg;

	return !strcmp(p->m->v[val].key, p->key);
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
	struct probe p = { m, key };
	uint64_t h = hmap_fin(hmap_hash_str(HMAP_SEED, key));
	int r;

	if (hmap_find(&m->idx, h, eq, &p))
		return 0;
	if (m->used == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct strmap_ent *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->used] = (struct strmap_ent){ key, val };
	r = hmap_put(&m->idx, h, m->used, eq, &p);
	if (r < 0)
		return r;
	m->used++;
	return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct probe p = { m, key };
	size_t *i = hmap_find(&m->idx, hmap_fin(hmap_hash_str(HMAP_SEED, key)), eq, &p);

	return i ? m->v[*i].val : NULL;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	hmap_free(&m->idx);
	free(m->v);
	m->v = NULL;
	m->used = m->cap = 0;
}
