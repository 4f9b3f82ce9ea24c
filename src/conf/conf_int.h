/*
 * Internals of the config reader shared by lexer.c, parser.c, validate*.c
 * and diag.c; not for use outside src/conf and its unit tests.
 */
#ifndef JAIL6_CONF_CONF_INT_H
#define JAIL6_CONF_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

/* ---- diagnostics (diag.c) ---- */

/* Where errors of one load go, with the cap on their number. */
struct conf_diag {
	struct conf_errors *errs;
	size_t n0;          /* errs->n when this load started */
	bool full;          /* CONF_MAX_ERRORS reached: stop early */
	bool nomem;         /* an allocation failed: the result is unreliable */
};

void conf_diag_init(struct conf_diag *d, struct conf_errors *errs);

/* Append "file:line:col: fmt..." (line 0 = whole file). */
void conf_diag_add(struct conf_diag *d, const char *file, int line, int col,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* How many errors this load produced so far. */
size_t conf_diag_count(const struct conf_diag *d);

/* Order this load's errors by file (in files[] order), line and column, and
 * add the closing "too many errors" entry when the cap was hit. */
void conf_diag_finish(struct conf_diag *d, char *const *files, size_t n_files);

/* Quote s for a message: printable ASCII kept, other bytes as \xNN, long
 * text cut with "...". Returns buf. */
char *conf_quote(const char *s, char *buf, size_t len);

/* Edit distance (insert/delete/substitute/transpose, ASCII case ignored),
 * capped: returns max + 1 as soon as the distance exceeds max. */
int conf_edit_distance(const char *a, const char *b, int max);

/* The candidate closest to word within a small edit distance, or NULL. */
const char *conf_suggest(const char *word, const char *const *cands, size_t n);

/* Make room for element n of an n-element array whose capacity grows in
 * powers of two (every growth of that array must go through here). Returns
 * the array, or NULL when out of memory (v is then still valid). */
void *conf_grow(void *v, size_t n, size_t size);

/* ---- lexer (lexer.c) ---- */

enum conf_tok_kind {
	CONF_TOK_EOF = 0,
	CONF_TOK_WORD,     /* [A-Za-z0-9_.:/+-]+ */
	CONF_TOK_STRING,   /* "..." with escapes decoded */
	CONF_TOK_LBRACE,
	CONF_TOK_RBRACE,
	CONF_TOK_SEMI,
	CONF_TOK_COMMA,
	CONF_TOK_EQUALS,
};

struct conf_token {
	enum conf_tok_kind kind;
	char *text;         /* WORD and STRING only (malloc'd, NUL-free) */
	int line, col;      /* 1-based position of the first character */
};

struct conf_lexer {
	const char *buf;
	size_t len;
	size_t pos;
	int line, col;      /* position of buf[pos] */
	const char *file;   /* for messages */
	struct conf_diag *diag;
};

void conf_lexer_init(struct conf_lexer *lx, const char *file,
		     const char *buf, size_t len, struct conf_diag *diag);

/* Read the next token into *tok (which the caller frees). Lexical errors go
 * to the diag and are skipped over. Returns 0 or -ENOMEM. */
int conf_lexer_next(struct conf_lexer *lx, struct conf_token *tok);

void conf_token_free(struct conf_token *tok);

/* "end of file", "'{'", "'word'", "string \"text\"", for messages. */
char *conf_token_describe(const struct conf_token *tok, char *buf, size_t len);

/* ---- syntax tree (parser.c) ---- */

struct conf_loc {
	int file;           /* index into conf_ctx.files */
	int line, col;
};

struct conf_value {
	char *text;
	bool quoted;
	struct conf_loc loc;
};

/* key = v1, v2, ...; */
struct conf_stmt {
	char *key;
	struct conf_loc loc;
	struct conf_value *vals;
	size_t n_vals;
};

/* kind NAME { statements and blocks }; the root has kind == NULL. */
struct conf_block {
	char *kind;
	struct conf_loc loc;
	char *name;         /* NULL when missing (a syntax error was reported) */
	struct conf_loc name_loc;
	struct conf_stmt *stmts;
	size_t n_stmts;
	struct conf_block *blocks;
	size_t n_blocks;
	bool damaged;       /* had a syntax error: skip "missing key" checks */
};

/* State of one load: the files read, the include chain and the errors. */
struct conf_ctx {
	char **files;       /* every file read, in order; becomes model.files */
	size_t n_files;
	unsigned flags;     /* CONF_F_* */
	struct conf_diag diag;
	int depth;          /* current include depth */
	struct conf_incl {
		bool has_id;
		unsigned long long dev, ino;
		int file;
	} stack[CONF_MAX_INCLUDE_DEPTH + 1];
};

/* Add a file name to ctx->files; returns its index or -ENOMEM. */
int conf_ctx_add_file(struct conf_ctx *ctx, const char *name);

void conf_ctx_free(struct conf_ctx *ctx);

/*
 * Parse text (the contents of ctx->files[file]) into root, following
 * includes. Errors go to ctx->diag. Returns 0 or -ENOMEM.
 */
int conf_parse_text(struct conf_ctx *ctx, int file, const char *text, size_t len,
		    struct conf_block *root);

/* Read a whole regular file of at most CONF_MAX_FILE_SIZE bytes (a FIFO or
 * device is refused at once, never waited on). Returns 0, -EFBIG when
 * larger, -EINVAL when not a regular file, or -errno. */
int conf_read_file(const char *path, char **text, size_t *len,
		   unsigned long long *dev, unsigned long long *ino);

/* "file is larger than 1 MiB", "not a regular file" or "cannot open: ..."
 * for an error of conf_read_file(); returns buf. */
const char *conf_read_strerror(int r, char *buf, size_t len);

void conf_block_free(struct conf_block *b);

/* ---- validation (validate.c) ---- */

/* Check the tree and build *out from it; errors go to ctx->diag. On any
 * error *out may be partly filled: the caller frees it. Returns 0 or -ENOMEM. */
int conf_build_model(struct conf_ctx *ctx, const struct conf_block *root,
		     struct model *out);

#endif
