/*
 * Test driver for tests/netns/t_tunnel.sh: the eBPF decapsulator's verdict
 * on crafted frames, each run once by the kernel (BPF_PROG_TEST_RUN), with
 * what no sender can put on the wire (a wrong IPv4 header checksum, IHL
 * 4) among them. It loads the programs (src/tunnel/ebpf.bpf.c, through the
 * generated skeleton), configures them as the datapath would (local
 * 192.0.2.1, remote 192.0.2.2, an Ethernet underlay), and checks for each
 * frame the program's return (redirected into the TUN device, dropped, or
 * left to the kernel) and which counter grew. Prints one "ok"/"not ok"
 * line per case; exit 0 when all passed, 1 otherwise, 2 when the programs
 * do not load. Needs root and a kernel that decapsulates in BPF (6.3+).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tunnel/datapath.h"
#include "tunnel/ebpf_shared.h"
#include "tunnel/ebpf.skel.h"

#define ETH 14
#define FRAME_MAX 256

static const uint8_t LOCAL[4] = { 192, 0, 2, 1 }, REMOTE[4] = { 192, 0, 2, 2 }, OTHER[4] = { 192, 0, 2, 9 };

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

/* An Ethernet frame holding IPv4 (IHL 5, protocol 41, REMOTE -> LOCAL)
 * around an IPv6 packet with 8 bytes of payload; checksum set. */
static void frame_6in4(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	f->b[12] = 0x08;
	uint8_t *ip = f->b + ETH, *v6 = ip + DP_IPV4_HLEN;
	ip[0] = 0x45;
	ip[3] = DP_IPV4_HLEN + DP_IPV6_HLEN + 8;
	ip[8] = 64;
	ip[9] = DP_PROTO_IPV6;
	memcpy(ip + 12, REMOTE, 4);
	memcpy(ip + 16, LOCAL, 4);
	v6[0] = 0x60;
	v6[5] = 8;
	v6[6] = 59;
	v6[7] = 64;
	f->len = ETH + DP_IPV4_HLEN + DP_IPV6_HLEN + 8;
}

/* Set the IPv4 header checksum of f (IHL from the header). */
static void frame_csum(struct frame *f)
{
	uint8_t *ip = f->b + ETH;
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	uint16_t s;

	ip[10] = ip[11] = 0;
	s = dp_csum_fold(dp_csum_add(0, ip, hlen));
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
}

/* The sum over the CPUs of counter slot. */
static uint64_t counter(struct j6_ebpf *skel, int ncpu, int slot)
{
	__u64 v[512][J6_CTR_N];
	__u32 k = 0;
	uint64_t sum = 0;

	if (ncpu > 512 || bpf_map__lookup_elem(skel->maps.counters, &k, sizeof(k), v,
					       (size_t)ncpu * sizeof(v[0]), 0) < 0)
		return UINT64_MAX;
	for (int c = 0; c < ncpu; c++)
		sum += v[c][slot];
	return sum;
}

static int failed;

/* Run f through the decapsulator: want the return value ret and the
 * counter slot (-1: none) grown by one. */
static void expect(struct j6_ebpf *skel, int ncpu, const char *name, struct frame *f, int ret, int slot)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->b, .data_size_in = (__u32)f->len, .repeat = 1);
	uint64_t before = slot >= 0 ? counter(skel, ncpu, slot) : 0;
	int r = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.j6_decap), &t);
	uint64_t after = slot >= 0 ? counter(skel, ncpu, slot) : 0;

	if (r == 0 && (int)t.retval == ret && (slot < 0 || after == before + 1)) {
		printf("ok ebpf decapsulator: %s\n", name);
		return;
	}
	failed = 1;
	printf("not ok ebpf decapsulator: %s\n#   test run %d, returned %d (want %d), counter %d: %llu -> %llu\n", name, r,
	       (int)t.retval, ret, slot, (unsigned long long)before, (unsigned long long)after);
}

