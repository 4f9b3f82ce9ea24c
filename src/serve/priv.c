/*
 * The privileged parent's side of jail6 serve: one request of the HTTP
 * child at a time, each checked as if an attacker wrote it (the child may
 * be compromised): a known type with exactly its strings, a credential the
 * parent itself issued, the session's CSRF token on every change, names
 * the config knows. Then the engine, as the CLI calls it; the reply is
 * JSON, errors as {code, message}.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "serve/priv.h"
#include "serve/serve_int.h"
#include "util/trust.h"

/* {code, message} and the HTTP status that goes with it */
static int fail(struct priv_reply *out, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct priv_reply *out, int status, const char *code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(out->doc);
	out->doc = json_pack("{s:s, s:s}", "code", code, "message", msg);
	out->status = status;
	return 0;
}

int priv_load(const struct serve_opts *o, struct model *m, struct priv_reply *out)
{
	struct conf_errors errs = { 0 };
	char msg[2 * PATH_MAX + 256];
	int r = conf_load(o->conf, m, &errs);

	if (r < 0 || errs.n) {
		json_t *list = json_array();
		for (size_t i = 0; i < errs.n; i++) {
			const struct conf_error *e = &errs.v[i];
			if (e->line)
				snprintf(msg, sizeof(msg), "%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
			else
				snprintf(msg, sizeof(msg), "%s: %s", e->file, e->msg);
			json_array_append_new(list, json_string(msg));
		}
		fail(out, 422, "config", "%s: %zu error%s; nothing was changed", o->conf, errs.n, errs.n == 1 ? "" : "s");
		json_object_set_new(out->doc, "errors", list);
		conf_errors_free(&errs);
		model_free(m);
		return -EINVAL;
	}
	for (size_t i = 0; trust_enforced() && i < m->n_files; i++)
		if (trust_path(m->files[i], 0, "jail6 runs what it says as root", msg, sizeof(msg)) < 0) {
			fail(out, 422, "config", "%s; nothing was changed", msg);
			model_free(m);
			return -EPERM;
		}
	return 0;
}

int priv_engine(const struct serve_opts *o, bool readonly, struct engine **e, struct priv_reply *out)
{
	struct engine_opts eo = {
		.state_dir = o->state_dir,
		.host_netns = o->host_netns,
		.runtime_dir = o->runtime_dir,
		.readonly = readonly,
		.lock_timeout_ms = o->lock_timeout_ms,
		.log = stderr,
		.warn = stderr,
	};
	char err[1024] = "";
	int r = engine_open(&eo, e, err, sizeof(err));

	if (r < 0)
		fail(out, r == -EAGAIN || r == -EWOULDBLOCK || r == -ETIMEDOUT ? 503 : 500, "engine", "%s",
		     err[0] ? err : strerror(-r));
	return r;
}

/* The plan's lines as apply -n prints them, as a JSON array. */
static json_t *plan_lines(const struct plan *p)
{
	json_t *a = json_array();
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f || !p->n_actions) {
		if (f)
			fclose(f);
		free(text);
		return a;
	}
	engine_plan_print(f, p);
	fclose(f);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		json_array_append_new(a, json_string(l + strspn(l, " ")));
	free(text);
	return a;
}

int priv_result(struct engine *e, int r, const struct engine_result *res, bool dry, struct priv_reply *out)
{
	if (r == -EEXIST && res->conflicts.n) {
		json_t *c = json_array();
		for (size_t i = 0; i < res->conflicts.n; i++)
			json_array_append_new(c, json_string(res->conflicts.msgs[i]));
		fail(out, 409, "conflict", "%s", engine_error(e));
		json_object_set_new(out->doc, "conflicts", c);
		return 0;
	}
	if (r < 0) {
		fail(out, r == -ECANCELED ? 409 : r == -ENOENT ? 404 : 500, r == -ECANCELED ? "refused" : "failed", "%s",
		     engine_error(e)[0] ? engine_error(e) : strerror(-r));
		json_object_set_new(out->doc, "plan", plan_lines(&res->plan));
		json_object_set_new(out->doc, "done", json_integer((json_int_t)res->done));
		return 0;
	}
	out->status = 200;
	out->doc = json_pack("{s:b, s:o, s:I}", "dry_run", dry, "plan", plan_lines(&res->plan), "done",
			     (json_int_t)(dry ? 0 : res->done));
	return 0;
}

/* ---- the requests */

/* The last status document, as text, for STATUS_TTL_MS: a page or an API
 * client polling status does not observe the host on every request. Any
 * change made through serve drops it. */
#define STATUS_TTL_MS 1000
static struct {
	char *text;
	long long at_ms;
} status_cache;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void priv_status_drop(void)
{
	free(status_cache.text);
	status_cache.text = NULL;
}

