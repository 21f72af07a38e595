/* The session registry: one entry per connected client, whatever its
 * protocol, with Azure-style ids (OpenVPN_<uuid>). Owns sessions' common
 * state; protocol state hangs off `proto` and is freed by ops->destroy. */
#ifndef P2S_SESSION_H
#define P2S_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "auth/cert.h"
#include "lib/net.h"

struct session;

struct session_ops {
	const char *protocol; /* "OpenVPN", "SSTP", "IKEv2" */
	/* Sends one inner IP packet to the client. */
	void (*send_ip)(struct session *s, const uint8_t *pkt, size_t len);
	/* Ends the session (reason logged); the registry entry goes with it. */
	void (*disconnect)(struct session *s, const char *reason);
};

struct session_counters {
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out, dropped;
	uint64_t spoofed; /* inner source address not the client's own */
};

struct session {
	char id[64];
	char user[256];
	char group[256]; /* policy group: RADIUS MS-Azure-Policy-ID, later token groups */
	union sockaddr_any peer;
	uint32_t addr; /* pool address, 0 before it is leased */
	size_t pool_range;
	struct in6_addr addr6; /* all zero: none */
	size_t pool6_range;
	time_t started;
	struct cert_identity cert;
	bool has_cert;
	struct session_counters ctr;
	const struct session_ops *ops;
	void *proto;
	struct session *next, *prev;
};

struct session_registry {
	struct session *head;
	unsigned count;
	unsigned count_by_proto[3];
};

/* Allocates and links a session with a fresh id for ops->protocol. */
struct session *session_new(struct session_registry *r, const struct session_ops *ops, void *proto);
/* Unlinks and frees (the caller releases the pool lease first). */
void session_free(struct session_registry *r, struct session *s);
struct session *session_find(struct session_registry *r, const char *id);

#endif
