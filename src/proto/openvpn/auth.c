/* Who the client is: a verified certificate, or a username and password
 * checked by RADIUS (asynchronously), or the auth-token pushed earlier when
 * the key is renegotiated. Refusals are logged once, with the reason. */
#define LOG_MODULE "openvpn"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/policy.h"
#include "auth/radius.h"
#include "auth/jwks_fetch.h"
#include "auth/token.h"
#include "core/gateway.h"
#include "internal.h"
#include "lib/codec.h"
#include "lib/log.h"
#include "push.h"

static bool cert_verified(struct ovpn_ks *ks)
{
	X509 *peer = SSL_get0_peer_certificate(ks->ssl);
	return peer && SSL_get_verify_result(ks->ssl) == X509_V_OK;
}

static const char *select_cipher(struct ovpn_sess *os)
{
	os->cipher = ovpn_ncp_select(&os->pi, os->km2.options);
	return os->cipher ? NULL
			  : "no data cipher in common (client offers none of AES-256-GCM, "
			    "AES-128-GCM, CHACHA20-POLY1305)";
}

/* The user's group decides the pool; want is RADIUS's Framed-IP-Address. */
static const char *admit(struct ovpn_sess *os, const struct policy_subject *who, uint32_t want_addr)
{
	const struct gw_conf *c = os->srv->gw->conf;
	int g = policy_group_for(c, who);
	if (g >= 0)
		snprintf(os->s->group, sizeof(os->s->group), "%s", c->policy_groups.v[g].name);
	const char *why = NULL;
	if (gateway_session_admit(os->srv->gw, os->s, want_addr, policy_connection_for(c, g),
				  &why) < 0)
		return why;
	os->admitted = true;
	return NULL;
}

static const char *cert_login(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	struct session *s = os->s;
	if (cert_identity_from_ssl(ks->ssl, &s->cert) < 0)
		return "no verified client certificate";
	s->has_cert = true;
	snprintf(s->user, sizeof(s->user), "%s", s->cert.cn);
	const char *why = select_cipher(os);
	struct policy_subject who = {.cert_cn = s->cert.cn};
	return why ? why : admit(os, &who, 0);
}

static void make_auth_token(struct ovpn_sess *os)
{
	uint8_t raw[32];
	RAND_bytes(raw, sizeof(raw));
	os->auth_token = b64_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
}

static void radius_accept(struct ovpn_sess *os, struct ovpn_ks *ks, const struct radius_result *res)
{
	if (res->reply_message[0])
		slog_info(os->label, "RADIUS says: %s", res->reply_message);
	memcpy(os->rad_class, res->class_, res->class_len);
	os->rad_class_len = res->class_len;
	os->session_timeout = res->session_timeout;
	os->radius_user = true;
	const char *why = select_cipher(os);
	struct policy_subject who = {.radius_policy_id = res->policy_id};
	if (!why)
		why = admit(os, &who, res->framed_ip == 0xfffffffe ? 0 : res->framed_ip);
	if (why) {
		ovpn_auth_failed(os, ks, why);
		return;
	}
	make_auth_token(os);
	ovpn_auth_done(os, ks, true);
}

static void radius_done(void *arg, const struct radius_result *res)
{
	struct ovpn_sess *os = arg;
	struct ovpn_ks *ks = &os->ks[os->primary];
	os->rad_req = NULL;
	if (os->closing || ks->state != KS_AUTH_WAIT)
		return;
	if (res->status == RADIUS_ACCEPT) {
		radius_accept(os, ks, res);
	} else if (res->status == RADIUS_TIMEOUT) {
		ovpn_auth_failed(os, ks, "no RADIUS server answered");
	} else {
		char why[400];
		snprintf(why, sizeof(why), "RADIUS rejected user \"%s\"%s%s", os->s->user,
			 res->reply_message[0] ? ": " : "", res->reply_message);
		ovpn_auth_failed(os, ks, why);
	}
}

static const char *radius_login(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	struct gateway *gw = os->srv->gw;
	const struct ovpn_km2 *k = &os->km2;
	if (!gw->radius)
		return "RADIUS authentication is not configured";
	if (!k->username || !k->password)
		return "no client certificate and no username/password";
	snprintf(os->s->user, sizeof(os->s->user), "%s", k->username);
	char peer[64];
	sockaddr_str(&os->peer, peer, sizeof(peer));
	struct radius_auth_req r = {.user = k->username,
				    .password = k->password,
				    .calling_station = peer,
				    .called_station = gw->conf->fqdn,
				    .session_id = os->s->id};
	os->rad_req = radius_auth(gw->radius, &r, radius_done, os);
	if (!os->rad_req)
		return "could not start a RADIUS request";
	ks->state = KS_AUTH_WAIT;
	return NULL;
}

