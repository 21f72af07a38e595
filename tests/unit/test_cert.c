/* src/auth/cert: thumbprints, revocation, leaf rules, and the verify
 * callback in a real in-memory TLS handshake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cert.h"
#include "lib/log.h"
#include "test_certgen.h"

static EVP_PKEY *ca_key, *other_ca_key, *srv_key, *cli_key;
static X509 *ca, *other_ca, *srv_cert, *cli_good, *cli_server_eku, *cli_no_eku, *cli_foreign;

static int group_setup(void **state)
{
	(void)state;
	log_threshold = LOG_ERR; /* refusals are logged at warn: keep the output short */
	ca_key = tc_key();
	other_ca_key = tc_key();
	srv_key = tc_key();
	cli_key = tc_key();
	if (!ca_key || !other_ca_key || !srv_key || !cli_key)
		return -1;
	ca = tc_cert("P2S Test Root", ca_key, NULL, NULL, true, NULL, 1);
	other_ca = tc_cert("Someone Else's Root", other_ca_key, NULL, NULL, true, NULL, 1);
	srv_cert = tc_cert("gw.example.net", srv_key, ca, ca_key, false, "serverAuth", 2);
	cli_good = tc_cert("alice", cli_key, ca, ca_key, false, "clientAuth", 3);
	cli_server_eku = tc_cert("bob", cli_key, ca, ca_key, false, "serverAuth", 4);
	cli_no_eku = tc_cert("carol", cli_key, ca, ca_key, false, NULL, 5);
	cli_foreign = tc_cert("mallory", cli_key, other_ca, other_ca_key, false, "clientAuth", 6);
	return ca && other_ca && srv_cert && cli_good && cli_server_eku && cli_no_eku && cli_foreign
		       ? 0
		       : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	X509 *certs[] = {ca, other_ca, srv_cert, cli_good, cli_server_eku, cli_no_eku, cli_foreign};
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	return 0;
}

static void sha1_of_der(X509 *x, uint8_t out[20])
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	unsigned int len = 0;
	assert_true(EVP_Digest(der, (size_t)n, out, &len, EVP_sha1(), NULL));
	assert_int_equal(len, 20);
	OPENSSL_free(der);
}

static void test_thumbprint(void **state)
{
	(void)state;
	X509 *certs[] = {ca, srv_cert, cli_good, cli_foreign};
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		uint8_t got[20], want[20];
		assert_int_equal(cert_thumbprint(certs[i], got), 0);
		sha1_of_der(certs[i], want);
		assert_memory_equal(got, want, 20);
	}
	uint8_t a[20], b[20];
	cert_thumbprint(cli_good, a);
	cert_thumbprint(cli_no_eku, b);
	assert_memory_not_equal(a, b, 20); /* same key, different certificate */
}

/* A configuration with only what cert_auth_new reads. */
struct conf_fixture {
	struct gw_conf c;
	struct conf_root_cert roots[1];
	struct conf_revoked revoked[2];
	unsigned char *der;
};

static void fixture_init(struct conf_fixture *f, bool with_root, X509 *revoke1, X509 *revoke2)
{
	memset(f, 0, sizeof(*f));
	if (with_root) {
		int n = i2d_X509(ca, &f->der);
		assert_true(n > 0);
		f->roots[0].der = f->der;
		f->roots[0].der_len = (size_t)n;
		f->c.roots.v = f->roots;
		f->c.roots.n = 1;
	}
	X509 *rv[] = {revoke1, revoke2};
	for (int i = 0; i < 2; i++)
		if (rv[i])
			cert_thumbprint(rv[i], f->revoked[f->c.revoked.n++].sha1);
	f->c.revoked.v = f->revoked;
}

