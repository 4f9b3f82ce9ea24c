/*
 * The plan's jail actions (create, destroy, exec) over jail.c, which knows
 * nothing of plans or of the context's per-namespace sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/linux/execute.h"
#include "os/linux/jail.h"
#include "os/linux/lxc.h"
#include "os/linux/netns.h"

/* RUN/log/NAME.log, opened for appending (made if missing); -errno. */
int linux_jail_log_open(const char *run_dir, const char *name, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/log", run_dir ? run_dir : "");
	int fd;

	if (!run_dir || n < 0 || (size_t)n >= len)
		return -EINVAL;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	n = snprintf(path, len, "%s/log/%s.log", run_dir, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

/* Whether a is the creation of a confined jail in a network namespace
 * jail6 makes (not one the container makes: allow.*), whose container can
 * start while later actions run: they do not need it running. */
bool linux_jail_create_async(const struct action *a)
{
	return a->kind == ACTION_JAIL_CREATE && a->jail && a->jail->confine &&
	       !(a->jail->allow & (MODEL_ALLOW_NET_ADMIN | MODEL_ALLOW_RAW_SOCKETS));
}

int linux_jail_create_begin(struct linux_ctx *c, const struct action *a, struct lxcj_starting *s, char *err,
			    size_t errlen)
{
	struct exec x = { .c = c, .a = a, .err = err, .errlen = errlen };
	const char *rt = linux_runtime_dir(c), *run = linux_run_dir(c);
	char netns[PATH_MAX];
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!model_jailname_ok(a->target))
		return exec_fail_msg(&x, -EINVAL, "invalid jail name \"%s\"", a->target);
	linux_ns_forget(c, a->target);
	rc = jail_create_net(rt, a->target, err, errlen);
	if (rc < 0)
		return rc;
	if (netns_path(netns, sizeof(netns), rt, a->target) < 0)
		rc = exec_fail(&x, -ENAMETOOLONG, "%s: network namespace path", a->target);
	else
		rc = lxcj_start_begin(run, a->jail, netns, s, err, errlen);
	if (rc < 0)
		jail_destroy(rt, NULL, a->target, NULL, 0);
	return rc;
}

int linux_jail_create_end(struct linux_ctx *c, struct lxcj_starting *s, char *err, size_t errlen)
{
	int rc = lxcj_start_end(linux_run_dir(c), s, err, errlen);

	if (rc < 0) {
		linux_ns_forget(c, s->name);
		jail_destroy(linux_runtime_dir(c), NULL, s->name, NULL, 0);
	}
	return rc;
}

bool linux_jail_destroy_async(struct linux_ctx *c, const struct action *a)
{
	const char *run = linux_run_dir(c);

	return a->kind == ACTION_JAIL_DESTROY && run && model_jailname_ok(a->target) && lxcj_present(run, a->target);
}

int linux_jail_destroy_begin(struct linux_ctx *c, const struct action *a, struct lxcj_starting *s, char *err,
			     size_t errlen)
{
	/* what we hold of its namespace would keep it alive */
	linux_ns_forget(c, a->target);
	return lxcj_stop_begin(linux_run_dir(c), a->target, s, err, errlen);
}

int linux_jail_destroy_end(struct linux_ctx *c, struct lxcj_starting *s, char *err, size_t errlen)
{
	int rc = lxcj_stop_end(s, err, errlen);

	if (rc < 0)
		return rc;
	linux_ns_forget(c, s->name);
	rc = jail_destroy(linux_runtime_dir(c), linux_run_dir(c), s->name, err, errlen);
	/* no such jail: destroyed already, what was asked for */
	return rc == -ENOENT ? 0 : rc;
}

/* A confined jail: its network namespace, then its container. */
static int create_confined(struct exec *x, const char *rt, const char *run)
{
	const struct action *a = x->a;
	struct lxcj_starting st;
	char netns[PATH_MAX];
	int rc;

	if (linux_jail_create_async(a)) {
		rc = linux_jail_create_begin(x->c, a, &st, x->err, x->errlen);
		return rc < 0 ? rc : linux_jail_create_end(x->c, &st, x->err, x->errlen);
	}
	/* allow.*: the container makes a netns of its own, bound there then */
	if (netns_exists(rt, a->target))
		return exec_fail_msg(x, -EEXIST, "%s: jail exists: %s", a->target, strerror(EEXIST));
	if (netns_path(netns, sizeof(netns), rt, a->target) < 0)
		rc = -ENAMETOOLONG;
	else
		rc = lxcj_start(run, a->jail, netns, x->err, x->errlen);
	if (rc < 0)
		jail_destroy(rt, NULL, a->target, NULL, 0);
	return rc;
}

/* exec.start / exec.stop behind the exec boundary, output to the jail's log. */
static int exec_logged(struct exec *x, const char *rt, const char *run)
{
	const struct action *a = x->a;
	char log[PATH_MAX], *env[8];
	struct lxcj_envbuf eb;
	int status = 0, rc, out;

	out = linux_jail_log_open(run, a->target, log, sizeof(log));
	if (out < 0)
		return exec_fail_msg(x, out, "%s: log %s: %s", a->target, log, strerror(-out));
	dprintf(out, "jail6: exec %s\n", a->argv->argv[0]);
	if (lxcj_present(run, a->target)) {
		struct lxcj_cmd cmd = { .argv = a->argv->argv, .out_fd = out };
		rc = lxcj_exec(run, a->target, &cmd, &status, x->err, x->errlen);
	} else {
		struct jail_run_opts ro = { .envp = env, .out_fd = out };
		rc = lxcj_env(env, sizeof(env) / sizeof(env[0]), &eb, "/", NULL);
		if (rc == 0)
			rc = jail_run_opts(rt, run, a->target, a->argv->argv, &ro, &status, x->err, x->errlen);
	}
	close(out);
	if (rc == 0 && status != 0)
		return exec_fail_msg(x, -EIO, "%s: exec %s: exited with status %d (output in %s)", a->target,
				     a->argv->argv[0], status, log);
	return rc;
}

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
		if (a->jail && a->jail->confine)
			rc = create_confined(x, rt, run);
		else
			rc = jail_create(rt, run, a->target, a->hostname, a->path, x->err, x->errlen);
		break;
	case ACTION_JAIL_DESTROY:
		if (run && lxcj_present(run, a->target)) {
			rc = lxcj_stop(run, a->target, x->err, x->errlen);
			if (rc < 0)
				break;
			rc = jail_destroy(rt, run, a->target, x->err, x->errlen);
			if (rc == -ENOENT)
				return 0;
			break;
		}
		rc = jail_destroy(rt, run, a->target, x->err, x->errlen);
		/* No such jail: destroyed already, what was asked for. */
		if (rc == -ENOENT)
			return 0;
		break;
	default:
		if (!a->argv || a->argv->argc == 0 || !a->argv->argv || !a->argv->argv[0])
			return exec_fail_msg(x, -EINVAL, "%s: exec: empty command", a->target);
		if (run)
			return exec_logged(x, rt, run);
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
