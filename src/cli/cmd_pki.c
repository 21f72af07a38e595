/* pki: the root and client certificates Azure's docs make users create by
 * hand with PowerShell or openssl. */
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <openssl/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "lib/codec.h"
#include "pki/pki.h"

static enum pki_key_type key_type(const struct args *a)
{
	const char *t = arg_get(a, "--key-type");
	return t && strcmp(t, "ec") == 0 ? PKI_EC_P256 : PKI_RSA2048;
}

static int days_of(const struct args *a, int def)
{
	const char *d = arg_get(a, "--days");
	return d ? atoi(d) : def;
}

/* mkdir -p, private: the directory will hold keys. */
static void mkdir_p(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
}

/* name is a certificate CN the user typed: it names a file inside dir and
 * nothing else (no separators, no leading dot, no control bytes). */
static void path_in(char *out, size_t cap, const char *dir, const char *name, const char *ext)
{
	char safe[256];
	size_t n = 0;
	for (; name[n] && n + 1 < sizeof(safe); n++) {
		unsigned char ch = (unsigned char)name[n];
		safe[n] =
			ch == '/' || ch == '\\' || ch < 0x20 || ch == 0x7f || (n == 0 && ch == '.')
				? '_'
				: (char)ch;
	}
	safe[n] = 0;
	snprintf(out, cap, "%s/%s%s", dir, safe, ext);
}

int cmd_pki_create_root(const struct opts *o, const struct args *a)
{
	(void)o;
	const char *name = arg_need(a, "--name"), *dir = arg_need(a, "--out");
	if (!name || !dir)
		return 2;
	mkdir_p(dir);
	EVP_PKEY *k = pki_key_new(key_type(a));
	X509 *x = k ? pki_issue(NULL, NULL, k, name, PKI_CA, NULL, days_of(a, 3650)) : NULL;
	char crt[4096], key[4096];
	path_in(crt, sizeof(crt), dir, "root", ".crt");
	path_in(key, sizeof(key), dir, "root", ".key");
	int r = x && pki_write_cert(crt, x, false) == 0 && pki_write_key(key, k) == 0 ? 0 : 1;
	if (r == 0) {
		unsigned char *der = NULL;
		int n = i2d_X509(x, &der);
		char *b64 = b64_encode(der, (size_t)n);
		printf("root certificate: %s\nprivate key:      %s\npublicCertData:   %s\n", crt,
		       key, b64);
		free(b64);
		OPENSSL_free(der);
	} else {
		fprintf(stderr, "p2sctl: cannot create the root in %s: %s\n", dir, strerror(errno));
	}
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

static int write_p12(const char *path, const char *cn, EVP_PKEY *k, X509 *x, X509 *root,
		     const char *password)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	sk_X509_push(ca, root);
	PKCS12 *p = PKCS12_create(password, cn, k, x, ca, 0, 0, 0, 0, 0);
	sk_X509_free(ca);
	/* A private key inside: 0600, and never through a planted symlink. */
	int fd = p ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	int ok = f && i2d_PKCS12_fp(f, p);
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	PKCS12_free(p);
	return ok ? 0 : -1;
}

int cmd_pki_issue_client(const struct opts *o, const struct args *a)
{
	(void)o;
	const char *rdir = arg_need(a, "--root"), *cn = arg_need(a, "--cn"),
		   *dir = arg_need(a, "--out");
	if (!rdir || !cn || !dir)
		return 2;
	char crt[4096], key[4096];
	path_in(crt, sizeof(crt), rdir, "root", ".crt");
	path_in(key, sizeof(key), rdir, "root", ".key");
	X509 *root = pki_read_cert(crt);
	EVP_PKEY *rkey = pki_read_key(key);
	if (!root || !rkey) {
		fprintf(stderr, "p2sctl: %s needs root.crt and root.key (pki create-root)\n", rdir);
		X509_free(root);
		EVP_PKEY_free(rkey);
		return 1;
	}
	mkdir_p(dir);
	EVP_PKEY *k = pki_key_new(key_type(a));
	X509 *x = k ? pki_issue(root, rkey, k, cn, PKI_CLIENT, NULL, days_of(a, 825)) : NULL;
	path_in(crt, sizeof(crt), dir, cn, ".crt");
	path_in(key, sizeof(key), dir, cn, ".key");
	int r = x && pki_write_cert(crt, x, false) == 0 && pki_write_key(key, k) == 0 ? 0 : 1;
	if (r == 0)
		printf("client certificate: %s\nprivate key:        %s\n", crt, key);
	if (r == 0 && arg_flag(a, "--p12")) {
		char p12[4096];
		path_in(p12, sizeof(p12), dir, cn, ".p12");
		const char *pw = arg_get(a, "--password");
		r = write_p12(p12, cn, k, x, root, pw ? pw : "") == 0 ? 0 : 1;
		if (r == 0)
			printf("PKCS#12 bundle:     %s\n", p12);
	}
	if (r)
		fprintf(stderr, "p2sctl: cannot issue the client certificate into %s\n", dir);
	X509_free(x);
	X509_free(root);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rkey);
	return r;
}
