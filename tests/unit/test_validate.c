/* One case per validation rule, each with a passing and a failing variant:
 * a valid base configuration is edited at one JSON path, then loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "conf/conf.h"

#define TENANT "11111111-2222-3333-4444-555555555555"

static const char base[] =
	"{\"name\":\"gw\",\"sku\":\"VpnGw2\",\"vpnGatewayGeneration\":\"Generation2\","
	"\"gatewayFqdn\":\"vpn.example\","
	"\"virtualNetwork\":{\"addressSpace\":[\"10.1.0.0/16\"]},"
	"\"customRoutes\":{\"addressPrefixes\":[\"10.2.0.0/16\"]},"
	"\"vpnClientConfiguration\":{"
	"\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.201.0/24\"]},"
	"\"vpnClientProtocols\":[\"OpenVPN\"],\"vpnAuthenticationTypes\":[\"Certificate\"]}}";

struct rule_case {
	const char *what;
	const char *path;     /* dotted; "cc." abbreviates vpnClientConfiguration. */
	const char *value;    /* JSON text */
	const char *error_at; /* NULL: must load */
	const char *warning;  /* substring of an expected warning, or NULL */
	const char *path2;    /* an optional second edit */
	const char *value2;
};

static json_t *node_at(json_t *root, const char *path, char *last, size_t cap)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
	for (; tok && (next = strtok_r(NULL, ".", &save)); tok = next) {
		const char *key = strcmp(tok, "cc") == 0 ? "vpnClientConfiguration" : tok;
		json_t *child = json_object_get(cur, key);
		if (!child) {
			child = json_object();
			json_object_set_new(cur, key, child);
		}
		cur = child;
	}
	snprintf(last, cap, "%s", tok);
	return cur;
}

static void edit(json_t *root, const char *path, const char *value)
{
	char key[128];
	json_t *parent = node_at(root, path, key, sizeof(key));
	json_error_t je;
	json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
	assert_non_null(v);
	json_object_set_new(parent, key, v);
}

static void run_case(const struct rule_case *rc)
{
	json_t *root = json_loads(base, 0, NULL);
	edit(root, rc->path, rc->value);
	if (rc->path2)
		edit(root, rc->path2, rc->value2);
	char *text = json_dumps(root, 0);
	json_decref(root);
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(text, &e);
	free(text);
	bool found = false, warned = rc->warning == NULL;
	for (size_t i = 0; i < e.n; i++) {
		if (rc->error_at && strncmp(e.msg[i], rc->error_at, strlen(rc->error_at)) == 0)
			found = true;
		else if (!rc->error_at)
			fprintf(stderr, "%s: unexpected error: %s\n", rc->what, e.msg[i]);
	}
	for (size_t i = 0; i < e.n_warn && rc->warning; i++)
		warned |= strstr(e.warn[i], rc->warning) != NULL;
	if (rc->error_at && !found)
		fprintf(stderr, "%s: expected an error at %s\n", rc->what, rc->error_at);
	assert_true(rc->error_at ? (c == NULL && found) : c != NULL);
	assert_true(warned);
	conf_errors_free(&e);
	conf_free(c);
}

