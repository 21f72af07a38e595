/* JWT validation: a key made here, tokens signed here, one claim rule per
 * case; and the group policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "auth/policy.h"
#include "auth/token.h"
#include "lib/codec.h"
#include "lib/err.h"

#define TID "11111111-2222-3333-4444-555555555555"
#define ISS "https://sts.windows.net/" TID "/"
#define AUD "c632b3df-fb67-4d84-bdcf-b95ad541b5c8"
#define NOW 1800000000

static EVP_PKEY *key;
static struct token_keys *keys;
static const struct token_policy pol = {ISS, AUD, TID};

static char *b64url(const uint8_t *p, size_t n)
{
	char *s = b64_encode(p, n);
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	while (len && s[len - 1] == '=')
		s[--len] = 0;
	return s;
}

static char *bn_b64url(const char *name)
{
	BIGNUM *bn = NULL;
	EVP_PKEY_get_bn_param(key, name, &bn);
	uint8_t buf[512];
	int n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64url(buf, (size_t)n);
}

static int setup(void **state)
{
	(void)state;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *n = bn_b64url(OSSL_PKEY_PARAM_RSA_N), *e = bn_b64url(OSSL_PKEY_PARAM_RSA_E);
	char jwks[2048];
	snprintf(jwks, sizeof(jwks),
		 "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec\"},{\"kty\":\"RSA\",\"kid\":\"k1\","
		 "\"n\":\"%s\",\"e\":\"%s\"}]}",
		 n, e);
	free(n);
	free(e);
	const char *why;
	keys = token_keys_parse(jwks, &why);
	return keys ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	token_keys_free(keys);
	EVP_PKEY_free(key);
	return 0;
}

/* header and payload as JSON; signed with RS256 unless sig is given. */
static char *make(const char *header, const char *payload, const char *sig)
{
	char *h = b64url((const uint8_t *)header, strlen(header));
	char *p = b64url((const uint8_t *)payload, strlen(payload));
	char *out = malloc(4096);
	snprintf(out, 4096, "%s.%s", h, p);
	if (sig) {
		snprintf(out + strlen(out), 4096 - strlen(out), ".%s", sig);
	} else {
		uint8_t s[512];
		size_t sl = sizeof(s);
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key);
		EVP_DigestSign(c, s, &sl, (const uint8_t *)out, strlen(out));
		EVP_MD_CTX_free(c);
		char *s64 = b64url(s, sl);
		snprintf(out + strlen(out), 4096 - strlen(out), ".%s", s64);
		free(s64);
	}
	free(h);
	free(p);
	return out;
}

#define HDR "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define GOOD_BODY(extra)                                                                           \
	"{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"" TID "\",\"exp\":1800003600,"         \
	"\"nbf\":1799999000,\"oid\":\"o-1\",\"upn\":\"erin@contoso.com\","                         \
	"\"groups\":[\"g-eng\",\"g-x\"]" extra "}"

static const char *check(const char *header, const char *payload, const char *sig,
			 struct token_claims *tc)
{
	char *t = make(header, payload, sig);
	const char *why = NULL;
	int r = token_validate(t, strlen(t), keys, &pol, NOW, tc, &why);
	free(t);
	return r == 0 ? NULL : why;
}

static void test_good_token(void **state)
{
	(void)state;
	struct token_claims tc;
	assert_null(check(HDR, GOOD_BODY(""), NULL, &tc));
	assert_string_equal(tc.user, "erin@contoso.com");
	assert_string_equal(tc.oid, "o-1");
	assert_int_equal(tc.n_groups, 2);
	assert_string_equal(tc.groups[0], "g-eng");
	/* aud may be an array; the skew allows 5 minutes past exp */
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"aud\":[\"x\",\"" AUD "\"],\"iss\":\"" ISS "\",\"tid\":\"" TID
		 "\",\"exp\":%d,\"oid\":\"o\",\"preferred_username\":\"p@c\"}",
		 NOW - 200);
	assert_null(check(HDR, body, NULL, &tc));
	assert_string_equal(tc.user, "p@c");
}

