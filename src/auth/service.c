/* The authentication service: one decision path for every tunnel. Who the
 * user is comes from a certificate, a token or a RADIUS answer; then the
 * group, the pool and admission within the tunnel's cap. A RADIUS
 * conversation (EAP, MS-CHAPv2) keeps its State on the session. */
#define LOG_MODULE "auth"

#include "service.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/cert.h"
#include "auth/challenge.h"
#include "auth/jwks_fetch.h"
#include "auth/policy.h"
#include "auth/radius.h"
#include "auth/ratelimit.h"
#include "auth/resume.h"
#include "auth/token.h"
#include "lib/log.h"
#include "lib/stats.h"
#include "lib/text.h"

struct auth_pending {
	struct session *s;
	auth_cb cb;
	struct radius_req *rq;
	bool no_admit;
	uint8_t state[253]; /* RADIUS State between EAP rounds */
	size_t state_len;
	char why[400];
	char *otp; /* answers the next Access-Challenge at once (static challenge) */
	char challenge_id[CHALLENGE_ID_LEN + 1];
};

bool auth_token_expired(const struct session *s, time_t now)
{
	return s->auth_type == AUTH_AAD && s->token_exp + TOKEN_SKEW < now;
}

bool auth_allowed(enum tunnel_proto p, unsigned auth_type)
{
	/* The seed: Entra ID only over OpenVPN; certificates and RADIUS everywhere. */
	if (auth_type == AUTH_AAD)
		return p == TUNNEL_OPENVPN;
	return auth_type == AUTH_CERTIFICATE || auth_type == AUTH_RADIUS;
}

static unsigned cred_type(enum auth_cred k)
{
	switch (k) {
	case CRED_TLS_CERT:
	case CRED_CERT_CHAIN: return AUTH_CERTIFICATE;
	case CRED_TOKEN: return AUTH_AAD;
	default: return AUTH_RADIUS;
	}
}

static const char *type_name(unsigned t)
{
	return t == AUTH_CERTIFICATE ? "certificate" : t == AUTH_AAD ? "Entra ID" : "RADIUS";
}

static struct auth_pending *pending_of(struct session *s)
{
	if (!s->auth)
		s->auth = calloc(1, sizeof(*s->auth));
	if (s->auth)
		s->auth->s = s;
	return s->auth;
}

static void count_refusal(struct session *s, const char *why)
{
	if (s->auth_ctx)
		stats_refusal(s->auth_ctx->stats, time(NULL), tunnel_name(s->ops->proto), s->id,
			      s->user, why);
}

static void refuse(struct session *s, auth_cb cb, const char *why)
{
	slog_warn(s->id, "authentication refused: %s", why);
	count_refusal(s, why);
	struct auth_result r = {.verdict = AUTH_REFUSE, .why = why, .reply_message = ""};
	cb(s, &r);
}

/* Names the group, then admits unless only the identity was asked for. */
static const char *place(struct session *s, const struct policy_subject *who, uint32_t want,
			 bool no_admit)
{
	const struct auth_ctx *x = s->auth_ctx;
	int g = policy_group_for(x->conf, who);
	if (g >= 0)
		snprintf(s->group, sizeof(s->group), "%s", x->conf->policy_groups.v[g].name);
	const char *why = NULL;
	if (!no_admit && x->admit(s, want, policy_connection_for(x->conf, g), &why) < 0)
		return why;
	return NULL;
}

static void accept_identity(struct session *s, unsigned type, const struct policy_subject *who,
			    const struct auth_request *req, auth_cb cb)
{
	s->auth_type = type;
	const char *why = place(s, who, 0, req->no_admit);
	if (why) {
		refuse(s, cb, why);
		return;
	}
	struct auth_result r = {.verdict = AUTH_ACCEPT, .reply_message = ""};
	cb(s, &r);
}

static void cert_identity_accept(struct session *s, const struct cert_identity *id,
				 const struct auth_request *req, auth_cb cb)
{
	/* The same certificate, not merely the same name: another one with this
	 * CN would otherwise take the session over. */
	if (req->no_admit && s->has_cert && memcmp(id->leaf_sha1, s->cert.leaf_sha1, 20) != 0) {
		refuse(s, cb, "client certificate changed on renegotiation");
		return;
	}
	s->cert = *id;
	s->has_cert = true;
	text_clean(s->user, sizeof(s->user), id->cn);
	struct policy_subject who = {.cert_cn = id->cn};
	accept_identity(s, AUTH_CERTIFICATE, &who, req, cb);
}