#define CC "vpnClientConfiguration."
static const struct rule_case cases[] = {
	{"RouteBased ok", "vpnType", "\"RouteBased\"", NULL},
	{"PolicyBased refused", "vpnType", "\"PolicyBased\"", "vpnType:"},
	{"unknown SKU", "sku", "\"VpnGw9\"", "sku:"},
	{"VpnGw5 in Gen2 ok", "sku", "\"VpnGw5\"", NULL},
	{"VpnGw1 only in Gen1", "sku", "\"VpnGw1\"", "sku:"},
	{"Basic in Gen2 refused", "sku", "\"Basic\"", "sku:"},
	{"VpnGw2 in Gen1 ok", "vpnGatewayGeneration", "\"Generation1\"", NULL},
	{"Basic refuses OpenVPN", "sku", "\"Basic\"", CC "vpnClientProtocols:", NULL,
	 "vpnGatewayGeneration", "\"Generation1\""},
	{"Basic refuses RADIUS", "sku", "\"Basic\"", CC "vpnAuthenticationTypes:", NULL,
	 "cc.vpnAuthenticationTypes", "[\"Radius\"]"},
	{"unknown field suggests", "gatewayFdqn", "\"x\"",
	 "gatewayFdqn: unknown field; did you mean"},
	{"pool private ok", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.0/24\"]", NULL},
	{"pool public refused", "cc.vpnClientAddressPool.addressPrefixes", "[\"8.8.8.0/24\"]",
	 CC "vpnClientAddressPool.addressPrefixes[0]:"},
	{"pool bad CIDR", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.1/24\"]",
	 CC "vpnClientAddressPool.addressPrefixes[0]:"},
	{"pool /29 ok", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.0/29\"]", NULL},
	{"pool /30 refused", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.0/30\"]",
	 CC "vpnClientAddressPool.addressPrefixes[0]:"},
	{"activeActive /28 ok", "activeActive", "true", NULL, NULL,
	 "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.0/28\"]"},
	{"activeActive refuses /29", "activeActive", "true",
	 CC "vpnClientAddressPool.addressPrefixes[0]:", NULL,
	 "cc.vpnClientAddressPool.addressPrefixes", "[\"10.9.0.0/29\"]"},
	{"pool overlaps vnet", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.1.4.0/24\"]",
	 CC "vpnClientAddressPool.addressPrefixes[0]: overlaps virtualNetwork"},
	{"pool overlaps routes", "cc.vpnClientAddressPool.addressPrefixes", "[\"10.2.0.0/24\"]",
	 CC "vpnClientAddressPool.addressPrefixes[0]: overlaps customRoutes"},
	{"pools overlap each other", "cc.vpnClientAddressPool.addressPrefixes",
	 "[\"172.16.0.0/16\",\"172.16.5.0/24\"]", CC "vpnClientAddressPool.addressPrefixes[1]:"},
	{"too many roots", "cc.vpnClientRootCertificates",
	 "[{},{},{},{},{},{},{},{},{},{},{},{},"
	 "{},{},{},{},{},{},{},{},{}]",
	 CC "vpnClientRootCertificates: at most 20"},
	{"root not base64", "cc.vpnClientRootCertificates",
	 "[{\"name\":\"r\",\"publicCertData\":\"@@@\"}]",
	 CC "vpnClientRootCertificates[0].publicCertData:"},
	{"revoked thumbprint ok", "cc.vpnClientRevokedCertificates",
	 "[{\"name\":\"b\",\"thumbprint\":\"3a f1 00 11 22 33 44 55 66 77 88 99 AA BB CC DD "
	 "EE FF 00 11\"}]",
	 NULL},
	{"revoked thumbprint short", "cc.vpnClientRevokedCertificates",
	 "[{\"name\":\"b\",\"thumbprint\":\"3af1\"}]",
	 CC "vpnClientRevokedCertificates[0].thumbprint:"},
	{"IkeV2 with certificates accepted", "cc.vpnClientProtocols", "[\"IkeV2\"]", NULL},
	{"no protocol refused", "cc.vpnClientProtocols", "[]", CC "vpnClientProtocols:"},
	{"protocol listed twice", "cc.vpnClientProtocols", "[\"OpenVPN\",\"OpenVPN\"]",
	 CC "vpnClientProtocols[1]:"},
	{"Radius needs a server", "cc.vpnAuthenticationTypes", "[\"Radius\"]", CC "radiusServers:"},
	{"certificate auth with own server cert needs a root", "serverCertificate",
	 "{\"certFile\":\"/x.crt\",\"keyFile\":\"/x.key\"}", CC "vpnClientRootCertificates:"},
	{"ipsec accepted set", "cc.vpnClientIpsecPolicies",
	 "[{\"saLifeTimeSeconds\":28800,\"saDataSizeKilobytes\":102400000,\"ipsecEncryption\":"
	 "\"GCMAES256\",\"ipsecIntegrity\":\"GCMAES256\",\"ikeEncryption\":\"AES256\","
	 "\"ikeIntegrity\":\"SHA384\",\"dhGroup\":\"DHGroup24\",\"pfsGroup\":\"PFS24\"}]",
	 NULL},
	{"ipsec GCM mismatch", "cc.vpnClientIpsecPolicies",
	 "[{\"saLifeTimeSeconds\":28800,\"saDataSizeKilobytes\":102400000,\"ipsecEncryption\":"
	 "\"GCMAES256\",\"ipsecIntegrity\":\"SHA256\",\"ikeEncryption\":\"AES256\","
	 "\"ikeIntegrity\":\"SHA384\",\"dhGroup\":\"DHGroup24\",\"pfsGroup\":\"PFS24\"}]",
	 CC "vpnClientIpsecPolicies[0].ipsecIntegrity:"},
	{"ipsec unknown dhGroup", "cc.vpnClientIpsecPolicies", "[{\"dhGroup\":\"DHGroup1\"}]",
	 CC "vpnClientIpsecPolicies[0].dhGroup:"},
	{"ipsec SHA1 integrity not accepted", "cc.vpnClientIpsecPolicies",
	 "[{\"ipsecIntegrity\":\"SHA1\"}]", CC "vpnClientIpsecPolicies[0].ipsecIntegrity:"},
	{"RADIUS server ok", "cc.radiusServers",
	 "[{\"radiusServerAddress\":\"10.1.0.5\",\"radiusServerScore\":30,"
	 "\"radiusServerSecret\":\"s\"}]",
	 NULL},
	{"RADIUS three servers", "cc.radiusServers",
	 "[{\"radiusServerAddress\":\"a\",\"radiusServerSecret\":\"s\"},"
	 "{\"radiusServerAddress\":\"b\",\"radiusServerSecret\":\"s\"},"
	 "{\"radiusServerAddress\":\"c\",\"radiusServerSecret\":\"s\"}]",
	 CC "radiusServers: at most two"},
	{"RADIUS server without secret", "cc.radiusServers", "[{\"radiusServerAddress\":\"a\"}]",
	 CC "radiusServers[0]:"},
	{"RADIUS single without secret", "cc.radiusServerAddress", "\"10.1.0.5\"",
	 CC "radiusServerSecret:"},
	{"RADIUS server with an empty secret", "cc.radiusServers",
	 "[{\"radiusServerAddress\":\"a\",\"radiusServerSecret\":\"\"}]", CC "radiusServers[0]:"},
	{"RADIUS require Message-Authenticator ok", "cc.radiusServers",
	 "[{\"radiusServerAddress\":\"10.1.0.5\",\"radiusServerSecret\":\"s\","
	 "\"radiusServerRequireMessageAuthenticator\":\"require\"}]",
	 NULL},
	{"RADIUS Message-Authenticator policy unknown", "cc.radiusServers",
	 "[{\"radiusServerAddress\":\"10.1.0.5\",\"radiusServerSecret\":\"s\","
	 "\"radiusServerRequireMessageAuthenticator\":\"yes\"}]",
	 CC "radiusServers[0].radiusServerRequireMessageAuthenticator: \"yes\" is not one of auto, "
	    "require, never"},
	{"RADIUS policy without the single server", "cc.radiusServerRequireMessageAuthenticator",
	 "\"require\"", CC "radiusServerRequireMessageAuthenticator: applies to"},
	{"groups one default ok", "virtualNetworkGatewayPolicyGroups",
	 "[{\"name\":\"g\",\"isDefault\":true,\"priority\":0,\"policyMembers\":[{\"name\":\"m\","
	 "\"attributeType\":\"AADGroupId\",\"attributeValue\":\"x\"}]}]",
	 NULL},
	{"groups without default", "virtualNetworkGatewayPolicyGroups",
	 "[{\"name\":\"g\",\"priority\":0}]", "virtualNetworkGatewayPolicyGroups: exactly one"},
	{"group member type", "virtualNetworkGatewayPolicyGroups",
	 "[{\"name\":\"g\",\"isDefault\":true,\"policyMembers\":[{\"attributeType\":\"Email\"}]}]",
	 "virtualNetworkGatewayPolicyGroups[0].policyMembers[0].attributeType:"},
	{"group pool smaller than /24", "cc.vngClientConnectionConfigurations",
	 "[{\"name\":\"c\",\"vpnClientAddressPool\":{\"addressPrefixes\":[\"10.50.0.0/25\"]}}]",
	 CC "vngClientConnectionConfigurations[0].vpnClientAddressPool.addressPrefixes[0]:"},
	{"group reference unknown", "cc.vngClientConnectionConfigurations",
	 "[{\"name\":\"c\",\"vpnClientAddressPool\":{\"addressPrefixes\":[\"10.50.0.0/24\"]},"
	 "\"virtualNetworkGatewayPolicyGroups\":[{\"id\":\"nope\"}]}]",
	 CC "vngClientConnectionConfigurations[0].virtualNetworkGatewayPolicyGroups[0].id:"},
	{"port range", "listen.tcpPort", "70000", "listen.tcpPort:"},
	{"DNS servers ok", "virtualNetwork.dnsServers", "[\"10.1.0.4\", \"168.63.129.16\"]", NULL},
	{"DNS server not an address", "virtualNetwork.dnsServers", "[\"10.1.0\"]",
	 "virtualNetwork.dnsServers[0]:"},
	{"ARM properties form", "properties", "{\"activeActive\":false}", NULL},
	{"IKE SA lifetime ok", "ikev2", "{\"ikeSaLifetimeSeconds\":60}", NULL},
	{"IKE SA rekeys off", "ikev2", "{\"ikeSaLifetimeSeconds\":0}", NULL},
	{"IKE SA lifetime too short", "ikev2", "{\"ikeSaLifetimeSeconds\":5}",
	 "ikev2.ikeSaLifetimeSeconds:"},
	{"DNS server IPv6", "virtualNetwork.dnsServers", "[\"10.1.0.4\", \"fd00::53\"]", NULL},
};

