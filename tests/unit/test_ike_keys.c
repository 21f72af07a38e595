/* src/proto/ikev2/keys and dh: the PRF against RFC 4231/4868 vectors, prf+
 * and SKEYSEED/SK_* against an independent computation (RFC 7296 has no
 * vectors), every DH group both ways with bad peer values refused, and the
 * SK payload sealed and opened with each cipher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/err.h"
#include "proto/ikev2/keys.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	int n = hex_decode(s, out, cap);
	assert_true(n >= 0);
	return (size_t)n;
}

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[512];
	size_t wn = unhex(want, w, sizeof(w));
	assert_int_equal(wn, n);
	assert_memory_equal(got, w, n);
}

/* RFC 4231 test cases 1 and 2 (RFC 4868 §2.7.1 uses the same PRF). */
static void test_prf_vectors(void **state)
{
	(void)state;
	uint8_t key[20], out[48];
	memset(key, 0x0b, sizeof(key));
	struct hmac_part hi = {"Hi There", 8};
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA256, key, 20, &hi, 1, out), 0);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA384, key, 20, &hi, 1, out), 0);
	assert_hex(out, 48,
		   "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		   "faea9ea9076ede7f4af152e8b2fa9cb6");
	struct hmac_part jefe = {"what do ya want for nothing?", 28};
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA256, (const uint8_t *)"Jefe", 4, &jefe, 1, out),
			 0);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_int_equal(ike_prf(99, key, 20, &hi, 1, out), P2S_E_PROTO);
}

static void test_prf_plus(void **state)
{
	(void)state;
	uint8_t key[32], out[100], t1[32], t2[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i + 1);
	const char *seed = "prf+ seed for p2sgw";
	size_t sl = strlen(seed);
	assert_int_equal(
		ike_prf_plus(IKE_PRF_HMAC_SHA256, key, 32, (const uint8_t *)seed, sl, out, 100), 0);
	assert_hex(out, 100,
		   "0f002061cc13fa069026a884f4f64721b21dee8dd9605e9fdd354ad670490aa6"
		   "f20376607ba2f00a6f06ab24691615f3b01c720ea80c02e100c0954c9eecadf0"
		   "8a4191414a56774c62f4c168d19b478558e07eee1c674dcfa2ccef722b2ccdb5"
		   "72935180");
	/* The definition, block by block: T1 = prf(K, S|1), T2 = prf(K, T1|S|2). */
	uint8_t one = 1, two = 2;
	struct hmac_part p1[2] = {{seed, sl}, {&one, 1}};
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA256, key, 32, p1, 2, t1), 0);
	struct hmac_part p2[3] = {{t1, 32}, {seed, sl}, {&two, 1}};
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA256, key, 32, p2, 3, t2), 0);
	assert_memory_equal(out, t1, 32);
	assert_memory_equal(out + 32, t2, 32);
	assert_int_equal(
		ike_prf_plus(IKE_PRF_HMAC_SHA384, key, 32, (const uint8_t *)seed, sl, out, 100), 0);
	assert_hex(out, 100,
		   "9da777c77eba88ef401801e0cb51cabaee43dac8f81e58df4dab45470a061af4"
		   "bdfc0998713c8634aa775d255e33c530d196be5e2f7e4d140cf8f0f0896e185f"
		   "0a5b07c5c3ea4822a136e73faa49accc2ccd6083485d70efefa2b06f58d93ac0"
		   "fdf0675d");
	/* At most 255 blocks. */
	static uint8_t big[256 * 32];
	assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA256, key, 32, (const uint8_t *)seed, sl, big,
				      sizeof(big)),
			 P2S_E_PROTO);
}

static void test_sk_keys(void **state)
{
	(void)state;
	uint8_t ni[32], nr[32], gir[256];
	memset(ni, 0x11, 32);
	memset(nr, 0x22, 32);
	for (int i = 0; i < 256; i++)
		gir[i] = (uint8_t)(i * 7 + 3);
	struct ike_suite s = {.proto = IKE_PROTO_IKE,
			      .encr = IKE_ENCR_AES_GCM16,
			      .key_bits = 256,
			      .prf = IKE_PRF_HMAC_SHA256,
			      .dh = IKE_DH_MODP2048};
	struct ike_keys k;
	assert_int_equal(ike_keys_derive(&s, NULL, 0, gir, 256, ni, 32, nr, 32,
					 0x0102030405060708ull, 0xa1a2a3a4a5a6a7a8ull, &k),
			 0);
	assert_int_equal(k.encr_len, 36);
	assert_int_equal(k.integ_len, 0);
	assert_hex(k.sk_d, 32, "8da9a0e0ca5cae5b8c86474b8e9eb51c7af16453500aae3dae2fcda809f8984f");
	assert_hex(k.sk_ei, 36,
		   "48d8d1edfe78d68414ad69d5b19d9faa073c0b50bbbf7ecb0a3de77a8451fab6ff22f1d9");
	assert_hex(k.sk_er, 36,
		   "a117821099ab632f4f40ebd441f1564921adaf1633cff6f2b8d4d103b6ae018cf5aac89a");
	assert_hex(k.sk_pi, 32, "6c432c998ff1c903bade51b6251a4690b1de92047eb1e38b0c704fc10408a32a");
	assert_hex(k.sk_pr, 32, "1571b67533c3ff50fc1dd9396dd5912193d6d186eaf66750bf14a81cf6dedd28");
	/* A rekey's SKEYSEED depends on the old SK_d: different keys. */
	struct ike_keys k2;
	assert_int_equal(ike_keys_derive(&s, k.sk_d, 32, gir, 256, ni, 32, nr, 32, 1, 2, &k2), 0);
	assert_memory_not_equal(k2.sk_d, k.sk_d, 32);
	ike_keys_wipe(&k2);
	uint8_t zero[sizeof(k2)] = {0};
	assert_memory_equal(&k2, zero, sizeof(k2));
}

