/* The accounted sessions the key process keeps: the ACCT_START record and
 * ACCT_STOP codecs (round trips, every malformed shape refused), then the
 * set itself against a RADIUS accounting server on loopback: a session
 * stopped normally is forgotten and gets no second Stop, a lost one gets a
 * Stop with NAS-Error, its Acct-Session-Id, User-Name, Class and
 * Framed-IP-Address, signed with the server's secret and retransmitted
 * until answered; unknown servers and handles are refused, and the cap
 * holds. With two servers, a Stop its Start's server leaves unanswered
 * goes to the other with that server's own secret, and once a server is
 * known silent the next lost session's Stop starts with the other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/radius_wire.h"
#include "lib/err.h"
#include "privsep/acct.h"
#include "privsep/wire.h"

#define SECRET "acct-unit-secret"
#define HANDLE "ps-secret-0011223344556677"

static struct ps_acct_bytes txt(const char *s)
{
	return (struct ps_acct_bytes){(const uint8_t *)s, strlen(s)};
}

static struct ps_acct_rec record(const char *id, uint16_t port)
{
	return (struct ps_acct_rec){.server_ip = 0x7f000001,
				    .server_port = port,
				    .nas_ip = 0x7f000001,
				    .framed_ip = 0xac10c94d,
				    .id = txt(id),
				    .user = txt("alice"),
				    .calling = txt("192.0.2.2:4711"),
				    .nas_id = txt("lab-gw"),
				    .class_ = txt("cls-alice")};
}

/* An ACCT_START request for rec, encoded into msg, decoded into q. */
static void start_req(const struct ps_acct_rec *rec, uint8_t *msg, struct ps_req *q)
{
	uint8_t data[PS_MSG_MAX];
	struct ps_req r = {.type = PS_ACCT_START,
			   .handle = (const uint8_t *)HANDLE,
			   .hlen = strlen(HANDLE),
			   .data = data};
	size_t n = 0;
	assert_int_equal(ps_acct_rec_encode(rec, data, sizeof(data), &r.len), 0);
	assert_int_equal(ps_req_encode(&r, msg, PS_MSG_MAX, &n), 0);
	assert_int_equal(ps_req_decode(q, msg, n), 0);
}

static void test_codec(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX], msg[PS_MSG_MAX];
	struct ps_acct_rec rec = record("OpenVPN_0001", 1813), d;
	size_t n = 0;
	assert_int_equal(ps_acct_rec_encode(&rec, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 14 + 5 + 12 + 5 + 14 + 6 + 9);
	assert_int_equal(ps_acct_rec_decode(&d, buf, n), 0);
	assert_int_equal(d.server_port, 1813);
	assert_int_equal(d.framed_ip, 0xac10c94d);
	assert_memory_equal(d.class_.p, "cls-alice", 9);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(ps_acct_rec_decode(&d, buf, cut), 0);
	assert_int_equal(ps_acct_rec_decode(&d, buf, n + 1), P2S_E_TRAIL);
	struct ps_req q;
	start_req(&rec, msg, &q);
	assert_int_equal(q.type, PS_ACCT_START);
	assert_int_equal(q.hlen, strlen(HANDLE));
	/* Refused: an empty or NUL-carrying id, no server, a long id. */
	rec.id = txt("");
	assert_int_not_equal(ps_acct_rec_encode(&rec, buf, sizeof(buf), &n), 0);
	rec.id = (struct ps_acct_bytes){(const uint8_t *)"a\0b", 3};
	assert_int_not_equal(ps_acct_rec_encode(&rec, buf, sizeof(buf), &n), 0);
	rec = record("OpenVPN_0001", 0);
	assert_int_not_equal(ps_acct_rec_encode(&rec, buf, sizeof(buf), &n), 0);
	char id[PS_ACCT_ID_MAX + 2];
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = 0;
	rec = record(id, 1813);
	assert_int_not_equal(ps_acct_rec_encode(&rec, buf, sizeof(buf), &n), 0);
	/* ACCT_STOP: the id alone; none, or a NUL in it, refused. */
	struct ps_req s = {.type = PS_ACCT_STOP, .data = (const uint8_t *)"IKEv2_x", .len = 7};
	assert_int_equal(ps_req_encode(&s, msg, sizeof(msg), &n), 0);
	assert_int_equal(n, 1 + 2 + 7);
	assert_int_equal(ps_req_decode(&q, msg, n), 0);
	uint8_t bad[4] = {PS_ACCT_STOP, 0, 1, 0};
	assert_int_equal(ps_req_decode(&q, bad, 4), P2S_E_PROTO);
	uint8_t none[3] = {PS_ACCT_STOP, 0, 0};
	assert_int_equal(ps_req_decode(&q, none, 3), P2S_E_PROTO);
}

