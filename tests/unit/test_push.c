/* src/proto/openvpn/push: cipher negotiation and PUSH_REPLY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/push.h"

static struct ovpn_peer_info pi_with(const char *ciphers, int ncp)
{
	struct ovpn_peer_info pi;
	memset(&pi, 0, sizeof(pi));
	snprintf(pi.ciphers, sizeof(pi.ciphers), "%s", ciphers);
	pi.iv_ncp = ncp;
	return pi;
}

static void test_ncp_server_order_wins(void **state)
{
	(void)state;
	/* The client lists CHACHA20 first, but the server prefers AES-128-GCM. */
	struct ovpn_peer_info pi = pi_with("CHACHA20-POLY1305:AES-128-GCM", 2);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "AES-128-GCM");
	pi = pi_with("AES-128-GCM:AES-256-GCM:CHACHA20-POLY1305", 2);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "AES-256-GCM");
	pi = pi_with("CHACHA20-POLY1305", 2);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "CHACHA20-POLY1305");
	/* The answer is the server's own spelling, case-insensitively matched. */
	pi = pi_with("aes-256-gcm", 2);
	const char *c = ovpn_ncp_select(&pi, NULL);
	assert_string_equal(c, "AES-256-GCM");
	assert_ptr_equal(c, ovpn_data_ciphers[0]);
}

static void test_ncp_whole_names_only(void **state)
{
	(void)state;
	struct ovpn_peer_info pi = pi_with("AES-256-GCMX:XAES-128-GCM:AES-256-GC", 2);
	assert_null(ovpn_ncp_select(&pi, NULL));
	pi = pi_with("AES-256-CBC:AES-128-GCM", 2);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "AES-128-GCM");
}

static void test_ncp_without_ciphers_list(void **state)
{
	(void)state;
	/* IV_NCP=2 without IV_CIPHERS means AES-256-GCM:AES-128-GCM. */
	struct ovpn_peer_info pi = pi_with("", 2);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "AES-256-GCM");
	pi = pi_with("", 3);
	assert_string_equal(ovpn_ncp_select(&pi, NULL), "AES-256-GCM");
	/* IV_NCP=1 is not enough and there is no OCC cipher either. */
	pi = pi_with("", 1);
	assert_null(ovpn_ncp_select(&pi, NULL));
}

static void test_ncp_occ_fallback(void **state)
{
	(void)state;
	struct ovpn_peer_info pi = pi_with("", 0);
	const char *occ = "V4,dev-type tun,link-mtu 1550,tun-mtu 1500,proto UDPv4,"
			  "cipher AES-128-GCM,auth SHA256,keysize 128,key-method 2,tls-client";
	assert_string_equal(ovpn_ncp_select(&pi, occ), "AES-128-GCM");
	/* The cipher as the last option, without a trailing comma. */
	assert_string_equal(ovpn_ncp_select(&pi, "V4,dev-type tun,cipher CHACHA20-POLY1305"),
			    "CHACHA20-POLY1305");
	/* A cipher the server does not run. */
	assert_null(ovpn_ncp_select(&pi, "V4,dev-type tun,cipher BF-CBC,auth SHA1"));
	/* "data-ciphers" is not "cipher". */
	assert_null(ovpn_ncp_select(&pi, "V4,data-ciphers AES-256-GCM,auth SHA1"));
	assert_null(ovpn_ncp_select(&pi, "V4"));
	assert_null(ovpn_ncp_select(&pi, ""));
}

static void test_ncp_no_common_cipher(void **state)
{
	(void)state;
	struct ovpn_peer_info pi = pi_with("AES-256-CBC:BF-CBC", 2);
	assert_null(ovpn_ncp_select(&pi, "V4,cipher BF-CBC,auth SHA1"));
	assert_null(ovpn_ncp_select(&pi, NULL));
}

static const struct prefix4 vnet_route[] = {{0x0a010000, 16}}; /* 10.1.0.0/16 */

static struct ovpn_push_params typical(void)
{
	struct ovpn_push_params p = {
		.ifconfig_ip = 0xac10c902, /* 172.16.201.2 */
		.prefix_len = 24,
		.route_gateway = 0xac10c901, /* 172.16.201.1 */
		.routes = vnet_route,
		.n_routes = 1,
		.ping = 10,
		.ping_restart = 60,
		.peer_id = 0,
		.cipher = "AES-256-GCM",
		.iv_proto = 990,
		.iv_ncp = 2,
		.push_mtu = true,
	};
	return p;
}

