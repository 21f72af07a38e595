/* Inner-packet forwarding between sessions and the TUN device, IPv4 and
 * IPv6. A packet from the virtual network goes to the session that owns its
 * destination pool address; a packet from a client must carry that client's
 * own address as its source (else it is dropped and counted as spoofed), and
 * clients are kept apart unless clientToClient allows them to meet. */
#ifndef P2S_FWD_H
#define P2S_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offload.h"
#include "pool/pool.h"
#include "pool/pool6.h"
#include "session.h"

struct fwd {
	int tun_fd;
	struct pool *pool;   /* borrowed */
	struct pool6 *pool6; /* borrowed; NULL or empty: no IPv6 */
	bool client_to_client;
	/* Bumped by a worker's flush outside its data batch too: relaxed
	 * atomic (fwd_stats reads it). The other counters are written only
	 * inside a batch or on the main loop: plain. */
	uint64_t tun_write_errors;
	uint64_t no_route_drops;
	uint64_t spoofed; /* every session's spoofed packets, also after it ended */
	uint64_t denied;  /* refused by access rules, every session's */
	/* With the TUN's offloads (fwd_offload_init): packets to the TUN are
	 * queued and coalesced until fwd_flush, super-packets from it cut. */
	struct gro *gro;
	uint8_t *seg;		/* one segment being handed to a session */
	uint64_t offload_drops; /* super-packets the segmenter refused */
	/* Data-plane threads (core/dplane.h): a packet for a session whose
	 * send_ip the shared path may not call (!dp_fast) goes here, to be
	 * forwarded by the main loop. NULL: one thread, never needed. */
	void (*defer)(const uint8_t *pkt, size_t len);
};

/* What one forwarder counted (/metrics, per data-plane worker). */
struct fwd_stats {
	uint64_t segmenter_drops; /* super-packets from the TUN the segmenter refused */
	uint64_t coalesced;	  /* segments that joined a coalesced write */
	uint64_t acks_replaced;	  /* bare ACKs a newer one of their flow overtook */
	uint64_t tun_write_errors;
	uint64_t no_route_drops; /* TUN packets for no session */
};
/* From the main loop holding the data-plane lock exclusively. */
void fwd_stats(const struct fwd *f, struct fwd_stats *out);

/* True while the calling thread forwards under the data-plane lock
 * shared (set by core/dplane.c): only dp_fast sessions are sent to. */
extern _Thread_local bool fwd_shared;

/* Turns on the TUN's virtio-net header mode. 0 or -ENOMEM. */
int fwd_offload_init(struct fwd *f);
void fwd_offload_free(struct fwd *f);
/* Writes what fwd_from_session queued (once per event-loop iteration). */
void fwd_flush(struct fwd *f);
/* From a TUN in virtio-net header mode: cuts a super-packet and hands
 * each segment to fwd_from_tun. */
void fwd_from_tun_vnet(struct fwd *f, const uint8_t *buf, size_t len);

/* Reads up to 64 packets (super-packets with the offloads) from the TUN
 * queue fd into buf and hands each on: one read burst. Returns how many. */
int fwd_drain_tun(struct fwd *f, int fd, uint8_t *buf, size_t cap);

/* From the TUN: deliver to the owning session, or drop. */
void fwd_from_tun(struct fwd *f, const uint8_t *pkt, size_t len);
/* From a client: checks the source, keeps clients apart unless allowed,
 * then writes to the TUN. 0 or a negative error (packet dropped):
 * P2S_E_TRUNC not an IP header, P2S_E_PROTO a source that is not the
 * client's own (counted in s->ctr.spoofed and f->spoofed), P2S_E_DENIED
 * another client's address, link-scoped traffic, or what the session's
 * access rules refuse (counted in s->ctr.denied and f->denied). */
int fwd_from_session(struct fwd *f, struct session *s, const uint8_t *pkt, size_t len);

#endif
