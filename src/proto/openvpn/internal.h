/* Shared between engine.c (sessions, control and data channels) and
 * transport.c (sockets, framing, the UDP cookie handshake). */
#ifndef P2S_OVPN_INTERNAL_H
#define P2S_OVPN_INTERNAL_H

#include <ev.h>
#include <pthread.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "core/dplane.h"
#include "core/moderate.h"
#include "core/reaper.h"
#include "data.h"
#include "kmethod.h"
#include "lib/net.h"
#include "lib/steer.h"
#include "lib/udpbatch.h"
#include "reliable.h"
#include "replay.h"
#include "wire.h"

struct session;
struct tcp_conn;

#define OVPN_MAX_PEERS	  16384
#define OVPN_ADDR_BUCKETS 4096
#define OVPN_LAME_DUCK	  60.0

enum ks_state {
	KS_UNUSED,
	KS_TLS,	      /* handshake in progress */
	KS_KM2,	      /* TLS up, key-method 2 exchange */
	KS_AUTH_WAIT, /* credentials with an authentication server */
	KS_PUSH,      /* waiting to push (first key only) */
	KS_ACTIVE,    /* data keys installed */
};

struct ovpn_ks {
	enum ks_state state;
	uint8_t key_id;
	SSL *ssl;
	BIO *rbio; /* network -> TLS */
	BIO *wbio; /* TLS -> network */
	struct ovpn_reliable rel;
	struct ovpn_dc dc;
	double started;
	double expires; /* lame duck end, 0 = none */
	bool trimmed;	/* handshake buffers given back (ks_trim) */
};

struct ovpn_sess {
	struct ovpn_server *srv;
	struct session *s;
	struct tcp_conn *conn; /* NULL on UDP, or once the TCP connection is gone */
	bool tcp;
	union sockaddr_any peer;
	uint64_t local_sid;
	uint64_t remote_sid;
	uint32_t peer_id;
	uint32_t ta_pid; /* tls-auth replay id we send */
	uint32_t ta_time;
	struct replay_win ta_replay;
	struct ovpn_ks ks[2];
	int primary; /* index of the current key in ks[] */
	struct ovpn_peer_info pi;
	const char *cipher;
	struct ovpn_km2 km2; /* the client's, until keys are derived */
	uint8_t srv_random1[32], srv_random2[32];
	int auth_ks;	     /* the key state waiting for the auth service */
	char *auth_token;    /* pushed; proves the user on renegotiation */
	uint32_t term_cause; /* Acct-Terminate-Cause when it closes */
	bool pushed;
	bool preauth; /* holds an unauthenticated slot (UDP; TCP: its connection) */
	bool closing;
	double close_at;
	/* The data channel runs on any data-plane thread: decryption (the
	 * replay window, last_recv) under dec_mu, encryption (the packet id,
	 * last_send) under enc_mu. Keys change only on the main loop with the
	 * data-plane lock exclusive. */
	pthread_mutex_t dec_mu, enc_mu;
	double last_recv;
	double last_send;
	double reneg_at;
	ev_timer timer;
	struct ovpn_sess *hnext; /* address hash chain (UDP) */
	char label[160];	 /* "<session id> <peer>" for log lines */
};

#define UDP_BATCH 32

struct udp_in {
	uint8_t bufs[UDP_BATCH][2048];
	union sockaddr_any addrs[UDP_BATCH];
};

/* One data-plane thread's own part of the engine (dplane_self() indexes
 * srv->th): its receive slots, its send batch (through its lane's socket)
 * and scratch for plaintext and ciphertext. */
struct ovpn_thread {
	struct udp_batch q;
	struct udp_in in;
	uint8_t plain[65536];
	uint8_t cipher_out[65536 + OVPN_DATA_OVERHEAD];
};

struct udp_lane {
	struct ovpn_server *srv;
	int fd;
	unsigned index;
	struct ev_loop *loop; /* the data-plane worker's that serves it */
	ev_io io;
	ev_prepare flush;     /* its thread's send batch, before the loop sleeps */
	struct moderator mod; /* rests io between bursts */
};

