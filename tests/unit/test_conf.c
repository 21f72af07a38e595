/* src/conf: loading, defaults, validation and the error paths it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "test_certgen.h"

#define POOL	"vpnClientConfiguration.vpnClientAddressPool.addressPrefixes"
#define ROOTS	"vpnClientConfiguration.vpnClientRootCertificates"
#define REVOKED "vpnClientConfiguration.vpnClientRevokedCertificates"

static char *ca_b64;   /* a self-signed CA */
static char *leaf_b64; /* a client certificate it issued: not a CA */
static uint8_t *ca_der;
static int ca_der_len;

static int group_setup(void **state)
{
	(void)state;
	EVP_PKEY *ck = tc_key(), *lk = tc_key();
	X509 *ca = ck ? tc_cert("P2S Test Root", ck, NULL, NULL, true, NULL, 1) : NULL;
	X509 *leaf = ca && lk ? tc_cert("alice", lk, ca, ck, false, "clientAuth", 2) : NULL;
	if (!leaf)
		return -1;
	ca_b64 = tc_der_b64(ca);
	leaf_b64 = tc_der_b64(leaf);
	ca_der = NULL;
	ca_der_len = i2d_X509(ca, &ca_der);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(lk);
	return ca_b64 && leaf_b64 && ca_der_len > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(ca_b64);
	free(leaf_b64);
	OPENSSL_free(ca_der);
	return 0;
}

/* printf-style JSON into a heap buffer. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	assert_true(vasprintf(&s, f, ap) > 0);
	va_end(ap);
	return s;
}

/* A minimal valid document: root_extra (members ending in a comma, or
 * empty) and a vpnClientConfiguration body given printf-style. */
