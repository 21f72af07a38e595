#include "wire.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "lib/hmac.h"

/* The part after [op, sid, (hmac, replay)]: acks, ack sid, msg id, payload.
 * 0, P2S_E_TRUNC, P2S_E_PROTO (too many acks) or P2S_E_TRAIL (bytes after
 * a P_ACK_V1, which has no payload). */
static int parse_body(struct cur *c, struct ovpn_ctl *out)
{
	out->n_acks = cur_u8(c);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (out->n_acks > OVPN_MAX_ACKS)
		return P2S_E_PROTO;
	for (unsigned i = 0; i < out->n_acks; i++)
		out->acks[i] = cur_u32(c);
	if (out->n_acks)
		out->ack_sid = cur_u64(c);
	out->has_msg_id = out->op != OVPN_ACK_V1;
	if (out->has_msg_id)
		out->msg_id = cur_u32(c);
	out->payload = cur_rest(c, &out->payload_len);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	return out->op == OVPN_ACK_V1 && out->payload_len ? P2S_E_TRAIL : 0;
}

static int tls_auth_hmac(const uint8_t key[OVPN_HMAC_LEN], const uint8_t *replay,
			 const uint8_t *head, const uint8_t *body, size_t body_len,
			 uint8_t mac[OVPN_HMAC_LEN])
{
	/* The HMAC covers replay-id | op | sid | body: the wire order with the
	 * HMAC and replay id moved to the front. */
	const struct hmac_part parts[] = {{replay, 8}, {head, 9}, {body, body_len}};
	return hmac_sha256(key, OVPN_HMAC_LEN, parts, 3, mac);
}

static bool op_is_control(uint8_t op)
{
	return op == OVPN_CONTROL_SOFT_RESET_V1 || op == OVPN_CONTROL_V1 || op == OVPN_ACK_V1 ||
	       op == OVPN_HARD_RESET_CLIENT_V2 || op == OVPN_HARD_RESET_SERVER_V2;
}

int ovpn_ctl_parse(const uint8_t *pkt, size_t len, const struct ovpn_tls_auth *ta,
		   struct ovpn_ctl *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, pkt, len);
	const uint8_t *head = cur_bytes(&c, 9);
	if (!head)
		return P2S_E_TRUNC;
	out->op = ovpn_op_of(head[0]);
	out->key_id = ovpn_kid_of(head[0]);
	if (!op_is_control(out->op))
		return P2S_E_PROTO;
	struct cur hc;
	cur_init(&hc, head + 1, 8);
	out->sid = cur_u64(&hc);
	if (ta && ta->enabled) {
		const uint8_t *mac = cur_bytes(&c, OVPN_HMAC_LEN);
		const uint8_t *replay = cur_bytes(&c, 8);
		if (!replay)
			return P2S_E_TRUNC;
		uint8_t want[OVPN_HMAC_LEN];
		if (tls_auth_hmac(ta->recv_key, replay, head, c.p + c.off, cur_left(&c), want) <
			    0 ||
		    CRYPTO_memcmp(want, mac, OVPN_HMAC_LEN) != 0)
			return P2S_E_AUTH;
		struct cur rc;
		cur_init(&rc, replay, 8);
		uint32_t id = cur_u32(&rc);
		out->replay_id = (uint64_t)cur_u32(&rc) << 32 | id;
	}
	return parse_body(&c, out);
}

static void write_body(struct wbuf *w, const struct ovpn_ctl *p)
{
	wbuf_u8(w, p->n_acks);
	for (unsigned i = 0; i < p->n_acks && i < OVPN_MAX_ACKS; i++)
		wbuf_u32(w, p->acks[i]);
	if (p->n_acks)
		wbuf_u64(w, p->ack_sid);
	if (p->op != OVPN_ACK_V1)
		wbuf_u32(w, p->msg_id);
	wbuf_bytes(w, p->payload, p->payload_len);
}

int ovpn_ctl_write(uint8_t *out, size_t cap, const struct ovpn_ctl *p,
		   const struct ovpn_tls_auth *ta)
{
	struct wbuf w;
	wbuf_init(&w, out, cap);
	if (p->n_acks > OVPN_MAX_ACKS)
		return P2S_E_PROTO;
	wbuf_u8(&w, (uint8_t)(p->op << 3 | (p->key_id & 7)));
	wbuf_u64(&w, p->sid);
	uint8_t *mac = NULL, *replay = NULL;
	if (ta && ta->enabled) {
		mac = wbuf_reserve(&w, OVPN_HMAC_LEN);
		replay = wbuf_reserve(&w, 8);
	}
	size_t body_off = w.len;
	write_body(&w, p);
	if (!wbuf_ok(&w))
		return -ENOSPC;
	if (mac) {
		struct wbuf rw;
		wbuf_init(&rw, replay, 8);
		wbuf_u32(&rw, (uint32_t)p->replay_id);
		wbuf_u32(&rw, (uint32_t)(p->replay_id >> 32));
		if (tls_auth_hmac(ta->send_key, replay, out, out + body_off, w.len - body_off,
				  mac) < 0)
			return P2S_E_CRYPTO;
	}
	return (int)w.len;
}

void ovpn_tls_auth_from_static(struct ovpn_tls_auth *ta, const uint8_t key[OVPN_STATIC_KEY_LEN])
{
	/* Two {cipher[64], hmac[64]} slots; direction 0 sends with slot 0. */
	ta->enabled = true;
	memcpy(ta->send_key, key + 64, OVPN_HMAC_LEN);
	memcpy(ta->recv_key, key + 192, OVPN_HMAC_LEN);
}

void ovpn_tls_auth_client_from_static(struct ovpn_tls_auth *ta,
				      const uint8_t key[OVPN_STATIC_KEY_LEN])
{
	ta->enabled = true;
	memcpy(ta->send_key, key + 192, OVPN_HMAC_LEN);
	memcpy(ta->recv_key, key + 64, OVPN_HMAC_LEN);
}

int ovpn_tcp_frame(const uint8_t *p, size_t n, size_t max_ctl, const uint8_t **pkt, size_t *len,
		   size_t *used)
{
	struct cur c;
	cur_init(&c, p, n);
	size_t plen = cur_u16(&c);
	if (!cur_ok(&c))
		return 0;
	if (plen == 0)
		return P2S_E_PROTO;
	/* The opcode decides before the whole frame is in: a bad one is refused
	 * without waiting for up to 64 KiB. */
	struct cur h = c;
	uint8_t b0 = cur_u8(&h);
	if (cur_ok(&h) && !ovpn_op_is_data(ovpn_op_of(b0)) && plen > max_ctl)
		return P2S_E_FULL;
	const uint8_t *b = cur_bytes(&c, plen);
	if (!b)
		return 0;
	*pkt = b;
	*len = plen;
	*used = c.off;
	return 1;
}
