/* src/proto/openvpn/kmethod: key-method 2 messages and peer-info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/kmethod.h"

static const char client_options[] =
	"V4,dev-type tun,link-mtu 1553,tun-mtu 1500,proto TCPv4_CLIENT,keydir 1,"
	"cipher AES-256-GCM,auth SHA256,keysize 256,tls-auth,key-method 2,tls-client";

/* What a stock OpenVPN 2.6 client sends as peer-info. */
static const char client_peer_info[] =
	"IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
	"IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\n"
	"IV_LZO_STUB=1\nIV_COMP_STUB=1\nIV_COMP_STUBv2=1\nIV_SSL=OpenSSL 3.0.17 1 Jul 2025\n";

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_u16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};
	put(m, b, 2);
}

/* A string field as OpenVPN's write_string() makes it: length with NUL. */
static void put_str(struct msg *m, const char *s)
{
	if (!s) {
		put_u16(m, 0);
		return;
	}
	put_u16(m, (uint16_t)(strlen(s) + 1));
	put(m, s, strlen(s) + 1);
}

/* The client's message with recognisable key material: pre_master bytes
 * 0x00.., random1 0x40.., random2 0x80... */
static void client_head(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	put(m, "\0\0\0\0\x02", 5);
	for (int i = 0; i < 48 + 32 + 32; i++) {
		uint8_t v = (uint8_t)(i < 48 ? i : i < 80 ? 0x40 + (i - 48) : 0x80 + (i - 80));
		put(m, &v, 1);
	}
}

static void full_client(struct msg *m)
{
	client_head(m);
	put_str(m, client_options);
	put_str(m, "alice");
	put_str(m, "s3cret");
	put_str(m, client_peer_info);
}

static void test_parse_full_client(void **state)
{
	(void)state;
	struct msg m;
	full_client(&m);
	struct ovpn_km2 k;
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), 0);
	for (int i = 0; i < 48; i++)
		assert_int_equal(k.pre_master[i], i);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(k.random1[i], 0x40 + i);
		assert_int_equal(k.random2[i], 0x80 + i);
	}
	assert_string_equal(k.options, client_options);
	assert_string_equal(k.username, "alice");
	assert_string_equal(k.password, "s3cret");
	assert_string_equal(k.peer_info, client_peer_info);
	ovpn_km2_free(&k);
	assert_null(k.options);
	assert_null(k.password);
}

static void test_parse_empty_credentials(void **state)
{
	(void)state;
	/* Certificate-only clients send two empty strings as 00 00. */
	struct msg m;
	client_head(&m);
	put_str(&m, client_options);
	put_str(&m, NULL);
	put_str(&m, NULL);
	put_str(&m, client_peer_info);
	struct ovpn_km2 k;
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), 0);
	assert_null(k.username);
	assert_null(k.password);
	assert_string_equal(k.peer_info, client_peer_info);
	ovpn_km2_free(&k);
}

static void test_parse_options_only(void **state)
{
	(void)state;
	struct msg m;
	client_head(&m);
	put_str(&m, client_options);
	struct ovpn_km2 k;
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), 0);
	assert_string_equal(k.options, client_options);
	assert_null(k.username);
	assert_null(k.password);
	assert_null(k.peer_info);
	ovpn_km2_free(&k);
}

static void test_missing_options(void **state)
{
	(void)state;
	struct msg m;
	client_head(&m);
	put_str(&m, NULL); /* options absent */
	put_str(&m, "alice");
	struct ovpn_km2 k;
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	assert_null(k.options);
	assert_null(k.username);
	/* Nothing at all after the key source. */
	client_head(&m);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRUNC);
}

static void test_string_without_nul(void **state)
{
	(void)state;
	struct msg m;
	struct ovpn_km2 k;
	client_head(&m);
	put_u16(&m, 5);
	put(&m, "abcde", 5); /* declared 5, but the 5th byte is not a NUL */
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	/* A NUL in the middle: "ab\0de\0" would hide "de". */
	client_head(&m);
	put_u16(&m, 6);
	put(&m, "ab\0de\0", 6);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	/* The same problem in a later field frees what was parsed so far. */
	client_head(&m);
	put_str(&m, client_options);
	put_u16(&m, 3);
	put(&m, "bob", 3);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	assert_null(k.options);
}

