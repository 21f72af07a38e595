/* IKE_AUTH with EAP passed through to RADIUS (RFC 7296 §2.16): the gateway
 * authenticates with its certificate and asks the EAP identity; every EAP
 * message goes to RADIUS through the auth service and every answer back;
 * on Access-Accept the MSK (MPPE recv | send, padded to 64) keys both AUTH
 * payloads. */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <string.h>

#include "auth/service.h"
#include "internal.h"
#include "lib/log.h"

enum { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4, EAP_IDENTITY = 1 };

static void eap_send(struct ike_sa *sa, bool with_ours, const uint8_t *eap, size_t len)
{
	uint8_t *buf = sa->e->tx, first;
	struct ike_builder b;
	ike_build_init(&b, buf, sizeof(sa->e->tx), &first);
	if (with_ours && ike_auth_ours(sa, &b, false)) {
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, "the gateway cannot sign (no key?)");
		return;
	}
	ike_pl_put(&b, IKE_PL_EAP, eap, len);
	if (wbuf_ok(&b.w))
		ike_send_protected(sa, IKE_AUTH, false, sa->rx_mid, first, buf, b.w.len);
}

void ike_eap_start(struct ike_sa *sa)
{
	if (!(core_conf(sa->e->core)->auth_types & AUTH_RADIUS)) {
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED,
			      "the client sent no AUTH (wants EAP) and RADIUS is not enabled");
		return;
	}
	/* EAP-Request/Identity: RADIUS sees the name the user typed. */
	const uint8_t ident[5] = {EAP_REQUEST, 1, 0, 5, EAP_IDENTITY};
	sa->eap = true;
	sa->state = IKE_ST_EAP;
	eap_send(sa, true, ident, sizeof(ident));
}

static void eap_done(struct session *s, const struct auth_result *r)
{
	struct ike_sa *sa = s->proto;
	if (!sa || sa->state != IKE_ST_AUTH_WAIT)
		return;
	if (r->verdict == AUTH_CHALLENGE && r->eap_len >= 4) {
		sa->state = IKE_ST_EAP;
		eap_send(sa, false, r->eap, r->eap_len);
		return;
	}
	if (r->verdict != AUTH_ACCEPT) {
		const uint8_t fail[4] = {EAP_FAILURE, r->eap_len > 1 ? r->eap[1] : 0, 0, 4};
		eap_send(sa, false, r->eap_len >= 4 ? r->eap : fail,
			 r->eap_len >= 4 ? r->eap_len : 4);
		slog_warn(sa->label, "IKE_AUTH refused: %s", r->why ? r->why : "EAP failed");
		ike_sa_kill(sa, r->why ? r->why : "EAP authentication failed");
		return;
	}
	/* MSK = MS-MPPE-Recv-Key | MS-MPPE-Send-Key, zero-padded to 64. */
	memset(sa->msk, 0, sizeof(sa->msk));
	size_t n = r->mppe_recv_len < 32 ? r->mppe_recv_len : 32;
	size_t m = r->mppe_send_len < 32 ? r->mppe_send_len : 32;
	if (n)
		memcpy(sa->msk, r->mppe_recv, n);
	if (m)
		memcpy(sa->msk + n, r->mppe_send, m);
	sa->msk_len = 64;
	sa->state = IKE_ST_EAP_DONE;
	const uint8_t ok[4] = {EAP_SUCCESS, r->eap_len > 1 ? r->eap[1] : 0, 0, 4};
	eap_send(sa, false, r->eap_len >= 4 ? r->eap : ok, r->eap_len >= 4 ? r->eap_len : 4);
}

/* The EAP Response/Identity names the user (printable, bounded). */
static void take_identity(struct ike_sa *sa, const uint8_t *eap, size_t len)
{
	if (len <= 5 || eap[0] != EAP_RESPONSE || eap[4] != EAP_IDENTITY || sa->s->user[0])
		return;
	size_t n = len - 5 < sizeof(sa->s->user) - 1 ? len - 5 : sizeof(sa->s->user) - 1;
	for (size_t i = 0; i < n; i++)
		sa->s->user[i] = eap[5 + i] >= 0x20 && eap[5 + i] < 0x7f ? (char)eap[5 + i] : '?';
	sa->s->user[n] = 0;
}

void ike_eap_continue(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_EAP);
	if (!p || p->len < 4 || (size_t)(p->body[2] << 8 | p->body[3]) != p->len ||
	    p->body[0] != EAP_RESPONSE) {
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, "malformed EAP response");
		return;
	}
	take_identity(sa, p->body, p->len);
	struct auth_request req = {
		.kind = CRED_EAP, .user = sa->s->user, .eap = p->body, .eap_len = p->len};
	sa->state = IKE_ST_AUTH_WAIT;
	auth_step(sa->s, &req, eap_done);
}

void ike_eap_final(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_AUTH);
	struct ike_auth a;
	const char *why = !p || ike_auth_parse(p, &a) ? "no AUTH after EAP success"
						      : ike_auth_verify(sa, &a, NULL);
	if (why) {
		ike_auth_fail(sa, IKE_N_AUTHENTICATION_FAILED, why);
		return;
	}
	ike_auth_finish(sa, true);
	OPENSSL_cleanse(sa->msk, sizeof(sa->msk));
}
