/* jail6 serve: the listening socket, the HTTP child's account and empty
 * root, the fork into parent and child. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/priv.h"
#include "serve/serve_int.h"
#include "util/fs.h"
#include "util/msg.h"

/* "ADDR:PORT" or "[ADDR]:PORT" into *ss; *loopback when 127/8 or ::1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, bool *loopback, char *err, size_t len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return msg_fail(err, len, -EINVAL, "--listen %s: want ADDR:PORT or [ADDR]:PORT", s);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return msg_fail(err, len, -EINVAL, "--listen %s: the port is not 1..65535", s);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return msg_fail(err, len, -EINVAL, "--listen %s: '%s' is not an IPv6 address", s, host + 1);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return msg_fail(err, len, -EINVAL, "--listen %s: '%s' is not an IPv4 address", s, host);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
		*sl = sizeof(*a);
	}
	return 0;
}

/* A socket of network namespace netns (a file bound in runtime_dir), or
 * of ours when netns is NULL: setns there and back around socket(2); a
 * socket stays in the namespace it was made in. */
static int socket_in(const char *runtime_dir, const char *netns, int family, char *err, size_t len)
{
	char path[PATH_MAX];
	int self = -1, there = -1, fd = -1, e = 0;

	if (!netns) {
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		return fd < 0 ? msg_fail(err, len, -errno, "socket: %s", strerror(errno)) : fd;
	}
	snprintf(path, sizeof(path), "%s/%s", runtime_dir ? runtime_dir : "/run/netns", netns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0)
		e = errno;
	else {
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		e = errno;
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* in the wrong namespace for everything after */
	}
	if (self >= 0)
		close(self);
	if (there >= 0)
		close(there);
	return fd < 0 ? msg_fail(err, len, -e, "namespace %s: %s", path, strerror(e)) : fd;
}

static int open_listen(const struct serve_opts *o, const struct sockaddr_storage *ss, socklen_t sl, char *err, size_t len)
{
	const char *what = o->listen;
	int one = 1, fd = socket_in(o->runtime_dir, o->host_netns, ss->ss_family, err, len);

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0 || listen(fd, 256) < 0) {
		int e = errno;
		close(fd);
		return msg_fail(err, len, -e, "listen on %s: %s", what, strerror(e));
	}
	return fd;
}

/* The HTTP child's uid and gid: o->user, else _jail6, else nobody. */
static int child_user(const struct serve_opts *o, struct serve_child *c, char *err, size_t len)
{
	struct passwd *pw = getpwnam(o->user ? o->user : SERVE_USER);

	if (!pw && !o->user)
		pw = getpwnam(SERVE_FALLBACK_USER);
	if (!pw)
		return msg_fail(err, len, -ENOENT, "no user %s for the HTTP child%s", o->user ? o->user : SERVE_USER,
				o->user ? "" : " (nor " SERVE_FALLBACK_USER ")");
	if (pw->pw_uid == 0)
		return msg_fail(err, len, -EINVAL, "the HTTP child's user %s is root", pw->pw_name);
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	return 0;
}

static int read_pem(const char *path, char **out, char *err, size_t len)
{
	size_t n;
	int r = fs_read_file(path, 1 << 20, FS_READ_REGULAR, out, &n, NULL);

	return r < 0 ? msg_fail(err, len, r, "%s: %s", path, strerror(-r)) : 0;
}

int serve_run(const struct serve_opts *o, char *err, size_t len)
{
	struct serve_child c = { .listen_fd = -1, .ipc_fd = -1, .conf = o->conf };
	struct sockaddr_storage ss;
	char empty[] = "/tmp/jail6-serve-root.XXXXXX";
	bool loopback = false, made = false;
	sigset_t set, old;
	socklen_t sl = 0;
	int sp[2] = { -1, -1 }, r;
	pid_t pid;

	if ((r = parse_listen(o->listen, &ss, &sl, &loopback, err, len)) < 0)
		return r;
	if (!o->tls_cert != !o->tls_key)
		return msg_fail(err, len, -EINVAL, "--tls-cert and --tls-key go together");
	c.tls = o->tls_cert != NULL;
	if (!loopback && !c.tls && !o->insecure_listen)
		return msg_fail(err, len, -EPERM, "--listen %s: not loopback, and without TLS passwords would cross the "
				"network in clear; give --tls-cert and --tls-key (or --insecure-listen)", o->listen);
	if ((r = child_user(o, &c, err, len)) < 0)
		return r;
	if ((r = priv_jail_dir_init(o->jail_dir, err, len)) < 0)
		return r;
	if (c.tls && ((r = read_pem(o->tls_cert, &c.tls_cert, err, len)) < 0 || (r = read_pem(o->tls_key, &c.tls_key, err, len)) < 0))
		goto out;
	if (!mkdtemp(empty) || chmod(empty, 0555) < 0) {
		r = msg_fail(err, len, -errno, "%s: %s", empty, strerror(errno));
		goto out;
	}
	made = true;
	c.empty_dir = empty;
	c.server_name = o->server_name;
	if ((c.listen_fd = open_listen(o, &ss, sl, err, len)) < 0) {
		r = c.listen_fd;
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		r = msg_fail(err, len, -errno, "socketpair: %s", strerror(errno));
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = msg_fail(err, len, -errno, "fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sp[0]);
		c.ipc_fd = sp[1];
		/* nothing but stdio, the listening socket and the parent's end */
		int lo = c.listen_fd < c.ipc_fd ? c.listen_fd : c.ipc_fd, hi = c.listen_fd ^ c.ipc_fd ^ lo;
		close_range(3, (unsigned)lo - 1, 0);
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
		close_range((unsigned)hi + 1, ~0U, 0);
		http_child(&c);
	}
	close(sp[1]);
	sp[1] = -1;
	close(c.listen_fd);
	c.listen_fd = -1;
	/* the child says when it is sandboxed: its root, empty and now its
	 * own, can go (a process's root may be removed; it stays its root) */
	char ready = 0;
	struct pollfd pf = { .fd = sp[0], .events = POLLIN };
	if (poll(&pf, 1, 30000) != 1 || read(sp[0], &ready, 1) != 1 || ready != 'R') {
		r = msg_fail(err, len, -ECHILD, "the HTTP child did not start (see its message above)");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	rmdir(empty);
	made = false;
	fprintf(stderr, "jail6 serve: listening on %s://%s%s%s (HTTP child %d, uid %u)\n", c.tls ? "https" : "http", o->listen,
		o->host_netns ? " in network namespace " : "", o->host_netns ? o->host_netns : "", (int)pid, c.uid);
	r = priv_loop(o, sp[0], pid);
	if (r < 0)
		msg_fail(err, len, r, "the HTTP child ended; stopping");
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	if (c.listen_fd >= 0)
		close(c.listen_fd);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	if (made)
		rmdir(empty);
	if (c.tls_key)
		explicit_bzero(c.tls_key, strlen(c.tls_key));
	free(c.tls_cert);
	free(c.tls_key);
	return r;
}
