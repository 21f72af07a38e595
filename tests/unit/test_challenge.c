/* OpenVPN's challenge/response password forms and the store that keeps a
 * RADIUS challenge between two connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "auth/challenge.h"
#include "auth/resume.h"
#include "proto/openvpn/challenge.h"

static void test_password_forms(void **state)
{
	(void)state;
	struct ovpn_password p;
	assert_int_equal(ovpn_password_parse("plain secret", &p), 0);
	assert_string_equal(p.password, "plain secret");
	assert_null(p.otp);
	assert_null(p.challenge_id);
	ovpn_password_free(&p);
	/* SCRV1:base64("mfa-pw"):base64("123456") */
	assert_int_equal(ovpn_password_parse("SCRV1:bWZhLXB3:MTIzNDU2", &p), 0);
	assert_string_equal(p.password, "mfa-pw");
	assert_string_equal(p.otp, "123456");
	ovpn_password_free(&p);
	assert_int_equal(ovpn_password_parse("CRV1::0123abcd::654321", &p), 0);
	assert_string_equal(p.challenge_id, "0123abcd");
	assert_string_equal(p.password, "654321");
	ovpn_password_free(&p);
	/* Malformed forms are refused, not taken as plain passwords. */
	const char *bad[] = {"SCRV1:bWZh",  "SCRV1:!!!:MTIz", "SCRV1:bWZh:MTIz:eA==",
			     "CRV1::::123", "CRV1::abc",      "SCRV1:AA==:MTIz"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ovpn_password_parse(bad[i], &p), -1);
		assert_null(p.password);
	}
}

static void test_crv1_message(void **state)
{
	(void)state;
	char m[256];
	assert_true(ovpn_crv1_write(m, sizeof(m), "ab12", "mfa", "Enter code\nnow") > 0);
	assert_string_equal(m, "AUTH_FAILED,CRV1:R,E:ab12:bWZh:Enter code");
	assert_int_equal(ovpn_crv1_write(m, 20, "ab12", "mfa", "Enter code"), -1);
}

static void test_store(void **state)
{
	(void)state;
	static struct challenges c;
	char id[CHALLENGE_ID_LEN + 1], id2[CHALLENGE_ID_LEN + 1];
	uint8_t st[253];
	size_t n = 0;
	challenge_park(&c, "mfa", (const uint8_t *)"S1", 2, 100.0, id);
	challenge_park(&c, "eve", (const uint8_t *)"S2", 2, 100.0, id2);
	assert_int_equal(strlen(id), CHALLENGE_ID_LEN);
	assert_string_not_equal(id, id2);
	/* Another user cannot answer it, and the id is spent by trying. */
	assert_int_equal(challenge_take(&c, id, "eve", 110.0, st, &n), -1);
	assert_int_equal(challenge_take(&c, id, "mfa", 110.0, st, &n), -1);
	/* The right user within the lifetime gets the State back, once. */
	assert_int_equal(challenge_take(&c, id2, "eve", 110.0, st, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(st, "S2", 2);
	assert_int_equal(challenge_take(&c, id2, "eve", 110.0, st, &n), -1);
	/* Too late. */
	challenge_park(&c, "mfa", (const uint8_t *)"S3", 2, 100.0, id);
	assert_int_equal(challenge_take(&c, id, "mfa", 100.0 + CHALLENGE_LIFETIME + 1, st, &n), -1);
	assert_int_equal(challenge_take(&c, "short", "mfa", 100.0, st, &n), -1);
}

static bool revoked(const struct resume_entry *e, void *arg)
{
	return e->has_cert && memcmp(e->cert_sha1, arg, 20) == 0;
}

/* Ask once: found within the window only, dropped with its auth type or a
 * revoked certificate. */
static void test_resume_store(void **state)
{
	(void)state;
	static struct resume_store r;
	struct resume_entry a = {.auth_type = 2, .user = "mfa"},
			    b = {.auth_type = 4, .has_cert = true};
	memset(a.token, 'A', RESUME_TOKEN_LEN);
	memset(b.token, 'B', RESUME_TOKEN_LEN);
	memset(b.cert_sha1, 7, 20);
	resume_put(&r, &a, 100.0, 600.0);
	resume_put(&r, &b, 100.0, 600.0);
	assert_non_null(resume_find(&r, a.token, 699.0));
	assert_null(resume_find(&r, a.token, 701.0)); /* the window is over */
	assert_null(resume_find(&r, "AAAA", 200.0));  /* not a token at all */
	resume_drop_type(&r, 2);
	assert_null(resume_find(&r, a.token, 200.0));
	assert_non_null(resume_find(&r, b.token, 200.0));
	uint8_t sha[20];
	memset(sha, 7, 20);
	resume_drop_if(&r, revoked, sha);
	assert_null(resume_find(&r, b.token, 200.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_forms),
		cmocka_unit_test(test_crv1_message),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_resume_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
