#define LOG_MODULE "radius"

#include "radius.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/stats.h"
#include "lib/net.h"
#include "lib/random.h"

#define MAX_SERVERS	 2
#define DEAD_SECONDS	 30.0
#define RETRANSMIT_EVERY 3.0
#define PROBE_EVERY	 5.0 /* Status-Server to a dead server (RFC 5997) */
/* Identifiers are per socket (RFC 5080 2.2): authentication, accounting and
 * probes each get their own sockets, so a crowd of pending logins (an MFA
 * wait is long) never starves accounting, and more sockets open on demand. */
#define AUTH_SOCKS 16 /* 4,096 logins in flight */
#define ACCT_SOCKS 4
#define N_SOCKS	   (AUTH_SOCKS + ACCT_SOCKS + 1)

struct rad_sock {
	struct radius_client *rc;
	int fd;
	ev_io io;
	struct radius_req *by_id[256];
	uint8_t next_id;
	unsigned used;
};

struct radius_server {
	union sockaddr_any addr;
	union sockaddr_any acct_addr; /* the authentication port + 1 */
	char name[64];
	char *secret;
	uint32_t score;
	double dead_until;
	double last_answer; /* a request lost before then does not make it dead */
	uint32_t nas_ip;    /* our address as this server sees it (NAS-IP-Address) */
	struct rad_ma_policy ma;
	bool unsigned_logged; /* the warning about unsigned replies, once */
	ev_timer probe;
	struct radius_client *rc;
};

struct radius_req {
	struct radius_client *rc;
	struct rad_sock *sock; /* whose identifier it holds */
	bool accounting;
	bool probe; /* a Status-Server: answers revive the server, silence is fine */
	bool cancelled;
	uint8_t id;
	uint8_t auth[RAD_AUTH_LEN];
	uint8_t pkt[RAD_MAX_PACKET];
	size_t len;
	int server; /* index into rc->servers */
	int servers_tried;
	double server_started;
	ev_timer timer;
	radius_cb cb;
	void *arg;
	/* Kept to rebuild the request for another server (its own secret). */
	struct radius_auth_req spec;
	struct radius_acct acct;
	char *strs[6];
	uint8_t class_copy[253];
	uint8_t eap_copy[RADIUS_EAP_MAX];
	uint8_t mschap[16 + 50]; /* challenge, then response */
	uint8_t state_copy[253];
};

struct radius_client {
	struct ev_loop *loop;
	struct rad_sock *socks[N_SOCKS]; /* auth, then accounting, then the probe one */
	struct radius_server servers[MAX_SERVERS];
	int n;
	double timeout;
	char nas_id[128];
	struct stats *stats; /* round trips and timeouts per server; may be NULL */
};

void radius_client_set_stats(struct radius_client *rc, struct stats *st)
{
	if (rc)
		rc->stats = st;
}

/* The source address the kernel would use to reach to: a connected UDP
 * socket sends nothing but knows its route. 127.0.0.1 if there is none. */
static uint32_t local_address_towards(const union sockaddr_any *to)
{
	uint32_t ip = 0x7f000001;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	union sockaddr_any local;
	socklen_t len = sizeof(local);
	if (fd >= 0 && connect(fd, &to->sa, sizeof(to->in)) == 0 &&
	    getsockname(fd, &local.sa, &len) == 0 && local.sa.sa_family == AF_INET)
		ip = ntohl(local.in.sin_addr.s_addr);
	if (fd >= 0)
		close(fd);
	return ip;
}

static int parse_server(struct radius_server *s, const char *addr, const char *secret,
			uint32_t score, const char *ma_mode)
{
	char host[64];
	snprintf(host, sizeof(host), "%s", addr);
	unsigned port = 1812;
	char *colon = strchr(host, ':');
	if (colon) {
		*colon = 0;
		port = (unsigned)atoi(colon + 1);
	}
	memset(s, 0, sizeof(*s));
	s->addr.in.sin_family = AF_INET;
	s->addr.in.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &s->addr.in.sin_addr) != 1 ||
	    rad_ma_mode_parse(ma_mode, &s->ma.mode) < 0)
		return -EINVAL;
	s->nas_ip = local_address_towards(&s->addr);
	s->acct_addr = s->addr;
	s->acct_addr.in.sin_port = htons((uint16_t)(port + 1));
	snprintf(s->name, sizeof(s->name), "%s:%u", host, port);
	s->secret = strdup(secret ? secret : "");
	s->score = score;
	return 0;
}

