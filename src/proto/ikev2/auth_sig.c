/* The AUTH payload (RFC 7296 §2.15-2.16, RFC 7427, RFC 4754): the octets
 * each side signs, checking the initiator's signature with its certificate
 * key or its MSK, and signing ours through core_sign. */
#define LOG_MODULE "ikev2"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lib/err.h"
#include "lib/log.h"

/* Initiator: IKE_SA_INIT request | Nr | prf(SK_pi, IDi body); responder:
 * IKE_SA_INIT response | Ni | prf(SK_pr, IDr body). */
static int octets(struct ike_sa *sa, bool initiator, const uint8_t *id, size_t id_len,
		  uint8_t **out, size_t *len)
{
	const uint8_t *msg = initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = initiator ? sa->nr : sa->ni;
	size_t nonce_len = initiator ? IKE_NONCE_LEN : sa->ni_len;
	size_t prf_len = sa->keys.prf_len;
	uint8_t *buf = malloc(msg_len + nonce_len + prf_len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, msg, msg_len);
	memcpy(buf + msg_len, nonce, nonce_len);
	struct hmac_part part = {id, id_len};
	int r = ike_prf(sa->suite.prf, initiator ? sa->keys.sk_pi : sa->keys.sk_pr, prf_len, &part,
			1, buf + msg_len + nonce_len);
	if (r) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = msg_len + nonce_len + prf_len;
	return 0;
}

/* AUTH = prf(prf(MSK, "Key Pad for IKEv2"), octets) (§2.15-2.16). */
static int msk_auth(struct ike_sa *sa, const uint8_t *oct, size_t oct_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t k[IKE_MAX_PRF];
	struct hmac_part p1 = {pad, sizeof(pad) - 1}, p2 = {oct, oct_len};
	/* Without an MSK the method's keys are SK_pi/SK_pr (§2.16); we only
	 * finish EAP with MSK-generating methods, so the MSK is there. */
	int r = ike_prf(sa->suite.prf, sa->msk, sa->msk_len, &p1, 1, k);
	if (r == 0)
		r = ike_prf(sa->suite.prf, k, sa->keys.prf_len, &p2, 1, out);
	OPENSSL_cleanse(k, sizeof(k));
	return r;
}

/* ECDSA r|s (RFC 4754) to the DER form OpenSSL verifies, and back. */
static uint8_t *ecdsa_raw_to_der(const uint8_t *raw, size_t len, size_t *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(len / 2), NULL),
	       *sv = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	uint8_t *der = NULL;
	if (s && r && sv && ECDSA_SIG_set0(s, r, sv) == 1) {
		r = sv = NULL;
		int n = i2d_ECDSA_SIG(s, &der);
		*der_len = n > 0 ? (size_t)n : 0;
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return der;
}

static int ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t *out)
{
	const uint8_t *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!s)
		return P2S_E_CRYPTO;
	const BIGNUM *r, *sv;
	ECDSA_SIG_get0(s, &r, &sv);
	int ok = BN_bn2binpad(r, out, (int)half) > 0 && BN_bn2binpad(sv, out + half, (int)half) > 0;
	ECDSA_SIG_free(s);
	return ok ? 0 : P2S_E_CRYPTO;
}

struct sig_scheme {
	const EVP_MD *md;
	int key_type; /* EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_ED25519 */
	bool raw_ecdsa;
};

