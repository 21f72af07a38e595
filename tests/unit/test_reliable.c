/* src/proto/openvpn/reliable: acks, windows, retransmission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/reliable.h"
#include "proto/openvpn/wire.h"

static struct ovpn_reliable rel;

static int setup(void **state)
{
	(void)state;
	rel_init(&rel, 2.0);
	return 0;
}

/* Whatever a test leaves in the windows is freed: ASan's leak check sees it. */
static int teardown(void **state)
{
	(void)state;
	rel_free(&rel);
	return 0;
}

static int recv_str(uint32_t id, const char *s)
{
	return rel_recv(&rel, id, OVPN_CONTROL_V1, (const uint8_t *)s, strlen(s));
}

static void expect_pop(uint32_t id, const char *s)
{
	const struct rel_slot *sl = rel_recv_pop(&rel);
	assert_non_null(sl);
	assert_int_equal(sl->id, id);
	assert_int_equal(sl->op, OVPN_CONTROL_V1);
	assert_int_equal(sl->len, strlen(s));
	assert_memory_equal(sl->data, s, strlen(s));
}

static void expect_acks(const uint32_t *want, unsigned n)
{
	uint32_t ids[REL_ACK_QUEUE + 1];
	unsigned got = rel_acks_take(&rel, ids, REL_ACK_QUEUE + 1);
	assert_int_equal(got, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ids[i], want[i]);
}

static void test_in_order(void **state)
{
	(void)state;
	assert_int_equal(recv_str(0, "hello"), 0);
	expect_pop(0, "hello");
	assert_null(rel_recv_pop(&rel));
	assert_int_equal(recv_str(1, "world"), 0);
	expect_pop(1, "world");
	assert_null(rel_recv_pop(&rel));
	expect_acks((const uint32_t[]){0, 1}, 2);
	assert_int_equal(rel.recv_next_id, 2);
}

static void test_reordering(void **state)
{
	(void)state;
	assert_int_equal(recv_str(2, "two"), 0);
	assert_null(rel_recv_pop(&rel)); /* 0 is missing */
	assert_int_equal(recv_str(1, "one"), 0);
	assert_null(rel_recv_pop(&rel));
	assert_int_equal(recv_str(0, "zero"), 0);
	expect_pop(0, "zero");
	expect_pop(1, "one");
	expect_pop(2, "two");
	assert_null(rel_recv_pop(&rel));
	/* Acked in arrival order, each once. */
	expect_acks((const uint32_t[]){2, 1, 0}, 3);
}

static void test_empty_payload(void **state)
{
	(void)state;
	assert_int_equal(rel_recv(&rel, 0, OVPN_HARD_RESET_CLIENT_V2, NULL, 0), 0);
	const struct rel_slot *sl = rel_recv_pop(&rel);
	assert_non_null(sl);
	assert_int_equal(sl->op, OVPN_HARD_RESET_CLIENT_V2);
	assert_int_equal(sl->len, 0);
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_int_equal(recv_str(0, "first"), 0);
	/* A resend before delivery: stored copy kept, acked (once in the queue). */
	assert_int_equal(recv_str(0, "other"), 1);
	expect_acks((const uint32_t[]){0}, 1);
	assert_int_equal(recv_str(0, "other"), 1);
	expect_acks((const uint32_t[]){0}, 1); /* our ack was lost: ack again */
	expect_pop(0, "first");
	assert_null(rel_recv_pop(&rel));
	/* A resend after delivery: acked again, never delivered twice. */
	assert_int_equal(recv_str(0, "first"), 1);
	assert_null(rel_recv_pop(&rel));
	expect_acks((const uint32_t[]){0}, 1);
	/* A duplicate out-of-order packet inside the window. */
	assert_int_equal(recv_str(3, "three"), 0);
	assert_int_equal(recv_str(3, "three"), 1);
	expect_acks((const uint32_t[]){3}, 1);
	assert_null(rel_recv_pop(&rel));
}

