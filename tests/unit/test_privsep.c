/* Privilege separation: the request codec (round trips, every malformed
 * shape refused), then the key service end to end over a real socketpair:
 * a proxy key signs PKCS #1, PSS and ECDSA that verify with the
 * certificate's key, a key that does not match its certificate is refused,
 * and the file broker hands out the configuration, the files it names and
 * public files, but neither the private key nor other root-only files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/radius_wire.h"
#include "lib/err.h"
#include "pki/pki.h"
#include "privsep/channel.h"
#include "privsep/keys.h"
#include "privsep/monitor.h"
#include "privsep/wire.h"

static void test_request_round_trip(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX], digest[32] = {1, 2, 3};
	struct ps_req q = {.type = PS_SIGN, .alg = PS_ECDSA, .data = digest, .len = 32}, d;
	memset(q.key_id, 0xab, PS_KEY_ID_LEN);
	size_t n;
	assert_int_equal(ps_req_encode(&q, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 1 + PS_KEY_ID_LEN + 1 + 2 + 32);
	assert_int_equal(ps_req_decode(&d, buf, n), 0);
	assert_int_equal(d.type, PS_SIGN);
	assert_int_equal(d.alg, PS_ECDSA);
	assert_memory_equal(d.key_id, q.key_id, PS_KEY_ID_LEN);
	assert_int_equal(d.len, 32);
	assert_memory_equal(d.data, digest, 32);

	struct ps_req o = {.type = PS_OPEN, .data = (const uint8_t *)"/etc/hosts", .len = 10};
	assert_int_equal(ps_req_encode(&o, buf, sizeof(buf), &n), 0);
	assert_int_equal(ps_req_decode(&d, buf, n), 0);
	assert_int_equal(d.len, 10);
	assert_memory_equal(d.data, "/etc/hosts", 10);

	struct ps_req l = {.type = PS_KEY_LOAD};
	assert_int_equal(ps_req_encode(&l, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ps_req_decode(&d, buf, n), 0);
}

static void test_request_malformed(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX], sig[8] = {0};
	struct ps_req q = {.type = PS_SIGN, .alg = PS_RSA_PKCS1, .data = sig, .len = 8}, d;
	size_t n;
	assert_int_equal(ps_req_encode(&q, buf, sizeof(buf), &n), 0);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(ps_req_decode(&d, buf, cut), 0); /* every truncation */
	buf[n] = 0;
	assert_int_equal(ps_req_decode(&d, buf, n + 1), P2S_E_TRAIL);
	buf[1 + PS_KEY_ID_LEN] = 9; /* no such algorithm */
	assert_int_equal(ps_req_decode(&d, buf, n), P2S_E_PROTO);
	uint8_t k[2] = {PS_KEY_LOAD, 0};
	assert_int_equal(ps_req_decode(&d, k, 2), P2S_E_TRAIL);
	uint8_t t[1] = {PS_TYPE_LAST + 1}; /* no such request */
	assert_int_equal(ps_req_decode(&d, t, 1), P2S_E_PROTO);
	uint8_t nul[5] = {PS_OPEN, 0, 2, 'a', 0}; /* a NUL would cut the path */
	assert_int_equal(ps_req_decode(&d, nul, 5), P2S_E_PROTO);
	uint8_t empty[3] = {PS_OPEN, 0, 0};
	assert_int_equal(ps_req_decode(&d, empty, 3), P2S_E_PROTO);
	q.len = PS_DATA_MAX + 1; /* nor will the encoder write what the decoder refuses */
	static uint8_t big[PS_DATA_MAX + 1];
	q.data = big;
	assert_int_not_equal(ps_req_encode(&q, buf, sizeof(buf), &n), 0);
	q.len = 8;
	assert_int_equal(ps_req_encode(&q, buf, 10, &n), P2S_E_FULL);
}

static void test_reply(void **state)
{
	(void)state;
	uint8_t buf[64], id[PS_KEY_ID_LEN] = {9};
	struct ps_reply r = {.type = PS_KEY_LOAD, .data = id, .len = sizeof(id)}, d;
	size_t n;
	assert_int_equal(ps_reply_encode(&r, buf, sizeof(buf), &n), 0);
	assert_int_equal(ps_reply_decode(&d, buf, n), 0);
	assert_int_equal(d.len, PS_KEY_ID_LEN);
	assert_int_equal(ps_reply_decode(&d, buf, n - 1), P2S_E_TRUNC);
	r = (struct ps_reply){.type = PS_OPEN, .status = -EACCES};
	assert_int_equal(ps_reply_encode(&r, buf, sizeof(buf), &n), 0);
	assert_int_equal(ps_reply_decode(&d, buf, n), 0);
	assert_int_equal(d.status, -EACCES);
	buf[1] = 0; /* a positive status is no status */
	assert_int_equal(ps_reply_decode(&d, buf, n), P2S_E_PROTO);
}