/* Higher radiusServerScore first. */
static void order_servers(struct radius_client *rc)
{
	if (rc->n == 2 && rc->servers[1].score > rc->servers[0].score) {
		struct radius_server t = rc->servers[0];
		rc->servers[0] = rc->servers[1];
		rc->servers[1] = t;
	}
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void probe_cb(struct ev_loop *loop, ev_timer *w, int revents);

struct radius_client *radius_client_new(struct ev_loop *loop, const struct gw_conf *c)
{
	struct radius_client *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return NULL;
	rc->loop = loop;
	if (c->radius_address && parse_server(&rc->servers[rc->n], c->radius_address,
					      c->radius_secret, 1, c->radius_require_ma) == 0)
		rc->n++;
	for (size_t i = 0; i < c->radius_servers.n && rc->n < MAX_SERVERS; i++) {
		const struct conf_radius_server *cs = &c->radius_servers.v[i];
		if (parse_server(&rc->servers[rc->n], cs->address, cs->secret, cs->score,
				 cs->require_ma) == 0)
			rc->n++;
	}
	order_servers(rc);
	for (int i = 0; i < rc->n; i++) {
		rc->servers[i].rc = rc;
		ev_timer_init(&rc->servers[i].probe, probe_cb, PROBE_EVERY, PROBE_EVERY);
		rc->servers[i].probe.data = &rc->servers[i];
	}
	rc->timeout = c->radius_timeout_sec;
	snprintf(rc->nas_id, sizeof(rc->nas_id), "%s", c->name);
	if (rc->n == 0) {
		radius_client_free(rc);
		return NULL;
	}
	return rc;
}

/* A Stop is forgotten by the key process (privsep) once it is answered,
 * given up or dropped: until then a crash of this process would have the
 * key process send it again. */
static void acct_forget(const struct radius_acct *a)
{
	if (radius_acct_hook && a->status_type == 2 && a->session_id)
		radius_acct_hook->stopped(a->session_id);
}

static void req_free(struct radius_req *q)
{
	struct radius_client *rc = q->rc;
	if (q->accounting)
		acct_forget(&q->acct);
	ev_timer_stop(rc->loop, &q->timer);
	if (q->sock && q->sock->by_id[q->id] == q) {
		q->sock->by_id[q->id] = NULL;
		q->sock->used--;
	}
	for (int i = 0; i < 6; i++) {
		if (q->strs[i])
			OPENSSL_cleanse(q->strs[i], strlen(q->strs[i]));
		free(q->strs[i]);
	}
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

static void sock_free(struct rad_sock *k)
{
	if (!k)
		return;
	for (int i = 0; i < 256; i++)
		if (k->by_id[i])
			req_free(k->by_id[i]);
	ev_io_stop(k->rc->loop, &k->io);
	close(k->fd);
	free(k);
}

void radius_client_free(struct radius_client *rc)
{
	if (!rc)
		return;
	for (int k = 0; k < N_SOCKS; k++)
		sock_free(rc->socks[k]);
	for (int i = 0; i < rc->n; i++) {
		ev_timer_stop(rc->loop, &rc->servers[i].probe);
		free(rc->servers[i].secret);
	}
	free(rc);
}

static struct rad_sock *sock_open(struct radius_client *rc)
{
	struct rad_sock *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->rc = rc;
	k->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		free(k);
		return NULL;
	}
	ev_io_init(&k->io, read_cb, k->fd, EV_READ);
	k->io.data = k;
	ev_io_start(rc->loop, &k->io);
	return k;
}

static int id_take(struct rad_sock *k, struct radius_req *q)
{
	for (int i = 0; i < 256; i++) {
		uint8_t id = (uint8_t)(k->next_id + i);
		if (!k->by_id[id]) {
			k->by_id[id] = q;
			k->next_id = (uint8_t)(id + 1);
			k->used++;
			q->id = id;
			q->sock = k;
			return 0;
		}
	}
	return P2S_E_FULL;
}

/* An identifier on a socket of the request's kind, opening one if all are full. */
static int alloc_id(struct radius_client *rc, struct radius_req *q)
{
	int first = q->probe ? AUTH_SOCKS + ACCT_SOCKS : q->accounting ? AUTH_SOCKS : 0;
	int n = q->probe ? 1 : q->accounting ? ACCT_SOCKS : AUTH_SOCKS;
	for (int i = first; i < first + n; i++) {
		if (!rc->socks[i] && !(rc->socks[i] = sock_open(rc)))
			return -ENOMEM;
		if (rc->socks[i]->used < 256 && id_take(rc->socks[i], q) == 0)
			return 0;
	}
	return P2S_E_FULL;
}

static void add_common(struct rad_builder *b, const struct radius_server *s,
		       struct radius_client *rc, const char *calling, const char *session_id)
{
	rad_add_str(b, RAD_NAS_IDENTIFIER, rc->nas_id);
	rad_add_u32(b, RAD_NAS_IP_ADDRESS, s->nas_ip);
	rad_add_u32(b, RAD_NAS_PORT_TYPE, 5); /* Virtual */
	if (calling)
		rad_add_str(b, RAD_CALLING_STATION_ID, calling);
	if (session_id)
		rad_add_str(b, RAD_ACCT_SESSION_ID, session_id);
}

static int build_probe(struct radius_req *q, const struct radius_server *s)
{
	struct rad_builder b;
	p2s_random(q->auth, sizeof(q->auth));
	rad_begin(&b, RAD_STATUS_SERVER, q->id, q->auth);
	rad_add_message_authenticator(&b);
	rad_add_str(&b, RAD_NAS_IDENTIFIER, q->rc->nas_id);
	int n = rad_finish(&b, s->secret);
	if (n > 0) {
		memcpy(q->pkt, b.buf, (size_t)n);
		q->len = (size_t)n;
	}
	return n < 0 ? n : 0;
}

static int build_auth(struct radius_req *q, const struct radius_server *s)
{
	struct rad_builder b;
	p2s_random(q->auth, sizeof(q->auth));
	rad_begin(&b, RAD_ACCESS_REQUEST, q->id, q->auth);
	rad_add_message_authenticator(&b);
	rad_add_str(&b, RAD_USER_NAME, q->spec.user);
	if (q->spec.password && rad_add_password(&b, q->spec.password, s->secret) < 0)
		return -EINVAL;
	if (q->spec.eap_len)
		rad_add_eap(&b, q->spec.eap, q->spec.eap_len);
	if (q->spec.state_len)
		rad_add(&b, RAD_STATE, q->spec.state, q->spec.state_len);
	if (q->spec.mschap_response) {
		rad_add_vsa(&b, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP_CHALLENGE,
			    q->spec.mschap_challenge, 16);
		rad_add_vsa(&b, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_RESPONSE,
			    q->spec.mschap_response, 50);
	}
	rad_add_u32(&b, RAD_SERVICE_TYPE, 2); /* Framed */
	if (q->spec.called_station)
		rad_add_str(&b, RAD_CALLED_STATION_ID, q->spec.called_station);
	add_common(&b, s, q->rc, q->spec.calling_station, q->spec.session_id);
	int n = rad_finish(&b, s->secret);
	if (n > 0) {
		memcpy(q->pkt, b.buf, (size_t)n);
		q->len = (size_t)n;
	}
	OPENSSL_cleanse(&b, sizeof(b));
	return n < 0 ? n : 0;
}

static int build_acct(struct radius_req *q, const struct radius_server *s)
{
	const struct radius_acct *a = &q->acct;
	struct rad_builder b;
	rad_begin(&b, RAD_ACCOUNTING_REQUEST, q->id, NULL);
	rad_add_u32(&b, RAD_ACCT_STATUS_TYPE, a->status_type);
	rad_add_str(&b, RAD_USER_NAME, a->user);
	rad_add_u32(&b, RAD_ACCT_AUTHENTIC, 1);
	if (a->framed_ip)
		rad_add_u32(&b, RAD_FRAMED_IP_ADDRESS, a->framed_ip);
	if (a->class_len)
		rad_add(&b, RAD_CLASS, a->class_, a->class_len);
	rad_add_u32(&b, RAD_EVENT_TIMESTAMP, (uint32_t)time(NULL));
	if (a->status_type != 1) {
		rad_add_u32(&b, RAD_ACCT_SESSION_TIME, a->session_time);
		rad_add_counter64(&b, RAD_ACCT_INPUT_OCTETS, RAD_ACCT_INPUT_GIGAWORDS,
				  a->in_octets);
		rad_add_counter64(&b, RAD_ACCT_OUTPUT_OCTETS, RAD_ACCT_OUTPUT_GIGAWORDS,
				  a->out_octets);
		rad_add_u32(&b, RAD_ACCT_INPUT_PACKETS, (uint32_t)a->in_packets);
		rad_add_u32(&b, RAD_ACCT_OUTPUT_PACKETS, (uint32_t)a->out_packets);
	}
	if (a->status_type == 2)
		rad_add_u32(&b, RAD_ACCT_TERMINATE_CAUSE, a->terminate_cause);
	add_common(&b, s, q->rc, a->calling_station, a->session_id);
	int n = rad_finish(&b, s->secret);
	if (n > 0) {
		memcpy(q->pkt, b.buf, (size_t)n);
		memcpy(q->auth, b.buf + 4, 16);
		q->len = (size_t)n;
	}
	return n < 0 ? n : 0;
}

static void transmit(struct radius_req *q)
{
	const struct radius_server *s = &q->rc->servers[q->server];
	const union sockaddr_any *to = q->accounting ? &s->acct_addr : &s->addr;
	sendto(q->sock->fd, q->pkt, q->len, 0, &to->sa, sizeof(to->in));
}

/* The first live server at or after index from, or -1. */
static int pick_server(struct radius_client *rc, int from, double now)
{
	for (int i = from; i < rc->n; i++)
		if (rc->servers[i].dead_until <= now)
			return i;
	return from < rc->n ? from : -1; /* all marked dead: try anyway */
}

static int start_on_server(struct radius_req *q, int idx)
{
	struct radius_client *rc = q->rc;
	q->server = idx;
	q->servers_tried++;
	q->server_started = ev_now(rc->loop);
	int r = q->probe	? build_probe(q, &rc->servers[idx])
		: q->accounting ? build_acct(q, &rc->servers[idx])
				: build_auth(q, &rc->servers[idx]);
	if (r < 0)
		return r;
	transmit(q);
	ev_timer_stop(rc->loop, &q->timer);
	ev_timer_set(&q->timer, RETRANSMIT_EVERY, RETRANSMIT_EVERY);
	ev_timer_start(rc->loop, &q->timer);
	return 0;
}

static void finish(struct radius_req *q, struct radius_result *res)
{
	if (!q->accounting && !q->cancelled && q->cb)
		q->cb(q->arg, res);
	req_free(q);
}

static void mark_dead(struct radius_client *rc, struct radius_server *s, double now)
{
	if (s->dead_until <= now) {
		log_warn("server %s did not answer within %.0f s; marked dead, probing it every "
			 "%.0f s",
			 s->name, rc->timeout, PROBE_EVERY);
		ev_timer_start(rc->loop, &s->probe);
	}
	s->dead_until = now + DEAD_SECONDS;
}

static void mark_alive(struct radius_client *rc, struct radius_server *s)
{
	if (ev_is_active(&s->probe)) {
		log_info("server %s answers again", s->name);
		ev_timer_stop(rc->loop, &s->probe);
	}
	s->dead_until = 0;
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct radius_req *q = w->data;
	struct radius_client *rc = q->rc;
	double now = ev_now(loop);
	if (q->cancelled) {
		req_free(q);
		return;
	}
	if (now - q->server_started < rc->timeout) {
		transmit(q); /* identical bytes: the server spots the duplicate */
		return;
	}
	if (q->probe) {
		req_free(q); /* still silent; the next probe comes from the server's timer */
		return;
	}
	struct radius_server *s = &rc->servers[q->server];
	stats_radius_timeout(rc->stats, s->name);
	if (s->last_answer < q->server_started)
		mark_dead(rc, s, now);
	int next = q->servers_tried < rc->n ? pick_server(rc, (q->server + 1) % rc->n, now) : -1;
	if (next >= 0 && next != q->server && start_on_server(q, next) == 0)
		return;
	struct radius_result res = {.status = RADIUS_TIMEOUT};
	finish(q, &res);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

enum req_kind { REQ_AUTH, REQ_ACCT, REQ_PROBE };

static struct radius_req *req_new(struct radius_client *rc, enum req_kind kind)
{
	struct radius_req *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->rc = rc;
	q->accounting = kind == REQ_ACCT;
	q->probe = kind == REQ_PROBE;
	if (alloc_id(rc, q) < 0) {
		free(q);
		return NULL;
	}
	ev_timer_init(&q->timer, timer_cb, RETRANSMIT_EVERY, RETRANSMIT_EVERY);
	q->timer.data = q;
	return q;
}

struct radius_req *radius_auth(struct radius_client *rc, const struct radius_auth_req *r,
			       radius_cb cb, void *arg)
{
	struct radius_req *q = req_new(rc, REQ_AUTH);
	if (!q)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	q->spec.user = q->strs[0] = dup_or_null(r->user);
	q->spec.password = q->strs[1] = dup_or_null(r->password);
	q->spec.calling_station = q->strs[2] = dup_or_null(r->calling_station);
	q->spec.called_station = q->strs[3] = dup_or_null(r->called_station);
	q->spec.session_id = q->strs[4] = dup_or_null(r->session_id);
	if (r->eap_len > sizeof(q->eap_copy) || r->state_len > sizeof(q->state_copy)) {
		req_free(q);
		return NULL;
	}
	if (r->eap_len)
		memcpy(q->eap_copy, r->eap, r->eap_len);
	if (r->state_len)
		memcpy(q->state_copy, r->state, r->state_len);
	q->spec.eap = q->eap_copy;
	q->spec.eap_len = r->eap_len;
	q->spec.state = q->state_copy;
	q->spec.state_len = r->state_len;
	if (r->mschap_response) {
		memcpy(q->mschap, r->mschap_challenge, 16);
		memcpy(q->mschap + 16, r->mschap_response, 50);
		q->spec.mschap_challenge = q->mschap;
		q->spec.mschap_response = q->mschap + 16;
	}
	int idx = pick_server(rc, 0, ev_now(rc->loop));
	if (idx < 0 || start_on_server(q, idx) < 0) {
		req_free(q);
		return NULL;
	}
	return q;
}

static void probe_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct radius_server *s = w->data;
	struct radius_req *q = req_new(s->rc, REQ_PROBE);
	if (!q)
		return;
	if (start_on_server(q, (int)(s - s->rc->servers)) < 0)
		req_free(q);
}

/* The session went away: no more retransmissions; the identifier is kept a
 * little longer so that a late reply is still recognised and consumed. */
void radius_cancel(struct radius_req *q)
{
	if (!q)
		return;
	q->cancelled = true;
	ev_timer_stop(q->rc->loop, &q->timer);
	ev_timer_set(&q->timer, RETRANSMIT_EVERY, 0);
	ev_timer_start(q->rc->loop, &q->timer);
}

const struct radius_acct_hook *radius_acct_hook;

static void acct_tell(const struct radius_req *q)
{
	const struct radius_server *s = &q->rc->servers[q->server];
	if (q->acct.status_type == 1)
		radius_acct_hook->started(&q->acct, s->secret, &s->acct_addr.in, s->nas_ip,
					  q->rc->nas_id);
}

void radius_account(struct radius_client *rc, const struct radius_acct *a)
{
	/* A Stop's final counters and cause, kept until it is forgotten. */
	if (radius_acct_hook && a->status_type >= 2 && a->session_id)
		radius_acct_hook->updated(a);
	struct radius_req *q = rc ? req_new(rc, REQ_ACCT) : NULL;
	if (!q) {
		acct_forget(a);
		return;
	}
	q->acct = *a;
	q->acct.user = q->strs[0] = dup_or_null(a->user);
	q->acct.session_id = q->strs[1] = dup_or_null(a->session_id);
	q->acct.calling_station = q->strs[2] = dup_or_null(a->calling_station);
	if (a->class_len) {
		memcpy(q->class_copy, a->class_, a->class_len);
		q->acct.class_ = q->class_copy;
	}
	int idx = pick_server(rc, 0, ev_now(rc->loop));
	if (idx < 0 || start_on_server(q, idx) < 0) {
		req_free(q);
		return;
	}
	if (radius_acct_hook)
		acct_tell(q);
}

static void copy_text(char *dst, size_t cap, const struct rad_attr *a)
{
	size_t n = a->len < cap - 1 ? a->len : cap - 1;
	memcpy(dst, a->val, n);
	dst[n] = 0;
}

static uint32_t u32_of(const struct rad_attr *a)
{
	return a->len == 4 ? (uint32_t)a->val[0] << 24 | (uint32_t)a->val[1] << 16 |
				     (uint32_t)a->val[2] << 8 | a->val[3]
			   : 0;
}

/* MS-MPPE-Send/Recv-Key, decrypted with the request's authenticator. */
static void read_mppe(const struct rad_attr *a, const struct radius_req *q,
		      struct radius_result *res)
{
	bool send = a->vtype == RAD_MS_MPPE_SEND_KEY;
	uint8_t *key = send ? res->mppe_send : res->mppe_recv;
	size_t len = sizeof(res->mppe_send);
	const char *secret = q->rc->servers[q->server].secret;
	if (rad_mppe_decrypt(a->val, a->len, secret, q->auth, key, &len) == 0)
		*(send ? &res->mppe_send_len : &res->mppe_recv_len) = len;
}

static void read_attrs(const uint8_t *p, size_t n, const struct radius_req *q,
		       struct radius_result *res)
{
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, n);
	while (rad_iter_next(&it, &a)) {
		if (a.type == RAD_FRAMED_IP_ADDRESS)
			res->framed_ip = u32_of(&a);
		else if (a.type == RAD_SESSION_TIMEOUT)
			res->session_timeout = u32_of(&a);
		else if (a.type == RAD_REPLY_MESSAGE)
			copy_text(res->reply_message, sizeof(res->reply_message), &a);
		else if (a.type == RAD_CLASS && a.len <= sizeof(res->class_)) {
			memcpy(res->class_, a.val, a.len);
			res->class_len = a.len;
		} else if (a.type == RAD_STATE && a.len <= sizeof(res->state)) {
			memcpy(res->state, a.val, a.len);
			res->state_len = a.len;
		} else if (a.type == RAD_EAP_MESSAGE && res->eap_len + a.len <= sizeof(res->eap)) {
			memcpy(res->eap + res->eap_len, a.val, a.len); /* fragments, in order */
			res->eap_len += a.len;
		} else if (a.vendor == RAD_VENDOR_MICROSOFT &&
			   (a.vtype == RAD_MS_MPPE_SEND_KEY || a.vtype == RAD_MS_MPPE_RECV_KEY)) {
			read_mppe(&a, q, res);
		} else if (a.vendor == RAD_VENDOR_MICROSOFT && a.vtype == RAD_MS_AZURE_POLICY_ID) {
			copy_text(res->policy_id, sizeof(res->policy_id), &a);
		} else if (a.vendor == RAD_VENDOR_MICROSOFT && a.vtype == RAD_MS_CHAP2_SUCCESS &&
			   a.len > 1) {
			struct rad_attr t = a; /* the first byte is the CHAP ident */
			t.val++;
			t.len--;
			copy_text(res->mschap2_success, sizeof(res->mschap2_success), &t);
		}
	}
}

