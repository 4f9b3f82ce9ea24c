/*
 * Hooks that exist only in the test build (-DJAIL6_TEST_HOOKS, the
 * binaries under BUILD/tests/): the product binary reads no test-only
 * environment variable. testhook_env(NAME) is getenv(NAME) there and NULL
 * in the product.
 *
 * Hooks: JAIL6_TEST_KILL_AFTER=K (the engine SIGKILLs itself after K
 * actions: killed applies at a chosen point), JAIL6_TEST_EXE=PATH (the
 * jail6 binary a test driver spawns for the userspace datapath),
 * JAIL6_TEST_SUBUID=PATH and JAIL6_TEST_SUBGID=PATH (the files the engine
 * reads root's delegated id ranges from, engine/idmap.c).
 */
#ifndef JAIL6_UTIL_TESTHOOK_H
#define JAIL6_UTIL_TESTHOOK_H

#ifdef JAIL6_TEST_HOOKS
#include <stdlib.h>
static inline const char *testhook_env(const char *name)
{
	return getenv(name);
}
#else
/* a macro, so that not even the variable's name is in the product */
#define testhook_env(name) ((const char *)NULL)
#endif

#endif
