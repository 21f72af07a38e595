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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_text),
		cmocka_unit_test(test_replaces_control_and_invalid),
		cmocka_unit_test(test_truncates_on_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
