/*
 * The jail6.conf parser: tokens in, a generic tree of blocks and
 * `key = values;` statements out. It knows nothing about tunnels or jails
 * (validate.c does); it only knows the grammar, `include`, and how to carry
 * on after a syntax error so one run reports all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf_int.h"
#include "util/fs.h"

/* Blocks inside blocks: the language needs two levels; this bounds recursion. */
#define MAX_NESTING 8

struct parser {
	struct conf_ctx *ctx;
	struct conf_lexer lx;
	struct conf_token tok;  /* the current (not yet consumed) token */
	int prev_line;          /* line of the last consumed token */
	int file;
	int err;                /* sticky -ENOMEM */
};

int conf_ctx_add_file(struct conf_ctx *ctx, const char *name)
{
	char **v = conf_grow(ctx->files, ctx->n_files, sizeof(*v));
	char *copy = strdup(name);

	if (v)
		ctx->files = v;
	if (!v || !copy) {
		free(copy);
		return -ENOMEM;
	}
	ctx->files[ctx->n_files] = copy;
	return (int)ctx->n_files++;
}

void conf_ctx_free(struct conf_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->n_files; i++)
		free(ctx->files[i]);
	free(ctx->files);
	ctx->files = NULL;
	ctx->n_files = 0;
}

static void stmt_free(struct conf_stmt *s)
{
	free(s->key);
	for (size_t i = 0; i < s->n_vals; i++)
		free(s->vals[i].text);
	free(s->vals);
}

void conf_block_free(struct conf_block *b)
{
	if (!b)
		return;
	free(b->kind);
	free(b->name);
	for (size_t i = 0; i < b->n_stmts; i++)
		stmt_free(&b->stmts[i]);
	free(b->stmts);
	for (size_t i = 0; i < b->n_blocks; i++)
		conf_block_free(&b->blocks[i]);
	free(b->blocks);
	memset(b, 0, sizeof(*b));
}

int conf_read_file(const char *path, char **text, size_t *len,
		   unsigned long long *dev, unsigned long long *ino)
{
	struct stat st;
	int r = fs_read_file(path, CONF_MAX_FILE_SIZE, FS_READ_REGULAR, text, len, &st);

	if (r == 0) {
		*dev = (unsigned long long)st.st_dev;
		*ino = (unsigned long long)st.st_ino;
	}
	return r;
}

const char *conf_read_strerror(int r, char *buf, size_t len)
{
	if (r == -EFBIG)
		snprintf(buf, len, "file is larger than 1 MiB");
	else if (r == -EINVAL)
		snprintf(buf, len, "not a regular file");
	else
		snprintf(buf, len, "cannot open: %s", strerror(-r));
	return buf;
}

static const char *cur_file(const struct parser *p)
{
	return p->ctx->files[p->file];
}

/* Consume the current token and read the next one. */
static void next(struct parser *p)
{
	int r;

	p->prev_line = p->tok.line;
	conf_token_free(&p->tok);
	r = conf_lexer_next(&p->lx, &p->tok);
	if (r < 0) {
		p->err = r;
		p->tok = (struct conf_token){ .kind = CONF_TOK_EOF, .line = p->lx.line, .col = p->lx.col };
	}
}

/* Move the current token out (the caller owns its text), then advance. */
static struct conf_token take(struct parser *p)
{
	struct conf_token t = p->tok;

	p->tok.text = NULL;
	next(p);
	return t;
}

static bool stop(const struct parser *p)
{
	return p->err || p->ctx->diag.full;
}

static struct conf_loc loc_of(const struct parser *p, const struct conf_token *t)
{
	return (struct conf_loc){ p->file, t->line, t->col };
}

/* Report "expected X, found <current token>" at the current token. */
static void expected(struct parser *p, const char *what)
{
	char found[80];

	conf_token_describe(&p->tok, found, sizeof(found));
	conf_diag_add(&p->ctx->diag, cur_file(p), p->tok.line, p->tok.col,
		      "expected %s, found %s", what, found);
}

/* Skip the rest of a broken statement: up to and including ';', up to but
 * not including a '}' that closes the enclosing block, or past a whole
 * nested { ... }. Always consumes the current token unless it is '}' or EOF. */
