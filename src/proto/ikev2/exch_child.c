/* CHILD SAs (RFC 7296 §1.3, §2.17-2.18): ESP proposal and selectors, SPIs
 * and KEYMAT, the userspace ESP states; CREATE_CHILD_SA rekeying of a
 * CHILD SA (old one kept until the client deletes it) and of the IKE SA
 * (session and CHILD SAs move to the new one). */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lib/err.h"
#include "lib/random.h"
#include "lib/log.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The ESP proposal: 0 or a notify type (INVALID_KE: *want set). */
static uint16_t child_select(struct ike_sa *sa, const struct ike_chain *ch, int ke_group,
			     bool in_auth, struct ike_suite *s, uint16_t *want)
{
	const struct ike_payload *p = ike_chain_find(ch, IKE_PL_SA);
	static struct ike_sa_offer offer;
	if (!p || ike_sa_parse(p, &offer))
		return IKE_N_INVALID_SYNTAX;
	switch (ike_select_esp(&offer, &sa->e->pol, ke_group, in_auth, s, want)) {
	case IKE_SEL_OK: return 0;
	case IKE_SEL_INVALID_KE: return IKE_N_INVALID_KE_PAYLOAD;
	default: return IKE_N_NO_PROPOSAL_CHOSEN;
	}
}

int ike_session_net(const struct ike_sa *sa, struct session_net *net)
{
	int r = session_net(sa->s, net);
	if (r < 0)
		return r;
	if (!(sa->fam & IKE_FAM_V6))
		net->has_v6 = false;
	if (!(sa->fam & IKE_FAM_V4)) {
		net->addr = net->gateway = 0;
		net->n_routes = net->n_dns = 0;
	}
	return 0;
}

static uint16_t child_ts(struct ike_sa *sa, const struct ike_chain *ch, struct ike_ts_list *ti,
			 struct ike_ts_list *tr)
{
	const struct ike_payload *pi = ike_chain_find(ch, IKE_PL_TSI);
	const struct ike_payload *pr = ike_chain_find(ch, IKE_PL_TSR);
	static struct ike_ts_list ci, cr;
	struct session_net net;
	if (!pi || !pr || ike_ts_parse(pi, &ci) || ike_ts_parse(pr, &cr))
		return IKE_N_INVALID_SYNTAX;
	if (ike_session_net(sa, &net) < 0)
		return IKE_N_INTERNAL_ADDRESS_FAILURE;
	return ike_ts_narrow(&ci, &cr, &net, ti, tr) ? 0 : IKE_N_TS_UNACCEPTABLE;
}

/* KEYMAT, SPIs and both ESP states. ni/nr are the exchange's initiator
 * and responder nonces; when we initiated (ours_first), the first keys are
 * for our outbound SA and spi_in was chosen with the request. */
static int child_keys_ex(struct ike_sa *sa, struct ike_child *c, const struct ike_suite *s,
			 const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
			 const uint8_t *nr, size_t nr_len, uint32_t spi_in, bool ours_first)
{
	size_t half = esp_keymat_len(s->encr, s->key_bits, s->integ);
	uint8_t km[2 * (IKE_MAX_KEY + IKE_MAX_KEY)];
	if (2 * half > sizeof(km))
		return P2S_E_PROTO;
	int r = ike_child_keymat(sa->suite.prf, sa->keys.sk_d, sa->keys.prf_len, gir, gir_len, ni,
				 ni_len, nr, nr_len, km, 2 * half);
	memset(c, 0, sizeof(*c));
	c->suite = *s;
	c->spi_out = get32(s->spi);
	c->spi_in = spi_in ? spi_in : ike_child_spi_new(sa);
	if (r == 0 && c->spi_in == 0)
		r = P2S_E_CRYPTO;
	/* Initiator-to-responder keys come first (RFC 7296 §2.17). */
	const uint8_t *k_in = ours_first ? km + half : km, *k_out = ours_first ? km : km + half;
	if (r == 0)
		r = esp_sa_init(&c->in, c->spi_in, s->encr, s->key_bits, s->integ, k_in, false);
	if (r == 0 && (r = esp_sa_init(&c->out, c->spi_out, s->encr, s->key_bits, s->integ, k_out,
				       true)) != 0)
		esp_sa_clear(&c->in);
	OPENSSL_cleanse(km, sizeof(km));
	if (r)
		return r;
	for (int i = 0; i < 4; i++)
		c->suite.spi[i] = (uint8_t)(c->spi_in >> (24 - 8 * i));
	c->ike = sa;
	c->live = true;
	c->created = ike_now(sa->e);
	ike_child_hash(c);
	return 0;
}

static int child_keys(struct ike_sa *sa, struct ike_child *c, const struct ike_suite *s,
		      const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len)
{
	return child_keys_ex(sa, c, s, gir, gir_len, ni, ni_len, nr, nr_len, 0, false);
}

