#define LOG_MODULE "auth"

#include "cert.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/codec.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/stats.h"

static int ctx_idx = -1; /* SSL_CTX ex_data: struct cert_auth * */
static int ssl_idx = -1; /* SSL ex_data: const char * label for log lines */
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void ctx_auth_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			  void *argp);

static void idx_init(void)
{
	ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_auth_free);
	ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int cert_thumbprint(X509 *x, uint8_t out[20])
{
	unsigned int n = 20;
	return X509_digest(x, EVP_sha1(), out, &n) == 1 && n == 20 ? 0 : P2S_E_CRYPTO;
}

bool cert_auth_is_revoked(const struct cert_auth *a, const uint8_t sha1[20])
{
	for (size_t i = 0; i < a->n_revoked; i++)
		if (memcmp(a->revoked[i], sha1, 20) == 0)
			return true;
	return false;
}

const char *cert_leaf_problem(X509 *leaf)
{
	uint32_t xku = X509_get_extended_key_usage(leaf);
	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) || !(xku & XKU_SSL_CLIENT))
		return "missing clientAuth extended key usage";
	return NULL;
}

static int add_root(struct cert_auth *a, X509 *x)
{
	if (!X509_STORE_add_cert(a->store, x))
		return P2S_E_CRYPTO;
	return cert_thumbprint(x, a->roots[a->n_roots++]);
}

static int load_conf_roots(struct cert_auth *a, const struct gw_conf *c)
{
	for (size_t i = 0; i < c->roots.n; i++) {
		const unsigned char *p = c->roots.v[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)c->roots.v[i].der_len);
		int r = x ? add_root(a, x) : P2S_E_CRYPTO;
		X509_free(x);
		if (r < 0)
			return r;
	}
	return 0;
}

struct cert_auth *cert_auth_new(const struct gw_conf *c, X509 *const *extra, size_t n_extra)
{
	struct cert_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->refs = 1;
	a->store = X509_STORE_new();
	a->roots = calloc(c->roots.n + n_extra + 1, 20);
	a->revoked = calloc(c->revoked.n + 1, 20);
	if (!a->store || !a->roots || !a->revoked || load_conf_roots(a, c) < 0)
		goto fail;
	for (size_t i = 0; i < n_extra; i++)
		if (add_root(a, extra[i]) < 0)
			goto fail;
	for (size_t i = 0; i < c->revoked.n; i++)
		memcpy(a->revoked[i], c->revoked.v[i].sha1, 20);
	a->n_revoked = c->revoked.n;
	return a;
fail:
	cert_auth_free(a);
	return NULL;
}

void cert_auth_free(struct cert_auth *a)
{
	if (!a || --a->refs > 0)
		return;
	X509_STORE_free(a->store);
	free(a->roots);
	free(a->revoked);
	free(a);
}

static void subject_of(X509 *x, char *out, size_t cap)
{
	out[0] = 0;
	if (x)
		X509_NAME_oneline(X509_get_subject_name(x), out, (int)cap);
}

static const char *error_reason(int err, int depth)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return "not issued by a trusted root (unable to get local issuer certificate)";
	case X509_V_ERR_INVALID_PURPOSE:
		return depth == 0 ? "missing clientAuth extended key usage"
				  : "issuer not allowed to sign client certificates";
	default: return X509_verify_cert_error_string(err);
	}
}

static void refuse(SSL *ssl, X509_STORE_CTX *xs, const char *reason)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(xs);
	X509 *leaf = chain && sk_X509_num(chain) ? sk_X509_value(chain, 0)
						 : X509_STORE_CTX_get_current_cert(xs);
	char subj[512];
	subject_of(leaf, subj, sizeof(subj));
	const char *label = ssl ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
	log_warn("%s%srefused client certificate %s: %s", label ? label : "", label ? ": " : "",
		 subj, reason);
	struct cert_auth *a = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx) : NULL;
	if (a && a->stats) {
		char proto[16] = "", why[200];
		if (label) /* "<Protocol>_<uuid>" */
			snprintf(proto, sizeof(proto), "%.*s", (int)strcspn(label, "_"), label);
		snprintf(why, sizeof(why), "client certificate %s", reason);
		stats_refusal(a->stats, time(NULL), proto, label, subj, why);
	}
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	int depth = X509_STORE_CTX_get_error_depth(xs);
	if (!ok) {
		refuse(ssl, xs, error_reason(X509_STORE_CTX_get_error(xs), depth));
		return 0;
	}
	if (depth != 0 || !ssl)
		return 1;
	struct cert_auth *a = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	X509 *leaf = X509_STORE_CTX_get_current_cert(xs);
	uint8_t tp[20];
	const char *why = cert_leaf_problem(leaf);
	if (!why && (cert_thumbprint(leaf, tp) < 0 || (a && cert_auth_is_revoked(a, tp))))
		why = "certificate revoked (thumbprint listed in vpnClientRevokedCertificates)";
	if (why) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
		refuse(ssl, xs, why);
		return 0;
	}
	return 1;
}

