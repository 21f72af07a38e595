/* Rekeying the IKE SA (RFC 7296 §2.8, §2.18): answering the client's
 * CREATE_CHILD_SA for it, starting our own at 90% of the IKE SA lifetime,
 * simultaneous rekeys (§2.8.2: the exchange with the lower nonce makes the
 * surplus SA) and the SA that cannot be rekeyed (closed at its lifetime with
 * the reason). The new SA takes the session and the CHILD SAs; the old one
 * is deleted by whoever started the surviving exchange. */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "auth/radius.h"
#include "internal.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/random.h"

/* A fresh IKE SPI of ours, unused by any SA. */
static uint64_t new_ike_spi(struct ike_engine *e)
{
	uint64_t v = 0;
	for (int i = 0; i < 16 && v == 0; i++) {
		p2s_random(&v, sizeof(v));
		for (struct ike_sa *o = e->head; o && v; o = o->next)
			if (o->spi_i == v || o->spi_r == v)
				v = 0;
	}
	return v;
}

struct successor_keys {
	const uint8_t *gir, *ni, *nr;
	size_t gir_len, ni_len, nr_len;
	uint64_t spi_i, spi_r;
	bool initiator; /* we started the exchange: we are the new SA's initiator */
};

/* The new IKE SA, established and keyed from the old one's SK_d. */
static struct ike_sa *successor(struct ike_sa *old, const struct ike_suite *s,
				const struct successor_keys *k)
{
	struct ike_sa *n = ike_sa_new(old->e, &old->peer, old->natt);
	if (!n)
		return NULL;
	old->e->half_open--;
	n->state = IKE_ST_ESTABLISHED;
	n->suite = *s;
	n->initiator = k->initiator;
	n->spi_i = k->spi_i;
	n->spi_r = k->spi_r;
	if (ike_keys_derive(s, old->keys.sk_d, old->keys.prf_len, k->gir, k->gir_len, k->ni,
			    k->ni_len, k->nr, k->nr_len, n->spi_i, n->spi_r, &n->keys)) {
		ike_sa_kill(n, NULL);
		return NULL;
	}
	n->peer_frag = old->peer_frag;
	n->peer_sig_hash = old->peer_sig_hash;
	n->peer_mobike = old->peer_mobike;
	n->fam = old->fam;
	snprintf(n->label, sizeof(n->label), "%s", old->label);
	return n;
}

void ike_sa_move_children(struct ike_sa *old, struct ike_sa *n)
{
	struct ike_child *cs[2] = {&old->child, &old->old_child};
	struct ike_child *ns[2] = {&n->child, &n->old_child};
	for (int i = 0; i < 2; i++) {
		if (!cs[i]->live)
			continue;
		ike_child_unhash(cs[i]);
		*ns[i] = *cs[i];
		ns[i]->ike = n;
		ike_child_hash(ns[i]);
		memset(cs[i], 0, sizeof(*cs[i]));
	}
	n->s = old->s;
	old->s = NULL;
	n->s->proto = n;
	snprintf(n->label, sizeof(n->label), "%s", old->label);
}

static void lower_nonce(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
			uint8_t *out, size_t *out_len)
{
	size_t m = a_len < b_len ? a_len : b_len;
	bool a_low = memcmp(a, b, m) < 0;
	*out_len = a_low ? a_len : b_len;
	memcpy(out, a_low ? a : b, *out_len);
}

/* ---- the client rekeys ---------------------------------------------------- */

static uint16_t answer_select(struct ike_sa *sa, const struct ike_chain *ch, struct rekey_in *r,
			      struct ike_suite *s, uint16_t *want)
{
	const struct ike_payload *p = ike_chain_find(ch, IKE_PL_SA);
	static struct ike_sa_offer offer;
	if (!p || ike_sa_parse(p, &offer) || !r->has_ke)
		return IKE_N_INVALID_SYNTAX;
	enum ike_select_result sel = ike_select_ike(&offer, &sa->e->pol, r->ke.group, s, want);
	if (sel != IKE_SEL_OK)
		return sel == IKE_SEL_INVALID_KE ? IKE_N_INVALID_KE_PAYLOAD
						 : IKE_N_NO_PROPOSAL_CHOSEN;
	if (s->spi_len != 8)
		return IKE_N_INVALID_SYNTAX;
	return ike_rekey_dh(r, s->dh);
}

