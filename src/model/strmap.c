/* A small string-keyed hash map for the model's lookup indexes. */
#include "model/strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
	return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash(key) & (m->cap - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* Double the table (or make the first one). */
static int grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t cap = m->cap ? m->cap * 2 : 16;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->used = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key) = old.slots[i], m->used++;
	free(old.slots);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
	struct strmap_slot *s;

	if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	s = find(m, key);
	if (s->key)
		return 0;
	s->key = key;
	s->val = val;
	m->used++;
	return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	return find(m, key)->val;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = 0;
}
