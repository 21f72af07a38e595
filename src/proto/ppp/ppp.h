/* The gateway's side of a PPP link carried in SSTP (RFC 1661, 1332, 1877,
 * 1994/2759, 3748, 5072): LCP, then authentication, then IPCP (and IPV6CP
 * when the client has an IPv6 address), then IPv4 (and IPv6) data.
 * A pure state machine: frames in through ppp_input, frames out and events
 * through ppp_ops. Time is the caller's: it calls ppp_timeout every
 * PPP_RESTART_S seconds while ppp_wants_timer says so. Authentication
 * itself is the caller's too: ppp hands it the MS-CHAPv2 response or the EAP
 * packets and is told the verdict. Depends on src/lib and the PPP codecs. */
#ifndef P2S_PPP_H
#define P2S_PPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ppp/chap.h"

#define PPP_RESTART_S	  3
#define PPP_MAX_CONFIGURE 10
#define PPP_MRU		  1500
#define PPP_IID_LEN	  8 /* an IPV6CP interface identifier */

enum ppp_auth { PPP_AUTH_NONE = 0, PPP_AUTH_MSCHAPV2 = 1, PPP_AUTH_EAP = 2 };
enum ppp_phase { PPP_ESTABLISH, PPP_AUTHENTICATE, PPP_NETWORK, PPP_RUNNING, PPP_DEAD };

struct ppp_ops {
	/* One whole frame (FF 03 protocol information) for the client. */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* The client's MS-CHAPv2 response, as RADIUS wants it (RFC 2548). */
	void (*mschapv2)(void *ctx, const char *user, const uint8_t chal[16],
			 const uint8_t resp[50]);
	/* An EAP response from the client (identity: its EAP-Identity). */
	void (*eap)(void *ctx, const char *identity, const uint8_t *pkt, size_t len);
	/* IPCP is open: the client has its address. */
	void (*up)(void *ctx);
	/* One IPv4 or IPv6 packet from the client (only once up). */
	void (*ip)(void *ctx, const uint8_t *pkt, size_t len);
	/* The link is finished (Terminate, failed negotiation or
	 * authentication); by_peer: the client asked. Called once. */
	void (*down)(void *ctx, const char *reason, bool by_peer);
};

struct ppp_cp_state {
	uint8_t id;	  /* of our outstanding Configure-Request */
	bool req_acked;	  /* the client acked our request */
	bool peer_acked;  /* we acked the client's */
	unsigned sent;	  /* Configure-Requests sent without an Ack */
	uint8_t rejected; /* bitmask of our options the client rejected */
};

struct ppp {
	const struct ppp_ops *ops;
	void *ctx;
	enum ppp_phase phase;
	unsigned auth_allowed; /* PPP_AUTH_* bits */
	enum ppp_auth auth;    /* the method in our LCP request */
	uint32_t magic;
	uint16_t peer_mru;
	struct ppp_cp_state lcp, ipcp, ipv6cp;
	/* authentication */
	uint8_t auth_id;
	bool auth_waiting; /* a request is out and no answer came yet */
	bool auth_busy;	   /* the caller is deciding */
	unsigned auth_sent;
	uint8_t challenge[MSCHAP_CHAL_LEN];
	char identity[CHAP_NAME_MAX + 1];
	uint8_t eap_last[1500]; /* the EAP request to retransmit */
	size_t eap_last_len;
	/* network */
	uint32_t local_ip, peer_ip, dns[2];
	bool v6;     /* the client has an IPv6 address: IPV6CP is offered */
	bool v6_up;  /* IPV6CP is open */
	bool v6_off; /* the client refused or closed IPV6CP */
	uint8_t local_iid[PPP_IID_LEN], peer_iid[PPP_IID_LEN];
	bool down_called;
};

/* allowed: PPP_AUTH_* bits, preferred method first: MS-CHAPv2 then EAP. */
void ppp_init(struct ppp *p, const struct ppp_ops *ops, void *ctx, unsigned allowed,
	      uint32_t magic);
/* Sends the first LCP Configure-Request. */
void ppp_start(struct ppp *p);
void ppp_input(struct ppp *p, const uint8_t *frame, size_t len);
bool ppp_wants_timer(const struct ppp *p);
void ppp_timeout(struct ppp *p);
/* What IPCP hands the client; set before ppp_auth_accept. dns may hold 0s. */
void ppp_set_net(struct ppp *p, uint32_t local, uint32_t peer, const uint32_t dns[2]);
/* IPV6CP's interface identifiers (ours, the client's); without this call
 * IPV6CP is Protocol-Rejected. Set before ppp_auth_accept. */
void ppp_set_net6(struct ppp *p, const uint8_t local[PPP_IID_LEN], const uint8_t peer[PPP_IID_LEN]);
/* Authentication verdicts. success: MS-CHAPv2's "S=..." (NULL for EAP);
 * eap_final: RADIUS's EAP-Success/Failure to relay (NULL: built here). */
void ppp_auth_accept(struct ppp *p, const char *success, const uint8_t *eap_final, size_t len);
void ppp_auth_refuse(struct ppp *p, const char *why, const uint8_t *eap_final, size_t len);
/* EAP: relays a request to the client (RADIUS Access-Challenge). */
void ppp_eap_request(struct ppp *p, const uint8_t *pkt, size_t len);
/* Sends LCP Terminate-Request; down follows (now). */
void ppp_close(struct ppp *p, const char *reason);
/* One IPv4 or IPv6 packet to the client; negative when IPCP (IPV6CP for
 * IPv6) is not up. */
int ppp_send_ip(struct ppp *p, const uint8_t *pkt, size_t len);

/* internal, shared by ppp.c, ppp_auth.c and ppp_ncp.c */
void ppp_send_cp(struct ppp *p, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *data,
		 size_t len);
void ppp_down(struct ppp *p, const char *reason, bool by_peer);
/* Sends an already built packet (CHAP, EAP) under proto. */
void ppp_send_cp_raw(struct ppp *p, uint16_t proto, const uint8_t *pkt, size_t len);
void ppp_auth_start(struct ppp *p);
void ppp_auth_input(struct ppp *p, uint16_t proto, const uint8_t *info, size_t len);
void ppp_auth_timeout(struct ppp *p);
void ppp_ipcp_start(struct ppp *p);
void ppp_ncp_input(struct ppp *p, uint16_t proto, const uint8_t *info, size_t len);
void ppp_ipv6cp_start(struct ppp *p);
void ppp_ipv6cp_input(struct ppp *p, const uint8_t *info, size_t len);
void ppp_ipv6cp_off(struct ppp *p);
bool ppp_ipv6cp_wants_timer(const struct ppp *p);
void ppp_ipv6cp_timeout(struct ppp *p);
void ppp_lcp_send_req(struct ppp *p);
enum ppp_opt_verdict { OPT_ACK, OPT_NAK, OPT_REJ };
struct ppp_opt;
struct ppp_cp;
struct wbuf;
/* Answers a Configure-Request option by option: Reject beats Nak beats Ack.
 * check writes the Nak'ed option into nak itself. Returns true when acked. */
typedef enum ppp_opt_verdict (*ppp_opt_check)(struct ppp *p, const struct ppp_opt *o,
					      struct wbuf *nak);
bool ppp_conf_req(struct ppp *p, uint16_t proto, struct ppp_cp_state *st, const struct ppp_cp *cp,
		  ppp_opt_check check);

#endif
