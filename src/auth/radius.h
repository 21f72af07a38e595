/* A RADIUS client on the event loop: authentication (PAP, EAP pass-through
 * attributes) and accounting, with retransmission of identical bytes,
 * fail-over by score, dead-server marking, and checked replies. It never
 * blocks: results arrive by callback. */
#ifndef P2S_RADIUS_H
#define P2S_RADIUS_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "radius_wire.h"

struct radius_client;
struct radius_req;

/* Refusal is the zero value: only an Access-Accept accepts (fail closed). */
enum radius_status { RADIUS_REJECT, RADIUS_ACCEPT, RADIUS_CHALLENGE, RADIUS_TIMEOUT };

#define RADIUS_EAP_MAX 4096

struct radius_result {
	enum radius_status status;
	uint32_t framed_ip;	  /* 0 = none, or the NAS chooses */
	uint32_t session_timeout; /* seconds, 0 = none */
	uint8_t class_[253];
	size_t class_len;
	char reply_message[254];
	char policy_id[254]; /* MS-Azure-Policy-ID: the user's group */
	uint8_t state[253];
	size_t state_len;
	uint8_t eap[RADIUS_EAP_MAX]; /* EAP-Message attributes, joined */
	size_t eap_len;
	uint8_t mppe_send[64]; /* MS-MPPE keys, decrypted (EAP: the MSK halves) */
	uint8_t mppe_recv[64];
	size_t mppe_send_len, mppe_recv_len;
	char mschap2_success[64]; /* "S=<40 hex>", ident byte stripped */
	const char *server;	  /* which server answered, for the log */
};

typedef void (*radius_cb)(void *arg, const struct radius_result *res);

/* What describes one user's request, kept to rebuild it for another server. */
struct radius_auth_req {
	const char *user;
	const char *password; /* PAP, or NULL */
	const uint8_t *eap;   /* an EAP packet to pass through, or NULL */
	size_t eap_len;
	const uint8_t *state; /* State from the Access-Challenge answered */
	size_t state_len;
	const uint8_t *mschap_challenge; /* 16 bytes, or NULL */
	const uint8_t *mschap_response;	 /* 50 bytes (RFC 2548 MS-CHAP2-Response) */
	const char *calling_station;	 /* client public address */
	const char *called_station;	 /* gateway address */
	const char *session_id;		 /* Acct-Session-Id */
};

struct radius_acct {
	uint32_t status_type; /* 1 Start, 2 Stop, 3 Interim-Update */
	const char *user;
	const char *session_id;
	const char *calling_station;
	uint32_t framed_ip;
	const uint8_t *class_;
	size_t class_len;
	uint64_t in_octets, out_octets, in_packets, out_packets;
	uint32_t session_time;
	uint32_t terminate_cause; /* Stop only */
};

/* Servers from conf (radiusServers or radiusServerAddress); NULL when none. */
struct radius_client *radius_client_new(struct ev_loop *loop, const struct gw_conf *c);
void radius_client_free(struct radius_client *rc);
/* Where round-trip times and timeouts are counted (the core's stats). */
struct stats;
void radius_client_set_stats(struct radius_client *rc, struct stats *st);

/* Starts an authentication; the callback runs exactly once unless cancelled. */
struct radius_req *radius_auth(struct radius_client *rc, const struct radius_auth_req *r,
			       radius_cb cb, void *arg);
/* The session went away first: no callback will run. */
void radius_cancel(struct radius_req *req);
/* Sends an accounting record; retransmitted until answered or timed out. */
void radius_account(struct radius_client *rc, const struct radius_acct *a);

/* Told of every accounted session the client starts, updates and stops, with the
 * server its Start went to (the secret there is a handle under privilege
 * separation): the key process sends the Stops of sessions the network
 * process takes with it when it dies. NULL: nobody is told. */
struct radius_acct_hook {
	void (*started)(const struct radius_acct *a, const char *secret,
			const struct sockaddr_in *acct_addr, uint32_t nas_ip, const char *nas_id);
	/* Its Stop was answered, given up or dropped: forgotten. */
	void (*stopped)(const char *session_id);
	/* An Interim-Update's counters (a crash's Stop carries the last ones),
	 * or the Stop being sent (status_type 2): a crash before it is answered
	 * sends that Stop again. */
	void (*updated)(const struct radius_acct *a);
};
extern const struct radius_acct_hook *radius_acct_hook;

/* Acct-Terminate-Cause values. */
#define RAD_TERM_USER_REQUEST	 1
#define RAD_TERM_LOST_CARRIER	 2
#define RAD_TERM_IDLE_TIMEOUT	 4
#define RAD_TERM_SESSION_TIMEOUT 5
#define RAD_TERM_ADMIN_RESET	 6
#define RAD_TERM_NAS_ERROR	 9
#define RAD_TERM_NAS_REQUEST	 10

#endif
