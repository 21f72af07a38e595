/* OpenVPN control-packet codec, with the optional tls-auth HMAC wrapper.
 * Depends on src/lib and OpenSSL's HMAC only; no daemon state. */
#ifndef P2S_OVPN_WIRE_H
#define P2S_OVPN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/static_key.h"

enum ovpn_op {
	OVPN_CONTROL_SOFT_RESET_V1 = 3,
	OVPN_CONTROL_V1 = 4,
	OVPN_ACK_V1 = 5,
	OVPN_DATA_V1 = 6,
	OVPN_HARD_RESET_CLIENT_V2 = 7,
	OVPN_HARD_RESET_SERVER_V2 = 8,
	OVPN_DATA_V2 = 9,
	OVPN_HARD_RESET_CLIENT_V3 = 10,
	OVPN_CONTROL_WKC_V1 = 11,
};

#define OVPN_MAX_ACKS	    8	 /* in one P_ACK_V1 */
#define OVPN_MAX_PIGGY_ACKS 4	 /* riding on a control packet */
#define OVPN_HMAC_LEN	    32	 /* tls-auth with auth SHA256 */
#define OVPN_CTL_MAX	    1600 /* largest control packet we build */
#define OVPN_TLS_CHUNK	    1100 /* TLS bytes per control packet, fits tls-mtu 1250 */

static inline uint8_t ovpn_op_of(uint8_t b)
{
	return b >> 3;
}

static inline uint8_t ovpn_kid_of(uint8_t b)
{
	return b & 7;
}

static inline bool ovpn_op_is_data(uint8_t op)
{
	return op == OVPN_DATA_V1 || op == OVPN_DATA_V2;
}

/* tls-auth keys for one direction pair (server: send = key[0].hmac,
 * receive = key[1].hmac of the static key file). */
struct ovpn_tls_auth {
	bool enabled;
	uint8_t send_key[OVPN_HMAC_LEN];
	uint8_t recv_key[OVPN_HMAC_LEN];
};

struct ovpn_ctl {
	uint8_t op;
	uint8_t key_id;
	uint64_t sid;	    /* sender's session id */
	uint64_t replay_id; /* tls-auth packet_id(32) | time(32) as (time<<32|id) */
	uint8_t n_acks;
	uint32_t acks[OVPN_MAX_ACKS];
	uint64_t ack_sid; /* peer's session id, present when n_acks > 0 */
	bool has_msg_id;
	uint32_t msg_id;
	const uint8_t *payload;
	size_t payload_len;
};

/* Parses one control packet (UDP datagram or TCP frame without its length).
 * Verifies tls-auth when enabled. 0, P2S_E_TRUNC, P2S_E_AUTH, P2S_E_PROTO (not
 * a control opcode, more than 8 acks) or P2S_E_TRAIL (bytes after a P_ACK_V1). */
int ovpn_ctl_parse(const uint8_t *pkt, size_t len, const struct ovpn_tls_auth *ta,
		   struct ovpn_ctl *out);

/* Serialises pkt; replay_id is used only with tls-auth. Returns the length
 * or a negative error when cap is too small. */
int ovpn_ctl_write(uint8_t *out, size_t cap, const struct ovpn_ctl *pkt,
		   const struct ovpn_tls_auth *ta);

/* Server side (direction 0) tls-auth keys from a static key. */
void ovpn_tls_auth_from_static(struct ovpn_tls_auth *ta, const uint8_t key[OVPN_STATIC_KEY_LEN]);
/* Client side (direction 1): the same slots, the other way round (bench/loadgen). */
void ovpn_tls_auth_client_from_static(struct ovpn_tls_auth *ta,
				      const uint8_t key[OVPN_STATIC_KEY_LEN]);

/* The next packet of a TCP stream's bytes p[0..n) (each framed by a
 * 16-bit big-endian length): 1 with *pkt, *len and *used (the frame's
 * bytes); 0 when the frame is not complete yet (wait for more);
 * P2S_E_PROTO for a zero length; P2S_E_FULL for a packet other than data
 * longer than max_ctl (no control packet is). */
int ovpn_tcp_frame(const uint8_t *p, size_t n, size_t max_ctl, const uint8_t **pkt, size_t *len,
		   size_t *used);

#endif
