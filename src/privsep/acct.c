#define LOG_MODULE "keys"

#include "privsep/acct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/radius_wire.h"
#include "lib/err.h"
#include "lib/log.h"

#define RETRANSMIT_EVERY 3.0	       /* as the network process's RADIUS client */
#define DEAD_SECONDS	 30.0	       /* likewise */
#define CAP_DEFAULT	 (10000 + 128) /* the largest SKU's caps, for an unknown SKU */

struct ps_acct_entry {
	char id[PS_ACCT_ID_MAX + 1];
	char user[PS_ACCT_USER_MAX + 1];
	char calling[PS_ACCT_CALLING_MAX + 1];
	char nas_id[PS_ACCT_NAS_MAX + 1];
	char handle[PS_HANDLE_MAX + 1]; /* the accounting server's secret */
	uint8_t class_[PS_ACCT_CLASS_MAX];
	size_t class_len;
	uint32_t framed_ip, nas_ip;
	struct sockaddr_in server;
	double started;						 /* monotonic, at its Start */
	uint64_t in_octets, out_octets, in_packets, out_packets; /* its last Interim-Update's */
	uint32_t session_time;					 /* at its loss */
	time_t lost_at;
	uint32_t cause; /* its own Stop is on its way (session_time, lost_at are its) */
};

struct ps_acct_stop {
	struct ps_acct_entry *e;
	struct sockaddr_in to; /* the server it goes to now */
	char *secret;	       /* that server's (a copy: a reload may change the list) */
	size_t tried;	       /* servers it went to */
	uint8_t auth[RAD_AUTH_LEN];
	uint8_t pkt[RAD_MAX_PACKET];
	size_t len;
	double first, last, server_started;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ps_acct_init(struct ps_acct *a)
{
	memset(a, 0, sizeof(*a));
	a->max = CAP_DEFAULT;
	a->timeout = 30;
}

/* "a.b.c.d[:port]" (the authentication port, 1812 by default): its
 * accounting address, the next port, as the RADIUS client uses. */
static bool server_parse(const char *addr, struct sockaddr_in *out)
{
	char host[64];
	snprintf(host, sizeof(host), "%s", addr ? addr : "");
	unsigned port = 1812;
	char *colon = strchr(host, ':');
	if (colon) {
		*colon = 0;
		port = (unsigned)atoi(colon + 1);
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)(port + 1));
	return port > 0 && port < 65535 && inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

static size_t session_cap(const struct gw_conf *c)
{
	const struct sku_info *sku = sku_lookup(c->sku);
	if (!sku)
		return CAP_DEFAULT;
	unsigned shared = sku->ikev2_openvpn_max;
	if (c->max_connections && c->max_connections < shared)
		shared = c->max_connections;
	return (size_t)shared + sku->sstp_max;
}

static void secret_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void servers_forget(struct ps_acct *a)
{
	for (size_t i = 0; i < PS_ACCT_SERVERS; i++) {
		secret_free(a->secrets[i]);
		a->secrets[i] = NULL;
		a->dead_until[i] = a->last_answer[i] = 0;
	}
	a->n_servers = 0;
}

static void server_add(struct ps_acct *a, const char *addr, const char *secret)
{
	size_t i = a->n_servers;
	if (i < PS_ACCT_SERVERS && server_parse(addr, &a->servers[i])) {
		a->secrets[i] = secret ? strdup(secret) : NULL;
		a->n_servers++;
	}
}

void ps_acct_learn(struct ps_acct *a, const struct gw_conf *c)
{
	servers_forget(a);
	if (c->radius_address)
		server_add(a, c->radius_address, c->radius_secret);
	for (size_t i = 0; i < c->radius_servers.n; i++)
		server_add(a, c->radius_servers.v[i].address, c->radius_servers.v[i].secret);
	a->timeout = c->radius_timeout_sec ? c->radius_timeout_sec : 30;
	a->max = session_cap(c);
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* Its index in the configured list, or n_servers. */
static size_t server_index(const struct ps_acct *a, const struct sockaddr_in *to)
{
	size_t i = 0;
	while (i < a->n_servers && !same_addr(&a->servers[i], to))
		i++;
	return i;
}

static bool server_known(const struct ps_acct *a, const struct sockaddr_in *to)
{
	return server_index(a, to) < a->n_servers;
}

static void text_copy(char *dst, const struct ps_acct_bytes *b)
{
	memcpy(dst, b->p, b->n);
	dst[b->n] = 0;
}

static size_t find(const struct ps_acct *a, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->e[i]->id) == n && memcmp(a->e[i]->id, id, n) == 0)
			return i;
	return a->n;
}