static char *minimal(const char *root_extra, const char *client_fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *minimal(const char *root_extra, const char *client_fmt, ...)
{
	va_list ap;
	va_start(ap, client_fmt);
	char *client = NULL;
	assert_true(vasprintf(&client, client_fmt, ap) >= 0);
	va_end(ap);
	char *s = fmt("{\"gatewayFqdn\": \"gw.example.net\", %s"
		      "\"vpnClientConfiguration\": {%s}}",
		      root_extra, client);
	free(client);
	return s;
}

#define POOL_OK "\"vpnClientAddressPool\": {\"addressPrefixes\": [\"172.16.201.0/24\"]}"

static void dump_errors(const struct conf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("  error: %s\n", e->msg[i]);
}

/* Loads json expecting failure with an error whose path is exactly path
 * (and whose text contains needle, when given). Frees json. Returns the
 * number of errors. */
static size_t expect_error(char *json, const char *path, const char *needle)
{
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	if (c) {
		conf_free(c);
		fail_msg("accepted, expected an error at %s:\n%s", path, json);
	}
	assert_true(e.n >= 1);
	bool found = false;
	size_t plen = strlen(path);
	for (size_t i = 0; i < e.n; i++)
		if (strncmp(e.msg[i], path, plen) == 0 && strncmp(e.msg[i] + plen, ": ", 2) == 0 &&
		    (!needle || strstr(e.msg[i] + plen, needle)))
			found = true;
	if (!found) {
		dump_errors(&e);
		fail_msg("no error at \"%s\"%s%s", path, needle ? " mentioning " : "",
			 needle ? needle : "");
	}
	size_t n = e.n;
	conf_errors_free(&e);
	free(json);
	return n;
}

static struct gw_conf *expect_ok(char *json)
{
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	if (!c) {
		dump_errors(&e);
		fail_msg("refused:\n%s", json);
	}
	assert_int_equal(e.n, 0);
	conf_errors_free(&e);
	free(json);
	return c;
}

/* dataPlane.workers: 1 by default, 1..16 accepted, anything else refused
 * naming its path. */
static void test_data_plane_workers(void **state)
{
	(void)state;
	struct gw_conf *c = expect_ok(minimal("", POOL_OK));
	assert_int_equal(c->workers, 1);
	conf_free(c);
	c = expect_ok(minimal("\"dataPlane\": {\"workers\": 2},", POOL_OK));
	assert_int_equal(c->workers, 2);
	conf_free(c);
	expect_error(minimal("\"dataPlane\": {\"workers\": 0},", POOL_OK), "dataPlane.workers",
		     NULL);
	expect_error(minimal("\"dataPlane\": {\"workers\": 17},", POOL_OK), "dataPlane.workers",
		     NULL);
	expect_error(minimal("\"dataPlane\": {\"workers\": \"two\"},", POOL_OK),
		     "dataPlane.workers", NULL);
}

static void test_full_config(void **state)
{
	(void)state;
	char *json = fmt(
		"{\n"
		"  \"name\": \"gw-west\",\n"
		"  \"sku\": \"VpnGw2\",\n"
		"  \"vpnGatewayGeneration\": \"Generation2\",\n"
		"  \"vpnType\": \"RouteBased\",\n"
		"  \"gatewayFqdn\": \"gw-west.example.net\",\n"
		"  \"stateDirectory\": \"/srv/p2s\",\n"
		"  \"controlSocket\": \"/run/p2s.sock\",\n"
		"  \"logLevel\": \"debug\",\n"
		"  \"tunInterface\": \"vpn7\",\n"
		"  \"clientToClient\": true,\n"
		"  \"listen\": {\"address\": \"192.0.2.10\", \"tcpPort\": 8443, \"udpPort\": "
		"11194},\n"
		"  \"serverCertificate\": {\"certFile\": \"/etc/p2s/c.pem\", \"keyFile\": "
		"\"/etc/p2s/k.pem\"},\n"
		"  \"openvpn\": {\"tlsAuthKeyFile\": \"/etc/p2s/ta.key\", \"renegotiateSeconds\": "
		"7200, \"pingSeconds\": 15, \"pingRestartSeconds\": 120},\n"
		"  \"virtualNetwork\": {\"addressSpace\": [\"10.1.0.0/16\", \"10.2.0.0/24\"]},\n"
		"  \"customRoutes\": {\"addressPrefixes\": [\"192.168.50.0/24\"]},\n"
		"  \"vpnClientConfiguration\": {\n"
		"    \"vpnClientAddressPool\": {\"addressPrefixes\": [\"172.16.201.0/24\", "
		"\"100.64.8.0/22\"]},\n"
		"    \"vpnClientProtocols\": [\"OpenVPN\"],\n"
		"    \"vpnAuthenticationTypes\": [\"Certificate\"],\n"
		"    \"vpnClientRootCertificates\": [{\"name\": \"root-1\", \"publicCertData\": "
		"\"%s\"}],\n"
		"    \"vpnClientRevokedCertificates\": [{\"name\": \"lost-laptop\", "
		"\"thumbprint\": "
		"\"00112233445566778899AABBCCDDEEFF01234567\"}]\n"
		"  }\n"
		"}\n",
		ca_b64);
	struct gw_conf *c = expect_ok(json);
	assert_string_equal(c->name, "gw-west");
	assert_string_equal(c->sku, "VpnGw2");
	assert_string_equal(c->generation, "Generation2");
	assert_string_equal(c->vpn_type, "RouteBased");
	assert_string_equal(c->fqdn, "gw-west.example.net");
	assert_string_equal(c->state_dir, "/srv/p2s");
	assert_string_equal(c->control_socket, "/run/p2s.sock");
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->tun_name, "vpn7");
	assert_true(c->client_to_client);
	assert_string_equal(c->listen_addr, "192.0.2.10");
	assert_int_equal(c->tcp_port, 8443);
	assert_int_equal(c->udp_port, 11194);
	assert_string_equal(c->cert_file, "/etc/p2s/c.pem");
	assert_string_equal(c->key_file, "/etc/p2s/k.pem");
	assert_string_equal(c->tls_auth_file, "/etc/p2s/ta.key");
	assert_int_equal(c->reneg_sec, 7200);
	assert_int_equal(c->ping_sec, 15);
	assert_int_equal(c->ping_restart_sec, 120);
	assert_int_equal(c->vnet.n, 2);
	assert_int_equal(c->vnet.v[0].addr, 0x0a010000);
	assert_int_equal(c->vnet.v[0].len, 16);
	assert_int_equal(c->vnet.v[1].addr, 0x0a020000);
	assert_int_equal(c->vnet.v[1].len, 24);
	assert_int_equal(c->routes.n, 1);
	assert_int_equal(c->routes.v[0].addr, 0xc0a83200);
	assert_int_equal(c->pools.n, 2);
	assert_int_equal(c->pools.v[0].addr, 0xac10c900);
	assert_int_equal(c->pools.v[0].len, 24);
	assert_int_equal(c->pools.v[1].addr, 0x64400800);
	assert_int_equal(c->pools.v[1].len, 22);
	assert_int_equal(c->protocols, PROTO_OPENVPN);
	assert_int_equal(c->auth_types, AUTH_CERTIFICATE);
	assert_int_equal(c->roots.n, 1);
	assert_string_equal(c->roots.v[0].name, "root-1");
	assert_string_equal(c->roots.v[0].public_cert_data, ca_b64);
	assert_int_equal(c->roots.v[0].der_len, ca_der_len);
	assert_memory_equal(c->roots.v[0].der, ca_der, (size_t)ca_der_len);
	assert_int_equal(c->revoked.n, 1);
	assert_string_equal(c->revoked.v[0].name, "lost-laptop");
	assert_string_equal(c->revoked.v[0].thumbprint, "00112233445566778899AABBCCDDEEFF01234567");
	static const uint8_t tp[20] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
				       0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67};
	assert_memory_equal(c->revoked.v[0].sha1, tp, 20);
	conf_free(c);
}

