/*
 * The plan's jail actions (create, destroy, exec) over jail.c, which knows
 * nothing of plans or of the context's per-namespace sockets.
 */
#include <errno.h>

#include "os/linux/execute.h"
#include "os/linux/jail.h"

/* ACTION_JAIL_CREATE, _DESTROY and _EXEC of jail a->target. */
int exec_jail(struct exec *x)
{
	const struct action *a = x->a;
	const char *rt = linux_runtime_dir(x->c), *run = linux_run_dir(x->c);
	int rc, status = 0;

	if (!model_jailname_ok(a->target))
		return exec_fail_msg(x, -EINVAL, "invalid jail name \"%s\"", a->target);
	/* A socket or fd we hold would keep the old namespace alive, or make
	 * us talk to it instead of the new one. */
	linux_ns_forget(x->c, a->target);
	if (x->err && x->errlen)
		x->err[0] = '\0';
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		rc = jail_create(rt, run, a->target, a->hostname, a->path, x->err, x->errlen);
		break;
	case ACTION_JAIL_DESTROY:
		rc = jail_destroy(rt, run, a->target, x->err, x->errlen);
		/* No such jail: destroyed already, what was asked for. */
		if (rc == -ENOENT)
			return 0;
		break;
	default:
		if (!a->argv || a->argv->argc == 0 || !a->argv->argv || !a->argv->argv[0])
			return exec_fail_msg(x, -EINVAL, "%s: exec: empty command", a->target);
		rc = jail_run_err(rt, run, a->target, a->argv->argv, &status, x->err, x->errlen);
		if (rc == 0 && status != 0)
			return exec_fail_msg(x, -EIO, "%s: exec %s: exited with status %d", a->target,
					     a->argv->argv[0], status);
		break;
	}
	if (rc < 0 && x->err && x->errlen && x->err[0] == '\0')
		exec_fail(x, rc, "%s: %s", a->target, action_kind_name(a->kind));
	return rc;
}
