/*
 * The 6in4 packet logic: what may be decapsulated (RFC 4213 3.5-3.6 and 4:
 * only from the configured remote, to our address, a well-formed IPv6
 * payload), what may be encapsulated (IPv6 within the tunnel MTU, else an
 * ICMPv6 Packet Too Big, RFC 4443 3.2), and the offload arithmetic that lets
 * the daemon move 64 KiB TCP bursts through the TUN device in one call.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "tunnel/datapath.h"

#define IPV6_NH_HOPOPTS  0
#define IPV6_NH_TCP      6
#define IPV6_NH_UDP      17
#define IPV6_NH_ROUTING  43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_AH       51
#define IPV6_NH_ICMPV6   58
#define IPV6_NH_DSTOPTS  60

#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_INFO_MIN   128
#define ICMPV6_REDIRECT   137

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* How many extension headers dp_build_ptb walks before giving up looking. */
#define EXT_HDR_WALK_MAX 8

static const char *const drop_names[DP_DROP_COUNT] = {
	[DP_DROP_WRONG_SOURCE] = "wrong_source",
	[DP_DROP_WRONG_DESTINATION] = "wrong_destination",
	[DP_DROP_SHORT] = "short",
	[DP_DROP_BAD_HEADER] = "bad_header",
	[DP_DROP_NOT_IPV6] = "not_ipv6",
	[DP_DROP_TOO_BIG] = "too_big",
	[DP_DROP_TUN_WRITE] = "tun_write",
	[DP_DROP_SEND] = "send",
	[DP_DROP_VIA_DOWN] = "via_down",
};

const char *dp_drop_name(enum dp_verdict v)
{
	if ((int)v <= DP_PASS || v >= DP_DROP_COUNT)
		return NULL;
	return drop_names[v];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Fold a wide one's-complement accumulator to 16 bits (not complemented). */
static uint32_t fold16(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* Sum len bytes as native-order 32-bit words: the one's-complement sum is
 * byte-order independent up to a final swap (RFC 1071 2(B)), and 32-bit
 * loads into a 64-bit accumulator need no carry handling below 16 GiB. */
uint32_t dp_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	uint32_t w[4];

	while (len >= 16) {
		memcpy(w, p, 16);
		a0 += w[0];
		a1 += w[1];
		a2 += w[2];
		a3 += w[3];
		p += 16;
		len -= 16;
	}
	if (len) {
		uint8_t tail[16] = { 0 };

		/* zero padding keeps each byte's position parity: the RFC's
		 * "pad an odd last byte" in either byte order */
		memcpy(tail, p, len);
		memcpy(w, tail, 16);
		a0 += w[0];
		a1 += w[1];
		a2 += w[2];
		a3 += w[3];
	}
	uint32_t native = fold16(fold16(a0) + (uint64_t)fold16(a1) + fold16(a2) + fold16(a3));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	native = (uint32_t)(((native & 0xff) << 8) | (native >> 8));
#endif
	return fold16((uint64_t)sum + native);
}

uint16_t dp_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

uint32_t dp_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t proto)
{
	uint8_t tail[8];
	uint32_t s;

	put32(tail, len);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = proto;
	s = dp_csum_add(0, src, 16);
	s = dp_csum_add(s, dst, 16);
	return dp_csum_add(s, tail, sizeof(tail));
}

/* Validate an IPv6 packet of len bytes: DP_PASS with *own = its length by
 * the header (40 + payload length), or why it is not one. */
static enum dp_verdict ipv6_check(const uint8_t *p, size_t len, size_t *own)
{
	size_t n;

	if (len < 1)
		return DP_DROP_SHORT;
	if (p[0] >> 4 != 6)
		return DP_DROP_NOT_IPV6;
	if (len < DP_IPV6_HLEN)
		return DP_DROP_SHORT;
	n = DP_IPV6_HLEN + (size_t)get16(p + 4);
	if (n > len)
		return DP_DROP_SHORT;
	*own = n;
	return DP_PASS;
}

