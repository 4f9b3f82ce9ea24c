/*
 * Test driver for the kernel side of the rtnetlink plumbing: the socket
 * exchange (src/os/linux/nl_sock.c) and the context and execute's checks
 * (ctx.c, execute.c). These cases open netlink sockets, so they are not
 * unit tests: tests/netns/t_nl_execute.sh runs this driver with -n and its
 * throwaway namespace, which the driver enters before anything else; it
 * refuses a namespace that is the one it started in (the machine's).
 *
 *   drv_nl -n NETNS sock-readonly     a link dump sees lo; a GET by name
 *                                     acks; an absent name is -ENODEV, a
 *                                     bad one -EINVAL; the socket is
 *                                     reusable after an error
 *   drv_nl -n NETNS execute-refusals  linux_execute refuses bad input with
 *                                     a message naming the object, before
 *                                     it sends anything
 *
 * NETNS is a name under /run/netns (`ip netns add`). Silent with exit 0 when
 * every check holds; else "drv_nl: LINE: CHECK" (and what was seen) on
 * stderr and exit 1. Exit 2: bad usage, or NETNS missing or the driver's
 * own; 98: the case left NETNS.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "os/linux/linux.h"
#include "os/linux/netns.h"
#include "os/linux/nl.h"
#include "plan/action.h"

/* Stop at the first check that fails: its line, its text, what was seen. */
__attribute__((noreturn))
static void fail_at(int line, const char *what, const char *seen)
{
	fprintf(stderr, "drv_nl: %d: %s%s%s\n", line, what, seen[0] ? ": " : "", seen);
	exit(1);
}

static void check_int(int line, const char *what, long got, long want)
{
	char seen[64];

	if (got == want)
		return;
	snprintf(seen, sizeof(seen), "got %ld, want %ld", got, want);
	fail_at(line, what, seen);
}

static void check_str(int line, const char *what, const char *got, const char *want)
{
	char seen[600];

	if (strcmp(got, want) == 0)
		return;
	snprintf(seen, sizeof(seen), "got \"%s\", want \"%s\"", got, want);
	fail_at(line, what, seen);
}

#define CHECK(e) ((e) ? (void)0 : fail_at(__LINE__, #e, ""))
#define CHECK_INT(got, want) check_int(__LINE__, #got, (long)(got), (long)(want))
#define CHECK_STR(got, want) check_str(__LINE__, #got, (got), (want))

static struct addr P(const char *s)
{
	struct addr a;

	CHECK(addr_parse(s, ADDR_PREFIX_OPTIONAL, &a, NULL) == 0);
	return a;
}

/* nl_talk callback: count links and remember whether "lo" was seen. */
static int count_lo_cb(const struct nlmsghdr *nlh, void *data)
{
	int *n = data;
	struct nl_link l;

	CHECK_INT(nl_parse_link(nlh, &l), 0);
	if (strcmp(l.name, "lo") == 0)
		n[1] = l.index;
	n[0]++;
	return 0;
}

/* Read-only: a link dump of this namespace sees lo; a GET by name acks; an
 * absent name is -ENODEV; the socket is reusable after an error. */
static void sock_readonly(void)
{
	char buf[NL_REQ_SIZE];
	struct nl_sock *s = NULL;
	int n[2] = { 0, 0 }, index = -1;

	CHECK_INT(nl_sock_open(&s), 0);
	CHECK_INT(nl_talk(s, nl_req_dump(buf, RTM_GETLINK, AF_UNSPEC), count_lo_cb, n), 0);
	CHECK(n[0] >= 1);
	CHECK(n[1] > 0);
	CHECK_INT(nl_link_index(s, "nosuch-j6", &index), -ENODEV);
	CHECK_INT(nl_link_index(s, "lo", &index), 0);
	CHECK_INT(index, n[1]);
	CHECK_INT(nl_link_index(s, "bad/name", &index), -EINVAL);
	nl_sock_close(s);
	nl_sock_close(NULL);
}

/* Execute refuses bad input with a message naming the object, before it
 * sends anything. */
