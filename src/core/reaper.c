/* Deferred batch work on the main loop: at idle, or late but surely. */
#include "core/reaper.h"

static void reaper_run(struct ev_loop *loop, struct reaper *r, int late)
{
	reaper_stop(loop, r);
	r->runs++;
	r->late_runs += late;
	r->fn(r->arg);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	reaper_run(loop, w->data, 0);
}

static void late_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	reaper_run(loop, w->data, 1);
}

void reaper_init(struct reaper *r, double late, void (*fn)(void *arg), void *arg)
{
	*r = (struct reaper){.fn = fn, .arg = arg};
	ev_idle_init(&r->idle, idle_cb);
	r->idle.data = r;
	ev_timer_init(&r->late, late_cb, late, 0);
	r->late.data = r;
}

void reaper_kick(struct ev_loop *loop, struct reaper *r)
{
	ev_idle_start(loop, &r->idle);
	if (!ev_is_active(&r->late))
		ev_timer_start(loop, &r->late); /* counts from the first kick */
}

void reaper_stop(struct ev_loop *loop, struct reaper *r)
{
	ev_idle_stop(loop, &r->idle);
	ev_timer_stop(loop, &r->late);
}