static int req_status(const struct serve_opts *o, struct priv_reply *out)
{
	struct model m = { 0 };
	struct engine *e = NULL;
	json_t *js = NULL;
	bool in_sync = false;

	if (status_cache.text && mono_ms() - status_cache.at_ms < STATUS_TTL_MS) {
		out->status = 200;
		out->text = status_cache.text;
		return 0;
	}
	priv_status_drop();
	if (priv_load(o, &m, out) < 0)
		return 0;
	if (priv_engine(o, true, &e, out) == 0) {
		if (engine_status(e, &m, &js, &in_sync) < 0)
			fail(out, 500, "failed", "%s", engine_error(e));
		else {
			out->status = 200;
			status_cache.text = json_dumps(js, JSON_COMPACT | JSON_PRESERVE_ORDER);
			status_cache.at_ms = mono_ms();
			out->text = status_cache.text;
			json_decref(js);
		}
	}
	engine_close(e);
	model_free(&m);
	return 0;
}

static bool is_dry(const char *s, bool *dry)
{
	if (strcmp(s, "0") && strcmp(s, "1"))
		return false;
	*dry = s[0] == '1';
	return true;
}

static int req_jail(const struct serve_opts *o, const char *op, const char *name, bool dry, struct priv_reply *out)
{
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;
	const char *names[1] = { name };
	int r;

	if (strcmp(op, "start") && strcmp(op, "stop") && strcmp(op, "restart"))
		return fail(out, 400, "bad_request", "unknown operation");
	if (priv_load(o, &m, out) < 0)
		return 0;
	if (!model_find_jail(&m, name)) {
		model_free(&m);
		return fail(out, 404, "not_found", "no jail '%s' in %s", name, o->conf);
	}
	if (priv_engine(o, false, &e, out) == 0) {
		if (!strcmp(op, "start"))
			r = engine_jail_start(e, &m, names, 1, dry, &res);
		else if (!strcmp(op, "stop"))
			r = engine_jail_stop(e, &m, names, 1, dry, &res);
		else
			r = engine_jail_restart(e, &m, names, 1, dry, &res);
		priv_result(e, r, &res, dry, out);
	}
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return 0;
}

static int req_converge(const struct serve_opts *o, bool dry, struct priv_reply *out)
{
	struct engine_converge_opts co = { .dry_run = dry };
	struct engine_result res = { 0 };
	struct model m = { 0 };
	struct engine *e = NULL;

	if (priv_load(o, &m, out) < 0)
		return 0;
	if (priv_engine(o, false, &e, out) == 0)
		priv_result(e, engine_converge(e, &m, &co, &res), &res, dry, out);
	engine_result_free(&res);
	engine_close(e);
	model_free(&m);
	return 0;
}

/* The last 4 KiB of a jail's exec.start and exec.stop output
 * (STATE_DIR/run/log/NAME.log), as printable ASCII. */
static int req_log(const struct serve_opts *o, const char *name, struct priv_reply *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 80], buf[4096];
	struct model m = { 0 };
	struct stat st;
	ssize_t n = 0;
	int fd;

	if (priv_load(o, &m, out) < 0)
		return 0;
	bool known = model_find_jail(&m, name) != NULL;
	model_free(&m);
	if (!known)
		return fail(out, 404, "not_found", "no jail '%s' in %s", name, o->conf);
	if (engine_run_dir(o->state_dir, dir, sizeof(dir)) < 0)
		return fail(out, 500, "failed", "state directory name too long");
	snprintf(path, sizeof(path), "%s/log/%s.log", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, buf, sizeof(buf) - 1, st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0);
	if (fd >= 0)
		close(fd);
	n = n < 0 ? 0 : n;
	for (ssize_t i = 0; i < n; i++)
		if ((buf[i] < 32 && buf[i] != '\n' && buf[i] != '\t') || (unsigned char)buf[i] > 126)
			buf[i] = '?';
	buf[n] = '\0';
	out->status = 200;
	out->doc = json_pack("{s:s}", "log", buf);
	return 0;
}

/* How many strings each request carries. */
static const uint32_t n_args[SERVE_REQ_MAX] = {
	[SERVE_REQ_LOGIN] = 3, [SERVE_REQ_LOGOUT] = 1, [SERVE_REQ_AUTH] = 1, [SERVE_REQ_STATUS] = 1,
	[SERVE_REQ_JAIL] = 5, [SERVE_REQ_PLAN] = 1, [SERVE_REQ_APPLY] = 3, [SERVE_REQ_CREATE] = 10,
	[SERVE_REQ_REMOVE] = 4, [SERVE_REQ_LOG] = 2,
};

/* A request that changes something: a session's must carry its CSRF token
 * (a bearer token is not sent by a browser on its own). */
static bool csrf_ok(const char *want, const char *got)
{
	size_t n = strlen(want);
	unsigned char d = n != strlen(got);

	if (!n)
		return true;
	for (size_t i = 0; i < n && got[i]; i++)
		d |= (unsigned char)(want[i] ^ got[i]);
	return d == 0;
}