static void cert_step(struct session *s, const struct auth_request *req, auth_cb cb)
{
	struct cert_identity id;
	const char *why = "no verified client certificate";
	int r = req->kind == CRED_TLS_CERT
			? cert_identity_from_ssl(req->ssl, &id)
			: (req->leaf ? cert_auth_verify_chain(s->auth_ctx->certs, req->leaf,
							      req->chain, &id, &why)
				     : -1);
	/* TLS verified under the trust of its start; a reload since may have
	 * revoked the certificate or removed its root. */
	if (r == 0 && !cert_auth_still_valid(s->auth_ctx->certs, &id, &why))
		r = -1;
	if (r < 0) {
		refuse(s, cb, why);
		return;
	}
	cert_identity_accept(s, &id, req, cb);
}

static void token_step(struct session *s, const struct auth_request *req, auth_cb cb)
{
	const struct auth_ctx *x = s->auth_ctx;
	const struct gw_conf *c = x->conf;
	char tenant[64];
	if (!token_tenant_of(c->aad_tenant, tenant)) {
		refuse(s, cb, "Entra ID authentication is not set up");
		return;
	}
	if (!x->token_keys) {
		refuse(s, cb, "the tenant's signing keys have not been fetched yet");
		return;
	}
	struct token_policy pol = {c->aad_issuer, c->aad_audience, tenant};
	struct token_claims *tc = calloc(1, sizeof(*tc));
	const char *why = "out of memory";
	if (!tc || token_validate(req->password, strlen(req->password), x->token_keys, &pol,
				  time(NULL), tc, &why) < 0) {
		struct auth_pending *p = pending_of(s);
		if (p)
			snprintf(p->why, sizeof(p->why), "access token refused: %s", why);
		if (tc && strncmp(why, "unknown signing key", 19) == 0)
			jwks_fetch_unknown_kid(x->jwks); /* keys may have rolled over */
		free(tc);
		refuse(s, cb, p ? p->why : why);
		return;
	}
	text_clean(s->user, sizeof(s->user), tc->user);
	s->token_exp = tc->exp;
	struct policy_subject who = {.aad_groups = (const char(*)[64])tc->groups,
				     .n_aad_groups = tc->n_groups};
	accept_identity(s, AUTH_AAD, &who, req, cb);
	free(tc);
}

/* ---- RADIUS ------------------------------------------------------------- */

static void radius_accepted(struct session *s, struct auth_pending *p,
			    const struct radius_result *res)
{
	if (res->reply_message[0])
		slog_info(s->id, "RADIUS says: %s", res->reply_message);
	memcpy(s->rad_class, res->class_, res->class_len);
	s->rad_class_len = res->class_len;
	s->session_timeout = res->session_timeout;
	s->auth_type = AUTH_RADIUS;
	struct policy_subject who = {.radius_policy_id = res->policy_id};
	uint32_t want = res->framed_ip == 0xfffffffe ? 0 : res->framed_ip;
	const char *why = place(s, &who, want, p->no_admit);
	if (why) {
		refuse(s, p->cb, why);
		return;
	}
	struct auth_result r = {.verdict = AUTH_ACCEPT,
				.eap = res->eap,
				.eap_len = res->eap_len,
				.mppe_send = res->mppe_send,
				.mppe_recv = res->mppe_recv,
				.mppe_send_len = res->mppe_send_len,
				.mppe_recv_len = res->mppe_recv_len,
				.mschap2_success = res->mschap2_success,
				.reply_message = res->reply_message};
	p->cb(s, &r);
}

static void radius_done(void *arg, const struct radius_result *res);

static void otp_clear(struct auth_pending *p)
{
	if (p->otp)
		OPENSSL_cleanse(p->otp, strlen(p->otp));
	free(p->otp);
	p->otp = NULL;
}

/* A static challenge: the code the user typed with the password answers. */
static bool answer_with_otp(struct session *s, struct auth_pending *p)
{
	if (!p->otp)
		return false;
	char peer[64];
	sockaddr_str(&s->peer, peer, sizeof(peer));
	struct radius_auth_req r = {.user = s->user,
				    .password = p->otp,
				    .state = p->state,
				    .state_len = p->state_len,
				    .calling_station = peer,
				    .called_station = s->auth_ctx->nas_address,
				    .session_id = s->id};
	p->rq = radius_auth(s->auth_ctx->radius, &r, radius_done, p);
	otp_clear(p);
	return p->rq != NULL;
}

