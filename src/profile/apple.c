/* Apple configuration profile (.mobileconfig) for the built-in IKEv2 client
 * of macOS and iOS: a com.apple.vpn.managed payload of VPNType IKEv2, the
 * gateway's root as a com.apple.security.root payload and, when given, the
 * user's certificate and key as a com.apple.security.pkcs12 payload.
 * PayloadUUIDs are derived from the gateway's name and FQDN, so a profile
 * generated again replaces the installed one instead of adding a copy. */
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "profile.h"

#define PAYLOAD_PREFIX "net.p2sgw.profile"

void profile_mobileconfig_name(const struct gw_conf *c, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = c->name ? c->name : "p2sgw"; *p && n + 1 < cap; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
		out[n] = ok && !(n == 0 && ch == '.') ? ch : '_';
		n++;
	}
	out[n] = 0;
}

/* A name-based UUID (version 5 layout over SHA-256, upper case as Apple
 * writes them) for one payload of this gateway's profile. */
static void payload_uuid(const struct gw_conf *c, const char *kind, char out[37])
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	char seed[800];
	int n = snprintf(seed, sizeof(seed), "%s|%s|%s", c->name, c->fqdn, kind);
	SHA256((const uint8_t *)seed, n > 0 && (size_t)n < sizeof(seed) ? (size_t)n : 0, h);
	h[6] = (h[6] & 0x0f) | 0x50;
	h[8] = (h[8] & 0x3f) | 0x80;
	char hex[33];
	hex_encode(h, 16, hex, 1);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* Base64 in lines of 52, as plist <data> is usually written. */
static void write_data(FILE *f, const uint8_t *der, size_t len, const char *indent)
{
	char *b = b64_encode(der, len);
	size_t n = b ? strlen(b) : 0;
	fprintf(f, "%s<data>\n", indent);
	for (size_t i = 0; i < n; i += 52)
		fprintf(f, "%s%.52s\n", indent, b + i);
	fprintf(f, "%s</data>\n", indent);
	free(b);
}

static void common_keys(FILE *f, const struct gw_conf *c, const char *kind, const char *type,
			const char *display)
{
	char uuid[37], *fqdn = profile_xml_escaped(c->fqdn);
	payload_uuid(c, kind, uuid);
	fprintf(f,
		"\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>" PAYLOAD_PREFIX
		".%s.%s</string>\n"
		"\t\t\t<key>PayloadType</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n",
		display, fqdn, kind, type, uuid);
	free(fqdn);
}

static void root_payload(FILE *f, const struct profile_input *in)
{
	fputs("\t\t<dict>\n\t\t\t<key>PayloadContent</key>\n", f);
	write_data(f, in->root_der, in->root_der_len, "\t\t\t");
	common_keys(f, in->conf, "root", "com.apple.security.root", "VPN gateway root");
	fputs("\t\t</dict>\n", f);
}

/* The user's identity as PKCS#12 with the algorithms Apple's keychain
 * imports (3DES, SHA-1 MAC). Returns the DER, or NULL. */
static uint8_t *identity_p12(const struct profile_input *in, int *len, bool *ec)
{
	BIO *cb = BIO_new_mem_buf(in->client_cert_pem, -1);
	BIO *kb = BIO_new_mem_buf(in->client_key_pem, -1);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	PKCS12 *p = NULL;
	uint8_t *der = NULL;
	if (x && k) {
		*ec = EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
		p = PKCS12_create(in->p12_password ? in->p12_password : "", "VPN identity", k, x,
				  NULL, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
				  NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, 1, 0);
	}
	*len = p ? i2d_PKCS12(p, &der) : 0;
	PKCS12_free(p);
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	return *len > 0 ? der : NULL;
}

