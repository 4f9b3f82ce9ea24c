/* Unit tests of the 6in4 packet logic (src/tunnel/datapath.c) and of the
 * daemon's pure parts (paths, options, the stats file). No root, no I/O
 * beyond a temporary file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <jansson.h>

#include <fcntl.h>
#include <sys/socket.h>

#include "tunnel/ctl.h"
#include "tunnel/daemon.h"
#include "tunnel/datapath.h"

static const uint8_t LOCAL[4] = { 198, 51, 100, 2 };
static const uint8_t REMOTE[4] = { 198, 51, 100, 1 };
static const uint8_t SPOOF[4] = { 198, 51, 100, 3 };

static struct dp_config cfg(void)
{
	struct dp_config c = { .mtu = 1480 };

	memcpy(c.local, LOCAL, 4);
	memcpy(c.remote, REMOTE, 4);
	return c;
}

static void v6(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* The naive RFC 1071 sum over big-endian words, to check dp_csum_add. */
static uint16_t naive_csum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv6 packet at p: header (next header nh, payload plen), payload bytes
 * filled with a pattern. Returns its length. */
static size_t mk6(uint8_t *p, uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	v6("2001:db8:1::2", p + 8);
	v6("2001:db8:aaaa::2", p + 24);
	for (size_t i = 0; i < plen; i++)
		p[40 + i] = (uint8_t)(i * 7 + 3);
	return 40 + plen;
}

/* An IPv4 protocol-41 header at p for an inner packet of ilen bytes, with
 * ihl 32-bit words (options NOP-filled), src and dst; checksum set. */
static size_t mk4(uint8_t *p, int ihl, const uint8_t *src, const uint8_t *dst, size_t ilen)
{
	size_t hlen = (size_t)ihl * 4, tot = hlen + ilen;

	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | ihl);
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 41;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	for (size_t i = 20; i < hlen; i++)
		p[i] = 1; /* NOP */
	uint16_t c = dp_csum_fold(dp_csum_add(0, p, hlen));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	return hlen;
}

/* A 6in4 packet: IPv4 header of ihl words + an IPv6 packet of plen payload. */
static size_t mk641(uint8_t *p, int ihl, const uint8_t *src, const uint8_t *dst, size_t plen)
{
	size_t h = (size_t)ihl * 4;
	size_t il = mk6(p + h, 59, plen);

	mk4(p, ihl, src, dst, il);
	return h + il;
}

static void reseal4(uint8_t *p)
{
	size_t hlen = (size_t)(p[0] & 0xf) * 4;

	p[10] = p[11] = 0;
	uint16_t c = dp_csum_fold(dp_csum_add(0, p, hlen));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

/* 1. Drop reasons have the stats file's names. */
static void test_drop_names(void **st)
{
	assert_null(dp_drop_name(DP_PASS));
	assert_null(dp_drop_name(DP_DROP_COUNT));
	assert_string_equal(dp_drop_name(DP_DROP_WRONG_SOURCE), "wrong_source");
	assert_string_equal(dp_drop_name(DP_DROP_WRONG_DESTINATION), "wrong_destination");
	assert_string_equal(dp_drop_name(DP_DROP_SHORT), "short");
	assert_string_equal(dp_drop_name(DP_DROP_BAD_HEADER), "bad_header");
	assert_string_equal(dp_drop_name(DP_DROP_NOT_IPV6), "not_ipv6");
	assert_string_equal(dp_drop_name(DP_DROP_TOO_BIG), "too_big");
	assert_string_equal(dp_drop_name(DP_DROP_TUN_WRITE), "tun_write");
	assert_string_equal(dp_drop_name(DP_DROP_SEND), "send");
	assert_string_equal(dp_drop_name(DP_DROP_VIA_DOWN), "via_down");
	(void)st;
}

/* 2. The checksum: RFC 1071's example, odd lengths, chaining, and the naive
 * sum over many lengths and alignments. */
static void test_csum(void **st)
{
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[300];

	/* RFC 1071 3: the sum is 0xddf2 */
	assert_int_equal(dp_csum_fold(dp_csum_add(0, rfc, 8)), (uint16_t)~0xddf2);
	/* an odd last byte is the high byte of a zero-padded word */
	uint8_t odd[3] = { 0x12, 0x34, 0x56 };
	assert_int_equal(dp_csum_fold(dp_csum_add(0, odd, 3)), (uint16_t)~(0x1234 + 0x5600));
	assert_int_equal(dp_csum_fold(dp_csum_add(0, NULL, 0)), 0xffff);
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 4; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len++)
			assert_int_equal(dp_csum_fold(dp_csum_add(0, buf + off, len)), naive_csum(buf + off, len));
	/* chaining even-sized pieces is the same as one pass */
	uint32_t s = dp_csum_add(dp_csum_add(dp_csum_add(0, buf, 40), buf + 40, 122), buf + 162, 77);
	assert_int_equal(dp_csum_fold(s), naive_csum(buf, 239));
	/* all-ones data folds without overflow */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(dp_csum_fold(dp_csum_add(0, buf, sizeof(buf))), naive_csum(buf, sizeof(buf)));
	(void)st;
}

/* 3. A valid packet passes; the inner packet is where the IHL says. */
static void test_decap_ok(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t off = 0, len = 0, n;

	n = mk641(p, 5, REMOTE, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	assert_int_equal(off, 20);
	assert_int_equal(len, 140);
	/* options: IHL 6 and 15 move the inner packet, never assumed 20 */
	n = mk641(p, 6, REMOTE, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	assert_int_equal(off, 24);
	assert_int_equal(len, 140);
	assert_int_equal(p[off] >> 4, 6);
	n = mk641(p, 15, REMOTE, LOCAL, 0);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	assert_int_equal(off, 60);
	assert_int_equal(len, 40);
	/* bytes after the IPv6 payload length (inside the IPv4 total) are cut */
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	p[2] = (uint8_t)((n + 8) >> 8);
	p[3] = (uint8_t)(n + 8);
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n + 8, &off, &len), DP_PASS);
	assert_int_equal(len, 140);
	/* bytes after the IPv4 total length are not the packet's */
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, n + 30, &off, &len), DP_PASS);
	assert_int_equal(len, 140);
	(void)st;
}

