/* Decodes vpnClientRootCertificates (base64 DER of CA certificates) and
 * vpnClientRevokedCertificates (SHA-1 thumbprints) after loading. */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "schema.h"

#define ROOTS	  "vpnClientConfiguration.vpnClientRootCertificates"
#define REVOKED	  "vpnClientConfiguration.vpnClientRevokedCertificates"
#define MAX_ROOTS 20

/* NULL when der is one X.509 CA certificate, else what is wrong. */
static const char *ca_der_problem(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		return "is not base64 of a DER X.509 certificate";
	}
	int ca = X509_check_ca(x);
	X509_free(x);
	return ca < 1 ? "is not a CA certificate (basicConstraints CA:TRUE is required)" : NULL;
}

static void require_name(const char *list, size_t i, const char *name, struct conf_errors *e)
{
	char p[160];
	if (name && name[0])
		return;
	snprintf(p, sizeof(p), "%s[%zu].name", list, i);
	conf_errors_add(e, p, "is required and must be a non-empty string");
}

static void decode_root(struct conf_root_cert *r, size_t i, struct conf_errors *e)
{
	char p[160];
	require_name(ROOTS, i, r->name, e);
	snprintf(p, sizeof(p), ROOTS "[%zu].publicCertData", i);
	if (!r->public_cert_data) {
		conf_errors_add(e, p, "is required: base64 of the root's DER certificate");
		return;
	}
	uint8_t *der = NULL;
	int n = b64_decode(r->public_cert_data, &der);
	const char *why = n > 0 ? ca_der_problem(der, (size_t)n) : "is not valid base64";
	if (why) {
		conf_errors_add(e, p, "%s", why);
		free(der);
		return;
	}
	r->der = der;
	r->der_len = (size_t)n;
}

static void decode_revoked(struct conf_revoked *r, size_t i, struct conf_errors *e)
{
	char p[160];
	require_name(REVOKED, i, r->name, e);
	snprintf(p, sizeof(p), REVOKED "[%zu].thumbprint", i);
	if (!r->thumbprint || hex_decode(r->thumbprint, r->sha1, sizeof(r->sha1)) != 20)
		conf_errors_add(e, p, "must be the certificate's SHA-1 thumbprint: 40 hex digits");
}

void conf_decode_certs(struct gw_conf *c, struct conf_errors *e)
{
	if (c->roots.n > MAX_ROOTS)
		conf_errors_add(e, ROOTS, "at most %d root certificates are allowed", MAX_ROOTS);
	for (size_t i = 0; i < c->roots.n; i++)
		decode_root(&c->roots.v[i], i, e);
	for (size_t i = 0; i < c->revoked.n; i++)
		decode_revoked(&c->revoked.v[i], i, e);
}
