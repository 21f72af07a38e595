/* The authentication service: the seed's tunnel x authentication matrix,
 * connection caps per tunnel, and an EAP conversation relayed to a scripted
 * RADIUS peer on loopback (challenge, challenge, accept with MPPE keys;
 * reject; timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/radius_wire.h"
#include "auth/ratelimit.h"
#include "auth/resume.h"
#include "auth/service.h"
#include "core/gateway.h"
#include "lib/err.h"

#define SECRET "peer-secret"

static void nop_send(struct session *s, const uint8_t *p, size_t n)
{
	(void)s;
	(void)p;
	(void)n;
}

static void nop_disconnect(struct session *s, uint32_t cause, const char *why)
{
	(void)cause;
	core_session_end(s, cause, why);
}

static const struct session_ops ops_by_proto[TUNNEL_N] = {
	{TUNNEL_OPENVPN, nop_send, nop_disconnect},
	{TUNNEL_SSTP, nop_send, nop_disconnect},
	{TUNNEL_IKEV2, nop_send, nop_disconnect},
};

static void test_matrix(void **state)
{
	(void)state;
	/* The seed: Entra ID only with OpenVPN; RADIUS and certificates everywhere. */
	assert_true(auth_allowed(TUNNEL_OPENVPN, AUTH_AAD));
	assert_false(auth_allowed(TUNNEL_SSTP, AUTH_AAD));
	assert_false(auth_allowed(TUNNEL_IKEV2, AUTH_AAD));
	for (int p = 0; p < TUNNEL_N; p++) {
		assert_true(auth_allowed((enum tunnel_proto)p, AUTH_CERTIFICATE));
		assert_true(auth_allowed((enum tunnel_proto)p, AUTH_RADIUS));
	}
}

/* A core with just what admission and the service read. */
static struct core *core_from(const char *json)
{
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "conf: %s\n", e.msg[i]);
	conf_errors_free(&e);
	assert_non_null(c);
	struct core *g = calloc(1, sizeof(*g));
	g->conf = c;
	g->loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(core_pools_build(g, c, &g->pool), 0);
	assert_int_equal(core_routes_build(g, c), 0);
	core_auth_ctx_refresh(g);
	g->auth.admit = core_admit;
	return g;
}

static void core_drop(struct core *g)
{
	while (g->reg.head)
		core_session_free(g->reg.head);
	radius_client_free(g->radius);
	pool_free(&g->pool);
	free(g->conn_first);
	free(g->conn_n);
	free(g->routes);
	ev_loop_destroy(g->loop);
	conf_free(g->conf);
	free(g);
}

static struct session *new_session(struct core *g, enum tunnel_proto p)
{
	union sockaddr_any peer = {0};
	peer.in.sin_family = AF_INET;
	return core_session_new(g, &ops_by_proto[p], NULL, &peer);
}

#define CONF_HEAD                                                                                  \
	"{\"name\":\"t\",\"sku\":\"VpnGw1\",\"gatewayFqdn\":\"gw.test\","                          \
	"\"virtualNetwork\":{\"addressSpace\":[\"10.1.0.0/16\"]},"

