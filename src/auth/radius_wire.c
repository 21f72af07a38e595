#include "radius_wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hmac.h"

static void md5_parts(const void *const *p, const size_t *n, int k, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	for (int i = 0; i < k; i++)
		EVP_DigestUpdate(c, p[i], n[i]);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

static int hmac_md5(const char *secret, const uint8_t *p, size_t n, uint8_t out[16])
{
	const struct hmac_part part = {p, n};
	return hmac_compute("MD5", (const uint8_t *)secret, strlen(secret), &part, 1, out, 16);
}

void rad_begin(struct rad_builder *b, uint8_t code, uint8_t id, const uint8_t auth[RAD_AUTH_LEN])
{
	wbuf_init(&b->w, b->buf, sizeof(b->buf));
	b->ma_off = 0;
	wbuf_u8(&b->w, code);
	wbuf_u8(&b->w, id);
	wbuf_u16(&b->w, 0); /* length, set by rad_finish */
	static const uint8_t zero[RAD_AUTH_LEN];
	wbuf_bytes(&b->w, auth ? auth : zero, RAD_AUTH_LEN);
}

void rad_add(struct rad_builder *b, uint8_t type, const void *val, size_t len)
{
	if (len > 253) {
		b->w.err = true;
		return;
	}
	wbuf_u8(&b->w, type);
	wbuf_u8(&b->w, (uint8_t)(len + 2));
	wbuf_bytes(&b->w, val, len);
}

void rad_add_message_authenticator(struct rad_builder *b)
{
	static const uint8_t zero[16];
	b->ma_off = b->w.len + 2;
	rad_add(b, RAD_MESSAGE_AUTHENTICATOR, zero, 16);
}

void rad_add_str(struct rad_builder *b, uint8_t type, const char *s)
{
	rad_add(b, type, s, strlen(s));
}

void rad_add_u32(struct rad_builder *b, uint8_t type, uint32_t v)
{
	uint8_t be[4] = {v >> 24, v >> 16, v >> 8, v};
	rad_add(b, type, be, 4);
}

void rad_add_vsa(struct rad_builder *b, uint32_t vendor, uint8_t type, const void *val, size_t len)
{
	if (len > 247) {
		b->w.err = true;
		return;
	}
	wbuf_u8(&b->w, RAD_VENDOR_SPECIFIC);
	wbuf_u8(&b->w, (uint8_t)(len + 8));
	wbuf_u32(&b->w, vendor);
	wbuf_u8(&b->w, type);
	wbuf_u8(&b->w, (uint8_t)(len + 2));
	wbuf_bytes(&b->w, val, len);
}

int rad_add_password(struct rad_builder *b, const char *pw, const char *secret)
{
	size_t len = strlen(pw), padded = len == 0 ? 16 : (len + 15) / 16 * 16;
	if (len > 128)
		return -EINVAL;
	uint8_t out[128] = {0}, x[16];
	memcpy(out, pw, len);
	const uint8_t *prev = b->buf + 4; /* the Request Authenticator */
	for (size_t i = 0; i < padded; i += 16) {
		const void *parts[] = {secret, prev};
		const size_t ns[] = {strlen(secret), 16};
		md5_parts(parts, ns, 2, x);
		for (int j = 0; j < 16; j++)
			out[i + j] ^= x[j];
		prev = out + i;
	}
	rad_add(b, RAD_USER_PASSWORD, out, padded);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

void rad_add_eap(struct rad_builder *b, const uint8_t *eap, size_t len)
{
	for (size_t off = 0; off < len; off += 253)
		rad_add(b, RAD_EAP_MESSAGE, eap + off, len - off > 253 ? 253 : len - off);
}

int rad_finish(struct rad_builder *b, const char *secret)
{
	if (!wbuf_ok(&b->w))
		return -ENOSPC;
	size_t n = b->w.len;
	b->buf[2] = (uint8_t)(n >> 8);
	b->buf[3] = (uint8_t)n;
	if (b->buf[0] == RAD_ACCOUNTING_REQUEST) {
		/* RFC 2866: MD5 over the packet with a zero authenticator, then the secret. */
		uint8_t a[16];
		if (b->ma_off && hmac_md5(secret, b->buf, n, b->buf + b->ma_off) < 0)
			return P2S_E_CRYPTO;
		const void *parts[] = {b->buf, secret};
		const size_t ns[] = {n, strlen(secret)};
		md5_parts(parts, ns, 2, a);
		memcpy(b->buf + 4, a, 16);
		return (int)n;
	}
	if (b->ma_off && hmac_md5(secret, b->buf, n, b->buf + b->ma_off) < 0)
		return P2S_E_CRYPTO;
	return (int)n;
}

/* Finds the Message-Authenticator's value offset; -1 none, -2 malformed. */
static long find_ma(const uint8_t *p, size_t n)
{
	long at = -1;
	for (size_t off = 20; off < n;) {
		if (n - off < 2 || p[off + 1] < 2 || p[off + 1] > n - off)
			return -2;
		if (p[off] == RAD_MESSAGE_AUTHENTICATOR) {
			if (p[off + 1] != 18)
				return -2;
			at = (long)off + 2;
		}
		off += p[off + 1];
	}
	return at;
}

int rad_verify_reply(const uint8_t *p, size_t n, const uint8_t req_auth[RAD_AUTH_LEN],
		     const char *secret, bool require_ma)
{
	if (n < 20 || ((size_t)p[2] << 8 | p[3]) != n || n > RAD_MAX_PACKET)
		return P2S_E_TRUNC;
	long ma = find_ma(p, n);
	if (ma == -2)
		return P2S_E_TRUNC;
	if (ma < 0 && require_ma)
		return P2S_E_AUTH;
	uint8_t copy[RAD_MAX_PACKET], want[16];
	memcpy(copy, p, n);
	memcpy(copy + 4, req_auth, 16);
	const void *parts[] = {copy, secret};
	const size_t ns[] = {n, strlen(secret)};
	md5_parts(parts, ns, 2, want);
	if (CRYPTO_memcmp(want, p + 4, 16) != 0)
		return P2S_E_AUTH;
	if (ma >= 0) {
		memset(copy + ma, 0, 16);
		if (hmac_md5(secret, copy, n, want) < 0 || CRYPTO_memcmp(want, p + ma, 16) != 0)
			return P2S_E_AUTH;
	}
	return 0;
}

void rad_iter_init(struct rad_iter *it, const uint8_t *p, size_t n)
{
	memset(it, 0, sizeof(*it));
	cur_init(&it->c, p, n);
	cur_bytes(&it->c, 20);
}

static bool next_vsa(struct rad_iter *it, struct rad_attr *a)
{
	uint8_t vtype = cur_u8(&it->vsa), vlen = cur_u8(&it->vsa);
	if (!cur_ok(&it->vsa) || vlen < 2)
		return false;
	a->type = RAD_VENDOR_SPECIFIC;
	a->vendor = it->vendor;
	a->vtype = vtype;
	a->len = vlen - 2u;
	a->val = cur_bytes(&it->vsa, a->len);
	return a->val != NULL;
}

bool rad_iter_next(struct rad_iter *it, struct rad_attr *a)
{
	memset(a, 0, sizeof(*a));
	if (cur_left(&it->vsa))
		return next_vsa(it, a);
	if (!cur_left(&it->c))
		return false;
	uint8_t type = cur_u8(&it->c), len = cur_u8(&it->c);
	if (!cur_ok(&it->c) || len < 2)
		return false;
	struct cur v = cur_sub(&it->c, len - 2u);
	if (!cur_ok(&v))
		return false;
	if (type == RAD_VENDOR_SPECIFIC && len >= 8) {
		it->vendor = cur_u32(&v);
		it->vsa = cur_sub(&v, cur_left(&v));
		return next_vsa(it, a);
	}
	a->type = type;
	a->len = len - 2u;
	a->val = cur_bytes(&v, a->len);
	return true;
}

int rad_mppe_decrypt(const uint8_t *val, size_t len, const char *secret,
		     const uint8_t req_auth[RAD_AUTH_LEN], uint8_t *key, size_t *key_len)
{
	if (len < 18 || (len - 2) % 16 || !(val[0] & 0x80))
		return P2S_E_PROTO;
	uint8_t plain[256], b[16];
	size_t n = len - 2;
	for (size_t i = 0; i < n; i += 16) {
		if (i == 0) {
			const void *parts[] = {secret, req_auth, val};
			const size_t ns[] = {strlen(secret), 16, 2};
			md5_parts(parts, ns, 3, b);
		} else {
			const void *parts[] = {secret, val + 2 + i - 16};
			const size_t ns[] = {strlen(secret), 16};
			md5_parts(parts, ns, 2, b);
		}
		for (int j = 0; j < 16; j++)
			plain[i + j] = val[2 + i + j] ^ b[j];
	}
	int r = plain[0] == 0 || plain[0] > n - 1 || plain[0] > *key_len ? P2S_E_PROTO : 0;
	if (r == 0) {
		*key_len = plain[0];
		memcpy(key, plain + 1, plain[0]);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return r;
}
