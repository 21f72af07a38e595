/* IKEv2 key material (RFC 7296 §2.13-2.18): the PRF and prf+, SKEYSEED and
 * the seven SK_* keys, CHILD_SA KEYMAT, the Diffie-Hellman groups the policy
 * names (MODP 1024/2048/2048-256, ECP 256/384) and the SK payload's
 * protection (AES-GCM-16 per RFC 5282, AES-CBC + HMAC). Depends on src/lib
 * and OpenSSL only. */
#ifndef P2S_IKE_KEYS_H
#define P2S_IKE_KEYS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/hmac.h"
#include "sa.h"

#define IKE_MAX_PRF	 48
#define IKE_MAX_KEY	 48
#define IKE_MAX_DH	 256 /* MODP 2048 public value */
#define IKE_NONCE_LEN	 32
#define IKE_SK_MAX_OVERH (16 + 16 + 24 + 1) /* IV, pad, ICV, pad length */

/* Digest name of a PRF or INTEG transform ("SHA256"), NULL if unknown. */
const char *ike_prf_digest(uint16_t prf);
const char *ike_integ_digest(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);

int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len, const struct hmac_part *parts,
	    size_t n_parts, uint8_t *out);
/* prf+ (RFC 7296 §2.13): T1 | T2 | ..., at most 255 blocks. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len);

struct ike_keys {
	uint8_t sk_d[IKE_MAX_PRF], sk_ai[IKE_MAX_KEY], sk_ar[IKE_MAX_KEY];
	uint8_t sk_ei[IKE_MAX_KEY], sk_er[IKE_MAX_KEY], sk_pi[IKE_MAX_PRF], sk_pr[IKE_MAX_PRF];
	size_t prf_len, integ_len, encr_len;
};

/* SKEYSEED = prf(Ni | Nr, g^ir), then the SK_* from prf+(SKEYSEED,
 * Ni | Nr | SPIi | SPIr). For a rekeyed IKE SA (§2.18) old_sk_d is the old
 * SA's SK_d and SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr). */
int ike_keys_derive(const struct ike_suite *s, const uint8_t *old_sk_d, size_t old_sk_d_len,
		    const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, uint64_t spi_i, uint64_t spi_r,
		    struct ike_keys *k);
void ike_keys_wipe(struct ike_keys *k);

/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (§2.17). */
int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir,
		     size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		     size_t nr_len, uint8_t *out, size_t out_len);

/* ---- Diffie-Hellman ---------------------------------------------------- */

struct ike_dh {
	uint16_t group;
	EVP_PKEY *key;
};

bool ike_dh_supported(uint16_t group);
/* Length of a public value / shared secret for the group (0: unknown). */
size_t ike_dh_len(uint16_t group);
int ike_dh_new(struct ike_dh *dh, uint16_t group);
/* The KE payload data: left-padded y for MODP, x|y for ECP (RFC 5903). */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len);
/* g^ir: the peer's value is checked (range, on the curve, RFC 6989 subgroup
 * for group 24); the MODP secret is left-padded to the prime's length. */
int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
		  size_t cap, size_t *len);
void ike_dh_free(struct ike_dh *dh);

/* ---- SK payload ---------------------------------------------------------- */

/* Which keys protect one direction of an IKE SA. */
struct ike_sk_dir {
	uint16_t encr, key_bits, integ;
	const uint8_t *ke; /* key (| 4-byte salt for GCM) */
	const uint8_t *ka; /* integrity key, NULL for GCM */
};

/* Checks and decrypts the SK (or SKF) payload of msg, whose generic header
 * is at sk_off; pre = bytes of its body before the IV (4 for SKF). Writes
 * the inner payload chain to out (cap >= msg_len). */
int ike_sk_open(const struct ike_sk_dir *d, const uint8_t *msg, size_t msg_len, size_t sk_off,
		size_t pre, uint8_t *out, size_t *out_len);
/* msg[0..sk_off+4+pre) holds the header, clear payloads, the SK/SKF
 * generic header and the pre bytes; this appends IV, ciphertext and ICV,
 * fills both lengths and returns the message length in *msg_len. */
int ike_sk_seal(const struct ike_sk_dir *d, uint8_t *msg, size_t cap, size_t sk_off, size_t pre,
		const uint8_t *inner, size_t inner_len, size_t *msg_len);
/* Bytes an SK payload adds around the inner chain, at most. */
size_t ike_sk_overhead(const struct ike_sk_dir *d);

#endif
