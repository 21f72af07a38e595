/* Profile package texts against golden files, for fixed inputs. Set
 * P2S_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "lib/codec.h"
#include "pki/pki.h"
#include "profile/profile.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/unit/golden"
#endif

static const char base_conf[] =
	"{\"name\":\"contoso-p2s\",\"gatewayFqdn\":\"vpn.contoso.example\","
	"\"virtualNetwork\":{\"addressSpace\":[\"10.1.0.0/16\"]},"
	"\"customRoutes\":{\"addressPrefixes\":[\"10.2.0.0/16\",\"192.168.50.0/24\"]},"
	"\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{\"addressPrefixes\":"
	"[\"172.16.201.0/24\"]},\"vpnClientProtocols\":[%s],\"vpnAuthenticationTypes\":[%s]%s}}";

static const char aad_fields[] =
	",\"aadTenant\":\"https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555\""
	",\"aadIssuer\":\"https://sts.windows.net/11111111-2222-3333-4444-555555555555/\""
	",\"aadAudience\":\"c632b3df-fb67-4d84-bdcf-b95ad541b5c8\""
	",\"aadJwksFile\":\"/etc/p2sgw/jwks.json\"";

static const char ta_text[] = "-----BEGIN OpenVPN Static key V1-----\n"
			      "00112233445566778899aabbccddeeff\n"
			      "ffeeddccbbaa99887766554433221100\n"
			      "-----END OpenVPN Static key V1-----\n";
static const uint8_t root_der[] = {0x30, 0x03, 0x02, 0x01, 0x01};

static struct gw_conf *load(const char *protos, const char *auths, const char *extra)
{
	char json[2048];
	snprintf(json, sizeof(json), base_conf, protos, auths, extra);
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "conf: %s\n", e.msg[i]);
	conf_errors_free(&e);
	assert_non_null(c);
	return c;
}

static void input(struct profile_input *in, const struct gw_conf *c)
{
	memset(in, 0, sizeof(*in));
	in->conf = c;
	in->ca_pem = "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n";
	in->root_der = root_der;
	in->root_der_len = sizeof(root_der);
	in->tls_auth_text = ta_text;
}

static void check_golden(const char *name, char *text)
{
	assert_non_null(text);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, name);
	if (getenv("P2S_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char want[16384];
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = 0;
	assert_string_equal(text, want);
	free(text);
}

static void test_ovpn_certificate(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	check_golden("vpnconfig-cert.ovpn", profile_ovpn(&in));
	conf_free(c);
}

static void test_ovpn_radius_uses_password(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Radius\"",
				 ",\"radiusServerAddress\":\"10.1.0.5\","
				 "\"radiusServerSecret\":\"s3cret\"");
	struct profile_input in;
	input(&in, c);
	char *t = profile_ovpn(&in);
	assert_non_null(strstr(t, "\nauth-user-pass\n"));
	assert_null(strstr(t, "$CLIENTCERTIFICATE"));
	check_golden("vpnconfig-radius.ovpn", t);
	conf_free(c);
}

static void test_ovpn_embeds_client_cert(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	in.client_cert_pem = "-----BEGIN CERTIFICATE-----\nALICE\n-----END CERTIFICATE-----\n";
	in.client_key_pem = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
	char *t = profile_ovpn(&in);
	assert_non_null(strstr(t, "<cert>\n-----BEGIN CERTIFICATE-----\nALICE\n"));
	assert_non_null(strstr(t, "<key>\n-----BEGIN PRIVATE KEY-----\nKEY\n"));
	assert_null(strstr(t, "$PRIVATEKEY"));
	free(t);
	conf_free(c);
}

static void test_azurevpn_cert_and_aad(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	check_golden("azurevpnconfig-cert.xml", profile_azurevpn_xml(&in));
	conf_free(c);
	c = load("\"OpenVPN\"", "\"AAD\"", aad_fields);
	input(&in, c);
	check_golden("azurevpnconfig-aad.xml", profile_azurevpn_xml(&in));
	conf_free(c);
}

/* The Azure VPN Client's split DNS: virtualNetwork.dnsSuffixes, dotted. */
static void test_azurevpn_dns_suffixes(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	free(c->dns_suffixes);
	c->dns_suffixes = strdup("contoso.internal,corp.contoso.com");
	struct profile_input in;
	input(&in, c);
	char *x = profile_azurevpn_xml(&in);
	assert_non_null(
		strstr(x, "<dnssuffixes>\n      <dnssuffix>.contoso.internal</dnssuffix>\n"
			  "      <dnssuffix>.corp.contoso.com</dnssuffix>\n    </dnssuffixes>"));
	free(x);
	conf_free(c);
}

