/*
 * What jail6 records of a started container (U/lxc/NAME/jail6) and the
 * half of a start that runs in jail6-start (src/starter): liblxc's start,
 * then the record. Plain libc and liblxc only, as jail6-start links this
 * file and nothing else of jail6.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lxc/lxccontainer.h>

#include "os/linux/lxc_int.h"

int lxcj_path(char *buf, size_t len, const char *run_dir, const char *name, const char *file)
{
	int n;

	if (!run_dir || run_dir[0] != '/')
		return -EINVAL;
	if (!name)
		n = snprintf(buf, len, "%s/lxc", run_dir);
	else if (!file)
		n = snprintf(buf, len, "%s/lxc/%s", run_dir, name);
	else
		n = snprintf(buf, len, "%s/lxc/%s/%s", run_dir, name, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lxcj_record_write(const char *run_dir, const char *name, const struct lxcj_record *r)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int rc = 0;

	if (lxcj_path(path, sizeof(path), run_dir, name, "jail6") < 0)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nstart %llu\ntimeout %u\n", (int)r->init_pid, r->start_time, r->stop_timeout);
	for (size_t i = 0; i < LXCJ_MAX_CGROUPS && r->cgroups[i][0]; i++)
		fprintf(f, "cgroup %s\n", r->cgroups[i]);
	if (fclose(f) != 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	return rc;
}

int lxcj_record_read(const char *run_dir, const char *name, struct lxcj_record *r)
{
	char path[PATH_MAX], line[320];
	size_t n = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->stop_timeout = 10;
	if (lxcj_path(path, sizeof(path), run_dir, name, "jail6") < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int pid;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "pid %d", &pid) == 1)
			r->init_pid = pid;
		else if (sscanf(line, "start %llu", &r->start_time) == 1 || sscanf(line, "timeout %u", &r->stop_timeout) == 1)
			continue;
		else if (strncmp(line, "cgroup /", 8) == 0 && n < LXCJ_MAX_CGROUPS &&
			 strlen(line + 7) < sizeof(r->cgroups[0]) && !strstr(line, "/../"))
			snprintf(r->cgroups[n++], sizeof(r->cgroups[0]), "%s", line + 7);
	}
	fclose(f);
	return 0;
}

unsigned long long lxcj_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command name, in parentheses that may hold anything */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

void lxcj_log_error(const char *run_dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	buf[0] = '\0';
	if (lxcj_path(path, sizeof(path), run_dir, name, "lxc.log") < 0 || !(f = fopen(path, "re")))
		return;
	/* the first: the later ones are its consequences ("Failed to spawn") */
	while (!buf[0] && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, " ERROR ");
		if (!e)
			continue;
		/* "lxc NAME DATE ERROR file - where - message" */
		char *msg = strstr(e, " - ");
		msg = msg ? strstr(msg + 3, " - ") : NULL;
		msg = msg ? msg + 3 : e + 7;
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(buf, len, "%s", msg);
	}
	fclose(f);
}

/* The container's cgroup paths as the host sees them, from /proc/PID/cgroup. */
static void record_cgroups(pid_t pid, struct lxcj_record *r)
{
	char path[64], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (n < LXCJ_MAX_CGROUPS && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || p[1] != '/' || p[2] == '\n' || p[2] == '\0')
			continue;
		p++;
		p[strcspn(p, "\n")] = '\0';
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup = dup || strcmp(r->cgroups[i], p) == 0;
		if (!dup && strlen(p) < sizeof(r->cgroups[0]))
			snprintf(r->cgroups[n++], sizeof(r->cgroups[0]), "%s", p);
	}
	fclose(f);
}

/* The start's failure: liblxc's words from its log, which is kept under
 * RUN/log/NAME.lxc.log (the jail's lxc directory goes, or it would make a
 * half jail of a failed one). */
static void start_failed(const char *run_dir, const char *name, char *err, size_t errlen)
{
	char file[PATH_MAX], kept[PATH_MAX + 32], logerr[512];

	lxcj_log_error(run_dir, name, logerr, sizeof(logerr));
	lxcj_path(file, sizeof(file), run_dir, name, "lxc.log");
	snprintf(kept, sizeof(kept), "%s/log", run_dir);
	mkdir(kept, 0700);
	snprintf(kept, sizeof(kept), "%s/log/%s.lxc.log", run_dir, name);
	const char *shown = rename(file, kept) == 0 ? kept : file;
	snprintf(err, errlen, "%s: liblxc could not start the jail%s%s (log: %s)", name, logerr[0] ? ": " : "",
		 logerr, shown);
}

int lxcj_start_saved(const char *run_dir, const char *name, unsigned stop_timeout, char *err, size_t errlen)
{
	char lxcpath[PATH_MAX];
	struct lxc_container *c;
	struct lxcj_record rec;
	int r;

	err[0] = '\0';
	if (lxcj_path(lxcpath, sizeof(lxcpath), run_dir, NULL, NULL) < 0) {
		snprintf(err, errlen, "%s: run directory too long", name);
		return -ENAMETOOLONG;
	}
	c = lxc_container_new(name, lxcpath);
	if (!c || !c->is_defined(c)) {
		snprintf(err, errlen, "%s: liblxc finds no configuration in %s/%s", name, lxcpath, name);
		if (c)
			lxc_container_put(c);
		return -ENOENT;
	}
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	if (!c->start(c, 0, NULL)) {
		start_failed(run_dir, name, err, errlen);
		return -EIO;
	}
	memset(&rec, 0, sizeof(rec));
	rec.init_pid = c->init_pid(c);
	rec.start_time = rec.init_pid > 0 ? lxcj_proc_start_time(rec.init_pid) : 0;
	rec.stop_timeout = stop_timeout;
	if (rec.init_pid > 0)
		record_cgroups(rec.init_pid, &rec);
	r = lxcj_record_write(run_dir, name, &rec);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s/%s/jail6: %s", name, lxcpath, name, strerror(-r));
		c->stop(c);
	}
	/* no put: the caller exits, and that closes the socket liblxc keeps
	 * to the monitor after a failed start (else the monitor would not
	 * leave its cgroup) */
	return r;
}

int lxcj_report_write(int fd, int r, const char *msg)
{
	struct iovec iov[2] = { { &r, sizeof(r) }, { (void *)msg, strnlen(msg, PIPE_BUF - sizeof(r)) } };

	return writev(fd, iov, 2) > 0 && r == 0 ? 0 : 1;
}

int lxcj_report_read(int fd, int *r, char *msg, size_t msglen)
{
	char buf[PIPE_BUF + 1];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof(int))
		return -EIO;
	memcpy(r, buf, sizeof(int));
	buf[n] = '\0';
	snprintf(msg, msglen, "%s", buf + sizeof(int));
	return 0;
}
