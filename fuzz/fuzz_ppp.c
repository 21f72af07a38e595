/* The PPP state machine fed frames (each prefixed by a 2-byte length) from
 * a client that the harness lets through authentication at once, so LCP,
 * CHAP, EAP, IPCP, IPV6CP (first byte's bit 2: the client has IPv6) and
 * data all see fuzzed input. The CHAP and EAP packet
 * parsers also get every frame directly. */
#include <string.h>

#include "fuzz.h"
#include "lib/cursor.h"
#include "proto/ppp/frame.h"
#include "proto/ppp/ppp.h"

static struct ppp *cur_ppp;
static int eap_rounds;
static bool with_v6; /* the client has an IPv6 address: IPV6CP runs */

static void f_send(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	FUZZ_CHECK(len >= PPP_HDR_LEN && len <= PPP_MAX_FRAME && f[0] == 0xff && f[1] == 3);
}
static void f_mschap(void *ctx, const char *user, const uint8_t chal[16], const uint8_t resp[50])
{
	(void)ctx;
	(void)chal;
	(void)resp;
	FUZZ_CHECK(strlen(user) <= CHAP_NAME_MAX);
	static const uint32_t dns[2] = {0x0a000001, 0};
	ppp_set_net(cur_ppp, 0x0a000001, 0x0a000002, dns);
	if (with_v6) {
		static const uint8_t ours[8] = {[7] = 1}, theirs[8] = {[7] = 2};
		ppp_set_net6(cur_ppp, ours, theirs);
	}
	if (user[0] == 'x')
		ppp_auth_refuse(cur_ppp, "no", NULL, 0);
	else
		ppp_auth_accept(cur_ppp, "S=00", NULL, 0);
}
static void f_eap(void *ctx, const char *identity, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)identity;
	(void)pkt;
	(void)len;
	static const uint8_t req[] = {1, 0x33, 0, 6, 13, 0x20};
	if (eap_rounds++ < 2) {
		ppp_eap_request(cur_ppp, req, sizeof(req));
	} else {
		static const uint32_t dns[2] = {0, 0};
		ppp_set_net(cur_ppp, 1, 2, dns);
		ppp_auth_accept(cur_ppp, NULL, NULL, 0);
	}
}
static void f_up(void *ctx)
{
	(void)ctx;
}
static void f_ip(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
}
static void f_down(void *ctx, const char *reason, bool by_peer)
{
	(void)ctx;
	(void)by_peer;
	FUZZ_CHECK(reason != NULL);
}
static const struct ppp_ops ops = {f_send, f_mschap, f_eap, f_up, f_ip, f_down};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ppp p;
	struct cur c;
	if (size < 1)
		return 0;
	cur_ppp = &p;
	eap_rounds = 0;
	with_v6 = data[0] & 4;
	ppp_init(&p, &ops, NULL, (data[0] & 3) ? (data[0] & 3) : 1, 0x11223344);
	ppp_start(&p);
	cur_init(&c, data + 1, size - 1);
	for (int i = 0; i < 256 && cur_left(&c) >= 2; i++) {
		size_t n = cur_u16(&c);
		struct cur f = cur_sub(&c, n);
		if (!cur_ok(&c))
			break;
		struct chap_response r;
		struct eap_pkt e;
		if (n > 4) {
			chap_parse_response(f.p + 4, n - 4, &r);
			eap_parse(f.p + 4, n - 4, &e);
		}
		ppp_input(&p, f.p, n);
		if (i % 8 == 7)
			ppp_timeout(&p);
	}
	return 0;
}