static void test_defaults(void **state)
{
	(void)state;
	struct gw_conf *c = expect_ok(minimal("", POOL_OK));
	assert_int_equal(c->tcp_port, 443);
	assert_int_equal(c->udp_port, 1194);
	assert_string_equal(c->tun_name, "p2s0");
	assert_string_equal(c->sku, "VpnGw1");
	assert_string_equal(c->generation, "Generation1");
	assert_string_equal(c->vpn_type, "RouteBased");
	assert_string_equal(c->listen_addr, "0.0.0.0");
	assert_string_equal(c->log_level, "info");
	assert_string_equal(c->state_dir, "/var/lib/p2sgw");
	assert_int_equal(c->reneg_sec, 3600);
	assert_int_equal(c->ike_sa_life_sec, 28800); /* Azure's IKE SA lifetime */
	assert_int_equal(c->ping_sec, 10);
	assert_int_equal(c->ping_restart_sec, 60);
	assert_int_equal(c->protocols, PROTO_OPENVPN);
	assert_int_equal(c->auth_types, AUTH_CERTIFICATE);
	assert_false(c->client_to_client);
	assert_null(c->cert_file);
	assert_null(c->tls_auth_file);
	assert_int_equal(c->roots.n, 0);
	assert_int_equal(c->vnet.n, 0);
	conf_free(c);
}

static void test_embedded_default(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(conf_embedded_default, &e);
	if (!c)
		dump_errors(&e);
	assert_non_null(c);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->pools.n, 1);
	assert_int_equal(c->tcp_port, 443);
	assert_int_equal(c->protocols, PROTO_OPENVPN);
	assert_non_null(c->fqdn);
	conf_free(c);
	conf_errors_free(&e);
}

static void test_wrong_vpn_type(void **state)
{
	(void)state;
	expect_error(minimal("\"vpnType\": \"PolicyBased\",", POOL_OK), "vpnType", "RouteBased");
	expect_error(minimal("\"vpnType\": 1,", POOL_OK), "vpnType", "string");
}

static void test_unknown_field_did_you_mean(void **state)
{
	(void)state;
	expect_error(fmt("{\"gatewayFdqn\": \"gw.example.net\", \"vpnClientConfiguration\": "
			 "{" POOL_OK "}}"),
		     "gatewayFdqn", "did you mean \"gatewayFqdn\"");
	/* Nested tables suggest from their own fields. */
	expect_error(minimal("\"listen\": {\"tcpport\": 443},", POOL_OK), "listen.tcpport",
		     "did you mean \"tcpPort\"");
	/* Far from anything: no suggestion. */
	struct conf_errors e = {0};
	char *json = minimal("\"completelyUnrelatedName\": 1,", POOL_OK);
	assert_null(conf_load_string(json, &e));
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "completelyUnrelatedName: unknown field"));
	assert_null(strstr(e.msg[0], "did you mean"));
	conf_errors_free(&e);
	free(json);
}

