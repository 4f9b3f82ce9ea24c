/*
 * Test driver for the QEMU guest (tests/qemu/init.sh): moves a file over
 * TCP or UDP on IPv6, so that the guest can compare checksums of what was
 * sent and what arrived across a tunnel (busybox's nc has no UDP).
 *
 *   xfer recv tcp|udp PORT FILE         listen on [::]:PORT, write FILE
 *   xfer send tcp|udp ADDR PORT FILE    send FILE to [ADDR]:PORT
 *
 * TCP: one connection, the file, then EOF; the sender retries connecting
 * until the deadline. UDP: datagrams of a 4-byte sequence number, a type
 * byte (data or end) and up to CHUNK bytes, sent in a window of WINDOW and
 * acknowledged cumulatively (go-back-N after RTO_MS of silence), so the
 * file arrives whole and in order or the transfer fails; the receiver
 * answers a repeated end for LINGER_MS after it.
 * Each run ends by DEADLINE_S (alarm): exit 0 when the transfer completed,
 * 1 on an error or at the deadline (printed), 2 on usage. Static, as it runs
 * in a busybox initramfs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S 20
#define CHUNK      1200
#define WINDOW     32
#define RTO_MS     200
#define LINGER_MS  1000
#define T_DATA     0
#define T_END      1

static void die(const char *what)
{
	fprintf(stderr, "xfer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_alarm(int sig)
{
	static const char m[] = "xfer: deadline reached, transfer incomplete\n";

	(void)sig;
	(void)!write(2, m, sizeof(m) - 1);
	_exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: xfer recv tcp|udp PORT FILE | xfer send tcp|udp ADDR PORT FILE\n");
	exit(2);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		b += w;
		n -= (size_t)w;
	}
}

/* The whole file in memory (a few MiB). */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	b = malloc((size_t)st.st_size + 1);
	if (!b)
		die("malloc");
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r <= 0)
			die(path);
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return b;
}

static int sock6(int type, struct sockaddr_in6 *sa, const char *addr, const char *port)
{
	long p = strtol(port, NULL, 10);
	int fd;

	if (p < 1 || p > 65535)
		usage();
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)p);
	if (addr && inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1)
		usage();
	fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static int recv_tcp(int ls, int out)
{
	uint8_t b[65536];
	int one = 1, c;
	ssize_t r;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listen(ls, 1) < 0)
		die("listen");
	c = accept(ls, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((r = read(c, b, sizeof(b))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		write_all(out, b, (size_t)r);
	}
	return 0;
}

static int send_tcp(const struct sockaddr_in6 *sa, const uint8_t *data, size_t len)
{
	int s;

	/* the listener may not be up yet: try again until the deadline */
	for (;;) {
		s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			die("socket");
		if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			break;
		if (errno != ECONNREFUSED && errno != EINTR && errno != ETIMEDOUT)
			die("connect");
		close(s);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	write_all(s, data, len);
	if (shutdown(s, SHUT_WR) < 0)
		die("shutdown");
	/* wait for the receiver's close: everything was read */
	while (read(s, (uint8_t[1]){ 0 }, 1) > 0)
		;
	close(s);
	return 0;
}

static int recv_udp(int s, int out)
{
	uint8_t b[5 + CHUNK], ack[4];
	uint32_t expect = 0;
	int done = 0;

	for (;;) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t r;

		if (done && poll(&pfd, 1, LINGER_MS) == 0)
			return 0;
		r = recvfrom(s, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		if (r < 5)
			continue;
		if (get32(b) == expect && b[4] == T_DATA) {
			write_all(out, b + 5, (size_t)r - 5);
			expect++;
		} else if (get32(b) == expect && b[4] == T_END) {
			expect++;
			done = 1;
		}
		put32(ack, expect);
		sendto(s, ack, sizeof(ack), 0, (struct sockaddr *)&from, fl);
	}
}

static int send_udp(int s, const struct sockaddr_in6 *sa, const uint8_t *data, size_t len)
{
	/* datagrams 0 .. n-1 carry data, n says the end */
	uint32_t n = (uint32_t)((len + CHUNK - 1) / CHUNK), base = 0, next = 0;
	uint8_t b[5 + CHUNK];

	if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect");
	while (base <= n) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		uint8_t ack[4];
		int pr;

		while (next <= n && next < base + WINDOW) {
			size_t off = (size_t)next * CHUNK, k = next < n ? (len - off < CHUNK ? len - off : CHUNK) : 0;

			put32(b, next);
			b[4] = next < n ? T_DATA : T_END;
			memcpy(b + 5, data + off, k);
			/* ECONNREFUSED: the receiver is not up yet; resent */
			if (send(s, b, 5 + k, 0) < 0 && errno != ECONNREFUSED && errno != ENOBUFS)
				die("send");
			next++;
		}
		pr = poll(&pfd, 1, RTO_MS);
		if (pr < 0 && errno != EINTR)
			die("poll");
		if (pr <= 0) {
			next = base;  /* go back N */
			continue;
		}
		if (recv(s, ack, sizeof(ack), 0) == (ssize_t)sizeof(ack) && get32(ack) > base)
			base = get32(ack);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	int tcp, s, out, r;

	if (argc < 5)
		usage();
	if (!strcmp(argv[2], "tcp"))
		tcp = 1;
	else if (!strcmp(argv[2], "udp"))
		tcp = 0;
	else
		usage();
	signal(SIGALRM, on_alarm);
	alarm(DEADLINE_S);
	if (!strcmp(argv[1], "recv") && argc == 5) {
		s = sock6(tcp ? SOCK_STREAM : SOCK_DGRAM, &sa, NULL, argv[3]);
		sa.sin6_addr = in6addr_any;
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("bind");
		out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0)
			die(argv[4]);
		r = tcp ? recv_tcp(s, out) : recv_udp(s, out);
		if (close(out) < 0)
			die(argv[4]);
		return r;
	}
	if (!strcmp(argv[1], "send") && argc == 6) {
		size_t len;
		uint8_t *data = slurp(argv[5], &len);

		s = sock6(tcp ? SOCK_STREAM : SOCK_DGRAM, &sa, argv[3], argv[4]);
		if (tcp) {
			close(s);
			return send_tcp(&sa, data, len);
		}
		return send_udp(s, &sa, data, len);
	}
	usage();
}
