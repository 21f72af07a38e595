/* OpenVPN over TCP: connections the core hands over from the shared port,
 * framed with a 16-bit length. A connection starts on the main loop (TLS,
 * key-method 2, authentication and the push are control work); with
 * dataPlane.workers > 1 it then moves to the least-loaded worker, which
 * reads it, decrypts its data in its own batches and hands everything else
 * to the main loop through the ring, in order and never dropped. Its send
 * queue takes packets from any thread; only the owner writes the socket. */
#define LOG_MODULE "openvpn"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "lib/err.h"
#include "lib/log.h"

#define TCP_IN_MAX	   (2 + 65535)
#define TCP_OUT_DATA_LIMIT (4u << 20) /* beyond this, data packets are dropped */
#define TCP_OUT_LIMIT	   (8u << 20) /* beyond this, everything is */
#define MOD_DELAY	   0.001
#define TCP_BURST	   4096	 /* bytes per MOD_DELAY (core/moderate.h) */
#define TCP_RETRY	   0.002 /* a worker waiting for room in the ring */
#define TCP_REAP_LATE	   0.25	 /* moved connections let go wait at most this */
/* What a worker reports with the end of a stream (ring item tag); any
 * other value is the errno of a failed read. */
#define END_EOF	      0u
#define END_PROTO     0xfffffffeu
#define END_OVERSIZED 0xffffffffu

struct tcp_conn {
	struct ovpn_server *srv;
	struct moderator mod;
	struct tcp_conn *dirty_next, *dirty_prev; /* the main loop's list */
	bool dirty;
	bool preauth; /* the core's unauthenticated slot, taken over at adopt */
	int fd;
	ev_io rio;
	ev_io wio;
	ev_timer idle;
	union sockaddr_any peer;
	struct ovpn_sess *os;
	/* Once moved (dataPlane.workers > 1): the owning worker's loop, which
	 * alone reads and writes the socket and runs rio, wio, mod, retry. */
	struct ev_loop *wloop;
	unsigned worker;
	bool in_read; /* the main loop is splitting frames: a move waits */
	bool migrate; /* asked for meanwhile */
	/* The owner's: reading stopped (ring full, or the end not yet
	 * reported); retry offers it again. */
	bool stalled;
	bool dead;
	uint32_t end; /* END_* or an errno */
	/* The main loop let go of a moved connection (set under the lock
	 * exclusive, read by the owner in its batches): it waits on srv->reap
	 * for the reaper, its owner stops reading it. reap_flush: what is
	 * queued goes out before the close. */
	bool gone, reap_flush;
	struct tcp_conn *reap_next;
	ev_timer retry;
	struct dp_call start_call, flush_call;
	pthread_mutex_t out_mu; /* out, out_off, out_len, out_cap */
	uint8_t in[TCP_IN_MAX];
	size_t in_len;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
};

#define CONN_OF(call, member)                                                                      \
	((struct tcp_conn *)((char *)(call)-offsetof(struct tcp_conn, member)))

static void tcp_read(void *ctx);

/* ---- the main loop's list of connections with queued bytes --------------- */

static void dirty_unlink(struct tcp_conn *c)
{
	if (!c->dirty)
		return;
	if (c->dirty_prev)
		c->dirty_prev->dirty_next = c->dirty_next;
	else
		c->srv->dirty = c->dirty_next;
	if (c->dirty_next)
		c->dirty_next->dirty_prev = c->dirty_prev;
	c->dirty = false;
}

static void dirty_link(struct tcp_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->dirty_prev = NULL;
	c->dirty_next = c->srv->dirty;
	if (c->dirty_next)
		c->dirty_next->dirty_prev = c;
	c->srv->dirty = c;
}

/* ---- writing ------------------------------------------------------------- */

/* Writes what the socket takes; true when something is left. */
static bool tcp_write_out(struct tcp_conn *c)
{
	pthread_mutex_lock(&c->out_mu);
	while (c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->out_len = 0; /* the read side will see the error */
			break;
		}
		c->out_off += (size_t)n;
		c->out_len -= (size_t)n;
	}
	if (!c->out_len)
		c->out_off = 0;
	bool left = c->out_len > 0;
	pthread_mutex_unlock(&c->out_mu);
	return left;
}

