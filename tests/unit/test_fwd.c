/* src/tunnel/fwd: the inner-source check and clients kept apart, IPv4 and
 * IPv6, with fake sessions and a pipe standing in for the TUN device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "tunnel/fwd.h"

struct sent {
	struct session *to;
	size_t len;
	int count;
};
static struct sent sent;

static void fake_send(struct session *s, const uint8_t *pkt, size_t len)
{
	(void)pkt;
	sent.to = s;
	sent.len = len;
	sent.count++;
}

static const struct session_ops fake_ops = {.send_ip = fake_send};

struct lab {
	struct pool pool;
	struct pool6 pool6;
	struct fwd f;
	int tun[2]; /* [0]: what the "kernel" reads */
	struct session a, b;
};

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* 172.16.201.0/24 and fd00:201::/64; a and b hold one address of each. */
static int lab_setup(void **state)
{
	static struct lab l;
	memset(&l, 0, sizeof(l));
	struct prefix4 p4 = {0xac10c900u, 24};
	struct prefix6 p6;
	assert_int_equal(prefix6_parse("fd00:201::/64", &p6), 0);
	assert_int_equal(pool_init(&l.pool, &p4, 1), 0);
	assert_int_equal(pool6_init(&l.pool6, &p6, 1), 0);
	assert_int_equal(pipe2(l.tun, O_NONBLOCK), 0);
	l.f = (struct fwd){.tun_fd = l.tun[1], .pool = &l.pool, .pool6 = &l.pool6};
	struct session *ss[] = {&l.a, &l.b};
	for (int i = 0; i < 2; i++) {
		ss[i]->ops = &fake_ops;
		assert_int_equal(pool_lease(&l.pool, ss[i], 0, &ss[i]->addr, &ss[i]->pool_range),
				 0);
		assert_int_equal(pool6_lease_in(&l.pool6, ss[i], NULL, 0, 1, &ss[i]->addr6,
						&ss[i]->pool6_range),
				 0);
	}
	memset(&sent, 0, sizeof(sent));
	*state = &l;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;
	close(l->tun[0]);
	close(l->tun[1]);
	pool_free(&l->pool);
	pool6_free(&l->pool6);
	return 0;
}

static size_t pkt4(uint8_t *p, uint32_t src, uint32_t dst)
{
	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[9] = 17;
	for (int i = 0; i < 4; i++) {
		p[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		p[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	return 28;
}

static size_t pkt6(uint8_t *p, const struct in6_addr *src, const struct in6_addr *dst)
{
	memset(p, 0, 48);
	p[0] = 0x60;
	p[5] = 8;
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 48;
}

/* How many bytes reached the "TUN" since the last call. */
static ssize_t tun_drain(struct lab *l)
{
	uint8_t buf[256];
	ssize_t n = read(l->tun[0], buf, sizeof(buf));
	return n < 0 ? 0 : n;
}

static void test_own_source_forwarded(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr vnet = a6("fd00:10:1::10");
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->a.addr, 0x0a01000a)), 0);
	assert_int_equal(tun_drain(l), 28);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &vnet)), 0);
	assert_int_equal(tun_drain(l), 48);
	assert_int_equal(l->a.ctr.pkts_in, 2);
	assert_int_equal(l->a.ctr.spoofed, 0);
	assert_int_equal(l->f.spoofed, 0);
	/* The gateway's own addresses are reachable: the kernel answers. */
	struct in6_addr gw6;
	pool6_gateway(&l->pool6, 0, &gw6);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &gw6)), 0);
	assert_int_equal(tun_drain(l), 48);
}

/* Another client's source or a made-up one: dropped and counted, per
 * session and gateway-wide, in both families. */
static void test_spoofed_dropped_and_counted(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr vnet = a6("fd00:10:1::10"), made_up = a6("2001:db8::66");
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->b.addr, 0x0a01000a)),
			 P2S_E_PROTO);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, 0x0a0a0a0a, 0x0a01000a)),
			 P2S_E_PROTO);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->b.addr6, &vnet)),
			 P2S_E_PROTO);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &made_up, &vnet)), P2S_E_PROTO);
	assert_int_equal(tun_drain(l), 0);
	assert_int_equal(l->a.ctr.spoofed, 4);
	assert_int_equal(l->a.ctr.dropped, 4);
	assert_int_equal(l->a.ctr.pkts_in, 0);
	assert_int_equal(l->b.ctr.spoofed, 0);
	assert_int_equal(l->f.spoofed, 4);
}

/* A session without an IPv6 address has no IPv6 source of its own. */
static void test_no_v6_lease(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr vnet = a6("fd00:10:1::10"), held = l->a.addr6;
	pool6_release(&l->pool6, &held, &l->a);
	memset(&l->a.addr6, 0, 16);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &held, &vnet)), P2S_E_PROTO);
	assert_int_equal(l->a.ctr.spoofed, 1);
	/* ... and a packet to its old address from the TUN finds nobody. */
	fwd_from_tun(&l->f, p, pkt6(p, &vnet, &held));
	assert_int_equal(sent.count, 0);
	assert_int_equal(l->f.no_route_drops, 1);
}

/* The client's kernel speaks to the link (RS, MLD): dropped, not spoofing. */
static void test_link_scoped_not_spoofing(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr ll = a6("fe80::1234"), rs = a6("ff02::2"), any = a6("::");
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &ll, &rs)), P2S_E_DENIED);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &any, &rs)), P2S_E_DENIED);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &rs)),
			 P2S_E_DENIED);
	assert_int_equal(tun_drain(l), 0);
	assert_int_equal(l->a.ctr.spoofed, 0);
	assert_int_equal(l->a.ctr.dropped, 3);
}

