/* What the subcommands share: options, loading the config, opening the
 * engine, reporting a run. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "util/msg.h"
#include "util/trust.h"

void cli_usage(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name)) {
			fprintf(stderr, "usage: jail6 %s %s\n", c->name, c->usage);
			return;
		}
}

int cli_opts(struct cli_global *g, int argc, char **argv, const char *name, const char *help,
	     const char *flag, int letter, int *set)
{
	const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ flag, no_argument, NULL, letter },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char shorts[8];
	int c;

	snprintf(shorts, sizeof(shorts), "f:%ch", letter);
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (c == letter) {
			*set = 1;
			continue;
		}
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 'h':
			for (const struct cli_command *k = cli_commands; k->name; k++)
				if (!strcmp(k->name, name))
					printf("usage: jail6 %s %s\n\n%s", name, k->usage, help);
			return -1;
		default: cli_usage(name); return CLI_EXIT_CONFIG;
		}
	}
	return 0;
}

/* As root: the config file and every include are root's alone, or the
 * run stops before anything changed (a warning for check and plan). */
static int trust_conf(const struct cli_global *g, struct model *m)
{
	char msg[2 * PATH_MAX + 256];

	if (!trust_enforced())
		return 0;
	for (size_t i = 0; i < m->n_files; i++) {
		if (trust_path(m->files[i], 0, "jail6 runs what it says as root", msg, sizeof(msg)) == 0)
			continue;
		if (g->trust_warn) {
			warnx("warning: %s (until then every command that acts refuses it)", msg);
			continue;
		}
		warnx("%s", msg);
		warnx("%s: not trusted; nothing was changed", g->conf);
		model_free(m);
		return CLI_EXIT_CONFIG;
	}
	return 0;
}

int cli_load_conf(const struct cli_global *g, struct model *m)
{
	struct conf_errors errs = { 0 };
	int r = conf_load_flags(g->conf, g->conf_flags, m, &errs);

	if (r == 0 && errs.n == 0) {
		msg_debug("%s: %zu file%s read: %zu tunnels, %zu bridges, %zu jails", g->conf, m->n_files,
			  m->n_files == 1 ? "" : "s", m->n_tunnels, m->n_bridges, m->n_jails);
		return trust_conf(g, m);
	}
	conf_errors_print(stderr, &errs);
	if (errs.n > 1)
		warnx("%s: %zu errors; nothing was changed", g->conf, errs.n);
	conf_errors_free(&errs);
	model_free(m);
	return CLI_EXIT_CONFIG;
}

void cli_warn_lines(const char *msg)
{
	while (*msg) {
		size_t n = strcspn(msg, "\n");
		warnx("%.*s", (int)n, msg);
		msg += n;
		msg += *msg == '\n';
	}
}

int cli_engine_open(const struct cli_global *g, struct engine **e, bool readonly, bool no_store)
{
	struct engine_opts o = {
		.state_dir = no_store ? NULL : g->state_dir,
		.host_netns = g->host_netns,
		.runtime_dir = g->runtime_dir,
		.readonly = readonly,
		.lock_timeout_ms = g->lock_timeout_ms,
		.log = stdout,
		.warn = stderr,
	};
	char err[1024] = "";
	int r = engine_open(&o, e, err, sizeof(err));

	if (r < 0) {
		warnx("%s", err[0] ? err : strerror(-r));
		/* as root it is something else: a directory jail6 does not
		 * trust, say, which err names */
		if ((r == -EPERM || r == -EACCES) && geteuid() != 0)
			warnx("this needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)");
		return CLI_EXIT_FAIL;
	}
	return 0;
}

int cli_report(const struct cli_global *g, struct engine *e, int r, const struct engine_result *res,
	       bool dry_run, const char *empty, const char *what)
{
	if (r == -EEXIST && res->conflicts.n) {
		for (size_t i = 0; i < res->conflicts.n; i++)
			warnx("%s", res->conflicts.msgs[i]);
		warnx("%s", engine_error(e));
		return CLI_EXIT_FAIL;
	}
	if (r < 0) {
		cli_warn_lines(engine_error(e)[0] ? engine_error(e) : strerror(-r));
		if (res->plan.n_actions && !dry_run)
			warnx("stopped after %zu of %zu actions; %s", res->done, res->plan.n_actions, what);
		return CLI_EXIT_FAIL;
	}
	if (res->plan.n_actions == 0) {
		if (empty)
			printf("jail6: %s\n", empty);
		else
			printf("jail6: nothing to do: the host already matches %s\n", g->conf);
		return CLI_EXIT_OK;
	}
	if (dry_run) {
		engine_plan_print(stdout, &res->plan);
		return CLI_EXIT_OK;
	}
	printf("jail6: %zu action%s applied\n", res->done, res->done == 1 ? "" : "s");
	return CLI_EXIT_OK;
}
