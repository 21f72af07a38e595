/* Profile texts. Each writer emits one file of the package. */
#include "profile.h"

#include "lib/text.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/net.h"

static bool has_proto(const struct profile_input *in, unsigned p)
{
	return in->conf->protocols & p;
}

static bool has_auth(const struct profile_input *in, unsigned a)
{
	return in->conf->auth_types & a;
}

/* The pushed routes as a.b.c.d/n, comma-separated: the virtual network,
 * then custom routes. */
static void write_routes(FILE *f, const struct gw_conf *c)
{
	const struct prefix_list *lists[] = {&c->vnet, &c->routes};
	const char *sep = "";
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			char a[16];
			ip4_str(lists[k]->v[i].addr, a);
			fprintf(f, "%s%s/%u", sep, a, lists[k]->v[i].len);
			sep = ",";
		}
}

static void inline_block(FILE *f, const char *tag, const char *body)
{
	fprintf(f, "<%s>\n%s%s</%s>\n", tag, body, body[strlen(body) - 1] == '\n' ? "" : "\n", tag);
}

char *profile_ovpn(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	if (!has_proto(in, PROTO_OPENVPN) || !has_auth(in, AUTH_CERTIFICATE | AUTH_RADIUS))
		return NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fprintf(f,
		"client\nremote %s %u\nverify-x509-name %s name\nremote-cert-tls server\n"
		"dev tun\nproto tcp\nresolv-retry infinite\nnobind\nauth SHA256\n"
		"cipher AES-256-GCM\npersist-key\npersist-tun\ntls-timeout 30\n"
		"tls-version-min 1.2\nkey-direction 1\nverb 3\n",
		c->fqdn, c->tcp_port, c->fqdn);
	bool cert = has_auth(in, AUTH_CERTIFICATE);
	if (!cert)
		fputs("auth-user-pass\n", f);
	inline_block(f, "ca", in->ca_pem);
	if (in->tls_auth_text)
		inline_block(f, "tls-auth", in->tls_auth_text);
	if (cert) {
		inline_block(f, "cert",
			     in->client_cert_pem ? in->client_cert_pem : "$CLIENTCERTIFICATE\n");
		inline_block(f, "key", in->client_key_pem ? in->client_key_pem : "$PRIVATEKEY\n");
	}
	fclose(f);
	return out;
}

/* Configuration strings go into XML text escaped. */
char *profile_xml_escaped(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
	fclose(f);
	return out;
}

static void hex_upper(const uint8_t *in, size_t n, char *out)
{
	hex_encode(in, n, out, 1);
}

