/* jail6 restart JAIL...: stop when running, then start. */
#include "cli/jail_cmd.h"

int cmd_restart(struct cli_global *g, int argc, char **argv)
{
	return cli_jail_cmd(g, argc, argv, "restart", "Stop (when running) and start the named jails.\n",
			    NULL, engine_jail_restart);
}
