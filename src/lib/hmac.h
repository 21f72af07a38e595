/* HMAC-SHA256 over several pieces (OpenSSL 3 EVP_MAC). */
#ifndef P2S_HMAC_H
#define P2S_HMAC_H

#include <stddef.h>
#include <stdint.h>

struct hmac_part {
	const void *p;
	size_t n;
};

/* HMAC with the named digest ("SHA256", "MD5"); out holds out_len bytes. */
int hmac_compute(const char *digest, const uint8_t *key, size_t key_len,
		 const struct hmac_part *parts, size_t n_parts, uint8_t *out, size_t out_len);
int hmac_sha256(const uint8_t *key, size_t key_len, const struct hmac_part *parts, size_t n_parts,
		uint8_t out[32]);

#endif