int main(void)
{
	struct j6_ebpf *skel = j6_ebpf__open_and_load();
	int ncpu = libbpf_num_possible_cpus();
	struct frame f;

	if (!skel || ncpu <= 0) {
		printf("not ok ebpf decapsulator: load the programs: %s\n", strerror(errno));
		return 2;
	}
	memcpy(&skel->bss->cfg.local, LOCAL, 4);
	memcpy(&skel->bss->cfg.remote, REMOTE, 4);
	skel->bss->cfg.l2len = ETH;
	skel->bss->cfg.tun_ifindex = 1;
	skel->bss->cfg.underlay = 1;
	skel->bss->cfg.ready = 1;

	frame_6in4(&f);
	frame_csum(&f);
	expect(skel, ncpu, "a valid packet is redirected into the TUN device", &f, TC_ACT_REDIRECT, J6_CTR_RX_PACKETS);
	f.b[ETH + 11] ^= 0x01;
	expect(skel, ncpu, "a wrong IPv4 header checksum: bad_header", &f, TC_ACT_SHOT,
	       J6_CTR_DROP0 + DP_DROP_BAD_HEADER);
	frame_6in4(&f);
	f.b[ETH] = 0x44;
	frame_csum(&f);
	expect(skel, ncpu, "IHL 4: bad_header", &f, TC_ACT_SHOT, J6_CTR_DROP0 + DP_DROP_BAD_HEADER);
	frame_6in4(&f);
	f.b[ETH + 3] = 16;
	frame_csum(&f);
	expect(skel, ncpu, "total length below the header's: bad_header", &f, TC_ACT_SHOT,
	       J6_CTR_DROP0 + DP_DROP_BAD_HEADER);
	frame_6in4(&f);
	f.b[ETH + 3] = 200;
	frame_csum(&f);
	expect(skel, ncpu, "total length beyond the frame: short", &f, TC_ACT_SHOT, J6_CTR_DROP0 + DP_DROP_SHORT);
	frame_6in4(&f);
	f.b[ETH + 6] = 0x20; /* MF */
	frame_csum(&f);
	expect(skel, ncpu, "a fragment is left to the kernel (reassembly, then the raw socket)", &f, TC_ACT_UNSPEC, -1);
	frame_6in4(&f);
	memcpy(f.b + ETH + 12, OTHER, 4);
	frame_csum(&f);
	expect(skel, ncpu, "another source: wrong_source", &f, TC_ACT_SHOT, J6_CTR_DROP0 + DP_DROP_WRONG_SOURCE);
	frame_6in4(&f);
	memcpy(f.b + ETH + 16, OTHER, 4);
	frame_csum(&f);
	expect(skel, ncpu, "another destination is not ours: left to the kernel", &f, TC_ACT_UNSPEC, -1);
	frame_6in4(&f);
	f.b[ETH + 9] = 4;
	frame_csum(&f);
	expect(skel, ncpu, "another protocol is not ours: left to the kernel", &f, TC_ACT_UNSPEC, -1);
	frame_6in4(&f);
	f.b[ETH + DP_IPV4_HLEN] = 0x45;
	frame_csum(&f);
	expect(skel, ncpu, "an IPv4 payload: not_ipv6", &f, TC_ACT_SHOT, J6_CTR_DROP0 + DP_DROP_NOT_IPV6);
	frame_6in4(&f);
	f.b[ETH + DP_IPV4_HLEN + 5] = 9;
	frame_csum(&f);
	expect(skel, ncpu, "an IPv6 payload length beyond the packet: short", &f, TC_ACT_SHOT,
	       J6_CTR_DROP0 + DP_DROP_SHORT);
	skel->bss->cfg.ready = 0;
	frame_6in4(&f);
	frame_csum(&f);
	expect(skel, ncpu, "not configured yet: left to the kernel", &f, TC_ACT_UNSPEC, -1);
	j6_ebpf__destroy(skel);
	return failed;
}
