/* SSTP codec: [MS-SSTP] 4.7's crypto binding examples, exact message sizes,
 * attribute rules and the HTTP request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/codec.h"
#include "lib/err.h"
#include "proto/sstp/binding.h"
#include "proto/sstp/http.h"
#include "proto/sstp/wire.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(hex_decode(s, out, n), (int)n);
}

/* [MS-SSTP] 4.7, SHA-256 example */
#define CONNECTED_256                                                                              \
	"10010070000400010003006800000002412B489AEBD7ECC7D08966F26BE7CD72"                         \
	"B231A0E9210D7C91B308862B0344C4357993EF314C493DACE9F02D60E7E61C84"                         \
	"B6690AAFE9D7AEEA92CBBE8AD599422D52A68EFD8CFFBF52770B8F0FE8EC7371"                         \
	"6583AF6D611EB6D179B3B20840985449"
#define HLAK_256 "2A1BB40D55AB0F5EF32F06F2B3CC73C48FD3FAC41D7A1315A19228D9024CA164"
/* SHA-1 example */
#define CONNECTED_1                                                                                \
	"100100700004000100030068000000010F1A2D58D4A3E3000FAD3CE4906E07B7"                         \
	"07AA9E441CCEAC5CBD7B2CC1C9D86CDF5826B629BDA59B8E6FD8DCD2622FD34C"                         \
	"534805A500000000000000000000000069915DD583D8062FEF16F61DB2F03290"                         \
	"EC27CB6C000000000000000000000000"
#define HLAK_1 "4B3128F43925D9006EEFB1C4E86515A1D88E56BAB3CA2BDF0373B7F5A8A13B19"

static void parse_connected(const uint8_t *pkt, struct sstp_ctrl *m)
{
	struct sstp_pkt p;
	assert_int_equal(sstp_pkt_parse(pkt, SSTP_CONNECTED_LEN, &p), 0);
	assert_true(p.control);
	assert_int_equal(sstp_ctrl_parse(p.body, p.body_len, m), 0);
	assert_int_equal(m->type, SSTP_CALL_CONNECTED);
	assert_true(m->has_binding);
}

static void test_binding_sha256_vector(void **state)
{
	(void)state;
	uint8_t pkt[SSTP_CONNECTED_LEN], hlak[32], mac[32];
	struct sstp_ctrl m;
	hex(CONNECTED_256, pkt, sizeof(pkt));
	hex(HLAK_256, hlak, 32);
	parse_connected(pkt, &m);
	assert_int_equal(m.hash_proto, SSTP_HASH_SHA256);
	assert_int_equal(sstp_compound_mac(SSTP_HASH_SHA256, hlak, pkt, mac), 0);
	assert_memory_equal(mac, pkt + SSTP_MAC_OFFSET, 32);

	struct sstp_binding_ctx b = {.offered = SSTP_HASH_SHA256 | SSTP_HASH_SHA1};
	memcpy(b.nonce, pkt + 16, 32);
	memcpy(b.cert_sha256, pkt + 48, 32);
	const char *why = NULL;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), 0);

	/* a wrong HLAK, a wrong nonce, a wrong certificate, a hash not offered */
	hlak[0] ^= 1;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), P2S_E_AUTH);
	assert_string_equal(why, "compound MAC mismatch");
	hlak[0] ^= 1;
	b.nonce[5] ^= 1;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), P2S_E_AUTH);
	b.nonce[5] ^= 1;
	b.cert_sha256[0] ^= 1;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), P2S_E_AUTH);
	assert_string_equal(why, "certificate hash is not the gateway's");
	b.cert_sha256[0] ^= 1;
	b.offered = SSTP_HASH_SHA1;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), P2S_E_AUTH);
	assert_string_equal(why, "hash protocol not offered");
}

static void test_binding_sha1_vector(void **state)
{
	(void)state;
	uint8_t pkt[SSTP_CONNECTED_LEN], hlak[32], mac[32];
	struct sstp_ctrl m;
	hex(CONNECTED_1, pkt, sizeof(pkt));
	hex(HLAK_1, hlak, 32);
	parse_connected(pkt, &m);
	assert_int_equal(m.hash_proto, SSTP_HASH_SHA1);
	assert_int_equal(sstp_compound_mac(SSTP_HASH_SHA1, hlak, pkt, mac), 0);
	assert_memory_equal(mac, pkt + SSTP_MAC_OFFSET, 32);
	struct sstp_binding_ctx b = {.offered = SSTP_HASH_SHA1};
	memcpy(b.nonce, pkt + 16, 32);
	memcpy(b.cert_sha1, pkt + 48, 20);
	const char *why = NULL;
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), 0);
	pkt[100] ^= 0x80;
	parse_connected(pkt, &m);
	assert_int_equal(sstp_binding_verify(&b, &m, pkt, hlak, &why), P2S_E_AUTH);
}

