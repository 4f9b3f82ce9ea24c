/*
 * The keepalive: an ICMPv6 echo request to the peer (the remote's tunnel
 * address) every o->keepalive seconds, sent as any host traffic is (a raw
 * ICMPv6 socket of the host namespace, bound to the tunnel's device), so
 * that a broker that deletes idle tunnels sees traffic; the echo replies
 * that come back are counted. Driven by the stats tick, once a second: no
 * descriptor of its own in the poll loop (replies wait in the socket).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tunnel/dp_int.h"

/* The socket: echo replies only, on the tunnel's device only. Opened
 * before the datapath drops its privileges (a raw socket needs
 * CAP_NET_RAW). */
int dp_keepalive_open(struct dp_ctx *x)
{
	struct icmp6_filter f;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6), r;

	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, x->o->name, (socklen_t)strlen(x->o->name)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	x->ka_fd = fd;
	x->ka_id = (uint16_t)getpid();
	return 0;
}

/* Count the echo replies from the peer to our requests. */
static void ka_read(struct dp_ctx *x)
{
	uint8_t buf[256];
	struct sockaddr_in6 src;

	for (;;) {
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(x->ka_fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
		struct icmp6_hdr h;

		if (n < 0)
			return;
		if ((size_t)n < sizeof(h) || memcmp(&src.sin6_addr, x->o->peer.bytes, 16))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (h.icmp6_type == ICMP6_ECHO_REPLY && ntohs(h.icmp6_id) == x->ka_id)
			x->ka_replies++;
	}
}

/* One echo request to the peer (the kernel fills in the checksum). */
static void ka_send(struct dp_ctx *x)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	uint8_t pkt[sizeof(struct icmp6_hdr) + 8] = { 0 };
	struct icmp6_hdr h = { .icmp6_type = ICMP6_ECHO_REQUEST };

	h.icmp6_id = htons(x->ka_id);
	h.icmp6_seq = htons(++x->ka_seq);
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + sizeof(h), "jail6 ka", 8);
	memcpy(&dst.sin6_addr, x->o->peer.bytes, 16);
	if (sendto(x->ka_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		dp_errlog(x, ERRLOG_KEEPALIVE, "send the keepalive echo request to the peer", errno);
	else
		x->ka_sent++;
}

void dp_keepalive(struct dp_ctx *x, uint64_t now_ms)
{
	int r;

	if (!x->o->keepalive)
		return;
	if (x->ka_fd < 0 && (r = dp_keepalive_open(x)) < 0) {
		dp_errlog(x, ERRLOG_KEEPALIVE, "open the keepalive's ICMPv6 socket", -r);
		return;
	}
	ka_read(x);
	if (now_ms < x->ka_next_ms)
		return;
	ka_send(x);
	x->ka_next_ms = now_ms + (uint64_t)x->o->keepalive * 1000;
}

void dp_keepalive_close(struct dp_ctx *x)
{
	if (x->ka_fd >= 0)
		close(x->ka_fd);
	x->ka_fd = -1;
}
