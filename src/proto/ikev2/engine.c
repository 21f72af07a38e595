/* The IKEv2 engine: sockets on UDP 500 and 4500, demultiplexing (IKE with
 * or without the non-ESP marker, ESP by SPI, NAT keepalives), the SA
 * tables, the tick that expires half-open SAs and runs DPD, and the
 * session operations the core calls. */
#define LOG_MODULE "ikev2"

#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/radius.h"
#include "internal.h"
#include "lib/err.h"
#include "lib/random.h"
#include "lib/log.h"

double ike_now(struct ike_engine *e)
{
	return ev_now(core_loop(e->core));
}

/* The calling thread's loop time: a worker stamps with its own (the main
 * loop's may be as old as its last wake-up, and is its to write). */
static double esp_now(struct ike_engine *e)
{
	struct ev_loop *l = dplane_loop(dplane_self());
	return ev_now(l ? l : core_loop(e->core));
}

static void lane_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static struct ike_thread *ike_th(struct ike_engine *e)
{
	return e->th[dplane_self()];
}

/* ---- tables ------------------------------------------------------------- */

static size_t bucket64(uint64_t v)
{
	return (size_t)((v ^ (v >> 29) ^ (v >> 47)) % IKE_HASH_BUCKETS);
}

struct ike_sa *ike_sa_new(struct ike_engine *e, const union sockaddr_any *peer, bool natt)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->e = e;
	sa->peer = *peer;
	sa->natt = natt;
	sa->created = sa->last_rx = ike_now(e);
	sa->state = IKE_ST_HALF_OPEN;
	sockaddr_str(peer, sa->label, sizeof(sa->label));
	sa->next = e->head;
	if (e->head)
		e->head->prev = sa;
	e->head = sa;
	e->half_open++;
	return sa;
}

void ike_sa_hash(struct ike_sa *sa)
{
	size_t b = bucket64(sa->spi_r);
	sa->hnext = sa->e->by_spi[b];
	sa->e->by_spi[b] = sa;
}

struct ike_sa *ike_sa_find(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = e->by_spi[bucket64(spi_r)]; sa; sa = sa->hnext)
		if (sa->spi_r == spi_r && sa->spi_i == spi_i && sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
}

static void sa_unhash(struct ike_sa *sa)
{
	struct ike_sa **pp = &sa->e->by_spi[bucket64(sa->spi_r)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			return;
		}
}

void ike_child_hash(struct ike_child *c)
{
	size_t b = c->spi_in % IKE_HASH_BUCKETS;
	c->hnext = c->ike->e->by_esp[b];
	c->ike->e->by_esp[b] = c;
}

void ike_child_unhash(struct ike_child *c)
{
	if (!c->ike)
		return;
	struct ike_child **pp = &c->ike->e->by_esp[c->spi_in % IKE_HASH_BUCKETS];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
}

void ike_child_clear(struct ike_child *c)
{
	if (c->live) {
		ike_child_unhash(c);
		esp_sa_clear(&c->in);
		esp_sa_clear(&c->out);
	}
	memset(c, 0, sizeof(*c));
}

static struct ike_child *child_find(struct ike_engine *e, uint32_t spi)
{
	for (struct ike_child *c = e->by_esp[spi % IKE_HASH_BUCKETS]; c; c = c->hnext)
		if (c->spi_in == spi)
			return c;
	return NULL;
}

static int spi_used(uint32_t spi, void *ctx)
{
	return child_find(ctx, spi) != NULL;
}

/* The SPI carries the lane (spi % n_lanes), so the kernel's program sends
 * the client's ESP to it; a rekey draws again with the same residue. */
uint32_t ike_child_spi_new(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	unsigned n = e->n_lanes ? e->n_lanes : 1;
	unsigned lane = sa->s && sa->s->worker < n ? sa->s->worker : 0;
	return steer_esp_spi_new(n, lane, spi_used, e);
}

/* Least loaded by sessions, the lowest index on a tie: consecutive clients
 * alternate while none leaves. Called once per IKE_AUTH. */
unsigned ike_lane_pick(struct ike_engine *e)
{
	unsigned load[STEER_MAX] = {0}, best = 0;
	for (const struct ike_sa *sa = e->head; sa; sa = sa->next)
		if (sa->s && sa->state != IKE_ST_DEAD && sa->s->worker < STEER_MAX)
			load[sa->s->worker]++;
	for (unsigned i = 1; i < e->n_lanes; i++)
		if (load[i] < load[best])
			best = i;
	return best;
}

