/* Test certificates made at run time with the OpenSSL API: a self-signed
 * CA and leaves it issues. Header-only, shared by test_conf and test_cert. */
#ifndef P2S_TEST_CERTGEN_H
#define P2S_TEST_CERTGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline EVP_PKEY *tc_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static inline int tc_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for key named cn. issuer == NULL makes it self-signed.
 * ca: basicConstraints CA:TRUE and keyUsage certSign; otherwise a leaf
 * whose extendedKeyUsage is eku (NULL for none). */
static inline X509 *tc_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
			    bool ca, const char *eku, long serial)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509 *iss = issuer ? issuer : x;
	int ok = tc_ext(x, iss, NID_subject_key_identifier, "hash");
	if (ca) {
		ok = ok && tc_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE") &&
		     tc_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ok = ok && tc_ext(x, iss, NID_basic_constraints, "CA:FALSE") &&
		     tc_ext(x, iss, NID_key_usage, "critical,digitalSignature");
		if (eku)
			ok = ok && tc_ext(x, iss, NID_ext_key_usage, eku);
	}
	if (!ok || !X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Base64 of the DER encoding, no newlines; caller frees. */
static inline char *tc_der_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	if (n <= 0)
		return NULL;
	char *s = malloc(4 * ((size_t)n + 2) / 3 + 4);
	if (s)
		EVP_EncodeBlock((unsigned char *)s, der, n);
	OPENSSL_free(der);
	return s;
}

#endif
