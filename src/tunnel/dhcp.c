#include "dhcp.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

#define DHCP_MAGIC  0x63825363u
#define OPT_PAD	    0
#define OPT_END	    255
#define OPT_TYPE    53
#define TYPE_INFORM 8
#define TYPE_ACK    5
#define BOOTP_FIXED 236 /* op .. file, before the magic cookie */

/* IPv4 + UDP headers: 0 when this is not UDP 68->67 at all. */
static int ip_udp(struct cur *c, size_t len, uint32_t *dst)
{
	uint8_t vihl = cur_u8(c);
	(void)cur_u8(c);
	uint16_t total = cur_u16(c);
	(void)cur_u16(c);
	uint16_t frag = cur_u16(c);
	(void)cur_u8(c);
	uint8_t proto = cur_u8(c);
	size_t ihl = (size_t)(vihl & 15) * 4;
	if (!cur_ok(c) || vihl >> 4 != 4 || ihl < 20 || proto != 17 || (frag & 0x3fff) != 0)
		return 0;
	if (total > len || total < ihl + 8)
		return P2S_E_TRUNC;
	(void)cur_u16(c); /* header checksum */
	(void)cur_u32(c); /* source: the forwarder checks it */
	*dst = cur_u32(c);
	(void)cur_bytes(c, ihl - 20); /* options */
	uint16_t sport = cur_u16(c), dport = cur_u16(c), ulen = cur_u16(c);
	(void)cur_u16(c);
	if (!cur_ok(c) || sport != 68 || dport != 67)
		return 0;
	return ulen == total - ihl ? 1 : P2S_E_PROTO;
}

/* The options: is there a message type, and is it DHCPINFORM? */
static int options_type(struct cur *c)
{
	int type = -1;
	while (cur_ok(c) && cur_left(c) > 0) {
		uint8_t code = cur_u8(c);
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return type;
		uint8_t olen = cur_u8(c);
		const uint8_t *v = cur_bytes(c, olen);
		if (v && code == OPT_TYPE && olen == 1)
			type = v[0];
	}
	return cur_ok(c) ? type : P2S_E_TRUNC;
}

int dhcp_inform_parse(const uint8_t *pkt, size_t len, struct dhcp_inform *out)
{
	struct cur c;
	cur_init(&c, pkt, len);
	int r = ip_udp(&c, len, &out->dst);
	if (r <= 0)
		return r;
	uint8_t op = cur_u8(&c);
	out->htype = cur_u8(&c);
	out->hlen = cur_u8(&c);
	(void)cur_u8(&c);
	out->xid = cur_u32(&c);
	(void)cur_u16(&c);
	out->flags = cur_u16(&c);
	out->ciaddr = cur_u32(&c);
	(void)cur_bytes(&c, 12); /* yiaddr, siaddr, giaddr */
	cur_copy(&c, out->chaddr, 16);
	(void)cur_bytes(&c, 64 + 128); /* sname, file */
	uint32_t magic = cur_u32(&c);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (op != 1 || magic != DHCP_MAGIC || out->hlen > 16)
		return P2S_E_PROTO;
	int type = options_type(&c);
	if (type < -1)
		return type;
	return type == TYPE_INFORM ? 1 : 0;
}

/* ---- the answer ---------------------------------------------------------- */

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 3442: width, the significant octets of the destination, the router. */
static size_t routes_option(const struct dhcp_answer *a, uint8_t *v, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_routes; i++) {
		uint8_t w = a->routes[i].len;
		size_t sig = (w + 7u) / 8u;
		if (n + 1 + sig + 4 > cap)
			break;
		v[n++] = w;
		for (size_t k = 0; k < sig; k++)
			v[n++] = (uint8_t)(a->routes[i].addr >> (24 - 8 * k));
		for (size_t k = 0; k < 4; k++)
			v[n++] = (uint8_t)(a->router >> (24 - 8 * k));
	}
	return n;
}

/* RFC 1035 3.1 labels, uncompressed (RFC 3397 allows either); a name that
 * would not fit whole is left out with the ones after it. */
