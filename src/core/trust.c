/* The gateway's own key and certificate, and the client trust built from
 * the configuration: one TLS context per use, and one door (core_sign) for
 * every private-key operation outside TLS. Replaced whole on reload;
 * handshakes under way keep the contexts they started with. */
#define LOG_MODULE "trust"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "lib/file.h"
#include "core/gateway.h"
#include "lib/err.h"
#include "lib/log.h"
#include "pki/pki.h"

/* Azure's point-to-site TLS policy, exactly: four ECDHE-RSA suites for TLS 1.2 and two
 * TLS 1.3 suites (OpenVPN only), nothing older than TLS 1.2. */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"                                 \
	"ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/* OpenVPN: certificates alone are required; with RADIUS or AAD too they are
 * asked for and any one may do. SSTP checks certificates inside PPP
 * (EAP-TLS), never in the outer TLS. */
static enum cert_mode cert_mode(enum tls_profile p, unsigned auth_types)
{
	if (p == TLS_PROFILE_SSTP || !(auth_types & AUTH_CERTIFICATE))
		return CERT_NONE;
	return auth_types & (AUTH_RADIUS | AUTH_AAD) ? CERT_OPTIONAL : CERT_REQUIRED;
}

static SSL_CTX *tls_ctx_new(const struct trust *t, enum tls_profile p, unsigned auth_types)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (p == TLS_PROFILE_SSTP)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	int ok = SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) &&
		 SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) &&
		 SSL_CTX_use_certificate(ctx, t->cert) == 1 &&
		 SSL_CTX_set1_chain(ctx, t->chain) == 1 &&
		 SSL_CTX_use_PrivateKey(ctx, t->key) == 1 && SSL_CTX_check_private_key(ctx) == 1 &&
		 cert_auth_attach(t->certs, ctx, cert_mode(p, auth_types)) == 0;
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int load_identity(const struct core *g, struct trust *t, const char *cert_file,
			 const char *key_file)
{
	FILE *f = file_open_read(cert_file);
	if (f) {
		t->cert = PEM_read_X509(f, NULL, NULL, NULL);
		t->chain = sk_X509_new_null();
		X509 *x;
		while (t->chain && (x = PEM_read_X509(f, NULL, NULL, NULL)))
			sk_X509_push(t->chain, x);
		ERR_clear_error(); /* the end of the file reads as an error */
		fclose(f);
	}
	if (g->server_key) {
		t->key = t->cert ? g->server_key(t->cert) : NULL;
		return t->cert && t->chain && t->key ? 0 : P2S_E_CONFIG;
	}
	f = fopen(key_file, "r");
	if (f) {
		t->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	return t->cert && t->chain && t->key ? 0 : P2S_E_CONFIG;
}

int trust_build(struct core *g, const struct gw_conf *c, struct trust *out)
{
	const char *cert = g->auto_pki ? g->state.server_cert : c->cert_file;
	const char *key = g->auto_pki ? g->state.server_key : c->key_file;
	struct trust t = {0};
	int r = load_identity(g, &t, cert, key);
	/* The demo client root of the embedded PKI is trusted only until the
	 * configuration uploads roots of its own. */
	size_t demo = g->demo_root && c->roots.n == 0 ? 1 : 0;
	if (r == 0 && !(t.certs = cert_auth_new(c, &g->demo_root, demo)))
		r = P2S_E_CONFIG;
	if (r == 0)
		t.certs->stats = &g->stats; /* TLS-time refusals counted with the others */
	for (int p = 0; r == 0 && p < TLS_PROFILE_N; p++)
		if (!(t.tls[p] = tls_ctx_new(&t, (enum tls_profile)p, c->auth_types)))
			r = P2S_E_CONFIG;
	if (r < 0) {
		log_err("cannot set up TLS with %s and %s", cert, key);
		trust_free(&t);
		return r;
	}
	*out = t;
	return 0;
}

void trust_free(struct trust *t)
{
	for (int p = 0; p < TLS_PROFILE_N; p++)
		SSL_CTX_free(t->tls[p]);
	cert_auth_free(t->certs);
	X509_free(t->cert);
	sk_X509_pop_free(t->chain, X509_free);
	EVP_PKEY_free(t->key);
	memset(t, 0, sizeof(*t));
}

SSL_CTX *core_tls_ctx(struct core *c, enum tls_profile p)
{
	return c->trust.tls[p];
}

struct cert_auth *core_cert_auth(struct core *c)
{
	return c->trust.certs;
}

X509 *core_server_cert(struct core *c)
{
	return c->trust.cert;
}

STACK_OF(X509) * core_server_chain(struct core *c)
{
	return c->trust.chain;
}

int core_sign(struct core *c, const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *sig,
	      size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestSignInit(m, NULL, md, NULL, c->trust.key) == 1 &&
		 EVP_DigestSign(m, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : P2S_E_CRYPTO;
}