static void test_bad_cidrs(void **state)
{
	(void)state;
	const char *bad[] = {
		"172.16.201.1/24", "172.16.201.0/33", "172.16.201.0",	  "172.16.0/24",
		"not-a-prefix",	   "172.16.201.0/-1", "172.16.201.0/24x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(minimal("",
				     "\"vpnClientAddressPool\": {\"addressPrefixes\": [\"%s\"]}",
				     bad[i]),
			     POOL "[0]", "CIDR");
	/* The index points at the bad element. */
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"172.16.201.0/24\", 7]}"),
		     POOL "[1]", NULL);
	expect_error(minimal("\"virtualNetwork\": {\"addressSpace\": \"10.0.0.0/8\"},", POOL_OK),
		     "virtualNetwork.addressSpace", "array");
}

static void test_public_pool(void **state)
{
	(void)state;
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"8.8.8.0/24\"]}"),
		     POOL "[0]", "private");
	/* Wider than a private block is not private either. */
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"172.0.0.0/11\"]}"),
		     POOL "[0]", "private");
	/* 100.64/10 (CGNAT) is allowed. */
	struct gw_conf *c = expect_ok(minimal("", "\"vpnClientAddressPool\": "
						  "{\"addressPrefixes\": [\"100.100.0.0/24\"]}"));
	conf_free(c);
}

static void test_pool_overlaps(void **state)
{
	(void)state;
	expect_error(minimal("\"virtualNetwork\": {\"addressSpace\": [\"10.1.0.0/16\"]},",
			     "\"vpnClientAddressPool\": {\"addressPrefixes\": [\"10.1.5.0/24\"]}"),
		     POOL "[0]", "virtualNetwork.addressSpace[0]");
	/* The pool containing the whole vnet overlaps too. */
	expect_error(minimal("\"virtualNetwork\": {\"addressSpace\": [\"192.168.0.0/24\", "
			     "\"10.1.2.0/24\"]},",
			     "\"vpnClientAddressPool\": {\"addressPrefixes\": [\"10.0.0.0/8\"]}"),
		     POOL "[0]", "virtualNetwork.addressSpace[1]");
	expect_error(minimal("\"customRoutes\": {\"addressPrefixes\": [\"172.16.201.128/25\"]},",
			     POOL_OK),
		     POOL "[0]", "customRoutes.addressPrefixes[0]");
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"172.16.0.0/16\", \"172.16.9.0/24\"]}"),
		     POOL "[1]", POOL "[0]");
	/* Adjacent is fine. */
	struct gw_conf *c = expect_ok(
		minimal("\"virtualNetwork\": {\"addressSpace\": [\"172.16.200.0/24\"]},", POOL_OK));
	conf_free(c);
}

static void test_pool_too_small(void **state)
{
	(void)state;
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"172.16.201.0/30\"]}"),
		     POOL "[0]", "/29");
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": "
				 "[\"172.16.201.4/32\"]}"),
		     POOL "[0]", NULL);
	expect_error(minimal("", "\"vpnClientAddressPool\": {\"addressPrefixes\": []}"), POOL,
		     "required");
	struct gw_conf *c = expect_ok(minimal("", "\"vpnClientAddressPool\": "
						  "{\"addressPrefixes\": [\"172.16.201.8/29\"]}"));
	conf_free(c);
}

static char *with_root(const char *data)
{
	return minimal("",
		       POOL_OK ", \"vpnClientRootCertificates\": [{\"name\": \"r\", "
			       "\"publicCertData\": \"%s\"}]",
		       data);
}

static void test_root_cert_errors(void **state)
{
	(void)state;
	expect_error(with_root("!!!not base64!!!"), ROOTS "[0].publicCertData", "base64");
	expect_error(with_root("QUJD"), ROOTS "[0].publicCertData", "X.509"); /* "ABC" */
	expect_error(with_root(""), ROOTS "[0].publicCertData", NULL);
	/* Valid certificate, but a leaf: CA:TRUE is required of a root. */
	expect_error(with_root(leaf_b64), ROOTS "[0].publicCertData", "CA");
	/* Trailing bytes after the DER. */
	char *padded = fmt("%sQUJD", ca_b64);
	size_t n = strlen(ca_b64);
	if (ca_b64[n - 1] != '=') /* only meaningful without padding */
		expect_error(with_root(padded), ROOTS "[0].publicCertData", NULL);
	free(padded);
	/* Missing data and missing name. */
	expect_error(minimal("", POOL_OK ", \"vpnClientRootCertificates\": [{\"name\": \"r\"}]"),
		     ROOTS "[0].publicCertData", "required");
	expect_error(minimal("",
			     POOL_OK ", \"vpnClientRootCertificates\": "
				     "[{\"publicCertData\": \"%s\"}]",
			     ca_b64),
		     ROOTS "[0].name", NULL);
	expect_error(minimal("", POOL_OK ", \"vpnClientRootCertificates\": {}"), ROOTS, "array");
}