static void test_counts_codec(void **state)
{
	(void)state;
	struct ps_acct_counts c = {.id = txt("SSTP_9"),
				   .in_octets = 5ull << 32 | 7,
				   .out_octets = 1234,
				   .in_packets = 10,
				   .out_packets = 20,
				   .session_time = 77,
				   .cause = 1},
			      d;
	uint8_t buf[PS_MSG_MAX], msg[PS_MSG_MAX];
	size_t n = 0;
	assert_int_equal(ps_acct_counts_encode(&c, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 1 + 6 + 32 + 8);
	assert_int_equal(ps_acct_counts_decode(&d, buf, n), 0);
	assert_memory_equal(d.id.p, "SSTP_9", 6);
	assert_true(d.in_octets == (5ull << 32 | 7) && d.out_octets == 1234);
	assert_true(d.in_packets == 10 && d.out_packets == 20);
	assert_true(d.session_time == 77 && d.cause == 1);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(ps_acct_counts_decode(&d, buf, cut), 0);
	assert_int_equal(ps_acct_counts_decode(&d, buf, n + 1), P2S_E_TRAIL);
	/* As a request: it decodes only whole; no id, or a NUL in it, refused. */
	struct ps_req r = {.type = PS_ACCT_UPDATE, .data = buf, .len = n}, q;
	size_t m = 0;
	assert_int_equal(ps_req_encode(&r, msg, sizeof(msg), &m), 0);
	assert_int_equal(ps_req_decode(&q, msg, m), 0);
	assert_int_equal(q.type, PS_ACCT_UPDATE);
	assert_int_not_equal(ps_req_decode(&q, msg, m - 1), 0);
	c.id = txt("");
	assert_int_not_equal(ps_acct_counts_encode(&c, buf, sizeof(buf), &n), 0);
	c.id = (struct ps_acct_bytes){(const uint8_t *)"a\0b", 3};
	assert_int_not_equal(ps_acct_counts_encode(&c, buf, sizeof(buf), &n), 0);
}

struct server {
	int fd;
	uint16_t port; /* the accounting port: the configured one + 1 */
	struct ps_secrets secrets;
	struct ps_acct acct;
	struct gw_conf conf;
	char addr[32];
};

static void server_up(struct server *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &len), 0);
	sv->port = ntohs(a.sin_port);
	snprintf(sv->addr, sizeof(sv->addr), "127.0.0.1:%u", sv->port - 1u);
	snprintf(sv->secrets.e[0].handle, sizeof(sv->secrets.e[0].handle), "%s", HANDLE);
	sv->secrets.e[0].secret = strdup(SECRET);
	sv->conf.radius_address = sv->addr;
	sv->conf.radius_timeout_sec = 4;
	sv->conf.sku = "VpnGw1";
	ps_acct_init(&sv->acct);
	ps_acct_learn(&sv->acct, &sv->conf);
}

static void server_down(struct server *sv)
{
	ps_acct_free(&sv->acct);
	ps_secrets_free(&sv->secrets);
	close(sv->fd);
}

static int remember(struct server *sv, const char *id, uint16_t port)
{
	uint8_t msg[PS_MSG_MAX];
	struct ps_req q;
	struct ps_acct_rec rec = record(id, port);
	start_req(&rec, msg, &q);
	return ps_acct_remember(&sv->acct, &sv->secrets, &q);
}

