/* IKEv2 engine internals shared by the exchange files. One struct ike_sa
 * per IKE SA (owned by the engine's list, freed by ike_sa_free), holding at
 * most one live CHILD SA plus the one it replaces during a rekey. The
 * session (core registry) exists from IKE_AUTH on and belongs to the SA. */
#ifndef P2S_IKE_INTERNAL_H
#define P2S_IKE_INTERNAL_H

#include <ev.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "core/dplane.h"
#include "core/moderate.h"
#include "esp.h"
#include "keys.h"
#include "lib/net.h"
#include "lib/steer.h"
#include "lib/udpbatch.h"
#include "sa.h"
#include "wire.h"

#define IKE_HASH_BUCKETS     1024
#define IKE_HALF_OPEN_TTL    30.0 /* s before a half-open SA is dropped */
#define IKE_AUTH_TTL	     60.0 /* s to complete IKE_AUTH (EAP included) */
#define IKE_COOKIE_THRESHOLD 64	  /* half-open SAs before cookies are asked */
#define IKE_DPD_IDLE	     30.0 /* s of silence before we probe */
#define IKE_DPD_RETRY	     5.0
#define IKE_DPD_TRIES	     5
#define IKE_FRAG_SIZE	     1200 /* bytes of IKE message per fragment we send */
#define IKE_MAX_FRAGS	     32
#define IKE_BUF		     (IKE_MAX_MSG + 64)

enum ike_state {
	IKE_ST_HALF_OPEN, /* IKE_SA_INIT answered */
	IKE_ST_AUTHING,	  /* IKE_AUTH under way */
	IKE_ST_AUTH_WAIT, /* the auth service is deciding */
	IKE_ST_EAP,	  /* relaying EAP to RADIUS */
	IKE_ST_EAP_DONE,  /* EAP succeeded: waiting for the client's AUTH */
	IKE_ST_ESTABLISHED,
	IKE_ST_DEAD, /* freed on the next tick */
};

struct ike_sa;

/* The ESP states' mutable data-plane parts (replay window, outbound
 * sequence number, counters) are written by ike_child_esp_open and
 * ike_child_esp_seal alone (engine.c), each under its SA's lock (struct
 * ike_engine's dec_mu/enc_mu), from any data-plane thread. Everything
 * else (install, the copy to old_child on a rekey, clear) happens on the
 * main loop with the data-plane lock exclusive: no worker is in a batch. */
struct ike_child {
	bool live;
	uint32_t spi_in, spi_out; /* ours (the client sends to it), the client's */
	struct ike_suite suite;
	struct esp_sa in, out;
	struct ike_sa *ike;
	struct ike_child *hnext; /* engine's SPI hash */
	double created;
	double expires;		   /* 0: none; an old SA kept briefly after a rekey */
	struct ike_ts_list ti, tr; /* as agreed, from the client's side */
};

/* A CHILD or IKE SA rekey we started (lifetime or data volume reached). */
struct ike_rekey {
	bool active;
	bool ike;   /* the IKE SA itself (spi_ike, suite) rather than the CHILD SA */
	bool stale; /* the client rekeyed the same SA meanwhile: ours is surplus */
	uint32_t msg_id;
	uint32_t spi_in;
	uint64_t spi_ike;	/* our SPI of the new IKE SA */
	struct ike_suite suite; /* the IKE proposal we made */
	uint8_t ni[IKE_NONCE_LEN];
	struct ike_dh dh;
	double next_try;
};

/* The client's rekey of this IKE SA, kept on the old one: if ours was under
 * way too, the lower nonces decide which new SA survives (RFC 7296 §2.8.2). */
struct ike_peer_rekey {
	bool done;
	uint64_t spi_i, spi_r; /* the successor it made */
	uint8_t low[256];      /* the lower of its two nonces */
	size_t low_len;
};

/* A message being reassembled from SKF fragments (RFC 7383). */
struct ike_frags {
	uint32_t msg_id;
	uint16_t total, have;
	uint8_t first_type;
	uint8_t *part[IKE_MAX_FRAGS];
	size_t len[IKE_MAX_FRAGS];
};