/* On the thread whose loop holds wio: the main loop's, or the owner's. */
static void tcp_flush(struct tcp_conn *c)
{
	struct ev_loop *loop = c->wloop ? c->wloop : core_loop(c->srv->core);
	if (tcp_write_out(c))
		ev_io_start(loop, &c->wio);
	else
		ev_io_stop(loop, &c->wio);
}

void ovpn_tcp_flush_dirty(struct ovpn_server *srv)
{
	while (srv->dirty) {
		struct tcp_conn *c = srv->dirty;
		dirty_unlink(c);
		tcp_flush(c);
	}
}

static int tcp_queue(struct tcp_conn *c, const uint8_t *pkt, size_t len, bool data)
{
	/* Data yields first; control too once a client stops reading entirely. */
	if ((data && c->out_len > TCP_OUT_DATA_LIMIT) || c->out_len > TCP_OUT_LIMIT)
		return P2S_E_FULL;
	if (c->out_off && c->out_off + c->out_len + len + 2 > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	size_t need = c->out_len + len + 2;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 65536;
		while (cap < need)
			cap *= 2;
		uint8_t *n = realloc(c->out, cap);
		if (!n)
			return -ENOMEM;
		c->out = n;
		c->out_cap = cap;
	}
	uint8_t *p = c->out + c->out_off + c->out_len;
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, pkt, len);
	c->out_len += len + 2;
	return 0;
}

/* The owner's, inside a batch: posted by whoever queued. */
static void tcp_flush_call(struct dp_call *call)
{
	struct tcp_conn *c = CONN_OF(call, flush_call);
	if (!c->gone || c->reap_flush)
		tcp_flush(c);
}

/* Any thread: the main loop (control, keepalive) or a worker that sealed
 * a TUN packet for the session. Only the owner writes a moved
 * connection: the others ask it, coalesced. */
int ovpn_tcp_send(struct tcp_conn *c, const uint8_t *pkt, size_t len, bool data)
{
	if (c->gone)
		return -EPIPE; /* being reaped: its session let go, nothing to add */
	pthread_mutex_lock(&c->out_mu);
	int r = tcp_queue(c, pkt, len, data);
	pthread_mutex_unlock(&c->out_mu);
	if (r < 0)
		return r;
	if (c->wloop)
		dplane_post(c->worker, &c->flush_call, tcp_flush_call);
	else if (!ev_is_active(&c->wio))
		dirty_link(c);
	return 0;
}

static void tcp_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	tcp_flush(w->data);
}

/* ---- freeing ------------------------------------------------------------- */

/* On the main loop; a moved connection only with the workers parked (or
 * joined): its watchers are on its owner's loop, and nothing of it stays
 * queued (posted calls, ring items). */
static void tcp_conn_release(struct tcp_conn *c, bool flush)
{
	struct ev_loop *loop = c->wloop ? c->wloop : core_loop(c->srv->core);
	if (c->wloop) {
		dplane_post_cancel(&c->start_call);
		dplane_post_cancel(&c->flush_call);
		dplane_discard(c);
		ev_timer_stop(loop, &c->retry);
		c->srv->tcp_ctr[c->worker].streams--;
	}
	moderator_stop(loop, &c->mod);
	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	if (flush)
		tcp_write_out(c);
	close(c->fd);
	pthread_mutex_destroy(&c->out_mu);
	free(c->out);
	free(c);
}

/* Every connection let go since the last pass, with one pause: a
 * revocation, a reload or a stop that ends thousands of sessions parks the
 * workers once, not once per connection. */
static void tcp_reap(struct ovpn_server *srv)
{
	if (!srv->reap)
		return;
	dplane_pause();
	while (srv->reap) {
		struct tcp_conn *c = srv->reap;
		srv->reap = c->reap_next;
		tcp_conn_release(c, c->reap_flush);
	}
	dplane_resume();
}

static void tcp_reaper_cb(void *srv)
{
	tcp_reap(srv);
}

/* On the main loop. One that never moved goes at once; a moved one is
 * marked gone and left to the reaper (the main loop's next idle turn, at
 * most TCP_REAP_LATE later). flush: what is queued goes out first. */
