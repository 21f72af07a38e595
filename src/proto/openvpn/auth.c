/* Who the OpenVPN client is: what it presented (a verified certificate, a
 * username and password, an access token as the password) goes to the
 * gateway's authentication service; the auth-token pushed after the first
 * login proves the user when the key is renegotiated, so RADIUS (and any
 * MFA behind it) is not asked again. */
#define LOG_MODULE "openvpn"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/service.h"
#include "auth/token.h"
#include "internal.h"
#include "lib/codec.h"
#include "lib/log.h"
#include "challenge.h"
#include "push.h"
#include "lib/random.h"

static bool cert_verified(struct ovpn_ks *ks)
{
	X509 *peer = SSL_get0_peer_certificate(ks->ssl);
	return peer && SSL_get_verify_result(ks->ssl) == X509_V_OK;
}

static void make_auth_token(struct ovpn_sess *os)
{
	uint8_t raw[32];
	p2s_random(raw, sizeof(raw));
	os->auth_token = b64_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
}

/* RADIUS wants a second factor: the prompt goes to the client as OpenVPN's
 * dynamic challenge; it answers on its next connection. */
static void ask_for_code(struct ovpn_sess *os, struct ovpn_ks *ks, const struct auth_result *r)
{
	char msg[512];
	const char *user = os->km2.username ? os->km2.username : os->s->user;
	if (ovpn_crv1_write(msg, sizeof(msg), r->challenge_id, user, r->reply_message) < 0) {
		ovpn_auth_failed(os, ks, "the challenge does not fit a control message");
		return;
	}
	ovpn_auth_failed_msg(os, ks, "RADIUS asked for a second factor (dynamic challenge sent)",
			     msg);
}

/* The service's answer, for the key state that asked. */
static void auth_answer(struct session *s, const struct auth_result *r)
{
	struct ovpn_sess *os = s->proto;
	struct ovpn_ks *ks = &os->ks[os->auth_ks];
	if (os->closing || ks->state != KS_AUTH_WAIT)
		return;
	ks->state = KS_KM2;
	bool first = !os->pushed;
	if (r->verdict == AUTH_CHALLENGE && r->challenge_id) {
		ask_for_code(os, ks, r);
		return;
	}
	if (r->verdict != AUTH_ACCEPT) {
		ovpn_auth_failed(os, ks, r->why ? r->why : "authentication refused");
		return;
	}
	if (first && s->auth_type != AUTH_CERTIFICATE && !os->auth_token) {
		make_auth_token(os);
		auth_resume_remember(s, os->auth_token);
	}
	ovpn_auth_done(os, ks, first);
}

static void ask(struct ovpn_sess *os, struct ovpn_ks *ks, struct auth_request *req)
{
	os->auth_ks = (int)(ks - os->ks);
	ks->state = KS_AUTH_WAIT;
	auth_step(os->s, req, auth_answer);
}

/* A password, maybe with a second factor (static challenge) or answering a
 * dynamic challenge of an earlier connection. */
static void radius_login(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	struct ovpn_password pw;
	if (ovpn_password_parse(os->km2.password, &pw) < 0) {
		slog_warn(os->s->id, "authentication refused: a malformed challenge response");
		ovpn_auth_failed(os, ks, "a malformed challenge response");
		return;
	}
	struct auth_request req = {.kind = CRED_PASSWORD,
				   .user = os->km2.username,
				   .password = pw.password,
				   .otp = pw.otp,
				   .challenge_id = pw.challenge_id};
	ask(os, ks, &req);
	ovpn_password_free(&pw);
}

/* A reconnect presenting the auth-token of a login within the window: the
 * same token is pushed again, nobody is asked again. */
static void resume_login(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	struct auth_request req = {.kind = CRED_RESUME,
				   .user = os->km2.username,
				   .password = os->km2.password,
				   .ssl = cert_verified(ks) ? ks->ssl : NULL};
	os->auth_token = strdup(os->km2.password);
	ask(os, ks, &req);
}

/* The first key: what did the client present? */
static void first_login(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	const struct ovpn_km2 *k = &os->km2;
	unsigned auth = core_conf(os->srv->core)->auth_types;
	struct auth_request req = {.kind = CRED_TLS_CERT, .ssl = ks->ssl};
	/* A verified certificate suffices; otherwise a token or RADIUS may vouch. */
	if ((auth & AUTH_CERTIFICATE) && cert_verified(ks))
		req.kind = CRED_TLS_CERT;
	else if (k->password && auth_resume_known(os->s, k->password)) {
		resume_login(os, ks);
		return;
	} else if ((auth & AUTH_AAD) && token_looks_like_jwt(k->password))
		req = (struct auth_request){.kind = CRED_TOKEN, .password = k->password};
	else if (auth & AUTH_RADIUS) {
		radius_login(os, ks);
		return;
	} else if (auth & AUTH_AAD)
		req = (struct auth_request){.kind = CRED_TOKEN, .password = NULL};
	if (req.kind == CRED_TOKEN && !req.password) {
		slog_warn(os->s->id,
			  "authentication refused: no client certificate and no access token");
		ovpn_auth_failed(os, ks, "no client certificate and no access token");
		return;
	}
	ask(os, ks, &req);
}

static const char *token_check(struct ovpn_sess *os)
{
	const char *pw = os->km2.password;
	size_t n = strlen(os->auth_token);
	if (!pw || strlen(pw) != n || CRYPTO_memcmp(pw, os->auth_token, n) != 0)
		return "renegotiation without the session's auth-token";
	if (auth_token_expired(os->s, time(NULL)))
		return "the Entra ID access token of this session has expired; reconnect with a "
		       "new "
		       "one";
	return NULL;
}

void ovpn_auth_km2(struct ovpn_sess *os, struct ovpn_ks *ks, const uint8_t *p, size_t n)
{
	ovpn_km2_free(&os->km2);
	if (ovpn_km2_parse_client(p, n, &os->km2) < 0) {
		ovpn_sess_close(os, "malformed key-method 2 message");
		return;
	}
	bool first = !os->pushed && ks->key_id == 0;
	const char *why = NULL;
	if (first) {
		ovpn_peer_info_parse(os->km2.peer_info, &os->pi);
		os->cipher = ovpn_ncp_select(&os->pi, os->km2.options);
		if (!os->cipher)
			why = "no data cipher in common (client offers none of AES-256-GCM, "
			      "AES-128-GCM, CHACHA20-POLY1305)";
		else
			first_login(os, ks);
	} else if (os->auth_token) {
		why = token_check(os);
		if (!why)
			ovpn_auth_done(os, ks, false);
	} else {
		/* The certificate is checked again: revocation and expiry bite here. */
		struct auth_request req = {.kind = CRED_TLS_CERT, .ssl = ks->ssl, .no_admit = true};
		ask(os, ks, &req);
	}
	if (why) {
		slog_warn(os->s->id, "authentication refused: %s", why);
		ovpn_auth_failed(os, ks, why);
	}
}

void ovpn_auth_free(struct ovpn_sess *os)
{
	auth_cancel(os->s);
	if (os->auth_token) {
		OPENSSL_cleanse(os->auth_token, strlen(os->auth_token));
		free(os->auth_token);
		os->auth_token = NULL;
	}
}
