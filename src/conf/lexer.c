/* The jail6.conf lexer: bytes in, tokens with 1-based line:col out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

void conf_lexer_init(struct conf_lexer *lx, const char *file,
		     const char *buf, size_t len, struct conf_diag *diag)
{
	lx->buf = buf;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
	lx->file = file;
	lx->diag = diag;
}

void conf_token_free(struct conf_token *tok)
{
	if (!tok)
		return;
	free(tok->text);
	tok->text = NULL;
}

static int peek(const struct conf_lexer *lx, size_t ahead)
{
	if (lx->pos + ahead >= lx->len)
		return -1;
	return (unsigned char)lx->buf[lx->pos + ahead];
}

/* Consume one byte. Columns count characters: UTF-8 continuation bytes do
 * not start a new column, and a tab is one column like any other. */
static void advance(struct conf_lexer *lx)
{
	unsigned char c;

	if (lx->pos >= lx->len)
		return;
	c = (unsigned char)lx->buf[lx->pos++];
	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if (lx->pos >= lx->len || ((unsigned char)lx->buf[lx->pos] & 0xc0) != 0x80) {
		lx->col++;
	}
}

static int is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	       c == '/' || c == '+' || c == '-';
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_punct(int c)
{
	return c == '{' || c == '}' || c == ';' || c == ',' || c == '=' || c == '"';
}

/* Whether a comment starts at the current position. */
static int at_comment(const struct conf_lexer *lx)
{
	return peek(lx, 0) == '#' ||
	       (peek(lx, 0) == '/' && (peek(lx, 1) == '/' || peek(lx, 1) == '*'));
}

/* Skip whitespace and comments; an unclosed block comment is reported at
 * its opening and swallows the rest of the file. */
static void skip_blank(struct conf_lexer *lx)
{
	for (;;) {
		int c = peek(lx, 0);

		if (c >= 0 && is_space(c)) {
			advance(lx);
		} else if (c == '#' || (c == '/' && peek(lx, 1) == '/')) {
			while (peek(lx, 0) >= 0 && peek(lx, 0) != '\n')
				advance(lx);
		} else if (c == '/' && peek(lx, 1) == '*') {
			int line = lx->line, col = lx->col;

			advance(lx);
			advance(lx);
			while (peek(lx, 0) >= 0 && !(peek(lx, 0) == '*' && peek(lx, 1) == '/'))
				advance(lx);
			if (peek(lx, 0) < 0) {
				conf_diag_add(lx->diag, lx->file, line, col,
					      "unterminated comment: '/*' without '*/'");
				return;
			}
			advance(lx);
			advance(lx);
		} else {
			return;
		}
	}
}

/* A growable byte buffer for token text. */
struct text {
	char *p;
	size_t n, cap;
};

static int text_put(struct text *t, char c)
{
	if (t->n + 1 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char *p = realloc(t->p, cap);

		if (!p)
			return -ENOMEM;
		t->p = p;
		t->cap = cap;
	}
	t->p[t->n++] = c;
	t->p[t->n] = '\0';
	return 0;
}

/* Read a bare word starting at the current position. A comment ends it as
 * it would in C: "a//b" is the word "a" and a comment. */
static int lex_word(struct conf_lexer *lx, struct conf_token *tok)
{
	size_t start = lx->pos;

	do
		advance(lx);
	while (peek(lx, 0) >= 0 && is_word_char(peek(lx, 0)) && !at_comment(lx));
	tok->kind = CONF_TOK_WORD;
	tok->text = strndup(lx->buf + start, lx->pos - start);
	return tok->text ? 0 : -ENOMEM;
}

/* Read a double-quoted string; the token always comes out as a STRING so the
 * parser can go on after an error in it. */
