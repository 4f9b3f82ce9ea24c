/*
 * Test driver for tests/netns/t_tunnel.sh: send crafted IPv4 protocol-41
 * packets with IP_HDRINCL (so any outer source, spoofed ones included) from
 * the namespace it runs in.
 *
 *   drv_proto41 SRC DST KIND [COUNT]
 *
 * SRC, DST: the outer IPv4 source and destination. KIND is what follows the
 * outer header:
 *   ping6       a valid ICMPv6 echo request 2001:db8:ffff::1 -> ::2 (id 0x6464)
 *   options     the same behind an IPv4 header with options (IHL 6: a NOP
 *               and three EOL bytes), to prove the IHL is read, not assumed
 *   ihl15       the same behind the longest IPv4 header (IHL 15: NOPs, EOL)
 *   rr          the same behind a Record Route option with three empty slots
 *               (IHL 9), which the receiving kernel fills in without
 *               updating the header checksum (ip_options_compile)
 *   ts          the same behind a Timestamp option, timestamps only, with two
 *               empty slots (IHL 8): the same kind of rewrite
 *   udp-partial a UDP datagram ::1 -> ::2 port 9 whose checksum field holds
 *               only the pseudo-header sum, as a kernel sender on the same
 *               host leaves it for offload (CHECKSUM_PARTIAL)
 *   udp-badsum  the same datagram with a wrong checksum (neither)
 *   truncated   the first 20 bytes of the ping6 packet
 *   badlen      an IPv6 header whose payload length exceeds what follows
 *   garbage     100 random bytes (version nibble forced to 0xf)
 *   notv6       an IPv4 header in place of the IPv6 one
 *   empty       nothing at all
 * (An IHL below 5 cannot be tested on the wire: the sending kernel refuses
 * it with EINVAL and a receiving one drops it in ip_rcv; the unit tests
 * cover it.)
 * COUNT (default 1) packets are sent, 1 ms apart. Exit 0 when all were
 * handed to the kernel, 1 on an error (printed), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tunnel/datapath.h"

static void usage(void)
{
	fprintf(stderr, "usage: drv_proto41 SRC DST ping6|options|ihl15|rr|ts|udp-partial|udp-badsum|truncated|badlen|garbage|notv6|empty [COUNT]\n");
	exit(2);
}

/* An inner IPv6 packet 2001:db8:ffff::1 -> ::2: header (next header nh),
 * then 8 bytes of upper-layer header the caller fills and 16 of payload.
 * Returns its length. */
static size_t inner6(uint8_t *p, uint8_t nh)
{
	const size_t plen = 8 + 16;

	memset(p, 0, 40 + plen);
	p[0] = 0x60;
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	inet_pton(AF_INET6, "2001:db8:ffff::1", p + 8);
	inet_pton(AF_INET6, "2001:db8:ffff::2", p + 24);
	memcpy(p + 48, "jail6 drv_proto41", 16);
	return 40 + plen;
}

/* The upper-layer checksum of an inner6 packet into p[field]: correct, or
 * (partial) only the pseudo-header sum, as a kernel sender leaves it for
 * offload (CHECKSUM_PARTIAL), or (bad) neither. */
enum { SUM_OK, SUM_PARTIAL, SUM_BAD };
static void seal6(uint8_t *p, size_t len, size_t field, int how)
{
	uint32_t ps = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - 40), p[6]);
	uint16_t c = dp_csum_fold(dp_csum_add(ps, p + 40, len - 40));

	if (how == SUM_PARTIAL)
		c = (uint16_t)ps;
	else if (how == SUM_BAD)
		c = (uint16_t)(c ^ 0x0101) == (uint16_t)ps ? (uint16_t)(c ^ 0x0202) : (uint16_t)(c ^ 0x0101);
	p[field] = (uint8_t)(c >> 8);
	p[field + 1] = (uint8_t)c;
}

/* The inner ICMPv6 echo request; returns its length. */
static size_t echo6(uint8_t *p, uint16_t seq)
{
	size_t n = inner6(p, 58);

	p[40] = 128;
	p[44] = 0x64;
	p[45] = 0x64;
	p[46] = (uint8_t)(seq >> 8);
	p[47] = (uint8_t)seq;
	seal6(p, n, 42, SUM_OK);
	return n;
}