static size_t search_encode(const struct dhcp_answer *a, uint8_t *v, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_search; i++) {
		const char *s = a->search[i];
		size_t need = strlen(s) + 2, k = n;
		if (n + need > cap)
			break;
		while (*s) {
			size_t l = strcspn(s, ".");
			if (l && l < 64) {
				v[k++] = (uint8_t)l;
				memcpy(v + k, s, l);
				k += l;
			}
			s += l + (s[l] == '.');
		}
		v[k++] = 0;
		n = k;
	}
	return n;
}

/* Long options are split into several of the same code (RFC 3396). */
static void option_long(struct wbuf *w, uint8_t code, const uint8_t *v, size_t len)
{
	for (size_t off = 0; off < len; off += 255) {
		size_t l = len - off < 255 ? len - off : 255;
		wbuf_u8(w, code);
		wbuf_u8(w, (uint8_t)l);
		wbuf_bytes(w, v + off, l);
	}
}

static void options_write(struct wbuf *w, const struct dhcp_answer *a)
{
	uint8_t routes[255];
	size_t rl = routes_option(a, routes, sizeof(routes));
	wbuf_u8(w, OPT_TYPE);
	wbuf_u8(w, 1);
	wbuf_u8(w, TYPE_ACK);
	wbuf_u8(w, 54); /* server identifier */
	wbuf_u8(w, 4);
	wbuf_u32(w, a->server);
	size_t nd = a->n_dns < 63 ? a->n_dns : 63;
	if (nd) {
		wbuf_u8(w, 6);
		wbuf_u8(w, (uint8_t)(4 * nd));
		for (size_t i = 0; i < nd; i++)
			wbuf_u32(w, a->dns[i]);
	}
	size_t dl = a->domain ? strlen(a->domain) : 0;
	if (dl && dl < 256) {
		wbuf_u8(w, 15);
		wbuf_u8(w, (uint8_t)dl);
		wbuf_bytes(w, a->domain, dl);
	}
	uint8_t search[DHCP_SEARCH_MAX];
	option_long(w, 119, search, search_encode(a, search, sizeof(search)));
	if (rl) {
		/* 121 is the standard; 249 is what Windows reads. */
		static const uint8_t codes[2] = {121, 249};
		for (int i = 0; i < 2; i++) {
			wbuf_u8(w, codes[i]);
			wbuf_u8(w, (uint8_t)rl);
			wbuf_bytes(w, routes, rl);
		}
	}
	wbuf_u8(w, OPT_END);
}

size_t dhcp_ack_build(const struct dhcp_inform *in, const struct dhcp_answer *a, uint8_t *out,
		      size_t cap)
{
	struct wbuf w;
	wbuf_init(&w, out, cap);
	uint8_t *ip = wbuf_reserve(&w, 20), *udp = wbuf_reserve(&w, 8);
	wbuf_u8(&w, 2); /* BOOTREPLY */
	wbuf_u8(&w, in->htype);
	wbuf_u8(&w, in->hlen);
	wbuf_u8(&w, 0);
	wbuf_u32(&w, in->xid);
	wbuf_u16(&w, 0);
	wbuf_u16(&w, in->flags);
	wbuf_u32(&w, in->ciaddr);
	uint8_t *zero = wbuf_reserve(&w, 12); /* yiaddr stays 0 for an INFORM */
	wbuf_bytes(&w, in->chaddr, 16);
	uint8_t *names = wbuf_reserve(&w, 64 + 128);
	wbuf_u32(&w, DHCP_MAGIC);
	options_write(&w, a);
	if (!wbuf_ok(&w))
		return 0;
	memset(zero, 0, 12);
	memset(names, 0, 64 + 128);
	size_t total = w.len;
	struct wbuf h;
	wbuf_init(&h, ip, 28);
	wbuf_u16(&h, 0x4500);
	wbuf_u16(&h, (uint16_t)total);
	wbuf_u32(&h, 0);
	wbuf_u16(&h, 64 << 8 | 17);
	wbuf_u16(&h, 0);
	wbuf_u32(&h, a->server);
	wbuf_u32(&h, in->ciaddr);
	uint16_t sum = ip_checksum(ip, 20);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	/* UDP 67 -> 68; checksum 0 = none, allowed over IPv4 (RFC 768). */
	wbuf_u16(&h, 67);
	wbuf_u16(&h, 68);
	wbuf_u16(&h, (uint16_t)(total - 20));
	wbuf_u16(&h, 0);
	(void)udp;
	return total;
}
