/* jail6 export --target freebsd: the config as the files a FreeBSD host's
 * rc(8) and jail(8) run at boot, printed or written to a directory. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"

static void help(const struct cli_global *g)
{
	printf("usage: jail6 export --target freebsd [-f FILE] [-o DIR] [--local ADDR] [--force]\n\n"
	       "Compile FILE (default %s) into the files a FreeBSD host runs at every\n"
	       "boot: rc.conf.jail6 (rc.conf(5) variables, one sysrc(8) argument a line),\n"
	       "jail.conf (one block per jail), sysctl.conf.jail6 when a sysctl is needed,\n"
	       "and README.freebsd (how to install them). They do what\n"
	       "`jail6 plan --target freebsd` prints. FILE is checked as check --target\n"
	       "freebsd checks it; what rc.conf or jail.conf cannot say is an error at\n"
	       "FILE:LINE:COL. Changes nothing on this host and needs no privileges.\n\n"
	       "  --target freebsd  the only target\n"
	       "  -o DIR            write the files into DIR (made if missing), each through\n"
	       "                    a temporary file and a rename; without -o they are\n"
	       "                    printed, each after a \"==> NAME <==\" line\n"
	       "  --force           overwrite a file in DIR that jail6 export did not write\n"
	       "                    (without it such a file stops the run before any write;\n"
	       "                    nothing is ever deleted)\n"
	       "  --local ADDR      the IPv4 address `local = auto` stands for (the FreeBSD\n"
	       "                    host's source address towards the broker): no store\n"
	       "                    records it, so without --local it is refused\n\n"
	       "address = auto takes the address the store (-s DIR, default %s)\n"
	       "leased to that interface; an interface with no lease there is refused.\n",
	       g->conf, CLI_DEFAULT_STATE);
}

/* Whether path may be written: absent, or a file export wrote (its first
 * line has the mark). -1 with a message when it may not. */
static int may_write(const char *path, const char *mark, bool force)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		warn("%s", path);
		return -1;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	if (force || (mark && strstr(line, mark)))
		return 0;
	warnx("%s: not written by jail6 export: left as it is (--force overwrites it)", path);
	return -1;
}

/* Write text to DIR/name through DIR/.name.XXXXXX and rename(2). */
static int write_atomic(const char *dir, const char *name, const char *text)
{
	char path[4096], tmp[4096];
	size_t len = strlen(text);
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp)) {
		warnx("%s: path too long", dir);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		warn("%s", tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_dir(const char *dir, const char *target, const struct engine_export *x, bool force)
{
	char path[4096];
	int bad = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		warn("%s", dir);
		return CLI_EXIT_FAIL;
	}
	/* every file is checked before any is written */
	for (size_t i = 0; i < x->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, x->files[i].name);
		if (may_write(path, engine_export_mark(target), force) < 0)
			bad = 1;
	}
	if (bad) {
		warnx("%s: nothing was written", dir);
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < x->n; i++) {
		if (write_atomic(dir, x->files[i].name, x->files[i].text) < 0)
			return CLI_EXIT_FAIL;
		printf("%s/%s\n", dir, x->files[i].name);
	}
	return CLI_EXIT_OK;
}

int cmd_export(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "target", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "local", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_export_opts eo = { .state_dir = g->state_dir, .lock_timeout_ms = g->lock_timeout_ms };
	struct engine_export x = { 0 };
	struct model m = { 0 };
	const char *dir = NULL;
	char err[1024];
	bool force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': g->conf = optarg; break;
		case 't': eo.target = optarg; break;
		case 'o': dir = optarg; break;
		case 'l': eo.local = optarg; break;
		case 'F': force = true; break;
		case 'h': help(g); return CLI_EXIT_OK;
		default: cli_usage("export"); return CLI_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		warnx("export: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_CONFIG;
	}
	if (!eo.target || strcmp(eo.target, "freebsd")) {
		warnx("export: %s (freebsd)", eo.target ? "unknown target" : "--target is required");
		return CLI_EXIT_CONFIG;
	}
	g->trust_warn = true; /* it runs nothing */
	g->conf_flags |= CONF_F_FREEBSD;
	r = cli_load_conf(g, &m);
	if (r)
		return r;
	eo.source = g->conf;
	r = engine_export(&m, &eo, &x, err, sizeof(err));
	if (r == -EINVAL) {
		fputs(x.errors ? x.errors : "", stderr);
		warnx("%s: cannot be exported for FreeBSD; nothing was written", g->conf);
		r = CLI_EXIT_CONFIG;
	} else if (r < 0) {
		warnx("export: %s", err[0] ? err : strerror(-r));
		r = CLI_EXIT_FAIL;
	} else if (dir) {
		r = write_dir(dir, eo.target, &x, force);
	} else {
		for (size_t i = 0; i < x.n; i++)
			printf("%s==> %s <==\n%s", i ? "\n" : "", x.files[i].name, x.files[i].text);
		r = ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	engine_export_free(&x);
	model_free(&m);
	return r;
}
