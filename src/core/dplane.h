/* Data-plane threads (dataPlane.workers = N > 1): N worker threads, each
 * with its own libev loop, TUN queue and forwarder instance; an engine puts
 * its per-worker sockets ("lanes") on dplane_loop(i). The main loop keeps
 * the control side (timers, handshakes, management) and no data socket, so
 * it needs the lock only when control work wakes it.
 *
 * One process-wide data-plane lock keeps the control code single-threaded
 * by construction: the main loop holds it exclusively whenever it runs
 * callbacks (it drops it only while it sleeps in epoll), so handshakes,
 * session start and end, key changes, reloads and the management side run
 * alone. A data batch (one recvmmsg round, one TUN read burst) runs under
 * the lock shared, on every worker: dplane_batch_begin/end (on the main
 * loop, should it ever run one, the exclusive hold turns shared for it). Under the shared lock a
 * data path only looks up sessions, en/decrypts under the session's own locks, bumps atomic
 * counters and forwards; anything else (a new or moved peer, control, another protocol's packet) is
 * copied to the main loop's ring (dplane_defer) and handled there exclusively, as if it had arrived
 * on lane 0. With N = 1 there are no threads and every call here is a cheap no-op: the lock is
 * never taken. */
#ifndef P2S_DPLANE_H
#define P2S_DPLANE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ring.h"
#include "tunnel/fwd.h"

#define DP_MAX	16   /* dataPlane.workers' bound */
#define DP_RING 1024 /* slots for hand-offs to the main loop */

/* Before the engines start: n worker loops; tun_fds[i] is worker i's TUN
 * queue (-1: none; tun_fds[0] stays the caller's, which also writes to it),
 * each with a forwarder configured as main_fwd (which stays the main
 * loop's). Nothing with n <= 1. 0 or -ENOMEM. */
int dplane_init(struct ev_loop *main, unsigned n, const int *tun_fds, struct fwd *main_fwd);
/* The workers run (after the sandbox is in place: they inherit it). */
int dplane_start(void);
/* Stops and joins them; single-threaded again. From the main loop's
 * thread after its ev_run returned. */
void dplane_stop(void);
void dplane_free(void);
/* Lanes per engine: the workers (1 when off: the main loop's). */
unsigned dplane_count(void);
/* Threads with per-thread engine state: the workers and the main loop
 * (1 when off). */
unsigned dplane_slots(void);
/* Lane i's loop: worker i's (the main loop's when off). Any other index:
 * the main loop's. */
struct ev_loop *dplane_loop(unsigned i);
/* The calling thread's slot: its worker index, or dplane_slots() - 1 on
 * the main loop. */
unsigned dplane_self(void);
/* The calling thread's forwarder (main_fwd on the main loop). */
struct fwd *dplane_fwd(struct fwd *main_fwd);
/* Worker i's forwarder (NULL when off or out of range), for totals. */
const struct fwd *dplane_worker_fwd(unsigned i);
/* Worker i's counters (/metrics): its forwarder's and its TUN read
 * moderator's rests. false when off or out of range. From the main loop
 * holding the lock exclusively. */
struct dplane_worker_stats {
	struct fwd_stats fwd;
	uint64_t tun_rests;
};
bool dplane_worker_stats(unsigned i, struct dplane_worker_stats *out);
/* Copies main_fwd's configuration to the workers' (after a reload). */
void dplane_fwd_sync(const struct fwd *main_fwd);

/* Around one data batch. false: the workers are being paused, skip the
 * batch (it comes again). The main loop drains its ring at the end. */
bool dplane_batch_begin(void);
void dplane_batch_end(void);
/* Inside a batch: the item goes to the main loop, which calls fn(owner,
 * tag, from, p, n) holding the lock exclusively. false: the ring was full
 * (dropped, counted in dplane_ring_dropped). */
bool dplane_defer(ring_fn *fn, void *owner, uint32_t tag, const union sockaddr_any *from,
		  const uint8_t *p, size_t n);
/* The same for a stream (a TCP connection's frames, its end): false when
 * the ring is full, not counted as a drop; the caller keeps the item,
 * stops reading and offers it again later. */
bool dplane_defer_keep(ring_fn *fn, void *owner, uint32_t tag, const uint8_t *p, size_t n);
/* From the main loop holding the lock exclusively: runs what the workers
 * handed over so far, now. A session that starts being sent to from the
 * workers (dp_fast) drains first: its TUN packets already handed over go
 * out before any a worker seals from then on, so they keep their order;
 * and what the main loop queued for the TUN (a moving stream's packets it
 * decrypted) is written before its new owner writes any. Does nothing
 * when called from inside a handed-over item. */
void dplane_drain(void);
/* Forgets queued items of owner (it is being freed). */
void dplane_discard(const void *owner);
uint64_t dplane_ring_dropped(void);

/* A call into worker i's thread (a stream connection's reads, writes
 * and watchers live on its owning worker's loop; other threads ask it).
 * fn runs there soon inside a batch (the lock shared, fwd_shared set), so
 * the main loop, holding it exclusively, never runs beside it. The node is
 * the caller's, usually inside the object it names (no allocation, so a
 * post cannot fail for memory); posting a node already queued does
 * nothing, so bursts coalesce into one call. */
struct dp_call {
	struct dp_call *next;
	void (*fn)(struct dp_call *c);
	unsigned worker; /* set by dplane_post */
	bool queued;	 /* under the worker's queue lock */
};
/* From any thread. false when no worker runs (N <= 1) or i is out of
 * range: nothing was queued. */
bool dplane_post(unsigned i, struct dp_call *c, void (*fn)(struct dp_call *c));
/* Forgets c if it is queued (its object is being freed). From the main
 * loop holding the lock exclusively (or with the workers paused). */
void dplane_post_cancel(struct dp_call *c);

/* From a main-loop callback (exclusive): parks every worker outside its
 * loop so the caller may add or remove watchers on the workers' loops
 * (lanes opened or closed on reload); resume lets them go. No-op when no
 * worker runs. */
void dplane_pause(void);
void dplane_resume(void);
/* Pauses done while the workers ran (/metrics): every worker stops for
 * each, so a mass teardown must cost one, not one per stream. */
uint64_t dplane_pauses(void);

#endif