struct ike_sa {
	struct ike_engine *e;
	struct ike_sa *next, *prev; /* engine list */
	struct ike_sa *hnext;	    /* engine hash by spi_r */
	enum ike_state state;
	uint64_t spi_i, spi_r;
	/* We are this IKE SA's original initiator (we rekeyed it): the I flag,
	 * the SK_*i keys for what we send. */
	bool initiator;
	bool closing; /* replaced: our Delete is out, the SA goes with its answer */
	/* The address families the client asked for and got in CP (IKE_FAM_*):
	 * its selectors and CP reply carry only those. */
	uint8_t fam;
	union sockaddr_any peer;
	bool natt; /* talk on 4500 (with the marker) */
	double created, last_rx;
	struct ike_suite suite;
	struct ike_keys keys;
	uint8_t ni[256], nr[IKE_NONCE_LEN];
	size_t ni_len;
	uint8_t *init_req, *init_resp; /* the IKE_SA_INIT messages, for AUTH */
	size_t init_req_len, init_resp_len;
	/* Requests from the initiator: the next expected id and our cached
	 * answer to the previous one (resent verbatim on a retransmit). */
	uint32_t rx_mid;
	uint8_t *resp[IKE_MAX_FRAGS];
	size_t resp_len[IKE_MAX_FRAGS], n_resp;
	/* Our own requests (DPD, delete). */
	uint32_t tx_mid;
	bool tx_pending;
	double tx_at;
	int tx_tries;
	uint8_t *req;
	size_t req_len;
	/* What the initiator announced. */
	bool peer_sig_hash, peer_frag, peer_mobike;
	struct ike_frags frags;
	/* IKE_AUTH in progress: the decrypted request, kept while the auth
	 * service decides (EAP: the first request, for CP/SA/TS). */
	uint8_t *auth_req;
	size_t auth_req_len;
	uint8_t auth_first;
	uint8_t idi_body[1024];
	size_t idi_len;
	uint8_t msk[64];
	size_t msk_len;
	bool eap;
	struct session *s;
	struct ike_child child, old_child;
	struct ike_rekey rk;
	struct ike_peer_rekey peer_rk;
	uint16_t rekey_refusal; /* the client's answer to our last IKE rekey (0: none) */
	double rekey_first;	/* when we first tried to rekey this IKE SA */
	char label[80];		/* session id, or the peer before there is one */
	char peer_cert[256];	/* the client certificate's subject, for the log */
};

#define IKE_RX_BATCH 16

/* Receive slots, each large enough for a whole unfragmented IKE message
 * (pages are touched only as far as datagrams fill them). */
struct ike_rx {
	uint8_t buf[IKE_RX_BATCH][IKE_BUF];
	union sockaddr_any from[IKE_RX_BATCH];
};

/* One socket of the 4500 group (dataPlane.workers of them, steered by
 * SPI; lane 0 also takes IKE and keepalives), served by data-plane worker
 * `index` (the main loop when off): its own receive slots; its counters
 * are atomic (the main loop bumps them for what a lane hands over). */
struct esp_lane {
	struct ike_engine *e;
	int fd;
	unsigned index;
	struct ev_loop *loop; /* dplane_loop(index) */
	ev_io io;
	ev_prepare flush;     /* its thread's ESP send batch, before the loop sleeps */
	struct moderator mod; /* rests io between bursts */
	struct ike_rx *rx;
	uint64_t rx_esp;   /* authenticated ESP packets read by this lane */
	uint64_t rx_cross; /* ... of SAs another lane owns */
	uint64_t rx_ike;   /* IKE messages and keepalives (lane 0's alone) */
	uint64_t handed;   /* datagrams handed to the main loop */
};

/* One data-plane thread's scratch (dplane_self() indexes ike_engine.th):
 * its ESP send batch (through its lane's socket; the main loop's through
 * lane 0's) and plaintext and ciphertext buffers. */
struct ike_thread {
	struct udp_batch q;
	uint8_t pt[IKE_BUF];
	uint8_t tx[IKE_BUF];
};

/* An IKE message on 4500 too long for a hand-off slot (RING_DATA): kept
 * here until the main loop takes it. */
#define IKE_BIG_MAX 8
struct ike_big {
	union sockaddr_any from;
	uint8_t *p;
	size_t len;
};

/* Per-SA ESP locks, found by SPI: a CHILD SA is copied (to old_child on a
 * rekey, to the new IKE SA on an IKE rekey) and its SPIs are what stays. */
#define IKE_ESP_LOCKS 256

