/* src/lib/cursor: the sticky-error reader and writer every parser uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/cursor.h"

static const uint8_t sample[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

static void test_reads_big_endian(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, sizeof(sample));
	assert_int_equal(cur_u8(&c), 0x01);
	assert_int_equal(cur_u16(&c), 0x0203);
	assert_int_equal(cur_u24(&c), 0x040506);
	assert_int_equal(cur_u32(&c), 0x0708090a);
	assert_int_equal(cur_left(&c), 6);
	assert_true(cur_ok(&c));
	assert_false(cur_done(&c));
	const uint8_t *b = cur_bytes(&c, 6);
	assert_ptr_equal(b, sample + 10);
	assert_true(cur_done(&c));
	assert_int_equal(cur_left(&c), 0);
}

static void test_u64(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, 8);
	assert_true(cur_u64(&c) == 0x0102030405060708ull);
	assert_true(cur_done(&c));
}

static void test_exact_size_reads(void **state)
{
	(void)state;
	struct cur c;
	/* A read of exactly what is left succeeds and leaves the cursor done. */
	cur_init(&c, sample, 4);
	assert_int_equal(cur_u32(&c), 0x01020304);
	assert_true(cur_done(&c));
	/* Zero-length reads at the end are fine, one more byte is not. */
	assert_non_null(cur_bytes(&c, 0));
	assert_true(cur_ok(&c));
	assert_int_equal(cur_u8(&c), 0);
	assert_false(cur_ok(&c));
	assert_false(cur_done(&c));
}

static void test_sticky_error(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, 3);
	assert_int_equal(cur_u32(&c), 0); /* overrun: 4 > 3 */
	assert_false(cur_ok(&c));
	/* Everything after the first overrun reads as zero, even what would fit. */
	assert_int_equal(cur_u8(&c), 0);
	assert_int_equal(cur_u16(&c), 0);
	assert_null(cur_bytes(&c, 1));
	assert_null(cur_bytes(&c, 0));
	assert_int_equal(cur_left(&c), 0);
	uint8_t dst[2] = {0xaa, 0xbb};
	assert_false(cur_copy(&c, dst, 2));
	assert_int_equal(dst[0], 0);
	assert_int_equal(dst[1], 0);
	size_t n = 99;
	assert_null(cur_rest(&c, &n));
	assert_int_equal(n, 0);
	assert_false(cur_done(&c));
}

static void test_huge_length_no_wrap(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, sizeof(sample));
	cur_u8(&c);
	/* A length near SIZE_MAX must not wrap around the bounds check. */
	assert_null(cur_bytes(&c, SIZE_MAX));
	assert_false(cur_ok(&c));
	cur_init(&c, sample, sizeof(sample));
	assert_null(cur_bytes(&c, SIZE_MAX - 3));
	assert_false(cur_ok(&c));
}

static void test_copy(void **state)
{
	(void)state;
	struct cur c;
	uint8_t dst[5];
	cur_init(&c, sample, sizeof(sample));
	assert_true(cur_copy(&c, dst, 5));
	assert_memory_equal(dst, sample, 5);
	assert_int_equal(cur_left(&c), sizeof(sample) - 5);
}

static void test_sub_cursor(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, sizeof(sample));
	cur_u8(&c);
	struct cur s = cur_sub(&c, 4);
	assert_true(cur_ok(&s));
	assert_int_equal(cur_left(&s), 4);
	assert_int_equal(cur_u32(&s), 0x02030405);
	assert_true(cur_done(&s));
	/* The parent moved past the sub-range. */
	assert_int_equal(cur_u8(&c), 0x06);
	/* Overrunning the sub-cursor does not touch the parent. */
	assert_int_equal(cur_u8(&s), 0);
	assert_false(cur_ok(&s));
	assert_true(cur_ok(&c));
	assert_int_equal(cur_left(&c), sizeof(sample) - 6);
}

static void test_sub_cursor_overrun(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, sample, 4);
	struct cur s = cur_sub(&c, 5);
	assert_false(cur_ok(&s));
	assert_false(cur_ok(&c));
	assert_int_equal(cur_left(&s), 0);
	assert_int_equal(cur_u8(&s), 0);
	assert_int_equal(cur_u8(&c), 0);
}

static void test_rest(void **state)
{
	(void)state;
	struct cur c;
	size_t n = 0;
	cur_init(&c, sample, sizeof(sample));
	cur_u32(&c);
	const uint8_t *r = cur_rest(&c, &n);
	assert_ptr_equal(r, sample + 4);
	assert_int_equal(n, 12);
	assert_true(cur_done(&c));
	/* The rest of an empty remainder is an empty, valid range. */
	r = cur_rest(&c, &n);
	assert_int_equal(n, 0);
	assert_true(cur_ok(&c));
}

static void test_writer(void **state)
{
	(void)state;
	uint8_t buf[19];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u8(&w, 0x01);
	wbuf_u16(&w, 0x0203);
	wbuf_u24(&w, 0x040506);
	wbuf_u32(&w, 0x0708090a);
	wbuf_u64(&w, 0x0b0c0d0e0f101112ull);
	uint8_t *res = wbuf_reserve(&w, 1);
	assert_non_null(res);
	*res = 0x13;
	assert_true(wbuf_ok(&w));
	assert_int_equal(w.len, 19);
	for (int i = 0; i < 19; i++)
		assert_int_equal(buf[i], i + 1);
}

static void test_writer_overflow(void **state)
{
	(void)state;
	uint8_t buf[8] = {0};
	uint8_t guard[4] = {0xee, 0xee, 0xee, 0xee};
	struct wbuf w;
	wbuf_init(&w, buf, 6);
	wbuf_u32(&w, 0xdeadbeef);
	assert_true(wbuf_ok(&w));
	wbuf_u32(&w, 0x11223344); /* 8 > 6 */
	assert_false(wbuf_ok(&w));
	assert_int_equal(w.len, 4);
	/* Nothing past cap was written and later small writes are refused too. */
	assert_int_equal(buf[4], 0);
	assert_int_equal(buf[5], 0);
	wbuf_u8(&w, 0x55);
	assert_int_equal(buf[4], 0);
	assert_int_equal(w.len, 4);
	assert_null(wbuf_reserve(&w, 0));
	wbuf_bytes(&w, guard, sizeof(guard));
	assert_int_equal(w.len, 4);
	assert_false(wbuf_ok(&w));
}

static void test_writer_exact_fit(void **state)
{
	(void)state;
	uint8_t buf[4];
	struct wbuf w;
	wbuf_init(&w, buf, 4);
	wbuf_u16(&w, 0xabcd);
	wbuf_u16(&w, 0xef01);
	assert_true(wbuf_ok(&w));
	assert_int_equal(w.len, 4);
	wbuf_bytes(&w, NULL, 0);
	assert_true(wbuf_ok(&w));
	wbuf_u8(&w, 1);
	assert_false(wbuf_ok(&w));
	assert_null(wbuf_reserve(&w, SIZE_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_big_endian),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_exact_size_reads),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_huge_length_no_wrap),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_sub_cursor),
		cmocka_unit_test(test_sub_cursor_overrun),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_exact_fit),
	};
	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
