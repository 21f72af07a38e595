#define LOG_MODULE "state"

#include "statedir.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "pki/pki.h"
#include "lib/file.h"
#include "lib/static_key.h"
#include "profile/profile.h"

static void join(char *out, const char *dir, const char *name)
{
	snprintf(out, 512, "%s/%s", dir, name);
}

static int make_ca(const char *crt, const char *key, const char *cn, X509 **x, EVP_PKEY **k)
{
	*k = pki_key_new(PKI_RSA2048);
	*x = *k ? pki_issue(NULL, NULL, *k, cn, PKI_CA, NULL, 3650) : NULL;
	if (!*x || pki_write_cert(crt, *x, false) < 0 || pki_write_key(key, *k) < 0)
		return P2S_E_CRYPTO;
	return 0;
}

static int make_leaf(X509 *ca, EVP_PKEY *cakey, const char *crt, const char *key, const char *cn,
		     enum pki_usage usage, const char *san)
{
	EVP_PKEY *k = pki_key_new(PKI_RSA2048);
	X509 *x = k ? pki_issue(ca, cakey, k, cn, usage, san, 825) : NULL;
	int r = x && pki_write_cert(crt, x, false) == 0 && pki_write_key(key, k) == 0
			? 0
			: P2S_E_CRYPTO;
	/* The server presents its chain: leaf then issuing root. */
	if (r == 0 && usage == PKI_SERVER)
		r = pki_write_cert(crt, ca, true);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

static int make_tls_auth(const char *path)
{
	uint8_t key[OVPN_STATIC_KEY_LEN];
	char text[1024];
	if (RAND_bytes(key, sizeof(key)) != 1)
		return P2S_E_CRYPTO;
	ovpn_static_key_format(key, text, sizeof(text));
	OPENSSL_cleanse(key, sizeof(key));
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fchmod(fileno(f), 0600);
	fputs(text, f);
	OPENSSL_cleanse(text, sizeof(text));
	return fclose(f) == 0 ? 0 : -errno;
}

/* The demo profile is the package's OpenVPN profile with the demo client's
 * certificate embedded: one writer for the .ovpn text. */
static int write_demo_ovpn(const struct gw_conf *c, const struct statedir_paths *p)
{
	struct profile_input in = {.conf = c,
				   .ca_pem = file_read_all(p->gateway_root),
				   .tls_auth_text = file_read_all(p->tls_auth),
				   .client_cert_pem = file_read_all(p->demo_cert),
				   .client_key_pem = file_read_all(p->demo_key)};
	char *text = in.ca_pem && in.tls_auth_text && in.client_cert_pem && in.client_key_pem
			     ? profile_ovpn(&in)
			     : NULL;
	int r = text ? 0 : -ENOENT;
	FILE *f = text ? fopen(p->demo_ovpn, "w") : NULL;
	if (text && !f)
		r = -errno;
	if (f) {
		fchmod(fileno(f), 0600);
		fputs(text, f);
		r = fclose(f) == 0 ? 0 : -errno;
	}
	free(text);
	free((char *)in.ca_pem);
	free((char *)in.tls_auth_text);
	free((char *)in.client_cert_pem);
	if (in.client_key_pem)
		OPENSSL_cleanse((char *)in.client_key_pem, strlen(in.client_key_pem));
	free((char *)in.client_key_pem);
	return r;
}

static void fill_paths(const char *d, struct statedir_paths *p)
{
	join(p->gateway_root, d, "gateway-root.crt");
	join(p->server_cert, d, "server.crt");
	join(p->server_key, d, "server.key");
	join(p->tls_auth, d, "tls-auth.key");
	join(p->client_root, d, "client-root.crt");
	join(p->demo_cert, d, "demo-client.crt");
	join(p->demo_key, d, "demo-client.key");
	join(p->demo_ovpn, d, "demo-client.ovpn");
}

static int make_all(const struct gw_conf *c, const struct statedir_paths *p)
{
	char key[512];
	X509 *gw = NULL, *cl = NULL;
	EVP_PKEY *gwk = NULL, *clk = NULL;
	join(key, c->state_dir, "gateway-root.key");
	int r = make_ca(p->gateway_root, key, "p2sgw Gateway Root", &gw, &gwk);
	if (r == 0)
		r = make_leaf(gw, gwk, p->server_cert, p->server_key, c->fqdn, PKI_SERVER, c->fqdn);
	join(key, c->state_dir, "client-root.key");
	if (r == 0)
		r = make_ca(p->client_root, key, "p2sgw Demo Client Root", &cl, &clk);
	if (r == 0)
		r = make_leaf(cl, clk, p->demo_cert, p->demo_key, "demo@p2sgw.example.net",
			      PKI_CLIENT, NULL);
	if (r == 0)
		r = make_tls_auth(p->tls_auth);
	if (r == 0)
		r = write_demo_ovpn(c, p);
	X509_free(gw);
	X509_free(cl);
	EVP_PKEY_free(gwk);
	EVP_PKEY_free(clk);
	return r;
}

int statedir_ensure(const struct gw_conf *c, struct statedir_paths *p)
{
	if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("cannot create stateDirectory %s: %s", c->state_dir, strerror(errno));
		return -errno;
	}
	fill_paths(c->state_dir, p);
	if (access(p->demo_ovpn, R_OK) == 0 && access(p->server_cert, R_OK) == 0)
		return 0;
	log_info("creating the gateway's PKI and a demo client in %s", c->state_dir);
	int r = make_all(c, p);
	if (r < 0)
		log_err("could not create the PKI in %s: %s", c->state_dir, p2s_strerror(r));
	return r;
}