static void test_generic_only_with_ikev2_or_sstp(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	assert_null(profile_vpnsettings_xml(&in));
	assert_null(profile_swanctl_conf(&in));
	conf_free(c);
	c = load("\"IkeV2\",\"SSTP\"", "\"Certificate\"", "");
	input(&in, c);
	assert_null(profile_ovpn(&in));
	assert_null(profile_azurevpn_xml(&in));
	check_golden("VpnSettings.xml", profile_vpnsettings_xml(&in));
	check_golden("swanctl.conf", profile_swanctl_conf(&in));
	conf_free(c);
}

static const char custom_policy[] =
	",\"vpnClientIpsecPolicies\":[{\"saLifeTimeSeconds\":3600,\"saDataSizeKilobytes\":"
	"102400000,"
	"\"ipsecEncryption\":\"AES256\",\"ipsecIntegrity\":\"SHA256\",\"ikeEncryption\":\"AES256\","
	"\"ikeIntegrity\":\"SHA256\",\"dhGroup\":\"ECP384\",\"pfsGroup\":\"ECP256\"}]";

static const char radius_fields[] = ",\"radiusServerAddress\":\"10.1.0.5\","
				    "\"radiusServerSecret\":\"s3cret\"";

/* The seed's default policy, certificate authentication, as macOS and iOS
 * import it: golden, and the policy keys Apple's client knows. */
static void test_mobileconfig_certificate_default_policy(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"IkeV2\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	char *t = profile_mobileconfig(&in);
	assert_non_null(t);
	assert_non_null(
		strstr(t, "<key>RemoteIdentifier</key>\n\t\t\t\t<string>vpn.contoso.example"));
	assert_non_null(strstr(t, "<key>AuthenticationMethod</key>\n\t\t\t\t<string>Certificate"));
	assert_non_null(strstr(t, "<string>AES-256-GCM</string>"));
	assert_non_null(strstr(t, "<string>SHA2-384</string>"));
	/* Apple offers no group 24: the next default row (14) instead. */
	assert_non_null(strstr(t, "<key>DiffieHellmanGroup</key>\n\t\t\t\t\t<integer>14<"));
	assert_null(strstr(t, "<integer>24</integer>"));
	assert_non_null(strstr(t, "<string>com.apple.security.root</string>"));
	assert_null(strstr(t, "com.apple.security.pkcs12"));
	check_golden("contoso-p2s.mobileconfig", t); /* frees t */
	/* The IKE SA's lifetime follows ikev2.ikeSaLifetimeSeconds (8 h by
	 * default, as above); the CHILD SA's stays the policy's. */
	c->ike_sa_life_sec = 7200;
	t = profile_mobileconfig(&in);
	assert_non_null(strstr(t, "<key>IKESecurityAssociationParameters</key>"));
	const char *ike = strstr(t, "<key>IKESecurityAssociationParameters</key>");
	const char *child = strstr(t, "<key>ChildSecurityAssociationParameters</key>");
	const char *life = strstr(ike, "<key>LifeTimeInMinutes</key>\n\t\t\t\t\t<integer>120<");
	assert_non_null(life);
	assert_true(child && life < child);
	free(t);
	conf_free(c);
}