static void skip_statement(struct parser *p)
{
	int depth = 0;

	while (!p->err) {
		switch (p->tok.kind) {
		case CONF_TOK_EOF:
			return;
		case CONF_TOK_SEMI:
			next(p);
			if (depth == 0)
				return;
			break;
		case CONF_TOK_LBRACE:
			depth++;
			next(p);
			break;
		case CONF_TOK_RBRACE:
			if (depth == 0)
				return;
			next(p);
			if (--depth == 0)
				return;
			break;
		default:
			next(p);
			break;
		}
	}
}

/* After a statement: require ';'. When it is missing and the next token is
 * on a later line or closes the block, assume a forgotten ';' and go on from
 * there; otherwise skip the rest of the statement. */
static void end_statement(struct parser *p, struct conf_block *blk, const char *what)
{
	if (p->tok.kind == CONF_TOK_SEMI) {
		next(p);
		return;
	}
	expected(p, what);
	blk->damaged = true;
	if (p->tok.kind == CONF_TOK_RBRACE || p->tok.kind == CONF_TOK_EOF ||
	    p->tok.line > p->prev_line)
		return;
	skip_statement(p);
}

static int push_value(struct conf_stmt *st, struct conf_token *t, struct conf_loc loc)
{
	struct conf_value *v = conf_grow(st->vals, st->n_vals, sizeof(*v));

	if (!v)
		return -ENOMEM;
	st->vals = v;
	v[st->n_vals++] = (struct conf_value){ t->text, t->kind == CONF_TOK_STRING, loc };
	t->text = NULL;
	return 0;
}

static int push_stmt(struct conf_block *blk, struct conf_stmt *st)
{
	struct conf_stmt *v = conf_grow(blk->stmts, blk->n_stmts, sizeof(*v));

	if (!v)
		return -ENOMEM;
	blk->stmts = v;
	v[blk->n_stmts++] = *st;
	memset(st, 0, sizeof(*st));
	return 0;
}

static int push_block(struct conf_block *parent, struct conf_block *b)
{
	struct conf_block *v = conf_grow(parent->blocks, parent->n_blocks, sizeof(*v));

	if (!v)
		return -ENOMEM;
	parent->blocks = v;
	v[parent->n_blocks++] = *b;
	memset(b, 0, sizeof(*b));
	return 0;
}

/* key = v1, v2, ...;   (the key is consumed, the current token is '='). */
static void parse_assignment(struct parser *p, struct conf_block *blk, struct conf_token *key)
{
	struct conf_stmt st = { .key = key->text, .loc = loc_of(p, key) };
	char what[96];

	key->text = NULL;
	next(p); /* '=' */
	for (;;) {
		if (p->tok.kind != CONF_TOK_WORD && p->tok.kind != CONF_TOK_STRING) {
			snprintf(what, sizeof(what), "a value for '%.40s'", st.key);
			expected(p, what);
			blk->damaged = true;
			if (p->tok.kind == CONF_TOK_SEMI)
				next(p);
			else if (p->tok.kind != CONF_TOK_RBRACE && p->tok.line == p->prev_line)
				skip_statement(p);
			break;
		}
		struct conf_token v = take(p);
		int r = push_value(&st, &v, loc_of(p, &v));

		conf_token_free(&v);
		if (r < 0) {
			p->err = r;
			break;
		}
		if (p->tok.kind == CONF_TOK_COMMA) {
			next(p);
			continue;
		}
		snprintf(what, sizeof(what), "';' after the value of '%.40s'", st.key);
		end_statement(p, blk, what);
		break;
	}
	if (st.n_vals > 0 && !p->err)
		p->err = push_stmt(blk, &st);
	stmt_free(&st);
}

static void parse_items(struct parser *p, struct conf_block *blk, int level);

/* kind NAME { ... }   (kind consumed; the current token is NAME or '{'). */
static void parse_block(struct parser *p, struct conf_block *parent,
			struct conf_token *kind, int level)
{
	struct conf_block b = { .kind = kind->text, .loc = loc_of(p, kind) };
	char q[48], q2[48];
	int open_line;

