/* The key-exchange groups of the policy tables through OpenSSL 3. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <string.h>

#include "keys.h"
#include "lib/err.h"

/* RFC 2409 §6.2 Oakley group 2 (MODP 1024, generator 2): OpenSSL 3 has no
 * named group for it, so its domain is built from the prime. */
static const char modp1024_p[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
				 "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
				 "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
				 "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
				 "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
				 "FFFFFFFFFFFFFFFF";

struct group_info {
	uint16_t id;
	bool ec;
	const char *name; /* OpenSSL group name; NULL: modp1024_p */
	size_t len;
};

static const struct group_info groups[] = {
	{IKE_DH_MODP1024, false, NULL, 128},
	{IKE_DH_MODP2048, false, "modp_2048", 256},
	{IKE_DH_MODP2048_256, false, "dh_2048_256", 256},
	{IKE_DH_ECP256, true, "P-256", 32},
	{IKE_DH_ECP384, true, "P-384", 48},
};

static const struct group_info *group_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool ike_dh_supported(uint16_t group)
{
	return group_find(group) != NULL;
}

size_t ike_dh_len(uint16_t group)
{
	const struct group_info *g = group_find(group);
	return g ? (g->ec ? 2 * g->len : g->len) : 0;
}

/* Domain parameters (and optionally a public value) as an OSSL_PARAM list. */
static OSSL_PARAM *group_params(const struct group_info *g, const uint8_t *pub, size_t pub_len,
				BIGNUM **bns)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *out = NULL;
	uint8_t ecpub[1 + 2 * 48];
	if (!b)
		return NULL;
	int ok = 1;
	if (g->name) {
		ok &= OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0);
	} else {
		ok &= BN_hex2bn(&bns[0], modp1024_p) > 0 && (bns[1] = BN_new()) &&
		      BN_set_word(bns[1], 2);
		ok = ok && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_P, bns[0]) &&
		     OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_G, bns[1]);
	}
	if (ok && pub && g->ec) {
		ecpub[0] = 0x04; /* uncompressed point: the KE data is x | y */
		memcpy(ecpub + 1, pub, pub_len);
		ok = OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, ecpub,
						      pub_len + 1);
	} else if (ok && pub) {
		ok = (bns[2] = BN_bin2bn(pub, (int)pub_len, NULL)) &&
		     OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, bns[2]);
	}
	if (ok)
		out = OSSL_PARAM_BLD_to_param(b);
	OSSL_PARAM_BLD_free(b);
	return out;
}

static EVP_PKEY *pkey_from(const struct group_info *g, const uint8_t *pub, size_t pub_len,
			   int selection)
{
	BIGNUM *bns[3] = {NULL, NULL, NULL};
	OSSL_PARAM *params = group_params(g, pub, pub_len, bns);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->ec ? "EC" : "DH", NULL);
	EVP_PKEY *k = NULL;
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		(void)EVP_PKEY_fromdata(ctx, &k, selection, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	for (int i = 0; i < 3; i++)
		BN_free(bns[i]);
	return k;
}

int ike_dh_new(struct ike_dh *dh, uint16_t group)
{
	const struct group_info *g = group_find(group);
	dh->group = group;
	dh->key = NULL;
	if (!g)
		return P2S_E_PROTO;
	EVP_PKEY *domain = pkey_from(g, NULL, 0, EVP_PKEY_KEY_PARAMETERS);
	EVP_PKEY_CTX *ctx = domain ? EVP_PKEY_CTX_new_from_pkey(NULL, domain, NULL) : NULL;
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0)
		(void)EVP_PKEY_keygen(ctx, &dh->key);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(domain);
	return dh->key ? 0 : P2S_E_CRYPTO;
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	const struct group_info *g = group_find(dh->group);
	if (!g || !dh->key)
		return P2S_E_PROTO;
	size_t want = ike_dh_len(dh->group);
	if (cap < want)
		return P2S_E_FULL;
	if (g->ec) {
		uint8_t pt[1 + 2 * 48];
		size_t n = 0;
		if (!EVP_PKEY_get_octet_string_param(dh->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     pt, sizeof(pt), &n) ||
		    n != want + 1 || pt[0] != 0x04)
			return P2S_E_CRYPTO;
		memcpy(out, pt + 1, want);
	} else {
		BIGNUM *y = NULL;
		if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y))
			return P2S_E_CRYPTO;
		int ok = BN_bn2binpad(y, out, (int)want) == (int)want;
		BN_free(y);
		if (!ok)
			return P2S_E_CRYPTO;
	}
	*len = want;
	return 0;
}

static int derive(EVP_PKEY *mine, EVP_PKEY *peer, bool ffdh, uint8_t *out, size_t want)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
	int r = P2S_E_CRYPTO;
	size_t n = want;
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* The FFDH secret keeps its leading zeros (RFC 7296 §2.14). */
	if (ffdh && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer(ctx, peer) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, out, &n) > 0 && n == want)
		r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Range check for every group; the subgroup check (y^q = 1) where a q is
 * known, which RFC 6989 requires for group 24. */
static bool peer_valid(EVP_PKEY *peer, uint16_t group)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	if (!ctx)
		return false;
	int ok = group == IKE_DH_MODP2048_256 || group == IKE_DH_ECP256 || group == IKE_DH_ECP384
			 ? EVP_PKEY_public_check(ctx)
			 : EVP_PKEY_public_check_quick(ctx);
	EVP_PKEY_CTX_free(ctx);
	return ok > 0;
}

int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
		  size_t cap, size_t *len)
{
	const struct group_info *g = group_find(dh->group);
	if (!g || !dh->key)
		return P2S_E_PROTO;
	/* RFC 7296 §3.4: the KE data has exactly the group's length. */
	if (peer_len != ike_dh_len(dh->group))
		return P2S_E_PROTO;
	if (cap < g->len)
		return P2S_E_FULL;
	EVP_PKEY *pk = pkey_from(g, peer, peer_len, EVP_PKEY_PUBLIC_KEY);
	if (!pk)
		return P2S_E_PROTO;
	int r = peer_valid(pk, dh->group) ? derive(dh->key, pk, !g->ec, out, g->len) : P2S_E_PROTO;
	EVP_PKEY_free(pk);
	if (r == 0)
		*len = g->len;
	return r;
}

void ike_dh_free(struct ike_dh *dh)
{
	EVP_PKEY_free(dh->key);
	dh->key = NULL;
}