static void test_caps_per_tunnel(void **state)
{
	(void)state;
	struct core *g =
		core_from(CONF_HEAD "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
				    "{\"addressPrefixes\":[\"172.16.0.0/16\"]},"
				    "\"vpnClientProtocols\":[\"OpenVPN\",\"SSTP\",\"IkeV2\"],"
				    "\"vpnAuthenticationTypes\":[\"Certificate\"]},"
				    "\"maxClientConnections\":3}");
	const char *why = NULL;
	/* IKEv2 and OpenVPN share maxClientConnections (3 here). */
	assert_int_equal(core_admit(new_session(g, TUNNEL_OPENVPN), 0, -1, &why), 0);
	assert_int_equal(core_admit(new_session(g, TUNNEL_IKEV2), 0, -1, &why), 0);
	assert_int_equal(core_admit(new_session(g, TUNNEL_OPENVPN), 0, -1, &why), 0);
	assert_int_equal(core_admit(new_session(g, TUNNEL_IKEV2), 0, -1, &why), P2S_E_FULL);
	assert_string_equal(why, "the gateway's IKEv2/OpenVPN connection limit is reached");
	/* SSTP: 128 on every SKU, counted apart. */
	for (int i = 0; i < 128; i++)
		assert_int_equal(core_admit(new_session(g, TUNNEL_SSTP), 0, -1, &why), 0);
	assert_int_equal(core_admit(new_session(g, TUNNEL_SSTP), 0, -1, &why), P2S_E_FULL);
	assert_string_equal(why, "the gateway's SSTP connection limit is reached");
	assert_int_equal(core_admitted(g, TUNNEL_SSTP), 128);
	assert_int_equal(core_admitted(g, TUNNEL_IKEV2), 3);
	/* A session that ends gives its place back. */
	struct session *s = g->reg.head;
	while (s && s->ops->proto != TUNNEL_OPENVPN)
		s = s->next;
	assert_non_null(s);
	core_session_free(s);
	assert_int_equal(core_admit(new_session(g, TUNNEL_IKEV2), 0, -1, &why), 0);
	core_drop(g);
}

/* ---- the scripted RADIUS peer ------------------------------------------ */

enum step { ST_CHALLENGE1, ST_CHALLENGE2, ST_ACCEPT, ST_REJECT, ST_SILENT, ST_CODE52 };

struct peer {
	int fd;
	ev_io io;
	enum step script[4];
	int at;
	int requests;
	char bad[128]; /* the first unexpected thing the gateway sent */
};

struct outcome {
	int calls;
	enum auth_verdict verdict[4];
	uint8_t eap[4][64];
	size_t eap_len[4];
	uint8_t send_key[32], recv_key[32];
	size_t send_len, recv_len;
	char why[256];
};

static struct outcome out;

static void md5_of(const void *a, size_t an, const void *b, size_t bn, uint8_t o[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, a, an);
	EVP_DigestUpdate(c, b, bn);
	EVP_DigestFinal_ex(c, o, NULL);
	EVP_MD_CTX_free(c);
}

/* RFC 2548 2.4.2, as a server hides an MPPE key (one 32-byte key + len + pad). */
static void mppe_hide(const uint8_t key[32], const uint8_t req_auth[16], uint8_t out_[2 + 48])
{
	uint8_t plain[48] = {32};
	memcpy(plain + 1, key, 32);
	out_[0] = 0x80;
	out_[1] = 0x01;
	uint8_t seed[18], b[16];
	memcpy(seed, req_auth, 16);
	memcpy(seed + 16, out_, 2);
	md5_of(SECRET, strlen(SECRET), seed, 18, b);
	for (int blk = 0; blk < 3; blk++) {
		for (int i = 0; i < 16; i++)
			out_[2 + blk * 16 + i] = plain[blk * 16 + i] ^ b[i];
		md5_of(SECRET, strlen(SECRET), out_ + 2 + blk * 16, 16, b);
	}
}

static const uint8_t send_key[32] = {1,	 2,  3,	 4,  5,	 6,  7,	 8,  9,	 10, 11,
				     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
				     23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t recv_key[32] = {[0] = 0xaa, [31] = 0xbb};

static bool has_state(const uint8_t *p, size_t n, const char *want)
{
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, n);
	while (rad_iter_next(&it, &a))
		if (a.type == RAD_STATE)
			return want && a.len == strlen(want) && memcmp(a.val, want, a.len) == 0;
	return want == NULL;
}

