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
	if (rad_secret_ops)
		return rad_secret_ops->hmac_md5(secret, p, n, out);
	const struct hmac_part part = {p, n};
	return hmac_compute("MD5", (const uint8_t *)secret, strlen(secret), &part, 1, out, 16);
}

const struct rad_secret_ops *rad_secret_ops;

/* MD5(secret | x) or MD5(x | secret): how RFC 2865/2866/2548 key with the
 * shared secret (the HMAC aside). */
static int md5_keyed(const char *secret, bool secret_first, const uint8_t *x, size_t n,
		     uint8_t out[16])
{
	if (rad_secret_ops)
		return rad_secret_ops->md5(secret, secret_first, x, n, out);
	const void *parts[] = {secret_first ? (const void *)secret : x,
			       secret_first ? (const void *)x : secret};
	const size_t ns[] = {secret_first ? strlen(secret) : n, secret_first ? n : strlen(secret)};
	md5_parts(parts, ns, 2, out);
	return 0;
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

void rad_add_counter64(struct rad_builder *b, uint8_t low, uint8_t high, uint64_t v)
{
	rad_add_u32(b, low, (uint32_t)v);
	if (v >> 32)
		rad_add_u32(b, high, (uint32_t)(v >> 32));
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
		if (md5_keyed(secret, true, prev, 16, x) < 0) {
			OPENSSL_cleanse(out, sizeof(out));
			return P2S_E_CRYPTO;
		}
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
		if (md5_keyed(secret, false, b->buf, n, a) < 0)
			return P2S_E_CRYPTO;
		memcpy(b->buf + 4, a, 16);
		return (int)n;
	}
	if (b->ma_off && hmac_md5(secret, b->buf, n, b->buf + b->ma_off) < 0)
		return P2S_E_CRYPTO;
	return (int)n;
}

/* Where the Message-Authenticator's value is (-1: none) and whether an
 * EAP-Message is present; false when the attributes are malformed. */
struct reply_scan {
	long ma;
	bool eap;
};

static bool scan_reply(const uint8_t *p, size_t n, struct reply_scan *sc)
{
	struct cur c;
	cur_init(&c, p, n);
	cur_bytes(&c, 20);
	sc->ma = -1;
	sc->eap = false;
	while (cur_ok(&c) && cur_left(&c)) {
		size_t at = n - cur_left(&c);
		uint8_t type = cur_u8(&c), len = cur_u8(&c);
		if (!cur_ok(&c) || len < 2 || !cur_bytes(&c, len - 2u))
			return false;
		if (type == RAD_MESSAGE_AUTHENTICATOR && (len != 18 || sc->ma >= 0))
			return false; /* one, of exactly 16 bytes */
		if (type == RAD_MESSAGE_AUTHENTICATOR)
			sc->ma = (long)at + 2;
		sc->eap |= type == RAD_EAP_MESSAGE;
	}
	return cur_ok(&c);
}

static bool response_auth_ok(uint8_t *copy, const uint8_t *p, size_t n,
			     const uint8_t req_auth[RAD_AUTH_LEN], const char *secret)
{
	uint8_t want[16];
	memcpy(copy, p, n);
	memcpy(copy + 4, req_auth, 16);
	return md5_keyed(secret, false, copy, n, want) == 0 && CRYPTO_memcmp(want, p + 4, 16) == 0;
}

static bool shape_ok(const uint8_t *p, size_t n, struct reply_scan *sc)
{
	return n >= 20 && n <= RAD_MAX_PACKET && ((size_t)p[2] << 8 | p[3]) == n &&
	       scan_reply(p, n, sc);
}

enum rad_verdict rad_check_reply(const uint8_t *p, size_t n, const uint8_t req_auth[RAD_AUTH_LEN],
				 const char *secret, bool require_ma, bool *has_ma)
{
	struct reply_scan sc;
	uint8_t copy[RAD_MAX_PACKET], want[16];
	if (has_ma)
		*has_ma = false;
	if (!shape_ok(p, n, &sc))
		return RAD_REPLY_MALFORMED;
	if (!response_auth_ok(copy, p, n, req_auth, secret))
		return RAD_REPLY_BAD_AUTHENTICATOR;
	if (sc.ma < 0)
		return require_ma || sc.eap ? RAD_REPLY_MISSING_MA : RAD_REPLY_OK;
	memset(copy + sc.ma, 0, 16); /* copy holds the request's authenticator */
	if (hmac_md5(secret, copy, n, want) < 0 || CRYPTO_memcmp(want, p + sc.ma, 16) != 0)
		return RAD_REPLY_BAD_MA;
	if (has_ma)
		*has_ma = true;
	return RAD_REPLY_OK;
}

int rad_verify_reply(const uint8_t *p, size_t n, const uint8_t req_auth[RAD_AUTH_LEN],
		     const char *secret, bool require_ma)
{
	enum rad_verdict v = rad_check_reply(p, n, req_auth, secret, require_ma, NULL);
	return v == RAD_REPLY_OK ? 0 : v == RAD_REPLY_MALFORMED ? P2S_E_TRUNC : P2S_E_AUTH;
}

const char *rad_verdict_str(enum rad_verdict v)
{
	switch (v) {
	case RAD_REPLY_OK: return "ok";
	case RAD_REPLY_MALFORMED: return "malformed packet";
	case RAD_REPLY_BAD_AUTHENTICATOR:
		return "bad Response Authenticator (a wrong shared secret, or forged)";
	case RAD_REPLY_MISSING_MA: return "missing Message-Authenticator";
	case RAD_REPLY_BAD_MA: return "bad Message-Authenticator";
	}
	return "?";
}

int rad_ma_mode_parse(const char *s, enum rad_ma_mode *out)
{
	static const char *const names[] = {"auto", "require", "never"};
	for (int i = 0; i < 3; i++)
		if (!s || strcmp(s, names[i]) == 0) {
			*out = (enum rad_ma_mode)(s ? i : 0);
			return 0;
		}
	return -1;
}

bool rad_ma_required(const struct rad_ma_policy *pol)
{
	return pol->mode == RAD_MA_REQUIRE || (pol->mode == RAD_MA_AUTO && pol->seen);
}

static bool carries_eap(const uint8_t *p, size_t n)
{
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, n);
	while (rad_iter_next(&it, &a))
		if (a.type == RAD_EAP_MESSAGE)
			return true;
	return false;
}

enum rad_verdict rad_check_access_reply(struct rad_ma_policy *pol, const uint8_t *p, size_t n,
					const uint8_t req_auth[RAD_AUTH_LEN], const char *secret,
					bool *has_ma)
{
	bool signed_ = false;
	enum rad_verdict v =
		rad_check_reply(p, n, req_auth, secret, rad_ma_required(pol), &signed_);
	/* Only a verified signature counts, and only on a reply without
	 * EAP-Message: RFC 3579 makes servers sign those whatever they do for
	 * the rest (FreeRADIUS 3.2 signs EAP replies, not MS-CHAP ones). */
	if (v == RAD_REPLY_OK && signed_ && !carries_eap(p, n))
		pol->seen = true;
	if (has_ma)
		*has_ma = signed_;
	return v;
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
	uint8_t plain[256], b[16], first[18];
	size_t n = len - 2;
	memcpy(first, req_auth, 16);
	memcpy(first + 16, val, 2); /* the salt */
	for (size_t i = 0; i < n; i += 16) {
		if (md5_keyed(secret, true, i ? val + 2 + i - 16 : first, i ? 16 : 18, b) < 0) {
			OPENSSL_cleanse(plain, sizeof(plain));
			return P2S_E_CRYPTO;
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
