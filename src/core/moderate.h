/* Read moderation for a busy descriptor, as NICs moderate interrupts: while
 * traffic is heavy (at least `burst` packets or bytes read within the last
 * `delay`), each drain is followed by a rest of `delay` in which the read
 * watcher is off and the kernel queues what arrives; a timer then drains it
 * all in one go. One wakeup and one batch of system calls carry dozens of
 * packets instead of one or two. Light traffic is read at once, as before;
 * under heavy traffic a packet waits at most `delay`. */
#ifndef P2S_MODERATE_H
#define P2S_MODERATE_H

#include <ev.h>
#include <stdbool.h>

struct moderator {
	ev_io *io; /* the read watcher it pauses (owned by the caller) */
	ev_timer rest;
	void (*drain)(void *ctx); /* reads everything waiting */
	void *ctx;
	double delay;
	unsigned long burst; /* per delay: heavy traffic from here on */
	unsigned long count; /* read in the current window */
	double since;	     /* the current window's start */
	bool busy;	     /* the last window was heavy */
	bool resting;
	unsigned long rests; /* how many rests: relaxed atomic (moderator_rests) */
};

void moderator_init(struct moderator *m, ev_io *io, double delay, unsigned long burst,
		    void (*drain)(void *ctx), void *ctx);
/* After a drain that read n packets (or bytes): rest while traffic is heavy. */
void moderator_after(struct ev_loop *l, struct moderator *m, unsigned long n);
/* Rests so far; any thread. */
unsigned long moderator_rests(const struct moderator *m);
void moderator_stop(struct ev_loop *l, struct moderator *m);

#endif
