/*
 * A confined jail once started: its state, running commands in it, stopping
 * it and removing every trace (see lxc.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>

#include "os/linux/lxc.h"
#include "os/linux/lxc_int.h"
#include "os/linux/jail_int.h"

/* The number in a cgroup file, or false. */
static bool read_ull(const char *path, unsigned long long *v)
{
	char buf[64], *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	*v = strtoull(buf, &end, 10);
	return end != buf;
}

/* File f of cgroup cg: in controller ctrl's v1 hierarchy, else in v2's. */
static bool cg_value(const char *ctrl, const char *cg, const char *v1, const char *v2, unsigned long long *v)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/%s", ctrl, cg, v1);
	if (read_ull(path, v))
		return true;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", cg, v2);
	return read_ull(path, v);
}

int lxcj_usage(const char *run_dir, const char *name, unsigned long long *mem, unsigned long long *pids)
{
	struct lxcj_record rec;
	bool m = false, p = false;

	*mem = *pids = 0;
	if (lxcj_record_read(run_dir, name, &rec) < 0)
		return -ENOENT;
	/* the payload's cgroup (the same path in each hierarchy); its
	 * counters hold its children's (liblxc's inner one on v2) */
	for (size_t i = 0; i < LXCJ_MAX_CGROUPS && rec.cgroups[i][0] && !(m && p); i++) {
		m = m || cg_value("memory", rec.cgroups[i], "memory.usage_in_bytes", "memory.current", mem);
		p = p || cg_value("pids", rec.cgroups[i], "pids.current", "pids.current", pids);
	}
	return m || p ? 0 : -ENOENT;
}

/* rmdir a cgroup and its children, depth first; only empty ones go. */
static void rmdir_tree(const char *path, int depth)
{
	struct dirent *de;
	DIR *d;

	if (depth > 8 || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		/* liblxc's inner cgroup on v2 is ".lxc" */
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) < (int)sizeof(sub))
			rmdir_tree(sub, depth + 1);
	}
	closedir(d);
	rmdir(path);
}

/* Remove cgroup path (host view, "/lxc.payload.NAME") in every hierarchy. */
static void rm_cgroup(const char *cg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (snprintf(path, sizeof(path), "/sys/fs/cgroup%s", cg) < (int)sizeof(path))
		rmdir_tree(path, 0);
	if (!(d = opendir("/sys/fs/cgroup")))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name, cg) < (int)sizeof(path))
			rmdir_tree(path, 0);
	}
	closedir(d);
}

static void rm_dir_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* Remove a payload cgroup and the monitor's beside it (liblxc names them
 * lxc.payload.NAME[-N] and lxc.monitor.NAME[-N]); true when both are gone. */
static bool rm_cgroups_of(const char *payload)
{
	char cg[320], path[PATH_MAX];
	const char *p = strstr(payload, "lxc.payload.");
	bool gone;

	rm_cgroup(payload);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s", payload);
	gone = access(path, F_OK) != 0;
	if (p) {
		snprintf(cg, sizeof(cg), "%.*slxc.monitor.%s", (int)(p - payload), payload, p + strlen("lxc.payload."));
		rm_cgroup(cg);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s", cg);
		gone = gone && access(path, F_OK) != 0;
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", cg);
		gone = gone && access(path, F_OK) != 0;
	}
	return gone;
}

/* With the last jail gone, its copy of jail6-init (lxc.c's stage_init)
 * goes too: U/lxc then holds nothing of jail6's. Runs under the
 * instance's lock, so no jail is being started meanwhile. */
static void drop_staged_init(const char *run_dir)
{
	char lxcpath[PATH_MAX], init[PATH_MAX + 16];
	struct dirent *de;
	bool others = false;
	DIR *d;

	if (lxcj_path(lxcpath, sizeof(lxcpath), run_dir, NULL, NULL) < 0 || !(d = opendir(lxcpath)))
		return;
	while (!others && (de = readdir(d)))
		others = strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "jail6-init");
	closedir(d);
	snprintf(init, sizeof(init), "%s/jail6-init", lxcpath);
	if (!others)
		unlink(init);
}

