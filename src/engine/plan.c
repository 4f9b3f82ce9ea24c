/* Rendering plans for a target, with no host: `jail6 plan`. */
#include "engine/engine_int.h"

#include <errno.h>

int engine_plan_render(FILE *out, struct model *m, const char *target, bool json)
{
	const struct backend_ops *ops = target ? backend_find(target) : backend_native();
	struct state empty = { 0 };
	struct plan p = { 0 };
	int r;

	if (!ops)
		return -ENOENT;
	r = plan_resolve_auto(m);
	if (r == 0)
		r = plan_build(m, &empty, &p);
	if (r == 0)
		r = ops->render(out, &p, json);
	plan_free(&p);
	return r;
}

const char *engine_plan_targets(void)
{
	return backend_names();
}

int engine_plan_print(FILE *out, const struct plan *p)
{
	return plan_render_text(out, p);
}
