/*
 * The userspace 6in4 datapath's packet logic (RFC 4213, RFC 4443): pure
 * functions over byte buffers, no I/O and no clock of their own, so that
 * every check is unit-testable. daemon.c moves the bytes.
 *
 * Directions, as the stats name them: rx = an IPv4 protocol-41 packet read
 * from the raw socket, decapsulated and written to the TUN device; tx = an
 * IPv6 packet read from the TUN device, encapsulated and sent to the remote.
 */
#ifndef JAIL6_TUNNEL_DATAPATH_H
#define JAIL6_TUNNEL_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#define DP_IPV4_HLEN    20    /* without options */
#define DP_IPV6_HLEN    40
#define DP_PROTO_IPV6   41    /* IPv6-in-IPv4 */
#define DP_IPV6_MIN_MTU 1280  /* RFC 8200; an ICMPv6 error never exceeds it */

/* Why a packet was dropped; DP_PASS = it was not. The names (dp_drop_name)
 * are the keys of the stats file's "drops" object. */
enum dp_verdict {
	DP_PASS = 0,
	DP_DROP_WRONG_SOURCE,      /* rx: outer source is not the remote */
	DP_DROP_WRONG_DESTINATION, /* rx: outer destination is not local */
	DP_DROP_SHORT,             /* truncated header or payload */
	DP_DROP_BAD_HEADER,        /* rx: IPv4 header invalid, or a fragment */
	DP_DROP_NOT_IPV6,          /* payload is not a well-formed IPv6 packet */
	DP_DROP_TOO_BIG,           /* tx: above the tunnel MTU (PTB answered) */
	DP_DROP_TUN_WRITE,         /* rx: the TUN device refused the packet */
	DP_DROP_SEND,              /* tx: the raw socket refused the packet */
	DP_DROP_VIA_DOWN,          /* tx: the route to the remote does not go
				    * through the tunnel's via: held back, never
				    * sent from another uplink */
	DP_DROP_COUNT
};

/* "wrong_source", ...; NULL for DP_PASS or out of range. */
const char *dp_drop_name(enum dp_verdict v);

/* Every counter the stats file shows. Bytes are inner IPv6 bytes. */
struct dp_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t ptb_sent;
	uint64_t drops[DP_DROP_COUNT];  /* index DP_PASS unused */
};

/* What the packet logic needs to know about the tunnel. */
struct dp_config {
	uint8_t local[4];          /* our IPv4 (network order); 0.0.0.0 = unknown */
	uint8_t remote[4];         /* the configured remote endpoint */
	int mtu;                   /* tunnel MTU: largest inner IPv6 packet */
};

/*
 * Validate one received IPv4 packet (as a raw IPPROTO_IPV6 socket returns
 * it: the IPv4 header included) against c: a sane IPv4 header of IHL*4 bytes
 * (options allowed), total length within len, not a fragment (the kernel
 * reassembles before raw delivery, so a fragment here is malformed), protocol
 * 41, source == c->remote, destination == c->local, and a well-formed IPv6
 * payload. The header checksum is not checked: the kernel verified it before
 * raw delivery and then filled in Record Route and Timestamp options without
 * updating it. On DP_PASS, the inner packet is pkt[*inner_off .. +*inner_len)
 * (trailing bytes beyond the IPv6 payload length are cut off).
 */
enum dp_verdict dp_decap(const struct dp_config *c, const uint8_t *pkt, size_t len,
			 size_t *inner_off, size_t *inner_len);

/*
 * Validate one IPv6 packet read from the TUN device for encapsulation:
 * DP_DROP_SHORT / DP_DROP_NOT_IPV6 for a malformed or non-IPv6 packet,
 * DP_DROP_TOO_BIG when it exceeds c->mtu (answer it with dp_build_ptb), else
 * DP_PASS with *out_len = the packet's own length (IPv6 header + payload).
 */
enum dp_verdict dp_encap_check(const struct dp_config *c, const uint8_t *pkt, size_t len,
			       size_t *out_len);

/*
 * Build into out (outlen >= DP_IPV6_MIN_MTU) the ICMPv6 Packet Too Big
 * (RFC 4443 3.2: type 2, code 0, MTU field = mtu) answering the IPv6 packet
 * pkt: source src (an address of ours), destination the packet's source, hop
 * limit 64, as much of pkt as fits in 1280 bytes, checksum set. Returns its
 * length, or 0 when RFC 4443 2.4(e) forbids an answer (pkt is an ICMPv6 error
 * or informational redirect, its source is unspecified, multicast or
 * loopback) or pkt is not an IPv6 packet.
 */
size_t dp_build_ptb(const uint8_t src[16], int mtu, const uint8_t *pkt, size_t len,
		    uint8_t *out, size_t outlen);

