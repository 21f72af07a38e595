/* src/tunnel/gso.c and gro.c: TUN super-packets cut into the packets the
 * kernel would send, and client segments joined back, checked with an
 * independent checksum, for TCP over IPv4 and IPv6 and UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "tunnel/offload.h"

#define MSS 1448

/* Reference RFC 1071 checksum, byte by byte in network order. */
static uint32_t ref_sum(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return acc;
}

static uint16_t ref_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static bool v6(const uint8_t *ip)
{
	return (ip[0] >> 4) == 6;
}

static size_t l4_off(const uint8_t *ip)
{
	return v6(ip) ? 40 : (size_t)(ip[0] & 15) * 4;
}

/* True when the IP header (v4) and the TCP/UDP checksum verify. */
static bool ref_valid(const uint8_t *ip, size_t len)
{
	size_t l4 = l4_off(ip);
	if (!v6(ip) && ref_fold(ref_sum(0, ip, l4)) != 0xffff)
		return false;
	uint8_t proto = v6(ip) ? ip[6] : ip[9];
	uint8_t ph[4] = {0, proto, (uint8_t)((len - l4) >> 8), (uint8_t)(len - l4)};
	uint32_t acc = v6(ip) ? ref_sum(0, ip + 8, 32) : ref_sum(0, ip + 12, 8);
	acc = ref_sum(ref_sum(acc, ph, 4), ip + l4, len - l4);
	return ref_fold(acc) == 0xffff;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Fills a correct checksum into a packet built by hand. */
static void ref_fill(uint8_t *ip, size_t len)
{
	size_t l4 = l4_off(ip);
	uint8_t proto = v6(ip) ? ip[6] : ip[9];
	size_t at = l4 + (proto == 6 ? 16 : 6);
	ip[at] = ip[at + 1] = 0;
	if (!v6(ip)) {
		ip[10] = ip[11] = 0;
		uint16_t c = (uint16_t)~ref_fold(ref_sum(0, ip, l4));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	uint8_t ph[4] = {0, proto, (uint8_t)((len - l4) >> 8), (uint8_t)(len - l4)};
	uint32_t acc = v6(ip) ? ref_sum(0, ip + 8, 32) : ref_sum(0, ip + 12, 8);
	uint16_t c = (uint16_t)~ref_fold(ref_sum(ref_sum(acc, ph, 4), ip + l4, len - l4));
	ip[at] = (uint8_t)(c >> 8);
	ip[at + 1] = (uint8_t)c;
}

/* IPv4 or IPv6 + TCP with a timestamp option (32-byte header) and payload
 * bytes i*7; seq 1000, id 0x1234, ACK|PSH. Returns the packet length. */
static size_t tcp_pkt(uint8_t *p, bool ip6, size_t payload, uint32_t seq, uint16_t id)
{
	size_t l4 = ip6 ? 40 : 20, len = l4 + 32 + payload;
	memset(p, 0, l4 + 32);
	if (ip6) {
		p[0] = 0x60;
		p[4] = (uint8_t)((len - 40) >> 8);
		p[5] = (uint8_t)(len - 40);
		p[6] = 6;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	} else {
		const uint8_t h[20] = {0x45,
				       0,
				       (uint8_t)(len >> 8),
				       (uint8_t)len,
				       (uint8_t)(id >> 8),
				       (uint8_t)id,
				       0x40,
				       0,
				       64,
				       6,
				       0,
				       0,
				       10,
				       1,
				       0,
				       10,
				       172,
				       16,
				       201,
				       2};
		memcpy(p, h, 20);
	}
	uint8_t *t = p + l4;
	const uint8_t th[32] = {0x13,
				0x88,
				0xc0,
				0x01,
				(uint8_t)(seq >> 24),
				(uint8_t)(seq >> 16),
				(uint8_t)(seq >> 8),
				(uint8_t)seq,
				0,
				0,
				0,
				77,
				0x80,
				0x18,
				0x01,
				0xf5,
				0,
				0,
				0,
				0,
				1,
				1,
				8,
				10,
				0,
				0,
				0,
				9,
				0,
				0,
				0,
				5};
	memcpy(t, th, 32);
	for (size_t i = 0; i < payload; i++)
		t[32 + i] = (uint8_t)((seq + i) * 7);
	return len;
}

/* The kernel's form: virtio-net header, TSO, the TCP checksum field holding
 * the pseudo-header sum (CHECKSUM_PARTIAL). */
static size_t tso_super(uint8_t *buf, bool ip6, size_t payload)
{
	uint8_t *ip = buf + VNET_HDR_LEN;
	size_t len = tcp_pkt(ip, ip6, payload, 1000, 0x1234);
	ref_fill(ip, len); /* the IPv4 header checksum */
	size_t l4 = ip6 ? 40 : 20;
	uint8_t ph[4] = {0, 6, (uint8_t)((len - l4) >> 8), (uint8_t)(len - l4)};
	uint32_t acc = ip6 ? ref_sum(0, ip + 8, 32) : ref_sum(0, ip + 12, 8);
	uint16_t partial = ref_fold(ref_sum(acc, ph, 4));
	ip[l4 + 16] = (uint8_t)(partial >> 8);
	ip[l4 + 17] = (uint8_t)partial;
	struct vnet_hdr h = {VNET_F_NEEDS_CSUM,	  ip6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
			     (uint16_t)(l4 + 32), MSS,
			     (uint16_t)l4,	  16};
	vnet_hdr_write(buf, &h);
	return VNET_HDR_LEN + len;
}

static uint8_t segs[64][2048];
static size_t seg_len[64];

static int cut(const uint8_t *buf, size_t len)
{
	struct gso_iter it;
	assert_int_equal(gso_begin(&it, buf, len), 0);
	int n = 0;
	const uint8_t *p;
	size_t sl;
	uint8_t out[2048];
	while (n < 64 && (p = gso_next(&it, out, sizeof(out), &sl))) {
		memcpy(segs[n], p, sl);
		seg_len[n++] = sl;
	}
	return n;
}

static void check_tcp_segments(bool ip6)
{
	static uint8_t buf[VNET_HDR_LEN + 65536];
	size_t payload = 10 * MSS + 100;
	size_t len = tso_super(buf, ip6, payload);
	int n = cut(buf, len);
	assert_int_equal(n, 11);
	size_t l4 = ip6 ? 40 : 20;
	for (int i = 0; i < n; i++) {
		uint8_t *p = segs[i];
		size_t want = l4 + 32 + (i < 10 ? MSS : 100);
		assert_int_equal(seg_len[i], want);
		assert_true(ref_valid(p, want));
		assert_int_equal(be32(p + l4 + 4), 1000 + (uint32_t)i * MSS);
		if (ip6) {
			assert_int_equal(be16(p + 4), want - 40);
		} else {
			assert_int_equal(be16(p + 2), want);
			assert_int_equal(be16(p + 4), 0x1234 + i);
		}
		/* PSH only on the last; CWR only on the first. */
		assert_int_equal(p[l4 + 13], i == n - 1 ? 0x18 : 0x10);
		assert_int_equal(p[l4 + 32], (uint8_t)((1000 + (uint32_t)i * MSS) * 7));
	}
}

static void test_tso4_cut(void **state)
{
	(void)state;
	check_tcp_segments(false);
}

static void test_tso6_cut(void **state)
{
	(void)state;
	check_tcp_segments(true);
}

struct capture {
	uint8_t buf[8][VNET_HDR_LEN + 65536];
	size_t len[8];
	int n;
};

static int capture_out(void *ctx, const struct iovec *iov, int n)
{
	struct capture *c = ctx;
	if (c->n == 8)
		return -1;
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		memcpy(c->buf[c->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	c->len[c->n++] = off;
	return 0;
}

static struct gro g;
static struct capture cap;

/* Cut, join, cut again: the same segments come out. */
static void check_round_trip(bool ip6)
{
	static uint8_t buf[VNET_HDR_LEN + 65536];
	int n = cut(buf, tso_super(buf, ip6, 20 * MSS + 7));
	assert_int_equal(n, 21);
	static uint8_t first[21][2048];
	static size_t first_len[21];
	for (int i = 0; i < n; i++) {
		memcpy(first[i], segs[i], seg_len[i]);
		first_len[i] = seg_len[i];
		assert_int_equal(gro_add(&g, segs[i], seg_len[i]), 0);
	}
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(gro_flush(&g, capture_out, &cap), 0);
	assert_int_equal(cap.n, 1);
	struct vnet_hdr h;
	assert_int_equal(vnet_hdr_parse(cap.buf[0], cap.len[0], &h), 0);
	assert_int_equal(h.gso_type, ip6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4);
	assert_int_equal(h.gso_size, MSS);
	assert_int_equal(h.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(cut(cap.buf[0], cap.len[0]), n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(seg_len[i], first_len[i]);
		assert_memory_equal(segs[i], first[i], first_len[i]);
	}
}

static void test_gro_round_trip4(void **state)
{
	(void)state;
	check_round_trip(false);
}

static void test_gro_round_trip6(void **state)
{
	(void)state;
	check_round_trip(true);
}

static void add_tcp(bool ip6, size_t payload, uint32_t seq, uint16_t id, uint8_t flags)
{
	static uint8_t p[2048];
	size_t len = tcp_pkt(p, ip6, payload, seq, id);
	p[(ip6 ? 40 : 20) + 13] = flags;
	ref_fill(p, len);
	assert_int_equal(gro_add(&g, p, len), 0);
}

/* What must not join: a gap in sequence numbers, a SYN, a bad checksum, a
 * segment after a short one; and a packet that cannot join keeps later
 * ones of its flow behind it. */
static void test_gro_refuses(void **state)
{
	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&g, 0, sizeof(g));
	add_tcp(false, MSS, 1000, 1, 0x10);
	add_tcp(false, MSS, 1000 + 2 * MSS, 2, 0x10); /* gap */
	assert_int_equal(g.n, 2);
	add_tcp(false, MSS, 1000 + 3 * MSS, 3, 0x12); /* SYN|ACK */
	assert_int_equal(g.n, 3);
	add_tcp(false, MSS, 1000 + 4 * MSS, 4, 0x10); /* not into entry 1: after the SYN */
	assert_int_equal(g.n, 4);
	add_tcp(false, 100, 1000 + 5 * MSS, 5, 0x10); /* short: joins and closes */
	add_tcp(false, MSS, 1000 + 5 * MSS + 100, 6, 0x10);
	assert_int_equal(g.n, 5);
	static uint8_t p[2048];
	size_t len = tcp_pkt(p, false, MSS, 1000 + 6 * MSS + 100, 7);
	ref_fill(p, len);
	p[60] ^= 1; /* corrupt payload: the checksum no longer verifies */
	assert_int_equal(gro_add(&g, p, len), 0);
	assert_int_equal(g.n, 6);
	assert_int_equal(g.merged, 1);
	assert_int_equal(gro_flush(&g, capture_out, &cap), 0);
	assert_int_equal(cap.n, 6);
	/* Written as they came, without an offload, but the one joined run. */
	uint32_t seqs[6] = {1000,	    1000 + 2 * MSS,	  1000 + 3 * MSS,
			    1000 + 4 * MSS, 1000 + 5 * MSS + 100, 1000 + 6 * MSS + 100};
	for (int i = 0; i < 6; i++) {
		struct vnet_hdr h;
		vnet_hdr_parse(cap.buf[i], cap.len[i], &h);
		assert_int_equal(h.gso_type, i == 3 ? VNET_GSO_TCPV4 : VNET_GSO_NONE);
		assert_int_equal(be32(cap.buf[i] + VNET_HDR_LEN + 24), seqs[i]);
	}
	assert_int_equal(cap.len[3], VNET_HDR_LEN + 52 + MSS + 100);
	assert_false(ref_valid(cap.buf[5] + VNET_HDR_LEN, cap.len[5] - VNET_HDR_LEN));
}

/* Two interleaved flows both join; PSH closes a run; non-TCP passes. */
static void test_gro_flows(void **state)
{
	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&g, 0, sizeof(g));
	for (int i = 0; i < 4; i++) {
		add_tcp(false, MSS, 5000 + (uint32_t)i * MSS, (uint16_t)(10 + i), 0x10);
		add_tcp(true, MSS, 9000 + (uint32_t)i * MSS, 0, i == 2 ? 0x18 : 0x10);
	}
	uint8_t icmp[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 1, 0, 10, 172, 16, 201, 2};
	assert_int_equal(gro_add(&g, icmp, sizeof(icmp)), 0);
	assert_int_equal(gro_flush(&g, capture_out, &cap), 0);
	assert_int_equal(cap.n, 4); /* v4 run, v6 run (closed by PSH), v6 alone, ICMP */
	assert_int_equal(cap.len[0], VNET_HDR_LEN + 52 + 4 * MSS);
	assert_int_equal(cap.len[1], VNET_HDR_LEN + 72 + 3 * MSS);
	assert_int_equal(cap.buf[1][VNET_HDR_LEN + 40 + 13], 0x18);
	assert_int_equal(cap.len[2], VNET_HDR_LEN + 72 + MSS);
	assert_int_equal(cap.len[3], VNET_HDR_LEN + 28);
	assert_memory_equal(cap.buf[3] + VNET_HDR_LEN, icmp, 28);
}

static void add_ack(uint32_t ack, size_t thlen_extra)
{
	static uint8_t p[2048];
	size_t len = tcp_pkt(p, false, 0, 5000, 1);
	uint8_t *t = p + 20;
	t[8] = (uint8_t)(ack >> 24);
	t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8);
	t[11] = (uint8_t)ack;
	t[13] = 0x10;
	if (thlen_extra) { /* a SACK block after the timestamp */
		const uint8_t sack[12] = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2};
		memcpy(t + 32, sack, 12);
		t[12] = (44 / 4) << 4;
		len += 12;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
	}
	ref_fill(p, len);
	assert_int_equal(gro_add(&g, p, len), 0);
}

/* A newer bare ACK of a flow takes the place of the older one queued last
 * for it; an older number, a SACK, or data in between keep both. */
static void test_ack_replaced(void **state)
{
	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&g, 0, sizeof(g));
	add_ack(100, 0);
	add_ack(200, 0); /* replaces 100 */
	assert_int_equal(g.n, 1);
	add_ack(150, 0); /* older: kept, queued after */
	assert_int_equal(g.n, 2);
	add_ack(300, 12); /* carries SACK: never merged */
	assert_int_equal(g.n, 3);
	add_tcp(false, MSS, 5000, 1, 0x10); /* data of the same flow */
	add_ack(400, 0);
	add_ack(500, 0); /* replaces 400, not anything before the data */
	assert_int_equal(g.n, 5);
	assert_int_equal(g.acks_replaced, 2);
	assert_int_equal(gro_flush(&g, capture_out, &cap), 0);
	const uint32_t acks[5] = {200, 150, 300, 77, 500};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(be32(cap.buf[i] + VNET_HDR_LEN + 28), acks[i]);
		assert_true(ref_valid(cap.buf[i] + VNET_HDR_LEN, cap.len[i] - VNET_HDR_LEN));
	}
}

