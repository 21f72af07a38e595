/* IPv6 in the configuration: prefixes land in the parallel IPv6 lists with
 * their JSON index, and each rule has a passing and a failing case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "conf/conf.h"

/* A dual-stack configuration; SKU, pool, vnet, routes and the group pools
 * are filled in per case. */
#define CONF(sku, pool, vnet, routes, conns)                                                       \
	"{\"name\":\"gw\",\"sku\":\"" sku "\",\"gatewayFqdn\":\"vpn.example\","                    \
	"\"virtualNetwork\":{\"addressSpace\":[" vnet "]},"                                        \
	"\"customRoutes\":{\"addressPrefixes\":[" routes "]},"                                     \
	"\"virtualNetworkGatewayPolicyGroups\":[{\"name\":\"g\",\"isDefault\":true}],"             \
	"\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{\"addressPrefixes\":[" pool "]},"   \
	"\"vpnClientProtocols\":[\"OpenVPN\"],\"vpnAuthenticationTypes\":[\"Certificate\"],"       \
	"\"vngClientConnectionConfigurations\":[" conns "]}}"

#define V4POOL "\"172.16.201.0/24\""
#define V6POOL "\"fd00:201::/64\""
#define VNET   "\"10.1.0.0/16\",\"fd00:10:1::/64\""
#define ROUTES "\"10.2.0.0/16\",\"fd00:10:2::/48\""
#define CONN(prefixes)                                                                             \
	"{\"name\":\"c\",\"vpnClientAddressPool\":{\"addressPrefixes\":[" prefixes "]},"           \
	"\"virtualNetworkGatewayPolicyGroups\":[{\"id\":\"g\"}]}"

#define CC   "vpnClientConfiguration."
#define POOL CC "vpnClientAddressPool.addressPrefixes"
#define CP0  CC "vngClientConnectionConfigurations[0].vpnClientAddressPool.addressPrefixes"

struct case6 {
	const char *what;
	const char *json;
	const char *error; /* prefix of an expected error; NULL: loads */
};

static const struct case6 cases[] = {
	{"dual stack loads", CONF("VpnGw1", V4POOL "," V6POOL, VNET, ROUTES, ""), NULL},
	{"group pool dual stack loads",
	 CONF("VpnGw1", V4POOL "," V6POOL, VNET, ROUTES, CONN("\"10.50.0.0/24\",\"fd00:50::/64\"")),
	 NULL},
	{"/120 pool loads", CONF("VpnGw1", V4POOL ",\"fd00:201::/120\"", VNET, ROUTES, ""), NULL},
	{"Basic refuses an IPv6 pool", CONF("Basic", V4POOL "," V6POOL, "\"10.1.0.0/16\"", "", ""),
	 POOL "[1]: the Basic SKU does not support IPv6"},
	{"Basic refuses an IPv6 vnet", CONF("Basic", V4POOL, VNET, "", ""),
	 "virtualNetwork.addressSpace[1]: the Basic SKU does not support IPv6"},
	{"Basic refuses an IPv6 route", CONF("Basic", V4POOL, "\"10.1.0.0/16\"", ROUTES, ""),
	 "customRoutes.addressPrefixes[1]: the Basic SKU does not support IPv6"},
	{"Basic refuses an IPv6 group pool",
	 CONF("Basic", V4POOL, "\"10.1.0.0/16\"", "", CONN("\"10.50.0.0/24\",\"fd00:50::/64\"")),
	 CP0 "[1]: the Basic SKU does not support IPv6"},
	{"Basic IPv4 only still loads past IPv6 rules",
	 CONF("Basic", V4POOL, "\"10.1.0.0/16\"", "", ""), CC "vpnClientProtocols:"},
	{"two IPv6 prefixes in one pool",
	 CONF("VpnGw1", V4POOL "," V6POOL ",\"fd00:202::/64\"", VNET, ROUTES, ""),
	 POOL "[2]: a pool takes at most one IPv6 prefix"},
	{"two IPv6 prefixes in a group pool",
	 CONF("VpnGw1", V4POOL, VNET, ROUTES,
	      CONN("\"fd00:50::/64\",\"10.50.0.0/24\",\"fd00:51::/64\"")),
	 CP0 "[2]: a pool takes at most one IPv6 prefix"},
	{"IPv6-only group pool", CONF("VpnGw1", V4POOL, VNET, ROUTES, CONN("\"fd00:50::/64\"")),
	 CP0 "[0]: an IPv6 prefix needs an IPv4 one"},
	{"IPv6 pool too large", CONF("VpnGw1", V4POOL ",\"fd00:201::/56\"", VNET, ROUTES, ""),
	 POOL "[1]: an IPv6 pool must be /64 to /120"},
	{"IPv6 pool too small", CONF("VpnGw1", V4POOL ",\"fd00:201::/124\"", VNET, ROUTES, ""),
	 POOL "[1]: an IPv6 pool must be /64 to /120"},
	{"link-local pool", CONF("VpnGw1", V4POOL ",\"fe80::/64\"", VNET, ROUTES, ""),
	 POOL "[1]: must be a unicast prefix"},
	{"multicast route", CONF("VpnGw1", V4POOL "," V6POOL, VNET, "\"ff05::/16\"", ""),
	 "customRoutes.addressPrefixes[0]: must be a unicast prefix"},
	{"pool overlaps the vnet",
	 CONF("VpnGw1", V4POOL ",\"fd00:10:1::/64\"", VNET, "\"10.2.0.0/16\"", ""),
	 "virtualNetwork.addressSpace[1]: overlaps " POOL "[1]"},
	{"pool overlaps a route", CONF("VpnGw1", V4POOL ",\"fd00:10:2:5::/64\"", VNET, ROUTES, ""),
	 "customRoutes.addressPrefixes[1]: overlaps " POOL "[1]"},
	{"group pool overlaps the main pool",
	 CONF("VpnGw1", V4POOL "," V6POOL, VNET, ROUTES,
	      CONN("\"10.50.0.0/24\",\"fd00:201::/120\"")),
	 CP0 "[1]: overlaps " POOL "[1]"},
	{"host bits set", CONF("VpnGw1", V4POOL ",\"fd00:201::1/64\"", VNET, ROUTES, ""),
	 POOL "[1]: must be an IPv4 CIDR such as 10.1.0.0/16 or an IPv6 one"},
	{"not an address", CONF("VpnGw1", V4POOL ",\"fd00:zz::/64\"", VNET, ROUTES, ""),
	 POOL "[1]: must be an IPv4 CIDR"},
	{"IPv6 only main pool", CONF("VpnGw1", V6POOL, VNET, ROUTES, ""), POOL ":"},
};

