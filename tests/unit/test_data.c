/* src/proto/openvpn/data: the AEAD data channel and key derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/data.h"
#include "proto/openvpn/wire.h"

static const char *const ciphers[] = {"AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305"};

static uint8_t key2[OVPN_KEY2_LEN];
static const uint8_t ip_packet[] = "\x45\x00\x00\x54 an inner IPv4 packet, ICMP echo maybe";

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < OVPN_KEY2_LEN; i++)
		key2[i] = (uint8_t)(i * 13 + 1);
	return 0;
}

struct pair {
	struct ovpn_dc srv, cli;
};

static void pair_init(struct pair *p, const char *cipher)
{
	assert_int_equal(ovpn_dc_init(&p->srv, cipher, key2, true), 0);
	assert_int_equal(ovpn_dc_init(&p->cli, cipher, key2, false), 0);
	assert_true(ovpn_dc_ready(&p->srv));
	assert_true(ovpn_dc_ready(&p->cli));
}

static void pair_free(struct pair *p)
{
	ovpn_dc_free(&p->srv);
	ovpn_dc_free(&p->cli);
	assert_false(ovpn_dc_ready(&p->srv));
}

static void test_roundtrip_all_ciphers(void **state)
{
	(void)state;
	for (size_t c = 0; c < 3; c++) {
		struct pair p;
		pair_init(&p, ciphers[c]);
		uint8_t pkt[2048], out[2048];
		for (int round = 0; round < 3; round++) {
			/* client -> server */
			int n = ovpn_dc_encrypt(&p.cli, 2, 0x123456, ip_packet, sizeof(ip_packet),
						pkt, sizeof(pkt));
			assert_int_equal(n, (int)(sizeof(ip_packet) + OVPN_DATA_OVERHEAD));
			int m = ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out));
			assert_int_equal(m, (int)sizeof(ip_packet));
			assert_memory_equal(out, ip_packet, sizeof(ip_packet));
			/* server -> client */
			n = ovpn_dc_encrypt(&p.srv, 2, 7, ip_packet, 20, pkt, sizeof(pkt));
			assert_int_equal(n, 20 + OVPN_DATA_OVERHEAD);
			m = ovpn_dc_decrypt(&p.cli, pkt, (size_t)n, out, sizeof(out));
			assert_int_equal(m, 20);
			assert_memory_equal(out, ip_packet, 20);
		}
		/* A side cannot open its own packets: the directions use different keys. */
		int n = ovpn_dc_encrypt(&p.srv, 0, 1, ip_packet, 10, pkt, sizeof(pkt));
		assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out)),
				 P2S_E_AUTH);
		pair_free(&p);
	}
}

static void test_header_bytes(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p, "AES-256-GCM");
	uint8_t pkt[256];
	int n = ovpn_dc_encrypt(&p.srv, 5, 0xabcdef, ip_packet, 16, pkt, sizeof(pkt));
	assert_int_equal(n, 16 + 24);
	assert_int_equal(pkt[0], 9 << 3 | 5); /* P_DATA_V2, key id 5 */
	assert_int_equal(pkt[1], 0xab);	      /* peer-id, 24 bits big-endian */
	assert_int_equal(pkt[2], 0xcd);
	assert_int_equal(pkt[3], 0xef);
	static const uint8_t pid1[4] = {0, 0, 0, 1}, pid2[4] = {0, 0, 0, 2};
	assert_memory_equal(pkt + 4, pid1, 4); /* packet ids start at 1 */
	n = ovpn_dc_encrypt(&p.srv, 0, 0x1000001, ip_packet, 16, pkt, sizeof(pkt));
	assert_int_equal(pkt[0], 9 << 3);
	assert_int_equal(pkt[1], 0); /* only the low 24 bits of the peer id */
	assert_int_equal(pkt[2], 0);
	assert_int_equal(pkt[3], 1);
	assert_memory_equal(pkt + 4, pid2, 4);
	pair_free(&p);
}

