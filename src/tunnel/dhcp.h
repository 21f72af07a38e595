/* DHCPINFORM through the tunnel (RFC 2131 §4.3.5). Windows' built-in IKEv2
 * and SSTP clients ignore traffic selectors for routing: they ask by
 * DHCPINFORM and take classless static routes (options 121 and 249, RFC
 * 3442), DNS servers (6), the DNS domain (15) and the search list (119, RFC
 * 3397) from the DHCPACK. The core
 * answers in the tunnel, whatever the protocol. Depends on src/lib only. */
#ifndef P2S_DHCP_H
#define P2S_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"
#include "lib/text.h"

struct dhcp_inform {
	uint32_t dst;	 /* where the client sent it (may be broadcast) */
	uint32_t ciaddr; /* the client's address, as it says */
	uint32_t xid;
	uint16_t flags;
	uint8_t htype, hlen;
	uint8_t chaddr[16];
};

/* 1: pkt is an IPv4 UDP 68->67 DHCPINFORM (out filled); 0: not one (other
 * traffic, other DHCP messages); negative: DHCP that does not parse. */
int dhcp_inform_parse(const uint8_t *pkt, size_t len, struct dhcp_inform *out);

#define DHCP_SEARCH_MAX 510 /* option 119 bytes: at most two options (RFC 3396) */

struct dhcp_answer {
	uint32_t server; /* the gateway's address on the client's side */
	uint32_t router; /* next hop for the routes */
	const struct prefix4 *routes;
	size_t n_routes;
	const uint32_t *dns;
	size_t n_dns;
	const char *domain;		    /* DNS domain (option 15), or NULL */
	const char (*search)[DNS_NAME_MAX]; /* the search list (option 119) */
	size_t n_search;
};

/* The whole IPv4/UDP/DHCPACK packet to the client; its length, or 0 when
 * cap is too small. Routes that do not fit one option are left out, and
 * search names past DHCP_SEARCH_MAX encoded bytes. */
size_t dhcp_ack_build(const struct dhcp_inform *in, const struct dhcp_answer *a, uint8_t *out,
		      size_t cap);

#endif
