/* src/proto/ikev2/esp: AES-GCM with the RFC 4106 nonce against the GCM
 * specification's test case 16, ESP packets made by an independent
 * implementation (AES-CBC-256 + HMAC-SHA256-128, AES-GCM-16-256) decrypted,
 * round trips, tampering, replay and the sequence number that never wraps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/err.h"
#include "proto/ikev2/esp.h"
#include "proto/ikev2/sa.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	int n = hex_decode(s, out, cap);
	assert_true(n >= 0);
	return (size_t)n;
}

/* GCM spec (McGrew/Viega) test case 16: AES-256, 96-bit IV cafebabe|
 * facedbaddecaf888 = salt | ESP IV, 20 bytes of AAD. */
static void test_gcm_vector(void **state)
{
	(void)state;
	uint8_t key[32], pt[60], ct[60], tag[16], aad[20], want[76], out[60];
	unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", key, 32);
	unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	      pt, 60);
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
	unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	      "76fc6ece0f4e1768cddf8853bb2d551b",
	      want, 76);
	const uint8_t salt[4] = {0xca, 0xfe, 0xba, 0xbe};
	const uint8_t iv[8] = {0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new(), *d = EVP_CIPHER_CTX_new();
	assert_true(EVP_CipherInit_ex(e, EVP_aes_256_gcm(), NULL, key, NULL, 1));
	assert_true(EVP_CipherInit_ex(d, EVP_aes_256_gcm(), NULL, key, NULL, 0));
	assert_int_equal(esp_gcm(e, true, salt, iv, aad, 20, pt, 60, ct, tag), 0);
	assert_memory_equal(ct, want, 60);
	assert_memory_equal(tag, want + 60, 16);
	assert_int_equal(esp_gcm(d, false, salt, iv, aad, 20, ct, 60, out, tag), 0);
	assert_memory_equal(out, pt, 60);
	tag[0] ^= 1;
	assert_int_equal(esp_gcm(d, false, salt, iv, aad, 20, ct, 60, out, tag), P2S_E_AUTH);
	EVP_CIPHER_CTX_free(e);
	EVP_CIPHER_CTX_free(d);
}

static const char inner_hex[] = "4500001c000000004001f7ad0a0a0a010a01000a0800f7ff00000000";

static void keymat_fill(uint8_t *km, size_t off, size_t n, int mul, int add)
{
	for (size_t i = 0; i < n; i++)
		km[off + i] = (uint8_t)(i * mul + add);
}

static void decrypt_known(struct esp_sa *sa, const char *pkt_hex)
{
	uint8_t pkt[256], out[256], inner[64], nh;
	size_t n = unhex(pkt_hex, pkt, sizeof(pkt)), il = unhex(inner_hex, inner, 64), ol;
	assert_int_equal(esp_decrypt(sa, pkt, n, out, sizeof(out), &ol, &nh), 0);
	assert_int_equal(nh, ESP_NH_IPV4);
	assert_int_equal(ol, il);
	assert_memory_equal(out, inner, il);
	/* The same packet again is a replay. */
	assert_int_equal(esp_decrypt(sa, pkt, n, out, sizeof(out), &ol, &nh), P2S_E_REPLAY);
}

static void test_known_packets(void **state)
{
	(void)state;
	uint8_t km[64];
	struct esp_sa sa;
	keymat_fill(km, 0, 32, 3, 1);
	keymat_fill(km, 32, 32, 5, 2);
	assert_int_equal(esp_sa_init(&sa, 0xc0ffee01, IKE_ENCR_AES_CBC, 256, IKE_INTEG_SHA256_128,
				     km, false),
			 0);
	decrypt_known(&sa, "c0ffee0100000001000102030405060708090a0b0c0d0e0f61461a039986b1ec"
			   "0063c950d61e326060b4fe982c1521699f29aac802484d3916aff35e95a6f0ae"
			   "fca9772bf6624cb4");
	esp_sa_clear(&sa);
	keymat_fill(km, 0, 32, 11, 5);
	memcpy(km + 32, "\xde\xad\xbe\xef", 4);
	assert_int_equal(esp_sa_init(&sa, 0xc0ffee01, IKE_ENCR_AES_GCM16, 256, 0, km, false), 0);
	decrypt_known(&sa, "c0ffee01000000010000000000000001aa021c98c014786c09d82a839f5c4510"
			   "81019c89872d982a4d854b5681fc58b4422e52b60d29b74e8d3652fa99dd1e02");
	esp_sa_clear(&sa);
}

