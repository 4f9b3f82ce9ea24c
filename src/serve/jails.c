/* "New jail" and "remove jail": one config file per jail in the include
 * directory, written only once the grammar accepts it. */
#include <errno.h>
#include <jansson.h>

#include "serve/priv.h"

int priv_create(const struct serve_opts *o, const char *const *args, bool dry, struct priv_reply *out)
{
	out->status = 501;
	out->doc = json_pack("{s:s, s:s}", "code", "not_implemented", "message", "not yet");
	return 0;
}

int priv_remove(const struct serve_opts *o, const char *name, bool dry, struct priv_reply *out)
{
	out->status = 501;
	out->doc = json_pack("{s:s, s:s}", "code", "not_implemented", "message", "not yet");
	return 0;
}
