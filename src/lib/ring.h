/* A bounded ring of fixed-size slots for handing packets from data-plane
 * threads to the main loop: many producers, one consumer, a mutex around
 * the indices and the copy (the hand-off is the rare path: handshakes,
 * control, other protocols' packets). No allocation after ring_init; a
 * full ring drops the packet and counts it. Order is kept. */
#ifndef P2S_RING_H
#define P2S_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define RING_DATA 2048 /* payload bytes a slot holds (a UDP receive buffer) */

/* What the consumer calls for an item, with owner and tag as given (both
 * opaque to the ring). */
typedef void ring_fn(void *owner, uint32_t tag, const union sockaddr_any *from, const uint8_t *p,
		     size_t n);

struct ring_item {
	ring_fn *fn;
	void *owner;
	uint32_t tag;
	union sockaddr_any from;
	uint32_t len;
	uint8_t data[RING_DATA];
};

struct ring {
	pthread_mutex_t mu;
	struct ring_item *slots;
	unsigned cap;  /* slots */
	unsigned head; /* next to pop */
	unsigned n;    /* filled */
	uint64_t pushed, dropped;
};

/* cap slots (at least 1). 0 or -ENOMEM. */
int ring_init(struct ring *r, unsigned cap);
void ring_free(struct ring *r);
/* Copies one item in; false when the ring is full or p longer than
 * RING_DATA (dropped and counted). from may be NULL. */
bool ring_push(struct ring *r, ring_fn *fn, void *owner, uint32_t tag,
	       const union sockaddr_any *from, const uint8_t *p, size_t n);
/* The same for a producer that keeps the item and offers it again later
 * (a stream must not lose bytes): a full ring is not counted as a drop. */
bool ring_offer(struct ring *r, ring_fn *fn, void *owner, uint32_t tag,
		const union sockaddr_any *from, const uint8_t *p, size_t n);
/* Copies the oldest item out; false when the ring is empty. */
bool ring_pop(struct ring *r, struct ring_item *out);
/* Forgets every queued item whose owner is owner (it is going away). */
void ring_discard(struct ring *r, const void *owner);
uint64_t ring_dropped(struct ring *r);

#endif
