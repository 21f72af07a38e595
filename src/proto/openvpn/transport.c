/* Sockets for the OpenVPN engine: the UDP lanes with the stateless
 * HMAC-cookie handshake and peer-id lookup, and what both transports share
 * (sending, detaching, counters); TCP connections are tcp.c's. */
#define LOG_MODULE "openvpn"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "lib/cursor.h"
#include "lib/err.h"
#include "lib/hmac.h"
#include "lib/log.h"
#include "lib/siphash.h"

#define COOKIE_SLOT 30 /* seconds: (hand-window + 1) / 2 */
/* Read moderation (core/moderate.h): how long a busy socket rests, and
 * what counts as a burst. */
#define MOD_DELAY 0.001
#define UDP_BURST 4 /* datagrams per MOD_DELAY */

void ovpn_warn_drop(struct ovpn_server *srv, const union sockaddr_any *from, const char *why)
{
	double now = ovpn_now(srv);
	srv->hmac_drops++;
	if (now - srv->last_hmac_warn < 2.0)
		return; /* rate-limited: one line per 2 s */
	srv->last_hmac_warn = now;
	char a[64];
	sockaddr_str(from, a, sizeof(a));
	log_warn("dropped packet from %s: %s (%u dropped so far)", a, why, srv->hmac_drops);
}

const char *ovpn_ctl_error(const struct ovpn_server *srv, int r)
{
	/* With tls-auth on, a packet too short for its HMAC is one sent without it. */
	if (srv->ta.enabled && (r == P2S_E_AUTH || r == P2S_E_TRUNC))
		return "tls-auth HMAC check failed (client without the right tls-auth key?)";
	return "malformed control packet";
}

/* ---- UDP ---------------------------------------------------------------- */

/* Keyed: clients choose their ports, so they must not choose our buckets. */
static unsigned addr_hash(const struct ovpn_server *srv, const union sockaddr_any *a)
{
	uint8_t k[18];
	bool v6 = a->sa.sa_family == AF_INET6;
	size_t n = v6 ? 16 : 4;
	memcpy(k, v6 ? (const void *)&a->in6.sin6_addr : (const void *)&a->in.sin_addr, n);
	memcpy(k + n, v6 ? &a->in6.sin6_port : &a->in.sin_port, 2);
	return (unsigned)(siphash24(srv->hash_key, k, n + 2) % OVPN_ADDR_BUCKETS);
}

void ovpn_addr_insert(struct ovpn_server *srv, struct ovpn_sess *os)
{
	unsigned h = addr_hash(srv, &os->peer);
	os->hnext = srv->by_addr[h];
	srv->by_addr[h] = os;
}

void ovpn_addr_remove(struct ovpn_server *srv, struct ovpn_sess *os)
{
	for (struct ovpn_sess **p = &srv->by_addr[addr_hash(srv, &os->peer)]; *p; p = &(*p)->hnext)
		if (*p == os) {
			*p = os->hnext;
			return;
		}
}

struct ovpn_sess *ovpn_addr_lookup(struct ovpn_server *srv, const union sockaddr_any *a)
{
	for (struct ovpn_sess *os = srv->by_addr[addr_hash(srv, a)]; os; os = os->hnext)
		if (sockaddr_equal(&os->peer, a))
			return os;
	return NULL;
}

static uint64_t cookie(struct ovpn_server *srv, uint32_t slot, const union sockaddr_any *a,
		       uint64_t client_sid)
{
	uint8_t mac[32], s[4] = {slot >> 24, slot >> 16, slot >> 8, slot};
	const void *ap = a->sa.sa_family == AF_INET6 ? (const void *)&a->in6.sin6_addr
						     : (const void *)&a->in.sin_addr;
	size_t an = a->sa.sa_family == AF_INET6 ? 16 : 4;
	const struct hmac_part parts[] = {{s, 4}, {ap, an}, {&a->in.sin_port, 2}, {&client_sid, 8}};
	hmac_sha256(srv->cookie_key, sizeof(srv->cookie_key), parts, 4, mac);
	uint64_t v;
	memcpy(&v, mac, 8);
	return v | 1; /* never 0, which means "unknown" */
}

/* Datagrams go out once per loop iteration (or when the queue is full):
 * a super-packet's segments to one client as one UDP GSO send; each
 * thread through its own lane's socket (all of the group share the port). */