static void test_root_cert_with_newlines(void **state)
{
	(void)state;
	/* Base64 pasted from a PEM body keeps its line breaks. */
	size_t n = strlen(ca_b64);
	char *wrapped = malloc(n + n / 64 * 2 + 1);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		wrapped[w++] = ca_b64[i];
		if (i % 64 == 63) {
			wrapped[w++] = '\\';
			wrapped[w++] = 'n';
		}
	}
	wrapped[w] = 0;
	struct gw_conf *c = expect_ok(with_root(wrapped));
	assert_int_equal(c->roots.n, 1);
	assert_memory_equal(c->roots.v[0].der, ca_der, (size_t)ca_der_len);
	conf_free(c);
	free(wrapped);
}

static char *with_revoked(const char *tp)
{
	return minimal("",
		       POOL_OK ", \"vpnClientRevokedCertificates\": [{\"name\": \"x\", "
			       "\"thumbprint\": \"%s\"}]",
		       tp);
}

static void test_revoked_thumbprint(void **state)
{
	(void)state;
	const char *bad[] = {
		"00112233445566778899AABBCCDDEEFF0123456",    /* 39 digits */
		"00112233445566778899AABBCCDDEEFF012345",     /* 38 */
		"00112233445566778899AABBCCDDEEFF0123456789", /* 42 */
		"00112233445566778899AABBCCDDEEFF012345ZZ",   /* not hex */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(with_revoked(bad[i]), REVOKED "[0].thumbprint", "40 hex");
	expect_error(minimal("", POOL_OK ", \"vpnClientRevokedCertificates\": [{\"name\": \"x\", "
					 "\"thumbprint\": 5}]"),
		     REVOKED "[0].thumbprint", NULL);
	/* The second entry is the bad one. */
	expect_error(minimal("", POOL_OK ", \"vpnClientRevokedCertificates\": ["
					 "{\"name\": \"a\", \"thumbprint\": "
					 "\"00112233445566778899AABBCCDDEEFF01234567\"},"
					 "{\"name\": \"b\", \"thumbprint\": \"00\"}]"),
		     REVOKED "[1].thumbprint", NULL);
}

static void test_revoked_thumbprint_forms(void **state)
{
	(void)state;
	/* As copied from certmgr (spaces), openssl (colons) or lowercase. */
	const char *forms[] = {
		"00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 01 23 45 67",
		"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:01:23:45:67",
		"00112233445566778899aabbccddeeff01234567",
		"00112233445566778899AaBbCcDdEeFf01234567",
	};
	static const uint8_t tp[20] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
				       0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct gw_conf *c = expect_ok(with_revoked(forms[i]));
		assert_int_equal(c->revoked.n, 1);
		assert_string_equal(c->revoked.v[0].name, "x");
		assert_memory_equal(c->revoked.v[0].sha1, tp, 20);
		conf_free(c);
	}
}

static void test_sku_generation(void **state)
{
	(void)state;
	expect_error(
		minimal("\"sku\": \"VpnGw4\", \"vpnGatewayGeneration\": \"Generation1\",", POOL_OK),
		"sku", "Generation1");
	expect_error(minimal("\"sku\": \"VpnGw9\",", POOL_OK), "sku", "is not one of");
	expect_error(minimal("\"sku\": \"vpngw1\",", POOL_OK), "sku", "is not one of");
	expect_error(minimal("\"sku\": 2,", POOL_OK), "sku", "string");
	expect_error(minimal("\"vpnGatewayGeneration\": \"Generation3\",", POOL_OK),
		     "vpnGatewayGeneration", NULL);
	/* Basic offers neither OpenVPN nor IKEv2. */
	expect_error(minimal("\"sku\": \"Basic\",", POOL_OK),
		     "vpnClientConfiguration.vpnClientProtocols", "Basic");
	struct gw_conf *c = expect_ok(minimal(
		"\"sku\": \"VpnGw4\", \"vpnGatewayGeneration\": \"Generation2\",", POOL_OK));
	assert_string_equal(c->sku, "VpnGw4");
	conf_free(c);
	c = expect_ok(minimal("\"sku\": \"VpnGw3AZ\", \"vpnGatewayGeneration\": \"Generation1\",",
			      POOL_OK));
	conf_free(c);
	assert_null(sku_lookup("VpnGw6"));
	assert_int_equal(sku_lookup("VpnGw5")->ikev2_openvpn_max, 10000);
}

