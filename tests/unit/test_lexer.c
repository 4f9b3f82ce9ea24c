/* Unit tests of the jail6.conf lexer: tokens, comments, strings, positions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

/* Lex text fully; returns the tokens (EOF included) and the errors. */
struct lexed {
	struct conf_token tok[64];
	size_t n;
	struct conf_errors errs;
};

static void lex_all(const char *text, size_t len, struct lexed *out)
{
	struct conf_diag d;
	struct conf_lexer lx;

	memset(out, 0, sizeof(*out));
	conf_diag_init(&d, &out->errs);
	conf_lexer_init(&lx, "t.conf", text, len, &d);
	for (;;) {
		assert_true(out->n < 64);
		assert_int_equal(conf_lexer_next(&lx, &out->tok[out->n]), 0);
		if (out->tok[out->n++].kind == CONF_TOK_EOF)
			break;
	}
}

static void lex(const char *text, struct lexed *out)
{
	lex_all(text, strlen(text), out);
}

static void lexed_free(struct lexed *l)
{
	for (size_t i = 0; i < l->n; i++)
		conf_token_free(&l->tok[i]);
	conf_errors_free(&l->errs);
}

static void assert_tok(const struct conf_token *t, enum conf_tok_kind kind,
		       const char *text, int line, int col)
{
	assert_int_equal(t->kind, kind);
	if (text)
		assert_string_equal(t->text, text);
	assert_int_equal(t->line, line);
	assert_int_equal(t->col, col);
}

static void assert_err(const struct conf_errors *e, size_t i, int line, int col, const char *msg)
{
	assert_true(i < e->n);
	assert_string_equal(e->v[i].file, "t.conf");
	assert_int_equal(e->v[i].line, line);
	assert_int_equal(e->v[i].col, col);
	assert_string_equal(e->v[i].msg, msg);
}

/* 1. Every token kind, with its position. */
static void test_all_token_kinds(void **state)
{
	struct lexed l;

	(void)state;
	lex("tunnel gif0 {\n  remote = 1.2.3.4, x;\n}", &l);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.n, 11);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "tunnel", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "gif0", 1, 8);
	assert_tok(&l.tok[2], CONF_TOK_LBRACE, NULL, 1, 13);
	assert_tok(&l.tok[3], CONF_TOK_WORD, "remote", 2, 3);
	assert_tok(&l.tok[4], CONF_TOK_EQUALS, NULL, 2, 10);
	assert_tok(&l.tok[5], CONF_TOK_WORD, "1.2.3.4", 2, 12);
	assert_tok(&l.tok[6], CONF_TOK_COMMA, NULL, 2, 19);
	assert_tok(&l.tok[7], CONF_TOK_WORD, "x", 2, 21);
	assert_tok(&l.tok[8], CONF_TOK_SEMI, NULL, 2, 22);
	assert_tok(&l.tok[9], CONF_TOK_RBRACE, NULL, 3, 1);
	assert_tok(&l.tok[10], CONF_TOK_EOF, NULL, 3, 2);
	lexed_free(&l);
	lex("", &l);
	assert_int_equal(l.n, 1);
	assert_tok(&l.tok[0], CONF_TOK_EOF, NULL, 1, 1);
	lexed_free(&l);
}

/* 2. Bare words take addresses, prefixes, MACs, dotted keys and paths whole. */
static void test_word_characters(void **state)
{
	struct lexed l;

	(void)state;
	lex("2001:470:8142:1::1/64 02:fb:c0:00:16:0b exec.start /usr/local/bin a+b_c-d", &l);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.n, 6);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "2001:470:8142:1::1/64", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "02:fb:c0:00:16:0b", 1, 23);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "exec.start", 1, 41);
	assert_tok(&l.tok[3], CONF_TOK_WORD, "/usr/local/bin", 1, 52);
	assert_tok(&l.tok[4], CONF_TOK_WORD, "a+b_c-d", 1, 67);
	lexed_free(&l);
	/* Punctuation ends a word without any blank. */
	lex("a=b;c{d}e,f", &l);
	assert_int_equal(l.n, 12);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "b", 1, 3);
	assert_tok(&l.tok[4], CONF_TOK_WORD, "c", 1, 5);
	assert_tok(&l.tok[10], CONF_TOK_WORD, "f", 1, 11);
	lexed_free(&l);
}

