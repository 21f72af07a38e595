#include "esp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <string.h>

#include "keys.h"
#include "lib/err.h"
#include "lib/random.h"

/* ---- replay window ------------------------------------------------------ */

static bool bit_get(const struct esp_replay *w, uint64_t seq)
{
	size_t i = seq % ESP_REPLAY_BITS;
	return (w->bits[i / 64] >> (i % 64)) & 1;
}

static void bit_put(struct esp_replay *w, uint64_t seq, bool v)
{
	size_t i = seq % ESP_REPLAY_BITS;
	if (v)
		w->bits[i / 64] |= 1ull << (i % 64);
	else
		w->bits[i / 64] &= ~(1ull << (i % 64));
}

int esp_replay_check(const struct esp_replay *w, uint64_t seq)
{
	if (seq == 0)
		return P2S_E_REPLAY; /* the first packet carries 1 */
	if (seq > w->top)
		return 0;
	if (w->top - seq >= ESP_REPLAY_BITS)
		return P2S_E_REPLAY;
	return bit_get(w, seq) ? P2S_E_REPLAY : 0;
}

void esp_replay_update(struct esp_replay *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t gap = seq - w->top;
		if (gap >= ESP_REPLAY_BITS)
			memset(w->bits, 0, sizeof(w->bits));
		else
			for (uint64_t s = w->top + 1; s < seq; s++)
				bit_put(w, s, false);
		w->top = seq;
	}
	bit_put(w, seq, true);
}

/* ---- SA ---------------------------------------------------------------- */

static const EVP_CIPHER *esp_cipher(uint16_t encr, uint16_t bits)
{
	if (encr == IKE_ENCR_AES_GCM16)
		return bits == 256 ? EVP_aes_256_gcm() : bits == 128 ? EVP_aes_128_gcm() : NULL;
	if (encr == IKE_ENCR_AES_CBC)
		return bits == 256 ? EVP_aes_256_cbc() : bits == 128 ? EVP_aes_128_cbc() : NULL;
	return NULL;
}

size_t esp_keymat_len(uint16_t encr, uint16_t key_bits, uint16_t integ)
{
	struct ike_suite s = {.encr = encr, .key_bits = key_bits, .integ = integ};
	return ike_suite_encr_key_len(&s) + ike_suite_integ_key_len(&s);
}

static EVP_MAC_CTX *hmac_new(uint16_t integ, const uint8_t *key, size_t key_len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							    (char *)ike_integ_digest(integ), 0),
			   OSSL_PARAM_construct_end()};
	if (ctx && EVP_MAC_init(ctx, key, key_len, p) == 1)
		return ctx;
	EVP_MAC_CTX_free(ctx);
	return NULL;
}

int esp_sa_init(struct esp_sa *sa, uint32_t spi, uint16_t encr, uint16_t key_bits, uint16_t integ,
		const uint8_t *keymat, bool encrypt)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->gcm = encr == IKE_ENCR_AES_GCM16;
	const EVP_CIPHER *c = esp_cipher(encr, key_bits);
	if (!c || (sa->gcm ? integ != 0 : !ike_integ_digest(integ)))
		return P2S_E_PROTO;
	sa->iv_len = sa->gcm ? 8 : 16;
	sa->icv_len = sa->gcm ? 16 : ike_integ_icv_len(integ);
	sa->block = sa->gcm ? 4 : 16;
	size_t kl = key_bits / 8;
	sa->ctx = EVP_CIPHER_CTX_new();
	if (!sa->ctx || !EVP_CipherInit_ex(sa->ctx, c, NULL, keymat, NULL, encrypt ? 1 : 0) ||
	    !EVP_CIPHER_CTX_set_padding(sa->ctx, 0))
		goto fail;
	if (sa->gcm) {
		memcpy(sa->salt, keymat + kl, 4);
	} else {
		struct ike_suite s = {.integ = integ};
		sa->mac = hmac_new(integ, keymat + kl, ike_suite_integ_key_len(&s));
		if (!sa->mac)
			goto fail;
	}
	return 0;
fail:
	esp_sa_clear(sa);
	return P2S_E_CRYPTO;
}

void esp_sa_clear(struct esp_sa *sa)
{
	EVP_CIPHER_CTX_free(sa->ctx);
	EVP_MAC_CTX_free(sa->mac);
	OPENSSL_cleanse(sa, sizeof(*sa));
}

uint32_t esp_spi(const uint8_t *pkt, size_t len)
{
	if (len < 4)
		return 0;
	return (uint32_t)pkt[0] << 24 | (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int esp_gcm(EVP_CIPHER_CTX *ctx, bool enc, const uint8_t salt[4], const uint8_t iv[8],
	    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
	    uint8_t tag[16])
{
	uint8_t nonce[12];
	int n;
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv, 8);
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) ||
	    !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return P2S_E_CRYPTO;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag))
		return P2S_E_CRYPTO;
	if (len && !EVP_CipherUpdate(ctx, out, &n, in, (int)len))
		return P2S_E_CRYPTO;
	if (EVP_CipherFinal_ex(ctx, out + len, &n) <= 0)
		return enc ? P2S_E_CRYPTO : P2S_E_AUTH;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag))
		return P2S_E_CRYPTO;
	return 0;
}

