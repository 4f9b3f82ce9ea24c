/* jail6 serve --add-user / --add-token: the accounts file's two writers.
 * A password comes from the terminal (no echo, asked twice) or from one
 * line of stdin, never from the command line, where ps would show it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "serve/serve_int.h"
#include "util/fs.h"
#include "util/msg.h"
#include "util/trust.h"

#define PW_MAX 1024

/* One line of fd 0 into buf, without its newline; -EINVAL when empty or too long. */
static int read_line(char *buf, size_t len)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= len)
			return -E2BIG;
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return n ? 0 : -EINVAL;
}

/* The password: asked twice on a terminal with echo off, else one line. */
static int read_password(const char *name, char *pw, size_t len, char *err, size_t errlen)
{
	struct termios old, quiet;
	char again[PW_MAX];
	int r;

	if (!isatty(0)) {
		r = read_line(pw, len);
		return r < 0 ? msg_fail(err, errlen, r, "no password on stdin (one line)") : 0;
	}
	if (tcgetattr(0, &old) < 0)
		return msg_fail(err, errlen, -errno, "terminal: %s", strerror(errno));
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	fprintf(stderr, "password for %s: ", name);
	tcsetattr(0, TCSAFLUSH, &quiet);
	r = read_line(pw, len);
	if (r == 0) {
		fprintf(stderr, "again: ");
		r = read_line(again, sizeof(again));
	}
	tcsetattr(0, TCSAFLUSH, &old);
	if (r < 0)
		return msg_fail(err, errlen, r, "no password given");
	r = strcmp(pw, again) ? -EINVAL : 0;
	explicit_bzero(again, sizeof(again));
	return r < 0 ? msg_fail(err, errlen, r, "the passwords differ") : 0;
}

/* The accounts file without the lines drop() matches, plus line. */
static int rewrite(const char *users, const char *kind, const char *name, const char *line, char *err, size_t len)
{
	struct sbuf out = { 0 };
	char *text = NULL, *save = NULL;
	size_t n;
	int r;

	if (trust_enforced() && (r = trust_path(users, 0, "it holds the web UI's accounts", err, len)) < 0)
		return r;
	r = fs_read_file(users, 1 << 20, FS_READ_REGULAR, &text, &n, NULL);
	if (r < 0 && r != -ENOENT)
		return msg_fail(err, len, r, "%s: %s", users, strerror(-r));
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		char k[16], nm[SERVE_NAME_MAX + 2];
		/* a password replaces the account's old one; tokens add up */
		if (!strcmp(kind, "user") && sscanf(l, "%15s %33s", k, nm) == 2 && !strcmp(k, kind) && !strcmp(nm, name))
			continue;
		sbuf_puts(&out, l);
		sbuf_puts(&out, "\n");
	}
	free(text);
	sbuf_puts(&out, line);
	r = fs_write_atomic(users, out.p, out.n, 0600);
	explicit_bzero(out.p, out.n);
	sbuf_free(&out);
	return r < 0 ? msg_fail(err, len, r, "%s: %s", users, strerror(-r)) : 0;
}

int serve_add_user(const char *users, const char *name, char *err, size_t len)
{
	char pw[PW_MAX], hash[256], line[512];
	int r;

	if (!auth_name_ok(name))
		return msg_fail(err, len, -EINVAL, "'%s': a user name is [a-z_][a-z0-9_.-]*, at most %d characters",
				name, SERVE_NAME_MAX);
	r = read_password(name, pw, sizeof(pw), err, len);
	if (r == 0 && (r = auth_hash(pw, hash, sizeof(hash))) < 0)
		msg_fail(err, len, r, "crypt: yescrypt failed");
	explicit_bzero(pw, sizeof(pw));
	if (r < 0)
		return r;
	snprintf(line, sizeof(line), "user %s %s\n", name, hash);
	return rewrite(users, "user", name, line, err, len);
}

int serve_add_token(const char *users, const char *name, char *tok, size_t toklen, char *err, size_t len)
{
	char id[17], secret[65], hash[256], line[512];
	int r;

	if (!auth_name_ok(name))
		return msg_fail(err, len, -EINVAL, "'%s': a user name is [a-z_][a-z0-9_.-]*, at most %d characters",
				name, SERVE_NAME_MAX);
	if (auth_random_hex(id, 8) < 0 || auth_random_hex(secret, 32) < 0)
		return msg_fail(err, len, -EIO, "getrandom failed");
	if ((r = auth_hash(secret, hash, sizeof(hash))) < 0)
		return msg_fail(err, len, r, "crypt: yescrypt failed");
	snprintf(line, sizeof(line), "token %s %s %s\n", name, id, hash);
	if ((r = rewrite(users, "token", name, line, err, len)) < 0)
		return r;
	snprintf(tok, toklen, "j6_%s_%s", id, secret);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}