static void test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static struct gw_conf *load_text(const char *json, struct conf_errors *e)
{
	memset(e, 0, sizeof(*e));
	return conf_load_string(json, e);
}

static bool has_error(const struct conf_errors *e, const char *prefix)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* radiusServerAddress takes its policy beside it; the default is auto. */
static void test_radius_single_policy(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c = load_text(
		"{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
		"{\"addressPrefixes\":[\"172.16.0.0/24\"]},\"vpnAuthenticationTypes\":[\"Radius\"],"
		"\"radiusServerAddress\":\"10.1.0.5\",\"radiusServerSecret\":\"s\","
		"\"radiusServerRequireMessageAuthenticator\":\"never\",\"radiusServers\":[]}}",
		&e);
	assert_non_null(c);
	assert_string_equal(c->radius_require_ma, "never");
	conf_free(c);
	conf_errors_free(&e);
	c = load_text("{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{"
		      "\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
		      "\"radiusServers\":[{\"radiusServerAddress\":\"10.1.0.5\","
		      "\"radiusServerSecret\":\"s\"}]}}",
		      &e);
	assert_non_null(c);
	assert_string_equal(c->radius_servers.v[0].require_ma, "auto");
	conf_free(c);
	conf_errors_free(&e);
}

#define AAD_CONF(tenant, issuer, aud, protos)                                                      \
	"{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"             \
	"{\"addressPrefixes\":[\"172.16.0.0/24\"]},\"vpnClientProtocols\":[" protos "],"           \
	"\"vpnAuthenticationTypes\":[\"AAD\"" aud "],\"aadTenant\":\"" tenant "\","                \
	"\"aadIssuer\":\"" issuer "\",\"aadAudience\":\"c632b3df-fb67-4d84-bdcf-b95ad541b5c8\","   \
	"\"aadJwksFile\":\"/etc/p2sgw/jwks.json\"}}"