/* ---------------------------------------------------------------- the service */

struct lab {
	char dir[64], conf[128], cert[128], key[128];
	struct ps_keys keys;
	int sp[2];
	pthread_t server;
	X509 *x;
};

#define SECRET "lab-radius-secret-5f2c9"

static void *serve(void *arg)
{
	struct lab *l = arg;
	while (ps_keys_serve(&l->keys, l->sp[1]) == 0)
		;
	return NULL;
}

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* A configuration naming a certificate for cert_key and the key file
 * file_key (the same key, or another to test the mismatch). */
static void lab_up(struct lab *l, enum pki_key_type cert_type, bool mismatch)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->dir, sizeof(l->dir), "/tmp/test_privsep.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->conf, sizeof(l->conf), "%s/gw.json", l->dir);
	snprintf(l->cert, sizeof(l->cert), "%s/server.crt", l->dir);
	snprintf(l->key, sizeof(l->key), "%s/server.key", l->dir);
	EVP_PKEY *k = pki_key_new(cert_type);
	l->x = pki_issue(NULL, NULL, k, "gw.test", PKI_SERVER, "gw.test", 2);
	assert_non_null(l->x);
	assert_int_equal(pki_write_cert(l->cert, l->x, false), 0);
	EVP_PKEY *other = mismatch ? pki_key_new(cert_type) : NULL;
	write_key(l->key, other ? other : k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(k);
	FILE *f = fopen(l->conf, "w");
	fprintf(f,
		"{\"name\": \"t\", \"gatewayFqdn\": \"gw.test\", \"stateDirectory\": \"%s/st\","
		" \"serverCertificate\": {\"certFile\": \"%s\", \"keyFile\": \"%s\"},"
		" \"vpnClientConfiguration\": {\"vpnClientAddressPool\": {\"addressPrefixes\":"
		" [\"172.16.201.0/24\"]}, \"vpnAuthenticationTypes\": [\"Radius\"],"
		" \"radiusServers\": [{\"radiusServerAddress\":"
		" \"127.0.0.1\", \"radiusServerSecret\": \"%s\"}]}}",
		l->dir, l->cert, l->key, SECRET);
	fclose(f);
	l->keys.conf_path = l->conf;
	assert_int_equal(ps_keys_prepare(&l->keys), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->sp), 0);
	ps_channel_init(l->sp[0]);
	assert_int_equal(pthread_create(&l->server, NULL, serve, l), 0);
}

static void lab_down(struct lab *l)
{
	shutdown(l->sp[0], SHUT_RDWR);
	pthread_join(l->server, NULL);
	close(l->sp[0]);
	close(l->sp[1]);
	ps_keys_free(&l->keys);
	X509_free(l->x);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
	assert_int_equal(system(cmd), 0);
}