static void test_multiple_errors(void **state)
{
	(void)state;
	/* Semantic errors: all of them, not just the first. */
	size_t n = expect_error(
		minimal("\"vpnType\": \"PolicyBased\", \"sku\": \"Nope\", "
			"\"tunInterface\": \"a-name-that-is-far-too-long\",",
			"\"vpnClientAddressPool\": {\"addressPrefixes\": [\"8.8.8.0/30\"]}"),
		"vpnType", NULL);
	assert_true(n >= 5);
	/* Schema errors in several places. */
	struct conf_errors e = {0};
	char *json = fmt("{\"gatewayFqdn\": 1, \"listen\": {\"tcpPort\": 0, \"udpPort\": 70000},"
			 " \"clientToClient\": \"yes\", \"vpnClientConfiguration\": "
			 "{\"vpnClientProtocols\": [\"OpenVPN\", \"Foo\", \"OpenVPN\"]}}");
	assert_null(conf_load_string(json, &e));
	const char *paths[] = {"gatewayFqdn: ",
			       "listen.tcpPort: ",
			       "listen.udpPort: ",
			       "clientToClient: ",
			       "vpnClientConfiguration.vpnClientProtocols[1]: ",
			       "vpnClientConfiguration.vpnClientProtocols[2]: "};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		bool found = false;
		for (size_t k = 0; k < e.n; k++)
			found |= strncmp(e.msg[k], paths[i], strlen(paths[i])) == 0;
		if (!found) {
			dump_errors(&e);
			fail_msg("no error at %s", paths[i]);
		}
	}
	assert_true(e.n >= 6);
	conf_errors_free(&e);
	free(json);
}

static void test_protocols_and_auth(void **state)
{
	(void)state;
	/* All three tunnels are served: accepted without a warning. */
	struct conf_errors w = {0};
	char *all =
		minimal("", POOL_OK ", \"vpnClientProtocols\": [\"IkeV2\", \"SSTP\", \"OpenVPN\"]");
	struct gw_conf *c = conf_load_string(all, &w);
	assert_non_null(c);
	assert_int_equal(c->protocols, PROTO_OPENVPN | PROTO_SSTP | PROTO_IKEV2);
	assert_int_equal(w.n_warn, 0);
	conf_free(c);
	conf_errors_free(&w);
	free(all);
	expect_error(minimal("", POOL_OK ", \"vpnClientProtocols\": []"),
		     "vpnClientConfiguration.vpnClientProtocols", "required");
	expect_error(minimal("", POOL_OK ", \"vpnClientProtocols\": [\"L2TP\"]"),
		     "vpnClientConfiguration.vpnClientProtocols[0]", "expected one of");
	/* AAD needs its tenant, issuer and audience, and the OpenVPN tunnel. */
	expect_error(minimal("", POOL_OK ", \"vpnAuthenticationTypes\": [\"AAD\"]"),
		     "vpnClientConfiguration.aadTenant", NULL);
	expect_error(minimal("", POOL_OK ", \"vpnAuthenticationTypes\": [\"AAD\"], "
					 "\"vpnClientProtocols\": [\"IkeV2\"]"),
		     "vpnClientConfiguration.vpnAuthenticationTypes", "OpenVPN");
	expect_error(minimal("", POOL_OK ", \"vpnAuthenticationTypes\": []"),
		     "vpnClientConfiguration.vpnAuthenticationTypes", "required");
}

