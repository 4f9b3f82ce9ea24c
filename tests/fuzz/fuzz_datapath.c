/*
 * libFuzzer harness for the userspace 6in4 datapath's packet logic
 * (src/tunnel/datapath.c): what a hostile remote, or a local process writing
 * to the TUN device, can hand the daemon. Every entry point gets the input:
 *
 *   byte 0      which MTU (1280 + byte * 2 / 2.55, i.e. 1280..1480)
 *   bytes 1-10  a struct virtio_net_hdr for the TUN side
 *   the rest    the packet: decapsulated as received from the raw socket,
 *               checked (and answered with a Packet Too Big) as read from
 *               the TUN device, completed and cut as a GSO packet; and read
 *               as a batch (2-byte lengths, then packets) for the
 *               receive-side coalescing and the test for checksums left
 *               for offload.
 *
 * Each result is checked against the contract in datapath.h (offsets and
 * lengths inside the buffer, segments no larger than the packet allows);
 * ASan and UBSan catch the reads and writes out of bounds. No I/O.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "tunnel/datapath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VH_BYTES 10            /* the fields of struct virtio_net_hdr */
#define BATCH    8

static void check(int ok)
{
	if (!ok)
		abort();
}

/* rx: a packet as the raw socket returns it. */
static void fuzz_decap(const struct dp_config *c, const uint8_t *pkt, size_t len)
{
	size_t off = 0, inner = 0;

	if (dp_decap(c, pkt, len, &off, &inner) == DP_PASS)
		check(off >= DP_IPV4_HLEN && inner >= DP_IPV6_HLEN && off + inner <= len);
}

/* tx: a packet read from the TUN device, without offloads. */
static void fuzz_encap(const struct dp_config *c, const uint8_t *pkt, size_t len)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t out[DP_IPV6_MIN_MTU];
	size_t own = 0, n;

	switch (dp_encap_check(c, pkt, len, &own)) {
	case DP_PASS:
		check(own >= DP_IPV6_HLEN && own <= len && own <= (size_t)c->mtu);
		break;
	case DP_DROP_TOO_BIG:
		n = dp_build_ptb(src, c->mtu, pkt, len, out, sizeof(out));
		check(n == 0 || (n >= DP_IPV6_HLEN + 8 && n <= sizeof(out)));
		break;
	default:
		break;
	}
}

/* tx with offloads: a checksum to complete, a GSO packet to cut. */
static void fuzz_gso(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct dp_seg segs[4];
	size_t total = 0, first = 0, seg_len;

	if (!copy)
		return;
	memcpy(copy, pkt, len);
	(void)dp_csum_complete(copy, len, vh);
	seg_len = dp_gso_seg_len(vh, copy, len);
	/* bounded: at most 64 segments are looked at */
	for (int round = 0; round < 16; round++) {
		int r = dp_gso_split(vh, copy, len, first, segs, 4, &total);

		if (r <= 0)
			break;
		check((size_t)r <= 4);
		for (int i = 0; i < r; i++) {
			check(segs[i].hdr_len <= DP_SEG_HDR_MAX);
			check(segs[i].data >= copy && segs[i].data + segs[i].data_len <= copy + len);
			check(seg_len == 0 || segs[i].hdr_len + segs[i].data_len <= seg_len);
		}
		first += (size_t)r;
	}
	free(copy);
}

/* rx coalescing: the input as a batch of up to BATCH packets, each after
 * a 2-byte big-endian length (so that the fuzzer can line up segments). */
static void fuzz_gro(int mtu, const uint8_t *pkt, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct dp_pkt b[BATCH];
	size_t n = 0, at = 0;

	if (!copy)
		return;
	memcpy(copy, pkt, len);
	while (at + 2 < len && n < BATCH) {
		size_t want = (size_t)copy[at] << 8 | copy[at + 1], take;

		at += 2;
		take = want < len - at ? want : len - at;
		b[n].data = copy + at;
		b[n].len = take;
		n++;
		at += take;
	}
	for (size_t i = 0; i < n;) {
		struct virtio_net_hdr vh;
		size_t off = 0, k = dp_gro_next(b + i, n - i, mtu, &vh, &off);

		check(k >= 1 && k <= n - i);
		for (size_t j = i + 1; j < i + k; j++)
			check(off <= b[j].len);
		/* a single one whose checksum was left for offload: the offsets
		 * fit, and completing it is then possible */
		if (k == 1 && !vh.flags && dp_csum_partial(b[i].data, b[i].len, &vh)) {
			check((size_t)vh.csum_start + vh.csum_offset + 2 <= b[i].len);
			check(dp_csum_complete(b[i].data, b[i].len, &vh) == 0);
		}
		i += k;
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_config c = {
		.local = { 192, 0, 2, 1 },
		.remote = { 198, 51, 100, 1 },
	};
	struct virtio_net_hdr vh;

	if (size < 1 + VH_BYTES)
		return 0;
	c.mtu = 1280 + data[0] * 200 / 255;
	memset(&vh, 0, sizeof(vh));
	memcpy(&vh, data + 1, VH_BYTES);
	data += 1 + VH_BYTES;
	size -= 1 + VH_BYTES;

	fuzz_decap(&c, data, size);
	fuzz_encap(&c, data, size);
	fuzz_gso(&vh, data, size);
	fuzz_gro(c.mtu, data, size);
	return 0;
}