static void execute_refusals(void)
{
	struct linux_ctx *c = NULL;
	struct action a = { 0 };
	char err[256];

	CHECK_INT(linux_open("bad/name", NULL, NULL, &c), -EINVAL);
	CHECK_INT(linux_open(NULL, "relative/dir", NULL, &c), -EINVAL);
	CHECK_INT(linux_open(NULL, "/nonexistent-j6-rundir", NULL, &c), 0);

	a.kind = ACTION_BRIDGE_CREATE;
	strcpy(a.ifname, "br/0");
	CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "invalid interface name \"br/0\"");

	memset(&a, 0, sizeof(a));
	a.kind = ACTION_TUNNEL_CREATE;
	strcpy(a.ifname, "he-ipv6");
	a.gw = P("72.52.104.74");
	a.local_auto = true;
	/* only actions refused before any side effect */
	a.gw = P("2001:db8::1");
	for (int d = MODEL_DATAPATH_AUTO; d <= MODEL_DATAPATH_USERSPACE; d++) {
		a.datapath = (enum model_datapath)d;
		CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, "he-ipv6: 6in4 endpoints must be IPv4 addresses");
	}

	memset(&a, 0, sizeof(a));
	a.kind = ACTION_SYSCTL_SET;
	strcpy(a.key, "ipv6.forwarding");
	strcpy(a.value, "1\nx");
	CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sysctl ipv6.forwarding: invalid value \"1\nx\"");
	strcpy(a.key, "kernel.core_pattern");
	strcpy(a.value, "1");
	CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sysctl kernel.core_pattern: unknown key");

	/* A jail that does not exist under the runtime dir. */
	memset(&a, 0, sizeof(a));
	a.kind = ACTION_LINK_UP;
	strcpy(a.ns, "web");
	strcpy(a.ifname, "eth0");
	CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "web: no such jail");

	memset(&a, 0, sizeof(a));
	a.kind = ACTION_LINK_SET_NS;
	strcpy(a.ifname, "epair1b");
	strcpy(a.target, "ClamAV_Dev");
	CHECK_INT(linux_execute(c, &a, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "epair1b: move to jail ClamAV_Dev: no such jail");

	/* A tiny buffer truncates, never overflows. */
	memset(&a, 0, sizeof(a));
	a.kind = ACTION_LINK_SET_MTU;
	strcpy(a.ifname, "bridge0");
	a.mtu = 10;
	CHECK_INT(linux_execute(c, &a, err, 8), -EINVAL);
	CHECK_STR(err, "bridge0");
	CHECK_INT(linux_execute(c, &a, NULL, 0), -EINVAL);
	linux_close(c);
	linux_close(NULL);
}

/* Move this thread into the network namespace bound at NETNS_RUNTIME_DIR/
 * name, refusing the one it is in: the cases must never open a socket in
 * the namespace the driver was started from. Exits 2 on any doubt. */
static void enter_netns(const char *name)
{
	struct stat here, there;
	int fd = netns_open(NETNS_RUNTIME_DIR, name);

	if (fd < 0) {
		fprintf(stderr, "drv_nl: %s/%s: %s\n", NETNS_RUNTIME_DIR, name, strerror(-fd));
		exit(2);
	}
	if (stat("/proc/thread-self/ns/net", &here) < 0 || fstat(fd, &there) < 0 ||
	    (here.st_dev == there.st_dev && here.st_ino == there.st_ino)) {
		fprintf(stderr, "drv_nl: %s is (or may be) the driver's own network namespace: "
				"refusing to open netlink sockets there\n", name);
		exit(2);
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "drv_nl: enter %s: %s\n", name, strerror(errno));
		exit(2);
	}
	close(fd);
}

/* The link /proc/thread-self/ns/net, naming this thread's network namespace. */
static void own_netns(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} cases[] = {
		{ "sock-readonly", sock_readonly },
		{ "execute-refusals", execute_refusals },
	};
	char before[64], after[64];
	size_t i;

	for (i = 0; argc == 4 && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].name, argv[3]) == 0)
			break;
	if (argc != 4 || strcmp(argv[1], "-n") != 0 || i == sizeof(cases) / sizeof(cases[0])) {
		fprintf(stderr, "usage: drv_nl -n NETNS sock-readonly|execute-refusals\n");
		return 2;
	}
	enter_netns(argv[2]);
	own_netns(before, sizeof(before));
	cases[i].run();
	own_netns(after, sizeof(after));
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "drv_nl: own network namespace changed: %s -> %s\n", before, after);
		return 98;
	}
	return 0;
}
