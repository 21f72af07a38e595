/* The Configuration payload reply (RFC 7296 §3.15) and traffic-selector
 * narrowing (§2.9): what the client gets comes from session_net(), the
 * same source as OpenVPN's PUSH_REPLY. */
#include <string.h>

#include "internal.h"

static void attr(struct ike_builder *b, uint16_t type, const void *v, size_t len)
{
	wbuf_u16(&b->w, type);
	wbuf_u16(&b->w, (uint16_t)len);
	wbuf_bytes(&b->w, v, len);
}

static void attr4(struct ike_builder *b, uint16_t type, uint32_t a)
{
	uint8_t v[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
	attr(b, type, v, 4);
}

bool ike_cp_asked(const struct ike_cp *req, uint16_t type)
{
	for (size_t i = 0; i < req->n; i++)
		if (req->attr[i].type == type)
			return true;
	return false;
}

static void attr6(struct ike_builder *b, uint16_t type, const struct in6_addr *a, uint8_t len)
{
	uint8_t v[17];
	memcpy(v, a, 16);
	v[16] = len;
	attr(b, type, v, 17);
}

void ike_cp_reply(struct ike_builder *b, const struct ike_cp *req, const struct session_net *net)
{
	ike_pl_begin(b, IKE_PL_CP);
	wbuf_u8(&b->w, IKE_CFG_REPLY);
	wbuf_u24(&b->w, 0);
	if (net->addr) /* 0: an IPv6-only client */
		attr4(b, IKE_CP_IP4_ADDRESS, net->addr);
	if (net->addr && ike_cp_asked(req, IKE_CP_IP4_NETMASK))
		attr4(b, IKE_CP_IP4_NETMASK, prefix4_mask(net->prefix_len));
	for (size_t i = 0; i < net->n_dns; i++)
		attr4(b, IKE_CP_IP4_DNS, net->dns[i]);
	/* RFC 8598 split DNS: the suffixes, to a client that asks for them. */
	for (size_t i = 0; ike_cp_asked(req, IKE_CP_DNS_DOMAIN) && i < net->n_suffixes; i++)
		attr(b, IKE_CP_DNS_DOMAIN, net->suffixes[i], strlen(net->suffixes[i]));
	if (ike_cp_asked(req, IKE_CP_IP4_SUBNET))
		for (size_t i = 0; i < net->n_routes; i++) {
			uint8_t v[8];
			uint32_t a = net->routes[i].addr, m = prefix4_mask(net->routes[i].len);
			for (int k = 0; k < 4; k++) {
				v[k] = (uint8_t)(a >> (24 - 8 * k));
				v[4 + k] = (uint8_t)(m >> (24 - 8 * k));
			}
			attr(b, IKE_CP_IP4_SUBNET, v, 8);
		}
	/* RFC 7296 §3.15.1: the address and the prefix length of its link. */
	if (net->has_v6 && ike_cp_asked(req, IKE_CP_IP6_ADDRESS))
		attr6(b, IKE_CP_IP6_ADDRESS, &net->addr6, net->prefix6_len);
	for (size_t i = 0; net->has_v6 && i < net->n_dns6; i++)
		attr(b, IKE_CP_IP6_DNS, &net->dns6[i], 16);
	for (size_t i = 0;
	     net->has_v6 && ike_cp_asked(req, IKE_CP_IP6_SUBNET) && i < net->n_routes6; i++)
		attr6(b, IKE_CP_IP6_SUBNET, &net->routes6[i].addr, net->routes6[i].len);
	ike_pl_end(b);
}

/* ---- traffic selectors ---------------------------------------------------- */

static uint32_t get4(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put4(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void ts_add(struct ike_ts_list *l, const struct ike_ts *like, const uint8_t *lo,
		   const uint8_t *hi, size_t alen)
{
	if (l->n == IKE_MAX_TS)
		return;
	struct ike_ts *t = &l->ts[l->n++];
	*t = *like;
	memset(t->start, 0, sizeof(t->start));
	memset(t->end, 0, sizeof(t->end));
	memcpy(t->start, lo, alen);
	memcpy(t->end, hi, alen);
}

/* [lo, hi] intersected with each of the client's IPv4 selectors. */
static void narrow4(const struct ike_ts_list *in, uint32_t lo, uint32_t hi, struct ike_ts_list *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct ike_ts *t = &in->ts[i];
		if (t->type != IKE_TS_IPV4_RANGE)
			continue;
		uint32_t a = get4(t->start), z = get4(t->end);
		uint32_t s = a > lo ? a : lo, e = z < hi ? z : hi;
		if (s > e)
			continue;
		uint8_t bs[4], be[4];
		put4(bs, s);
		put4(be, e);
		ts_add(out, t, bs, be, 4);
	}
}

static void narrow6(const struct ike_ts_list *in, const uint8_t lo[16], const uint8_t hi[16],
		    struct ike_ts_list *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct ike_ts *t = &in->ts[i];
		if (t->type != IKE_TS_IPV6_RANGE)
			continue;
		const uint8_t *s = memcmp(t->start, lo, 16) > 0 ? t->start : lo;
		const uint8_t *e = memcmp(t->end, hi, 16) < 0 ? t->end : hi;
		if (memcmp(s, e, 16) <= 0)
			ts_add(out, t, s, e, 16);
	}
}

static void prefix6_range(const struct prefix6 *p, uint8_t lo[16], uint8_t hi[16])
{
	memcpy(lo, &p->addr, 16);
	memcpy(hi, &p->addr, 16);
	for (int bit = p->len; bit < 128; bit++) {
		lo[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	}
}

bool ike_ts_narrow(const struct ike_ts_list *tsi, const struct ike_ts_list *tsr,
		   const struct session_net *net, struct ike_ts_list *out_i,
		   struct ike_ts_list *out_r)
{
	out_i->n = out_r->n = 0;
	if (net->addr)
		narrow4(tsi, net->addr, net->addr, out_i);
	if (net->has_v6) {
		const uint8_t *a = (const uint8_t *)&net->addr6;
		narrow6(tsi, a, a, out_i);
	}
	for (size_t i = 0; i < net->n_routes; i++) {
		uint32_t lo = net->routes[i].addr, m = prefix4_mask(net->routes[i].len);
		narrow4(tsr, lo, lo | ~m, out_r);
	}
	/* The gateway's own pool address, when the client's selectors take it
	 * (0.0.0.0/0 as Windows asks): DHCP answers and pings come from it. */
	bool covered = false;
	for (size_t i = 0; i < net->n_routes; i++)
		covered |= prefix4_contains(&net->routes[i], net->gateway);
	if (!covered && net->gateway)
		narrow4(tsr, net->gateway, net->gateway, out_r);
	for (size_t i = 0; net->has_v6 && i < net->n_routes6; i++) {
		uint8_t lo[16], hi[16];
		prefix6_range(&net->routes6[i], lo, hi);
		narrow6(tsr, lo, hi, out_r);
	}
	return out_i->n > 0 && out_r->n > 0;
}