/* 4. Every malformed outer header is dropped with its reason. */
static void test_decap_outer(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t off, len, n;

	n = mk641(p, 5, REMOTE, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, 19, &off, &len), DP_DROP_SHORT);
	assert_int_equal(dp_decap(&c, p, 0, &off, &len), DP_DROP_SHORT);
	/* the IPv4 total length says more than arrived */
	assert_int_equal(dp_decap(&c, p, n - 1, &off, &len), DP_DROP_SHORT);
	/* IHL < 5 */
	p[0] = 0x44;
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	/* IHL beyond the data */
	mk641(p, 15, REMOTE, LOCAL, 0);
	assert_int_equal(dp_decap(&c, p, 40, &off, &len), DP_DROP_SHORT);
	/* not IPv4 */
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	p[0] = 0x65;
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	/* total length shorter than the header */
	n = mk641(p, 6, REMOTE, LOCAL, 100);
	p[2] = 0;
	p[3] = 20;
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	/* fragments: MF, or an offset; DF alone is fine */
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	p[6] = 0x20;
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	p[6] = 0x00;
	p[7] = 0x10;
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	p[6] = 0x40;
	p[7] = 0x00;
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	/* the header checksum is the kernel's to verify (test_decap_options) */
	p[10] ^= 0x01;
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	/* another protocol */
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	p[9] = 4;
	reseal4(p);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_NOT_IPV6);
	(void)st;
}

/* RFC 791 options as a sender puts them: Record Route with three empty
 * slots and one EOL after (IHL 9); Timestamp, flag 0 (timestamps only),
 * two empty slots (IHL 8). */
static const uint8_t OPT_RR[16] = { 7, 15, 4 }, OPT_TS[12] = { 68, 12, 5, 0 };

/* A 6in4 packet from src to dst behind the option opt (RR or TS), sealed
 * with a valid checksum, then filled in as the receiving kernel does on
 * local delivery (ip_options_compile): 4 bytes into the first slot, the
 * pointer advanced, the checksum left as it was. Returns its length. */
static size_t mk_stale_opt(uint8_t *p, const uint8_t *src, const uint8_t *dst, const uint8_t *opt)
{
	static const uint8_t fill[4] = { 198, 51, 100, 2 };
	int ihl = opt == OPT_RR ? 9 : 8;
	size_t n = mk641(p, ihl, src, dst, 100), slot = 20 + (size_t)opt[2] - 1;

	memcpy(p + 20, opt, opt == OPT_RR ? sizeof(OPT_RR) : sizeof(OPT_TS));
	reseal4(p);
	memcpy(p + slot, fill, 4);
	p[22] = (uint8_t)(p[22] + 4);
	assert_int_not_equal(dp_csum_fold(dp_csum_add(0, p, (size_t)ihl * 4)), 0);
	return n;
}

/* 4b. Record Route and Timestamp options as the receiving kernel leaves
 * them: filled in after it verified the header checksum, which it does not
 * update for local delivery (only ip_forward_options recomputes it).
 * Decapsulated all the same, and every other outer check still applies
 * behind such options. */
static void test_decap_options(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t off, len, n;

	n = mk_stale_opt(p, REMOTE, LOCAL, OPT_RR);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	assert_int_equal(off, 36);
	assert_int_equal(len, 140);
	assert_int_equal(p[off] >> 4, 6);
	n = mk_stale_opt(p, REMOTE, LOCAL, OPT_TS);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_PASS);
	assert_int_equal(off, 32);
	assert_int_equal(len, 140);

	/* behind the same stale options: a spoofed source, another
	 * destination, a fragment, another protocol, a short payload */
	n = mk_stale_opt(p, SPOOF, LOCAL, OPT_RR);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_SOURCE);
	n = mk_stale_opt(p, REMOTE, SPOOF, OPT_TS);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_DESTINATION);
	n = mk_stale_opt(p, REMOTE, LOCAL, OPT_RR);
	p[6] = 0x20;
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_BAD_HEADER);
	n = mk_stale_opt(p, REMOTE, LOCAL, OPT_TS);
	p[9] = 4;
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_NOT_IPV6);
	n = mk_stale_opt(p, REMOTE, LOCAL, OPT_TS);
	assert_int_equal(dp_decap(&c, p, n - 1, &off, &len), DP_DROP_SHORT);
	p[32 + 5] = 200; /* the IPv6 payload length beyond the data */
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_SHORT);
	(void)st;
}

/* 5. Only the configured remote, only to our address (RFC 4213 3.6). */
static void test_decap_endpoints(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t off, len, n;

	n = mk641(p, 5, SPOOF, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_SOURCE);
	n = mk641(p, 5, REMOTE, SPOOF, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_DESTINATION);
	/* a spoofed source is counted as such whatever the destination */
	n = mk641(p, 5, SPOOF, SPOOF, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_SOURCE);
	/* an unresolved local address (auto, no route yet) matches nothing */
	memset(c.local, 0, 4);
	n = mk641(p, 5, REMOTE, LOCAL, 100);
	assert_int_equal(dp_decap(&c, p, n, &off, &len), DP_DROP_WRONG_DESTINATION);
	(void)st;
}

/* 6. The payload must be a well-formed IPv6 packet. */
static void test_decap_inner(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t off, len;

	/* nothing after the IPv4 header */
	mk4(p, 5, REMOTE, LOCAL, 0);
	assert_int_equal(dp_decap(&c, p, 20, &off, &len), DP_DROP_SHORT);
	/* IPv4 inside */
	mk4(p, 5, REMOTE, LOCAL, 40);
	memset(p + 20, 0, 40);
	p[20] = 0x45;
	assert_int_equal(dp_decap(&c, p, 60, &off, &len), DP_DROP_NOT_IPV6);
	/* garbage, one byte */
	mk4(p, 5, REMOTE, LOCAL, 1);
	p[20] = 0xff;
	assert_int_equal(dp_decap(&c, p, 21, &off, &len), DP_DROP_NOT_IPV6);
	/* a truncated IPv6 header */
	mk4(p, 5, REMOTE, LOCAL, 39);
	mk6(p + 20, 59, 0);
	assert_int_equal(dp_decap(&c, p, 59, &off, &len), DP_DROP_SHORT);
	/* payload length beyond the data */
	mk4(p, 5, REMOTE, LOCAL, 140);
	mk6(p + 20, 59, 100);
	p[20 + 5] = 101;
	assert_int_equal(dp_decap(&c, p, 160, &off, &len), DP_DROP_SHORT);
	(void)st;
}

