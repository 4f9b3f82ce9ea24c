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

/* Free the slots; NULL-tolerant; the map is empty and usable after. */
void hmap_free(struct hmap *m);

#endif