static void udp_send(struct ovpn_server *srv, const union sockaddr_any *to, const uint8_t *p,
		     size_t n)
{
	udp_batch_send(&ovpn_th(srv)->q, to, p, n);
}

static void lane_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct udp_lane *l = w->data;
	struct udp_batch *q = &l->srv->th[l->index]->q;
	if (q->n)
		udp_batch_flush(q);
}

/* Answers a client reset without keeping state: our session id is a MAC. */
static void udp_stateless_reset(struct ovpn_server *srv, const union sockaddr_any *from,
				const struct ovpn_ctl *in)
{
	uint32_t slot = (uint32_t)(time(NULL) / COOKIE_SLOT);
	struct ovpn_ctl out = {.op = OVPN_HARD_RESET_SERVER_V2, .key_id = 0};
	out.sid = cookie(srv, slot, from, in->sid);
	out.replay_id = (uint64_t)(uint32_t)time(NULL) << 32 | 1;
	out.n_acks = 1;
	out.acks[0] = in->msg_id;
	out.ack_sid = in->sid;
	out.msg_id = 0;
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &out, &srv->ta);
	if (n > 0)
		udp_send(srv, from, buf, (size_t)n);
}

static bool cookie_valid(struct ovpn_server *srv, const union sockaddr_any *from,
			 const struct ovpn_ctl *c)
{
	if (c->n_acks == 0 || (c->has_msg_id && c->msg_id > 1))
		return false;
	for (unsigned i = 0; i < c->n_acks; i++)
		if (c->acks[i] != 0)
			return false;
	uint32_t slot = (uint32_t)(time(NULL) / COOKIE_SLOT);
	for (uint32_t back = 0; back < 3; back++)
		if (c->ack_sid == cookie(srv, slot - back, from, c->sid))
			return true;
	return false;
}

static void udp_unknown_peer(struct ovpn_server *srv, const union sockaddr_any *from,
			     const uint8_t *pkt, size_t len)
{
	struct ovpn_ctl c;
	int r = ovpn_ctl_parse(pkt, len, &srv->ta, &c);
	if (r < 0) {
		ovpn_warn_drop(srv, from, ovpn_ctl_error(srv, r));
		return;
	}
	if (c.key_id != 0)
		return;
	if (c.op == OVPN_HARD_RESET_CLIENT_V2) {
		udp_stateless_reset(srv, from, &c);
		return;
	}
	if ((c.op != OVPN_CONTROL_V1 && c.op != OVPN_ACK_V1) || !cookie_valid(srv, from, &c))
		return;
	if (!core_preauth_get(srv->core, from))
		return; /* too many half-open sessions, from here or in all */
	struct ovpn_sess *os = ovpn_sess_new(srv, from, NULL, c.ack_sid, true);
	if (!os) {
		core_preauth_put(srv->core, from);
		return;
	}
	os->preauth = true;
	os->remote_sid = c.sid;
	ovpn_addr_insert(srv, os);
	ovpn_sess_input(os, pkt, len);
}

/* A client that moved (NAT rebinding) keeps its session: its data packet
 * authenticated under the session's keys, found by peer-id. */
static void udp_float(struct ovpn_server *srv, struct ovpn_sess *os, const union sockaddr_any *from)
{
	char a[64], b[64];
	sockaddr_str(&os->peer, a, sizeof(a));
	sockaddr_str(from, b, sizeof(b));
	slog_info(os->label, "client moved from %s to %s", a, b);
	ovpn_addr_remove(srv, os);
	os->peer = *from;
	os->s->peer = *from;
	ovpn_addr_insert(srv, os);
}

/* A packet from a session's address under another client session id: a new
 * client instance, or somebody spoofing that address. While the session's
 * own client is heard from (its pings) such packets are dropped unanswered:
 * an answer would reach the live client, which may act on it. Once it has
 * gone quiet, a reset is answered statelessly like any other, and the old
 * session goes only when the cookie comes back, which a blind spoofer never
 * sees. True: the packet is handled. */