/* UDP segmentation offload: lengths and checksums per datagram. */
static void test_uso_cut(void **state)
{
	(void)state;
	static uint8_t buf[VNET_HDR_LEN + 65536];
	uint8_t *ip = buf + VNET_HDR_LEN;
	size_t payload = 3 * 1200 + 1, len = 28 + payload;
	const uint8_t h[28] = {0x45,
			       0,
			       (uint8_t)(len >> 8),
			       (uint8_t)len,
			       0,
			       9,
			       0,
			       0,
			       64,
			       17,
			       0,
			       0,
			       10,
			       1,
			       0,
			       10,
			       172,
			       16,
			       201,
			       2,
			       0x13,
			       0x88,
			       0x30,
			       0x39};
	memcpy(ip, h, 28);
	memset(ip + 28, 0xab, payload);
	struct vnet_hdr vh = {0, VNET_GSO_UDP_L4, 28, 1200, 20, 6};
	vnet_hdr_write(buf, &vh);
	int n = cut(buf, VNET_HDR_LEN + len);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		size_t want = 28 + (i < 3 ? 1200 : 1);
		assert_int_equal(seg_len[i], want);
		assert_int_equal(be16(segs[i] + 24), want - 20);
		assert_int_equal(be16(segs[i] + 4), 9 + i);
		assert_true(ref_valid(segs[i], want));
	}
}

