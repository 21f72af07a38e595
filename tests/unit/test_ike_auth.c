/* src/proto/ikev2/auth_sig: the initiator's AUTH checked as strongSwan
 * makes it (RSA PKCS#1 v1.5 method 1, ECDSA r|s methods 9/10, RFC 7427
 * method 14 with RSA and ECDSA), every tampering refused, the EAP MSK MAC,
 * and our own signature (through a stand-in core_sign) read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <string.h>

#include "lib/err.h"
#include "proto/ikev2/internal.h"

/* ---- the core, as far as auth_sig.c uses it ------------------------------ */

static EVP_PKEY *gw_key;
static X509 *gw_cert;

X509 *core_server_cert(struct core *c)
{
	(void)c;
	return gw_cert;
}

int core_sign(struct core *c, const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *sig,
	      size_t *sig_len)
{
	(void)c;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = EVP_DigestSignInit(m, NULL, md, NULL, gw_key) == 1 &&
		 EVP_DigestSign(m, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : P2S_E_CRYPTO;
}

/* ---- helpers -------------------------------------------------------------- */

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	return x;
}

static struct ike_engine eng;
static struct ike_sa sa;
static uint8_t init_msg[100];

/* An SA whose initiator and responder octets coincide, so what we sign
 * also verifies as the initiator's. */
static void sa_setup(void)
{
	memset(&sa, 0, sizeof(sa));
	sa.e = &eng;
	sa.suite = (struct ike_suite){.prf = IKE_PRF_HMAC_SHA256};
	sa.keys.prf_len = 32;
	memset(sa.keys.sk_pi, 0x5a, 32);
	memset(sa.keys.sk_pr, 0x5a, 32);
	memset(init_msg, 0x42, sizeof(init_msg));
	sa.init_req = sa.init_resp = init_msg;
	sa.init_req_len = sa.init_resp_len = sizeof(init_msg);
	memset(sa.ni, 0x11, IKE_NONCE_LEN);
	memset(sa.nr, 0x11, IKE_NONCE_LEN);
	sa.ni_len = IKE_NONCE_LEN;
	const uint8_t id[] = {IKE_ID_FQDN, 0, 0, 0, 'g', 'w'};
	memcpy(sa.idi_body, id, sizeof(id));
	sa.idi_len = sizeof(id);
}

/* The octets an initiator signs, computed here independently. */
static size_t octets(uint8_t *out)
{
	uint8_t mac[32];
	struct hmac_part p = {sa.idi_body, sa.idi_len};
	assert_int_equal(hmac_sha256(sa.keys.sk_pi, 32, &p, 1, mac), 0);
	memcpy(out, init_msg, sizeof(init_msg));
	memcpy(out + sizeof(init_msg), sa.nr, IKE_NONCE_LEN);
	memcpy(out + sizeof(init_msg) + IKE_NONCE_LEN, mac, 32);
	return sizeof(init_msg) + IKE_NONCE_LEN + 32;
}

static size_t sign_der(EVP_PKEY *k, const EVP_MD *md, uint8_t *sig)
{
	uint8_t oct[200];
	size_t n = octets(oct), sl = 600;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(m, NULL, md, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &sl, oct, n), 1);
	EVP_MD_CTX_free(m);
	return sl;
}

static size_t algid(int nid, bool null_params, uint8_t *out)
{
	X509_ALGOR *a = X509_ALGOR_new();
	X509_ALGOR_set0(a, OBJ_nid2obj(nid), null_params ? V_ASN1_NULL : V_ASN1_UNDEF, NULL);
	uint8_t *p = out + 1;
	int n = i2d_X509_ALGOR(a, &p);
	X509_ALGOR_free(a);
	out[0] = (uint8_t)n;
	return (size_t)n + 1;
}

static const char *check(uint8_t method, const uint8_t *data, size_t len, X509 *cert)
{
	struct ike_auth a = {method, data, len};
	return ike_auth_verify(&sa, &a, cert);
}

/* Verifies, and fails once any byte of the signature changes. */
static void accepts_then_tamper(uint8_t method, uint8_t *data, size_t len, X509 *cert)
{
	assert_null(check(method, data, len, cert));
	data[len - 3] ^= 0x10;
	assert_non_null(check(method, data, len, cert));
	data[len - 3] ^= 0x10;
	init_msg[7] ^= 1; /* the signed IKE_SA_INIT changed */
	assert_non_null(check(method, data, len, cert));
	init_msg[7] ^= 1;
}

