/* One authentication service for every tunnel. An engine says what the
 * client presented; the answer comes by callback: refuse (the zero value,
 * with the reason), challenge (an EAP request to relay, RADIUS State kept on
 * the session) or accept. On accept the service has also decided who the
 * user is, their group and pool, and admitted the session within the
 * tunnel's connection cap: the session holds its address. The seed's tunnel
 * x authentication matrix is enforced here, once. */
#ifndef P2S_AUTH_SERVICE_H
#define P2S_AUTH_SERVICE_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tunnel/session.h"

enum auth_cred {
	CRED_TLS_CERT,	 /* ssl: a handshake whose client certificate TLS verified */
	CRED_CERT_CHAIN, /* leaf + chain to verify here (IKEv2 CERT, EAP-TLS) */
	CRED_PASSWORD,	 /* user + password: RADIUS PAP */
	CRED_TOKEN,	 /* password holds an Entra ID access token */
	CRED_MSCHAPV2,	 /* user + MS-CHAPv2 challenge/response: RADIUS */
	CRED_EAP,	 /* one EAP packet from the client: relayed to RADIUS */
	CRED_RESUME,	 /* user + password = a resume token of an earlier login */
};

struct auth_request {
	enum auth_cred kind;
	const char *user;
	const char *password;
	SSL *ssl;
	X509 *leaf;
	STACK_OF(X509) * chain; /* intermediates, may be NULL */
	const uint8_t *eap;
	size_t eap_len;
	const uint8_t *mschap_challenge; /* 16 bytes: the authenticator challenge */
	const uint8_t *mschap_response;	 /* 50 bytes: ident, flags, peer challenge,
					    reserved, NT-response (RFC 2548) */
	/* Only decide who the user is; do not admit (OpenVPN renegotiation). */
	bool no_admit;
	/* CRED_PASSWORD with a second factor: the answer to send when RADIUS
	 * challenges (a static challenge typed with the password), or the id of
	 * a challenge parked on an earlier connection that password answers. */
	const char *otp;
	const char *challenge_id;
};

enum auth_verdict { AUTH_REFUSE = 0, AUTH_CHALLENGE, AUTH_ACCEPT };

struct auth_result {
	enum auth_verdict verdict;
	const char *why; /* REFUSE: the reason, also logged once */
	/* CHALLENGE: the EAP request to relay; ACCEPT/REFUSE after EAP: the
	 * EAP-Success/Failure RADIUS sent (may be empty). */
	const uint8_t *eap;
	size_t eap_len;
	/* MS-CHAPv2 and EAP: MS-MPPE keys (RFC 2548), decrypted. EAP MSK =
	 * recv || send. */
	const uint8_t *mppe_send, *mppe_recv;
	size_t mppe_send_len, mppe_recv_len;
	const char *mschap2_success; /* "S=<40 hex>", with ident byte stripped */
	/* CHALLENGE to a password: parked under this id for the client to
	 * answer on its next connection (the prompt is reply_message). */
	const char *challenge_id;
	const char *reply_message; /* RADIUS Reply-Message, or "" */
};

/* The callback runs exactly once per step, possibly before auth_step
 * returns (certificates and tokens are decided at once). */
typedef void (*auth_cb)(struct session *s, const struct auth_result *r);

/* Starts one step for s. A RADIUS conversation (EAP) is several steps on the
 * same session; the State is kept on the session. */
void auth_step(struct session *s, const struct auth_request *req, auth_cb cb);
/* Drops a pending step: its callback will not run. */
void auth_cancel(struct session *s);

/* What the service decides with; the core owns it and keeps it current
 * across reloads. Each session points at it (session->auth_ctx). */
struct radius_client;
struct token_keys;
struct jwks_fetch;
struct cert_auth;
struct gw_conf;
struct ratelimit;
struct stats;
struct auth_ctx {
	const struct gw_conf *conf;
	struct cert_auth *certs;
	struct radius_client *radius; /* NULL without RADIUS servers */
	struct token_keys *token_keys;
	struct jwks_fetch *jwks;
	const char *nas_address; /* Called-Station-Id */
	struct stats *stats;	 /* refusals are counted here (the core's); may be NULL */
	/* Leases an address from connection configuration conn's pool (-1: the
	 * main pool) within the tunnel's cap, preferring want. 0, or negative
	 * with *why. */
	int (*admit)(struct session *s, uint32_t want, int conn, const char **why);
	/* Would the tunnel's cap admit one more? Asked before RADIUS, so a full
	 * gateway does not send anyone an MFA prompt for nothing. */
	bool (*has_room)(struct session *s, const char **why);
	struct ratelimit *logins;      /* RADIUS attempts per user name, or NULL */
	struct challenges *challenges; /* parked password challenges, or NULL */
	struct resume_store *resume;   /* ask once: logins a reconnect may resume */
	double resume_lifetime;	       /* seconds; 0: a token lives with its session */
};

/* An Entra ID session whose access token has expired (with the same skew as
 * at login): a renewal of the session's keys must not outlive the token. */
bool auth_token_expired(const struct session *s, time_t now);

/* Ask once: remember s's login under token for a reconnect within the
 * window (RADIUS and Entra ID logins; nothing when the window is 0). */
void auth_resume_remember(struct session *s, const char *token);
/* Is token a resume token still open? (which request kind to send) */
bool auth_resume_known(const struct session *s, const char *token);

/* Is this authentication type allowed for this tunnel (the seed's matrix)? */
bool auth_allowed(enum tunnel_proto p, unsigned auth_type);

#endif
