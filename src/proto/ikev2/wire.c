#include "wire.h"

#include <string.h>

#include "lib/err.h"

int ike_hdr_parse(const uint8_t *p, size_t len, struct ike_hdr *h)
{
	struct cur c;
	cur_init(&c, p, len);
	h->spi_i = cur_u64(&c);
	h->spi_r = cur_u64(&c);
	h->next = cur_u8(&c);
	h->version = cur_u8(&c);
	h->exchange = cur_u8(&c);
	h->flags = cur_u8(&c);
	h->msg_id = cur_u32(&c);
	h->length = cur_u32(&c);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	/* Only major version 2; a higher minor is fine (RFC 7296 §2.5). */
	if ((h->version >> 4) != 2)
		return P2S_E_PROTO;
	return 0;
}

void ike_hdr_write(struct wbuf *w, const struct ike_hdr *h)
{
	wbuf_u64(w, h->spi_i);
	wbuf_u64(w, h->spi_r);
	wbuf_u8(w, h->next);
	wbuf_u8(w, h->version);
	wbuf_u8(w, h->exchange);
	wbuf_u8(w, h->flags);
	wbuf_u32(w, h->msg_id);
	wbuf_u32(w, h->length);
}

static bool known_type(uint8_t t)
{
	return (t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF;
}

/* One generic payload header (RFC 7296 §3.2): validated before the body is
 * looked at. Unknown non-critical payloads are skipped, as the RFC asks. */
static int chain_one(struct cur *c, uint8_t type, struct ike_chain *ch, uint8_t *next)
{
	*next = cur_u8(c);
	uint8_t flags = cur_u8(c);
	uint16_t plen = cur_u16(c);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (plen < IKE_GEN_HDR_LEN || (size_t)(plen - IKE_GEN_HDR_LEN) > cur_left(c))
		return P2S_E_TRUNC;
	size_t blen = plen - IKE_GEN_HDR_LEN;
	const uint8_t *body = cur_bytes(c, blen);
	bool critical = flags & IKE_CRITICAL;
	if (!known_type(type)) {
		if (critical && !ch->unsupported_critical)
			ch->unsupported_critical = type;
		return 0;
	}
	if (ch->n == IKE_MAX_PAYLOADS)
		return P2S_E_FULL;
	ch->pl[ch->n++] = (struct ike_payload){type, critical, body, blen};
	return 0;
}

int ike_chain_parse(uint8_t first, const uint8_t *p, size_t len, struct ike_chain *ch)
{
	struct cur c;
	cur_init(&c, p, len);
	ch->n = 0;
	ch->unsupported_critical = 0;
	uint8_t type = first;
	while (type != IKE_PL_NONE) {
		uint8_t next;
		int r = chain_one(&c, type, ch, &next);
		if (r)
			return r;
		/* SK and SKF end the clear chain: their next-payload names the
		 * first inner payload, and their body runs to the end. */
		if (type == IKE_PL_SK || type == IKE_PL_SKF)
			return cur_done(&c) ? 0 : P2S_E_TRAIL;
		type = next;
	}
	return cur_done(&c) ? 0 : P2S_E_TRAIL;
}

int ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *m)
{
	memset(m, 0, sizeof(*m));
	int r = ike_hdr_parse(p, len, &m->hdr);
	if (r)
		return r;
	if (m->hdr.length != len)
		return m->hdr.length > len ? P2S_E_TRUNC : P2S_E_TRAIL;
	m->raw = p;
	m->raw_len = len;
	r = ike_chain_parse(m->hdr.next, p + IKE_HDR_LEN, len - IKE_HDR_LEN, &m->chain);
	if (r)
		return r;
	if (m->chain.n > 0) {
		const struct ike_payload *last = &m->chain.pl[m->chain.n - 1];
		if (last->type == IKE_PL_SK || last->type == IKE_PL_SKF)
			m->sk_off = (size_t)(last->body - p) - IKE_GEN_HDR_LEN;
	}
	return 0;
}

const struct ike_payload *ike_chain_find(const struct ike_chain *c, uint8_t type)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->pl[i].type == type)
			return &c->pl[i];
	return NULL;
}

#define B(t) (1ull << ((t)-32))

/* Which payloads each exchange may carry (RFC 7296 §1.2-1.5, RFC 7383,
 * RFC 4555), in the clear and inside SK. Anything else is INVALID_SYNTAX. */