/* 7. Random bytes and random mutations of a valid packet never pass with an
 * inner packet outside the buffer, and never crash. */
static void test_decap_garbage(void **st)
{
	struct dp_config c = cfg();
	uint8_t base[600], p[600];
	size_t n = mk641(base, 6, REMOTE, LOCAL, 200), passes = 0;

	srand(11);
	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)rand() % (sizeof(p) + 1), off = 0, il = 0;

		if (i & 1) {
			for (size_t k = 0; k < len; k++)
				p[k] = (uint8_t)rand();
		} else {
			memcpy(p, base, n);
			for (int k = 0; k < 3; k++)
				p[rand() % (int)n] = (uint8_t)rand();
			if (rand() & 1)
				reseal4(p);
			len = (size_t)rand() % (n + 1);
		}
		if (dp_decap(&c, p, len, &off, &il) == DP_PASS) {
			passes++;
			assert_true(off >= 20 && off + il <= len && il >= 40);
			assert_int_equal(p[off] >> 4, 6);
			assert_memory_equal(p + 12, REMOTE, 4);
			assert_memory_equal(p + 16, LOCAL, 4);
		}
	}
	assert_true(passes > 0); /* mutations of the payload do pass */
	(void)st;
}

/* 8. Encapsulation: IPv6 only, within the MTU. */
static void test_encap_check(void **st)
{
	struct dp_config c = cfg();
	uint8_t p[2000];
	size_t own = 0;

	assert_int_equal(dp_encap_check(&c, p, mk6(p, 59, 1440), &own), DP_PASS);
	assert_int_equal(own, 1480);
	assert_int_equal(dp_encap_check(&c, p, mk6(p, 59, 1441), &own), DP_DROP_TOO_BIG);
	mk6(p, 59, 100);
	assert_int_equal(dp_encap_check(&c, p, 139, &own), DP_DROP_SHORT);
	assert_int_equal(dp_encap_check(&c, p, 0, &own), DP_DROP_SHORT);
	assert_int_equal(dp_encap_check(&c, p, 20, &own), DP_DROP_SHORT);
	p[0] = 0x45;
	assert_int_equal(dp_encap_check(&c, p, 140, &own), DP_DROP_NOT_IPV6);
	c.mtu = 1280;
	assert_int_equal(dp_encap_check(&c, p, mk6(p, 59, 1241), &own), DP_DROP_TOO_BIG);
	(void)st;
}

/* 9. Packet Too Big: RFC 4443 3.2 fields, at most 1280 bytes, the quote,
 * a valid checksum. */
static void test_ptb(void **st)
{
	uint8_t src[16], p[2000], out[1500];
	size_t n, len;

	v6("2001:db8:ffff::2", src);
	len = mk6(p, 6, 1460);  /* 1500 bytes of "TCP" */
	n = dp_build_ptb(src, 1480, p, len, out, sizeof(out));
	assert_int_equal(n, 1280);
	assert_int_equal(out[0] >> 4, 6);
	assert_int_equal(out[4] << 8 | out[5], 1280 - 40);
	assert_int_equal(out[6], 58);
	assert_int_equal(out[7], 64);
	assert_memory_equal(out + 8, src, 16);
	assert_memory_equal(out + 24, p + 8, 16);   /* back to the sender */
	assert_int_equal(out[40], 2);
	assert_int_equal(out[41], 0);
	assert_int_equal((uint32_t)out[44] << 24 | out[45] << 16 | out[46] << 8 | out[47], 1480);
	assert_memory_equal(out + 48, p, 1280 - 48);
	uint32_t s = dp_csum_pseudo6(out + 8, out + 24, 1280 - 40, 58);
	assert_int_equal(dp_csum_fold(dp_csum_add(s, out + 40, 1280 - 40)), 0);
	/* a smaller packet is quoted whole */
	len = mk6(p, 17, 100);
	n = dp_build_ptb(src, 1400, p, len, out, sizeof(out));
	assert_int_equal(n, 48 + 140);
	assert_memory_equal(out + 48, p, 140);
	/* ICMPv6 echo requests are answered; errors and redirects are not */
	len = mk6(p, 58, 100);
	p[40] = 128;
	assert_true(dp_build_ptb(src, 1400, p, len, out, sizeof(out)) > 0);
	p[40] = 1;
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	p[40] = 137;
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	/* ... also behind an extension header */
	len = mk6(p, 60, 100);
	p[40] = 58;   /* destination options -> ICMPv6 */
	p[41] = 0;    /* 8 bytes */
	p[48] = 2;    /* Packet Too Big itself */
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	p[48] = 128;
	assert_true(dp_build_ptb(src, 1400, p, len, out, sizeof(out)) > 0);
	/* sources that do not name one node */
	len = mk6(p, 17, 100);
	memset(p + 8, 0, 16);
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	v6("ff02::1", p + 8);
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	v6("::1", p + 8);
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	/* not IPv6, too short, no room */
	len = mk6(p, 17, 100);
	assert_int_equal(dp_build_ptb(src, 1400, p, 39, out, sizeof(out)), 0);
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, 1279), 0);
	p[0] = 0x45;
	assert_int_equal(dp_build_ptb(src, 1400, p, len, out, sizeof(out)), 0);
	(void)st;
}

/* 10. The ICMPv6 rate limit: a burst, then the rate. */
static void test_ratelimit(void **st)
{
	struct dp_ratelimit r = { .rate = 10, .burst = 3 };
	int ok = 0;

	for (int i = 0; i < 10; i++)
		ok += dp_ratelimit_take(&r, 1000);
	assert_int_equal(ok, 3);
	assert_false(dp_ratelimit_take(&r, 1050));   /* half a token */
	assert_true(dp_ratelimit_take(&r, 1100));    /* one token after 100 ms */
	assert_false(dp_ratelimit_take(&r, 1100));
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += dp_ratelimit_take(&r, 100000);   /* long idle: the burst again */
	assert_int_equal(ok, 3);
	(void)st;
}

/* A TCP/IPv6 packet: thl bytes of TCP header (options 0x01-filled), flags,
 * seq, pay bytes of payload (pattern from seq), full checksum. */
