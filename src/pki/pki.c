#define LOG_MODULE "pki"

#include "pki.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"

EVP_PKEY *pki_key_new(enum pki_key_type t)
{
	if (t == PKI_EC_P256)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : P2S_E_CRYPTO;
}

/* What the leaf is for. Servers: serverAuth and IP security IKE intermediate
 * (RFC 4945 §5.1.3.12), which Windows and macOS IKEv2 clients look for, and
 * the gateway's name as a SAN DNS entry, which they match against the remote
 * identity. Clients whose name is an e-mail address or UPN carry it in the SAN
 * as both, since strongSwan, Windows and macOS take the IKE identity from
 * there rather than from the subject. */
static int add_leaf_exts(X509 *x, X509 *issuer, enum pki_usage usage, const char *san)
{
	int r = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
	if (!r)
		r = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	if (!r)
		r = add_ext(x, issuer, NID_ext_key_usage,
			    usage == PKI_SERVER ? "serverAuth," PKI_OID_IKE_INTERMEDIATE
						: "clientAuth");
	if (r || !san)
		return r;
	char v[600];
	if (usage == PKI_SERVER)
		snprintf(v, sizeof(v), "DNS:%s", san);
	else
		snprintf(v, sizeof(v), "email:%s,otherName:" PKI_OID_MS_UPN ";UTF8:%s", san, san);
	return add_ext(x, issuer, NID_subject_alt_name, v);
}

static int add_usage_exts(X509 *x, X509 *issuer, enum pki_usage usage, const char *san)
{
	int r = add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (!r && issuer)
		r = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (r || usage != PKI_CA)
		return r ? r : add_leaf_exts(x, issuer, usage, san);
	r = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
	return r ? r : add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
}

X509 *pki_issue(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
		enum pki_usage usage, const char *san_dns, int days)
{
	X509 *x = X509_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	BIGNUM *bn = BN_new();
	int ok = x && serial && bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, serial) && X509_set_version(x, 2) &&
		 X509_set_serialNumber(x, serial) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) &&
		 X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					      -1, -1, 0);
	ok = ok && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	if (usage == PKI_CLIENT && !san_dns && strchr(cn, '@'))
		san_dns = cn;
	ok = ok && add_usage_exts(x, issuer, usage, san_dns) == 0;
	ok = ok && X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0;
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int pki_write_cert(const char *path, X509 *x, bool append)
{
	FILE *f = fopen(path, append ? "a" : "w");
	int ok = f && PEM_write_X509(f, x);
	if (f)
		fclose(f);
	return ok ? 0 : -errno;
}

int pki_write_key(const char *path, EVP_PKEY *k)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok = f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	return ok ? 0 : -errno;
}

X509 *pki_read_cert(const char *path)
{
	FILE *f = file_open_read(path);
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

EVP_PKEY *pki_read_key(const char *path)
{
	FILE *f = file_open_read(path);
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}
