/*
 * The datapath's IPv4 side: the raw protocol-41 socket, our source address
 * (local = auto asks the routing table), and the IPv6 source of our Packet
 * Too Big messages.
 *
 * The raw socket is not bound to the local address: bound, the kernel would
 * filter other destinations silently, and the counters must show them. The
 * source of sent packets is set per message (IP_PKTINFO) instead. (Sending
 * with a header of our own, IP_HDRINCL, was measured: no faster, and it
 * refuses packets above the device MTU instead of fragmenting them.)
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include "tunnel/dp_int.h"

#define SOCK_BUF        (4 << 20)
#define RESOLVE_MIN_MS  1000                /* local = auto: at most once a second */
#define PTB_SRC_TTL_MS  5000                /* how long a looked-up PTB source holds */

/* The source address the routing table picks toward the remote. */
static int resolve_local(const uint8_t remote[4], uint8_t out[4])
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	memcpy(&sa.sin_addr, remote, 4);
	/* a connected UDP socket sends nothing: it only asks the FIB */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) < 0)
		r = -errno;
	else
		memcpy(out, &sa.sin_addr, 4);
	close(s);
	return r;
}

/* Use local as the source of every packet sent (IP_PKTINFO). */
void dp_set_local(struct dp_ctx *x, const uint8_t local[4])
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)x->cmsg;
	struct in_pktinfo pi = { 0 };

	memcpy(x->cfg.local, local, 4);
	x->local_known = memcmp(local, "\0\0\0\0", 4) != 0;
	memset(&x->cmsg, 0, sizeof(x->cmsg));
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(&pi.ipi_spec_dst, local, 4);
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

/* local = auto: ask the routing table again (at most once a second); says
 * when the address changed. */
void dp_reresolve(struct dp_ctx *x)
{
	uint8_t a[4];
	char old[INET_ADDRSTRLEN], now[INET_ADDRSTRLEN];
	uint64_t t = dp_now_ms();
	int r;

	if (!x->o->local_auto || (x->resolve_ms && t - x->resolve_ms < RESOLVE_MIN_MS))
		return;
	x->resolve_ms = t;
	/* with a via, only a route through it gives the source (dp_route.c) */
	if (x->o->has_via) {
		dp_route_check(x);
		return;
	}
	r = resolve_local(x->cfg.remote, a);
	if (r < 0) {
		if (x->local_known)
			dp_log(x->o, "local = auto: no route to %s: %s",
			       inet_ntop(AF_INET, x->cfg.remote, old, sizeof(old)), strerror(-r));
		memset(a, 0, 4);
	}
	if (memcmp(a, x->cfg.local, 4) == 0)
		return;
	dp_log(x->o, "local address %s -> %s", inet_ntop(AF_INET, x->cfg.local, old, sizeof(old)),
	       inet_ntop(AF_INET, a, now, sizeof(now)));
	dp_set_local(x, a);
}

/* The raw protocol-41 socket: outer TTL, DF clear (RFC 4213 3.2.1: a static
 * tunnel MTU lets the IPv4 path fragment), big buffers, a bounded send. */
int dp_raw_open(struct dp_ctx *x)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPV6);
	int ttl = x->o->ttl, pmtu = IP_PMTUDISC_DONT, buf = SOCK_BUF, r;
	struct timeval tv = { .tv_usec = 100 * 1000 };

	if (fd < 0) {
		r = -errno;
		dp_log(x->o, "raw IPv4 socket for protocol 41: %s", strerror(errno));
		return r;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		dp_log(x->o, "raw socket options: %s", strerror(errno));
		close(fd);
		return r;
	}
	/* FORCE ignores rmem_max/wmem_max (root); the plain one is the fallback */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	x->raw_fd = fd;
	return 0;
}

/* Whether an IPv6 address may be the source of our ICMPv6 errors beyond
 * the link: not link-local, loopback, multicast or unspecified. */
static bool global6(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_MULTICAST(a) &&
	       !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

/*
 * The source of our Packet Too Big messages (RFC 4443 2.2: an address of
 * ours): --address; else a global address of the TUN device (the tunnel's
 * own, as apply assigns it); else any global address in the namespace; else
 * a link-local one of the TUN device (enough for the host's own traffic).
 * Looked up again every few seconds. False when there is none.
 */
bool dp_ptb_source(struct dp_ctx *x)
{
	struct ifaddrs *ifa = NULL;
	uint64_t t = dp_now_ms();
	int best = 0;

	if (x->o->has_address)
		return true;
	if (x->ptb_src_ms && t - x->ptb_src_ms < PTB_SRC_TTL_MS)
		return x->has_ptb_src;
	x->ptb_src_ms = t;
	x->has_ptb_src = false;
	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct in6_addr *a;
		bool ours;
		int rank;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		ours = i->ifa_name && !strcmp(i->ifa_name, x->o->name);
		rank = global6(a) ? (ours ? 3 : 2) : (ours && IN6_IS_ADDR_LINKLOCAL(a) ? 1 : 0);
		if (rank > best) {
			best = rank;
			memcpy(x->ptb_src, a, 16);
		}
	}
	freeifaddrs(ifa);
	x->has_ptb_src = best > 0;
	return x->has_ptb_src;
}
