/* Hex and base64 helpers for configuration and key files. */
#ifndef P2S_CODEC_H
#define P2S_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Decodes hex, skipping spaces and colons; returns bytes written or -1. */
int hex_decode(const char *s, uint8_t *out, size_t cap);
void hex_encode(const uint8_t *in, size_t n, char *out, int upper);
/* Decodes base64 ignoring whitespace; returns bytes written or -1. Caller frees *out. */
int b64_decode(const char *s, uint8_t **out);
/* Decodes base64url without padding (JWT, JWK); returns bytes or -1. Caller frees. */
int b64url_decode(const char *s, size_t len, uint8_t **out);
/* Returns a NUL-terminated base64 string (no newlines); caller frees. */
char *b64_encode(const uint8_t *in, size_t n);

#endif