struct ovpn_server {
	struct core *core;
	struct ovpn_tls_auth ta;
	uint8_t cookie_key[32];
	uint8_t hash_key[16]; /* the address table's bucket hash */
	int udp_fd;	      /* lanes[0]'s socket: sends and handshakes */
	uint16_t udp_port;    /* the port udp_fd is bound to */
	/* dataPlane.workers sockets on the UDP port, one SO_REUSEPORT group;
	 * the kernel steers P_DATA_V2 to lane peer-id % n_lanes. Lane i is
	 * served by data-plane worker i (0: the main loop). */
	struct udp_lane lanes[STEER_MAX];
	unsigned n_lanes;
	/* What each lane read (engine_ops.lane_stats), kept across a port
	 * change: bumped by the lane's worker inside its data batch, or by the
	 * main loop (a handed-over datagram), so plain counters read under the
	 * exclusive lock. crossing: data for a session another worker owns. */
	struct {
		uint64_t data, crossing, control;
	} lane_ctr[STEER_MAX];
	/* TCP connections moved to worker i: data packets handled
	 * there, packets handed to the main loop, waits for room in the ring
	 * (bumped by the worker inside its batches, read under the lock);
	 * connections it owns now and moved to it in all (the main loop's). */
	struct {
		uint64_t data, handoff, waits;
		uint64_t streams, moved;
	} tcp_ctr[DP_MAX];
	struct ovpn_sess *by_peer_id[OVPN_MAX_PEERS];
	uint32_t next_peer_id;
	struct ovpn_sess *by_addr[OVPN_ADDR_BUCKETS];
	double last_hmac_warn;
	unsigned hmac_drops;
	/* Writes are gathered during a loop iteration and flushed before it
	 * sleeps: one writev/sendmmsg instead of a syscall per packet. */
	ev_prepare flush_w;
	struct tcp_conn *dirty; /* TCP connections with queued bytes */
	/* Moved TCP connections let go, freed by the reaper (the main loop's
	 * idle turn) with one data-plane pause for all of them. */
	struct tcp_conn *reap;
	struct reaper reaper;
	struct ovpn_thread *th[DP_MAX + 1]; /* per data-plane thread, main loop's last */
};

/* The calling data-plane thread's buffers. */
static inline struct ovpn_thread *ovpn_th(struct ovpn_server *srv)
{
	return srv->th[dplane_self()];
}

/* auth.c: the client's key-method 2 message; decides, possibly later. */
void ovpn_auth_km2(struct ovpn_sess *os, struct ovpn_ks *ks, const uint8_t *p, size_t n);
void ovpn_auth_free(struct ovpn_sess *os);

/* engine.c */
/* Tells the client AUTH_FAILED and closes (the refusal was logged). */
void ovpn_auth_failed(struct ovpn_sess *os, struct ovpn_ks *ks, const char *why);
/* The same with another message than AUTH_FAILED (a dynamic challenge). */
void ovpn_auth_failed_msg(struct ovpn_sess *os, struct ovpn_ks *ks, const char *why,
			  const char *msg);
/* Authentication succeeded: answer key-method 2, then push or rekey. */
void ovpn_auth_done(struct ovpn_sess *os, struct ovpn_ks *ks, bool first);
struct ovpn_sess *ovpn_sess_new(struct ovpn_server *srv, const union sockaddr_any *peer,
				struct tcp_conn *conn, uint64_t local_sid, bool after_cookie);
/* 0 when the packet authenticated (used for UDP float), else negative. */
int ovpn_sess_input(struct ovpn_sess *os, const uint8_t *pkt, size_t len);
void ovpn_sess_close(struct ovpn_sess *os, const char *reason);
double ovpn_now(struct ovpn_server *srv);

/* transport.c */
void ovpn_transport_send(struct ovpn_sess *os, const uint8_t *pkt, size_t len, bool data);
void ovpn_transport_detach(struct ovpn_sess *os); /* session is going away */
/* The session is admitted (or ends): its unauthenticated slot goes back. */
void ovpn_transport_preauth_done(struct ovpn_sess *os);
void ovpn_addr_insert(struct ovpn_server *srv, struct ovpn_sess *os);
void ovpn_addr_remove(struct ovpn_server *srv, struct ovpn_sess *os);
struct ovpn_sess *ovpn_addr_lookup(struct ovpn_server *srv, const union sockaddr_any *a);
/* The UDP socket: opened, or re-bound when udpPort changed. */
int ovpn_transport_open(struct ovpn_server *srv);
void ovpn_transport_close(struct ovpn_server *srv);
bool ovpn_transport_lane_stats(const struct ovpn_server *srv, unsigned i, struct lane_stats *out);
/* A connection from the shared TCP port (the core peeked a client reset). */
void ovpn_transport_adopt(struct ovpn_server *srv, int fd, const union sockaddr_any *peer);
const char *ovpn_ctl_error(const struct ovpn_server *srv, int r);
/* tcp.c: a connection's send queue (any thread; P2S_E_FULL beyond its
 * limits), the main loop's flush before it sleeps, the end of its session
 * (what is queued goes out, then it closes). */
int ovpn_tcp_send(struct tcp_conn *c, const uint8_t *pkt, size_t len, bool data);
void ovpn_tcp_flush_dirty(struct ovpn_server *srv);
void ovpn_tcp_detach(struct tcp_conn *c);
/* The engine stops: the connections waiting for the reaper are freed. */
void ovpn_tcp_reap_all(struct ovpn_server *srv);
/* The session's first key is active and pushed: with workers, the
 * connection moves to one. */
void ovpn_tcp_session_up(struct tcp_conn *c);
/* True (and its peer) if it still held the unauthenticated slot. */
bool ovpn_tcp_preauth_done(struct tcp_conn *c, union sockaddr_any *peer);
/* Rate-limited warning for packets dropped before any session exists. */
void ovpn_warn_drop(struct ovpn_server *srv, const union sockaddr_any *from, const char *why);

#endif
