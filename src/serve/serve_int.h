/* What the files of src/serve share: a growing buffer, the template
 * renderer, the parent-child protocol, accounts and sessions. */
#ifndef JAIL6_SERVE_SERVE_INT_H
#define JAIL6_SERVE_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "serve/serve.h"

/* ---- buffer (buf.c): aborts on out of memory, as jansson's users do */
struct sbuf {
	char *p;
	size_t n, cap;
};
void sbuf_add(struct sbuf *b, const void *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' as entities: text and attribute values alike */
void sbuf_html(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);
/* the NUL-terminated text (never NULL) */
const char *sbuf_str(struct sbuf *b);

/* ---- templates (tmpl.c): "{{key}}" is the value escaped for HTML,
 * "{{&key}}" the value as it is, for fragments the renderer itself built.
 * A key missing from vars is a bug: it aborts. */
struct tmpl_var {
	const char *key, *val;
};
void tmpl_render(struct sbuf *out, const char *tmpl, const struct tmpl_var *vars, size_t n);

/* ---- the protocol between the HTTP child and the parent (ipc.c).
 * A request: u32 length of what follows, u32 type, u32 count, then count
 * strings, each a u32 length and its bytes. A reply: u32 length, u32 an
 * HTTP status, then a JSON document. */
enum serve_req {
	SERVE_REQ_LOGIN = 1,   /* user, password, client address */
	SERVE_REQ_LOGOUT,      /* credential */
	SERVE_REQ_AUTH,        /* credential -> {user, csrf} */
	SERVE_REQ_STATUS,      /* credential -> engine_status's document */
	SERVE_REQ_JAIL,        /* credential, csrf, op, name, dry -> result */
	SERVE_REQ_PLAN,        /* credential -> what apply would do */
	SERVE_REQ_APPLY,       /* credential, csrf, dry -> result */
	SERVE_REQ_CREATE,      /* credential, csrf, dry, name, hostname, bridge,
				* address, path, memory, pids -> result */
	SERVE_REQ_REMOVE,      /* credential, csrf, dry, name -> result */
	SERVE_REQ_LOG,         /* credential, name -> {log}: its exec log's tail */
	SERVE_REQ_MAX
};
#define SERVE_IPC_MAX_ARGS   12
#define SERVE_IPC_MAX_ARG    4096
#define SERVE_IPC_MAX_REQ    (SERVE_IPC_MAX_ARGS * (SERVE_IPC_MAX_ARG + 4) + 8)
#define SERVE_IPC_MAX_REPLY  (64u << 20)

struct serve_msg {
	uint32_t type;
	uint32_t n;
	const char *arg[SERVE_IPC_MAX_ARGS]; /* NUL-terminated, into buf */
	size_t len[SERVE_IPC_MAX_ARGS];
	char *buf;
};
/* the child: send a request, wait for its reply (*body: to free) */
int ipc_call(int fd, uint32_t type, const char *const *args, size_t n, int *status, char **body);
/* the parent: read one request; -EPROTO for anything malformed, 0 at EOF
 * (m->type 0), else 1 */
int ipc_recv(int fd, struct serve_msg *m);
void ipc_msg_free(struct serve_msg *m);
int ipc_reply(int fd, int status, const char *body);

/* write or read exactly n bytes (EINTR retried); -errno, -EPIPE at EOF */
int io_write_all(int fd, const void *p, size_t n);
int io_read_all(int fd, void *p, size_t n);

/* ---- accounts (auth.c), in the parent */
#define SERVE_NAME_MAX 32
#define SERVE_SESSION_TTL (8 * 3600)     /* a session lasts 8 hours */
#define SERVE_LOGIN_FAILS 5               /* failed logins per window ... */
#define SERVE_LOGIN_WINDOW 300            /* ... of 5 minutes, per user and per address */
/* [a-z_][a-z0-9_.-]{0,31}: an account's name */
bool auth_name_ok(const char *s);
/* 0 when pw is name's password; -EACCES when not (or no such account),
 * -EAGAIN when rate-limited (nothing was checked), -errno for the file */
int auth_login(const char *users, const char *name, const char *pw, const char *client, char *err, size_t len);
/* a new session for name: its id and CSRF token (hex), 0 or -ENOSPC */
int auth_session_new(const char *name, char *id, char *csrf);
void auth_session_end(const char *id);
/* who a credential ("s:ID" a session, "b:TOKEN" a bearer token) is: 0 with
 * *user and, for a session, *csrf (else ""), or -EACCES */
int auth_who(const char *users, const char *cred, const char **user, const char **csrf);
/* random bytes as 2n hex digits into out (2n+1) */
int auth_random_hex(char *out, size_t n);
/* a yescrypt hash of pw into out */
int auth_hash(const char *pw, char *out, size_t len);

/* ---- the parent (priv.c) and the child (http.c, sandbox.c) */
struct serve_child {
	int listen_fd, ipc_fd;
	unsigned uid, gid;
	const char *empty_dir;
	const char *conf;          /* the config's name, for the End Result */
	bool tls;
	char *tls_cert, *tls_key;  /* PEM text */
	const char *server_name;   /* also allowed in Host; NULL = none */
};
int priv_loop(const struct serve_opts *o, int ipc_fd, int child_pid);
void http_child(const struct serve_child *c) __attribute__((noreturn));
/* drop every privilege the child has; -errno and what failed in err */
int sandbox_enter(const struct serve_child *c, char *err, size_t len);
/* the last step: the seccomp allow-list */
int sandbox_seccomp(char *err, size_t len);

#endif
