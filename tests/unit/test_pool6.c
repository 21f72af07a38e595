/* src/pool/pool6: IPv6 client address leases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "pool/pool6.h"

static int owners[300]; /* distinct addresses to use as owners */

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct prefix6 p6(const char *s)
{
	struct prefix6 p;
	assert_int_equal(prefix6_parse(s, &p), 0);
	return p;
}

static void assert_addr(const struct in6_addr *got, const char *want)
{
	struct in6_addr w = a6(want);
	char g[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, got, g, sizeof(g));
	if (memcmp(got, &w, 16) != 0)
		fail_msg("expected %s, got %s", want, g);
}

static void test_gateway_and_first_lease(void **state)
{
	(void)state;
	struct prefix6 pf = p6("fd00:201::/64");
	struct pool6 p;
	assert_int_equal(pool6_init(&p, &pf, 1), 0);
	struct in6_addr gw, got;
	pool6_gateway(&p, 0, &gw);
	assert_addr(&gw, "fd00:201::1");
	assert_true(pool6_is_gateway(&p, &gw));
	size_t range = 9;
	assert_int_equal(pool6_lease_in(&p, &owners[0], NULL, 0, 1, &got, &range), 0);
	assert_addr(&got, "fd00:201::2");
	assert_int_equal(range, 0);
	assert_ptr_equal(pool6_owner(&p, &got), &owners[0]);
	assert_null(pool6_owner(&p, &gw)); /* the gateway is nobody's */
	assert_int_equal(pool6_free_count(&p), POOL6_WINDOW - 1);
	pool6_free(&p);
}

/* A small prefix fills up: every address once, then P2S_E_FULL. */
static void test_fill_and_full(void **state)
{
	(void)state;
	struct prefix6 pf = p6("fd00:201::100/120");
	struct pool6 p;
	assert_int_equal(pool6_init(&p, &pf, 1), 0);
	assert_int_equal(pool6_free_count(&p), 254);
	struct in6_addr got, seen[254];
	size_t r;
	for (int i = 0; i < 254; i++) {
		assert_int_equal(pool6_lease_in(&p, &owners[i], NULL, 0, 1, &got, &r), 0);
		assert_true(prefix6_contains(&pf, &got));
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(&seen[j], &got, 16);
		seen[i] = got;
		assert_ptr_equal(pool6_owner(&p, &got), &owners[i]);
	}
	assert_addr(&seen[253], "fd00:201::1ff");
	assert_int_equal(pool6_free_count(&p), 0);
	assert_int_equal(pool6_lease_in(&p, &owners[299], NULL, 0, 1, &got, &r), P2S_E_FULL);
	pool6_free(&p);
}

/* Release gives the address back only when the owner asks. */
static void test_release(void **state)
{
	(void)state;
	struct prefix6 pf = p6("fd00:201::/64");
	struct pool6 p;
	assert_int_equal(pool6_init(&p, &pf, 1), 0);
	struct in6_addr got;
	size_t r;
	assert_int_equal(pool6_lease_in(&p, &owners[0], NULL, 0, 1, &got, &r), 0);
	pool6_release(&p, &got, &owners[1]); /* not the owner: ignored */
	assert_ptr_equal(pool6_owner(&p, &got), &owners[0]);
	pool6_release(&p, &got, &owners[0]);
	assert_null(pool6_owner(&p, &got));
	assert_int_equal(pool6_free_count(&p), POOL6_WINDOW);
	/* A released address rests: the next lease takes another. */
	struct in6_addr next;
	assert_int_equal(pool6_lease_in(&p, &owners[2], NULL, 0, 1, &next, &r), 0);
	assert_memory_not_equal(&got, &next, 16);
	pool6_free(&p);
}

/* Addresses outside the window, outside the prefix, or the prefix's ::0
 * have no owner; the owner table never indexes out of range. */
static void test_owner_lookup_edges(void **state)
{
	(void)state;
	struct prefix6 pf = p6("fd00:201::/64");
	struct pool6 p;
	assert_int_equal(pool6_init(&p, &pf, 1), 0);
	const char *none[] = {"fd00:201::",
			      "fd00:201::1",
			      "fd00:201::1:2",
			      "fd00:201:0:1::2",
			      "fd00:202::2",
			      "::2",
			      "fd00:201::ffff:ffff:ffff:ffff"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		struct in6_addr a = a6(none[i]);
		assert_null(pool6_owner(&p, &a));
		pool6_release(&p, &a, NULL);
	}
	struct in6_addr in = a6("fd00:201::ffff"), out = a6("fd00:202::2");
	assert_true(pool6_contains(&p, &in));
	assert_false(pool6_contains(&p, &out));
	pool6_free(&p);
}

/* Group ranges: a lease stays within [first, first + n); a wanted address
 * is honoured there and ignored elsewhere or when taken. */
static void test_group_ranges_and_want(void **state)
{
	(void)state;
	struct prefix6 pf[] = {p6("fd00:201::/64"), p6("fd00:50::/120")};
	struct pool6 p;
	assert_int_equal(pool6_init(&p, pf, 2), 0);
	struct in6_addr got, want = a6("fd00:50::42");
	size_t r;
	assert_int_equal(pool6_lease_in(&p, &owners[0], NULL, 1, 1, &got, &r), 0);
	assert_int_equal(r, 1);
	assert_true(prefix6_contains(&pf[1], &got));
	assert_int_equal(pool6_lease_in(&p, &owners[1], &want, 1, 1, &got, &r), 0);
	assert_addr(&got, "fd00:50::42");
	/* Taken: another address of the same range. */
	assert_int_equal(pool6_lease_in(&p, &owners[2], &want, 1, 1, &got, &r), 0);
	assert_memory_not_equal(&got, &want, 16);
	assert_true(prefix6_contains(&pf[1], &got));
	/* Wanted outside the allowed ranges: not honoured. */
	struct in6_addr w2 = a6("fd00:50::77");
	assert_int_equal(pool6_lease_in(&p, &owners[3], &w2, 0, 1, &got, &r), 0);
	assert_int_equal(r, 0);
	assert_true(prefix6_contains(&pf[0], &got));
	struct in6_addr gw;
	pool6_gateway(&p, 1, &gw);
	assert_addr(&gw, "fd00:50::1");
	pool6_free(&p);
}

static void test_init_limits(void **state)
{
	(void)state;
	struct pool6 p;
	struct prefix6 tiny = p6("fd00::4/127");
	assert_int_equal(pool6_init(&p, &tiny, 1), -EINVAL);
	struct prefix6 small = p6("fd00::4/126");
	assert_int_equal(pool6_init(&p, &small, 1), 0);
	assert_int_equal(pool6_free_count(&p), 2); /* ::6 and ::7 */
	pool6_free(&p);
	assert_int_equal(pool6_init(&p, NULL, 0), 0); /* no IPv6: fine */
	struct in6_addr a = a6("fd00::2"), got;
	size_t r;
	assert_null(pool6_owner(&p, &a));
	assert_int_equal(pool6_lease_in(&p, &owners[0], NULL, 0, 0, &got, &r), P2S_E_FULL);
	pool6_free(&p);
	pool6_free(&p); /* twice: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gateway_and_first_lease),
		cmocka_unit_test(test_fill_and_full),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_owner_lookup_edges),
		cmocka_unit_test(test_group_ranges_and_want),
		cmocka_unit_test(test_init_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
