/*
 * The FreeBSD backend behind the seam (os/backend.h). It renders plans as
 * the base system's commands (render.c); running them needs a FreeBSD host,
 * which this build cannot reach, so the operations that touch a host answer
 * -EOPNOTSUPP and say so.
 */
#include <errno.h>

#include "os/backend.h"
#include "os/freebsd/freebsd.h"
#include "util/msg.h"

static int fb_open(const struct backend_opts *o, struct backend **out, char *err, size_t errlen)
{
	(void)o;
	*out = NULL;
	return msg_fail(err, errlen, -EOPNOTSUPP,
			"freebsd: this jail6 renders FreeBSD plans (plan --target freebsd) but cannot run them here");
}

static void fb_close(struct backend *b)
{
	(void)b;
}

static const char *fb_runtime_dir(const struct backend *b)
{
	(void)b;
	return "/var/run";
}

static int fb_render(FILE *out, const struct plan *p, bool json)
{
	return json ? freebsd_render_json(out, p) : freebsd_render(out, p);
}

/* The files freebsd_export compiles, in the order README.freebsd installs
 * them (sysctl.conf.jail6 only when a sysctl is needed). */
static int fb_export(const struct model *m, const struct plan *p, const char *source, struct backend_export *out)
{
	struct freebsd_export fx = { 0 };
	int r = freebsd_export(m, p, source, &fx);

	out->errors = fx.errors;
	fx.errors = NULL;
	if (r < 0) {
		freebsd_export_free(&fx);
		return r;
	}
	out->files[out->n++] = (struct backend_export_file){ "rc.conf.jail6", fx.rc_conf };
	if (fx.sysctl_conf)
		out->files[out->n++] = (struct backend_export_file){ "sysctl.conf.jail6", fx.sysctl_conf };
	out->files[out->n++] = (struct backend_export_file){ "jail.conf", fx.jail_conf };
	out->files[out->n++] = (struct backend_export_file){ "README.freebsd", fx.readme };
	return 0;
}

const struct backend_ops backend_freebsd = {
	.name = "freebsd",
	.open = fb_open,
	.close = fb_close,
	.runtime_dir = fb_runtime_dir,
	.render = fb_render,
	.export = fb_export,
	.export_mark = FREEBSD_EXPORT_MARK,
};
