/* A small string-keyed hash map (open addressing, FNV-1a): the lookup
 * indexes of the model. Keys are borrowed, never copied: they must outlive
 * the map. */
#ifndef JAIL6_MODEL_STRMAP_H
#define JAIL6_MODEL_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	const char *key;
	void *val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, used;
};

/* Insert key -> val unless key is there (the first value wins); 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *val);

/* The value of key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/* Free the slots (not the keys); NULL-tolerant. */
void strmap_free(struct strmap *m);

#endif
