/* The control channel's reliability layer: per-packet acks, a send window
 * of 6 with retransmission (exponential backoff, fast resend after 3 later
 * acks), and an in-order receive window of 12 that absorbs duplicates and
 * reordering. Pure data structure: the caller supplies time and does I/O.
 * Owns copies of the payloads it holds, allocated when a packet enters a
 * window and freed when it is acked (send) or consumed (receive), so an idle
 * session's windows hold no payload memory at all (rel_free at the end). */
#ifndef P2S_OVPN_RELIABLE_H
#define P2S_OVPN_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REL_SEND_WIN	6
#define REL_RECV_WIN	12
#define REL_ACK_QUEUE	32
#define REL_MAX_PAYLOAD 1400 /* client tls-mtu is 1250 */

struct rel_slot {
	bool used;
	uint8_t op;
	uint32_t id;
	size_t len;
	uint8_t *data;	 /* len bytes, owned while used; NULL when len is 0 */
	double next_tx;	 /* when to (re)send; 0 = now */
	double timeout;	 /* current backoff */
	int later_acked; /* later ids acked while this one was not */
};

struct ovpn_reliable {
	uint32_t send_next_id;
	struct rel_slot send[REL_SEND_WIN];
	uint32_t recv_next_id;
	struct rel_slot recv[REL_RECV_WIN];
	uint32_t acks[REL_ACK_QUEUE]; /* ids to acknowledge, oldest first */
	unsigned n_acks;
	double initial_timeout;
	uint8_t *popped; /* the payload rel_recv_pop handed out last */
};

void rel_init(struct ovpn_reliable *r, double initial_timeout);
/* Frees the payloads still held; r may be re-initialised afterwards. */
void rel_free(struct ovpn_reliable *r);
/* Bytes of payload currently allocated (for tests and memory accounting). */
size_t rel_payload_bytes(const struct ovpn_reliable *r);

/* Incoming packet with a message id. Returns 0 when stored, 1 when it was a
 * duplicate (acked again), P2S_E_FULL when beyond the window or out of
 * memory (dropped, not acked so the peer resends), P2S_E_PROTO when the
 * payload is too large. */
int rel_recv(struct ovpn_reliable *r, uint32_t id, uint8_t op, const uint8_t *data, size_t len);
/* The next in-order packet, if any; the slot stays valid until the next call. */
const struct rel_slot *rel_recv_pop(struct ovpn_reliable *r);

/* An ack from the peer; unknown or duplicate ids are ignored. */
void rel_ack_in(struct ovpn_reliable *r, uint32_t id);

bool rel_send_has_room(const struct ovpn_reliable *r);
/* Queues a packet; returns its id or P2S_E_FULL (no room, or no memory). */
int64_t rel_send_queue(struct ovpn_reliable *r, uint8_t op, const uint8_t *data, size_t len);
/* A packet due at now, or NULL. The caller sends it, then calls rel_sent(). */
struct rel_slot *rel_send_due(struct ovpn_reliable *r, double now);
void rel_sent(struct ovpn_reliable *r, struct rel_slot *s, double now);
bool rel_send_idle(const struct ovpn_reliable *r);
/* Earliest time something must be (re)sent; -1 when nothing is outstanding. */
double rel_next_deadline(const struct ovpn_reliable *r);

/* Takes up to max pending acks (oldest first) into ids. */
unsigned rel_acks_take(struct ovpn_reliable *r, uint32_t *ids, unsigned max);

#endif
