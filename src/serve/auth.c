/*
 * Accounts, sessions, bearer tokens and the rate limit of failed logins,
 * all in the privileged parent (the HTTP child never sees a hash). The
 * accounts file is root's (0600), one line each:
 *   user NAME HASH          a password, yescrypt (libxcrypt)
 *   token NAME ID HASH      a bearer token "j6_ID_SECRET": SECRET's yescrypt hash
 * A session lives in memory only: a restart logs everyone out.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "serve/serve_int.h"
#include "util/fs.h"
#include "util/msg.h"
#include "util/trust.h"

#define MAX_SESSIONS 256
#define MAX_TOKENS_CACHED 64
#define MAX_RATE 512
#define USERS_MAX_SIZE (1 << 20)

struct session {
	char id[65], csrf[65], user[SERVE_NAME_MAX + 1];
	time_t expires;   /* CLOCK_MONOTONIC seconds; 0: free slot */
};
static struct session sessions[MAX_SESSIONS];

/* tokens verified since the accounts file last changed: a token costs one
 * yescrypt run, not one per request */
struct token_ok {
	char tok[128], user[SERVE_NAME_MAX + 1];
};
static struct token_ok tokens[MAX_TOKENS_CACHED];
static size_t n_tokens, next_token;
static struct stat tokens_st;

struct rate {
	char key[80];
	time_t start;
	int fails;
};
static struct rate rates[MAX_RATE];

static time_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1; /* never 0 */
}

