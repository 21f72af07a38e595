/* The key process's request codec: read through the cursor, every field
 * checked, a message with anything left over refused. */
#include "privsep/wire.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

static int data_ok(const struct ps_req *r)
{
	switch (r->type) {
	case PS_KEY_LOAD: return r->len == 0 ? 0 : P2S_E_PROTO;
	case PS_SIGN:
		if (r->alg < PS_RSA_PKCS1 || r->alg > PS_ECDSA)
			return P2S_E_PROTO;
		return r->len > 0 && r->len <= PS_DATA_MAX ? 0 : P2S_E_PROTO;
	case PS_OPEN:
		if (r->len == 0 || r->len > PS_PATH_MAX || memchr(r->data, 0, r->len))
			return P2S_E_PROTO;
		return 0;
	case PS_NOTIFY:
		if (r->len == 0 || r->len > PS_NOTIFY_MAX || memchr(r->data, 0, r->len))
			return P2S_E_PROTO;
		return 0;
	case PS_RAD_MD5:
		if (r->alg > 1)
			return P2S_E_PROTO;
		/* fall through */
	case PS_RAD_HMAC:
		if (r->hlen == 0 || r->hlen > PS_HANDLE_MAX || memchr(r->handle, 0, r->hlen))
			return P2S_E_PROTO;
		return r->len > 0 && r->len <= PS_RAD_MAX ? 0 : P2S_E_PROTO;
	default: return P2S_E_PROTO;
	}
}

int ps_req_encode(const struct ps_req *r, uint8_t *buf, size_t cap, size_t *out)
{
	int e = data_ok(r);
	if (e < 0)
		return e;
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, r->type);
	if (r->type == PS_SIGN) {
		wbuf_bytes(&w, r->key_id, PS_KEY_ID_LEN);
		wbuf_u8(&w, r->alg);
	}
	if (r->type == PS_RAD_MD5 || r->type == PS_RAD_HMAC) {
		wbuf_u8(&w, (uint8_t)r->hlen);
		wbuf_bytes(&w, r->handle, r->hlen);
	}
	if (r->type == PS_RAD_MD5)
		wbuf_u8(&w, r->alg);
	if (r->type != PS_KEY_LOAD) {
		wbuf_u16(&w, (uint16_t)r->len);
		wbuf_bytes(&w, r->data, r->len);
	}
	if (!wbuf_ok(&w))
		return P2S_E_FULL;
	*out = w.len;
	return 0;
}

int ps_req_decode(struct ps_req *r, const uint8_t *buf, size_t len)
{
	struct cur c;
	cur_init(&c, buf, len);
	memset(r, 0, sizeof(*r));
	r->type = cur_u8(&c);
	if (r->type == PS_SIGN) {
		cur_copy(&c, r->key_id, PS_KEY_ID_LEN);
		r->alg = cur_u8(&c);
	}
	if (r->type == PS_RAD_MD5 || r->type == PS_RAD_HMAC) {
		r->hlen = cur_u8(&c);
		r->handle = cur_bytes(&c, r->hlen);
	}
	if (r->type == PS_RAD_MD5)
		r->alg = cur_u8(&c);
	if (r->type >= PS_SIGN && r->type <= PS_TYPE_LAST) {
		r->len = cur_u16(&c);
		r->data = cur_bytes(&c, r->len);
	}
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (!cur_done(&c))
		return P2S_E_TRAIL;
	return data_ok(r);
}

int ps_reply_encode(const struct ps_reply *r, uint8_t *buf, size_t cap, size_t *out)
{
	if (r->len > PS_DATA_MAX)
		return P2S_E_PROTO;
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, r->type);
	wbuf_u32(&w, (uint32_t)r->status);
	wbuf_u16(&w, (uint16_t)r->len);
	wbuf_bytes(&w, r->data, r->len);
	if (!wbuf_ok(&w))
		return P2S_E_FULL;
	*out = w.len;
	return 0;
}

int ps_reply_decode(struct ps_reply *r, const uint8_t *buf, size_t len)
{
	struct cur c;
	cur_init(&c, buf, len);
	memset(r, 0, sizeof(*r));
	r->type = cur_u8(&c);
	r->status = (int32_t)cur_u32(&c);
	r->len = cur_u16(&c);
	r->data = cur_bytes(&c, r->len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (!cur_done(&c))
		return P2S_E_TRAIL;
	if (r->type < PS_KEY_LOAD || r->type > PS_TYPE_LAST || r->len > PS_DATA_MAX ||
	    r->status > 0)
		return P2S_E_PROTO;
	return 0;
}