static int reply_for(struct peer *pr, const uint8_t *req, size_t n, uint8_t *o)
{
	enum step st = pr->script[pr->at++];
	const char *want_state = st == ST_CHALLENGE2 ? "s1" : st == ST_ACCEPT ? "s2" : NULL;
	if (!has_state(req, n, want_state) && !pr->bad[0])
		snprintf(pr->bad, sizeof(pr->bad), "request %d: State is not %s", pr->requests,
			 want_state ? want_state : "absent");
	static const uint8_t codes[] = {[ST_ACCEPT] = RAD_ACCESS_ACCEPT,
					[ST_REJECT] = RAD_ACCESS_REJECT,
					[ST_CODE52] = 52, /* no such Access-* code */
					[ST_CHALLENGE1] = RAD_ACCESS_CHALLENGE,
					[ST_CHALLENGE2] = RAD_ACCESS_CHALLENGE};
	uint8_t code = codes[st];
	struct rad_builder b;
	rad_begin(&b, code, req[1], req + 4);
	rad_add_message_authenticator(&b);
	uint8_t eap_req[] = {1, (uint8_t)pr->at, 0, 6, 26, (uint8_t)pr->at}; /* EAP-Request */
	uint8_t eap_ok[] = {3, 9, 0, 4}, eap_fail[] = {4, 9, 0, 4};
	if (code == RAD_ACCESS_CHALLENGE) {
		rad_add_eap(&b, eap_req, sizeof(eap_req));
		rad_add_str(&b, RAD_STATE, st == ST_CHALLENGE1 ? "s1" : "s2");
	} else {
		rad_add_eap(&b, code == RAD_ACCESS_ACCEPT ? eap_ok : eap_fail, 4);
	}
	if (code == RAD_ACCESS_ACCEPT) {
		uint8_t hidden[50];
		mppe_hide(send_key, req + 4, hidden);
		rad_add_vsa(&b, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_SEND_KEY, hidden, 50);
		mppe_hide(recv_key, req + 4, hidden);
		rad_add_vsa(&b, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_RECV_KEY, hidden, 50);
	}
	int len = rad_finish(&b, SECRET);
	uint8_t ra[16];
	md5_of(b.buf, (size_t)len, SECRET, strlen(SECRET), ra);
	memcpy(b.buf + 4, ra, 16);
	memcpy(o, b.buf, (size_t)len);
	return len;
}

