/* The PPP state machine driven by a scripted client: LCP with rejected
 * compression, MS-CHAPv2 with RFC 2759's example, IPCP with Naks, data, and
 * the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/mschap.h"
#include "lib/codec.h"
#include "proto/ppp/frame.h"
#include "proto/ppp/ppp.h"

#define MAXF 16
static struct {
	uint8_t f[MAXF][PPP_MAX_FRAME];
	size_t len[MAXF];
	int n;
	char user[256];
	uint8_t chal[16], resp[50];
	int mschap_calls, eap_calls, up, ip, down;
	bool by_peer;
	const char *reason;
	uint8_t eap[256];
	size_t eap_len;
} out;

static void cb_send(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	assert_true(out.n < MAXF);
	memcpy(out.f[out.n], f, len);
	out.len[out.n++] = len;
}
static void cb_mschap(void *ctx, const char *user, const uint8_t chal[16], const uint8_t resp[50])
{
	(void)ctx;
	strcpy(out.user, user);
	memcpy(out.chal, chal, 16);
	memcpy(out.resp, resp, 50);
	out.mschap_calls++;
}
static void cb_eap(void *ctx, const char *identity, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	strcpy(out.user, identity);
	memcpy(out.eap, pkt, len);
	out.eap_len = len;
	out.eap_calls++;
}
static void cb_up(void *ctx)
{
	(void)ctx;
	out.up++;
}
static void cb_ip(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
	out.ip++;
}
static void cb_down(void *ctx, const char *reason, bool by_peer)
{
	(void)ctx;
	out.down++;
	out.reason = reason;
	out.by_peer = by_peer;
}
static const struct ppp_ops ops = {cb_send, cb_mschap, cb_eap, cb_up, cb_ip, cb_down};

static void reset(void)
{
	memset(&out, 0, sizeof(out));
}

/* Feeds a frame given as hex (without FF 03 when the test says so). */
static void feed(struct ppp *p, const char *h)
{
	uint8_t f[512];
	int n = hex_decode(h, f, sizeof(f));
	assert_true(n > 0);
	ppp_input(p, f, (size_t)n);
}

/* Frame i as: protocol, code, id, and the data after the CP header. */
static void expect(int i, uint16_t proto, uint8_t code, const uint8_t **data, size_t *len,
		   uint8_t *id)
{
	uint16_t pr;
	const uint8_t *info;
	size_t n;
	struct ppp_cp cp;
	assert_true(i < out.n);
	assert_int_equal(out.f[i][0], 0xff);
	assert_int_equal(out.f[i][1], 0x03);
	assert_int_equal(ppp_frame_parse(out.f[i], out.len[i], &pr, &info, &n), 0);
	assert_int_equal(pr, proto);
	assert_int_equal(ppp_cp_parse(info, n, &cp), 0);
	assert_int_equal(cp.code, code);
	if (data)
		*data = cp.data;
	if (len)
		*len = cp.len;
	if (id)
		*id = cp.id;
}

/* Runs LCP to the authentication phase; returns the challenge id. */
static uint8_t lcp_up(struct ppp *p, unsigned allowed)
{
	const uint8_t *d;
	size_t n;
	uint8_t id;
	char h[64];
	reset();
	ppp_init(p, &ops, NULL, allowed, 0x01020304);
	ppp_start(p);
	expect(0, PPP_LCP, CP_CONF_REQ, &d, &n, &id);
	/* client: MRU 1400, magic, PFC, ACFC -> Reject of PFC and ACFC only */
	feed(p, "ff03c02101010012010405780506aabbccdd07020802");
	expect(1, PPP_LCP, CP_CONF_REJ, &d, &n, NULL);
	assert_int_equal(n, 4);
	assert_memory_equal(d, "\x07\x02\x08\x02", 4);
	feed(p, "ff03c0210102000e010405780506aabbccdd");
	expect(2, PPP_LCP, CP_CONF_ACK, NULL, NULL, NULL);
	assert_int_equal(p->peer_mru, 1400);
	snprintf(h, sizeof(h), "ff03c02102%02x0004", id);
	feed(p, h); /* acks our request (options elided: only the id matters here) */
	assert_int_equal(p->phase, PPP_AUTHENTICATE);
	return p->auth_id;
}

