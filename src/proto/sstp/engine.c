/* SSTP engine: TLS on a socket adopted from the shared port, the HTTP
 * request, SSTP framing and control messages, and connection teardown. The
 * PPP link and authentication are call.c's. */
#include "proto/sstp/engine.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/service.h"
#include "lib/err.h"
#include "lib/log.h"
#include "proto/sstp/conn.h"

#define LOG_MODULE "sstp"

const char *sstp_conn_sid(const struct sstp_conn *c)
{
	return c->s ? c->s->id : NULL;
}

void sstp_conn_arm(struct sstp_conn *c, ev_timer *t, double secs)
{
	struct ev_loop *loop = core_loop(c->eng->core);
	ev_timer_stop(loop, t);
	if (secs > 0) {
		ev_timer_set(t, secs, 0);
		ev_timer_start(loop, t);
	}
}

/* ---- TLS output ---------------------------------------------------------- */

static void set_events(struct sstp_conn *c, int events)
{
	struct ev_loop *loop = core_loop(c->eng->core);
	if (c->io.events == events)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
}

int sstp_tls_write(struct sstp_conn *c)
{
	size_t done = 0;
	while (done < c->out_len) {
		int n = SSL_write(c->ssl, c->out + done, (int)(c->out_len - done));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
				return P2S_E_PROTO;
			break;
		}
		done += (size_t)n;
	}
	if (done) {
		memmove(c->out, c->out + done, c->out_len - done);
		c->out_len -= done;
	}
	return 0;
}

/* Writes as much of out as TLS takes now; a moved call's owner does it.
 * Negative on a fatal error. */
static int flush_out(struct sstp_conn *c)
{
	if (c->on_worker) {
		sstp_worker_kick(c);
		return 0;
	}
	if (sstp_tls_write(c) < 0)
		return P2S_E_PROTO;
	set_events(c, c->out_len ? EV_READ | EV_WRITE : EV_READ);
	if (!c->out_len && c->close_on_flush)
		sstp_conn_close(c);
	return 0;
}

/* Appends to out: 1 appended, 0 dropped (data over SSTP_OUT_MAX), -1 the
 * connection must close. Data goes first: control may take twice as much. */