static void test_beyond_window(void **state)
{
	(void)state;
	/* The window is ids next .. next+11. */
	assert_int_equal(recv_str(REL_RECV_WIN, "x"), P2S_E_FULL);
	assert_int_equal(recv_str(0x7fffffff, "x"), P2S_E_FULL);
	expect_acks(NULL, 0); /* not acked: the peer must resend it later */
	assert_int_equal(recv_str(REL_RECV_WIN - 1, "last"), 0);
	expect_acks((const uint32_t[]){REL_RECV_WIN - 1}, 1);
	/* Once 0 is delivered, 12 fits. */
	assert_int_equal(recv_str(0, "zero"), 0);
	expect_pop(0, "zero");
	assert_int_equal(recv_str(REL_RECV_WIN, "twelve"), 0);
	assert_int_equal(recv_str(REL_RECV_WIN + 1, "x"), P2S_E_FULL);
}

static void test_below_window(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(recv_str(i, "p"), 0);
		expect_pop(i, "p");
	}
	(void)rel_acks_take(&rel, (uint32_t[REL_ACK_QUEUE]){0}, REL_ACK_QUEUE);
	assert_int_equal(recv_str(1, "old"), 1);
	assert_int_equal(recv_str(4, "old"), 1);
	assert_int_equal(recv_str(0xfffffff0u, "ancient"), 1);
	assert_null(rel_recv_pop(&rel));
	expect_acks((const uint32_t[]){1, 4, 0xfffffff0u}, 3);
}

static void test_recv_too_large(void **state)
{
	(void)state;
	static uint8_t big[REL_MAX_PAYLOAD + 1];
	assert_int_equal(rel_recv(&rel, 0, OVPN_CONTROL_V1, big, sizeof(big)), P2S_E_PROTO);
	expect_acks(NULL, 0);
	assert_null(rel_recv_pop(&rel));
	assert_int_equal(rel_recv(&rel, 0, OVPN_CONTROL_V1, big, REL_MAX_PAYLOAD), 0);
	const struct rel_slot *sl = rel_recv_pop(&rel);
	assert_non_null(sl);
	assert_int_equal(sl->len, REL_MAX_PAYLOAD);
}

static void test_acks_take_order_and_limit(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(recv_str(i, "d"), 0);
	uint32_t ids[8];
	assert_int_equal(rel_acks_take(&rel, ids, 4), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(ids[i], i);
	assert_int_equal(rel.n_acks, 2);
	assert_int_equal(rel_acks_take(&rel, ids, 8), 2);
	assert_int_equal(ids[0], 4);
	assert_int_equal(ids[1], 5);
	assert_int_equal(rel_acks_take(&rel, ids, 8), 0);
	assert_int_equal(rel_acks_take(&rel, ids, 0), 0);
}

static void test_ack_queue_overflow_keeps_newest(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < REL_ACK_QUEUE + 8; i++) {
		assert_int_equal(recv_str(i, "d"), 0);
		expect_pop(i, "d");
	}
	uint32_t ids[REL_ACK_QUEUE + 8];
	assert_int_equal(rel_acks_take(&rel, ids, REL_ACK_QUEUE + 8), REL_ACK_QUEUE);
	for (uint32_t i = 0; i < REL_ACK_QUEUE; i++)
		assert_int_equal(ids[i], i + 8);
}

static int64_t queue_str(const char *s)
{
	return rel_send_queue(&rel, OVPN_CONTROL_V1, (const uint8_t *)s, strlen(s));
}