static void test_revocation_list(void **state)
{
	(void)state;
	struct conf_fixture f;
	fixture_init(&f, true, cli_no_eku, cli_good);
	struct cert_auth *a = cert_auth_new(&f.c, NULL, 0);
	assert_non_null(a);
	assert_int_equal(a->n_revoked, 2);
	uint8_t tp[20];
	cert_thumbprint(cli_good, tp);
	assert_true(cert_auth_is_revoked(a, tp));
	cert_thumbprint(cli_no_eku, tp);
	assert_true(cert_auth_is_revoked(a, tp));
	cert_thumbprint(cli_server_eku, tp);
	assert_false(cert_auth_is_revoked(a, tp));
	cert_thumbprint(ca, tp);
	assert_false(cert_auth_is_revoked(a, tp));
	tp[0] ^= 1;
	assert_false(cert_auth_is_revoked(a, tp));
	cert_auth_free(a);
	OPENSSL_free(f.der);

	/* An empty list revokes nothing. */
	fixture_init(&f, true, NULL, NULL);
	a = cert_auth_new(&f.c, NULL, 0);
	assert_non_null(a);
	cert_thumbprint(cli_good, tp);
	assert_false(cert_auth_is_revoked(a, tp));
	cert_auth_free(a);
	OPENSSL_free(f.der);
	cert_auth_free(NULL);
}

static void test_leaf_problem(void **state)
{
	(void)state;
	assert_null(cert_leaf_problem(cli_good));
	assert_null(cert_leaf_problem(cli_foreign));
	const char *why = cert_leaf_problem(cli_server_eku);
	assert_non_null(why);
	assert_non_null(strstr(why, "clientAuth"));
	why = cert_leaf_problem(cli_no_eku);
	assert_non_null(why);
	assert_non_null(strstr(why, "clientAuth"));
	/* A CA certificate carries no EKU at all. */
	assert_non_null(cert_leaf_problem(ca));
}

static void test_still_valid(void **state)
{
	(void)state;
	struct conf_fixture f;
	fixture_init(&f, true, cli_no_eku, NULL);
	/* Extra roots (the demo root) are trusted like configured ones. */
	struct cert_auth *a = cert_auth_new(&f.c, &other_ca, 1);
	assert_non_null(a);
	assert_int_equal(a->n_roots, 2);
	struct cert_identity id;
	memset(&id, 0, sizeof(id));
	cert_thumbprint(cli_good, id.leaf_sha1);
	cert_thumbprint(ca, id.root_sha1);
	const char *why = NULL;
	assert_true(cert_auth_still_valid(a, &id, &why));
	cert_thumbprint(other_ca, id.root_sha1);
	assert_true(cert_auth_still_valid(a, &id, &why));
	/* Revoked since. */
	cert_thumbprint(cli_no_eku, id.leaf_sha1);
	assert_false(cert_auth_still_valid(a, &id, &why));
	assert_non_null(strstr(why, "revoked"));
	cert_auth_free(a);
	/* Root removed from the configuration. */
	a = cert_auth_new(&f.c, NULL, 0);
	cert_thumbprint(cli_good, id.leaf_sha1);
	cert_thumbprint(other_ca, id.root_sha1);
	why = NULL;
	assert_false(cert_auth_still_valid(a, &id, &why));
	assert_non_null(strstr(why, "root"));
	cert_auth_free(a);
	OPENSSL_free(f.der);
}

static void test_bad_root_der(void **state)
{
	(void)state;
	struct conf_fixture f;
	fixture_init(&f, true, NULL, NULL);
	f.roots[0].der_len = 10; /* cut short */
	assert_null(cert_auth_new(&f.c, NULL, 0));
	OPENSSL_free(f.der);
}

/* ---- a TLS 1.3 handshake over a BIO pair, server verifying the client ---- */

static SSL_CTX *server_ctx(struct cert_auth *a, enum cert_mode mode)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, srv_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, srv_key), 1);
	assert_int_equal(cert_auth_attach(a, ctx, mode), 0);
	return ctx;
}

/* Returns the server's SSL after the handshake (or its failure); client_cert
 * NULL: the client has no certificate. */