static bool identity_payload(FILE *f, const struct profile_input *in, bool *ec)
{
	int len = 0;
	uint8_t *der =
		in->client_cert_pem && in->client_key_pem ? identity_p12(in, &len, ec) : NULL;
	if (!der)
		return false;
	fputs("\t\t<dict>\n\t\t\t<key>PayloadContent</key>\n", f);
	write_data(f, der, (size_t)len, "\t\t\t");
	common_keys(f, in->conf, "identity", "com.apple.security.pkcs12", "VPN client identity");
	fputs("\t\t</dict>\n", f);
	OPENSSL_clear_free(der, (size_t)len);
	return true;
}

/* One SecurityAssociationParameters dict. dh is a group number as text,
 * "" for none (then no key: Apple uses its default and PFS is off). */
static void sa_params(FILE *f, const char *key, const char *enc, const char *integ, const char *dh,
		      uint32_t minutes)
{
	fprintf(f,
		"\t\t\t\t<key>%s</key>\n\t\t\t\t<dict>\n"
		"\t\t\t\t\t<key>EncryptionAlgorithm</key>\n\t\t\t\t\t<string>%s</string>\n"
		"\t\t\t\t\t<key>IntegrityAlgorithm</key>\n\t\t\t\t\t<string>%s</string>\n",
		key, enc, integ);
	if (dh && *dh)
		fprintf(f,
			"\t\t\t\t\t<key>DiffieHellmanGroup</key>\n"
			"\t\t\t\t\t<integer>%s</integer>\n",
			dh);
	fprintf(f,
		"\t\t\t\t\t<key>LifeTimeInMinutes</key>\n\t\t\t\t\t<integer>%u</integer>\n"
		"\t\t\t\t</dict>\n",
		minutes);
}

/* The seed's first default IKE row uses DH group 24, which Apple's client
 * does not offer: with the default policy the profile takes the next row
 * (GROUP_14), which the gateway accepts as well. A custom policy is written
 * as it is. */
static void policy_params(FILE *f, const struct gw_conf *c)
{
	struct profile_policy p;
	profile_policy_get(c, &p);
	const char *dh = profile_policy_name(POLICY_DH, p.dh, CLIENT_APPLE);
	if (!p.custom)
		dh = "14";
	const char *pfs = profile_policy_name(POLICY_PFS, p.pfs, CLIENT_APPLE);
	if (pfs && !*pfs && p.pfs && strcmp(p.pfs, "PFSMM") == 0)
		pfs = dh;
	uint32_t child_min = p.child_lifetime_s / 60;
	child_min = child_min < 10 ? 10 : child_min > 1440 ? 1440 : child_min;
	/* The IKE SA's: the gateway's ikev2.ikeSaLifetimeSeconds (Azure's 8 h). */
	uint32_t ike_min = c->ike_sa_life_sec ? c->ike_sa_life_sec / 60 : 480;
	ike_min = ike_min < 10 ? 10 : ike_min > 1440 ? 1440 : ike_min;
	sa_params(f, "IKESecurityAssociationParameters",
		  profile_policy_name(POLICY_CIPHER, p.ike_enc, CLIENT_APPLE),
		  profile_policy_name(POLICY_IKE_INTEGRITY, p.ike_int, CLIENT_APPLE), dh, ike_min);
	sa_params(f, "ChildSecurityAssociationParameters",
		  profile_policy_name(POLICY_CIPHER, p.ipsec_enc, CLIENT_APPLE),
		  profile_policy_name(POLICY_ESP_INTEGRITY, p.ipsec_int, CLIENT_APPLE), pfs,
		  child_min);
	fprintf(f, "\t\t\t\t<key>EnablePFS</key>\n\t\t\t\t<%s/>\n", pfs && *pfs ? "true" : "false");
}

