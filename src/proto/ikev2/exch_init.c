/* IKE_SA_INIT, responder side (RFC 7296 §1.2, §2.6, §2.23): proposal and
 * group choice, the key exchange, our nonce and keys, NAT detection, the
 * CERTREQ naming the uploaded roots, fragmentation and signature-hash
 * support. */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lib/err.h"
#include "lib/random.h"
#include "lib/log.h"

/* NAT_DETECTION_*_IP = SHA-1(SPIi | SPIr | IP | port). */
static void natd_hash(uint64_t spi_i, uint64_t spi_r, const union sockaddr_any *a, uint8_t out[20])
{
	uint8_t buf[16 + 16 + 2];
	size_t n = 0;
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(spi_i >> (56 - 8 * i));
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(spi_r >> (56 - 8 * i));
	if (a->sa.sa_family == AF_INET6) {
		memcpy(buf + n, &a->in6.sin6_addr, 16);
		n += 16;
		memcpy(buf + n, &a->in6.sin6_port, 2);
	} else {
		memcpy(buf + n, &a->in.sin_addr, 4);
		n += 4;
		memcpy(buf + n, &a->in.sin_port, 2);
	}
	SHA1(buf, n + 2, out);
}

static bool resend_init(struct ike_engine *e, const struct ike_msg *m,
			const union sockaddr_any *peer, bool natt)
{
	for (struct ike_sa *sa = e->head; sa; sa = sa->next) {
		if (sa->spi_i != m->hdr.spi_i || !sockaddr_equal(&sa->peer, peer))
			continue;
		if (sa->state == IKE_ST_HALF_OPEN && sa->init_resp)
			ike_sendto(e, natt, peer, sa->init_resp, sa->init_resp_len);
		return true;
	}
	return false;
}

struct init_req {
	struct ike_sa_offer sa;
	struct ike_ke ke;
	const uint8_t *ni;
	size_t ni_len;
};

/* 0, or the notify type to answer with. */
static uint16_t init_parse(const struct ike_msg *m, struct init_req *r)
{
	if (m->chain.unsupported_critical)
		return IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD;
	const struct ike_payload *sa = ike_chain_find(&m->chain, IKE_PL_SA);
	const struct ike_payload *ke = ike_chain_find(&m->chain, IKE_PL_KE);
	const struct ike_payload *no = ike_chain_find(&m->chain, IKE_PL_NONCE);
	if (ike_chain_check(&m->chain, IKE_SA_INIT, false) || !sa || !ke || !no)
		return IKE_N_INVALID_SYNTAX;
	if (no->len < 16 || no->len > 256 || ike_sa_parse(sa, &r->sa) || ike_ke_parse(ke, &r->ke))
		return IKE_N_INVALID_SYNTAX;
	r->ni = no->body;
	r->ni_len = no->len;
	return 0;
}

/* Keys for the new SA from the initiator's KE; writes our KE data. */
static int init_keys(struct ike_sa *sa, const struct init_req *r, uint8_t *ke_out, size_t *ke_len)
{
	struct ike_dh dh;
	uint8_t gir[IKE_MAX_DH];
	size_t gir_len = 0;
	int ret = ike_dh_new(&dh, sa->suite.dh);
	if (ret == 0)
		ret = ike_dh_public(&dh, ke_out, IKE_MAX_DH, ke_len);
	if (ret == 0)
		ret = ike_dh_shared(&dh, r->ke.data, r->ke.len, gir, sizeof(gir), &gir_len);
	ike_dh_free(&dh);
	if (ret == 0)
		ret = ike_keys_derive(&sa->suite, NULL, 0, gir, gir_len, sa->ni, sa->ni_len, sa->nr,
				      IKE_NONCE_LEN, sa->spi_i, sa->spi_r, &sa->keys);
	OPENSSL_cleanse(gir, sizeof(gir));
	return ret;
}