	kind->text = NULL;
	if (p->tok.kind == CONF_TOK_LBRACE) {
		conf_diag_add(&p->ctx->diag, cur_file(p), p->tok.line, p->tok.col,
			      "%s block needs a name: %s NAME { ... }",
			      conf_quote(b.kind, q, sizeof(q)), conf_quote(b.kind, q2, sizeof(q2)));
		b.damaged = true;
	} else {
		struct conf_token name = take(p);

		b.name = name.text;
		b.name_loc = loc_of(p, &name);
		if (p->tok.kind != CONF_TOK_LBRACE) {
			if (p->tok.kind == CONF_TOK_SEMI)
				conf_diag_add(&p->ctx->diag, cur_file(p), name.line, name.col,
					      "missing '=' between '%s' and '%s'",
					      conf_quote(b.kind, q, sizeof(q)),
					      conf_quote(b.name, q2, sizeof(q2)));
			else
				expected(p, "'=' or '{'");
			parent->damaged = true;
			skip_statement(p);
			goto cleanup;
		}
	}
	open_line = p->tok.line;
	if (level + 1 >= MAX_NESTING) {
		conf_diag_add(&p->ctx->diag, cur_file(p), p->tok.line, p->tok.col,
			      "blocks nested too deeply (more than %d levels)", MAX_NESTING - 1);
		parent->damaged = true;
		skip_statement(p);
		goto cleanup;
	}
	next(p); /* '{' */
	parse_items(p, &b, level + 1);
	if (p->tok.kind == CONF_TOK_RBRACE) {
		next(p);
	} else if (!stop(p)) {
		char what[160];

		snprintf(what, sizeof(what), "'}' to close %s '%s' (opened on line %d)",
			 conf_quote(b.kind, q, sizeof(q)),
			 b.name ? conf_quote(b.name, q2, sizeof(q2)) : "", open_line);
		expected(p, what);
		b.damaged = true;
	}
	if (!p->err)
		p->err = push_block(parent, &b);
cleanup:
	conf_block_free(&b);
}

/* Render the include chain plus the next file, "a -> b -> a", for messages. */
static void include_chain(const struct conf_ctx *ctx, const char *last, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i <= ctx->depth && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s -> ", ctx->files[ctx->stack[i].file]);
	if (o < len)
		snprintf(buf + o, len - o, "%s", last);
}

/* Build the path of an include: relative names are taken from the
 * directory of the including file. */
static char *include_path(const char *including, const char *name)
{
	const char *slash = strrchr(including, '/');
	char *out = NULL;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&out, "%.*s/%s", (int)(slash - including), including, name) < 0)
		return NULL;
	return out;
}

/* Whether the file identified by dev/ino (or its path) is being included. */
static bool on_stack(const struct conf_ctx *ctx, const char *path,
		     unsigned long long dev, unsigned long long ino)
{
	for (int i = 0; i <= ctx->depth; i++) {
		const struct conf_incl *s = &ctx->stack[i];

		if (s->has_id ? (s->dev == dev && s->ino == ino)
			      : strcmp(ctx->files[s->file], path) == 0)
			return true;
	}
	return false;
}

/* include "path";   (the keyword is consumed; the current token is the path). */
static void parse_include(struct parser *p, struct conf_block *root,
			  struct conf_token *kw, int level)
{
	struct conf_token name = take(p);
	struct conf_ctx *ctx = p->ctx;
	char *path = NULL, *text = NULL;
	unsigned long long dev = 0, ino = 0;
	size_t len = 0;
	char q[256], chain[1024];
	int r, idx;

