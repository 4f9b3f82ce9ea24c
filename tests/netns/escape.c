/*
 * escape: tries one way out of a jail (tests/netns/t_confine.sh runs it
 * inside confined jails). Built static: it runs in a busybox root.
 *   escape handle        open_by_handle_at with a forged handle of "/"
 *   escape tiocsti       push a byte into the terminal on stdin
 *   escape raw           an IPv6 raw socket
 *   escape mknod         a block device node (8:0) in /tmp
 *   escape mount FSTYPE  mount FSTYPE (tmpfs, proc, sysfs, cgroup) on /tmp
 *   escape corepattern   open /proc/sys/kernel/core_pattern for writing
 *   escape fd N          whether descriptor N is open
 *   escape ctty          open /dev/tty: a controlling terminal
 *   escape ping6 ADDR    one echo request to ADDR over an ICMPv6 datagram
 *                        socket (ping_group_range), no raw socket: exit 0
 *                        on the reply, 1 without one (not an escape mode)
 * Exit 0: the attempt failed (the jail held), with the error on stdout;
 * 1: it succeeded (an escape); 2: usage.
 * Run as "tinit" (a link to it), it is a jail's own init (jail6.conf's
 * init key): it reaps children and exits 0 on SIGTERM, SIGPWR, SIGINT or
 * SIGRTMIN+3 (liblxc's shutdown sends that one to an init that blocks it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

static int held(const char *what, int r)
{
	if (r < 0) {
		printf("%s: refused: %s\n", what, strerror(errno));
		return 0;
	}
	printf("%s: SUCCEEDED\n", what);
	return 1;
}

/* a PID 1 of the jail's own: signals blocked and taken with sigwait (PID 1
 * gets none it has no handler for) */
static int tinit(void)
{
	sigset_t all;
	int sig;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		if (sigwait(&all, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGPWR || sig == SIGINT || sig == SIGRTMIN + 3)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static int ping6(const char *addr)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	struct icmp6_hdr req = { .icmp6_type = ICMP6_ECHO_REQUEST }, rep;
	int fd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);

	if (fd < 0) {
		printf("ICMPv6 datagram socket: %s\n", strerror(errno));
		return 1;
	}
	if (inet_pton(AF_INET6, addr, &to.sin6_addr) != 1)
		return 2;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		printf("send: %s\n", strerror(errno));
		return 1;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, 3000) == 1) {
		if (recv(fd, &rep, sizeof(rep), 0) >= (ssize_t)sizeof(rep) && rep.icmp6_type == ICMP6_ECHO_REPLY) {
			printf("reply from %s\n", addr);
			return 0;
		}
	}
	printf("no reply from %s\n", addr);
	return 1;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;

	if (argc > 0 && !strcmp(base ? base + 1 : argv[0], "tinit"))
		return tinit();
	if (argc < 2)
		return 2;
	const char *op = argv[1];
	if (!strcmp(op, "handle")) {
		/* ext4's handle of inode 2 (the root), generation 0 */
		struct { struct file_handle fh; unsigned char b[8]; } h;
		memset(&h, 0, sizeof(h));
		h.fh.handle_bytes = 8;
		h.fh.handle_type = 1;
		unsigned int ino = 2;
		memcpy(h.fh.f_handle, &ino, sizeof(ino));
		return held("open_by_handle_at", open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY | O_DIRECTORY));
	}
	if (!strcmp(op, "tiocsti")) {
		char c = '#';
		return held("TIOCSTI", ioctl(0, TIOCSTI, &c));
	}
	if (!strcmp(op, "raw"))
		return held("raw socket", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	if (!strcmp(op, "mknod")) {
		int r = mknod("/tmp/.escape-blk", S_IFBLK | 0600, makedev(8, 0));
		if (r == 0)
			unlink("/tmp/.escape-blk");
		return held("mknod block device", r);
	}
	if (!strcmp(op, "mount") && argc > 2) {
		const char *src = strcmp(argv[2], "cgroup") ? argv[2] : "cgroup";
		const char *data = strcmp(argv[2], "cgroup") ? NULL : "pids";
		int r = mount(src, "/tmp", argv[2], 0, data);
		if (r == 0)
			umount2("/tmp", MNT_DETACH);
		return held(argv[2], r);
	}
	if (!strcmp(op, "corepattern"))
		return held("core_pattern for writing", open("/proc/sys/kernel/core_pattern", O_WRONLY));
	if (!strcmp(op, "ctty"))
		return held("controlling terminal", open("/dev/tty", O_RDWR));
	if (!strcmp(op, "ping6") && argc > 2)
		return ping6(argv[2]);
	if (!strcmp(op, "fd") && argc > 2)
		return held("descriptor", fcntl(atoi(argv[2]), F_GETFD));
	return 2;
}
