/* IKE_AUTH, responder side (RFC 7296 §1.2, §2.15-2.16): the client's
 * identity, certificate and signature, or EAP relayed to RADIUS when it
 * sends no AUTH; our IDr, certificate and signature; then the address
 * (CP), the CHILD SA and the session. */
#define LOG_MODULE "ikev2"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/radius.h"
#include "auth/service.h"
#include "internal.h"
#include "lib/err.h"
#include "lib/log.h"

/* IDr = the gateway's FQDN, else our certificate's subject DN. */
static size_t idr_body(struct ike_sa *sa, uint8_t *out, size_t cap)
{
	const char *fqdn = core_conf(sa->e->core)->fqdn;
	out[1] = out[2] = out[3] = 0;
	if (fqdn && *fqdn && strlen(fqdn) + 4 <= cap) {
		out[0] = IKE_ID_FQDN;
		memcpy(out + 4, fqdn, strlen(fqdn));
		return 4 + strlen(fqdn);
	}
	X509 *cert = core_server_cert(sa->e->core);
	uint8_t *der = NULL;
	int n = cert ? i2d_X509_NAME(X509_get_subject_name(cert), &der) : -1;
	size_t len = 0;
	if (n > 0 && (size_t)n + 4 <= cap) {
		out[0] = IKE_ID_DER_ASN1_DN;
		memcpy(out + 4, der, (size_t)n);
		len = 4 + (size_t)n;
	}
	OPENSSL_free(der);
	return len;
}

static void cert_payload(struct ike_builder *b, X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	if (n > 0) {
		ike_pl_begin(b, IKE_PL_CERT);
		wbuf_u8(&b->w, IKE_CERT_X509_SIG);
		wbuf_bytes(&b->w, der, (size_t)n);
		ike_pl_end(b);
	}
	OPENSSL_free(der);
}

/* IDr, our certificates and our AUTH. */
int ike_auth_ours(struct ike_sa *sa, struct ike_builder *b, bool with_msk)
{
	uint8_t idr[512];
	size_t idr_len = idr_body(sa, idr, sizeof(idr));
	if (!idr_len)
		return P2S_E_CONFIG;
	if (!with_msk) {
		ike_pl_put(b, IKE_PL_IDR, idr, idr_len);
		struct core *c = sa->e->core;
		X509 *leaf = core_server_cert(c);
		STACK_OF(X509) *chain = core_server_chain(c);
		cert_payload(b, leaf);
		for (int i = 0; chain && i < sk_X509_num(chain); i++)
			if (X509_cmp(sk_X509_value(chain, i), leaf) != 0)
				cert_payload(b, sk_X509_value(chain, i));
	}
	return ike_auth_sign_id(sa, idr, idr_len, with_msk, b);
}

/* Answers the pending request with one error notify, and ends the SA. */
void ike_auth_fail(struct ike_sa *sa, uint16_t notify, const char *why)
{
	uint8_t *buf = sa->e->tx;
	uint8_t first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	ike_pl_notify(&b, 0, NULL, 0, notify, NULL, 0);
	ike_send_protected(sa, IKE_AUTH, false, sa->rx_mid, first, buf, b.w.len);
	if (!sa->peer_cert[0])
		slog_warn(sa->label, "IKE_AUTH refused: %s", why);
	ike_sa_kill(sa, why);
}

/* Which families the client gets: those it asks for (none named: IPv4)
 * that its pool has. Asking for IPv6 alone from a pool without it is an
 * INTERNAL_ADDRESS_FAILURE (RFC 7296 §3.15.4); asking for both gets IPv4. */
