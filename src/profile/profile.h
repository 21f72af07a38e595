/* The client profile package: the files real clients import, in Azure's
 * layout. Text builders are pure (golden-tested); profile_zip writes them. */
#ifndef P2S_PROFILE_H
#define P2S_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

struct profile_input {
	const struct gw_conf *conf;
	const char *ca_pem;	 /* CA certificate(s) of the server's chain, PEM */
	const uint8_t *root_der; /* the root that signs the server certificate */
	size_t root_der_len;
	const char *tls_auth_text;   /* the static key file, or NULL */
	const char *client_cert_pem; /* embedded instead of the placeholder, or NULL */
	const char *client_key_pem;
};

/* Each returns a malloc'd NUL-terminated text, or NULL when it does not
 * apply to this configuration (e.g. no OpenVPN). */
char *profile_ovpn(const struct profile_input *in);
char *profile_azurevpn_xml(const struct profile_input *in);
char *profile_vpnsettings_xml(const struct profile_input *in);
char *profile_swanctl_conf(const struct profile_input *in);

/* Writes the zip: OpenVPN/, AzureVPN/, Generic/ as they apply. 0 or -errno. */
int profile_zip(const char *path, const struct profile_input *in);

/* Loads the inputs a configuration names: the server chain's CA certificates
 * and root, the tls-auth key. Strings are malloc'd; free with profile_input_free. */
int profile_input_load(struct profile_input *in, const struct gw_conf *c, const char *cert_file,
		       const char *tls_auth_file, char *err, size_t errlen);
void profile_input_free(struct profile_input *in);

#endif
