/* jail6 stop JAIL...: exec.stop, then remove the jails (leases kept). */
#include "cli/jail_cmd.h"

/* engine_jail_stop with the signature of the other jail operations. */
static int stop(struct engine *e, struct model *m, const char *const *names, size_t n, bool dry_run,
		struct engine_result *res)
{
	return engine_jail_stop(e, m, names, n, dry_run, res);
}

int cmd_stop(struct cli_global *g, int argc, char **argv)
{
	return cli_jail_cmd(g, argc, argv, "stop",
			    "Run exec.stop inside the named jails, then remove them and their\n"
			    "epairs. Their auto addresses are kept for the next start; apply leaves\n"
			    "them stopped until `jail6 start`.\n",
			    "nothing to stop: they do not run", stop);
}