static void test_tampering(void **state)
{
	(void)state;
	for (size_t c = 0; c < 3; c++) {
		struct pair p;
		pair_init(&p, ciphers[c]);
		uint8_t pkt[256], out[256];
		int n = ovpn_dc_encrypt(&p.cli, 1, 42, ip_packet, 32, pkt, sizeof(pkt));
		/* Every single-bit change anywhere is refused: the header and packet id
		 * are authenticated data, then the tag, then the ciphertext. */
		for (int i = 0; i < n; i++) {
			for (int bit = 0; bit < 8; bit++) {
				pkt[i] ^= (uint8_t)(1 << bit);
				int r = ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out));
				pkt[i] ^= (uint8_t)(1 << bit);
				if (i == 0 && bit >= 3) {
					/* The opcode changed: not data, V1 or a bad tag. */
					assert_true(r < 0);
					continue;
				}
				if (i >= 4 && i < 8 && r == P2S_E_REPLAY)
					continue; /* a pid that reads as 0 */
				if (r != P2S_E_AUTH)
					fail_msg("%s: bit %d of byte %d: got %d", ciphers[c], bit,
						 i, r);
			}
		}
		/* The untouched packet still opens: failures did not consume its id. */
		assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out)), 32);
		pair_free(&p);
	}
}

static void test_replay(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p, "AES-128-GCM");
	uint8_t a[128], b[128], out[128];
	int na = ovpn_dc_encrypt(&p.cli, 0, 1, ip_packet, 10, a, sizeof(a));
	int nb = ovpn_dc_encrypt(&p.cli, 0, 1, ip_packet, 11, b, sizeof(b));
	/* Out of order is fine, a second copy is not. */
	assert_int_equal(ovpn_dc_decrypt(&p.srv, b, (size_t)nb, out, sizeof(out)), 11);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, a, (size_t)na, out, sizeof(out)), 10);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, a, (size_t)na, out, sizeof(out)), P2S_E_REPLAY);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, b, (size_t)nb, out, sizeof(out)), P2S_E_REPLAY);
	pair_free(&p);
}

static void test_decrypt_errors(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p, "AES-256-GCM");
	uint8_t pkt[128], out[128];
	int n = ovpn_dc_encrypt(&p.cli, 0, 1, ip_packet, 40, pkt, sizeof(pkt));
	/* Shorter than header + pid + tag. */
	for (size_t len = 0; len < 24; len++)
		assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, len, out, sizeof(out)),
				 len == 0 ? P2S_E_PROTO : P2S_E_TRUNC);
	/* Cut inside the ciphertext: the tag no longer matches. */
	for (int len = 24; len < n; len++)
		assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)len, out, sizeof(out)),
				 P2S_E_AUTH);
	/* Not a data opcode. */
	uint8_t ctl[64] = {OVPN_CONTROL_V1 << 3};
	assert_int_equal(ovpn_dc_decrypt(&p.srv, ctl, sizeof(ctl), out, sizeof(out)), P2S_E_PROTO);
	/* No room for the plaintext. */
	assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, 39), -ENOSPC);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, 40), 40);
	pair_free(&p);
}

static void test_encrypt_limits(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p, "CHACHA20-POLY1305");
	uint8_t pkt[128], out[128];
	assert_int_equal(ovpn_dc_encrypt(&p.srv, 0, 1, ip_packet, 10, pkt, 10 + 23), -ENOSPC);
	assert_int_equal(ovpn_dc_encrypt(&p.srv, 0, 1, ip_packet, 10, pkt, 10 + 24), 34);
	/* An empty plaintext still authenticates. */
	int n = ovpn_dc_encrypt(&p.cli, 0, 1, ip_packet, 0, pkt, sizeof(pkt));
	assert_int_equal(n, 24);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out)), 0);
	/* The packet id never wraps. */
	p.srv.send_pid = 0xfffffffe;
	n = ovpn_dc_encrypt(&p.srv, 0, 1, ip_packet, 10, pkt, sizeof(pkt));
	assert_int_equal(n, 34);
	assert_memory_equal(pkt + 4, "\xff\xff\xff\xff", 4);
	assert_int_equal(ovpn_dc_decrypt(&p.cli, pkt, (size_t)n, out, sizeof(out)), 10);
	assert_int_equal(ovpn_dc_encrypt(&p.srv, 0, 1, ip_packet, 10, pkt, sizeof(pkt)),
			 P2S_E_FULL);
	pair_free(&p);
}

static void test_init_errors(void **state)
{
	(void)state;
	struct ovpn_dc dc;
	assert_int_equal(ovpn_dc_init(&dc, "BF-CBC", key2, true), P2S_E_PROTO);
	assert_false(ovpn_dc_ready(&dc));
	assert_int_equal(ovpn_dc_init(&dc, "aes-256-gcm", key2, true), P2S_E_PROTO);
	assert_int_equal(ovpn_dc_init(&dc, "", key2, true), P2S_E_PROTO);
	ovpn_dc_free(&dc); /* safe on a failed init */
}

