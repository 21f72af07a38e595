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
	const char *p12_password; /* for the Apple profile's PKCS#12 identity; NULL: "" */
};

/* The IKE/IPsec policy a profile offers: the custom vpnClientIpsecPolicies
 * entry, or the first row of each of the seed's default tables. Names are
 * Azure's (conf/schema.c); strings are borrowed from the configuration. */
struct profile_policy {
	const char *ike_enc, *ike_int, *dh, *ipsec_enc, *ipsec_int, *pfs;
	uint32_t child_lifetime_s;
	bool custom;
};
void profile_policy_get(const struct gw_conf *c, struct profile_policy *p);

enum profile_policy_field {
	POLICY_CIPHER,
	POLICY_IKE_INTEGRITY,
	POLICY_ESP_INTEGRITY,
	POLICY_DH,
	POLICY_PFS
};
enum profile_client { CLIENT_APPLE, CLIENT_WINDOWS, CLIENT_STRONGSWAN, PROFILE_CLIENTS };
/* An Azure policy name in a client's vocabulary; NULL if unknown. Apple's
 * groups are numbers as text; "" = no PFS (and no ESP integrity for
 * strongSwan's AEAD proposals). */
const char *profile_policy_name(enum profile_policy_field f, const char *azure,
				enum profile_client cl);

/* Each returns a malloc'd NUL-terminated text, or NULL when it does not
 * apply to this configuration (e.g. no OpenVPN). */
char *profile_ovpn(const struct profile_input *in);
char *profile_azurevpn_xml(const struct profile_input *in);
char *profile_vpnsettings_xml(const struct profile_input *in);
char *profile_swanctl_conf(const struct profile_input *in);
/* Apple configuration profile (IKEv2 payload, the root, the client
 * identity as PKCS#12 when given) and the Windows PowerShell script. */
char *profile_mobileconfig(const struct profile_input *in);
char *profile_windows_ps1(const struct profile_input *in);
/* The profile's file name under Apple/: the gateway name, made safe. */
void profile_mobileconfig_name(const struct gw_conf *c, char *out, size_t cap);
/* Text escaped for XML character data (malloc'd). */
char *profile_xml_escaped(const char *s);

/* Writes the zip: OpenVPN/, AzureVPN/, Generic/ as they apply. 0 or -errno. */
int profile_zip(const char *path, const struct profile_input *in);
/* The same zip in memory (malloc'd, *len bytes), or NULL: no file, so the
 * unprivileged network process needs nowhere to write. */
uint8_t *profile_zip_mem(const struct profile_input *in, size_t *len);

/* Loads the inputs a configuration names: the server chain's CA certificates
 * and root, the tls-auth key. Strings are malloc'd; free with profile_input_free. */
int profile_input_load(struct profile_input *in, const struct gw_conf *c, const char *cert_file,
		       const char *tls_auth_file, char *err, size_t errlen);
void profile_input_free(struct profile_input *in);

#endif