static char msgs[64][PUSH_MSG_MAX];

static const char *build_one(const struct ovpn_push_params *p)
{
	assert_int_equal(ovpn_push_reply_build(p, msgs, 8), 1);
	return msgs[0];
}

static void test_typical_26_client(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	assert_string_equal(build_one(&p),
			    "PUSH_REPLY,route-gateway 172.16.201.1,topology subnet,ping 10,"
			    "ping-restart 60,route 10.1.0.0 255.255.0.0,"
			    "ifconfig 172.16.201.2 255.255.255.0,peer-id 0,cipher AES-256-GCM,"
			    "protocol-flags cc-exit tls-ekm,tun-mtu 1500");
}

static void test_ekm_without_cc_exit(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	p.iv_proto = IV_PROTO_DATA_V2 | IV_PROTO_REQUEST_PUSH | IV_PROTO_TLS_KEY_EXPORT;
	p.peer_id = 77;
	p.push_mtu = false;
	p.n_routes = 0;
	assert_string_equal(build_one(&p),
			    "PUSH_REPLY,route-gateway 172.16.201.1,topology subnet,ping 10,"
			    "ping-restart 60,ifconfig 172.16.201.2 255.255.255.0,peer-id 77,"
			    "cipher AES-256-GCM,key-derivation tls-ekm");
}

static void test_cc_exit_without_ekm(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	p.iv_proto = IV_PROTO_DATA_V2 | IV_PROTO_CC_EXIT_NOTIFY;
	p.cipher = "CHACHA20-POLY1305";
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",protocol-flags cc-exit,"));
	assert_null(strstr(m, "tls-ekm"));
	assert_null(strstr(m, "key-derivation"));
	assert_non_null(strstr(m, ",cipher CHACHA20-POLY1305,"));
}

/* A TCP session's client gets TCP_NODELAY on its socket; a UDP one nothing. */
static void test_tcp_nodelay(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	assert_null(strstr(build_one(&p), "socket-flags"));
	p.tcp = true;
	assert_non_null(strstr(build_one(&p), ",socket-flags TCP_NODELAY"));
}

static void test_old_clients(void **state)
{
	(void)state;
	/* NCP but none of the 2.6 flags: cipher, no EKM, no flags. */
	struct ovpn_push_params p = typical();
	p.iv_proto = IV_PROTO_DATA_V2;
	p.push_mtu = false;
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",cipher AES-256-GCM"));
	assert_null(strstr(m, "protocol-flags"));
	assert_null(strstr(m, "key-derivation"));
	assert_null(strstr(m, "tun-mtu"));
	/* No NCP at all: the cipher came from its OCC string and is not pushed. */
	p.iv_proto = 0;
	p.iv_ncp = 0;
	m = build_one(&p);
	assert_null(strstr(m, "cipher"));
	assert_string_equal(m, "PUSH_REPLY,route-gateway 172.16.201.1,topology subnet,ping 10,"
			       "ping-restart 60,route 10.1.0.0 255.255.0.0,"
			       "ifconfig 172.16.201.2 255.255.255.0,peer-id 0");
}

static void test_netmasks(void **state)
{
	(void)state;
	static const struct prefix4 r[] = {
		{0, 1}, {0xc0a80000, 17}, {0x0a000000, 8}, {0x0a0a0a0a, 32}};
	struct ovpn_push_params p = typical();
	p.routes = r;
	p.n_routes = 4;
	p.prefix_len = 20;
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",route 0.0.0.0 128.0.0.0,"));
	assert_non_null(strstr(m, ",route 192.168.0.0 255.255.128.0,"));
	assert_non_null(strstr(m, ",route 10.0.0.0 255.0.0.0,"));
	assert_non_null(strstr(m, ",route 10.10.10.10 255.255.255.255,"));
	assert_non_null(strstr(m, ",ifconfig 172.16.201.2 255.255.240.0,"));
}

