/* DHCPINFORM through the tunnel (RFC 2131 §4.3.5). Windows' built-in IKEv2
 * client ignores traffic selectors for routing: it asks by DHCPINFORM and
 * takes classless static routes (options 121 and 249, RFC 3442) and DNS
 * servers (6) from the DHCPACK. The gateway answers in the tunnel.
 * Depends on src/lib only. */
#ifndef P2S_IKE_DHCP_H
#define P2S_IKE_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

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

struct dhcp_answer {
	uint32_t server; /* the gateway's address on the client's side */
	uint32_t router; /* next hop for the routes */
	const struct prefix4 *routes;
	size_t n_routes;
	const uint32_t *dns;
	size_t n_dns;
};

/* The whole IPv4/UDP/DHCPACK packet to the client; its length, or 0 when
 * cap is too small. Routes that do not fit one option are left out. */
size_t dhcp_ack_build(const struct dhcp_inform *in, const struct dhcp_answer *a, uint8_t *out,
		      size_t cap);

#endif
