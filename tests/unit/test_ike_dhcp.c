/* src/proto/ikev2/dhcp: a Windows-shaped DHCPINFORM recognised (and other
 * traffic and DHCP types not), malformed ones refused, and the DHCPACK
 * carrying DNS and the classless static routes (121, 249) read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "tunnel/dhcp.h"

/* IPv4/UDP 68->67 around a BOOTREQUEST with the given message type. */
static size_t inform(uint8_t *buf, size_t cap, uint8_t type)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	uint8_t opts[] = {53, 1, type, 55, 3, 1, 249, 6, 255};
	size_t bootp = 236 + 4 + sizeof(opts);
	wbuf_u16(&w, 0x4500);
	wbuf_u16(&w, (uint16_t)(28 + bootp));
	wbuf_u32(&w, 0);
	wbuf_u16(&w, 128 << 8 | 17);
	wbuf_u16(&w, 0);
	wbuf_u32(&w, 0xac10c902); /* 172.16.201.2 */
	wbuf_u32(&w, 0xffffffff);
	wbuf_u16(&w, 68);
	wbuf_u16(&w, 67);
	wbuf_u16(&w, (uint16_t)(8 + bootp));
	wbuf_u16(&w, 0);
	wbuf_u8(&w, 1);
	wbuf_u8(&w, 1);
	wbuf_u8(&w, 6);
	wbuf_u8(&w, 0);
	wbuf_u32(&w, 0x12345678);
	wbuf_u16(&w, 0);
	wbuf_u16(&w, 0);
	wbuf_u32(&w, 0xac10c902);
	for (int i = 0; i < 12 + 16 + 192; i++)
		wbuf_u8(&w, i >= 12 && i < 18 ? (uint8_t)(0xa0 + i) : 0);
	wbuf_u32(&w, 0x63825363);
	wbuf_bytes(&w, opts, sizeof(opts));
	assert_true(wbuf_ok(&w));
	return w.len;
}

static void test_parse(void **state)
{
	(void)state;
	uint8_t p[600];
	struct dhcp_inform in;
	size_t n = inform(p, sizeof(p), 8);
	assert_int_equal(dhcp_inform_parse(p, n, &in), 1);
	assert_int_equal(in.xid, 0x12345678);
	assert_int_equal(in.ciaddr, 0xac10c902);
	assert_int_equal(in.dst, 0xffffffffu);
	assert_int_equal(in.hlen, 6);
	assert_int_equal(in.chaddr[0], 0xa0 + 12);
	/* DISCOVER is DHCP but not ours to answer. */
	n = inform(p, sizeof(p), 1);
	assert_int_equal(dhcp_inform_parse(p, n, &in), 0);
	/* Not UDP 68->67: ordinary traffic. */
	n = inform(p, sizeof(p), 8);
	p[9] = 6;
	assert_int_equal(dhcp_inform_parse(p, n, &in), 0);
	p[9] = 17;
	p[23] = 53;
	assert_int_equal(dhcp_inform_parse(p, n, &in), 0);
	p[23] = 67;
	p[6] = 0x20; /* a first fragment */
	assert_int_equal(dhcp_inform_parse(p, n, &in), 0);
	p[6] = 0;
	/* Malformed DHCP: cut short, wrong magic, UDP length off. */
	assert_int_equal(dhcp_inform_parse(p, 100, &in), P2S_E_TRUNC);
	p[28 + 236] ^= 1;
	assert_int_equal(dhcp_inform_parse(p, n, &in), P2S_E_PROTO);
	p[28 + 236] ^= 1;
	p[25] ^= 1;
	assert_int_equal(dhcp_inform_parse(p, n, &in), P2S_E_PROTO);
	p[25] ^= 1;
	/* An IP total length past the packet; an option running past the end. */
	assert_int_equal(dhcp_inform_parse(p, n - 1, &in), P2S_E_TRUNC);
	p[n - 5] = 50;
	assert_int_equal(dhcp_inform_parse(p, n, &in), P2S_E_TRUNC);
}

static const uint8_t *find_opt(const uint8_t *o, size_t n, uint8_t code, uint8_t *len)
{
	for (size_t i = 0; i + 1 < n && o[i] != 255;) {
		if (o[i] == code) {
			*len = o[i + 1];
			return o + i + 2;
		}
		i += 2u + o[i + 1];
	}
	return NULL;
}

