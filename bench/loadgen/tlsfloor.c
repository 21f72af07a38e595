/* p2s-tls-floor: what one full TLS 1.3 handshake with a client certificate
 * costs the server side inside OpenSSL alone (no network, no gateway), so
 * bench/session-scale can set the gateway's handshake rate against the
 * library's floor as well as against `openssl speed`'s signature rate.
 * Client and server run in this thread over a BIO pair; only the server's
 * calls are timed, in thread CPU time.
 *
 *   p2s-tls-floor --cert S.crt --key S.key --ca CLIENT_ROOT.crt
 *       --client-cert C.crt --client-key C.key [-n N]
 * prints: floor handshakes=N server_cpu_us=X per_s=Y */
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SSL_CTX *ctx_new(bool server, const char *cert, const char *key, const char *ca)
{
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!c || SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
	    (ca && SSL_CTX_load_verify_locations(c, ca, NULL) != 1)) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(c, 0);
	SSL_CTX_set_verify(
		c, server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
		NULL);
	return c;
}

/* One handshake; returns the server's CPU seconds, or -1. */
static double one(SSL_CTX *sc, SSL_CTX *cc)
{
	SSL *s = SSL_new(sc), *c = SSL_new(cc);
	BIO *sb, *cb;
	BIO_new_bio_pair(&sb, 0, &cb, 0);
	SSL_set_bio(s, sb, sb);
	SSL_set_bio(c, cb, cb);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	double spent = 0;
	int sd = 0, cd = 0;
	for (int i = 0; i < 20 && !(sd == 1 && cd == 1); i++) {
		if (cd != 1)
			cd = SSL_do_handshake(c);
		double t = thread_cpu();
		if (sd != 1)
			sd = SSL_do_handshake(s);
		spent += thread_cpu() - t;
	}
	bool ok = sd == 1 && cd == 1 && SSL_get_verify_result(s) == X509_V_OK;
	SSL_free(s);
	SSL_free(c);
	return ok ? spent : -1;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *ca = NULL, *ccert = NULL, *ckey = NULL;
	int n = 500, o;
	static const struct option opts[] = {{"cert", 1, 0, 'c'},	{"key", 1, 0, 'k'},
					     {"ca", 1, 0, 'a'},		{"client-cert", 1, 0, 'C'},
					     {"client-key", 1, 0, 'K'}, {0, 0, 0, 0}};
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'a': ca = optarg; break;
		case 'C': ccert = optarg; break;
		case 'K': ckey = optarg; break;
		case 'n': n = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!cert || !key || !ca || !ccert || !ckey || n <= 0) {
		fprintf(stderr, "usage: p2s-tls-floor --cert F --key F --ca F --client-cert F "
				"--client-key F [-n N]\n");
		return 2;
	}
	SSL_CTX *sc = ctx_new(true, cert, key, ca), *cc = ctx_new(false, ccert, ckey, NULL);
	double total = 0;
	for (int i = 0; i < n; i++) {
		double t = one(sc, cc);
		if (t < 0) {
			fprintf(stderr, "p2s-tls-floor: handshake %d failed\n", i);
			ERR_print_errors_fp(stderr);
			return 1;
		}
		total += t;
	}
	printf("floor handshakes=%d server_cpu_us=%.1f per_s=%.0f\n", n, total / n * 1e6,
	       n / total);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
	return 0;
}
