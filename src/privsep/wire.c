/* The key process's request codec: read through the cursor, every field
 * checked, a message with anything left over refused. */
#include "privsep/wire.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

static bool has_handle(uint8_t type)
{
	return type == PS_RAD_MD5 || type == PS_RAD_HMAC || type == PS_ACCT_START;
}

static bool text_ok(const struct ps_acct_bytes *b, size_t min, size_t max)
{
	return b->n >= min && b->n <= max && (!b->n || !memchr(b->p, 0, b->n));
}

static int acct_rec_ok(const struct ps_acct_rec *r)
{
	bool ok = r->server_ip && r->server_port && text_ok(&r->id, 1, PS_ACCT_ID_MAX) &&
		  text_ok(&r->user, 0, PS_ACCT_USER_MAX) &&
		  text_ok(&r->calling, 0, PS_ACCT_CALLING_MAX) &&
		  text_ok(&r->nas_id, 0, PS_ACCT_NAS_MAX) && r->class_.n <= PS_ACCT_CLASS_MAX;
	return ok ? 0 : P2S_E_PROTO;
}

static void wbuf_str8(struct wbuf *w, const struct ps_acct_bytes *b)
{
	wbuf_u8(w, (uint8_t)b->n);
	wbuf_bytes(w, b->p, b->n);
}

int ps_acct_rec_encode(const struct ps_acct_rec *r, uint8_t *buf, size_t cap, size_t *out)
{
	int e = acct_rec_ok(r);
	if (e < 0)
		return e;
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_u32(&w, r->server_ip);
	wbuf_u16(&w, r->server_port);
	wbuf_u32(&w, r->nas_ip);
	wbuf_u32(&w, r->framed_ip);
	const struct ps_acct_bytes *f[] = {&r->id, &r->user, &r->calling, &r->nas_id, &r->class_};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		wbuf_str8(&w, f[i]);
	if (!wbuf_ok(&w))
		return P2S_E_FULL;
	*out = w.len;
	return 0;
}

int ps_acct_rec_decode(struct ps_acct_rec *r, const uint8_t *buf, size_t len)
{
	struct cur c;
	cur_init(&c, buf, len);
	memset(r, 0, sizeof(*r));
	r->server_ip = cur_u32(&c);
	r->server_port = cur_u16(&c);
	r->nas_ip = cur_u32(&c);
	r->framed_ip = cur_u32(&c);
	struct ps_acct_bytes *f[] = {&r->id, &r->user, &r->calling, &r->nas_id, &r->class_};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		f[i]->n = cur_u8(&c);
		f[i]->p = cur_bytes(&c, f[i]->n);
	}
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (!cur_done(&c))
		return P2S_E_TRAIL;
	return acct_rec_ok(r);
}

int ps_acct_counts_encode(const struct ps_acct_counts *c, uint8_t *buf, size_t cap, size_t *out)
{
	if (!text_ok(&c->id, 1, PS_ACCT_ID_MAX))
		return P2S_E_PROTO;
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_str8(&w, &c->id);
	const uint64_t v[] = {c->in_octets, c->out_octets, c->in_packets, c->out_packets};
	for (size_t i = 0; i < 4; i++)
		wbuf_u64(&w, v[i]);
	wbuf_u32(&w, c->session_time);
	wbuf_u32(&w, c->cause);
	if (!wbuf_ok(&w))
		return P2S_E_FULL;
	*out = w.len;
	return 0;
}

int ps_acct_counts_decode(struct ps_acct_counts *c, const uint8_t *buf, size_t len)
{
	struct cur k;
	cur_init(&k, buf, len);
	memset(c, 0, sizeof(*c));
	c->id.n = cur_u8(&k);
	c->id.p = cur_bytes(&k, c->id.n);
	uint64_t *v[] = {&c->in_octets, &c->out_octets, &c->in_packets, &c->out_packets};
	for (size_t i = 0; i < 4; i++)
		*v[i] = cur_u64(&k);
	c->session_time = cur_u32(&k);
	c->cause = cur_u32(&k);
	if (!cur_ok(&k))
		return P2S_E_TRUNC;
	if (!cur_done(&k))
		return P2S_E_TRAIL;
	return text_ok(&c->id, 1, PS_ACCT_ID_MAX) ? 0 : P2S_E_PROTO;
}

static int handle_ok(const struct ps_req *r)
{
	if (r->hlen == 0 || r->hlen > PS_HANDLE_MAX || memchr(r->handle, 0, r->hlen))
		return P2S_E_PROTO;
	return 0;
}

static int data_ok(const struct ps_req *r)
{
	struct ps_acct_rec rec;
	struct ps_acct_counts counts;
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
		if (handle_ok(r) < 0)
			return P2S_E_PROTO;
		return r->len > 0 && r->len <= PS_RAD_MAX ? 0 : P2S_E_PROTO;
	case PS_ACCT_START:
		if (handle_ok(r) < 0)
			return P2S_E_PROTO;
		return ps_acct_rec_decode(&rec, r->data, r->len) == 0 ? 0 : P2S_E_PROTO;
	case PS_ACCT_STOP:
		if (r->len == 0 || r->len > PS_ACCT_ID_MAX || memchr(r->data, 0, r->len))
			return P2S_E_PROTO;
		return 0;
	case PS_ACCT_UPDATE:
		return ps_acct_counts_decode(&counts, r->data, r->len) == 0 ? 0 : P2S_E_PROTO;
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
	if (has_handle(r->type)) {
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
	if (has_handle(r->type)) {
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
