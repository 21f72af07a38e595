#include "nd.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

#define IP6_HDR	     40
#define NH_ICMP6     58
#define ND_RS	     133
#define ND_RA	     134
#define OPT_PREFIX   3
#define OPT_MTU	     5
#define OPT_ROUTE    24
#define LIFETIME_INF 0xffffffffu

void nd_iids(const struct in6_addr *gateway, const struct in6_addr *client,
	     uint8_t gw_iid[ND_IID_LEN], uint8_t client_iid[ND_IID_LEN])
{
	static const uint8_t zero[ND_IID_LEN];
	memcpy(client_iid, client->s6_addr + 8, ND_IID_LEN);
	memcpy(gw_iid, gateway->s6_addr + 8, ND_IID_LEN);
	if (memcmp(gw_iid, zero, ND_IID_LEN) == 0 || memcmp(gw_iid, client_iid, ND_IID_LEN) == 0) {
		memcpy(gw_iid, client_iid, ND_IID_LEN);
		gw_iid[ND_IID_LEN - 1] ^= 0x01;
		gw_iid[0] ^= 0x02; /* not a clash with the client's either way */
	}
}

/* RFC 4443 2.3: over the pseudo-header (source, destination, length, next
 * header) and the message. */
static uint16_t icmp6_sum(const uint8_t *ip, const uint8_t *msg, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 8; i < IP6_HDR; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff) + NH_ICMP6;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)msg[i] << 8 | (i + 1 < n ? msg[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Options are whole 8-byte units, none of length 0 (RFC 4861 4.6). */
static bool options_ok(struct cur *c)
{
	while (cur_ok(c) && cur_left(c) > 0) {
		(void)cur_u8(c);
		uint8_t units = cur_u8(c);
		if (units == 0)
			return false;
		(void)cur_bytes(c, (size_t)units * 8 - 2);
	}
	return cur_ok(c);
}

int nd_rs_parse(const uint8_t *pkt, size_t len, struct in6_addr *src)
{
	struct cur c;
	cur_init(&c, pkt, len);
	uint32_t vtc = cur_u32(&c);
	uint16_t plen = cur_u16(&c);
	uint8_t nh = cur_u8(&c), hops = cur_u8(&c);
	cur_copy(&c, src->s6_addr, 16);
	(void)cur_bytes(&c, 16); /* destination: all-routers or the gateway */
	uint8_t type = cur_u8(&c);
	if (!cur_ok(&c) || vtc >> 28 != 6 || nh != NH_ICMP6 || type != ND_RS)
		return 0;
	if (plen != len - IP6_HDR)
		return P2S_E_PROTO;
	uint8_t code = cur_u8(&c);
	(void)cur_u16(&c); /* checksum, verified over the whole below */
	(void)cur_u32(&c); /* reserved */
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (hops != 255 || code != 0 || icmp6_sum(pkt, pkt + IP6_HDR, plen) != 0)
		return P2S_E_PROTO;
	return options_ok(&c) ? 1 : P2S_E_PROTO;
}

/* ---- the advertisement ----------------------------------------------------- */

static void prefix_option(struct wbuf *w, const struct in6_addr *addr)
{
	wbuf_u8(w, OPT_PREFIX);
	wbuf_u8(w, 4);
	wbuf_u8(w, 64);
	wbuf_u8(w, 0x40); /* A: autonomous; not on-link: everything goes to the gateway */
	wbuf_u32(w, LIFETIME_INF);
	wbuf_u32(w, LIFETIME_INF);
	wbuf_u32(w, 0);
	wbuf_bytes(w, addr->s6_addr, 8);
	wbuf_u64(w, 0);
}

/* RFC 4191 2.3: the prefix in 0, 8 or 16 bytes as its length needs. */
static void route_option(struct wbuf *w, const struct prefix6 *r)
{
	size_t bytes = r->len == 0 ? 0 : r->len <= 64 ? 8 : 16;
	wbuf_u8(w, OPT_ROUTE);
	wbuf_u8(w, (uint8_t)(1 + bytes / 8));
	wbuf_u8(w, r->len);
	wbuf_u8(w, 0); /* medium preference */
	wbuf_u32(w, LIFETIME_INF);
	wbuf_bytes(w, r->addr.s6_addr, bytes);
}

size_t nd_ra_build(const struct nd_ra *a, uint8_t *out, size_t cap)
{
	struct wbuf w;
	wbuf_init(&w, out, cap);
	uint8_t *ip = wbuf_reserve(&w, IP6_HDR);
	wbuf_u8(&w, ND_RA);
	wbuf_u8(&w, 0);
	uint8_t *sum = wbuf_reserve(&w, 2);
	wbuf_u8(&w, 64); /* current hop limit */
	wbuf_u8(&w, 0);	 /* neither DHCPv6 flag: the prefix says it all */
	wbuf_u16(&w, 0); /* router lifetime 0: not a default router */
	wbuf_u32(&w, 0); /* reachable time */
	wbuf_u32(&w, 0); /* retransmit timer */
	prefix_option(&w, &a->addr);
	if (a->mtu) {
		wbuf_u8(&w, OPT_MTU);
		wbuf_u8(&w, 1);
		wbuf_u16(&w, 0);
		wbuf_u32(&w, a->mtu);
	}
	for (size_t i = 0; i < a->n_routes && wbuf_ok(&w) && w.len + 24 <= cap; i++)
		route_option(&w, &a->routes[i]);
	if (!wbuf_ok(&w))
		return 0;
	size_t n = w.len - IP6_HDR;
	struct wbuf h;
	wbuf_init(&h, ip, IP6_HDR);
	wbuf_u32(&h, 6u << 28);
	wbuf_u16(&h, (uint16_t)n);
	wbuf_u8(&h, NH_ICMP6);
	wbuf_u8(&h, 255);
	wbuf_u64(&h, 0xfe80000000000000ull);
	wbuf_bytes(&h, a->gw_iid, ND_IID_LEN);
	wbuf_bytes(&h, a->dst.s6_addr, 16);
	sum[0] = sum[1] = 0;
	uint16_t s = icmp6_sum(ip, ip + IP6_HDR, n);
	sum[0] = (uint8_t)(s >> 8);
	sum[1] = (uint8_t)s;
	return w.len;
}