/* RFC 7427: data = length(1) | AlgorithmIdentifier DER | signature. */
static const char *sig14_scheme(const struct ike_auth *a, struct sig_scheme *sc, size_t *off)
{
	size_t alen = a->data[0];
	if (alen + 1 >= a->len)
		return "malformed RFC 7427 signature";
	const uint8_t *p = a->data + 1;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)alen);
	if (!alg || p != a->data + 1 + alen) {
		X509_ALGOR_free(alg);
		return "malformed RFC 7427 AlgorithmIdentifier";
	}
	const ASN1_OBJECT *obj;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	int nid = OBJ_obj2nid(obj);
	X509_ALGOR_free(alg);
	*off = 1 + alen;
	switch (nid) {
	case NID_sha256WithRSAEncryption:
		*sc = (struct sig_scheme){EVP_sha256(), EVP_PKEY_RSA};
		break;
	case NID_sha384WithRSAEncryption:
		*sc = (struct sig_scheme){EVP_sha384(), EVP_PKEY_RSA};
		break;
	case NID_sha512WithRSAEncryption:
		*sc = (struct sig_scheme){EVP_sha512(), EVP_PKEY_RSA};
		break;
	case NID_ecdsa_with_SHA256: *sc = (struct sig_scheme){EVP_sha256(), EVP_PKEY_EC}; break;
	case NID_ecdsa_with_SHA384: *sc = (struct sig_scheme){EVP_sha384(), EVP_PKEY_EC}; break;
	case NID_ecdsa_with_SHA512: *sc = (struct sig_scheme){EVP_sha512(), EVP_PKEY_EC}; break;
	case NID_ED25519: *sc = (struct sig_scheme){NULL, EVP_PKEY_ED25519}; break;
	default: return "unsupported signature algorithm in AUTH";
	}
	return NULL;
}

static const char *scheme_of(const struct ike_auth *a, struct sig_scheme *sc, size_t *off)
{
	*off = 0;
	switch (a->method) {
	case IKE_AUTH_RSA: *sc = (struct sig_scheme){EVP_sha1(), EVP_PKEY_RSA}; return NULL;
	case IKE_AUTH_ECDSA_256:
		*sc = (struct sig_scheme){EVP_sha256(), EVP_PKEY_EC, true};
		return NULL;
	case IKE_AUTH_ECDSA_384:
		*sc = (struct sig_scheme){EVP_sha384(), EVP_PKEY_EC, true};
		return NULL;
	case IKE_AUTH_ECDSA_521:
		*sc = (struct sig_scheme){EVP_sha512(), EVP_PKEY_EC, true};
		return NULL;
	case IKE_AUTH_DIGITAL_SIG: return sig14_scheme(a, sc, off);
	default: return "unsupported AUTH method";
	}
}

