/* src/proto/openvpn/replay: the sliding replay window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/replay.h"

/* check, then update when accepted: what a receiver does after the packet
 * authenticated. Returns the check's result. */
static int take_seq(struct replay_win *w, uint64_t seq)
{
	int r = replay_check(w, seq);
	if (r == 0)
		replay_update(w, seq);
	return r;
}

static void test_increasing(void **state)
{
	(void)state;
	struct replay_win w = {0};
	for (uint64_t s = 1; s <= 1000; s++)
		assert_int_equal(take_seq(&w, s), 0);
	assert_true(w.top == 1000);
	/* Gaps are fine as long as the sequence grows. */
	assert_int_equal(take_seq(&w, 1005), 0);
	assert_int_equal(take_seq(&w, 1100), 0);
	assert_true(w.top == 1100);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(take_seq(&w, 5), 0);
	assert_int_equal(take_seq(&w, 5), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, 6), 0);
	assert_int_equal(take_seq(&w, 5), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, 6), P2S_E_REPLAY);
}

static void test_check_does_not_record(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(replay_check(&w, 7), 0);
	assert_int_equal(replay_check(&w, 7), 0);
	assert_true(w.top == 0);
	replay_update(&w, 7);
	assert_int_equal(replay_check(&w, 7), P2S_E_REPLAY);
}

static void test_out_of_order_within_window(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(take_seq(&w, 100), 0);
	assert_int_equal(take_seq(&w, 99), 0);
	assert_int_equal(take_seq(&w, 40), 0); /* 60 back */
	assert_int_equal(take_seq(&w, 37), 0); /* 63 back: the oldest allowed */
	assert_int_equal(take_seq(&w, 40), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, 99), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, 98), 0);
	assert_true(w.top == 100);
	/* Moving forward keeps what was seen in the window. */
	assert_int_equal(take_seq(&w, 102), 0);
	assert_int_equal(take_seq(&w, 98), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, 101), 0);
	assert_int_equal(take_seq(&w, 100), P2S_E_REPLAY);
}

static void test_too_old(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(take_seq(&w, 100), 0);
	assert_int_equal(replay_check(&w, 100 - REPLAY_WINDOW), P2S_E_REPLAY);
	assert_int_equal(replay_check(&w, 1), P2S_E_REPLAY);
	assert_int_equal(replay_check(&w, 100 - REPLAY_WINDOW + 1), 0);
}

static void test_zero_rejected(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(replay_check(&w, 0), P2S_E_REPLAY);
	/* tls-auth ids: a zero packet id with any time is never sent either. */
	assert_int_equal(replay_check(&w, (uint64_t)12345 << 32), P2S_E_REPLAY);
	assert_int_equal(replay_check(&w, 1), 0);
}

static void test_big_jump_resets(void **state)
{
	(void)state;
	struct replay_win w = {0};
	for (uint64_t s = 1; s <= 10; s++)
		assert_int_equal(take_seq(&w, s), 0);
	assert_int_equal(take_seq(&w, 10 + 1000), 0);
	assert_true(w.bits == 1);
	/* Everything in the new window is unseen, everything before too old. */
	assert_int_equal(replay_check(&w, 1009), 0);
	assert_int_equal(replay_check(&w, 1010 - 63), 0);
	assert_int_equal(replay_check(&w, 10), P2S_E_REPLAY);
	/* A jump of exactly the window size also clears it. */
	struct replay_win v = {0};
	assert_int_equal(take_seq(&v, 1), 0);
	assert_int_equal(take_seq(&v, 1 + REPLAY_WINDOW), 0);
	assert_true(v.bits == 1);
	assert_int_equal(replay_check(&v, 2), 0);
	assert_int_equal(replay_check(&v, 1), P2S_E_REPLAY);
}

static uint64_t ta_seq(uint32_t time, uint32_t id)
{
	return (uint64_t)time << 32 | id;
}

static void test_time_semantics(void **state)
{
	(void)state;
	struct replay_win w = {0};
	const uint32_t t = 1700000000;
	assert_int_equal(take_seq(&w, ta_seq(t, 1)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t, 2)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t, 50)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t, 2)), P2S_E_REPLAY);
	/* A peer that restarted: newer time, ids from 1 again. */
	assert_int_equal(take_seq(&w, ta_seq(t + 1, 1)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t + 1, 2)), 0);
	/* The old time is now behind, whatever its id. */
	assert_int_equal(take_seq(&w, ta_seq(t, 51)), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, ta_seq(t, 0xffffffffu)), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, ta_seq(t - 1, 1000)), P2S_E_REPLAY);
	/* Even the last ids of the old time, numerically just below the new top. */
	struct replay_win v = {0};
	assert_int_equal(take_seq(&v, ta_seq(t, 0xfffffffeu)), 0);
	assert_int_equal(take_seq(&v, ta_seq(t + 1, 1)), 0);
	assert_int_equal(take_seq(&v, ta_seq(t, 0xffffffffu)), P2S_E_REPLAY);
	assert_int_equal(take_seq(&v, ta_seq(t + 1, 1)), P2S_E_REPLAY);
	assert_int_equal(take_seq(&v, ta_seq(t + 1, 2)), 0);
	/* Reordering within the same time still works. */
	assert_int_equal(take_seq(&w, ta_seq(t + 1, 5)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t + 1, 4)), 0);
	assert_int_equal(take_seq(&w, ta_seq(t + 1, 4)), P2S_E_REPLAY);
}

static void test_high_values(void **state)
{
	(void)state;
	struct replay_win w = {0};
	assert_int_equal(take_seq(&w, UINT64_MAX), 0);
	assert_int_equal(take_seq(&w, UINT64_MAX), P2S_E_REPLAY);
	assert_int_equal(take_seq(&w, UINT64_MAX - 1), 0);
	assert_int_equal(take_seq(&w, 1), P2S_E_REPLAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_increasing),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_check_does_not_record),
		cmocka_unit_test(test_out_of_order_within_window),
		cmocka_unit_test(test_too_old),
		cmocka_unit_test(test_zero_rejected),
		cmocka_unit_test(test_big_jump_resets),
		cmocka_unit_test(test_time_semantics),
		cmocka_unit_test(test_high_values),
	};
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
