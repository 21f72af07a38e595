/* Protected messages of an IKE SA: SK and SKF (RFC 7383) in both
 * directions, message-id checks, and the cached response resent verbatim
 * when the initiator retransmits (RFC 7296 §2.1-2.2). */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lib/err.h"
#include "lib/log.h"

/* The SK_*r keys protect what the responder sends: ours, unless we started
 * this SA by rekeying the one before. */
static struct ike_sk_dir dir_keys(const struct ike_sa *sa, bool initiators)
{
	const struct ike_keys *k = &sa->keys;
	return (struct ike_sk_dir){sa->suite.encr, sa->suite.key_bits, sa->suite.integ,
				   initiators ? k->sk_ei : k->sk_er,
				   !sa->suite.integ ? NULL
				   : initiators	    ? k->sk_ai
						    : k->sk_ar};
}

static struct ike_sk_dir dir_out(const struct ike_sa *sa)
{
	return dir_keys(sa, sa->initiator);
}

static struct ike_sk_dir dir_in(const struct ike_sa *sa)
{
	return dir_keys(sa, !sa->initiator);
}

void ike_resp_clear(struct ike_sa *sa)
{
	for (size_t i = 0; i < sa->n_resp; i++)
		free(sa->resp[i]);
	sa->n_resp = 0;
}

void ike_frags_clear(struct ike_frags *f)
{
	for (size_t i = 0; i < IKE_MAX_FRAGS; i++) {
		if (f->part[i])
			OPENSSL_cleanse(f->part[i], f->len[i]);
		free(f->part[i]);
	}
	memset(f, 0, sizeof(*f));
}

static void hdr_put(uint8_t *buf, const struct ike_sa *sa, uint8_t next, uint8_t exchange,
		    bool request, uint32_t msg_id)
{
	struct ike_hdr h = {.spi_i = sa->spi_i,
			    .spi_r = sa->spi_r,
			    .next = next,
			    .version = IKE_VERSION,
			    .exchange = exchange,
			    .flags = (request ? 0 : IKE_FLAG_R) | (sa->initiator ? IKE_FLAG_I : 0),
			    .msg_id = msg_id};
	struct wbuf w;
	wbuf_init(&w, buf, IKE_HDR_LEN);
	ike_hdr_write(&w, &h);
}

/* One SK or SKF message into a fresh buffer. */
static uint8_t *seal_one(struct ike_sa *sa, uint8_t exchange, bool request, uint32_t msg_id,
			 uint8_t first, const uint8_t *inner, size_t len, uint16_t num,
			 uint16_t total, size_t *out_len)
{
	struct ike_sk_dir d = dir_out(sa);
	size_t cap = IKE_HDR_LEN + 8 + len + ike_sk_overhead(&d);
	uint8_t *buf = malloc(cap);
	if (!buf)
		return NULL;
	bool frag = total > 0;
	hdr_put(buf, sa, frag ? IKE_PL_SKF : IKE_PL_SK, exchange, request, msg_id);
	buf[IKE_HDR_LEN] = first;
	buf[IKE_HDR_LEN + 1] = 0;
	if (frag) {
		buf[IKE_HDR_LEN + 4] = (uint8_t)(num >> 8);
		buf[IKE_HDR_LEN + 5] = (uint8_t)num;
		buf[IKE_HDR_LEN + 6] = (uint8_t)(total >> 8);
		buf[IKE_HDR_LEN + 7] = (uint8_t)total;
	}
	if (ike_sk_seal(&d, buf, cap, IKE_HDR_LEN, frag ? 4 : 0, inner, len, out_len) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Splits into SKF fragments when the peer allows it and the message would
 * not fit a small MTU; each fragment is protected on its own. */
static size_t seal_all(struct ike_sa *sa, uint8_t exchange, bool request, uint32_t msg_id,
		       uint8_t first, const uint8_t *inner, size_t len, uint8_t **out,
		       size_t *out_len)
{
	struct ike_sk_dir d = dir_out(sa);
	size_t room = IKE_FRAG_SIZE - IKE_HDR_LEN - 8 - ike_sk_overhead(&d);
	if (!sa->peer_frag || exchange == IKE_SA_INIT || len <= room) {
		out[0] = seal_one(sa, exchange, request, msg_id, first, inner, len, 0, 0,
				  &out_len[0]);
		return out[0] ? 1 : 0;
	}
	size_t total = (len + room - 1) / room;
	if (total > IKE_MAX_FRAGS)
		return 0;
	for (size_t i = 0; i < total; i++) {
		size_t n = i + 1 == total ? len - i * room : room;
		out[i] = seal_one(sa, exchange, request, msg_id, i == 0 ? first : 0,
				  inner + i * room, n, (uint16_t)(i + 1), (uint16_t)total,
				  &out_len[i]);
		if (!out[i]) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			return 0;
		}
	}
	return total;
}

int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool request, uint32_t msg_id,
		       uint8_t first, const uint8_t *inner, size_t inner_len)
{
	uint8_t *parts[IKE_MAX_FRAGS];
	size_t lens[IKE_MAX_FRAGS];
	size_t n = seal_all(sa, exchange, request, msg_id, first, inner, inner_len, parts, lens);
	if (n == 0) {
		slog_warn(sa->label, "could not protect a %s message", ike_exchange_name(exchange));
		return P2S_E_CRYPTO;
	}
	for (size_t i = 0; i < n; i++)
		ike_send_raw(sa, parts[i], lens[i]);
	if (request) {
		/* Our request: kept whole for retransmission (only ever one SK). */
		free(sa->req);
		sa->req = parts[0];
		sa->req_len = lens[0];
		for (size_t i = 1; i < n; i++)
			free(parts[i]);
		return 0;
	}
	ike_resp_clear(sa);
	for (size_t i = 0; i < n; i++) {
		sa->resp[i] = parts[i];
		sa->resp_len[i] = lens[i];
	}
	sa->n_resp = n;
	sa->rx_mid = msg_id + 1;
	return 0;
}