static uint16_t cp_families(struct ike_sa *sa, const struct ike_cp *cp)
{
	struct session_net net;
	if (session_net(sa->s, &net) < 0)
		return IKE_N_INTERNAL_ADDRESS_FAILURE;
	bool a4 = ike_cp_asked(cp, IKE_CP_IP4_ADDRESS), a6 = ike_cp_asked(cp, IKE_CP_IP6_ADDRESS);
	if (!a4 && !a6)
		a4 = true;
	if (a6 && !net.has_v6 && !a4) {
		slog_warn(sa->label,
			  "the client asked for an IPv6 address only and its pool has no "
			  "IPv6 prefix: INTERNAL_ADDRESS_FAILURE");
		return IKE_N_INTERNAL_ADDRESS_FAILURE;
	}
	if (a6 && !net.has_v6)
		slog_info(sa->label, "the client asked for IPv6 too; its pool has no IPv6 prefix: "
				     "IPv4 only");
	sa->fam = (uint8_t)((a4 ? IKE_FAM_V4 : 0) | (a6 && net.has_v6 ? IKE_FAM_V6 : 0));
	core_session_families(sa->s, a4, a6);
	return 0;
}

static uint16_t cp_and_child(struct ike_sa *sa, const struct ike_chain *ch, struct ike_builder *b,
			     struct session_net *net)
{
	const struct ike_payload *cpp = ike_chain_find(ch, IKE_PL_CP);
	struct ike_cp cp = {.cfg_type = IKE_CFG_REQUEST};
	if (cpp && (ike_cp_parse(cpp, &cp) || cp.cfg_type != IKE_CFG_REQUEST))
		return IKE_N_INVALID_SYNTAX;
	/* The client learns its address only from CP: without one it has none
	 * and its selectors cannot be narrowed to it (RFC 7296 §2.19). */
	if (!cpp)
		return IKE_N_FAILED_CP_REQUIRED;
	uint16_t err = cp_families(sa, &cp);
	if (err)
		return err;
	if (ike_session_net(sa, net) < 0)
		return IKE_N_INTERNAL_ADDRESS_FAILURE;
	ike_cp_reply(b, &cp, net);
	return ike_child_setup(sa, &sa->child, ch, NULL, 0, sa->ni, sa->ni_len, sa->nr,
			       IKE_NONCE_LEN, true, b);
}

static const char *notify_name(uint16_t n)
{
	switch (n) {
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN for the CHILD SA";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "no address for the client";
	case IKE_N_FAILED_CP_REQUIRED: return "the client asked for no address (no CP request)";
	default: return "invalid IKE_AUTH request";
	}
}

/* INITIAL_CONTACT (RFC 7296 §2.4): the client has no other SA with us, so
 * earlier ones of the same user (a crashed or rebooted client) go now
 * rather than at their dead-peer timeout. */
static void initial_contact(struct ike_sa *sa, const struct ike_chain *ch)
{
	struct ike_notify n;
	if (!ike_chain_notify(ch, IKE_N_INITIAL_CONTACT, &n) || !sa->s->user[0])
		return;
	for (struct ike_sa *o = sa->e->head; o; o = o->next) {
		if (o == sa || !o->s || o->state != IKE_ST_ESTABLISHED ||
		    strcmp(o->s->user, sa->s->user) != 0)
			continue;
		core_session_end(o->s, RAD_TERM_USER_REQUEST,
				 "replaced by the same user's new IKE SA (INITIAL_CONTACT)");
		ike_sa_kill(o, NULL);
	}
}