static void round_trip(uint16_t encr, uint16_t integ)
{
	uint8_t km[80];
	keymat_fill(km, 0, sizeof(km), 7, 9);
	struct esp_sa out, in;
	assert_int_equal(esp_sa_init(&out, 0x1234, encr, 256, integ, km, true), 0);
	assert_int_equal(esp_sa_init(&in, 0x1234, encr, 256, integ, km, false), 0);
	uint8_t payload[1500], pkt[1600], back[1600], nh;
	for (size_t len = 0; len < 40; len++) {
		for (size_t i = 0; i < len; i++)
			payload[i] = (uint8_t)(i ^ len);
		size_t pl, bl;
		assert_int_equal(
			esp_encrypt(&out, payload, len, ESP_NH_IPV6, pkt, sizeof(pkt), &pl), 0);
		assert_int_equal(esp_decrypt(&in, pkt, pl, back, sizeof(back), &bl, &nh), 0);
		assert_int_equal(bl, len);
		assert_int_equal(nh, ESP_NH_IPV6);
		assert_memory_equal(back, payload, len);
		/* A flipped bit anywhere is refused and not recorded. */
		assert_int_equal(esp_encrypt(&out, payload, len, 4, pkt, sizeof(pkt), &pl), 0);
		pkt[pl - 1 - len % 7] ^= 0x04;
		assert_int_equal(esp_decrypt(&in, pkt, pl, back, sizeof(back), &bl, &nh),
				 P2S_E_AUTH);
	}
	/* Too short, wrong SPI, output too small. */
	size_t pl, bl;
	assert_int_equal(esp_encrypt(&out, payload, 100, 4, pkt, sizeof(pkt), &pl), 0);
	assert_int_equal(esp_decrypt(&in, pkt, 20, back, sizeof(back), &bl, &nh), P2S_E_TRUNC);
	assert_int_equal(esp_decrypt(&in, pkt, pl, back, 10, &bl, &nh), P2S_E_TRUNC);
	pkt[3] ^= 1;
	assert_int_equal(esp_decrypt(&in, pkt, pl, back, sizeof(back), &bl, &nh), P2S_E_PROTO);
	assert_int_equal(esp_encrypt(&out, payload, 100, 4, pkt, 50, &pl), P2S_E_FULL);
	/* The sequence number never wraps. */
	out.seq = UINT32_MAX - 1;
	assert_int_equal(esp_encrypt(&out, payload, 10, 4, pkt, sizeof(pkt), &pl), 0);
	assert_int_equal(esp_encrypt(&out, payload, 10, 4, pkt, sizeof(pkt), &pl), P2S_E_FULL);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void test_round_trips(void **state)
{
	(void)state;
	round_trip(IKE_ENCR_AES_GCM16, 0);
	round_trip(IKE_ENCR_AES_CBC, IKE_INTEG_SHA256_128);
	round_trip(IKE_ENCR_AES_CBC, IKE_INTEG_SHA1_96);
	struct esp_sa sa;
	uint8_t km[80] = {0};
	assert_int_equal(esp_sa_init(&sa, 1, IKE_ENCR_3DES, 192, IKE_INTEG_SHA1_96, km, true),
			 P2S_E_PROTO);
	assert_int_equal(esp_sa_init(&sa, 1, IKE_ENCR_AES_GCM16, 256, IKE_INTEG_SHA1_96, km, true),
			 P2S_E_PROTO);
}

static int take(struct esp_replay *w, uint64_t seq)
{
	int r = esp_replay_check(w, seq);
	if (r == 0)
		esp_replay_update(w, seq);
	return r;
}

static void test_replay(void **state)
{
	(void)state;
	struct esp_replay w = {0};
	assert_int_equal(take(&w, 0), P2S_E_REPLAY);
	for (uint64_t s = 1; s <= 100; s += 2)
		assert_int_equal(take(&w, s), 0);
	/* Out of order inside the window is fine, once. */
	for (uint64_t s = 2; s <= 100; s += 2)
		assert_int_equal(take(&w, s), 0);
	for (uint64_t s = 1; s <= 100; s++)
		assert_int_equal(take(&w, s), P2S_E_REPLAY);
	/* A jump: old numbers fall out of the window. */
	assert_int_equal(take(&w, 100 + ESP_REPLAY_BITS), 0);
	assert_int_equal(take(&w, 100), P2S_E_REPLAY);
	assert_int_equal(take(&w, 101), 0);
	assert_int_equal(take(&w, 101), P2S_E_REPLAY);
	/* Bits from before a shorter jump are cleared, not inherited. */
	assert_int_equal(take(&w, 100 + 2 * ESP_REPLAY_BITS - 1), 0);
	assert_int_equal(take(&w, 100 + ESP_REPLAY_BITS + 5), 0);
	/* Across 2^32 (extended sequence numbers). */
	struct esp_replay x = {0};
	assert_int_equal(take(&x, 0xfffffff0ull), 0);
	assert_int_equal(take(&x, 0x100000005ull), 0);
	assert_int_equal(take(&x, 0xfffffff1ull), 0);
	assert_int_equal(take(&x, 0xfffffff0ull), P2S_E_REPLAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_vector),
		cmocka_unit_test(test_known_packets),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