void ike_natd_notifies(struct ike_sa *sa, struct ike_builder *b)
{
	uint8_t h[20];
	/* Our own address is hashed as 0.0.0.0:0 so the client always sees a
	 * NAT and carries ESP in UDP 4500 (RFC 3948): the gateway's ESP is in
	 * userspace and never sees raw protocol-50 packets. */
	union sockaddr_any none = {0};
	none.in.sin_family = AF_INET;
	natd_hash(sa->spi_i, sa->spi_r, &none, h);
	ike_pl_notify(b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h, 20);
	natd_hash(sa->spi_i, sa->spi_r, &sa->peer, h);
	ike_pl_notify(b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

static void init_notifies(struct ike_sa *sa, struct ike_builder *b)
{
	struct ike_engine *e = sa->e;
	ike_natd_notifies(sa, b);
	if (e->certreq_len) {
		ike_pl_begin(b, IKE_PL_CERTREQ);
		wbuf_u8(&b->w, IKE_CERT_X509_SIG);
		wbuf_bytes(&b->w, e->certreq, e->certreq_len);
		ike_pl_end(b);
	}
	ike_pl_notify(b, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	static const uint8_t hashes[] = {0, 2, 0, 3, 0, 4}; /* SHA-256/384/512 (RFC 7427) */
	ike_pl_notify(b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
}

static int init_respond(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *ke,
			size_t ke_len)
{
	uint8_t *buf = sa->e->tx;
	struct ike_hdr h = {.spi_i = sa->spi_i,
			    .spi_r = sa->spi_r,
			    .version = IKE_VERSION,
			    .exchange = IKE_SA_INIT,
			    .flags = IKE_FLAG_R,
			    .msg_id = 0};
	struct wbuf w;
	wbuf_init(&w, buf, IKE_HDR_LEN);
	ike_hdr_write(&w, &h);
	struct ike_builder b;
	ike_build_init(&b, buf + IKE_HDR_LEN, sizeof(sa->e->tx) - IKE_HDR_LEN, &buf[16]);
	ike_pl_begin(&b, IKE_PL_SA);
	ike_sa_write(&b.w, &sa->suite);
	ike_pl_end(&b);
	ike_pl_begin(&b, IKE_PL_KE);
	wbuf_u16(&b.w, sa->suite.dh);
	wbuf_u16(&b.w, 0);
	wbuf_bytes(&b.w, ke, ke_len);
	ike_pl_end(&b);
	ike_pl_put(&b, IKE_PL_NONCE, sa->nr, IKE_NONCE_LEN);
	init_notifies(sa, &b);
	if (!wbuf_ok(&b.w))
		return P2S_E_FULL;
	size_t len = ike_msg_finish(buf, IKE_HDR_LEN + b.w.len);
	sa->init_req = malloc(m->raw_len);
	sa->init_resp = malloc(len);
	if (!sa->init_req || !sa->init_resp)
		return -ENOMEM;
	memcpy(sa->init_req, m->raw, m->raw_len);
	sa->init_req_len = m->raw_len;
	memcpy(sa->init_resp, buf, len);
	sa->init_resp_len = len;
	ike_send_raw(sa, buf, len);
	return 0;
}

static void peer_announces(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_notify n;
	sa->peer_frag = ike_chain_notify(c, IKE_N_FRAGMENTATION_SUPPORTED, &n);
	sa->peer_sig_hash = false;
	if (ike_chain_notify(c, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n))
		for (size_t i = 0; i + 1 < n.data_len; i += 2)
			if (n.data[i] == 0 && n.data[i + 1] >= 2 && n.data[i + 1] <= 4)
				sa->peer_sig_hash = true;
}

static void init_create(struct ike_engine *e, const struct ike_msg *m,
			const union sockaddr_any *peer, bool natt, const struct init_req *r,
			const struct ike_suite *suite)
{
	struct ike_sa *sa = ike_sa_new(e, peer, natt);
	if (!sa)
		return;
	sa->suite = *suite;
	sa->spi_i = m->hdr.spi_i;
	sa->rx_mid = 1; /* IKE_SA_INIT was message 0 */
	while (sa->spi_r == 0)
		p2s_random(&sa->spi_r, 8);
	memcpy(sa->ni, r->ni, r->ni_len);
	sa->ni_len = r->ni_len;
	uint8_t ke[IKE_MAX_DH];
	size_t ke_len = 0;
	p2s_random(sa->nr, IKE_NONCE_LEN);
	int ret = init_keys(sa, r, ke, &ke_len);
	peer_announces(sa, &m->chain);
	if (ret == 0)
		ret = init_respond(sa, m, ke, ke_len);
	ike_sa_hash(sa);
	if (ret) {
		slog_debug(sa->label, "IKE_SA_INIT refused: %s", p2s_strerror(ret));
		if (ret == P2S_E_PROTO)
			ike_send_clear_notify(e, natt, peer, &m->hdr, IKE_N_INVALID_SYNTAX, NULL,
					      0);
		ike_sa_kill(sa, NULL);
		return;
	}
	char s[96];
	slog_debug(sa->label, "IKE_SA_INIT: %s", ike_suite_str(&sa->suite, s, sizeof(s)));
}

static void offer_str(const struct ike_sa_offer *o, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < o->n && n + 16 < cap; i++)
		for (size_t j = 0; j < o->prop[i].n_tf && n + 16 < cap; j++) {
			const struct ike_transform *t = &o->prop[i].tf[j];
			n += (size_t)snprintf(buf + n, cap - n, "%s%u:%u", n ? "," : "", t->type,
					      t->id);
			if (t->key_bits && n + 8 < cap)
				n += (size_t)snprintf(buf + n, cap - n, "/%u", t->key_bits);
		}
}

void ike_exch_init(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		   bool natt)
{
	if (m->hdr.spi_r != 0 || m->hdr.msg_id != 0 || !(m->hdr.flags & IKE_FLAG_I) ||
	    m->hdr.spi_i == 0)
		return;
	if (resend_init(e, m, peer, natt))
		return;
	static struct init_req r;
	uint16_t err = init_parse(m, &r);
	if (err) {
		ike_send_clear_notify(e, natt, peer, &m->hdr, err, NULL, 0);
		return;
	}
	double now = ike_now(e);
	if (now - e->init_second >= 1.0) {
		e->init_second = now;
		e->init_count = 0;
	}
	e->init_count++;
	bool busy = e->half_open >= IKE_COOKIE_THRESHOLD || e->init_count > IKE_COOKIE_THRESHOLD;
	if (busy && !ike_cookie_check(e, m, peer, r.ni, r.ni_len)) {
		uint8_t cookie[36];
		ike_cookie_make(e, m, peer, r.ni, r.ni_len, cookie);
		ike_send_clear_notify(e, natt, peer, &m->hdr, IKE_N_COOKIE, cookie, sizeof(cookie));
		return;
	}
	struct ike_suite suite;
	uint16_t want = 0;
	char who[64];
	sockaddr_str(peer, who, sizeof(who));
	switch (ike_select_ike(&r.sa, &e->pol, r.ke.group, &suite, &want)) {
	case IKE_SEL_OK: init_create(e, m, peer, natt, &r, &suite); return;
	case IKE_SEL_INVALID_KE: {
		uint8_t g[2] = {(uint8_t)(want >> 8), (uint8_t)want};
		log_debug("%s: KE group %u not acceptable, asking for %u", who, r.ke.group, want);
		ike_send_clear_notify(e, natt, peer, &m->hdr, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	case IKE_SEL_NO_PROPOSAL: {
		char offer[512];
		offer_str(&r.sa, offer, sizeof(offer));
		bool quiet = now - e->last_refusal_log < 1.0;
		if (!quiet)
			e->last_refusal_log = now;
		log_msg(quiet ? LOG_DEBUG : LOG_INFO, LOG_MODULE, NULL,
			"%s: IKE_SA_INIT refused, NO_PROPOSAL_CHOSEN (offered type:id %s)", who,
			offer);
		ike_send_clear_notify(e, natt, peer, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	}
}