/* The tls-auth key as one hex string, as the Azure VPN Client takes it. */
static void server_secret(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	const char *p = text ? strstr(text, "-----BEGIN OpenVPN Static key V1-----") : NULL;
	const char *e = p ? strstr(p, "-----END") : NULL;
	for (p = p ? strchr(p, '\n') : NULL; p && p < e && n + 1 < cap; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			out[n++] = *p;
	out[n] = 0;
}

static void azvpn_clientauth(FILE *f, const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	fputs("  <clientauth>\n", f);
	if (has_auth(in, AUTH_AAD)) {
		char *aud = profile_xml_escaped(c->aad_audience),
		     *iss = profile_xml_escaped(c->aad_issuer),
		     *ten = profile_xml_escaped(c->aad_tenant);
		fprintf(f,
			"    <aad>\n      <audience>%s</audience>\n"
			"      <cachesigninuser>true</cachesigninuser>\n"
			"      <issuer>%s</issuer>\n      <tenant>%s</tenant>\n    </aad>\n",
			aud, iss, ten);
		free(aud);
		free(iss);
		free(ten);
	} else
		fputs("    <aad i:nil=\"true\" />\n", f);
	fputs("    <cert i:nil=\"true\" />\n", f);
	const char *type = has_auth(in, AUTH_AAD)	    ? "aad"
			   : has_auth(in, AUTH_CERTIFICATE) ? "cert"
							    : "usernamepass";
	fprintf(f, "    <type>%s</type>\n    <usernamepass i:nil=\"true\" />\n  </clientauth>\n",
		type);
}

/* The Azure VPN Client's split DNS: its suffixes written with a leading dot. */
static void azvpn_suffixes(FILE *f, const struct gw_conf *c)
{
	char names[DNS_NAMES_MAX][DNS_NAME_MAX];
	int n = c->dns_suffixes ? dns_names_split(c->dns_suffixes, names, DNS_NAMES_MAX) : 0;
	if (n <= 0)
		return;
	fputs("    <dnssuffixes>\n", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "      <dnssuffix>.%s</dnssuffix>\n", names[i]);
	fputs("    </dnssuffixes>\n", f);
}

static void azvpn_routes(FILE *f, const struct gw_conf *c)
{
	if (c->routes.n == 0 && !c->dns_suffixes) {
		fputs("  <clientconfig i:nil=\"true\" />\n", f);
		return;
	}
	fputs("  <clientconfig>\n", f);
	azvpn_suffixes(f, c);
	fputs("    <includeroutes>\n", f);
	for (size_t i = 0; i < c->routes.n; i++) {
		char a[16];
		ip4_str(c->routes.v[i].addr, a);
		fprintf(f,
			"      <route>\n        <destination>%s</destination>\n"
			"        <mask>%u</mask>\n      </route>\n",
			a, c->routes.v[i].len);
	}
	fputs("    </includeroutes>\n  </clientconfig>\n", f);
}

char *profile_azurevpn_xml(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	if (!has_proto(in, PROTO_OPENVPN))
		return NULL;
	uint8_t sha1[SHA_DIGEST_LENGTH];
	char hash[2 * SHA_DIGEST_LENGTH + 1], secret[600];
	SHA1(in->root_der, in->root_der_len, sha1);
	hex_upper(sha1, sizeof(sha1), hash);
	server_secret(in->tls_auth_text, secret, sizeof(secret));
	char *out = NULL, *name = profile_xml_escaped(c->name),
	     *fqdn = profile_xml_escaped(c->fqdn);
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	      "<AzVpnProfile xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
	      "xmlns=\"http://schemas.datacontract.org/2004/07/\">\n"
	      "  <any xmlns:d2p1=\"http://schemas.datacontract.org/2004/07/System.Xml\" "
	      "i:nil=\"true\" />\n",
	      f);
	azvpn_clientauth(f, in);
	azvpn_routes(f, c);
	fprintf(f,
		"  <name>%s</name>\n  <protocolconfig>\n    <sslprotocolConfig>\n"
		"      <transportprotocol>tcp</transportprotocol>\n    </sslprotocolConfig>\n"
		"  </protocolconfig>\n  <serverlist>\n    <ServerEntry>\n"
		"      <displayname i:nil=\"true\" />\n      <fqdn>%s</fqdn>\n"
		"    </ServerEntry>\n  </serverlist>\n  <servervalidation>\n    <Cert>\n"
		"      <hash>%s</hash>\n      <issuer i:nil=\"true\" />\n    </Cert>\n"
		"    <serversecret>%s</serversecret>\n    <type>cert</type>\n"
		"  </servervalidation>\n  <version>1</version>\n</AzVpnProfile>\n",
		name, fqdn, hash, secret);
	fclose(f);
	free(name);
	free(fqdn);
	return out;
}