/* RADIUS: EAP (ExtendedAuthEnabled) and a custom policy written exactly. */
static void test_mobileconfig_radius_custom_policy(void **state)
{
	(void)state;
	char extra[1024];
	snprintf(extra, sizeof(extra), "%s%s", radius_fields, custom_policy);
	struct gw_conf *c = load("\"IkeV2\"", "\"Radius\"", extra);
	struct profile_input in;
	input(&in, c);
	char *t = profile_mobileconfig(&in);
	assert_non_null(t);
	assert_non_null(strstr(t, "<string>None</string>\n\t\t\t\t<key>ExtendedAuthEnabled</key>\n"
				  "\t\t\t\t<true/>"));
	assert_null(strstr(t, "AES-256-GCM"));
	assert_non_null(strstr(t, "<integer>20</integer>"));
	assert_non_null(strstr(t, "<integer>19</integer>"));
	assert_non_null(strstr(t, "<key>EnablePFS</key>\n\t\t\t\t<true/>"));
	assert_non_null(strstr(t, "<key>LifeTimeInMinutes</key>\n\t\t\t\t\t<integer>60<"));
	check_golden("contoso-p2s-radius.mobileconfig", t);
	conf_free(c);
}

/* The user's certificate and key travel as PKCS#12 that opens with the
 * password and holds that certificate; the VPN payload points at it. */
static void test_mobileconfig_embeds_identity(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"IkeV2\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	EVP_PKEY *k = pki_key_new(PKI_EC_P256);
	X509 *x = pki_issue(NULL, NULL, k, "alice@contoso.com", PKI_CLIENT, NULL, 30);
	char *cpem = NULL, *kpem = NULL;
	size_t cl = 0, kl = 0;
	FILE *f = open_memstream(&cpem, &cl);
	PEM_write_X509(f, x);
	fclose(f);
	f = open_memstream(&kpem, &kl);
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	in.client_cert_pem = cpem;
	in.client_key_pem = kpem;
	in.p12_password = "pw";
	char *t = profile_mobileconfig(&in);
	assert_non_null(t);
	assert_non_null(strstr(t, "<string>ECDSA256</string>"));
	assert_non_null(strstr(t, "<key>PayloadCertificateUUID</key>"));
	char *p = strstr(t, "<string>com.apple.security.root</string>");
	p = p ? strstr(p, "<data>\n") : NULL;
	assert_non_null(p);
	/* The payload after the root is the identity: decode its data. */
	p += strlen("<data>\n");
	char *e = strstr(p, "</data>");
	char b64[8192] = "";
	size_t n = 0;
	for (; p < e && n + 1 < sizeof(b64); p++)
		if (*p != '\n' && *p != '\t')
			b64[n++] = *p;
	b64[n] = 0;
	uint8_t *der = NULL;
	int dl = b64_decode(b64, &der);
	assert_true(dl > 0);
	const uint8_t *dp = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &dp, dl);
	assert_non_null(p12);
	EVP_PKEY *pk = NULL;
	X509 *px = NULL;
	assert_int_equal(PKCS12_parse(p12, "wrong", &pk, &px, NULL), 0);
	assert_int_equal(PKCS12_parse(p12, "pw", &pk, &px, NULL), 1);
	assert_int_equal(X509_cmp(px, x), 0);
	assert_int_equal(EVP_PKEY_eq(pk, k), 1);
	EVP_PKEY_free(pk);
	X509_free(px);
	PKCS12_free(p12);
	free(der);
	free(t);
	free(cpem);
	free(kpem);
	X509_free(x);
	EVP_PKEY_free(k);
	conf_free(c);
}

static void test_windows_script(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"IkeV2\",\"SSTP\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	char *t = profile_windows_ps1(&in);
	assert_non_null(t);
	assert_non_null(strstr(t, "Add-VpnConnection -Name 'contoso-p2s' -ServerAddress "
				  "'vpn.contoso.example' -TunnelType Ikev2 -AuthenticationMethod "
				  "MachineCertificate"));
	assert_non_null(strstr(t, "-AuthenticationTransformConstants GCMAES256 "
				  "-CipherTransformConstants GCMAES256 -EncryptionMethod GCMAES256 "
				  "-IntegrityCheckMethod SHA384 -DHGroup Group24 -PfsGroup None"));
	assert_non_null(strstr(t, "-TunnelType Sstp -AuthenticationMethod Eap"));
	assert_non_null(strstr(t, "-ConnectionName 'contoso-p2s (SSTP)' -DestinationPrefix "
				  "'192.168.50.0/24'"));
	check_golden("AddVpnConnection.ps1", t);
	conf_free(c);
}

