/* Certificate authentication: the client chain must lead to an uploaded
 * root; the leaf must carry the clientAuth EKU, be within its validity and
 * not be revoked by thumbprint. Owns its X509_STORE and revocation list. */
#ifndef P2S_AUTH_CERT_H
#define P2S_AUTH_CERT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

struct stats;

struct cert_auth {
	int refs; /* the creator's, plus one per SSL_CTX attached */
	X509_STORE *store;
	uint8_t (*revoked)[20];
	size_t n_revoked;
	uint8_t (*roots)[20]; /* thumbprints of trusted roots */
	size_t n_roots;
	struct stats *stats; /* where TLS refusals are counted (the core's); may be NULL */
};

/* Builds the trust state from the configuration plus optional extra roots
 * (the demo client root of the embedded default). NULL on failure. */
struct cert_auth *cert_auth_new(const struct gw_conf *c, X509 *const *extra, size_t n_extra);
/* Drops one reference. */
void cert_auth_free(struct cert_auth *a);

/* Installs the store and verify callback on ctx; the callback refuses with a
 * single log line naming the reason and the subject. ctx keeps a reference. */
enum cert_mode { CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE };
int cert_auth_attach(struct cert_auth *a, SSL_CTX *ctx, enum cert_mode mode);
/* A label (session id and peer) for the refusal log line; must outlive ssl. */
void cert_auth_set_label(SSL *ssl, const char *label);

/* What a successful handshake established, for the session and for reload. */
struct cert_identity {
	char cn[256];
	char subject[512];
	uint8_t leaf_sha1[20];
	uint8_t root_sha1[20];
};
int cert_identity_from_ssl(SSL *ssl, struct cert_identity *id);

/* Verifies a chain presented outside TLS (IKEv2 CERT, EAP-TLS) with the same
 * rules as the TLS callback: uploaded root, clientAuth EKU, validity,
 * revocation. 0 with id filled, or negative with *why. */
int cert_auth_verify_chain(struct cert_auth *a, X509 *leaf, STACK_OF(X509) * untrusted,
			   struct cert_identity *id, const char **why);

/* On reload: still acceptable under the new trust state? Fills why if not. */
bool cert_auth_still_valid(const struct cert_auth *a, const struct cert_identity *id,
			   const char **why);

int cert_thumbprint(X509 *x, uint8_t out[20]);
bool cert_auth_is_revoked(const struct cert_auth *a, const uint8_t sha1[20]);
/* Checks a leaf's own rules (clientAuth EKU); NULL if fine, else the reason. */
const char *cert_leaf_problem(X509 *leaf);

#endif