void ike_rekey_ike_answer(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *ch,
			  struct rekey_in *r)
{
	struct ike_suite s;
	uint16_t want = 0;
	uint16_t err = answer_select(sa, ch, r, &s, &want);
	/* Our CHILD rekey is out: its answer must find the CHILD SA here, so
	 * the client tries again later (as it would answer us, RFC 7296 §2.25). */
	if (!err && sa->rk.active && !sa->rk.ike)
		err = IKE_N_TEMPORARY_FAILURE;
	struct ike_sa *n = NULL;
	if (!err) {
		struct successor_keys k = {r->gir,    r->ni,	     r->nr, r->gir_len,
					   r->ni_len, IKE_NONCE_LEN, 0,	    new_ike_spi(sa->e),
					   false};
		for (int i = 0; i < 8; i++)
			k.spi_i = k.spi_i << 8 | s.spi[i];
		n = k.spi_r ? successor(sa, &s, &k) : NULL;
	}
	if (!n) {
		uint8_t g[2] = {(uint8_t)(want >> 8), (uint8_t)want};
		bool ke = err == IKE_N_INVALID_KE_PAYLOAD;
		ike_answer_notify(sa, h, err ? err : IKE_N_TEMPORARY_FAILURE, ke ? g : NULL,
				  ke ? 2 : 0);
		return;
	}
	struct ike_suite ours = s;
	for (int i = 0; i < 8; i++)
		ours.spi[i] = (uint8_t)(n->spi_r >> (56 - 8 * i));
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	ike_pl_begin(&b, IKE_PL_SA);
	ike_sa_write(&b.w, &ours);
	ike_pl_end(&b);
	ike_put_nonce_ke(&b, r, s.dh);
	ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, h->msg_id, first, buf, b.w.len);
	ike_sa_hash(n);
	sa->rekey_refusal = 0;
	if (sa->rk.active && sa->rk.ike) {
		/* Ours is under way too: the CHILD SAs stay until its answer
		 * decides which new SA survives (or the client deletes this one). */
		struct ike_peer_rekey *p = &sa->peer_rk;
		p->done = true;
		p->spi_i = n->spi_i;
		p->spi_r = n->spi_r;
		lower_nonce(r->ni, r->ni_len, r->nr, IKE_NONCE_LEN, p->low, &p->low_len);
		slog_info(sa->label, "the client rekeys the IKE SA while the gateway does");
		return;
	}
	ike_sa_move_children(sa, n);
	slog_info(n->label, "IKE SA rekeyed by the client");
}

bool ike_rekey_ike_handover(struct ike_sa *sa)
{
	if (!sa->peer_rk.done || !sa->s)
		return false;
	struct ike_sa *theirs = ike_sa_find(sa->e, sa->peer_rk.spi_i, sa->peer_rk.spi_r);
	if (!theirs || theirs->s)
		return false;
	ike_sa_move_children(sa, theirs);
	slog_info(theirs->label, "IKE SA rekeyed by the client (the gateway's rekey yields)");
	return true;
}

/* ---- the gateway rekeys --------------------------------------------------- */

static bool policy_allows(const struct ike_policy *p, const struct ike_suite *s)
{
	for (size_t i = 0; i < p->n_ike; i++) {
		const struct ike_policy_row *r = &p->ike[i];
		if (r->encr == s->encr && r->key_bits == s->key_bits && r->integ == s->integ &&
		    r->prf == s->prf && r->dh == s->dh)
			return true;
	}
	return false;
}

/* What we offer: the SA's own suite while the policy still allows it, else
 * the policy's first row (a reload changed it: a client that cannot follow
 * refuses, and the SA ends at its lifetime). */
static void rekey_suite(struct ike_sa *sa, uint64_t spi, struct ike_suite *s)
{
	const struct ike_policy *p = &sa->e->pol;
	memset(s, 0, sizeof(*s));
	if (policy_allows(p, &sa->suite) || p->n_ike == 0) {
		*s = sa->suite;
	} else {
		s->encr = p->ike[0].encr;
		s->key_bits = p->ike[0].key_bits;
		s->integ = p->ike[0].integ;
		s->prf = p->ike[0].prf;
		s->dh = p->ike[0].dh;
	}
	s->proto = IKE_PROTO_IKE;
	s->num = 1;
	s->spi_len = 8;
	for (int i = 0; i < 8; i++)
		s->spi[i] = (uint8_t)(spi >> (56 - 8 * i));
}

