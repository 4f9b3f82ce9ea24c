/* The tunnel's own operations: run the userspace or eBPF datapath, tell
 * the broker our endpoint. */
#include "engine/engine_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tunnel/update.h"
#include "util/fs.h"
#include "util/msg.h"
#include "util/proc.h"

/* mkdir -p of the directory holding path (0700: as the backend's tunnel
 * directory). */
static int stats_dir_make(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return fs_mkdir_p(dir, 0755, 0700);
}

int engine_datapath_run(const struct engine_datapath *d, char *err, size_t errlen)
{
	const struct model_tunnel *t = d->tunnel;
	char pidfile[PATH_MAX], stats[PATH_MAX], logf[PATH_MAX];
	struct tunnel_opts o = {
		.name = t->name, .local_auto = t->local_auto, .local = t->local, .remote = t->remote,
		.ttl = t->ttl, .mtu = t->mtu, .has_address = t->has_address, .address = t->address,
		.keepalive = t->keepalive, .has_peer = t->has_peer, .peer = t->peer,
		.has_via = t->has_via, .via = t->via, .state_dir = d->state_dir,
		/* auto: ebpf where its programs load, else userspace (the
		 * kernel's sit is the backend's choice, not the daemon's) */
		.ebpf = t->datapath == MODEL_DATAPATH_EBPF || t->datapath == MODEL_DATAPATH_AUTO,
		.ebpf_or_userspace = t->datapath == MODEL_DATAPATH_AUTO,
		.host_netns = d->host_netns, .runtime_dir = d->runtime_dir,
		.pidfile = d->pidfile, .stats = d->stats, .log = d->log, .user = d->user,
		/* in the foreground a service manager may wait for it */
		.notify = !d->supervise,
	};
	const char *why;
	int r;

	if (tunnel_opts_check(&o, &why) < 0)
		return msg_fail(err, errlen, -EINVAL, "tunnel %s: %s", t->name, why);
	/* the datapath's user: a name that exists, or numbers; not root */
	if (d->user) {
		uid_t uid;
		gid_t gid;
		if (tunnel_user(d->user, &uid, &gid, &why) < 0)
			return msg_fail(err, errlen, -EINVAL, "tunnel %s: --user %s: %s", t->name, d->user, why);
	}
	if (d->supervise) {
		char run[PATH_MAX];
		if (engine_run_dir(d->state_dir, run, sizeof(run)) < 0 ||
		    (!o.pidfile && tunnel_path(run, t->name, ".pid", pidfile, sizeof(pidfile)) < 0) ||
		    (!o.stats && tunnel_path(run, t->name, ".stats", stats, sizeof(stats)) < 0) ||
		    (!o.log && tunnel_path(run, t->name, ".log", logf, sizeof(logf)) < 0))
			return msg_fail(err, errlen, -EINVAL, "tunnel %s: state directory path too long or not absolute",
					t->name);
		o.pidfile = o.pidfile ? o.pidfile : pidfile;
		o.stats = o.stats ? o.stats : stats;
		o.log = o.log ? o.log : logf;
		r = tunnel_supervise(&o);
		if (r == -EEXIST)
			return msg_fail(err, errlen, r, "tunnel %s: a supervisor already runs (pidfile %s)", t->name,
					o.pidfile);
		if (r == -EINVAL)
			return msg_fail(err, errlen, r, "tunnel %s: file and directory paths must be absolute", t->name);
		if (r < 0)
			return msg_fail(err, errlen, r, "tunnel %s: start the supervisor: %s (see %s)", t->name,
					strerror(-r), o.log);
		return 0;
	}
	if (o.log && !d->supervise)
		return msg_fail(err, errlen, -EINVAL, "tunnel %s: a log goes with supervise", t->name);
	if (tunnel_opts_check(&o, NULL) < 0)
		return msg_fail(err, errlen, -EINVAL, "tunnel %s: file and directory paths must be absolute", t->name);
	/* the files' directories, as the supervisor makes them (a unit gives
	 * STATE/run/tunnel/NAME.* before any apply made it) */
	if ((o.stats && (r = stats_dir_make(o.stats)) < 0) || (o.pidfile && (r = stats_dir_make(o.pidfile)) < 0))
		return msg_fail(err, errlen, r, "tunnel %s: the directory of %s: %s", t->name,
				o.stats ? o.stats : o.pidfile, strerror(-r));
	/* a pidfile in the foreground (jail6-datapath@.service): this
	 * process's record, so that apply finds the datapath as it finds a
	 * supervisor's, and stops it the same way */
	if (o.pidfile) {
		struct proc_id self;
		if (proc_pidfile_live(o.pidfile) > 0)
			return msg_fail(err, errlen, -EEXIST, "tunnel %s: a datapath already runs (pidfile %s)",
					t->name, o.pidfile);
		if ((r = proc_of(getpid(), &self)) < 0 || (r = proc_pidfile_write(o.pidfile, &self)) < 0)
			return msg_fail(err, errlen, r, "tunnel %s: write pidfile %s: %s", t->name, o.pidfile,
					strerror(-r));
	}
	/* errors are logged on stderr by the datapath, naming the object */
	r = tunnel_run(&o, true, 0);
	if (o.pidfile && proc_pidfile_live(o.pidfile) == getpid())
		unlink(o.pidfile);
	return r < 0 ? msg_fail(err, errlen, r, "tunnel %s: %s", t->name, strerror(-r)) : 0;
}