static SSL *handshake(SSL_CTX *sctx, X509 *client_cert, bool *ok)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(cctx);
	if (client_cert) {
		assert_int_equal(SSL_CTX_use_certificate(cctx, client_cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(cctx, cli_key), 1);
	}
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	SSL_CTX_free(cctx);
	BIO *sb = NULL, *cb = NULL;
	assert_int_equal(BIO_new_bio_pair(&sb, 0, &cb, 0), 1);
	SSL_set_bio(s, sb, sb);
	SSL_set_bio(c, cb, cb);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	cert_auth_set_label(s, "test-session");
	int rs = 0, rc = 0;
	for (int i = 0; i < 20 && (rs != 1 || rc != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
		if (rs <= 0 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ)
			break;
	}
	/* With TLS 1.3 the client finishes first; the server decides on the
	 * client's certificate when it reads the client's last flight. */
	*ok = rs == 1;
	SSL_free(c);
	ERR_clear_error();
	return s;
}

static void test_handshake_verdicts(void **state)
{
	(void)state;
	struct conf_fixture f;
	fixture_init(&f, true, cli_no_eku, NULL);
	struct cert_auth *a = cert_auth_new(&f.c, NULL, 0);
	assert_non_null(a);
	SSL_CTX *sctx = server_ctx(a, CERT_REQUIRED);
	bool ok;

	SSL *s = handshake(sctx, cli_good, &ok);
	assert_true(ok);
	struct cert_identity id;
	assert_int_equal(cert_identity_from_ssl(s, &id), 0);
	assert_string_equal(id.cn, "alice");
	assert_non_null(strstr(id.subject, "CN=alice"));
	uint8_t tp[20];
	cert_thumbprint(cli_good, tp);
	assert_memory_equal(id.leaf_sha1, tp, 20);
	cert_thumbprint(ca, tp);
	assert_memory_equal(id.root_sha1, tp, 20);
	SSL_free(s);

	/* Refused: wrong EKU, from another root, and revoked. */
	X509 *refused[] = {cli_server_eku, cli_foreign};
	for (size_t i = 0; i < 2; i++) {
		s = handshake(sctx, refused[i], &ok);
		assert_false(ok);
		assert_int_not_equal(cert_identity_from_ssl(s, &id), 0);
		SSL_free(s);
	}
	/* The SSL_CTX holds a reference: dropping ours keeps the verifier alive. */
	cert_auth_free(a);
	s = handshake(sctx, cli_good, &ok);
	assert_true(ok);
	SSL_free(s);
	SSL_CTX_free(sctx);
	OPENSSL_free(f.der);

	/* A good certificate, revoked by thumbprint. */
	fixture_init(&f, true, cli_good, NULL);
	a = cert_auth_new(&f.c, NULL, 0);
	sctx = server_ctx(a, CERT_REQUIRED);
	s = handshake(sctx, cli_good, &ok);
	assert_false(ok);
	SSL_free(s);
	SSL_CTX_free(sctx);
	cert_auth_free(a);
	OPENSSL_free(f.der);
}

static void test_handshake_modes(void **state)
{
	(void)state;
	struct conf_fixture f;
	fixture_init(&f, true, NULL, NULL);
	struct cert_auth *a = cert_auth_new(&f.c, NULL, 0);
	assert_non_null(a);
	struct cert_identity id;
	bool ok;
	/* Required: no certificate, no session. */
	SSL_CTX *sctx = server_ctx(a, CERT_REQUIRED);
	SSL *s = handshake(sctx, NULL, &ok);
	assert_false(ok);
	SSL_free(s);
	SSL_CTX_free(sctx);
	/* Optional (RADIUS, AAD): no certificate is fine, but no identity either;
	 * a bad one is still refused. */
	sctx = server_ctx(a, CERT_OPTIONAL);
	s = handshake(sctx, NULL, &ok);
	assert_true(ok);
	assert_int_not_equal(cert_identity_from_ssl(s, &id), 0);
	SSL_free(s);
	s = handshake(sctx, cli_foreign, &ok);
	assert_false(ok);
	SSL_free(s);
	s = handshake(sctx, cli_good, &ok);
	assert_true(ok);
	assert_int_equal(cert_identity_from_ssl(s, &id), 0);
	assert_string_equal(id.cn, "alice");
	SSL_free(s);
	SSL_CTX_free(sctx);
	/* None: the server does not ask. */
	sctx = server_ctx(a, CERT_NONE);
	s = handshake(sctx, cli_foreign, &ok);
	assert_true(ok);
	assert_int_not_equal(cert_identity_from_ssl(s, &id), 0);
	SSL_free(s);
	SSL_CTX_free(sctx);
	cert_auth_free(a);
	OPENSSL_free(f.der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprint),	cmocka_unit_test(test_revocation_list),
		cmocka_unit_test(test_leaf_problem),	cmocka_unit_test(test_still_valid),
		cmocka_unit_test(test_bad_root_der),	cmocka_unit_test(test_handshake_verdicts),
		cmocka_unit_test(test_handshake_modes),
	};
	return cmocka_run_group_tests_name("cert", tests, group_setup, group_teardown);
}