static void test_server_cert_rules(void **state)
{
	(void)state;
	/* With its own server certificate the gateway needs an uploaded root. */
	expect_error(minimal("\"serverCertificate\": {\"certFile\": \"/c\", \"keyFile\": \"/k\"},",
			     POOL_OK),
		     ROOTS, "root");
	expect_error(minimal("\"serverCertificate\": {\"certFile\": \"/c\"},",
			     POOL_OK ", \"vpnClientRootCertificates\": []"),
		     "serverCertificate.keyFile", NULL);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	assert_null(conf_load_string("{\"name\": ", &e));
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "line 1"));
	conf_errors_free(&e);
	/* Duplicate keys are refused rather than silently overriding. */
	assert_null(conf_load_string("{\"name\": \"a\", \"name\": \"b\"}", &e));
	assert_int_equal(e.n, 1);
	conf_errors_free(&e);
	assert_null(conf_load_string("[1, 2]", &e));
	assert_true(e.n >= 1);
	conf_errors_free(&e);
	assert_null(conf_load_string("", &e));
	assert_true(e.n >= 1);
	conf_errors_free(&e);
	expect_error(minimal("\"listen\": 5,", POOL_OK), "listen", "object");
}

static void test_arm_form(void **state)
{
	(void)state;
	char *json =
		fmt("{\"name\": \"gw-arm\", \"id\": \"/subscriptions/0/resourceGroups/rg/providers/"
		    "Microsoft.Network/virtualNetworkGateways/gw-arm\", \"type\": "
		    "\"Microsoft.Network/virtualNetworkGateways\", \"location\": \"westeurope\", "
		    "\"properties\": {\"gatewayFqdn\": \"gw-arm.example.net\", \"vpnType\": "
		    "\"RouteBased\", \"vpnClientConfiguration\": {" POOL_OK ", "
		    "\"vpnClientRootCertificates\": [{\"name\": \"root-arm\", \"id\": \"/x\", "
		    "\"etag\": \"W/1\", \"properties\": {\"publicCertData\": \"%s\"}}], "
		    "\"vpnClientRevokedCertificates\": [{\"name\": \"gone\", \"properties\": "
		    "{\"thumbprint\": \"0011223344556677889900112233445566778899\"}}]}}}",
		    ca_b64);
	struct gw_conf *c = expect_ok(json);
	assert_string_equal(c->name, "gw-arm");
	assert_string_equal(c->fqdn, "gw-arm.example.net");
	assert_int_equal(c->roots.n, 1);
	assert_string_equal(c->roots.v[0].name, "root-arm");
	assert_memory_equal(c->roots.v[0].der, ca_der, (size_t)ca_der_len);
	assert_int_equal(c->revoked.n, 1);
	assert_string_equal(c->revoked.v[0].name, "gone");
	assert_int_equal(c->revoked.v[0].sha1[19], 0x99);
	conf_free(c);
}

static bool has_line(char **v, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(v[i], needle))
			return true;
	return false;
}

/* What `az network vnet-gateway show` prints: accepted with warnings only,
 * every ignored Azure field named in ONE warning. */
static void test_azure_export(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_file(AZURE_EXPORT, &e);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "unexpected: %s\n", e.msg[i]);
	assert_non_null(c);
	assert_string_equal(c->sku, "VpnGw1");
	assert_string_equal(c->name, "contoso-p2s-vpngw");
	assert_int_equal(c->roots.n, 1);
	assert_int_equal(c->revoked.n, 1);
	assert_int_equal(c->protocols, PROTO_OPENVPN | PROTO_IKEV2);
	assert_null(c->aad_tenant); /* null: not set */
	assert_non_null(c->fqdn);   /* this host's name, with a warning */
	size_t lists = 0;
	for (size_t i = 0; i < e.n_warn; i++)
		lists += strstr(e.warn[i], "Azure field(s) p2sgw does not use") != NULL;
	assert_int_equal(lists, 1);
	const char *named[] = {"bgpSettings",
			       "ipConfigurations",
			       "enableBgp",
			       "gatewayType",
			       "natRules",
			       "sku.tier",
			       "sku.capacity",
			       "resourceGuid",
			       "tags",
			       "vpnClientConfiguration.vpnClientRootCertificates[].etag",
			       "vpnClientConfiguration.vpnClientRevokedCertificates[].id"};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		assert_true(has_line(e.warn, e.n_warn, named[i]));
	assert_true(has_line(e.warn, e.n_warn, "gatewayFqdn: not in Azure's export"));
	conf_errors_free(&e);
	conf_free(c);
}

