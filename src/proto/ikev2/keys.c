#include "keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <string.h>

#include "lib/err.h"
#include "lib/random.h"

const char *ike_prf_digest(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return "SHA1";
	case IKE_PRF_HMAC_SHA256: return "SHA256";
	case IKE_PRF_HMAC_SHA384: return "SHA384";
	default: return NULL;
	}
}

const char *ike_integ_digest(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_SHA1_96: return "SHA1";
	case IKE_INTEG_SHA256_128: return "SHA256";
	case IKE_INTEG_SHA384_192: return "SHA384";
	default: return NULL;
	}
}

size_t ike_integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_SHA1_96: return 12;
	case IKE_INTEG_SHA256_128: return 16;
	case IKE_INTEG_SHA384_192: return 24;
	default: return 0;
	}
}

static size_t prf_len(uint16_t prf)
{
	struct ike_suite s = {.prf = prf};
	return ike_suite_prf_len(&s);
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len, const struct hmac_part *parts,
	    size_t n_parts, uint8_t *out)
{
	const char *md = ike_prf_digest(prf);
	if (!md)
		return P2S_E_PROTO;
	return hmac_compute(md, key, key_len, parts, n_parts, out, prf_len(prf));
}

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len)
{
	size_t bl = prf_len(prf);
	if (!bl || out_len > 255 * bl)
		return P2S_E_PROTO;
	uint8_t t[IKE_MAX_PRF];
	size_t t_len = 0, done = 0;
	for (uint8_t i = 1; done < out_len; i++) {
		struct hmac_part parts[3] = {{t, t_len}, {seed, seed_len}, {&i, 1}};
		int r = ike_prf(prf, key, key_len, parts, 3, t);
		if (r) {
			OPENSSL_cleanse(t, sizeof(t));
			return r;
		}
		t_len = bl;
		size_t n = out_len - done < bl ? out_len - done : bl;
		memcpy(out + done, t, n);
		done += n;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int skeyseed(const struct ike_suite *s, const uint8_t *old_sk_d, size_t old_sk_d_len,
		    const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	if (old_sk_d) {
		struct hmac_part parts[3] = {{gir, gir_len}, {ni, ni_len}, {nr, nr_len}};
		return ike_prf(s->prf, old_sk_d, old_sk_d_len, parts, 3, out);
	}
	if (ni_len + nr_len > 2 * 256)
		return P2S_E_PROTO;
	uint8_t key[512];
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	struct hmac_part part = {gir, gir_len};
	int r = ike_prf(s->prf, key, ni_len + nr_len, &part, 1, out);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int ike_keys_derive(const struct ike_suite *s, const uint8_t *old_sk_d, size_t old_sk_d_len,
		    const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, uint64_t spi_i, uint64_t spi_r,
		    struct ike_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->prf_len = ike_suite_prf_len(s);
	k->integ_len = ike_suite_integ_key_len(s);
	k->encr_len = ike_suite_encr_key_len(s);
	if (!k->prf_len || k->encr_len > IKE_MAX_KEY || ni_len > 256 || nr_len > 256)
		return P2S_E_PROTO;
	uint8_t seed_key[IKE_MAX_PRF], seed[512 + 16];
	int r = skeyseed(s, old_sk_d, old_sk_d_len, gir, gir_len, ni, ni_len, nr, nr_len, seed_key);
	if (r)
		return r;
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	put64(seed + ni_len + nr_len, spi_i);
	put64(seed + ni_len + nr_len + 8, spi_r);
	size_t total = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
	uint8_t km[3 * IKE_MAX_PRF + 4 * IKE_MAX_KEY];
	r = ike_prf_plus(s->prf, seed_key, k->prf_len, seed, ni_len + nr_len + 16, km, total);
	if (r == 0) {
		const uint8_t *p = km;
		uint8_t *dst[7] = {k->sk_d,  k->sk_ai, k->sk_ar, k->sk_ei,
				   k->sk_er, k->sk_pi, k->sk_pr};
		size_t len[7] = {k->prf_len,  k->integ_len, k->integ_len, k->encr_len,
				 k->encr_len, k->prf_len,   k->prf_len};
		for (int i = 0; i < 7; p += len[i], i++)
			memcpy(dst[i], p, len[i]);
	}
	OPENSSL_cleanse(seed_key, sizeof(seed_key));
	OPENSSL_cleanse(km, sizeof(km));
	return r;
}

void ike_keys_wipe(struct ike_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir,
		     size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		     size_t nr_len, uint8_t *out, size_t out_len)
{
	if (gir_len > IKE_MAX_DH || ni_len > 256 || nr_len > 256)
		return P2S_E_PROTO;
	uint8_t seed[IKE_MAX_DH + 512];
	size_t n = 0;
	if (gir)
		memcpy(seed, gir, gir_len), n = gir_len;
	memcpy(seed + n, ni, ni_len);
	memcpy(seed + n + ni_len, nr, nr_len);
	int r = ike_prf_plus(prf, sk_d, sk_d_len, seed, n + ni_len + nr_len, out, out_len);
	OPENSSL_cleanse(seed, sizeof(seed));
	return r;
}

/* ---- SK payload (RFC 7296 §3.14, RFC 5282, RFC 7383 §2.5) -------------- */

static const EVP_CIPHER *sk_cipher(uint16_t encr, uint16_t bits)
{
	if (encr == IKE_ENCR_AES_GCM16)
		return bits == 256 ? EVP_aes_256_gcm() : bits == 128 ? EVP_aes_128_gcm() : NULL;
	if (encr == IKE_ENCR_AES_CBC)
		return bits == 256 ? EVP_aes_256_cbc() : bits == 128 ? EVP_aes_128_cbc() : NULL;
	return NULL;
}

static size_t sk_iv_len(const struct ike_sk_dir *d)
{
	return d->encr == IKE_ENCR_AES_GCM16 ? 8 : 16;
}

static size_t sk_icv_len(const struct ike_sk_dir *d)
{
	return d->encr == IKE_ENCR_AES_GCM16 ? 16 : ike_integ_icv_len(d->integ);
}

size_t ike_sk_overhead(const struct ike_sk_dir *d)
{
	return sk_iv_len(d) + 16 + sk_icv_len(d);
}

/* One AEAD or CBC pass. For GCM, aad covers the header up to the IV and
 * tag is read (decrypt) or written (encrypt). */
static int sk_crypt(const struct ike_sk_dir *d, bool enc, const uint8_t *iv, const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	const EVP_CIPHER *c = sk_cipher(d->encr, d->key_bits);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int r = P2S_E_CRYPTO, n = 0;
	bool gcm = d->encr == IKE_ENCR_AES_GCM16;
	uint8_t nonce[16];
	if (!c || !ctx)
		goto out;
	if (gcm) {
		memcpy(nonce, d->ke + d->key_bits / 8, 4); /* salt | IV (RFC 5282 §4) */
		memcpy(nonce + 4, iv, 8);
	} else {
		memcpy(nonce, iv, 16);
	}
	if (!EVP_CipherInit_ex(ctx, c, NULL, d->ke, nonce, enc) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0))
		goto out;
	if (gcm && (!EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) ||
		    (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag))))
		goto out;
	if (!EVP_CipherUpdate(ctx, out, &n, in, (int)len))
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) <= 0) {
		r = gcm && !enc ? P2S_E_AUTH : P2S_E_CRYPTO;
		goto out;
	}
	if (gcm && enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag))
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int sk_icv(const struct ike_sk_dir *d, const uint8_t *msg, size_t len, uint8_t *icv)
{
	uint8_t full[64];
	struct hmac_part part = {msg, len};
	struct ike_suite s = {.integ = d->integ};
	size_t n = ike_suite_integ_key_len(&s); /* HMAC key and output sizes agree */
	int r = hmac_compute(ike_integ_digest(d->integ), d->ka, n, &part, 1, full, n);
	if (r == 0)
		memcpy(icv, full, ike_integ_icv_len(d->integ));
	OPENSSL_cleanse(full, sizeof(full));
	return r;
}

