/* Key-method 2: the first plaintext message each side sends inside TLS,
 * and the client's peer-info lines. */
#ifndef P2S_OVPN_KMETHOD_H
#define P2S_OVPN_KMETHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KM2_OPTIONS_MAX 512
#define KM2_STRING_MAX	16384 /* room for an access token as password */

struct ovpn_km2 {
	uint8_t pre_master[48]; /* client only */
	uint8_t random1[32];
	uint8_t random2[32];
	char *options;
	char *username;
	char *password; /* wiped on free */
	char *peer_info;
};

/* Parses the client's message. 0 or a negative error; out is freed on error. */
int ovpn_km2_parse_client(const uint8_t *p, size_t n, struct ovpn_km2 *out);
/* The server's message: randoms, options string, empty user/pass/peer-info. */
int ovpn_km2_write_server(uint8_t *out, size_t cap, const uint8_t random1[32],
			  const uint8_t random2[32], const char *options);
void ovpn_km2_free(struct ovpn_km2 *k);

/* The client side (bench/loadgen): k's pre-master, randoms and strings (NULL
 * strings go out empty). Returns the length or -ENOSPC. */
int ovpn_km2_write_client(uint8_t *out, size_t cap, const struct ovpn_km2 *k);
/* The server's message: randoms copied out, the options string checked and
 * dropped. 0, P2S_E_TRUNC, P2S_E_PROTO or P2S_E_TRAIL. */
int ovpn_km2_parse_server(const uint8_t *p, size_t n, uint8_t random1[32], uint8_t random2[32]);

#define IV_PROTO_DATA_V2	 (1u << 1)
#define IV_PROTO_REQUEST_PUSH	 (1u << 2)
#define IV_PROTO_TLS_KEY_EXPORT	 (1u << 3)
#define IV_PROTO_AUTH_PENDING_KW (1u << 4)
#define IV_PROTO_DNS_OPTION	 (1u << 6) /* understands the pushed "dns" option (2.6) */
#define IV_PROTO_CC_EXIT_NOTIFY	 (1u << 7)

struct ovpn_peer_info {
	unsigned iv_proto;
	int iv_ncp;
	bool has_mtu;
	char ciphers[256];
	char version[32];
	char platform[32];
};

void ovpn_peer_info_parse(const char *s, struct ovpn_peer_info *out);

#endif