static size_t mktcp(uint8_t *p, size_t thl, uint8_t flags, uint32_t seq, size_t pay)
{
	size_t len = mk6(p, 6, thl + pay);
	uint8_t *t = p + 40;

	memset(t, 0, thl);
	t[0] = 0x9c;
	t[1] = 0x40;  /* 40000 */
	t[2] = 0x14;
	t[3] = 0x51;  /* 5201 */
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[8] = 0x11;
	t[11] = 0x22;  /* ack */
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = flags;
	t[14] = 0x01;  /* window */
	for (size_t i = 20; i < thl; i++)
		t[i] = 1;
	for (size_t i = 0; i < pay; i++)
		t[thl + i] = (uint8_t)((seq + i) * 13);
	uint32_t s = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(thl + pay), 6);
	uint16_t c = dp_csum_fold(dp_csum_add(s, t, thl + pay));
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	return len;
}

static bool tcp_ok(const uint8_t *p, size_t len)
{
	uint32_t s = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - 40), 6);
	return dp_csum_fold(dp_csum_add(s, p + 40, len - 40)) == 0;
}

/* Put the pseudo-header sum (the kernel's partial checksum) in the TCP
 * checksum field of p, as CHECKSUM_PARTIAL leaves it. */
static void partial(uint8_t *p, size_t len)
{
	uint16_t ps = (uint16_t)~dp_csum_fold(dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - 40), 6));
	p[56] = (uint8_t)(ps >> 8);
	p[57] = (uint8_t)ps;
}

/* 11. Completing a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
static void test_csum_complete(void **st)
{
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 40, .csum_offset = 16 };
	uint8_t p[2000];
	size_t len = mktcp(p, 32, 0x18, 1000, 777);

	partial(p, len);
	assert_false(tcp_ok(p, len));
	assert_int_equal(dp_csum_complete(p, len, &vh), 0);
	assert_true(tcp_ok(p, len));
	vh.csum_start = (uint16_t)len;
	assert_int_equal(dp_csum_complete(p, len, &vh), -EINVAL);
	vh.csum_start = 40;
	vh.csum_offset = (uint16_t)(len - 41);
	assert_int_equal(dp_csum_complete(p, len, &vh), -EINVAL);
	(void)st;
}

/* A UDP/IPv6 packet of pay bytes behind ext bytes of hop-by-hop options
 * (0 or a multiple of 8), full checksum. Returns its length. */
static size_t mkudp(uint8_t *p, size_t ext, size_t pay)
{
	size_t len = mk6(p, ext ? 0 : 17, ext + 8 + pay), l4 = 40 + ext;
	uint8_t *u = p + l4;

	if (ext) {
		memset(p + 40, 0, ext);
		p[40] = 17;
		p[41] = (uint8_t)(ext / 8 - 1);
		p[42] = 1;  /* PadN over the rest */
		p[43] = (uint8_t)(ext - 4);
	}
	u[0] = 0x13;
	u[1] = 0x88;
	u[2] = 0x13;
	u[3] = 0x89;
	u[4] = (uint8_t)((8 + pay) >> 8);
	u[5] = (uint8_t)(8 + pay);
	u[6] = u[7] = 0;
	uint16_t c = dp_csum_fold(dp_csum_add(dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(8 + pay), 17), u, 8 + pay));
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return len;
}

/* The upper-layer checksum of p (TCP or UDP at l4) verifies. */
static bool l4_ok(const uint8_t *p, size_t len, size_t l4, uint8_t proto)
{
	uint32_t s = dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - l4), proto);
	return dp_csum_fold(dp_csum_add(s, p + l4, len - l4)) == 0;
}

/* Put the pseudo-header sum in the checksum field at p + field, as
 * CHECKSUM_PARTIAL leaves it, for the upper layer at l4. */
static void partial_at(uint8_t *p, size_t len, size_t l4, uint8_t proto, size_t field)
{
	uint16_t ps = (uint16_t)~dp_csum_fold(dp_csum_pseudo6(p + 8, p + 24, (uint32_t)(len - l4), proto));
	p[field] = (uint8_t)(ps >> 8);
	p[field + 1] = (uint8_t)ps;
}

/* p (len bytes, its upper layer proto at l4, checksum field at field) is
 * complete and not taken for partial; with the pseudo-header sum in the
 * field it is, with the offsets of that field; completing it as the vnet
 * header says makes it verify, after which it is not partial any more. */
static void partial_roundtrip(uint8_t *p, size_t len, size_t l4, uint8_t proto, size_t field)
{
	struct virtio_net_hdr vh;

	assert_true(l4_ok(p, len, l4, proto));
	assert_false(dp_csum_partial(p, len, &vh));
	partial_at(p, len, l4, proto, field);
	assert_false(l4_ok(p, len, l4, proto));
	assert_true(dp_csum_partial(p, len, &vh));
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vh.csum_start, l4);
	assert_int_equal(vh.csum_offset, field - l4);
	assert_int_equal(dp_csum_complete(p, len, &vh), 0);
	assert_true(l4_ok(p, len, l4, proto));
	assert_false(dp_csum_partial(p, len, &vh));
	partial_at(p, len, l4, proto, field);
}

/* 11b. Telling packets whose checksum a sender on this host left for
 * offload (CHECKSUM_PARTIAL kept through a kernel tunnel and a veth) from
 * complete ones: TCP and UDP, behind extension headers; never a fragment,
 * another protocol, a complete or a corrupted packet. */
static void test_csum_partial(void **st)
{
	struct virtio_net_hdr vh;
	uint8_t p[2000];
	size_t len;

	partial_roundtrip(p, mktcp(p, 32, 0x10, 1000, 1200), 40, 6, 56);
	/* a SYN without payload, as a connecting kernel sends it */
	partial_roundtrip(p, mktcp(p, 40, 0x02, 7, 0), 40, 6, 56);
	/* a corrupted complete packet is no partial one: the stack drops it */
	len = mktcp(p, 20, 0x10, 1, 500);
	p[300] ^= 0x10;
	assert_false(dp_csum_partial(p, len, &vh));
	partial_roundtrip(p, mkudp(p, 0, 1000), 40, 17, 46);
	/* behind hop-by-hop headers: csum_start after them */
	partial_roundtrip(p, mkudp(p, 16, 300), 56, 17, 62);
	len = mkudp(p, 8, 300);
	partial_roundtrip(p, len, 48, 17, 54);
	assert_true(dp_csum_partial(p, len, &vh));
	/* the same 8 bytes as a fragment header (offset 0, id 0: a first
	 * fragment, the UDP header behind it): not for us to judge */
	p[6] = 44;
	p[42] = p[43] = 0;
	assert_false(dp_csum_partial(p, len, &vh));
	/* another protocol, not IPv6, truncated headers */
	len = mk6(p, 58, 64);
	assert_false(dp_csum_partial(p, len, &vh));
	len = mkudp(p, 0, 100);
	partial_at(p, len, 40, 17, 46);
	p[0] = 0x45;
	assert_false(dp_csum_partial(p, len, &vh));
	assert_false(dp_csum_partial(p, 39, &vh));
	len = mk6(p, 6, 10);
	assert_false(dp_csum_partial(p, len, &vh));  /* 10 bytes: no TCP header */
	len = mk6(p, 0, 4);
	assert_false(dp_csum_partial(p, len, &vh));  /* a chain past the end */
	(void)st;
}

