/* bench/loadgen: thousands of OpenVPN clients (UDP or TCP, tls-auth, a client
 * certificate, key-method 2, TLS-EKM data keys, AES-256-GCM P_DATA_V2) from
 * one process and one thread, for the gateway's scale benchmark and lab.
 * The protocol pieces are the gateway's own codecs used from the client
 * side; this directory holds only the client state machine and the loop. */
#ifndef P2S_LOADGEN_H
#define P2S_LOADGEN_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/openvpn/data.h"
#include "proto/openvpn/push.h"
#include "proto/openvpn/reliable.h"
#include "proto/openvpn/wire.h"

enum lc_state {
	LC_IDLE,   /* not started, or waiting to start again */
	LC_RESET,  /* hard reset sent, waiting for the server's */
	LC_TLS,	   /* TLS handshake */
	LC_KM2,	   /* our key-method 2 sent, waiting for the server's */
	LC_PUSH,   /* waiting for PUSH_REPLY */
	LC_UP,	   /* data keys installed */
	LC_CLOSED, /* said goodbye (exit notify) */
};

struct lg_client {
	struct lg *lg;
	int idx;
	int fd;
	enum lc_state st;
	bool confirmed; /* the server answered past its stateless reset */
	uint64_t sid, remote_sid;
	uint32_t ta_pid;
	SSL *ssl;
	BIO *rbio, *wbio;
	struct ovpn_reliable rel;
	struct ovpn_dc dc;
	struct ovpn_push_client push;
	double t_start, t_up, last_recv, next_ping, next_icmp, push_req_at;
	uint16_t icmp_seq;
	/* --tcp: the stream's partial frame; a send that did not take a
	 * whole frame broke it. */
	uint8_t in[2 + 4096];
	size_t in_len;
	bool broken;
};

#define LG_RTT_BUCKETS 20000 /* 10 µs each: 0..200 ms */

struct lg_stats {
	uint64_t attempts, admitted, failed, lost, refused;
	uint64_t pings_tx, pings_rx, icmp_tx, icmp_rx, bad_pkts;
	uint32_t rtt_hist[LG_RTT_BUCKETS + 1];
};

struct lg {
	/* options */
	struct sockaddr_in server, bind;
	int n_clients, concurrency;
	double hold, ramp_limit, hs_timeout, ping_sec, icmp_rate, interval;
	uint32_t icmp_target; /* host order, 0 = none */
	int icmp_clients;     /* the first K clients send echoes (default all) */
	bool churn;	      /* each client leaves once admitted and starts again */
	bool tcp;	      /* OpenVPN over TCP (framed) instead of UDP */
	/* state */
	SSL_CTX *ctx;
	struct ovpn_tls_auth ta;
	int ep;
	struct lg_client *c;
	int started, inflight, up;
	struct lg_stats st;
	uint8_t buf[2048], plain[2048];
};

double lg_now(void);
/* client.c */
int lg_client_start(struct lg_client *c, double now);
void lg_client_input(struct lg_client *c, double now);
void lg_client_tick(struct lg_client *c, double now);
/* Exit notify (when up), then the socket and TLS go. */
void lg_client_stop(struct lg_client *c, bool notify);

#endif
