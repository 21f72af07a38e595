/* An SSTP call on a data-plane worker (dataPlane.workers > 1). Once CONNECTED
 * the call's socket is read and written on one worker's loop: TLS records
 * in, SSTP packets split, PPP IPv4/IPv6 forwarded by that thread's
 * forwarder. Anything else (SSTP control, PPP control, EOF, a TLS error, a
 * bad header) is copied to the main loop through the ring and handled there
 * as with one thread. A TLS stream must not lose bytes: when the ring is full
 * the owner stops reading, keeps the rest in `in` and tries again from a
 * short timer. Everything here runs on the owner's thread inside a batch
 * (the lock shared), so the main loop, holding it exclusively, never runs
 * beside it. */
#include <openssl/err.h>
#include <stddef.h>
#include <string.h>

#include "lib/log.h"
#include "proto/sstp/conn.h"

#define LOG_MODULE "sstp"
#define RETRY_S	   0.002 /* the ring was full */
#define READS_MAX  64	 /* SSL_read calls per wake-up */

#define CONN_OF(p, field)                                                                          \
	((struct sstp_conn *)(void *)((char *)(p)-offsetof(struct sstp_conn, field)))

static struct ev_loop *own_loop(const struct sstp_conn *c)
{
	return dplane_loop(c->owner);
}

static void set_events(struct sstp_conn *c, int events)
{
	struct ev_loop *loop = own_loop(c);
	if (ev_is_active(&c->io) && c->io.events == events)
		return;
	ev_io_stop(loop, &c->io);
	if (!events)
		return;
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
}

/* Hands the pending event to the main loop; false: the ring is full. */
static bool report(struct sstp_conn *c)
{
	if (!c->w_event)
		return true;
	uint32_t ev = c->w_event - 1;
	if (!dplane_defer(sstp_from_worker, c, ev, NULL, NULL, 0))
		return false;
	c->w_event = 0;
	return true;
}

static void set_event(struct sstp_conn *c, uint32_t ev)
{
	if (!c->w_event)
		c->w_event = ev + 1;
}

/* One SSTP packet: forwarded here, or copied to the main loop. Control
 * fits a slot (the longest, CALL_CONNECTED, is 112 bytes); a longer non-IP
 * PPP frame is cut to one, its length then wrong, and the main loop
 * ignores it (no PPP control after IPCP is that long). Data of a closing
 * call is dropped here, as the main loop would. false: the ring is full. */
static bool one_packet(struct sstp_conn *c, const uint8_t *p, size_t len)
{
	struct sstp_pkt pkt;
	unsigned w = c->owner;
	if (sstp_pkt_parse(p, len, &pkt) != 0)
		return true; /* as the main loop: ignored */
	if (!pkt.control && c->st == SSTP_ST_CONNECTED &&
	    sstp_call_fast(c, pkt.body, pkt.body_len)) {
		c->eng->fast[w]++;
		return true;
	}
	if (!pkt.control && c->st != SSTP_ST_CONNECTED)
		return true;
	if (!dplane_defer(sstp_from_worker, c, SSTP_W_PKT, NULL, p,
			  len < RING_DATA ? len : RING_DATA))
		return false;
	c->eng->handed[w]++;
	return true;
}

/* Every whole packet in `in`; false: stopped on a full ring. */
static bool consume(struct sstp_conn *c)
{
	size_t used = 0, len;
	bool ok = true;
	while (used < c->in_len && !c->w_junk) {
		if (sstp_frame_len(c->in + used, c->in_len - used, &len) < 0) {
			c->w_junk = true; /* the main loop ends the call */
			set_event(c, SSTP_W_BADHDR);
			ok = report(c);
			break;
		}
		if (len == 0 || len > c->in_len - used)
			break;
		if (!(ok = one_packet(c, c->in + used, len)))
			break;
		used += len;
	}
	if (c->w_junk)
		used = c->in_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	return ok;
}

/* Writes out under mu; true while some remains. */
static bool write_out(struct sstp_conn *c)
{
	pthread_mutex_lock(&c->mu);
	int rc = sstp_tls_write(c);
	bool left = c->out_len > 0;
	pthread_mutex_unlock(&c->mu);
	if (rc < 0) {
		ERR_clear_error();
		c->w_done = true;
		set_event(c, SSTP_W_EOF);
	} else if (!left && c->close_on_flush && !c->w_flushed) {
		c->w_flushed = true;
		set_event(c, SSTP_W_FLUSHED);
	}
	return left && rc >= 0;
}

static void retry_later(struct sstp_conn *c)
{
	if (!ev_is_active(&c->retry)) {
		ev_timer_set(&c->retry, RETRY_S, 0);
		ev_timer_start(own_loop(c), &c->retry);
	}
}

/* After each step: the event goes to the main loop (or waits for room),
 * and io asks for what is wanted now. */