static void tcp_conn_free(struct tcp_conn *c, bool flush)
{
	struct ovpn_server *srv = c->srv;
	if (c->preauth)
		core_preauth_put(srv->core, &c->peer);
	c->preauth = false;
	c->os = NULL;
	dirty_unlink(c);
	ev_timer_stop(core_loop(srv->core), &c->idle);
	if (!c->wloop) {
		tcp_conn_release(c, flush);
		return;
	}
	c->gone = true;
	c->reap_flush = flush;
	c->reap_next = srv->reap;
	srv->reap = c;
	if (!srv->reaper.fn)
		reaper_init(&srv->reaper, TCP_REAP_LATE, tcp_reaper_cb, srv);
	reaper_kick(core_loop(srv->core), &srv->reaper);
}

/* The engine stops: what waits for the reaper goes now. After dplane_stop
 * (shutdown) the workers are joined and the pause is a no-op; an engine
 * stopped by a reload parks them once. */
void ovpn_tcp_reap_all(struct ovpn_server *srv)
{
	tcp_reap(srv);
	if (srv->reaper.fn)
		reaper_stop(core_loop(srv->core), &srv->reaper);
}

/* The transport went away: the session ends with it. A ring item (the
 * stream's end) may still name a connection already let go. */
static void tcp_conn_lost(struct tcp_conn *c, const char *why)
{
	if (c->gone)
		return;
	if (c->os) {
		c->os->conn = NULL;
		ovpn_sess_close(c->os, why);
	}
	tcp_conn_free(c, false);
}

void ovpn_tcp_detach(struct tcp_conn *c)
{
	c->os = NULL;
	tcp_conn_free(c, true);
}

/* ---- reading on the main loop (the handshake) ------------------------------ */

/* The first packet on a connection must be a valid client hard reset. */
static bool tcp_first_packet(struct tcp_conn *c, const uint8_t *pkt, size_t len)
{
	struct ovpn_ctl ctl;
	int r = ovpn_ctl_parse(pkt, len, &c->srv->ta, &ctl);
	if (r < 0) {
		ovpn_warn_drop(c->srv, &c->peer, ovpn_ctl_error(c->srv, r));
		return false;
	}
	if (ctl.op != OVPN_HARD_RESET_CLIENT_V2 || ctl.key_id != 0) {
		ovpn_warn_drop(c->srv, &c->peer, "first packet is not a client hard reset");
		return false;
	}
	c->os = ovpn_sess_new(c->srv, &c->peer, c, 0, false);
	return c->os != NULL;
}

/* Splits the stream into packets; false when the connection must close. */
static bool tcp_frames(struct tcp_conn *c)
{
	size_t off = 0; /* where the first incomplete frame starts */
	const uint8_t *pkt;
	size_t plen, used;
	int r;
	while ((r = ovpn_tcp_frame(c->in + off, c->in_len - off, RING_DATA, &pkt, &plen, &used)) >
	       0) {
		off += used;
		if (!c->os && !tcp_first_packet(c, pkt, plen))
			return false;
		if (c->os->closing)
			return true;
		ovpn_sess_input(c->os, pkt, plen);
		if (!c->os)
			return false; /* the session let go of us */
	}
	if (r < 0)
		return false;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return true;
}

static void tcp_migrate(struct tcp_conn *c);

static void tcp_read_main(struct tcp_conn *c)
{
	size_t room = sizeof(c->in) - c->in_len;
	ssize_t n = read(c->fd, c->in + c->in_len, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		tcp_conn_lost(c, n == 0 ? "client closed the TCP connection" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->in_read = true;
	bool ok = tcp_frames(c);
	c->in_read = false;
	if (!ok) {
		tcp_conn_lost(c, "protocol error on the TCP stream");
		return;
	}
	if (c->migrate) {
		tcp_migrate(c);
		return;
	}
	/* A full buffer means more is waiting: read on at once. */
	if ((size_t)n < room)
		moderator_after(core_loop(c->srv->core), &c->mod, (unsigned long)n);
}

/* ---- reading on the owning worker ------------------------------------------ */

/* Handed over by a worker: a control packet, processed as if read here. */
static void tcp_ctl_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			     const uint8_t *p, size_t n)
{
	(void)tag;
	(void)from;
	struct tcp_conn *c = owner;
	if (c->os && !c->os->closing)
		ovpn_sess_input(c->os, p, n);
}

static void tcp_end_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			     const uint8_t *p, size_t n)
{
	(void)from;
	(void)p;
	(void)n;
	const char *why = tag == END_EOF	 ? "client closed the TCP connection"
			  : tag == END_PROTO	 ? "protocol error on the TCP stream"
			  : tag == END_OVERSIZED ? "oversized control packet on the TCP stream"
						 : strerror((int)tag);
	tcp_conn_lost(owner, why);
}