/* Signs with the proxy, verifies with the certificate's public key. */
static void sign_verify(EVP_PKEY *proxy, X509 *x, int pad)
{
	const uint8_t msg[] = "the handshake transcript";
	uint8_t sig[1024];
	size_t n = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha256(), NULL, proxy), 1);
	if (pad)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, pad), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &n, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(m);
	m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(m, &pc, EVP_sha256(), NULL, X509_get0_pubkey(x)), 1);
	if (pad)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, pad), 1);
	assert_int_equal(EVP_DigestVerify(m, sig, n, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(m);
}

static void test_rsa_signs(void **state)
{
	(void)state;
	struct lab l;
	lab_up(&l, PKI_RSA2048, false);
	EVP_PKEY *p = ps_net_server_key(l.x);
	assert_non_null(p);
	sign_verify(p, l.x, RSA_PKCS1_PADDING);
	sign_verify(p, l.x, RSA_PKCS1_PSS_PADDING); /* TLS 1.3 */
	assert_int_equal(X509_check_private_key(l.x, p), 1);
	EVP_PKEY_free(p);
	lab_down(&l);
}

static void test_ec_signs(void **state)
{
	(void)state;
	struct lab l;
	lab_up(&l, PKI_EC_P256, false);
	EVP_PKEY *p = ps_net_server_key(l.x);
	assert_non_null(p);
	sign_verify(p, l.x, 0);
	EVP_PKEY_free(p);
	lab_down(&l);
}

static void test_mismatch_and_unknown_key(void **state)
{
	(void)state;
	struct lab l;
	lab_up(&l, PKI_RSA2048, true);
	assert_null(ps_net_server_key(l.x));
	uint8_t id[PS_KEY_ID_LEN] = {0}, in[256] = {0}, out[256];
	size_t n;
	assert_int_equal(ps_sign(id, PS_RSA_RAW, in, sizeof(in), out, sizeof(out), &n), -ENOENT);
	lab_down(&l);
}

static void test_file_broker(void **state)
{
	(void)state;
	struct lab l;
	lab_up(&l, PKI_EC_P256, false);
	FILE *f = ps_fopen_read(l.conf);
	assert_non_null(f);
	char head[2] = {0};
	assert_int_equal(fread(head, 1, 1, f), 1);
	assert_int_equal(head[0], '{');
	fclose(f);
	errno = 0;
	assert_null(ps_fopen_read(l.key));
	assert_int_equal(errno, EACCES);
	assert_null(ps_fopen_read(l.dir)); /* not a regular file */
	char other[160];
	snprintf(other, sizeof(other), "%s/other.txt", l.dir); /* root's, named nowhere */
	f = fopen(other, "w");
	fputs("root only\n", f);
	fclose(f);
	assert_null(ps_fopen_read(other));
	assert_int_equal(errno, EACCES);
	f = ps_fopen_read(l.cert); /* named by the configuration */
	assert_non_null(f);
	fclose(f);
	f = ps_fopen_read("/etc/hosts"); /* anyone may read it */
	assert_non_null(f);
	fclose(f);
	assert_null(ps_fopen_read("/etc/shadow"));
	/* p2sctl replaces the configuration (a new inode): still the configuration. */
	char fresh[160], cmd[400];
	snprintf(fresh, sizeof(fresh), "%s/new.json", l.dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && mv %s %s", l.conf, fresh, fresh, l.conf);
	assert_int_equal(system(cmd), 0);
	f = ps_fopen_read(l.conf);
	assert_non_null(f);
	fclose(f);
	assert_null(ps_fopen_read("/nonexistent/x"));
	assert_int_equal(errno, ENOENT);
	lab_down(&l);
}

/* The configuration as the network process reads it: the handle instead of
 * the secret, and every use of the handle equal to the secret's. */
static void test_radius_secret(void **state)
{
	(void)state;
	struct lab l;
	lab_up(&l, PKI_EC_P256, false);
	FILE *f = ps_fopen_read(l.conf);
	assert_non_null(f);
	char text[4096] = {0}, handle[64] = {0};
	assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	assert_null(strstr(text, SECRET));
	const char *h = strstr(text, "ps-secret-");
	assert_non_null(h);
	memcpy(handle, h, strcspn(h, "\""));

	uint8_t auth[RAD_AUTH_LEN] = {7}, pkt[2][RAD_MAX_PACKET];
	int n[2];
	for (int i = 0; i < 2; i++) {
		rad_secret_ops = i ? &ps_rad_ops : NULL;
		struct rad_builder b;
		rad_begin(&b, RAD_ACCESS_REQUEST, 9, auth);
		rad_add_message_authenticator(&b);
		assert_int_equal(rad_add_password(&b, "hunter2", i ? handle : SECRET), 0);
		n[i] = rad_finish(&b, i ? handle : SECRET);
		memcpy(pkt[i], b.buf, sizeof(b.buf));
	}
	assert_true(n[0] > 20 && n[0] == n[1]);
	assert_memory_equal(pkt[0], pkt[1], (size_t)n[0]);
	/* A reply made with the secret verifies through the handle. */
	rad_secret_ops = NULL;
	struct rad_builder r;
	rad_begin(&r, RAD_ACCESS_ACCEPT, 9, auth);
	rad_add_message_authenticator(&r);
	int rn = rad_finish(&r, SECRET);
	uint8_t resp[16];
	memcpy(r.buf + 4, auth, 16);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_DigestInit_ex(m, EVP_md5(), NULL);
	EVP_DigestUpdate(m, r.buf, (size_t)rn);
	EVP_DigestUpdate(m, SECRET, strlen(SECRET));
	EVP_DigestFinal_ex(m, resp, NULL);
	EVP_MD_CTX_free(m);
	memcpy(r.buf + 4, resp, 16);
	rad_secret_ops = &ps_rad_ops;
	assert_int_equal(rad_check_reply(r.buf, (size_t)rn, auth, handle, true, NULL),
			 RAD_REPLY_OK);
	/* A handle the key process never gave out is no secret. */
	assert_int_not_equal(rad_check_reply(r.buf, (size_t)rn, auth, "ps-secret-00", true, NULL),
			     RAD_REPLY_OK);
	rad_secret_ops = NULL;
	lab_down(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_rsa_signs),
		cmocka_unit_test(test_ec_signs),
		cmocka_unit_test(test_mismatch_and_unknown_key),
		cmocka_unit_test(test_file_broker),
		cmocka_unit_test(test_radius_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
