/* `jail6 export`: the config compiled into a target's own boot files. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/backend.h"

/* Append one line to *errs (malloc'd, newline-terminated lines). */
__attribute__((format(printf, 2, 3)))
static int err_line(char **errs, const char *fmt, ...)
{
	size_t old = *errs ? strlen(*errs) : 0;
	char line[1024], *p;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	p = realloc(*errs, old + strlen(line) + 2);
	if (!p)
		return -ENOMEM;
	snprintf(p + old, strlen(line) + 2, "%s\n", line);
	*errs = p;
	return 0;
}

/* local = auto: the address given with --local, which nothing records. */
static int resolve_local(struct model *m, const char *local, char **errs)
{
	struct addr a;
	const char *why = NULL;

	if (!local)
		return 0;
	if (addr_parse(local, ADDR_PREFIX_NONE | ADDR_V4_ONLY, &a, &why) < 0) {
		int r = err_line(errs, "--local %s: %s (an IPv4 address)", local, why ? why : "not valid");
		return r < 0 ? r : -EINVAL;
	}
	for (size_t i = 0; i < m->n_tunnels; i++)
		if (m->tunnels[i].local_auto) {
			m->tunnels[i].local_auto = false;
			m->tunnels[i].local = a;
		}
	return 0;
}

/* address = auto: the store's leases, read only; an address with none is
 * refused, naming its interface. */
static int resolve_addresses(struct model *m, const struct engine_export_opts *o, char **errs, char *err,
			     size_t errlen)
{
	struct engine e = { 0 };
	bool any = false;
	int r;

	for (size_t i = 0; i < m->n_jails; i++)
		for (size_t f = 0; f < m->jails[i].n_ifaces; f++)
			any = any || m->jails[i].ifaces[f].n_auto > 0;
	if (!any)
		return 0;
	if (o->state_dir) {
		r = store_open(o->state_dir, STORE_READONLY, o->lock_timeout_ms, &e.store, err, errlen);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	r = engine_resolve_auto(&e, m, true);
	if (r < 0)
		snprintf(err, errlen, "%s", e.err);
	store_close(e.store);
	for (size_t i = 0; i < m->n_jails && r == 0; i++)
		for (size_t f = 0; f < m->jails[i].n_ifaces && r == 0; f++) {
			const struct model_iface *ifc = &m->jails[i].ifaces[f];
			if (ifc->n_auto > 0)
				r = err_line(errs, "%s:%d:%d: jail '%s': interface '%s': address = auto: the store in %s "
					     "records no address for it (jail6 apply leases one there); write the address",
					     ifc->pos.file, ifc->pos.line, ifc->pos.col, m->jails[i].name, ifc->name,
					     o->state_dir ? o->state_dir : "(none)");
		}
	return r < 0 ? r : (*errs ? -EINVAL : 0);
}

int engine_export(struct model *m, const struct engine_export_opts *o, struct engine_export *out, char *err,
		  size_t errlen)
{
	const struct backend_ops *b = o->target ? backend_find(o->target) : NULL;
	struct backend_export bx = { 0 };
	struct state empty = { 0 };
	struct plan p = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!b || !b->export) {
		snprintf(err, errlen, "export: unknown target '%s' (freebsd)", o->target ? o->target : "");
		return -ENOENT;
	}
	r = resolve_local(m, o->local, &out->errors);
	if (r == 0)
		r = resolve_addresses(m, o, &out->errors, err, errlen);
	if (r == 0)
		r = plan_build(m, &empty, &p);
	if (r == 0) {
		r = b->export(m, &p, o->source ? o->source : "jail6.conf", &bx);
		out->errors = bx.errors;
	}
	plan_free(&p);
	for (size_t i = 0; i < bx.n; i++)
		out->files[out->n++] = (struct engine_export_file){ bx.files[i].name, bx.files[i].text };
	return r;
}

void engine_export_free(struct engine_export *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->files[i].text);
	free(x->errors);
	memset(x, 0, sizeof(*x));
}

const char *engine_export_mark(const char *target)
{
	const struct backend_ops *b = target ? backend_find(target) : NULL;

	return b && b->export_mark ? b->export_mark : NULL;
}
