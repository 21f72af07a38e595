/* SSTP packet codec ([MS-SSTP] 2.2). Every read goes through the cursor;
 * lengths are checked against the header, the attribute headers and the
 * fixed sizes the spec gives each message. */
#include "proto/sstp/wire.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

#define LEN_MASK 0x0fff

int sstp_frame_len(const uint8_t *p, size_t n, size_t *pkt_len)
{
	struct cur c;
	*pkt_len = 0;
	if (n < SSTP_HDR_LEN)
		return 0;
	cur_init(&c, p, SSTP_HDR_LEN);
	uint8_t ver = cur_u8(&c);
	cur_u8(&c);
	size_t len = cur_u16(&c) & LEN_MASK;
	if (ver != SSTP_VERSION || len < SSTP_HDR_LEN)
		return P2S_E_PROTO;
	*pkt_len = len;
	return 0;
}

int sstp_pkt_parse(const uint8_t *p, size_t n, struct sstp_pkt *out)
{
	struct cur c;
	cur_init(&c, p, n);
	uint8_t ver = cur_u8(&c);
	uint8_t flags = cur_u8(&c);
	size_t len = cur_u16(&c) & LEN_MASK;
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (ver != SSTP_VERSION)
		return P2S_E_PROTO;
	if (len != n)
		return len > n ? P2S_E_TRUNC : P2S_E_TRAIL;
	out->control = flags & 1;
	out->body = cur_rest(&c, &out->body_len);
	if (out->control && out->body_len < 4)
		return P2S_E_TRUNC;
	return 0;
}

/* Reads one attribute's value into out, at the exact length each id has. */
static int attr_value(uint8_t id, struct cur *v, struct sstp_ctrl *out)
{
	switch (id) {
	case SSTP_ATTR_ENCAP_PROTO:
		if (out->has_proto)
			return P2S_E_PROTO;
		out->has_proto = true;
		out->proto = cur_u16(v);
		break;
	case SSTP_ATTR_STATUS_INFO:
		if (out->has_status || cur_left(v) < 8)
			return P2S_E_PROTO;
		out->has_status = true;
		cur_bytes(v, 3);
		out->status_attr = cur_u8(v);
		out->status = cur_u32(v);
		cur_rest(v, &(size_t){0}); /* the echoed value is informational */
		break;
	case SSTP_ATTR_CRYPTO_BINDING:
		if (out->has_binding)
			return P2S_E_PROTO;
		out->has_binding = true;
		cur_bytes(v, 3);
		out->hash_proto = cur_u8(v);
		cur_copy(v, out->nonce, SSTP_NONCE_LEN);
		cur_copy(v, out->cert_hash, SSTP_HASH_LEN);
		cur_copy(v, out->mac, SSTP_HASH_LEN);
		break;
	case SSTP_ATTR_CRYPTO_BINDING_REQ:
		if (out->has_binding_req)
			return P2S_E_PROTO;
		out->has_binding_req = true;
		cur_bytes(v, 3);
		out->hash_bitmask = cur_u8(v);
		cur_bytes(v, SSTP_NONCE_LEN);
		break;
	default: return P2S_E_PROTO;
	}
	return cur_done(v) ? 0 : P2S_E_PROTO;
}

/* The exact total packet size of fixed-layout messages (0: variable). */
static size_t msg_fixed_len(uint16_t type)
{
	switch (type) {
	case SSTP_CALL_CONNECT_REQUEST: return 14;
	case SSTP_CALL_CONNECT_ACK: return SSTP_CONNECT_ACK_LEN;
	case SSTP_CALL_CONNECTED: return SSTP_CONNECTED_LEN;
	case SSTP_ECHO_REQUEST:
	case SSTP_ECHO_RESPONSE: return 8;
	default: return 0;
	}
}

/* Which attributes a message must carry. */
static bool msg_attrs_ok(const struct sstp_ctrl *m)
{
	switch (m->type) {
	case SSTP_CALL_CONNECT_REQUEST:
		return m->has_proto && !m->has_binding && !m->has_binding_req;
	case SSTP_CALL_CONNECT_ACK: return m->has_binding_req && !m->has_proto && !m->has_binding;
	case SSTP_CALL_CONNECTED: return m->has_binding && !m->has_proto && !m->has_binding_req;
	case SSTP_CALL_CONNECT_NAK:
	case SSTP_CALL_ABORT:
	case SSTP_CALL_DISCONNECT:
	case SSTP_CALL_DISCONNECT_ACK:
		return !m->has_proto && !m->has_binding && !m->has_binding_req;
	case SSTP_ECHO_REQUEST:
	case SSTP_ECHO_RESPONSE: return true;
	default: return false;
	}
}