static void test_claim_rules(void **state)
{
	(void)state;
	struct token_claims tc;
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"" TID
		 "\",\"exp\":%d,\"oid\":\"o\"}",
		 NOW - 301);
	assert_string_equal(check(HDR, body, NULL, &tc), "token expired");
	snprintf(body, sizeof(body),
		 "{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"" TID
		 "\",\"exp\":%d,\"nbf\":%d,\"oid\":\"o\"}",
		 NOW + 999, NOW + 301);
	assert_string_equal(check(HDR, body, NULL, &tc), "token not yet valid (nbf)");
	assert_non_null(strstr(check(HDR,
				     "{\"aud\":\"" AUD "\",\"iss\":\"https://sts.windows.net/" TID
				     "\",\"tid\":\"" TID "\",\"exp\":1800003600,\"oid\":\"o\"}",
				     NULL, &tc),
			       "wrong issuer"));
	assert_non_null(strstr(check(HDR,
				     "{\"aud\":\"41b23e61\",\"iss\":\"" ISS "\",\"tid\":\"" TID
				     "\",\"exp\":1800003600,\"oid\":\"o\"}",
				     NULL, &tc),
			       "wrong audience"));
	assert_non_null(strstr(check(HDR,
				     "{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"other\","
				     "\"exp\":1800003600,\"oid\":\"o\"}",
				     NULL, &tc),
			       "wrong tenant"));
	assert_non_null(strstr(check(HDR,
				     "{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"" TID
				     "\",\"oid\":\"o\"}",
				     NULL, &tc),
			       "no expiry"));
	assert_non_null(strstr(check(HDR,
				     "{\"aud\":\"" AUD "\",\"iss\":\"" ISS "\",\"tid\":\"" TID
				     "\",\"exp\":1800003600}",
				     NULL, &tc),
			       "no object id"));
}