static int count_in(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void check_split(size_t n_routes, int max_msgs)
{
	struct prefix4 *r = calloc(n_routes, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < n_routes; i++)
		r[i] = (struct prefix4){0x0a000000 | (uint32_t)i << 8, 24};
	struct ovpn_push_params p = typical();
	p.routes = r;
	p.n_routes = n_routes;
	int n = ovpn_push_reply_build(&p, msgs, max_msgs);
	assert_true(n > 1);
	assert_true(n <= max_msgs);
	for (int i = 0; i < n; i++) {
		size_t len = strnlen(msgs[i], PUSH_MSG_MAX);
		assert_true(len < PUSH_MSG_MAX);
		assert_int_equal(strncmp(msgs[i], "PUSH_REPLY,", 11), 0);
		const char *tail = i + 1 < n ? ",push-continuation 2" : ",push-continuation 1";
		assert_true(len > strlen(tail));
		assert_string_equal(msgs[i] + len - strlen(tail), tail);
		assert_int_equal(count_in(msgs[i], "push-continuation"), 1);
		assert_int_equal(count_in(msgs[i], ",,"), 0);
	}
	/* Every route exactly once over all messages, nothing else lost. */
	for (size_t i = 0; i < n_routes; i++) {
		char want[64];
		snprintf(want, sizeof(want), ",route 10.%zu.%zu.0 255.255.255.0,", i >> 8 & 255,
			 i & 255);
		int seen = 0;
		for (int k = 0; k < n; k++)
			seen += count_in(msgs[k], want);
		if (seen != 1)
			fail_msg("%s seen %d times", want, seen);
	}
	int ifc = 0, pid = 0, ciph = 0, mtu = 0, gw = 0;
	for (int k = 0; k < n; k++) {
		ifc += count_in(msgs[k], ",ifconfig 172.16.201.2 255.255.255.0,");
		pid += count_in(msgs[k], ",peer-id 0,");
		ciph += count_in(msgs[k], ",cipher AES-256-GCM,");
		mtu += count_in(msgs[k], ",tun-mtu 1500,");
		gw += count_in(msgs[k], ",route-gateway 172.16.201.1,");
	}
	assert_int_equal(ifc, 1);
	assert_int_equal(pid, 1);
	assert_int_equal(ciph, 1);
	assert_int_equal(mtu, 1);
	assert_int_equal(gw, 1);
	free(r);
}

static void test_continuation(void **state)
{
	(void)state;
	check_split(60, 8);  /* just over one message */
	check_split(100, 8); /* more options than a fixed list of 64 would hold */
	check_split(250, 8);
	check_split(1000, 64);
}

static void test_too_many_for_max(void **state)
{
	(void)state;
	struct prefix4 *r = calloc(1000, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < 1000; i++)
		r[i] = (struct prefix4){0x0a000000 | (uint32_t)i << 8, 24};
	struct ovpn_push_params p = typical();
	p.routes = r;
	p.n_routes = 1000;
	assert_int_equal(ovpn_push_reply_build(&p, msgs, 8), P2S_E_FULL);
	assert_int_equal(ovpn_push_reply_build(&p, msgs, 0), P2S_E_FULL);
	p.n_routes = 1;
	assert_int_equal(ovpn_push_reply_build(&p, msgs, 1), 1);
	assert_null(strstr(msgs[0], "push-continuation"));
	free(r);
}

/* DNS servers and split DNS: one suffix is the domain; several are all
 * search domains as well. */
static void test_dns_and_suffixes(void **state)
{
	(void)state;
	uint32_t dns[] = {0x0a010004};
	char one[][254] = {"contoso.internal"};
	struct ovpn_push_params p = typical();
	p.dns = dns;
	p.n_dns = 1;
	p.suffixes = (const char(*)[254])one;
	p.n_suffixes = 1;
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",dhcp-option DNS 10.1.0.4,dhcp-option DOMAIN contoso.internal"));
	assert_null(strstr(m, "DOMAIN-SEARCH"));
	char two[][254] = {"contoso.internal", "corp.contoso.com"};
	p.suffixes = (const char(*)[254])two;
	p.n_suffixes = 2;
	m = build_one(&p);
	assert_non_null(strstr(m, ",dhcp-option DOMAIN contoso.internal,"
				  "dhcp-option DOMAIN-SEARCH contoso.internal,"
				  "dhcp-option DOMAIN-SEARCH corp.contoso.com"));
}

/* IPv6 DNS servers: dhcp-option DNS6 for every client, and after the IPv4
 * ones in "dns server 1 address" for 2.6 clients, within 8 addresses and
 * one 255-byte line; none without them, and no "dns" without the bit. */
