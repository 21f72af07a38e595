/* IKEv2 message codec (RFC 7296 §3): the fixed header, the generic payload
 * chain, and the typed payload bodies the responder reads and writes. Every
 * read goes through the cursor; each payload's generic header is validated
 * (length within what is left, reserved bits, critical bit) before its body
 * is interpreted. Depends on src/lib only. */
#ifndef P2S_IKE_WIRE_H
#define P2S_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"

#define IKE_HDR_LEN	 28
#define IKE_GEN_HDR_LEN	 4
#define IKE_MAX_PAYLOADS 48
#define IKE_MAX_MSG	 65535
#define IKE_VERSION	 0x20
#define IKE_FLAG_I	 0x08
#define IKE_FLAG_V	 0x10
#define IKE_FLAG_R	 0x20
#define IKE_CRITICAL	 0x80
#define IKE_NON_ESP_LEN	 4 /* zero marker before IKE on port 4500 (RFC 3948) */
#define IKE_MAX_TS	 16
#define IKE_MAX_CP_ATTRS 32

enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
};

enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

enum ike_notify_type {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,
	IKE_N_EAP_ONLY_AUTHENTICATION = 16417,
	IKE_N_FRAGMENTATION_SUPPORTED = 16430,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

enum ike_id_type {
	IKE_ID_IPV4 = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822 = 3,
	IKE_ID_IPV6 = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_KEY_ID = 11,
};

enum ike_auth_method {
	IKE_AUTH_RSA = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_DIGITAL_SIG = 14,
};

enum ike_cert_encoding { IKE_CERT_X509_SIG = 4 };

enum ike_cp_type { IKE_CFG_REQUEST = 1, IKE_CFG_REPLY = 2, IKE_CFG_SET = 3, IKE_CFG_ACK = 4 };

enum ike_cp_attr {
	IKE_CP_IP4_ADDRESS = 1,
	IKE_CP_IP4_NETMASK = 2,
	IKE_CP_IP4_DNS = 3,
	IKE_CP_IP4_NBNS = 4,
	IKE_CP_IP6_ADDRESS = 8,
	IKE_CP_IP6_DNS = 10,
	IKE_CP_IP4_SUBNET = 13,
	IKE_CP_SUPPORTED_ATTRIBUTES = 14,
	IKE_CP_IP6_SUBNET = 15,
};

enum ike_ts_type { IKE_TS_IPV4_RANGE = 7, IKE_TS_IPV6_RANGE = 8 };
enum ike_proto_id { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length;
};

/* One payload as found in a chain: its type, and its body (after the
 * generic header). Bodies point into the message. */
struct ike_payload {
	uint8_t type;
	bool critical;
	const uint8_t *body;
	size_t len;
};

struct ike_chain {
	struct ike_payload pl[IKE_MAX_PAYLOADS];
	size_t n;
	/* An unknown payload with the critical bit: the whole message is refused
	 * with UNSUPPORTED_CRITICAL_PAYLOAD naming it. */
	uint8_t unsupported_critical;
};

/* A message: header and its clear payload chain. When the chain ends in SK
 * or SKF, that payload is last (RFC 7296 §3.14) and sk_off is the offset of
 * its generic header in the message. */
struct ike_msg {
	struct ike_hdr hdr;
	struct ike_chain chain;
	const uint8_t *raw;
	size_t raw_len;
	size_t sk_off; /* 0: no encrypted payload */
};

int ike_hdr_parse(const uint8_t *p, size_t len, struct ike_hdr *h);
void ike_hdr_write(struct wbuf *w, const struct ike_hdr *h);
/* Parses a whole message: the header's length must equal len exactly. */
int ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *m);
/* Parses a payload chain (a message's or a decrypted SK body's), starting
 * with type first. The chain must use every byte. */
int ike_chain_parse(uint8_t first, const uint8_t *p, size_t len, struct ike_chain *c);
/* The first payload of a type, or NULL. */
const struct ike_payload *ike_chain_find(const struct ike_chain *c, uint8_t type);
/* Is a payload type legal in this exchange? Requests and responses differ
 * only by what an initiator sends; `encrypted` says inside SK. */
bool ike_payload_allowed(uint8_t exchange, bool encrypted, uint8_t type);
/* Checks every payload of a chain against the table. */
int ike_chain_check(const struct ike_chain *c, uint8_t exchange, bool encrypted);
const char *ike_exchange_name(uint8_t exchange);

/* ---- typed bodies ---------------------------------------------------- */

struct ike_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};
int ike_notify_parse(const struct ike_payload *p, struct ike_notify *n);
/* Finds a status notify of this type in a chain; true with *n filled. */
bool ike_chain_notify(const struct ike_chain *c, uint16_t type, struct ike_notify *n);

struct ike_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ike_ke_parse(const struct ike_payload *p, struct ike_ke *ke);

struct ike_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
};
int ike_id_parse(const struct ike_payload *p, struct ike_id *id);

struct ike_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ike_auth_parse(const struct ike_payload *p, struct ike_auth *a);

struct ike_cert {
	uint8_t encoding;
	const uint8_t *data;
	size_t len;
};
int ike_cert_parse(const struct ike_payload *p, struct ike_cert *c);

struct ike_ts {
	uint8_t type;
	uint8_t ip_proto;
	uint16_t start_port, end_port;
	uint8_t start[16], end[16]; /* 4 bytes used for IPv4 */
};
struct ike_ts_list {
	struct ike_ts ts[IKE_MAX_TS];
	size_t n;
};
int ike_ts_parse(const struct ike_payload *p, struct ike_ts_list *l);
void ike_ts_write(struct wbuf *w, const struct ike_ts_list *l);

struct ike_cp_attr_v {
	uint16_t type;
	const uint8_t *val;
	size_t len;
};
struct ike_cp {
	uint8_t cfg_type;
	struct ike_cp_attr_v attr[IKE_MAX_CP_ATTRS];
	size_t n;
};
int ike_cp_parse(const struct ike_payload *p, struct ike_cp *cp);

struct ike_delete {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t n_spi;
	const uint8_t *spis;
};
int ike_delete_parse(const struct ike_payload *p, struct ike_delete *d);

/* SKF (RFC 7383): fragment number and total before the encrypted part. */
struct ike_skf {
	uint16_t number, total;
};
int ike_skf_parse(const struct ike_payload *p, struct ike_skf *f);

/* ---- building ------------------------------------------------------- */

/* A payload chain under construction: each begin fills the previous
 * payload's next-payload field (or *first), end fills the length. */
struct ike_builder {
	struct wbuf w;
	uint8_t *first;	   /* where the first payload type goes */
	uint8_t *prev_nxt; /* the last payload's next-payload byte */
	size_t open;	   /* offset of the open payload's generic header */
};

void ike_build_init(struct ike_builder *b, void *buf, size_t cap, uint8_t *first);
void ike_pl_begin(struct ike_builder *b, uint8_t type);
void ike_pl_end(struct ike_builder *b);
/* A payload from one body in one call. */
void ike_pl_put(struct ike_builder *b, uint8_t type, const void *body, size_t len);
void ike_pl_notify(struct ike_builder *b, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		   uint16_t type, const void *data, size_t len);
/* Builds a message with a cleartext chain: header + payloads; returns its
 * length or a negative error. `first` is the header's next-payload. */
size_t ike_msg_finish(uint8_t *msg, size_t len);

#endif
