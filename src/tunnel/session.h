/* The session registry: one entry per connected client, whatever its
 * protocol, with Azure-style ids (OpenVPN_<uuid>, IKEv2_<uuid>, SSTP_<uuid>).
 * Owns what every session has in common; protocol state hangs off `proto`
 * and belongs to the engine. */
#ifndef P2S_SESSION_H
#define P2S_SESSION_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "auth/cert.h"
#include "lib/net.h"

enum tunnel_proto { TUNNEL_OPENVPN, TUNNEL_SSTP, TUNNEL_IKEV2, TUNNEL_N };

/* "OpenVPN", "SSTP", "IKEv2": session id prefixes and log names. */
const char *tunnel_name(enum tunnel_proto p);
/* The configuration's protocol bit (PROTO_OPENVPN ...). */
unsigned tunnel_conf_bit(enum tunnel_proto p);

struct session;
struct core;
struct auth_pending;
struct auth_ctx;
struct acl;

struct session_ops {
	enum tunnel_proto proto;
	/* Sends one inner IP packet to the client. */
	void (*send_ip)(struct session *s, const uint8_t *pkt, size_t len);
	/* Ordered by the core (reload, revocation, Session-Timeout, control
	 * socket, shutdown): tell the client, then core_session_end with cause. */
	void (*disconnect)(struct session *s, uint32_t cause, const char *reason);
	/* The client learns its IPv6 prefix from Router Advertisements (PPP:
	 * IPV6CP gives only identifiers), so the core answers its Router
	 * Solicitations. Others are told their address and must not also
	 * autoconfigure one. */
	bool slaac;
};

struct session_counters {
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out, dropped;
	uint64_t spoofed;      /* inner source address not the client's own */
	uint64_t denied;       /* refused by the group's access rules */
	uint64_t cross_worker; /* data that reached a worker not owning the session */
};

/* Data-plane threads bump a session's counters at once (its upload on one
 * thread, its download on another): relaxed atomics. Readers run on the
 * main loop with the data-plane lock held exclusively. */
static inline void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

struct session {
	char id[64];
	char user[256];
	char group[256]; /* policy group name, "" for none */
	union sockaddr_any peer;
	uint32_t addr; /* pool address, 0 before it is leased */
	size_t pool_range;
	struct in6_addr addr6; /* all zero: none */
	size_t pool6_range;
	time_t started;
	unsigned auth_type; /* AUTH_CERTIFICATE, AUTH_RADIUS or AUTH_AAD, once accepted */
	int64_t token_exp;  /* AUTH_AAD: the access token's exp (time_t) */
	struct cert_identity cert;
	bool has_cert;
	struct session_counters ctr;
	/* Rates, computed by the core once a second from ctr (the packet path
	 * only increments ctr): the highest seen and the totals last sampled. */
	uint64_t max_bps, max_pps;
	uint64_t rate_bytes, rate_pkts;
	char cipher[48]; /* the data channel's cipher, set by the engine; "" until known */
	unsigned worker; /* the data-plane worker (UDP lane) owning it; 0: the main one */
	/* send_ip may run on any data-plane thread under the shared lock
	 * (OpenVPN over UDP); else only the main loop sends to it. */
	bool dp_fast;
	const struct session_ops *ops;
	void *proto;
	struct core *core;
	struct auth_ctx *auth_ctx;
	struct acl *acl; /* the group's access rules; NULL: everything routed */
	/* Lifecycle, kept by the core. */
	bool admitted, up, ended;
	uint32_t session_timeout; /* RADIUS Session-Timeout, seconds */
	uint8_t rad_class[253];	  /* echoed in accounting */
	size_t rad_class_len;
	double up_at;
	double next_interim;
	ev_timer timer; /* Interim-Update and Session-Timeout */
	struct auth_pending *auth;
	struct session *next, *prev;
};

struct session_registry {
	struct session *head;
	unsigned count;
	unsigned admitted[TUNNEL_N]; /* sessions holding an address, per tunnel */
};

/* Allocates and links a session with a fresh id for ops->proto. */
struct session *session_new(struct session_registry *r, const struct session_ops *ops, void *proto);
/* Unlinks and frees (the caller releases the pool lease first). */
void session_free(struct session_registry *r, struct session *s);
struct session *session_find(struct session_registry *r, const char *id);

#endif
