/* PPP frames as SSTP carries them (no HDLC flags, escapes or FCS), control
 * packets (RFC 1661 5: code, identifier, length) and their options.
 * Depends on src/lib only. */
#ifndef P2S_PPP_FRAME_H
#define P2S_PPP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"

enum ppp_proto {
	PPP_IP = 0x0021,
	PPP_IPV6 = 0x0057,
	PPP_IPCP = 0x8021,
	PPP_IPV6CP = 0x8057,
	PPP_CCP = 0x80fd,
	PPP_LCP = 0xc021,
	PPP_PAP = 0xc023,
	PPP_CHAP = 0xc223,
	PPP_EAP = 0xc227,
};

/* Control packet codes shared by LCP and the NCPs (RFC 1661 5). */
enum ppp_code {
	CP_CONF_REQ = 1,
	CP_CONF_ACK = 2,
	CP_CONF_NAK = 3,
	CP_CONF_REJ = 4,
	CP_TERM_REQ = 5,
	CP_TERM_ACK = 6,
	CP_CODE_REJ = 7,
	LCP_PROTO_REJ = 8,
	LCP_ECHO_REQ = 9,
	LCP_ECHO_REP = 10,
	LCP_DISCARD_REQ = 11,
};

#define PPP_MAX_FRAME 4091 /* what one SSTP data packet can hold */
#define PPP_HDR_LEN   4	   /* FF 03 + protocol */

/* Splits a frame: the FF 03 address/control pair is optional on input
 * (a peer may compress it), the protocol is always two bytes (PFC is
 * refused). */
int ppp_frame_parse(const uint8_t *p, size_t n, uint16_t *proto, const uint8_t **info,
		    size_t *info_len);
/* Writes FF 03 proto info; returns the frame length or a negative error. */
int ppp_frame_build(uint8_t *buf, size_t cap, uint16_t proto, const uint8_t *info, size_t len);

/* A control packet: the data after the 4-byte header, exactly Length long. */
struct ppp_cp {
	uint8_t code, id;
	const uint8_t *data;
	size_t len;
};
int ppp_cp_parse(const uint8_t *p, size_t n, struct ppp_cp *out);
/* Writes code id length data; returns the packet length or negative. */
int ppp_cp_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t id, const uint8_t *data,
		 size_t len);

/* Configure options (type, length incl. the 2-byte header, value). */
struct ppp_opt {
	uint8_t type;
	const uint8_t *val;
	size_t len;	    /* value length */
	const uint8_t *raw; /* the whole option, for Reject/Nak echo */
	size_t raw_len;
};
/* The next option from c: 1 when one was read, 0 at the end, negative for
 * a malformed option list (the whole request is then discarded). */
int ppp_opt_next(struct cur *c, struct ppp_opt *o);

void ppp_opt_put(struct wbuf *w, uint8_t type, const uint8_t *val, size_t len);
void ppp_opt_put_u16(struct wbuf *w, uint8_t type, uint16_t v);
void ppp_opt_put_u32(struct wbuf *w, uint8_t type, uint32_t v);

const char *ppp_proto_name(uint16_t proto);

#endif
