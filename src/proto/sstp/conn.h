/* One SSTP connection: shared by engine.c (TLS, HTTP, SSTP messages),
 * call.c (PPP, authentication, crypto binding) and eaptls.c. Owned by its
 * engine's list; freed only from the deferred reaper, so callbacks may
 * close a connection while it is on the stack. */
#ifndef P2S_SSTP_CONN_H
#define P2S_SSTP_CONN_H

#include <ev.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/service.h"
#include "core/core.h"
#include "proto/ppp/ppp.h"
#include "proto/sstp/binding.h"
#include "proto/sstp/http.h"
#include "proto/sstp/wire.h"

/* [MS-SSTP] 3.1.2 and 3.3.2: negotiation and hello timers, seconds. */
#define SSTP_NEGOTIATION_S 60
#define SSTP_HELLO_S	   60
#define SSTP_DISCONNECT_S  5
#define SSTP_ABORT_S	   3
#define SSTP_TLS_START_S   0.01
#define SSTP_OUT_MAX	   (4u << 20) /* queued TLS output before data is dropped */

enum sstp_state {
	SSTP_ST_TLS,	     /* TLS handshake */
	SSTP_ST_HTTP,	     /* waiting for the request head */
	SSTP_ST_CONNECT_REQ, /* waiting for CALL_CONNECT_REQUEST */
	SSTP_ST_PENDING,     /* PPP runs; waiting for CALL_CONNECTED */
	SSTP_ST_CONNECTED,   /* binding verified */
	SSTP_ST_CLOSING,     /* flushing a last message, then close */
};

struct sstp_engine;
struct sstp_eaptls;

struct sstp_conn {
	struct sstp_engine *eng;
	struct sstp_conn *next, *prev;
	int fd;
	SSL *ssl;
	ev_io io;
	ev_timer neg_timer; /* the current state's deadline */
	ev_timer ppp_timer; /* PPP restart */
	ev_timer hello;
	ev_timer tls_start; /* the handshake's first step, a moment late */
	enum sstp_state st;
	bool dead;	     /* closed: the reaper frees it */
	bool close_on_flush; /* close once out is written */
	bool flush_pending;  /* data queued in out: written at the loop iteration's end */
	bool echo_out;	     /* our ECHO_REQUEST is unanswered */
	unsigned nak_count;
	struct session *s;
	union sockaddr_any peer;
	bool preauth; /* holds one of the core's unauthenticated slots */
	struct ppp ppp;
	bool ppp_started;
	/* TLS plaintext in and out */
	uint8_t in[SSTP_HTTP_MAX + 2 * SSTP_MAX_PKT];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_cap;
	/* crypto binding */
	struct sstp_binding_ctx bind;
	uint8_t hlak[SSTP_HLAK_LEN], hlak_alt[SSTP_HLAK_LEN];
	bool have_keys, have_alt;
	uint8_t connected[SSTP_CONNECTED_LEN];
	struct sstp_ctrl connected_msg;
	bool connected_pending;
	bool bound;
	bool auth_pending;
	struct sstp_eaptls *eaptls;
};

struct sstp_engine {
	struct core *core;
	struct sstp_conn *conns;
	unsigned n_conns;
	ev_idle reaper;
	/* Data frames are gathered per loop iteration and written in one TLS
	 * write per connection (a burst's records in one send). */
	ev_prepare flush;
	unsigned flush_pending;
};

/* engine.c */
void sstp_conn_write(struct sstp_conn *c, const uint8_t *p, size_t len, bool droppable);
void sstp_conn_send_ctrl_status(struct sstp_conn *c, enum sstp_msg type, uint8_t attr,
				uint32_t status);
/* Ends the call: tells the client (CALL_DISCONNECT or CALL_ABORT), ends the
 * session with cause, closes once flushed. */
void sstp_conn_finish(struct sstp_conn *c, bool abort, uint32_t cause, const char *reason);
void sstp_conn_close(struct sstp_conn *c);
/* Gives the unauthenticated slot back (admitted, or going away); once. */
void sstp_conn_preauth_put(struct sstp_conn *c);
void sstp_conn_arm(struct sstp_conn *c, ev_timer *t, double secs);
const char *sstp_conn_sid(const struct sstp_conn *c);

/* call.c */
void sstp_call_start(struct sstp_conn *c);
void sstp_call_data(struct sstp_conn *c, const uint8_t *frame, size_t len);
void sstp_call_connected(struct sstp_conn *c, const uint8_t *pkt, const struct sstp_ctrl *m);
void sstp_call_ppp_timer(struct sstp_conn *c);
/* The authentication verdict for the PPP link (auth_step's callback). */
void sstp_call_auth_done(struct session *s, const struct auth_result *r);
extern const struct session_ops sstp_session_ops;

/* eaptls.c: EAP-TLS terminated by the gateway (Certificate authentication). */
void sstp_eaptls_input(struct sstp_conn *c, const char *identity, const uint8_t *pkt, size_t len);
void sstp_eaptls_free(struct sstp_eaptls *t);

#endif
