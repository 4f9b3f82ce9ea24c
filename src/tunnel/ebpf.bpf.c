/*
 * The eBPF 6in4 datapath (RFC 4213), two tc programs that ebpf.c loads
 * and attaches with libbpf (its skeleton is generated from this file at
 * build time):
 *
 * j6_encap, on the TUN device's egress (the IPv6 routes toward the tunnel
 * lead there): an IPv6 packet gets an outer IPv4 header (protocol 41, our
 * address -> the remote, the configured TTL, DF clear as the userspace
 * datapath sends it), a link header when the underlay has one, and leaves
 * by the underlay toward the next hop the loader found (the neighbour
 * table resolves its address). A GSO
 * packet stays one packet (SKB_GSO_IPXIP4) until a device segments it.
 * Packet Too Big is the kernel's: the TUN device's MTU is the tunnel MTU
 * (ebpf.c keeps it so), so what exceeds it never gets here; what does
 * anyway, or would not fit the underlay once encapsulated (nothing
 * fragments it), is dropped and counted (too_big).
 *
 * j6_decap, on the underlay's ingress (Linux 6.3 or later: the decap
 * flag): a protocol-41 packet to our address is ours; it is checked as the
 * userspace datapath checks it (a sane IPv4 header of IHL*4 bytes with a
 * valid checksum, from the remote, carrying a well-formed IPv6 packet),
 * loses its outer header and enters the TUN device as received there. What
 * fails a check is dropped and counted by reason. Everything else (not
 * IPv4, not protocol 41, for another address, a fragment) goes on
 * untouched (TC_ACT_UNSPEC: the next filter, if any, then the kernel,
 * where the datapath process's raw socket gets what is protocol 41).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tunnel/ebpf_shared.h"

/* Linux 6.3's flag (the uapi headers of older kernels lack it): after the
 * shrink the packet is IPv6, so the kernel sets skb->protocol. */
#define J6_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)

#define IPV4_HLEN      20
#define IPV4_HLEN_MAX  60
#define IPV6_HLEN      40
#define PROTO_6IN4     41
#define AF_INET        2

/* Written by the loader through the skeleton's .bss while attached. */
struct j6_ebpf_cfg cfg;

struct j6_counters {
	__u64 v[J6_CTR_N];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct j6_counters);
} counters SEC(".maps");

static __always_inline void count(__u32 slot, __u64 n)
{
	__u32 k = 0;
	struct j6_counters *c = bpf_map_lookup_elem(&counters, &k);

	if (c && slot < J6_CTR_N)
		c->v[slot] += n;
}

/* A packet that passed, and its bytes: one map lookup for both. */
static __always_inline void count_pass(__u32 slot, __u32 segs, __u32 bytes)
{
	__u32 k = 0;
	struct j6_counters *c = bpf_map_lookup_elem(&counters, &k);

	if (c && slot + 1 < J6_CTR_N) {
		c->v[slot] += segs;
		c->v[slot + 1] += bytes;
	}
}

static __always_inline int drop(__u32 why)
{
	count(J6_CTR_DROP0 + why, 1);
	return TC_ACT_SHOT;
}

/* The segments a packet stands for: GSO ones count as what they carry. */
static __always_inline __u32 segments(const struct __sk_buff *skb)
{
	return skb->gso_segs ? skb->gso_segs : 1;
}

