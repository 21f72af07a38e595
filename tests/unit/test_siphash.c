/* SipHash-2-4 against the reference vectors of its paper (key 00..0f,
 * messages 00, 00 01, ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/siphash.h"

static void test_reference_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash24(key, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(siphash24(key, msg, 63) == 0x958a324ceb064572ULL);
}

static void test_key_matters(void **state)
{
	(void)state;
	uint8_t k1[16] = {1}, k2[16] = {2};
	const char m[] = "192.0.2.2:1194";
	assert_true(siphash24(k1, m, sizeof(m)) != siphash24(k2, m, sizeof(m)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_key_matters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
