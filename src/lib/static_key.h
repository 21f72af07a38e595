/* OpenVPN static key file ("OpenVPN Static key V1", 256 bytes of hex). */
#ifndef P2S_STATIC_KEY_H
#define P2S_STATIC_KEY_H

#include <stddef.h>
#include <stdint.h>

#define OVPN_STATIC_KEY_LEN 256
/* 0, or a negative error: no key block, bad hex, or the wrong length. */
int ovpn_static_key_parse(const char *text, size_t len, uint8_t key[OVPN_STATIC_KEY_LEN]);
/* Writes the file text for key into out (at least 700 bytes). */
void ovpn_static_key_format(const uint8_t key[OVPN_STATIC_KEY_LEN], char *out, size_t cap);

#endif