static void entry_free(struct ps_acct_entry *e)
{
	if (e)
		OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

static struct ps_acct_entry *entry_of(const struct ps_acct_rec *r, const struct ps_req *q)
{
	struct ps_acct_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	text_copy(e->id, &r->id);
	text_copy(e->user, &r->user);
	text_copy(e->calling, &r->calling);
	text_copy(e->nas_id, &r->nas_id);
	memcpy(e->handle, q->handle, q->hlen);
	memcpy(e->class_, r->class_.p, r->class_.n);
	e->class_len = r->class_.n;
	e->framed_ip = r->framed_ip;
	e->nas_ip = r->nas_ip;
	e->server.sin_family = AF_INET;
	e->server.sin_addr.s_addr = htonl(r->server_ip);
	e->server.sin_port = htons(r->server_port);
	e->started = now();
	return e;
}

static bool grow(struct ps_acct_entry ***v, size_t n, size_t *cap)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 64;
	struct ps_acct_entry **more = realloc(*v, c * sizeof(**v));
	if (!more)
		return false;
	*v = more;
	*cap = c;
	return true;
}

int ps_acct_remember(struct ps_acct *a, const struct ps_secrets *s, const struct ps_req *q)
{
	struct ps_acct_rec r;
	if (ps_acct_rec_decode(&r, q->data, q->len) < 0)
		return P2S_E_PROTO;
	struct ps_acct_entry *e = entry_of(&r, q);
	if (!e)
		return -ENOMEM;
	if (!server_known(a, &e->server) || !ps_secrets_get(s, e->handle)) {
		entry_free(e);
		return -EINVAL; /* only the configured servers, with their own secret */
	}
	size_t i = find(a, r.id.p, r.id.n);
	if (i < a->n) { /* the same session again: the newer record */
		entry_free(a->e[i]);
		a->e[i] = e;
		return 0;
	}
	if (a->n >= a->max || !grow(&a->e, a->n, &a->cap)) {
		entry_free(e);
		return P2S_E_FULL;
	}
	a->e[a->n++] = e;
	return 0;
}

int ps_acct_forget(struct ps_acct *a, const struct ps_req *q)
{
	size_t i = find(a, q->data, q->len);
	if (i == a->n)
		return -ENOENT;
	entry_free(a->e[i]);
	a->e[i] = a->e[--a->n];
	return 0;
}

int ps_acct_update(struct ps_acct *a, const struct ps_req *q)
{
	struct ps_acct_counts c;
	if (ps_acct_counts_decode(&c, q->data, q->len) < 0)
		return P2S_E_PROTO;
	size_t i = find(a, c.id.p, c.id.n);
	if (i == a->n)
		return -ENOENT;
	struct ps_acct_entry *e = a->e[i];
	e->in_octets = c.in_octets;
	e->out_octets = c.out_octets;
	e->in_packets = c.in_packets;
	e->out_packets = c.out_packets;
	if (c.cause) {
		e->cause = c.cause;
		e->session_time = c.session_time;
		e->lost_at = time(NULL);
	}
	return 0;
}

/* The Stop the network process would have sent, with what is known: the
 * counters as of the last Interim-Update (what came after died with it),
 * or its own Stop's, when that was on its way. */
