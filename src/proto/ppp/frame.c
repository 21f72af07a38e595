/* PPP frame, control packet and option codec. */
#include "proto/ppp/frame.h"

#include "lib/err.h"

int ppp_frame_parse(const uint8_t *p, size_t n, uint16_t *proto, const uint8_t **info,
		    size_t *info_len)
{
	struct cur c;
	cur_init(&c, p, n);
	if (n >= 2 && p[0] == 0xff && p[1] == 0x03)
		cur_bytes(&c, 2);
	*proto = cur_u16(&c);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	/* A valid protocol number has an odd low byte and an even high byte. */
	if (!(*proto & 1) || (*proto & 0x100))
		return P2S_E_PROTO;
	*info = cur_rest(&c, info_len);
	return 0;
}

int ppp_frame_build(uint8_t *buf, size_t cap, uint16_t proto, const uint8_t *info, size_t len)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, 0xff);
	wbuf_u8(&w, 0x03);
	wbuf_u16(&w, proto);
	wbuf_bytes(&w, info, len);
	return wbuf_ok(&w) && w.len <= PPP_MAX_FRAME ? (int)w.len : P2S_E_TRUNC;
}

int ppp_cp_parse(const uint8_t *p, size_t n, struct ppp_cp *out)
{
	struct cur c;
	cur_init(&c, p, n);
	out->code = cur_u8(&c);
	out->id = cur_u8(&c);
	size_t len = cur_u16(&c);
	if (!cur_ok(&c) || len < 4)
		return P2S_E_TRUNC;
	/* RFC 1661 allows padding after Length; SSTP frames carry none, so
	 * anything after it is refused like any trailing garbage. */
	if (len != n)
		return len > n ? P2S_E_TRUNC : P2S_E_TRAIL;
	out->data = cur_rest(&c, &out->len);
	return 0;
}

int ppp_cp_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t id, const uint8_t *data,
		 size_t len)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, code);
	wbuf_u8(&w, id);
	wbuf_u16(&w, (uint16_t)(len + 4));
	wbuf_bytes(&w, data, len);
	return wbuf_ok(&w) && len + 4 <= 0xffff ? (int)w.len : P2S_E_TRUNC;
}

int ppp_opt_next(struct cur *c, struct ppp_opt *o)
{
	if (cur_left(c) == 0)
		return cur_ok(c) ? 0 : P2S_E_TRUNC;
	size_t start = c->off;
	o->type = cur_u8(c);
	size_t len = cur_u8(c);
	if (!cur_ok(c) || len < 2)
		return P2S_E_TRUNC;
	o->len = len - 2;
	o->val = cur_bytes(c, o->len);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	o->raw = c->p + start;
	o->raw_len = len;
	return 1;
}

void ppp_opt_put(struct wbuf *w, uint8_t type, const uint8_t *val, size_t len)
{
	wbuf_u8(w, type);
	wbuf_u8(w, (uint8_t)(len + 2));
	wbuf_bytes(w, val, len);
}

void ppp_opt_put_u16(struct wbuf *w, uint8_t type, uint16_t v)
{
	wbuf_u8(w, type);
	wbuf_u8(w, 4);
	wbuf_u16(w, v);
}

void ppp_opt_put_u32(struct wbuf *w, uint8_t type, uint32_t v)
{
	wbuf_u8(w, type);
	wbuf_u8(w, 6);
	wbuf_u32(w, v);
}

const char *ppp_proto_name(uint16_t proto)
{
	switch (proto) {
	case PPP_IP: return "IPv4";
	case PPP_IPV6: return "IPv6";
	case PPP_IPCP: return "IPCP";
	case PPP_IPV6CP: return "IPV6CP";
	case PPP_CCP: return "CCP";
	case PPP_LCP: return "LCP";
	case PPP_PAP: return "PAP";
	case PPP_CHAP: return "CHAP";
	case PPP_EAP: return "EAP";
	default: return "?";
	}
}
