#include "hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "err.h"

/* Fetched once for the process; workers on other threads share it. */
static EVP_MAC *mac;
static pthread_once_t mac_once = PTHREAD_ONCE_INIT;

static void mac_fetch(void)
{
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int hmac_compute(const char *digest, const uint8_t *key, size_t key_len,
		 const struct hmac_part *parts, size_t n_parts, uint8_t *out, size_t out_len)
{
	pthread_once(&mac_once, mac_fetch);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_end()};
	int ok = ctx && EVP_MAC_init(ctx, key, key_len, params);
	for (size_t i = 0; ok && i < n_parts; i++)
		ok = EVP_MAC_update(ctx, parts[i].p, parts[i].n);
	size_t outl = 0;
	ok = ok && EVP_MAC_final(ctx, out, &outl, out_len) && outl == out_len;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : P2S_E_CRYPTO;
}

int hmac_sha256(const uint8_t *key, size_t key_len, const struct hmac_part *parts, size_t n_parts,
		uint8_t out[32])
{
	return hmac_compute("SHA256", key, key_len, parts, n_parts, out, 32);
}