/* A single packet with its checksum left partial gets it completed. */
static void test_csum_completed(void **state)
{
	(void)state;
	static uint8_t buf[VNET_HDR_LEN + 2048];
	uint8_t *ip = buf + VNET_HDR_LEN;
	size_t len = tcp_pkt(ip, false, 333, 77, 1);
	ref_fill(ip, len);
	uint8_t want[2048];
	memcpy(want, ip, len);
	uint8_t ph[4] = {0, 6, (uint8_t)((len - 20) >> 8), (uint8_t)(len - 20)};
	uint16_t partial = ref_fold(ref_sum(ref_sum(0, ip + 12, 8), ph, 4));
	ip[36] = (uint8_t)(partial >> 8);
	ip[37] = (uint8_t)partial;
	struct vnet_hdr vh = {VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 52, 0, 20, 16};
	vnet_hdr_write(buf, &vh);
	assert_int_equal(cut(buf, VNET_HDR_LEN + len), 1);
	assert_int_equal(seg_len[0], len);
	assert_memory_equal(segs[0], want, len);
	/* Without the flag the packet comes back as it is, not copied. */
	memset(buf, 0, VNET_HDR_LEN);
	struct gso_iter it;
	size_t n;
	uint8_t out[16];
	assert_int_equal(gso_begin(&it, buf, VNET_HDR_LEN + len), 0);
	assert_ptr_equal(gso_next(&it, out, sizeof(out), &n), ip);
	assert_int_equal(n, len);
	assert_null(gso_next(&it, out, sizeof(out), &n));
}

