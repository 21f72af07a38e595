#include "token.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/err.h"

struct token_key {
	char kid[128];
	EVP_PKEY *pkey;
};

struct token_keys {
	struct token_key *v;
	size_t n;
};

static BIGNUM *bn_b64url(const char *s)
{
	uint8_t *raw = NULL;
	int n = s ? b64url_decode(s, strlen(s), &raw) : -1;
	BIGNUM *b = n > 0 ? BN_bin2bn(raw, n, NULL) : NULL;
	free(raw);
	return b;
}

static EVP_PKEY *rsa_from_jwk(json_t *jwk)
{
	BIGNUM *n = bn_b64url(json_string_value(json_object_get(jwk, "n")));
	BIGNUM *e = bn_b64url(json_string_value(json_object_get(jwk, "e")));
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (n && e && bld && ctx && BN_num_bits(n) >= 2048 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

struct token_keys *token_keys_parse(const char *text, const char **why)
{
	json_t *doc = json_loads(text, 0, NULL);
	json_t *keys = json_object_get(doc, "keys");
	struct token_keys *k = calloc(1, sizeof(*k));
	*why = "not a JWKS document";
	if (k && json_is_array(keys))
		k->v = calloc(json_array_size(keys) + 1, sizeof(*k->v));
	size_t i;
	json_t *jwk;
	if (k && k->v)
		json_array_foreach(keys, i, jwk)
		{
			const char *kty = json_string_value(json_object_get(jwk, "kty"));
			const char *kid = json_string_value(json_object_get(jwk, "kid"));
			if (!kty || strcmp(kty, "RSA") != 0 || !kid || strlen(kid) >= 128)
				continue;
			EVP_PKEY *p = rsa_from_jwk(jwk);
			if (!p)
				continue;
			snprintf(k->v[k->n].kid, sizeof(k->v[k->n].kid), "%s", kid);
			k->v[k->n++].pkey = p;
		}
	json_decref(doc);
	if (k && k->n == 0) {
		*why = "no usable RSA key (2048 bits or more) in the JWKS";
		token_keys_free(k);
		return NULL;
	}
	return k;
}

void token_keys_free(struct token_keys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		EVP_PKEY_free(k->v[i].pkey);
	free(k->v);
	free(k);
}

/* Two dots and a header and payload; the signature may be empty (alg none),
 * so that such a token is refused for its algorithm, by name. */
bool token_looks_like_jwt(const char *s)
{
	const char *a = s ? strchr(s, '.') : NULL;
	const char *b = a ? strchr(a + 1, '.') : NULL;
	return b && !strchr(b + 1, '.') && a > s && b > a + 1;
}

bool token_tenant_of(const char *aad_tenant, char out[64])
{
	const char *slash = aad_tenant ? strrchr(aad_tenant, '/') : NULL;
	if (!slash || !slash[1] || strlen(slash + 1) >= 64)
		return false;
	strcpy(out, slash + 1);
	return true;
}

#define DISCOVERY_PATH "/v2.0/.well-known/openid-configuration"

/* Login hosts whose tenant URL is "https://<host>/<tid>"; v1 issuers map to the first. */
static const char *const login_hosts[] = {
	"https://login.microsoftonline.com/", "https://login.microsoftonline.us/",
	"https://login.chinacloudapi.cn/", "https://login.microsoftonline.de/", NULL};

/* The tenant id after prefix in url (up to a slash or the end), or 0 length. */
static size_t tid_after(const char *url, const char *prefix, const char **tid)
{
	size_t pl = strlen(prefix);
	if (!url || strncmp(url, prefix, pl) != 0)
		return 0;
	*tid = url + pl;
	size_t n = strcspn(*tid, "/?#");
	return n < 64 && strspn(*tid, "0123456789abcdefABCDEF-") == n ? n : 0;
}

int token_discovery_url(const char *aad_tenant, const char *aad_issuer, char *out, size_t cap)
{
	const char *tid = NULL;
	size_t n = 0;
	const char *host = NULL;
	for (const char *const *h = login_hosts; *h && !n; h++)
		if ((n = tid_after(aad_tenant, *h, &tid)))
			host = *h;
	if (!n && (n = tid_after(aad_issuer, "https://sts.windows.net/", &tid)))
		host = login_hosts[0];
	if (!n || snprintf(out, cap, "%s%.*s" DISCOVERY_PATH, host, (int)n, tid) >= (int)cap)
		return -EINVAL;
	return 0;
}

int token_discovery_jwks_uri(const char *json, char *out, size_t cap, const char **why)
{
	json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	const char *uri = json_string_value(json_object_get(doc, "jwks_uri"));
	int r = -EINVAL;
	if (!json_is_object(doc))
		*why = "the metadata document is not a JSON object";
	else if (!uri)
		*why = "the metadata document has no jwks_uri";
	else if (strncmp(uri, "https://", 8) != 0)
		*why = "the metadata's jwks_uri is not https";
	else if (snprintf(out, cap, "%s", uri) >= (int)cap)
		*why = "the metadata's jwks_uri is too long";
	else
		r = 0;
	json_decref(doc);
	return r;
}

/* Decodes a base64url part into a JSON object. */
static json_t *part_json(const char *s, size_t len)
{
	uint8_t *raw = NULL;
	int n = b64url_decode(s, len, &raw);
	json_t *j = n > 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL)
			  : NULL;
	free(raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static const struct token_key *key_by_kid(const struct token_keys *k, const char *kid)
{
	for (size_t i = 0; kid && i < k->n; i++)
		if (strcmp(k->v[i].kid, kid) == 0)
			return &k->v[i];
	return NULL;
}

static bool signature_ok(EVP_PKEY *key, const char *signed_part, size_t len, const char *sig64,
			 size_t siglen)
{
	uint8_t *sig = NULL;
	int n = b64url_decode(sig64, siglen, &sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = n > 0 && c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
		  EVP_DigestVerify(c, sig, (size_t)n, (const uint8_t *)signed_part, len) == 1;
	EVP_MD_CTX_free(c);
	free(sig);
	return ok;
}

static bool aud_matches(json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	json_t *a;
	json_array_foreach(aud, i, a) if (json_is_string(a) &&
					  !strcmp(json_string_value(a), want)) return true;
	return false;
}

static void copy_claim(json_t *payload, const char *name, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(payload, name));
	if (v && !out[0])
		snprintf(out, cap, "%s", v);
}

static const char *check_claims(json_t *p, const struct token_policy *pol, time_t now,
				struct token_claims *out)
{
	json_t *exp = json_object_get(p, "exp"), *nbf = json_object_get(p, "nbf");
	const char *iss = json_string_value(json_object_get(p, "iss"));
	const char *tid = json_string_value(json_object_get(p, "tid"));
	if (!json_is_integer(exp))
		return "token has no expiry (exp)";
	if (json_integer_value(exp) + TOKEN_SKEW < now)
		return "token expired";
	if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) - TOKEN_SKEW > now))
		return "token not yet valid (nbf)";
	if (!iss || strcmp(iss, pol->issuer) != 0)
		return "wrong issuer (iss must equal aadIssuer exactly)";
	if (!aud_matches(json_object_get(p, "aud"), pol->audience))
		return "wrong audience (aud)";
	if (!tid || strcasecmp(tid, pol->tenant) != 0)
		return "wrong tenant (tid)";
	out->exp = json_integer_value(exp);
	copy_claim(p, "upn", out->user, sizeof(out->user));
	copy_claim(p, "unique_name", out->user, sizeof(out->user));
	copy_claim(p, "preferred_username", out->user, sizeof(out->user));
	copy_claim(p, "oid", out->oid, sizeof(out->oid));
	copy_claim(p, "tid", out->tid, sizeof(out->tid));
	if (!out->oid[0])
		return "token has no object id (oid)";
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(p, "groups"), i, g)
	{
		if (json_is_string(g) && out->n_groups < TOKEN_MAX_GROUPS)
			snprintf(out->groups[out->n_groups++], 64, "%s", json_string_value(g));
	}
	if (!out->user[0])
		snprintf(out->user, sizeof(out->user), "%s", out->oid);
	return NULL;
}