static void ctx_auth_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			  void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	cert_auth_free(ptr);
}

int cert_auth_attach(struct cert_auth *a, SSL_CTX *ctx, enum cert_mode mode)
{
	pthread_once(&idx_once, idx_init);
	if (!X509_STORE_up_ref(a->store))
		return P2S_E_CRYPTO;
	SSL_CTX_set_cert_store(ctx, a->store);
	a->refs++;
	SSL_CTX_set_ex_data(ctx, ctx_idx, a);
	int flags = mode == CERT_NONE	    ? SSL_VERIFY_NONE
		    : mode == CERT_OPTIONAL ? SSL_VERIFY_PEER
					    : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, flags, mode == CERT_NONE ? NULL : verify_cb);
	SSL_CTX_set_verify_depth(ctx, 8);
	return 0;
}

void cert_auth_set_label(SSL *ssl, const char *label)
{
	pthread_once(&idx_once, idx_init);
	SSL_set_ex_data(ssl, ssl_idx, (void *)label);
}

static void cn_of(X509 *x, char *out, size_t cap)
{
	out[0] = 0;
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)cap);
}

static int identity_from_chain(STACK_OF(X509) * chain, struct cert_identity *id);

int cert_identity_from_ssl(SSL *ssl, struct cert_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (SSL_get_verify_result(ssl) != X509_V_OK || !SSL_get0_peer_certificate(ssl))
		return P2S_E_DENIED;
	return identity_from_chain(SSL_get0_verified_chain(ssl), id);
}

bool cert_auth_still_valid(const struct cert_auth *a, const struct cert_identity *id,
			   const char **why)
{
	if (cert_auth_is_revoked(a, id->leaf_sha1)) {
		*why = "certificate revoked (thumbprint listed in vpnClientRevokedCertificates)";
		return false;
	}
	for (size_t i = 0; i < a->n_roots; i++)
		if (memcmp(a->roots[i], id->root_sha1, 20) == 0)
			return true;
	*why = "its root certificate was removed from vpnClientRootCertificates";
	return false;
}

static int identity_from_chain(STACK_OF(X509) * chain, struct cert_identity *id)
{
	memset(id, 0, sizeof(*id));
	int n = chain ? sk_X509_num(chain) : 0;
	if (n < 1)
		return P2S_E_DENIED;
	X509 *leaf = sk_X509_value(chain, 0);
	cn_of(leaf, id->cn, sizeof(id->cn));
	subject_of(leaf, id->subject, sizeof(id->subject));
	if (cert_thumbprint(leaf, id->leaf_sha1) < 0 ||
	    cert_thumbprint(sk_X509_value(chain, n - 1), id->root_sha1) < 0)
		return P2S_E_CRYPTO;
	return 0;
}

int cert_auth_verify_chain(struct cert_auth *a, X509 *leaf, STACK_OF(X509) * untrusted,
			   struct cert_identity *id, const char **why)
{
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	*why = "out of memory";
	if (!xs || !X509_STORE_CTX_init(xs, a->store, leaf, untrusted)) {
		X509_STORE_CTX_free(xs);
		return -ENOMEM;
	}
	X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT);
	int ok = X509_verify_cert(xs);
	*why = ok == 1 ? cert_leaf_problem(leaf)
		       : error_reason(X509_STORE_CTX_get_error(xs),
				      X509_STORE_CTX_get_error_depth(xs));
	int r = *why ? P2S_E_DENIED : identity_from_chain(X509_STORE_CTX_get0_chain(xs), id);
	if (r == 0 && cert_auth_is_revoked(a, id->leaf_sha1)) {
		*why = "certificate revoked (thumbprint listed in vpnClientRevokedCertificates)";
		r = P2S_E_DENIED;
	}
	X509_STORE_CTX_free(xs);
	return r;
}
