/*
 * Test driver for the Linux backend (src/os/linux: observe.c, execute.c and
 * the per-kind files over nl_*.c and ctx.c), used by
 * tests/netns/t_nl_execute.sh. One action (or an observe) per run:
 *
 *   drv_linux [-n HOSTNS] [-r RUNTIME_DIR] [-j NS] COMMAND ARGS...
 *     bridge-create IF          veth-create IF PEER [MAC]
 *     master IF BRIDGE          setns IF JAIL
 *     up IF                     mtu IF N          mac IF MAC
 *     destroy IF
 *     addr-add IF ADDR/N        addr-del IF ADDR/N
 *     route-add DST GW|- [DEV]  route-del DST GW|- [DEV]
 *     sysctl KEY VALUE
 *     tunnel-create IF LOCAL|auto REMOTE TTL MTU [auto|kernel|userspace]
 *     tunnel-change  (same arguments)
 *     jail-create NAME          jail-destroy NAME     jail-exec NAME ARGV...
 *     observe [JAIL...]         one fact per line, see print_state()
 *     wait-gone IF              poll observe until host link IF is gone (5 s)
 *     ping6 ADDR                ICMPv6 echo from the driver's own namespace
 *                               (run it under `ip netns exec`)
 *
 * Several commands separated by "--" run in order on one context (so
 * what the context caches across actions is exercised); the first failure
 * stops. -j NS is the action's namespace (a jail name; default the host). Errors
 * print "drv_linux: MESSAGE" and exit 1. The driver also checks that its own
 * network namespace is the same after the call as before (else exit 98).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "model/state.h"
#include "os/linux/linux.h"
#include "plan/action.h"

static void usage(void)
{
	fprintf(stderr, "usage: drv_linux [-n HOSTNS] [-r RUNTIME_DIR] [-u RUN_DIR] [-j NS] COMMAND ARGS...\n");
	exit(2);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "drv_linux: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void copy(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		die("too long: %s", src);
	strcpy(dst, src);
}

static struct addr parse_addr(const char *s)
{
	struct addr a;

	if (addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL) < 0)
		die("bad address %s", s);
	return a;
}

static int parse_int(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < -1000000 || v > 1000000)
		die("bad number %s", s);
	return (int)v;
}

static const char *ns_or_dash(const char *ns)
{
	return ns[0] ? ns : "-";
}

/* Print every fact, one per line: "link NS NAME kind=.. master=.. up=..
 * mtu=.. mac=.." (+ " local=.. remote=.. ttl=.." for tunnels), "addr NS IF
 * ADDR/N", "route NS DST via GW|- dev DEV|-", "sysctl NS KEY VALUE",
 * "jail NAME"; NS "-" is the host. */
static void print_state(const struct state *s)
{
	static const char *const kinds[] = { "other", "bridge", "veth", "sit", "tun" };
	char a[ADDR_STRLEN], b[ADDR_STRLEN], mac[18];

	for (size_t i = 0; i < s->n_links; i++) {
		const struct state_link *l = &s->links[i];

		printf("link %s %s kind=%s master=%s up=%d mtu=%d mac=%s", ns_or_dash(l->ns), l->name,
		       kinds[l->kind], l->master[0] ? l->master : "-", l->up, l->mtu,
		       l->has_mac ? mac_format(l->mac, mac, sizeof(mac)) : "-");
		if (l->kind == STATE_LINK_SIT)
			printf(" local=%s remote=%s ttl=%d",
			       l->local.family ? addr_format(&l->local, a, sizeof(a)) : "-",
			       l->remote.family ? addr_format(&l->remote, b, sizeof(b)) : "-", l->ttl);
		putchar('\n');
	}
	for (size_t i = 0; i < s->n_addrs; i++)
		printf("addr %s %s %s\n", ns_or_dash(s->addrs[i].ns), s->addrs[i].ifname,
		       addr_format(&s->addrs[i].addr, a, sizeof(a)));
	for (size_t i = 0; i < s->n_routes; i++) {
		const struct state_route *r = &s->routes[i];

		printf("route %s %s via %s dev %s\n", ns_or_dash(r->ns), addr_format(&r->dst, a, sizeof(a)),
		       r->gw.family ? addr_format_host(&r->gw, b, sizeof(b)) : "-",
		       r->dev[0] ? r->dev : "-");
	}
	for (size_t i = 0; i < s->n_sysctls; i++)
		printf("sysctl %s %s %s\n", ns_or_dash(s->sysctls[i].ns), s->sysctls[i].key,
		       s->sysctls[i].value);
	for (size_t i = 0; i < s->n_jails; i++)
		printf("jail %s\n", s->jails[i].name);
}