/* HMAC over SPI..ciphertext, truncated to the ICV length. */
static int esp_icv(struct esp_sa *sa, const uint8_t *p, size_t len, uint8_t *icv)
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_dup(sa->mac);
	uint8_t full[64];
	size_t n = 0;
	int ok = m && EVP_MAC_update(m, p, len) && EVP_MAC_final(m, full, &n, sizeof(full));
	EVP_MAC_CTX_free(m);
	if (!ok || n < sa->icv_len)
		return P2S_E_CRYPTO;
	memcpy(icv, full, sa->icv_len);
	return 0;
}

static int cbc_pass(struct esp_sa *sa, const uint8_t *iv, const uint8_t *in, size_t len,
		    uint8_t *out)
{
	int n;
	if (!EVP_CipherInit_ex(sa->ctx, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(sa->ctx, out, &n, in, (int)len) || (size_t)n != len)
		return P2S_E_CRYPTO;
	return 0;
}

int esp_encrypt(struct esp_sa *sa, const uint8_t *payload, size_t len, uint8_t nh, uint8_t *out,
		size_t cap, size_t *out_len)
{
	if (sa->seq >= UINT32_MAX)
		return P2S_E_FULL; /* never wrap (RFC 4303 §3.3.3): rekey instead */
	size_t pad = (sa->block - (len + 2) % sa->block) % sa->block;
	size_t ct_len = len + pad + 2;
	size_t total = ESP_HDR_LEN + sa->iv_len + ct_len + sa->icv_len;
	if (total > cap)
		return P2S_E_FULL;
	uint32_t seq = (uint32_t)++sa->seq;
	put32(out, sa->spi);
	put32(out + 4, seq);
	uint8_t *iv = out + ESP_HDR_LEN, *ct = iv + sa->iv_len;
	if (len)
		memmove(ct, payload, len);
	for (size_t i = 0; i < pad; i++)
		ct[len + i] = (uint8_t)(i + 1);
	ct[len + pad] = (uint8_t)pad;
	ct[len + pad + 1] = nh;
	int r;
	if (sa->gcm) {
		/* The sequence number is unique per key: a valid GCM IV (RFC 4106 §3.1). */
		memset(iv, 0, 4);
		put32(iv + 4, seq);
		r = esp_gcm(sa->ctx, true, sa->salt, iv, out, ESP_HDR_LEN, ct, ct_len, ct,
			    ct + ct_len);
	} else {
		p2s_random(iv, sa->iv_len);
		r = cbc_pass(sa, iv, ct, ct_len, ct);
		if (r == 0)
			r = esp_icv(sa, out, total - sa->icv_len, ct + ct_len);
	}
	if (r)
		return r;
	sa->bytes += len;
	sa->packets++;
	*out_len = total;
	return 0;
}

int esp_decrypt(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
		size_t *out_len, uint8_t *nh)
{
	size_t min = ESP_HDR_LEN + sa->iv_len + sa->icv_len;
	if (len < min + 2 || len - min > cap)
		return P2S_E_TRUNC;
	if (esp_spi(pkt, len) != sa->spi)
		return P2S_E_PROTO;
	uint64_t seq = esp_spi(pkt + 4, 4);
	int r = esp_replay_check(&sa->replay, seq);
	if (r)
		return r;
	const uint8_t *iv = pkt + ESP_HDR_LEN, *ct = iv + sa->iv_len;
	size_t ct_len = len - min;
	if (sa->gcm) {
		uint8_t tag[16];
		memcpy(tag, ct + ct_len, 16);
		r = esp_gcm(sa->ctx, false, sa->salt, iv, pkt, ESP_HDR_LEN, ct, ct_len, out, tag);
	} else {
		uint8_t icv[32];
		if (ct_len % 16)
			return P2S_E_PROTO;
		r = esp_icv(sa, pkt, len - sa->icv_len, icv);
		if (r == 0 && CRYPTO_memcmp(icv, ct + ct_len, sa->icv_len) != 0)
			r = P2S_E_AUTH;
		if (r == 0)
			r = cbc_pass(sa, iv, ct, ct_len, out);
	}
	if (r)
		return r;
	size_t pad = out[ct_len - 2];
	if (pad + 2 > ct_len)
		return P2S_E_PROTO;
	esp_replay_update(&sa->replay, seq);
	*nh = out[ct_len - 1];
	*out_len = ct_len - pad - 2;
	sa->bytes += *out_len;
	sa->packets++;
	return 0;
}