static void test_windows_script_radius_custom_policy(void **state)
{
	(void)state;
	char extra[1024];
	snprintf(extra, sizeof(extra), "%s%s", radius_fields, custom_policy);
	struct gw_conf *c = load("\"IkeV2\"", "\"Radius\"", extra);
	struct profile_input in;
	input(&in, c);
	char *t = profile_windows_ps1(&in);
	assert_non_null(t);
	assert_non_null(strstr(t, "-TunnelType Ikev2 -AuthenticationMethod Eap "));
	assert_non_null(strstr(t, "-AuthenticationTransformConstants SHA256128 "
				  "-CipherTransformConstants AES256 -EncryptionMethod AES256 "
				  "-IntegrityCheckMethod SHA256 -DHGroup ECP384 -PfsGroup ECP256"));
	assert_null(strstr(t, "GCMAES256"));
	assert_null(strstr(t, "Sstp"));
	check_golden("AddVpnConnection-radius.ps1", t);
	conf_free(c);
}

/* Names with quotes stay inside their PowerShell string. */
static void test_windows_script_quotes_names(void **state)
{
	(void)state;
	char json[2048];
	snprintf(json, sizeof(json), base_conf, "\"IkeV2\"", "\"Certificate\"", "");
	char *p = strstr(json, "contoso-p2s");
	char fixed[2200];
	snprintf(fixed, sizeof(fixed), "%.*sit's-p2s%s", (int)(p - json), json,
		 p + strlen("contoso-p2s"));
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(fixed, &e);
	conf_errors_free(&e);
	assert_non_null(c);
	struct profile_input in;
	input(&in, c);
	char *t = profile_windows_ps1(&in);
	assert_non_null(strstr(t, "-Name 'it''s-p2s' "));
	assert_null(strstr(t, "'it's"));
	free(t);
	char name[64];
	profile_mobileconfig_name(c, name, sizeof(name));
	assert_string_equal(name, "it_s-p2s");
	conf_free(c);
}

/* A name with a line break cannot end the script's comment and add a
 * command of its own. */
static void test_windows_script_name_cannot_inject(void **state)
{
	(void)state;
	char json[2048];
	snprintf(json, sizeof(json), base_conf, "\"IkeV2\"", "\"Certificate\"", "");
	char *p = strstr(json, "contoso-p2s");
	char fixed[2200];
	snprintf(fixed, sizeof(fixed), "%.*sx\\nRemove-Item -Recurse C:\\\\%s", (int)(p - json),
		 json, p + strlen("contoso-p2s"));
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(fixed, &e);
	conf_errors_free(&e);
	assert_non_null(c);
	assert_non_null(strchr(c->name, '\n'));
	struct profile_input in;
	input(&in, c);
	char *t = profile_windows_ps1(&in);
	assert_non_null(t);
	assert_null(strstr(t, "\nRemove-Item"));
	assert_non_null(strstr(t, "(x Remove-Item -Recurse C:\\)"));
	free(t);
	conf_free(c);
}

/* Neither file without IKEv2 (the script also comes with SSTP alone). */
static void test_apple_windows_only_with_ikev2(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	assert_null(profile_mobileconfig(&in));
	assert_null(profile_windows_ps1(&in));
	conf_free(c);
	c = load("\"SSTP\"", "\"Certificate\"", "");
	input(&in, c);
	assert_null(profile_mobileconfig(&in));
	char *t = profile_windows_ps1(&in);
	assert_non_null(t);
	assert_null(strstr(t, "Ikev2"));
	assert_null(strstr(t, "Set-VpnConnectionIPsecConfiguration"));
	free(t);
	conf_free(c);
}