static bool other_instance(struct ovpn_server *srv, struct ovpn_sess *os,
			   const union sockaddr_any *from, const uint8_t *pkt, size_t len)
{
	struct cur h;
	cur_init(&h, pkt, len);
	cur_u8(&h);
	uint64_t sid = cur_u64(&h); /* checked cheaply first: the session's own packets */
	if (os->remote_sid == 0 || !cur_ok(&h) || sid == os->remote_sid)
		return false;
	/* A live client: drop before spending an HMAC on it. */
	if (ovpn_now(srv) - os->last_recv < 2.0 * core_conf(srv->core)->ping_sec)
		return true;
	struct ovpn_ctl c;
	if (ovpn_ctl_parse(pkt, len, &srv->ta, &c) < 0)
		return false;
	if (c.op == OVPN_HARD_RESET_CLIENT_V2 && c.key_id == 0) {
		udp_stateless_reset(srv, from, &c);
		return true;
	}
	if (!cookie_valid(srv, from, &c))
		return true; /* dropped: not for this session, not a new one */
	ovpn_sess_close(os, "client restarted from the same address");
	ovpn_addr_remove(srv, os);
	udp_unknown_peer(srv, from, pkt, len);
	return true;
}

/* Data that the kernel steered to a lane its session's peer-id does not
 * name (a skewed program in tests, or a group being rebuilt) is still
 * delivered, and counted on the session. */
static void lane_check(const struct udp_lane *l, struct ovpn_sess *os)
{
	if (l->index != os->s->worker) {
		ctr_add(&os->s->ctr.cross_worker, 1);
		l->srv->lane_ctr[l->index].crossing++;
	}
}

/* Anything but a known session's data from its own address: handled on
 * the main loop with the data-plane lock exclusive. */
static void udp_slow(const struct udp_lane *l, const union sockaddr_any *from, const uint8_t *pkt,
		     size_t len)
{
	struct ovpn_server *srv = l->srv;
	struct cur c;
	cur_init(&c, pkt, len);
	uint8_t op = ovpn_op_of(cur_u8(&c));
	if (op == OVPN_DATA_V2) {
		uint32_t pid = cur_u24(&c);
		struct ovpn_sess *os =
			cur_ok(&c) && pid < OVPN_MAX_PEERS ? srv->by_peer_id[pid] : NULL;
		if (os && !os->conn)
			lane_check(l, os);
		if (os && !os->conn && ovpn_sess_input(os, pkt, len) == 0 &&
		    !sockaddr_equal(&os->peer, from) && !os->closing)
			udp_float(srv, os, from);
		return;
	}
	if (!cur_ok(&c))
		return;
	struct ovpn_sess *os = ovpn_addr_lookup(srv, from);
	if (os && other_instance(srv, os, from, pkt, len))
		return;
	if (os)
		ovpn_sess_input(os, pkt, len);
	else
		udp_unknown_peer(srv, from, pkt, len);
}

/* A known UDP session's data from its own address: the only thing a data
 * batch handles itself (any thread, the data-plane lock shared). True:
 * handled (or dropped). */
static bool udp_fast(const struct udp_lane *l, const union sockaddr_any *from, const uint8_t *pkt,
		     size_t len)
{
	struct cur c;
	cur_init(&c, pkt, len);
	if (ovpn_op_of(cur_u8(&c)) != OVPN_DATA_V2)
		return false;
	uint32_t pid = cur_u24(&c);
	struct ovpn_sess *os = cur_ok(&c) && pid < OVPN_MAX_PEERS ? l->srv->by_peer_id[pid] : NULL;
	if (!os || os->tcp || os->closing)
		return true; /* nobody's: dropped */
	if (!sockaddr_equal(&os->peer, from))
		return false; /* a move: authenticated, then floated, on the main loop */
	lane_check(l, os);
	ovpn_sess_input(os, pkt, len);
	return true;
}

static void udp_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			 const uint8_t *p, size_t n)
{
	struct ovpn_server *srv = owner;
	udp_slow(&srv->lanes[tag < srv->n_lanes ? tag : 0], from, p, n);
}

static void udp_datagram(const struct udp_lane *l, const union sockaddr_any *from,
			 const uint8_t *pkt, size_t len)
{
	if (udp_fast(l, from, pkt, len)) {
		l->srv->lane_ctr[l->index].data++;
		return;
	}
	l->srv->lane_ctr[l->index].control++;
	if (fwd_shared)
		dplane_defer(udp_deferred, l->srv, l->index, from, pkt, len);
	else
		udp_slow(l, from, pkt, len);
}

static int udp_drain(struct udp_lane *l)
{
	struct udp_in *in = &l->srv->th[l->index]->in;
	uint8_t(*bufs)[2048] = in->bufs;
	union sockaddr_any *addrs = in->addrs;
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int got = 0;
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &addrs[i],
							  .msg_namelen = sizeof(addrs[i]),
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1};
		}
		int n = recvmmsg(l->fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			udp_datagram(l, &addrs[i], bufs[i], msgs[i].msg_len);
		got += n > 0 ? n : 0;
		if (n < UDP_BATCH || l->fd < 0)
			break;
	}
	return got;
}