static int out_append(struct sstp_conn *c, const uint8_t *p, size_t len, bool droppable)
{
	if (c->out_len + len > c->out_cap) {
		if (droppable && c->out_len + len > SSTP_OUT_MAX) {
			if (c->s)
				ctr_add(&c->s->ctr.dropped, 1);
			return 0;
		}
		if (c->out_len + len > 2 * SSTP_OUT_MAX)
			return -1; /* a client that sends but never reads: not worth more memory */
		size_t cap = (c->out_len + len) * 2;
		uint8_t *n = realloc(c->out, cap);
		if (!n)
			return droppable ? 0 : -1;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	return 1;
}

/* A moved call: any thread appends under mu, the owner writes (only the
 * main loop writes control, so only it may have to close). */
static void write_moved(struct sstp_conn *c, const uint8_t *p, size_t len, bool droppable)
{
	pthread_mutex_lock(&c->mu);
	int rc = out_append(c, p, len, droppable);
	pthread_mutex_unlock(&c->mu);
	if (rc < 0)
		sstp_conn_close(c);
	else if (rc > 0)
		sstp_worker_kick(c);
}

void sstp_conn_write(struct sstp_conn *c, const uint8_t *p, size_t len, bool droppable)
{
	if (c->dead || (c->close_on_flush && droppable))
		return;
	if (c->on_worker) {
		write_moved(c, p, len, droppable);
		return;
	}
	int rc = out_append(c, p, len, droppable);
	if (rc < 0)
		sstp_conn_close(c);
	if (rc <= 0)
		return;
	if (c->st == SSTP_ST_TLS)
		return;
	if (droppable) {
		if (!c->flush_pending)
			c->eng->flush_pending++;
		c->flush_pending = true;
		return;
	}
	if (flush_out(c) < 0)
		sstp_conn_close(c);
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sstp_engine *e = w->data;
	if (!e->flush_pending)
		return;
	e->flush_pending = 0;
	for (struct sstp_conn *c = e->conns; c; c = c->next) {
		if (!c->flush_pending)
			continue;
		c->flush_pending = false;
		if (!c->dead && flush_out(c) < 0)
			sstp_conn_close(c);
		if (c->migrate && !c->dead && c->st == SSTP_ST_CONNECTED)
			sstp_worker_move(c);
		c->migrate = false;
	}
}

void sstp_conn_send_ctrl_status(struct sstp_conn *c, enum sstp_msg type, uint8_t attr,
				uint32_t status)
{
	uint8_t buf[32];
	int n = sstp_build_status_msg(buf, sizeof(buf), type, attr, status);
	if (n > 0)
		sstp_conn_write(c, buf, (size_t)n, false);
}

static void send_simple(struct sstp_conn *c, enum sstp_msg type)
{
	uint8_t buf[8];
	if (sstp_build_simple(buf, sizeof(buf), type) == 8)
		sstp_conn_write(c, buf, 8, false);
}

/* ---- teardown ------------------------------------------------------------ */

void sstp_conn_preauth_put(struct sstp_conn *c)
{
	if (c->preauth) {
		c->preauth = false;
		core_preauth_put(c->eng->core, &c->peer);
	}
}

/* A moved call only with the workers paused or stopped. */
static void conn_free(struct sstp_conn *c)
{
	struct ev_loop *loop = core_loop(c->eng->core);
	if (c->on_worker)
		sstp_worker_detach(c);
	else
		ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->neg_timer);
	ev_timer_stop(loop, &c->ppp_timer);
	ev_timer_stop(loop, &c->hello);
	ev_timer_stop(loop, &c->tls_start);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->eng->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->eng->n_conns--;
	sstp_conn_preauth_put(c);
	if (c->s)
		core_session_free(c->s);
	sstp_eaptls_free(c->eaptls);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	OPENSSL_cleanse(c->hlak, sizeof(c->hlak));
	OPENSSL_cleanse(c->hlak_alt, sizeof(c->hlak_alt));
	free(c->out);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void reaper_cb(void *arg)
{
	struct sstp_engine *e = arg;
	struct sstp_conn *c = e->conns, *next;
	bool moved = false;
	for (; c; c = c->next)
		moved |= c->dead && c->on_worker;
	if (moved)
		dplane_pause(); /* their watchers leave the workers' loops */
	for (c = e->conns; c; c = next) {
		next = c->next;
		if (c->dead)
			conn_free(c);
	}
	if (moved)
		dplane_resume();
}

/* Marks the connection dead; it is freed from the loop, never under a
 * caller's feet. Ends the session first if nobody did. */
void sstp_conn_close(struct sstp_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	sstp_conn_preauth_put(c);
	if (c->s)
		core_session_end(c->s, RAD_TERM_LOST_CARRIER, "connection closed");
	if (!c->on_worker) /* a moved one's owner stops it when it sees dead */
		ev_io_stop(core_loop(c->eng->core), &c->io);
	reaper_kick(core_loop(c->eng->core), &c->eng->reaper);
}

void sstp_conn_finish(struct sstp_conn *c, bool abort, uint32_t cause, const char *reason)
{
	if (c->dead || c->st == SSTP_ST_CLOSING)
		return;
	if (c->s)
		core_session_end(c->s, cause, reason);
	if (c->st >= SSTP_ST_CONNECT_REQ) {
		if (abort)
			sstp_conn_send_ctrl_status(c, SSTP_CALL_ABORT, SSTP_ATTR_CRYPTO_BINDING,
						   SSTP_STATUS_VALUE_NOT_SUPPORTED);
		else
			sstp_conn_send_ctrl_status(c, SSTP_CALL_DISCONNECT, SSTP_ATTR_NO_ERROR,
						   SSTP_STATUS_NO_ERROR);
	}
	c->st = SSTP_ST_CLOSING;
	ev_timer_stop(core_loop(c->eng->core), &c->ppp_timer);
	ev_timer_stop(core_loop(c->eng->core), &c->hello);
	/* wait for DISCONNECT_ACK (or the abort's grace), then close */
	sstp_conn_arm(c, &c->neg_timer, abort ? SSTP_ABORT_S : SSTP_DISCONNECT_S);
}

/* ---- SSTP control messages ----------------------------------------------- */

static void on_connect_request(struct sstp_conn *c, const struct sstp_ctrl *m)
{
	uint8_t buf[64];
	if (m->proto != SSTP_ENCAP_PPP || (m->has_status && m->status != SSTP_STATUS_NO_ERROR)) {
		uint8_t v[2] = {(uint8_t)(m->proto >> 8), (uint8_t)m->proto};
		if (++c->nak_count > 3) {
			sstp_conn_send_ctrl_status(c, SSTP_CALL_ABORT, SSTP_ATTR_NO_ERROR,
						   SSTP_STATUS_RETRY_COUNT_EXCEEDED);
			c->close_on_flush = true;
			return;
		}
		int n = sstp_build_connect_nak(buf, sizeof(buf), SSTP_ATTR_ENCAP_PROTO,
					       SSTP_STATUS_VALUE_NOT_SUPPORTED, v, 2);
		if (n > 0)
			sstp_conn_write(c, buf, (size_t)n, false);
		return;
	}
	if (RAND_bytes(c->bind.nonce, SSTP_NONCE_LEN) != 1) {
		sstp_conn_close(c);
		return;
	}
	c->bind.offered = SSTP_HASH_SHA256 | SSTP_HASH_SHA1;
	int n = sstp_build_connect_ack(buf, sizeof(buf), c->bind.offered, c->bind.nonce);
	if (n > 0)
		sstp_conn_write(c, buf, (size_t)n, false);
	c->st = SSTP_ST_PENDING;
	sstp_conn_arm(c, &c->neg_timer, SSTP_NEGOTIATION_S);
	sstp_call_start(c);
}

static void on_ctrl(struct sstp_conn *c, const uint8_t *pkt, const struct sstp_pkt *p)
{
	struct sstp_ctrl m;
	if (sstp_ctrl_parse(p->body, p->body_len, &m) < 0) {
		slog_info(sstp_conn_sid(c), "malformed control message: aborting");
		sstp_conn_send_ctrl_status(c, SSTP_CALL_ABORT, SSTP_ATTR_NO_ERROR,
					   SSTP_STATUS_INVALID_FRAME_RECEIVED);
		sstp_conn_finish(c, false, RAD_TERM_LOST_CARRIER, "malformed SSTP message");
		return;
	}
	slog_debug(sstp_conn_sid(c), "<- %s", sstp_msg_name(m.type));
	switch (m.type) {
	case SSTP_CALL_CONNECT_REQUEST:
		if (c->st == SSTP_ST_CONNECT_REQ)
			on_connect_request(c, &m);
		break;
	case SSTP_CALL_CONNECTED:
		if (c->st == SSTP_ST_PENDING)
			sstp_call_connected(c, pkt, &m);
		break;
	case SSTP_ECHO_REQUEST: send_simple(c, SSTP_ECHO_RESPONSE); break;
	case SSTP_ECHO_RESPONSE: c->echo_out = false; break;
	case SSTP_CALL_DISCONNECT:
		send_simple(c, SSTP_CALL_DISCONNECT_ACK);
		if (c->s)
			core_session_end(c->s, RAD_TERM_USER_REQUEST, "client disconnected");
		c->close_on_flush = true;
		flush_out(c);
		break;
	case SSTP_CALL_ABORT:
	case SSTP_CALL_DISCONNECT_ACK:
		if (c->s)
			core_session_end(c->s,
					 m.type == SSTP_CALL_ABORT ? RAD_TERM_LOST_CARRIER
								   : RAD_TERM_USER_REQUEST,
					 m.type == SSTP_CALL_ABORT ? "client aborted"
								   : "disconnected");
		sstp_conn_close(c);
		break;
	default: break;
	}
}

/* Handles every whole packet in the input buffer; returns bytes used. */
static size_t on_sstp(struct sstp_conn *c, const uint8_t *p, size_t n)
{
	size_t used = 0;
	while (!c->dead && used < n) {
		size_t len;
		struct sstp_pkt pkt;
		if (sstp_frame_len(p + used, n - used, &len) < 0) {
			sstp_conn_finish(c, false, RAD_TERM_LOST_CARRIER, "bad SSTP header");
			c->close_on_flush = true;
			return n;
		}
		if (len == 0 || len > n - used)
			break;
		if (sstp_pkt_parse(p + used, len, &pkt) == 0) {
			if (pkt.control)
				on_ctrl(c, p + used, &pkt);
			else if (c->st == SSTP_ST_PENDING || c->st == SSTP_ST_CONNECTED)
				sstp_call_data(c, pkt.body, pkt.body_len);
		}
		used += len;
	}
	return used;
}

static size_t on_http(struct sstp_conn *c)
{
	size_t head;
	int rc = sstp_http_parse(c->in, c->in_len, &head);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		slog_info(sstp_conn_sid(c), "not an SSTP request: 404");
		sstp_conn_write(c, (const uint8_t *)sstp_http_not_found,
				strlen(sstp_http_not_found), false);
		c->close_on_flush = true;
		flush_out(c);
		c->st = SSTP_ST_CLOSING;
		return c->in_len;
	}
	slog_debug(sstp_conn_sid(c), "SSTP_DUPLEX_POST: 200");
	sstp_conn_write(c, (const uint8_t *)sstp_http_ok, strlen(sstp_http_ok), false);
	c->st = SSTP_ST_CONNECT_REQ;
	sstp_conn_arm(c, &c->neg_timer, SSTP_NEGOTIATION_S);
	return head;
}