static void child_payloads(struct ike_builder *b, const struct ike_child *c,
			   const struct ike_ts_list *ti, const struct ike_ts_list *tr)
{
	ike_pl_begin(b, IKE_PL_SA);
	ike_sa_write(&b->w, &c->suite);
	ike_pl_end(b);
	ike_pl_begin(b, IKE_PL_TSI);
	ike_ts_write(&b->w, ti);
	ike_pl_end(b);
	ike_pl_begin(b, IKE_PL_TSR);
	ike_ts_write(&b->w, tr);
	ike_pl_end(b);
}

uint16_t ike_child_setup(struct ike_sa *sa, struct ike_child *c, const struct ike_chain *ch,
			 const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
			 const uint8_t *nr, size_t nr_len, bool in_auth, struct ike_builder *b)
{
	struct ike_suite s;
	uint16_t want;
	static struct ike_ts_list ti, tr;
	uint16_t err = child_select(sa, ch, -1, in_auth, &s, &want);
	if (!err)
		err = child_ts(sa, ch, &ti, &tr);
	if (err)
		return err;
	if (child_keys(sa, c, &s, gir, gir_len, ni, ni_len, nr, nr_len))
		return IKE_N_TEMPORARY_FAILURE;
	c->ti = ti;
	c->tr = tr;
	child_payloads(b, c, &ti, &tr);
	return 0;
}

/* ---- CREATE_CHILD_SA ------------------------------------------------------ */

void ike_answer_notify(struct ike_sa *sa, const struct ike_hdr *h, uint16_t type, const void *data,
		       size_t len)
{
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	ike_pl_notify(&b, 0, NULL, 0, type, data, len);
	ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, h->msg_id, first, buf, b.w.len);
}

static uint16_t rekey_parse(const struct ike_chain *ch, struct rekey_in *r)
{
	const struct ike_payload *no = ike_chain_find(ch, IKE_PL_NONCE);
	const struct ike_payload *ke = ike_chain_find(ch, IKE_PL_KE);
	if (!no || no->len < 16 || no->len > 256)
		return IKE_N_INVALID_SYNTAX;
	r->ni = no->body;
	r->ni_len = no->len;
	r->has_ke = ke != NULL;
	if (ke && ike_ke_parse(ke, &r->ke))
		return IKE_N_INVALID_SYNTAX;
	p2s_random(r->nr, IKE_NONCE_LEN);
	return 0;
}

/* Our half of a PFS / IKE-rekey exchange in group g. */
uint16_t ike_rekey_dh(struct rekey_in *r, uint16_t g)
{
	struct ike_dh dh;
	if (!r->has_ke || r->ke.group != g)
		return IKE_N_INVALID_KE_PAYLOAD;
	int ret = ike_dh_new(&dh, g);
	if (ret == 0)
		ret = ike_dh_public(&dh, r->ke_out, sizeof(r->ke_out), &r->ke_out_len);
	if (ret == 0)
		ret = ike_dh_shared(&dh, r->ke.data, r->ke.len, r->gir, sizeof(r->gir),
				    &r->gir_len);
	ike_dh_free(&dh);
	return ret ? IKE_N_INVALID_SYNTAX : 0;
}

void ike_put_nonce_ke(struct ike_builder *b, const struct rekey_in *r, uint16_t g)
{
	ike_pl_put(b, IKE_PL_NONCE, r->nr, IKE_NONCE_LEN);
	if (r->ke_out_len) {
		ike_pl_begin(b, IKE_PL_KE);
		wbuf_u16(&b->w, g);
		wbuf_u16(&b->w, 0);
		wbuf_bytes(&b->w, r->ke_out, r->ke_out_len);
		ike_pl_end(b);
	}
}

