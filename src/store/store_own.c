/* Ownership: the links, addresses, routes, jails and sysctls jail6 created,
 * so that destroy removes those and nothing else. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static const char *const kind_names[] = {
	[STORE_OWN_LINK] = "link",
	[STORE_OWN_ADDR] = "addr",
	[STORE_OWN_ROUTE] = "route",
	[STORE_OWN_JAIL] = "jail",
	[STORE_OWN_SYSCTL] = "sysctl",
};

#define N_KINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

const char *store_own_kind_name(enum store_own_kind kind)
{
	return (int)kind >= 0 && (int)kind < N_KINDS ? kind_names[kind] : NULL;
}

/* The kind's index for a stored name, or -1. */
static int kind_parse(const char *t)
{
	int i;

	for (i = 0; t && i < N_KINDS; i++)
		if (strcmp(t, kind_names[i]) == 0)
			return i;
	return -1;
}

/* Validate (kind, ns, name) as every ownership call takes them. */
static int own_args(struct store *s, enum store_own_kind kind, const char *ns,
		    const char *name)
{
	if (!store_own_kind_name(kind))
		return store_set_err(s, -EINVAL, "ownership: unknown kind %d", (int)kind);
	if (!ns || strnlen(ns, MODEL_NAME_MAX) >= MODEL_NAME_MAX)
		return store_set_err(s, -EINVAL, "ownership: bad namespace name");
	if (!store_name_ok(name, STORE_OWN_NAME_MAX))
		return store_set_err(s, -EINVAL, "ownership: %s: empty or too long name",
				     kind_names[kind]);
	return 0;
}

int store_own_add(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name, const char *detail)
{
	int rc;

	rc = own_args(s, kind, ns, name);
	if (rc == 0)
		rc = store_run(s, STMT_OWN_ADD, "ttttI", kind_names[kind], ns, name, detail,
			       (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

int store_own_del(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name)
{
	int rc;

	rc = own_args(s, kind, ns, name);
	if (rc == 0)
		rc = store_run(s, STMT_OWN_DEL, "ttt", kind_names[kind], ns, name);
	if (rc == 0)
		rc = store_set_err(s, -ENOENT, "%s: no owned %s %s%s%s", s->path,
				   kind_names[kind], ns, ns[0] ? ":" : "", name);
	return rc < 0 ? rc : 0;
}

int store_own_has(struct store *s, enum store_own_kind kind, const char *ns,
		  const char *name)
{
	int rc;

	rc = own_args(s, kind, ns, name);
	return rc < 0 ? rc : store_exists(s, STMT_OWN_HAS, "ttt", kind_names[kind], ns, name);
}

/* A fresh statement per walk so that the callback may call the store,
 * even this function, without resetting the walk under it. */
int store_own_list(struct store *s, int kind, const char *ns,
		   int (*cb)(const struct store_own *o, void *ctx), void *ctx)
{
	static const char sql[] =
		"SELECT kind, ns, name, detail, created_at FROM own"
		" WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR ns = ?2)"
		" ORDER BY kind, ns, name";
	sqlite3_stmt *st = NULL;
	struct store_own o;
	int rc;

	if (kind >= N_KINDS)
		return store_set_err(s, -EINVAL, "ownership: unknown kind %d", kind);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = store_bind(st, "tt", kind >= 0 ? kind_names[kind] : NULL, ns);
	if (rc != SQLITE_OK) {
		rc = store_sql_err(s, rc);
		goto cleanup;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = kind_parse((const char *)sqlite3_column_text(st, 0));
		if (k < 0) {
			rc = store_set_err(s, -EIO, "%s: unknown ownership kind %s", s->path,
					   (const char *)sqlite3_column_text(st, 0));
			goto cleanup;
		}
		o.kind = (enum store_own_kind)k;
		o.ns = (const char *)sqlite3_column_text(st, 1);
		o.name = (const char *)sqlite3_column_text(st, 2);
		o.detail = (const char *)sqlite3_column_text(st, 3);
		o.created_at = sqlite3_column_int64(st, 4);
		if (!o.ns)
			o.ns = "";
		if (!o.name)
			o.name = "";
		rc = cb(&o, ctx);
		if (rc != 0)
			goto cleanup;
	}
	rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
cleanup:
	sqlite3_finalize(st);
	return rc;
}
