/* Shared by the harnesses, the replay driver and the corpus generator: the
 * libFuzzer entry point, a check that aborts (so libFuzzer and the replay
 * driver see a crash), and the fixed keys the seed packets are made with. */
#ifndef P2S_FUZZ_H
#define P2S_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/openvpn/data.h"
#include "proto/openvpn/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The tls-auth static key of the seeds. */
static inline void fuzz_static_key(uint8_t key[OVPN_STATIC_KEY_LEN])
{
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 3);
}

/* Server view (what the harnesses parse with) and client view (what the
 * seeds are signed with) of that key. */
static inline void fuzz_tls_auth(struct ovpn_tls_auth *srv, struct ovpn_tls_auth *cli)
{
	uint8_t key[OVPN_STATIC_KEY_LEN];
	fuzz_static_key(key);
	ovpn_tls_auth_from_static(srv, key);
	cli->enabled = true;
	for (int i = 0; i < OVPN_HMAC_LEN; i++) {
		cli->send_key[i] = srv->recv_key[i];
		cli->recv_key[i] = srv->send_key[i];
	}
}

/* The data-channel key2 of the seeds. */
static inline void fuzz_key2(uint8_t key2[OVPN_KEY2_LEN])
{
	for (int i = 0; i < OVPN_KEY2_LEN; i++)
		key2[i] = (uint8_t)(i * 13 + 1);
}

/* The data harness picks the cipher from the packet's key id: 0 and 3 are
 * AES-256-GCM, 1 and 4 AES-128-GCM, 2 and 5 CHACHA20-POLY1305, and so on. */
static inline const char *fuzz_cipher_for(uint8_t first_byte)
{
	static const char *const ciphers[3] = {"AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305"};
	return ciphers[(first_byte & 7) % 3];
}

#endif