static void process_input(struct sstp_conn *c)
{
	size_t used = 0;
	if (c->st == SSTP_ST_HTTP)
		used = on_http(c);
	if (!c->dead && c->st >= SSTP_ST_CONNECT_REQ && c->st != SSTP_ST_CLOSING)
		used += on_sstp(c, c->in + used, c->in_len - used);
	else if (c->st == SSTP_ST_CLOSING)
		used = c->in_len; /* only DISCONNECT_ACK matters now: see below */
	if (used > c->in_len)
		used = c->in_len;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
}

/* In CLOSING, still look for the client's DISCONNECT_ACK or ABORT. */
static void closing_pkt(struct sstp_conn *c, const uint8_t *p, size_t len)
{
	struct sstp_pkt pkt;
	struct sstp_ctrl m;
	if (sstp_pkt_parse(p, len, &pkt) == 0 && pkt.control &&
	    sstp_ctrl_parse(pkt.body, pkt.body_len, &m) == 0 &&
	    (m.type == SSTP_CALL_DISCONNECT_ACK || m.type == SSTP_CALL_ABORT ||
	     m.type == SSTP_CALL_DISCONNECT)) {
		if (m.type == SSTP_CALL_DISCONNECT)
			send_simple(c, SSTP_CALL_DISCONNECT_ACK);
		c->close_on_flush = true;
		flush_out(c);
	}
}