/* store_own_list callback: keep a copy of the record with the key of *arg. */
static int record_cb(const struct store_own *o, void *arg)
{
	struct store_own *want = arg;

	if (addr_equal(&o->addr, &want->addr) && !strcmp(o->ns, want->ns)) {
		*want = *o;
		return 1;
	}
	return 0;
}

int engine_tunnel_restore(struct engine *e, const struct model_tunnel *t, bool *restored)
{
	struct addr dst = t->remote, gw = t->via;
	struct store_own rec;
	struct state st = { 0 };
	struct plan p = { 0 };
	struct action a = { .kind = ACTION_ROUTE_ADD };
	const struct state_route *rt;
	char d[ADDR_STRLEN], g[ADDR_STRLEN], o[ADDR_STRLEN];
	size_t done = 0;
	int r;

	*restored = false;
	if (!t->has_via || t->via.family != AF_INET || t->remote.family != AF_INET)
		return engine_fail(e, -EINVAL, "%s: no via: the tunnel has no host route of jail6's to put back", t->name);
	if (!e->store)
		return engine_fail(e, -ENOENT, "%s: nothing applied here yet (no store)", t->name);
	/* the broker's host route as the planner makes it (plan_broker_dst) */
	dst.plen = 32;
	gw.plen = -1;
	addr_format(&dst, d, sizeof(d));
	addr_format_host(&gw, g, sizeof(g));
	rec = store_own_route("", &dst);
	r = store_own_list(e->store, STORE_OWN_ROUTE, "", record_cb, &rec);
	if (r < 0)
		return engine_fail(e, r, "store: %s", store_errmsg(e->store));
	if (r == 0)
		return engine_fail(e, -ENOENT, "%s: route %s is not recorded as jail6's: `jail6 apply` adds it", t->name, d);
	r = engine_observe(e, NULL, &st, NULL);
	if (r < 0)
		goto out;
	rt = state_find_route(&st, "", &dst);
	if (rt && rt->gw.family == AF_INET && addr_same_host(&rt->gw, &gw)) {
		engine_say(e, "%s: route %s via %s is in place", t->name, d, g);
		goto out;
	}
	if (rt) {
		r = engine_fail(e, -EEXIST, "%s: route %s goes %s%s now; left alone (apply replaces a route of jail6's)",
				t->name, d, rt->gw.family ? "via " : "on-link", rt->gw.family ? addr_format_host(&rt->gw, o, sizeof(o)) : "");
		goto out;
	}
	a.addr = dst;
	a.gw = gw;
	r = plan_append(&p, &a);
	if (r < 0) {
		r = engine_fail(e, r, "out of memory");
		goto out;
	}
	r = engine_execute(e, &p, &st, &done);
	*restored = r == 0 && done == 1;
	/* not put back (via unreachable after all): the run forgot the record
	 * along with the absent route; it is jail6's still, as it was */
	if (!*restored && store_own_has(e->store, &rec) == 0 && store_own_add(e->store, &rec) < 0)
		engine_warn(e, "%s: store: %s", t->name, store_errmsg(e->store));
out:
	plan_free(&p);
	state_free(&st);
	return r;
}