static void test_rsa(void **state)
{
	(void)state;
	sa_setup();
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = self_signed(k);
	uint8_t buf[700];
	size_t n = sign_der(k, EVP_sha1(), buf);
	accepts_then_tamper(IKE_AUTH_RSA, buf, n, x);
	size_t h = algid(NID_sha256WithRSAEncryption, true, buf);
	n = h + sign_der(k, EVP_sha256(), buf + h);
	accepts_then_tamper(IKE_AUTH_DIGITAL_SIG, buf, n, x);
	/* The AlgorithmIdentifier says SHA-384: the SHA-256 signature fails. */
	uint8_t other[700];
	size_t h2 = algid(NID_sha384WithRSAEncryption, true, other);
	memcpy(other + h2, buf + h, n - h);
	assert_non_null(check(IKE_AUTH_DIGITAL_SIG, other, h2 + n - h, x));
	/* An ECDSA method with an RSA certificate. */
	assert_non_null(check(IKE_AUTH_ECDSA_256, buf + h, n - h, x));
	/* A length byte running past the data. */
	buf[0] = 250;
	assert_non_null(check(IKE_AUTH_DIGITAL_SIG, buf, n, x));
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_ecdsa(void **state)
{
	(void)state;
	sa_setup();
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = self_signed(k);
	uint8_t der[200], buf[300];
	size_t n = sign_der(k, EVP_sha256(), der);
	/* Method 9: r | s, 32 bytes each (RFC 4754). */
	const uint8_t *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r, *sv;
	ECDSA_SIG_get0(s, &r, &sv);
	BN_bn2binpad(r, buf, 32);
	BN_bn2binpad(sv, buf + 32, 32);
	ECDSA_SIG_free(s);
	accepts_then_tamper(IKE_AUTH_ECDSA_256, buf, 64, x);
	/* Method 14: DER, as strongSwan sends it. */
	size_t h = algid(NID_ecdsa_with_SHA256, false, buf);
	memcpy(buf + h, der, n);
	accepts_then_tamper(IKE_AUTH_DIGITAL_SIG, buf, h + n, x);
	assert_non_null(check(IKE_AUTH_RSA, der, n, x));
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_msk(void **state)
{
	(void)state;
	sa_setup();
	memset(sa.msk, 0x77, 64);
	sa.msk_len = 64;
	uint8_t oct[200], key[32], want[32];
	size_t n = octets(oct);
	struct hmac_part pad = {"Key Pad for IKEv2", 17}, po = {oct, n};
	assert_int_equal(hmac_sha256(sa.msk, 64, &pad, 1, key), 0);
	assert_int_equal(hmac_sha256(key, 32, &po, 1, want), 0);
	assert_null(check(IKE_AUTH_PSK, want, 32, NULL));
	want[0] ^= 1;
	assert_non_null(check(IKE_AUTH_PSK, want, 32, NULL));
	want[0] ^= 1;
	assert_non_null(check(IKE_AUTH_RSA, want, 32, NULL));
	assert_non_null(check(IKE_AUTH_PSK, want, 31, NULL));
}

/* Our AUTH payload, signed through core_sign, verifies with our cert. */
static void own_round_trip(EVP_PKEY *k, bool sig_hash, uint8_t want_method)
{
	sa_setup();
	sa.peer_sig_hash = sig_hash;
	gw_key = k;
	gw_cert = self_signed(k);
	uint8_t buf[1024], first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(buf), &first);
	assert_int_equal(ike_auth_sign_id(&sa, sa.idi_body, sa.idi_len, false, &b), 0);
	struct ike_chain c;
	struct ike_auth a;
	assert_int_equal(ike_chain_parse(first, buf, b.w.len, &c), 0);
	assert_int_equal(ike_auth_parse(&c.pl[0], &a), 0);
	assert_int_equal(a.method, want_method);
	assert_null(ike_auth_verify(&sa, &a, gw_cert));
	X509_free(gw_cert);
}

static void test_own_signature(void **state)
{
	(void)state;
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256"), *ec384 = EVP_EC_gen("P-384");
	own_round_trip(rsa, true, IKE_AUTH_DIGITAL_SIG);
	own_round_trip(rsa, false, IKE_AUTH_RSA);
	own_round_trip(ec, true, IKE_AUTH_DIGITAL_SIG);
	own_round_trip(ec, false, IKE_AUTH_ECDSA_256);
	own_round_trip(ec384, false, IKE_AUTH_ECDSA_384);
	own_round_trip(ec384, true, IKE_AUTH_DIGITAL_SIG);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_msk),
		cmocka_unit_test(test_own_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