static void test_aad_rules(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c =
		load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
				   "https://sts.windows.net/" TENANT "/", "", "\"OpenVPN\""),
			  &e);
	assert_non_null(c);
	conf_free(c);
	conf_errors_free(&e);
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
			       "https://sts.windows.net/" TENANT, "", "\"OpenVPN\""),
		      &e);
	assert_null(c);
	assert_true(has_error(&e, CC "aadIssuer:"));
	conf_errors_free(&e);
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT "/",
			       "https://sts.windows.net/" TENANT "/", "", "\"OpenVPN\""),
		      &e);
	assert_true(has_error(&e, CC "aadTenant:"));
	conf_errors_free(&e);
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
			       "https://sts.windows.net/99999999-2222-3333-4444-555555555555/", "",
			       "\"OpenVPN\""),
		      &e);
	assert_true(has_error(&e, CC "aadIssuer: names another tenant"));
	conf_errors_free(&e);
	/* The matrix: AAD alone needs OpenVPN; with IkeV2 another type is needed. */
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
			       "https://sts.windows.net/" TENANT "/", "", "\"IkeV2\""),
		      &e);
	assert_true(has_error(&e, CC "vpnAuthenticationTypes: AAD authentication needs"));
	conf_errors_free(&e);
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
			       "https://sts.windows.net/" TENANT "/", "", "\"IkeV2\",\"OpenVPN\""),
		      &e);
	assert_true(has_error(&e, CC "vpnAuthenticationTypes: IkeV2 and SSTP need"));
	conf_errors_free(&e);
	c = load_text(AAD_CONF("https://login.microsoftonline.com/" TENANT,
			       "https://sts.windows.net/" TENANT "/", ",\"Certificate\"",
			       "\"IkeV2\",\"OpenVPN\""),
		      &e);
	assert_non_null(c);
	bool warned = false;
	for (size_t i = 0; i < e.n_warn; i++)
		warned |= strstr(e.warn[i], "AAD applies to OpenVPN only") != NULL;
	assert_true(warned);
	conf_free(c);
	conf_errors_free(&e);
}

