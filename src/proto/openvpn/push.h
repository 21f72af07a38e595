/* Cipher negotiation and PUSH_REPLY building. */
#ifndef P2S_OVPN_PUSH_H
#define P2S_OVPN_PUSH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmethod.h"
#include "lib/net.h"

/* The server's data-ciphers, in preference order. */
extern const char *const ovpn_data_ciphers[];

/* Picks the data cipher for a client, or NULL when there is none in common. */
const char *ovpn_ncp_select(const struct ovpn_peer_info *pi, const char *occ_options);

struct ovpn_push_params {
	uint32_t ifconfig_ip;
	uint8_t prefix_len;
	uint32_t route_gateway;
	const struct prefix4 *routes;
	size_t n_routes;
	uint32_t ping;
	uint32_t ping_restart;
	uint32_t peer_id;
	const char *cipher;
	unsigned iv_proto;
	int iv_ncp;
	bool push_mtu;
	bool tcp; /* the session rides TCP: the client's socket gets TCP_NODELAY too */
	const char *auth_token; /* NULL: none */
	const uint32_t *dns;
	size_t n_dns;
	const char (*suffixes)[254]; /* DNS suffixes: the first is the domain */
	size_t n_suffixes;
	/* IPv6 inside the tunnel: ifconfig-ipv6 and route-ipv6 when has_v6. */
	bool has_v6;
	struct in6_addr ifconfig_ip6;
	uint8_t prefix6_len;
	struct in6_addr gateway6; /* the gateway's side: ifconfig-ipv6's remote */
	const struct prefix6 *routes6;
	size_t n_routes6;
	const struct in6_addr *dns6; /* dnsServers' IPv6 ones: DNS6 and "dns server 1" */
	size_t n_dns6;
};

#define OVPN_DNS_ADDR_MAX 8    /* addresses a 2.6 client takes for one "dns server" */
#define PUSH_MSG_MAX	  1024 /* each message stays within the client's read buffer */

/* Builds one or more NUL-free PUSH_REPLY messages into msgs[] (each up to
 * PUSH_MSG_MAX); long lists use push-continuation. Returns the count, or
 * P2S_E_FULL when max_msgs messages cannot hold every option, P2S_E_PROTO
 * when one option (an auth-token) is too long for any message. */
int ovpn_push_reply_build(const struct ovpn_push_params *p, char msgs[][PUSH_MSG_MAX],
			  int max_msgs);

/* What a client takes from a PUSH_REPLY (bench/loadgen). */
struct ovpn_push_client {
	uint32_t ifconfig_ip; /* host order; 0 when absent */
	uint32_t netmask;
	int64_t peer_id; /* -1 when absent */
	uint32_t ping;
	uint32_t ping_restart;
	char cipher[32];
	bool more; /* push-continuation 2: another message follows */
};

/* Parses one PUSH_REPLY message into out (fields already set are kept, so
 * continuations accumulate). 0, or P2S_E_PROTO when it is not a PUSH_REPLY
 * or an option it reads is malformed. */
int ovpn_push_reply_parse(const char *msg, size_t len, struct ovpn_push_client *out);

#endif
