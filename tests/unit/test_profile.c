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

#include "conf/conf.h"
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
		cmocka_unit_test(test_generic_only_with_ikev2_or_sstp),
		cmocka_unit_test(test_zip_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