	end_statement(p, root, "';' after the include path");
	conf_quote(name.text, q, sizeof(q));
	if (level > 0) {
		conf_diag_add(&ctx->diag, cur_file(p), kw->line, kw->col,
			      "include is only allowed at the top level, not inside a block");
		goto cleanup;
	}
	if (ctx->flags & CONF_F_NO_INCLUDE) {
		conf_diag_add(&ctx->diag, cur_file(p), kw->line, kw->col,
			      "include '%s': includes are disabled here", q);
		goto cleanup;
	}
	if (!name.text[0]) {
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include: the path is empty");
		goto cleanup;
	}
	if ((ctx->flags & CONF_F_INCLUDE_HERE) && strchr(name.text, '/')) {
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include '%s': only a file beside this one may be included here", q);
		goto cleanup;
	}
	if (ctx->n_files >= CONF_MAX_FILES) {
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include '%s': too many files (at most %d per configuration)",
			      q, CONF_MAX_FILES);
		goto cleanup;
	}
	path = include_path(cur_file(p), name.text);
	if (!path) {
		p->err = -ENOMEM;
		goto cleanup;
	}
	r = conf_read_file(path, &text, &len, &dev, &ino);
	if (r == -ENOMEM) {
		p->err = r;
		goto cleanup;
	}
	if (r < 0) {
		char why[128];
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include '%s': %s", q, conf_read_strerror(r, why, sizeof(why)));
		goto cleanup;
	}
	if (on_stack(ctx, path, dev, ino)) {
		include_chain(ctx, path, chain, sizeof(chain));
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include '%s': include cycle: %s", q, chain);
		goto cleanup;
	}
	if (ctx->depth >= CONF_MAX_INCLUDE_DEPTH) {
		conf_diag_add(&ctx->diag, cur_file(p), name.line, name.col,
			      "include '%s': includes nested deeper than %d levels",
			      q, CONF_MAX_INCLUDE_DEPTH);
		goto cleanup;
	}
	idx = conf_ctx_add_file(ctx, path);
	if (idx < 0) {
		p->err = idx;
		goto cleanup;
	}
	ctx->depth++;
	ctx->stack[ctx->depth] = (struct conf_incl){ true, dev, ino, idx };
	r = conf_parse_text(ctx, idx, text, len, root);
	ctx->depth--;
	if (r < 0)
		p->err = r;
cleanup:
	free(text);
	free(path);
	conf_token_free(&name);
}

/* A statement or a block, starting at the word that is the current token. */
static void parse_statement(struct parser *p, struct conf_block *blk, int level)
{
	struct conf_token key = take(p);
	char q[48], what[96];

	switch (p->tok.kind) {
	case CONF_TOK_EQUALS:
		parse_assignment(p, blk, &key);
		break;
	case CONF_TOK_WORD:
	case CONF_TOK_STRING:
		if (strcmp(key.text, "include") == 0)
			parse_include(p, blk, &key, level);
		else
			parse_block(p, blk, &key, level);
		break;
	case CONF_TOK_LBRACE:
		parse_block(p, blk, &key, level);
		break;
	default:
		snprintf(what, sizeof(what), "'=' or a block name after '%s'",
			 conf_quote(key.text, q, sizeof(q)));
		expected(p, what);
		blk->damaged = true;
		if (p->tok.kind == CONF_TOK_SEMI || p->tok.line == p->prev_line)
			skip_statement(p);
		break;
	}
	conf_token_free(&key);
}

/* Statements and blocks until '}' (level > 0) or the end of the file. */
static void parse_items(struct parser *p, struct conf_block *blk, int level)
{
	while (!stop(p)) {
		switch (p->tok.kind) {
		case CONF_TOK_EOF:
			return;
		case CONF_TOK_RBRACE:
			if (level > 0)
				return;
			conf_diag_add(&p->ctx->diag, cur_file(p), p->tok.line, p->tok.col,
				      "unexpected '}': no block is open");
			next(p);
			break;
		case CONF_TOK_SEMI:
			next(p); /* an empty statement, as in "};" */
			break;
		case CONF_TOK_WORD:
			parse_statement(p, blk, level);
			break;
		default:
			expected(p, "a key or a block");
			blk->damaged = true;
			skip_statement(p);
			break;
		}
	}
}

int conf_parse_text(struct conf_ctx *ctx, int file, const char *text, size_t len,
		    struct conf_block *root)
{
	struct parser p = { .ctx = ctx, .file = file };

	conf_lexer_init(&p.lx, ctx->files[file], text, len, &ctx->diag);
	p.err = conf_lexer_next(&p.lx, &p.tok);
	if (!p.err)
		parse_items(&p, root, 0);
	conf_token_free(&p.tok);
	return p.err;
}
