/*
 * Validation of the syntax tree and construction of the desired model. Every
 * check reports at the offending token and carries on, so one run lists all
 * the problems of a file; the caller throws the model away if any was found.
 * This file has the entry point, the block specs and the references between
 * blocks; validate_int.h says which file does the rest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/validate_int.h"

static const char *const top_blocks[] = { "tunnel", "bridge", "jail" };

static const struct cv_blockspec top_spec = { NULL, NULL, 0, top_blocks, CV_N(top_blocks) };

void cv_err(struct cv_ctx *c, struct conf_loc loc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag_add(&c->ctx->diag, c->ctx->files[loc.file], loc.line, loc.col, "%s", msg);
}

const char *cv_quote(const char *s, char buf[CV_QMAX])
{
	return conf_quote(s, buf, CV_QMAX);
}

const char *cv_where(const struct cv_ctx *c, struct conf_loc loc, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%d:%d", c->ctx->files[loc.file], loc.line, loc.col);
	return buf;
}

struct model_pos cv_pos(const struct cv_ctx *c, struct conf_loc loc)
{
	return (struct model_pos){ c->ctx->files[loc.file], loc.line, loc.col };
}

void *cv_grow(void *v, size_t n, size_t size, int *err)
{
	void *p = conf_grow(v, n, size);

	if (!p)
		*err = -ENOMEM;
	return p;
}

/* ---- keys and blocks ---- */

static const struct cv_keyspec *spec_key(const struct cv_blockspec *bs, const char *key)
{
	for (size_t i = 0; i < bs->n_keys; i++)
		if (strcmp(bs->keys[i].name, key) == 0)
			return &bs->keys[i];
	return NULL;
}

static bool spec_block(const struct cv_blockspec *bs, const char *kind)
{
	for (size_t i = 0; i < bs->n_blocks; i++)
		if (strcmp(bs->blocks[i], kind) == 0)
			return true;
	return false;
}

const struct conf_stmt *cv_find_key(const struct conf_block *b, const char *key)
{
	for (size_t i = 0; i < b->n_stmts; i++)
		if (strcmp(b->stmts[i].key, key) == 0)
			return &b->stmts[i];
	return NULL;
}

const struct conf_value *cv_value_of(const struct conf_block *b, const char *key)
{
	const struct conf_stmt *s = cv_find_key(b, key);

	return s ? &s->vals[0] : NULL;
}

/* " did you mean 'X'?" when a candidate is close to word, else "". */
static const char *did_you_mean(const char *word, const char *const *cands, size_t n,
				char *buf, size_t len)
{
	const char *s = conf_suggest(word, cands, n);

	if (!s)
		return "";
	snprintf(buf, len, "; did you mean '%s'?", s);
	return buf;
}

void cv_check_block(struct cv_ctx *c, const struct conf_block *b,
		    const struct cv_blockspec *bs, const char *label)
{
	const char *cands[16];
	char q1[CV_QMAX], hint[96];
	size_t nc = 0;

	for (size_t i = 0; i < bs->n_keys && nc < CV_N(cands); i++)
		cands[nc++] = bs->keys[i].name;
	for (size_t i = 0; i < b->n_stmts && !c->ctx->diag.full; i++) {
		const struct conf_stmt *s = &b->stmts[i];
		const struct cv_keyspec *ks = spec_key(bs, s->key);

		if (!ks && !label) {
			cv_err(c, s->loc, "unknown key '%s' at the top level; expected a tunnel, bridge or jail block, or include",
			       cv_quote(s->key, q1));
			continue;
		}
		if (!ks && spec_block(bs, s->key)) {
			cv_err(c, s->loc, "%s: '%s' is a block, not a key: %s NAME { ... }",
			       label, s->key, s->key);
			continue;
		}
		if (!ks) {
			cv_err(c, s->loc, "%s: unknown key '%s'%s", label, cv_quote(s->key, q1),
			       did_you_mean(s->key, cands, nc, hint, sizeof(hint)));
			continue;
		}
		if (!(ks->flags & CV_KEY_REPEAT)) {
			for (size_t j = 0; j < i; j++) {
				if (strcmp(b->stmts[j].key, s->key) == 0) {
					cv_err(c, s->loc, "%s: duplicate key '%s' (first set on line %d)",
					       label, s->key, b->stmts[j].loc.line);
					break;
				}
			}
		}
		if (s->n_vals > 1 && !(ks->flags & CV_KEY_LIST))
			cv_err(c, s->vals[1].loc, "%s: '%s' takes a single value, found %zu",
			       label, s->key, s->n_vals);
	}
	for (size_t i = 0; i < bs->n_keys && !b->damaged; i++) {
		if ((bs->keys[i].flags & CV_KEY_REQ) && !cv_find_key(b, bs->keys[i].name))
			cv_err(c, b->name ? b->name_loc : b->loc, "%s: missing required key '%s'",
			       label, bs->keys[i].name);
	}
	for (size_t i = 0; i < b->n_blocks && !c->ctx->diag.full; i++) {
		const struct conf_block *nb = &b->blocks[i];

		if (spec_block(bs, nb->kind))
			continue;
		if (label && spec_key(bs, nb->kind)) {
			cv_err(c, nb->loc, "%s: '%s' is a key, not a block: write '%s = VALUE;'",
			       label, nb->kind, nb->kind);
		} else if (label) {
			cv_err(c, nb->loc, "%s: unknown block '%s'%s", label, cv_quote(nb->kind, q1),
			       did_you_mean(nb->kind, bs->blocks, bs->n_blocks, hint, sizeof(hint)));
		} else {
			static const char *const top_cands[] = { "tunnel", "bridge", "jail", "include" };

			cv_err(c, nb->loc, "unknown block '%s'%s", cv_quote(nb->kind, q1),
			       did_you_mean(nb->kind, top_cands, CV_N(top_cands), hint, sizeof(hint)));
		}
	}
}