enum dp_verdict dp_decap(const struct dp_config *c, const uint8_t *pkt, size_t len,
			 size_t *inner_off, size_t *inner_len)
{
	size_t hlen, tot, own;
	enum dp_verdict v;

	if (len < DP_IPV4_HLEN)
		return DP_DROP_SHORT;
	if (pkt[0] >> 4 != 4 || (pkt[0] & 0x0f) < 5)
		return DP_DROP_BAD_HEADER;
	/* the header length is the IHL field's, options included */
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if (hlen > len)
		return DP_DROP_SHORT;
	tot = get16(pkt + 2);
	if (tot < hlen)
		return DP_DROP_BAD_HEADER;
	if (tot > len)
		return DP_DROP_SHORT;
	/* MF set or a non-zero offset: the kernel reassembles before raw
	 * delivery, so a fragment here was forged or mangled */
	if (get16(pkt + 6) & 0x3fff)
		return DP_DROP_BAD_HEADER;
	/* No header checksum check: ip_rcv_core() verified it before raw
	 * delivery, and ip_options_compile() then wrote into Record Route and
	 * Timestamp options without updating it (only forwarding does), so a
	 * check here would drop valid packets carrying them. */
	if (pkt[9] != DP_PROTO_IPV6)
		return DP_DROP_NOT_IPV6;
	if (memcmp(pkt + 12, c->remote, 4) != 0)
		return DP_DROP_WRONG_SOURCE;
	if (memcmp(pkt + 16, c->local, 4) != 0)
		return DP_DROP_WRONG_DESTINATION;
	v = ipv6_check(pkt + hlen, tot - hlen, &own);
	if (v != DP_PASS)
		return v;
	*inner_off = hlen;
	*inner_len = own;
	return DP_PASS;
}

enum dp_verdict dp_encap_check(const struct dp_config *c, const uint8_t *pkt, size_t len,
			       size_t *out_len)
{
	size_t own;
	enum dp_verdict v = ipv6_check(pkt, len, &own);

	if (v != DP_PASS)
		return v;
	if (own > (size_t)c->mtu)
		return DP_DROP_TOO_BIG;
	*out_len = own;
	return DP_PASS;
}

/* Whether an IPv6 source may be answered with an ICMPv6 error: not the
 * unspecified address, not multicast, not loopback (RFC 4443 2.4(e)). */
static bool source_answerable(const uint8_t *s)
{
	static const uint8_t zero[16], loop[16] = { [15] = 1 };

	return s[0] != 0xff && memcmp(s, zero, 16) != 0 && memcmp(s, loop, 16) != 0;
}

/* The upper-layer header of the IPv6 packet pkt (len bytes): follows a
 * bounded chain of extension headers and returns the protocol that ends it,
 * with *off where its header starts; -1 when the chain runs past len or is
 * longer than EXT_HDR_WALK_MAX, or at a fragment header when through_frag
 * is false or the fragment is not the first (no upper header to show). */
static int ipv6_upper(const uint8_t *pkt, size_t len, bool through_frag, size_t *off)
{
	uint8_t nh = pkt[6];
	size_t o = DP_IPV6_HLEN;

	for (int i = 0; i < EXT_HDR_WALK_MAX; i++) {
		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_ROUTING:
		case IPV6_NH_DSTOPTS:
			if (o + 2 > len)
				return -1;
			nh = pkt[o];
			o += ((size_t)pkt[o + 1] + 1) * 8;
			break;
		case IPV6_NH_AH:
			if (o + 2 > len)
				return -1;
			nh = pkt[o];
			o += ((size_t)pkt[o + 1] + 2) * 4;
			break;
		case IPV6_NH_FRAGMENT:
			/* only the first fragment shows the upper header */
			if (!through_frag || o + 8 > len || (get16(pkt + o + 2) & 0xfff8))
				return -1;
			nh = pkt[o];
			o += 8;
			break;
		default:
			*off = o;
			return nh;
		}
	}
	return -1;
}

/* Whether pkt carries an ICMPv6 error or a redirect, which no ICMPv6 error
 * may answer (RFC 4443 2.4(e)). */
static bool is_icmp6_error(const uint8_t *pkt, size_t len)
{
	size_t off;

	return ipv6_upper(pkt, len, true, &off) == IPV6_NH_ICMPV6 && off < len &&
	       (pkt[off] < ICMPV6_INFO_MIN || pkt[off] == ICMPV6_REDIRECT);
}

