/*
 * "New jail" and "remove jail" in the parent: one config file per jail,
 * JAIL_DIR/NAME.conf, listed by JAIL_DIR/index.conf (one include each),
 * which the main config includes once. A new jail's text is made from
 * fields of a strict alphabet (no quote, brace, semicolon or newline can
 * reach it), then the whole config with it is parsed and validated before
 * anything is written: what the grammar refuses never lands on disk. A dry
 * run shows the plan; a confirmed one writes the file and applies.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "serve/priv.h"
#include "util/fs.h"

#define INDEX "index.conf"

static int fail(struct priv_reply *out, int status, const char *code, const char *msg)
{
	json_decref(out->doc);
	out->doc = json_pack("{s:s, s:s}", "code", code, "message", msg);
	out->status = status;
	return 0;
}

/* Whether s is made of allow only (and not longer than max; empty is
 * allowed when opt). */
static bool field_ok(const char *s, const char *allow, size_t max, bool opt)
{
	size_t n = strlen(s);

	return (n || opt) && n <= max && strspn(s, allow) == n;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* The new jail's text from its fields (name, hostname, bridge, address,
 * path, memory, pids); NULL with *why when a field is outside its
 * alphabet (the grammar then judges the rest). */
static char *jail_text(const char *const *a, const char *user, const char **why)
{
	const char *name = a[0], *host = a[1], *bridge = a[2], *addr = a[3], *path = a[4], *mem = a[5], *pids = a[6];
	struct sbuf b = { 0 };

	if (!field_ok(name, ALNUM "_.-", 64, false) || name[0] == '.' || name[0] == '-')
		*why = "name: letters, digits, '_', '.', '-' (at most 64)";
	else if (!field_ok(host, ALNUM ".-", 253, true))
		*why = "hostname: letters, digits, '.', '-'";
	else if (!field_ok(bridge, ALNUM "_.-", 15, false))
		*why = "bridge: a bridge's name";
	else if (!field_ok(addr, "0123456789abcdefABCDEF:./auto", 64, true))
		*why = "address: auto or ADDRESS/PREFIXLEN";
	else if (!field_ok(path, ALNUM "_.-/", 1024, true) || (path[0] && path[0] != '/'))
		*why = "path: an absolute path of letters, digits, '_', '.', '-', '/'";
	else if (!field_ok(mem, "0123456789KMGTkmgt", 20, true))
		*why = "memory: a size such as 64M";
	else if (!field_ok(pids, "0123456789", 9, true))
		*why = "pids: a number";
	else
		*why = NULL;
	if (*why)
		return NULL;
	sbuf_printf(&b, "# made by jail6 serve for %s; see jail6.conf(5)\njail %s {\n", user, name);
	if (host[0])
		sbuf_printf(&b, "\thostname = %s;\n", host);
	if (path[0])
		sbuf_printf(&b, "\tpath = \"%s\";\n", path);
	if (mem[0])
		sbuf_printf(&b, "\tlimit.memory = %s;\n", mem);
	if (pids[0])
		sbuf_printf(&b, "\tlimit.pids = %s;\n", pids);
	sbuf_printf(&b, "\tinterface e%.13s {\n\t\tbridge = %s;\n\t\taddress = %s;\n\t}\n}\n", name, bridge,
		    addr[0] ? addr : "auto");
	return b.p;
}

/* JAIL_DIR/index.conf: an include of each NAME.conf in JAIL_DIR, sorted. */
static int write_index(const char *dir)
{
	struct dirent **ents = NULL;
	struct sbuf b = { 0 };
	char path[PATH_MAX];
	int n = scandir(dir, &ents, NULL, alphasort), r;

	if (n < 0)
		return -errno;
	sbuf_puts(&b, "# written by jail6 serve: one include per jail file here; the main config includes this file\n");
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);
		if (l > 5 && !strcmp(ents[i]->d_name + l - 5, ".conf") && strcmp(ents[i]->d_name, INDEX) &&
		    ents[i]->d_name[0] != '.')
			sbuf_printf(&b, "include \"%s\";\n", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	snprintf(path, sizeof(path), "%s/" INDEX, dir);
	r = fs_write_atomic(path, b.p, b.n, 0644);
	sbuf_free(&b);
	return r;
}