/* ACCT_UPDATE for id: the counters of an Interim-Update. */
static int update(struct server *sv, const char *id, uint64_t in, uint64_t out)
{
	struct ps_acct_counts c = {.id = txt(id),
				   .in_octets = in,
				   .out_octets = out,
				   .in_packets = 3,
				   .out_packets = 4};
	uint8_t data[PS_MSG_MAX];
	struct ps_req q = {.type = PS_ACCT_UPDATE, .data = data};
	assert_int_equal(ps_acct_counts_encode(&c, data, sizeof(data), &q.len), 0);
	return ps_acct_update(&sv->acct, &q);
}

static int forget(struct server *sv, const char *id)
{
	struct ps_req q = {.type = PS_ACCT_STOP, .data = (const uint8_t *)id, .len = strlen(id)};
	return ps_acct_forget(&sv->acct, &q);
}

/* One Accounting-Request at the server within 5 s: its length, or 0. */
static size_t server_recv(struct server *sv, uint8_t *p, struct sockaddr_in *from)
{
	struct pollfd pf = {.fd = sv->fd, .events = POLLIN};
	if (poll(&pf, 1, 5000) != 1)
		return 0;
	socklen_t fl = sizeof(*from);
	ssize_t n = recvfrom(sv->fd, p, RAD_MAX_PACKET, 0, (struct sockaddr *)from, &fl);
	return n > 0 ? (size_t)n : 0;
}

/* Discards one queued datagram at the server; false when none. */
static bool server_recv_quick(struct server *sv)
{
	uint8_t p[RAD_MAX_PACKET];
	return recv(sv->fd, p, sizeof(p), MSG_DONTWAIT) > 0;
}

/* The Request Authenticator as the server checks it (RFC 2866 §3). */
static bool request_signed_with(const uint8_t *p, size_t n, const char *secret)
{
	uint8_t c[RAD_MAX_PACKET], md[16];
	memcpy(c, p, n);
	memset(c + 4, 0, 16);
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, c, n);
	EVP_DigestUpdate(x, secret, strlen(secret));
	EVP_DigestFinal_ex(x, md, NULL);
	EVP_MD_CTX_free(x);
	return memcmp(md, p + 4, 16) == 0;
}

static bool request_signed(const uint8_t *p, size_t n)
{
	return request_signed_with(p, n, SECRET);
}

