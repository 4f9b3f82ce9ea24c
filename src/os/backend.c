/* The one place that picks a backend (see backend.h). */
#include "os/backend.h"

#include <string.h>

#ifdef __linux__
extern const struct backend_ops backend_linux;
#endif
extern const struct backend_ops backend_freebsd;

static const struct backend_ops *const backends[] = {
#ifdef __linux__
	&backend_linux,
#endif
	&backend_freebsd,
};

const struct backend_ops *backend_native(void)
{
#if defined(__linux__)
	return &backend_linux;
#else
	return &backend_freebsd;
#endif
}

const struct backend_ops *backend_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

const char *backend_names(void)
{
#ifdef __linux__
	return "linux, freebsd";
#else
	return "freebsd";
#endif
}