static void radius_challenged(struct session *s, struct auth_pending *p,
			      const struct radius_result *res)
{
	memcpy(p->state, res->state, res->state_len);
	p->state_len = res->state_len;
	if (answer_with_otp(s, p))
		return;
	struct auth_result r = {.verdict = AUTH_CHALLENGE,
				.eap = res->eap,
				.eap_len = res->eap_len,
				.reply_message = res->reply_message};
	struct challenges *c = s->auth_ctx->challenges;
	if (!res->eap_len && c) { /* a password challenge, answered on another connection */
		challenge_park(c, s->user, p->state, p->state_len, (double)time(NULL),
			       p->challenge_id);
		r.challenge_id = p->challenge_id;
		slog_info(s->id, "RADIUS asks user \"%s\" for a second factor", s->user);
	}
	p->cb(s, &r);
}

static void radius_rejected(struct session *s, struct auth_pending *p,
			    const struct radius_result *res)
{
	if (res->status == RADIUS_TIMEOUT)
		snprintf(p->why, sizeof(p->why), "no RADIUS server answered");
	else
		snprintf(p->why, sizeof(p->why), "RADIUS rejected user \"%s\"%s%s", s->user,
			 res->reply_message[0] ? ": " : "", res->reply_message);
	slog_warn(s->id, "authentication refused: %s", p->why);
	count_refusal(s, p->why);
	struct auth_result r = {.verdict = AUTH_REFUSE,
				.why = p->why,
				.eap = res->eap,
				.eap_len = res->eap_len,
				.reply_message = res->reply_message};
	p->cb(s, &r);
}

static void radius_done(void *arg, const struct radius_result *res)
{
	struct auth_pending *p = arg;
	struct session *s = p->s;
	p->rq = NULL;
	p->state_len = 0;
	if (res->status == RADIUS_ACCEPT)
		radius_accepted(s, p, res);
	else if (res->status == RADIUS_CHALLENGE)
		radius_challenged(s, p, res);
	else
		radius_rejected(s, p, res);
}

static void radius_step(struct session *s, const struct auth_request *req, auth_cb cb)
{
	const struct auth_ctx *x = s->auth_ctx;
	struct auth_pending *p = pending_of(s);
	if (!x->radius || !p) {
		refuse(s, cb, "RADIUS authentication is not configured");
		return;
	}
	if (!req->user || (req->kind == CRED_PASSWORD && !req->password)) {
		refuse(s, cb, "no client certificate and no username/password");
		return;
	}
	const char *why = NULL;
	if (req->challenge_id &&
	    (!x->challenges || challenge_take(x->challenges, req->challenge_id, req->user,
					      (double)time(NULL), p->state, &p->state_len) < 0)) {
		refuse(s, cb, "the answer names no challenge of this user that is still open");
		return;
	}
	if (!req->no_admit && !req->challenge_id && x->has_room && !x->has_room(s, &why)) {
		refuse(s, cb, why);
		return;
	}
	/* A new conversation counts; the rounds of one (EAP, State) do not. */
	if (p->state_len == 0 && !req->challenge_id && x->logins &&
	    !ratelimit_allow(x->logins, req->user, (double)time(NULL))) {
		refuse(s, cb, "too many login attempts for this user name in the last minute");
		return;
	}
	if (req->user != s->user)
		text_clean(s->user, sizeof(s->user), req->user);
	char peer[64];
	sockaddr_str(&s->peer, peer, sizeof(peer));
	struct radius_auth_req r = {.user = req->user,
				    .password = req->kind == CRED_PASSWORD ? req->password : NULL,
				    .eap = req->eap,
				    .eap_len = req->kind == CRED_EAP ? req->eap_len : 0,
				    .state = p->state,
				    .state_len = p->state_len,
				    .mschap_challenge = req->mschap_challenge,
				    .mschap_response = req->mschap_response,
				    .calling_station = peer,
				    .called_station = x->nas_address,
				    .session_id = s->id};
	p->cb = cb;
	p->no_admit = req->no_admit;
	otp_clear(p);
	p->otp = req->otp ? strdup(req->otp) : NULL;
	radius_cancel(p->rq);
	p->rq = radius_auth(x->radius, &r, radius_done, p);
	if (!p->rq)
		refuse(s, cb, "could not start a RADIUS request");
}

/* ---- ask once ----------------------------------------------------------- */

