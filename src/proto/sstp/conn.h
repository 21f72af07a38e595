/* One SSTP connection: shared by engine.c (TLS, HTTP, SSTP messages),
 * call.c (PPP, authentication, crypto binding) and eaptls.c. Owned by its
 * engine's list; freed only from the deferred reaper, so callbacks may
 * close a connection while it is on the stack. */
#ifndef P2S_SSTP_CONN_H
#define P2S_SSTP_CONN_H

#include <ev.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/service.h"
#include "core/core.h"
#include "core/dplane.h"
#include "core/reaper.h"
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
#define SSTP_REAP_LATE	   0.25	      /* dead connections wait at most this */

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
	/* On a data-plane worker (dataPlane.workers > 1, once CONNECTED; set
	 * on the main loop holding the lock exclusively): io, retry and every
	 * SSL call belong to worker s->worker's thread; in is that thread's
	 * alone; out is shared under mu (any thread appends, the owner writes
	 * it out). The main loop keeps the timers and the control side. */
	pthread_mutex_t mu;
	bool migrate;	  /* CONNECTED: moved at the loop iteration's end */
	bool on_worker;	  /* moved */
	unsigned owner;	  /* the worker */
	bool w_junk;	  /* owner: a bad SSTP header was seen, input is dropped */
	bool w_done;	  /* owner: EOF or a TLS error, nothing more is read */
	bool w_flushed;	  /* owner: close_on_flush's write is done (reported) */
	uint32_t w_event; /* owner: an event the main loop has not taken yet */
	int rx_seen;	  /* atomic: the owner read something (the hello timer) */
	ev_timer retry;	  /* owner's loop: the ring was full, consume later */
	struct dp_call start_call, flush_call;
};

struct sstp_engine {
	struct core *core;
	struct sstp_conn *conns;
	unsigned n_conns;
	struct reaper reaper; /* dead connections, freed together */
	/* Data frames are gathered per loop iteration and written in one TLS
	 * write per connection (a burst's records in one send). */
	ev_prepare flush;
	unsigned flush_pending;
	double hello_s;
	/* Per worker: streams it owns now (main loop), streams moved to it
	 * (main loop), SSTP packets it forwarded itself and copied to the main
	 * loop (its own thread, inside batches). */
	unsigned streams[DP_MAX];
	uint64_t moved[DP_MAX], fast[DP_MAX], handed[DP_MAX];
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

/* Writes what TLS takes of out now (mu held when on a worker); negative on
 * a fatal error. */
int sstp_tls_write(struct sstp_conn *c);
/* One SSTP packet, or an event, a worker copied to the main loop (ring_fn). */
enum { SSTP_W_PKT, SSTP_W_EOF, SSTP_W_BADHDR, SSTP_W_FLUSHED };
void sstp_from_worker(void *owner, uint32_t tag, const union sockaddr_any *from, const uint8_t *p,
		      size_t n);

/* worker.c: the data path of a call moved to a data-plane worker. */
void sstp_worker_init(struct sstp_conn *c);
/* From the main loop (exclusive), a CONNECTED call: to the least-loaded
 * worker. */
void sstp_worker_move(struct sstp_conn *c);
/* Asks the owner to write out (from any thread). */
void sstp_worker_kick(struct sstp_conn *c);
/* Takes the call off its worker's loop; the workers are paused (or
 * stopped). */
void sstp_worker_detach(struct sstp_conn *c);
bool sstp_lane_stats(const struct engine *e, unsigned i, struct lane_stats *out);

/* call.c */
void sstp_call_start(struct sstp_conn *c);
void sstp_call_data(struct sstp_conn *c, const uint8_t *frame, size_t len);
/* On the owning worker: forwards frame if it is IPv4 or IPv6 data of a
 * CONNECTED call; false: the main loop must see it. */
bool sstp_call_fast(struct sstp_conn *c, const uint8_t *frame, size_t len);
void sstp_call_connected(struct sstp_conn *c, const uint8_t *pkt, const struct sstp_ctrl *m);
void sstp_call_ppp_timer(struct sstp_conn *c);
/* The authentication verdict for the PPP link (auth_step's callback). */
void sstp_call_auth_done(struct session *s, const struct auth_result *r);
extern const struct session_ops sstp_session_ops;

/* eaptls.c: EAP-TLS terminated by the gateway (Certificate authentication). */
void sstp_eaptls_input(struct sstp_conn *c, const char *identity, const uint8_t *pkt, size_t len);
void sstp_eaptls_free(struct sstp_eaptls *t);

#endif