/* 3. The three kinds of comment, and what follows them. */
static void test_comments(void **state)
{
	struct lexed l;

	(void)state;
	lex("# hash { ; }\na // slashes \"x\n/* block\n comment */ b /**/c#d\n//", &l);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.n, 4);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "a", 2, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "b", 4, 13);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "c", 4, 19);
	assert_tok(&l.tok[3], CONF_TOK_EOF, NULL, 5, 3);
	lexed_free(&l);
}

/* 4. A comment ends a bare word, as in C; '/' alone is a word character. */
static void test_comment_ends_word(void **state)
{
	struct lexed l;

	(void)state;
	lex("/a/b//c\nd/*x*/e 2001:db8::/64#f", &l);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.n, 5);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "/a/b", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "d", 2, 1);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "e", 2, 7);
	assert_tok(&l.tok[3], CONF_TOK_WORD, "2001:db8::/64", 2, 9);
	lexed_free(&l);
}

/* 5. An unclosed block comment is reported where it starts. */
static void test_unterminated_comment(void **state)
{
	struct lexed l;

	(void)state;
	lex("a\n  /* never\nclosed", &l);
	assert_int_equal(l.n, 2);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "a", 1, 1);
	assert_int_equal(l.tok[1].kind, CONF_TOK_EOF);
	assert_int_equal(l.errs.n, 1);
	assert_err(&l.errs, 0, 2, 3, "unterminated comment: '/*' without '*/'");
	lexed_free(&l);
}

/* 6. Strings: the four escapes are decoded, other characters kept as is. */
static void test_strings_and_escapes(void **state)
{
	struct lexed l;

	(void)state;
	lex("x = \"a \\\"b\\\" \\\\ \\n\\t # not // a comment;\" \"\"", &l);
	assert_int_equal(l.errs.n, 0);
	assert_int_equal(l.n, 5);
	assert_tok(&l.tok[2], CONF_TOK_STRING, "a \"b\" \\ \n\t # not // a comment;", 1, 5);
	assert_tok(&l.tok[3], CONF_TOK_STRING, "", 1, 43);
	lexed_free(&l);
}

/* 7. An unknown escape is an error at the backslash; the string goes on. */
static void test_bad_escape(void **state)
{
	struct lexed l;

	(void)state;
	lex("\"ab\\qc\" d", &l);
	assert_int_equal(l.n, 3);
	assert_tok(&l.tok[0], CONF_TOK_STRING, "abc", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "d", 1, 9);
	assert_int_equal(l.errs.n, 1);
	assert_err(&l.errs, 0, 1, 4, "unknown escape '\\q' in string (use \\\" \\\\ \\n or \\t)");
	lexed_free(&l);
}

/* 8. A string may not run over the end of a line, nor off the end of the file. */
static void test_unterminated_strings(void **state)
{
	struct lexed l;

	(void)state;
	lex("a = \"open\nb;", &l);
	assert_int_equal(l.n, 6);
	assert_tok(&l.tok[2], CONF_TOK_STRING, "open", 1, 5);
	assert_tok(&l.tok[3], CONF_TOK_WORD, "b", 2, 1);
	assert_int_equal(l.errs.n, 1);
	assert_err(&l.errs, 0, 1, 5, "unterminated string: newline before the closing '\"'");
	lexed_free(&l);

	lex("x\n  \"to the end", &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.errs.n, 1);
	assert_err(&l.errs, 0, 2, 3, "unterminated string");
	lexed_free(&l);
}

/* 9. Raw control characters in a string are refused, NUL included. */
static void test_control_characters_in_string(void **state)
{
	static const char text[] = "\"a\0b\x01\" z";
	struct lexed l;

	(void)state;
	lex_all(text, sizeof(text) - 1, &l);
	assert_int_equal(l.n, 3);
	assert_tok(&l.tok[0], CONF_TOK_STRING, "ab", 1, 1);
	assert_int_equal(l.errs.n, 2);
	assert_err(&l.errs, 0, 1, 3, "control character 0x00 in string");
	assert_err(&l.errs, 1, 1, 5, "control character 0x01 in string");
	lexed_free(&l);
}

