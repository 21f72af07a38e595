/* Entra ID (OIDC) access tokens: JWS compact, RS256 only, the key chosen by
 * kid from a JWKS, then the claims Azure's gateway checks. Pure: the JWKS is
 * given as JSON text, the time as a number. */
#ifndef P2S_TOKEN_H
#define P2S_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOKEN_MAX_LEN	 16384
#define TOKEN_MAX_GROUPS 64
#define TOKEN_SKEW	 300

struct token_keys; /* parsed JWKS: RSA public keys by kid */

/* Parses a JWKS document; NULL with *why set when it has no usable RSA key. */
struct token_keys *token_keys_parse(const char *json, const char **why);
void token_keys_free(struct token_keys *k);

struct token_policy {
	const char *issuer; /* exact, trailing slash included */
	const char *audience;
	const char *tenant; /* the tenant id (a GUID) */
};

struct token_claims {
	char user[256]; /* upn, unique_name or preferred_username */
	char oid[64];
	char tid[64];
	char groups[TOKEN_MAX_GROUPS][64];
	size_t n_groups;
	int64_t exp;
};

/* Validates token against keys and policy at time now. 0, or a negative
 * error with *why naming the reason (expired, wrong audience, ...). */
int token_validate(const char *token, size_t len, const struct token_keys *keys,
		   const struct token_policy *pol, time_t now, struct token_claims *out,
		   const char **why);

/* True when s has the shape of a JWS compact token (header.payload.signature). */
bool token_looks_like_jwt(const char *s);

/* The tenant id in "https://login.microsoftonline.com/<tid>"; false if none. */
bool token_tenant_of(const char *aad_tenant, char out[64]);

/* OpenID Connect discovery, when no JWKS is configured: the tenant's v2.0
 * metadata URL, from aadTenant ("https://<login host>/<tid>") or else from a
 * v1 issuer ("https://sts.windows.net/<tid>/" -> the public login host).
 * 0, or -EINVAL when neither names a tenant. */
int token_discovery_url(const char *aad_tenant, const char *aad_issuer, char *out, size_t cap);
/* The https jwks_uri of a metadata document; -EINVAL with *why set. */
int token_discovery_jwks_uri(const char *json, char *out, size_t cap, const char **why);

#endif
