/* src/lib/ring.c: items come out in the order they went in, with their
 * owner, tag, address and bytes; a full ring drops and counts; indices wrap
 * around; a discarded owner's items pop as no-ops; oversized items are
 * refused; several producers at once lose nothing that fits; an offer to a
 * full ring is refused without counting a drop, and taken once room is made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "lib/ring.h"

static void fn(void *owner, uint32_t tag, const union sockaddr_any *from, const uint8_t *p,
	       size_t n)
{
	(void)owner, (void)tag, (void)from, (void)p, (void)n;
}

static bool push(struct ring *r, void *owner, uint32_t tag, uint8_t fill, size_t n)
{
	uint8_t b[RING_DATA + 1];
	memset(b, fill, sizeof(b));
	union sockaddr_any from = {0};
	from.in.sin_port = (uint16_t)tag;
	return ring_push(r, fn, owner, tag, &from, b, n);
}

static void test_order_and_content(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, 4), 0);
	int owner;
	assert_true(push(&r, &owner, 1, 0xa1, 10));
	assert_true(push(&r, &owner, 2, 0xa2, RING_DATA));
	assert_true(push(&r, &owner, 3, 0xa3, 0));
	struct ring_item it;
	for (uint32_t t = 1; t <= 3; t++) {
		assert_true(ring_pop(&r, &it));
		assert_int_equal(it.tag, t);
		assert_ptr_equal(it.owner, &owner);
		assert_ptr_equal(it.fn, fn);
		assert_int_equal(it.from.in.sin_port, t);
	}
	assert_false(ring_pop(&r, &it));
	ring_free(&r);
}

static void test_full_drops_and_counts(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, 3), 0);
	for (uint32_t t = 0; t < 3; t++)
		assert_true(push(&r, NULL, t, (uint8_t)t, 100));
	assert_false(push(&r, NULL, 99, 0, 100));
	assert_false(push(&r, NULL, 98, 0, 100));
	assert_int_equal(ring_dropped(&r), 2);
	struct ring_item it;
	for (uint32_t t = 0; t < 3; t++) {
		assert_true(ring_pop(&r, &it));
		assert_int_equal(it.tag, t); /* the dropped ones never show up */
		assert_int_equal(it.len, 100);
		assert_int_equal(it.data[99], t);
	}
	assert_false(ring_pop(&r, &it));
	ring_free(&r);
}

static void test_wrap_around(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, 5), 0);
	struct ring_item it;
	uint32_t next_in = 0, next_out = 0;
	/* Push three, pop two, many times: the indices pass the end often. */
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 3 && r.n < r.cap; k++, next_in++)
			assert_true(push(&r, NULL, next_in, (uint8_t)next_in, 1 + next_in % 64));
		for (int k = 0; k < 2; k++, next_out++) {
			assert_true(ring_pop(&r, &it));
			assert_int_equal(it.tag, next_out);
			assert_int_equal(it.len, 1 + next_out % 64);
			assert_int_equal(it.data[0], (uint8_t)next_out);
		}
	}
	while (ring_pop(&r, &it))
		assert_int_equal(it.tag, next_out++);
	assert_int_equal(next_out, next_in);
	assert_int_equal(ring_dropped(&r), 0);
	ring_free(&r);
}

static void test_oversized_and_discard(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, 4), 0);
	int a, b;
	assert_false(push(&r, &a, 0, 0, RING_DATA + 1));
	assert_int_equal(ring_dropped(&r), 1);
	assert_true(push(&r, &a, 1, 1, 8));
	assert_true(push(&r, &b, 2, 2, 8));
	assert_true(push(&r, &a, 3, 3, 8));
	ring_discard(&r, &a);
	struct ring_item it;
	assert_true(ring_pop(&r, &it));
	assert_null(it.fn);
	assert_true(ring_pop(&r, &it));
	assert_ptr_equal(it.owner, &b);
	assert_ptr_equal(it.fn, fn);
	assert_true(ring_pop(&r, &it));
	assert_null(it.fn);
	assert_false(ring_pop(&r, &it));
	ring_free(&r);
}

#define PRODUCERS 4
#define PER	  500

static void *producer(void *arg)
{
	struct ring *r = arg;
	for (uint32_t i = 0; i < PER; i++)
		push(r, NULL, i, 0, 16);
	return NULL;
}

static void test_producers(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, PRODUCERS * PER), 0);
	pthread_t t[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, producer, &r), 0);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(t[i], NULL);
	struct ring_item it;
	unsigned n = 0;
	while (ring_pop(&r, &it))
		n++;
	assert_int_equal(n, PRODUCERS * PER);
	assert_int_equal(ring_dropped(&r), 0);
	ring_free(&r);
}

static void test_offer_full_not_counted(void **state)
{
	(void)state;
	struct ring r;
	assert_int_equal(ring_init(&r, 2), 0);
	uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_true(ring_offer(&r, fn, NULL, 1, NULL, b, 8));
	assert_true(ring_offer(&r, fn, NULL, 2, NULL, b, 8));
	assert_false(ring_offer(&r, fn, NULL, 3, NULL, b, 8));
	assert_int_equal(ring_dropped(&r), 0);
	struct ring_item it;
	assert_true(ring_pop(&r, &it));
	assert_int_equal(it.tag, 1);
	assert_true(ring_offer(&r, fn, NULL, 3, NULL, b, 8)); /* offered again: taken */
	assert_true(ring_pop(&r, &it));
	assert_int_equal(it.tag, 2);
	assert_true(ring_pop(&r, &it));
	assert_int_equal(it.tag, 3);
	assert_int_equal(it.data[7], 8);
	assert_false(ring_pop(&r, &it));
	ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_content),
		cmocka_unit_test(test_full_drops_and_counts),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_oversized_and_discard),
		cmocka_unit_test(test_producers),
		cmocka_unit_test(test_offer_full_not_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