size_t dp_build_ptb(const uint8_t src[16], int mtu, const uint8_t *pkt, size_t len,
		    uint8_t *out, size_t outlen)
{
	const size_t head = DP_IPV6_HLEN + 8;
	size_t quote;
	uint32_t sum;

	if (outlen < DP_IPV6_MIN_MTU || len < DP_IPV6_HLEN || pkt[0] >> 4 != 6)
		return 0;
	if (!source_answerable(pkt + 8) || is_icmp6_error(pkt, len))
		return 0;
	quote = len < DP_IPV6_MIN_MTU - head ? len : DP_IPV6_MIN_MTU - head;
	memset(out, 0, head);
	out[0] = 0x60;
	put16(out + 4, (uint16_t)(8 + quote));
	out[6] = IPV6_NH_ICMPV6;
	out[7] = 64;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, pkt + 8, 16);
	out[40] = ICMPV6_PKT_TOOBIG;
	out[41] = 0;
	put32(out + 44, (uint32_t)mtu);
	memcpy(out + head, pkt, quote);
	sum = dp_csum_pseudo6(out + 8, out + 24, (uint32_t)(8 + quote), IPV6_NH_ICMPV6);
	sum = dp_csum_add(sum, out + DP_IPV6_HLEN, 8 + quote);
	put16(out + 42, dp_csum_fold(sum));
	return head + quote;
}

bool dp_ratelimit_take(struct dp_ratelimit *r, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * 1000;

	if (!r->started) {
		r->started = true;
		r->tokens_milli = cap;
		r->last_ms = now_ms;
	}
	if (now_ms > r->last_ms) {
		/* rate tokens per second = rate milli-tokens per millisecond */
		uint64_t add = (now_ms - r->last_ms) * r->rate;
		r->tokens_milli = r->tokens_milli + add > cap ? cap : r->tokens_milli + add;
		r->last_ms = now_ms;
	}
	if (r->tokens_milli < 1000)
		return false;
	r->tokens_milli -= 1000;
	return true;
}

int dp_csum_complete(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh)
{
	size_t start = vh->csum_start, field = (size_t)vh->csum_start + vh->csum_offset;
	uint16_t c;

	if (start >= len || field + 2 > len)
		return -EINVAL;
	c = dp_csum_fold(dp_csum_add(0, pkt + start, len - start));
	/* a UDP checksum of zero means "none": send its other form */
	if (c == 0 && vh->csum_offset == 6)
		c = 0xffff;
	put16(pkt + field, c);
	return 0;
}

/* Whether the checksum field at pkt[field] holds the pseudo-header sum of
 * the upper-layer packet pkt[l4..len) of protocol nh, as a kernel leaves it
 * for offload (CHECKSUM_PARTIAL: tcp_v6_send_check, udp6_set_csum), and no
 * more: the full checksum does not verify. */
static bool csum_left_partial(const uint8_t *pkt, size_t len, size_t l4, uint8_t nh, size_t field)
{
	uint32_t ps = dp_csum_pseudo6(pkt + 8, pkt + 24, (uint32_t)(len - l4), nh);

	if (get16(pkt + field) != ps)
		return false;
	return dp_csum_fold(dp_csum_add(ps, pkt + l4, len - l4)) != 0;
}

bool dp_csum_partial(const uint8_t *pkt, size_t len, struct virtio_net_hdr *vh)
{
	size_t l4, field;
	int nh;

	if (len < DP_IPV6_HLEN || pkt[0] >> 4 != 6)
		return false;
	/* the kernel completes the checksum before it fragments */
	nh = ipv6_upper(pkt, len, false, &l4);
	if (nh == IPV6_NH_TCP && l4 + 20 <= len)
		field = l4 + 16;
	else if (nh == IPV6_NH_UDP && l4 + 8 <= len)
		field = l4 + 6;
	else
		return false;
	if (!csum_left_partial(pkt, len, l4, (uint8_t)nh, field))
		return false;
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)l4;
	vh->csum_offset = (uint16_t)(field - l4);
	return true;
}

/* The parsed shape of a TCP-over-IPv6 GSO packet. */
struct gso_shape {
	size_t l4;       /* offset of the TCP header */
	size_t thl;      /* TCP header length */
	size_t payload;  /* TCP payload bytes in total */
	size_t mss;
};