static void udp_read(void *ctx)
{
	struct udp_lane *l = ctx;
	if (!dplane_batch_begin())
		return;
	int got = udp_drain(l);
	dplane_batch_end();
	if (l->fd >= 0)
		moderator_after(l->loop, &l->mod, (unsigned long)got);
}

static void udp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	udp_read(w->data);
}

/* ---- shared ------------------------------------------------------------- */

void ovpn_transport_send(struct ovpn_sess *os, const uint8_t *pkt, size_t len, bool data)
{
	if (os->tcp && !os->conn)
		return; /* its connection is gone: nothing goes out by UDP instead */
	if (!os->conn) {
		if (os->srv->udp_fd >= 0)
			udp_send(os->srv, &os->peer, pkt, len);
		return;
	}
	if (ovpn_tcp_send(os->conn, pkt, len, data) < 0)
		ctr_add(&os->s->ctr.dropped, 1);
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ovpn_server *srv = w->data;
	ovpn_tcp_flush_dirty(srv);
	struct udp_batch *q = &ovpn_th(srv)->q; /* the main loop's own UDP sends */
	if (q->n)
		udp_batch_flush(q);
}

void ovpn_transport_preauth_done(struct ovpn_sess *os)
{
	union sockaddr_any peer;
	if (os->conn && ovpn_tcp_preauth_done(os->conn, &peer))
		core_preauth_put(os->srv->core, &peer);
	if (os->preauth) {
		os->preauth = false;
		core_preauth_put(os->srv->core, &os->peer);
	}
}

void ovpn_transport_detach(struct ovpn_sess *os)
{
	ovpn_transport_preauth_done(os);
	if (os->conn) {
		struct tcp_conn *c = os->conn;
		os->conn = NULL;
		ovpn_tcp_detach(c);
	} else {
		ovpn_addr_remove(os->srv, os);
	}
}

/* The workers are paused around it when they run (their loops change). */
static void udp_close(struct ovpn_server *srv)
{
	for (unsigned i = 0; i < dplane_slots() && srv->n_lanes; i++) {
		if (srv->th[i]->q.n)
			udp_batch_flush(&srv->th[i]->q);
		srv->th[i]->q.fd = -1;
	}
	for (unsigned i = 0; i < srv->n_lanes; i++) {
		struct udp_lane *l = &srv->lanes[i];
		moderator_stop(l->loop, &l->mod);
		ev_io_stop(l->loop, &l->io);
		ev_prepare_stop(l->loop, &l->flush);
		close(l->fd);
		l->fd = -1;
	}
	srv->n_lanes = 0;
	srv->udp_fd = -1;
}

static int buffers_init(struct ovpn_server *srv)
{
	for (unsigned i = 0; i < dplane_slots(); i++) {
		if (srv->th[i])
			continue; /* a reload: in use, its socket kept */
		srv->th[i] = calloc(1, sizeof(*srv->th[i]));
		if (!srv->th[i])
			return -ENOMEM;
		srv->th[i]->q.fd = -1;
	}
	if (!ev_is_active(&srv->flush_w)) {
		ev_prepare_init(&srv->flush_w, flush_cb);
		srv->flush_w.data = srv;
		ev_prepare_start(core_loop(srv->core), &srv->flush_w);
	}
	return 0;
}

/* One socket, or dataPlane.workers of them as a steered reuseport group.
 * P2SGW_STEER_SKEW (tests only) skews the program so that every session's
 * data lands on a lane that does not own it. */
static int udp_open(const struct gw_conf *c, unsigned n, int *fds)
{
	if (n <= 1) {
		fds[0] = udp_socket_open(c->listen_addr, c->udp_port);
		return fds[0] < 0 ? fds[0] : 0;
	}
	int r = steer_openvpn_group(c->listen_addr, c->udp_port, n, fds);
	const char *skew = getenv("P2SGW_STEER_SKEW");
	if (r == 0 && skew && *skew) {
		r = steer_attach_openvpn_skewed(fds[0], n, (unsigned)atoi(skew));
		log_warn("UDP steering skewed by %s (test setting)", skew);
		if (r < 0)
			for (unsigned i = 0; i < n; i++)
				close(fds[i]);
	}
	return r;
}