static void test_dh_groups(void **state)
{
	(void)state;
	static const uint16_t groups[] = {IKE_DH_MODP1024, IKE_DH_MODP2048, IKE_DH_MODP2048_256,
					  IKE_DH_ECP256, IKE_DH_ECP384};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct ike_dh a, b;
		uint8_t pa[IKE_MAX_DH], pb[IKE_MAX_DH], sa[IKE_MAX_DH], sb[IKE_MAX_DH];
		size_t la, lb, na, nb;
		assert_int_equal(ike_dh_new(&a, groups[g]), 0);
		assert_int_equal(ike_dh_new(&b, groups[g]), 0);
		assert_int_equal(ike_dh_public(&a, pa, sizeof(pa), &la), 0);
		assert_int_equal(ike_dh_public(&b, pb, sizeof(pb), &lb), 0);
		assert_int_equal(la, ike_dh_len(groups[g]));
		assert_int_equal(ike_dh_shared(&a, pb, lb, sa, sizeof(sa), &na), 0);
		assert_int_equal(ike_dh_shared(&b, pa, la, sb, sizeof(sb), &nb), 0);
		assert_int_equal(na, nb);
		assert_memory_equal(sa, sb, na);
		/* Wrong length, zero, one and garbage points are refused. */
		assert_int_not_equal(ike_dh_shared(&a, pb, lb - 1, sa, sizeof(sa), &na), 0);
		memset(pb, 0, lb);
		assert_int_not_equal(ike_dh_shared(&a, pb, lb, sa, sizeof(sa), &na), 0);
		pb[lb - 1] = 1;
		assert_int_not_equal(ike_dh_shared(&a, pb, lb, sa, sizeof(sa), &na), 0);
		memset(pb, 0xff, lb);
		assert_int_not_equal(ike_dh_shared(&a, pb, lb, sa, sizeof(sa), &na), 0);
		ike_dh_free(&a);
		ike_dh_free(&b);
	}
	struct ike_dh x;
	assert_int_equal(ike_dh_new(&x, 31), P2S_E_PROTO);
	assert_false(ike_dh_supported(IKE_DH_NONE));
}

/* Group 24 peer values outside the 256-bit subgroup (RFC 6989): p-1 has
 * order 2. */
static void test_dh_subgroup(void **state)
{
	(void)state;
	struct ike_dh a;
	uint8_t bad[256], out[256];
	size_t n;
	assert_int_equal(ike_dh_new(&a, IKE_DH_MODP2048_256), 0);
	uint8_t pub[256];
	assert_int_equal(ike_dh_public(&a, pub, sizeof(pub), &n), 0);
	/* A value in range but (almost surely) outside the subgroup. */
	memset(bad, 0x5a, sizeof(bad));
	bad[0] = 0x10;
	assert_int_not_equal(ike_dh_shared(&a, bad, 256, out, sizeof(out), &n), 0);
	ike_dh_free(&a);
}

static void sk_round_trip(uint16_t encr, uint16_t integ)
{
	uint8_t ke[36], ka[48];
	for (int i = 0; i < 36; i++)
		ke[i] = (uint8_t)(i * 3);
	for (int i = 0; i < 48; i++)
		ka[i] = (uint8_t)(i * 5);
	struct ike_sk_dir d = {encr, 256, integ, ke, integ ? ka : NULL};
	uint8_t msg[512] = {0}, out[512];
	const char *inner = "inner payload chain bytes";
	size_t il = strlen(inner), len, ol;
	msg[17] = 0x20;
	assert_int_equal(ike_sk_seal(&d, msg, sizeof(msg), 28, 0, (const uint8_t *)inner, il, &len),
			 0);
	assert_int_equal((size_t)(msg[26] << 8 | msg[27]), len);
	assert_int_equal(ike_sk_open(&d, msg, len, 28, 0, out, &ol), 0);
	assert_int_equal(ol, il);
	assert_memory_equal(out, inner, il);
	/* Any flipped bit, in the header (AAD) or ciphertext, fails. */
	msg[20] ^= 1;
	assert_int_equal(ike_sk_open(&d, msg, len, 28, 0, out, &ol), P2S_E_AUTH);
	msg[20] ^= 1;
	msg[len - 20] ^= 0x80;
	assert_int_equal(ike_sk_open(&d, msg, len, 28, 0, out, &ol), P2S_E_AUTH);
	assert_int_equal(ike_sk_open(&d, msg, 40, 28, 0, out, &ol), P2S_E_TRUNC);
}

static void test_sk_payload(void **state)
{
	(void)state;
	sk_round_trip(IKE_ENCR_AES_GCM16, 0);
	sk_round_trip(IKE_ENCR_AES_CBC, IKE_INTEG_SHA256_128);
	sk_round_trip(IKE_ENCR_AES_CBC, IKE_INTEG_SHA384_192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prf_vectors), cmocka_unit_test(test_prf_plus),
		cmocka_unit_test(test_sk_keys),	    cmocka_unit_test(test_dh_groups),
		cmocka_unit_test(test_dh_subgroup), cmocka_unit_test(test_sk_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
