/*
 * libFuzzer harness for the config reader: arbitrary bytes go through the
 * lexer, parser and validation. Includes are disabled so that the fuzzer
 * never opens files named by its input.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Opened once: one fopen per run would halve the fuzzer's speed. */
	static FILE *devnull;
	struct model m;
	struct conf_errors errs = { 0 };

	conf_parse_buffer("fuzz.conf", (const char *)data, size, CONF_F_NO_INCLUDE, &m, &errs);
	/* Exercise the printer too (its formatting of hostile text). */
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		conf_errors_print(devnull, &errs);
	conf_errors_free(&errs);
	model_free(&m);
	return 0;
}
