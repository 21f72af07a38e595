/* Certificate and key making for the embedded default and the CLI's PKI
 * helpers: what admins otherwise do by hand with openssl. */
#ifndef P2S_PKI_H
#define P2S_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

enum pki_key_type { PKI_RSA2048, PKI_EC_P256 };
enum pki_usage { PKI_CA, PKI_SERVER, PKI_CLIENT };

EVP_PKEY *pki_key_new(enum pki_key_type t);
/* Issues a certificate for key: self-signed when issuer is NULL (a CA).
 * san_dns, if set, becomes a subjectAltName DNS entry (servers). */
X509 *pki_issue(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
		enum pki_usage usage, const char *san_dns, int days);

int pki_write_cert(const char *path, X509 *x, bool append);
int pki_write_key(const char *path, EVP_PKEY *k);
X509 *pki_read_cert(const char *path);
EVP_PKEY *pki_read_key(const char *path);

#endif