/* ---- references between blocks ---- */

bool cv_declared(const struct conf_block *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->name && strcmp(v[i]->name, name) == 0)
			return true;
	return false;
}

void cv_undefined(struct cv_ctx *c, const char *label, const char *kind,
		  const struct conf_value *v, const struct conf_block *const *decl, size_t n)
{
	const char **cands = calloc(n ? n : 1, sizeof(*cands));
	char q1[CV_QMAX], hint[96];
	size_t nc = 0;

	if (!cands) {
		c->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (decl[i]->name)
			cands[nc++] = decl[i]->name;
	cv_err(c, v->loc, "%s: %s '%s' is not defined%s", label, kind, cv_quote(v->text, q1),
	       did_you_mean(v->text, cands, nc, hint, sizeof(hint)));
	free(cands);
}

/* ---- top level ---- */

/* Collect the declared blocks of one kind (named ones only). */
static int collect(const struct conf_block *root, const char *kind,
		   const struct conf_block ***out, size_t *n)
{
	*out = calloc(root->n_blocks ? root->n_blocks : 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < root->n_blocks; i++)
		if (strcmp(root->blocks[i].kind, kind) == 0 && root->blocks[i].name)
			(*out)[(*n)++] = &root->blocks[i];
	return 0;
}

int conf_build_model(struct conf_ctx *ctx, const struct conf_block *root, struct model *out)
{
	struct cv_ctx c = { .ctx = ctx, .m = out };

	memset(out, 0, sizeof(*out));
	cv_check_block(&c, root, &top_spec, NULL);
	if (collect(root, "tunnel", &c.tunnels, &c.n_tunnels) < 0 ||
	    collect(root, "bridge", &c.bridges, &c.n_bridges) < 0 ||
	    collect(root, "jail", &c.jails, &c.n_jails) < 0) {
		c.err = -ENOMEM;
		goto cleanup;
	}
	/* Tunnels before bridges before jails: each may refer to the previous
	 * kind regardless of where it appears in the file. */
	for (size_t i = 0; i < c.n_tunnels && !c.err && !ctx->diag.full; i++)
		cv_build_tunnel(&c, c.tunnels[i]);
	for (size_t i = 0; i < c.n_bridges && !c.err && !ctx->diag.full; i++)
		cv_build_bridge(&c, c.bridges[i]);
	for (size_t i = 0; i < c.n_jails && !c.err && !ctx->diag.full; i++)
		cv_build_jail(&c, c.jails[i]);
	if (!c.err && !ctx->diag.full && (ctx->flags & CONF_F_FREEBSD) && conf_diag_count(&ctx->diag) == 0)
		cv_check_freebsd(&c, root);
cleanup:
	cv_reg_free(&c.names);
	cv_reg_free(&c.jail_names);
	cv_reg_free(&c.addrs);
	cv_reg_free(&c.macs);
	free(c.tunnels);
	free(c.bridges);
	free(c.jails);
	return c.err;
}
