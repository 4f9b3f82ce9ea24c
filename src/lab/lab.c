/*
 * jail6 lab: what up, down, status and test share (messages, files, running
 * jail6 at either end of the tunnel), lab_init and lab exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab.h"
#include "lab/lab_int.h"
#include "engine/engine.h"
#include "util/fs.h"
#include "os/linux/netns.h"

const char *const lab_all_ns[4] = {
	LAB_NS_INTERNET, LAB_NS_REMOTE, LAB_NS_VPS, LAB_NS_HOST,
};

/* Record a message in l->err; returns rc. */
int lab_fail(struct lab *l, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Print one progress line. */
void lab_say(struct lab *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->out)
		return;
	va_start(ap, fmt);
	vfprintf(l->out, fmt, ap);
	va_end(ap);
	fputc('\n', l->out);
	fflush(l->out);
}

void lab_print_block(struct lab *l, const char *text)
{
	const char *p = text;

	while (l->out && p && *p) {
		size_t n = strcspn(p, "\n");
		fprintf(l->out, "#   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (l->out)
		fflush(l->out);
}

int lab_find_program(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	int n;

	/* root's usual sbin dirs too: sudo and cron may leave them out */
	n = snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
	if (n < 0 || (size_t)n >= sizeof(dirs))
		snprintf(dirs, sizeof(dirs), "/usr/sbin:/sbin:/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;   /* never a relative PATH entry, as root */
		n = snprintf(buf, len, "%s/%s", d, name);
		if (n > 0 && (size_t)n < len && access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* The directory of this program's binary into buf; 0 or -errno. */
static int self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	return 0;
}

/* An example config beside the binary (BINDIR/../examples, the build
 * tree; BINDIR/../share/jail6/examples, installed), else in the current
 * directory. */
static int find_example(const char *name, char *buf, size_t len)
{
	static const char *const rel[] = { "../examples", "../share/jail6/examples" };
	char exe[PATH_MAX], cand[PATH_MAX + 64];

	for (size_t i = 0; self_dir(exe, sizeof(exe)) == 0 && i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s/%s", exe, rel[i], name);
		if (access(cand, R_OK) == 0 && realpath(cand, buf))
			return 0;
	}
	snprintf(cand, sizeof(cand), "examples/%s", name);
	if (access(cand, R_OK) == 0 && realpath(cand, buf))
		return 0;
	snprintf(buf, len, "examples/%s", name);
	return -ENOENT;
}

int lab_init(struct lab *l, const char *dir, const char *host_conf, const char *broker_conf)
{
	char exe[PATH_MAX];
	int n;

	memset(l, 0, sizeof(*l));
	if (!dir)
		dir = LAB_DIR_DEFAULT;
	if (dir[0] != '/' || strcmp(dir, "/") == 0)
		return lab_fail(l, -EINVAL, "lab directory '%s': must be an absolute path below /", dir);
	if (strlen(dir) >= sizeof(l->dir))
		return lab_fail(l, -ENAMETOOLONG, "lab directory '%s': too long", dir);
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	n = snprintf(l->netns_dir, sizeof(l->netns_dir), "%s/netns", l->dir);
	if (n < 0 || (size_t)n >= sizeof(l->netns_dir))
		return lab_fail(l, -ENAMETOOLONG, "lab directory '%s': too long", dir);
	/* a missing example is only an error for up, which says so */
	if (host_conf)
		snprintf(l->host_conf, sizeof(l->host_conf), "%s", host_conf);
	else
		find_example("lab.conf", l->host_conf, sizeof(l->host_conf));
	if (broker_conf)
		snprintf(l->broker_conf, sizeof(l->broker_conf), "%s", broker_conf);
	else
		find_example("lab-broker.conf", l->broker_conf, sizeof(l->broker_conf));
	/* jail6 beside this program (build tree, or both installed in one
	 * dir), else in PATH; a missing one is up's error */
	if (self_dir(exe, sizeof(exe)) == 0 && snprintf(l->jail6, sizeof(l->jail6), "%s/jail6", exe) > 0 &&
	    access(l->jail6, X_OK) == 0)
		return 0;
	if (lab_find_program("jail6", l->jail6, sizeof(l->jail6)) < 0)
		snprintf(l->jail6, sizeof(l->jail6), "jail6");
	return 0;
}

int lab_set_jail6(struct lab *l, const char *path)
{
	if (path[0] != '/' && !realpath(path, l->jail6))
		return lab_fail(l, -errno, "jail6 binary %s: %s", path, strerror(errno));
	if (path[0] == '/')
		snprintf(l->jail6, sizeof(l->jail6), "%s", path);
	if (access(l->jail6, X_OK) < 0)
		return lab_fail(l, -errno, "jail6 binary %s: %s", l->jail6, strerror(errno));
	return 0;
}

int lab_exec(const struct lab *l, const char *ns, char *const argv[])
{
	int fd = netns_open(l->netns_dir, ns);

	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	execvp(argv[0], argv);
	return -errno;
}

/* ---- files */

/* Copy a config into the lab dir, so that down destroys with what up applied. */
int lab_copy_conf(struct lab *l, const char *src, const char *name)
{
	char dst[PATH_MAX], *text = NULL;
	int rc;

	size_t len = 0;

	rc = lab_path(l, name, dst, sizeof(dst));
	if (rc == 0)
		rc = fs_read_file(src, LAB_FILE_MAX, FS_READ_REGULAR, &text, &len, NULL);
	if (rc < 0 || !text) {
		rc = rc < 0 ? rc : -EIO;
		free(text);
		return lab_fail(l, rc, "%s: %s", src, strerror(-rc));
	}
	rc = fs_write_file(dst, text, len, 0644);
	free(text);
	return rc < 0 ? lab_fail(l, rc, "%s: %s", dst, strerror(-rc)) : 0;
}

/* ---- the engine, for the lab's own wiring */

int lab_engine(struct lab *l, const char *host_ns, struct engine **e)
{
	struct engine_opts o = { .host_netns = host_ns, .runtime_dir = l->netns_dir, .lock_timeout_ms = -1 };
	char err[512];
	int rc = engine_open(&o, e, err, sizeof(err));

	return rc < 0 ? lab_fail(l, rc, "%s", err) : 0;
}

/* ---- jail6 at either end */

const struct lab_end lab_host_end = { LAB_NS_HOST, "host.conf", "state-host", "host" };
const struct lab_end lab_broker_end = { LAB_NS_INTERNET, "broker.conf", "state-broker", "broker" };

int lab_end_paths_get(const struct lab *l, const struct lab_end *e, struct lab_end_paths *p)
{
	int rc = lab_path(l, e->conf_name, p->conf, sizeof(p->conf));

	return rc < 0 ? rc : lab_path(l, e->state_name, p->state, sizeof(p->state));
}

/* Run `jail6 -s STATE --runtime-dir NETNS --host-netns NS -f CONF ARGS...`
 * for one end; the exit status, or -errno. Output as out says. */
int lab_run_jail6(struct lab *l, const struct lab_end *e, const char *const *args,
		     enum lab_out out, char *buf, size_t len, int timeout_ms, bool interruptible)
{
	struct lab_end_paths p;
	const char *argv[32];
	size_t n = 0;
	int rc = lab_end_paths_get(l, e, &p);

	if (rc < 0)
		return rc;
	argv[n++] = "jail6";
	if (l->verbose)
		argv[n++] = "-v";
	argv[n++] = "-s"; argv[n++] = p.state;
	argv[n++] = "--runtime-dir"; argv[n++] = l->netns_dir;
	argv[n++] = "--host-netns"; argv[n++] = e->ns;
	argv[n++] = "-f"; argv[n++] = p.conf;
	for (size_t i = 0; args[i] && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct lab_run r = {
		.prog = l->jail6, .argv = argv, .out = out, .buf = buf, .len = len,
		.timeout_ms = timeout_ms, .interruptible = interruptible,
	};
	rc = lab_spawn(l, &r);
	if (rc == 0 && r.timed_out)
		return lab_fail(l, -ETIMEDOUT, "jail6 %s (%s): no answer within %d s", args[0],
				e->what, timeout_ms / 1000);
	return rc < 0 ? rc : r.status;
}

/* Print the command line of one end, for people who want to poke at it. */
void lab_say_jail6(struct lab *l, const struct lab_end *e, const char *cmd)
{
	struct lab_end_paths p;

	if (lab_end_paths_get(l, e, &p) == 0)
		lab_say(l, "$ %s -s %s --runtime-dir %s --host-netns %s -f %s %s", l->jail6, p.state,
		    l->netns_dir, e->ns, p.conf, cmd);
}

