/* INFORMATIONAL (RFC 7296 §1.4): Delete of CHILD and IKE SAs, liveness
 * checks both ways (DPD), MOBIKE address updates (the peer address itself
 * follows every authenticated message). */
#define LOG_MODULE "ikev2"

#include <string.h>

#include "auth/radius.h"
#include "internal.h"
#include "lib/log.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Deletes the CHILD SA the client sends to spi (its inbound = our out);
 * writes our inbound SPI for the answer. */
static bool child_delete(struct ike_sa *sa, uint32_t spi, uint8_t out[4])
{
	struct ike_child *cs[2] = {&sa->child, &sa->old_child};
	for (int i = 0; i < 2; i++) {
		if (!cs[i]->live || cs[i]->spi_out != spi)
			continue;
		uint32_t in = cs[i]->spi_in;
		for (int k = 0; k < 4; k++)
			out[k] = (uint8_t)(in >> (24 - 8 * k));
		ike_child_clear(cs[i]);
		slog_debug(sa->label, "CHILD SA %08x/%08x deleted by the client", in, spi);
		return true;
	}
	return false;
}

/* MOBIKE (RFC 4555 §3.5): the new address is already followed (the
 * message authenticated); the answer carries NAT detection when asked and
 * echoes COOKIE2. */
static void mobike_answer(struct ike_sa *sa, const struct ike_chain *c, struct ike_builder *b)
{
	struct ike_notify n;
	if (ike_chain_notify(c, IKE_N_UPDATE_SA_ADDRESSES, &n)) {
		char peer[64];
		sockaddr_str(&sa->peer, peer, sizeof(peer));
		slog_info(sa->label, "MOBIKE: the client moved to %s", peer);
	}
	if (ike_chain_notify(c, IKE_N_NAT_DETECTION_SOURCE_IP, &n))
		ike_natd_notifies(sa, b);
	if (ike_chain_notify(c, IKE_N_COOKIE2, &n) && n.data_len >= 8 && n.data_len <= 64)
		ike_pl_notify(b, 0, NULL, 0, IKE_N_COOKIE2, n.data, n.data_len);
}

void ike_exch_info(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	uint8_t *buf = sa->e->tx, first, spis[4 * 8];
	size_t n_spis = 0;
	bool delete_ike = false;
	for (size_t i = 0; i < c->n; i++) {
		struct ike_delete d;
		if (c->pl[i].type != IKE_PL_DELETE || ike_delete_parse(&c->pl[i], &d))
			continue;
		if (d.proto == IKE_PROTO_IKE)
			delete_ike = true;
		for (size_t k = 0; d.proto == IKE_PROTO_ESP && k < d.n_spi && n_spis < 8; k++)
			if (child_delete(sa, get32(d.spis + 4 * k), spis + 4 * n_spis))
				n_spis++;
	}
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	mobike_answer(sa, c, &b);
	if (n_spis && !delete_ike) {
		ike_pl_begin(&b, IKE_PL_DELETE);
		wbuf_u8(&b.w, IKE_PROTO_ESP);
		wbuf_u8(&b.w, 4);
		wbuf_u16(&b.w, (uint16_t)n_spis);
		wbuf_bytes(&b.w, spis, 4 * n_spis);
		ike_pl_end(&b);
	}
	ike_send_protected(sa, IKE_INFORMATIONAL, false, h->msg_id, first, buf, b.w.len);
	if (delete_ike && ike_rekey_ike_handover(sa)) {
		/* Its rekey crossed ours and won (RFC 7296 §2.25.2): ours is forgotten. */
		ike_sa_kill(sa, NULL);
	} else if (delete_ike) {
		if (sa->s)
			core_session_end(sa->s, RAD_TERM_USER_REQUEST,
					 "the client closed the IKE SA");
		ike_sa_kill(sa, "the client closed the IKE SA");
	}
}

void ike_send_request(struct ike_sa *sa, uint8_t exchange, uint8_t first, const uint8_t *inner,
		      size_t len)
{
	sa->tx_pending = true;
	sa->tx_tries = 0;
	sa->tx_at = ike_now(sa->e);
	ike_send_protected(sa, exchange, true, sa->tx_mid, first, inner, len);
}

static void send_request(struct ike_sa *sa, uint8_t first, const uint8_t *inner, size_t len)
{
	ike_send_request(sa, IKE_INFORMATIONAL, first, inner, len);
}

void ike_send_delete_child(struct ike_sa *sa, uint32_t spi_in)
{
	uint8_t body[8] = {IKE_PROTO_ESP, 4, 0, 1}, buf[16], first;
	for (int i = 0; i < 4; i++)
		body[4 + i] = (uint8_t)(spi_in >> (24 - 8 * i));
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(buf), &first);
	ike_pl_put(&b, IKE_PL_DELETE, body, sizeof(body));
	send_request(sa, first, buf, b.w.len);
}

void ike_dpd_tick(struct ike_sa *sa, double now)
{
	if (sa->tx_pending) {
		if (now - sa->tx_at < IKE_DPD_RETRY * (1 << (sa->tx_tries < 4 ? sa->tx_tries : 4)))
			return;
		if (++sa->tx_tries > IKE_DPD_TRIES) {
			const char *why = sa->rk.active && sa->rk.ike
						  ? "dead peer: no answer to our IKE SA rekey"
						  : "dead peer: no answer to liveness checks";
			ike_sa_kill(sa, sa->s ? why : NULL);
			return;
		}
		sa->tx_at = now;
		if (sa->req)
			ike_send_raw(sa, sa->req, sa->req_len);
		return;
	}
	if (!sa->s) {
		/* Replaced by a rekey and waiting for a Delete: not forever. */
		if (now - sa->last_rx > 2 * IKE_DPD_IDLE)
			ike_sa_kill(sa, NULL);
		return;
	}
	if (now - sa->last_rx >= IKE_DPD_IDLE)
		send_request(sa, IKE_PL_NONE, NULL, 0);
}

void ike_send_delete_ike(struct ike_sa *sa)
{
	uint8_t body[4] = {IKE_PROTO_IKE, 0, 0, 0}, buf[16], first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(buf), &first);
	ike_pl_put(&b, IKE_PL_DELETE, body, sizeof(body));
	if (sa->tx_pending)
		sa->tx_mid++; /* the liveness check in flight is abandoned */
	send_request(sa, first, buf, b.w.len);
}
