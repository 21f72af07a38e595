/* RADIUS replies: verified as received, then once more with the
 * authenticators made valid, so the attribute walk and the MPPE key
 * decryption see every input that gets past authentication. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#include "auth/radius_wire.h"
#include "fuzz.h"

#define SECRET "fuzz-secret"
static const uint8_t req_auth[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void md5(const uint8_t *p, size_t n, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, p, n);
	EVP_DigestUpdate(c, SECRET, strlen(SECRET));
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

static void hmac_md5(const uint8_t *p, size_t n, uint8_t out[16])
{
	size_t outl = 16;
	EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, SECRET, strlen(SECRET), p, n, out, 16, &outl);
}

/* Where a well-placed Message-Authenticator value sits, or 0. */
static size_t ma_offset(const uint8_t *p, size_t n)
{
	size_t at = 0;
	for (size_t off = 20; off + 2 <= n && p[off + 1] >= 2 && off + p[off + 1] <= n;
	     off += p[off + 1])
		if (p[off] == RAD_MESSAGE_AUTHENTICATOR && p[off + 1] == 18)
			at = off + 2;
	return at;
}

static void walk(const uint8_t *p, size_t n)
{
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, n);
	int count = 0;
	while (rad_iter_next(&it, &a) && count++ < 4096) {
		FUZZ_CHECK(a.val == NULL || (a.val >= p && a.val + a.len <= p + n));
		if (a.vendor == RAD_VENDOR_MICROSOFT &&
		    (a.vtype == RAD_MS_MPPE_SEND_KEY || a.vtype == RAD_MS_MPPE_RECV_KEY)) {
			uint8_t key[64];
			size_t kl = sizeof(key);
			if (rad_mppe_decrypt(a.val, a.len, SECRET, req_auth, key, &kl) == 0)
				FUZZ_CHECK(kl > 0 && kl <= sizeof(key));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rad_verify_reply(data, size, req_auth, SECRET, true);
	if (size < 20 || size > RAD_MAX_PACKET)
		return 0;
	uint8_t p[RAD_MAX_PACKET];
	memcpy(p, data, size);
	p[2] = (uint8_t)(size >> 8);
	p[3] = (uint8_t)size;
	memcpy(p + 4, req_auth, 16);
	size_t ma = ma_offset(p, size);
	if (ma) {
		memset(p + ma, 0, 16);
		hmac_md5(p, size, p + ma);
	}
	uint8_t ra[16];
	md5(p, size, ra);
	memcpy(p + 4, ra, 16);
	if (rad_verify_reply(p, size, req_auth, SECRET, false) == 0)
		walk(p, size);
	/* auto learns only from a reply that verified with its signature. */
	struct rad_ma_policy pol = {.mode = RAD_MA_AUTO};
	bool has_ma = false;
	enum rad_verdict v = rad_check_access_reply(&pol, p, size, req_auth, SECRET, &has_ma);
	FUZZ_CHECK(pol.seen == (v == RAD_REPLY_OK && has_ma));
	return 0;
}