static void test_lcp_request_options(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	reset();
	ppp_init(&p, &ops, NULL, PPP_AUTH_MSCHAPV2 | PPP_AUTH_EAP, 0x01020304);
	ppp_start(&p);
	expect(0, PPP_LCP, CP_CONF_REQ, &d, &n, NULL);
	uint8_t want[] = {1, 4, 0x05, 0xdc, 3, 5, 0xc2, 0x23, 0x81, 5, 6, 1, 2, 3, 4};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(d, want, sizeof(want));
	/* no answer: retransmitted, then given up after PPP_MAX_CONFIGURE */
	for (int i = 0; i < 20 && ppp_wants_timer(&p); i++) {
		out.n = 0;
		ppp_timeout(&p);
	}
	assert_int_equal(out.down, 1);
	assert_int_equal(p.phase, PPP_DEAD);
}

static void test_mschapv2_to_ip(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	uint8_t id = lcp_up(&p, PPP_AUTH_MSCHAPV2 | PPP_AUTH_EAP);
	expect(3, PPP_CHAP, CHAP_CHALLENGE, &d, &n, NULL);
	assert_int_equal(d[0], 16);
	assert_memory_equal(d + 17, "p2sgw", 5);

	/* RFC 2759 9.2: user "User", password "clientPass" */
	uint8_t peer_ch[16], nt[24], f[128];
	hex_decode("21402324255E262A28295F2B3A337C7E", peer_ch, 16);
	assert_int_equal(mschap_nt_response(p.challenge, peer_ch, "User", "clientPass", nt), 0);
	uint8_t resp[] = {0xff, 0x03, 0xc2, 0x23, 2, id, 0, 4 + 1 + 49 + 4, 49};
	memcpy(f, resp, sizeof(resp));
	memcpy(f + 9, peer_ch, 16);
	memset(f + 25, 0, 8);
	memcpy(f + 33, nt, 24);
	f[57] = 0;
	memcpy(f + 58, "User", 4);
	ppp_input(&p, f, 62);
	assert_int_equal(out.mschap_calls, 1);
	assert_string_equal(out.user, "User");
	assert_memory_equal(out.chal, p.challenge, 16);
	assert_int_equal(out.resp[0], id);
	assert_memory_equal(out.resp + 2, peer_ch, 16);
	assert_memory_equal(out.resp + 26, nt, 24);
	/* the same response again while RADIUS decides: ignored */
	ppp_input(&p, f, 62);
	assert_int_equal(out.mschap_calls, 1);

	uint32_t dns[2] = {0x0a010002, 0};
	ppp_set_net(&p, 0xac100001, 0xac100002, dns);
	out.n = 0;
	ppp_auth_accept(&p, "S=407A5589115FD0D6209F510FE9C04566932CDA56", NULL, 0);
	expect(0, PPP_CHAP, CHAP_SUCCESS, &d, &n, NULL);
	assert_memory_equal(d, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=", 45);
	uint8_t ipcp_id;
	expect(1, PPP_IPCP, CP_CONF_REQ, &d, &n, &ipcp_id);
	assert_memory_equal(d, "\x03\x06\xac\x10\x00\x01", 6);

	/* client asks 0.0.0.0 and both DNS: Reject of DNS2 (none configured) */
	feed(&p, "ff0380210101001603060000000081060000000083060000000000");
	assert_int_equal(out.n, 2); /* trailing byte: discarded */
	feed(&p, "ff03802101010016030600000000810600000000830600000000");
	expect(2, PPP_IPCP, CP_CONF_REJ, &d, &n, NULL);
	assert_memory_equal(d, "\x83\x06\0\0\0\0", 6);
	feed(&p, "ff03802101020010030600000000810600");
	feed(&p, "ff03802101020010030600000000810600000000");
	expect(3, PPP_IPCP, CP_CONF_NAK, &d, &n, NULL);
	assert_memory_equal(d, "\x03\x06\xac\x10\x00\x02\x81\x06\x0a\x01\x00\x02", 12);
	feed(&p, "ff03802101030010030653ac10000281060a010002");
	feed(&p, "ff038021010300100306ac10000281060a010002");
	expect(4, PPP_IPCP, CP_CONF_ACK, NULL, NULL, NULL);
	assert_int_equal(out.up, 0);
	char h[64];
	snprintf(h, sizeof(h), "ff03802102%02x000a0306ac100001", ipcp_id);
	feed(&p, h);
	assert_int_equal(out.up, 1);
	assert_int_equal(p.phase, PPP_RUNNING);

	feed(&p, "ff03002145000014");
	feed(&p, "002145000014"); /* address/control compressed: still taken */
	assert_int_equal(out.ip, 2);
	/* CCP: Protocol-Reject naming it */
	feed(&p, "ff0380fd0101000412");
	expect(out.n - 1, PPP_LCP, LCP_PROTO_REJ, &d, &n, NULL);
	assert_memory_equal(d, "\x80\xfd", 2);
	/* LCP echo answered with our magic */
	feed(&p, "ff03c02109070008aabbccdd");
	expect(out.n - 1, PPP_LCP, LCP_ECHO_REP, &d, &n, NULL);
	assert_memory_equal(d, "\x01\x02\x03\x04", 4);
	uint8_t pkt[20] = {0x45};
	assert_int_equal(ppp_send_ip(&p, pkt, sizeof(pkt)), 0);
	assert_int_equal(out.len[out.n - 1], 24);
	assert_memory_equal(out.f[out.n - 1], "\xff\x03\x00\x21\x45", 5);
	/* the client terminates */
	feed(&p, "ff03c02105090004");
	expect(out.n - 1, PPP_LCP, CP_TERM_ACK, NULL, NULL, NULL);
	assert_int_equal(out.down, 1);
	assert_true(out.by_peer);
	assert_true(ppp_send_ip(&p, pkt, sizeof(pkt)) < 0);
}

static void test_mschapv2_refused(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	uint8_t id = lcp_up(&p, PPP_AUTH_MSCHAPV2);
	char h[256];
	snprintf(h, sizeof(h), "ff03c22302%02x003731%s%s%s00%s", id,
		 "00112233445566778899aabbccddeeff", "0000000000000000",
		 "00112233445566778899aabbccddeeff0011223344556677", "55");
	feed(&p, h);
	assert_int_equal(out.mschap_calls, 1);
	assert_string_equal(out.user, "U");
	out.n = 0;
	ppp_auth_refuse(&p, "wrong password", NULL, 0);
	expect(0, PPP_CHAP, CHAP_FAILURE, &d, &n, NULL);
	assert_memory_equal(d, "E=691 R=0 C=", 12);
	assert_memory_equal(d + 44, " V=3", 4);
	expect(1, PPP_LCP, CP_TERM_REQ, NULL, NULL, NULL);
	assert_int_equal(out.down, 1);
	assert_false(out.by_peer);
	/* a response with the wrong value size is ignored */
	struct chap_response r;
	uint8_t bad[] = {2, 1, 0, 6, 48, 0};
	assert_true(chap_parse_response(bad, sizeof(bad), &r) < 0);
}

static void test_eap_after_nak(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	uint8_t id;
	reset();
	ppp_init(&p, &ops, NULL, PPP_AUTH_MSCHAPV2 | PPP_AUTH_EAP, 7);
	ppp_start(&p);
	expect(0, PPP_LCP, CP_CONF_REQ, NULL, NULL, &id);
	char h[128];
	/* the client Naks CHAP-81 proposing EAP */
	snprintf(h, sizeof(h), "ff03c02103%02x00080304c227", id);
	feed(&p, h);
	expect(1, PPP_LCP, CP_CONF_REQ, &d, &n, &id);
	assert_memory_equal(d + 4, "\x03\x04\xc2\x27", 4);
	feed(&p, "ff03c02101010004");
	snprintf(h, sizeof(h), "ff03c02102%02x0004", id);
	feed(&p, h);
	expect(3, PPP_EAP, EAP_REQUEST, &d, &n, &id);
	assert_int_equal(d[0], EAP_TYPE_IDENTITY);
	snprintf(h, sizeof(h), "ff03c22702%02x000a01616c696365", id);
	feed(&p, h);
	assert_int_equal(out.eap_calls, 1);
	assert_string_equal(out.user, "alice");
	/* relay a challenge, then the verdict */
	ppp_eap_request(&p, (const uint8_t *)"\x01\x09\x00\x06\x0d\x20", 6);
	expect(out.n - 1, PPP_EAP, EAP_REQUEST, &d, &n, &id);
	assert_int_equal(id, 9);
	uint32_t dns[2] = {0, 0};
	ppp_set_net(&p, 1, 2, dns);
	ppp_auth_refuse(&p, "revoked", NULL, 0);
	expect(out.n - 2, PPP_EAP, EAP_FAILURE, NULL, NULL, &id);
	assert_int_equal(id, 9);
	assert_int_equal(out.down, 1);
}

static void test_lcp_auth_rejected(void **state)
{
	(void)state;
	struct ppp p;
	uint8_t id;
	reset();
	ppp_init(&p, &ops, NULL, PPP_AUTH_MSCHAPV2, 7);
	ppp_start(&p);
	expect(0, PPP_LCP, CP_CONF_REQ, NULL, NULL, &id);
	char h[64];
	snprintf(h, sizeof(h), "ff03c02104%02x00090305c22381", id);
	feed(&p, h);
	assert_int_equal(out.down, 1);
	expect(1, PPP_LCP, CP_TERM_REQ, NULL, NULL, NULL);
}

static void test_malformed_frames(void **state)
{
	(void)state;
	struct ppp p;
	reset();
	ppp_init(&p, &ops, NULL, PPP_AUTH_MSCHAPV2, 7);
	ppp_start(&p);
	feed(&p, "ff03c021");		    /* no packet */
	feed(&p, "ff03c0210101");	    /* short header */
	feed(&p, "ff03c02101010008010401"); /* length past the end */
	feed(&p, "ff03c02101010006010a");   /* option longer than the packet */
	feed(&p, "ff03c020010100040000");   /* even protocol number */
	assert_int_equal(out.n, 1);
	assert_int_equal(out.down, 0);
	/* IPCP before authentication is dropped */
	feed(&p, "ff03802101010004");
	assert_int_equal(out.n, 1);
}

/* Authentication accepted (with or without an IPv6 address) and IPCP
 * opened at once; returns the id of our IPV6CP request (0: none sent). */
static uint8_t network_up(struct ppp *p, bool v6)
{
	static const uint8_t ours[8] = {0, 0, 0, 0, 0, 0, 0, 1},
			     theirs[8] = {0, 0, 0, 0, 0, 0, 0, 2};
	const uint8_t *d;
	size_t n;
	uint8_t ipcp_id, v6_id = 0;
	char h[64];
	lcp_up(p, PPP_AUTH_MSCHAPV2);
	uint32_t dns[2] = {0, 0};
	ppp_set_net(p, 0xac100001, 0xac100002, dns);
	if (v6)
		ppp_set_net6(p, ours, theirs);
	out.n = 0;
	ppp_auth_accept(p, "S=00", NULL, 0);
	expect(1, PPP_IPCP, CP_CONF_REQ, NULL, NULL, &ipcp_id);
	if (v6) {
		expect(2, PPP_IPV6CP, CP_CONF_REQ, &d, &n, &v6_id);
		assert_int_equal(n, 10);
		assert_memory_equal(d, "\x01\x0a\0\0\0\0\0\0\0\x01", 10);
	} else {
		assert_int_equal(out.n, 2);
	}
	feed(p, "ff038021010a000a0306ac100002");
	snprintf(h, sizeof(h), "ff03802102%02x000a0306ac100001", ipcp_id);
	feed(p, h);
	assert_int_equal(p->phase, PPP_RUNNING);
	return v6_id;
}

/* IPV6CP (RFC 5072): our identifier proposed, the client's steered to the
 * one its lease needs, then IPv6 both ways. */
static void test_ipv6cp(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	char h[64];
	uint8_t id = network_up(&p, true);
	assert_true(ppp_wants_timer(&p)); /* our IPV6CP request is outstanding */
	/* IPv6 before IPV6CP is open: dropped both ways */
	feed(&p, "ff03005760000000");
	assert_int_equal(out.ip, 0);
	uint8_t pkt6[40] = {0x60};
	assert_true(ppp_send_ip(&p, pkt6, sizeof(pkt6)) < 0);
	/* the client proposes its own identifier: Nak with the leased one;
	 * a compression option: Reject */
	int at = out.n;
	feed(&p, "ff0380570105000e010a1122334455667788");
	expect(at, PPP_IPV6CP, CP_CONF_NAK, &d, &n, NULL);
	assert_memory_equal(d, "\x01\x0a\0\0\0\0\0\0\0\x02", 10);
	feed(&p, "ff0380570106000802040000");
	expect(at + 1, PPP_IPV6CP, CP_CONF_REJ, NULL, NULL, NULL);
	feed(&p, "ff0380570107000e010a0000000000000002");
	expect(at + 2, PPP_IPV6CP, CP_CONF_ACK, NULL, NULL, NULL);
	assert_false(p.v6_up);
	snprintf(h, sizeof(h), "ff03805702%02x000e010a0000000000000001", id);
	feed(&p, h);
	assert_true(p.v6_up);
	assert_false(ppp_wants_timer(&p));
	feed(&p, "ff03005760000000");
	assert_int_equal(out.ip, 1);
	assert_int_equal(ppp_send_ip(&p, pkt6, sizeof(pkt6)), 0);
	assert_memory_equal(out.f[out.n - 1], "\xff\x03\x00\x57\x60", 5);
	/* the client closes IPV6CP: IPv4 carries on */
	feed(&p, "ff03805705080004");
	expect(out.n - 1, PPP_IPV6CP, CP_TERM_ACK, NULL, NULL, NULL);
	assert_false(p.v6_up);
	assert_int_equal(p.phase, PPP_RUNNING);
	assert_true(ppp_send_ip(&p, pkt6, sizeof(pkt6)) < 0);
}

/* Without an IPv6 address IPV6CP is Protocol-Rejected; with one, a client
 * that Protocol-Rejects it or never answers keeps its IPv4 link. */
static void test_ipv6cp_refused(void **state)
{
	(void)state;
	struct ppp p;
	const uint8_t *d;
	size_t n;
	network_up(&p, false);
	feed(&p, "ff0380570105000e010a1122334455667788");
	expect(out.n - 1, PPP_LCP, LCP_PROTO_REJ, &d, &n, NULL);
	assert_memory_equal(d, "\x80\x57\x01\x05", 4);
	feed(&p, "ff03005760000000");
	assert_int_equal(out.ip, 0);
	/* the client Protocol-Rejects ours */
	network_up(&p, true);
	feed(&p, "ff03c02108330008805701aa");
	assert_true(p.v6_off);
	assert_false(ppp_wants_timer(&p));
	feed(&p, "ff0380570105000e010a0000000000000002"); /* ignored now */
	assert_false(p.v6_up);
	/* a client that never answers: retransmitted, then given up quietly */
	network_up(&p, true);
	for (int i = 0; i < 20 && ppp_wants_timer(&p); i++) {
		out.n = 0;
		ppp_timeout(&p);
	}
	assert_true(p.v6_off);
	assert_int_equal(p.phase, PPP_RUNNING);
	assert_int_equal(out.down, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lcp_request_options),
		cmocka_unit_test(test_mschapv2_to_ip),
		cmocka_unit_test(test_mschapv2_refused),
		cmocka_unit_test(test_eap_after_nak),
		cmocka_unit_test(test_lcp_auth_rejected),
		cmocka_unit_test(test_malformed_frames),
		cmocka_unit_test(test_ipv6cp),
		cmocka_unit_test(test_ipv6cp_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
