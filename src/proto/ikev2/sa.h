/* Security Association payloads (RFC 7296 §3.3): parsing the initiator's
 * proposals, choosing one from exactly the gateway's policy (the seed's
 * default IKE and IPsec tables, or one custom vpnClientIpsecPolicies entry),
 * and writing the single chosen proposal back. Depends on src/lib only. */
#ifndef P2S_IKE_SA_H
#define P2S_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"
#include "wire.h"

#define IKE_MAX_PROPOSALS  32
#define IKE_MAX_TRANSFORMS 64

enum ike_tf_type {
	IKE_TF_ENCR = 1,
	IKE_TF_PRF = 2,
	IKE_TF_INTEG = 3,
	IKE_TF_DH = 4,
	IKE_TF_ESN = 5
};

enum {
	IKE_ENCR_3DES = 3,
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_GCM16 = 20,
	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_HMAC_SHA256 = 5,
	IKE_PRF_HMAC_SHA384 = 6,
	IKE_INTEG_NONE = 0,
	IKE_INTEG_SHA1_96 = 2,
	IKE_INTEG_SHA256_128 = 12,
	IKE_INTEG_SHA384_192 = 13,
	IKE_DH_NONE = 0,
	IKE_DH_MODP1024 = 2,
	IKE_DH_MODP2048 = 14,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_MODP2048_256 = 24,
	IKE_ATTR_KEY_LENGTH = 14,
};

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t key_bits; /* 0: no Key Length attribute */
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[8];
	struct ike_transform tf[IKE_MAX_TRANSFORMS];
	size_t n_tf;
};

struct ike_sa_offer {
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
	size_t n;
};

int ike_sa_parse(const struct ike_payload *p, struct ike_sa_offer *sa);

/* One acceptable combination. integ 0 for AEAD; prf 0 for ESP; dh 0 for
 * "no PFS" in an ESP row. */
struct ike_policy_row {
	uint16_t encr, key_bits, integ, prf, dh;
};

#define IKE_POLICY_MAX_ROWS 24

struct ike_policy {
	struct ike_policy_row ike[IKE_POLICY_MAX_ROWS];
	size_t n_ike;
	struct ike_policy_row esp[IKE_POLICY_MAX_ROWS];
	size_t n_esp;
	uint32_t child_life_s;	/* 0: the default (Azure: 27000 s) */
	uint64_t child_life_kb; /* 0: the default (Azure: 102400000 KB) */
	bool custom;
};

/* The seed's default tables, in the seed's order. */
void ike_policy_default(struct ike_policy *p);
/* One custom policy in Azure's names (GCMAES256, SHA384, DHGroup24, PFS24,
 * ...). 0, or P2S_E_CONFIG naming nothing (the schema checked the names). */
int ike_policy_custom(struct ike_policy *p, const char *ipsec_enc, const char *ipsec_int,
		      const char *ike_enc, const char *ike_int, const char *dh, const char *pfs,
		      uint32_t life_s, uint32_t life_kb);

/* The chosen proposal: one transform of each type. */
struct ike_suite {
	uint8_t proto;
	uint8_t num;
	uint8_t spi_len;
	uint8_t spi[8];
	uint16_t encr, key_bits, integ, prf, dh;
	bool esn;
};

enum ike_select_result {
	IKE_SEL_OK = 0,
	IKE_SEL_NO_PROPOSAL = 1,
	IKE_SEL_INVALID_KE = 2, /* *want_group: the group to ask for */
};

/* IKE SA: the first proposal (initiator's order) that matches a row; the
 * KE the initiator sent must be that row's group, else INVALID_KE with the
 * acceptable group we prefer among those it offered. */
enum ike_select_result ike_select_ike(const struct ike_sa_offer *sa, const struct ike_policy *pol,
				      uint16_t ke_group, struct ike_suite *out,
				      uint16_t *want_group);
/* ESP CHILD SA. ke_group < 0: no KE payload (IKE_AUTH, or a rekey without
 * PFS): DH transforms are ignored in IKE_AUTH (RFC 7296 §1.2) when
 * ignore_dh, else the proposal must offer NONE or no DH and the row allow no
 * PFS. */
enum ike_select_result ike_select_esp(const struct ike_sa_offer *sa, const struct ike_policy *pol,
				      int ke_group, bool ignore_dh, struct ike_suite *out,
				      uint16_t *want_group);

/* Writes the body of an SA payload with exactly the chosen proposal. */
void ike_sa_write(struct wbuf *w, const struct ike_suite *s);

/* Sizes of what a suite needs (bytes). */
size_t ike_suite_encr_key_len(const struct ike_suite *s); /* GCM: + 4 salt */
size_t ike_suite_integ_key_len(const struct ike_suite *s);
size_t ike_suite_prf_len(const struct ike_suite *s);
const char *ike_suite_str(const struct ike_suite *s, char *buf, size_t cap);

#endif