/* AES-256-GCM done here with OpenSSL directly, as the client would. */
static int gcm_seal(const uint8_t *key, const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
		    const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0, fl = 0;
	int ok = x && EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, iv) &&
		 EVP_EncryptUpdate(x, NULL, &outl, ad, (int)ad_len) &&
		 EVP_EncryptUpdate(x, ct, &outl, pt, (int)len) &&
		 EVP_EncryptFinal_ex(x, ct + outl, &fl) &&
		 EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(x);
	return ok ? outl + fl : -1;
}

static void test_known_answer_aes256gcm(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p, "AES-256-GCM");
	uint8_t pkt[256];
	p.srv.send_pid = 0x01020303; /* next id 0x01020304 */
	int n = ovpn_dc_encrypt(&p.srv, 3, 0x0a0b0c, ip_packet, sizeof(ip_packet), pkt,
				sizeof(pkt));
	assert_int_equal(n, (int)sizeof(ip_packet) + 24);
	/* The server sends with slot 1 of key2: cipher[] at 128, hmac[] at 192. */
	const uint8_t *key = key2 + 128, *implicit = key2 + 192;
	uint8_t iv[12] = {0x01, 0x02, 0x03, 0x04};
	memcpy(iv + 4, implicit, 8);
	const uint8_t ad[8] = {9 << 3 | 3, 0x0a, 0x0b, 0x0c, 0x01, 0x02, 0x03, 0x04};
	uint8_t ct[256], tag[16];
	assert_int_equal(gcm_seal(key, iv, ad, 8, ip_packet, sizeof(ip_packet), ct, tag),
			 (int)sizeof(ip_packet));
	assert_memory_equal(pkt, ad, 8);
	assert_memory_equal(pkt + 8, tag, 16);
	assert_memory_equal(pkt + 24, ct, sizeof(ip_packet));
	pair_free(&p);
}

static void test_decrypt_data_v1(void **state)
{
	(void)state;
	/* P_DATA_V1: 1-byte header, the AD is only the packet id. Made by hand
	 * with the client's key (slot 0). */
	struct pair p;
	pair_init(&p, "AES-256-GCM");
	uint8_t pkt[256], out[256];
	const uint8_t pid[4] = {0, 0, 0, 9};
	uint8_t iv[12] = {0, 0, 0, 9};
	memcpy(iv + 4, key2 + 64, 8);
	pkt[0] = OVPN_DATA_V1 << 3 | 1;
	memcpy(pkt + 1, pid, 4);
	assert_int_equal(gcm_seal(key2, iv, pid, 4, ip_packet, 30, pkt + 21, pkt + 5), 30);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, 51, out, sizeof(out)), 30);
	assert_memory_equal(out, ip_packet, 30);
	assert_int_equal(ovpn_dc_decrypt(&p.srv, pkt, 51, out, sizeof(out)), P2S_E_REPLAY);
	pair_free(&p);
}

static void test_ping_and_occ(void **state)
{
	(void)state;
	static const uint8_t ping[16] = {0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
					 0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48};
	static const uint8_t occ_exit[17] = {0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81, 0x2d,
					     0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c, 6};
	uint8_t b[32];
	assert_true(ovpn_is_ping(ping, 16));
	assert_false(ovpn_is_ping(ping, 15));
	memcpy(b, ping, 16);
	b[16] = 0;
	assert_false(ovpn_is_ping(b, 17));
	b[15] ^= 1;
	assert_false(ovpn_is_ping(b, 16));
	assert_false(ovpn_is_occ_exit(ping, 16));

	assert_true(ovpn_is_occ_exit(occ_exit, 17));
	assert_false(ovpn_is_occ_exit(occ_exit, 16));
	memcpy(b, occ_exit, 17);
	b[16] = 5; /* another OCC type */
	assert_false(ovpn_is_occ_exit(b, 17));
	b[16] = 6;
	b[0] ^= 0x80;
	assert_false(ovpn_is_occ_exit(b, 17));
	memcpy(b, occ_exit, 17);
	b[17] = 0;
	assert_false(ovpn_is_occ_exit(b, 18));
	assert_false(ovpn_is_ping(occ_exit, 16));

	/* A ping goes through the data channel like any packet. */
	struct pair p;
	pair_init(&p, "AES-256-GCM");
	uint8_t pkt[64], out[64];
	int n = ovpn_dc_encrypt(&p.cli, 0, 0, ping, 16, pkt, sizeof(pkt));
	int m = ovpn_dc_decrypt(&p.srv, pkt, (size_t)n, out, sizeof(out));
	assert_true(ovpn_is_ping(out, (size_t)m));
	pair_free(&p);
}