static void rekey_child(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *ch,
			struct rekey_in *r)
{
	struct ike_suite s;
	uint16_t want = 0;
	static struct ike_ts_list ti, tr;
	uint16_t err = child_select(sa, ch, r->has_ke ? r->ke.group : -1, false, &s, &want);
	if (!err && s.dh)
		err = ike_rekey_dh(r, s.dh);
	if (!err)
		err = child_ts(sa, ch, &ti, &tr);
	if (err) {
		uint8_t g[2] = {(uint8_t)(want >> 8), (uint8_t)want};
		ike_answer_notify(sa, h, err, err == IKE_N_INVALID_KE_PAYLOAD ? g : NULL,
				  err == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0);
		return;
	}
	struct ike_child fresh;
	if (child_keys(sa, &fresh, &s, r->ke_out_len ? r->gir : NULL, r->gir_len, r->ni, r->ni_len,
		       r->nr, IKE_NONCE_LEN)) {
		ike_answer_notify(sa, h, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	fresh.ti = ti;
	fresh.tr = tr;
	if (sa->rk.active)
		sa->rk.stale = true; /* simultaneous rekeys: the client's wins here */
	/* The old SA keeps receiving until the client deletes it. */
	ike_child_clear(&sa->old_child);
	ike_child_unhash(&sa->child);
	sa->old_child = sa->child;
	sa->old_child.expires = ike_now(sa->e) + 60.0;
	ike_child_hash(&sa->old_child);
	ike_child_unhash(&fresh);
	sa->child = fresh;
	ike_child_hash(&sa->child);
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	ike_pl_begin(&b, IKE_PL_SA);
	ike_sa_write(&b.w, &sa->child.suite);
	ike_pl_end(&b);
	ike_put_nonce_ke(&b, r, s.dh);
	ike_pl_begin(&b, IKE_PL_TSI);
	ike_ts_write(&b.w, &ti);
	ike_pl_end(&b);
	ike_pl_begin(&b, IKE_PL_TSR);
	ike_ts_write(&b.w, &tr);
	ike_pl_end(&b);
	ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, h->msg_id, first, buf, b.w.len);
	slog_info(sa->label, "CHILD SA rekeyed: spi %08x/%08x", sa->child.spi_in,
		  sa->child.spi_out);
}

void ike_exch_child(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *ch)
{
	if (sa->state != IKE_ST_ESTABLISHED)
		return;
	if (!sa->s || sa->closing) {
		/* Replaced by a rekey, our Delete on its way (§2.25.2). */
		ike_answer_notify(sa, h, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	static struct rekey_in r;
	memset(&r, 0, sizeof(r));
	uint16_t err = rekey_parse(ch, &r);
	if (err) {
		ike_answer_notify(sa, h, err, NULL, 0);
		return;
	}
	struct ike_notify n;
	const struct ike_payload *p = ike_chain_find(ch, IKE_PL_SA);
	if (ike_chain_notify(ch, IKE_N_REKEY_SA, &n)) {
		if (n.proto != IKE_PROTO_ESP || n.spi_len != 4 || !sa->child.live ||
		    get32(n.spi) != sa->child.spi_out)
			ike_answer_notify(sa, h, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		else
			rekey_child(sa, h, ch, &r);
	} else if (p && p->len > 5 && p->body[5] == IKE_PROTO_IKE) {
		ike_rekey_ike_answer(sa, h, ch, &r);
	} else {
		/* One CHILD SA per client: the address is its only selector. */
		ike_answer_notify(sa, h, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	}
	OPENSSL_cleanse(&r, sizeof(r));
}

/* ---- CHILD rekeys we start (RFC 7296 §2.8) --------------------------------- */

void ike_rekey_clear(struct ike_rekey *rk)
{
	ike_dh_free(&rk->dh);
	double next = rk->next_try;
	OPENSSL_cleanse(rk, sizeof(*rk));
	rk->next_try = next;
}

/* Azure's defaults when no custom policy names them. */
#define CHILD_LIFE_S  27000
#define CHILD_LIFE_KB 102400000ull

static bool rekey_due(struct ike_sa *sa, double now)
{
	const struct ike_policy *p = &sa->e->pol;
	const struct ike_child *c = &sa->child;
	double life = p->child_life_s ? p->child_life_s : CHILD_LIFE_S;
	uint64_t kb = p->child_life_kb ? p->child_life_kb : CHILD_LIFE_KB;
	return now - c->created >= life || (c->in.bytes + c->out.bytes) / 1024 >= kb ||
	       c->out.seq >= 0xf0000000u;
}

static int rekey_request(struct ike_sa *sa, struct ike_builder *b)
{
	struct ike_rekey *rk = &sa->rk;
	struct ike_suite s = sa->child.suite;
	uint8_t spi[4], ke[IKE_MAX_DH];
	size_t ke_len = 0;
	rk->spi_in = ike_child_spi_new(sa);
	if (!rk->spi_in)
		return P2S_E_CRYPTO;
	p2s_random(rk->ni, IKE_NONCE_LEN);
	if (s.dh && (ike_dh_new(&rk->dh, s.dh) || ike_dh_public(&rk->dh, ke, sizeof(ke), &ke_len)))
		return P2S_E_CRYPTO;
	for (int i = 0; i < 4; i++) {
		spi[i] = (uint8_t)(sa->child.spi_in >> (24 - 8 * i));
		s.spi[i] = (uint8_t)(rk->spi_in >> (24 - 8 * i));
	}
	s.num = 1;
	ike_pl_notify(b, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_pl_begin(b, IKE_PL_SA);
	ike_sa_write(&b->w, &s);
	ike_pl_end(b);
	ike_pl_put(b, IKE_PL_NONCE, rk->ni, IKE_NONCE_LEN);
	if (ke_len) {
		ike_pl_begin(b, IKE_PL_KE);
		wbuf_u16(&b->w, s.dh);
		wbuf_u16(&b->w, 0);
		wbuf_bytes(&b->w, ke, ke_len);
		ike_pl_end(b);
	}
	/* We initiate: our selectors (the routes) are TSi now. */
	ike_pl_begin(b, IKE_PL_TSI);
	ike_ts_write(&b->w, &sa->child.tr);
	ike_pl_end(b);
	ike_pl_begin(b, IKE_PL_TSR);
	ike_ts_write(&b->w, &sa->child.ti);
	ike_pl_end(b);
	return wbuf_ok(&b->w) ? 0 : P2S_E_FULL;
}

void ike_child_rekey_tick(struct ike_sa *sa, double now)
{
	if (!sa->s || !sa->child.live || sa->tx_pending || sa->rk.active || now < sa->rk.next_try ||
	    !rekey_due(sa, now))
		return;
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	if (rekey_request(sa, &b)) {
		ike_rekey_clear(&sa->rk);
		sa->rk.next_try = now + 30;
		return;
	}
	sa->rk.active = true;
	sa->rk.msg_id = sa->tx_mid;
	slog_debug(sa->label, "starting a CHILD SA rekey (lifetime or data volume reached)");
	ike_send_request(sa, IKE_CREATE_CHILD_SA, first, buf, b.w.len);
}

/* The client's answer: its SPI, nonce and KE; the new pair goes live and the
 * old one is deleted. */
static uint16_t rekey_answer(struct ike_sa *sa, const struct ike_chain *c, struct ike_child *fresh)
{
	struct ike_rekey *rk = &sa->rk;
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_SA);
	const struct ike_payload *no = ike_chain_find(c, IKE_PL_NONCE);
	const struct ike_payload *kp = ike_chain_find(c, IKE_PL_KE);
	static struct ike_sa_offer offer;
	struct ike_suite s;
	uint16_t want;
	if (!p || !no || no->len < 16 || ike_sa_parse(p, &offer) || offer.n != 1)
		return IKE_N_INVALID_SYNTAX;
	int g = sa->child.suite.dh ? sa->child.suite.dh : -1;
	if (ike_select_esp(&offer, &sa->e->pol, g, false, &s, &want) != IKE_SEL_OK)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	uint8_t gir[IKE_MAX_DH];
	size_t gir_len = 0;
	struct ike_ke ke;
	if (s.dh && (!kp || ike_ke_parse(kp, &ke) || ke.group != s.dh ||
		     ike_dh_shared(&rk->dh, ke.data, ke.len, gir, sizeof(gir), &gir_len)))
		return IKE_N_INVALID_KE_PAYLOAD;
	int r = child_keys_ex(sa, fresh, &s, s.dh ? gir : NULL, gir_len, rk->ni, IKE_NONCE_LEN,
			      no->body, no->len, rk->spi_in, true);
	OPENSSL_cleanse(gir, sizeof(gir));
	return r ? IKE_N_TEMPORARY_FAILURE : 0;
}

void ike_child_rekey_done(struct ike_sa *sa, const struct ike_chain *c)
{
	if (sa->rk.ike) {
		ike_rekey_ike_done(sa, c);
		return;
	}
	struct ike_child fresh;
	double now = ike_now(sa->e);
	if (sa->rk.stale) {
		/* Both sides rekeyed: drop ours (RFC 7296 §2.8.1 lets either go). */
		uint32_t surplus = sa->rk.spi_in;
		bool made = ike_chain_find(c, IKE_PL_SA) != NULL;
		ike_rekey_clear(&sa->rk);
		if (made)
			ike_send_delete_child(sa, surplus);
		return;
	}
	uint16_t err = sa->child.live ? rekey_answer(sa, c, &fresh) : IKE_N_CHILD_SA_NOT_FOUND;
	ike_rekey_clear(&sa->rk);
	if (err) {
		/* Refused or a collision with the client's own rekey: try later. */
		slog_debug(sa->label, "our CHILD SA rekey failed (notify %u)", err);
		sa->rk.next_try = now + 60;
		return;
	}
	fresh.ti = sa->child.ti;
	fresh.tr = sa->child.tr;
	ike_child_clear(&sa->old_child);
	ike_child_unhash(&sa->child);
	sa->old_child = sa->child;
	sa->old_child.expires = now + 10.0;
	ike_child_hash(&sa->old_child);
	ike_child_unhash(&fresh);
	sa->child = fresh;
	ike_child_hash(&sa->child);
	slog_info(sa->label, "CHILD SA rekeyed by the gateway: spi %08x/%08x", sa->child.spi_in,
		  sa->child.spi_out);
	ike_send_delete_child(sa, sa->old_child.spi_in);
}