/* 11c. Partial segments of one flow are coalesced as complete ones are
 * (the merged packet's checksum is the kernel's to finish either way). */
static void test_gro_partial(void **st)
{
	static uint8_t b[4][2000];
	struct dp_pkt pk[4];
	struct virtio_net_hdr vh;
	size_t off, ml;
	static uint8_t merged[8000];

	for (int i = 0; i < 4; i++) {
		pk[i].data = b[i];
		pk[i].len = mktcp(b[i], 20, 0x10, 100 + (uint32_t)i * 1000, 1000);
		if (i != 2)
			partial(b[i], pk[i].len);
	}
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 4);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	ml = pk[0].len;
	memcpy(merged, b[0], ml);
	for (int i = 1; i < 4; i++) {
		memcpy(merged + ml, b[i] + off, pk[i].len - off);
		ml += pk[i].len - off;
	}
	assert_int_equal(dp_csum_complete(merged, ml, &vh), 0);
	assert_true(tcp_ok(merged, ml));
	/* a partial first segment that goes alone is left for dp_csum_partial */
	pk[0].len = mktcp(b[0], 20, 0x18, 100, 1000);
	partial(b[0], pk[0].len);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	assert_int_equal(vh.flags, 0);
	assert_true(dp_csum_partial(b[0], pk[0].len, &vh));
	(void)st;
}

/* 12. Segmentation as TSO does it: sizes, sequence numbers, flags, valid
 * checksums, the payload in order; chunked calls give the same segments. */
static void test_gso_split(void **st)
{
	static uint8_t p[70000];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
				     .hdr_len = 72, .gso_size = 1000, .csum_start = 40, .csum_offset = 16 };
	struct dp_seg segs[8], one;
	size_t total = 0, len = mktcp(p, 32, 0x80 | 0x18 | 0x01, 0xfffffc00u, 3500); /* CWR PSH ACK FIN */
	uint8_t q[2000];

	partial(p, len);
	assert_int_equal(dp_gso_seg_len(&vh, p, len), 40 + 32 + 1000);
	assert_int_equal(dp_gso_split(&vh, p, len, 0, segs, 8, &total), 4);
	assert_int_equal(total, 4);
	for (size_t i = 0; i < 4; i++) {
		size_t dl = i < 3 ? 1000 : 500;
		uint32_t seq = 0xfffffc00u + (uint32_t)(i * 1000); /* wraps */
		const uint8_t *t = segs[i].hdr + 40;

		assert_int_equal(segs[i].hdr_len, 72);
		assert_int_equal(segs[i].data_len, dl);
		assert_ptr_equal(segs[i].data, p + 72 + i * 1000);
		assert_int_equal(segs[i].hdr[4] << 8 | segs[i].hdr[5], 32 + dl);
		assert_int_equal((uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7], seq);
		assert_int_equal(t[13] & 0x80, i == 0 ? 0x80 : 0);        /* CWR first */
		assert_int_equal(t[13] & 0x09, i == 3 ? 0x09 : 0);        /* FIN, PSH last */
		assert_int_equal(t[13] & 0x10, 0x10);
		memcpy(q, segs[i].hdr, 72);
		memcpy(q + 72, segs[i].data, dl);
		assert_true(tcp_ok(q, 72 + dl));
	}
	/* one at a time from an offset: the same third segment */
	assert_int_equal(dp_gso_split(&vh, p, len, 2, &one, 1, NULL), 1);
	assert_memory_equal(one.hdr, segs[2].hdr, 72);
	assert_int_equal(dp_gso_split(&vh, p, len, 4, &one, 1, NULL), 0);
	/* other GSO kinds and broken offsets */
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	assert_int_equal(dp_gso_split(&vh, p, len, 0, segs, 8, NULL), -EOPNOTSUPP);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.csum_start = 30;
	assert_int_equal(dp_gso_split(&vh, p, len, 0, segs, 8, NULL), -EINVAL);
	vh.csum_start = (uint16_t)(len - 10);
	assert_int_equal(dp_gso_split(&vh, p, len, 0, segs, 8, NULL), -EINVAL);
	assert_int_equal(dp_gso_seg_len(&vh, p, len), 0);
	vh.csum_start = 40;
	vh.gso_size = 0;
	assert_int_equal(dp_gso_split(&vh, p, len, 0, segs, 8, NULL), -EINVAL);
	(void)st;
}

/* 13. Coalescing: a burst of one flow becomes one GSO write whose
 * re-segmentation gives back the original packets byte for byte. */
