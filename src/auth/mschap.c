#include "mschap.h"

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/err.h"

/* MD4 and single DES live in the legacy provider: loaded once per process
 * (whichever thread asks first) into a library context of MS-CHAP's own, so
 * the rest of the process never sees them, and released at exit so leak
 * checkers see no provider left behind. */
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *legacy;
static OSSL_PROVIDER *legacy_prov, *default_prov;

static void legacy_free(void)
{
	OSSL_PROVIDER_unload(legacy_prov);
	OSSL_PROVIDER_unload(default_prov);
	OSSL_LIB_CTX_free(legacy);
	legacy = NULL;
}

static void legacy_load(void)
{
	legacy = OSSL_LIB_CTX_new();
	if (!legacy)
		return;
	legacy_prov = OSSL_PROVIDER_load(legacy, "legacy");
	default_prov = OSSL_PROVIDER_load(legacy, "default");
	/* Registered after OpenSSL's own exit handler, so it runs before it. */
	atexit(legacy_free);
}

/* NULL if it could not be made: the default context, where MD4 and DES fail. */
static OSSL_LIB_CTX *legacy_ctx(void)
{
	pthread_once(&legacy_once, legacy_load);
	return legacy;
}

static int digest(const char *name, const void *const *p, const size_t *n, int k, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(legacy_ctx(), name, NULL);
	EVP_MD_CTX *c = md ? EVP_MD_CTX_new() : NULL;
	int ok = c && EVP_DigestInit_ex(c, md, NULL);
	for (int i = 0; ok && i < k; i++)
		ok = EVP_DigestUpdate(c, p[i], n[i]);
	ok = ok && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	EVP_MD_free(md);
	return ok ? 0 : P2S_E_CRYPTO;
}

int mschap_nt_password_hash(const char *password, uint8_t hash[16])
{
	uint8_t utf16[512];
	size_t n = strlen(password);
	if (n > 256)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) { /* ASCII to UTF-16LE, as peers send it */
		utf16[2 * i] = (uint8_t)password[i];
		utf16[2 * i + 1] = 0;
	}
	const void *p[] = {utf16};
	const size_t l[] = {2 * n};
	return digest("MD4", p, l, 1, hash);
}

void mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			   const char *user, uint8_t out[8])
{
	uint8_t sha[20];
	const void *p[] = {peer_challenge, auth_challenge, user};
	const size_t l[] = {16, 16, strlen(user)};
	digest("SHA1", p, l, 3, sha);
	memcpy(out, sha, 8);
}

/* Spreads 7 key bytes over 8 with (ignored) parity bits. */
static void des_key(const uint8_t in[7], uint8_t out[8])
{
	out[0] = in[0];
	for (int i = 1; i < 7; i++)
		out[i] = (uint8_t)(in[i - 1] << (8 - i) | in[i] >> i);
	out[7] = (uint8_t)(in[6] << 1);
}

static int des_encrypt(const uint8_t key7[7], const uint8_t clear[8], uint8_t out[8])
{
	uint8_t k[8];
	des_key(key7, k);
	EVP_CIPHER *c = EVP_CIPHER_fetch(legacy_ctx(), "DES-ECB", NULL);
	EVP_CIPHER_CTX *x = c ? EVP_CIPHER_CTX_new() : NULL;
	int n = 0;
	int ok = x && EVP_EncryptInit_ex(x, c, NULL, k, NULL) && EVP_CIPHER_CTX_set_padding(x, 0) &&
		 EVP_EncryptUpdate(x, out, &n, clear, 8) && n == 8;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return ok ? 0 : P2S_E_CRYPTO;
}

static int challenge_response(const uint8_t challenge[8], const uint8_t hash[16],
			      uint8_t response[24])
{
	uint8_t z[21] = {0};
	memcpy(z, hash, 16);
	int r = des_encrypt(z, challenge, response);
	if (r == 0)
		r = des_encrypt(z + 7, challenge, response + 8);
	return r ? r : des_encrypt(z + 14, challenge, response + 16);
}

int mschap_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		       const char *user, const char *password, uint8_t response[24])
{
	uint8_t ch[8], hash[16];
	mschap_challenge_hash(peer_challenge, auth_challenge, user, ch);
	int r = mschap_nt_password_hash(password, hash);
	return r ? r : challenge_response(ch, hash, response);
}

int mschap_authenticator_response(const char *password, const uint8_t nt_response[24],
				  const uint8_t peer_challenge[16],
				  const uint8_t auth_challenge[16], const char *user, char out[43])
{
	static const char magic1[] = "Magic server to client signing constant";
	static const char magic2[] = "Pad to make it do more than one iteration";
	uint8_t hash[16], hash2[16], digest1[20], ch[8], digest2[20];
	int r = mschap_nt_password_hash(password, hash);
	const void *p0[] = {hash};
	const size_t l0[] = {16};
	if (r == 0)
		r = digest("MD4", p0, l0, 1, hash2);
	const void *p1[] = {hash2, nt_response, magic1};
	const size_t l1[] = {16, 24, sizeof(magic1) - 1};
	if (r == 0)
		r = digest("SHA1", p1, l1, 3, digest1);
	mschap_challenge_hash(peer_challenge, auth_challenge, user, ch);
	const void *p2[] = {digest1, ch, magic2};
	const size_t l2[] = {20, 8, sizeof(magic2) - 1};
	if (r == 0)
		r = digest("SHA1", p2, l2, 3, digest2);
	out[0] = 'S';
	out[1] = '=';
	hex_encode(digest2, 20, out + 2, 1);
	return r;
}

int mschap_master_key(const uint8_t password_hash_hash[16], const uint8_t nt_response[24],
		      uint8_t master[16])
{
	static const char magic1[] = "This is the MPPE Master Key";
	uint8_t d[20];
	const void *p[] = {password_hash_hash, nt_response, magic1};
	const size_t l[] = {16, 24, sizeof(magic1) - 1};
	int r = digest("SHA1", p, l, 3, d);
	memcpy(master, d, 16);
	return r;
}