void engine_update_defaults(int *tries, long *timeout_ms)
{
	*tries = TUNNEL_UPDATE_TRIES;
	*timeout_ms = TUNNEL_UPDATE_TIMEOUT_MS;
}

int engine_update_url_check(const char *url, char *why, size_t len)
{
	char *full = NULL;
	int r = tunnel_update_build_url(url, "0", NULL, &full, why, len);

	free(full);
	return r;
}

/* Append "FILE:LINE:COL: ..." for each key the update needs that t lacks;
 * the number missing. */
static int missing_keys(const struct model_tunnel *t, char *msg, size_t len)
{
	const char *keys[3] = { t->tunnel_id ? NULL : "tunnel_id", t->user ? NULL : "user",
				t->update_key_file ? NULL : "update_key_file" };
	size_t off = 0;
	int n = 0;

	msg[0] = '\0';
	for (int i = 0; i < 3; i++) {
		int k;
		if (!keys[i] || off >= len)
			continue;
		k = snprintf(msg + off, len - off, "%s%s:%d:%d: tunnel '%s': missing key '%s', which `jail6 tunnel update` needs",
			     n ? "\n" : "", t->pos.file, t->pos.line, t->pos.col, t->name, keys[i]);
		off += k > 0 ? (size_t)k : 0;
		n++;
	}
	return n;
}

/* tunnel_update_req's retry callback: the message of the failed try. */
static void on_retry(void *arg, const struct tunnel_update_req *r, int try, const struct tunnel_update_answer *a)
{
	const struct engine_update *u = arg;
	struct tunnel_update_answer one = *a;
	char msg[768], line[1024];

	if (!u->note)
		return;
	one.tries = 1; /* this try alone, not "(N tries)" */
	snprintf(line, sizeof(line), "try %d of %d failed: %s; trying again in %ld.%01ld s", try, r->tries,
		 tunnel_update_message(r, &one, msg, sizeof(msg)), r->pause_ms / 1000, r->pause_ms % 1000 / 100);
	u->note(u->arg, line);
}

int engine_tunnel_update(const struct engine_update *u, char *msg, size_t len)
{
	const struct model_tunnel *t = u->tunnel;
	struct tunnel_update_req req = { .tries = TUNNEL_UPDATE_TRIES, .pause_ms = TUNNEL_UPDATE_PAUSE_MS,
					  .on_retry = on_retry, .arg = (void *)u };
	struct tunnel_update_answer ans;
	char key[TUNNEL_UPDATE_KEY_MAX] = "", err[512], myip[ADDR_STRLEN];
	int e;

	if (missing_keys(t, msg, len))
		return -ENOKEY;
	req.name = t->name;
	req.url = u->url ? u->url : t->update_url;
	req.tunnel_id = t->tunnel_id;
	req.user = t->user;
	req.timeout_ms = u->timeout_ms > 0 ? u->timeout_ms : TUNNEL_UPDATE_TIMEOUT_MS;
	if (u->myip)
		req.myip = strcmp(u->myip, "auto") ? u->myip : NULL;
	else if (t->has_myip)
		req.myip = addr_format_host(&t->myip, myip, sizeof(myip));
	if (tunnel_update_key_read(t->update_key_file, 0, key, sizeof(key), err, sizeof(err)) < 0)
		return msg_fail(msg, len, -EACCES, "%s: %s", t->name, err);
	req.key = key;
	if (req.url && strncasecmp(req.url, "http://", 7) == 0 && u->note) {
		snprintf(err, sizeof(err), "%s: warning: the update URL is plain http://, the update key travels unencrypted",
			 t->name);
		u->note(u->arg, err);
	}
	e = tunnel_update_call(&req, &ans);
	explicit_bzero(key, sizeof(key));
	if (e == -EINVAL)
		return msg_fail(msg, len, -EINVAL, "%s: %s", t->name, ans.detail);
	if (e < 0)
		return msg_fail(msg, len, e, "%s: update: %s", t->name, strerror(-e));
	tunnel_update_message(&req, &ans, msg, len);
	return tunnel_update_ok(&ans) ? 0 : -EIO;
}
