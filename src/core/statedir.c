#define LOG_MODULE "state"

#include "statedir.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "pki/pki.h"
#include "lib/static_key.h"

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

static int cat_file(FILE *out, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	return 0;
}

/* An inline client profile in the layout clients import. */
static int write_demo_ovpn(const struct gw_conf *c, const struct statedir_paths *p)
{
	FILE *f = fopen(p->demo_ovpn, "w");
	if (!f)
		return -errno;
	fchmod(fileno(f), 0600);
	fprintf(f,
		"client\nremote %s %u\nproto tcp\ndev tun\nnobind\nresolv-retry infinite\n"
		"verify-x509-name %s name\nremote-cert-tls server\ncipher AES-256-GCM\n"
		"auth SHA256\ntls-version-min 1.2\nkey-direction 1\npersist-key\npersist-tun\n"
		"verb 3\n",
		c->fqdn, c->tcp_port, c->fqdn);
	int r = 0;
	const char *tags[] = {"ca", "cert", "key", "tls-auth"};
	const char *files[] = {p->gateway_root, p->demo_cert, p->demo_key, p->tls_auth};
	for (int i = 0; i < 4 && r == 0; i++) {
		fprintf(f, "<%s>\n", tags[i]);
		r = cat_file(f, files[i]);
		fprintf(f, "</%s>\n", tags[i]);
	}
	return fclose(f) == 0 ? r : -errno;
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