struct ike_engine {
	struct core *core;
	int fd500, fd4500; /* fd4500: lanes[0]'s socket, which sends for all */
	ev_io io500;
	ev_timer tick;
	struct ike_policy pol;
	struct ike_sa *head;
	struct ike_sa *by_spi[IKE_HASH_BUCKETS];
	struct ike_child *by_esp[IKE_HASH_BUCKETS];
	unsigned half_open;
	/* IKE_SA_INIT requests in the current second: a burst costs DH work
	 * even when no state survives, so it also turns cookies on. */
	double init_second;
	unsigned init_count;
	double last_refusal_log;  /* peer refusals are logged at most once a second */
	uint8_t certreq[20 * 16]; /* SHA-1 of each uploaded root's SubjectPublicKeyInfo */
	size_t certreq_len;
	uint8_t cookie_secret[32];
	uint32_t cookie_version;
	uint16_t port500, port4500;
	/* ESP out: queued per loop iteration and thread, a super-packet's
	 * segments to one client as one UDP GSO send. The main loop flushes
	 * its own slot (the last) here, each lane its thread's. */
	struct ike_thread *th[DP_MAX + 1];
	ev_prepare flush;
	/* UDP 4500: one socket, or dataPlane.workers as a steered reuseport
	 * group; lane i on data-plane worker i. */
	struct esp_lane lanes[STEER_MAX];
	unsigned n_lanes;
	pthread_mutex_t dec_mu[IKE_ESP_LOCKS]; /* by our SPI: replay window, last_rx */
	pthread_mutex_t enc_mu[IKE_ESP_LOCKS]; /* by the client's: sequence number */
	pthread_mutex_t big_mu;
	struct ike_big big[IKE_BIG_MAX];
	unsigned n_big;
	uint8_t rx[IKE_BUF], tx[IKE_BUF], pt[IKE_BUF], inner[IKE_BUF];
};

/* engine.c */
double ike_now(struct ike_engine *e);
void ike_send_raw(struct ike_sa *sa, const uint8_t *msg, size_t len);
void ike_sendto(struct ike_engine *e, bool natt, const union sockaddr_any *to, const uint8_t *msg,
		size_t len);
struct ike_sa *ike_sa_new(struct ike_engine *e, const union sockaddr_any *peer, bool natt);
void ike_sa_hash(struct ike_sa *sa);
void ike_sa_kill(struct ike_sa *sa, const char *why);
void ike_sa_free(struct ike_sa *sa);
struct ike_sa *ike_sa_find(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r);
void ike_child_hash(struct ike_child *c);
void ike_child_unhash(struct ike_child *c);
void ike_child_clear(struct ike_child *c);
/* The lane that will own a new session's CHILD SAs: the least loaded. */
unsigned ike_lane_pick(struct ike_engine *e);
/* A fresh inbound SPI for the SA's lane (0: none free). */
uint32_t ike_child_spi_new(struct ike_sa *sa);
extern const struct session_ops ike_session_ops;

/* ikesa.c: protected messages of an established SA */
/* Builds and sends a response (or, with request, one of our requests) whose
 * SK carries the inner chain `inner` (first payload type `first`); the
 * response is cached for retransmits. */
int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool request, uint32_t msg_id,
		       uint8_t first, const uint8_t *inner, size_t inner_len);
/* A cleartext answer to IKE_SA_INIT (or error notify). */
void ike_send_clear_notify(struct ike_engine *e, bool natt, const union sockaddr_any *to,
			   const struct ike_hdr *req, uint16_t type, const void *data, size_t len);
/* Decrypts an SK message or collects an SKF fragment: 1 when a whole inner
 * chain is ready in e->pt (*first, *len), 0 when waiting for fragments,
 * negative on error. */
int ike_open_protected(struct ike_sa *sa, const struct ike_msg *m, uint8_t *first, size_t *len);
void ike_frags_clear(struct ike_frags *f);
void ike_resp_clear(struct ike_sa *sa);

/* exch_init.c */
/* NAT_DETECTION_SOURCE/DESTINATION_IP as we send them (we always look
 * NATed, so ESP is UDP-encapsulated). */
void ike_natd_notifies(struct ike_sa *sa, struct ike_builder *b);
void ike_exch_init(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		   bool natt);
/* cookie.c */
void ike_cookie_make(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		     const uint8_t *ni, size_t ni_len, uint8_t out[36]);
bool ike_cookie_check(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		      const uint8_t *ni, size_t ni_len);

/* exch_auth.c */
void ike_exch_auth(struct ike_sa *sa, const struct ike_hdr *h, uint8_t first, const uint8_t *inner,
		   size_t len);
void ike_auth_fail(struct ike_sa *sa, uint16_t notify, const char *why);
/* Writes [IDr, CERT...,] AUTH for our side. */
int ike_auth_ours(struct ike_sa *sa, struct ike_builder *b, bool with_msk);
void ike_auth_finish(struct ike_sa *sa, bool with_msk);

/* auth_sig.c: the AUTH payloads (RFC 7296 §2.15-2.16, RFC 7427) */
/* The initiator's AUTH: a signature by leaf, or (leaf NULL) the MSK MAC.
 * NULL when it verifies, else why not. */
const char *ike_auth_verify(struct ike_sa *sa, const struct ike_auth *a, X509 *leaf);
int ike_auth_sign_id(struct ike_sa *sa, const uint8_t *idr, size_t idr_len, bool with_msk,
		     struct ike_builder *b);