/* An inner UDP datagram from port 40000 to 9 (no listener: b's stack counts
 * it in Udp6NoPorts once its checksum passed, else in Udp6InCsumErrors). */
static size_t udp6(uint8_t *p, int how)
{
	size_t n = inner6(p, 17);

	p[40] = 0x9c;
	p[41] = 0x40;
	p[43] = 9;
	p[45] = (uint8_t)(n - 40);
	seal6(p, n, 46, how);
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct in_addr src;
	uint8_t pkt[256];
	long count = 1;
	int fd, on = 1;

	if (argc < 4 || argc > 5)
		usage();
	if (inet_pton(AF_INET, argv[1], &src) != 1 || inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1)
		usage();
	if (argc == 5 && ((count = strtol(argv[4], NULL, 10)) < 1 || count > 100000))
		usage();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on)) < 0) {
		fprintf(stderr, "drv_proto41: raw socket: %s\n", strerror(errno));
		return 1;
	}
	srand((unsigned)getpid());
	for (long i = 0; i < count; i++) {
		const char *k = argv[3];
		size_t ihl = 5, n;
		uint8_t *in;

		if (!strcmp(k, "options"))
			ihl = 6;
		else if (!strcmp(k, "ihl15"))
			ihl = 15;
		else if (!strcmp(k, "rr"))
			ihl = 9;
		else if (!strcmp(k, "ts"))
			ihl = 8;
		in = pkt + ihl * 4;
		if (!strcmp(k, "ping6") || !strcmp(k, "options") || !strcmp(k, "ihl15") ||
		    !strcmp(k, "rr") || !strcmp(k, "ts")) {
			n = echo6(in, (uint16_t)i);
		} else if (!strcmp(k, "udp-partial")) {
			n = udp6(in, SUM_PARTIAL);
		} else if (!strcmp(k, "udp-badsum")) {
			n = udp6(in, SUM_BAD);
		} else if (!strcmp(k, "truncated")) {
			echo6(in, (uint16_t)i);
			n = 20;
		} else if (!strcmp(k, "badlen")) {
			n = echo6(in, (uint16_t)i);
			in[4] = 0x01;  /* 256 + 24 bytes of payload claimed */
		} else if (!strcmp(k, "garbage")) {
			n = 100;
			for (size_t j = 0; j < n; j++)
				in[j] = (uint8_t)rand();
			in[0] |= 0xf0;
		} else if (!strcmp(k, "notv6")) {
			n = 40;
			memset(in, 0, n);
			in[0] = 0x45;
			in[3] = 40;
			in[8] = 64;
			in[9] = 17;
		} else if (!strcmp(k, "empty")) {
			n = 0;
		} else {
			usage();
		}
		memset(pkt, 0, ihl * 4);
		pkt[0] = (uint8_t)(0x40 | ihl);
		pkt[8] = 64;
		pkt[9] = DP_PROTO_IPV6;
		memcpy(pkt + 12, &src, 4);
		memcpy(pkt + 16, &dst.sin_addr, 4);
		/* options: NOPs, then EOL (zero) up to the header's end */
		for (size_t j = 20; j < ihl * 4 - 3; j++)
			pkt[j] = 1;
		if (!strcmp(k, "rr")) {
			/* RFC 791: type 7, length 3 + 3 * 4, pointer at the
			 * first slot; the slots and one EOL after them zero */
			memset(pkt + 20, 0, 16);
			pkt[20] = 7;
			pkt[21] = 15;
			pkt[22] = 4;
		} else if (!strcmp(k, "ts")) {
			/* type 68, length 4 + 2 * 4, pointer 5, flag 0
			 * (timestamps only), the slots zero */
			memset(pkt + 20, 0, 12);
			pkt[20] = 68;
			pkt[21] = 12;
			pkt[22] = 5;
		}
		/* the kernel fills in total length, id and checksum (IHL >= 5) */
		if (sendto(fd, pkt, ihl * 4 + n, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			fprintf(stderr, "drv_proto41: send %s: %s\n", k, strerror(errno));
			return 1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	close(fd);
	return 0;
}
