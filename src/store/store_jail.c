/* Jail records (what jail6 last did to each jail) and the bounded event log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static const char *const state_names[] = {
	[STORE_JAIL_CREATED] = "created",
	[STORE_JAIL_RUNNING] = "running",
	[STORE_JAIL_STOPPED] = "stopped",
};

#define N_STATES ((int)(sizeof(state_names) / sizeof(state_names[0])))

const char *store_jail_state_name(enum store_jail_state st)
{
	return (int)st >= 0 && (int)st < N_STATES ? state_names[st] : NULL;
}

/* Fill *j from a row of (name, state, hostname, path, updated_at). */
static int jail_row(struct store *s, sqlite3_stmt *st, struct store_jail *j)
{
	const char *state = (const char *)sqlite3_column_text(st, 1);
	int rc, i;

	memset(j, 0, sizeof(*j));
	rc = store_col_copy(s, st, 0, j->name, sizeof(j->name));
	if (rc == 0)
		rc = store_col_copy(s, st, 2, j->hostname, sizeof(j->hostname));
	if (rc == 0)
		rc = store_col_copy(s, st, 3, j->path, sizeof(j->path));
	if (rc < 0)
		return rc;
	for (i = 0; i < N_STATES; i++)
		if (state && strcmp(state, state_names[i]) == 0)
			break;
	if (i == N_STATES)
		return store_set_err(s, -EIO, "%s: jail %s: unknown state %s", s->path,
				     j->name, state ? state : "NULL");
	j->state = (enum store_jail_state)i;
	j->updated_at = sqlite3_column_int64(st, 4);
	return 0;
}

/* A store_run result on one jail's record: 0, -ENOENT when it changed
 * nothing, or the error. */
static int no_record(struct store *s, int rc, const char *name)
{
	if (rc == 0)
		return store_set_err(s, -ENOENT, "%s: no record of jail %s", s->path, name);
	return rc < 0 ? rc : 0;
}

int store_jail_put(struct store *s, const struct store_jail *j)
{
	int rc;

	if (!store_name_ok(j->name, sizeof(j->name)))
		return store_set_err(s, -EINVAL, "jail record: empty or too long name");
	if (!store_jail_state_name(j->state))
		return store_set_err(s, -EINVAL, "jail %s: unknown state %d", j->name, (int)j->state);
	if (strnlen(j->hostname, sizeof(j->hostname)) >= sizeof(j->hostname) ||
	    strnlen(j->path, sizeof(j->path)) >= sizeof(j->path))
		return store_set_err(s, -EINVAL, "jail %s: hostname or path not terminated", j->name);
	rc = store_run(s, STMT_JAIL_PUT, "ttttI", j->name, state_names[j->state], j->hostname,
		       j->path, (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

int store_jail_set_state(struct store *s, const char *name, enum store_jail_state state)
{
	int rc;

	if (!store_name_ok(name, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "jail record: empty or too long name");
	if (!store_jail_state_name(state))
		return store_set_err(s, -EINVAL, "jail %s: unknown state %d", name, (int)state);
	rc = store_run(s, STMT_JAIL_STATE, "ttI", name, state_names[state], (int64_t)time(NULL));
	return no_record(s, rc, name);
}

int store_jail_get(struct store *s, const char *name, struct store_jail *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!store_name_ok(name, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "jail record: empty or too long name");
	rc = store_stmt(s, STMT_JAIL_GET, &st);
	if (rc < 0)
		return rc;
	rc = store_bind(st, "t", name);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = jail_row(s, st, out);
	else if (rc == SQLITE_DONE)
		rc = store_set_err(s, -ENOENT, "%s: no record of jail %s", s->path, name);
	else
		rc = store_sql_err(s, rc);
	store_stmt_done(st);
	return rc;
}

int store_jail_del(struct store *s, const char *name)
{
	if (!store_name_ok(name, MODEL_NAME_MAX))
		return store_set_err(s, -EINVAL, "jail record: empty or too long name");
	return no_record(s, store_run(s, STMT_JAIL_DEL, "t", name), name);
}

struct jail_walk {
	int (*cb)(const struct store_jail *j, void *ctx);
	void *ctx;
	struct store_jail *j;   /* a PATH_MAX buffer: kept off the stack */
};

static int jail_walk_row(struct store *s, sqlite3_stmt *st, void *arg)
{
	struct jail_walk *w = arg;
	int rc = jail_row(s, st, w->j);

	return rc ? rc : w->cb(w->j, w->ctx);
}

int store_jail_list(struct store *s,
		    int (*cb)(const struct store_jail *j, void *ctx), void *ctx)
{
	struct jail_walk w = { cb, ctx, malloc(sizeof(*w.j)) };
	int rc;

	if (!w.j)
		return store_set_err(s, -ENOMEM, "%s: out of memory", s->path);
	rc = store_walk(s, "SELECT name, state, hostname, path, updated_at FROM jail ORDER BY name", jail_walk_row,
			&w, "");
	free(w.j);
	return rc;
}

int store_eventv(struct store *s, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	int64_t last;
	int rc;

	if (vasprintf(&text, fmt, ap) < 0)
		return store_set_err(s, -ENOMEM, "%s: out of memory", s->path);
	rc = store_sp_begin(s);
	if (rc < 0)
		goto cleanup;
	rc = store_stmt(s, STMT_EVENT_ADD, &st);
	if (rc < 0)
		goto end;
	rc = store_bind(st, "It", (int64_t)time(NULL), text);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
	store_stmt_done(st);
	if (rc < 0)
		goto end;
	/* ids only grow (AUTOINCREMENT), so the rows to drop are a rowid range */
	last = sqlite3_last_insert_rowid(s->db);
	if (last <= STORE_EVENT_KEEP)
		goto end;
	rc = store_stmt(s, STMT_EVENT_TRIM, &st);
	if (rc < 0)
		goto end;
	rc = store_bind(st, "I", last - STORE_EVENT_KEEP);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : store_sql_err(s, rc);
	store_stmt_done(st);
end:
	rc = store_sp_end(s, rc);
cleanup:
	free(text);
	return rc;
}

int store_event(struct store *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_eventv(s, fmt, ap);
	va_end(ap);
	return rc;
}

struct event_walk {
	int (*cb)(const struct store_event_rec *e, void *ctx);
	void *ctx;
};

static int event_walk_row(struct store *s, sqlite3_stmt *st, void *arg)
{
	struct event_walk *w = arg;
	struct store_event_rec e = {
		.id = sqlite3_column_int64(st, 0),
		.time = sqlite3_column_int64(st, 1),
		.text = (const char *)sqlite3_column_text(st, 2),
	};

	(void)s;
	if (!e.text)
		e.text = "";
	return w->cb(&e, w->ctx);
}

int store_event_list(struct store *s, int limit,
		     int (*cb)(const struct store_event_rec *e, void *ctx), void *ctx)
{
	static const char sql[] =
		"SELECT id, time, text FROM"
		" (SELECT id, time, text FROM event ORDER BY id DESC LIMIT ?1)"
		" ORDER BY id";
	struct event_walk w = { cb, ctx };

	return store_walk(s, sql, event_walk_row, &w, "i", limit > 0 ? limit : -1);
}
