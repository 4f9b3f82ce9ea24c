/*
 * libFuzzer harness for the config reader: arbitrary bytes go through the
 * lexer, parser (includes too) and validation, and the error printer.
 *
 * The input is up to three files, split at lines "%%": the main file, then
 * a.conf and b.conf. Each run writes them into a directory the harness made
 * (in /dev/shm, else /tmp; removed again after each run) and parses the main
 * one from there with CONF_F_INCLUDE_HERE, so that `include "a.conf";` (or b.conf, or main.conf
 * itself: a cycle, or a name that is not there) reads the harness's files
 * and an include can name nothing outside that directory. A file that the
 * input does not give is absent. An input valid for Linux is read again
 * with the FreeBSD rules (CONF_F_FREEBSD).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_FILES 3
static const char *const names[N_FILES] = { "main.conf", "a.conf", "b.conf" };
/* in memory (tmpfs) when there is one: a write per file and run */
static char dir[64];
static char paths[N_FILES][sizeof(dir) + 16];

/* Pick the directory's name (made and removed again by each run: libFuzzer
 * ends without running atexit handlers, so nothing may outlive a run). */
static int setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/jail6-fuzz-conf.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/jail6-fuzz-conf.XXXXXX");
		if (!mkdtemp(dir))
			return -1;
	}
	for (int i = 0; i < N_FILES; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
	return 0;
}

static void cleanup(void)
{
	for (int i = 0; i < N_FILES; i++)
		unlink(paths[i]);
	rmdir(dir);
}

/* Write len bytes to file i (or remove it when text is NULL). */
static void put(int i, const char *text, size_t len)
{
	int fd;

	if (!text) {
		unlink(paths[i]);
		return;
	}
	fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n <= 0)
			abort();
		text += n;
		len -= (size_t)n;
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Opened once: one fopen per run would halve the fuzzer's speed. */
	static FILE *devnull;
	static int ready;
	const char *text = (const char *)data, *end = text + size;
	const char *part[N_FILES] = { 0 };
	size_t len[N_FILES] = { 0 };
	struct model m;
	struct conf_errors errs = { 0 };

	if (!ready) {
		if (setup() < 0)
			abort();
		ready = 1;
	} else if (mkdir(dir, 0700) < 0) {
		abort();
	}
	/* the main file, then a.conf and b.conf after lines "%%" (the last
	 * file takes the rest) */
	for (int i = 0; i < N_FILES; i++) {
		const char *cut = NULL;

		part[i] = text;
		if (i + 1 < N_FILES)
			cut = memmem(text, (size_t)(end - text), "\n%%\n", 4);
		len[i] = (size_t)((cut ? cut + 1 : end) - text);
		if (!cut)
			break;
		text = cut + 4;
	}
	for (int i = 0; i < N_FILES; i++)
		put(i, part[i], len[i]);

	conf_parse_buffer(paths[0], part[0], len[0], CONF_F_INCLUDE_HERE, &m, &errs);
	/* Exercise the printer too (its formatting of hostile text). */
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		conf_errors_print(devnull, &errs);
	/* a config valid for Linux goes through check --target freebsd's
	 * rules as well (validate_freebsd.c: names, epairs, keys) */
	if (errs.n == 0) {
		struct conf_errors ferrs = { 0 };
		struct model fm;
		conf_parse_buffer(paths[0], part[0], len[0], CONF_F_INCLUDE_HERE | CONF_F_FREEBSD, &fm, &ferrs);
		if (devnull)
			conf_errors_print(devnull, &ferrs);
		conf_errors_free(&ferrs);
		model_free(&fm);
	}
	conf_errors_free(&errs);
	model_free(&m);
	cleanup();
	return 0;
}