/* ---- the ESP states' data-plane parts ----------------------------------- */

/* Authenticates and decrypts under the SA's decryption lock: moves the
 * replay window, the inbound counters and the IKE SA's last-receive time
 * (atomic: the old and the new CHILD SA of a rekey may be read at once on
 * two lanes). */
static int ike_child_esp_open(struct ike_child *c, const uint8_t *pkt, size_t len, uint8_t *out,
			      size_t cap, size_t *n, uint8_t *nh)
{
	struct ike_engine *e = c->ike->e;
	pthread_mutex_t *mu = &e->dec_mu[c->spi_in % IKE_ESP_LOCKS];
	pthread_mutex_lock(mu);
	int r = esp_decrypt(&c->in, pkt, len, out, cap, n, nh);
	pthread_mutex_unlock(mu);
	if (r == 0) {
		double now = esp_now(e);
		__atomic_store(&c->ike->last_rx, &now, __ATOMIC_RELAXED);
	}
	return r;
}

/* Encrypts under the SA's encryption lock: takes the next outbound
 * sequence number, counts. Its exhaustion and the data volume are the
 * main loop's tick's to see (ike_child_rekey_tick), never a worker's. */
static int ike_child_esp_seal(struct ike_child *c, const uint8_t *pkt, size_t len, uint8_t nh,
			      uint8_t *out, size_t cap, size_t *n)
{
	pthread_mutex_t *mu = &c->ike->e->enc_mu[c->spi_out % IKE_ESP_LOCKS];
	pthread_mutex_lock(mu);
	int r = esp_encrypt(&c->out, pkt, len, nh, out, cap, n);
	pthread_mutex_unlock(mu);
	return r;
}

/* Ends the SA's session (once) and marks it for the next tick to free. */
void ike_sa_kill(struct ike_sa *sa, const char *why)
{
	if (sa->state == IKE_ST_DEAD)
		return;
	if (sa->state == IKE_ST_HALF_OPEN)
		sa->e->half_open--;
	sa->state = IKE_ST_DEAD;
	ike_child_clear(&sa->child);
	ike_child_clear(&sa->old_child);
	if (sa->s) {
		core_session_end(sa->s, RAD_TERM_LOST_CARRIER, why ? why : "IKE SA closed");
	} else if (why) {
		slog_info(sa->label, "IKE SA closed: %s", why);
	}
}

void ike_sa_free(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	ike_sa_kill(sa, NULL);
	sa_unhash(sa);
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		e->head = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	if (sa->s) {
		sa->s->proto = NULL;
		core_session_free(sa->s);
	}
	ike_frags_clear(&sa->frags);
	ike_resp_clear(sa);
	ike_rekey_clear(&sa->rk);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->req);
	if (sa->auth_req)
		OPENSSL_cleanse(sa->auth_req, sa->auth_req_len);
	free(sa->auth_req);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

/* ---- sending ------------------------------------------------------------ */

void ike_sendto(struct ike_engine *e, bool natt, const union sockaddr_any *to, const uint8_t *msg,
		size_t len)
{
	/* On 4500 an IKE message follows a zero non-ESP marker (RFC 3948 §2.2). */
	static const uint8_t marker[IKE_NON_ESP_LEN] = {0};
	struct iovec iov[2] = {{(void *)marker, sizeof(marker)}, {(void *)msg, len}};
	struct msghdr mh = {.msg_name = (void *)&to->sa,
			    .msg_namelen = sockaddr_len(to),
			    .msg_iov = natt ? iov : iov + 1,
			    .msg_iovlen = natt ? 2 : 1};
	if (sendmsg(natt ? e->fd4500 : e->fd500, &mh, 0) < 0)
		log_debug("send to IKE peer failed: %s", strerror(errno));
}

void ike_send_raw(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	ike_sendto(sa->e, sa->natt, &sa->peer, msg, len);
}

/* The main loop's own ESP sends (handed-over packets, N = 1: all). */
static void flush_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l;
	(void)revents;
	struct ike_engine *e = w->data;
	struct udp_batch *q = &e->th[dplane_slots() - 1]->q;
	if (q->n)
		udp_batch_flush(q);
}

static void lane_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct esp_lane *l = w->data;
	struct udp_batch *q = &l->e->th[l->index]->q;
	if (q->n)
		udp_batch_flush(q);
}

/* ---- session operations -------------------------------------------------- */

