/* The authentication phase: MS-CHAPv2 in CHAP, or EAP relayed by the
 * caller. ppp only moves packets and keeps the retransmission; who the user
 * is and whether they may in is decided by the caller (auth_step). */
#include <openssl/rand.h>
#include <string.h>

#include "proto/ppp/frame.h"
#include "proto/ppp/ppp.h"

#define GW_NAME "p2sgw"

static void send_auth_request(struct ppp *p)
{
	uint8_t buf[PPP_MRU];
	int n;
	p->auth_waiting = true;
	p->auth_sent++;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		n = chap_build_challenge(buf, sizeof(buf), p->auth_id, p->challenge, GW_NAME);
		if (n > 0)
			ppp_send_cp_raw(p, PPP_CHAP, buf, (size_t)n);
	} else {
		ppp_send_cp_raw(p, PPP_EAP, p->eap_last, p->eap_last_len);
	}
}

void ppp_auth_start(struct ppp *p)
{
	p->phase = PPP_AUTHENTICATE;
	p->auth_sent = 0;
	p->auth_id++;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		if (RAND_bytes(p->challenge, sizeof(p->challenge)) != 1) {
			ppp_close(p, "no random bytes for the challenge");
			return;
		}
	} else {
		int n = eap_build(p->eap_last, sizeof(p->eap_last), EAP_REQUEST, p->auth_id,
				  EAP_TYPE_IDENTITY, NULL, 0);
		p->eap_last_len = n > 0 ? (size_t)n : 0;
	}
	send_auth_request(p);
}

void ppp_auth_timeout(struct ppp *p)
{
	if (p->auth_sent >= PPP_MAX_CONFIGURE)
		ppp_close(p, "the client did not answer the authentication request");
	else
		send_auth_request(p);
}

static void chap_input(struct ppp *p, const uint8_t *info, size_t len)
{
	struct chap_response r;
	uint8_t resp[50];
	if (p->auth != PPP_AUTH_MSCHAPV2 || chap_parse_response(info, len, &r) < 0)
		return;
	if (r.id != p->auth_id || p->auth_busy)
		return; /* a stale retransmission, or the verdict is coming */
	p->auth_waiting = false;
	p->auth_busy = true;
	memcpy(p->identity, r.name, sizeof(p->identity));
	chap_radius_response(&r, resp);
	p->ops->mschapv2(p->ctx, r.name, p->challenge, resp);
}

static void eap_input(struct ppp *p, const uint8_t *info, size_t len)
{
	struct eap_pkt e;
	if (p->auth != PPP_AUTH_EAP || eap_parse(info, len, &e) < 0)
		return;
	if (e.code != EAP_RESPONSE || e.id != p->auth_id || p->auth_busy)
		return;
	if (e.type == EAP_TYPE_IDENTITY && !p->identity[0]) {
		size_t n = e.len < CHAP_NAME_MAX ? e.len : CHAP_NAME_MAX;
		memcpy(p->identity, e.data, n);
		p->identity[n] = 0;
		if (strlen(p->identity) != n || n == 0) {
			ppp_close(p, "malformed EAP identity");
			return;
		}
	}
	p->auth_waiting = false;
	p->auth_busy = true;
	p->ops->eap(p->ctx, p->identity, info, len);
}

void ppp_auth_input(struct ppp *p, uint16_t proto, const uint8_t *info, size_t len)
{
	if (p->phase != PPP_AUTHENTICATE)
		return;
	if (proto == PPP_CHAP)
		chap_input(p, info, len);
	else
		eap_input(p, info, len);
}

void ppp_eap_request(struct ppp *p, const uint8_t *pkt, size_t len)
{
	struct eap_pkt e;
	if (p->phase != PPP_AUTHENTICATE || len > sizeof(p->eap_last) ||
	    eap_parse(pkt, len, &e) < 0 || e.code != EAP_REQUEST) {
		ppp_close(p, "unusable EAP request from the authentication server");
		return;
	}
	p->auth_busy = false;
	p->auth_id = e.id;
	p->auth_sent = 0;
	memcpy(p->eap_last, pkt, len);
	p->eap_last_len = len;
	send_auth_request(p);
}

static void send_eap_final(struct ppp *p, uint8_t code, const uint8_t *pkt, size_t len)
{
	uint8_t buf[8];
	if (!pkt || !len) {
		int n = eap_build(buf, sizeof(buf), code, p->auth_id, -1, NULL, 0);
		pkt = buf;
		len = n > 0 ? (size_t)n : 0;
	}
	ppp_send_cp_raw(p, PPP_EAP, pkt, len);
}

void ppp_auth_accept(struct ppp *p, const char *success, const uint8_t *eap_final, size_t len)
{
	uint8_t buf[PPP_MRU];
	if (p->phase != PPP_AUTHENTICATE)
		return;
	p->auth_busy = false;
	p->auth_waiting = false;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		int n = chap_build_success(buf, sizeof(buf), p->auth_id, success ? success : "",
					   "Access granted");
		if (n > 0)
			ppp_send_cp_raw(p, PPP_CHAP, buf, (size_t)n);
	} else {
		send_eap_final(p, EAP_SUCCESS, eap_final, len);
	}
	p->phase = PPP_NETWORK;
	p->ipcp.sent = 0;
	ppp_ipcp_start(p);
	ppp_ipv6cp_start(p);
}

void ppp_auth_refuse(struct ppp *p, const char *why, const uint8_t *eap_final, size_t len)
{
	uint8_t buf[PPP_MRU];
	if (p->phase != PPP_AUTHENTICATE)
		return;
	p->auth_busy = false;
	p->auth_waiting = false;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		int n = chap_build_failure(buf, sizeof(buf), p->auth_id, p->challenge,
					   "Authentication failed");
		if (n > 0)
			ppp_send_cp_raw(p, PPP_CHAP, buf, (size_t)n);
	} else {
		send_eap_final(p, EAP_FAILURE, eap_final, len);
	}
	ppp_close(p, why);
}