/* 10. Stray bytes: one error per run, then lexing resumes. */
static void test_unexpected_characters(void **state)
{
	static const char text[] = "a !@ b \0\xff\xfe c $";
	struct lexed l;

	(void)state;
	lex_all(text, sizeof(text) - 1, &l);
	assert_int_equal(l.n, 4);
	assert_tok(&l.tok[0], CONF_TOK_WORD, "a", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "b", 1, 6);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "c", 1, 12);
	assert_int_equal(l.errs.n, 3);
	assert_err(&l.errs, 0, 1, 3, "unexpected character '!'");
	assert_err(&l.errs, 1, 1, 8, "unexpected byte 0x00");
	assert_err(&l.errs, 2, 1, 14, "unexpected character '$'");
	lexed_free(&l);
}

/* 11. Columns: 1-based, a tab is one column, a UTF-8 character is one. */
static void test_columns(void **state)
{
	struct lexed l;

	(void)state;
	lex("\t\tx\n# caf\xc3\xa9\n\xc3\xa9 y", &l);
	/* The lone "é" on line 3 is a stray character; y follows it. */
	assert_tok(&l.tok[0], CONF_TOK_WORD, "x", 1, 3);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "y", 3, 3);
	assert_int_equal(l.errs.n, 1);
	assert_err(&l.errs, 0, 3, 1, "unexpected byte 0xc3");
	lexed_free(&l);
	lex("\"\xc3\xa9t\xc3\xa9\" z\r\n w", &l);
	assert_int_equal(l.errs.n, 0);
	assert_tok(&l.tok[0], CONF_TOK_STRING, "\xc3\xa9t\xc3\xa9", 1, 1);
	assert_tok(&l.tok[1], CONF_TOK_WORD, "z", 1, 7);
	assert_tok(&l.tok[2], CONF_TOK_WORD, "w", 2, 2);
	lexed_free(&l);
}

/* 12. Token descriptions used in "found X" messages. */
static void test_describe(void **state)
{
	struct conf_token t = { .kind = CONF_TOK_WORD, .text = (char *)"gif0" };
	char buf[80];

	(void)state;
	assert_string_equal(conf_token_describe(&t, buf, sizeof(buf)), "'gif0'");
	t.kind = CONF_TOK_STRING;
	t.text = (char *)"a\nb";
	assert_string_equal(conf_token_describe(&t, buf, sizeof(buf)), "string \"a\\x0ab\"");
	t.kind = CONF_TOK_EOF;
	assert_string_equal(conf_token_describe(&t, buf, sizeof(buf)), "end of file");
	t.kind = CONF_TOK_RBRACE;
	assert_string_equal(conf_token_describe(&t, buf, sizeof(buf)), "'}'");
}

/* 13. The "did you mean" machinery. */
static void test_suggest(void **state)
{
	static const char *const keys[] = { "remote", "local", "via", "address", "peer", "mtu" };

	(void)state;
	assert_int_equal(conf_edit_distance("remote", "remote", 2), 0);
	assert_int_equal(conf_edit_distance("remot", "remote", 2), 1);
	assert_int_equal(conf_edit_distance("rmeote", "remote", 2), 1); /* transposition */
	assert_int_equal(conf_edit_distance("Remote", "remote", 2), 0);
	assert_int_equal(conf_edit_distance("xyzzy", "remote", 2), 3);
	assert_string_equal(conf_suggest("adress", keys, 6), "address");
	assert_string_equal(conf_suggest("mut", keys, 6), "mtu");
	assert_null(conf_suggest("colour", keys, 6));
	assert_null(conf_suggest("ab", keys, 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_token_kinds),
		cmocka_unit_test(test_word_characters),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_comment_ends_word),
		cmocka_unit_test(test_unterminated_comment),
		cmocka_unit_test(test_strings_and_escapes),
		cmocka_unit_test(test_bad_escape),
		cmocka_unit_test(test_unterminated_strings),
		cmocka_unit_test(test_control_characters_in_string),
		cmocka_unit_test(test_unexpected_characters),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
