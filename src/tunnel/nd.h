/* IPv6 on an SSTP (PPP) link: IPV6CP negotiates only interface identifiers,
 * so a client learns its prefix from a Router Advertisement (RFC 4861) and
 * forms its address from the two (RFC 5072 5). The core answers the
 * client's Router Solicitation in the tunnel: the /64 of the leased address
 * (autonomous), and the virtual network's and customRoutes' IPv6 prefixes
 * as route information (RFC 4191). The gateway is never a default router
 * (lifetime 0): only those prefixes go through the tunnel. Depends on
 * src/lib only. */
#ifndef P2S_ND_H
#define P2S_ND_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

#define ND_IID_LEN 8

/* The link's interface identifiers: the client's is the low 64 bits of its
 * leased address (so its autoconfigured address is exactly the lease); the
 * gateway's the low 64 bits of its pool address, changed if that is zero
 * or the client's. */
void nd_iids(const struct in6_addr *gateway, const struct in6_addr *client,
	     uint8_t gw_iid[ND_IID_LEN], uint8_t client_iid[ND_IID_LEN]);

/* 1: pkt is a Router Solicitation that passes RFC 4861 6.1.1 (hop limit
 * 255, code 0, checksum, well-formed options; src then holds its source);
 * 0: other traffic; negative: an RS that does not validate. */
int nd_rs_parse(const uint8_t *pkt, size_t len, struct in6_addr *src);

struct nd_ra {
	uint8_t gw_iid[ND_IID_LEN]; /* source fe80::gw_iid */
	struct in6_addr dst;	    /* the solicitation's source, or ff02::1 */
	struct in6_addr addr;	    /* the client's address: its /64 is advertised */
	const struct prefix6 *routes;
	size_t n_routes;
	uint16_t mtu; /* 0: no MTU option */
};

/* The whole IPv6/ICMPv6 Router Advertisement; its length, or 0 when cap is
 * too small. Routes past what fits are left out. */
size_t nd_ra_build(const struct nd_ra *a, uint8_t *out, size_t cap);

#endif