static bool has_error(const struct conf_errors *e, const char *prefix)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static void run_case(const struct case6 *c)
{
	struct conf_errors e = {0};
	struct gw_conf *conf = conf_load_string(c->json, &e);
	bool ok = c->error ? conf == NULL && has_error(&e, c->error) : conf != NULL;
	if (!ok) {
		fprintf(stderr, "%s: expected %s%s; got:\n", c->what, c->error ? "" : "no error",
			c->error ? c->error : "");
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "  %s\n", e.msg[i]);
	}
	assert_true(ok);
	conf_errors_free(&e);
	conf_free(conf);
}

static void test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void assert_prefix6(const struct prefix6 *p, const char *addr, uint8_t len)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, addr, &a), 1);
	assert_memory_equal(&p->addr, &a, 16);
	assert_int_equal(p->len, len);
}

/* Each family goes to its own list; the IPv6 one remembers JSON indexes. */
static void test_parallel_lists(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(CONF("VpnGw1", V6POOL "," V4POOL, VNET, ROUTES,
						  CONN("\"10.50.0.0/24\",\"fd00:50::/64\"")),
					     &e);
	assert_non_null(c);
	assert_int_equal(c->pools.n, 1);
	assert_int_equal(c->pools6.n, 1);
	assert_prefix6(&c->pools6.v[0], "fd00:201::", 64);
	assert_int_equal(c->pools6.at[0], 0);
	assert_int_equal(c->vnet.n, 1);
	assert_int_equal(c->vnet6.n, 1);
	assert_int_equal(c->vnet6.at[0], 1);
	assert_prefix6(&c->vnet6.v[0], "fd00:10:1::", 64);
	assert_int_equal(c->routes6.n, 1);
	assert_prefix6(&c->routes6.v[0], "fd00:10:2::", 48);
	assert_int_equal(c->client_connections.n, 1);
	assert_int_equal(c->client_connections.v[0].pool.n, 1);
	assert_int_equal(c->client_connections.v[0].pool6.n, 1);
	assert_prefix6(&c->client_connections.v[0].pool6.v[0], "fd00:50::", 64);
	conf_errors_free(&e);
	conf_free(c);
}

/* dnsServers takes IPv6 addresses beside the IPv4 ones (IKEv2 hands them
 * to clients with an IPv6 address); anything else is refused. */
static void test_dns_servers6(void **state)
{
	(void)state;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(
		"{\"gatewayFqdn\":\"v\",\"virtualNetwork\":{\"dnsServers\":[\"10.1.0.4\",\"fd00::"
		"53\"]},"
		"\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{\"addressPrefixes\":"
		"[\"172.16.0.0/24\"]}}}",
		&e);
	assert_non_null(c);
	assert_int_equal(c->dns_servers.n, 1);
	assert_int_equal(c->dns_servers6.n, 1);
	struct in6_addr want;
	inet_pton(AF_INET6, "fd00::53", &want);
	assert_memory_equal(&c->dns_servers6.v[0], &want, 16);
	conf_free(c);
	conf_errors_free(&e);
	c = conf_load_string(
		"{\"gatewayFqdn\":\"v\",\"virtualNetwork\":{\"dnsServers\":[\"fd00::5g\"]},"
		"\"vpnClientConfiguration\":{\"vpnClientAddressPool\":{"
		"\"addressPrefixes\":[\"172.16.0.0/24\"]}}}",
		&e);
	assert_null(c);
	assert_true(has_error(&e, "virtualNetwork.dnsServers[0]: must be an IPv4 or IPv6 address"));
	conf_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_parallel_lists),
		cmocka_unit_test(test_dns_servers6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
