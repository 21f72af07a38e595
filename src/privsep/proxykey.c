/* The one file that uses OpenSSL's deprecated RSA_METHOD / EC_KEY_METHOD:
 * OpenSSL 3 still routes a key with a foreign method through it, for TLS
 * 1.2 and 1.3 (RSA-PSS arrives as a raw no-padding private operation on
 * the padded block) and for EVP_DigestSign, which is all the network
 * process needs. A provider would do the same in ten times the code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#define LOG_MODULE "privsep"

#include "privsep/proxykey.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "privsep/channel.h"

static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;
static int rsa_idx = -1, ec_idx = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void id_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

int ps_key_id(EVP_PKEY *pub, uint8_t id[PS_KEY_ID_LEN])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pub, &der);
	if (n <= 0)
		return -1;
	SHA256(der, (size_t)n, id);
	OPENSSL_free(der);
	return 0;
}

static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	const uint8_t *id = RSA_get_ex_data(rsa, rsa_idx);
	enum ps_alg alg = padding == RSA_PKCS1_PADDING ? PS_RSA_PKCS1 : PS_RSA_RAW;
	if (!id || flen <= 0 || (padding != RSA_PKCS1_PADDING && padding != RSA_NO_PADDING))
		return -1;
	size_t n = 0;
	int r = ps_sign(id, alg, from, (size_t)flen, to, (size_t)RSA_size(rsa), &n);
	return r == 0 ? (int)n : -1;
}

static int rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	(void)flen;
	(void)from;
	(void)to;
	(void)rsa;
	(void)padding;
	return -1; /* no suite here decrypts with the server key */
}

static int ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		   unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	(void)type;
	(void)kinv;
	(void)r;
	const uint8_t *id = EC_KEY_get_ex_data(ec, ec_idx);
	size_t n = 0;
	if (!id || dlen <= 0 ||
	    ps_sign(id, PS_ECDSA, dgst, (size_t)dlen, sig, (size_t)ECDSA_size(ec), &n) < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
			      const BIGNUM *r, EC_KEY *ec)
{
	unsigned char der[256];
	unsigned int n = 0;
	if (ECDSA_size(ec) > (int)sizeof(der) || !ec_sign(0, dgst, dlen, der, &n, kinv, r, ec))
		return NULL;
	const unsigned char *p = der;
	return d2i_ECDSA_SIG(NULL, &p, (long)n);
}

static void methods_init(void)
{
	rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
	if (rsa_meth) {
		RSA_meth_set1_name(rsa_meth, "p2sgw key process");
		RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc);
		RSA_meth_set_priv_dec(rsa_meth, rsa_priv_dec);
		RSA_meth_set_flags(rsa_meth, RSA_meth_get_flags(rsa_meth) | RSA_FLAG_EXT_PKEY);
	}
	ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	if (ec_meth)
		EC_KEY_METHOD_set_sign(ec_meth, ec_sign, NULL, ec_sign_sig);
	rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, id_free);
	ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, id_free);
}

static EVP_PKEY *rsa_proxy(EVP_PKEY *pub, uint8_t *id)
{
	RSA *rsa = RSAPublicKey_dup(EVP_PKEY_get0_RSA(pub));
	EVP_PKEY *k = EVP_PKEY_new();
	if (!rsa || !k || !rsa_meth || RSA_set_method(rsa, rsa_meth) != 1 ||
	    RSA_set_ex_data(rsa, rsa_idx, id) != 1) {
		RSA_free(rsa);
		EVP_PKEY_free(k);
		free(id);
		return NULL;
	}
	EVP_PKEY_assign_RSA(k, rsa);
	return k;
}

static EVP_PKEY *ec_proxy(EVP_PKEY *pub, uint8_t *id)
{
	const EC_KEY *src = EVP_PKEY_get0_EC_KEY(pub);
	EC_KEY *ec = src ? EC_KEY_new() : NULL;
	EVP_PKEY *k = EVP_PKEY_new();
	int ok = ec && k && ec_meth && EC_KEY_set_method(ec, ec_meth) == 1 &&
		 EC_KEY_set_group(ec, EC_KEY_get0_group(src)) == 1 &&
		 EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(src)) == 1 &&
		 EC_KEY_set_ex_data(ec, ec_idx, id) == 1;
	if (!ok) {
		EC_KEY_free(ec);
		EVP_PKEY_free(k);
		free(id);
		return NULL;
	}
	EVP_PKEY_assign_EC_KEY(k, ec);
	return k;
}

EVP_PKEY *ps_proxy_key(EVP_PKEY *pub, const uint8_t id[PS_KEY_ID_LEN])
{
	pthread_once(&once, methods_init);
	uint8_t *copy = malloc(PS_KEY_ID_LEN);
	if (!copy)
		return NULL;
	memcpy(copy, id, PS_KEY_ID_LEN);
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA: return rsa_proxy(pub, copy);
	case EVP_PKEY_EC: return ec_proxy(pub, copy);
	default:
		free(copy);
		log_err("server key type %s: only RSA and EC keys can be kept in the key process",
			EVP_PKEY_get0_type_name(pub));
		return NULL;
	}
}
