/* Work deferred to the main loop and done in one batch: connections let go
 * during a turn are freed together (one data-plane pause for all of them)
 * when the loop is next idle. A loop that is never idle (a handshake storm,
 * a flood) would otherwise keep them, and their descriptors, forever: the
 * work then runs anyway once `late` seconds have passed since the first
 * kick. */
#ifndef P2S_REAPER_H
#define P2S_REAPER_H

#include <ev.h>

struct reaper {
	ev_idle idle;
	ev_timer late;
	void (*fn)(void *arg);
	void *arg;
	unsigned long runs;	 /* passes run */
	unsigned long late_runs; /* of which the loop was not idle in time */
};

void reaper_init(struct reaper *r, double late, void (*fn)(void *arg), void *arg);
/* Something waits: run fn at the next idle turn, or after `late`. */
void reaper_kick(struct ev_loop *loop, struct reaper *r);
/* Nothing waits any more (the caller did the work itself). */
void reaper_stop(struct ev_loop *loop, struct reaper *r);

#endif
