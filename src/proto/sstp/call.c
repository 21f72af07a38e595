/* The call inside an SSTP connection: the PPP link, authentication through
 * the core's service, the crypto binding that ties it to this TLS
 * connection, and IPv4 (and IPv6) both ways. CALL_CONNECTED may arrive before the
 * authentication verdict (the client sends it once its own side is done):
 * it is kept and checked when the keys are known. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "auth/radius.h"
#include "auth/service.h"
#include "lib/log.h"
#include "lib/random.h"
#include "proto/ppp/frame.h"
#include "proto/sstp/conn.h"
#include "tunnel/nd.h"

#define LOG_MODULE	    "sstp"
#define RAD_TERM_USER_ERROR 17 /* RFC 2866: the client broke the protocol */

static struct sstp_conn *conn_of(struct session *s)
{
	return s ? s->proto : NULL;
}

/* ---- PPP callbacks ------------------------------------------------------- */

static void on_ppp_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sstp_conn *c = ctx;
	uint8_t buf[SSTP_MAX_PKT];
	int n = sstp_build_data(buf, sizeof(buf), frame, len);
	uint16_t proto = len >= 4 ? (uint16_t)(frame[2] << 8 | frame[3]) : 0;
	if (n > 0)
		sstp_conn_write(c, buf, (size_t)n, proto == PPP_IP || proto == PPP_IPV6);
}

/* With workers, a call whose binding is verified and whose network
 * protocols are settled moves to one at the loop iteration's end (the
 * engine's flush, after this input is done). */
static void maybe_move(struct sstp_conn *c)
{
	if (dplane_count() < 2 || c->on_worker || c->migrate || c->dead ||
	    c->st != SSTP_ST_CONNECTED || c->ppp.phase != PPP_RUNNING || ppp_wants_timer(&c->ppp))
		return;
	c->migrate = true;
	if (!c->flush_pending)
		c->eng->flush_pending++;
	c->flush_pending = true;
}

static void ppp_timer_update(struct sstp_conn *c)
{
	if (!c->dead && ppp_wants_timer(&c->ppp))
		sstp_conn_arm(c, &c->ppp_timer, PPP_RESTART_S);
	else
		sstp_conn_arm(c, &c->ppp_timer, 0);
	maybe_move(c);
}

static void verify_binding(struct sstp_conn *c);

void sstp_call_auth_done(struct session *s, const struct auth_result *r)
{
	struct sstp_conn *c = conn_of(s);
	struct session_net net;
	if (!c || c->dead)
		return;
	c->auth_pending = false;
	if (r->verdict == AUTH_CHALLENGE) {
		ppp_eap_request(&c->ppp, r->eap, r->eap_len);
		ppp_timer_update(c);
		return;
	}
	if (r->verdict != AUTH_ACCEPT || session_net(s, &net) < 0) {
		/* r lives in the pending step, which ending the session frees */
		char why[256];
		snprintf(why, sizeof(why), "%s", r->why ? r->why : "no address");
		slog_info(s->id, "authentication refused: %s", why);
		ppp_auth_refuse(&c->ppp, why, r->eap, r->eap_len);
		return; /* ppp's down callback ends the call */
	}
	if (c->ppp.auth == PPP_AUTH_MSCHAPV2) {
		sstp_hlak_mschapv2(c->hlak, r->mppe_recv, r->mppe_recv_len, r->mppe_send,
				   r->mppe_send_len);
	} else {
		/* EAP: the MSK's first 32 bytes; a pppd-based client builds it
		 * from 16 bytes of each MPPE key instead, so take that too */
		sstp_hlak_msk(c->hlak, r->mppe_recv, r->mppe_recv_len);
		sstp_hlak_mschapv2(c->hlak_alt, r->mppe_recv, r->mppe_recv_len, r->mppe_send,
				   r->mppe_send_len);
		c->have_alt = true;
	}
	c->have_keys = true;
	sstp_conn_preauth_put(c); /* admitted: no longer unauthenticated */
	uint32_t dns[2] = {net.n_dns > 0 ? net.dns[0] : 0, net.n_dns > 1 ? net.dns[1] : 0};
	ppp_set_net(&c->ppp, net.gateway, net.addr, dns);
	if (net.has_v6) { /* IPV6CP, then the address by the core's RA */
		uint8_t ours[ND_IID_LEN], theirs[ND_IID_LEN];
		nd_iids(&net.gateway6, &net.addr6, ours, theirs);
		ppp_set_net6(&c->ppp, ours, theirs);
	}
	ppp_auth_accept(&c->ppp, r->mschap2_success, r->eap, r->eap_len);
	ppp_timer_update(c);
	if (c->connected_pending)
		verify_binding(c);
}

