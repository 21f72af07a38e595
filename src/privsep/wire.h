/* The requests the network process sends the key process over their
 * SOCK_SEQPACKET socketpair, and the replies: one message per datagram,
 * fixed fields, every length checked both ways, nothing trailing.
 *   request: u8 type, then per type
 *     KEY_LOAD  (nothing): load the server key the configuration names
 *     SIGN      key id[32], u8 alg, u16 n, n bytes (digest or padded block)
 *     OPEN      u16 n, n bytes of path (no NUL): a read-only descriptor back
 *     NOTIFY    u16 n, n bytes of text (no NUL): passed to systemd
 *     RAD_MD5   u8 h, h bytes of secret handle, u8 secret_first, u16 n, n bytes:
 *               MD5(secret | x) or MD5(x | secret)
 *     RAD_HMAC  u8 h, handle, u16 n, n bytes: HMAC-MD5(secret, x)
 *     ACCT_START u8 h, handle of the accounting server's secret, u16 n, n
 *               bytes of accounted session (struct ps_acct_rec, below):
 *               remembered until ACCT_STOP, or sent as a Stop if the
 *               network process dies first
 *     ACCT_STOP u16 n, n bytes of Acct-Session-Id: forgotten
 *     ACCT_UPDATE u16 n, n bytes of counters (struct ps_acct_counts, below):
 *               an Interim-Update's, for that Stop; with a cause, the
 *               session's own Stop, on its way: its final counters and
 *               cause, sent as such if the network process dies before
 *               ACCT_STOP (sent once the Stop is answered or given up)
 *   reply:   u8 type (the request's), i32 status (0 or -errno/P2S_E_*),
 *            u16 n, n bytes (KEY_LOAD: the key id; SIGN: the signature) */
#ifndef P2S_PRIVSEP_WIRE_H
#define P2S_PRIVSEP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PS_MSG_MAX    4200
#define PS_DATA_MAX   1024 /* an RSA-8192 block; a path is at most PS_PATH_MAX */
#define PS_PATH_MAX   4096
#define PS_KEY_ID_LEN 32 /* SHA-256 of the public key's DER */

enum ps_type {
	PS_KEY_LOAD = 1,
	PS_SIGN = 2,
	PS_OPEN = 3,
	PS_NOTIFY = 4,
	PS_RAD_MD5 = 5,
	PS_RAD_HMAC = 6,
	PS_ACCT_START = 7,
	PS_ACCT_STOP = 8,
	PS_ACCT_UPDATE = 9,
};
#define PS_TYPE_LAST  PS_ACCT_UPDATE
#define PS_HANDLE_MAX 64
#define PS_RAD_MAX    4096 /* a whole RADIUS packet */
#define PS_NOTIFY_MAX 512

enum ps_alg {
	PS_RSA_PKCS1 = 1, /* a DigestInfo, PKCS #1 v1.5 type 1 padding added by the key process */
	PS_RSA_RAW = 2,	  /* a whole block already padded (PSS), the size of the modulus */
	PS_ECDSA = 3,	  /* a digest; the reply is a DER ECDSA-Sig-Value */
};

struct ps_req {
	uint8_t type;
	uint8_t alg; /* SIGN: enum ps_alg; RAD_MD5: secret first (1) or last (0) */
	uint8_t key_id[PS_KEY_ID_LEN];
	const uint8_t *handle; /* RAD_*: which secret, never NUL-terminated */
	size_t hlen;
	const uint8_t *data; /* points into the decoded message */
	size_t len;
};

struct ps_reply {
	uint8_t type;
	int32_t status;
	const uint8_t *data;
	size_t len;
};

/* An accounted session, ACCT_START's data: u32 server IPv4, u16 server
 * accounting port, u32 NAS-IP-Address, u32 Framed-IP-Address (0: none),
 * then u8 n + n bytes each of Acct-Session-Id (1..64), User-Name (..253),
 * Calling-Station-Id (..64), NAS-Identifier (..128) and Class (..253); the
 * strings without NUL. */
#define PS_ACCT_ID_MAX	    64
#define PS_ACCT_USER_MAX    253
#define PS_ACCT_CALLING_MAX 64
#define PS_ACCT_NAS_MAX	    128
#define PS_ACCT_CLASS_MAX   253

struct ps_acct_bytes {
	const uint8_t *p;
	size_t n;
};

struct ps_acct_rec {
	uint32_t server_ip; /* host order */
	uint16_t server_port;
	uint32_t nas_ip;
	uint32_t framed_ip;
	struct ps_acct_bytes id, user, calling, nas_id, class_; /* point into the message */
};

int ps_acct_rec_encode(const struct ps_acct_rec *r, uint8_t *buf, size_t cap, size_t *out);
int ps_acct_rec_decode(struct ps_acct_rec *r, const uint8_t *buf, size_t len);

/* An accounted session's counters, ACCT_UPDATE's data: u8 n + n bytes of
 * Acct-Session-Id (1..64, no NUL), then u64 input octets, output octets,
 * input packets, output packets (the client's view: input is from it). */
struct ps_acct_counts {
	struct ps_acct_bytes id;
	uint64_t in_octets, out_octets, in_packets, out_packets;
	uint32_t session_time; /* the Stop's (0 for an Interim-Update) */
	uint32_t cause; /* Acct-Terminate-Cause of the Stop on its way; 0: an Interim-Update */
};

int ps_acct_counts_encode(const struct ps_acct_counts *c, uint8_t *buf, size_t cap, size_t *out);
int ps_acct_counts_decode(struct ps_acct_counts *c, const uint8_t *buf, size_t len);

/* 0 and the message length in *out, or a negative error; never partial. */
int ps_req_encode(const struct ps_req *r, uint8_t *buf, size_t cap, size_t *out);
int ps_req_decode(struct ps_req *r, const uint8_t *buf, size_t len);
int ps_reply_encode(const struct ps_reply *r, uint8_t *buf, size_t cap, size_t *out);
int ps_reply_decode(struct ps_reply *r, const uint8_t *buf, size_t len);

#endif