/* Stops reading until the ring has room again (nothing is dropped). */
static void tcp_stall(struct tcp_conn *c)
{
	c->stalled = true;
	c->srv->tcp_ctr[c->worker].waits++;
	moderator_stop(c->wloop, &c->mod);
	ev_io_stop(c->wloop, &c->rio);
	ev_timer_set(&c->retry, TCP_RETRY, 0);
	ev_timer_start(c->wloop, &c->retry);
}

/* The end of the stream for the main loop, which closes the session. */
static void tcp_end(struct tcp_conn *c, uint32_t end)
{
	if (!c->dead) {
		c->dead = true;
		c->end = end;
		moderator_stop(c->wloop, &c->mod);
		ev_io_stop(c->wloop, &c->rio);
	}
	if (!dplane_defer_keep(tcp_end_deferred, c, c->end, NULL, 0))
		tcp_stall(c);
}

/* One packet on the owner: data is decrypted and forwarded here, the rest
 * goes to the main loop. false: the ring is full, try again later. */
static bool tcp_packet(struct tcp_conn *c, const uint8_t *pkt, size_t len)
{
	struct ovpn_server *srv = c->srv;
	if (ovpn_op_is_data(ovpn_op_of(pkt[0]))) {
		srv->tcp_ctr[c->worker].data++;
		if (c->os)
			ovpn_sess_input(c->os, pkt, len);
		return true;
	}
	if (!dplane_defer_keep(tcp_ctl_deferred, c, 0, pkt, len))
		return false;
	srv->tcp_ctr[c->worker].handoff++;
	return true;
}

/* Splits what was read, inside a batch; stops at a full ring, keeping the
 * rest of the buffer. A control packet longer than a ring slot cannot be
 * handed over: no real one is, the stream ends. */
static void tcp_consume(struct tcp_conn *c)
{
	size_t off = 0;
	const uint8_t *pkt;
	size_t plen, used;
	while (!c->dead && !c->stalled) {
		int r = ovpn_tcp_frame(c->in + off, c->in_len - off, RING_DATA, &pkt, &plen, &used);
		if (r < 0)
			tcp_end(c, r == P2S_E_FULL ? END_OVERSIZED : END_PROTO);
		else if (r > 0 && !tcp_packet(c, pkt, plen))
			tcp_stall(c);
		else if (r > 0)
			off += used;
		if (r <= 0)
			break;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void tcp_read_worker(struct tcp_conn *c)
{
	if (!dplane_batch_begin())
		return; /* being paused: rio fires again after */
	if (c->gone) {	/* the reaper frees it: nothing more to read */
		moderator_stop(c->wloop, &c->mod);
		ev_io_stop(c->wloop, &c->rio);
		dplane_batch_end();
		return;
	}
	size_t room = sizeof(c->in) - c->in_len;
	ssize_t n = c->dead || c->stalled ? -1 : read(c->fd, c->in + c->in_len, room);
	if (n == 0 || (n < 0 && !c->dead && !c->stalled && errno != EAGAIN && errno != EINTR)) {
		tcp_end(c, n == 0 ? END_EOF : (uint32_t)errno);
	} else if (n > 0) {
		c->in_len += (size_t)n;
		tcp_consume(c);
	}
	bool rest = n > 0 && (size_t)n < room && !c->dead && !c->stalled;
	dplane_batch_end();
	/* Outside the batch, as the UDP lanes: a free waits for the workers
	 * to park, which they do only between callbacks. */
	if (rest)
		moderator_after(c->wloop, &c->mod, (unsigned long)n);
}

static void tcp_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct tcp_conn *c = w->data;
	if (!dplane_batch_begin()) {
		ev_timer_start(loop, w); /* paused: again after */
		return;
	}
	if (c->gone) { /* the reaper frees it: nothing more to offer */
		dplane_batch_end();
		return;
	}
	c->stalled = false;
	if (c->dead)
		tcp_end(c, c->end);
	else
		tcp_consume(c);
	if (!c->dead && !c->stalled)
		ev_io_start(loop, &c->rio);
	dplane_batch_end();
}

static void tcp_read(void *ctx)
{
	struct tcp_conn *c = ctx;
	if (c->wloop)
		tcp_read_worker(c);
	else
		tcp_read_main(c);
}

static void tcp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	tcp_read(w->data);
}

