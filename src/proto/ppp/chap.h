/* CHAP packets carrying MS-CHAPv2 (RFC 1994, RFC 2759) and the EAP packet
 * header (RFC 3748) as PPP carries them. */
#ifndef P2S_PPP_CHAP_H
#define P2S_PPP_CHAP_H

#include <stddef.h>
#include <stdint.h>

enum chap_code { CHAP_CHALLENGE = 1, CHAP_RESPONSE = 2, CHAP_SUCCESS = 3, CHAP_FAILURE = 4 };

#define CHAP_MSV2_ALG	0x81
#define MSCHAP_CHAL_LEN 16
#define MSCHAP_RESP_LEN 49 /* peer challenge 16, reserved 8, NT-response 24, flags 1 */
#define CHAP_NAME_MAX	255

struct chap_response {
	uint8_t id;
	uint8_t peer_challenge[16];
	uint8_t nt_response[24];
	uint8_t flags;
	char name[CHAP_NAME_MAX + 1];
};

/* A Challenge packet (code, id, length, value-size 16, challenge, name). */
int chap_build_challenge(uint8_t *buf, size_t cap, uint8_t id, const uint8_t chal[16],
			 const char *name);
/* A Response carrying an MS-CHAPv2 value (value-size exactly 49); the name
 * must be printable and not contain NUL. */
int chap_parse_response(const uint8_t *p, size_t n, struct chap_response *out);
/* The RFC 2548 MS-CHAP2-Response attribute value (50 bytes): ident, flags,
 * peer challenge, 8 reserved, NT-response. */
void chap_radius_response(const struct chap_response *r, uint8_t out[50]);
/* Success with "S=<40 hex> M=<msg>", Failure with
 * "E=691 R=0 C=<challenge hex> V=3 M=<msg>". */
int chap_build_success(uint8_t *buf, size_t cap, uint8_t id, const char *auth_string,
		       const char *msg);
int chap_build_failure(uint8_t *buf, size_t cap, uint8_t id, const uint8_t chal[16],
		       const char *msg);

enum eap_code { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4 };
#define EAP_TYPE_IDENTITY 1
#define EAP_TYPE_NAK	  3
#define EAP_TYPE_TLS	  13

struct eap_pkt {
	uint8_t code, id;
	uint8_t type;	     /* requests and responses only */
	const uint8_t *data; /* after the type */
	size_t len;
};
/* An EAP packet exactly as long as its Length field. */
int eap_parse(const uint8_t *p, size_t n, struct eap_pkt *out);
/* Request/Identity, Success or Failure built by the gateway itself. */
int eap_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t id, int type, const uint8_t *data,
	      size_t len);

#endif
