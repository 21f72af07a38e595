/* vpnClientRootCertificates and vpnClientRevokedCertificates, in Azure's
 * flattened form {name, publicCertData} and ARM form {name, properties:{...}}. */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "schema.h"

#define MAX_ROOTS 20

static json_t *member(json_t *item, const char *key)
{
	json_t *v = json_object_get(item, key);
	json_t *props = json_object_get(item, "properties");
	if (!v && json_is_object(props))
		v = json_object_get(props, key);
	return v;
}

static void check_keys(json_t *item, const char *path, const char *const *known,
		       struct conf_errors *e)
{
	const char *key;
	json_t *v;
	json_object_foreach(item, key, v) {
		const char *const *k = known;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k && strcmp(key, "properties") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "etag") != 0) {
			char p[512];
			snprintf(p, sizeof(p), "%s.%s", path, key);
			conf_errors_add(e, p, "unknown field");
		}
	}
}

static const char *item_name(json_t *item, const char *path, struct conf_errors *e)
{
	json_t *n = json_object_get(item, "name");
	if (!json_is_string(n) || !json_string_value(n)[0]) {
		char p[512];
		snprintf(p, sizeof(p), "%s.name", path);
		conf_errors_add(e, p, "is required and must be a non-empty string");
		return NULL;
	}
	return json_string_value(n);
}

/* Returns 0 when der is an X.509 CA certificate. */
static int check_ca_der(const uint8_t *der, size_t len, const char **why)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		*why = "is not base64 of a DER X.509 certificate";
		return -1;
	}
	int ca = X509_check_ca(x);
	X509_free(x);
	if (ca < 1) {
		*why = "is not a CA certificate (basicConstraints CA:TRUE is required)";
		return -1;
	}
	return 0;
}

static void parse_one_root(json_t *item, const char *path, struct gw_conf *c,
			   struct conf_errors *e)
{
	static const char *const known[] = {"name", "publicCertData", NULL};
	check_keys(item, path, known, e);
	const char *name = item_name(item, path, e);
	json_t *data = member(item, "publicCertData");
	char p[512];
	snprintf(p, sizeof(p), "%s.publicCertData", path);
	if (!json_is_string(data)) {
		conf_errors_add(e, p, "is required: base64 of the root's DER certificate");
		return;
	}
	uint8_t *der = NULL;
	int n = b64_decode(json_string_value(data), &der);
	const char *why = "is not valid base64";
	if (n <= 0 || check_ca_der(der, (size_t)n, &why) < 0) {
		conf_errors_add(e, p, "%s", why);
		free(der);
		return;
	}
	if (!name) {
		free(der);
		return;
	}
	struct conf_root_cert *r = &c->roots[c->n_roots++];
	r->name = strdup(name);
	r->der = der;
	r->der_len = (size_t)n;
}

void conf_parse_root_certs(json_t *v, const char *path, struct gw_conf *c, struct conf_errors *e)
{
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array");
		return;
	}
	if (json_array_size(v) > MAX_ROOTS)
		conf_errors_add(e, path, "at most %d root certificates are allowed", MAX_ROOTS);
	c->roots = calloc(json_array_size(v) + 1, sizeof(*c->roots));
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it) {
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_object(it))
			conf_errors_add(e, p, "must be an object {name, publicCertData}");
		else if (i < MAX_ROOTS)
			parse_one_root(it, p, c, e);
	}
}

static void parse_one_revoked(json_t *item, const char *path, struct gw_conf *c,
			      struct conf_errors *e)
{
	static const char *const known[] = {"name", "thumbprint", NULL};
	check_keys(item, path, known, e);
	const char *name = item_name(item, path, e);
	json_t *t = member(item, "thumbprint");
	char p[512];
	snprintf(p, sizeof(p), "%s.thumbprint", path);
	struct conf_revoked r = {0};
	if (!json_is_string(t) || hex_decode(json_string_value(t), r.sha1, sizeof(r.sha1)) != 20) {
		conf_errors_add(e, p, "must be the certificate's SHA-1 thumbprint: 40 hex digits");
		return;
	}
	if (!name)
		return;
	r.name = strdup(name);
	c->revoked[c->n_revoked++] = r;
}

void conf_parse_revoked(json_t *v, const char *path, struct gw_conf *c, struct conf_errors *e)
{
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array");
		return;
	}
	c->revoked = calloc(json_array_size(v) + 1, sizeof(*c->revoked));
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it) {
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_object(it))
			conf_errors_add(e, p, "must be an object {name, thumbprint}");
		else
			parse_one_revoked(it, p, c, e);
	}
}