/* SA, Ni, KEi (§1.3.2). */
static int ike_rekey_request(struct ike_sa *sa, struct ike_builder *b)
{
	struct ike_rekey *rk = &sa->rk;
	uint8_t ke[IKE_MAX_DH];
	size_t ke_len = 0;
	rk->spi_ike = new_ike_spi(sa->e);
	if (!rk->spi_ike)
		return P2S_E_CRYPTO;
	rekey_suite(sa, rk->spi_ike, &rk->suite);
	p2s_random(rk->ni, IKE_NONCE_LEN);
	if (ike_dh_new(&rk->dh, rk->suite.dh) || ike_dh_public(&rk->dh, ke, sizeof(ke), &ke_len))
		return P2S_E_CRYPTO;
	ike_pl_begin(b, IKE_PL_SA);
	ike_sa_write(&b->w, &rk->suite);
	ike_pl_end(b);
	ike_pl_put(b, IKE_PL_NONCE, rk->ni, IKE_NONCE_LEN);
	ike_pl_begin(b, IKE_PL_KE);
	wbuf_u16(&b->w, rk->suite.dh);
	wbuf_u16(&b->w, 0);
	wbuf_bytes(&b->w, ke, ke_len);
	ike_pl_end(b);
	return wbuf_ok(&b->w) ? 0 : P2S_E_FULL;
}

static const char *refusal_name(uint16_t n, char *buf, size_t cap)
{
	switch (n) {
	case 0: return "the client did not answer our rekey";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "the client refused our rekey (NO_PROPOSAL_CHOSEN)";
	case IKE_N_INVALID_KE_PAYLOAD: return "the client refused our rekey (INVALID_KE_PAYLOAD)";
	case IKE_N_TEMPORARY_FAILURE: return "the client refused our rekey (TEMPORARY_FAILURE)";
	case IKE_N_NO_ADDITIONAL_SAS: return "the client refused our rekey (NO_ADDITIONAL_SAS)";
	default: snprintf(buf, cap, "the client refused our rekey (notify %u)", n); return buf;
	}
}

/* Out of lifetime and not rekeyed: the client is told and the session ends. */
static void ike_sa_expire(struct ike_sa *sa, uint32_t life)
{
	char why[160], nb[64];
	snprintf(why, sizeof(why), "IKE SA lifetime (%u s) reached without a rekey: %s", life,
		 refusal_name(sa->rekey_refusal, nb, sizeof(nb)));
	slog_warn(sa->label, "%s", why);
	ike_send_delete_ike(sa);
	core_session_end(sa->s, RAD_TERM_SESSION_TIMEOUT, why);
	ike_sa_kill(sa, why);
}

/* Retries after a refusal: a few within the last tenth of the lifetime. */
static double retry_after(uint32_t life)
{
	double d = life / 40.0;
	return d < 2 ? 2 : d > 600 ? 600 : d;
}

void ike_rekey_ike_tick(struct ike_sa *sa, double now)
{
	uint32_t life = core_conf(sa->e->core)->ike_sa_life_sec;
	if (!life || !sa->s || sa->state != IKE_ST_ESTABLISHED || sa->closing)
		return;
	double age = now - sa->created;
	/* The whole lifetime, and a tenth of it since our first try (a reload
	 * may shorten the lifetime of SAs already older); not while a rekey is
	 * out or crossing the client's: its answer settles it, and an answer
	 * that never comes ends the SA as a dead peer's. */
	if (age >= life && sa->rekey_first > 0 && now - sa->rekey_first >= life / 10.0 &&
	    !sa->rk.active && !sa->peer_rk.done) {
		ike_sa_expire(sa, life);
		return;
	}
	if (sa->tx_pending || sa->rk.active || now < sa->rk.next_try || age < life * 0.9)
		return;
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	if (!sa->rekey_first)
		sa->rekey_first = now;
	if (ike_rekey_request(sa, &b)) {
		ike_rekey_clear(&sa->rk);
		sa->rk.next_try = now + retry_after(life);
		return;
	}
	sa->rk.active = true;
	sa->rk.ike = true;
	sa->rk.msg_id = sa->tx_mid;
	slog_debug(sa->label, "starting an IKE SA rekey (%.0f s of %u s lifetime)", age, life);
	ike_send_request(sa, IKE_CREATE_CHILD_SA, first, buf, b.w.len);
}

/* The first error notify of an answer, 0 if none. */
static uint16_t answer_error(const struct ike_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type == IKE_PL_NOTIFY && ike_notify_parse(&c->pl[i], &n) == 0 &&
		    n.type < 16384)
			return n.type;
	}
	return 0;
}