static void test_length_past_end(void **state)
{
	(void)state;
	struct msg m;
	struct ovpn_km2 k;
	client_head(&m);
	put_u16(&m, 200);
	put(&m, "short\0", 6);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRUNC);
	/* In the peer-info field, after everything else parsed. */
	full_client(&m);
	m.n -= 1;
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRUNC);
	assert_null(k.options);
	assert_null(k.password);
	/* A lone length byte. */
	client_head(&m);
	put(&m, "\x00", 1);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRUNC);
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	struct msg m;
	struct ovpn_km2 k;
	full_client(&m);
	put(&m, "\0", 1);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRAIL);
	assert_null(k.peer_info);
	full_client(&m);
	put_str(&m, "a fifth string");
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_TRAIL);
}

static void test_bad_header(void **state)
{
	(void)state;
	struct msg m;
	struct ovpn_km2 k;
	full_client(&m);
	m.b[4] = 1; /* key method 1 */
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	full_client(&m);
	m.b[2] = 1; /* the leading uint32 must be zero */
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	assert_int_equal(ovpn_km2_parse_client(m.b, 3, &k), P2S_E_TRUNC);
	assert_int_equal(ovpn_km2_parse_client(m.b, 0, &k), P2S_E_TRUNC);
}

static void test_too_long(void **state)
{
	(void)state;
	struct msg m;
	struct ovpn_km2 k;
	char opts[KM2_OPTIONS_MAX + 2];
	memset(opts, 'o', sizeof(opts) - 1);
	opts[sizeof(opts) - 1] = 0; /* 513 chars + NUL: over the 512 limit */
	client_head(&m);
	put_str(&m, opts);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), P2S_E_PROTO);
	opts[KM2_OPTIONS_MAX - 1] = 0; /* 511 + NUL = 512: allowed */
	client_head(&m);
	put_str(&m, opts);
	assert_int_equal(ovpn_km2_parse_client(m.b, m.n, &k), 0);
	assert_int_equal(strlen(k.options), KM2_OPTIONS_MAX - 1);
	ovpn_km2_free(&k);
}

static void test_long_password_token(void **state)
{
	(void)state;
	/* An access token as password: larger than a normal string. */
	static uint8_t big[KM2_STRING_MAX + 600];
	size_t n = 0;
	struct msg head;
	client_head(&head);
	put_str(&head, client_options);
	put_str(&head, "alice");
	memcpy(big, head.b, head.n);
	n = head.n;
	size_t plen = 9000;
	big[n++] = (uint8_t)((plen + 1) >> 8);
	big[n++] = (uint8_t)(plen + 1);
	memset(big + n, 'T', plen);
	n += plen;
	big[n++] = 0;
	struct ovpn_km2 k;
	assert_int_equal(ovpn_km2_parse_client(big, n, &k), 0);
	assert_int_equal(strlen(k.password), plen);
	ovpn_km2_free(&k);
}

static void test_truncation_everywhere(void **state)
{
	(void)state;
	struct msg m;
	full_client(&m);
	for (size_t len = 0; len < m.n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, m.b, len);
		struct ovpn_km2 k;
		int r = ovpn_km2_parse_client(copy, len, &k);
		/* Cutting exactly between string fields leaves a valid message. */
		if (r == 0)
			ovpn_km2_free(&k);
		else
			assert_true(r == P2S_E_TRUNC || r == P2S_E_PROTO);
		free(copy);
	}
}

