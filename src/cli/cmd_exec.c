/* jail6 exec JAIL COMMAND...: run a command inside a jail, like jexec(8). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_exec(struct cli_global *g, int argc, char **argv)
{
	struct engine *e = NULL;
	int status = 0, r;

	/* no getopt: everything after the jail name is the command's own argv */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: jail6 exec JAIL COMMAND [ARG...]\n\n"
		       "Run COMMAND inside JAIL (its network, hostname and, for a jail with a\n"
		       "root path, its root and a fresh PID namespace), like jexec(8). The exit\n"
		       "status is the command's (128+N when killed by signal N). Only a whole\n"
		       "jail that jail6 made: a namespace it did not create, or a jail with a\n"
		       "part missing (apply makes it again), is refused.\n");
		return CLI_EXIT_OK;
	}
	if (argc < 3) {
		cli_usage("exec");
		return CLI_EXIT_CONFIG;
	}
	if (!model_jailname_ok(argv[1])) {
		warnx("exec: '%s' is not a valid jail name", argv[1]);
		return CLI_EXIT_CONFIG;
	}
	/* read-only: who owns the jail; the engine lets the lock go before
	 * the command runs */
	if (cli_engine_open(g, &e, true, false))
		return CLI_EXIT_FAIL;
	r = engine_jail_exec(e, argv[1], argv + 2, &status);
	if (r < 0)
		cli_warn_lines(engine_error(e)[0] ? engine_error(e) : strerror(-r));
	engine_close(e);
	/* 127: like a shell whose command could not run */
	return r == 0 ? status : r == -ESRCH ? CLI_EXIT_FAIL : 127;
}
