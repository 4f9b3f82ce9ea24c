/* `jail6 plan --target freebsd --json`: each action with the FreeBSD
 * commands (argv arrays) that carry it out. */
#include <errno.h>
#include <jansson.h>

#include "os/freebsd/freebsd.h"

int freebsd_render_json(FILE *out, const struct plan *p)
{
	json_t *root = json_object(), *arr = json_array();
	char line[512];
	int err = 0;

	if (!root || !arr || json_object_set_new(root, "target", json_string("freebsd")) < 0 ||
	    json_object_set(root, "actions", arr) < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < p->n_actions && !err; i++) {
		const struct action *a = &p->actions[i];
		struct freebsd_cmds c = { 0 };
		json_t *cmds = json_array();
		const char *why = freebsd_unsupported(a);
		json_t *o = json_pack("{s:s, s:s, s:o}", "kind", action_kind_name(a->kind), "description",
				      action_describe(a, line, sizeof(line)), "commands", cmds);

		if (!o || json_array_append_new(arr, o) < 0) {
			err = -ENOMEM;
			break;
		}
		if (why) {
			json_object_set_new(o, "unsupported", json_string(why));
			continue;
		}
		err = freebsd_action_argv(a, &c);
		for (size_t k = 0; !err && k < c.n; k++) {
			json_t *argv = json_array();
			for (char **w = c.argv[k]; *w; w++)
				json_array_append_new(argv, json_string(*w));
			json_array_append_new(cmds, argv);
		}
		freebsd_cmds_free(&c);
	}
	if (!err && (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF))
		err = -EIO;
cleanup:
	json_decref(arr);
	json_decref(root);
	return err;
}
