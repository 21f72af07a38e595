/* The data channel: AEAD (AES-128/256-GCM, CHACHA20-POLY1305) in the 2.6
 * format, hdr | packet_id | tag | ciphertext, with a replay window. */
#ifndef P2S_OVPN_DATA_H
#define P2S_OVPN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "replay.h"

#define OVPN_KEY2_LEN	   256
#define OVPN_DATA_OVERHEAD (4 + 4 + 16)

struct evp_cipher_ctx_st;

struct ovpn_dc_dir {
	struct evp_cipher_ctx_st *ctx;
	uint8_t implicit_iv[8];
};

struct ovpn_dc {
	struct ovpn_dc_dir enc;
	struct ovpn_dc_dir dec;
	uint32_t send_pid;
	struct replay_win replay;
};

/* key2 is the 256-byte block from EKM or the PRF: slot 0 carries
 * client-to-server keys, slot 1 server-to-client. The server encrypts with
 * slot 1; a client (tests) with slot 0. */
int ovpn_dc_init(struct ovpn_dc *dc, const char *cipher, const uint8_t key2[OVPN_KEY2_LEN],
		 bool server);
void ovpn_dc_free(struct ovpn_dc *dc);
static inline bool ovpn_dc_ready(const struct ovpn_dc *dc)
{
	return dc->enc.ctx != 0;
}

/* Builds a P_DATA_V2 packet into out. Returns its length or a negative error. */
int ovpn_dc_encrypt(struct ovpn_dc *dc, uint8_t key_id, uint32_t peer_id, const uint8_t *in,
		    size_t len, uint8_t *out, size_t cap);
/* Opens a P_DATA_V1/V2 packet (header included); plaintext goes to out.
 * Checks and then records the packet id. Returns the plaintext length. */
int ovpn_dc_decrypt(struct ovpn_dc *dc, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);

extern const uint8_t ovpn_ping_magic[16];
extern const uint8_t ovpn_occ_magic[16];
#define OVPN_OCC_EXIT 6

static inline bool ovpn_is_ping(const uint8_t *p, size_t n)
{
	return n == 16 && memcmp(p, ovpn_ping_magic, 16) == 0;
}

static inline bool ovpn_is_occ_exit(const uint8_t *p, size_t n)
{
	return n == 17 && memcmp(p, ovpn_occ_magic, 16) == 0 && p[16] == OVPN_OCC_EXIT;
}

/* Legacy key derivation for clients without TLS-EKM (TLS 1.0 PRF). */
int ovpn_prf_key2(const uint8_t pre_master[48], const uint8_t c_random1[32],
		  const uint8_t s_random1[32], const uint8_t c_random2[32],
		  const uint8_t s_random2[32], uint64_t client_sid, uint64_t server_sid,
		  uint8_t key2[OVPN_KEY2_LEN]);

#endif