static void peer_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct peer *pr = w->data;
	uint8_t req[4096], o[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(pr->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
	if (n < 20 || req[0] != RAD_ACCESS_REQUEST)
		return; /* accounting or probes: not part of the script */
	pr->requests++;
	if (pr->script[pr->at] == ST_SILENT)
		return;
	int len = reply_for(pr, req, (size_t)n, o);
	sendto(pr->fd, o, (size_t)len, 0, (struct sockaddr *)&from, fl);
}

static uint16_t peer_open(struct core *g, struct peer *pr)
{
	pr->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	assert_int_equal(bind(pr->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(pr->fd, (struct sockaddr *)&a, &l);
	ev_io_init(&pr->io, peer_cb, pr->fd, EV_READ);
	pr->io.data = pr;
	ev_io_start(g->loop, &pr->io);
	return ntohs(a.sin_port);
}

/* ---- a peer that answers by user name: "good" is accepted, anything else
 * waits forever (a pending MFA approval); accounting is counted. */
struct crowd_peer {
	int fd, acct_fd;
	ev_io io, acct_io;
	int auth_seen, acct_seen;
};

static bool user_is(const uint8_t *p, size_t n, const char *name)
{
	struct rad_iter it;
	struct rad_attr a;
	rad_iter_init(&it, p, n);
	while (rad_iter_next(&it, &a))
		if (a.type == RAD_USER_NAME)
			return a.len == strlen(name) && memcmp(a.val, name, a.len) == 0;
	return false;
}

static void crowd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct crowd_peer *pr = w->data;
	uint8_t req[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(w->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
	if (n >= 20 && req[0] == RAD_ACCOUNTING_REQUEST)
		pr->acct_seen++;
	if (n < 20 || req[0] != RAD_ACCESS_REQUEST)
		return;
	pr->auth_seen++;
	if (!user_is(req, (size_t)n, "good"))
		return;
	struct rad_builder b;
	rad_begin(&b, RAD_ACCESS_ACCEPT, req[1], req + 4);
	rad_add_message_authenticator(&b);
	int len = rad_finish(&b, SECRET);
	uint8_t ra[16];
	md5_of(b.buf, (size_t)len, SECRET, strlen(SECRET), ra);
	memcpy(b.buf + 4, ra, 16);
	sendto(w->fd, b.buf, (size_t)len, 0, (struct sockaddr *)&from, fl);
}

static struct core *radius_core(struct peer *pr)
{
	struct core *g = core_from(CONF_HEAD "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
					     "{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
					     "\"vpnClientProtocols\":[\"IkeV2\"],"
					     "\"vpnAuthenticationTypes\":[\"Radius\"],"
					     "\"radiusServerAddress\":\"127.0.0.1:1\","
					     "\"radiusServerSecret\":\"" SECRET "\","
					     "\"radiusTimeoutSeconds\":1}}");
	uint16_t port = peer_open(g, pr);
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	free(g->conf->radius_address);
	g->conf->radius_address = strdup(addr);
	g->radius = radius_client_new(g->loop, g->conf);
	core_auth_ctx_refresh(g);
	memset(&out, 0, sizeof(out));
	return g;
}

static void answer(struct session *s, const struct auth_result *r)
{
	int i = out.calls++;
	out.verdict[i] = r->verdict;
	out.eap_len[i] = r->eap && r->eap_len < 64 ? r->eap_len : r->eap ? 64 : 0;
	if (out.eap_len[i])
		memcpy(out.eap[i], r->eap, out.eap_len[i]);
	if (r->why)
		snprintf(out.why, sizeof(out.why), "%s", r->why);
	if (r->verdict == AUTH_ACCEPT) {
		out.send_len = r->mppe_send_len;
		out.recv_len = r->mppe_recv_len;
		if (r->mppe_send) /* a resumed login carries no keys */
			memcpy(out.send_key, r->mppe_send,
			       r->mppe_send_len < 32 ? r->mppe_send_len : 32);
		if (r->mppe_recv)
			memcpy(out.recv_key, r->mppe_recv,
			       r->mppe_recv_len < 32 ? r->mppe_recv_len : 32);
	}
	if (r->verdict == AUTH_CHALLENGE) { /* the client answers the EAP request */
		uint8_t resp[] = {2, r->eap[1], 0, 6, 26, 0};
		struct auth_request req = {
			.kind = CRED_EAP, .user = s->user, .eap = resp, .eap_len = sizeof(resp)};
		auth_step(s, &req, answer);
	} else {
		ev_break(s->core->loop, EVBREAK_ALL);
	}
}

static void guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void run_until_done(struct core *g, double limit)
{
	ev_timer guard;
	ev_timer_init(&guard, guard_cb, limit, 0);
	ev_timer_start(g->loop, &guard);
	ev_run(g->loop, 0);
	ev_timer_stop(g->loop, &guard);
}

static struct session *eap_start(struct core *g)
{
	struct session *s = new_session(g, TUNNEL_IKEV2);
	uint8_t identity[] = {2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
	struct auth_request req = {
		.kind = CRED_EAP, .user = "alice", .eap = identity, .eap_len = sizeof(identity)};
	auth_step(s, &req, answer);
	return s;
}

static void test_eap_challenge_challenge_accept(void **state)
{
	(void)state;
	struct peer pr = {.script = {ST_CHALLENGE1, ST_CHALLENGE2, ST_ACCEPT}};
	struct core *g = radius_core(&pr);
	struct session *s = eap_start(g);
	run_until_done(g, 5.0);
	assert_string_equal(pr.bad, "");
	assert_int_equal(pr.requests, 3);
	assert_int_equal(out.calls, 3);
	assert_int_equal(out.verdict[0], AUTH_CHALLENGE);
	assert_int_equal(out.verdict[1], AUTH_CHALLENGE);
	assert_int_equal(out.verdict[2], AUTH_ACCEPT);
	assert_int_equal(out.eap[2][0], 3); /* EAP-Success relayed */
	assert_int_equal(out.send_len, 32);
	assert_memory_equal(out.send_key, send_key, 32);
	assert_int_equal(out.recv_len, 32);
	assert_memory_equal(out.recv_key, recv_key, 32);
	/* Accepted means admitted: the session holds a pool address. */
	assert_true(s->admitted);
	assert_int_equal(s->auth_type, AUTH_RADIUS);
	assert_string_equal(s->user, "alice");
	/* Each answered round trip is in the core's histogram for that server. */
	assert_int_equal(g->stats.n_radius, 1);
	assert_int_equal(g->stats.radius[0].count, 3);
	assert_int_equal(g->stats.radius[0].timeouts, 0);
	assert_int_equal(g->stats.refused_total, 0);
	close(pr.fd);
	core_drop(g);
}

static void test_eap_reject(void **state)
{
	(void)state;
	struct peer pr = {.script = {ST_CHALLENGE1, ST_REJECT}};
	struct core *g = radius_core(&pr);
	struct session *s = eap_start(g);
	run_until_done(g, 5.0);
	assert_int_equal(out.calls, 2);
	assert_int_equal(out.verdict[1], AUTH_REFUSE);
	assert_int_equal(out.eap[1][0], 4); /* EAP-Failure relayed */
	assert_non_null(strstr(out.why, "RADIUS rejected user \"alice\""));
	assert_false(s->admitted);
	/* Counted under the reason without the user's name. */
	assert_int_equal(g->stats.refused_total, 1);
	assert_string_equal(g->stats.reasons[0].label, "RADIUS rejected user");
	assert_string_equal(stats_recent(&g->stats, 0)->user, "alice");
	close(pr.fd);
	core_drop(g);
}

static void test_eap_timeout(void **state)
{
	(void)state;
	struct peer pr = {.script = {ST_SILENT}};
	struct core *g = radius_core(&pr);
	struct session *s = eap_start(g);
	run_until_done(g, 10.0);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_string_equal(out.why, "no RADIUS server answered");
	assert_true(pr.requests >= 1);
	assert_int_equal(g->stats.radius[0].timeouts, 1);
	assert_int_equal(g->stats.radius[0].count, 0);
	assert_string_equal(g->stats.reasons[0].label, "no RADIUS server answered");
	assert_false(s->admitted);
	close(pr.fd);
	core_drop(g);
}

/* A verified reply with a code that is neither Accept nor Challenge refuses:
 * the client fails closed. */
static void test_unknown_code_refuses(void **state)
{
	(void)state;
	struct peer pr = {.script = {ST_CODE52}};
	struct core *g = radius_core(&pr);
	struct session *s = eap_start(g);
	run_until_done(g, 5.0);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_false(s->admitted);
	close(pr.fd);
	core_drop(g);
}

static int udp_bound(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(0x7f000001),
				.sin_port = htons(port)};
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	close(fd);
	return -1;
}

/* Authentication on a free port, accounting on the next one, as the client
 * expects; both read by the crowd peer. */
static uint16_t crowd_open(struct core *g, struct crowd_peer *pr)
{
	for (uint16_t port = 20000; port < 30000; port += 2) {
		pr->fd = udp_bound(port);
		pr->acct_fd = pr->fd >= 0 ? udp_bound((uint16_t)(port + 1)) : -1;
		if (pr->acct_fd >= 0) {
			int buf = 4 << 20; /* the crowd arrives at once: keep all of it */
			setsockopt(pr->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
			ev_io_init(&pr->io, crowd_cb, pr->fd, EV_READ);
			ev_io_init(&pr->acct_io, crowd_cb, pr->acct_fd, EV_READ);
			pr->io.data = pr->acct_io.data = pr;
			ev_io_start(g->loop, &pr->io);
			ev_io_start(g->loop, &pr->acct_io);
			return port;
		}
		if (pr->fd >= 0)
			close(pr->fd);
	}
	fail_msg("no pair of free UDP ports");
	return 0;
}

static struct core *crowd_core(struct crowd_peer *pr)
{
	struct core *g = core_from(CONF_HEAD "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
					     "{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
					     "\"vpnClientProtocols\":[\"OpenVPN\"],"
					     "\"vpnAuthenticationTypes\":[\"Radius\"],"
					     "\"radiusServerAddress\":\"127.0.0.1:1\","
					     "\"radiusServerSecret\":\"" SECRET "\","
					     "\"radiusTimeoutSeconds\":30}}");
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", crowd_open(g, pr));
	free(g->conf->radius_address);
	g->conf->radius_address = strdup(addr);
	g->radius = radius_client_new(g->loop, g->conf);
	core_auth_ctx_refresh(g);
	memset(&out, 0, sizeof(out));
	return g;
}

static void crowd_close(struct crowd_peer *pr)
{
	close(pr->fd);
	close(pr->acct_fd);
}

static void password_step(struct core *g, const char *user)
{
	struct session *s = new_session(g, TUNNEL_OPENVPN);
	struct auth_request req = {.kind = CRED_PASSWORD, .user = user, .password = "pw"};
	auth_step(s, &req, answer);
}

static void count_cb(struct session *s, const struct auth_result *r)
{
	(void)s;
	out.verdict[r->verdict == AUTH_ACCEPT ? 0 : 1]++;
}

/* 300 logins waiting on RADIUS (MFA approvals) take no identifier from
 * accounting nor from the next well-behaved login. */
static void test_pending_logins_do_not_starve(void **state)
{
	(void)state;
	struct crowd_peer pr = {0};
	struct core *g = crowd_core(&pr);
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof(name), "slow%d", i);
		struct session *s = new_session(g, TUNNEL_OPENVPN);
		struct auth_request req = {.kind = CRED_PASSWORD, .user = name, .password = "pw"};
		auth_step(s, &req, count_cb);
	}
	assert_int_equal(out.verdict[1], 0); /* none refused for want of an identifier */
	struct radius_acct a = {.status_type = 1, .user = "u", .session_id = "x"};
	radius_account(g->radius, &a);
	password_step(g, "good");
	run_until_done(g, 3.0);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_ACCEPT);
	assert_int_equal(pr.acct_seen, 1);
	assert_true(pr.auth_seen >= 301);
	crowd_close(&pr);
	core_drop(g);
}

/* Each RADIUS login may be an MFA prompt: one user name gets a few a minute. */
static void test_login_rate_limit(void **state)
{
	(void)state;
	struct ratelimit rl;
	ratelimit_init(&rl, 3);
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_allow(&rl, "alice", 100.0));
	assert_false(ratelimit_allow(&rl, "alice", 130.0));
	assert_true(ratelimit_allow(&rl, "bob", 130.0));
	assert_true(ratelimit_allow(&rl, "alice", 160.5)); /* a new minute */
	/* In the service: the fourth login is refused before RADIUS hears of it. */
	struct crowd_peer pr = {0};
	struct core *g = crowd_core(&pr);
	ratelimit_init(&rl, 3);
	g->auth.logins = &rl;
	for (int i = 0; i < 4; i++)
		password_step(g, "mallory");
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_string_equal(out.why,
			    "too many login attempts for this user name in the last minute");
	run_until_done(g, 0.5);
	assert_int_equal(pr.auth_seen, 3);
	crowd_close(&pr);
	core_drop(g);
}

/* At the connection cap nobody is sent to RADIUS (and its MFA) for nothing. */
static void test_full_gateway_asks_no_radius(void **state)
{
	(void)state;
	struct crowd_peer pr = {0};
	struct core *g = crowd_core(&pr);
	g->auth.has_room = core_has_room;
	g->conf->max_connections = 1;
	const char *why;
	assert_int_equal(core_admit(new_session(g, TUNNEL_IKEV2), 0, -1, &why), 0);
	password_step(g, "good");
	run_until_done(g, 0.5);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_string_equal(out.why, "the gateway's IKEv2/OpenVPN connection limit is reached");
	assert_int_equal(pr.auth_seen, 0);
	crowd_close(&pr);
	core_drop(g);
}

/* A resume token is the login of one user: another name, or an unknown
 * token, is refused; the right one is admitted without RADIUS. */
static void test_resume_only_its_user(void **state)
{
	(void)state;
	struct crowd_peer pr = {0};
	struct core *g = crowd_core(&pr);
	static struct resume_store rs;
	memset(&rs, 0, sizeof(rs));
	g->auth.resume = &rs;
	g->auth.resume_lifetime = 600;
	struct session *first = new_session(g, TUNNEL_OPENVPN);
	first->auth_type = AUTH_RADIUS;
	snprintf(first->user, sizeof(first->user), "mfa");
	char token[RESUME_TOKEN_LEN + 1];
	memset(token, 'T', RESUME_TOKEN_LEN);
	token[RESUME_TOKEN_LEN] = 0;
	auth_resume_remember(first, token);
	struct auth_request other = {.kind = CRED_RESUME, .user = "eve", .password = token};
	auth_step(new_session(g, TUNNEL_OPENVPN), &other, answer);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_string_equal(out.why, "the resume token is unknown, expired or another user's");
	struct auth_request same = {.kind = CRED_RESUME, .user = "mfa", .password = token};
	struct session *s = new_session(g, TUNNEL_OPENVPN);
	auth_step(s, &same, answer);
	assert_int_equal(out.verdict[1], AUTH_ACCEPT);
	assert_true(s->admitted);
	assert_int_equal(s->auth_type, AUTH_RADIUS);
	assert_int_equal(pr.auth_seen, 0); /* RADIUS was not asked */
	crowd_close(&pr);
	core_drop(g);
}

static void test_matrix_refused_in_service(void **state)
{
	(void)state;
	struct core *g = core_from(CONF_HEAD "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
					     "{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
					     "\"vpnClientProtocols\":[\"IkeV2\"],"
					     "\"vpnAuthenticationTypes\":[\"Certificate\"]}}");
	memset(&out, 0, sizeof(out));
	struct session *s = new_session(g, TUNNEL_IKEV2);
	/* RADIUS is not enabled on this gateway: refused at once, with the reason. */
	struct auth_request req = {.kind = CRED_PASSWORD, .user = "u", .password = "p"};
	auth_step(s, &req, answer);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.verdict[0], AUTH_REFUSE);
	assert_string_equal(out.why, "RADIUS authentication is not enabled on this gateway");
	/* A token over IKEv2 is outside the seed's matrix. */
	g->conf->auth_types |= AUTH_AAD;
	struct auth_request tok = {.kind = CRED_TOKEN, .password = "a.b.c"};
	auth_step(s, &tok, answer);
	assert_string_equal(out.why, "Entra ID authentication is not available over IKEv2");
	core_drop(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_caps_per_tunnel),
		cmocka_unit_test(test_eap_challenge_challenge_accept),
		cmocka_unit_test(test_eap_reject),
		cmocka_unit_test(test_eap_timeout),
		cmocka_unit_test(test_unknown_code_refuses),
		cmocka_unit_test(test_pending_logins_do_not_starve),
		cmocka_unit_test(test_login_rate_limit),
		cmocka_unit_test(test_full_gateway_asks_no_radius),
		cmocka_unit_test(test_resume_only_its_user),
		cmocka_unit_test(test_matrix_refused_in_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
