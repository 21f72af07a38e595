/* src/mgmt/metrics.c's data-plane helpers: worker labels ("0".."n-1", and
 * "main" beside threads only), a per-worker counter family in the
 * Prometheus text format (HELP, TYPE, one sample a worker); and fwd_stats
 * reporting a forwarder's counters, zero where nothing happened; the heap's
 * allocated bytes follow an allocation and its free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/metrics.h"
#include "lib/err.h"
#include "tunnel/fwd.h"
#include "tunnel/tun.h"

static void test_worker_label(void **state)
{
	(void)state;
	char w[12];
	metrics_worker_label(w, sizeof(w), 0, 1);
	assert_string_equal(w, "0");
	metrics_worker_label(w, sizeof(w), 1, 1); /* one worker: no "main" slot */
	assert_string_equal(w, "1");
	metrics_worker_label(w, sizeof(w), 1, 2);
	assert_string_equal(w, "1");
	metrics_worker_label(w, sizeof(w), 2, 2);
	assert_string_equal(w, "main");
	metrics_worker_label(w, sizeof(w), 15, 16);
	assert_string_equal(w, "15");
}

static char *render(const uint64_t *v, unsigned n_slots, unsigned n_workers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	metrics_per_worker(f, "p2sgw_test_total", "A test counter", v, n_slots, n_workers);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_per_worker_family(void **state)
{
	(void)state;
	const uint64_t v[] = {7, 0, 18446744073709551615ull};
	char *s = render(v, 3, 2);
	assert_string_equal(s, "# HELP p2sgw_test_total A test counter\n"
			       "# TYPE p2sgw_test_total counter\n"
			       "p2sgw_test_total{worker=\"0\"} 7\n"
			       "p2sgw_test_total{worker=\"1\"} 0\n"
			       "p2sgw_test_total{worker=\"main\"} 18446744073709551615\n");
	free(s);
}

static void test_per_worker_empty(void **state)
{
	(void)state;
	char *s = render(NULL, 0, 1); /* the family is still declared */
	assert_string_equal(s, "# HELP p2sgw_test_total A test counter\n"
			       "# TYPE p2sgw_test_total counter\n");
	free(s);
}

static void test_fwd_stats(void **state)
{
	(void)state;
	struct fwd f = {.tun_fd = -1};
	struct fwd_stats st;
	fwd_stats(&f, &st);
	assert_true(st.segmenter_drops == 0 && st.coalesced == 0 && st.acks_replaced == 0 &&
		    st.tun_write_errors == 0 && st.no_route_drops == 0);
	/* A truncated super-packet is refused by the segmenter; a packet for
	 * no session (no pool) is a no-route drop. */
	uint8_t runt[4] = {0};
	fwd_from_tun_vnet(&f, runt, sizeof(runt));
	f.tun_write_errors = 2;
	fwd_stats(&f, &st);
	assert_int_equal(st.tun_write_errors, 2);
	assert_int_equal(st.segmenter_drops, 1);
	assert_int_equal(st.coalesced, 0);
}

/* The TUN's drop counters come from sysfs: digits and a newline, nothing
 * else; a value that does not fit is refused, never wrapped. */
static void test_tun_counter(void **state)
{
	(void)state;
	uint64_t v = 1;
	assert_int_equal(tun_counter_parse("0\n", 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tun_counter_parse("1904\n", 5, &v), 0);
	assert_int_equal(v, 1904);
	assert_int_equal(tun_counter_parse("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_int_equal(tun_counter_parse("18446744073709551616\n", 21, &v), P2S_E_PROTO);
	assert_int_equal(tun_counter_parse("", 0, &v), P2S_E_PROTO);
	assert_int_equal(tun_counter_parse("\n", 1, &v), P2S_E_PROTO);
	assert_int_equal(tun_counter_parse("-1\n", 3, &v), P2S_E_PROTO);
	assert_int_equal(tun_counter_parse("12 \n", 4, &v), P2S_E_PROTO);
	assert_int_equal(tun_counter_parse("12\n\n", 4, &v), P2S_E_PROTO);
	assert_int_equal(v, 7); /* untouched by a refusal */
}

static size_t heap_allocated(void)
{
	char *buf = NULL;
	size_t len = 0, v = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	metrics_heap(f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "# TYPE p2sgw_heap_bytes gauge\n"));
	assert_non_null(strstr(buf, "p2sgw_heap_bytes{state=\"free\"} "));
	const char *a = strstr(buf, "p2sgw_heap_bytes{state=\"allocated\"} ");
	assert_non_null(a);
	assert_int_equal(sscanf(a + strlen("p2sgw_heap_bytes{state=\"allocated\"} "), "%zu", &v),
			 1);
	free(buf);
	return v;
}

static void test_heap(void **state)
{
	(void)state;
#ifdef __SANITIZE_ADDRESS__
	skip(); /* the sanitizer's allocator is not the one the figure reads */
#endif
	size_t before = heap_allocated();
	unsigned char *small[256];
	for (int i = 0; i < 256; i++) {
		small[i] = malloc(4096); /* arena chunks */
		assert_non_null(small[i]);
		small[i][0] = 1;
	}
	unsigned char *big = malloc(8u << 20); /* a mapped block */
	assert_non_null(big);
	big[0] = 1;
	size_t during = heap_allocated();
	assert_true(during >= before + (8u << 20) + 256 * 4096);
	for (int i = 0; i < 256; i++)
		free(small[i]);
	free(big);
	assert_true(heap_allocated() < before + 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_label),	 cmocka_unit_test(test_per_worker_family),
		cmocka_unit_test(test_per_worker_empty), cmocka_unit_test(test_fwd_stats),
		cmocka_unit_test(test_tun_counter),	 cmocka_unit_test(test_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