/* Lane i on data-plane worker i's loop (the workers are paused). */
static void lanes_start(struct ovpn_server *srv, unsigned n, const int *fds)
{
	for (unsigned i = 0; i < n; i++) {
		struct udp_lane *l = &srv->lanes[i];
		*l = (struct udp_lane){
			.srv = srv, .fd = fds[i], .index = i, .loop = dplane_loop(i)};
		ev_io_init(&l->io, udp_read_cb, fds[i], EV_READ);
		l->io.data = l;
		ev_io_start(l->loop, &l->io);
		moderator_init(&l->mod, &l->io, MOD_DELAY, UDP_BURST, udp_read, l);
		ev_prepare_init(&l->flush, lane_flush_cb);
		l->flush.data = l;
		ev_prepare_start(l->loop, &l->flush);
		srv->th[i]->q.fd = fds[i];
	}
	/* The main loop's own sends (handshakes, control) through lane 0's
	 * socket; with workers it is a slot of its own. */
	srv->th[dplane_slots() - 1]->q.fd = fds[0];
	srv->n_lanes = n;
	srv->udp_fd = fds[0];
}

int ovpn_transport_open(struct ovpn_server *srv)
{
	const struct gw_conf *c = core_conf(srv->core);
	if (buffers_init(srv) < 0)
		return -ENOMEM;
	if (srv->udp_fd >= 0 && srv->udp_port == c->udp_port)
		return 0;
	/* One lane per data-plane worker (workers change only on restart). */
	unsigned n = dplane_count();
	int fds[STEER_MAX];
	int r = udp_open(c, n, fds);
	if (r < 0) {
		log_err("cannot bind UDP %s:%u: %s", c->listen_addr, c->udp_port, p2s_strerror(r));
		return r;
	}
	dplane_pause();
	udp_close(srv); /* a new port: UDP clients reconnect to it */
	lanes_start(srv, n, fds);
	dplane_resume();
	srv->udp_port = c->udp_port;
	log_info("OpenVPN listening on UDP %s:%u (%u steered socket%s) and the shared TCP port %u "
		 "(tls-auth %s)",
		 c->listen_addr, c->udp_port, n, n == 1 ? "" : "s", c->tcp_port,
		 srv->ta.enabled ? "required" : "off");
	return 0;
}

void ovpn_transport_close(struct ovpn_server *srv)
{
	dplane_pause();
	udp_close(srv);
	dplane_resume();
	dplane_discard(srv); /* hand-offs still queued for this engine */
	if (ev_is_active(&srv->flush_w))
		ev_prepare_stop(core_loop(srv->core), &srv->flush_w);
	for (unsigned i = 0; i < DP_MAX + 1; i++) {
		free(srv->th[i]);
		srv->th[i] = NULL;
	}
}

/* The main loop's own sends go out through lane 0's socket: its GSO
 * fallbacks count there. */
bool ovpn_transport_lane_stats(const struct ovpn_server *srv, unsigned i, struct lane_stats *out)
{
	if (i >= srv->n_lanes || srv->lanes[i].fd < 0)
		return false;
	/* Then what worker i read from the TCP connections it owns. */
	static const char *const kinds[] = {"data",	"crossing",    "control",
					    "tcp_data", "tcp_handoff", "tcp_ring_waits"};
	const uint64_t n[] = {srv->lane_ctr[i].data,	srv->lane_ctr[i].crossing,
			      srv->lane_ctr[i].control, srv->tcp_ctr[i].data,
			      srv->tcp_ctr[i].handoff,	srv->tcp_ctr[i].waits};
	out->n_kinds = 6;
	for (unsigned k = 0; k < 6; k++) {
		out->kind[k] = kinds[k];
		out->packets[k] = n[k];
	}
	out->has_streams = dplane_count() > 1; /* TCP connections move to workers */
	out->streams = srv->tcp_ctr[i].streams;
	out->streams_moved = srv->tcp_ctr[i].moved;
	out->rests = moderator_rests(&srv->lanes[i].mod);
	out->gso_fallbacks = srv->th[i] ? udp_batch_gso_fallbacks(&srv->th[i]->q) : 0;
	unsigned main_slot = dplane_slots() - 1;
	if (i == 0 && main_slot > 0 && srv->th[main_slot])
		out->gso_fallbacks += udp_batch_gso_fallbacks(&srv->th[main_slot]->q);
	return true;
}
