/* jail6 exec [-e VAR=value]... [-u USER] JAIL COMMAND...: run a command
 * inside a jail, like jexec(8). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define EXEC_MAX_ENV 32

int cmd_exec(struct cli_global *g, int argc, char **argv)
{
	struct engine_exec_opts o = { 0 };
	char *env[EXEC_MAX_ENV + 1];
	struct engine *e = NULL;
	size_t n_env = 0;
	int status = 0, r, i = 1;

	/* no getopt: the options end at the jail name, and everything after
	 * it is the command's own argv */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: jail6 exec [-e VAR=value]... [-u USER] JAIL COMMAND [ARG...]\n\n"
		       "Run COMMAND inside JAIL, like jexec(8): in a confined jail in every one of\n"
		       "its namespaces, its cgroup, with its capabilities and seccomp policy; in a\n"
		       "jail with confine = no in its network and UTS namespaces (and its root and\n"
		       "a fresh PID namespace when it has a path). The command gets descriptors\n"
		       "0-2 only, a new session (never this terminal as its controlling terminal),\n"
		       "and a fixed environment: PATH, HOME, TERM when stdin is a terminal, and\n"
		       "each -e VAR=value. The exit status is the command's (128+N when killed by\n"
		       "signal N); when it cannot be executed in a confined jail, 127 (not found)\n"
		       "or 126 (not executable), with the reason on stderr. Only a whole jail\n"
		       "that jail6 made: a namespace it did not create, or a jail with a part\n"
		       "missing (apply makes it again), is refused.\n\n"
		       "  -e VAR=value  add VAR to the command's environment (repeatable)\n"
		       "  -u USER       run as USER of the jail's /etc/passwd (confined jails)\n");
		return CLI_EXIT_OK;
	}
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if ((!strcmp(argv[i], "-e") || !strcmp(argv[i], "-u")) && i + 1 >= argc) {
			warnx("exec: %s needs a value", argv[i]);
			return CLI_EXIT_CONFIG;
		}
		if (!strcmp(argv[i], "-e")) {
			const char *eq = strchr(argv[i + 1], '=');
			if (!eq || eq == argv[i + 1]) {
				warnx("exec: -e '%s': not VAR=value", argv[i + 1]);
				return CLI_EXIT_CONFIG;
			}
			if (n_env >= EXEC_MAX_ENV) {
				warnx("exec: more than %d -e variables", EXEC_MAX_ENV);
				return CLI_EXIT_CONFIG;
			}
			env[n_env++] = argv[i + 1];
		} else if (!strcmp(argv[i], "-u")) {
			o.user = argv[i + 1];
		} else {
			warnx("exec: unknown option %s", argv[i]);
			cli_usage("exec");
			return CLI_EXIT_CONFIG;
		}
		i += 2;
	}
	env[n_env] = NULL;
	o.env = n_env ? env : NULL;
	if (argc - i < 2) {
		cli_usage("exec");
		return CLI_EXIT_CONFIG;
	}
	if (!model_jailname_ok(argv[i])) {
		warnx("exec: '%s' is not a valid jail name", argv[i]);
		return CLI_EXIT_CONFIG;
	}
	/* read-only: who owns the jail; the engine lets the lock go before
	 * the command runs */
	if (cli_engine_open(g, &e, true, false))
		return CLI_EXIT_FAIL;
	r = engine_jail_exec(e, argv[i], argv + i + 1, &o, &status);
	if (r < 0)
		cli_warn_lines(engine_error(e)[0] ? engine_error(e) : strerror(-r));
	else if (status != 0 && engine_error(e)[0])
		cli_warn_lines(engine_error(e));   /* why it could not be executed */
	engine_close(e);
	/* 127: like a shell whose command could not run */
	return r == 0 ? status : r == -ESRCH ? CLI_EXIT_FAIL : 127;
}
