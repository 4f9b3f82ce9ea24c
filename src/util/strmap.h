/* A string-keyed map on the hash index (hmap.h). Keys are borrowed, never
 * copied: they must outlive the map. */
#ifndef JAIL6_UTIL_STRMAP_H
#define JAIL6_UTIL_STRMAP_H

#include <stddef.h>

#include "util/hmap.h"

struct strmap_ent {
	const char *key;
	void *val;
};

struct strmap {
	struct hmap idx;
	struct strmap_ent *v;
	size_t used, cap; /* entries in v, and room */
};

/* Insert key -> val unless key is there (the first value wins); 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *val);

/* The value of key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/* Free the map (not the keys); NULL-tolerant. */
void strmap_free(struct strmap *m);

#endif