void ike_send_clear_notify(struct ike_engine *e, bool natt, const union sockaddr_any *to,
			   const struct ike_hdr *req, uint16_t type, const void *data, size_t len)
{
	uint8_t buf[256];
	struct ike_hdr h = {.spi_i = req->spi_i,
			    .spi_r = 0,
			    .version = IKE_VERSION,
			    .exchange = req->exchange,
			    .flags = IKE_FLAG_R,
			    .msg_id = req->msg_id};
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ike_hdr_write(&w, &h);
	struct ike_builder b;
	ike_build_init(&b, buf + IKE_HDR_LEN, sizeof(buf) - IKE_HDR_LEN, &buf[16]);
	ike_pl_notify(&b, 0, NULL, 0, type, data, len);
	if (wbuf_ok(&b.w))
		ike_sendto(e, natt, to, buf, ike_msg_finish(buf, IKE_HDR_LEN + b.w.len));
}

/* A request we have already answered: the same answer again. */
static bool retransmit(struct ike_sa *sa, const struct ike_msg *m)
{
	if (sa->rx_mid == 0 || m->hdr.msg_id != sa->rx_mid - 1 || sa->n_resp == 0)
		return false;
	if (m->chain.pl[m->chain.n - 1].type == IKE_PL_SKF) {
		struct ike_skf f;
		if (ike_skf_parse(&m->chain.pl[m->chain.n - 1], &f) || f.number != 1)
			return true;
	}
	for (size_t i = 0; i < sa->n_resp; i++)
		ike_send_raw(sa, sa->resp[i], sa->resp_len[i]);
	return true;
}

static int frag_add(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *pt, size_t len)
{
	struct ike_skf f;
	struct ike_frags *fr = &sa->frags;
	int r = ike_skf_parse(&m->chain.pl[m->chain.n - 1], &f);
	if (r)
		return r;
	if (f.total > IKE_MAX_FRAGS)
		return P2S_E_FULL;
	if (fr->msg_id != m->hdr.msg_id || fr->total != f.total) {
		ike_frags_clear(fr);
		fr->msg_id = m->hdr.msg_id;
		fr->total = f.total;
	}
	size_t i = f.number - 1;
	if (fr->part[i])
		return 0; /* a duplicate */
	fr->part[i] = malloc(len ? len : 1);
	if (!fr->part[i])
		return -ENOMEM;
	memcpy(fr->part[i], pt, len);
	fr->len[i] = len;
	fr->have++;
	if (f.number == 1)
		fr->first_type = m->raw[m->sk_off];
	return 0;
}

static int frag_join(struct ike_sa *sa, uint8_t *out, size_t cap, uint8_t *first, size_t *len)
{
	struct ike_frags *fr = &sa->frags;
	size_t n = 0;
	for (size_t i = 0; i < fr->total; i++) {
		if (n + fr->len[i] > cap)
			return P2S_E_FULL;
		memcpy(out + n, fr->part[i], fr->len[i]);
		n += fr->len[i];
	}
	*first = fr->first_type;
	*len = n;
	ike_frags_clear(fr);
	return 1;
}

int ike_open_protected(struct ike_sa *sa, const struct ike_msg *m, uint8_t *first, size_t *len)
{
	struct ike_engine *e = sa->e;
	bool is_resp = m->hdr.flags & IKE_FLAG_R;
	if (is_resp ? m->hdr.msg_id != sa->tx_mid || !sa->tx_pending
		    : retransmit(sa, m) || m->hdr.msg_id != sa->rx_mid ||
			      sa->state == IKE_ST_AUTH_WAIT)
		return 0;
	bool skf = m->chain.pl[m->chain.n - 1].type == IKE_PL_SKF;
	struct ike_sk_dir d = dir_in(sa);
	size_t n;
	int r = ike_sk_open(&d, m->raw, m->raw_len, m->sk_off, skf ? 4 : 0, e->pt, &n);
	if (r)
		return r;
	if (!skf) {
		*first = m->raw[m->sk_off];
		*len = n;
		return 1;
	}
	r = frag_add(sa, m, e->pt, n);
	if (r)
		return r;
	if (sa->frags.have < sa->frags.total)
		return 0;
	return frag_join(sa, e->pt, sizeof(e->pt), first, len);
}
