/* The command-line interface: one file per subcommand, a table in main.c. */
#ifndef JAIL6_CLI_CLI_H
#define JAIL6_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

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
	const char *runtime_dir; /* --runtime-dir DIR (where namespaces are bind-mounted) */
	bool verbose;            /* -v */
	int lock_timeout_ms;     /* --lock-timeout SECONDS; < 0 = default (30 s) */
};

struct cli_command {
	const char *name;
	int (*fn)(struct cli_global *g, int argc, char **argv);
	const char *usage;       /* "[-f FILE] [--json]" */
	const char *help;        /* one line */
};

/* The table, for `jail6 help`. */
extern const struct cli_command cli_commands[];

/* Subcommands. Each parses its own options with getopt_long (argv[0] is the
 * subcommand's name) and returns the process exit code. */
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
/* jail6 tunnel update NAME (argv[0] is "update"), called by cmd_tunnel. */
int cmd_tunnel_update(struct cli_global *g, int argc, char **argv);
int cmd_lab(struct cli_global *g, int argc, char **argv);

/* Print "usage: jail6 NAME USAGE" for a subcommand to stderr. */
void cli_usage(const char *name);

/* Parse the options that apply, destroy, start, stop and restart share:
 * -f FILE, -n/--dry-run (sets *dry), -h (prints "usage: jail6 NAME USAGE",
 * a blank line and help to stdout). Returns 0, -1 after the help, or
 * CLI_EXIT_CONFIG for an unknown option (the usage on stderr). */
int cli_dry_run_opts(struct cli_global *g, int argc, char **argv, const char *name,
		     const char *help, int *dry);

struct engine;
/* Open the engine (store + backend) as g says; prints the error and returns
 * an exit code (CLI_EXIT_FAIL) on failure, 0 on success. */
int cli_engine_open(const struct cli_global *g, struct engine *e, bool readonly);

struct model;
int cli_converge(const struct cli_global *g, struct engine *e, struct model *m,
		 const char *const *only, size_t n_only, bool dry_run, bool additive_only);

/* Execute plan p (or print it with dry_run), one line per action; on a
 * failure say how far it got and what to do (`what`). An exit code. */
struct plan;
struct state;
int cli_run_plan(struct engine *e, const struct plan *p, const struct state *st, bool dry_run,
		 const char *what);
int cli_teardown(struct engine *e, const struct model *m, const char *const *jails, size_t n,
		 bool dry_run, bool keep_leases);

/* Load and validate the config of g, printing every error as FILE:LINE:COL.
 * Returns 0, or the exit code to use (CLI_EXIT_CONFIG). */
struct model;
int cli_load_conf(const struct cli_global *g, struct model *m);

#endif
