/* The engine's core: opening and closing, errors, model views. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/msg.h"
#include "util/trust.h"

int engine_fail(struct engine *e, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	return r;
}

/* One line on f, when there is one. */
static void line(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	if (!f)
		return;
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void engine_say(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line(e->log, "", fmt, ap);
	va_end(ap);
}

void engine_warn(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line(e->warn, "jail6: ", fmt, ap);
	va_end(ap);
}

int engine_run_dir(const char *state_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/run", state_dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* As root, the state dir, its run dir and the runtime dir where jails'
 * namespaces are bound must be root's alone (util/trust.h): jail6 believes
 * the records there, and runs commands in those namespaces. */
static int trust_dirs(const struct engine_opts *o, const char *run_dir, char *err, size_t errlen)
{
	/* the Linux backend's default (os/linux/linux.h); elsewhere none */
#ifdef __linux__
	const char *rt = o->runtime_dir ? o->runtime_dir : "/run/netns";
#else
	const char *rt = o->runtime_dir;
#endif
	int r = 0;

	if (!trust_enforced())
		return 0;
	if (o->state_dir)
		r = trust_path(o->state_dir, 0, "jail6 believes its records there as root", err, errlen);
	if (r == 0 && run_dir)
		r = trust_path(run_dir, 0, "jail6 runs jails from there as root", err, errlen);
	if (r == 0 && rt)
		r = trust_path(rt, 0, "jail6 runs commands in the namespaces bound there as root", err, errlen);
	return r;
}

int engine_open(const struct engine_opts *o, struct engine **out, char *err, size_t errlen)
{
	struct backend_opts bo = { .host_netns = o->host_netns, .runtime_dir = o->runtime_dir };
	struct engine *e = calloc(1, sizeof(*e));
	char run[PATH_MAX];
	int r;

	*out = NULL;
	if (!e)
		return msg_fail(err, errlen, -ENOMEM, "out of memory");
	if (o->state_dir) {
		if (engine_run_dir(o->state_dir, run, sizeof(run)) < 0) {
			free(e);
			return msg_fail(err, errlen, -ENAMETOOLONG, "%s: path too long", o->state_dir);
		}
		bo.run_dir = run;
	}
	r = trust_dirs(o, bo.run_dir, err, errlen);
	if (r < 0) {
		free(e);
		return r;
	}
	e->log = o->log;
	e->warn = o->warn;
	e->ops = backend_native();
	/* no state dir: a tool that owns nothing (the lab's own wiring) */
	r = !o->state_dir ? 0 : store_open(o->state_dir, o->readonly ? STORE_READONLY : STORE_WRITE, o->lock_timeout_ms, &e->store,
		       err, errlen);
	/* a read-only look at a host jail6 never touched: nothing is owned */
	if (r == -ENOENT && o->readonly) {
		e->store = NULL;
		r = 0;
	}
	if (r == 0)
		r = e->ops->open(&bo, &e->be, err, errlen);
	if (r < 0) {
		engine_close(e);
		return r;
	}
	msg_debug("engine: backend %s, store %s%s", e->ops->name, e->store ? store_path(e->store) : o->state_dir,
		  e->store ? (o->readonly ? " (read-only)" : "") : " (none yet)");
	*out = e;
	return 0;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	if (e->be)
		e->ops->close(e->be);
	store_close(e->store);
	free(e);
}

const char *engine_error(const struct engine *e)
{
	return e ? e->err : "";
}

void engine_result_free(struct engine_result *r)
{
	if (!r)
		return;
	plan_free(&r->plan);
	plan_conflicts_free(&r->conflicts);
	engine_view_free(&r->view);
	engine_view_free(&r->view0);
	memset(r, 0, sizeof(*r));
}

const char *engine_jail_state_name(enum engine_jail_state s)
{
	switch (s) {
	case ENGINE_JAIL_RUNNING: return "running";
	case ENGINE_JAIL_ABSENT: return "absent";
	case ENGINE_JAIL_STOPPED: return "stopped";
	case ENGINE_JAIL_INCOMPLETE: return "incomplete";
	case ENGINE_JAIL_CONFLICT: return "conflict";
	}
	return "?";
}

enum engine_jail_state engine_jail_state_of(struct engine *e, const struct model_jail *j, const struct state *st)
{
	const struct state_jail *sj = state_find_jail(st, j->name);

	if (!sj)
		return engine_jail_wanted(e, j) ? ENGINE_JAIL_ABSENT : ENGINE_JAIL_STOPPED;
	if (!sj->owned)
		return ENGINE_JAIL_CONFLICT;
	return sj->incomplete ? ENGINE_JAIL_INCOMPLETE : ENGINE_JAIL_RUNNING;
}

bool engine_jail_wanted(struct engine *e, const struct model_jail *j)
{
	struct store_jail rec;

	if (e->store && store_jail_get(e->store, j->name, &rec) == 0)
		return rec.state != STORE_JAIL_STOPPED;
	return j->autostart;
}

int engine_view(struct engine *e, const struct model *m, struct model *view, const char *const *only,
		size_t n_only, const struct state *present)
{
	*view = *m;
	view->idx = NULL; /* its own index: it has other jails */
	view->jails = calloc(m->n_jails ? m->n_jails : 1, sizeof(*view->jails));
	view->n_jails = 0;
	if (!view->jails)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_jails; i++) {
		bool keep = engine_jail_wanted(e, &m->jails[i]) &&
			    (!present || state_find_jail(present, m->jails[i].name));
		for (size_t k = 0; k < n_only; k++)
			keep = keep || !strcmp(only[k], m->jails[i].name);
		if (keep)
			view->jails[view->n_jails++] = m->jails[i];
	}
	return 0;
}

void engine_view_free(struct model *view)
{
	struct model none = { 0 };

	if (!view)
		return;
	free(view->jails);
	/* the rest is borrowed from the real model: free only the index */
	none.idx = view->idx;
	model_free(&none);
	view->idx = NULL;
}

/* execute's start callback of engine_run_actions: one log line. */
static void say_action(void *arg, const struct action *a)
{
	char desc[512];

	engine_say(arg, "%s", action_describe(a, desc, sizeof(desc)));
}

int engine_jail_purge(struct engine *e, const char *name)
{
	e->err[0] = '\0';
	return e->ops->jail_purge(e->be, name, e->err, sizeof(e->err));
}

int engine_run_actions(struct engine *e, const struct plan *p)
{
	struct backend_exec_cb cb = { .start = say_action, .arg = e };

	e->err[0] = '\0';
	return e->ops->execute(e->be, p, NULL, &cb, e->err, sizeof(e->err));
}