static void test_dns6(void **state)
{
	(void)state;
	uint32_t dns[] = {0x0a010004};
	struct in6_addr d6[9];
	for (int i = 0; i < 9; i++)
		inet_pton(AF_INET6, "fd00:10:1::53", &d6[i]);
	struct ovpn_push_params p = typical();
	p.iv_proto |= IV_PROTO_DNS_OPTION;
	p.dns = dns;
	p.n_dns = 1;
	const char *m = build_one(&p);
	assert_null(strstr(m, "DNS6"));
	assert_non_null(strstr(m, ",dns server 1 address 10.1.0.4"));
	assert_null(strstr(m, "fd00"));
	p.dns6 = d6;
	p.n_dns6 = 1;
	m = build_one(&p);
	assert_non_null(strstr(m, ",dhcp-option DNS 10.1.0.4,dhcp-option DNS6 fd00:10:1::53,"));
	assert_non_null(strstr(m, ",dns server 1 address 10.1.0.4 fd00:10:1::53"));
	p.n_dns = 0; /* IPv6 servers alone still make a "dns server" */
	m = build_one(&p);
	assert_non_null(strstr(m, ",dns server 1 address fd00:10:1::53"));
	p.iv_proto &= ~IV_PROTO_DNS_OPTION; /* a 2.5 client: dhcp-option DNS6 only */
	m = build_one(&p);
	assert_null(strstr(m, ",dns "));
	assert_non_null(strstr(m, ",dhcp-option DNS6 fd00:10:1::53"));
	p.iv_proto |= IV_PROTO_DNS_OPTION;
	p.n_dns = 1;
	p.n_dns6 = 9; /* 10 servers: the option takes the first 8 */
	m = build_one(&p);
	const char *o = strstr(m, ",dns server 1 address ");
	assert_non_null(o);
	size_t words = 0, len = strcspn(o + 1, ",");
	for (const char *c = o + 1; c < o + 1 + len; c++)
		words += *c == ' ';
	assert_int_equal(words, 3 + 8);
	assert_true(len <= 255);
}

/* OpenVPN 2.6's "dns" option for clients that announce it (IV_PROTO bit
 * 6): servers, resolve-domains and search-domains; none of it without
 * suffixes (servers only) or for a client without the bit. */