int priv_handle(const struct serve_opts *o, const struct serve_msg *q, struct priv_reply *out)
{
	const char *user = NULL, *csrf = NULL;
	char err[512], id[65], tok[65];
	bool dry = false;

	*out = (struct priv_reply){ 0 };
	if (q->n != n_args[q->type])
		return fail(out, 400, "bad_request", "malformed request");
	switch (q->type) {
	case SERVE_REQ_LOGIN: {
		int r = auth_login(o->users, q->arg[0], q->arg[1], q->arg[2], err, sizeof(err));
		if (r == -EAGAIN)
			return fail(out, 429, "rate_limited", "%s", err);
		if (r < 0) {
			fprintf(stderr, "jail6 serve: login of '%s' from %s refused: %s\n",
				auth_name_ok(q->arg[0]) ? q->arg[0] : "?", q->arg[2], err);
			return fail(out, 401, "unauthorized", "%s", r == -EACCES ? err : "login failed");
		}
		if (auth_session_new(q->arg[0], id, tok) < 0)
			return fail(out, 503, "busy", "too many sessions");
		out->status = 200;
		out->doc = json_pack("{s:s, s:s, s:s}", "user", q->arg[0], "session", id, "csrf", tok);
		return 0;
	}
	case SERVE_REQ_LOGOUT:
		if (!strncmp(q->arg[0], "s:", 2))
			auth_session_end(q->arg[0] + 2);
		out->status = 200;
		out->doc = json_object();
		return 0;
	default:
		break;
	}
	if (auth_who(o->users, q->arg[0], &user, &csrf) < 0)
		return fail(out, 401, "unauthorized", "log in first");
	switch (q->type) {
	case SERVE_REQ_AUTH:
		out->status = 200;
		out->doc = json_pack("{s:s, s:s}", "user", user, "csrf", csrf);
		return 0;
	case SERVE_REQ_STATUS:
		return req_status(o, out);
	case SERVE_REQ_PLAN:
		return req_converge(o, true, out);
	case SERVE_REQ_LOG:
		return req_log(o, q->arg[1], out);
	default:
		break;
	}
	/* everything below changes the host */
	if (!csrf_ok(csrf, q->arg[1]))
		return fail(out, 403, "csrf", "the form is stale or forged (CSRF token); reload the page");
	priv_status_drop();
	switch (q->type) {
	case SERVE_REQ_JAIL:
		if (!is_dry(q->arg[4], &dry))
			return fail(out, 400, "bad_request", "malformed request");
		fprintf(stderr, "jail6 serve: %s: %s %s%s\n", user, q->arg[2], q->arg[3], dry ? " (dry run)" : "");
		return req_jail(o, q->arg[2], q->arg[3], dry, out);
	case SERVE_REQ_APPLY:
		if (!is_dry(q->arg[2], &dry))
			return fail(out, 400, "bad_request", "malformed request");
		fprintf(stderr, "jail6 serve: %s: apply%s\n", user, dry ? " (dry run)" : "");
		return req_converge(o, dry, out);
	case SERVE_REQ_CREATE:
	case SERVE_REQ_REMOVE:
		if (!is_dry(q->arg[2], &dry))
			return fail(out, 400, "bad_request", "malformed request");
		fprintf(stderr, "jail6 serve: %s: %s %s%s\n", user, q->type == SERVE_REQ_CREATE ? "create" : "remove",
			q->arg[3], dry ? " (dry run)" : "");
		return q->type == SERVE_REQ_CREATE ? priv_create(o, q->arg + 3, user, dry, out)
						   : priv_remove(o, q->arg[3], dry, out);
	default:
		return fail(out, 400, "bad_request", "malformed request");
	}
}

int priv_loop(const struct serve_opts *o, int fd, int child)
{
	struct signalfd_siginfo si;
	sigset_t set;
	int sfd, st, rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (p[1].revents && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD && waitpid(child, &st, WNOHANG) == child) {
				fprintf(stderr, "jail6 serve: the HTTP child ended (%s %d)\n",
					WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				child = -1;
				rc = -ECHILD;
				break;
			}
			if (si.ssi_signo != SIGCHLD)
				break;
		}
		if (!p[0].revents)
			continue;
		struct serve_msg q;
		struct priv_reply out;
		int r = ipc_recv(fd, &q);
		if (r <= 0) {
			fprintf(stderr, "jail6 serve: the HTTP child %s\n", r == 0 ? "closed its socket" : "sent a malformed request");
			rc = r == 0 ? -ECHILD : r;
			break;
		}
		priv_handle(o, &q, &out);
		ipc_msg_free(&q);
		if (out.status >= 500)
			fprintf(stderr, "jail6 serve: %s\n", json_string_value(json_object_get(out.doc, "message")));
		char *text = out.doc ? json_dumps(out.doc, JSON_COMPACT) : NULL;
		if (!text && out.text)
			r = ipc_reply(fd, out.status, out.text);
		else
			r = ipc_reply(fd, out.status ? out.status : 500, text ? text : "{\"code\":\"failed\",\"message\":\"no reply\"}");
		free(text);
		json_decref(out.doc);
		if (r < 0) {
			rc = r;
			break;
		}
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &st, 0);
	}
	close(sfd);
	return rc;
}