static void test_write_server_layout(void **state)
{
	(void)state;
	uint8_t r1[32], r2[32];
	for (int i = 0; i < 32; i++) {
		r1[i] = (uint8_t)(0xa0 + i);
		r2[i] = (uint8_t)(0x10 + i);
	}
	const char *opts = "V4,dev-type tun,tls-server";
	uint8_t out[256];
	int n = ovpn_km2_write_server(out, sizeof(out), r1, r2, opts);
	size_t olen = strlen(opts) + 1;
	uint8_t want[256];
	size_t w = 0;
	memcpy(want, "\0\0\0\0\x02", 5), w += 5;
	memcpy(want + w, r1, 32), w += 32;
	memcpy(want + w, r2, 32), w += 32;
	want[w++] = 0;
	want[w++] = (uint8_t)olen;
	memcpy(want + w, opts, olen), w += olen;
	memcpy(want + w, "\0\0\0\0\0\0", 6), w += 6; /* user, pass, peer-info */
	assert_int_equal(n, (int)w);
	assert_memory_equal(out, want, w);
	assert_int_equal(n, 5 + 64 + 2 + 27 + 6);
}

static void test_write_server_small_buffer(void **state)
{
	(void)state;
	uint8_t r[32] = {0}, out[128];
	int full = ovpn_km2_write_server(out, sizeof(out), r, r, "V4");
	assert_int_equal(full, 5 + 64 + 2 + 3 + 6);
	for (int cap = 0; cap < full; cap++)
		assert_true(ovpn_km2_write_server(out, (size_t)cap, r, r, "V4") < 0);
	assert_int_equal(ovpn_km2_write_server(out, (size_t)full, r, r, "V4"), full);
	/* No options string: written as absent. */
	assert_int_equal(ovpn_km2_write_server(out, sizeof(out), r, r, NULL), 5 + 64 + 8);
}

static void test_peer_info_26_client(void **state)
{
	(void)state;
	struct ovpn_peer_info pi;
	ovpn_peer_info_parse(client_peer_info, &pi);
	assert_int_equal(pi.iv_proto, 990);
	assert_true(pi.iv_proto & IV_PROTO_DATA_V2);
	assert_true(pi.iv_proto & IV_PROTO_REQUEST_PUSH);
	assert_true(pi.iv_proto & IV_PROTO_TLS_KEY_EXPORT);
	assert_true(pi.iv_proto & IV_PROTO_AUTH_PENDING_KW);
	assert_true(pi.iv_proto & IV_PROTO_CC_EXIT_NOTIFY);
	assert_int_equal(pi.iv_ncp, 2);
	assert_true(pi.has_mtu);
	assert_string_equal(pi.ciphers, "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305");
	assert_string_equal(pi.version, "2.6.14");
	assert_string_equal(pi.platform, "linux");
}

static void test_peer_info_sparse(void **state)
{
	(void)state;
	struct ovpn_peer_info pi;
	/* An old client: no IV_PROTO, IV_NCP or IV_CIPHERS, no final newline. */
	ovpn_peer_info_parse("IV_VER=2.3.18\nIV_PLAT=win", &pi);
	assert_int_equal(pi.iv_proto, 0);
	assert_int_equal(pi.iv_ncp, 0);
	assert_false(pi.has_mtu);
	assert_string_equal(pi.ciphers, "");
	assert_string_equal(pi.version, "2.3.18");
	assert_string_equal(pi.platform, "win");
	ovpn_peer_info_parse(NULL, &pi);
	assert_int_equal(pi.iv_proto, 0);
	assert_string_equal(pi.version, "");
	ovpn_peer_info_parse("", &pi);
	assert_string_equal(pi.platform, "");
}