static void server_answer_with(int fd, const uint8_t *req, const struct sockaddr_in *to,
			       const char *secret)
{
	uint8_t r[20 + 64];
	r[0] = RAD_ACCOUNTING_RESPONSE;
	r[1] = req[1];
	r[2] = 0;
	r[3] = 20;
	memcpy(r + 4, req + 4, 16);
	memcpy(r + 20, secret, strlen(secret));
	uint8_t md[16];
	EVP_Digest(r, 20 + strlen(secret), md, NULL, EVP_md5(), NULL);
	memcpy(r + 4, md, 16);
	sendto(fd, r, 20, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void server_answer(struct server *sv, const uint8_t *req, const struct sockaddr_in *to)
{
	server_answer_with(sv->fd, req, to, SECRET);
}

struct seen {
	char id[80], user[80], class_[80];
	uint32_t status, cause, framed, time;
	uint32_t in_octets, in_giga, out_octets, out_giga, in_packets, out_packets;
};

static void read_attrs(const uint8_t *p, size_t n, struct seen *s)
{
	struct rad_iter it;
	struct rad_attr a;
	memset(s, 0, sizeof(*s));
	rad_iter_init(&it, p, n);
	while (rad_iter_next(&it, &a)) {
		uint32_t v = a.len == 4 ? (uint32_t)a.val[0] << 24 | (uint32_t)a.val[1] << 16 |
						  (uint32_t)a.val[2] << 8 | a.val[3]
					: 0;
		char *t = a.type == RAD_ACCT_SESSION_ID ? s->id
			  : a.type == RAD_USER_NAME	? s->user
			  : a.type == RAD_CLASS		? s->class_
							: NULL;
		if (t)
			memcpy(t, a.val, a.len < 79 ? a.len : 79);
		if (a.type == RAD_ACCT_STATUS_TYPE)
			s->status = v;
		if (a.type == RAD_ACCT_TERMINATE_CAUSE)
			s->cause = v;
		if (a.type == RAD_FRAMED_IP_ADDRESS)
			s->framed = v;
		if (a.type == RAD_ACCT_SESSION_TIME)
			s->time = v;
		uint32_t *ctr = a.type == RAD_ACCT_INPUT_OCTETS	      ? &s->in_octets
				: a.type == RAD_ACCT_INPUT_GIGAWORDS  ? &s->in_giga
				: a.type == RAD_ACCT_OUTPUT_OCTETS    ? &s->out_octets
				: a.type == RAD_ACCT_OUTPUT_GIGAWORDS ? &s->out_giga
				: a.type == RAD_ACCT_INPUT_PACKETS    ? &s->in_packets
				: a.type == RAD_ACCT_OUTPUT_PACKETS   ? &s->out_packets
								      : NULL;
		if (ctr)
			*ctr = v;
	}
}

static void test_lost_sessions_stopped(void **state)
{
	(void)state;
	struct server sv;
	server_up(&sv);
	assert_int_equal(remember(&sv, "OpenVPN_ended", sv.port), 0);
	assert_int_equal(remember(&sv, "OpenVPN_lost", sv.port), 0);
	/* Only a configured server, and only with a known handle. */
	assert_int_equal(remember(&sv, "OpenVPN_elsewhere", (uint16_t)(sv.port + 7)), -EINVAL);
	assert_int_equal(forget(&sv, "OpenVPN_ended"), 0);
	assert_int_equal(forget(&sv, "OpenVPN_ended"), -ENOENT); /* one Stop per session */
	assert_int_equal(update(&sv, "OpenVPN_ended", 1, 1), -ENOENT);
	assert_int_equal(update(&sv, "OpenVPN_lost", 5ull << 32 | 7, 999), 0);
	assert_int_equal(ps_acct_fd(&sv.acct), -1);
	ps_acct_lost(&sv.acct, &sv.secrets);
	assert_true(ps_acct_fd(&sv.acct) >= 0);
	uint8_t p[RAD_MAX_PACKET];
	struct sockaddr_in from;
	size_t n = server_recv(&sv, p, &from);
	assert_true(n > 20);
	assert_int_equal(p[0], RAD_ACCOUNTING_REQUEST);
	assert_true(request_signed(p, n));
	struct seen s;
	read_attrs(p, n, &s);
	assert_string_equal(s.id, "OpenVPN_lost");
	assert_string_equal(s.user, "alice");
	assert_string_equal(s.class_, "cls-alice");
	assert_int_equal(s.status, 2);
	assert_int_equal(s.cause, RAD_TERM_NAS_ERROR);
	assert_int_equal(s.framed, 0xac10c94d);
	/* The last Interim-Update's counters, 64-bit octets split as RFC 2869 says. */
	assert_int_equal(s.in_octets, 7);
	assert_int_equal(s.in_giga, 5);
	assert_int_equal(s.out_octets, 999);
	assert_int_equal(s.out_giga, 0);
	assert_int_equal(s.in_packets, 3);
	assert_int_equal(s.out_packets, 4);
	/* Unanswered, it comes again with the same bytes 3 s later. */
	uint8_t again[RAD_MAX_PACKET];
	for (int i = 0; i < 50 && ps_acct_fd(&sv.acct) >= 0; i++) {
		struct pollfd pf = {.fd = sv.fd, .events = POLLIN};
		if (poll(&pf, 1, 100) == 1)
			break;
		ps_acct_run(&sv.acct, &sv.secrets, false);
	}
	assert_int_equal(server_recv(&sv, again, &from), n);
	assert_memory_equal(again, p, n);
	server_answer(&sv, p, &from);
	ps_acct_drain(&sv.acct, &sv.secrets, 2.0);
	assert_int_equal(ps_acct_fd(&sv.acct), -1); /* answered: nothing pending */
	/* Nothing else went out: the ended session got no second Stop. */
	struct pollfd pf = {.fd = sv.fd, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 200), 0);
	server_down(&sv);
}

/* The session's own Stop was on its way (ACCT_UPDATE with a cause) when
 * the network process died: that Stop is sent again, its cause, time and
 * final counters, not NAS-Error; a Stop answered meanwhile (forgotten) is
 * not. */
static void test_lost_own_stop(void **state)
{
	(void)state;
	struct server sv;
	server_up(&sv);
	assert_int_equal(remember(&sv, "OpenVPN_stopping", sv.port), 0);
	assert_int_equal(remember(&sv, "OpenVPN_answered", sv.port), 0);
	struct ps_acct_counts c = {.id = txt("OpenVPN_stopping"),
				   .in_octets = 4242,
				   .out_octets = 2424,
				   .in_packets = 11,
				   .out_packets = 12,
				   .session_time = 42,
				   .cause = RAD_TERM_USER_REQUEST};
	uint8_t data[PS_MSG_MAX];
	struct ps_req q = {.type = PS_ACCT_UPDATE, .data = data};
	assert_int_equal(ps_acct_counts_encode(&c, data, sizeof(data), &q.len), 0);
	assert_int_equal(ps_acct_update(&sv.acct, &q), 0);
	c.id = txt("OpenVPN_answered");
	assert_int_equal(ps_acct_counts_encode(&c, data, sizeof(data), &q.len), 0);
	assert_int_equal(ps_acct_update(&sv.acct, &q), 0);
	assert_int_equal(forget(&sv, "OpenVPN_answered"), 0);
	ps_acct_lost(&sv.acct, &sv.secrets);
	uint8_t p[RAD_MAX_PACKET];
	struct sockaddr_in from;
	size_t n = server_recv(&sv, p, &from);
	assert_true(n > 20 && request_signed(p, n));
	struct seen s;
	read_attrs(p, n, &s);
	assert_string_equal(s.id, "OpenVPN_stopping");
	assert_int_equal(s.status, 2);
	assert_int_equal(s.cause, RAD_TERM_USER_REQUEST);
	assert_int_equal(s.time, 42);
	assert_int_equal(s.in_octets, 4242);
	assert_int_equal(s.out_octets, 2424);
	assert_int_equal(s.in_packets, 11);
	assert_int_equal(s.out_packets, 12);
	server_answer(&sv, p, &from);
	ps_acct_drain(&sv.acct, &sv.secrets, 2.0);
	assert_int_equal(ps_acct_fd(&sv.acct), -1);
	struct pollfd pf = {.fd = sv.fd, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 200), 0); /* none for the answered one */
	server_down(&sv);
}