static void test_ack(void **state)
{
	(void)state;
	uint8_t p[600], out[600];
	struct dhcp_inform in;
	assert_int_equal(dhcp_inform_parse(p, inform(p, sizeof(p), 8), &in), 1);
	const struct prefix4 routes[3] = {{0x0a010000, 16}, {0xc0a86400, 24}, {0x0a000000, 8}};
	const uint32_t dns[1] = {0x0a010004};
	struct dhcp_answer a = {0xac10c901, 0xac10c901, routes, 3, dns, 1};
	size_t n = dhcp_ack_build(&in, &a, out, sizeof(out));
	assert_true(n > 28 + 240);
	/* IPv4 header: checksum verifies, to the client from the gateway. */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)out[i] << 8 | out[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_memory_equal(out + 12, "\xac\x10\xc9\x01\xac\x10\xc9\x02", 8);
	assert_int_equal(out[21], 67);
	assert_int_equal(out[23], 68);
	assert_int_equal(out[28], 2);
	assert_memory_equal(out + 28 + 4, "\x12\x34\x56\x78", 4);
	const uint8_t *opts = out + 28 + 240;
	uint8_t len;
	const uint8_t *v = find_opt(opts, n - 28 - 240, 53, &len);
	assert_non_null(v);
	assert_int_equal(v[0], 5);
	v = find_opt(opts, n - 28 - 240, 6, &len);
	assert_non_null(v);
	assert_memory_equal(v, "\x0a\x01\x00\x04", 4);
	const uint8_t want[] = {16,  10, 1,   172, 16, 201, 1,	 24, 192, 168, 100,
				172, 16, 201, 1,   8,  10,  172, 16, 201, 1};
	v = find_opt(opts, n - 28 - 240, 121, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(v, want, sizeof(want));
	v = find_opt(opts, n - 28 - 240, 249, &len);
	assert_non_null(v);
	assert_memory_equal(v, want, sizeof(want));
	assert_null(find_opt(opts, n - 28 - 240, 15, &len)); /* no domain configured */
	/* Split DNS: the first suffix as the DNS domain (option 15). */
	a.domain = "contoso.internal";
	n = dhcp_ack_build(&in, &a, out, sizeof(out));
	v = find_opt(out + 28 + 240, n - 28 - 240, 15, &len);
	assert_non_null(v);
	assert_int_equal(len, 16);
	assert_memory_equal(v, "contoso.internal", 16);
	assert_null(find_opt(out + 28 + 240, n - 28 - 240, 119, &len)); /* no search list */
	/* The search list (119): every suffix in DNS labels. */
	static const char names[2][DNS_NAME_MAX] = {"contoso.internal", "corp.contoso.com."};
	a.search = names;
	a.n_search = 2;
	n = dhcp_ack_build(&in, &a, out, sizeof(out));
	v = find_opt(out + 28 + 240, n - 28 - 240, 119, &len);
	assert_non_null(v);
	static const char wire[] = "\7contoso\10internal\0\4corp\7contoso\3com";
	assert_int_equal(len, sizeof(wire));
	assert_memory_equal(v, wire, sizeof(wire));
	/* 16 names of 45 wire bytes: cut at whole names (11), split over two options. */
	static char many[DNS_NAMES_MAX][DNS_NAME_MAX];
	for (int i = 0; i < DNS_NAMES_MAX; i++)
		snprintf(many[i], DNS_NAME_MAX, "name%02d.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", i);
	a.search = (const char(*)[DNS_NAME_MAX])many;
	a.n_search = DNS_NAMES_MAX;
	uint8_t big[1500];
	n = dhcp_ack_build(&in, &a, big, sizeof(big));
	v = find_opt(big + 28 + 240, n - 28 - 240, 119, &len);
	assert_non_null(v);
	assert_int_equal(len, 255);
	assert_int_equal(v[255], 119); /* the continuation */
	assert_int_equal(v[256] + 255, 11 * 45);
	/* Too small a buffer: nothing. */
	assert_int_equal(dhcp_ack_build(&in, &a, out, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
