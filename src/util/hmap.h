/*
 * The one hash index of jail6: open addressing over 64-bit hashes (FNV-1a),
 * values are positions (or any size_t) into the caller's own arrays. The
 * index stores no keys: the caller hashes a key with hmap_hash*() and says,
 * through eq, whether the value found has that key. So arrays that move
 * (realloc) never leave the index dangling, and one implementation serves
 * string maps (strmap.h), the observed state's composite keys and the
 * validator's registries.
 */
#ifndef JAIL6_UTIL_HMAP_H
#define JAIL6_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t hash;   /* 0 = empty (hmap_hash* never returns 0) */
	size_t val;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap;      /* a power of two, or 0 */
	size_t used;
};

/* Whether the value val has the key being looked for (arg: the caller's). */
typedef bool (*hmap_eq)(const void *arg, size_t val);

#define HMAP_SEED UINT64_C(14695981039346656037)

/* FNV-1a of n bytes, continuing from h (start with HMAP_SEED). */
uint64_t hmap_hash(uint64_t h, const void *p, size_t n);
/* The same over a string and its NUL, so "ab"+"c" differs from "a"+"bc". */
uint64_t hmap_hash_str(uint64_t h, const char *s);
/* A finished hash: never 0. */
static inline uint64_t hmap_fin(uint64_t h)
{
	return h ? h : 1;
}

/* The value stored under hash h for which eq(arg, value) holds, or NULL. */
size_t *hmap_find(const struct hmap *m, uint64_t h, hmap_eq eq, const void *arg);

/* Store val under h unless a value with the same key is there (the first
 * wins, as a linear scan would find it). 1 when stored, 0 when the key was
 * there, -ENOMEM. h must be hmap_fin()ished. */
int hmap_put(struct hmap *m, uint64_t h, size_t val, hmap_eq eq, const void *arg);

/* Remove the value stored under h for which eq(arg, value) holds (the first
 * one a lookup meets). Later entries of the probe run move back into the
 * gap (backward-shift deletion), so the table needs no tombstones and stays
 * as fast as if the value had never been stored. true when one was removed. */
bool hmap_del(struct hmap *m, uint64_t h, hmap_eq eq, const void *arg);

/* Replace every stored value v by to[v] (the caller's arrays were
 * compacted: the positions moved, the keys did not). */
void hmap_remap(struct hmap *m, const size_t *to);

/* Free the slots; NULL-tolerant; the map is empty and usable after. */
void hmap_free(struct hmap *m);

/*
 * A multimap on the hash index: a key may have many values, which must be
 * positions (small integers: they index the chains). The index holds each
 * distinct key once, with one of its values; the others are chained through
 * next/prev per value. A key that thousands of values share is then one
 * slot, not a probe run that long, and a value joins or leaves in O(1).
 */
struct hmap_multi {
	struct hmap heads;
	size_t *next, *prev; /* per value: the other values of its key, HMAP_NONE ends */
	size_t cap;          /* values next[] and prev[] cover */
};

#define HMAP_NONE SIZE_MAX

/* Add val under h (eq and arg find val's key, as for hmap_put); val must not
 * be stored already. 0 or -ENOMEM. */
int hmap_multi_put(struct hmap_multi *m, uint64_t h, size_t val, hmap_eq eq, const void *arg);

/* Remove val, stored under h; its key must still be the one it was put with. */
void hmap_multi_del(struct hmap_multi *m, uint64_t h, size_t val);

/* The first value of a key in the chain, or HMAP_NONE; then hmap_multi_next
 * until HMAP_NONE. The order is not the order of insertion. */
size_t hmap_multi_first(const struct hmap_multi *m, uint64_t h, hmap_eq eq, const void *arg);
static inline size_t hmap_multi_next(const struct hmap_multi *m, size_t val)
{
	return m->next[val];
}

/* Renumber the values after the caller compacted its arrays: for every
 * v < n, to[v] is the new number of a stored v (increasing with v) or
 * HMAP_NONE for a v that is not stored. */
void hmap_multi_remap(struct hmap_multi *m, const size_t *to, size_t n);

/* Forget every value but keep the chains' memory (for a rebuild). */
void hmap_multi_clear(struct hmap_multi *m);

/* Free it all; NULL-tolerant; the map is empty and usable after. */
void hmap_multi_free(struct hmap_multi *m);

#endif