static void test_bounded(void **state)
{
	(void)state;
	struct server sv;
	server_up(&sv);
	sv.conf.max_connections = 2; /* VpnGw1: 2 + SSTP's 128 */
	ps_acct_learn(&sv.acct, &sv.conf);
	assert_int_equal(sv.acct.max, 130);
	char id[32];
	for (int i = 0; i < 130; i++) {
		snprintf(id, sizeof(id), "SSTP_%d", i);
		assert_int_equal(remember(&sv, id, sv.port), 0);
	}
	assert_int_equal(remember(&sv, "SSTP_over", sv.port), P2S_E_FULL);
	assert_int_equal(remember(&sv, "SSTP_7", sv.port), 0); /* the same one again: replaced */
	assert_int_equal(sv.acct.n, 130);
	/* Silent server: given up at radiusTimeoutSeconds, not retried forever. */
	sv.acct.timeout = 0.5;
	ps_acct_lost(&sv.acct, &sv.secrets);
	ps_acct_drain(&sv.acct, &sv.secrets, 5.0);
	assert_int_equal(ps_acct_fd(&sv.acct), -1);
	assert_int_equal(sv.acct.n, 0);
	server_down(&sv);
}

#define SECRET2 "acct-second-secret"

/* A second accounting server on loopback: its socket, its configured
 * (authentication) address. */