/* A custom policy is what the strongSwan client offers, exactly. */
static void test_swanctl_custom_policy(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"IkeV2\"", "\"Certificate\"", custom_policy);
	struct profile_input in;
	input(&in, c);
	char *t = profile_swanctl_conf(&in);
	assert_non_null(t);
	assert_non_null(strstr(t, "    proposals = aes256-sha256-ecp384\n"));
	assert_non_null(strstr(t, "        esp_proposals = aes256-sha256-ecp256\n"));
	assert_non_null(strstr(t, "        rekey_time = 3240s\n"));
	assert_null(strstr(t, "gcm"));
	check_golden("swanctl-custom.conf", t);
	conf_free(c);
	static const char gcm_mm[] =
		",\"vpnClientIpsecPolicies\":[{\"saLifeTimeSeconds\":27000,\"saDataSizeKilobytes\":"
		"102400000,\"ipsecEncryption\":\"GCMAES128\",\"ipsecIntegrity\":\"GCMAES128\","
		"\"ikeEncryption\":\"GCMAES256\",\"ikeIntegrity\":\"SHA384\",\"dhGroup\":"
		"\"DHGroup24\",\"pfsGroup\":\"PFSMM\"}]";
	c = load("\"IkeV2\"", "\"Certificate\"", gcm_mm);
	input(&in, c);
	t = profile_swanctl_conf(&in);
	assert_non_null(strstr(t, "    proposals = aes256gcm16-prfsha384-modp2048s256\n"));
	assert_non_null(strstr(t, "        esp_proposals = aes128gcm16-modp2048s256\n"));
	free(t);
	conf_free(c);
}

static bool zip_has(zip_t *z, const char *name)
{
	return zip_name_locate(z, name, 0) >= 0;
}

static void test_zip_layout(void **state)
{
	(void)state;
	struct gw_conf *c = load("\"OpenVPN\",\"IkeV2\"", "\"Certificate\"", "");
	struct profile_input in;
	input(&in, c);
	char path[] = "/tmp/p2s-profile-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(profile_zip(path, &in), 0);
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);
	assert_non_null(z);
	assert_true(zip_has(z, "OpenVPN/vpnconfig.ovpn"));
	assert_true(zip_has(z, "AzureVPN/azurevpnconfig.xml"));
	assert_true(zip_has(z, "Generic/VpnSettings.xml"));
	assert_true(zip_has(z, "Generic/VpnServerRoot.cer"));
	assert_true(zip_has(z, "Generic/swanctl.conf"));
	assert_true(zip_has(z, "Apple/contoso-p2s.mobileconfig"));
	assert_true(zip_has(z, "Windows/AddVpnConnection.ps1"));
	zip_stat_t st;
	assert_int_equal(zip_stat(z, "Generic/VpnServerRoot.cer", 0, &st), 0);
	assert_int_equal(st.size, sizeof(root_der));
	zip_close(z);
	unlink(path);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovpn_certificate),
		cmocka_unit_test(test_ovpn_radius_uses_password),
		cmocka_unit_test(test_ovpn_embeds_client_cert),
		cmocka_unit_test(test_azurevpn_cert_and_aad),
		cmocka_unit_test(test_azurevpn_dns_suffixes),
		cmocka_unit_test(test_generic_only_with_ikev2_or_sstp),
		cmocka_unit_test(test_mobileconfig_certificate_default_policy),
		cmocka_unit_test(test_mobileconfig_radius_custom_policy),
		cmocka_unit_test(test_mobileconfig_embeds_identity),
		cmocka_unit_test(test_swanctl_custom_policy),
		cmocka_unit_test(test_windows_script),
		cmocka_unit_test(test_windows_script_radius_custom_policy),
		cmocka_unit_test(test_windows_script_quotes_names),
		cmocka_unit_test(test_windows_script_name_cannot_inject),
		cmocka_unit_test(test_apple_windows_only_with_ikev2),
		cmocka_unit_test(test_zip_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
