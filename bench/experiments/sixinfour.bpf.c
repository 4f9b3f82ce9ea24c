/*
 * Experiment, not part of jail6 (bench/tunnel.sh with EBPF=1 builds and
 * attaches it): 6in4 (RFC 4213 framing) done by tc BPF programs on the
 * underlying link, to measure what a kernel-side datapath could carry on a
 * kernel without `sit`. Section "encap" (egress): an IPv6 packet to a
 * destination neither link-local nor multicast gets an IPv4 header (protocol 41, LOCAL -> REMOTE,
 * TTL 64, DF clear) in front; bpf_skb_adjust_room marks a GSO packet
 * SKB_GSO_IPXIP4, so it stays one packet until a device has to segment it.
 * Section "decap" (ingress): protocol 41 from REMOTE to LOCAL loses its
 * IPv4 header and goes on as IPv6. LOCAL and REMOTE are compiled in (-D,
 * the IPv4 address as the u32 its network-order bytes make). Not done:
 * counters, checks of the inner packet, IPv4 options, Packet Too Big (the
 * route's MTU gives it). The decap flag needs Linux 6.3 or later.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#define SEC(x) __attribute__((section(x), used))
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV6
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif
static long (*bpf_skb_adjust_room)(struct __sk_buff *skb, __s32 len_diff, __u32 mode, __u64 flags) = (void *)BPF_FUNC_skb_adjust_room;
static long (*bpf_skb_store_bytes)(struct __sk_buff *skb, __u32 offset, const void *from, __u32 len, __u64 flags) = (void *)BPF_FUNC_skb_store_bytes;
static long (*bpf_skb_load_bytes)(const struct __sk_buff *skb, __u32 offset, void *to, __u32 len) = (void *)BPF_FUNC_skb_load_bytes;
#define H16(x) __builtin_bswap16(x)

SEC("encap") int tx_encap(struct __sk_buff *skb)
{
	__u8 dst[2];
	struct iphdr h = {};
	__u16 *w = (__u16 *)&h, proto = H16(ETH_P_IP);
	__u32 sum = 0, len;

	if (skb->protocol != H16(ETH_P_IPV6))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + 24, dst, 2) < 0)
		return TC_ACT_OK;
	if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		return TC_ACT_OK;
	len = skb->len - ETH_HLEN + 20;
	h.version = 4; h.ihl = 5; h.ttl = 64; h.protocol = 41;
	h.tot_len = H16(len > 65535 ? 65535 : len);
	h.saddr = LOCAL; h.daddr = REMOTE;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	h.check = (__u16)~sum;
	if (bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_FIXED_GSO))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &h, sizeof(h), 0) ||
	    bpf_skb_store_bytes(skb, 12, &proto, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("decap") int rx_decap(struct __sk_buff *skb)
{
	struct iphdr h;
	__u16 proto = H16(ETH_P_IPV6);

	if (skb->protocol != H16(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &h, sizeof(h)) < 0)
		return TC_ACT_OK;
	if (h.protocol != 41 || h.ihl != 5 || h.saddr != REMOTE || h.daddr != LOCAL)
		return TC_ACT_OK;
	if (bpf_skb_adjust_room(skb, -20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_DECAP_L3_IPV6 | BPF_F_ADJ_ROOM_FIXED_GSO))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, 12, &proto, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
