/* SSTP crypto binding ([MS-SSTP] 3.2.5.2): the Compound MAC over
 * CALL_CONNECTED, keyed by a CMK derived from the PPP authentication's key
 * (HLAK), binding the inner authentication to the outer TLS server. */
#ifndef P2S_SSTP_BINDING_H
#define P2S_SSTP_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sstp/wire.h"

#define SSTP_HLAK_LEN 32

/* HLAK for MS-CHAPv2: the server's MasterReceiveKey || MasterSendKey, i.e.
 * RADIUS MS-MPPE-Recv-Key || MS-MPPE-Send-Key, 16 bytes each. */
void sstp_hlak_mschapv2(uint8_t hlak[SSTP_HLAK_LEN], const uint8_t *recv, size_t recv_len,
			const uint8_t *send, size_t send_len);
/* HLAK for EAP: the first 32 bytes of the MSK (zero-padded if shorter). */
void sstp_hlak_msk(uint8_t hlak[SSTP_HLAK_LEN], const uint8_t *msk, size_t len);

/* CMK = HMAC-H(HLAK, "SSTP inner method derived CMK" | LEN16_LE | 0x01),
 * hash_proto SSTP_HASH_SHA1 (20 bytes out) or SSTP_HASH_SHA256 (32). */
int sstp_cmk(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN], uint8_t cmk[SSTP_HASH_LEN]);
/* The Compound MAC of a 112-byte CALL_CONNECTED, computed with its MAC field
 * taken as zero; out is zero-padded to 32 bytes. */
int sstp_compound_mac(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN],
		      const uint8_t connected[SSTP_CONNECTED_LEN], uint8_t mac[SSTP_HASH_LEN]);

/* What the server offered and holds, to check a CALL_CONNECTED against. */
struct sstp_binding_ctx {
	uint8_t nonce[SSTP_NONCE_LEN];
	uint8_t offered; /* hash bitmask sent in CONNECT_ACK */
	uint8_t cert_sha1[20], cert_sha256[32];
};
/* Checks in the spec's order: nonce, hash offered, cert hash, compound MAC.
 * 0 or P2S_E_AUTH (with *why naming the failed check). */
int sstp_binding_verify(const struct sstp_binding_ctx *b, const struct sstp_ctrl *m,
			const uint8_t pkt[SSTP_CONNECTED_LEN], const uint8_t hlak[SSTP_HLAK_LEN],
			const char **why);
/* Fills cert_sha1/cert_sha256 from the server leaf certificate's DER. */
int sstp_binding_cert(struct sstp_binding_ctx *b, const uint8_t *der, size_t der_len);

#endif