/* ---- the move to a worker -------------------------------------------------- */

/* Sessions per worker (UDP ones by their peer-id, moved TCP ones), the
 * lowest index on a tie. */
static unsigned tcp_worker_pick(const struct ovpn_server *srv)
{
	unsigned load[DP_MAX] = {0}, best = 0;
	for (uint32_t i = 0; i < OVPN_MAX_PEERS; i++) {
		const struct ovpn_sess *os = srv->by_peer_id[i];
		if (os && os->s && os->s->dp_fast && !os->closing && os->s->worker < DP_MAX)
			load[os->s->worker]++;
	}
	for (unsigned i = 1; i < dplane_count() && i < DP_MAX; i++)
		if (load[i] < load[best])
			best = i;
	return best;
}

/* The owner starts reading (inside a batch): a post rather than a pause,
 * so no other worker is stopped for a connection's move; the socket is
 * simply not read for one hop. What the main loop queued goes out. */
static void tcp_start_call(struct dp_call *call)
{
	struct tcp_conn *c = CONN_OF(call, start_call);
	if (c->gone)
		return; /* let go before it started here */
	ev_io_start(c->wloop, &c->rio);
	tcp_flush(c);
	if (c->in_len)
		tcp_consume(c); /* a frame's first part, read by the main loop */
}

static void tcp_migrate(struct tcp_conn *c)
{
	struct ev_loop *main = core_loop(c->srv->core);
	c->migrate = false;
	/* What workers handed over for it so far goes out first: in order. */
	dplane_drain();
	if (!c->os || c->os->closing)
		return;
	moderator_stop(main, &c->mod);
	ev_io_stop(main, &c->rio);
	ev_io_stop(main, &c->wio);
	ev_timer_stop(main, &c->idle);
	dirty_unlink(c);
	c->worker = tcp_worker_pick(c->srv);
	c->wloop = dplane_loop(c->worker);
	ev_timer_init(&c->retry, tcp_retry_cb, TCP_RETRY, 0);
	c->retry.data = c;
	c->os->s->worker = c->worker;
	c->os->s->dp_fast = true; /* sent to from any data-plane thread */
	c->srv->tcp_ctr[c->worker].streams++;
	c->srv->tcp_ctr[c->worker].moved++;
	core_session_steer(c->os->s);
	slog_info(c->os->label, "TCP connection moved to data-plane worker %u", c->worker);
	dplane_post(c->worker, &c->start_call, tcp_start_call);
}

/* The session's first key is active and pushed: with workers, its
 * connection moves to one (after the frames being split, if any). */
void ovpn_tcp_session_up(struct tcp_conn *c)
{
	if (dplane_count() <= 1 || c->wloop)
		return;
	if (c->in_read)
		c->migrate = true;
	else
		tcp_migrate(c);
}

/* ---- adoption ---------------------------------------------------------------- */

static void tcp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct tcp_conn *c = w->data;
	if (!c->os)
		tcp_conn_free(c, false);
}

void ovpn_transport_adopt(struct ovpn_server *srv, int fd, const union sockaddr_any *peer)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		core_preauth_put(srv->core, peer);
		return;
	}
	struct ev_loop *loop = core_loop(srv->core);
	c->srv = srv;
	c->fd = fd;
	c->peer = *peer;
	c->preauth = true;
	pthread_mutex_init(&c->out_mu, NULL);
	ev_io_init(&c->rio, tcp_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, tcp_write_cb, fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	ev_io_start(loop, &c->rio);
	moderator_init(&c->mod, &c->rio, MOD_DELAY, TCP_BURST, tcp_read, c);
	/* A connection that never starts a session is closed after the hand window. */
	ev_timer_init(&c->idle, tcp_idle_cb, core_conf(srv->core)->hand_window_sec, 0);
	c->idle.data = c;
	ev_timer_start(loop, &c->idle);
}

bool ovpn_tcp_preauth_done(struct tcp_conn *c, union sockaddr_any *peer)
{
	if (!c->preauth)
		return false;
	c->preauth = false;
	*peer = c->peer;
	return true;
}