/* From the forwarder, on whichever thread read the TUN queue (dp_fast):
 * sealed here and sent through that thread's lane of the 4500 group (any
 * member sends with the port); the session's lane need not be this one. */
static void sess_send_ip(struct session *s, const uint8_t *pkt, size_t len)
{
	struct ike_sa *sa = s->proto;
	if (!sa || sa->state != IKE_ST_ESTABLISHED || !sa->child.live || len == 0)
		return;
	if (fwd_shared && dplane_self() != s->worker)
		ctr_add(&s->ctr.cross_worker, 1);
	uint8_t nh = (pkt[0] >> 4) == 6 ? ESP_NH_IPV6 : ESP_NH_IPV4;
	struct ike_thread *th = ike_th(sa->e);
	size_t n;
	int r = ike_child_esp_seal(&sa->child, pkt, len, nh, th->tx, sizeof(th->tx), &n);
	if (r) {
		ctr_add(&s->ctr.dropped, 1);
		return;
	}
	udp_batch_send(&th->q, &sa->peer, th->tx, n); /* the forwarder counted the packet */
}

static void sess_disconnect(struct session *s, uint32_t cause, const char *reason)
{
	struct ike_sa *sa = s->proto;
	if (!sa) {
		core_session_end(s, cause, reason);
		return;
	}
	if (sa->state == IKE_ST_ESTABLISHED)
		ike_send_delete_ike(sa);
	core_session_end(s, cause, reason);
	ike_sa_kill(sa, reason);
}

const struct session_ops ike_session_ops = {
	.proto = TUNNEL_IKEV2,
	.send_ip = sess_send_ip,
	.disconnect = sess_disconnect,
};

/* ---- receiving ----------------------------------------------------------- */

/* Authenticated ESP of a live CHILD SA: decrypted with the calling
 * thread's scratch, counted, forwarded through its forwarder. */
static bool esp_deliver(struct esp_lane *l, struct ike_child *c, const uint8_t *pkt, size_t len)
{
	struct session *s = c->ike->s;
	struct ike_thread *th = ike_th(l->e);
	size_t n;
	uint8_t nh;
	if (ike_child_esp_open(c, pkt, len, th->pt, sizeof(th->pt), &n, &nh)) {
		ctr_add(&s->ctr.dropped, 1);
		return false;
	}
	lane_count(&l->rx_esp);
	/* Not the owner's lane (a skewed program in tests, a group being
	 * rebuilt): still delivered, and counted. */
	if (l->index != s->worker) {
		lane_count(&l->rx_cross);
		ctr_add(&s->ctr.cross_worker, 1);
	}
	if (nh == ESP_NH_IPV4 || nh == ESP_NH_IPV6)  /* not dummy packets (59) or else */
		core_fwd_from_session(s, th->pt, n); /* counts it, answers DHCPINFORM, or drops */
	return true;
}

/* A live CHILD SA's (the table and the states change only under the
 * exclusive lock), or NULL. */
static struct ike_child *esp_child(struct ike_engine *e, const uint8_t *pkt, size_t len)
{
	struct ike_child *c = child_find(e, esp_spi(pkt, len));
	if (!c || !c->ike->s || c->ike->state != IKE_ST_ESTABLISHED)
		return NULL;
	return c;
}

/* ESP on the main loop (N = 1, or handed over): as the fast path, and a
 * NAT that rebinds the client's port is followed once the packet
 * authenticates. */
static void esp_input(struct esp_lane *l, const uint8_t *pkt, size_t len,
		      const union sockaddr_any *from)
{
	struct ike_child *c = esp_child(l->e, pkt, len);
	if (!c)
		return;
	struct ike_sa *sa = c->ike;
	if (esp_deliver(l, c, pkt, len) && sa->s && !sockaddr_equal(from, &sa->peer)) {
		sa->peer = *from;
		core_session_moved(sa->s, from);
	}
}

/* A worker's ESP: a live SA's packet from the session's own address is
 * handled here; false for one from another address (a NAT rebinding:
 * authenticated and followed on the main loop). An unknown SPI is
 * dropped here: the main loop, which sees the same table, would only
 * drop it too, and a flood of them would fill the ring IKE needs. */
static bool esp_fast(struct esp_lane *l, const uint8_t *pkt, size_t len,
		     const union sockaddr_any *from)
{
	struct ike_child *c = esp_child(l->e, pkt, len);
	if (!c)
		return true;
	if (!sockaddr_equal(from, &c->ike->peer))
		return false;
	esp_deliver(l, c, pkt, len);
	return true;
}

