/* src/proto/ikev2/cp: the CFG_REPLY built from session_net() and traffic
 * selectors narrowed to the client's address and the routes, or refused
 * when nothing fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
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

static struct ike_ts any6(void)
{
	struct ike_ts t = {IKE_TS_IPV6_RANGE, 0, 0, 65535, {0}, {0}};
	memset(t.end, 0xff, 16);
	return t;
}

/* A dual-stack pool: fd00:203::2/64 for the client, fd00:10:1::/64 routed. */
static struct session_net net6_of(struct prefix6 *r6)
{
	struct session_net n = net_of();
	assert_int_equal(prefix6_parse("fd00:10:1::/64", r6), 0);
	n.has_v6 = true;
	inet_pton(AF_INET6, "fd00:203::2", &n.addr6);
	n.prefix6_len = 64;
	n.routes6 = r6;
	n.n_routes6 = 1;
	static struct in6_addr dns6;
	inet_pton(AF_INET6, "fd00:10:1::53", &dns6);
	n.dns6 = &dns6;
	n.n_dns6 = 1;
	return n;
}

static void reply_of(const uint8_t *req_body, size_t len, const struct session_net *net,
		     struct ike_cp *reply, uint8_t *buf, size_t cap)
{
	uint8_t first;
	struct ike_builder b;
	ike_build_init(&b, buf, cap, &first);
	struct ike_payload rp = {IKE_PL_CP, false, req_body, len};
	struct ike_cp req;
	struct ike_chain c;
	assert_int_equal(ike_cp_parse(&rp, &req), 0);
	ike_cp_reply(&b, &req, net);
	assert_true(wbuf_ok(&b.w));
	assert_int_equal(ike_chain_parse(first, buf, b.w.len, &c), 0);
	assert_int_equal(ike_cp_parse(&c.pl[0], reply), 0);
}

static void test_cp_reply6(void **state)
{
	(void)state;
	struct prefix6 r6;
	struct session_net net = net6_of(&r6);
	uint8_t buf[512];
	struct ike_cp reply;
	/* IPv4 and IPv6 addresses and IPv6 subnets asked (strongSwan: vips
	 * 0.0.0.0, ::): the IPv6 address carries its prefix length. */
	const uint8_t both[] = {IKE_CFG_REQUEST, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 15, 0, 0};
	reply_of(both, sizeof(both), &net, &reply, buf, sizeof(buf));
	assert_int_equal(reply.n, 6); /* IPv4, two DNS, IPv6, its DNS, one IPv6 subnet */
	assert_int_equal(reply.attr[0].type, IKE_CP_IP4_ADDRESS);
	assert_int_equal(reply.attr[3].type, IKE_CP_IP6_ADDRESS);
	assert_int_equal(reply.attr[3].len, 17);
	assert_memory_equal(reply.attr[3].val, "\xfd\x00\x02\x03\0\0\0\0\0\0\0\0\0\0\0\x02\x40",
			    17);
	assert_int_equal(reply.attr[4].type, IKE_CP_IP6_DNS);
	assert_int_equal(reply.attr[4].len, 16);
	assert_memory_equal(reply.attr[4].val, "\xfd\x00\x00\x10\x00\x01\0\0\0\0\0\0\0\0\0\x53",
			    16);
	assert_int_equal(reply.attr[5].type, IKE_CP_IP6_SUBNET);
	assert_memory_equal(reply.attr[5].val, "\xfd\x00\x00\x10\x00\x01\0\0\0\0\0\0\0\0\0\0\x40",
			    17);
	/* IPv6 only (the engine cleared the IPv4 part): no IPv4 address or DNS. */
	net.addr = 0;
	net.n_dns = 0;
	net.n_routes = 0;
	const uint8_t only6[] = {IKE_CFG_REQUEST, 0, 0, 0, 0, 8, 0, 0};
	reply_of(only6, sizeof(only6), &net, &reply, buf, sizeof(buf));
	assert_int_equal(reply.n, 2);
	assert_int_equal(reply.attr[0].type, IKE_CP_IP6_ADDRESS);
	assert_int_equal(reply.attr[1].type, IKE_CP_IP6_DNS);
	/* No IPv6 in the pool: an IPv6 request gets no IPv6 attribute. */
	net = net_of();
	reply_of(both, sizeof(both), &net, &reply, buf, sizeof(buf));
	for (size_t i = 0; i < reply.n; i++)
		assert_true(reply.attr[i].type != IKE_CP_IP6_ADDRESS &&
			    reply.attr[i].type != IKE_CP_IP6_DNS &&
			    reply.attr[i].type != IKE_CP_IP6_SUBNET);
}

static void test_ts_narrowing6(void **state)
{
	(void)state;
	struct prefix6 r6;
	struct session_net net = net6_of(&r6);
	struct ike_ts_list ci = {.n = 2}, cr = {.n = 2}, oi, or ;
	ci.ts[0] = any4();
	ci.ts[1] = any6();
	cr.ts[0] = any4();
	cr.ts[1] = any6();
	assert_true(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	assert_int_equal(oi.n, 2); /* the client's IPv4 and IPv6 addresses */
	assert_int_equal(oi.ts[1].type, IKE_TS_IPV6_RANGE);
	assert_memory_equal(oi.ts[1].start, &net.addr6, 16);
	assert_memory_equal(oi.ts[1].end, &net.addr6, 16);
	assert_int_equal(or.n, 4); /* two IPv4 routes, the gateway, the IPv6 vnet */
	assert_int_equal(or.ts[3].type, IKE_TS_IPV6_RANGE);
	assert_memory_equal(or.ts[3].start, "\xfd\x00\x00\x10\x00\x01\0\0\0\0\0\0\0\0\0\0", 16);
	assert_memory_equal(or.ts[3].end,
			    "\xfd\x00\x00\x10\x00\x01\0\0\xff\xff\xff\xff\xff\xff\xff\xff", 16);
	/* IPv6 only: IPv4 selectors drop out entirely. */
	net.addr = net.gateway = 0;
	net.n_routes = 0;
	assert_true(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
	assert_int_equal(oi.n, 1);
	assert_int_equal(or.n, 1);
	assert_int_equal(oi.ts[0].type, IKE_TS_IPV6_RANGE);
	/* The pool lost its IPv6 prefix: IPv6 selectors alone fit nothing. */
	net.has_v6 = false;
	assert_false(ike_ts_narrow(&ci, &cr, &net, &oi, & or));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp_reply),
		cmocka_unit_test(test_ts_narrowing),
		cmocka_unit_test(test_cp_reply6),
		cmocka_unit_test(test_ts_narrowing6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
