/* The shared frame of start, stop and restart (jail_cmd.c). */
#ifndef JAIL6_CLI_JAIL_CMD_H
#define JAIL6_CLI_JAIL_CMD_H

#include "cli/cli.h"

/* Parse -f/-n and the JAIL names (which FILE must define), open the
 * engine and run op over them; an exit code. */
int cli_jail_cmd(struct cli_global *g, int argc, char **argv, const char *what, const char *help, const char *empty,
		 int (*op)(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
			   struct engine_result *res));

#endif
