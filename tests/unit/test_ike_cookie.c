/* src/proto/ikev2/cookie: a cookie made for one request is accepted back as
 * the first payload, and refused for another SPI, address, nonce or secret,
 * or anywhere but first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <string.h>

#include "proto/ikev2/internal.h"

static struct ike_engine eng;

/* An IKE_SA_INIT-like message whose chain is [N(COOKIE)] + nonce, or the
 * nonce first when cookie_first is false. */
static void msg_with(struct ike_msg *m, uint64_t spi, const uint8_t *cookie, bool cookie_first,
		     uint8_t *body)
{
	memset(m, 0, sizeof(*m));
	m->hdr.spi_i = spi;
	body[0] = 0;
	body[1] = 0;
	body[2] = (uint8_t)(IKE_N_COOKIE >> 8);
	body[3] = (uint8_t)IKE_N_COOKIE;
	memcpy(body + 4, cookie, 36);
	struct ike_payload n = {IKE_PL_NOTIFY, false, body, 40};
	struct ike_payload no = {IKE_PL_NONCE, false, body, 4};
	m->chain.pl[cookie_first ? 0 : 1] = n;
	m->chain.pl[cookie_first ? 1 : 0] = no;
	m->chain.n = 2;
}

static void test_cookie(void **state)
{
	(void)state;
	memset(eng.cookie_secret, 0x33, sizeof(eng.cookie_secret));
	eng.cookie_version = 7;
	union sockaddr_any peer = {0}, other = {0};
	peer.in.sin_family = other.in.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", &peer.in.sin_addr);
	inet_pton(AF_INET, "192.0.2.3", &other.in.sin_addr);
	uint8_t ni[32], body[64], cookie[36];
	memset(ni, 0xab, sizeof(ni));
	struct ike_msg m;
	const uint8_t none[36] = {0};
	msg_with(&m, 0x1111, none, true, body);
	ike_cookie_make(&eng, &m, &peer, ni, 32, cookie);
	assert_int_equal(cookie[3], 7); /* the secret's version leads */
	msg_with(&m, 0x1111, cookie, true, body);
	assert_true(ike_cookie_check(&eng, &m, &peer, ni, 32));
	assert_false(ike_cookie_check(&eng, &m, &other, ni, 32));
	assert_false(ike_cookie_check(&eng, &m, &peer, ni, 31));
	msg_with(&m, 0x1112, cookie, true, body);
	assert_false(ike_cookie_check(&eng, &m, &peer, ni, 32));
	msg_with(&m, 0x1111, cookie, false, body);
	assert_false(ike_cookie_check(&eng, &m, &peer, ni, 32));
	/* A new secret: old cookies no longer pass. */
	msg_with(&m, 0x1111, cookie, true, body);
	eng.cookie_secret[0] ^= 1;
	assert_false(ike_cookie_check(&eng, &m, &peer, ni, 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_cookie)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