static void ike_input(struct ike_engine *e, uint8_t *msg, size_t len,
		      const union sockaddr_any *from, bool natt)
{
	struct ike_msg m;
	int r = ike_msg_parse(msg, len, &m);
	if (r) {
		log_debug("IKE message from a peer refused: %s", p2s_strerror(r));
		return;
	}
	/* We only answer requests, and read responses to our own. */
	bool is_resp = m.hdr.flags & IKE_FLAG_R;
	if (m.hdr.exchange == IKE_SA_INIT && !is_resp) {
		ike_exch_init(e, &m, from, natt);
		return;
	}
	struct ike_sa *sa = ike_sa_find(e, m.hdr.spi_i, m.hdr.spi_r);
	/* The I flag marks the SA's original initiator: the client, unless we
	 * started this SA by rekeying. */
	if (!sa || !(m.hdr.flags & IKE_FLAG_I) == !sa->initiator || m.sk_off == 0)
		return; /* INVALID_IKE_SPI is optional and would help scanners */
	if (sa->state == IKE_ST_HALF_OPEN && m.hdr.exchange != IKE_AUTH)
		return;
	uint8_t first;
	size_t ilen;
	r = ike_open_protected(sa, &m, &first, &ilen);
	if (r <= 0) {
		if (r < 0)
			slog_debug(sa->label, "%s message dropped: %s",
				   ike_exchange_name(m.hdr.exchange), p2s_strerror(r));
		return;
	}
	sa->last_rx = ike_now(e);
	if (natt && !sockaddr_equal(from, &sa->peer)) {
		sa->peer = *from;
		if (sa->s)
			core_session_moved(sa->s, from);
	}
	sa->natt = sa->natt || natt;
	struct ike_chain ch;
	memcpy(e->inner, e->pt, ilen);
	if (is_resp) {
		/* An answer to our DPD, delete or rekey. */
		sa->tx_pending = false;
		sa->tx_mid++;
		if (sa->closing) {
			ike_sa_kill(sa, NULL); /* our Delete of a replaced SA, answered */
			return;
		}
		if (sa->rk.active && m.hdr.msg_id == sa->rk.msg_id &&
		    m.hdr.exchange == IKE_CREATE_CHILD_SA &&
		    ike_chain_parse(first, e->inner, ilen, &ch) == 0)
			ike_child_rekey_done(sa, &ch);
		else if (sa->rk.active && m.hdr.msg_id == sa->rk.msg_id)
			ike_rekey_clear(&sa->rk);
		return;
	}
	if (m.hdr.exchange == IKE_AUTH) {
		ike_exch_auth(sa, &m.hdr, first, e->inner, ilen);
		return;
	}
	if (ike_chain_parse(first, e->inner, ilen, &ch) ||
	    ike_chain_check(&ch, m.hdr.exchange, true))
		return;
	if (m.hdr.exchange == IKE_INFORMATIONAL)
		ike_exch_info(sa, &m.hdr, &ch);
	else if (m.hdr.exchange == IKE_CREATE_CHILD_SA)
		ike_exch_child(sa, &m.hdr, &ch);
}

static void udp_read(struct ike_engine *e, int fd)
{
	for (int i = 0; i < 64; i++) {
		union sockaddr_any from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, e->rx, sizeof(e->rx), 0, &from.sa, &fl);
		if (n <= 0)
			return;
		ike_input(e, e->rx, (size_t)n, &from, false);
	}
}

/* One datagram on 4500 on the main loop: ESP, an IKE message behind the
 * non-ESP marker, or a NAT keepalive. The program steers IKE and
 * keepalives to lane 0; one elsewhere (no program attached yet) is still
 * answered. */
static void natt_datagram(struct esp_lane *l, const uint8_t *d, size_t len,
			  const union sockaddr_any *from)
{
	struct ike_engine *e = l->e;
	if (len == 1 && d[0] == 0xff) {
		lane_count(&l->rx_ike);
		return; /* NAT keepalive (RFC 3948 §2.3) */
	}
	if (len >= IKE_NON_ESP_LEN && esp_spi(d, len) == 0) {
		lane_count(&l->rx_ike);
		size_t n = len - IKE_NON_ESP_LEN;
		memcpy(e->rx, d + IKE_NON_ESP_LEN, n); /* parsed in place */
		ike_input(e, e->rx, n, from, true);
	} else if (len >= ESP_HDR_LEN) {
		esp_input(l, d, len, from);
	}
}

