/*
 * jail6.conf: lexer, parser and validation. The one entry point the rest of
 * jail6 needs is conf_load(): it turns a config file (and what it includes)
 * into a validated struct model, or into a list of "file:line:col: message"
 * errors and no model at all.
 */
#ifndef JAIL6_CONF_CONF_H
#define JAIL6_CONF_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "model/model.h"

/* At most this many errors are collected per load; one more entry then says
 * that the rest was dropped. */
#define CONF_MAX_ERRORS 100

/* Largest config file (each file, includes counted separately). */
#define CONF_MAX_FILE_SIZE 1048576 /* 1 MiB */

/* Deepest chain of includes (the main file is depth 0). */
#define CONF_MAX_INCLUDE_DEPTH 16

/* Most files one load may read (the main file and its includes). */
#define CONF_MAX_FILES 256

/* Flags for conf_parse_buffer(). */
#define CONF_F_NO_INCLUDE 0x1 /* `include` is an error: never touch the file system */
#define CONF_F_INCLUDE_HERE 0x2 /* an include may only name a file beside the
				 * including one (no '/'): the fuzzer's own
				 * directory is all it can reach */
#define CONF_F_FREEBSD 0x4 /* also the rules of a FreeBSD host (check --target
			    * freebsd, export): validate_freebsd.c */

/* One diagnostic. line == 0 means the whole file (cannot open, too big). */
struct conf_error {
	char *file;
	int line;
	int col;
	char *msg;
};

/* A list of diagnostics; start with {0} and release with conf_errors_free(). */
struct conf_errors {
	struct conf_error *v;
	size_t n;
};

/*
 * Read the config file at path (and every file it includes) into *out.
 * Returns 0 on success; -EINVAL when errors were appended to *errs (then *out
 * is left empty); -errno when the main file cannot be read, which is also
 * reported in *errs as "PATH: cannot open: reason".
 */
int conf_load(const char *path, struct model *out, struct conf_errors *errs);

/* conf_load() with CONF_F_* flags (CONF_F_FREEBSD). */
int conf_load_flags(const char *path, unsigned flags, struct model *out, struct conf_errors *errs);

/*
 * Same as conf_load() for text already in memory; filename is used in
 * messages and include paths are resolved relative to its directory.
 */
int conf_parse_string(const char *filename, const char *text, size_t len,
		      struct model *out, struct conf_errors *errs);

/* conf_parse_string() with CONF_F_* flags (the unit tests use CONF_F_NO_INCLUDE,
 * the fuzzer CONF_F_INCLUDE_HERE). */
int conf_parse_buffer(const char *filename, const char *text, size_t len,
		      unsigned flags, struct model *out, struct conf_errors *errs);

/* Print each error as "FILE:LINE:COL: message" (or "FILE: message"). */
void conf_errors_print(FILE *f, const struct conf_errors *e);

/* Free the entries and reset *e to empty; NULL-tolerant. */
void conf_errors_free(struct conf_errors *e);

#endif
