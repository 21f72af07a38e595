/* MS-CHAPv2 against RFC 2759 section 9.2 and RFC 3079 section 3.5.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/mschap.h"
#include "lib/codec.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(hex_decode(s, out, n), (int)n);
}

static uint8_t auth_ch[16], peer_ch[16];

static int setup(void **state)
{
	(void)state;
	hex("5B5D7C7D7B3F2F3E3C2C602132262628", auth_ch, 16);
	hex("21402324255E262A28295F2B3A337C7E", peer_ch, 16);
	return 0;
}

static void test_rfc2759_vectors(void **state)
{
	(void)state;
	uint8_t ch[8], want_ch[8], hash[16], want_hash[16], resp[24], want_resp[24];
	mschap_challenge_hash(peer_ch, auth_ch, "User", ch);
	hex("D02E4386BCE91226", want_ch, 8);
	assert_memory_equal(ch, want_ch, 8);
	assert_int_equal(mschap_nt_password_hash("clientPass", hash), 0);
	hex("44EBBA8D5312B8D611474411F56989AE", want_hash, 16);
	assert_memory_equal(hash, want_hash, 16);
	assert_int_equal(mschap_nt_response(auth_ch, peer_ch, "User", "clientPass", resp), 0);
	hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", want_resp, 24);
	assert_memory_equal(resp, want_resp, 24);
	char ar[43];
	assert_int_equal(
		mschap_authenticator_response("clientPass", resp, peer_ch, auth_ch, "User", ar), 0);
	assert_string_equal(ar, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

static void test_wrong_password_or_user_differs(void **state)
{
	(void)state;
	uint8_t good[24], bad[24];
	mschap_nt_response(auth_ch, peer_ch, "User", "clientPass", good);
	mschap_nt_response(auth_ch, peer_ch, "User", "clientPasS", bad);
	assert_memory_not_equal(good, bad, 24);
	mschap_nt_response(auth_ch, peer_ch, "user", "clientPass", bad);
	assert_memory_not_equal(good, bad, 24);
}

static void test_rfc3079_master_key(void **state)
{
	(void)state;
	uint8_t hh[16], resp[24], master[16], want[16];
	hex("41C00C584BD2D91C4017A2A12FA59F3F", hh, 16);
	hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", resp, 24);
	assert_int_equal(mschap_master_key(hh, resp, master), 0);
	hex("FDECE3717A8C838CB388E527AE3CDD31", want, 16);
	assert_memory_equal(master, want, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rfc2759_vectors, setup),
		cmocka_unit_test_setup(test_wrong_password_or_user_differs, setup),
		cmocka_unit_test_setup(test_rfc3079_master_key, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