static void test_cmk_length_is_little_endian(void **state)
{
	(void)state;
	/* the CMK keys the MAC: a big-endian length would not reproduce the
	 * spec's MAC, which the vectors above check; here the CMK is at least
	 * not the HMAC with the length the other way round */
	uint8_t hlak[32] = {1}, a[32], b[32];
	assert_int_equal(sstp_cmk(SSTP_HASH_SHA256, hlak, a), 0);
	assert_int_equal(sstp_cmk(SSTP_HASH_SHA1, hlak, b), 0);
	assert_memory_not_equal(a, b, 20);
	for (int i = 20; i < 32; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(sstp_cmk(3, hlak, a), P2S_E_PROTO);
}

static void test_hlak(void **state)
{
	(void)state;
	uint8_t recv[16], send[16], msk[64], hlak[32];
	memset(recv, 0xaa, 16);
	memset(send, 0xbb, 16);
	sstp_hlak_mschapv2(hlak, recv, 16, send, 16);
	assert_memory_equal(hlak, recv, 16);
	assert_memory_equal(hlak + 16, send, 16);
	for (int i = 0; i < 64; i++)
		msk[i] = (uint8_t)i;
	sstp_hlak_msk(hlak, msk, 64);
	assert_memory_equal(hlak, msk, 32);
	sstp_hlak_msk(hlak, msk, 8);
	assert_int_equal(hlak[8], 0);
}

static void test_connect_request(void **state)
{
	(void)state;
	uint8_t pkt[16];
	struct sstp_pkt p;
	struct sstp_ctrl m;
	size_t len;
	hex("1001000E0001000100010006000100", pkt, 15);
	assert_int_equal(sstp_frame_len(pkt, 3, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(sstp_frame_len(pkt, 15, &len), 0);
	assert_int_equal(len, 14);
	assert_int_equal(sstp_pkt_parse(pkt, 14, &p), 0);
	assert_int_equal(sstp_ctrl_parse(p.body, p.body_len, &m), 0);
	assert_int_equal(m.type, SSTP_CALL_CONNECT_REQUEST);
	assert_true(m.has_proto);
	assert_int_equal(m.proto, SSTP_ENCAP_PPP);
	/* one byte more than the header says, one less */
	assert_int_equal(sstp_pkt_parse(pkt, 15, &p), P2S_E_TRAIL);
	assert_int_equal(sstp_pkt_parse(pkt, 13, &p), P2S_E_TRUNC);
	/* a wrong version */
	pkt[0] = 0x11;
	assert_int_equal(sstp_frame_len(pkt, 14, &len), P2S_E_PROTO);
	assert_int_equal(sstp_pkt_parse(pkt, 14, &p), P2S_E_PROTO);
}

static void test_ctrl_attribute_rules(void **state)
{
	(void)state;
	uint8_t pkt[32];
	struct sstp_ctrl m;
	/* the same attribute twice */
	hex("00010002000100060001000100060001", pkt, 16);
	assert_int_equal(sstp_ctrl_parse(pkt, 16, &m), P2S_E_PROTO);
	/* an unknown attribute id */
	hex("00010001000900060001", pkt, 10);
	assert_int_equal(sstp_ctrl_parse(pkt, 10, &m), P2S_E_PROTO);
	/* an attribute longer than the message */
	hex("00010001000100080001", pkt, 10);
	assert_int_equal(sstp_ctrl_parse(pkt, 10, &m), P2S_E_TRUNC);
	/* CONNECT_REQUEST without the protocol attribute */
	hex("00010000", pkt, 4);
	assert_int_equal(sstp_ctrl_parse(pkt, 4, &m), P2S_E_PROTO);
	/* ECHO_REQUEST is 8 bytes, nothing more */
	hex("00080000", pkt, 4);
	assert_int_equal(sstp_ctrl_parse(pkt, 4, &m), 0);
	hex("0008000000", pkt, 5);
	assert_int_equal(sstp_ctrl_parse(pkt, 5, &m), P2S_E_PROTO);
	/* CALL_CONNECTED one byte short */
	uint8_t c[SSTP_CONNECTED_LEN];
	hex(CONNECTED_256, c, sizeof(c));
	assert_int_equal(sstp_ctrl_parse(c + 4, SSTP_CONNECTED_LEN - 5, &m), P2S_E_PROTO);
	/* an unknown message type */
	hex("00630000", pkt, 4);
	assert_int_equal(sstp_ctrl_parse(pkt, 4, &m), P2S_E_PROTO);
}

static void test_builders(void **state)
{
	(void)state;
	uint8_t buf[64], want[48], nonce[32];
	struct sstp_pkt p;
	struct sstp_ctrl m;
	hex("10010030000200010004002800000002412B489AEBD7ECC7D08966F26BE7CD72"
	    "B231A0E9210D7C91B308862B0344C435",
	    want, 48);
	memcpy(nonce, want + 16, 32);
	assert_int_equal(sstp_build_connect_ack(buf, sizeof(buf), SSTP_HASH_SHA256, nonce), 48);
	assert_memory_equal(buf, want, 48);
	assert_int_equal(sstp_build_connect_ack(buf, 47, SSTP_HASH_SHA256, nonce), P2S_E_TRUNC);

	int n = sstp_build_status_msg(buf, sizeof(buf), SSTP_CALL_ABORT, SSTP_ATTR_CRYPTO_BINDING,
				      SSTP_STATUS_VALUE_NOT_SUPPORTED);
	assert_int_equal(n, 20);
	assert_int_equal(sstp_pkt_parse(buf, (size_t)n, &p), 0);
	assert_int_equal(sstp_ctrl_parse(p.body, p.body_len, &m), 0);
	assert_int_equal(m.type, SSTP_CALL_ABORT);
	assert_true(m.has_status);
	assert_int_equal(m.status_attr, SSTP_ATTR_CRYPTO_BINDING);
	assert_int_equal(m.status, SSTP_STATUS_VALUE_NOT_SUPPORTED);

	uint8_t v[2] = {0, 2};
	n = sstp_build_connect_nak(buf, sizeof(buf), SSTP_ATTR_ENCAP_PROTO,
				   SSTP_STATUS_VALUE_NOT_SUPPORTED, v, 2);
	assert_int_equal(n, 22);
	assert_int_equal(sstp_build_simple(buf, sizeof(buf), SSTP_ECHO_RESPONSE), 8);
	hex("10010008000900", want, 7);
	assert_memory_equal(buf, want, 7);

	uint8_t ppp[4] = {0xff, 3, 0xc0, 0x21};
	assert_int_equal(sstp_build_data(buf, sizeof(buf), ppp, 4), 8);
	assert_int_equal(sstp_pkt_parse(buf, 8, &p), 0);
	assert_false(p.control);
	assert_int_equal(p.body_len, 4);
	static uint8_t big[SSTP_MAX_PKT + 8];
	assert_int_equal(sstp_build_data(big, sizeof(big), big, SSTP_MAX_PKT - 3), P2S_E_PROTO);
}

#define REQ_HEAD                                                                                   \
	"SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"               \
	"Host: gw.example\r\n"                                                                     \
	"Content-Length: 18446744073709551615\r\n"                                                 \
	"SSTPCORRELATIONID: {0A1B-not-a-guid}\r\n\r\n"

static int http(const char *s, size_t *head)
{
	return sstp_http_parse((const uint8_t *)s, strlen(s), head);
}

static void test_http_request(void **state)
{
	(void)state;
	size_t head;
	assert_int_equal(http(REQ_HEAD, &head), (int)strlen(REQ_HEAD));
	assert_int_equal(head, strlen(REQ_HEAD));
	/* SSTP bytes already behind the head are left for SSTP */
	assert_int_equal(http(REQ_HEAD "\x10\x01\x00\x0e", &head), (int)strlen(REQ_HEAD));
	/* incomplete: wait for more */
	assert_int_equal(http("SSTP_DUPLEX_POST /sra_{BA19", &head), 0);
	assert_int_equal(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
			      "HTTP/1.1\r\nHost: x\r\n",
			      &head),
			 0);
	/* the tenant-id query is allowed */
	assert_true(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/?tenantid=x "
			 "HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
			 &head) > 0);
}

static void test_http_refused(void **state)
{
	(void)state;
	size_t head;
	assert_true(http("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &head) < 0);
	assert_true(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
			 "HTTP/1.0\r\nContent-Length: 18446744073709551615\r\n\r\n",
			 &head) < 0);
	assert_true(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
			 "HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
			 &head) < 0);
	assert_true(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
			 "HTTP/1.1\r\nHost: x\r\n\r\n",
			 &head) < 0);
	assert_true(http("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
			 "HTTP/1.1\nContent-Length: 18446744073709551615\n\n",
			 &head) < 0);
	assert_true(http("SSTP_DUPLEX_POST /other/ HTTP/1.1\r\n\r\n", &head) < 0);
	/* a head that never ends */
	static char big[SSTP_HTTP_MAX + 100];
	memset(big, 'a', sizeof(big) - 1);
	assert_true(http(big, &head) < 0);
	assert_string_equal(sstp_http_ok, "HTTP/1.1 200 OK\r\nContent-Length: "
					  "18446744073709551615\r\nServer: "
					  "Microsoft-HTTPAPI/2.0\r\n\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binding_sha256_vector),
		cmocka_unit_test(test_binding_sha1_vector),
		cmocka_unit_test(test_cmk_length_is_little_endian),
		cmocka_unit_test(test_hlak),
		cmocka_unit_test(test_connect_request),
		cmocka_unit_test(test_ctrl_attribute_rules),
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_http_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