/* Send ICMPv6 echo requests to dst until one is answered (up to 5 s). */
static int ping6(const char *dst)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 }, from;
	struct icmp6_filter filt;
	uint16_t id = (uint16_t)getpid();
	int fd;

	if (inet_pton(AF_INET6, dst, &to.sin6_addr) != 1)
		die("bad IPv6 address %s", dst);
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		die("raw ICMPv6 socket: %s", strerror(errno));
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
	setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
	for (uint16_t seq = 1; seq <= 10; seq++) {
		struct icmp6_hdr req = { .icmp6_type = ICMP6_ECHO_REQUEST };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec end, now;

		req.icmp6_id = htons(id);
		req.icmp6_seq = htons(seq);
		if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			fprintf(stderr, "drv_linux: ping6 %s: %s\n", dst, strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_nsec += 500000000L;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
		for (;;) {
			struct icmp6_hdr rep;
			socklen_t fl = sizeof(from);
			long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
			if (ms <= 0 || poll(&p, 1, (int)ms) <= 0)
				break;
			if (recvfrom(fd, &rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl) < (ssize_t)sizeof(rep))
				continue;
			if (rep.icmp6_type == ICMP6_ECHO_REPLY && rep.icmp6_id == htons(id) &&
			    rep.icmp6_seq == htons(seq) &&
			    memcmp(&from.sin6_addr, &to.sin6_addr, sizeof(to.sin6_addr)) == 0) {
				printf("reply from %s seq %u\n", dst, seq);
				close(fd);
				return 0;
			}
		}
	}
	close(fd);
	fprintf(stderr, "drv_linux: ping6 %s: no reply\n", dst);
	return 1;
}

/* Fill a tunnel action from IF LOCAL|auto REMOTE TTL MTU [DATAPATH]. */
static void tunnel_args(struct action *a, int argc, char **argv)
{
	if (argc < 5)
		usage();
	copy(a->ifname, sizeof(a->ifname), argv[0]);
	if (strcmp(argv[1], "auto") == 0)
		a->local_auto = true;
	else
		a->addr = parse_addr(argv[1]);
	a->gw = parse_addr(argv[2]);
	a->ttl = parse_int(argv[3]);
	a->mtu = parse_int(argv[4]);
	a->datapath = MODEL_DATAPATH_KERNEL;
	if (argc > 5 && strcmp(argv[5], "userspace") == 0)
		a->datapath = MODEL_DATAPATH_USERSPACE;
	else if (argc > 5 && strcmp(argv[5], "auto") == 0)
		a->datapath = MODEL_DATAPATH_AUTO;
}

/* Build the action of COMMAND ARGS; exits on bad usage. */
static void build_action(struct action *a, struct model_argv *xargv, const char *cmd,
			 int argc, char **argv)
{
	static const struct {
		const char *name;
		enum action_kind kind;
		int min_args;
	} cmds[] = {
		{ "bridge-create", ACTION_BRIDGE_CREATE, 1 }, { "veth-create", ACTION_VETH_CREATE, 2 },
		{ "master", ACTION_LINK_SET_MASTER, 2 },      { "setns", ACTION_LINK_SET_NS, 2 },
		{ "up", ACTION_LINK_UP, 1 },                  { "mtu", ACTION_LINK_SET_MTU, 2 },
		{ "mac", ACTION_LINK_SET_MAC, 2 },            { "destroy", ACTION_LINK_DESTROY, 1 },
		{ "addr-add", ACTION_ADDR_ADD, 2 },           { "addr-del", ACTION_ADDR_DEL, 2 },
		{ "route-add", ACTION_ROUTE_ADD, 2 },         { "route-del", ACTION_ROUTE_DEL, 2 },
		{ "sysctl", ACTION_SYSCTL_SET, 2 },           { "tunnel-create", ACTION_TUNNEL_CREATE, 5 },
		{ "tunnel-change", ACTION_TUNNEL_CHANGE, 5 }, { "jail-create", ACTION_JAIL_CREATE, 1 },
		{ "jail-destroy", ACTION_JAIL_DESTROY, 1 },   { "jail-exec", ACTION_JAIL_EXEC, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]) || argc < cmds[i].min_args)
		usage();
	a->kind = cmds[i].kind;
	switch (a->kind) {
	case ACTION_SYSCTL_SET:
		copy(a->key, sizeof(a->key), argv[0]);
		copy(a->value, sizeof(a->value), argv[1]);
		return;
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		tunnel_args(a, argc, argv);
		return;
	case ACTION_JAIL_CREATE:
	case ACTION_JAIL_DESTROY:
	case ACTION_JAIL_EXEC:
		copy(a->target, sizeof(a->target), argv[0]);
		xargv->argv = argv + 1;
		xargv->argc = (size_t)argc - 1;
		a->argv = xargv;
		return;
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		a->addr = parse_addr(argv[0]);
		if (strcmp(argv[1], "-") != 0)
			a->gw = parse_addr(argv[1]);
		if (argc > 2)
			copy(a->ifname, sizeof(a->ifname), argv[2]);
		return;
	default:
		break;
	}
	copy(a->ifname, sizeof(a->ifname), argv[0]);
	switch (a->kind) {
	case ACTION_VETH_CREATE:
		copy(a->peer, sizeof(a->peer), argv[1]);
		if (argc > 2) {
			if (mac_parse(argv[2], a->mac) < 0)
				die("bad mac %s", argv[2]);
			a->has_mac = true;
		}
		break;
	case ACTION_LINK_SET_MASTER:
		copy(a->peer, sizeof(a->peer), argv[1]);
		break;
	case ACTION_LINK_SET_NS:
		copy(a->target, sizeof(a->target), argv[1]);
		break;
	case ACTION_LINK_SET_MTU:
		a->mtu = parse_int(argv[1]);
		break;
	case ACTION_LINK_SET_MAC:
		if (mac_parse(argv[1], a->mac) < 0)
			die("bad mac %s", argv[1]);
		a->has_mac = true;
		break;
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
		a->addr = parse_addr(argv[1]);
		break;
	default:
		break;
	}
}