#define IKE_TAG_BIG 0x80000000u /* the item is a token: take e->big */

/* Handed over by a worker: processed as if read on the main loop. */
static void natt_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			  const uint8_t *p, size_t n)
{
	struct ike_engine *e = owner;
	unsigned i = tag & ~IKE_TAG_BIG;
	struct esp_lane *l = &e->lanes[i < e->n_lanes ? i : 0];
	if (!(tag & IKE_TAG_BIG)) {
		natt_datagram(l, p, n, from);
		return;
	}
	struct ike_big big[IKE_BIG_MAX];
	pthread_mutex_lock(&e->big_mu);
	unsigned nb = e->n_big;
	memcpy(big, e->big, sizeof(big));
	e->n_big = 0;
	pthread_mutex_unlock(&e->big_mu);
	for (unsigned k = 0; k < nb; k++) {
		natt_datagram(l, big[k].p, big[k].len, &big[k].from);
		free(big[k].p);
	}
}

/* An IKE message longer than a hand-off slot (an unfragmented IKE_AUTH
 * with certificates): kept aside, a token in the ring fetches it. */
static void natt_defer_big(struct esp_lane *l, const uint8_t *d, size_t len,
			   const union sockaddr_any *from)
{
	struct ike_engine *e = l->e;
	uint8_t *p = malloc(len);
	if (!p)
		return;
	memcpy(p, d, len);
	pthread_mutex_lock(&e->big_mu);
	bool room = e->n_big < IKE_BIG_MAX;
	if (room)
		e->big[e->n_big++] = (struct ike_big){.from = *from, .p = p, .len = len};
	pthread_mutex_unlock(&e->big_mu);
	if (!room) {
		free(p); /* the client retransmits */
		return;
	}
	dplane_defer(natt_deferred, e, l->index | IKE_TAG_BIG, from, (const uint8_t *)"", 0);
}

/* A worker's datagram: ESP of a live SA from its session's address is
 * handled here, a keepalive only counted (nothing to answer); IKE and a
 * rebinding go to the main loop, which holds the IKE SA's state. */
static void natt_worker(struct esp_lane *l, const uint8_t *d, size_t len,
			const union sockaddr_any *from)
{
	if (len == 1 && d[0] == 0xff) {
		lane_count(&l->rx_ike);
		return;
	}
	bool ike = len >= IKE_NON_ESP_LEN && esp_spi(d, len) == 0;
	if (!ike && (len < ESP_HDR_LEN || esp_fast(l, d, len, from)))
		return;
	lane_count(&l->handed);
	if (len > RING_DATA)
		natt_defer_big(l, d, len, from);
	else
		dplane_defer(natt_deferred, l->e, l->index, from, d, len);
}

/* Bursts of up to IKE_RX_BATCH datagrams per system call; a wakeup that
 * found a burst rests the socket for a moment (core/moderate.h). */
#define NATT_BURST 4
#define NATT_REST  0.001

/* One batch: under the data-plane lock shared on a worker. */
static int natt_drain(struct esp_lane *l)
{
	struct ike_rx *rx = l->rx;
	int got = 0;
	struct mmsghdr m[IKE_RX_BATCH];
	struct iovec iov[IKE_RX_BATCH];
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < IKE_RX_BATCH; i++) {
			iov[i] = (struct iovec){rx->buf[i], sizeof(rx->buf[i])};
			m[i].msg_hdr = (struct msghdr){.msg_name = &rx->from[i],
						       .msg_namelen = sizeof(rx->from[i]),
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1};
		}
		int n = recvmmsg(l->fd, m, IKE_RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			if (fwd_shared)
				natt_worker(l, rx->buf[i], m[i].msg_len, &rx->from[i]);
			else
				natt_datagram(l, rx->buf[i], m[i].msg_len, &rx->from[i]);
		got += n > 0 ? n : 0;
		if (n < IKE_RX_BATCH)
			break;
	}
	return got;
}

static void natt_read(void *ctx)
{
	struct esp_lane *l = ctx;
	if (!dplane_batch_begin())
		return; /* being paused: read again after */
	int got = natt_drain(l);
	dplane_batch_end();
	moderator_after(l->loop, &l->mod, (unsigned long)got);
}

static void io500_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	struct ike_engine *e = w->data;
	udp_read(e, e->fd500);
}

static void lane_read_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	natt_read(w->data);
}