/* Parse pkt as vh describes it; 0 or -EINVAL / -EOPNOTSUPP. */
static int gso_parse(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
		     struct gso_shape *s)
{
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EOPNOTSUPP;
	if (len < DP_IPV6_HLEN || pkt[0] >> 4 != 6 || vh->gso_size == 0)
		return -EINVAL;
	s->l4 = vh->csum_start;
	if (s->l4 < DP_IPV6_HLEN || s->l4 + 20 > len)
		return -EINVAL;
	s->thl = (size_t)(pkt[s->l4 + 12] >> 4) * 4;
	if (s->thl < 20 || s->l4 + s->thl > len || s->l4 + s->thl > DP_SEG_HDR_MAX)
		return -EINVAL;
	s->payload = len - s->l4 - s->thl;
	s->mss = vh->gso_size;
	return 0;
}

size_t dp_gso_seg_len(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	struct gso_shape s;

	if (gso_parse(vh, pkt, len, &s) < 0)
		return 0;
	return s.l4 + s.thl + (s.payload < s.mss ? s.payload : s.mss);
}

int dp_gso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len, size_t first,
		 struct dp_seg *segs, size_t max, size_t *total)
{
	struct gso_shape s;
	size_t nseg, i, out = 0;
	uint32_t seq0;
	uint8_t flags0;
	int r = gso_parse(vh, pkt, len, &s);

	if (r < 0)
		return r;
	nseg = s.payload ? (s.payload + s.mss - 1) / s.mss : 1;
	if (total)
		*total = nseg;
	seq0 = get32(pkt + s.l4 + 4);
	flags0 = pkt[s.l4 + 13];
	for (i = first; i < nseg && out < max; i++, out++) {
		struct dp_seg *g = &segs[out];
		size_t off = i * s.mss;
		size_t dlen = s.payload - off < s.mss ? s.payload - off : s.mss;
		uint8_t *th = g->hdr + s.l4;
		uint8_t f = flags0;
		uint32_t sum;

		memcpy(g->hdr, pkt, s.l4 + s.thl);
		g->hdr_len = s.l4 + s.thl;
		g->data = pkt + s.l4 + s.thl + off;
		g->data_len = dlen;
		put16(g->hdr + 4, (uint16_t)(s.l4 - DP_IPV6_HLEN + s.thl + dlen));
		put32(th + 4, seq0 + (uint32_t)off);
		if (i + 1 < nseg)
			f &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			f &= (uint8_t)~TCP_CWR;
		th[13] = f;
		put16(th + 16, 0);
		sum = dp_csum_pseudo6(g->hdr + 8, g->hdr + 24, (uint32_t)(s.thl + dlen), IPV6_NH_TCP);
		sum = dp_csum_add(sum, th, s.thl);
		sum = dp_csum_add(sum, g->data, dlen);
		put16(th + 16, dp_csum_fold(sum));
	}
	return (int)out;
}

/* A TCP segment dp_gro_next may merge: IPv6 with TCP right after the fixed
 * header, ACK set, no SYN/FIN/RST/URG/ECE/CWR, some payload. Returns the TCP
 * header length, or 0. */
static size_t gro_candidate(const uint8_t *p, size_t len)
{
	size_t thl;
	uint8_t f;

	if (len < DP_IPV6_HLEN + 20 || p[0] >> 4 != 6 || p[6] != IPV6_NH_TCP)
		return 0;
	thl = (size_t)(p[DP_IPV6_HLEN + 12] >> 4) * 4;
	if (thl < 20 || DP_IPV6_HLEN + thl >= len)
		return 0;
	f = p[DP_IPV6_HLEN + 13];
	if (!(f & TCP_ACK) || (f & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG | TCP_ECE | TCP_CWR)))
		return 0;
	return thl;
}

/* The TCP checksum of an IPv6 packet without extension headers verifies,
 * or was left for offload by a sender on this host (dp_csum_partial): the
 * merged packet's checksum is the kernel's to complete either way. */
static bool tcp6_csum_usable(const uint8_t *p, size_t len)
{
	uint32_t sum = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - DP_IPV6_HLEN), IPV6_NH_TCP);

	return dp_csum_fold(dp_csum_add(sum, p + DP_IPV6_HLEN, len - DP_IPV6_HLEN)) == 0 ||
	       get16(p + DP_IPV6_HLEN + 16) == sum;
}

/* Whether q continues p's flow with identical headers: first IPv6 word,
 * next header and hop limit, addresses, ports, ack, header length and
 * options (a difference in any of them must reach the stack as it came). */
