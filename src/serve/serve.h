/*
 * jail6 serve: a web UI and a JSON API over the engine, privilege-separated
 * in the OpenBSD manner. The privileged parent keeps the engine, the store,
 * netlink, the accounts and the sessions; an unprivileged HTTP child (its
 * own uid, no capabilities, no_new_privs, a seccomp allow-list, chrooted
 * into an empty directory, an empty environment) gets the listening socket
 * and asks the parent over a socketpair with a small fixed set of typed
 * requests (ipc.h), each of which the parent checks as if an attacker sent
 * it. docs/api.md and jail6(8) SERVE describe what it serves.
 */
#ifndef JAIL6_SERVE_SERVE_H
#define JAIL6_SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#define SERVE_DEFAULT_LISTEN "127.0.0.1:6446"
#define SERVE_DEFAULT_USERS  "/etc/jail6.users"
#define SERVE_DEFAULT_JAIL_DIR "/etc/jail6.d"
/* the uid the HTTP child runs as, else SERVE_FALLBACK_USER */
#define SERVE_USER           "_jail6"
#define SERVE_FALLBACK_USER  "nobody"

struct serve_opts {
	const char *conf;          /* the config file */
	const char *state_dir;
	const char *host_netns, *runtime_dir;
	int lock_timeout_ms;
	const char *listen;        /* ADDR:PORT or [ADDR]:PORT */
	const char *tls_cert, *tls_key; /* PEM files; both or none */
	bool insecure_listen;      /* allow plain HTTP on a non-loopback address */
	const char *users;         /* the accounts file */
	const char *jail_dir;      /* where "new jail" writes NAME.conf */
	const char *user;          /* the HTTP child's user; NULL: SERVE_USER, else nobody */
	const char *server_name;   /* a host name clients may use in Host (besides
				    * IP literals and localhost); NULL = none */
};

/* Serve until SIGTERM or SIGINT (0), or a failure (-errno; err says why). */
int serve_run(const struct serve_opts *o, char *err, size_t errlen);

/* Set the password of account name in the accounts file (creating either),
 * read from the terminal without echo, or one line of stdin. */
int serve_add_user(const char *users, const char *name, char *err, size_t errlen);

/* Make a new bearer token for account name; its text (shown once) goes to
 * tok, its hash to the accounts file. */
int serve_add_token(const char *users, const char *name, char *tok, size_t toklen, char *err, size_t errlen);

#endif