bool auth_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SERVE_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* equal strings, in a time that does not depend on where they differ */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int auth_random_hex(char *out, size_t n)
{
	unsigned char b[64];

	if (n > sizeof(b) || getrandom(b, n, 0) != (ssize_t)n)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

int auth_hash(const char *pw, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	int r = -EINVAL;

	if (!cd)
		return -ENOMEM;
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt))) {
		const char *h = crypt_r(pw, salt, cd);
		if (h && h[0] == '$' && strlen(h) < len) {
			strcpy(out, h);
			r = 0;
		}
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

/* whether pw matches hash (a failure of crypt is a mismatch) */
static bool verify(const char *pw, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool ok = false;

	if (!cd)
		return false;
	const char *h = crypt_r(pw, hash, cd);
	ok = h && h[0] == '$' && same(h, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Read the accounts file (root's alone, as root); *text to free. */
static int read_users(const char *path, char **text, struct stat *st, char *err, size_t len)
{
	size_t n;
	int r;

	if (trust_enforced() && (r = trust_path(path, 0, "it holds the web UI's accounts", err, len)) < 0)
		return r;
	r = fs_read_file(path, USERS_MAX_SIZE, FS_READ_REGULAR, text, &n, st);
	if (r < 0)
		return msg_fail(err, len, r, "%s: %s", path, strerror(-r));
	if (st && trust_enforced() && (st->st_mode & 077)) {
		free(*text);
		*text = NULL;
		return msg_fail(err, len, -EPERM, "%s: readable by others (mode %04o): chmod 600 %s", path,
				(unsigned)(st->st_mode & 07777), path);
	}
	return 0;
}

/* The hash of a line "KIND NAME [ID] HASH" in text (by NAME, or by ID
 * when id is given, then its NAME goes to who): copied into out. */
static bool find_line(const char *text, const char *kind, const char *name, const char *id, char *out, size_t len,
		      char *who)
{
	char *copy = strdup(text), *save = NULL;
	bool found = false;

	if (!copy)
		return false;
	for (char *l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 }, *s2 = NULL;
		int k = 0;
		for (char *w = strtok_r(l, " \t", &s2); w && k < 4; w = strtok_r(NULL, " \t", &s2))
			f[k++] = w;
		if (!f[0] || strcmp(f[0], kind))
			continue;
		if (id ? (k == 4 && !strcmp(f[2], id)) : (k == 3 && !strcmp(f[1], name))) {
			snprintf(out, len, "%s", f[k - 1]);
			if (who)
				snprintf(who, SERVE_NAME_MAX + 1, "%s", f[1]);
			found = true;
		}
	}
	free(copy);
	return found;
}

/* The slot of key's failures (an old or free one when none). */
static struct rate *rate_slot(const char *key, time_t now)
{
	struct rate *free_slot = NULL;

	for (size_t i = 0; i < MAX_RATE; i++) {
		if (!strcmp(rates[i].key, key))
			return &rates[i];
		if (!free_slot && (!rates[i].key[0] || now - rates[i].start > SERVE_LOGIN_WINDOW))
			free_slot = &rates[i];
	}
	if (!free_slot)
		free_slot = &rates[(size_t)now % MAX_RATE];
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	free_slot->start = now;
	free_slot->fails = 0;
	return free_slot;
}

static bool limited(struct rate *r, time_t now)
{
	if (now - r->start > SERVE_LOGIN_WINDOW) {
		r->start = now;
		r->fails = 0;
	}
	return r->fails >= SERVE_LOGIN_FAILS;
}

int auth_login(const char *users, const char *name, const char *pw, const char *client, char *err, size_t len)
{
	/* a valid hash to spend the same time on when there is no such user */
	static char dummy[256];
	char ku[80], kc[80], hash[256];
	time_t now = now_mono();
	char *text = NULL;
	struct rate *ru, *rc;
	int r;

	snprintf(ku, sizeof(ku), "u:%s", name);
	snprintf(kc, sizeof(kc), "c:%s", client);
	ru = rate_slot(ku, now);
	rc = rate_slot(kc, now);
	if (limited(ru, now) || limited(rc, now))
		return msg_fail(err, len, -EAGAIN, "too many failed logins; try again in a few minutes");
	if (!dummy[0] && auth_hash("not a password", dummy, sizeof(dummy)) < 0)
		return msg_fail(err, len, -EIO, "crypt: no yescrypt");
	if ((r = read_users(users, &text, NULL, err, len)) < 0)
		return r;
	bool known = auth_name_ok(name) && find_line(text, "user", name, NULL, hash, sizeof(hash), NULL);
	free(text);
	if (verify(pw, known ? hash : dummy) && known) {
		ru->fails = 0;
		return 0;
	}
	ru->fails++;
	rc->fails++;
	return msg_fail(err, len, -EACCES, "wrong user name or password");
}

int auth_session_new(const char *name, char *id, char *csrf)
{
	time_t now = now_mono();
	struct session *s = NULL;

	for (size_t i = 0; i < MAX_SESSIONS && !s; i++)
		if (sessions[i].expires <= now)
			s = &sessions[i];
	if (!s)
		return -ENOSPC;
	if (auth_random_hex(s->id, 32) < 0 || auth_random_hex(s->csrf, 32) < 0)
		return -EIO;
	snprintf(s->user, sizeof(s->user), "%s", name);
	s->expires = now + SERVE_SESSION_TTL;
	strcpy(id, s->id);
	strcpy(csrf, s->csrf);
	return 0;
}

static struct session *session_find(const char *id)
{
	time_t now = now_mono();
	struct session *found = NULL;

	if (strlen(id) != 64)
		return NULL;
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].expires > now && same(sessions[i].id, id))
			found = &sessions[i];
	return found;
}

void auth_session_end(const char *id)
{
	struct session *s = session_find(id);

	if (s)
		explicit_bzero(s, sizeof(*s));
}

/* A bearer token "j6_ID_SECRET" (ID 16 hex digits, SECRET 64): the user
 * whose line ID names, when SECRET matches its hash. */
static int token_who(const char *users, const char *tok, const char **user)
{
	static char name[SERVE_NAME_MAX + 1];
	char id[17], hash[256], err[256];
	struct stat st;
	char *text = NULL;

	if (strlen(tok) != 3 + 16 + 1 + 64 || strncmp(tok, "j6_", 3) || tok[19] != '_' ||
	    strspn(tok + 3, "0123456789abcdef") != 16 || strspn(tok + 20, "0123456789abcdef") != 64)
		return -EACCES;
	if (read_users(users, &text, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "jail6 serve: %s\n", err);
		return -EACCES;
	}
	if (st.st_ino != tokens_st.st_ino || st.st_dev != tokens_st.st_dev ||
	    st.st_mtim.tv_sec != tokens_st.st_mtim.tv_sec || st.st_mtim.tv_nsec != tokens_st.st_mtim.tv_nsec ||
	    st.st_size != tokens_st.st_size) {
		explicit_bzero(tokens, sizeof(tokens));
		n_tokens = next_token = 0;
		tokens_st = st;
	}
	for (size_t i = 0; i < n_tokens; i++)
		if (same(tokens[i].tok, tok)) {
			free(text);
			*user = tokens[i].user;
			return 0;
		}
	memcpy(id, tok + 3, 16);
	id[16] = '\0';
	bool found = find_line(text, "token", NULL, id, hash, sizeof(hash), name);
	free(text);
	if (!found || !verify(tok + 20, hash))
		return -EACCES;
	struct token_ok *t = &tokens[next_token];
	snprintf(t->tok, sizeof(t->tok), "%s", tok);
	snprintf(t->user, sizeof(t->user), "%s", name);
	next_token = (next_token + 1) % MAX_TOKENS_CACHED;
	if (n_tokens < MAX_TOKENS_CACHED)
		n_tokens++;
	*user = t->user;
	return 0;
}

int auth_who(const char *users, const char *cred, const char **user, const char **csrf)
{
	if (!strncmp(cred, "s:", 2)) {
		struct session *s = session_find(cred + 2);
		if (!s)
			return -EACCES;
		*user = s->user;
		*csrf = s->csrf;
		return 0;
	}
	if (!strncmp(cred, "b:", 2)) {
		*csrf = "";
		return token_who(users, cred + 2, user);
	}
	return -EACCES;
}