/* The one's-complement sum of an IPv4 header of hlen bytes, folded. */
static __always_inline __u32 ipv4_sum(const __u16 *w, __u32 hlen)
{
	__u32 sum = 0;

	for (int i = 0; i < IPV4_HLEN_MAX / 2; i++) {
		if (i >= (int)(hlen / 2))
			break;
		sum += w[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

SEC("tc")
int j6_encap(struct __sk_buff *skb)
{
	__u32 len = skb->len, segs = segments(skb);
	struct ethhdr eth = { .h_proto = bpf_htons(ETH_P_IP) };
	struct bpf_redir_neigh nh = { .nh_family = AF_INET };
	struct iphdr h = { 0 };
	__u8 first;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return drop(J6_DROP_NOT_IPV6);
	if (bpf_skb_load_bytes(skb, 0, &first, 1) < 0)
		return drop(J6_DROP_SHORT);
	if (first >> 4 != 6)
		return drop(J6_DROP_NOT_IPV6);
	if (len < IPV6_HLEN)
		return drop(J6_DROP_SHORT);
	/* the route to the remote is not via the tunnel's via: nothing may
	 * leave by another uplink (the loader holds, tunnel/dp_route.c) */
	if (cfg.held)
		return drop(J6_DROP_VIA_DOWN);
	/* no local address (local = auto without a route) or no underlay */
	if (!cfg.ready)
		return drop(J6_DROP_SEND);
	/* a GSO packet's segments were sized to the MTU by the kernel; the
	 * outer packet must fit the underlay, as nothing fragments it */
	if (!skb->gso_size && (len > cfg.mtu || len + IPV4_HLEN > cfg.underlay_mtu))
		return drop(J6_DROP_TOO_BIG);
	h.version = 4;
	h.ihl = 5;
	h.ttl = (__u8)cfg.ttl;
	h.protocol = PROTO_6IN4;
	/* a GSO packet's segments get their own lengths and ids */
	h.tot_len = bpf_htons(len + IPV4_HLEN > 0xffff ? 0xffff : len + IPV4_HLEN);
	h.id = (__u16)bpf_get_prandom_u32();
	h.saddr = cfg.local;
	h.daddr = cfg.remote;
	h.check = (__u16)~ipv4_sum((const __u16 *)&h, IPV4_HLEN);
	if (bpf_skb_adjust_room(skb, IPV4_HLEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_FIXED_GSO) < 0 ||
	    bpf_skb_store_bytes(skb, 0, &h, sizeof(h), 0) < 0)
		return drop(J6_DROP_SEND);
	if (cfg.l2len) {
		/* the neighbour code fills the addresses in for the next
		 * hop the loader found (no route lookup per packet); it wants
		 * a link header before the network header to do so */
		if (bpf_skb_change_head(skb, ETH_HLEN, 0) < 0 ||
		    bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0) < 0)
			return drop(J6_DROP_SEND);
		count_pass(J6_CTR_TX_PACKETS, segs, len);
		nh.ipv4_nh = cfg.nexthop;
		return bpf_redirect_neigh(cfg.underlay, &nh, sizeof(nh), 0);
	}
	count_pass(J6_CTR_TX_PACKETS, segs, len);
	return bpf_redirect(cfg.underlay, 0);
}

SEC("tc")
int j6_decap(struct __sk_buff *skb)
{
	__u32 off = cfg.l2len ? ETH_HLEN : 0, hlen, tot, inner, segs = segments(skb);
	__u16 proto6 = bpf_htons(ETH_P_IPV6);
	__u8 hdr[IPV4_HLEN_MAX] = { 0 }, v6[6];
	struct iphdr *ip = (struct iphdr *)hdr;

	if (skb->protocol != bpf_htons(ETH_P_IP) || !cfg.ready)
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, off, hdr, IPV4_HLEN) < 0)
		return TC_ACT_UNSPEC;
	if (ip->protocol != PROTO_6IN4 || ip->daddr != cfg.local)
		return TC_ACT_UNSPEC;
	/* ours: from here on, dropped and counted or decapsulated */
	if (ip->version != 4 || ip->ihl < 5)
		return drop(J6_DROP_BAD_HEADER);
	hlen = (__u32)ip->ihl * 4;
	if (skb->len < off || hlen > skb->len - off)
		return drop(J6_DROP_SHORT);
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen)
		return drop(J6_DROP_BAD_HEADER);
	if (tot > skb->len - off)
		return drop(J6_DROP_SHORT);
	/* a fragment (a narrower IPv4 path cut the packet): the kernel
	 * reassembles it, and the datapath process's raw socket takes the
	 * whole packet through the userspace checks */
	if (bpf_ntohs(ip->frag_off) & 0x3fff)
		return TC_ACT_UNSPEC;
	/* the options, a 32-bit word at a time (sizes the verifier knows) */
	for (int i = IPV4_HLEN / 4; i < IPV4_HLEN_MAX / 4; i++) {
		if (i >= ip->ihl)
			break;
		if (bpf_skb_load_bytes(skb, off + i * 4, hdr + i * 4, 4) < 0)
			return drop(J6_DROP_SHORT);
	}
	if (ipv4_sum((const __u16 *)hdr, hlen) != 0xffff)
		return drop(J6_DROP_BAD_HEADER);
	if (ip->saddr != cfg.remote)
		return drop(J6_DROP_WRONG_SOURCE);
	inner = tot - hlen;
	if (inner < 1 || bpf_skb_load_bytes(skb, off + hlen, v6, 1) < 0)
		return drop(J6_DROP_SHORT);
	if (v6[0] >> 4 != 6)
		return drop(J6_DROP_NOT_IPV6);
	if (inner < IPV6_HLEN || bpf_skb_load_bytes(skb, off + hlen, v6, sizeof(v6)) < 0)
		return drop(J6_DROP_SHORT);
	if (IPV6_HLEN + ((__u32)v6[4] << 8 | v6[5]) > inner)
		return drop(J6_DROP_SHORT);
	if (bpf_skb_adjust_room(skb, -(__s32)hlen, BPF_ADJ_ROOM_MAC,
				J6_ADJ_ROOM_DECAP_L3_IPV6 | BPF_F_ADJ_ROOM_FIXED_GSO) < 0 ||
	    (off && bpf_skb_store_bytes(skb, 12, &proto6, sizeof(proto6), 0) < 0))
		return drop(J6_DROP_TUN_WRITE);
	count_pass(J6_CTR_RX_PACKETS, segs, inner);
	return bpf_redirect(cfg.tun_ifindex, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
