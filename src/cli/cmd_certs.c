/* root-cert and revoked: edit the uploaded roots and the revocation list. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/codec.h"

#define ROOTS	"vpnClientRootCertificates"
#define REVOKED "vpnClientRevokedCertificates"

/* The index of the element named name, or -1. */
static int find_named(json_t *arr, const char *name)
{
	size_t i;
	json_t *it;
	json_array_foreach(arr, i, it)
	{
		json_t *n = json_object_get(it, "name");
		if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return (int)i;
	}
	return -1;
}

/* A member of an element, flat or under ARM "properties". */
static const char *member(json_t *it, const char *key)
{
	json_t *v = json_object_get(it, key);
	json_t *p = json_object_get(it, "properties");
	if (!v && json_is_object(p))
		v = json_object_get(p, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static int add_named(const struct opts *o, const char *key, const char *name, json_t *item)
{
	json_t *root = edit_load(o);
	if (!root) {
		json_decref(item);
		return 1;
	}
	json_t *arr = edit_array(edit_client_conf(root), key);
	if (find_named(arr, name) >= 0) {
		fprintf(stderr, "p2sctl: %s already has an entry named \"%s\"\n", key, name);
		json_decref(item);
		json_decref(root);
		return 1;
	}
	json_array_append_new(arr, item);
	int r = edit_commit(o, root);
	json_decref(root);
	return r;
}

static int remove_named(const struct opts *o, const char *key, const char *name)
{
	json_t *root = edit_load(o);
	if (!root)
		return 1;
	json_t *arr = edit_array(edit_client_conf(root), key);
	int i = find_named(arr, name);
	int r = 1;
	if (i < 0)
		fprintf(stderr, "p2sctl: no entry named \"%s\" in %s\n", name, key);
	else if (json_array_remove(arr, (size_t)i) == 0)
		r = edit_commit(o, root);
	json_decref(root);
	return r;
}

static int list_named(const struct opts *o, const char *key, const char *field, const char *title)
{
	json_t *root = edit_load(o);
	if (!root)
		return 1;
	json_t *arr = edit_array(edit_client_conf(root), key);
	if (strcmp(o->output, "json") == 0) {
		cli_print_json(arr);
	} else {
		printf("%-32s %s\n", "NAME", title);
		size_t i;
		json_t *it;
		json_array_foreach(arr, i, it)
		{
			const char *v = member(it, field);
			printf("%-32s %.60s%s\n", member(it, "name"), v,
			       strlen(v) > 60 ? "..." : "");
		}
	}
	json_decref(root);
	return 0;
}

int cmd_root_add(const struct opts *o, const struct args *a)
{
	const char *name = arg_need(a, "--name"), *file = arg_need(a, "--file");
	if (!name || !file)
		return 2;
	X509 *x = cli_read_cert(file);
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1;
	X509_free(x);
	if (n <= 0) {
		fprintf(stderr, "p2sctl: %s is not a certificate (PEM, DER or base64)\n", file);
		return 1;
	}
	char *b64 = b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	json_t *item = json_pack("{s:s, s:s}", "name", name, "publicCertData", b64);
	free(b64);
	return add_named(o, ROOTS, name, item);
}

int cmd_root_list(const struct opts *o, const struct args *a)
{
	(void)a;
	return list_named(o, ROOTS, "publicCertData", "PUBLIC CERT DATA");
}

int cmd_root_remove(const struct opts *o, const struct args *a)
{
	const char *name = arg_need(a, "--name");
	return name ? remove_named(o, ROOTS, name) : 2;
}

static int thumbprint_of(const char *file, char out[41])
{
	X509 *x = cli_read_cert(file);
	uint8_t md[20];
	unsigned int n = 20;
	int ok = x && X509_digest(x, EVP_sha1(), md, &n);
	X509_free(x);
	if (!ok) {
		fprintf(stderr, "p2sctl: %s is not a certificate (PEM, DER or base64)\n", file);
		return -1;
	}
	hex_encode(md, 20, out, 1);
	return 0;
}

int cmd_revoked_add(const struct opts *o, const struct args *a)
{
	const char *name = arg_need(a, "--name");
	const char *tp = arg_get(a, "--thumbprint"), *cert = arg_get(a, "--cert");
	char buf[41];
	if (!name)
		return 2;
	if (!tp == !cert) {
		fprintf(stderr, "p2sctl: give exactly one of --thumbprint T or --cert FILE\n");
		return 2;
	}
	if (cert) {
		if (thumbprint_of(cert, buf) < 0)
			return 1;
		tp = buf;
	}
	return add_named(o, REVOKED, name, json_pack("{s:s, s:s}", "name", name, "thumbprint", tp));
}

int cmd_revoked_list(const struct opts *o, const struct args *a)
{
	(void)a;
	return list_named(o, REVOKED, "thumbprint", "THUMBPRINT");
}

int cmd_revoked_remove(const struct opts *o, const struct args *a)
{
	const char *name = arg_need(a, "--name");
	return name ? remove_named(o, REVOKED, name) : 2;
}