#define MA_SETTING "radiusServerRequireMessageAuthenticator"

/* Why a reply was dropped, in words an operator can act on. */
static void log_dropped(const struct radius_server *s, enum rad_verdict v)
{
	const char *why = "";
	if (v == RAD_REPLY_MISSING_MA)
		why = s->ma.mode == RAD_MA_REQUIRE ? " (" MA_SETTING " is \"require\")"
		      : s->ma.seen ? " (this server signed earlier replies: an unsigned one "
				     "is refused as a possible forgery)"
				   : " (a reply with EAP-Message must carry one, RFC 3579)";
	log_warn("dropped a reply from %s: %s%s", s->name, rad_verdict_str(v), why);
}

/* Said once per server: its replies can be forged (BlastRADIUS). */
static void log_unsigned(struct radius_server *s)
{
	if (s->unsigned_logged || s->ma.seen)
		return;
	s->unsigned_logged = true;
	log_warn("server %s does not sign its replies (no Message-Authenticator): an attacker "
		 "on the path could forge an Access-Accept (BlastRADIUS, CVE-2024-3596); have it "
		 "add Message-Authenticator to every reply, then set " MA_SETTING
		 " to \"require\" (now \"%s\")",
		 s->name, s->ma.mode == RAD_MA_NEVER ? "never" : "auto");
}