static void test_dns_option(void **state)
{
	(void)state;
	uint32_t dns[] = {0x0a010004, 0x0a010005};
	char two[][254] = {"contoso.internal", "corp.contoso.com"};
	struct ovpn_push_params p = typical();
	p.dns = dns;
	p.n_dns = 2;
	p.suffixes = (const char(*)[254])two;
	p.n_suffixes = 2;
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",dns server 1 address 10.1.0.4 10.1.0.5,"
				  "dns server 1 resolve-domains contoso.internal corp.contoso.com,"
				  "dns search-domains contoso.internal corp.contoso.com"));
	assert_non_null(strstr(m, ",dhcp-option DNS 10.1.0.5,")); /* the legacy form too */
	p.n_suffixes = 0;
	m = build_one(&p);
	assert_non_null(strstr(m, ",dns server 1 address 10.1.0.4 10.1.0.5"));
	assert_null(strstr(m, "resolve-domains"));
	assert_null(strstr(m, "search-domains"));
	p.n_suffixes = 2;
	p.iv_proto &= ~IV_PROTO_DNS_OPTION; /* a 2.5 client: only dhcp-option */
	m = build_one(&p);
	assert_null(strstr(m, ",dns "));
	assert_non_null(strstr(m, "dhcp-option DOMAIN-SEARCH corp.contoso.com"));
	/* 16 long suffixes: split into lines of at most 255 bytes and 16
	 * words, every name once per list. */
	static char many[16][254];
	for (int i = 0; i < 16; i++)
		snprintf(many[i], sizeof(many[i]), "n%02d.%s", i,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example");
	p.iv_proto = 990;
	p.suffixes = (const char(*)[254])many;
	p.n_suffixes = 16;
	char msgs[8][PUSH_MSG_MAX];
	int n = ovpn_push_reply_build(&p, msgs, 8);
	assert_true(n > 1);
	int search = 0, resolve = 0;
	for (int k = 0; k < n; k++) {
		char *save = NULL;
		for (char *o = strtok_r(msgs[k], ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			assert_true(strlen(o) <= 255);
			int words = 1;
			for (const char *c = o; *c; c++)
				words += *c == ' ';
			assert_true(words <= 16);
			for (const char *c = o; (c = strstr(c, " n")); c++)
				if (strncmp(o, "dns search-domains", 18) == 0)
					search++;
				else if (strncmp(o, "dns server 1 resolve-domains", 28) == 0)
					resolve++;
		}
	}
	assert_int_equal(search, 16);
	assert_int_equal(resolve, 16);
}

static void test_auth_token(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	p.auth_token = "c2Vzc2lvbi10b2tlbi1mb3ItdGVzdHMtb25seS0wMTIz";
	assert_string_equal(build_one(&p),
			    "PUSH_REPLY,route-gateway 172.16.201.1,topology subnet,ping 10,"
			    "ping-restart 60,route 10.1.0.0 255.255.0.0,"
			    "ifconfig 172.16.201.2 255.255.255.0,peer-id 0,cipher AES-256-GCM,"
			    "protocol-flags cc-exit tls-ekm,tun-mtu 1500,"
			    "auth-token c2Vzc2lvbi10b2tlbi1mb3ItdGVzdHMtb25seS0wMTIz");
	/* A long token is pushed whole, never cut to fit a buffer. */
	char token[601];
	for (size_t i = 0; i < sizeof(token) - 1; i++)
		token[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[i % 36];
	token[sizeof(token) - 1] = 0;
	p.auth_token = token;
	int n = ovpn_push_reply_build(&p, msgs, 8);
	assert_true(n >= 1);
	const char *at = strstr(msgs[n - 1], ",auth-token ");
	assert_non_null(at);
	assert_int_equal(strcspn(at + 12, ","), 600);
	assert_memory_equal(at + 12, token, 600);
	/* One that fits in no message is refused rather than truncated. */
	char huge[1001];
	memset(huge, 'T', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	p.auth_token = huge;
	assert_int_equal(ovpn_push_reply_build(&p, msgs, 8), P2S_E_PROTO);
}

static struct prefix6 p6(const char *s)
{
	struct prefix6 p;
	assert_int_equal(prefix6_parse(s, &p), 0);
	return p;
}

static void v6_params(struct ovpn_push_params *p, const struct prefix6 *routes, size_t n)
{
	p->has_v6 = true;
	assert_int_equal(inet_pton(AF_INET6, "fd00:201::2", &p->ifconfig_ip6), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd00:201::1", &p->gateway6), 1);
	p->prefix6_len = 64;
	p->routes6 = routes;
	p->n_routes6 = n;
}

/* Dual stack: ifconfig-ipv6 addr/len gateway, a route-ipv6 per prefix. */
static void test_ipv6(void **state)
{
	(void)state;
	struct prefix6 routes[] = {p6("fd00:10:1::/64"), p6("2001:db8:2::/48")};
	struct ovpn_push_params p = typical();
	v6_params(&p, routes, 2);
	assert_string_equal(build_one(&p),
			    "PUSH_REPLY,route-gateway 172.16.201.1,topology subnet,ping 10,"
			    "ping-restart 60,route 10.1.0.0 255.255.0.0,"
			    "ifconfig 172.16.201.2 255.255.255.0,route-ipv6 fd00:10:1::/64,"
			    "route-ipv6 2001:db8:2::/48,ifconfig-ipv6 fd00:201::2/64 fd00:201::1,"
			    "peer-id 0,cipher AES-256-GCM,protocol-flags cc-exit tls-ekm,"
			    "tun-mtu 1500");
	/* A /120 pool and no IPv6 routes: the address alone. */
	v6_params(&p, NULL, 0);
	p.prefix6_len = 120;
	const char *m = build_one(&p);
	assert_non_null(strstr(m, ",ifconfig-ipv6 fd00:201::2/120 fd00:201::1,"));
	assert_null(strstr(m, "route-ipv6"));
}

/* Without an IPv6 address the client hears nothing of IPv6, routes or not. */
static void test_ipv6_absent(void **state)
{
	(void)state;
	struct prefix6 routes[] = {p6("fd00:10:1::/64")};
	struct ovpn_push_params p = typical();
	p.routes6 = routes;
	p.n_routes6 = 1;
	const char *m = build_one(&p);
	assert_null(strstr(m, "ipv6"));
}

/* Many IPv6 routes spread over continuation messages, none lost. */
static void test_ipv6_many_routes(void **state)
{
	(void)state;
	struct prefix6 *r = calloc(200, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < 200; i++) {
		char t[64];
		snprintf(t, sizeof(t), "fd00:10:%zx::/48", i + 1);
		r[i] = p6(t);
	}
	struct ovpn_push_params p = typical();
	v6_params(&p, r, 200);
	int n = ovpn_push_reply_build(&p, msgs, 64);
	assert_true(n > 1);
	size_t found = 0, ifc = 0;
	for (int i = 0; i < n; i++) {
		assert_true(strlen(msgs[i]) < PUSH_MSG_MAX);
		for (const char *at = msgs[i]; (at = strstr(at, ",route-ipv6 ")); at++)
			found++;
		ifc += strstr(msgs[i], ",ifconfig-ipv6 ") != NULL;
	}
	assert_int_equal(found, 200);
	assert_int_equal(ifc, 1);
	assert_non_null(strstr(msgs[n - 1], "push-continuation 1"));
	free(r);
}

/* The load generator reads back what the gateway pushes. */
static void test_parse_reply(void **state)
{
	(void)state;
	struct ovpn_push_params p = typical();
	p.peer_id = 4321;
	const char *m = build_one(&p);
	struct ovpn_push_client c = {.peer_id = -1};
	assert_int_equal(ovpn_push_reply_parse(m, strlen(m), &c), 0);
	assert_int_equal(c.ifconfig_ip, 0xac10c902);
	assert_int_equal(c.netmask, 0xffffff00);
	assert_int_equal(c.peer_id, 4321);
	assert_int_equal(c.ping, 10);
	assert_int_equal(c.ping_restart, 60);
	assert_string_equal(c.cipher, "AES-256-GCM");
	assert_false(c.more);
}

static void test_parse_reply_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"PUSH_REQUEST",
		"PUSH_REPLYX,ping 1",
		"PUSH_REPLY,ifconfig 172.16.0.2",
		"PUSH_REPLY,ifconfig 172.16.0.300 255.255.255.0",
		"PUSH_REPLY,peer-id",
		"PUSH_REPLY,peer-id 16777216",
		"PUSH_REPLY,peer-id -1",
		"PUSH_REPLY,ping 10x",
		"PUSH_REPLY,cipher AN-EXTREMELY-LONG-CIPHER-NAME-THAT-DOES-NOT-FIT",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ovpn_push_client c = {.peer_id = -1};
		assert_int_equal(ovpn_push_reply_parse(bad[i], strlen(bad[i]), &c), P2S_E_PROTO);
	}
	/* A NUL inside the message is not an option separator. */
	struct ovpn_push_client c = {.peer_id = -1};
	assert_int_equal(ovpn_push_reply_parse("PUSH_REPLY,ping 1\0x", 19, &c), P2S_E_PROTO);
	/* Continuations accumulate. */
	assert_int_equal(ovpn_push_reply_parse("PUSH_REPLY,ping 3,push-continuation 2", 37, &c), 0);
	assert_true(c.more);
	assert_int_equal(ovpn_push_reply_parse("PUSH_REPLY,peer-id 7", 20, &c), 0);
	assert_false(c.more);
	assert_int_equal(c.ping, 3);
	assert_int_equal(c.peer_id, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ncp_server_order_wins),
		cmocka_unit_test(test_ncp_whole_names_only),
		cmocka_unit_test(test_ncp_without_ciphers_list),
		cmocka_unit_test(test_ncp_occ_fallback),
		cmocka_unit_test(test_ncp_no_common_cipher),
		cmocka_unit_test(test_typical_26_client),
		cmocka_unit_test(test_ekm_without_cc_exit),
		cmocka_unit_test(test_cc_exit_without_ekm),
		cmocka_unit_test(test_old_clients),
		cmocka_unit_test(test_tcp_nodelay),
		cmocka_unit_test(test_netmasks),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_too_many_for_max),
		cmocka_unit_test(test_dns_and_suffixes),
		cmocka_unit_test(test_dns_option),
		cmocka_unit_test(test_dns6),
		cmocka_unit_test(test_auth_token),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv6_absent),
		cmocka_unit_test(test_ipv6_many_routes),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_parse_reply_bad),
	};
	return cmocka_run_group_tests_name("push", tests, NULL, NULL);
}