static void closing_input(struct sstp_conn *c)
{
	size_t len;
	while (!c->dead && sstp_frame_len(c->in, c->in_len, &len) == 0 && len && len <= c->in_len) {
		closing_pkt(c, c->in, len);
		memmove(c->in, c->in + len, c->in_len - len);
		c->in_len -= len;
	}
	if (c->in_len >= sizeof(c->in) / 2)
		c->in_len = 0;
}

/* ---- what a worker hands over -------------------------------------------- */

void sstp_from_worker(void *owner, uint32_t tag, const union sockaddr_any *from, const uint8_t *p,
		      size_t n)
{
	(void)from;
	struct sstp_conn *c = owner;
	struct sstp_pkt pkt;
	if (c->dead)
		return;
	switch (tag) {
	case SSTP_W_PKT:
		if (c->st == SSTP_ST_CLOSING)
			closing_pkt(c, p, n);
		else if (sstp_pkt_parse(p, n, &pkt) == 0 && pkt.control)
			on_ctrl(c, p, &pkt);
		else if (sstp_pkt_parse(p, n, &pkt) == 0)
			sstp_call_data(c, pkt.body, pkt.body_len);
		break;
	case SSTP_W_EOF: sstp_conn_close(c); break;
	case SSTP_W_BADHDR:
		sstp_conn_finish(c, false, RAD_TERM_LOST_CARRIER, "bad SSTP header");
		c->close_on_flush = true;
		flush_out(c);
		break;
	case SSTP_W_FLUSHED:
		if (c->close_on_flush)
			sstp_conn_close(c);
		break;
	default: break;
	}
}

/* ---- TLS input ----------------------------------------------------------- */

