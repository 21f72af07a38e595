/* src/proto/ikev2/cp: the CFG_REPLY built from session_net() and traffic
 * selectors narrowed to the client's address and the routes, or refused
 * when nothing fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "proto/ikev2/internal.h"

static const uint32_t dns[2] = {0x0a010004, 0x0a010005};
static const struct prefix4 routes[2] = {{0x0a010000, 16}, {0xc0a86400, 24}};

static struct session_net net_of(void)
{
	struct session_net n = {.addr = 0xac10c902,
				.gateway = 0xac10c901,
				.prefix_len = 24,
				.routes = routes,
				.n_routes = 2,
				.dns = dns,
				.n_dns = 2};
	return n;
}

static struct ike_ts any4(void)
{
	return (struct ike_ts){IKE_TS_IPV4_RANGE, 0, 0, 65535, {0, 0, 0, 0}, {255, 255, 255, 255}};
}

static void test_cp_reply(void **state)
{
	(void)state;
	uint8_t buf[256], first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(buf), &first);
	const uint8_t req_body[] = {IKE_CFG_REQUEST, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 13, 0, 0};
	struct ike_payload rp = {IKE_PL_CP, false, req_body, sizeof(req_body)};
	struct ike_cp req, reply;
	assert_int_equal(ike_cp_parse(&rp, &req), 0);
	struct session_net net = net_of();
	ike_cp_reply(&b, &req, &net);
	assert_true(wbuf_ok(&b.w));
	assert_int_equal(first, IKE_PL_CP);
	struct ike_chain c;
	assert_int_equal(ike_chain_parse(first, buf, b.w.len, &c), 0);
	assert_int_equal(ike_cp_parse(&c.pl[0], &reply), 0);
	assert_int_equal(reply.cfg_type, IKE_CFG_REPLY);
	/* address, two DNS servers, two subnets (asked); no netmask (not asked) */
	assert_int_equal(reply.n, 5);
	assert_int_equal(reply.attr[0].type, IKE_CP_IP4_ADDRESS);
	assert_memory_equal(reply.attr[0].val, "\xac\x10\xc9\x02", 4);
	assert_int_equal(reply.attr[1].type, IKE_CP_IP4_DNS);
	assert_memory_equal(reply.attr[2].val, "\x0a\x01\x00\x05", 4);
	assert_int_equal(reply.attr[4].type, IKE_CP_IP4_SUBNET);
	assert_memory_equal(reply.attr[4].val, "\xc0\xa8\x64\x00\xff\xff\xff\x00", 8);
}

static void test_ts_narrowing(void **state)
{
	(void)state;
	struct session_net net = net_of();
	struct ike_ts_list ci = {.n = 1}, cr = {.n = 1}, oi, or ;
	ci.ts[0] = any4();
	cr.ts[0] = any4();
	assert_true(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	assert_int_equal(oi.n, 1);
	assert_memory_equal(oi.ts[0].start, "\xac\x10\xc9\x02", 4);
	assert_memory_equal(oi.ts[0].end, "\xac\x10\xc9\x02", 4);
	assert_int_equal(or.n, 3); /* the routes, then the gateway's own address */
	assert_memory_equal(or.ts[0].start, "\x0a\x01\x00\x00", 4);
	assert_memory_equal(or.ts[0].end, "\x0a\x01\xff\xff", 4);
	assert_memory_equal(or.ts[2].start, "\xac\x10\xc9\x01", 4);
	assert_memory_equal(or.ts[2].end, "\xac\x10\xc9\x01", 4);
	/* The client asks for part of one route only: that part. */
	cr.ts[0] = (struct ike_ts){IKE_TS_IPV4_RANGE, 6, 443, 443, {10, 1, 2, 0}, {10, 1, 2, 255}};
	assert_true(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	assert_int_equal(or.n, 1);
	assert_int_equal(or.ts[0].ip_proto, 6);
	assert_memory_equal(or.ts[0].start, "\x0a\x01\x02\x00", 4);
	/* Nothing the gateway routes: TS_UNACCEPTABLE. */
	cr.ts[0] = (struct ike_ts){IKE_TS_IPV4_RANGE, 0, 0, 65535, {8, 8, 8, 8}, {8, 8, 8, 8}};
	assert_false(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	/* A TSi that cannot hold the client's address. */
	cr.ts[0] = any4();
	ci.ts[0] = (struct ike_ts){IKE_TS_IPV4_RANGE, 0, 0, 65535, {10, 0, 0, 0}, {10, 0, 0, 255}};
	assert_false(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	/* IPv6 selectors alone give nothing for an IPv4-only client. */
	ci.ts[0] = (struct ike_ts){IKE_TS_IPV6_RANGE, 0, 0, 65535, {0}, {0xff}};
	assert_false(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp_reply),
		cmocka_unit_test(test_ts_narrowing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