/* ---- tick ---------------------------------------------------------------- */

static void sa_tick(struct ike_sa *sa, double now)
{
	if (sa->state == IKE_ST_HALF_OPEN && now - sa->created > IKE_HALF_OPEN_TTL) {
		slog_debug(sa->label, "half-open IKE SA expired: IKE_AUTH never came");
		ike_sa_kill(sa, NULL);
	} else if ((sa->state == IKE_ST_AUTHING || sa->state == IKE_ST_AUTH_WAIT ||
		    sa->state == IKE_ST_EAP || sa->state == IKE_ST_EAP_DONE) &&
		   now - sa->created > IKE_AUTH_TTL)
		ike_sa_kill(sa, "authentication did not complete in time");
	else if (sa->state == IKE_ST_ESTABLISHED)
		ike_dpd_tick(sa, now);
	if (sa->state == IKE_ST_ESTABLISHED)
		ike_rekey_ike_tick(sa, now);
	if (sa->state == IKE_ST_ESTABLISHED)
		ike_child_rekey_tick(sa, now);
	if (sa->old_child.live && sa->old_child.expires && now > sa->old_child.expires)
		ike_child_clear(&sa->old_child);
}

static void tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	struct ike_engine *e = w->data;
	double now = ike_now(e);
	struct ike_sa *next;
	for (struct ike_sa *sa = e->head; sa; sa = next) {
		next = sa->next;
		if (sa->state != IKE_ST_DEAD)
			sa_tick(sa, now);
		if (sa->state == IKE_ST_DEAD)
			ike_sa_free(sa);
	}
	/* A new cookie secret now and then (RFC 7296 §2.6). */
	if (((uint64_t)now) % 600 == 0) {
		p2s_random(e->cookie_secret, 32);
		e->cookie_version++;
	}
}

/* ---- start / reload / stop ----------------------------------------------- */

/* The policy: one custom vpnClientIpsecPolicies entry, or the defaults. */
static int policy_load(struct ike_engine *e)
{
	const struct gw_conf *c = core_conf(e->core);
	if (c->ipsec_policies.n == 0) {
		ike_policy_default(&e->pol);
		return 0;
	}
	const struct conf_ipsec_policy *p = &c->ipsec_policies.v[0];
	int r = ike_policy_custom(&e->pol, p->ipsec_encryption, p->ipsec_integrity,
				  p->ike_encryption, p->ike_integrity, p->dh_group, p->pfs_group,
				  p->sa_lifetime_seconds, p->sa_data_size_kb);
	if (r)
		log_err("vpnClientIpsecPolicies[0] cannot be used for IKEv2: %s", p2s_strerror(r));
	return r;
}

/* CERTREQ names the uploaded roots by their key's SHA-1 (RFC 7296 §3.7). */
static void certreq_load(struct ike_engine *e)
{
	const struct gw_conf *c = core_conf(e->core);
	e->certreq_len = 0;
	for (size_t i = 0; i < c->roots.n && e->certreq_len + 20 <= sizeof(e->certreq); i++) {
		const uint8_t *p = c->roots.v[i].der;
		X509 *x = p ? d2i_X509(NULL, &p, (long)c->roots.v[i].der_len) : NULL;
		uint8_t *spki = NULL;
		int n = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki) : -1;
		if (n > 0) {
			SHA1(spki, (size_t)n, e->certreq + e->certreq_len);
			e->certreq_len += 20;
		}
		OPENSSL_free(spki);
		X509_free(x);
	}
}

/* UDP 4500: one socket, or dataPlane.workers of them as a group steered
 * by SPI. P2SGW_STEER_SKEW (tests only) skews the program so that every
 * ESP packet lands on a lane that does not own its SA. */
static int lanes_bind(const struct gw_conf *c, uint16_t port, unsigned n, int *fds)
{
	if (n <= 1) {
		fds[0] = udp_socket_open(c->listen_addr, port);
		return fds[0] < 0 ? fds[0] : 0;
	}
	int r = steer_esp_group(c->listen_addr, port, n, fds);
	const char *skew = getenv("P2SGW_STEER_SKEW");
	if (r == 0 && skew && *skew) {
		r = steer_attach_esp_skewed(fds[0], n, (unsigned)atoi(skew));
		log_warn("ESP steering skewed by %s (test setting)", skew);
		if (r < 0)
			for (unsigned i = 0; i < n; i++)
				close(fds[i]);
	}
	return r;
}