int ike_sk_open(const struct ike_sk_dir *d, const uint8_t *msg, size_t msg_len, size_t sk_off,
		size_t pre, uint8_t *out, size_t *out_len)
{
	size_t iv_len = sk_iv_len(d), icv_len = sk_icv_len(d);
	size_t ct_off = sk_off + IKE_GEN_HDR_LEN + pre + iv_len;
	if (!icv_len || sk_off > msg_len || msg_len < ct_off + icv_len + 1)
		return P2S_E_TRUNC;
	size_t ct_len = msg_len - ct_off - icv_len;
	const uint8_t *iv = msg + ct_off - iv_len;
	uint8_t icv[24];
	int r;
	if (d->encr == IKE_ENCR_AES_GCM16) {
		memcpy(icv, msg + msg_len - 16, 16);
		r = sk_crypt(d, false, iv, msg, ct_off - iv_len, msg + ct_off, ct_len, out, icv);
	} else {
		if (ct_len % 16)
			return P2S_E_PROTO;
		r = sk_icv(d, msg, msg_len - icv_len, icv);
		if (r == 0 && CRYPTO_memcmp(icv, msg + msg_len - icv_len, icv_len) != 0)
			r = P2S_E_AUTH;
		if (r == 0)
			r = sk_crypt(d, false, iv, NULL, 0, msg + ct_off, ct_len, out, NULL);
	}
	if (r)
		return r;
	size_t pad = out[ct_len - 1];
	if (pad + 1 > ct_len)
		return P2S_E_PROTO;
	*out_len = ct_len - pad - 1;
	return 0;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int ike_sk_seal(const struct ike_sk_dir *d, uint8_t *msg, size_t cap, size_t sk_off, size_t pre,
		const uint8_t *inner, size_t inner_len, size_t *msg_len)
{
	bool gcm = d->encr == IKE_ENCR_AES_GCM16;
	size_t iv_len = sk_iv_len(d), icv_len = sk_icv_len(d);
	size_t pad = gcm ? 0 : 15 - inner_len % 16;
	size_t ct_off = sk_off + IKE_GEN_HDR_LEN + pre + iv_len;
	size_t ct_len = inner_len + pad + 1;
	size_t total = ct_off + ct_len + icv_len;
	if (!icv_len || total > cap || total > IKE_MAX_MSG)
		return P2S_E_FULL;
	uint8_t *iv = msg + ct_off - iv_len, *ct = msg + ct_off;
	p2s_random(iv, iv_len);
	if (inner_len)
		memmove(ct, inner, inner_len);
	memset(ct + inner_len, 0, pad);
	ct[inner_len + pad] = (uint8_t)pad;
	put16(msg + sk_off + 2, total - sk_off);
	msg[24] = (uint8_t)(total >> 24);
	msg[25] = (uint8_t)(total >> 16);
	put16(msg + 26, total);
	int r;
	if (gcm) {
		r = sk_crypt(d, true, iv, msg, ct_off - iv_len, ct, ct_len, ct, ct + ct_len);
	} else {
		r = sk_crypt(d, true, iv, NULL, 0, ct, ct_len, ct, NULL);
		if (r == 0)
			r = sk_icv(d, msg, total - icv_len, msg + total - icv_len);
	}
	if (r == 0)
		*msg_len = total;
	return r;
}