/* eap.c: EAP relayed to RADIUS */
void ike_eap_start(struct ike_sa *sa);
void ike_eap_continue(struct ike_sa *sa, const struct ike_chain *c);
void ike_eap_final(struct ike_sa *sa, const struct ike_chain *c);

/* cp.c: configuration payload and traffic selectors */
/* The reply from net, as the engine filtered it to what the client asked
 * (net->addr 0: no IPv4; has_v6 false: no IPv6). */
void ike_cp_reply(struct ike_builder *b, const struct ike_cp *req, const struct session_net *net);
bool ike_cp_asked(const struct ike_cp *req, uint16_t type);
/* Narrows the client's selectors: TSi to its address, TSr to the routes.
 * false when nothing fits (TS_UNACCEPTABLE). */
bool ike_ts_narrow(const struct ike_ts_list *tsi, const struct ike_ts_list *tsr,
		   const struct session_net *net, struct ike_ts_list *out_i,
		   struct ike_ts_list *out_r);

/* exch_child.c */
enum { IKE_FAM_V4 = 1, IKE_FAM_V6 = 2 };
/* session_net() limited to the families the client was given (sa->fam). */
int ike_session_net(const struct ike_sa *sa, struct session_net *net);
/* Chooses the ESP proposal, makes SPIs and keys, installs the CHILD SA and
 * writes SA, TSi, TSr (IKE_AUTH and CREATE_CHILD_SA). Returns a notify
 * type on failure (0: fine). */
uint16_t ike_child_setup(struct ike_sa *sa, struct ike_child *c, const struct ike_chain *ch,
			 const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
			 const uint8_t *nr, size_t nr_len, bool in_auth, struct ike_builder *b);
void ike_exch_child(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
/* Starts our own CHILD rekey when the policy's lifetime or data volume is
 * reached (or the sequence number nears its end); the answer comes to
 * ike_child_rekey_done. */
void ike_child_rekey_tick(struct ike_sa *sa, double now);
void ike_child_rekey_done(struct ike_sa *sa, const struct ike_chain *c);
void ike_rekey_clear(struct ike_rekey *rk);
/* An answer to a CREATE_CHILD_SA request: error notify or SA, nonce, KE. */
void ike_answer_notify(struct ike_sa *sa, const struct ike_hdr *h, uint16_t type, const void *data,
		       size_t len);

/* ikerekey.c: rekeying the IKE SA (RFC 7296 §2.8, §2.18) */
/* The nonces and our Diffie-Hellman half of a CREATE_CHILD_SA request. */
struct rekey_in {
	const uint8_t *ni;
	size_t ni_len;
	struct ike_ke ke;
	bool has_ke;
	uint8_t nr[IKE_NONCE_LEN];
	uint8_t gir[IKE_MAX_DH];
	size_t gir_len;
	uint8_t ke_out[IKE_MAX_DH];
	size_t ke_out_len;
};
uint16_t ike_rekey_dh(struct rekey_in *r, uint16_t g);
void ike_put_nonce_ke(struct ike_builder *b, const struct rekey_in *r, uint16_t g);
/* The client rekeys the IKE SA: the new one takes the session and CHILD SAs. */
void ike_rekey_ike_answer(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *ch,
			  struct rekey_in *r);
/* Our own IKE SA rekey at 90% of ikev2.ikeSaLifetimeSeconds; an SA that
 * reaches the whole lifetime unrekeyed is closed with the reason. */
void ike_rekey_ike_tick(struct ike_sa *sa, double now);
void ike_rekey_ike_done(struct ike_sa *sa, const struct ike_chain *c);
/* The client's rekey of sa crossed ours and now stands (its Delete of sa
 * came, or ours failed): the session moves to its new SA. false if none. */
bool ike_rekey_ike_handover(struct ike_sa *sa);
/* The session and CHILD SAs move from old to n. */
void ike_sa_move_children(struct ike_sa *old, struct ike_sa *n);

/* exch_info.c */
void ike_exch_info(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void ike_info_response(struct ike_sa *sa, const struct ike_hdr *h);
void ike_dpd_tick(struct ike_sa *sa, double now);
/* Sends one of our requests (one outstanding at a time: check tx_pending). */
void ike_send_request(struct ike_sa *sa, uint8_t exchange, uint8_t first, const uint8_t *inner,
		      size_t len);
void ike_send_delete_child(struct ike_sa *sa, uint32_t spi_in);
/* Tells the client the IKE SA is gone (Delete, not waiting for an answer). */
void ike_send_delete_ike(struct ike_sa *sa);

#endif
