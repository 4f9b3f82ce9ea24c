/* Loading the config for any subcommand, with errors printed as the user
 * needs them: every one, FILE:LINE:COL first. */
#include <stdio.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "model/model.h"

int cli_load_conf(const struct cli_global *g, struct model *m)
{
	struct conf_errors errs = { 0 };
	int r = conf_load(g->conf, m, &errs);

	if (r == 0 && errs.n == 0)
		return 0;
	conf_errors_print(stderr, &errs);
	if (errs.n > 1)
		fprintf(stderr, "jail6: %s: %zu errors; nothing was changed\n", g->conf, errs.n);
	conf_errors_free(&errs);
	model_free(m);
	return CLI_EXIT_CONFIG;
}
