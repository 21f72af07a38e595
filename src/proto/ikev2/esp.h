/* ESP (RFC 4303) in UDP (RFC 3948) for the userspace data plane: AES-GCM-16
 * (RFC 4106) and AES-CBC with HMAC-SHA256-128 / HMAC-SHA1-96 (RFC 3602,
 * 4868, 2404). One struct per direction; keys set once, per-packet work is
 * an IV and one cipher pass. Depends on src/lib and OpenSSL only. */
#ifndef P2S_IKE_ESP_H
#define P2S_IKE_ESP_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESP_HDR_LEN	 8
#define ESP_MAX_OVERHEAD (ESP_HDR_LEN + 16 + 16 + 2 + 16)
#define ESP_REPLAY_BITS	 1024 /* window size; RFC 4303 asks for at least 64 */
#define ESP_NH_IPV4	 4
#define ESP_NH_IPV6	 41
#define ESP_NH_NONE	 59 /* a dummy packet (RFC 4303 §2.6) */

/* Anti-replay window over 64-bit sequence numbers, so it works the same
 * with extended sequence numbers: a ring of bits behind the highest one. */
struct esp_replay {
	uint64_t top;
	uint64_t bits[ESP_REPLAY_BITS / 64];
};

int esp_replay_check(const struct esp_replay *w, uint64_t seq);
void esp_replay_update(struct esp_replay *w, uint64_t seq);

struct esp_sa {
	uint32_t spi;
	bool gcm;
	size_t iv_len, icv_len, block;
	EVP_CIPHER_CTX *ctx;
	EVP_MAC_CTX *mac; /* keyed HMAC for CBC; NULL for GCM */
	uint8_t salt[4];
	uint64_t seq; /* outbound: the last number sent */
	struct esp_replay replay;
	uint64_t bytes, packets;
};

/* keymat: the encryption key (| salt for GCM) then the integrity key, as
 * KEYMAT lays them out for one direction (RFC 7296 §2.17). */
int esp_sa_init(struct esp_sa *sa, uint32_t spi, uint16_t encr, uint16_t key_bits, uint16_t integ,
		const uint8_t *keymat, bool encrypt);
void esp_sa_clear(struct esp_sa *sa);
/* Bytes of keymat one direction takes. */
size_t esp_keymat_len(uint16_t encr, uint16_t key_bits, uint16_t integ);

/* SPI of an ESP packet (0: too short). */
uint32_t esp_spi(const uint8_t *pkt, size_t len);
/* Builds SPI | seq | IV | E(payload | pad | padlen | nh) | ICV. P2S_E_FULL
 * when the 32-bit sequence would wrap (the SA must be rekeyed). */
int esp_encrypt(struct esp_sa *sa, const uint8_t *payload, size_t len, uint8_t nh, uint8_t *out,
		size_t cap, size_t *out_len);
/* Authenticates, checks replay, decrypts, strips the trailer. */
int esp_decrypt(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
		size_t *out_len, uint8_t *nh);

/* AES-GCM with the RFC 4106 nonce (salt | 8-byte IV): exposed for the
 * published vectors. enc: tag written, else checked. */
int esp_gcm(EVP_CIPHER_CTX *ctx, bool enc, const uint8_t salt[4], const uint8_t iv[8],
	    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
	    uint8_t tag[16]);

#endif