/* An Entra ID access token as the password; the username is not trusted. */
static const char *token_login(struct ovpn_sess *os)
{
	struct gateway *gw = os->srv->gw;
	const struct gw_conf *c = gw->conf;
	char tenant[64];
	static char why_buf[200];
	if (!token_tenant_of(c->aad_tenant, tenant))
		return "Entra ID authentication is not set up";
	if (!gw->token_keys)
		return "the tenant's signing keys have not been fetched yet";
	struct token_policy pol = {c->aad_issuer, c->aad_audience, tenant};
	struct token_claims *tc = calloc(1, sizeof(*tc));
	const char *why = NULL;
	if (!tc)
		return "out of memory";
	if (token_validate(os->km2.password, strlen(os->km2.password), gw->token_keys, &pol,
			   time(NULL), tc, &why) < 0) {
		snprintf(why_buf, sizeof(why_buf), "access token refused: %s", why);
		free(tc);
		if (strncmp(why, "unknown signing key", 19) == 0)
			jwks_fetch_unknown_kid(gw->jwks); /* keys may have rolled over */
		return why_buf;
	}
	snprintf(os->s->user, sizeof(os->s->user), "%s", tc->user);
	why = select_cipher(os);
	struct policy_subject who = {.aad_groups = (const char(*)[64])tc->groups,
				     .n_aad_groups = tc->n_groups};
	if (!why)
		why = admit(os, &who, 0);
	free(tc);
	if (!why)
		make_auth_token(os);
	return why;
}

static const char *renegotiation_check(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	if (os->auth_token) {
		const char *pw = os->km2.password;
		size_t n = strlen(os->auth_token);
		if (!pw || strlen(pw) != n || CRYPTO_memcmp(pw, os->auth_token, n) != 0)
			return "renegotiation without the session's auth-token";
		return NULL;
	}
	struct cert_identity id;
	if (cert_identity_from_ssl(ks->ssl, &id) < 0)
		return "no verified client certificate on renegotiation";
	if (memcmp(id.leaf_sha1, os->s->cert.leaf_sha1, 20) != 0 &&
	    strcmp(id.cn, os->s->cert.cn) != 0)
		return "client certificate identity changed on renegotiation";
	os->s->cert = id;
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
	const char *why;
	if (!first) {
		why = renegotiation_check(os, ks);
	} else {
		ovpn_peer_info_parse(os->km2.peer_info, &os->pi);
		unsigned auth = os->srv->gw->conf->auth_types;
		/* A verified certificate suffices; otherwise RADIUS may vouch. */
		if ((auth & AUTH_CERTIFICATE) && cert_verified(ks))
			why = cert_login(os, ks);
		else if ((auth & AUTH_AAD) && token_looks_like_jwt(os->km2.password))
			why = token_login(os);
		else if (auth & AUTH_RADIUS)
			why = radius_login(os, ks);
		else if (auth & AUTH_AAD)
			why = "no client certificate and no access token";
		else
			why = cert_login(os, ks);
		if (!why && ks->state == KS_AUTH_WAIT)
			return; /* radius_done continues */
	}
	if (why)
		ovpn_auth_failed(os, ks, why);
	else
		ovpn_auth_done(os, ks, first);
}

void ovpn_auth_account(struct ovpn_sess *os, uint32_t status, uint32_t cause)
{
	struct gateway *gw = os->srv->gw;
	if (!os->radius_user || !gw->radius)
		return;
	struct session *s = os->s;
	char peer[64];
	sockaddr_str(&os->peer, peer, sizeof(peer));
	struct radius_acct a = {.status_type = status,
				.user = s->user,
				.session_id = s->id,
				.calling_station = peer,
				.framed_ip = s->addr,
				.class_ = os->rad_class,
				.class_len = os->rad_class_len,
				.in_octets = s->ctr.bytes_in,
				.out_octets = s->ctr.bytes_out,
				.in_packets = s->ctr.pkts_in,
				.out_packets = s->ctr.pkts_out,
				.session_time = (uint32_t)(time(NULL) - s->started),
				.terminate_cause = cause};
	radius_account(gw->radius, &a);
}

void ovpn_auth_free(struct ovpn_sess *os)
{
	radius_cancel(os->rad_req);
	os->rad_req = NULL;
	if (os->auth_token) {
		OPENSSL_cleanse(os->auth_token, strlen(os->auth_token));
		free(os->auth_token);
		os->auth_token = NULL;
	}
}