/* A token bucket for ICMPv6 errors (RFC 4443 2.4(f)): rate tokens per
 * second, at most burst saved. Zero-initialise, then set rate and burst. */
struct dp_ratelimit {
	uint32_t rate, burst;
	uint64_t tokens_milli;  /* tokens * 1000 */
	uint64_t last_ms;
	bool started;
};

/* Whether one more message may go out at now_ms (a monotonic clock). */
bool dp_ratelimit_take(struct dp_ratelimit *r, uint64_t now_ms);

/* The Internet checksum: add len bytes to a 32-bit accumulator (the data is
 * treated as a sequence of big-endian 16-bit words; an odd last byte is
 * padded), then fold to 16 bits and complement. */
uint32_t dp_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t dp_csum_fold(uint32_t sum);
/* The IPv6 pseudo-header (RFC 8200 8.1) sum for upper-layer length len. */
uint32_t dp_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t proto);

/*
 * Offloads. With IFF_VNET_HDR every TUN read and write carries a struct
 * virtio_net_hdr (native byte order, as TUN uses it) before the packet.
 */

/* Complete the checksum a VIRTIO_NET_HDR_F_NEEDS_CSUM packet leaves partial
 * (the field at csum_start + csum_offset holds the pseudo-header sum):
 * 0, or -EINVAL when the offsets fall outside the packet. */
int dp_csum_complete(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh);

/*
 * Whether the inner packet pkt (len bytes, as dp_decap cut it) is a TCP or
 * UDP packet whose checksum a sender on this host left for offload: a
 * kernel tunnel end or a VM whose packets reach us over a veth, a bridge or
 * a tap keep the skb's CHECKSUM_PARTIAL through encapsulation, and the raw
 * socket hands over the bytes as they are, the checksum field holding the
 * pseudo-header sum only (no cmsg says so: IP_CHECKSUM is for
 * CHECKSUM_COMPLETE skbs). Told by the field holding exactly that sum while
 * the full checksum does not verify; a fragment never qualifies (the kernel
 * completes checksums before fragmenting). When true, vh says
 * VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_start and csum_offset, for the TUN
 * device (or dp_csum_complete) to finish the checksum.
 */
bool dp_csum_partial(const uint8_t *pkt, size_t len, struct virtio_net_hdr *vh);

/* One segment of a GSO packet: its own headers (IPv6, extension headers and
 * TCP, fixed up) and a slice of the original payload. */
#define DP_SEG_HDR_MAX 256
struct dp_seg {
	uint8_t hdr[DP_SEG_HDR_MAX];
	size_t hdr_len;
	const uint8_t *data;
	size_t data_len;
};

/*
 * Cut a VIRTIO_NET_HDR_GSO_TCPV6 packet (pkt, len; the TCP header at
 * vh->csum_start) into segments of at most vh->gso_size payload bytes, as a
 * NIC doing TSO would: sequence numbers advanced, FIN and PSH only on the
 * last segment, CWR only on the first, IPv6 payload length and the TCP
 * checksum recomputed. Produces segments first, first+1, ... into segs (at
 * most max); returns how many it wrote (0 once first is past the end), or
 * -EINVAL for a packet that does not parse, -EOPNOTSUPP for another GSO type.
 * *total (may be NULL) receives the packet's number of segments.
 */
int dp_gso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len, size_t first,
		 struct dp_seg *segs, size_t max, size_t *total);

/* The size of the largest segment (headers + payload) a GSO packet would
 * be cut into: to compare with the tunnel MTU before splitting. 0 when the
 * packet does not parse. */
size_t dp_gso_seg_len(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len);

/*
 * Receive-side coalescing ("GRO" in userspace): consecutive TCP segments of
 * one flow in a batch of decapsulated packets are written to the TUN device
 * as one GSO packet (one header, several payloads), which the kernel
 * forwards or delivers as one. dp_gro_next() looks at pkts[0..n) and says how
 * many of them (>= 1) form the next write, filling vh; when more than one,
 * it has rewritten pkts[0]'s IPv6 payload length, PSH flag and checksum
 * field (to the pseudo-header sum the kernel expects with NEEDS_CSUM) so that
 * pkts[0] followed by the payloads of the others is the merged packet.
 * *payload_off is where the TCP payload starts in each of them. Segments
 * whose TCP checksum is wrong are never merged (they go alone, and the stack
 * drops them); segments whose checksum was left for offload (dp_csum_partial)
 * are. A single TCP packet larger than mtu (segments a NIC's GRO
 * merged before raw delivery, whose checksum field then holds the partial
 * sum) is marked GSO with a segment size that fits mtu, so that forwarding
 * cuts it again instead of refusing it.
 */
struct dp_pkt {
	uint8_t *data;
	size_t len;
};
size_t dp_gro_next(struct dp_pkt *pkts, size_t n, int mtu, struct virtio_net_hdr *vh,
		   size_t *payload_off);

#endif