/* The client's SA, Nr, KEr against our single proposal; the new SA. */
static struct ike_sa *rekey_answer(struct ike_sa *sa, const struct ike_chain *c, uint16_t *err,
				   struct ike_peer_rekey *low)
{
	struct ike_rekey *rk = &sa->rk;
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_SA);
	const struct ike_payload *no = ike_chain_find(c, IKE_PL_NONCE);
	const struct ike_payload *kp = ike_chain_find(c, IKE_PL_KE);
	static struct ike_sa_offer offer;
	struct ike_policy one = {.n_ike = 1};
	struct ike_suite s;
	struct ike_ke ke;
	uint16_t want;
	uint8_t gir[IKE_MAX_DH];
	size_t gir_len = 0;
	one.ike[0] = (struct ike_policy_row){rk->suite.encr, rk->suite.key_bits, rk->suite.integ,
					     rk->suite.prf, rk->suite.dh};
	*err = IKE_N_INVALID_SYNTAX;
	if (!p || !no || no->len < 16 || no->len > 256 || !kp || ike_sa_parse(p, &offer) ||
	    offer.n != 1 || ike_ke_parse(kp, &ke))
		return NULL;
	if (ike_select_ike(&offer, &one, ke.group, &s, &want) != IKE_SEL_OK || s.spi_len != 8)
		return NULL;
	if (ike_dh_shared(&rk->dh, ke.data, ke.len, gir, sizeof(gir), &gir_len))
		return NULL;
	struct successor_keys k = {gir,	    rk->ni,	 no->body, gir_len, IKE_NONCE_LEN,
				   no->len, rk->spi_ike, 0,	   true};
	for (int i = 0; i < 8; i++)
		k.spi_r = k.spi_r << 8 | s.spi[i];
	struct ike_sa *n = k.spi_r ? successor(sa, &s, &k) : NULL;
	OPENSSL_cleanse(gir, sizeof(gir));
	if (n) {
		*err = 0;
		lower_nonce(rk->ni, IKE_NONCE_LEN, no->body, no->len, low->low, &low->low_len);
	}
	return n;
}

/* Both rekeyed (§2.8.2): the exchange with the lower nonce made the surplus
 * SA, which its initiator deletes; the other inherits the CHILD SAs, and
 * its initiator deletes the old SA. */
static void collision(struct ike_sa *old, struct ike_sa *ours, const struct ike_peer_rekey *low)
{
	struct ike_peer_rekey *p = &old->peer_rk;
	struct ike_sa *theirs = ike_sa_find(old->e, p->spi_i, p->spi_r);
	size_t m = p->low_len < low->low_len ? p->low_len : low->low_len;
	/* Theirs already deleted: the client found it the surplus one. */
	bool ours_lost = theirs && memcmp(low->low, p->low, m) < 0;
	ike_sa_hash(ours);
	if (ours_lost) {
		slog_info(old->label, "simultaneous IKE SA rekeys: the client's survives");
		ike_rekey_ike_handover(old); /* the client deletes the old SA */
		ours->closing = true;
		ike_send_delete_ike(ours);
		return;
	}
	slog_info(old->label, "simultaneous IKE SA rekeys: the gateway's survives");
	if (old->s)
		ike_sa_move_children(old, ours);
	old->closing = true;
	ike_send_delete_ike(old);
}

void ike_rekey_ike_done(struct ike_sa *sa, const struct ike_chain *c)
{
	double now = ike_now(sa->e);
	uint16_t err = answer_error(c);
	static struct ike_peer_rekey low;
	struct ike_sa *n = err ? NULL : rekey_answer(sa, c, &err, &low);
	ike_rekey_clear(&sa->rk);
	if (!n && ike_rekey_ike_handover(sa))
		return; /* ours failed, the client's stands: it deletes this SA */
	if (!n) {
		uint32_t life = core_conf(sa->e->core)->ike_sa_life_sec;
		char nb[64];
		sa->rekey_refusal = err;
		sa->rk.next_try = now + retry_after(life ? life : 28800);
		if (sa->s)
			slog_warn(sa->label, "%s; the IKE SA stays until its lifetime",
				  refusal_name(err, nb, sizeof(nb)));
		return;
	}
	if (sa->peer_rk.done) {
		collision(sa, n, &low);
		return;
	}
	if (!sa->s) {
		/* Replaced meanwhile in a way we did not see: ours is surplus. */
		ike_sa_hash(n);
		n->closing = true;
		ike_send_delete_ike(n);
		return;
	}
	ike_sa_move_children(sa, n);
	ike_sa_hash(n);
	slog_info(n->label, "IKE SA rekeyed by the gateway: spi %016llx/%016llx",
		  (unsigned long long)n->spi_i, (unsigned long long)n->spi_r);
	sa->closing = true;
	ike_send_delete_ike(sa);
}