static int stop_build(struct ps_acct_stop *st, uint8_t id, const char *secret)
{
	const struct ps_acct_entry *e = st->e;
	struct rad_builder b;
	rad_begin(&b, RAD_ACCOUNTING_REQUEST, id, NULL);
	rad_add_u32(&b, RAD_ACCT_STATUS_TYPE, 2);
	if (e->user[0])
		rad_add_str(&b, RAD_USER_NAME, e->user);
	rad_add_u32(&b, RAD_ACCT_AUTHENTIC, 1);
	if (e->framed_ip)
		rad_add_u32(&b, RAD_FRAMED_IP_ADDRESS, e->framed_ip);
	if (e->class_len)
		rad_add(&b, RAD_CLASS, e->class_, e->class_len);
	rad_add_u32(&b, RAD_EVENT_TIMESTAMP, (uint32_t)e->lost_at);
	rad_add_u32(&b, RAD_ACCT_SESSION_TIME, e->session_time);
	rad_add_counter64(&b, RAD_ACCT_INPUT_OCTETS, RAD_ACCT_INPUT_GIGAWORDS, e->in_octets);
	rad_add_counter64(&b, RAD_ACCT_OUTPUT_OCTETS, RAD_ACCT_OUTPUT_GIGAWORDS, e->out_octets);
	rad_add_u32(&b, RAD_ACCT_INPUT_PACKETS, (uint32_t)e->in_packets);
	rad_add_u32(&b, RAD_ACCT_OUTPUT_PACKETS, (uint32_t)e->out_packets);
	rad_add_u32(&b, RAD_ACCT_TERMINATE_CAUSE, e->cause ? e->cause : RAD_TERM_NAS_ERROR);
	if (e->nas_id[0])
		rad_add_str(&b, RAD_NAS_IDENTIFIER, e->nas_id);
	rad_add_u32(&b, RAD_NAS_IP_ADDRESS, e->nas_ip);
	rad_add_u32(&b, RAD_NAS_PORT_TYPE, 5); /* Virtual */
	if (e->calling[0])
		rad_add_str(&b, RAD_CALLING_STATION_ID, e->calling);
	rad_add_str(&b, RAD_ACCT_SESSION_ID, e->id);
	int n = rad_finish(&b, secret);
	if (n > 0) {
		memcpy(st->pkt, b.buf, (size_t)n);
		memcpy(st->auth, b.buf + 4, RAD_AUTH_LEN);
		st->len = (size_t)n;
	}
	return n < 0 ? n : 0;
}

static void stop_send(struct ps_acct *a, struct ps_acct_stop *st)
{
	st->last = now();
	sendto(a->fd, st->pkt, st->len, 0, (const struct sockaddr *)&st->to, sizeof(st->to));
}

static void stop_done(struct ps_acct *a, uint8_t id)
{
	struct ps_acct_stop *st = a->flight[id];
	entry_free(st->e);
	secret_free(st->secret);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
	a->flight[id] = NULL;
	a->n_flight--;
}

static int free_id(const struct ps_acct *a)
{
	for (int i = 0; i < PS_ACCT_IN_FLIGHT; i++)
		if (!a->flight[i])
			return i;
	return -1;
}

/* The Stop, rebuilt for server i of the list (its own secret and a new
 * Request Authenticator); false when that server has no secret here. */
static bool stop_retarget(struct ps_acct *a, struct ps_acct_stop *st, size_t i, uint8_t id)
{
	char *secret = a->secrets[i] ? strdup(a->secrets[i]) : NULL;
	if (!secret || stop_build(st, id, secret) < 0) {
		secret_free(secret);
		return false;
	}
	secret_free(st->secret);
	st->secret = secret;
	st->to = a->servers[i];
	st->tried++;
	st->server_started = now();
	return true;
}

/* The next configured server after the current one, live ones first;
 * false once each has had its timeout. */
static bool stop_failover(struct ps_acct *a, struct ps_acct_stop *st, uint8_t id)
{
	size_t n = a->n_servers, cur = server_index(a, &st->to);
	size_t base = cur < n ? cur : n - 1; /* not listed (a reload): from the first */
	double t = now();
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 1; st->tried < n && k <= n; k++) {
			size_t i = (base + k) % n;
			if (i == cur || (pass == 0 && a->dead_until[i] > t))
				continue;
			if (stop_retarget(a, st, i, id))
				return true;
		}
	return false;
}