static void test_gro_roundtrip(void **st)
{
	static uint8_t bufs[6][2000], orig[6][2000], merged[70000];
	struct dp_pkt pk[6];
	size_t lens[6], off = 0, n;
	struct virtio_net_hdr vh;
	struct dp_seg segs[8];

	for (int i = 0; i < 5; i++) {
		uint8_t fl = i == 4 ? 0x18 : 0x10;  /* PSH on the last */
		lens[i] = mktcp(bufs[i], 32, fl, 5000 + (uint32_t)i * 1200, i == 4 ? 300 : 1200);
		memcpy(orig[i], bufs[i], lens[i]);
		pk[i].data = bufs[i];
		pk[i].len = lens[i];
	}
	n = dp_gro_next(pk, 5, 1480, &vh, &off);
	assert_int_equal(n, 5);
	assert_int_equal(off, 72);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(vh.gso_size, 1200);
	assert_int_equal(vh.hdr_len, 72);
	assert_int_equal(vh.csum_start, 40);
	assert_int_equal(vh.csum_offset, 16);
	/* the merged packet: the first whole, then the others' payloads */
	size_t ml = lens[0];
	memcpy(merged, bufs[0], lens[0]);
	for (int i = 1; i < 5; i++) {
		memcpy(merged + ml, bufs[i] + off, lens[i] - off);
		ml += lens[i] - off;
	}
	assert_int_equal(merged[4] << 8 | merged[5], ml - 40);
	assert_int_equal(merged[53] & 0x08, 0x08); /* the last one's PSH */
	/* its checksum field is the partial sum: completing it validates */
	uint8_t tmp[70000];
	memcpy(tmp, merged, ml);
	assert_int_equal(dp_csum_complete(tmp, ml, &vh), 0);
	assert_true(tcp_ok(tmp, ml));
	/* and cutting it again yields the originals */
	assert_int_equal(dp_gso_split(&vh, merged, ml, 0, segs, 8, NULL), 5);
	for (int i = 0; i < 5; i++) {
		uint8_t q[2000];
		memcpy(q, segs[i].hdr, segs[i].hdr_len);
		memcpy(q + segs[i].hdr_len, segs[i].data, segs[i].data_len);
		assert_int_equal(segs[i].hdr_len + segs[i].data_len, lens[i]);
		assert_memory_equal(q, orig[i], lens[i]);
	}
	(void)st;
}

/* 14. What stops a burst: another flow, a gap, a bad checksum, a SYN, a
 * bigger segment, a pure ACK, a push. */