void auth_resume_remember(struct session *s, const char *token)
{
	const struct auth_ctx *x = s->auth_ctx;
	if (!x->resume || x->resume_lifetime <= 0 || !token || strlen(token) != RESUME_TOKEN_LEN ||
	    (s->auth_type != AUTH_RADIUS && s->auth_type != AUTH_AAD))
		return;
	struct resume_entry e = {.auth_type = s->auth_type, .has_cert = s->has_cert};
	memcpy(e.token, token, RESUME_TOKEN_LEN + 1);
	snprintf(e.user, sizeof(e.user), "%s", s->user);
	snprintf(e.group, sizeof(e.group), "%s", s->group);
	memcpy(e.cert_sha1, s->cert.leaf_sha1, 20);
	memcpy(e.rad_class, s->rad_class, s->rad_class_len);
	e.rad_class_len = s->rad_class_len;
	resume_put(x->resume, &e, (double)time(NULL), x->resume_lifetime);
	OPENSSL_cleanse(&e, sizeof(e));
}

bool auth_resume_known(const struct session *s, const char *token)
{
	const struct auth_ctx *x = s->auth_ctx;
	return x->resume && resume_find(x->resume, token, (double)time(NULL)) != NULL;
}

/* The same user, the same certificate (if the first login had one), a type
 * still enabled for this tunnel: admitted into the group it had. */
static const char *resume_check(struct session *s, const struct auth_request *req,
				const struct resume_entry *e)
{
	char user[256];
	text_clean(user, sizeof(user), req->user ? req->user : "");
	if (!e || strcmp(user, e->user) != 0)
		return "the resume token is unknown, expired or another user's";
	if (!(s->auth_ctx->conf->auth_types & e->auth_type) ||
	    !auth_allowed(s->ops->proto, e->auth_type))
		return "the resume token's authentication type is no longer enabled";
	struct cert_identity id;
	if (e->has_cert && (!req->ssl || cert_identity_from_ssl(req->ssl, &id) < 0 ||
			    memcmp(id.leaf_sha1, e->cert_sha1, 20) != 0))
		return "the resume token belongs with another client certificate";
	return NULL;
}

static void resume_step(struct session *s, const struct auth_request *req, auth_cb cb)
{
	const struct auth_ctx *x = s->auth_ctx;
	const struct resume_entry *e =
		x->resume ? resume_find(x->resume, req->password, (double)time(NULL)) : NULL;
	const char *why = resume_check(s, req, e);
	if (why) {
		refuse(s, cb, why);
		return;
	}
	s->auth_type = e->auth_type;
	snprintf(s->user, sizeof(s->user), "%s", e->user);
	snprintf(s->group, sizeof(s->group), "%s", e->group);
	memcpy(s->rad_class, e->rad_class, e->rad_class_len);
	s->rad_class_len = e->rad_class_len;
	int conn = policy_connection_for(x->conf, policy_group_named(x->conf, e->group));
	if (!req->no_admit && x->admit(s, 0, conn, &why) < 0) {
		refuse(s, cb, why);
		return;
	}
	slog_info(s->id, "user \"%s\" resumed a login of the last %.0f s: not asked again", s->user,
		  x->resume_lifetime);
	struct auth_result r = {.verdict = AUTH_ACCEPT, .reply_message = ""};
	cb(s, &r);
}

void auth_step(struct session *s, const struct auth_request *req, auth_cb cb)
{
	if (req->kind == CRED_RESUME) {
		resume_step(s, req, cb);
		return;
	}
	unsigned type = cred_type(req->kind);
	char why[160];
	if (!(s->auth_ctx->conf->auth_types & type)) {
		snprintf(why, sizeof(why), "%s authentication is not enabled on this gateway",
			 type_name(type));
		refuse(s, cb, why);
		return;
	}
	if (!auth_allowed(s->ops->proto, type)) {
		snprintf(why, sizeof(why), "%s authentication is not available over %s",
			 type_name(type), tunnel_name(s->ops->proto));
		refuse(s, cb, why);
		return;
	}
	if (type == AUTH_CERTIFICATE)
		cert_step(s, req, cb);
	else if (type == AUTH_AAD)
		token_step(s, req, cb);
	else
		radius_step(s, req, cb);
}

void auth_cancel(struct session *s)
{
	if (!s->auth)
		return;
	radius_cancel(s->auth->rq);
	otp_clear(s->auth);
	OPENSSL_cleanse(s->auth, sizeof(*s->auth));
	free(s->auth);
	s->auth = NULL;
}