static void on_ppp_mschapv2(void *ctx, const char *user, const uint8_t chal[16],
			    const uint8_t resp[50])
{
	struct sstp_conn *c = ctx;
	struct auth_request req = {
		.kind = CRED_MSCHAPV2,
		.user = user,
		.mschap_challenge = chal,
		.mschap_response = resp,
	};
	c->auth_pending = true;
	auth_step(c->s, &req, sstp_call_auth_done);
}

static void on_ppp_eap(void *ctx, const char *identity, const uint8_t *pkt, size_t len)
{
	struct sstp_conn *c = ctx;
	const struct gw_conf *conf = core_conf(c->eng->core);
	if (conf->auth_types & AUTH_CERTIFICATE) {
		sstp_eaptls_input(c, identity, pkt, len);
		return;
	}
	struct auth_request req = {.kind = CRED_EAP, .user = identity, .eap = pkt, .eap_len = len};
	c->auth_pending = true;
	auth_step(c->s, &req, sstp_call_auth_done);
}

static void on_ppp_up(void *ctx)
{
	struct sstp_conn *c = ctx;
	char detail[96], a[16];
	ip4_str(c->ppp.peer_ip, a);
	snprintf(detail, sizeof(detail), "PPP %s, address %s",
		 c->ppp.auth == PPP_AUTH_MSCHAPV2 ? "MS-CHAPv2" : "EAP", a);
	/* What protects the tunnel: SSTP is PPP inside this TLS session. */
	snprintf(c->s->cipher, sizeof(c->s->cipher), "%s",
		 c->ssl ? SSL_get_cipher_name(c->ssl) : "");
	core_session_up(c->s, detail);
}

static void on_ppp_ip(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sstp_conn *c = ctx;
	/* Until the crypto binding is verified the tunnel carries no data. */
	if (c->st == SSTP_ST_CONNECTED)
		core_fwd_from_session(c->s, pkt, len);
	else
		c->s->ctr.dropped++;
}

static void on_ppp_down(void *ctx, const char *reason, bool by_peer)
{
	struct sstp_conn *c = ctx;
	bool admitted = c->s && c->s->admitted;
	uint32_t cause = by_peer    ? RAD_TERM_USER_REQUEST
			 : admitted ? RAD_TERM_NAS_REQUEST
				    : RAD_TERM_USER_ERROR;
	sstp_conn_finish(c, false, cause, reason);
}

static const struct ppp_ops call_ppp_ops = {
	.send = on_ppp_send,
	.mschapv2 = on_ppp_mschapv2,
	.eap = on_ppp_eap,
	.up = on_ppp_up,
	.ip = on_ppp_ip,
	.down = on_ppp_down,
};

/* ---- the call ------------------------------------------------------------ */

void sstp_call_start(struct sstp_conn *c)
{
	const struct gw_conf *conf = core_conf(c->eng->core);
	unsigned allowed = 0;
	uint32_t magic = 0;
	if (conf->auth_types & AUTH_RADIUS)
		allowed |= PPP_AUTH_MSCHAPV2 | PPP_AUTH_EAP;
	if (conf->auth_types & AUTH_CERTIFICATE)
		allowed |= PPP_AUTH_EAP;
	p2s_random(&magic, sizeof(magic));
	ppp_init(&c->ppp, &call_ppp_ops, c, allowed, magic);
	c->ppp_started = true;
	ppp_start(&c->ppp);
	ppp_timer_update(c);
}