/* Checks a reply's integrity under the server's Message-Authenticator policy. */
static bool reply_trusted(struct radius_req *q, struct radius_server *s, const uint8_t *p, size_t n)
{
	bool has_ma = false;
	bool access = !q->accounting && !q->probe;
	enum rad_verdict v =
		access ? rad_check_access_reply(&s->ma, p, n, q->auth, s->secret, &has_ma)
		       : rad_check_reply(p, n, q->auth, s->secret, false, NULL);
	if (v != RAD_REPLY_OK) {
		log_dropped(s, v);
		return false;
	}
	if (access && !has_ma)
		log_unsigned(s);
	return true;
}

static void reply_in(struct rad_sock *k, const uint8_t *p, size_t n, const union sockaddr_any *from)
{
	struct radius_client *rc = k->rc;
	struct radius_req *q = n >= 20 ? k->by_id[p[1]] : NULL;
	if (!q)
		return;
	struct radius_server *s = &rc->servers[q->server];
	if (!sockaddr_equal(from, q->accounting ? &s->acct_addr : &s->addr))
		return;
	bool access = !q->accounting;
	if (!reply_trusted(q, s, p, n))
		return;
	s->last_answer = ev_now(rc->loop);
	stats_radius_rtt(rc->stats, s->name, s->last_answer - q->server_started);
	mark_alive(rc, s);
	if (q->probe) {
		req_free(q);
		return;
	}
	struct radius_result res = {.status = RADIUS_REJECT, .server = s->name};
	if (access && p[0] == RAD_ACCESS_ACCEPT)
		res.status = RADIUS_ACCEPT;
	else if (access && p[0] == RAD_ACCESS_CHALLENGE)
		res.status = RADIUS_CHALLENGE;
	if (access != (p[0] != RAD_ACCOUNTING_RESPONSE))
		return; /* a reply of the wrong kind for this id */
	if (access)
		read_attrs(p, n, q, &res);
	finish(q, &res);
	OPENSSL_cleanse(&res, sizeof(res)); /* MPPE keys */
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct rad_sock *k = w->data;
	uint8_t buf[RAD_MAX_PACKET];
	for (int i = 0; i < 64; i++) {
		union sockaddr_any from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(k->fd, buf, sizeof(buf), 0, &from.sa, &fl);
		if (n < 0)
			return;
		reply_in(k, buf, (size_t)n, &from);
	}
}