static void test_send_window(void **state)
{
	(void)state;
	assert_true(rel_send_idle(&rel));
	assert_true(rel_next_deadline(&rel) < 0);
	for (int i = 0; i < REL_SEND_WIN; i++) {
		assert_true(rel_send_has_room(&rel));
		assert_int_equal(queue_str("tls"), i);
	}
	assert_false(rel_send_has_room(&rel));
	assert_int_equal(queue_str("seventh"), P2S_E_FULL);
	assert_false(rel_send_idle(&rel));
	/* Acking a later packet frees a slot but not the window: the peer can
	 * only hold ids within 6 of the oldest one it has not received. */
	rel_ack_in(&rel, 3);
	assert_false(rel_send_has_room(&rel));
	assert_int_equal(queue_str("x"), P2S_E_FULL);
	rel_ack_in(&rel, 0);
	assert_true(rel_send_has_room(&rel));
	assert_int_equal(queue_str("six"), 6);
	assert_false(rel_send_has_room(&rel));
	/* All acked: idle again, ids continue. */
	for (uint32_t id = 1; id <= 6; id++)
		rel_ack_in(&rel, id);
	assert_true(rel_send_idle(&rel));
	assert_int_equal(queue_str("seven"), 7);
}

static void test_send_too_large(void **state)
{
	(void)state;
	static uint8_t big[REL_MAX_PAYLOAD + 1];
	assert_int_equal(rel_send_queue(&rel, OVPN_CONTROL_V1, big, sizeof(big)), P2S_E_FULL);
	assert_true(rel_send_idle(&rel));
	assert_int_equal(rel_send_queue(&rel, OVPN_CONTROL_V1, big, REL_MAX_PAYLOAD), 0);
}

static void test_unknown_and_duplicate_acks(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(queue_str("p"), i);
	struct rel_slot *s;
	while ((s = rel_send_due(&rel, 0)))
		rel_sent(&rel, s, 0);
	rel_ack_in(&rel, 99); /* never sent */
	rel_ack_in(&rel, 0xffffffffu);
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (rel.send[i].used)
			assert_int_equal(rel.send[i].later_acked, 0);
	rel_ack_in(&rel, 3);
	rel_ack_in(&rel, 3); /* the client resends recent acks: ignore */
	rel_ack_in(&rel, 3);
	int used = 0;
	for (int i = 0; i < REL_SEND_WIN; i++) {
		if (!rel.send[i].used)
			continue;
		used++;
		assert_true(rel.send[i].id < 3);
		assert_int_equal(rel.send[i].later_acked, 1);
	}
	assert_int_equal(used, 3);
	/* Nothing became due early from the repeated ack. */
	assert_null(rel_send_due(&rel, 1.0));
}

static void test_retransmit_backoff(void **state)
{
	(void)state;
	assert_int_equal(queue_str("hello"), 0);
	assert_true(rel_next_deadline(&rel) == 0); /* due now */
	double now = 100;
	const double gaps[] = {2, 4, 8, 16, 32, 60, 60, 60};
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		struct rel_slot *s = rel_send_due(&rel, now);
		assert_non_null(s);
		assert_int_equal(s->id, 0);
		assert_int_equal(s->len, 5);
		assert_memory_equal(s->data, "hello", 5);
		rel_sent(&rel, s, now);
		assert_true(rel_next_deadline(&rel) == now + gaps[i]);
		assert_null(rel_send_due(&rel, now + gaps[i] - 0.01));
		now += gaps[i];
	}
	rel_ack_in(&rel, 0);
	assert_null(rel_send_due(&rel, now + 1000));
	assert_true(rel_next_deadline(&rel) < 0);
}

static void test_due_oldest_first(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		queue_str("p");
	struct rel_slot *s = rel_send_due(&rel, 0);
	assert_int_equal(s->id, 0);
	rel_sent(&rel, s, 0);
	s = rel_send_due(&rel, 0);
	assert_int_equal(s->id, 1);
	rel_sent(&rel, s, 0.5);
	s = rel_send_due(&rel, 0);
	assert_int_equal(s->id, 2);
	rel_sent(&rel, s, 1);
	assert_null(rel_send_due(&rel, 1.9));
	assert_true(rel_next_deadline(&rel) == 2.0);
	/* At 2.6 both 0 and 1 are due; 0 comes first. */
	s = rel_send_due(&rel, 2.6);
	assert_int_equal(s->id, 0);
}