int priv_jail_dir_init(const char *dir, char *err, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	int r = fs_mkdir_p(dir, 0755, 0755);

	if (r < 0) {
		snprintf(err, len, "%s: %s", dir, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/" INDEX, dir);
	if (stat(path, &st) == 0)
		return 0;
	if ((r = write_index(dir)) < 0)
		snprintf(err, len, "%s: %s", path, strerror(-r));
	return r;
}

/* The config as it would be with text as JAIL_DIR/NAME.conf: the main file
 * parsed with one more include at its end, of a file beside the others. */
static int load_with(const struct serve_opts *o, const char *tmp, struct model *m, struct priv_reply *out)
{
	struct conf_errors errs = { 0 };
	char *text = NULL;
	size_t n;
	int r = fs_read_file(o->conf, CONF_MAX_FILE_SIZE, FS_READ_REGULAR, &text, &n, NULL);

	if (r < 0)
		return fail(out, 500, "config", strerror(-r)), r;
	struct sbuf b = { 0 };
	sbuf_add(&b, text, n);
	sbuf_printf(&b, "\ninclude \"%s\";\n", tmp);
	free(text);
	r = conf_parse_string(o->conf, b.p, b.n, m, &errs);
	sbuf_free(&b);
	if (r < 0 || errs.n) {
		json_t *list = json_array();
		char msg[2048];
		for (size_t i = 0; i < errs.n; i++) {
			snprintf(msg, sizeof(msg), "%s:%d:%d: %s", errs.v[i].file, errs.v[i].line, errs.v[i].col, errs.v[i].msg);
			json_array_append_new(list, json_string(msg));
		}
		fail(out, 422, "config", "the new jail does not validate; nothing was written");
		json_object_set_new(out->doc, "errors", list);
		conf_errors_free(&errs);
		model_free(m);
		return -EINVAL;
	}
	return 0;
}

int priv_create(const struct serve_opts *o, const char *const *a, const char *user, bool dry, struct priv_reply *out)
{
	char path[PATH_MAX], tmp[PATH_MAX], index[PATH_MAX];
	struct engine_converge_opts co = { .only = a, .n_only = 1, .dry_run = dry, .additive = true };
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	const char *why = NULL;
	struct stat st;
	char *text = jail_text(a, user, &why);
	int r;

	if (!text)
		return fail(out, 400, "bad_request", why);
	snprintf(path, sizeof(path), "%s/%s.conf", o->jail_dir, a[0]);
	snprintf(tmp, sizeof(tmp), "%s/.%s.conf.new", o->jail_dir, a[0]);
	snprintf(index, sizeof(index), "%s/" INDEX, o->jail_dir);
	if (lstat(path, &st) == 0) {
		free(text);
		return fail(out, 409, "exists", "a jail file of that name is there already");
	}
	r = fs_write_atomic(tmp, text, strlen(text), 0644);
	free(text);
	if (r < 0)
		return fail(out, 500, "failed", strerror(-r));
	if (load_with(o, tmp, &m, out) < 0) {
		unlink(tmp);
		return 0;
	}
	/* the main config must reach the index, or the file would do nothing */
	bool via_index = false;
	struct stat si, sf;
	for (size_t i = 0; i < m.n_files && stat(index, &si) == 0; i++)
		via_index |= stat(m.files[i], &sf) == 0 && sf.st_dev == si.st_dev && sf.st_ino == si.st_ino;
	if (!via_index) {
		char msg[3 * PATH_MAX + 128];
		unlink(tmp);
		model_free(&m);
		snprintf(msg, sizeof(msg), "%s does not include %s: add include \"%s\"; to it", o->conf, index, index);
		return fail(out, 409, "no_include", msg);
	}
	if (dry)
		unlink(tmp);
	else {
		model_free(&m);
		if (rename(tmp, path) < 0 || write_index(o->jail_dir) < 0) {
			unlink(tmp);
			unlink(path);
			write_index(o->jail_dir);
			return fail(out, 500, "failed", "cannot write the jail's file");
		}
		if (priv_load(o, &m, out) < 0)
			return 0;
	}
	if (priv_engine(o, false, &e, out) == 0)
		priv_result(e, engine_converge(e, &m, &co, &res), &res, dry, out);
	if (out->status == 200)
		json_object_set_new(out->doc, "file", json_string(path));
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return 0;
}

int priv_remove(const struct serve_opts *o, const char *name, bool dry, struct priv_reply *out)
{
	const char *names[1] = { name };
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (!field_ok(name, ALNUM "_.-", 64, false) || name[0] == '.')
		return fail(out, 404, "not_found", "no such jail");
	snprintf(path, sizeof(path), "%s/%s.conf", o->jail_dir, name);
	if (priv_load(o, &m, out) < 0)
		return 0;
	if (!model_find_jail(&m, name)) {
		model_free(&m);
		return fail(out, 404, "not_found", "no such jail in the config");
	}
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		model_free(&m);
		return fail(out, 409, "not_ours", "this jail is not in the web UI's directory: edit the config to remove it");
	}
	if (priv_engine(o, false, &e, out) == 0) {
		r = engine_teardown(e, &m, names, 1, dry, false, &res);
		if (r == -ENOENT) /* not running: only its file goes */
			r = 0;
		priv_result(e, r, &res, dry, out);
		if (r == 0 && !dry && (unlink(path) < 0 || write_index(o->jail_dir) < 0))
			fail(out, 500, "failed", "the jail is down but its file could not be removed");
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return 0;
}