int lxcj_cleanup(const char *run_dir, const char *name, const struct lxcj_record *r, unsigned flags)
{
	char dir[PATH_MAX], def[300];
	struct lxcj_record own;
	const struct timespec tick = { 0, 20 * 1000000L };

	if (lxcj_path(dir, sizeof(dir), run_dir, name, NULL) < 0)
		return -ENAMETOOLONG;
	if (!r && lxcj_record_read(run_dir, name, &own) == 0)
		r = &own;
	/* the recorded cgroups, or without a record liblxc's default name; a
	 * monitor on its way out still holds its own: a bounded wait for it */
	bool use_def = !r || !r->cgroups[0][0];
	snprintf(def, sizeof(def), "/lxc.payload.%s", name);
	for (int tries = 0; tries < ((flags & LXCJ_WAIT) ? 100 : 1); tries++) {
		bool gone = use_def ? rm_cgroups_of(def) : true;
		for (size_t i = 0; r && i < LXCJ_MAX_CGROUPS && r->cgroups[i][0]; i++)
			gone = rm_cgroups_of(r->cgroups[i]) && gone;
		if (gone || !(flags & LXCJ_WAIT))
			break;
		nanosleep(&tick, NULL);
	}
	if (flags & LXCJ_KEEP_DIR)
		return 0;
	rm_dir_files(dir);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	drop_staged_init(run_dir);
	return 0;
}

bool lxcj_present(const char *run_dir, const char *name)
{
	char dir[PATH_MAX];
	struct stat st;

	return lxcj_path(dir, sizeof(dir), run_dir, name, NULL) == 0 && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static struct lxc_container *open_jail(const char *run_dir, const char *name)
{
	char lxcpath[PATH_MAX];

	if (lxcj_path(lxcpath, sizeof(lxcpath), run_dir, NULL, NULL) < 0)
		return NULL;
	return lxc_container_new(name, lxcpath);
}

int lxcj_running(const char *run_dir, const char *name)
{
	struct lxc_container *c;
	int r;

	if (!lxcj_present(run_dir, name))
		return -ENOENT;
	c = open_jail(run_dir, name);
	if (!c)
		return 0;
	r = c->is_running(c) && c->init_pid(c) > 0;
	lxc_container_put(c);
	return r;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Without a monitor: SIGKILL the recorded init (if it is still that
 * process), which ends its PID namespace, and wait for it to go. */
static int kill_init(const struct lxcj_record *rec)
{
	const struct timespec tick = { 0, 10 * 1000000L };
	long long end;
	int pfd;

	if (rec->init_pid <= 0 || !rec->start_time || lxcj_proc_start_time(rec->init_pid) != rec->start_time)
		return 0;
	pfd = (int)syscall(SYS_pidfd_open, rec->init_pid, 0);
	if (pfd < 0)
		return errno == ESRCH ? 0 : -errno;
	if (lxcj_proc_start_time(rec->init_pid) == rec->start_time)
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	close(pfd);
	end = now_ms() + 5000;
	while (lxcj_proc_start_time(rec->init_pid) == rec->start_time) {
		if (now_ms() > end)
			return -EBUSY;
		nanosleep(&tick, NULL);
	}
	return 0;
}

int lxcj_stop(const char *run_dir, const char *name, char *err, size_t errlen)
{
	struct lxcj_record rec;
	struct lxc_container *c;
	int r = 0;

	jail_set_err(err, errlen, "%s", "");
	if (!lxcj_present(run_dir, name))
		return 0;
	lxcj_record_read(run_dir, name, &rec);
	c = open_jail(run_dir, name);
	if (c && c->is_running(c)) {
		/* SIGPWR: jail6-init gives the jail's processes stop_timeout
		 * seconds; a second more for it to exit */
		if (!c->shutdown(c, (int)rec.stop_timeout + 1))
			c->stop(c);
	}
	if (c)
		lxc_container_put(c);
	r = kill_init(&rec);
	if (r < 0)
		jail_set_err(err, errlen, "%s: its init (pid %d) survived SIGKILL", name, (int)rec.init_pid);
	/* the monitor removes the cgroups as it exits; wait for it, briefly */
	for (long long end = now_ms() + 2000; now_ms() < end;) {
		c = open_jail(run_dir, name);
		bool up = c && c->is_running(c);
		if (c)
			lxc_container_put(c);
		if (!up)
			break;
		const struct timespec tick = { 0, 10 * 1000000L };
		nanosleep(&tick, NULL);
	}
	int cr = lxcj_cleanup(run_dir, name, &rec, LXCJ_WAIT);
	if (cr < 0 && r == 0) {
		jail_set_err(err, errlen, "%s: remove its lxc directory: %s", name, strerror(-cr));
		r = cr;
	}
	return r;
}

int lxcj_stop_begin(const char *run_dir, const char *name, struct lxcj_starting *s, char *err, size_t errlen)
{
	int fds[2], r;

	jail_set_err(err, errlen, "%s", "");
	s->fd = -1;
	s->pid = -1;
	s->bind[0] = '\0';
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (strcmp(s->name, name)) {
		jail_set_err(err, errlen, "%s: name too long", name);
		return -ENAMETOOLONG;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: pipe: %s", name, strerror(-r));
		return r;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		jail_set_err(err, errlen, "%s: fork: %s", name, strerror(-r));
		return r;
	}
	if (s->pid == 0) {
		char msg[1024];
		close(fds[0]);
		_exit(lxcj_report_write(fds[1], lxcj_stop(run_dir, name, msg, sizeof(msg)), msg));
	}
	close(fds[1]);
	s->fd = fds[0];
	return 0;
}

int lxcj_stop_end(struct lxcj_starting *s, char *err, size_t errlen)
{
	char msg[1024];
	int r, got, st;

	if (s->fd < 0 || s->pid <= 0)
		return -EINVAL;
	got = lxcj_report_read(s->fd, &r, msg, sizeof(msg));
	close(s->fd);
	s->fd = -1;
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
	if (got < 0) {
		jail_set_err(err, errlen, "%s: the process stopping the jail died", s->name);
		return -EIO;
	}
	jail_set_err(err, errlen, "%s", msg);
	return r > 0 ? -EIO : r;
}

/* Look user up in the jail's /etc/passwd, resolved inside the jail's root
 * (RESOLVE_IN_ROOT: a symlink there cannot point at the host's files). */
static int jail_user(pid_t init, const char *user, uid_t *uid, gid_t *gid, char *home, size_t homelen)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char root[64], line[1024];
	int rfd, fd;
	FILE *f;
	int r = -ENOENT;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)init);
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, rfd, "etc/passwd", &how, sizeof(how));
	close(rfd);
	if (fd < 0)
		return -errno == -ENOENT ? -ENOENT : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		char *save = NULL, *fields[7] = { 0 };
		char *p = line;
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		/* strsep keeps empty fields */
		while (n < 7 && (fields[n] = strsep(&p, ":")))
			n++;
		(void)save;
		if (n < 6 || strcmp(fields[0], user) != 0)
			continue;
		char *e1, *e2;
		unsigned long u = strtoul(fields[2], &e1, 10), g = strtoul(fields[3], &e2, 10);
		if (*e1 || *e2 || !fields[2][0] || !fields[3][0])
			continue;
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		snprintf(home, homelen, "%s", fields[5][0] ? fields[5] : "/");
		r = 0;
	}
	fclose(f);
	return r;
}