int token_validate(const char *token, size_t len, const struct token_keys *keys,
		   const struct token_policy *pol, time_t now, struct token_claims *out,
		   const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = "not a JWS compact token";
	if (len > TOKEN_MAX_LEN || memchr(token, 0, len) || !token_looks_like_jwt(token))
		return P2S_E_PROTO;
	const char *d1 = memchr(token, '.', len);
	const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	json_t *h = part_json(token, (size_t)(d1 - token));
	json_t *p = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
	int r = P2S_E_DENIED;
	const char *alg = json_string_value(json_object_get(h, "alg"));
	const struct token_key *key = NULL;
	/* The algorithm is pinned before any key is touched: no none, no HS*. */
	if (!h || !p)
		*why = "token header or payload is not base64url JSON";
	else if (!alg || strcmp(alg, "RS256") != 0)
		*why = "token algorithm is not RS256";
	else if (!(key = key_by_kid(keys, json_string_value(json_object_get(h, "kid")))))
		*why = "unknown signing key (kid)";
	else if (!signature_ok(key->pkey, token, (size_t)(d2 - token), d2 + 1,
			       len - (size_t)(d2 + 1 - token)))
		*why = "bad signature";
	else if (!(*why = check_claims(p, pol, now, out)))
		r = 0;
	json_decref(h);
	json_decref(p);
	return r;
}