static const struct {
	uint8_t exchange;
	uint64_t clear, inner;
} legal[] = {
	{IKE_SA_INIT,
	 B(IKE_PL_SA) | B(IKE_PL_KE) | B(IKE_PL_NONCE) | B(IKE_PL_NOTIFY) | B(IKE_PL_VENDOR) |
		 B(IKE_PL_CERTREQ),
	 0},
	{IKE_AUTH, B(IKE_PL_SK) | B(IKE_PL_SKF),
	 B(IKE_PL_IDI) | B(IKE_PL_IDR) | B(IKE_PL_CERT) | B(IKE_PL_CERTREQ) | B(IKE_PL_AUTH) |
		 B(IKE_PL_NOTIFY) | B(IKE_PL_VENDOR) | B(IKE_PL_CP) | B(IKE_PL_SA) | B(IKE_PL_TSI) |
		 B(IKE_PL_TSR) | B(IKE_PL_EAP)},
	{IKE_CREATE_CHILD_SA, B(IKE_PL_SK) | B(IKE_PL_SKF),
	 B(IKE_PL_SA) | B(IKE_PL_NONCE) | B(IKE_PL_KE) | B(IKE_PL_TSI) | B(IKE_PL_TSR) |
		 B(IKE_PL_NOTIFY) | B(IKE_PL_VENDOR)},
	{IKE_INFORMATIONAL, B(IKE_PL_SK) | B(IKE_PL_SKF),
	 B(IKE_PL_NOTIFY) | B(IKE_PL_DELETE) | B(IKE_PL_CP) | B(IKE_PL_VENDOR)},
};

bool ike_payload_allowed(uint8_t exchange, bool encrypted, uint8_t type)
{
	if (type < 32 || type > 32 + 63)
		return false;
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (legal[i].exchange == exchange)
			return ((encrypted ? legal[i].inner : legal[i].clear) & B(type)) != 0;
	return false;
}

int ike_chain_check(const struct ike_chain *c, uint8_t exchange, bool encrypted)
{
	for (size_t i = 0; i < c->n; i++)
		if (!ike_payload_allowed(exchange, encrypted, c->pl[i].type))
			return P2S_E_PROTO;
	return 0;
}

const char *ike_exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT: return "IKE_SA_INIT";
	case IKE_AUTH: return "IKE_AUTH";
	case IKE_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKE_INFORMATIONAL: return "INFORMATIONAL";
	default: return "unknown";
	}
}

/* ---- typed bodies ---------------------------------------------------- */

static int done(const struct cur *c)
{
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	return cur_done(c) ? 0 : P2S_E_TRAIL;
}

int ike_notify_parse(const struct ike_payload *p, struct ike_notify *n)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	n->proto = cur_u8(&c);
	n->spi_len = cur_u8(&c);
	n->type = cur_u16(&c);
	n->spi = cur_bytes(&c, n->spi_len);
	n->data = cur_rest(&c, &n->data_len);
	return done(&c);
}

bool ike_chain_notify(const struct ike_chain *c, uint16_t type, struct ike_notify *n)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(&c->pl[i], n) == 0 && n->type == type)
			return true;
	}
	return false;
}

int ike_ke_parse(const struct ike_payload *p, struct ike_ke *ke)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	ke->group = cur_u16(&c);
	(void)cur_u16(&c);
	ke->data = cur_rest(&c, &ke->len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	return ke->len ? 0 : P2S_E_PROTO;
}

int ike_id_parse(const struct ike_payload *p, struct ike_id *id)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	id->type = cur_u8(&c);
	(void)cur_bytes(&c, 3);
	id->data = cur_rest(&c, &id->len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	return id->len ? 0 : P2S_E_PROTO;
}

int ike_auth_parse(const struct ike_payload *p, struct ike_auth *a)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	a->method = cur_u8(&c);
	(void)cur_bytes(&c, 3);
	a->data = cur_rest(&c, &a->len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	return a->len ? 0 : P2S_E_PROTO;
}

int ike_cert_parse(const struct ike_payload *p, struct ike_cert *ce)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	ce->encoding = cur_u8(&c);
	ce->data = cur_rest(&c, &ce->len);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	return ce->len ? 0 : P2S_E_PROTO;
}

/* One selector (RFC 7296 §3.13.1): its length must match its type. */
static int ts_one(struct cur *c, struct ike_ts *ts)
{
	ts->type = cur_u8(c);
	ts->ip_proto = cur_u8(c);
	uint16_t len = cur_u16(c);
	size_t alen = ts->type == IKE_TS_IPV4_RANGE ? 4 : ts->type == IKE_TS_IPV6_RANGE ? 16 : 0;
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (alen == 0 || len != 8 + 2 * alen)
		return P2S_E_PROTO;
	ts->start_port = cur_u16(c);
	ts->end_port = cur_u16(c);
	memset(ts->start, 0, sizeof(ts->start));
	memset(ts->end, 0, sizeof(ts->end));
	cur_copy(c, ts->start, alen);
	cur_copy(c, ts->end, alen);
	return cur_ok(c) ? 0 : P2S_E_TRUNC;
}

