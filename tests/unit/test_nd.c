/* src/tunnel/nd: the link's interface identifiers, a Router Solicitation
 * validated as RFC 4861 6.1.1 asks (and other traffic not taken for one),
 * and the Router Advertisement read back: checksum, the /64, the routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "tunnel/nd.h"

static uint16_t sum6(const uint8_t *p, size_t len)
{
	size_t n = len - 40;
	uint32_t s = (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff) + 58;
	for (size_t i = 8; i < 40; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	for (size_t i = 40; i < len; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* fe80::2 -> ff02::2, ICMPv6 type, hop limit, and extra option bytes. */
static size_t rs(uint8_t *p, uint8_t type, uint8_t hops, const uint8_t *opt, size_t olen)
{
	memset(p, 0, 48 + olen);
	p[0] = 0x60;
	p[5] = (uint8_t)(8 + olen);
	p[6] = 58;
	p[7] = hops;
	p[8] = 0xfe;
	p[9] = 0x80;
	p[23] = 2;
	p[24] = 0xff;
	p[25] = 0x02;
	p[39] = 2;
	p[40] = type;
	if (olen)
		memcpy(p + 48, opt, olen); /* opt may be NULL */
	uint16_t s = sum6(p, 48 + olen);
	p[42] = (uint8_t)(s >> 8);
	p[43] = (uint8_t)s;
	return 48 + olen;
}

static void test_iids(void **state)
{
	(void)state;
	struct in6_addr gw, cl;
	uint8_t g[8], c[8];
	inet_pton(AF_INET6, "fd00:201::1", &gw);
	inet_pton(AF_INET6, "fd00:201::2a", &cl);
	nd_iids(&gw, &cl, g, c);
	assert_memory_equal(c, "\0\0\0\0\0\0\0\x2a", 8);
	assert_memory_equal(g, "\0\0\0\0\0\0\0\x01", 8);
	/* the same low 64 bits (a pool wider than /64): ours changes */
	inet_pton(AF_INET6, "fd00:201:0:1::1", &cl);
	nd_iids(&gw, &cl, g, c);
	assert_memory_equal(c, "\0\0\0\0\0\0\0\x01", 8);
	assert_memory_not_equal(g, c, 8);
}

static void test_rs(void **state)
{
	(void)state;
	uint8_t p[128];
	struct in6_addr src;
	static const uint8_t slla[8] = {1, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	assert_int_equal(nd_rs_parse(p, rs(p, 133, 255, NULL, 0), &src), 1);
	assert_int_equal(src.s6_addr[0], 0xfe);
	assert_int_equal(src.s6_addr[15], 2);
	assert_int_equal(nd_rs_parse(p, rs(p, 133, 255, slla, 8), &src), 1);
	/* other ICMPv6 (an echo request), IPv4, another next header: not ours */
	assert_int_equal(nd_rs_parse(p, rs(p, 128, 64, NULL, 0), &src), 0);
	size_t n = rs(p, 133, 255, NULL, 0);
	p[6] = 17;
	assert_int_equal(nd_rs_parse(p, n, &src), 0);
	p[0] = 0x45;
	assert_int_equal(nd_rs_parse(p, n, &src), 0);
	assert_int_equal(nd_rs_parse(p, 20, &src), 0);
	/* forwarded (hop limit below 255), a wrong checksum, a zero-length
	 * option, a payload length off, cut short: refused */
	assert_int_equal(nd_rs_parse(p, rs(p, 133, 254, NULL, 0), &src), P2S_E_PROTO);
	n = rs(p, 133, 255, NULL, 0);
	p[43] ^= 1;
	assert_int_equal(nd_rs_parse(p, n, &src), P2S_E_PROTO);
	static const uint8_t zero_len[8] = {1, 0};
	assert_int_equal(nd_rs_parse(p, rs(p, 133, 255, zero_len, 8), &src), P2S_E_PROTO);
	n = rs(p, 133, 255, slla, 8);
	assert_int_equal(nd_rs_parse(p, n - 4, &src), P2S_E_PROTO);
	p[5] = 4;
	assert_int_equal(nd_rs_parse(p, 44, &src), P2S_E_TRUNC);
}

static void test_ra(void **state)
{
	(void)state;
	struct prefix6 routes[3];
	prefix6_parse("fd00:10:1::/64", &routes[0]);
	prefix6_parse("fd00:10:2::/48", &routes[1]);
	prefix6_parse("fd00:10:3::80/121", &routes[2]);
	struct nd_ra a = {.gw_iid = {0, 0, 0, 0, 0, 0, 0, 1}, .routes = routes, .n_routes = 3};
	inet_pton(AF_INET6, "fe80::2", &a.dst);
	inet_pton(AF_INET6, "fd00:201::2", &a.addr);
	uint8_t p[512];
	size_t n = nd_ra_build(&a, p, sizeof(p));
	/* header, RA body, prefix (32), routes of 16, 16 and 24 bytes */
	assert_int_equal(n, 40 + 16 + 32 + 16 + 16 + 24);
	assert_int_equal(p[0], 0x60);
	assert_int_equal(p[4] << 8 | p[5], n - 40);
	assert_int_equal(p[6], 58);
	assert_int_equal(p[7], 255);
	assert_memory_equal(p + 8, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	assert_memory_equal(p + 24, a.dst.s6_addr, 16);
	assert_int_equal(sum6(p, n), 0);
	assert_int_equal(p[40], 134);
	assert_int_equal(p[46] << 8 | p[47], 0); /* router lifetime: not a default router */
	const uint8_t *o = p + 56;
	assert_int_equal(o[0], 3);
	assert_int_equal(o[1], 4);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], 0x40);
	assert_memory_equal(o + 16, "\xfd\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	o += 32;
	assert_int_equal(o[0], 24);
	assert_int_equal(o[1], 2);
	assert_int_equal(o[2], 64);
	assert_memory_equal(o + 8, "\xfd\x00\x00\x10\x00\x01\0\0", 8);
	o += 16 + 16;
	assert_int_equal(o[1], 3);
	assert_int_equal(o[2], 121);
	assert_int_equal(o[8 + 15], 0x80);
	/* to the all-nodes address when asked from ::, an MTU option */
	a.mtu = 1400;
	n = nd_ra_build(&a, p, sizeof(p));
	assert_int_equal(sum6(p, n), 0);
	assert_int_equal(p[88], 5);
	assert_int_equal(p[92] << 24 | p[93] << 16 | p[94] << 8 | p[95], 1400);
	/* too small for the advertisement; routes past the room left out */
	assert_int_equal(nd_ra_build(&a, p, 60), 0);
	n = nd_ra_build(&a, p, 40 + 16 + 32 + 8 + 16 + 20);
	assert_int_equal(n, 40 + 16 + 32 + 8 + 16);
	assert_int_equal(sum6(p, n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iids),
		cmocka_unit_test(test_rs),
		cmocka_unit_test(test_ra),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