static void test_algorithm_and_key(void **state)
{
	(void)state;
	struct token_claims tc;
	assert_string_equal(check("{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD_BODY(""), "", &tc),
			    "token algorithm is not RS256");
	assert_string_equal(check("{\"alg\":\"HS256\",\"kid\":\"k1\"}", GOOD_BODY(""), "AAAA", &tc),
			    "token algorithm is not RS256");
	assert_string_equal(check("{\"alg\":\"RS256\",\"kid\":\"k9\"}", GOOD_BODY(""), NULL, &tc),
			    "unknown signing key (kid)");
	/* A valid signature over another payload. */
	char *good = make(HDR, GOOD_BODY(""), NULL);
	char *other = make(HDR, GOOD_BODY(",\"x\":1"), "AAAA");
	char *sig = strrchr(good, '.') + 1;
	*strrchr(other, '.') = 0;
	char t[4096];
	snprintf(t, sizeof(t), "%s.%s", other, sig);
	const char *why;
	assert_int_equal(token_validate(t, strlen(t), keys, &pol, NOW, &tc, &why), P2S_E_DENIED);
	assert_string_equal(why, "bad signature");
	free(good);
	free(other);
}

static void test_malformed(void **state)
{
	(void)state;
	struct token_claims tc;
	const char *why;
	const char *bad[] = {"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "!!.??.xx"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(token_validate(bad[i], strlen(bad[i]), keys, &pol, NOW, &tc, &why) < 0);
	assert_false(token_looks_like_jwt("AzureAD"));
	assert_true(token_looks_like_jwt("a.b.c"));
	assert_true(token_looks_like_jwt("a.b.")); /* alg none: refused for its algorithm */
	assert_null(token_keys_parse("{\"keys\":[]}", &why));
	assert_null(token_keys_parse("not json", &why));
	char tenant[64];
	assert_true(token_tenant_of("https://login.microsoftonline.com/" TID, tenant));
	assert_string_equal(tenant, TID);
}

/* Discovery: the v2.0 metadata URL from the tenant, or from a v1 issuer. */
static void test_discovery_url(void **state)
{
	(void)state;
	char url[256];
	assert_int_equal(token_discovery_url("https://login.microsoftonline.com/" TID, NULL, url,
					     sizeof(url)),
			 0);
	assert_string_equal(url, "https://login.microsoftonline.com/" TID
				 "/v2.0/.well-known/openid-configuration");
	assert_int_equal(
		token_discovery_url(NULL, "https://sts.windows.net/" TID "/", url, sizeof(url)), 0);
	assert_string_equal(url, "https://login.microsoftonline.com/" TID
				 "/v2.0/.well-known/openid-configuration");
	assert_int_equal(
		token_discovery_url("https://login.chinacloudapi.cn/" TID, NULL, url, sizeof(url)),
		0);
	assert_string_equal(url, "https://login.chinacloudapi.cn/" TID
				 "/v2.0/.well-known/openid-configuration");
	/* Neither names a tenant; an evil host is not a login host. */
	assert_int_equal(
		token_discovery_url("https://evil.example/" TID, "https://evil/", url, sizeof(url)),
		-EINVAL);
	assert_int_equal(
		token_discovery_url("https://login.microsoftonline.com/", NULL, url, sizeof(url)),
		-EINVAL);
	assert_int_equal(
		token_discovery_url("https://login.microsoftonline.com/" TID, NULL, url, 20),
		-EINVAL);
}

static void test_discovery_jwks_uri(void **state)
{
	(void)state;
	char uri[256];
	const char *why = NULL;
	assert_int_equal(token_discovery_jwks_uri("{\"issuer\":\"x\",\"jwks_uri\":"
						  "\"https://login.example/" TID "/keys\"}",
						  uri, sizeof(uri), &why),
			 0);
	assert_string_equal(uri, "https://login.example/" TID "/keys");
	assert_int_equal(token_discovery_jwks_uri("{\"issuer\":\"x\"}", uri, sizeof(uri), &why),
			 -EINVAL);
	assert_string_equal(why, "the metadata document has no jwks_uri");
	assert_int_equal(token_discovery_jwks_uri("{\"jwks_uri\":\"http://plain/keys\"}", uri,
						  sizeof(uri), &why),
			 -EINVAL);
	assert_string_equal(why, "the metadata's jwks_uri is not https");
	assert_int_equal(token_discovery_jwks_uri("[1]", uri, sizeof(uri), &why), -EINVAL);
	assert_int_equal(token_discovery_jwks_uri("{\"jwks_uri\":7}", uri, sizeof(uri), &why),
			 -EINVAL);
}

static void test_group_policy(void **state)
{
	(void)state;
	struct conf_policy_member eng_m = {"m", "AADGroupId", "G-ENG"};
	struct conf_policy_member cert_m = {"c", "CertificateGroupId", "contoso.com"};
	struct conf_policy_member rad_m = {"r", "RadiusAzureGroupId", "6ad1bd01"};
	struct conf_policy_group groups[] = {{"eng", false, 20, {&eng_m, 1}},
					     {"contoso", false, 10, {&cert_m, 1}},
					     {"radius", false, 30, {&rad_m, 1}},
					     {"all", true, 99, {NULL, 0}}};
	struct conf_id_ref ref = {"/subscriptions/x/virtualNetworkGatewayPolicyGroups/contoso"};
	struct conf_client_connection cc = {"cp", {NULL, 0}, {&ref, 1}};
	struct gw_conf c = {0};
	c.policy_groups.v = groups;
	c.policy_groups.n = 4;
	c.client_connections.v = &cc;
	c.client_connections.n = 1;
	const char g[][64] = {"g-eng"};
	struct policy_subject s = {.aad_groups = g, .n_aad_groups = 1};
	assert_int_equal(policy_group_for(&c, &s), 0); /* case-insensitive group id */
	s.cert_cn = "erin@contoso.com";		       /* both match: the lower priority wins */
	assert_int_equal(policy_group_for(&c, &s), 1);
	assert_int_equal(policy_connection_for(&c, 1), 0);
	assert_int_equal(policy_connection_for(&c, 0), -1);
	struct policy_subject d = {.cert_cn = "CONTOSO.COM\\erin"};
	assert_int_equal(policy_group_for(&c, &d), 1);
	struct policy_subject r = {.radius_policy_id = "6ad1bd01"};
	assert_int_equal(policy_group_for(&c, &r), 2);
	struct policy_subject none = {.cert_cn = "nobody"};
	assert_int_equal(policy_group_for(&c, &none), 3);
	c.policy_groups.n = 0;
	assert_int_equal(policy_group_for(&c, &none), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_token),	  cmocka_unit_test(test_claim_rules),
		cmocka_unit_test(test_algorithm_and_key), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_discovery_url),	  cmocka_unit_test(test_discovery_jwks_uri),
		cmocka_unit_test(test_group_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
