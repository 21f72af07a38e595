/* RADIUS codec: the RFC 2865 section 7.1 example byte for byte, forged and
 * malformed replies, Message-Authenticator, attribute iteration, MPPE keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "auth/radius_wire.h"
#include "lib/err.h"

/* RFC 2865 7.1: user nemo, password arctangent, secret xyzzy5461. */
static const uint8_t rfc_req[] = {
	0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83,
	0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12,
	0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a,
	0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03};
static const uint8_t rfc_resp[] = {0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24,
				   0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2,
				   0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00,
				   0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03};
#define SECRET "xyzzy5461"

static void test_rfc2865_request_bytes(void **state)
{
	(void)state;
	struct rad_builder b;
	rad_begin(&b, RAD_ACCESS_REQUEST, 0, rfc_req + 4);
	rad_add_str(&b, RAD_USER_NAME, "nemo");
	assert_int_equal(rad_add_password(&b, "arctangent", SECRET), 0);
	rad_add_u32(&b, RAD_NAS_IP_ADDRESS, 0xc0a80110);
	rad_add_u32(&b, RAD_NAS_PORT, 3);
	int n = rad_finish(&b, SECRET);
	assert_int_equal(n, sizeof(rfc_req));
	assert_memory_equal(b.buf, rfc_req, sizeof(rfc_req));
}

static void test_rfc2865_response_verifies(void **state)
{
	(void)state;
	assert_int_equal(rad_verify_reply(rfc_resp, sizeof(rfc_resp), rfc_req + 4, SECRET, false),
			 0);
	/* Wrong secret, any flipped byte, wrong request: forged. */
	assert_int_equal(rad_verify_reply(rfc_resp, sizeof(rfc_resp), rfc_req + 4, "other", false),
			 P2S_E_AUTH);
	for (size_t i = 4; i < sizeof(rfc_resp); i++) {
		uint8_t p[sizeof(rfc_resp)];
		memcpy(p, rfc_resp, sizeof(p));
		p[i] ^= 0x01;
		assert_int_not_equal(rad_verify_reply(p, sizeof(p), rfc_req + 4, SECRET, false), 0);
	}
	/* BlastRADIUS: a reply without Message-Authenticator is refused when required. */
	assert_int_equal(rad_verify_reply(rfc_resp, sizeof(rfc_resp), rfc_req + 4, SECRET, true),
			 P2S_E_AUTH);
}

static void test_malformed_replies(void **state)
{
	(void)state;
	uint8_t p[sizeof(rfc_resp)];
	memcpy(p, rfc_resp, sizeof(p));
	assert_int_equal(rad_verify_reply(p, 19, rfc_req + 4, SECRET, false), P2S_E_TRUNC);
	p[3] = 0x27; /* declared length beyond the datagram */
	assert_int_equal(rad_verify_reply(p, sizeof(p), rfc_req + 4, SECRET, false), P2S_E_TRUNC);
	memcpy(p, rfc_resp, sizeof(p));
	p[21] = 40; /* attribute length past the end */
	assert_int_equal(rad_verify_reply(p, sizeof(p), rfc_req + 4, SECRET, false), P2S_E_TRUNC);
	p[21] = 1; /* attribute length below its header */
	assert_int_equal(rad_verify_reply(p, sizeof(p), rfc_req + 4, SECRET, false), P2S_E_TRUNC);
}

static void md5_into(const void *a, size_t an, const void *b, size_t bn, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, a, an);
	EVP_DigestUpdate(c, b, bn);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

/* Builds an Accept as a server would: MA over the packet with the request
 * authenticator in place, then the Response Authenticator. */
static int server_accept(const uint8_t req_auth[16], bool with_ma, uint8_t *out)
{
	struct rad_builder b;
	rad_begin(&b, RAD_ACCESS_ACCEPT, 7, req_auth);
	if (with_ma)
		rad_add_message_authenticator(&b);
	rad_add_u32(&b, RAD_FRAMED_IP_ADDRESS, 0xac10c94d);
	rad_add_str(&b, RAD_REPLY_MESSAGE, "hello");
	uint8_t policy[] = "6ad1bd0011";
	rad_add_vsa(&b, RAD_VENDOR_MICROSOFT, RAD_MS_AZURE_POLICY_ID, policy, 10);
	int n = rad_finish(&b, SECRET);
	uint8_t ra[16];
	md5_into(b.buf, (size_t)n, SECRET, strlen(SECRET), ra);
	memcpy(b.buf + 4, ra, 16);
	memcpy(out, b.buf, (size_t)n);
	return n;
}