static void test_gro_breaks(void **st)
{
	static uint8_t b[4][2000];
	struct dp_pkt pk[4];
	struct virtio_net_hdr vh;
	size_t off;

	for (int i = 0; i < 4; i++) {
		pk[i].data = b[i];
		pk[i].len = mktcp(b[i], 20, 0x10, 100 + (uint32_t)i * 1000, 1000);
	}
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 4);
	assert_int_equal(vh.gso_size, 1000);
	/* another flow in the middle (a different port) */
	for (int i = 0; i < 4; i++)
		pk[i].len = mktcp(b[i], 20, 0x10, 100 + (uint32_t)i * 1000, 1000);
	b[2][41] ^= 1;
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 2);
	/* a gap in the sequence (a merge rewrote the first: build it again) */
	for (int i = 0; i < 4; i++)
		pk[i].len = mktcp(b[i], 20, 0x10, 100 + (uint32_t)i * 1000, 1000);
	pk[2].len = mktcp(b[2], 20, 0x10, 100 + 2 * 1000 + 1, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 2);
	/* a corrupted second segment: never merged, the first goes alone */
	for (int i = 0; i < 4; i++)
		pk[i].len = mktcp(b[i], 20, 0x10, 100 + (uint32_t)i * 1000, 1000);
	b[1][500] ^= 0x40;
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(b[0][4] << 8 | b[0][5], 1020);  /* untouched */
	/* a corrupted first one */
	pk[1].len = mktcp(b[1], 20, 0x10, 1100, 1000);
	b[0][300] ^= 0x40;
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	/* SYN, FIN, pure ACK are never merged */
	pk[0].len = mktcp(b[0], 20, 0x12, 100, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	pk[0].len = mktcp(b[0], 20, 0x11, 100, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	pk[0].len = mktcp(b[0], 20, 0x10, 1100, 0);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	/* a longer segment after the first */
	pk[0].len = mktcp(b[0], 20, 0x10, 100, 500);
	pk[1].len = mktcp(b[1], 20, 0x10, 600, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	/* a short one ends the burst */
	pk[3].len = mktcp(b[3], 20, 0x10, 2110, 1000);
	pk[0].len = mktcp(b[0], 20, 0x10, 100, 1000);
	pk[1].len = mktcp(b[1], 20, 0x10, 1100, 10);
	pk[2].len = mktcp(b[2], 20, 0x10, 1110, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 2);
	/* a push ends it too; a pushed first segment goes alone */
	pk[0].len = mktcp(b[0], 20, 0x18, 100, 1000);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	/* one packet alone, not IPv6/TCP */
	assert_int_equal(dp_gro_next(pk, 1, 1480, &vh, &off), 1);
	pk[0].len = mk6(b[0], 17, 100);
	assert_int_equal(dp_gro_next(pk, 4, 1480, &vh, &off), 1);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	(void)st;
}

/* 15. A burst stops before 64 KiB; a TCP packet already above the MTU (the
 * kernel's GRO) is marked GSO with segments that fit. */
static void test_gro_limits(void **st)
{
	static uint8_t b[60][1500], big[20000];
	struct dp_pkt pk[60];
	struct virtio_net_hdr vh;
	size_t off, n, tot = 0;

	for (int i = 0; i < 60; i++) {
		pk[i].data = b[i];
		pk[i].len = mktcp(b[i], 20, 0x10, (uint32_t)i * 1400, 1400);
	}
	n = dp_gro_next(pk, 60, 1480, &vh, &off);
	tot = 60 + n * 1400;
	assert_true(n > 40 && tot <= 65535);
	assert_true(tot + 1400 > 65535);
	/* the next call continues with the rest */
	assert_true(dp_gro_next(pk + n, 60 - n, 1480, &vh, &off) == 60 - n);
	size_t len = mktcp(big, 32, 0x19, 1, 10000);  /* FIN PSH ACK, 10 KB */
	partial(big, len);
	pk[0].data = big;
	pk[0].len = len;
	assert_int_equal(dp_gro_next(pk, 1, 1480, &vh, &off), 1);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(vh.gso_size, 1480 - 40 - 32);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(dp_csum_complete(big, len, &vh), 0);
	assert_true(tcp_ok(big, len));
	(void)st;
}

/* 16. Default file paths in the instance's run dir. */
static void test_paths(void **st)
{
	char buf[256];

	assert_int_equal(tunnel_path("/var/lib/jail6/run", "he0", ".pid", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/jail6/run/tunnel/he0.pid");
	assert_int_equal(tunnel_path("/tmp/t/state/run", "he0", ".stats", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/t/state/run/tunnel/he0.stats");
	assert_int_equal(tunnel_path("/r", NULL, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/tunnel");
	assert_int_equal(tunnel_path("/var/lib/jail6/run", "he0", ".log", buf, 10), -ENAMETOOLONG);
	assert_int_equal(tunnel_path(NULL, "he0", ".pid", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(tunnel_path("relative", "he0", ".pid", buf, sizeof(buf)), -EINVAL);
	(void)st;
}

/* 17. Options are checked at the edge. */
static void test_opts_check(void **st)
{
	struct tunnel_opts o = { .name = "he0", .ttl = 64, .mtu = 1480, .local_auto = true };
	const char *why = NULL;

	assert_int_equal(addr_parse("198.51.100.1", ADDR_V4_ONLY, &o.remote, NULL), 0);
	assert_int_equal(tunnel_opts_check(&o, &why), 0);
	assert_null(why);
	o.mtu = 1481;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_string_equal(why, "the MTU must be 1280..1480");
	o.mtu = 1280;
	o.ttl = 0;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	o.ttl = 255;
	o.name = "this-name-is-too-long";
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	o.name = "he0";
	o.local_auto = false;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_string_equal(why, "the local endpoint must be an IPv4 address or auto");
	o.local_auto = true;
	o.stats = "relative.stats";
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	o.stats = NULL;
	o.host_netns = "../x";
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	o.host_netns = NULL;
	/* a keepalive: in range, and toward the peer's IPv6 address */
	o.keepalive = 30;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_string_equal(why, "a keepalive needs the peer's IPv6 address");
	o.has_peer = true;
	assert_int_equal(addr_parse("192.0.2.1", ADDR_V4_ONLY, &o.peer, NULL), 0);
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_int_equal(addr_parse("2001:db8::1", ADDR_V6_ONLY, &o.peer, NULL), 0);
	assert_int_equal(tunnel_opts_check(&o, &why), 0);
	o.keepalive = 86401;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_string_equal(why, "the keepalive must be 1..86400 seconds (0: none)");
	o.keepalive = -1;
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	o.keepalive = 86400;
	assert_int_equal(tunnel_opts_check(&o, &why), 0);
	/* a via is IPv4; the state dir absolute */
	o.has_via = true;
	assert_int_equal(addr_parse("2001:db8::1", ADDR_V6_ONLY, &o.via, NULL), 0);
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	assert_string_equal(why, "via must be an IPv4 address");
	assert_int_equal(addr_parse("192.0.2.1", ADDR_V4_ONLY, &o.via, NULL), 0);
	assert_int_equal(tunnel_opts_check(&o, &why), 0);
	o.state_dir = "state";
	assert_int_equal(tunnel_opts_check(&o, &why), -EINVAL);
	(void)st;
}

/* 18. The stats file: every key the spec lists, and a round trip. */
static void test_stats_file(void **st)
{
	char path[] = "/tmp/jail6-test-stats-XXXXXX";
	int fd = mkstemp(path);
	struct tunnel_stats s = { .pid = 1234, .name = "he0", .local = "192.0.2.2", .remote = "198.51.100.1",
				  .ttl = 64, .mtu = 1480, .started = 1700000000, .restarts = 2 }, r;
	static const char *const keys[] = { "pid", "name", "local", "remote", "ttl", "mtu", "started",
					    "restarts", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
					    "ptb_sent", "drops" };

	assert_true(fd >= 0);
	close(fd);
	s.c.rx_packets = 5;
	s.c.rx_bytes = 5000000000ULL;
	s.c.tx_packets = 7;
	s.c.ptb_sent = 1;
	for (int v = 1; v < DP_DROP_COUNT; v++)
		s.c.drops[v] = (uint64_t)v * 10;
	assert_int_equal(tunnel_stats_write(path, &s), 0);
	json_t *js = json_load_file(path, 0, NULL);
	assert_non_null(js);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(js, keys[i]));
	assert_int_equal(json_object_size(json_object_get(js, "drops")), DP_DROP_COUNT - 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(js, "drops"), "wrong_source")), 10);
	json_decref(js);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_int_equal(r.pid, 1234);
	assert_string_equal(r.name, "he0");
	assert_string_equal(r.local, "192.0.2.2");
	assert_string_equal(r.remote, "198.51.100.1");
	assert_int_equal(r.restarts, 2);
	assert_memory_equal(&r.c, &s.c, sizeof(s.c));
	assert_string_equal(r.datapath, "");
	/* the eBPF datapath's file: which datapath, and where its filters are */
	snprintf(s.datapath, sizeof(s.datapath), "ebpf");
	snprintf(s.underlay, sizeof(s.underlay), "eth0");
	snprintf(s.decap, sizeof(s.decap), "userspace");
	s.tc = (struct tunnel_ebpf_tc){ .underlay = 2, .tun = 7, .handle = 7, .own_clsact = TUNNEL_EBPF_CLSACT_TUN };
	assert_int_equal(tunnel_stats_write(path, &s), 0);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_string_equal(r.datapath, "ebpf");
	assert_string_equal(r.underlay, "eth0");
	assert_string_equal(r.decap, "userspace");
	assert_memory_equal(&r.tc, &s.tc, sizeof(s.tc));
	assert_memory_equal(&r.c, &s.c, sizeof(s.c));
	/* a via: no "via" nor "held" key without one; both, and back */
	assert_string_equal(r.via, "");
	assert_false(r.held);
	snprintf(s.via, sizeof(s.via), "192.0.2.1");
	s.held = true;
	assert_int_equal(tunnel_stats_write(path, &s), 0);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_string_equal(r.via, "192.0.2.1");
	assert_true(r.held);
	/* not JSON, or missing */
	FILE *f = fopen(path, "w");
	fputs("nope", f);
	fclose(f);
	assert_int_equal(tunnel_stats_read(path, &r), -EINVAL);
	unlink(path);
	assert_int_equal(tunnel_stats_read(path, &r), -ENOENT);
	(void)st;
}

/* The liveness fields of r are want's. */
static void assert_liveness(const struct tunnel_stats *r, const struct tunnel_stats *want)
{
	assert_int_equal(r->updated, want->updated);
	assert_int_equal(r->last_rx, want->last_rx);
	assert_int_equal(r->keepalive, want->keepalive);
	assert_int_equal(r->ka_sent, want->ka_sent);
	assert_int_equal(r->ka_replies, want->ka_replies);
}

/* 19. Liveness in the stats file: when written, when a packet last came
 * from the remote, the keepalive's interval and counts; a file of an older
 * release (without them) reads them as 0, and as written at its mtime. */
static void test_stats_liveness(void **st)
{
	char path[] = "/tmp/jail6-test-stats-XXXXXX";
	int fd = mkstemp(path);
	struct tunnel_stats s = { .pid = 1, .name = "he0", .ttl = 64, .mtu = 1480, .updated = 1700000100,
				  .last_rx = 1700000090, .keepalive = 30, .ka_sent = 4, .ka_replies = 3 }, r;
	struct timeval tv[2] = { { .tv_sec = 1600000000 }, { .tv_sec = 1600000000 } };
	json_t *js;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tunnel_stats_write(path, &s), 0);
	js = json_load_file(path, 0, NULL);
	assert_non_null(js);
	assert_int_equal(json_integer_value(json_object_get(js, "updated")), 1700000100);
	assert_int_equal(json_integer_value(json_object_get(js, "last_rx")), 1700000090);
	assert_int_equal(json_integer_value(json_object_get(js, "keepalive")), 30);
	assert_int_equal(json_integer_value(json_object_get(js, "keepalive_sent")), 4);
	assert_int_equal(json_integer_value(json_object_get(js, "keepalive_replies")), 3);
	json_decref(js);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_liveness(&r, &s);
	/* the age: by updated; the future is 0; unknown is INT64_MAX */
	assert_int_equal(tunnel_stats_age(&r, 1700000107), 7);
	assert_int_equal(tunnel_stats_age(&r, 1700000000), 0);
	r.updated = 0;
	assert_true(tunnel_stats_age(&r, 1700000107) == INT64_MAX);
	/* a file of the release before: no liveness keys */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"pid\":9,\"name\":\"he0\",\"mtu\":1480,\"rx_packets\":3,\"datapath\":\"userspace\"}", f);
	fclose(f);
	assert_int_equal(utimes(path, tv), 0);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_int_equal(r.pid, 9);
	assert_int_equal(r.c.rx_packets, 3);
	assert_liveness(&r, &(struct tunnel_stats){ .updated = 1600000000 });
	assert_int_equal(tunnel_stats_age(&r, 1600000006), 6);
	unlink(path);
	(void)st;
}

/* 20. The control channel between the datapath and its parent (ctl.h):
 * one message per datagram, a descriptor along, the peer's end; and what
 * a datapath sends, however wrong, is a stats file jansson reads back. */
static void test_ctl_channel(void **st)
{
	char path[] = "/tmp/jail6-test-stats-XXXXXX";
	struct ctl_msg m = { .type = CTL_STATS, .arg = { 1, 2, 3, 4 } }, g;
	struct tunnel_stats r;
	int sv[2], fd = -1, pfd = mkstemp(path);

	assert_true(pfd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(m.s.name, sizeof(m.s.name), "he0");
	m.s.c.rx_packets = 42;
	assert_int_equal(ctl_send(sv[0], &m, pfd), 0);
	assert_int_equal(ctl_recv(sv[1], &g, &fd), 0);
	assert_int_equal(g.type, CTL_STATS);
	assert_int_equal(g.arg[3], 4);
	assert_true(g.s.c.rx_packets == 42);
	assert_true(fd >= 0 && fd != pfd);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* a datagram of the wrong size is refused, the next one is read */
	assert_int_equal(send(sv[0], "x", 1, 0), 1);
	assert_int_equal(ctl_recv(sv[1], &g, NULL), -EBADMSG);
	assert_int_equal(ctl_send(sv[0], &m, -1), 0);
	assert_int_equal(ctl_recv(sv[1], &g, NULL), 0);
	/* nothing there (non-blocking), then the peer's end */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	assert_int_equal(ctl_recv(sv[1], &g, NULL), -EAGAIN);
	close(sv[0]);
	assert_int_equal(ctl_recv(sv[1], &g, NULL), -EPIPE);
	close(sv[1]);

	/* a hostile datapath's stats: unterminated strings, bytes a JSON
	 * string must escape or cannot hold, another name, a wild bool */
	memset(&m.s, 'A', sizeof(m.s));
	memcpy(m.s.local, "1.2.3.4\"\n\x01", 11);
	memset(m.s.remote, 0, sizeof(m.s.remote));
	memcpy(m.s.remote, "\xff\xfe", 2);
	memset(&m.s.held, 7, 1);
	ctl_stats_sanitize(&m.s, "he0", 77);
	assert_string_equal(m.s.name, "he0");
	assert_int_equal(m.s.pid, 77);
	assert_string_equal(m.s.local, "");
	assert_string_equal(m.s.remote, "");
	assert_int_equal(strlen(m.s.datapath), sizeof(m.s.datapath) - 1);
	assert_true(m.s.held);
	assert_int_equal(tunnel_stats_write(path, &m.s), 0);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_string_equal(r.name, "he0");
	assert_int_equal(r.pid, 77);
	assert_string_equal(r.datapath, m.s.datapath);
	assert_true(r.held);
	/* printable ASCII stays, quotes and backslashes escaped by jansson */
	snprintf(m.s.via, sizeof(m.s.via), "a\"b\\c");
	ctl_stats_sanitize(&m.s, "he0", 77);
	assert_int_equal(tunnel_stats_write(path, &m.s), 0);
	assert_int_equal(tunnel_stats_read(path, &r), 0);
	assert_string_equal(r.via, "a\"b\\c");
	close(pfd);
	unlink(path);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_decap_ok),
		cmocka_unit_test(test_decap_outer),
		cmocka_unit_test(test_decap_options),
		cmocka_unit_test(test_decap_endpoints),
		cmocka_unit_test(test_decap_inner),
		cmocka_unit_test(test_decap_garbage),
		cmocka_unit_test(test_encap_check),
		cmocka_unit_test(test_ptb),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_csum_complete),
		cmocka_unit_test(test_csum_partial),
		cmocka_unit_test(test_gro_partial),
		cmocka_unit_test(test_gso_split),
		cmocka_unit_test(test_gro_roundtrip),
		cmocka_unit_test(test_gro_breaks),
		cmocka_unit_test(test_gro_limits),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_opts_check),
		cmocka_unit_test(test_stats_file),
		cmocka_unit_test(test_stats_liveness),
		cmocka_unit_test(test_ctl_channel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