int sstp_ctrl_parse(const uint8_t *body, size_t len, struct sstp_ctrl *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, body, len);
	out->type = cur_u16(&c);
	unsigned n_attrs = cur_u16(&c);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	size_t fixed = msg_fixed_len(out->type);
	if (fixed && len + SSTP_HDR_LEN != fixed)
		return P2S_E_PROTO;
	for (unsigned i = 0; i < n_attrs; i++) {
		cur_u8(&c);
		uint8_t id = cur_u8(&c);
		size_t alen = cur_u16(&c) & LEN_MASK;
		if (!cur_ok(&c) || alen < 4)
			return P2S_E_TRUNC;
		struct cur v = cur_sub(&c, alen - 4);
		if (!cur_ok(&c))
			return P2S_E_TRUNC;
		int rc = attr_value(id, &v, out);
		if (rc < 0)
			return rc;
	}
	if (!cur_done(&c))
		return P2S_E_TRAIL;
	return msg_attrs_ok(out) ? 0 : P2S_E_PROTO;
}

/* ---- builders ------------------------------------------------------------ */

static void put_hdr(struct wbuf *w, bool control, size_t total)
{
	wbuf_u8(w, SSTP_VERSION);
	wbuf_u8(w, control ? 1 : 0);
	wbuf_u16(w, (uint16_t)total);
}

static void put_ctrl(struct wbuf *w, size_t total, enum sstp_msg type, uint16_t n_attrs)
{
	put_hdr(w, true, total);
	wbuf_u16(w, type);
	wbuf_u16(w, n_attrs);
}

static void put_attr_hdr(struct wbuf *w, uint8_t id, size_t value_len)
{
	wbuf_u8(w, 0);
	wbuf_u8(w, id);
	wbuf_u16(w, (uint16_t)(value_len + 4));
}

static int finish(const struct wbuf *w)
{
	return wbuf_ok(w) ? (int)w->len : P2S_E_TRUNC;
}

int sstp_build_data(uint8_t *buf, size_t cap, const uint8_t *ppp, size_t len)
{
	struct wbuf w;
	if (len + SSTP_HDR_LEN > SSTP_MAX_PKT)
		return P2S_E_PROTO;
	wbuf_init(&w, buf, cap);
	put_hdr(&w, false, len + SSTP_HDR_LEN);
	wbuf_bytes(&w, ppp, len);
	return finish(&w);
}

int sstp_build_connect_ack(uint8_t *buf, size_t cap, uint8_t hash_bitmask,
			   const uint8_t nonce[SSTP_NONCE_LEN])
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	put_ctrl(&w, SSTP_CONNECT_ACK_LEN, SSTP_CALL_CONNECT_ACK, 1);
	put_attr_hdr(&w, SSTP_ATTR_CRYPTO_BINDING_REQ, 4 + SSTP_NONCE_LEN);
	wbuf_u24(&w, 0);
	wbuf_u8(&w, hash_bitmask);
	wbuf_bytes(&w, nonce, SSTP_NONCE_LEN);
	return finish(&w);
}

static void put_status(struct wbuf *w, uint8_t attr, uint32_t status, const uint8_t *value,
		       size_t value_len)
{
	put_attr_hdr(w, SSTP_ATTR_STATUS_INFO, 8 + value_len);
	wbuf_u24(w, 0);
	wbuf_u8(w, attr);
	wbuf_u32(w, status);
	wbuf_bytes(w, value, value_len);
}

int sstp_build_connect_nak(uint8_t *buf, size_t cap, uint8_t attr, uint32_t status,
			   const uint8_t *value, size_t value_len)
{
	struct wbuf w;
	if (value_len > 64)
		return P2S_E_PROTO;
	wbuf_init(&w, buf, cap);
	put_ctrl(&w, 8 + 12 + value_len, SSTP_CALL_CONNECT_NAK, 1);
	put_status(&w, attr, status, value, value_len);
	return finish(&w);
}

int sstp_build_status_msg(uint8_t *buf, size_t cap, enum sstp_msg type, uint8_t attr,
			  uint32_t status)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	put_ctrl(&w, 8 + 12, type, 1);
	put_status(&w, attr, status, NULL, 0);
	return finish(&w);
}

int sstp_build_simple(uint8_t *buf, size_t cap, enum sstp_msg type)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	put_ctrl(&w, 8, type, 0);
	return finish(&w);
}

const char *sstp_msg_name(unsigned type)
{
	static const char *const names[] = {
		"?",
		"CALL_CONNECT_REQUEST",
		"CALL_CONNECT_ACK",
		"CALL_CONNECT_NAK",
		"CALL_CONNECTED",
		"CALL_ABORT",
		"CALL_DISCONNECT",
		"CALL_DISCONNECT_ACK",
		"ECHO_REQUEST",
		"ECHO_RESPONSE",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}