/* TLS 1.0 PRF (RFC 2246 section 5), written out with one-shot HMACs, to
 * check ovpn_prf_key2 independently of the KDF it uses. */
static void p_hash(const EVP_MD *md, const uint8_t *secret, size_t slen, const uint8_t *seed,
		   size_t seedlen, uint8_t *out, size_t outlen)
{
	uint8_t a[64], buf[64 + 256], block[64];
	unsigned alen = 0, blen = 0;
	HMAC(md, secret, (int)slen, seed, seedlen, a, &alen); /* A(1) */
	for (size_t done = 0; done < outlen;) {
		memcpy(buf, a, alen);
		memcpy(buf + alen, seed, seedlen);
		HMAC(md, secret, (int)slen, buf, alen + seedlen, block, &blen);
		for (unsigned i = 0; i < blen && done < outlen; i++)
			out[done++] ^= block[i];
		uint8_t next[64];
		HMAC(md, secret, (int)slen, a, alen, next, &alen); /* A(i+1) */
		memcpy(a, next, alen);
	}
}

static void tls10_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
		      uint8_t *out, size_t outlen)
{
	size_t half = (slen + 1) / 2;
	memset(out, 0, outlen);
	p_hash(EVP_md5(), secret, half, seed, seedlen, out, outlen);
	p_hash(EVP_sha1(), secret + slen - half, half, seed, seedlen, out, outlen);
}

static void test_prf_known_answer(void **state)
{
	(void)state;
	uint8_t pm[48], cr1[32], sr1[32], cr2[32], sr2[32];
	for (int i = 0; i < 48; i++)
		pm[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 32; i++) {
		cr1[i] = (uint8_t)(0x10 + i);
		sr1[i] = (uint8_t)(0x30 + i);
		cr2[i] = (uint8_t)(0x50 + i);
		sr2[i] = (uint8_t)(0x70 + i);
	}
	const uint64_t csid = 0x0102030405060708ull, ssid = 0xf1f2f3f4f5f6f7f8ull;
	uint8_t got[OVPN_KEY2_LEN];
	assert_int_equal(ovpn_prf_key2(pm, cr1, sr1, cr2, sr2, csid, ssid, got), 0);

	uint8_t seed[128], master[48], want[OVPN_KEY2_LEN];
	size_t n = 0;
	memcpy(seed, "OpenVPN master secret", 21), n = 21;
	memcpy(seed + n, cr1, 32), n += 32;
	memcpy(seed + n, sr1, 32), n += 32;
	tls10_prf(pm, 48, seed, n, master, 48);
	memcpy(seed, "OpenVPN key expansion", 21), n = 21;
	memcpy(seed + n, cr2, 32), n += 32;
	memcpy(seed + n, sr2, 32), n += 32;
	memcpy(seed + n, "\x01\x02\x03\x04\x05\x06\x07\x08", 8), n += 8;
	memcpy(seed + n, "\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8", 8), n += 8;
	tls10_prf(master, 48, seed, n, want, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
}

static void test_prf_deterministic_and_sid_bound(void **state)
{
	(void)state;
	uint8_t pm[48] = {1}, r[32] = {2};
	uint8_t a[OVPN_KEY2_LEN], b[OVPN_KEY2_LEN], c[OVPN_KEY2_LEN], d[OVPN_KEY2_LEN];
	assert_int_equal(ovpn_prf_key2(pm, r, r, r, r, 11, 22, a), 0);
	assert_int_equal(ovpn_prf_key2(pm, r, r, r, r, 11, 22, b), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(ovpn_prf_key2(pm, r, r, r, r, 12, 22, c), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(ovpn_prf_key2(pm, r, r, r, r, 11, 23, d), 0);
	assert_memory_not_equal(a, d, sizeof(a));
	assert_memory_not_equal(c, d, sizeof(a));
	/* Swapping the two ids is a different key too. */
	assert_int_equal(ovpn_prf_key2(pm, r, r, r, r, 22, 11, c), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	/* Key material halves are independent: no all-zero output. */
	static const uint8_t zero[64];
	assert_memory_not_equal(a, zero, 64);
	assert_memory_not_equal(a + 192, zero, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_ciphers),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_decrypt_errors),
		cmocka_unit_test(test_encrypt_limits),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_known_answer_aes256gcm),
		cmocka_unit_test(test_decrypt_data_v1),
		cmocka_unit_test(test_ping_and_occ),
		cmocka_unit_test(test_prf_known_answer),
		cmocka_unit_test(test_prf_deterministic_and_sid_bound),
	};
	return cmocka_run_group_tests_name("data", tests, setup, NULL);
}