static void settle(struct sstp_conn *c, bool left)
{
	if (!report(c))
		retry_later(c);
	int ev = left ? EV_WRITE : 0;
	if (!c->w_done && !c->w_event && !ev_is_active(&c->retry))
		ev |= EV_READ;
	set_events(c, ev);
}

/* Reads TLS until it would block, consuming as it goes. false: stalled. */
static bool read_tls(struct sstp_conn *c)
{
	for (int i = 0; i < READS_MAX; i++) {
		if (c->in_len == sizeof(c->in)) /* cannot happen with whole packets consumed */
			return true;
		pthread_mutex_lock(&c->mu);
		int n = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof(c->in) - c->in_len));
		int e = n <= 0 ? SSL_get_error(c->ssl, n) : 0;
		pthread_mutex_unlock(&c->mu);
		if (n <= 0) {
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return true;
			ERR_clear_error();
			c->w_done = true; /* EOF or a TLS error: the main loop closes */
			set_event(c, SSTP_W_EOF);
			return report(c);
		}
		c->in_len += (size_t)n;
		__atomic_store_n(&c->rx_seen, 1, __ATOMIC_RELAXED);
		if (!consume(c))
			return false;
	}
	ev_feed_event(own_loop(c), &c->io, EV_READ); /* the rest on the next iteration */
	return true;
}

/* Whatever is pending: an event, buffered input, then the socket. */
static void pump(struct sstp_conn *c)
{
	bool ok = report(c) && consume(c);
	if (ok && !c->w_done)
		ok = read_tls(c);
	if (!ok)
		retry_later(c); /* stop reading, keep what is buffered */
	settle(c, write_out(c));
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct sstp_conn *c = w->data;
	if (!dplane_batch_begin())
		return; /* being paused: again after the resume */
	if (c->dead)
		ev_io_stop(loop, w); /* the main loop frees it */
	else
		pump(c);
	dplane_batch_end();
}

static void retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct sstp_conn *c = t->data;
	if (!dplane_batch_begin()) {
		ev_timer_set(t, RETRY_S, 0);
		ev_timer_start(loop, t);
		return;
	}
	if (!c->dead)
		pump(c);
	dplane_batch_end();
}

static void start_fn(struct dp_call *call)
{
	struct sstp_conn *c = CONN_OF(call, start_call);
	if (!c->dead)
		pump(c); /* starts io on this loop; reads what TLS buffered */
}

static void flush_fn(struct dp_call *call)
{
	struct sstp_conn *c = CONN_OF(call, flush_call);
	if (!c->dead)
		settle(c, write_out(c));
}

void sstp_worker_init(struct sstp_conn *c)
{
	pthread_mutex_init(&c->mu, NULL);
	ev_init(&c->retry, retry_cb);
	c->retry.data = c;
}

static unsigned least_loaded(const struct sstp_engine *e)
{
	unsigned best = 0;
	for (unsigned i = 1; i < dplane_count(); i++)
		if (e->streams[i] < e->streams[best])
			best = i;
	return best;
}

/* A post rather than dplane_pause: a pause parks every worker for each
 * call set up; the post touches only the target, whose thread starts the
 * watcher on its own loop. */
void sstp_worker_move(struct sstp_conn *c)
{
	struct sstp_engine *e = c->eng;
	if (dplane_count() < 2 || c->on_worker || !c->s)
		return;
	/* What workers handed over for it so far goes out first: in order. */
	dplane_drain();
	if (c->dead || c->st != SSTP_ST_CONNECTED)
		return;
	unsigned w = least_loaded(e);
	ev_io_stop(core_loop(e->core), &c->io);
	c->io.events = 0; /* restarted by the owner */
	ev_set_cb(&c->io, io_cb);
	c->owner = c->s->worker = w;
	c->on_worker = true;
	c->s->dp_fast = true;
	core_session_steer(c->s);
	e->streams[w]++;
	e->moved[w]++;
	slog_debug(sstp_conn_sid(c), "call moved to data-plane worker %u", w);
	dplane_post(w, &c->start_call, start_fn);
}

void sstp_worker_kick(struct sstp_conn *c)
{
	dplane_post(c->owner, &c->flush_call, flush_fn);
}

void sstp_worker_detach(struct sstp_conn *c)
{
	struct ev_loop *loop = own_loop(c);
	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->retry);
	dplane_post_cancel(&c->start_call);
	dplane_post_cancel(&c->flush_call);
	dplane_discard(c);
	c->eng->streams[c->owner]--;
}

bool sstp_lane_stats(const struct engine *eng, unsigned i, struct lane_stats *out)
{
	const struct sstp_engine *e = (const struct sstp_engine *)eng;
	if (dplane_count() < 2 || i >= dplane_count())
		return false;
	out->n_kinds = 2;
	out->kind[0] = "data";
	out->packets[0] = e->fast[i];
	out->kind[1] = "handed";
	out->packets[1] = e->handed[i];
	out->streams_moved = e->moved[i];
	out->has_streams = true;
	out->streams = e->streams[i];
	return true;
}