/* Headers that do not match their offload, or run past the packet. */
static void test_gso_refuses(void **state)
{
	(void)state;
	static uint8_t buf[VNET_HDR_LEN + 65536];
	struct gso_iter it;
	assert_int_equal(gso_begin(&it, buf, VNET_HDR_LEN - 1), P2S_E_TRUNC);
	size_t len = tso_super(buf, false, 3000);
	buf[1] = VNET_GSO_TCPV6; /* an IPv4 packet */
	assert_int_equal(gso_begin(&it, buf, len), P2S_E_PROTO);
	len = tso_super(buf, false, 3000);
	buf[VNET_HDR_LEN + 7] = 1; /* a fragment */
	assert_int_equal(gso_begin(&it, buf, len), P2S_E_PROTO);
	len = tso_super(buf, false, 3000);
	buf[6] = 24; /* csum_start elsewhere than the TCP header */
	assert_int_equal(gso_begin(&it, buf, len), P2S_E_PROTO);
	len = tso_super(buf, false, 3000);
	assert_int_equal(gso_begin(&it, buf, VNET_HDR_LEN + 40), P2S_E_TRUNC); /* options cut */
	buf[4] = buf[5] = 0;						       /* gso_size 0 */
	assert_int_equal(gso_begin(&it, buf, len), P2S_E_PROTO);
	len = tso_super(buf, false, 3000);
	buf[0] = VNET_F_NEEDS_CSUM;
	buf[1] = VNET_GSO_NONE;
	buf[6] = 0xff; /* the checksum field beyond the packet */
	buf[7] = 0xff;
	assert_int_equal(gso_begin(&it, buf, len), P2S_E_TRUNC);
	/* A segment larger than the caller's buffer ends the packet. */
	len = tso_super(buf, false, 3000);
	uint8_t small[100];
	size_t n;
	assert_int_equal(gso_begin(&it, buf, len), 0);
	assert_null(gso_next(&it, small, sizeof(small), &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tso4_cut),	cmocka_unit_test(test_tso6_cut),
		cmocka_unit_test(test_gro_round_trip4), cmocka_unit_test(test_gro_round_trip6),
		cmocka_unit_test(test_gro_refuses),	cmocka_unit_test(test_gro_flows),
		cmocka_unit_test(test_uso_cut),		cmocka_unit_test(test_csum_completed),
		cmocka_unit_test(test_gso_refuses),	cmocka_unit_test(test_ack_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
