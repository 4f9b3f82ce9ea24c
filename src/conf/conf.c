/* Entry points of the config reader: load a file or a buffer into a model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf_int.h"

/* Parse and validate text as the main file; identity (dev/ino) is known
 * when it was read from disk and lets include-cycle detection spot it. */
static int run(const char *filename, const char *text, size_t len, unsigned flags,
	       bool has_id, unsigned long long dev, unsigned long long ino,
	       struct model *out, struct conf_errors *errs)
{
	struct conf_ctx ctx = { .flags = flags };
	struct conf_block root = { 0 };
	struct model m = { 0 };
	int r = 0, idx;

	memset(out, 0, sizeof(*out));
	conf_diag_init(&ctx.diag, errs);
	idx = conf_ctx_add_file(&ctx, filename ? filename : "<input>");
	if (idx < 0) {
		r = idx;
		goto cleanup;
	}
	if (len > CONF_MAX_FILE_SIZE) {
		conf_diag_add(&ctx.diag, ctx.files[idx], 0, 0, "file is larger than 1 MiB");
		goto finish;
	}
	ctx.stack[0] = (struct conf_incl){ has_id, dev, ino, idx };
	r = conf_parse_text(&ctx, idx, text ? text : "", text ? len : 0, &root);
	if (r == 0 && !ctx.diag.full)
		r = conf_build_model(&ctx, &root, &m);
finish:
	conf_diag_finish(&ctx.diag, ctx.files, ctx.n_files);
	if (r == 0 && ctx.diag.nomem)
		r = -ENOMEM;
	if (r == 0 && conf_diag_count(&ctx.diag) > 0)
		r = -EINVAL;
	if (r == 0) {
		m.files = ctx.files;
		m.n_files = ctx.n_files;
		ctx.files = NULL;
		ctx.n_files = 0;
		*out = m;
		memset(&m, 0, sizeof(m));
	}
cleanup:
	model_free(&m);
	conf_block_free(&root);
	conf_ctx_free(&ctx);
	return r;
}

int conf_parse_buffer(const char *filename, const char *text, size_t len,
		      unsigned flags, struct model *out, struct conf_errors *errs)
{
	struct stat st;
	bool has_id = false;

	/* Know the main file by identity when it exists on disk, so that an
	 * include that comes back to it is seen as a cycle. */
	if (!(flags & CONF_F_NO_INCLUDE) && filename && stat(filename, &st) == 0)
		has_id = true;
	return run(filename, text, len, flags, has_id,
		   has_id ? (unsigned long long)st.st_dev : 0,
		   has_id ? (unsigned long long)st.st_ino : 0, out, errs);
}

int conf_parse_string(const char *filename, const char *text, size_t len,
		      struct model *out, struct conf_errors *errs)
{
	return conf_parse_buffer(filename, text, len, 0, out, errs);
}

int conf_load(const char *path, struct model *out, struct conf_errors *errs)
{
	return conf_load_flags(path, 0, out, errs);
}

int conf_load_flags(const char *path, unsigned flags, struct model *out, struct conf_errors *errs)
{
	struct conf_diag d;
	char *text = NULL;
	size_t len = 0;
	unsigned long long dev = 0, ino = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = conf_read_file(path, &text, &len, &dev, &ino);
	if (r < 0 && r != -ENOMEM) {
		char why[128];
		conf_diag_init(&d, errs);
		conf_diag_add(&d, path, 0, 0, "%s", conf_read_strerror(r, why, sizeof(why)));
		return r == -EFBIG ? -EINVAL : r;
	}
	if (r < 0)
		return r;
	r = run(path, text, len, flags, true, dev, ino, out, errs);
	free(text);
	return r;
}