/* Split DNS suffixes: DNS names or an error at their path. */
static void test_dns_suffixes(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c = load_text(
		"{\"gatewayFqdn\":\"v\",\"virtualNetwork\":{\"addressSpace\":[\"10.1.0.0/16\"],"
		"\"dnsSuffixes\":\"contoso.internal,corp.contoso.com\"},\"vpnClientConfiguration\":"
		"{\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.0.0/24\"]}}}",
		&e);
	assert_non_null(c);
	assert_string_equal(c->dns_suffixes, "contoso.internal,corp.contoso.com");
	conf_free(c);
	conf_errors_free(&e);
	c = load_text("{\"gatewayFqdn\":\"v\",\"virtualNetwork\":{\"dnsSuffixes\":\"bad_name;x\"},"
		      "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{\"addressPrefixes\":"
		      "[\"172.16.0.0/24\"]}}}",
		      &e);
	assert_null(c);
	assert_true(has_error(&e, "virtualNetwork.dnsSuffixes: must be DNS names"));
	conf_errors_free(&e);
}

/* aadJwksUri over plain http only to this host, judged by the whole host name. */
static void test_aad_jwks_uri(void **state)
{
	(void)state;
	static const struct {
		const char *uri;
		bool ok;
	} cases[] = {
		{"https://login.microsoftonline.com/" TENANT "/discovery/keys", true},
		{"http://127.0.0.1:8080/jwks.json", true},
		{"http://localhost/jwks.json", true},
		{"http://[::1]:8080/keys", true},
		{"http://localhost.evil.example/jwks.json", false},
		{"http://127.evil.example/jwks.json", false},
		{"http://10.1.0.5/jwks.json", false},
		{"ftp://127.0.0.1/jwks.json", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = NULL;
		assert_true(
			asprintf(&json,
				 "{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{"
				 "\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.0.0/"
				 "24\"]},"
				 "\"vpnAuthenticationTypes\":[\"AAD\"],\"aadTenant\":"
				 "\"https://login.microsoftonline.com/" TENANT "\",\"aadIssuer\":"
				 "\"https://sts.windows.net/" TENANT "/\",\"aadAudience\":\"a\","
				 "\"aadJwksUri\":\"%s\"}}",
				 cases[i].uri) > 0);
		struct conf_errors e;
		struct gw_conf *c = load_text(json, &e);
		if (cases[i].ok != (c != NULL))
			fail_msg("%s: expected %s", cases[i].uri,
				 cases[i].ok ? "valid" : "refused");
		if (!c)
			assert_true(has_error(&e, CC "aadJwksUri: must be an https:// URL"));
		conf_free(c);
		conf_errors_free(&e);
		free(json);
	}
}

/* Azure's three AAD fields alone are valid: the keys are found by discovery. */
static void test_aad_azure_fields_only(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c = load_text(
		"{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
		"{\"addressPrefixes\":[\"172.16.0.0/24\"]},\"vpnAuthenticationTypes\":[\"AAD\"],"
		"\"aadTenant\":\"https://login.microsoftonline.com/" TENANT "\","
		"\"aadIssuer\":\"https://sts.windows.net/" TENANT "/\",\"aadAudience\":\"a\","
		"\"aadCaFile\":\"/dev/null\"}}",
		&e);
	assert_non_null(c);
	assert_null(c->aad_jwks_file);
	assert_null(c->aad_jwks_uri);
	assert_string_equal(c->aad_ca_file, "/dev/null");
	conf_free(c);
	conf_errors_free(&e);
	/* ...but a CA file that cannot be read is named. */
	c = load_text(
		"{\"gatewayFqdn\":\"v\",\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
		"{\"addressPrefixes\":[\"172.16.0.0/24\"]},\"vpnAuthenticationTypes\":[\"AAD\"],"
		"\"aadTenant\":\"https://login.microsoftonline.com/" TENANT "\","
		"\"aadIssuer\":\"https://sts.windows.net/" TENANT "/\",\"aadAudience\":\"a\","
		"\"aadCaFile\":\"/nonexistent/lab-ca.pem\"}}",
		&e);
	assert_null(c);
	assert_true(has_error(&e, CC "aadCaFile: cannot read /nonexistent/lab-ca.pem"));
	conf_errors_free(&e);
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c = load_text("{\"vpnType\":\"PolicyBased\",\"sku\":\"Nope\","
				      "\"listen\":{\"udpPort\":0},\"vpnClientConfiguration\":{}}",
				      &e);
	assert_null(c);
	assert_true(has_error(&e, "vpnType:"));
	assert_true(has_error(&e, "sku:"));
	assert_true(has_error(&e, "listen.udpPort:"));
	assert_true(has_error(&e, "gatewayFqdn:"));
	assert_true(has_error(&e, CC "vpnClientAddressPool.addressPrefixes:"));
	conf_errors_free(&e);
}

/* No vpnClientConfiguration: point-to-site is removed, which is valid; the
 * gateway's own fields are still checked. */
static void test_p2s_absent(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *c = load_text("{\"gatewayFqdn\":\"gw.test\"}", &e);
	assert_non_null(c);
	assert_true(c->p2s_absent);
	assert_int_equal(c->protocols, 0);
	assert_int_equal(c->auth_types, 0);
	conf_free(c);
	conf_errors_free(&e);
	c = load_text("{\"vpnType\":\"PolicyBased\",\"gatewayFqdn\":\"gw.test\"}", &e);
	assert_null(c);
	assert_true(has_error(&e, "vpnType:"));
	conf_errors_free(&e);
	c = load_text("{\"gatewayFqdn\":\"gw.test\",\"management\":{\"port\":0}}", &e);
	assert_null(c);
	assert_true(has_error(&e, "management.port:"));
	conf_errors_free(&e);
	c = load_text("{\"gatewayFqdn\":\"gw.test\",\"vpnClientConfiguration\":{}}", &e);
	assert_null(c); /* present but empty: its rules apply */
	assert_true(has_error(&e, CC "vpnClientAddressPool.addressPrefixes:"));
	conf_errors_free(&e);
}

/* The management listener is restart-only: a reload keeps the running
 * values (strings, ports and booleans alike) and names what differed. */
static void test_restart_fields_kept(void **state)
{
	(void)state;
	struct conf_errors e;
	struct gw_conf *o =
		load_text("{\"gatewayFqdn\":\"gw.test\",\"management\":{\"port\":9443}}", &e);
	conf_errors_free(&e);
	struct gw_conf *n = load_text("{\"gatewayFqdn\":\"gw.test\",\"management\":{\"port\":9000,"
				      "\"tls\":true,\"address\":\"0.0.0.0\"}}",
				      &e);
	conf_errors_free(&e);
	assert_non_null(o);
	assert_non_null(n);
	char note[256];
	assert_int_equal(conf_keep_restart_fields(o, n, note, sizeof(note)), 3);
	assert_int_equal(n->mgmt_port, 9443);
	assert_false(n->mgmt_tls);
	assert_string_equal(n->mgmt_address, "127.0.0.1");
	assert_string_equal(note, "management.address, management.port, management.tls");
	conf_free(o);
	conf_free(n);
}

static void test_sku_caps(void **state)
{
	(void)state;
	const char *names[] = {"VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5", "VpnGw3AZ"};
	unsigned caps[] = {250, 500, 1000, 5000, 10000, 1000};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(sku_lookup(names[i])->ikev2_openvpn_max, caps[i]);
		assert_int_equal(sku_lookup(names[i])->sstp_max, 128);
	}
	assert_int_equal(sku_lookup("Basic")->ikev2_openvpn_max, 0);
	struct conf_errors e;
	struct gw_conf *c = load_text("{\"sku\":\"Basic\",\"gatewayFqdn\":\"v\","
				      "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
				      "{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
				      "\"vpnClientProtocols\":[\"SSTP\"]}}",
				      &e);
	assert_non_null(c); /* Basic with SSTP and certificates is a valid gateway */
	conf_free(c);
	conf_errors_free(&e);
	assert_null(sku_lookup("VpnGw6"));
}

static void test_man_page_lists_fields(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	conf_schema_man(f);
	fclose(f);
	assert_non_null(strstr(buf, ".TH P2SGW.JSON 5"));
	assert_non_null(strstr(buf, "vpnClientConfiguration.vpnClientIpsecPolicies[].pfsGroup"));
	assert_non_null(strstr(buf, "virtualNetworkGatewayPolicyGroups[].policyMembers[]."
				    "attributeType"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_radius_single_policy),
		cmocka_unit_test(test_aad_rules),
		cmocka_unit_test(test_aad_azure_fields_only),
		cmocka_unit_test(test_aad_jwks_uri),
		cmocka_unit_test(test_dns_suffixes),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_p2s_absent),
		cmocka_unit_test(test_restart_fields_kept),
		cmocka_unit_test(test_sku_caps),
		cmocka_unit_test(test_man_page_lists_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