static int handshake(struct sstp_conn *c)
{
	int rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		X509 *leaf = SSL_get_certificate(c->ssl);
		unsigned char *der = NULL;
		int n = leaf ? i2d_X509(leaf, &der) : -1;
		if (n <= 0 || sstp_binding_cert(&c->bind, der, (size_t)n) < 0) {
			OPENSSL_free(der);
			return P2S_E_CRYPTO;
		}
		OPENSSL_free(der);
		slog_debug(sstp_conn_sid(c), "TLS up: %s %s", SSL_get_version(c->ssl),
			   SSL_get_cipher_name(c->ssl));
		c->st = SSTP_ST_HTTP;
		return flush_out(c);
	}
	int e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		set_events(c, e == SSL_ERROR_WANT_WRITE ? EV_READ | EV_WRITE : EV_READ);
		return 0;
	}
	unsigned long err = ERR_peek_last_error();
	slog_info(sstp_conn_sid(c), "TLS handshake failed: %s",
		  err ? ERR_reason_error_string(err) : "connection closed");
	ERR_clear_error();
	return P2S_E_PROTO;
}

static void read_tls(struct sstp_conn *c)
{
	for (int i = 0; i < 256 && !c->dead; i++) {
		if (c->in_len == sizeof(c->in)) {
			sstp_conn_close(c); /* cannot happen with whole packets consumed */
			return;
		}
		int n = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof(c->in) - c->in_len));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return;
			ERR_clear_error();
			sstp_conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		ev_timer_again(core_loop(c->eng->core), &c->hello);
		c->echo_out = false;
		if (c->st == SSTP_ST_CLOSING)
			closing_input(c);
		else
			process_input(c);
	}
	if (!c->dead && SSL_pending(c->ssl))
		ev_feed_event(core_loop(c->eng->core), &c->io, EV_READ);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct sstp_conn *c = w->data;
	if (c->dead)
		return;
	if (c->st == SSTP_ST_TLS) {
		if (handshake(c) < 0)
			sstp_conn_close(c);
		if (c->dead || c->st == SSTP_ST_TLS)
			return;
	}
	if ((revents & EV_WRITE) && flush_out(c) < 0) {
		sstp_conn_close(c);
		return;
	}
	read_tls(c);
}

/* ---- timers -------------------------------------------------------------- */

static void neg_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sstp_conn *c = w->data;
	if (c->st == SSTP_ST_CLOSING || c->st < SSTP_ST_CONNECT_REQ) {
		sstp_conn_close(c);
		return;
	}
	slog_info(sstp_conn_sid(c), "negotiation timed out in state %d", c->st);
	sstp_conn_send_ctrl_status(c, SSTP_CALL_ABORT, SSTP_ATTR_NO_ERROR,
				   SSTP_STATUS_NEGOTIATION_TIMEOUT);
	if (c->s)
		core_session_end(c->s, RAD_TERM_LOST_CARRIER, "SSTP negotiation timed out");
	c->close_on_flush = true;
	flush_out(c);
	c->st = SSTP_ST_CLOSING;
	sstp_conn_arm(c, &c->neg_timer, SSTP_ABORT_S);
}

/* [MS-SSTP] 3.1.2.3: after a quiet interval send ECHO_REQUEST; after another
 * without any answer, drop the connection without a message. */
static void hello_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct sstp_conn *c = w->data;
	if (c->st < SSTP_ST_CONNECT_REQ || c->st == SSTP_ST_CLOSING)
		return;
	/* A moved call's owner only notes that it read: a quiet interval here
	 * is one without any read since the last tick. */
	if (c->on_worker && __atomic_exchange_n(&c->rx_seen, 0, __ATOMIC_RELAXED)) {
		c->echo_out = false;
		ev_timer_again(loop, w);
		return;
	}
	if (c->echo_out) {
		if (c->s)
			core_session_end(c->s, RAD_TERM_LOST_CARRIER, "no answer to SSTP echo");
		sstp_conn_close(c);
		return;
	}
	c->echo_out = true;
	send_simple(c, SSTP_ECHO_REQUEST);
	ev_timer_again(loop, w);
}

static void ppp_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	sstp_call_ppp_timer(w->data);
}

/* ---- engine operations --------------------------------------------------- */

