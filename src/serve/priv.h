/* The parent's request handlers (priv.c, jails.c). */
#ifndef JAIL6_SERVE_PRIV_H
#define JAIL6_SERVE_PRIV_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "serve/serve_int.h"

struct priv_reply {
	int status;    /* HTTP status */
	json_t *doc;   /* the reply, or {code, message} */
	const char *text; /* or the reply already as text (borrowed) */
};

/* Answer request q into *out (always 0: a failure is a reply). */
int priv_handle(const struct serve_opts *o, const struct serve_msg *q, struct priv_reply *out);
/* The config, validated and trusted; on failure *out holds the errors. */
int priv_load(const struct serve_opts *o, struct model *m, struct priv_reply *out);
/* engine_open as the options say; on failure *out holds why. */
int priv_engine(const struct serve_opts *o, bool readonly, struct engine **e, struct priv_reply *out);
/* The reply of a run that planned and executed. */
int priv_result(struct engine *e, int r, const struct engine_result *res, bool dry, struct priv_reply *out);
/* new jail (args: name, hostname, bridge, address, path, memory, pids; user
 * is named in the file's first line) and
 * remove jail, their config file in o->jail_dir (jails.c) */
int priv_create(const struct serve_opts *o, const char *const *args, const char *user, bool dry,
		struct priv_reply *out);
int priv_remove(const struct serve_opts *o, const char *name, bool dry, struct priv_reply *out);

/* forget the cached status document (a change was made) */
void priv_status_drop(void);
/* make JAIL_DIR and an empty index.conf when missing; 0 or -errno (err) */
int priv_jail_dir_init(const char *dir, char *err, size_t len);

#endif