/* One lost session's Stop on its way, or dropped when it cannot be: to its
 * Start's server, unless that one is known silent and another is not. */
static void stop_start(struct ps_acct *a, const struct ps_secrets *s, struct ps_acct_entry *e,
		       int id)
{
	const char *secret = ps_secrets_get(s, e->handle);
	struct ps_acct_stop *st = secret ? calloc(1, sizeof(*st)) : NULL;
	if (st) {
		st->e = e;
		st->to = e->server;
		st->secret = strdup(secret);
		st->tried = 1;
	}
	if (!st || !st->secret || stop_build(st, (uint8_t)id, st->secret) < 0) {
		log_warn("no Stop for session %s: %s", e->id,
			 secret ? "out of memory" : "its server's secret is gone");
		if (st)
			secret_free(st->secret);
		free(st);
		entry_free(e);
		return;
	}
	st->first = st->server_started = now();
	size_t i = server_index(a, &st->to);
	if (i < a->n_servers && a->dead_until[i] > st->first)
		stop_failover(a, st, (uint8_t)id); /* else it stays with its own */
	a->flight[id] = st;
	a->n_flight++;
	stop_send(a, st);
}

/* As many Stops on their way as there are identifiers free. */
static void fill(struct ps_acct *a, const struct ps_secrets *s)
{
	if (!a->fd_open) {
		a->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		a->fd_open = a->fd >= 0;
	}
	while (a->fd_open && a->next_orphan < a->n_orphans) {
		int id = free_id(a);
		if (id < 0)
			return;
		stop_start(a, s, a->orphans[a->next_orphan], id);
		a->orphans[a->next_orphan++] = NULL;
	}
}

void ps_acct_lost(struct ps_acct *a, const struct ps_secrets *s)
{
	if (!a->n)
		return;
	size_t own = 0; /* whose own Stop was on its way, unanswered */
	for (size_t i = 0; i < a->n; i++)
		own += a->e[i]->cause != 0;
	log_warn("the network process took %zu RADIUS-accounted session%s with it: sending "
		 "their Accounting-Request Stop (Acct-Terminate-Cause NAS-Error; %zu as its own "
		 "unanswered Stop)",
		 a->n, a->n == 1 ? "" : "s", own);
	double t = now();
	for (size_t i = 0; i < a->n; i++) {
		struct ps_acct_entry *e = a->e[i];
		if (!e->cause) {
			e->session_time = (uint32_t)(t - e->started);
			e->lost_at = time(NULL);
		}
		if (!grow(&a->orphans, a->n_orphans, &a->orphans_cap)) {
			entry_free(e);
			continue;
		}
		a->orphans[a->n_orphans++] = e;
	}
	a->n = 0;
	fill(a, s);
}

int ps_acct_fd(const struct ps_acct *a)
{
	return a->n_flight && a->fd_open ? a->fd : -1;
}

double ps_acct_due(const struct ps_acct *a)
{
	double due = 0;
	for (int i = 0; a->n_flight && i < PS_ACCT_IN_FLIGHT; i++) {
		const struct ps_acct_stop *st = a->flight[i];
		if (!st)
			continue;
		double t = st->last + RETRANSMIT_EVERY;
		if (st->server_started + a->timeout < t)
			t = st->server_started + a->timeout;
		if (!due || t < due)
			due = t;
	}
	return due;
}

static void answer_in(struct ps_acct *a, const uint8_t *p, size_t n, const struct sockaddr_in *from)
{
	struct ps_acct_stop *st = n >= 20 ? a->flight[p[1]] : NULL;
	if (!st || p[0] != RAD_ACCOUNTING_RESPONSE || !same_addr(from, &st->to) ||
	    rad_check_reply(p, n, st->auth, st->secret, false, NULL) != RAD_REPLY_OK)
		return;
	size_t i = server_index(a, from);
	if (i < a->n_servers) {
		a->last_answer[i] = now();
		a->dead_until[i] = 0;
	}
	log_debug("Stop for lost session %s (user \"%s\", %u s) answered", st->e->id, st->e->user,
		  st->e->session_time);
	a->answered++;
	stop_done(a, p[1]);
}