static void test_fast_resend(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++)
		queue_str("p");
	struct rel_slot *s;
	while ((s = rel_send_due(&rel, 0)))
		rel_sent(&rel, s, 0);
	assert_null(rel_send_due(&rel, 0.5));
	/* 0 is lost; 1, 2 and 3 are acked. After the third, 0 is due at once. */
	rel_ack_in(&rel, 1);
	rel_ack_in(&rel, 2);
	assert_null(rel_send_due(&rel, 0.5));
	rel_ack_in(&rel, 3);
	s = rel_send_due(&rel, 0.5);
	assert_non_null(s);
	assert_int_equal(s->id, 0);
	rel_sent(&rel, s, 0.5);
	/* The resend counts as a send: its timer and counter start over. 4 had
	 * nothing later acked, so it is not due early. */
	assert_null(rel_send_due(&rel, 0.6));
	assert_int_equal(s->later_acked, 0);
	assert_true(s->next_tx == 0.5 + 4);
	/* Acks of earlier ids do not count toward a later packet's resend. */
	rel_ack_in(&rel, 0);
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (rel.send[i].used)
			assert_int_equal(rel.send[i].later_acked, 0);
}

/* An idle window holds no payload memory: the fixed part stays small. */
static void test_idle_window_is_small(void **state)
{
	(void)state;
	assert_true(sizeof(struct ovpn_reliable) < 1200);
	assert_int_equal(rel_payload_bytes(&rel), 0);
	for (int i = 0; i < REL_SEND_WIN; i++)
		assert_null(rel.send[i].data);
}

/* Send payloads exist from queueing until their ack, and only as large as sent. */
static void test_send_payload_freed_on_ack(void **state)
{
	(void)state;
	assert_int_equal(queue_str("hello"), 0);
	assert_int_equal(queue_str("tls bytes"), 1);
	assert_int_equal(rel_payload_bytes(&rel), 5 + 9);
	rel_ack_in(&rel, 0);
	assert_int_equal(rel_payload_bytes(&rel), 9);
	rel_ack_in(&rel, 0); /* a duplicate ack frees nothing twice */
	rel_ack_in(&rel, 1);
	assert_int_equal(rel_payload_bytes(&rel), 0);
	for (int i = 0; i < REL_SEND_WIN; i++)
		assert_null(rel.send[i].data);
	/* An empty payload (a reset) allocates nothing. */
	assert_int_equal(rel_send_queue(&rel, OVPN_CONTROL_SOFT_RESET_V1, NULL, 0), 2);
	assert_int_equal(rel_payload_bytes(&rel), 0);
}

/* Received payloads live until consumed; the popped one until the next pop. */
static void test_recv_payload_freed_when_consumed(void **state)
{
	(void)state;
	assert_int_equal(recv_str(1, "second"), 0);
	assert_int_equal(rel_payload_bytes(&rel), 6);
	assert_null(rel_recv_pop(&rel));
	assert_int_equal(recv_str(0, "first"), 0);
	expect_pop(0, "first");
	expect_pop(1, "second");
	assert_int_equal(rel_payload_bytes(&rel), 0);
	assert_null(rel_recv_pop(&rel));
	/* Duplicates of what was consumed are not stored again. */
	assert_int_equal(recv_str(1, "second"), 1);
	assert_int_equal(rel_payload_bytes(&rel), 0);
}

/* rel_free gives back everything held mid-handshake and leaves a usable window. */
static void test_free_midway(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		queue_str("outstanding");
	assert_int_equal(recv_str(2, "early"), 0);
	assert_int_equal(recv_str(0, "x"), 0);
	expect_pop(0, "x");
	rel_free(&rel);
	assert_int_equal(rel_payload_bytes(&rel), 0);
	assert_true(rel_send_idle(&rel));
	assert_null(rel.popped);
	assert_int_equal(queue_str("again"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beyond_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_below_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acks_take_order_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_queue_overflow_keeps_newest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_send_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_duplicate_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_oldest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_resend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_window_is_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_payload_freed_on_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_payload_freed_when_consumed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_midway, setup, teardown),
	};
	return cmocka_run_group_tests_name("reliable", tests, NULL, NULL);
}
