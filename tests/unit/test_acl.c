/* Access rules: first match decides, no match refuses, counters move; the
 * configuration names a bad port list by its JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "tunnel/acl.h"

static size_t ip4(uint8_t *out, uint8_t proto, uint32_t dst, uint16_t port, uint16_t frag)
{
	uint8_t h[28] = {0x45, 0, 0, 28, 0, 1, (uint8_t)(frag >> 8), (uint8_t)frag, 64, proto};
	uint32_t d = htonl(dst);
	memcpy(h + 16, &d, 4);
	h[22] = (uint8_t)(port >> 8); /* TCP/UDP destination port */
	h[23] = (uint8_t)port;
	memcpy(out, h, sizeof(h));
	return sizeof(h);
}

static struct gw_conf *load(const char *rules)
{
	char json[2048];
	snprintf(json, sizeof(json),
		 "{\"gatewayFqdn\":\"g\",\"virtualNetworkGatewayPolicyGroups\":[{\"name\":\"eng\","
		 "\"isDefault\":true,\"accessRules\":%s}],\"vpnClientConfiguration\":{"
		 "\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.201.0/24\"]}}}",
		 rules);
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	for (size_t i = 0; i < e.n; i++)
		print_message("  %s\n", e.msg[i]);
	conf_errors_free(&e);
	return c;
}

static void test_first_match_and_default_refusal(void **state)
{
	(void)state;
	struct gw_conf *c = load(
		"[{\"name\":\"no-ssh\",\"action\":\"Deny\",\"protocols\":[\"TCP\"],"
		"\"destinationPorts\":\"22\"},"
		"{\"name\":\"web\",\"destinationPrefixes\":[\"10.1.0.10/32\",\"fd00:10:1::/64\"],"
		"\"protocols\":[\"TCP\"],\"destinationPorts\":\"80,8000-8080\"},"
		"{\"name\":\"ping\",\"protocols\":[\"ICMP\"]}]");
	assert_non_null(c);
	struct acl a;
	assert_int_equal(acl_compile(&a, &c->policy_groups.v[0]), 0);
	uint8_t p[64];
	uint32_t host = 0x0a01000a;
	assert_true(acl_allows(&a, p, ip4(p, 6, host, 80, 0)));
	assert_true(acl_allows(&a, p, ip4(p, 6, host, 8080, 0)));
	assert_false(acl_allows(&a, p, ip4(p, 6, host, 22, 0)));      /* denied by rule */
	assert_false(acl_allows(&a, p, ip4(p, 6, host, 81, 0)));      /* no rule */
	assert_false(acl_allows(&a, p, ip4(p, 6, host + 1, 80, 0)));  /* another host */
	assert_false(acl_allows(&a, p, ip4(p, 17, host, 80, 0)));     /* UDP */
	assert_true(acl_allows(&a, p, ip4(p, 1, 0x0a010063, 0, 0)));  /* ICMP anywhere */
	assert_false(acl_allows(&a, p, ip4(p, 6, host, 80, 0x0010))); /* a later fragment */
	assert_int_equal(a.rules[0].hits, 1);
	assert_int_equal(a.rules[1].hits, 2);
	assert_int_equal(a.rules[2].hits, 1);
	assert_int_equal(a.unmatched, 4);
	acl_free(&a);
	conf_free(c);
}

static void test_ipv6_rule(void **state)
{
	(void)state;
	struct gw_conf *c = load("[{\"destinationPrefixes\":[\"fd00:10:1::/64\"],"
				 "\"protocols\":[\"TCP\"],\"destinationPorts\":\"443\"}]");
	assert_non_null(c);
	struct acl a;
	assert_int_equal(acl_compile(&a, &c->policy_groups.v[0]), 0);
	uint8_t p[60] = {0x60, 0, 0, 0, 0, 20, 6, 64};
	inet_pton(AF_INET6, "fd00:10:1::10", p + 24);
	p[42] = 443 >> 8;
	p[43] = 443 & 0xff;
	assert_true(acl_allows(&a, p, sizeof(p)));
	inet_pton(AF_INET6, "fd00:99::10", p + 24);
	assert_false(acl_allows(&a, p, sizeof(p)));
	assert_false(acl_allows(&a, p, 30)); /* truncated */
	acl_free(&a);
	conf_free(c);
}

static void test_no_rules_no_acl(void **state)
{
	(void)state;
	struct gw_conf *c = load("[]");
	assert_non_null(c);
	struct acl a;
	assert_true(acl_compile(&a, &c->policy_groups.v[0]) < 0);
	conf_free(c);
}

static void test_bad_ports_named(void **state)
{
	(void)state;
	const char *bad[] = {"\"0\"", "\"22,\"", "\"80-70\"", "\"http\"", "\"65536\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rules[128];
		snprintf(rules, sizeof(rules), "[{\"destinationPorts\":%s}]", bad[i]);
		char json[1024];
		snprintf(json, sizeof(json),
			 "{\"gatewayFqdn\":\"g\",\"virtualNetworkGatewayPolicyGroups\":[{\"name\":"
			 "\"eng\",\"isDefault\":true,\"accessRules\":%s}],"
			 "\"vpnClientConfiguration\":"
			 "{\"vpnClientAddressPool\":{\"addressPrefixes\":[\"172.16.201.0/24\"]}}}",
			 rules);
		struct conf_errors e = {0};
		struct gw_conf *c = conf_load_string(json, &e);
		assert_null(c);
		assert_true(e.n >= 1);
		assert_non_null(strstr(e.msg[0],
				       "virtualNetworkGatewayPolicyGroups[0].accessRules[0]."
				       "destinationPorts"));
		conf_errors_free(&e);
	}
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(
		"{\"gatewayFqdn\":\"g\",\"virtualNetworkGatewayPolicyGroups\":[{\"name\":\"eng\","
		"\"isDefault\":true,\"accessRules\":[{\"protocols\":[\"ICMP\"],"
		"\"destinationPorts\":"
		"\"22\"}]}],\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{"
		"\"addressPrefixes\":"
		"[\"172.16.201.0/24\"]}}}",
		&e);
	assert_null(c);
	assert_non_null(strstr(e.msg[0], "ports need TCP or UDP"));
	conf_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match_and_default_refusal),
		cmocka_unit_test(test_ipv6_rule),
		cmocka_unit_test(test_no_rules_no_acl),
		cmocka_unit_test(test_bad_ports_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