/* Clients are kept apart in both families unless clientToClient is on. */
static void test_clients_apart(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr unheld = a6("fd00:201::99");
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->a.addr, l->b.addr)),
			 P2S_E_DENIED);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &l->b.addr6)),
			 P2S_E_DENIED);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &unheld)),
			 P2S_E_DENIED);
	assert_int_equal(sent.count, 0);
	assert_int_equal(tun_drain(l), 0);
	l->f.client_to_client = true;
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &l->b.addr6)), 0);
	assert_int_equal(sent.count, 1);
	assert_ptr_equal(sent.to, &l->b);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &unheld)),
			 P2S_E_DENIED);
	/* Nor is a packet to the sender's own address bounced back to it. */
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt6(p, &l->a.addr6, &l->a.addr6)),
			 P2S_E_DENIED);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->a.addr, l->a.addr)),
			 P2S_E_DENIED);
	assert_int_equal(sent.count, 1);
	assert_int_equal(l->a.ctr.spoofed, 0);
}

/* From the TUN: the owner of the destination, in either family. */
static void test_from_tun(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr vnet = a6("fd00:10:1::10");
	fwd_from_tun(&l->f, p, pkt6(p, &vnet, &l->b.addr6));
	assert_int_equal(sent.count, 1);
	assert_ptr_equal(sent.to, &l->b);
	assert_int_equal(sent.len, 48);
	fwd_from_tun(&l->f, p, pkt4(p, 0x0a01000a, l->a.addr));
	assert_int_equal(sent.count, 2);
	assert_ptr_equal(sent.to, &l->a);
	assert_int_equal(l->b.ctr.pkts_out, 1);
	struct in6_addr far = a6("fd00:99::2");
	fwd_from_tun(&l->f, p, pkt6(p, &vnet, &far));
	assert_int_equal(sent.count, 2);
	assert_int_equal(l->f.no_route_drops, 1);
}

/* Truncated or non-IP packets never reach the TUN, nor count as spoofed. */
static void test_malformed(void **state)
{
	struct lab *l = *state;
	uint8_t p[64];
	struct in6_addr vnet = a6("fd00:10:1::10");
	pkt6(p, &l->a.addr6, &vnet);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, 39), P2S_E_TRUNC);
	pkt4(p, l->a.addr, 0x0a01000a);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, 19), P2S_E_TRUNC);
	p[0] = 0x50;
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, 28), P2S_E_TRUNC);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, 0), P2S_E_TRUNC);
	fwd_from_tun(&l->f, p, 3);
	assert_int_equal(sent.count, 0);
	assert_int_equal(tun_drain(l), 0);
	assert_int_equal(l->a.ctr.spoofed, 0);
	assert_int_equal(l->a.ctr.dropped, 4);
}

/* With the TUN's offloads: checks still run per packet before anything is
 * queued; queued packets reach the TUN at the flush behind a virtio-net
 * header; a super-packet from the TUN reaches its session cut up. */
static void test_offload_mode(void **state)
{
	struct lab *l = *state;
	assert_int_equal(fwd_offload_init(&l->f), 0);
	uint8_t p[64];
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->a.addr, 0x0a01000a)), 0);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->a.addr, 0x0a01000b)), 0);
	assert_int_equal(fwd_from_session(&l->f, &l->a, p, pkt4(p, l->b.addr, 0x0a01000a)),
			 P2S_E_PROTO);
	assert_int_equal(l->a.ctr.spoofed, 1);
	assert_int_equal(tun_drain(l), 0); /* queued until the flush */
	fwd_flush(&l->f);
	assert_int_equal(tun_drain(l), 2 * (VNET_HDR_LEN + 28));
	static uint8_t sp[VNET_HDR_LEN + 3040];
	memset(sp, 0, sizeof(sp));
	struct vnet_hdr h = {0, VNET_GSO_TCPV4, 40, 1000, 20, 16};
	vnet_hdr_write(sp, &h);
	uint8_t *ip = sp + VNET_HDR_LEN;
	pkt4(ip, 0x0a01000a, l->b.addr);
	ip[2] = (uint8_t)(3040 >> 8);
	ip[3] = (uint8_t)3040;
	ip[9] = 6;
	ip[32] = 5 << 4; /* TCP header length 20 */
	fwd_from_tun_vnet(&l->f, sp, sizeof(sp));
	assert_int_equal(sent.count, 3);
	assert_ptr_equal(sent.to, &l->b);
	assert_int_equal(sent.len, 40 + 1000);
	assert_int_equal(l->b.ctr.pkts_out, 3);
	h.gso_type = VNET_GSO_TCPV6; /* not what the packet is: dropped, counted */
	vnet_hdr_write(sp, &h);
	fwd_from_tun_vnet(&l->f, sp, sizeof(sp));
	assert_int_equal(sent.count, 3);
	assert_int_equal(l->f.offload_drops, 1);
	fwd_offload_free(&l->f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_source_forwarded, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_dropped_and_counted, lab_setup,
						lab_teardown),
		cmocka_unit_test_setup_teardown(test_no_v6_lease, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_link_scoped_not_spoofing, lab_setup,
						lab_teardown),
		cmocka_unit_test_setup_teardown(test_clients_apart, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_from_tun, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_offload_mode, lab_setup, lab_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