char *profile_vpnsettings_xml(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	if (!has_proto(in, PROTO_IKEV2 | PROTO_SSTP))
		return NULL;
	char *out = NULL, *root64 = b64_encode(in->root_der, in->root_der_len);
	char *fqdn = profile_xml_escaped(c->fqdn);
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fprintf(f,
		"<?xml version=\"1.0\"?>\n<VpnProfile xmlns:xsi=\"http://www.w3.org/2001/"
		"XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"
		"  <VpnServer>%s</VpnServer>\n  <VpnType>%s%s%s</VpnType>\n  <Routes>",
		fqdn, has_proto(in, PROTO_IKEV2) ? "IkeV2" : "",
		has_proto(in, PROTO_IKEV2) && has_proto(in, PROTO_SSTP) ? ", " : "",
		has_proto(in, PROTO_SSTP) ? "Sstp" : "");
	write_routes(f, c);
	fprintf(f, "</Routes>\n  <CaCert>%s</CaCert>\n</VpnProfile>\n", root64 ? root64 : "");
	fclose(f);
	free(root64);
	free(fqdn);
	return out;
}

/* The proposals strongSwan offers: the gateway's custom policy exactly (its
 * child rekeyed at 90% of the policy's SA lifetime, before the gateway's),
 * or a choice from the seed's default tables. */
static void swanctl_proposals(FILE *f, const struct gw_conf *c, char *esp, size_t cap,
			      uint32_t *rekey)
{
	struct profile_policy p;
	profile_policy_get(c, &p);
	*rekey = 0;
	if (!p.custom) {
		fputs("aes256gcm16-prfsha384-ecp384,aes256gcm16-prfsha256-modp2048,"
		      "aes256-sha256-modp2048",
		      f);
		snprintf(esp, cap, "aes256gcm16,aes256-sha256");
		return;
	}
	const enum profile_client sw = CLIENT_STRONGSWAN;
	const char *enc = profile_policy_name(POLICY_CIPHER, p.ike_enc, sw);
	const char *dh = profile_policy_name(POLICY_DH, p.dh, sw);
	bool gcm = strstr(enc ? enc : "", "gcm") != NULL;
	fprintf(f, "%s-%s%s-%s", enc, gcm ? "prf" : "",
		profile_policy_name(POLICY_IKE_INTEGRITY, p.ike_int, sw), dh);
	const char *integ = profile_policy_name(POLICY_ESP_INTEGRITY, p.ipsec_int, sw);
	const char *pfs = profile_policy_name(POLICY_PFS, p.pfs, sw);
	if (p.pfs && strcmp(p.pfs, "PFSMM") == 0)
		pfs = dh;
	snprintf(esp, cap, "%s%s%s%s%s", profile_policy_name(POLICY_CIPHER, p.ipsec_enc, sw),
		 integ && *integ ? "-" : "", integ ? integ : "", pfs && *pfs ? "-" : "",
		 pfs ? pfs : "");
	*rekey = p.child_lifetime_s / 10 * 9;
}

char *profile_swanctl_conf(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	if (!has_proto(in, PROTO_IKEV2))
		return NULL;
	char *out = NULL, esp[128];
	size_t len = 0;
	uint32_t rekey;
	FILE *f = open_memstream(&out, &len);
	fprintf(f,
		"# strongSwan client for %s: put the client certificate in\n"
		"# /etc/swanctl/x509/client.crt, its key in /etc/swanctl/private/client.key\n"
		"# and VpnServerRoot.cer (DER) in /etc/swanctl/x509ca/, then\n"
		"# swanctl --load-all && swanctl --initiate --child %s\n"
		"connections {\n  %s {\n    version = 2\n    remote_addrs = %s\n"
		"    vips = 0.0.0.0\n    proposals = ",
		c->fqdn, c->name, c->name, c->fqdn);
	swanctl_proposals(f, c, esp, sizeof(esp), &rekey);
	fprintf(f,
		"\n    local {\n      auth = pubkey\n      certs = client.crt\n    }\n"
		"    remote {\n      auth = pubkey\n      id = %s\n    }\n"
		"    children {\n      %s {\n        remote_ts = ",
		c->fqdn, c->name);
	write_routes(f, c);
	fprintf(f, "\n        esp_proposals = %s\n", esp);
	if (rekey)
		fprintf(f, "        rekey_time = %us\n", rekey);
	fputs("      }\n    }\n  }\n}\n", f);
	fclose(f);
	return out;
}