static void own_netns(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

/* Poll until the host no longer has link name; 0, or 1 after 5 s. */
static int wait_gone(struct linux_ctx *c, const char *name)
{
	for (int i = 0; i < 100; i++) {
		struct state st = { 0 };
		int rc = linux_observe(c, NULL, 0, &st);
		bool there = rc == 0 && state_find_link(&st, "", name) != NULL;

		state_free(&st);
		if (rc < 0)
			die("observe: %s", strerror(-rc));
		if (!there)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "drv_linux: %s: still there after 5 s\n", name);
	return 1;
}

/* Run one command (argv[0]) on c; 0, or 1 with a message on stderr. */
static int run(struct linux_ctx *c, const char *ns, int argc, char **argv)
{
	struct action a = { 0 };
	struct model_argv xargv = { 0 };
	struct state st = { 0 };
	char err[512];
	int rc;

	if (strcmp(argv[0], "wait-gone") == 0) {
		if (argc < 2)
			usage();
		return wait_gone(c, argv[1]);
	}
	if (strcmp(argv[0], "observe") == 0) {
		rc = linux_observe(c, (const char *const *)argv + 1, (size_t)argc - 1, &st);
		if (rc < 0) {
			state_free(&st);
			fprintf(stderr, "drv_linux: observe: %s\n", strerror(-rc));
			return 1;
		}
		print_state(&st);
		fflush(stdout);
		state_free(&st);
		return 0;
	}
	copy(a.ns, sizeof(a.ns), ns);
	build_action(&a, &xargv, argv[0], argc - 1, argv + 1);
	rc = linux_execute(c, &a, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "drv_linux: %s\n", err[0] ? err : "(no message)");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *rundir = NULL, *rundir_own = NULL, *ns = "";
	char before[64], after[64];
	struct linux_ctx *c = NULL;
	int opt, rc, status = 0;

	while ((opt = getopt(argc, argv, "+n:r:u:j:")) != -1) {
		switch (opt) {
		case 'n': host = optarg; break;
		case 'r': rundir = optarg; break;
		case 'u': rundir_own = optarg; break;
		case 'j': ns = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	if (strcmp(argv[optind], "ping6") == 0) {
		if (optind + 1 >= argc)
			usage();
		return ping6(argv[optind + 1]);
	}
	own_netns(before, sizeof(before));
	rc = linux_open(host, rundir, rundir_own, &c);
	if (rc < 0)
		die("open: %s", strerror(-rc));
	/* Commands separated by "--": each segment is argv[start..end). */
	for (int start = optind, end; start < argc && status == 0; start = end + 1) {
		for (end = start; end < argc && strcmp(argv[end], "--") != 0; end++)
			;
		if (end == start)
			usage();
		argv[end < argc ? end : argc] = NULL;
		status = run(c, ns, end - start, argv + start);
	}
	linux_close(c);
	own_netns(after, sizeof(after));
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "drv_linux: own network namespace changed: %s -> %s\n", before, after);
		return 98;
	}
	return status;
}
