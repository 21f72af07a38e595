/* RADIUS packet codec (RFC 2865, 2866, 2869, 3579, 2548): building requests
 * with hidden passwords and Message-Authenticator, checking replies, reading
 * attributes (vendor-specific ones included), decrypting MPPE keys. */
#ifndef P2S_RADIUS_WIRE_H
#define P2S_RADIUS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"

enum rad_code {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCOUNTING_REQUEST = 4,
	RAD_ACCOUNTING_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
	RAD_STATUS_SERVER = 12,
};

enum rad_attr_type {
	RAD_USER_NAME = 1,
	RAD_USER_PASSWORD = 2,
	RAD_NAS_IP_ADDRESS = 4,
	RAD_NAS_PORT = 5,
	RAD_SERVICE_TYPE = 6,
	RAD_FRAMED_PROTOCOL = 7,
	RAD_FRAMED_IP_ADDRESS = 8,
	RAD_REPLY_MESSAGE = 18,
	RAD_STATE = 24,
	RAD_CLASS = 25,
	RAD_VENDOR_SPECIFIC = 26,
	RAD_SESSION_TIMEOUT = 27,
	RAD_CALLED_STATION_ID = 30,
	RAD_CALLING_STATION_ID = 31,
	RAD_NAS_IDENTIFIER = 32,
	RAD_ACCT_STATUS_TYPE = 40,
	RAD_ACCT_DELAY_TIME = 41,
	RAD_ACCT_INPUT_OCTETS = 42,
	RAD_ACCT_OUTPUT_OCTETS = 43,
	RAD_ACCT_SESSION_ID = 44,
	RAD_ACCT_AUTHENTIC = 45,
	RAD_ACCT_SESSION_TIME = 46,
	RAD_ACCT_INPUT_PACKETS = 47,
	RAD_ACCT_OUTPUT_PACKETS = 48,
	RAD_ACCT_TERMINATE_CAUSE = 49,
	RAD_ACCT_INPUT_GIGAWORDS = 52,
	RAD_ACCT_OUTPUT_GIGAWORDS = 53,
	RAD_EVENT_TIMESTAMP = 55,
	RAD_NAS_PORT_TYPE = 61,
	RAD_EAP_MESSAGE = 79,
	RAD_MESSAGE_AUTHENTICATOR = 80,
	RAD_ACCT_INTERIM_INTERVAL = 85,
};

#define RAD_VENDOR_MICROSOFT 311
enum rad_ms_type {
	RAD_MS_CHAP_ERROR = 2,
	RAD_MS_CHAP_CHALLENGE = 11,
	RAD_MS_MPPE_SEND_KEY = 16,
	RAD_MS_MPPE_RECV_KEY = 17,
	RAD_MS_CHAP2_RESPONSE = 25,
	RAD_MS_CHAP2_SUCCESS = 26,
	RAD_MS_AZURE_POLICY_ID = 65,
};

#define RAD_MAX_PACKET 4096
#define RAD_AUTH_LEN   16

struct rad_builder {
	uint8_t buf[RAD_MAX_PACKET];
	struct wbuf w;
	size_t ma_off; /* 0: no Message-Authenticator */
};

/* The shared secret's uses: MD5 with the secret before or after x, and
 * HMAC-MD5 keyed with it. Set under privilege separation, where the
 * "secret" every function here takes is a handle and the key process,
 * which holds the secret, computes; NULL: computed here. */
struct rad_secret_ops {
	int (*md5)(const char *handle, bool secret_first, const uint8_t *x, size_t n,
		   uint8_t out[16]);
	int (*hmac_md5)(const char *handle, const uint8_t *x, size_t n, uint8_t out[16]);
};
extern const struct rad_secret_ops *rad_secret_ops;

/* Starts a packet. auth is the Request Authenticator (Access-Request) or
 * ignored (Accounting-Request: computed by rad_finish). */
void rad_begin(struct rad_builder *b, uint8_t code, uint8_t id, const uint8_t auth[RAD_AUTH_LEN]);
/* Message-Authenticator first, as BlastRADIUS mitigation asks. */
void rad_add_message_authenticator(struct rad_builder *b);
void rad_add(struct rad_builder *b, uint8_t type, const void *val, size_t len);
void rad_add_str(struct rad_builder *b, uint8_t type, const char *s);
void rad_add_u32(struct rad_builder *b, uint8_t type, uint32_t v);
/* A 64-bit counter: its low 32 bits as low, the rest (if any) as high
 * (Acct-*-Octets and Acct-*-Gigawords, RFC 2869 §5.1). */