static struct engine *sstp_start(struct core *core)
{
	struct sstp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->core = core;
	reaper_init(&e->reaper, SSTP_REAP_LATE, reaper_cb, e);
	ev_prepare_init(&e->flush, flush_cb);
	e->flush.data = e;
	ev_prepare_start(core_loop(core), &e->flush);
	/* A test setting: the labs watch hello on an idle call in seconds. */
	const char *hello = getenv("P2SGW_SSTP_HELLO_S");
	e->hello_s = hello && atof(hello) >= 1 ? atof(hello) : SSTP_HELLO_S;
	log_info("SSTP engine ready on the shared TCP port");
	return (struct engine *)e;
}

/* The ClientHello is answered a moment after it came. sstp-client 1.0.18
 * drives its handshake from the write of its HTTP request; when the whole
 * handshake completes inside that first write (a server answering within
 * microseconds, as on loopback) it never arms a read for the response and
 * hangs (strace: no epoll registration after the request). A 10 ms pause
 * makes its first read find nothing, which takes its working path. */
static void tls_start_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct sstp_conn *c = w->data;
	if (c->dead)
		return;
	ev_io_start(loop, &c->io);
	ev_feed_event(loop, &c->io, EV_READ);
}

static struct sstp_conn *conn_new(struct sstp_engine *e, int fd, SSL_CTX *ctx)
{
	struct sstp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->eng = e;
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION);
	ev_io_init(&c->io, io_cb, fd, EV_READ);
	ev_init(&c->neg_timer, neg_timer_cb);
	ev_init(&c->ppp_timer, ppp_timer_cb);
	ev_init(&c->hello, hello_cb);
	ev_init(&c->tls_start, tls_start_cb);
	c->hello.repeat = e->hello_s;
	sstp_worker_init(c);
	c->io.data = c->neg_timer.data = c->ppp_timer.data = c->hello.data = c;
	c->tls_start.data = c;
	c->next = e->conns;
	if (e->conns)
		e->conns->prev = c;
	e->conns = c;
	e->n_conns++;
	return c;
}

static void sstp_adopt(struct engine *eng, int fd, const union sockaddr_any *peer)
{
	struct sstp_engine *e = (struct sstp_engine *)eng;
	struct ev_loop *loop = core_loop(e->core);
	SSL_CTX *ctx = core_tls_ctx(e->core, TLS_PROFILE_SSTP);
	int one = 1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sstp_conn *c = ctx ? conn_new(e, fd, ctx) : NULL;
	if (!c) {
		core_preauth_put(e->core, peer);
		close(fd);
		return;
	}
	c->peer = *peer;
	c->preauth = true; /* the core's slot for this connection is ours now */
	c->s = core_session_new(e->core, &sstp_session_ops, c, peer);
	if (!c->s) {
		sstp_conn_close(c);
		return;
	}
	/* the TLS handshake and the HTTP request share one deadline */
	sstp_conn_arm(c, &c->neg_timer, SSTP_NEGOTIATION_S);
	ev_timer_again(loop, &c->hello);
	sstp_conn_arm(c, &c->tls_start, SSTP_TLS_START_S);
}

static int sstp_reload(struct engine *eng)
{
	(void)eng; /* new handshakes pick up core_tls_ctx() themselves */
	return 0;
}

static void sstp_stop(struct engine *eng)
{
	struct sstp_engine *e = (struct sstp_engine *)eng;
	struct sstp_conn *c, *next;
	if (!e)
		return;
	dplane_pause(); /* a reload that drops SSTP: moved calls leave the workers */
	for (c = e->conns; c; c = next) {
		next = c->next;
		if (c->s)
			core_session_end(c->s, RAD_TERM_NAS_REQUEST, "gateway stopping");
		conn_free(c);
	}
	dplane_resume();
	reaper_stop(core_loop(e->core), &e->reaper);
	ev_prepare_stop(core_loop(e->core), &e->flush);
	free(e);
}

const struct engine_ops sstp_engine_ops = {
	.proto = TUNNEL_SSTP,
	.start = sstp_start,
	.tcp_adopt = sstp_adopt,
	.reload = sstp_reload,
	.stop = sstp_stop,
	.lane_stats = sstp_lane_stats,
};