int lxcj_env(char **env, size_t n, struct lxcj_envbuf *buf, const char *home, char *const *extra)
{
	const char *t = getenv("TERM");
	size_t k = 0;

	if (n < 4)
		return -E2BIG;
	env[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	snprintf(buf->home, sizeof(buf->home), "HOME=%s", home ? home : "/");
	env[k++] = buf->home;
	if (t && isatty(0) && strlen(t) < 100 && strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789-+._") == strlen(t)) {
		snprintf(buf->term, sizeof(buf->term), "TERM=%s", t);
		env[k++] = buf->term;
	}
	for (size_t i = 0; extra && extra[i]; i++) {
		const char *eq = strchr(extra[i], '=');
		if (!eq || eq == extra[i])
			return -EINVAL;
		if (k >= n - 1)
			return -E2BIG;
		env[k++] = extra[i];
	}
	env[k] = NULL;
	return 0;
}

/* What the attached process runs: argv, or, when execve fails, its errno
 * written to fd (close-on-exec: nothing is written once the command runs)
 * and the shell's status for it (127 not found, 126 found but not run). */
struct attached {
	char *const *argv;
	int fd;
};

static int run_attached(void *payload)
{
	const struct attached *a = payload;
	int e;

	execvp(a->argv[0], a->argv);
	e = errno;
	/* should the write fail, the status still tells */
	ssize_t w = write(a->fd, &e, sizeof(e));
	(void)w;
	return e == ENOENT ? 127 : 126;
}

/* The attaching child: only fds 0-2 (and errfd, moved to 3 and closed on
 * exec), a new session, then liblxc's attach and a wait for the command. */
static _Noreturn void exec_child(const char *run_dir, const char *name, const struct lxcj_cmd *cmd,
				 lxc_attach_options_t *o, int errfd)
{
	struct attached a = { .argv = cmd->argv, .fd = 3 };
	struct lxc_container *c;
	pid_t pid;

	if (cmd->out_fd >= 0) {
		if (dup2(cmd->out_fd, 1) < 0 || dup2(cmd->out_fd, 2) < 0)
			_exit(126);
	}
	if (errfd != 3 && dup3(errfd, 3, O_CLOEXEC) < 0)
		_exit(126);
	syscall(SYS_close_range, 4, ~0U, 0);
	setsid();
	c = open_jail(run_dir, name);
	if (!c || c->attach(c, run_attached, &a, o, &pid) < 0)
		_exit(126);
	jail_exit_as(pid, 126);
}

int lxcj_exec(const char *run_dir, const char *name, const struct lxcj_cmd *cmd, int *status,
	      char *err, size_t errlen)
{
	lxc_attach_options_t o = LXC_ATTACH_OPTIONS_DEFAULT;
	char *env[64], homedir[PATH_MAX];
	struct lxcj_envbuf eb;
	struct lxcj_record rec;
	int ws, r, e = 0, pfd[2];
	pid_t pid;

	jail_set_err(err, errlen, "%s", "");
	if (!cmd || !cmd->argv || !cmd->argv[0] || !status) {
		jail_set_err(err, errlen, "%s: no command to run", name);
		return -EINVAL;
	}
	r = lxcj_running(run_dir, name);
	if (r != 1) {
		jail_set_err(err, errlen, "%s: %s", name, r == -ENOENT ? "no such confined jail" :
			"its container is not running: an incomplete jail (apply repairs it)");
		return r == -ENOENT ? -ENOENT : -ESRCH;
	}
	lxcj_record_read(run_dir, name, &rec);
	o.uid = 0;
	o.gid = 0;
	snprintf(homedir, sizeof(homedir), "/root");
	if (cmd->user) {
		r = jail_user(rec.init_pid, cmd->user, &o.uid, &o.gid, homedir, sizeof(homedir));
		if (r < 0) {
			jail_set_err(err, errlen, "%s: user %s: %s", name, cmd->user,
				r == -ENOENT ? "not in the jail's /etc/passwd" : strerror(-r));
			return r;
		}
	}
	r = lxcj_env(env, sizeof(env) / sizeof(env[0]), &eb, homedir, cmd->env);
	if (r < 0) {
		jail_set_err(err, errlen, "%s: %s", name, r == -E2BIG ? "too many -e variables" :
			"an -e variable is not VAR=value");
		return r;
	}
	o.env_policy = LXC_ATTACH_CLEAR_ENV;
	o.extra_env_vars = env;
	o.attach_flags = LXC_ATTACH_DEFAULT | LXC_ATTACH_NO_NEW_PRIVS;
	o.namespaces = -1;
	o.initial_cwd = homedir;
	o.stdin_fd = 0;
	o.stdout_fd = 1;
	o.stderr_fd = 2;
	/* read once the attaching child is gone, when no write end is left
	 * (the command's closed on exec); non-blocking all the same */
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: pipe: %s", name, strerror(-r));
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		jail_set_err(err, errlen, "%s: fork: %s", name, strerror(-r));
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0)
		exec_child(run_dir, name, cmd, &o, pfd[1]);
	close(pfd[1]);
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			jail_set_err(err, errlen, "%s: wait: %s", name, strerror(-r));
			close(pfd[0]);
			return r;
		}
	}
	*status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	/* the command could not be executed: its status stays the shell's
	 * (127 or 126, run_attached), the reason goes to err and the log */
	if (read(pfd[0], &e, sizeof(e)) == (ssize_t)sizeof(e) && e > 0) {
		char why[PATH_MAX];
		snprintf(why, sizeof(why), "%s: exec %s: %s", name, cmd->argv[0], strerror(e));
		jail_set_err(err, errlen, "%s", why);
		if (cmd->out_fd >= 0)
			dprintf(cmd->out_fd, "jail6: %s\n", why);
	}
	close(pfd[0]);
	return 0;
}