static int lex_string(struct conf_lexer *lx, struct conf_token *tok)
{
	struct text t = { 0 };
	int r = 0;

	advance(lx); /* the opening quote */
	r = text_put(&t, '\0');
	t.n = 0;
	for (;;) {
		int c = peek(lx, 0);

		if (c < 0) {
			conf_diag_add(lx->diag, lx->file, tok->line, tok->col,
				      "unterminated string");
			break;
		}
		if (c == '\n') {
			conf_diag_add(lx->diag, lx->file, tok->line, tok->col,
				      "unterminated string: newline before the closing '\"'");
			break;
		}
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c == '\\') {
			int e = peek(lx, 1), line = lx->line, col = lx->col;

			advance(lx);
			if (e == '"' || e == '\\')
				r = text_put(&t, (char)e);
			else if (e == 'n')
				r = text_put(&t, '\n');
			else if (e == 't')
				r = text_put(&t, '\t');
			else if (e == '\n' || e < 0)
				continue; /* reported as unterminated on the next turn */
			else if (e >= 0x20 && e < 0x7f)
				conf_diag_add(lx->diag, lx->file, line, col,
					      "unknown escape '\\%c' in string (use \\\" \\\\ \\n or \\t)", e);
			else
				conf_diag_add(lx->diag, lx->file, line, col,
					      "unknown escape '\\' followed by byte 0x%02x in string", e);
			advance(lx);
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_diag_add(lx->diag, lx->file, lx->line, lx->col,
				      "control character 0x%02x in string", c);
			advance(lx);
		} else {
			r = text_put(&t, (char)c);
			advance(lx);
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		free(t.p);
		return r;
	}
	tok->kind = CONF_TOK_STRING;
	tok->text = t.p;
	return 0;
}

int conf_lexer_next(struct conf_lexer *lx, struct conf_token *tok)
{
	int c;

	*tok = (struct conf_token){ 0 };
	for (;;) {
		skip_blank(lx);
		tok->line = lx->line;
		tok->col = lx->col;
		c = peek(lx, 0);
		switch (c) {
		case -1:
			tok->kind = CONF_TOK_EOF;
			return 0;
		case '{': tok->kind = CONF_TOK_LBRACE; advance(lx); return 0;
		case '}': tok->kind = CONF_TOK_RBRACE; advance(lx); return 0;
		case ';': tok->kind = CONF_TOK_SEMI; advance(lx); return 0;
		case ',': tok->kind = CONF_TOK_COMMA; advance(lx); return 0;
		case '=': tok->kind = CONF_TOK_EQUALS; advance(lx); return 0;
		case '"': return lex_string(lx, tok);
		default:
			break;
		}
		if (is_word_char(c))
			return lex_word(lx, tok);
		/* One message for a run of stray bytes, then carry on. */
		if (c >= 0x21 && c < 0x7f)
			conf_diag_add(lx->diag, lx->file, lx->line, lx->col,
				      "unexpected character '%c'", c);
		else
			conf_diag_add(lx->diag, lx->file, lx->line, lx->col,
				      "unexpected byte 0x%02x", c);
		do
			advance(lx);
		while (peek(lx, 0) >= 0 && !is_space(peek(lx, 0)) && !is_word_char(peek(lx, 0)) &&
		       !is_punct(peek(lx, 0)) && !at_comment(lx));
	}
}

char *conf_token_describe(const struct conf_token *tok, char *buf, size_t len)
{
	char q[48];

	switch (tok->kind) {
	case CONF_TOK_EOF: snprintf(buf, len, "end of file"); break;
	case CONF_TOK_LBRACE: snprintf(buf, len, "'{'"); break;
	case CONF_TOK_RBRACE: snprintf(buf, len, "'}'"); break;
	case CONF_TOK_SEMI: snprintf(buf, len, "';'"); break;
	case CONF_TOK_COMMA: snprintf(buf, len, "','"); break;
	case CONF_TOK_EQUALS: snprintf(buf, len, "'='"); break;
	case CONF_TOK_WORD:
		snprintf(buf, len, "'%s'", conf_quote(tok->text, q, sizeof(q)));
		break;
	case CONF_TOK_STRING:
		snprintf(buf, len, "string \"%s\"", conf_quote(tok->text, q, sizeof(q)));
		break;
	}
	return buf;
}
