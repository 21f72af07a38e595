/* Client-supplied names made safe for logs and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/text.h"

static void test_keeps_text(void **state)
{
	(void)state;
	char out[64];
	text_clean(out, sizeof(out), "alice@contoso.com");
	assert_string_equal(out, "alice@contoso.com");
	text_clean(out, sizeof(out), "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac"); /* Jürgen 日本 */
	assert_string_equal(out, "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac");
}

static void test_replaces_control_and_invalid(void **state)
{
	(void)state;
	char out[64];
	/* A forged log line, a lone continuation byte, an overlong '/' and a surrogate. */
	text_clean(out, sizeof(out), "bob\nFAKE: ok\x1b[1m \x80 \xc0\xaf \xed\xa0\x80");
	assert_string_equal(out, "bob?FAKE: ok?[1m ? ?? ???");
	/* Bytes 0xf5..0xff lead no sequence, whatever follows them. */
	text_clean(out, sizeof(out),
		   "i\xf6\x8d\x9a \xff\x9d\x9d \xf5\x80\x80\x80 \xf4\x8f\xbf\xbf");
	assert_string_equal(out, "i??? ??? ???? \xf4\x8f\xbf\xbf");
}

static void test_truncates_on_a_character(void **state)
{
	(void)state;
	char out[4];
	text_clean(out, sizeof(out), "a\xe6\x97\xa5"); /* the 3-byte character does not fit */
	assert_string_equal(out, "a");
	text_clean(out, 1, "abc");
	assert_string_equal(out, "");
}

static void test_dns_names(void **state)
{
	(void)state;
	char n[DNS_NAMES_MAX][DNS_NAME_MAX];
	assert_int_equal(
		dns_names_split("contoso.internal, .corp.contoso.com,x-1.y", n, DNS_NAMES_MAX), 3);
	assert_string_equal(n[0], "contoso.internal");
	assert_string_equal(n[1], "corp.contoso.com");
	assert_string_equal(n[2], "x-1.y");
	assert_int_equal(dns_names_split("", n, DNS_NAMES_MAX), 0);
	const char *bad[] = {"a..b", "-a.b", "a_b.c", "a.b.", "a;b", "x\ny"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dns_names_split(bad[i], n, DNS_NAMES_MAX), -1);
	assert_int_equal(dns_names_split("a,b,c", n, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_text),
		cmocka_unit_test(test_replaces_control_and_invalid),
		cmocka_unit_test(test_truncates_on_a_character),
		cmocka_unit_test(test_dns_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
