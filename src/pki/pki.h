/* Certificate and key making for the embedded default and the CLI's PKI
 * helpers: what admins otherwise do by hand with openssl. */
#ifndef P2S_PKI_H
#define P2S_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

enum pki_key_type { PKI_RSA2048, PKI_EC_P256 };
enum pki_usage { PKI_CA, PKI_SERVER, PKI_CLIENT };

/* Extended key usage "IP security IKE intermediate" (RFC 4945) and the
 * Microsoft UPN otherName. */
#define PKI_OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"
#define PKI_OID_MS_UPN		 "1.3.6.1.4.1.311.20.2.3"

EVP_PKEY *pki_key_new(enum pki_key_type t);
/* Issues a certificate for key: self-signed when issuer is NULL (a CA).
 * Servers get EKU serverAuth + IKE intermediate and san (their FQDN) as a
 * subjectAltName DNS entry. Clients get clientAuth and, when san is set or
 * cn looks like user@domain, that identity as SAN e-mail and UPN. */
X509 *pki_issue(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
		enum pki_usage usage, const char *san, int days);

int pki_write_cert(const char *path, X509 *x, bool append);
int pki_write_key(const char *path, EVP_PKEY *k);
X509 *pki_read_cert(const char *path);
EVP_PKEY *pki_read_key(const char *path);

#endif