static int second_up(char *addr, size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(addr, cap, "127.0.0.1:%u", ntohs(a.sin_port) - 1u);
	return fd;
}

/* Runs the Stops until fd has a datagram (bounded: ms). */
static bool run_until(struct server *sv, int fd, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 20) == 1)
			return true;
		ps_acct_run(&sv->acct, &sv->secrets, true);
	}
	return false;
}

static void test_failover(void **state)
{
	(void)state;
	struct server sv;
	server_up(&sv); /* the first server: it never answers */
	char addr2[32];
	int fd2 = second_up(addr2, sizeof(addr2));
	struct conf_radius_server second = {.address = addr2, .secret = SECRET2};
	sv.conf.radius_secret = SECRET;
	sv.conf.radius_servers.v = &second;
	sv.conf.radius_servers.n = 1;
	ps_acct_learn(&sv.acct, &sv.conf);
	assert_int_equal(sv.acct.n_servers, 2);
	sv.acct.timeout = 0.5;
	assert_int_equal(remember(&sv, "IKEv2_first", sv.port), 0);
	ps_acct_lost(&sv.acct, &sv.secrets);
	uint8_t p[RAD_MAX_PACKET], q[RAD_MAX_PACKET];
	struct sockaddr_in from;
	size_t n = server_recv(&sv, p, &from); /* to its Start's server first */
	assert_true(n > 20 && request_signed(p, n));
	/* Silent for the timeout: the same Stop to the second server, under its secret. */
	assert_true(run_until(&sv, fd2, 3000));
	ssize_t m = recv(fd2, q, sizeof(q), 0);
	assert_true(m > 20);
	assert_true(request_signed_with(q, (size_t)m, SECRET2));
	assert_false(request_signed_with(q, (size_t)m, SECRET));
	struct seen s;
	read_attrs(q, (size_t)m, &s);
	assert_string_equal(s.id, "IKEv2_first");
	assert_int_equal(s.cause, RAD_TERM_NAS_ERROR);
	/* An answer under the first server's secret is not the second's. */
	server_answer_with(fd2, q, &from, SECRET);
	ps_acct_run(&sv.acct, &sv.secrets, true);
	assert_true(ps_acct_fd(&sv.acct) >= 0);
	server_answer_with(fd2, q, &from, SECRET2);
	ps_acct_drain(&sv.acct, &sv.secrets, 2.0);
	assert_int_equal(ps_acct_fd(&sv.acct), -1);
	/* The first server is known silent now: the next loss goes to the second at once. */
	while (server_recv_quick(&sv))
		;
	assert_int_equal(remember(&sv, "IKEv2_second", sv.port), 0);
	ps_acct_lost(&sv.acct, &sv.secrets);
	struct pollfd pf = {.fd = fd2, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 400), 1);
	socklen_t fl = sizeof(from);
	m = recvfrom(fd2, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	read_attrs(q, (size_t)m, &s);
	assert_string_equal(s.id, "IKEv2_second");
	pf.fd = sv.fd;
	assert_int_equal(poll(&pf, 1, 0), 0); /* nothing to the silent one */
	/* Answered well within the timeout: nothing is left to send. */
	server_answer_with(fd2, q, &from, SECRET2);
	pf.fd = ps_acct_fd(&sv.acct);
	assert_int_equal(poll(&pf, 1, 300), 1);
	ps_acct_run(&sv.acct, &sv.secrets, true);
	assert_int_equal(ps_acct_fd(&sv.acct), -1);
	sv.conf.radius_servers.n = 0; /* ours, on the stack */
	close(fd2);
	server_down(&sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),	      cmocka_unit_test(test_counts_codec),
		cmocka_unit_test(test_lost_own_stop), cmocka_unit_test(test_lost_sessions_stopped),
		cmocka_unit_test(test_bounded),	      cmocka_unit_test(test_failover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