static int lanes_open(struct ike_engine *e)
{
	const struct gw_conf *c = core_conf(e->core);
	unsigned n = c->workers ? c->workers : 1;
	int fds[STEER_MAX];
	int r = lanes_bind(c, e->port4500, n, fds);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		struct esp_lane *l = &e->lanes[i];
		l->e = e;
		l->fd = fds[i];
		l->index = i;
		l->loop = dplane_loop(i);
		l->rx = calloc(1, sizeof(*l->rx));
		ev_io_init(&l->io, lane_read_cb, l->fd, EV_READ);
		l->io.data = l;
		ev_prepare_init(&l->flush, lane_flush_cb);
		l->flush.data = l;
		moderator_init(&l->mod, &l->io, NATT_REST, NATT_BURST, natt_read, l);
	}
	e->n_lanes = n;
	e->fd4500 = fds[0];
	for (unsigned i = 0; i < n; i++)
		if (!e->lanes[i].rx)
			return -ENOMEM;
	return 0;
}

/* Each thread's scratch; its send batch through its lane's socket, the
 * main loop's (the last slot) through lane 0's. */
static int threads_open(struct ike_engine *e)
{
	for (unsigned i = 0; i < dplane_slots(); i++) {
		e->th[i] = calloc(1, sizeof(*e->th[i]));
		if (!e->th[i])
			return -ENOMEM;
		e->th[i]->q.fd = e->lanes[i < e->n_lanes ? i : 0].fd;
	}
	return 0;
}

/* Lane i on worker i's loop, with the workers parked if they run. */
static void lanes_start(struct ike_engine *e)
{
	dplane_pause();
	for (unsigned i = 0; i < e->n_lanes; i++) {
		ev_io_start(e->lanes[i].loop, &e->lanes[i].io);
		ev_prepare_start(e->lanes[i].loop, &e->lanes[i].flush);
	}
	dplane_resume();
}

static void threads_close(struct ike_engine *e)
{
	for (unsigned i = 0; i < DP_MAX + 1; i++) {
		if (!e->th[i])
			continue;
		if (e->th[i]->q.n && e->th[i]->q.fd >= 0)
			udp_batch_flush(&e->th[i]->q);
		OPENSSL_cleanse(e->th[i]->pt, sizeof(e->th[i]->pt));
		free(e->th[i]);
		e->th[i] = NULL;
	}
	for (unsigned i = 0; i < e->n_big; i++)
		free(e->big[i].p);
	e->n_big = 0;
}

/* What each lane read: with N > 1, whether the kernel's choice held. The
 * workers are parked while their loops lose the lanes; the scratch goes
 * once no thread can reach it (the engine's sessions are gone). */
static void lanes_close(struct ike_engine *e)
{
	dplane_pause();
	for (unsigned i = 0; i < e->n_lanes; i++) {
		struct esp_lane *l = &e->lanes[i];
		if (e->n_lanes > 1)
			log_info("UDP %u lane %u of %u read %llu ESP packets (%llu of them for "
				 "another lane's SAs) and %llu IKE messages or keepalives; handed "
				 "%llu to the main loop",
				 e->port4500, i, e->n_lanes, (unsigned long long)l->rx_esp,
				 (unsigned long long)l->rx_cross, (unsigned long long)l->rx_ike,
				 (unsigned long long)l->handed);
		if (l->loop) {
			moderator_stop(l->loop, &l->mod);
			ev_io_stop(l->loop, &l->io);
			ev_prepare_stop(l->loop, &l->flush);
		}
	}
	dplane_resume();
	dplane_discard(e); /* hand-offs still queued for this engine */
	threads_close(e);
	for (unsigned i = 0; i < e->n_lanes; i++) {
		close(e->lanes[i].fd);
		free(e->lanes[i].rx);
		e->lanes[i].rx = NULL;
	}
	e->n_lanes = 0;
	e->fd4500 = -1;
}

static void engine_close(struct ike_engine *e)
{
	struct ev_loop *l = core_loop(e->core);
	if (e->fd500 >= 0) {
		ev_io_stop(l, &e->io500);
		close(e->fd500);
	}
	lanes_close(e);
	ev_timer_stop(l, &e->tick);
	if (ev_is_active(&e->flush))
		ev_prepare_stop(l, &e->flush);
	for (unsigned i = 0; i < IKE_ESP_LOCKS; i++) {
		pthread_mutex_destroy(&e->dec_mu[i]);
		pthread_mutex_destroy(&e->enc_mu[i]);
	}
	pthread_mutex_destroy(&e->big_mu);
}