static bool sig_verify(EVP_PKEY *key, const struct sig_scheme *sc, const uint8_t *sig,
		       size_t sig_len, const uint8_t *data, size_t len)
{
	uint8_t *der = NULL;
	if (sc->raw_ecdsa) {
		der = ecdsa_raw_to_der(sig, sig_len, &sig_len);
		if (!der)
			return false;
		sig = der;
	}
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m && EVP_DigestVerifyInit(m, NULL, sc->md, NULL, key) == 1 &&
		  EVP_DigestVerify(m, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(m);
	OPENSSL_free(der);
	return ok;
}

const char *ike_auth_verify(struct ike_sa *sa, const struct ike_auth *a, X509 *leaf)
{
	uint8_t *oct;
	size_t oct_len;
	if (octets(sa, true, sa->idi_body, sa->idi_len, &oct, &oct_len))
		return "cannot compute the signed octets";
	const char *why = NULL;
	if (!leaf) {
		uint8_t want[IKE_MAX_PRF];
		if (a->method != IKE_AUTH_PSK || msk_auth(sa, oct, oct_len, want) ||
		    a->len != sa->keys.prf_len || CRYPTO_memcmp(want, a->data, a->len) != 0)
			why = "AUTH does not match the EAP MSK";
		free(oct);
		return why;
	}
	struct sig_scheme sc;
	size_t off;
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	why = scheme_of(a, &sc, &off);
	if (!why && (!key || EVP_PKEY_get_base_id(key) != sc.key_type))
		why = "AUTH method does not match the certificate's key type";
	if (!why && !sig_verify(key, &sc, a->data + off, a->len - off, oct, oct_len))
		why = "AUTH signature does not verify with the client certificate";
	free(oct);
	return why;
}

/* The AlgorithmIdentifier for our own RFC 7427 signature. */
static int algid(int nid, bool null_params, uint8_t *out, size_t *len)
{
	X509_ALGOR *a = X509_ALGOR_new();
	uint8_t *der = NULL;
	int n = -1;
	if (a &&
	    X509_ALGOR_set0(a, OBJ_nid2obj(nid), null_params ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		n = i2d_X509_ALGOR(a, &der);
	X509_ALGOR_free(a);
	if (n <= 0 || n > 255) {
		OPENSSL_free(der);
		return P2S_E_CRYPTO;
	}
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

struct own_scheme {
	uint8_t method;
	const EVP_MD *md;
	int nid;
	bool rsa;
	size_t ec_half;
};

static int own_scheme(struct ike_sa *sa, EVP_PKEY *key, struct own_scheme *o)
{
	int type = EVP_PKEY_get_base_id(key);
	int bits = EVP_PKEY_get_bits(key);
	bool p384 = type == EVP_PKEY_EC && bits > 256;
	if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
		return P2S_E_CONFIG;
	o->rsa = type == EVP_PKEY_RSA;
	o->ec_half = p384 ? 48 : 32;
	if (sa->peer_sig_hash) {
		o->method = IKE_AUTH_DIGITAL_SIG;
		o->md = p384 ? EVP_sha384() : EVP_sha256();
		o->nid = o->rsa ? NID_sha256WithRSAEncryption
				: (p384 ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA256);
	} else if (o->rsa) {
		o->method = IKE_AUTH_RSA;
		o->md = EVP_sha1();
	} else {
		o->method = p384 ? IKE_AUTH_ECDSA_384 : IKE_AUTH_ECDSA_256;
		o->md = p384 ? EVP_sha384() : EVP_sha256();
	}
	return 0;
}

/* Writes our AUTH payload: with the MSK after EAP, else signed. The IDr
 * payload must already be in sa->idi_body's sibling (idr passed). */
static int sign_into(struct ike_sa *sa, const uint8_t *oct, size_t oct_len, struct ike_builder *b)
{
	struct core *c = sa->e->core;
	X509 *cert = core_server_cert(c);
	EVP_PKEY *key = cert ? X509_get0_pubkey(cert) : NULL;
	struct own_scheme o;
	if (!key || own_scheme(sa, key, &o))
		return P2S_E_CONFIG;
	uint8_t sig[1024], head[300];
	size_t sig_len = sizeof(sig), head_len = 0;
	if (o.method == IKE_AUTH_DIGITAL_SIG) {
		if (algid(o.nid, o.rsa, head + 1, &head_len))
			return P2S_E_CRYPTO;
		head[0] = (uint8_t)head_len;
		head_len++;
	}
	int r = core_sign(c, o.md, oct, oct_len, sig, &sig_len);
	if (r)
		return r;
	if (!o.rsa && o.method != IKE_AUTH_DIGITAL_SIG) {
		uint8_t raw[96];
		if (ecdsa_der_to_raw(sig, sig_len, o.ec_half, raw))
			return P2S_E_CRYPTO;
		memcpy(sig, raw, 2 * o.ec_half);
		sig_len = 2 * o.ec_half;
	}
	ike_pl_begin(b, IKE_PL_AUTH);
	wbuf_u8(&b->w, o.method);
	wbuf_u24(&b->w, 0);
	wbuf_bytes(&b->w, head, head_len);
	wbuf_bytes(&b->w, sig, sig_len);
	ike_pl_end(b);
	return 0;
}

int ike_auth_sign_id(struct ike_sa *sa, const uint8_t *idr, size_t idr_len, bool with_msk,
		     struct ike_builder *b)
{
	uint8_t *oct;
	size_t oct_len;
	int r = octets(sa, false, idr, idr_len, &oct, &oct_len);
	if (r)
		return r;
	if (with_msk) {
		uint8_t mac[IKE_MAX_PRF];
		r = msk_auth(sa, oct, oct_len, mac);
		if (r == 0) {
			ike_pl_begin(b, IKE_PL_AUTH);
			wbuf_u8(&b->w, IKE_AUTH_PSK);
			wbuf_u24(&b->w, 0);
			wbuf_bytes(&b->w, mac, sa->keys.prf_len);
			ike_pl_end(b);
		}
	} else {
		r = sign_into(sa, oct, oct_len, b);
	}
	free(oct);
	return r;
}