void sstp_call_data(struct sstp_conn *c, const uint8_t *frame, size_t len)
{
	if (!c->ppp_started)
		return;
	ppp_input(&c->ppp, frame, len);
	ppp_timer_update(c);
}

bool sstp_call_fast(struct sstp_conn *c, const uint8_t *frame, size_t len)
{
	uint16_t proto;
	const uint8_t *info;
	size_t n;
	if (ppp_frame_parse(frame, len, &proto, &info, &n) < 0 || c->ppp.phase != PPP_RUNNING)
		return false;
	if (proto != PPP_IP && !(proto == PPP_IPV6 && c->ppp.v6_up))
		return false;
	core_fwd_from_session(c->s, info, n);
	return true;
}

void sstp_call_ppp_timer(struct sstp_conn *c)
{
	if (c->dead || !c->ppp_started)
		return;
	ppp_timeout(&c->ppp);
	ppp_timer_update(c);
}

static void verify_binding(struct sstp_conn *c)
{
	const char *why = "no keys";
	c->connected_pending = false;
	int rc = sstp_binding_verify(&c->bind, &c->connected_msg, c->connected, c->hlak, &why);
	if (rc != 0 && c->have_alt)
		rc = sstp_binding_verify(&c->bind, &c->connected_msg, c->connected, c->hlak_alt,
					 &why);
	if (rc != 0) {
		slog_info(sstp_conn_sid(c), "crypto binding failed: %s: aborting the call", why);
		/* CALL_ABORT, then silence the PPP side (its down is a no-op now) */
		sstp_conn_finish(c, true, RAD_TERM_USER_ERROR, "crypto binding failed");
		ppp_down(&c->ppp, "crypto binding failed", false);
		return;
	}
	slog_debug(sstp_conn_sid(c), "crypto binding verified (%s)",
		   c->connected_msg.hash_proto == SSTP_HASH_SHA256 ? "SHA-256" : "SHA-1");
	c->st = SSTP_ST_CONNECTED;
	c->bound = true;
	sstp_conn_arm(c, &c->neg_timer, 0);
	maybe_move(c);
}

void sstp_call_connected(struct sstp_conn *c, const uint8_t *pkt, const struct sstp_ctrl *m)
{
	memcpy(c->connected, pkt, SSTP_CONNECTED_LEN);
	c->connected_msg = *m;
	c->connected_pending = true;
	if (c->have_keys)
		verify_binding(c);
	else
		slog_debug(sstp_conn_sid(c), "CALL_CONNECTED before the authentication verdict: "
					     "kept until the keys are known");
}

/* ---- what the core asks of a session ------------------------------------- */

static void sess_send_ip(struct session *s, const uint8_t *pkt, size_t len)
{
	struct sstp_conn *c = conn_of(s);
	if (!c || c->dead || c->st != SSTP_ST_CONNECTED)
		return;
	if (fwd_shared && dplane_self() != c->owner)
		ctr_add(&s->ctr.cross_worker, 1);
	ppp_send_ip(&c->ppp, pkt, len);
}

static void sess_disconnect(struct session *s, uint32_t cause, const char *reason)
{
	struct sstp_conn *c = conn_of(s);
	if (!c || c->dead) {
		core_session_end(s, cause, reason);
		return;
	}
	/* end first, so ppp's down callback does not pick another cause */
	core_session_end(s, cause, reason);
	if (c->ppp_started)
		ppp_close(&c->ppp, reason);
	sstp_conn_finish(c, false, cause, reason);
}

const struct session_ops sstp_session_ops = {
	.proto = TUNNEL_SSTP,
	.send_ip = sess_send_ip,
	.disconnect = sess_disconnect,
	.slaac = true,
};