static void test_message_authenticator(void **state)
{
	(void)state;
	uint8_t req_auth[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t p[512];
	int n = server_accept(req_auth, true, p);
	assert_int_equal(rad_verify_reply(p, (size_t)n, req_auth, SECRET, true), 0);
	p[22] ^= 0x80; /* inside the Message-Authenticator value */
	uint8_t ra[16];
	memset(p + 4, 0, 16);
	memcpy(p + 4, req_auth, 16);
	md5_into(p, (size_t)n, SECRET, strlen(SECRET), ra);
	memcpy(p + 4, ra, 16); /* a valid Response Authenticator, a bad MA */
	assert_int_equal(rad_verify_reply(p, (size_t)n, req_auth, SECRET, true), P2S_E_AUTH);
	n = server_accept(req_auth, false, p);
	assert_int_equal(rad_verify_reply(p, (size_t)n, req_auth, SECRET, false), 0);
	assert_int_equal(rad_verify_reply(p, (size_t)n, req_auth, SECRET, true), P2S_E_AUTH);
}

/* A reply as a server with the given secret would send it; optionally with
 * an EAP-Message (EAP-Success) and a Message-Authenticator. */
static size_t server_reply(const uint8_t req_auth[16], const char *secret, bool with_ma, bool eap,
			   uint8_t *out)
{
	struct rad_builder b;
	rad_begin(&b, eap ? RAD_ACCESS_ACCEPT : RAD_ACCESS_REJECT, 9, req_auth);
	if (with_ma)
		rad_add_message_authenticator(&b);
	static const uint8_t eap_success[] = {3, 9, 0, 4};
	if (eap)
		rad_add_eap(&b, eap_success, sizeof(eap_success));
	int n = rad_finish(&b, secret);
	uint8_t ra[16];
	md5_into(b.buf, (size_t)n, secret, strlen(secret), ra);
	memcpy(b.buf + 4, ra, 16);
	memcpy(out, b.buf, (size_t)n);
	return (size_t)n;
}

/* Each way a reply fails has its own verdict, so the log can say which. */
static void test_reply_verdicts(void **state)
{
	(void)state;
	uint8_t ra[16] = {7}, p[256];
	size_t n = server_reply(ra, SECRET, false, false, p);
	bool has_ma = true;
	assert_int_equal(rad_check_reply(p, n, ra, SECRET, false, &has_ma), RAD_REPLY_OK);
	assert_false(has_ma);
	assert_int_equal(rad_check_reply(p, n, ra, SECRET, true, NULL), RAD_REPLY_MISSING_MA);
	assert_int_equal(rad_check_reply(p, n, ra, "wrong", false, NULL),
			 RAD_REPLY_BAD_AUTHENTICATOR);
	n = server_reply(ra, SECRET, true, false, p);
	assert_int_equal(rad_check_reply(p, n, ra, SECRET, true, &has_ma), RAD_REPLY_OK);
	assert_true(has_ma);
	/* A signature made with another secret, under a valid Response Authenticator. */
	uint8_t other[256];
	server_reply(ra, "another", true, false, other);
	memcpy(p + 22, other + 22, 16);
	uint8_t fix[16];
	memcpy(p + 4, ra, 16);
	md5_into(p, n, SECRET, strlen(SECRET), fix);
	memcpy(p + 4, fix, 16);
	assert_int_equal(rad_check_reply(p, n, ra, SECRET, false, NULL), RAD_REPLY_BAD_MA);
	/* Two Message-Authenticators are malformed, not a choice of one. */
	uint8_t two[64] = {3, 9, 0, 56};
	two[20] = two[38] = RAD_MESSAGE_AUTHENTICATOR;
	two[21] = two[39] = 18;
	assert_int_equal(rad_check_reply(two, 56, ra, SECRET, false, NULL), RAD_REPLY_MALFORMED);
	assert_string_equal(rad_verdict_str(RAD_REPLY_MISSING_MA), "missing Message-Authenticator");
}

static void test_ma_mode_parse(void **state)
{
	(void)state;
	enum rad_ma_mode m = RAD_MA_NEVER;
	assert_int_equal(rad_ma_mode_parse(NULL, &m), 0);
	assert_int_equal(m, RAD_MA_AUTO);
	assert_int_equal(rad_ma_mode_parse("require", &m), 0);
	assert_int_equal(m, RAD_MA_REQUIRE);
	assert_int_equal(rad_ma_mode_parse("never", &m), 0);
	assert_int_equal(m, RAD_MA_NEVER);
	assert_int_equal(rad_ma_mode_parse("yes", &m), -1);
	assert_int_equal(rad_ma_mode_parse("Require", &m), -1);
}

/* auto: unsigned replies pass until the server signs one; then an unsigned
 * reply (a BlastRADIUS forgery's shape) is refused. */
static void test_ma_auto_learns(void **state)
{
	(void)state;
	uint8_t ra[16] = {1, 2, 3}, unsig[256], sig[256];
	size_t nu = server_reply(ra, SECRET, false, false, unsig);
	size_t ns = server_reply(ra, SECRET, true, false, sig);
	struct rad_ma_policy pol = {.mode = RAD_MA_AUTO};
	bool has_ma = true;
	assert_int_equal(rad_check_access_reply(&pol, unsig, nu, ra, SECRET, &has_ma),
			 RAD_REPLY_OK);
	assert_false(has_ma);
	assert_false(pol.seen);
	/* A bad signature teaches nothing. */
	assert_int_equal(rad_check_access_reply(&pol, sig, ns, ra, "other", NULL),
			 RAD_REPLY_BAD_AUTHENTICATOR);
	assert_false(pol.seen);
	assert_int_equal(rad_check_access_reply(&pol, sig, ns, ra, SECRET, &has_ma), RAD_REPLY_OK);
	assert_true(has_ma);
	assert_true(pol.seen);
	assert_int_equal(rad_check_access_reply(&pol, unsig, nu, ra, SECRET, NULL),
			 RAD_REPLY_MISSING_MA);
}

static void test_ma_require_and_never(void **state)
{
	(void)state;
	uint8_t ra[16] = {4}, unsig[256], sig[256], eap[256];
	size_t nu = server_reply(ra, SECRET, false, false, unsig);
	size_t ns = server_reply(ra, SECRET, true, false, sig);
	size_t ne = server_reply(ra, SECRET, false, true, eap);
	struct rad_ma_policy req = {.mode = RAD_MA_REQUIRE}, never = {.mode = RAD_MA_NEVER};
	assert_int_equal(rad_check_access_reply(&req, unsig, nu, ra, SECRET, NULL),
			 RAD_REPLY_MISSING_MA);
	assert_int_equal(rad_check_access_reply(&req, sig, ns, ra, SECRET, NULL), RAD_REPLY_OK);
	/* never: unsigned passes even after a signed one... */
	assert_int_equal(rad_check_access_reply(&never, sig, ns, ra, SECRET, NULL), RAD_REPLY_OK);
	assert_int_equal(rad_check_access_reply(&never, unsig, nu, ra, SECRET, NULL), RAD_REPLY_OK);
	/* ...but never with EAP-Message (RFC 3579), and never with the wrong secret. */
	assert_int_equal(rad_check_access_reply(&never, eap, ne, ra, SECRET, NULL),
			 RAD_REPLY_MISSING_MA);
	assert_int_equal(rad_check_access_reply(&never, unsig, nu, ra, "wrong", NULL),
			 RAD_REPLY_BAD_AUTHENTICATOR);
	ne = server_reply(ra, SECRET, true, true, eap);
	assert_int_equal(rad_check_access_reply(&never, eap, ne, ra, SECRET, NULL), RAD_REPLY_OK);
}

static void test_attribute_iteration(void **state)
{
	(void)state;
	uint8_t req_auth[16] = {0}, p[512];
	int n = server_accept(req_auth, true, p);
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, (size_t)n);
	int seen = 0;
	while (rad_iter_next(&it, &a)) {
		if (a.type == RAD_FRAMED_IP_ADDRESS) {
			assert_int_equal(a.len, 4);
			assert_int_equal(a.val[3], 0x4d);
			seen |= 1;
		} else if (a.vendor == RAD_VENDOR_MICROSOFT && a.vtype == RAD_MS_AZURE_POLICY_ID) {
			assert_memory_equal(a.val, "6ad1bd0011", 10);
			seen |= 2;
		} else if (a.type == RAD_REPLY_MESSAGE) {
			assert_memory_equal(a.val, "hello", 5);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
}

static void test_password_limits(void **state)
{
	(void)state;
	struct rad_builder b;
	uint8_t auth[16] = {0};
	char pw[130];
	memset(pw, 'x', sizeof(pw) - 1);
	pw[129] = 0;
	rad_begin(&b, RAD_ACCESS_REQUEST, 1, auth);
	assert_int_equal(rad_add_password(&b, pw, SECRET), -EINVAL);
	pw[128] = 0;
	assert_int_equal(rad_add_password(&b, pw, SECRET), 0);
	assert_int_equal(b.buf[20 + 1], 130); /* 128 bytes of hidden password */
	uint8_t eap[600];
	memset(eap, 0xab, sizeof(eap));
	rad_begin(&b, RAD_ACCESS_REQUEST, 1, auth);
	rad_add_eap(&b, eap, sizeof(eap));
	assert_int_equal(rad_finish(&b, SECRET), 20 + 255 + 255 + 96);
}

/* RFC 2548 2.4.2 in the direction a server writes it, to check ours reads it. */
static void mppe_encrypt(const uint8_t *key, size_t klen, const uint8_t req_auth[16], uint8_t *out,
			 size_t *out_len)
{
	uint8_t plain[48] = {0}, b[16];
	plain[0] = (uint8_t)klen;
	memcpy(plain + 1, key, klen);
	size_t n = (klen + 1 + 15) / 16 * 16;
	out[0] = 0x80 | 0x12;
	out[1] = 0x34;
	uint8_t seed[18];
	memcpy(seed, req_auth, 16);
	memcpy(seed + 16, out, 2);
	md5_into(SECRET, strlen(SECRET), seed, 18, b);
	for (size_t i = 0; i < n; i += 16) {
		if (i)
			md5_into(SECRET, strlen(SECRET), out + 2 + i - 16, 16, b);
		for (int j = 0; j < 16; j++)
			out[2 + i + j] = plain[i + j] ^ b[j];
	}
	*out_len = 2 + n;
}

static void test_mppe_key(void **state)
{
	(void)state;
	uint8_t req_auth[16] = {9, 8, 7}, key[32], enc[64], got[64];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	size_t enc_len, got_len = sizeof(got);
	mppe_encrypt(key, 32, req_auth, enc, &enc_len);
	assert_int_equal(rad_mppe_decrypt(enc, enc_len, SECRET, req_auth, got, &got_len), 0);
	assert_int_equal(got_len, 32);
	assert_memory_equal(got, key, 32);
	got_len = sizeof(got);
	enc[0] &= 0x7f; /* the salt's high bit must be set */
	assert_int_equal(rad_mppe_decrypt(enc, enc_len, SECRET, req_auth, got, &got_len),
			 P2S_E_PROTO);
	enc[0] |= 0x80;
	got_len = 16; /* too small for the 32-byte key inside */
	assert_int_equal(rad_mppe_decrypt(enc, enc_len, SECRET, req_auth, got, &got_len),
			 P2S_E_PROTO);
	got_len = sizeof(got);
	assert_int_equal(rad_mppe_decrypt(enc, 17, SECRET, req_auth, got, &got_len), P2S_E_PROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2865_request_bytes),
		cmocka_unit_test(test_rfc2865_response_verifies),
		cmocka_unit_test(test_malformed_replies),
		cmocka_unit_test(test_message_authenticator),
		cmocka_unit_test(test_reply_verdicts),
		cmocka_unit_test(test_ma_mode_parse),
		cmocka_unit_test(test_ma_auto_learns),
		cmocka_unit_test(test_ma_require_and_never),
		cmocka_unit_test(test_attribute_iteration),
		cmocka_unit_test(test_password_limits),
		cmocka_unit_test(test_mppe_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
