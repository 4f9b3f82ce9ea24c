/* The hash index: linear probing, at most half full. */
#include "util/hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t hmap_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

uint64_t hmap_hash_str(uint64_t h, const char *s)
{
	return hmap_hash(h, s, strlen(s) + 1);
}

size_t *hmap_find(const struct hmap *m, uint64_t h, hmap_eq eq, const void *arg)
{
	if (!m->cap)
		return NULL;
	for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct hmap_slot *s = &m->slots[i];
		if (!s->hash)
			return NULL;
		if (s->hash == h && eq(arg, s->val))
			return &s->val;
	}
}

/* The empty slot where hash h goes. */
static struct hmap_slot *free_slot(const struct hmap *m, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->slots[i].hash)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* Double the table (or make the first one); stored hashes need no rehash. */
static int grow(struct hmap *m)
{
	struct hmap old = *m;
	size_t cap = m->cap ? m->cap * 2 : 16;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].hash)
			*free_slot(m, old.slots[i].hash) = old.slots[i];
	free(old.slots);
	return 0;
}

int hmap_put(struct hmap *m, uint64_t h, size_t val, hmap_eq eq, const void *arg)
{
	struct hmap_slot *s;

	if (hmap_find(m, h, eq, arg))
		return 0;
	if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	s = free_slot(m, h);
	s->hash = h;
	s->val = val;
	m->used++;
	return 1;
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
