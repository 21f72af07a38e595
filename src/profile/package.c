/* Loads the profile's inputs from the gateway's files and writes the zip. */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "lib/file.h"
#include "profile.h"

/* The CA certificates after the leaf in the server's chain file, as PEM,
 * and the DER of the last one (the root clients must trust). */
static int load_chain(struct profile_input *in, const char *cert_file, char *err, size_t errlen)
{
	FILE *f = file_open_read(cert_file);
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", cert_file, strerror(errno));
		return -errno;
	}
	char *pem = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&pem, &len);
	X509 *x, *last = NULL;
	int count = 0;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (count++ > 0) {
			PEM_write_X509(m, x);
			X509_free(last);
			last = x;
		} else {
			X509_free(x);
		}
	}
	fclose(f);
	fclose(m);
	if (!last) {
		snprintf(err, errlen,
			 "%s holds no CA certificate after the server certificate; "
			 "append the chain up to the root",
			 cert_file);
		free(pem);
		return -EINVAL;
	}
	unsigned char *der = NULL;
	int n = i2d_X509(last, &der);
	X509_free(last);
	in->ca_pem = pem;
	in->root_der = der;
	in->root_der_len = n > 0 ? (size_t)n : 0;
	return 0;
}

int profile_input_load(struct profile_input *in, const struct gw_conf *c, const char *cert_file,
		       const char *tls_auth_file, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->conf = c;
	int r = load_chain(in, cert_file, err, errlen);
	if (r == 0 && tls_auth_file && !(in->tls_auth_text = file_read_all(tls_auth_file))) {
		snprintf(err, errlen, "cannot read %s: %s", tls_auth_file, strerror(errno));
		r = -errno;
	}
	return r;
}

void profile_input_free(struct profile_input *in)
{
	free((char *)in->ca_pem);
	OPENSSL_free((void *)in->root_der);
	free((char *)in->tls_auth_text);
	memset(in, 0, sizeof(*in));
}

static int add_text(zip_t *z, const char *name, char *text)
{
	if (!text)
		return 0;
	zip_source_t *s = zip_source_buffer(z, text, strlen(text), 1);
	if (!s) {
		free(text);
		return -ENOMEM;
	}
	if (zip_file_add(z, name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(s);
		return -EIO;
	}
	return 0;
}

static int add_der(zip_t *z, const char *name, const uint8_t *der, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, der, len);
	zip_source_t *s = zip_source_buffer(z, copy, len, 1);
	if (!s) {
		free(copy);
		return -ENOMEM;
	}
	if (zip_file_add(z, name, s, ZIP_FL_OVERWRITE) < 0) {
		zip_source_free(s);
		return -EIO;
	}
	return 0;
}

static int fill(zip_t *z, const struct profile_input *in)
{
	int r = add_text(z, "OpenVPN/vpnconfig.ovpn", profile_ovpn(in));
	if (r == 0)
		r = add_text(z, "AzureVPN/azurevpnconfig.xml", profile_azurevpn_xml(in));
	if (r == 0)
		r = add_text(z, "Generic/VpnSettings.xml", profile_vpnsettings_xml(in));
	if (r == 0 && in->conf->protocols & (PROTO_IKEV2 | PROTO_SSTP))
		r = add_der(z, "Generic/VpnServerRoot.cer", in->root_der, in->root_der_len);
	if (r == 0)
		r = add_text(z, "Generic/swanctl.conf", profile_swanctl_conf(in));
	char name[300], apple[320];
	profile_mobileconfig_name(in->conf, name, sizeof(name));
	snprintf(apple, sizeof(apple), "Apple/%s.mobileconfig", name);
	if (r == 0)
		r = add_text(z, apple, profile_mobileconfig(in));
	if (r == 0)
		r = add_text(z, "Windows/AddVpnConnection.ps1", profile_windows_ps1(in));
	return r;
}

int profile_zip(const char *path, const struct profile_input *in)
{
	int zerr = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (!z)
		return -EIO;
	int r = fill(z, in);
	if (r < 0) {
		zip_discard(z);
		return r;
	}
	return zip_close(z) == 0 ? 0 : -EIO;
}

/* The archive's bytes out of the memory source it was written to. */
static uint8_t *source_bytes(zip_source_t *src, size_t *len)
{
	if (zip_source_open(src) < 0)
		return NULL;
	uint8_t *buf = NULL;
	zip_int64_t n = -1;
	if (zip_source_seek(src, 0, SEEK_END) == 0 && (n = zip_source_tell(src)) > 0 &&
	    zip_source_seek(src, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
	    zip_source_read(src, buf, (zip_uint64_t)n) != n) {
		free(buf);
		buf = NULL;
	}
	zip_source_close(src);
	*len = buf ? (size_t)n : 0;
	return buf;
}

uint8_t *profile_zip_mem(const struct profile_input *in, size_t *len)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *z = NULL;
	uint8_t *out = NULL;
	if (src) {
		zip_source_keep(src); /* outlives the archive's close */
		z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	}
	if (z && fill(z, in) < 0)
		zip_discard(z);
	else if (z && zip_close(z) == 0)
		out = source_bytes(src, len);
	else if (z)
		zip_discard(z);
	zip_source_free(src);
	zip_error_fini(&ze);
	return out;
}
