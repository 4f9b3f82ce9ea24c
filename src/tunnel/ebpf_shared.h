/*
 * What the 6in4 BPF programs (ebpf.bpf.c) and their loader (ebpf.c) share:
 * the configuration the loader writes into the programs' global data, and
 * the slots of the per-CPU counter array. Plain C on fixed-size types, as
 * both clang -target bpf and the host compiler read it.
 */
#ifndef JAIL6_TUNNEL_EBPF_SHARED_H
#define JAIL6_TUNNEL_EBPF_SHARED_H

#include <linux/types.h>

/* The tunnel as the programs see it; ready == 0 until the loader has set
 * it all (until then everything the programs would handle is dropped and
 * counted on egress, and passed on untouched on ingress). Addresses are in
 * network byte order. */
struct j6_ebpf_cfg {
	__u32 local;           /* our IPv4 endpoint */
	__u32 remote;          /* the broker's */
	__u32 tun_ifindex;     /* the TUN device: where decapsulated packets enter */
	__u32 underlay;        /* the link toward the remote: where encapsulated ones leave */
	__u32 nexthop;         /* the IPv4 next hop there: the route's gateway, or the remote */
	__u32 underlay_mtu;    /* that link's MTU: the largest outer packet */
	__u32 mtu;             /* the tunnel MTU: the largest inner IPv6 packet */
	__u32 l2len;           /* the underlay's link header: 14 (Ethernet) or 0 (none) */
	__u32 ttl;             /* outer TTL */
	__u32 ready;
	__u32 held;            /* a via whose route is gone: drop as via_down */
};

/*
 * Slots of the per-CPU counter array: J6_CTR_DROP0 + v is the drop counter
 * of enum dp_verdict v (tunnel/datapath.h; ebpf.c checks that the numbers
 * agree), so that the stats file and `status` show them by the same names.
 * rx: decapsulated from the underlay into the TUN device; tx: encapsulated
 * from the TUN device toward the remote. Packets count GSO segments; bytes
 * are inner IPv6 bytes.
 */
enum {
	/* (each _BYTES slot follows its _PACKETS slot) */
	J6_CTR_RX_PACKETS = 0,
	J6_CTR_RX_BYTES,
	J6_CTR_TX_PACKETS,
	J6_CTR_TX_BYTES,
	J6_CTR_DROP0,
	/* dp_verdict's drops, at J6_CTR_DROP0 + their value */
	J6_DROP_WRONG_SOURCE = 1,
	J6_DROP_SHORT = 3,
	J6_DROP_BAD_HEADER = 4,
	J6_DROP_NOT_IPV6 = 5,
	J6_DROP_TOO_BIG = 6,
	J6_DROP_TUN_WRITE = 7,
	J6_DROP_SEND = 8,
	J6_DROP_VIA_DOWN = 9,
	J6_DROP_COUNT = 10,
	J6_CTR_N = J6_CTR_DROP0 + J6_DROP_COUNT,
};

/* The tc filter's handle and priority on both hooks: the handle is the TUN
 * device's ifindex (one filter per tunnel on a shared underlay), the
 * priority jail6's own. */
#define J6_TC_PRIORITY 0x6a36

#endif