/* The last IKE_AUTH response: [IDr, CERT,] AUTH, CP, SA, TSi, TSr. */
void ike_auth_finish(struct ike_sa *sa, bool with_msk)
{
	struct ike_chain ch;
	if (ike_chain_parse(sa->auth_first, sa->auth_req, sa->auth_req_len, &ch)) {
		ike_auth_fail(sa, IKE_N_INVALID_SYNTAX, "request no longer parses");
		return;
	}
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	int r = ike_auth_ours(sa, &b, with_msk);
	if (r) {
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, "the gateway cannot sign (no key?)");
		return;
	}
	struct session_net net;
	size_t keep = b.w.len;
	uint8_t *keep_nxt = b.prev_nxt;
	uint16_t err = cp_and_child(sa, &ch, &b, &net);
	/* MOBIKE (RFC 4555): the client may move; its address follows
	 * UPDATE_SA_ADDRESSES (and any authenticated message, for NATs). */
	if (!err && sa->peer_mobike)
		ike_pl_notify(&b, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
	if (err) {
		/* The IKE SA is authenticated but carries nothing: say why, end it. */
		b.w.len = keep;
		b.prev_nxt = keep_nxt;
		*b.prev_nxt = IKE_PL_NONE;
		ike_pl_notify(&b, 0, NULL, 0, err, NULL, 0);
	}
	if (!wbuf_ok(&b.w) ||
	    ike_send_protected(sa, IKE_AUTH, false, sa->rx_mid, first, buf, b.w.len)) {
		ike_sa_kill(sa, "IKE_AUTH response too large");
		return;
	}
	if (err) {
		slog_warn(sa->label, "CHILD SA refused: %s", notify_name(err));
		ike_sa_kill(sa, notify_name(err));
		return;
	}
	initial_contact(sa, &ch);
	OPENSSL_cleanse(sa->auth_req, sa->auth_req_len);
	sa->state = IKE_ST_ESTABLISHED;
	char addr[16] = "", addr6[INET6_ADDRSTRLEN + 1] = "", detail[200], suite[96];
	if (net.addr)
		ip4_str(net.addr, addr);
	if (net.has_v6) {
		addr6[0] = ' ';
		inet_ntop(AF_INET6, &net.addr6, addr6 + 1, sizeof(addr6) - 1);
	}
	snprintf(detail, sizeof(detail), "IKEv2 %s%s, ESP %s, spi %08x/%08x", addr, addr6,
		 ike_suite_str(&sa->child.suite, suite, sizeof(suite)), sa->child.spi_in,
		 sa->child.spi_out);
	snprintf(sa->s->cipher, sizeof(sa->s->cipher), "%s", suite); /* the session list's */
	core_session_up(sa->s, detail);
}

static void cert_done(struct session *s, const struct auth_result *r)
{
	struct ike_sa *sa = s->proto;
	if (!sa || sa->state != IKE_ST_AUTH_WAIT)
		return;
	sa->state = IKE_ST_AUTHING;
	if (r->verdict != AUTH_ACCEPT) {
		const char *why = r->why ? r->why : "refused";
		slog_warn(sa->label, "refused client certificate %s: %s", sa->peer_cert, why);
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, why);
		return;
	}
	ike_auth_finish(sa, false);
}

/* CERT payloads: the first is the leaf, the rest its chain. */
static X509 *certs_parse(const struct ike_chain *ch, STACK_OF(X509) * *chain)
{
	X509 *leaf = NULL;
	*chain = sk_X509_new_null();
	for (size_t i = 0; i < ch->n; i++) {
		struct ike_cert c;
		if (ch->pl[i].type != IKE_PL_CERT || ike_cert_parse(&ch->pl[i], &c) ||
		    c.encoding != IKE_CERT_X509_SIG)
			continue;
		const uint8_t *p = c.data;
		X509 *x = d2i_X509(NULL, &p, (long)c.len);
		if (!x || p != c.data + c.len) {
			X509_free(x);
			continue;
		}
		if (!leaf)
			leaf = x;
		else if (!*chain || !sk_X509_push(*chain, x))
			X509_free(x);
	}
	return leaf;
}

