/*
 * The command-line interface: one file per subcommand, a table in main.c.
 * Subcommands parse their options, call the engine (engine/engine.h) and
 * print; they never reach a backend or the store. Messages go through
 * err(3)/warnx(3): "jail6: OBJECT: what happened".
 */
#ifndef JAIL6_CLI_CLI_H
#define JAIL6_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

#define CLI_DEFAULT_CONF  "/etc/jail6.conf"
#define CLI_DEFAULT_STATE "/var/lib/jail6"

/* Exit codes shared by every subcommand. */
#define CLI_EXIT_OK      0
#define CLI_EXIT_FAIL    1  /* the operation failed */
#define CLI_EXIT_CONFIG  2  /* the config (or the command line) is invalid */
#define CLI_EXIT_DRIFT   3  /* status: the host differs from the config */

/* Options every subcommand accepts before its own (jail6 -f FILE plan ...). */
struct cli_global {
	const char *conf;        /* -f FILE; else $JAIL6_CONF; else CLI_DEFAULT_CONF */
	const char *state_dir;   /* -s DIR; else $JAIL6_STATE_DIR; else CLI_DEFAULT_STATE */
	const char *host_netns;  /* --host-netns NAME */
	const char *runtime_dir; /* --runtime-dir DIR (where namespaces are bound) */
	int verbose;             /* -v, once per -v */
	int lock_timeout_ms;     /* --lock-timeout SECONDS; < 0 = default (30 s) */
	bool trust_warn;         /* check, plan: they run nothing, so a config
				  * file root does not own alone is a warning */
	unsigned conf_flags;     /* CONF_F_* for cli_load_conf (CONF_F_FREEBSD:
				  * check --target freebsd, export) */
};

struct cli_command {
	const char *name;
	int (*fn)(struct cli_global *g, int argc, char **argv);
	const char *usage;       /* "[-f FILE] [--json]" */
	const char *help;        /* one line */
};

/* The table, for `jail6 help`. */
extern const struct cli_command cli_commands[];

/* Subcommands, one file each. Each parses its own options with getopt_long
 * (argv[0] is the subcommand's name) and returns the process exit code. */
int cmd_check(struct cli_global *g, int argc, char **argv);
int cmd_plan(struct cli_global *g, int argc, char **argv);
int cmd_apply(struct cli_global *g, int argc, char **argv);
int cmd_destroy(struct cli_global *g, int argc, char **argv);
int cmd_status(struct cli_global *g, int argc, char **argv);
int cmd_start(struct cli_global *g, int argc, char **argv);
int cmd_stop(struct cli_global *g, int argc, char **argv);
int cmd_restart(struct cli_global *g, int argc, char **argv);
int cmd_exec(struct cli_global *g, int argc, char **argv);
int cmd_list(struct cli_global *g, int argc, char **argv);
int cmd_tunnel(struct cli_global *g, int argc, char **argv);
int cmd_export(struct cli_global *g, int argc, char **argv);
int cmd_serve(struct cli_global *g, int argc, char **argv);
/* jail6 tunnel run|update|restore NAME (argv[0] is the subcommand), from cmd_tunnel. */
int cmd_tunnel_run(struct cli_global *g, int argc, char **argv);
int cmd_tunnel_update(struct cli_global *g, int argc, char **argv);
int cmd_tunnel_restore(struct cli_global *g, int argc, char **argv);

/* ---- shared by the subcommands (cli.c) */

/* Print "usage: jail6 NAME USAGE" for a subcommand to stderr. */
void cli_usage(const char *name);

/* Parse the options most subcommands share: -f FILE, -h (prints "usage:
 * jail6 NAME USAGE", a blank line and help to stdout) and one flag of
 * their own (--dry-run/-n, --json/-j, --quiet/-q), which sets *set.
 * Returns 0, -1 after the help, or CLI_EXIT_CONFIG for an unknown option
 * (the usage on stderr). */
int cli_opts(struct cli_global *g, int argc, char **argv, const char *name, const char *help,
	     const char *flag, int letter, int *set);

/* Load and validate the config of g, printing every error as FILE:LINE:COL.
 * As root, the file and each include must be root's alone (util/trust.h):
 * else an error naming the file (a warning with g->trust_warn). Returns 0,
 * or the exit code to use (CLI_EXIT_CONFIG). */
int cli_load_conf(const struct cli_global *g, struct model *m);

/* Open the engine as g says (readonly: status, list; no_store: exec);
 * prints the error and returns CLI_EXIT_FAIL on failure, else 0. */
int cli_engine_open(const struct cli_global *g, struct engine **e, bool readonly, bool no_store);

/* warnx() each line of a possibly multi-line message. */
void cli_warn_lines(const char *msg);

/*
 * Report the end of a run that planned and executed (apply, destroy, start,
 * stop, restart), as r and res say: the conflicts, the error and how far it
 * got (what: what to do next), or "N actions applied"; with dry_run, the
 * plan. empty: what to print when there was nothing to do (NULL: that the
 * host matches g's config). An exit code.
 */
int cli_report(const struct cli_global *g, struct engine *e, int r, const struct engine_result *res,
	       bool dry_run, const char *empty, const char *what);

#endif
