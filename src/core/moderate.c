#include "moderate.h"

static void rest_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)revents;
	struct moderator *m = w->data;
	m->resting = false;
	ev_io_start(l, m->io);
	m->drain(m->ctx); /* may rest again: moderator_after */
}

void moderator_init(struct moderator *m, ev_io *io, double delay, unsigned long burst,
		    void (*drain)(void *ctx), void *ctx)
{
	*m = (struct moderator){
		.io = io, .drain = drain, .ctx = ctx, .delay = delay, .burst = burst};
	ev_timer_init(&m->rest, rest_cb, delay, 0);
	m->rest.data = m;
}

void moderator_after(struct ev_loop *l, struct moderator *m, unsigned long n)
{
	if (!m->io || m->resting)
		return;
	if (n == 0) {
		m->busy = false; /* a drain that found nothing: traffic stopped */
		return;
	}
	double now = ev_now(l);
	if (now - m->since >= m->delay) {
		/* A window that saw no drain at all counts as quiet. */
		m->busy = now - m->since < 2 * m->delay && m->count >= m->burst;
		m->since = now;
		m->count = 0;
	}
	m->count += n;
	if (!m->busy && n < m->burst)
		return;
	m->resting = true;
	/* A worker rests outside its batch (no data-plane lock): relaxed
	 * atomic, read by moderator_rests on the main loop. */
	__atomic_fetch_add(&m->rests, 1, __ATOMIC_RELAXED);
	ev_io_stop(l, m->io);
	/* A fired timer keeps what was left of it (nothing): set it anew. */
	ev_timer_set(&m->rest, m->delay, 0);
	ev_timer_start(l, &m->rest);
}

unsigned long moderator_rests(const struct moderator *m)
{
	return __atomic_load_n(&m->rests, __ATOMIC_RELAXED);
}

void moderator_stop(struct ev_loop *l, struct moderator *m)
{
	if (m->io && ev_is_active(&m->rest))
		ev_timer_stop(l, &m->rest);
	m->resting = false;
}