void rad_add_counter64(struct rad_builder *b, uint8_t low, uint8_t high, uint64_t v);
void rad_add_vsa(struct rad_builder *b, uint32_t vendor, uint8_t type, const void *val, size_t len);
/* User-Password hidden with the secret and Request Authenticator (<= 128). */
int rad_add_password(struct rad_builder *b, const char *pw, const char *secret);
/* EAP-Message split into attributes of at most 253 bytes. */
void rad_add_eap(struct rad_builder *b, const uint8_t *eap, size_t len);
/* Sets the length, the accounting authenticator and the Message-Authenticator.
 * Returns the packet length or a negative error. */
int rad_finish(struct rad_builder *b, const char *secret);

/* How a reply to an Access-Request is judged (radius_wire.c). */
enum rad_verdict {
	RAD_REPLY_OK,
	RAD_REPLY_MALFORMED,
	RAD_REPLY_BAD_AUTHENTICATOR, /* Response Authenticator: wrong secret or forged */
	RAD_REPLY_MISSING_MA,	     /* no Message-Authenticator where one is required */
	RAD_REPLY_BAD_MA,	     /* a Message-Authenticator that does not verify */
};
const char *rad_verdict_str(enum rad_verdict v);

/* Checks a reply to the request whose authenticator is req_auth: its shape,
 * the Response Authenticator, then the Message-Authenticator, which must be
 * present when require_ma and is verified whenever present. *has_ma (may be
 * NULL) tells whether the reply carried one. */
enum rad_verdict rad_check_reply(const uint8_t *p, size_t n, const uint8_t req_auth[RAD_AUTH_LEN],
				 const char *secret, bool require_ma, bool *has_ma);

/* The same as an error code: 0, P2S_E_TRUNC (malformed), P2S_E_AUTH (forged). */
int rad_verify_reply(const uint8_t *p, size_t n, const uint8_t req_auth[RAD_AUTH_LEN],
		     const char *secret, bool require_ma);

/* Whether one server's Access-* replies must carry a Message-Authenticator
 * (BlastRADIUS, CVE-2024-3596). REQUIRE: always. NEVER: only when the reply
 * carries EAP-Message (RFC 3579 requires it there). AUTO, the default: like
 * NEVER until the server has once sent a valid one on a reply without
 * EAP-Message (those are signed by RFC 3579 whatever the server's habit),
 * then like REQUIRE, so a server that signs cannot be impersonated by an
 * unsigned forgery. */
enum rad_ma_mode { RAD_MA_AUTO, RAD_MA_REQUIRE, RAD_MA_NEVER };

struct rad_ma_policy {
	enum rad_ma_mode mode;
	bool seen; /* a valid Message-Authenticator came from this server */
};

/* "auto", "require", "never" (NULL: auto); -1 for anything else. */
int rad_ma_mode_parse(const char *s, enum rad_ma_mode *out);
/* True when the next reply must be signed (EAP-Message aside). */
bool rad_ma_required(const struct rad_ma_policy *pol);
/* Checks an Access-Accept/Reject/Challenge under pol, and learns from it:
 * a valid signature makes AUTO require one from then on. */
enum rad_verdict rad_check_access_reply(struct rad_ma_policy *pol, const uint8_t *p, size_t n,
					const uint8_t req_auth[RAD_AUTH_LEN], const char *secret,
					bool *has_ma);

/* Attribute iteration over a well-formed packet. */
struct rad_attr {
	uint8_t type;
	uint32_t vendor; /* non-zero for a vendor-specific sub-attribute */
	uint8_t vtype;
	const uint8_t *val;
	size_t len;
};

struct rad_iter {
	struct cur c;	/* attributes */
	struct cur vsa; /* sub-attributes of the current VSA */
	uint32_t vendor;
};

void rad_iter_init(struct rad_iter *it, const uint8_t *p, size_t n);
/* Next attribute, VSAs flattened; false at the end or on malformed input. */
bool rad_iter_next(struct rad_iter *it, struct rad_attr *a);

/* MS-MPPE-Send/Recv-Key: Salt(2) | encrypted(keylen | key | pad). */
int rad_mppe_decrypt(const uint8_t *val, size_t len, const char *secret,
		     const uint8_t req_auth[RAD_AUTH_LEN], uint8_t *key, size_t *key_len);

#endif