int ike_ts_parse(const struct ike_payload *p, struct ike_ts_list *l)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	uint8_t n = cur_u8(&c);
	(void)cur_bytes(&c, 3);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (n == 0 || n > IKE_MAX_TS)
		return P2S_E_PROTO;
	l->n = 0;
	for (uint8_t i = 0; i < n; i++) {
		int r = ts_one(&c, &l->ts[l->n]);
		if (r)
			return r;
		l->n++;
	}
	return done(&c);
}

void ike_ts_write(struct wbuf *w, const struct ike_ts_list *l)
{
	wbuf_u8(w, (uint8_t)l->n);
	wbuf_u24(w, 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct ike_ts *ts = &l->ts[i];
		size_t alen = ts->type == IKE_TS_IPV4_RANGE ? 4 : 16;
		wbuf_u8(w, ts->type);
		wbuf_u8(w, ts->ip_proto);
		wbuf_u16(w, (uint16_t)(8 + 2 * alen));
		wbuf_u16(w, ts->start_port);
		wbuf_u16(w, ts->end_port);
		wbuf_bytes(w, ts->start, alen);
		wbuf_bytes(w, ts->end, alen);
	}
}

int ike_cp_parse(const struct ike_payload *p, struct ike_cp *cp)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	cp->cfg_type = cur_u8(&c);
	(void)cur_bytes(&c, 3);
	cp->n = 0;
	while (cur_ok(&c) && cur_left(&c) > 0) {
		uint16_t type = cur_u16(&c) & 0x7fff;
		uint16_t len = cur_u16(&c);
		const uint8_t *val = cur_bytes(&c, len);
		if (!cur_ok(&c))
			break;
		if (cp->n == IKE_MAX_CP_ATTRS)
			return P2S_E_FULL;
		cp->attr[cp->n++] = (struct ike_cp_attr_v){type, val, len};
	}
	return done(&c);
}

int ike_delete_parse(const struct ike_payload *p, struct ike_delete *d)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	d->proto = cur_u8(&c);
	d->spi_len = cur_u8(&c);
	d->n_spi = cur_u16(&c);
	d->spis = cur_bytes(&c, (size_t)d->spi_len * d->n_spi);
	int r = done(&c);
	if (r)
		return r;
	if (d->proto == IKE_PROTO_IKE)
		return d->spi_len == 0 && d->n_spi == 0 ? 0 : P2S_E_PROTO;
	return d->spi_len == 4 ? 0 : P2S_E_PROTO;
}

int ike_skf_parse(const struct ike_payload *p, struct ike_skf *f)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	f->number = cur_u16(&c);
	f->total = cur_u16(&c);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	if (f->number == 0 || f->total == 0 || f->number > f->total)
		return P2S_E_PROTO;
	return 0;
}

/* ---- building ------------------------------------------------------- */

void ike_build_init(struct ike_builder *b, void *buf, size_t cap, uint8_t *first)
{
	wbuf_init(&b->w, buf, cap);
	b->first = first;
	b->prev_nxt = NULL;
	b->open = 0;
	if (first)
		*first = IKE_PL_NONE;
}

void ike_pl_begin(struct ike_builder *b, uint8_t type)
{
	uint8_t *h = wbuf_reserve(&b->w, IKE_GEN_HDR_LEN);
	if (!h)
		return;
	if (b->prev_nxt)
		*b->prev_nxt = type;
	else if (b->first)
		*b->first = type;
	h[0] = IKE_PL_NONE;
	h[1] = 0;
	b->prev_nxt = &h[0];
	b->open = b->w.len - IKE_GEN_HDR_LEN;
}

void ike_pl_end(struct ike_builder *b)
{
	if (!wbuf_ok(&b->w))
		return;
	size_t len = b->w.len - b->open;
	if (len > 0xffff) {
		b->w.err = true;
		return;
	}
	b->w.p[b->open + 2] = (uint8_t)(len >> 8);
	b->w.p[b->open + 3] = (uint8_t)len;
}

void ike_pl_put(struct ike_builder *b, uint8_t type, const void *body, size_t len)
{
	ike_pl_begin(b, type);
	wbuf_bytes(&b->w, body, len);
	ike_pl_end(b);
}

void ike_pl_notify(struct ike_builder *b, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		   uint16_t type, const void *data, size_t len)
{
	ike_pl_begin(b, IKE_PL_NOTIFY);
	wbuf_u8(&b->w, proto);
	wbuf_u8(&b->w, spi_len);
	wbuf_u16(&b->w, type);
	wbuf_bytes(&b->w, spi, spi_len);
	wbuf_bytes(&b->w, data, len);
	ike_pl_end(b);
}

size_t ike_msg_finish(uint8_t *msg, size_t len)
{
	msg[24] = (uint8_t)(len >> 24);
	msg[25] = (uint8_t)(len >> 16);
	msg[26] = (uint8_t)(len >> 8);
	msg[27] = (uint8_t)len;
	return len;
}
