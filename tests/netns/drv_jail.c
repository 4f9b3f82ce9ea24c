/*
 * Test driver for src/os/linux/{netns,jail}.c, used by tests/netns/t_jail.sh.
 *
 *   drv_jail -r RUNTIME_DIR create NAME [HOSTNAME|- [PATH]]
 *   drv_jail -r RUNTIME_DIR destroy NAME
 *   drv_jail -r RUNTIME_DIR run NAME ARGV...     exits with the command's status
 *   drv_jail -r RUNTIME_DIR exists|hasroot NAME  prints 1 or 0
 *   drv_jail -r RUNTIME_DIR list                 one namespace per line
 *   drv_jail -r RUNTIME_DIR netns-create|netns-delete|netns-exists NAME
 *   drv_jail -r RUNTIME_DIR statedir
 *
 * Errors print "drv_jail: MESSAGE" and exit 1 (run: 125). Around every call
 * the driver compares its own namespaces, root and cwd before and after; with
 * DRV_JAIL_NSLOG=FILE it appends "nscheck ok CMD" or "nscheck CHANGED CMD
 * WHAT" there, and a change also exits 98.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/linux/jail.h"
#include "os/linux/netns.h"

static const char *const watched[] = {
	"ns/net", "ns/mnt", "ns/uts", "ns/pid", "ns/pid_for_children",
	"ns/ipc", "ns/cgroup", "ns/user", "root", "cwd",
};
#define N_WATCHED (sizeof(watched) / sizeof(watched[0]))

struct snapshot {
	char link[N_WATCHED][PATH_MAX];
};

/* Read the /proc/self links that must not change across a call. */
static void snap(struct snapshot *s)
{
	char path[64];

	for (size_t i = 0; i < N_WATCHED; i++) {
		snprintf(path, sizeof(path), "/proc/self/%s", watched[i]);
		ssize_t n = readlink(path, s->link[i], sizeof(s->link[i]) - 1);
		s->link[i][n < 0 ? 0 : n] = '\0';
	}
}

/* Compare two snapshots, log the verdict; 0 if unchanged, 98 if not. */
static int check(const struct snapshot *a, const struct snapshot *b, const char *cmd)
{
	const char *log = getenv("DRV_JAIL_NSLOG");
	FILE *f = log ? fopen(log, "a") : NULL;
	int rc = 0;

	for (size_t i = 0; i < N_WATCHED; i++) {
		if (strcmp(a->link[i], b->link[i]) != 0) {
			fprintf(stderr, "drv_jail: %s: caller's %s changed: %s -> %s\n",
			        cmd, watched[i], a->link[i], b->link[i]);
			if (f)
				fprintf(f, "nscheck CHANGED %s %s\n", cmd, watched[i]);
			rc = 98;
		}
	}
	if (f) {
		if (rc == 0)
			fprintf(f, "nscheck ok %s\n", cmd);
		fclose(f);
	}
	return rc;
}

/* Print an error for a failed call; returns code. */
static int fail(int code, const char *err, const char *what, int r)
{
	if (err && err[0])
		fprintf(stderr, "drv_jail: %s\n", err);
	else
		fprintf(stderr, "drv_jail: %s: %s\n", what, strerror(-r));
	return code;
}

/* Run one subcommand; the process exit code. */
static int dispatch(const char *rt, const char *run, const char *cmd, int argc, char **argv)
{
	char err[512] = "";
	int r, status;

	if (strcmp(cmd, "create") == 0 && argc >= 1 && argc <= 3) {
		const char *host = argc >= 2 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
		r = jail_create(rt, run, argv[0], host, argc == 3 ? argv[2] : NULL, err, sizeof(err));
		return r < 0 ? fail(1, err, argv[0], r) : 0;
	}
	if (strcmp(cmd, "destroy") == 0 && argc == 1) {
		r = jail_destroy(rt, run, argv[0], err, sizeof(err));
		return r < 0 ? fail(1, err, argv[0], r) : 0;
	}
	if (strcmp(cmd, "run") == 0 && argc >= 2) {
		r = jail_run_err(rt, run, argv[0], argv + 1, &status, err, sizeof(err));
		return r < 0 ? fail(125, err, argv[0], r) : status;
	}
	if ((strcmp(cmd, "exists") == 0 || strcmp(cmd, "hasroot") == 0) && argc == 1) {
		r = cmd[0] == 'e' ? jail_exists(rt, argv[0]) : jail_has_root(rt, run, argv[0]);
		printf("%d\n", r);
		return 0;
	}
	if (strcmp(cmd, "list") == 0 && argc == 0) {
		char **names;
		size_t n;

		r = netns_list(rt, &names, &n);
		if (r < 0)
			return fail(1, NULL, rt, r);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
		netns_list_free(names, n);
		return 0;
	}
	if (strcmp(cmd, "netns-create") == 0 && argc == 1) {
		r = netns_create(rt, argv[0]);
		return r < 0 ? fail(1, NULL, argv[0], r) : 0;
	}
	if (strcmp(cmd, "netns-delete") == 0 && argc == 1) {
		r = netns_delete(rt, argv[0]);
		return r < 0 ? fail(1, NULL, argv[0], r) : 0;
	}
	if (strcmp(cmd, "netns-exists") == 0 && argc == 1) {
		printf("%d\n", netns_exists(rt, argv[0]));
		return 0;
	}
	if (strcmp(cmd, "statedir") == 0 && argc == 0) {
		char buf[PATH_MAX];

		r = jail_state_dir(run, buf, sizeof(buf));
		if (r < 0)
			return fail(1, NULL, rt, r);
		printf("%s\n", buf);
		return 0;
	}
	fprintf(stderr, "drv_jail: bad command or arguments: %s\n", cmd);
	return 2;
}

int main(int argc, char **argv)
{
	struct snapshot before, after;
	const char *rt = NETNS_RUNTIME_DIR, *run = NULL;
	char rbuf[PATH_MAX];
	int rc, crc;

	for (;;) {
		if (argc >= 3 && strcmp(argv[1], "-r") == 0)
			rt = argv[2];
		else if (argc >= 3 && strcmp(argv[1], "-u") == 0)
			run = argv[2];
		else
			break;
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: drv_jail [-r RUNTIME_DIR] [-u RUN_DIR] COMMAND [ARGS...]\n");
		return 2;
	}
	/* the instance's run dir: -u, else beside the runtime dir (R/../run) */
	if (!run) {
		snprintf(rbuf, sizeof(rbuf), "%s/../run", rt);
		run = rbuf;
	}
	snap(&before);
	rc = dispatch(rt, run, argv[1], argc - 2, argv + 2);
	fflush(stdout);
	snap(&after);
	crc = check(&before, &after, argv[1]);
	return crc ? crc : rc;
}
