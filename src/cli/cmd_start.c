/* jail6 start JAIL...: create and start jails. */
#include "cli/jail_cmd.h"

int cmd_start(struct cli_global *g, int argc, char **argv)
{
	return cli_jail_cmd(g, argc, argv, "start",
			    "Create and start the named jails of FILE: the namespace, its epair on\n"
			    "the bridge, its addresses and routes (and the bridge and tunnel when\n"
			    "missing), then exec.start inside. apply starts them again from now on.\n",
			    NULL, engine_jail_start);
}