static struct engine *ike_start(struct core *c)
{
	const struct gw_conf *conf = core_conf(c);
	struct ike_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->core = c;
	e->port500 = 500;
	e->port4500 = 4500;
	e->fd4500 = -1;
	for (unsigned i = 0; i < IKE_ESP_LOCKS; i++) {
		pthread_mutex_init(&e->dec_mu[i], NULL);
		pthread_mutex_init(&e->enc_mu[i], NULL);
	}
	pthread_mutex_init(&e->big_mu, NULL);
	e->fd500 = udp_socket_open(conf->listen_addr, e->port500);
	int r = e->fd500 < 0 ? e->fd500 : lanes_open(e);
	if (r == 0)
		r = threads_open(e);
	if (r < 0 || policy_load(e) < 0) {
		log_err("IKEv2 cannot listen on UDP %s:500/4500: %s", conf->listen_addr,
			p2s_strerror(r < 0 ? r : -ENOMEM));
		engine_close(e);
		free(e);
		return NULL;
	}
	p2s_random(e->cookie_secret, 32);
	certreq_load(e);
	struct ev_loop *l = core_loop(c);
	ev_io_init(&e->io500, io500_cb, e->fd500, EV_READ);
	e->io500.data = e;
	ev_io_start(l, &e->io500);
	ev_timer_init(&e->tick, tick_cb, 1.0, 1.0);
	e->tick.data = e;
	ev_timer_start(l, &e->tick);
	lanes_start(e);
	ev_prepare_init(&e->flush, flush_cb);
	e->flush.data = e;
	ev_prepare_start(l, &e->flush);
	char group[48] = "";
	if (e->n_lanes > 1)
		snprintf(group, sizeof(group), ", %u steered sockets on %u", e->n_lanes,
			 e->port4500);
	log_info("IKEv2 listening on UDP %s:%u and %u (%s policy, %zu root(s) in CERTREQ%s)",
		 conf->listen_addr, e->port500, e->port4500, e->pol.custom ? "custom" : "default",
		 e->certreq_len / 20, group);
	return (struct engine *)e;
}

static int ike_reload(struct engine *eng)
{
	struct ike_engine *e = (struct ike_engine *)eng;
	int r = policy_load(e);
	certreq_load(e);
	return r;
}

static void ike_stop(struct engine *eng)
{
	struct ike_engine *e = (struct ike_engine *)eng;
	while (e->head) {
		struct ike_sa *sa = e->head;
		if (sa->state == IKE_ST_ESTABLISHED)
			ike_send_delete_ike(sa);
		if (sa->s)
			core_session_end(sa->s, RAD_TERM_NAS_REQUEST, "gateway stopping IKEv2");
		ike_sa_free(sa);
	}
	engine_close(e);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

/* Lane i's reads for /metrics (relaxed atomics: lane_count). The main
 * loop's own ESP sends go out through lane 0's socket and count there. */
static bool ike_lane_stats(const struct engine *eng, unsigned i, struct lane_stats *out)
{
	const struct ike_engine *e = (const struct ike_engine *)eng;
	if (i >= e->n_lanes || e->lanes[i].fd < 0)
		return false;
	const struct esp_lane *l = &e->lanes[i];
	static const char *const kinds[] = {"esp", "crossing", "ike", "handed"};
	const uint64_t *n[] = {&l->rx_esp, &l->rx_cross, &l->rx_ike, &l->handed};
	out->n_kinds = 4;
	for (unsigned k = 0; k < 4; k++) {
		out->kind[k] = kinds[k];
		out->packets[k] = __atomic_load_n(n[k], __ATOMIC_RELAXED);
	}
	out->rests = moderator_rests(&l->mod);
	out->gso_fallbacks = e->th[i] ? udp_batch_gso_fallbacks(&e->th[i]->q) : 0;
	unsigned main_slot = dplane_slots() - 1;
	if (i == 0 && main_slot > 0 && e->th[main_slot])
		out->gso_fallbacks += udp_batch_gso_fallbacks(&e->th[main_slot]->q);
	return true;
}

const struct engine_ops ike_engine_ops = {
	.proto = TUNNEL_IKEV2,
	.start = ike_start,
	.tcp_adopt = NULL,
	.reload = ike_reload,
	.stop = ike_stop,
	.lane_stats = ike_lane_stats,
};
