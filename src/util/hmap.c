/* The hash index: linear probing, at most half full, deletion by backward
 * shift; and the multimap that chains the values of a key on top of it. */
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

/* The slot holding the value for which eq holds, or NULL. */
static struct hmap_slot *find_slot(const struct hmap *m, uint64_t h, hmap_eq eq, const void *arg)
{
	if (!m->cap)
		return NULL;
	for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct hmap_slot *s = &m->slots[i];
		if (!s->hash)
			return NULL;
		if (s->hash == h && eq(arg, s->val))
			return s;
	}
}

size_t *hmap_find(const struct hmap *m, uint64_t h, hmap_eq eq, const void *arg)
{
	struct hmap_slot *s = find_slot(m, h, eq, arg);

	return s ? &s->val : NULL;
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

bool hmap_del(struct hmap *m, uint64_t h, hmap_eq eq, const void *arg)
{
	struct hmap_slot *s = find_slot(m, h, eq, arg);
	size_t mask = m->cap - 1, i, j;

	if (!s)
		return false;
	i = (size_t)(s - m->slots);
	/* shift back every later entry of the run that may live at i: one
	 * whose home slot is not cyclically inside (i, j] */
	for (j = (i + 1) & mask; m->slots[j].hash; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].hash = 0;
	m->slots[i].val = 0;
	m->used--;
	return true;
}

void hmap_remap(struct hmap *m, const size_t *to)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].hash)
			m->slots[i].val = to[m->slots[i].val];
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* Room for value v in the chains. */
static int multi_room(struct hmap_multi *m, size_t v)
{
	size_t cap = m->cap ? m->cap : 8, *nx, *pv;

	if (v < m->cap)
		return 0;
	while (cap <= v)
		cap *= 2;
	nx = realloc(m->next, cap * sizeof(*nx));
	if (!nx)
		return -ENOMEM;
	m->next = nx;
	pv = realloc(m->prev, cap * sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	m->prev = pv;
	m->cap = cap;
	return 0;
}

int hmap_multi_put(struct hmap_multi *m, uint64_t h, size_t val, hmap_eq eq, const void *arg)
{
	size_t *head;
	int r = multi_room(m, val);

	if (r < 0)
		return r;
	m->prev[val] = HMAP_NONE;
	head = hmap_find(&m->heads, h, eq, arg);
	if (head) {
		/* val becomes the head: O(1) whatever the chain's length */
		m->next[val] = *head;
		m->prev[*head] = val;
		*head = val;
		return 0;
	}
	m->next[val] = HMAP_NONE;
	r = hmap_put(&m->heads, h, val, eq, arg);
	return r < 0 ? r : 0;
}

static bool eq_val(const void *arg, size_t val)
{
	return *(const size_t *)arg == val;
}

void hmap_multi_del(struct hmap_multi *m, uint64_t h, size_t val)
{
	size_t nx = m->next[val], pv = m->prev[val];

	if (nx != HMAP_NONE)
		m->prev[nx] = pv;
	if (pv != HMAP_NONE)
		m->next[pv] = nx;
	else if (nx != HMAP_NONE)
		*hmap_find(&m->heads, h, eq_val, &val) = nx; /* the next one heads the chain */
	else
		hmap_del(&m->heads, h, eq_val, &val);
}

size_t hmap_multi_first(const struct hmap_multi *m, uint64_t h, hmap_eq eq, const void *arg)
{
	size_t *head = hmap_find(&m->heads, h, eq, arg);

	return head ? *head : HMAP_NONE;
}

void hmap_multi_remap(struct hmap_multi *m, const size_t *to, size_t n)
{
	/* to[] is increasing, so to[v] <= v: the chains move in place, lowest
	 * value first, and never overwrite one not moved yet */
	for (size_t v = 0; v < n && v < m->cap; v++) {
		size_t nx = m->next[v], pv = m->prev[v];
		if (to[v] == HMAP_NONE)
			continue;
		m->next[to[v]] = nx == HMAP_NONE ? HMAP_NONE : to[nx];
		m->prev[to[v]] = pv == HMAP_NONE ? HMAP_NONE : to[pv];
	}
	hmap_remap(&m->heads, to);
}

void hmap_multi_clear(struct hmap_multi *m)
{
	hmap_free(&m->heads);
}

void hmap_multi_free(struct hmap_multi *m)
{
	if (!m)
		return;
	hmap_free(&m->heads);
	free(m->next);
	free(m->prev);
	memset(m, 0, sizeof(*m));
}
