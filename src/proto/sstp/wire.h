/* SSTP 1.0 packets ([MS-SSTP] 2.2): the 4-byte header, control messages and
 * their attributes, and the builders for what a server sends. Fixed-layout
 * messages are accepted only at their exact size. Depends on src/lib only. */
#ifndef P2S_SSTP_WIRE_H
#define P2S_SSTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSTP_VERSION	     0x10
#define SSTP_HDR_LEN	     4
#define SSTP_MAX_PKT	     4095 /* 12-bit length, header included */
#define SSTP_NONCE_LEN	     32
#define SSTP_HASH_LEN	     32 /* cert hash and MAC fields; SHA-1 values zero-padded */
#define SSTP_CONNECTED_LEN   112
#define SSTP_CONNECT_ACK_LEN 48
#define SSTP_MAC_OFFSET	     80 /* compound MAC inside CALL_CONNECTED */

enum sstp_msg {
	SSTP_CALL_CONNECT_REQUEST = 1,
	SSTP_CALL_CONNECT_ACK = 2,
	SSTP_CALL_CONNECT_NAK = 3,
	SSTP_CALL_CONNECTED = 4,
	SSTP_CALL_ABORT = 5,
	SSTP_CALL_DISCONNECT = 6,
	SSTP_CALL_DISCONNECT_ACK = 7,
	SSTP_ECHO_REQUEST = 8,
	SSTP_ECHO_RESPONSE = 9,
};

enum sstp_attr_id {
	SSTP_ATTR_NO_ERROR = 0,
	SSTP_ATTR_ENCAP_PROTO = 1,
	SSTP_ATTR_STATUS_INFO = 2,
	SSTP_ATTR_CRYPTO_BINDING = 3,
	SSTP_ATTR_CRYPTO_BINDING_REQ = 4,
};

enum sstp_status {
	SSTP_STATUS_NO_ERROR = 0,
	SSTP_STATUS_DUPLICATE_ATTRIBUTE = 1,
	SSTP_STATUS_UNRECOGNIZED_ATTRIBUTE = 2,
	SSTP_STATUS_INVALID_ATTRIB_VALUE_LENGTH = 3,
	SSTP_STATUS_VALUE_NOT_SUPPORTED = 4,
	SSTP_STATUS_UNACCEPTED_FRAME_RECEIVED = 5,
	SSTP_STATUS_RETRY_COUNT_EXCEEDED = 6,
	SSTP_STATUS_INVALID_FRAME_RECEIVED = 7,
	SSTP_STATUS_NEGOTIATION_TIMEOUT = 8,
	SSTP_STATUS_ATTRIB_NOT_SUPPORTED_IN_MSG = 9,
	SSTP_STATUS_REQUIRED_ATTRIBUTE_MISSING = 10,
	SSTP_STATUS_STATUS_INFO_NOT_SUPPORTED_IN_MSG = 11,
};

#define SSTP_ENCAP_PPP	 1
#define SSTP_HASH_SHA1	 0x01 /* bitmask in CONNECT_ACK, value in CONNECTED */
#define SSTP_HASH_SHA256 0x02

/* The length of the packet starting at p (0 when fewer than 4 bytes are
 * there yet), or a negative error for a bad version or a length below the
 * header's own. */
int sstp_frame_len(const uint8_t *p, size_t n, size_t *pkt_len);

/* One whole packet, exactly as long as its header says. */
struct sstp_pkt {
	bool control;
	const uint8_t *body; /* data: the PPP frame; control: from MessageType on */
	size_t body_len;
};
int sstp_pkt_parse(const uint8_t *p, size_t n, struct sstp_pkt *out);

/* A control message with its attributes decoded. Each attribute at most
 * once, each at its exact length; unknown attribute ids are refused. */
struct sstp_ctrl {
	uint16_t type;
	bool has_proto;
	uint16_t proto;
	bool has_status;
	uint8_t status_attr;
	uint32_t status;
	bool has_binding;
	uint8_t hash_proto;
	uint8_t nonce[SSTP_NONCE_LEN];
	uint8_t cert_hash[SSTP_HASH_LEN];
	uint8_t mac[SSTP_HASH_LEN];
	bool has_binding_req;
	uint8_t hash_bitmask;
};
/* Parses the body of a control packet (sstp_pkt.body). Also checks each
 * message's exact size and required attributes. */
int sstp_ctrl_parse(const uint8_t *body, size_t len, struct sstp_ctrl *out);

/* Builders: each returns the packet length written into buf, or a negative
 * error when cap is too small. */
int sstp_build_data(uint8_t *buf, size_t cap, const uint8_t *ppp, size_t len);
int sstp_build_connect_ack(uint8_t *buf, size_t cap, uint8_t hash_bitmask,
			   const uint8_t nonce[SSTP_NONCE_LEN]);
/* NAK naming the refused attribute and, as its value, the client's proposal. */
int sstp_build_connect_nak(uint8_t *buf, size_t cap, uint8_t attr, uint32_t status,
			   const uint8_t *value, size_t value_len);
/* ABORT and DISCONNECT carry one Status-Info (as Windows sends them). */
int sstp_build_status_msg(uint8_t *buf, size_t cap, enum sstp_msg type, uint8_t attr,
			  uint32_t status);
/* ECHO_REQUEST, ECHO_RESPONSE, DISCONNECT_ACK: the bare 8-byte message. */
int sstp_build_simple(uint8_t *buf, size_t cap, enum sstp_msg type);

const char *sstp_msg_name(unsigned type);

#endif