/* Fields neither Azure's nor ours stay errors, inside Azure's objects too. */
static void test_azure_export_unknown_fields(void **state)
{
	(void)state;
	char *text = fmt("{\"sku\": {\"name\": \"VpnGw2\", \"tier\": \"VpnGw2\", "
			 "\"size\": 3}, \"enableBgp\": false, \"bgpSetings\": {}, "
			 "\"gatewayFqdn\": \"v\", \"vpnClientConfiguration\": {" POOL_OK
			 ", \"vpnClientRootCertificates\": [{\"name\": \"r\", \"etag\": "
			 "\"W/1\", \"owner\": \"x\"}]}}");
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(text, &e);
	free(text);
	assert_null(c);
	assert_true(has_line(e.msg, e.n, "sku.size: unknown field"));
	assert_true(has_line(e.msg, e.n, "bgpSetings: unknown field; did you mean"));
	assert_true(has_line(e.msg, e.n, "vpnClientRootCertificates[0].owner: unknown field"));
	conf_errors_free(&e);
	/* A SKU object with a name p2sgw does not know names its path. */
	expect_error(minimal("\"sku\": {\"name\": \"VpnGw9\"},", POOL_OK), "sku.name",
		     "is not one of");
}

/* config import: the p2sgw form loads without Azure warnings, and writing it
 * again gives the same text. */
static void test_dump_round_trip(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_file(AZURE_EXPORT, &e);
	assert_non_null(c);
	conf_errors_free(&e);
	char *first = conf_dump(c);
	conf_free(c);
	c = conf_load_string(first, &e);
	assert_non_null(c);
	assert_false(has_line(e.warn, e.n_warn, "Azure field"));
	assert_false(has_line(e.warn, e.n_warn, "gatewayFqdn"));
	assert_int_equal(c->roots.n, 1);
	assert_int_equal(c->pools.n, 1);
	assert_int_equal(c->pools.v[0].len, 24);
	char *second = conf_dump(c);
	assert_string_equal(first, second);
	assert_non_null(strstr(first, "\"stateDirectory\": \"/var/lib/p2sgw\""));
	assert_null(strstr(first, "bgpSettings"));
	free(first);
	free(second);
	conf_errors_free(&e);
	conf_free(c);
}

/* IPv6 prefixes share the JSON arrays with IPv4 ones: the written form
 * keeps both families. */
static void test_dump_keeps_ipv6(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	char *json =
		minimal("\"virtualNetwork\": {\"addressSpace\": [\"10.1.0.0/16\", "
			"\"fd00:10:1::/64\"]},",
			"\"vpnClientAddressPool\": {\"addressPrefixes\": [\"172.16.201.0/24\", "
			"\"fd00:172:16::/112\"]}");
	struct gw_conf *c = conf_load_string(json, &e);
	free(json);
	dump_errors(&e);
	assert_non_null(c);
	char *text = conf_dump(c);
	conf_free(c);
	conf_errors_free(&e);
	c = conf_load_string(text, &e);
	assert_non_null(c);
	assert_int_equal(c->pools.n, 1);
	assert_int_equal(c->pools6.n, 1);
	assert_int_equal(c->pools6.v[0].len, 112);
	assert_int_equal(c->vnet6.n, 1);
	assert_non_null(strstr(text, "\"fd00:172:16::/112\""));
	free(text);
	conf_errors_free(&e);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_data_plane_workers),
		cmocka_unit_test(test_dump_keeps_ipv6),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_wrong_vpn_type),
		cmocka_unit_test(test_unknown_field_did_you_mean),
		cmocka_unit_test(test_bad_cidrs),
		cmocka_unit_test(test_public_pool),
		cmocka_unit_test(test_pool_overlaps),
		cmocka_unit_test(test_pool_too_small),
		cmocka_unit_test(test_root_cert_errors),
		cmocka_unit_test(test_root_cert_with_newlines),
		cmocka_unit_test(test_revoked_thumbprint),
		cmocka_unit_test(test_revoked_thumbprint_forms),
		cmocka_unit_test(test_sku_generation),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_protocols_and_auth),
		cmocka_unit_test(test_server_cert_rules),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_arm_form),
		cmocka_unit_test(test_azure_export),
		cmocka_unit_test(test_azure_export_unknown_fields),
		cmocka_unit_test(test_dump_round_trip),
	};
	return cmocka_run_group_tests_name("conf", tests, group_setup, group_teardown);
}