static bool gro_same_flow(const uint8_t *p, const uint8_t *q, size_t thl)
{
	const uint8_t *tp = p + DP_IPV6_HLEN, *tq = q + DP_IPV6_HLEN;

	return memcmp(p, q, 4) == 0 && p[6] == q[6] && p[7] == q[7] &&
	       memcmp(p + 8, q + 8, 32) == 0 && memcmp(tp, tq, 4) == 0 &&
	       memcmp(tp + 8, tq + 8, 4) == 0 && (tq[12] >> 4) * 4 == (int)thl &&
	       memcmp(tp + 20, tq + 20, thl - 20) == 0;
}

/* Mark vh as a TCPV6 GSO packet with checksum left to the kernel, and put
 * the pseudo-header sum of the whole packet in its TCP checksum field. */
static void gro_mark(uint8_t *p, size_t len, size_t thl, size_t mss, struct virtio_net_hdr *vh)
{
	uint32_t ps = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - DP_IPV6_HLEN), IPV6_NH_TCP);

	put16(p + 4, (uint16_t)(len - DP_IPV6_HLEN));
	put16(p + DP_IPV6_HLEN + 16, (uint16_t)fold16(ps));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh->hdr_len = (uint16_t)(DP_IPV6_HLEN + thl);
	vh->gso_size = (uint16_t)mss;
	vh->csum_start = DP_IPV6_HLEN;
	vh->csum_offset = 16;
}

size_t dp_gro_next(struct dp_pkt *pkts, size_t n, int mtu, struct virtio_net_hdr *vh,
		   size_t *payload_off)
{
	uint8_t *p = pkts[0].data;
	size_t thl, mss, total, count = 1;
	uint32_t next_seq;
	bool last_psh;

	memset(vh, 0, sizeof(*vh));
	*payload_off = 0;
	if (pkts[0].len > (size_t)mtu && pkts[0].len > DP_IPV6_HLEN + 20 && p[0] >> 4 == 6 &&
	    p[6] == IPV6_NH_TCP) {
		/* merged by the kernel's GRO before raw delivery (its checksum
		 * field holds the partial sum): let the kernel cut it again
		 * into segments that fit the tunnel */
		thl = (size_t)(p[DP_IPV6_HLEN + 12] >> 4) * 4;
		if (thl >= 20 && DP_IPV6_HLEN + thl < pkts[0].len && (size_t)mtu > DP_IPV6_HLEN + thl &&
		    !(p[DP_IPV6_HLEN + 13] & (TCP_SYN | TCP_RST))) {
			gro_mark(p, pkts[0].len, thl, (size_t)mtu - DP_IPV6_HLEN - thl, vh);
			*payload_off = DP_IPV6_HLEN + thl;
		}
		return 1;
	}
	thl = gro_candidate(p, pkts[0].len);
	if (!thl)
		return 1;
	mss = pkts[0].len - DP_IPV6_HLEN - thl;
	if (n < 2 || (p[DP_IPV6_HLEN + 13] & TCP_PSH) || !tcp6_csum_usable(p, pkts[0].len))
		return 1;
	total = mss;
	next_seq = get32(p + DP_IPV6_HLEN + 4) + (uint32_t)mss;
	last_psh = false;
	while (count < n) {
		const uint8_t *q = pkts[count].data;
		size_t qlen = pkts[count].len, qpay;

		if (gro_candidate(q, qlen) != thl || !gro_same_flow(p, q, thl))
			break;
		qpay = qlen - DP_IPV6_HLEN - thl;
		if (qpay > mss || get32(q + DP_IPV6_HLEN + 4) != next_seq)
			break;
		if (DP_IPV6_HLEN + thl + total + qpay > 65535)
			break;
		if (!tcp6_csum_usable(q, qlen))
			break;
		total += qpay;
		next_seq += (uint32_t)qpay;
		last_psh = (q[DP_IPV6_HLEN + 13] & TCP_PSH) != 0;
		count++;
		/* a short segment or a push ends the burst */
		if (qpay < mss || last_psh)
			break;
	}
	if (count == 1)
		return 1;
	if (last_psh)
		p[DP_IPV6_HLEN + 13] |= TCP_PSH;
	gro_mark(p, DP_IPV6_HLEN + thl + total, thl, mss, vh);
	*payload_off = DP_IPV6_HLEN + thl;
	return count;
}
