#include "data.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "wire.h"

const uint8_t ovpn_ping_magic[16] = {0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
				     0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48};
const uint8_t ovpn_occ_magic[16] = {0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
				    0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c};

#define TAG_LEN 16

static const EVP_CIPHER *cipher_by_name(const char *name)
{
	if (strcmp(name, "AES-256-GCM") == 0)
		return EVP_aes_256_gcm();
	if (strcmp(name, "AES-128-GCM") == 0)
		return EVP_aes_128_gcm();
	if (strcmp(name, "CHACHA20-POLY1305") == 0)
		return EVP_chacha20_poly1305();
	return NULL;
}

/* A slot is {cipher[64], hmac[64]}: key from cipher[], implicit IV from hmac[]. */
static int dir_init(struct ovpn_dc_dir *d, const EVP_CIPHER *c, const uint8_t *slot, int enc)
{
	d->ctx = EVP_CIPHER_CTX_new();
	if (!d->ctx || !EVP_CipherInit_ex(d->ctx, c, NULL, slot, NULL, enc))
		return P2S_E_CRYPTO;
	memcpy(d->implicit_iv, slot + 64, sizeof(d->implicit_iv));
	return 0;
}

int ovpn_dc_init(struct ovpn_dc *dc, const char *cipher, const uint8_t key2[OVPN_KEY2_LEN],
		 bool server)
{
	memset(dc, 0, sizeof(*dc));
	const EVP_CIPHER *c = cipher_by_name(cipher);
	if (!c)
		return P2S_E_PROTO;
	const uint8_t *c2s = key2, *s2c = key2 + 128;
	int r = dir_init(&dc->enc, c, server ? s2c : c2s, 1);
	if (r == 0)
		r = dir_init(&dc->dec, c, server ? c2s : s2c, 0);
	if (r < 0)
		ovpn_dc_free(dc);
	return r;
}

void ovpn_dc_free(struct ovpn_dc *dc)
{
	EVP_CIPHER_CTX_free(dc->enc.ctx);
	EVP_CIPHER_CTX_free(dc->dec.ctx);
	OPENSSL_cleanse(dc, sizeof(*dc));
}

static void make_iv(uint8_t iv[12], uint32_t pid, const uint8_t implicit[8])
{
	iv[0] = pid >> 24;
	iv[1] = pid >> 16;
	iv[2] = pid >> 8;
	iv[3] = pid;
	memcpy(iv + 4, implicit, 8);
}

int ovpn_dc_encrypt(struct ovpn_dc *dc, uint8_t key_id, uint32_t peer_id, const uint8_t *in,
		    size_t len, uint8_t *out, size_t cap)
{
	if (cap < len + OVPN_DATA_OVERHEAD || len > 0x10000)
		return -ENOSPC;
	if (dc->send_pid == 0xffffffffu)
		return P2S_E_FULL; /* never wrap: renegotiation must come first */
	uint32_t pid = ++dc->send_pid;
	struct wbuf w;
	wbuf_init(&w, out, cap);
	wbuf_u8(&w, (uint8_t)(OVPN_DATA_V2 << 3 | key_id));
	wbuf_u24(&w, peer_id);
	wbuf_u32(&w, pid);
	uint8_t iv[12];
	make_iv(iv, pid, dc->enc.implicit_iv);
	EVP_CIPHER_CTX *x = dc->enc.ctx;
	int outl = 0, fl = 0;
	if (!EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) ||
	    !EVP_EncryptUpdate(x, NULL, &outl, out, 8) ||
	    !EVP_EncryptUpdate(x, out + 8 + TAG_LEN, &outl, in, (int)len) ||
	    !EVP_EncryptFinal_ex(x, out + 8 + TAG_LEN + outl, &fl) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + 8))
		return P2S_E_CRYPTO;
	return 8 + TAG_LEN + outl + fl;
}

int ovpn_dc_decrypt(struct ovpn_dc *dc, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	struct cur c;
	cur_init(&c, pkt, len);
	uint8_t op = ovpn_op_of(cur_u8(&c));
	if (op == OVPN_DATA_V2)
		cur_u24(&c);
	else if (op != OVPN_DATA_V1)
		return P2S_E_PROTO;
	/* V2 authenticates its 4-byte header with the packet id; V1 only the id. */
	const uint8_t *ad = op == OVPN_DATA_V2 ? pkt : pkt + 1;
	size_t ad_len = op == OVPN_DATA_V2 ? 8 : 4;
	uint32_t pid = cur_u32(&c);
	const uint8_t *tag = cur_bytes(&c, TAG_LEN);
	size_t ct_len;
	const uint8_t *ct = cur_rest(&c, &ct_len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (ct_len > cap || ct_len > 0x10000)
		return -ENOSPC;
	if (replay_check(&dc->replay, pid) < 0)
		return P2S_E_REPLAY;
	uint8_t iv[12];
	make_iv(iv, pid, dc->dec.implicit_iv);
	EVP_CIPHER_CTX *x = dc->dec.ctx;
	int outl = 0, fl = 0;
	if (!EVP_DecryptInit_ex(x, NULL, NULL, NULL, iv) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)tag) ||
	    !EVP_DecryptUpdate(x, NULL, &outl, ad, (int)ad_len) ||
	    !EVP_DecryptUpdate(x, out, &outl, ct, (int)ct_len))
		return P2S_E_CRYPTO;
	if (EVP_DecryptFinal_ex(x, out + outl, &fl) <= 0)
		return P2S_E_AUTH;
	replay_update(&dc->replay, pid);
	return outl + fl;
}

static int tls1_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
		    uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "MD5-SHA1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seedlen),
		OSSL_PARAM_construct_end()};
	int ok = k && EVP_KDF_derive(k, out, outlen, params) > 0;
	EVP_KDF_CTX_free(k);
	return ok ? 0 : P2S_E_CRYPTO;
}

int ovpn_prf_key2(const uint8_t pre_master[48], const uint8_t c_random1[32],
		  const uint8_t s_random1[32], const uint8_t c_random2[32],
		  const uint8_t s_random2[32], uint64_t client_sid, uint64_t server_sid,
		  uint8_t key2[OVPN_KEY2_LEN])
{
	static const char l1[] = "OpenVPN master secret", l2[] = "OpenVPN key expansion";
	uint8_t seed[128], master[48];
	struct wbuf w;
	wbuf_init(&w, seed, sizeof(seed));
	wbuf_bytes(&w, l1, sizeof(l1) - 1);
	wbuf_bytes(&w, c_random1, 32);
	wbuf_bytes(&w, s_random1, 32);
	int r = tls1_prf(pre_master, 48, seed, w.len, master, sizeof(master));
	wbuf_init(&w, seed, sizeof(seed));
	wbuf_bytes(&w, l2, sizeof(l2) - 1);
	wbuf_bytes(&w, c_random2, 32);
	wbuf_bytes(&w, s_random2, 32);
	wbuf_u64(&w, client_sid);
	wbuf_u64(&w, server_sid);
	if (r == 0)
		r = tls1_prf(master, sizeof(master), seed, w.len, key2, OVPN_KEY2_LEN);
	OPENSSL_cleanse(master, sizeof(master));
	return r;
}