static void test_peer_info_odd_lines(void **state)
{
	(void)state;
	struct ovpn_peer_info pi;
	char ver[200];
	memset(ver, '9', sizeof(ver));
	memcpy(ver, "IV_VER=", 7);
	ver[sizeof(ver) - 1] = 0;
	ovpn_peer_info_parse(ver, &pi);
	/* Truncated to the field, NUL-terminated. */
	assert_int_equal(strlen(pi.version), sizeof(pi.version) - 1);
	/* Prefix look-alikes are different keys; lines without '=' are skipped. */
	ovpn_peer_info_parse("IV_PROTOX=6\nIV_PROT=6\nIV_PROTO\nIV_NCPX=2\n=\n\n\nIV_PROTO=6", &pi);
	assert_int_equal(pi.iv_proto, 6);
	assert_int_equal(pi.iv_ncp, 0);
	/* Garbage numbers do not crash and read as something finite. */
	ovpn_peer_info_parse("IV_PROTO=99999999999999999999\nIV_NCP=-7\nIV_NCP=abc", &pi);
	assert_int_equal(pi.iv_ncp, 0);
	/* The last duplicate wins. */
	ovpn_peer_info_parse("IV_PLAT=linux\nIV_PLAT=mac", &pi);
	assert_string_equal(pi.platform, "mac");
}

/* What the load generator writes is what the gateway parses. */
static void test_write_client_round_trip(void **state)
{
	(void)state;
	struct ovpn_km2 k = {.options = "V4,dev-type tun", .peer_info = "IV_PROTO=142\n"};
	memset(k.pre_master, 1, sizeof(k.pre_master));
	memset(k.random1, 2, 32);
	memset(k.random2, 3, 32);
	uint8_t buf[512];
	int n = ovpn_km2_write_client(buf, sizeof(buf), &k);
	assert_true(n > 0);
	struct ovpn_km2 out;
	assert_int_equal(ovpn_km2_parse_client(buf, (size_t)n, &out), 0);
	assert_memory_equal(out.pre_master, k.pre_master, 48);
	assert_memory_equal(out.random2, k.random2, 32);
	assert_string_equal(out.options, "V4,dev-type tun");
	assert_null(out.username); /* absent strings go out empty */
	assert_null(out.password);
	assert_string_equal(out.peer_info, "IV_PROTO=142\n");
	ovpn_km2_free(&out);
	assert_int_equal(ovpn_km2_write_client(buf, 100, &k), -ENOSPC);
}

static void test_parse_server(void **state)
{
	(void)state;
	uint8_t r1[32], r2[32], g1[32], g2[32];
	memset(r1, 0xa1, 32);
	memset(r2, 0xb2, 32);
	uint8_t buf[512];
	int n = ovpn_km2_write_server(buf, sizeof(buf), r1, r2, "V4,tls-server");
	assert_true(n > 0);
	assert_int_equal(ovpn_km2_parse_server(buf, (size_t)n, g1, g2), 0);
	assert_memory_equal(g1, r1, 32);
	assert_memory_equal(g2, r2, 32);
	/* Only the options string: still a server message. */
	assert_int_equal(ovpn_km2_parse_server(buf, (size_t)n - 6, g1, g2), 0);
	for (int cut = 0; cut < n - 6; cut++)
		assert_true(ovpn_km2_parse_server(buf, (size_t)cut, g1, g2) < 0);
	buf[n] = 0;
	assert_int_equal(ovpn_km2_parse_server(buf, (size_t)n + 1, g1, g2), P2S_E_TRAIL);
	buf[4] = 1; /* key-method 1 */
	assert_int_equal(ovpn_km2_parse_server(buf, (size_t)n, g1, g2), P2S_E_PROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full_client),
		cmocka_unit_test(test_parse_empty_credentials),
		cmocka_unit_test(test_parse_options_only),
		cmocka_unit_test(test_missing_options),
		cmocka_unit_test(test_string_without_nul),
		cmocka_unit_test(test_length_past_end),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_long_password_token),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_write_server_layout),
		cmocka_unit_test(test_write_server_small_buffer),
		cmocka_unit_test(test_peer_info_26_client),
		cmocka_unit_test(test_peer_info_sparse),
		cmocka_unit_test(test_peer_info_odd_lines),
		cmocka_unit_test(test_write_client_round_trip),
		cmocka_unit_test(test_parse_server),
	};
	return cmocka_run_group_tests_name("kmethod", tests, NULL, NULL);
}