static void auth_by_cert(struct ike_sa *sa, const struct ike_chain *ch,
			 const struct ike_payload *authp)
{
	struct ike_auth a;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = certs_parse(ch, &chain);
	const char *why = NULL;
	if (ike_auth_parse(authp, &a))
		why = "malformed AUTH payload";
	else if (!leaf)
		why = "no client certificate (CERT) in IKE_AUTH";
	else
		why = ike_auth_verify(sa, &a, leaf);
	if (leaf)
		X509_NAME_oneline(X509_get_subject_name(leaf), sa->peer_cert,
				  sizeof(sa->peer_cert));
	if (why && leaf)
		slog_warn(sa->label, "refused client certificate %s: %s", sa->peer_cert, why);
	if (why) {
		X509_free(leaf);
		sk_X509_pop_free(chain, X509_free);
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, why);
		return;
	}
	struct auth_request req = {.kind = CRED_CERT_CHAIN, .leaf = leaf, .chain = chain};
	sa->state = IKE_ST_AUTH_WAIT;
	auth_step(sa->s, &req, cert_done);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
}

/* The first IKE_AUTH request: keep it, make the session, then either path. */
static void auth_first(struct ike_sa *sa, uint8_t first, const uint8_t *inner, size_t len,
		       const struct ike_chain *ch)
{
	const struct ike_payload *idi = ike_chain_find(ch, IKE_PL_IDI);
	struct ike_id id;
	if (!idi || ike_id_parse(idi, &id) || idi->len > sizeof(sa->idi_body)) {
		ike_auth_fail(sa, IKE_N_INVALID_SYNTAX, "no usable IDi");
		return;
	}
	memcpy(sa->idi_body, idi->body, idi->len);
	sa->idi_len = idi->len;
	sa->auth_req = malloc(len ? len : 1);
	if (!sa->auth_req) {
		ike_sa_kill(sa, "out of memory");
		return;
	}
	memcpy(sa->auth_req, inner, len);
	sa->auth_req_len = len;
	sa->auth_first = first;
	struct ike_notify n;
	sa->peer_mobike = ike_chain_notify(ch, IKE_N_MOBIKE_SUPPORTED, &n);
	/* The lane its CHILD SAs' inbound SPIs name, kept across rekeys
	 * (picked before this session counts as load). */
	unsigned lane = ike_lane_pick(sa->e);
	sa->s = core_session_new(sa->e->core, &ike_session_ops, sa, &sa->peer);
	if (!sa->s) {
		ike_auth_fail(sa, IKE_N_TEMPORARY_FAILURE, "no session (out of memory)");
		return;
	}
	sa->s->worker = lane;
	sa->s->dp_fast = true; /* sent to from any data-plane thread (sess_send_ip) */
	char peer[64];
	sockaddr_str(&sa->peer, peer, sizeof(peer));
	snprintf(sa->label, sizeof(sa->label), "%s", sa->s->id);
	slog_info(sa->label, "IKE_AUTH from %s (ESP lane %u of %u)", peer, sa->s->worker,
		  sa->e->n_lanes);
	sa->e->half_open--;
	sa->state = IKE_ST_AUTHING; /* no longer half-open */
	const struct ike_payload *authp = ike_chain_find(ch, IKE_PL_AUTH);
	if (authp)
		auth_by_cert(sa, ch, authp);
	else
		ike_eap_start(sa);
}

void ike_exch_auth(struct ike_sa *sa, const struct ike_hdr *h, uint8_t first, const uint8_t *inner,
		   size_t len)
{
	(void)h;
	struct ike_chain ch;
	int r = ike_chain_parse(first, inner, len, &ch);
	if (r == 0)
		r = ike_chain_check(&ch, IKE_AUTH, true);
	if (r) {
		ike_auth_fail(sa, IKE_N_INVALID_SYNTAX, p2s_strerror(r));
		return;
	}
	if (ch.unsupported_critical) {
		ike_auth_fail(sa, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
			      "unsupported critical payload");
		return;
	}
	if (sa->state == IKE_ST_HALF_OPEN)
		auth_first(sa, first, inner, len, &ch);
	else if (sa->state == IKE_ST_EAP)
		ike_eap_continue(sa, &ch);
	else if (sa->state == IKE_ST_EAP_DONE)
		ike_eap_final(sa, &ch);
}