static void ikev2_dict(FILE *f, const struct profile_input *in, const char *fqdn, bool identity,
		       bool ec)
{
	const struct gw_conf *c = in->conf;
	bool cert = c->auth_types & AUTH_CERTIFICATE;
	fprintf(f,
		"\t\t\t<key>IKEv2</key>\n\t\t\t<dict>\n"
		"\t\t\t\t<key>RemoteAddress</key>\n\t\t\t\t<string>%s</string>\n"
		"\t\t\t\t<key>RemoteIdentifier</key>\n\t\t\t\t<string>%s</string>\n"
		"\t\t\t\t<key>AuthenticationMethod</key>\n\t\t\t\t<string>%s</string>\n"
		"\t\t\t\t<key>ExtendedAuthEnabled</key>\n\t\t\t\t<%s/>\n",
		fqdn, fqdn, cert ? "Certificate" : "None", cert ? "false" : "true");
	if (cert && identity) {
		char uuid[37];
		payload_uuid(c, "identity", uuid);
		fprintf(f,
			"\t\t\t\t<key>PayloadCertificateUUID</key>\n\t\t\t\t<string>%s</string>\n"
			"\t\t\t\t<key>CertificateType</key>\n\t\t\t\t<string>%s</string>\n",
			uuid, ec ? "ECDSA256" : "RSA");
	}
	fputs("\t\t\t\t<key>DeadPeerDetectionRate</key>\n\t\t\t\t<string>Medium</string>\n"
	      "\t\t\t\t<key>DisableMOBIKE</key>\n\t\t\t\t<integer>0</integer>\n"
	      "\t\t\t\t<key>DisableRedirect</key>\n\t\t\t\t<integer>1</integer>\n",
	      f);
	policy_params(f, c);
	fputs("\t\t\t</dict>\n", f);
}

static void vpn_payload(FILE *f, const struct profile_input *in, bool identity, bool ec)
{
	const struct gw_conf *c = in->conf;
	char *name = profile_xml_escaped(c->name), *fqdn = profile_xml_escaped(c->fqdn);
	fputs("\t\t<dict>\n", f);
	ikev2_dict(f, in, fqdn, identity, ec);
	/* Split tunnel: only what the gateway routes (its traffic selectors). */
	fputs("\t\t\t<key>IPv4</key>\n\t\t\t<dict>\n"
	      "\t\t\t\t<key>OverridePrimary</key>\n\t\t\t\t<integer>0</integer>\n"
	      "\t\t\t</dict>\n",
	      f);
	common_keys(f, c, "vpn", "com.apple.vpn.managed", name);
	fprintf(f,
		"\t\t\t<key>UserDefinedName</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>VPNType</key>\n\t\t\t<string>IKEv2</string>\n\t\t</dict>\n",
		name);
	free(name);
	free(fqdn);
}

char *profile_mobileconfig(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	if (!(c->protocols & PROTO_IKEV2) || !(c->auth_types & (AUTH_CERTIFICATE | AUTH_RADIUS)))
		return NULL;
	char *out = NULL, *name = profile_xml_escaped(c->name),
	     *fqdn = profile_xml_escaped(c->fqdn);
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	      "<plist version=\"1.0\">\n<dict>\n\t<key>PayloadContent</key>\n\t<array>\n",
	      f);
	root_payload(f, in);
	bool ec = false, identity = identity_payload(f, in, &ec);
	vpn_payload(f, in, identity, ec);
	char uuid[37];
	payload_uuid(c, "profile", uuid);
	fprintf(f,
		"\t</array>\n\t<key>PayloadDisplayName</key>\n\t<string>%s (IKEv2)</string>\n"
		"\t<key>PayloadIdentifier</key>\n\t<string>" PAYLOAD_PREFIX ".%s</string>\n"
		"\t<key>PayloadRemovalDisallowed</key>\n\t<false/>\n"
		"\t<key>PayloadType</key>\n\t<string>Configuration</string>\n"
		"\t<key>PayloadUUID</key>\n\t<string>%s</string>\n"
		"\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n</dict>\n</plist>\n",
		name, fqdn, uuid);
	fclose(f);
	free(name);
	free(fqdn);
	return out;
}