static void read_answers(struct ps_acct *a)
{
	uint8_t buf[RAD_MAX_PACKET];
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(a->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (fl == sizeof(from) && from.sin_family == AF_INET)
			answer_in(a, buf, (size_t)n, &from);
	}
}

/* A server that answered nothing since this Stop went to it is dead for a
 * while: later Stops start elsewhere. */
static void server_silent(struct ps_acct *a, const struct ps_acct_stop *st, double t)
{
	size_t i = server_index(a, &st->to);
	if (i < a->n_servers && a->last_answer[i] < st->server_started && a->dead_until[i] <= t) {
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &st->to.sin_addr, addr, sizeof(addr));
		log_warn("accounting server %s:%u did not answer a lost session's Stop within "
			 "%.0f s; the others are tried first for %.0f s",
			 addr, ntohs(st->to.sin_port), a->timeout, DEAD_SECONDS);
	}
	if (i < a->n_servers && a->last_answer[i] < st->server_started)
		a->dead_until[i] = t + DEAD_SECONDS;
}

static void expire(struct ps_acct *a)
{
	double t = now();
	for (int i = 0; i < PS_ACCT_IN_FLIGHT; i++) {
		struct ps_acct_stop *st = a->flight[i];
		if (!st)
			continue;
		if (t - st->server_started >= a->timeout) {
			server_silent(a, st, t);
			if (stop_failover(a, st, (uint8_t)i)) {
				stop_send(a, st);
				continue;
			}
			log_debug("no answer to the Stop of lost session %s", st->e->id);
			a->unanswered++;
			stop_done(a, (uint8_t)i);
		} else if (t - st->last >= RETRANSMIT_EVERY - 0.001) {
			stop_send(a, st); /* identical bytes: the server spots the duplicate */
		}
	}
}

void ps_acct_run(struct ps_acct *a, const struct ps_secrets *s, bool readable)
{
	if (!a->fd_open)
		return;
	if (readable)
		read_answers(a);
	expire(a);
	fill(a, s);
	if (!a->n_flight && a->next_orphan == a->n_orphans) {
		log_msg(a->unanswered ? LOG_WARN : LOG_INFO, LOG_MODULE, NULL,
			"Stops of the lost sessions: %zu answered, %zu unanswered within "
			"radiusTimeoutSeconds (%.0f s)",
			a->answered, a->unanswered, a->timeout);
		a->answered = a->unanswered = 0;
		free(a->orphans);
		a->orphans = NULL;
		a->n_orphans = a->next_orphan = a->orphans_cap = 0;
		close(a->fd);
		a->fd_open = false;
	}
}

void ps_acct_drain(struct ps_acct *a, const struct ps_secrets *s, double seconds)
{
	double end = now() + seconds;
	for (int rounds = 0; a->n_flight && rounds < 100000; rounds++) {
		double t = now(), due = ps_acct_due(a);
		if (t >= end)
			break;
		if (due > end)
			due = end;
		struct pollfd p = {.fd = a->fd, .events = POLLIN};
		int k = poll(&p, 1, due > t ? (int)((due - t) * 1000.0) + 1 : 0);
		ps_acct_run(a, s, k > 0 && (p.revents & POLLIN));
	}
}

void ps_acct_free(struct ps_acct *a)
{
	for (size_t i = 0; i < a->n; i++)
		entry_free(a->e[i]);
	for (size_t i = a->next_orphan; i < a->n_orphans; i++)
		entry_free(a->orphans[i]);
	for (int i = 0; i < PS_ACCT_IN_FLIGHT; i++)
		if (a->flight[i])
			stop_done(a, (uint8_t)i);
	free(a->e);
	free(a->orphans);
	if (a->fd_open)
		close(a->fd);
	servers_forget(a);
	ps_acct_init(a);
}
