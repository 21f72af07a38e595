/* src/pool: client address leases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "pool/pool.h"

#define NET24 0xac10c900u /* 172.16.201.0/24 */

static int owners[512]; /* distinct addresses to use as owners */

static struct pool make(const struct prefix4 *p, size_t n)
{
	struct pool pl;
	assert_int_equal(pool_init(&pl, p, n), 0);
	return pl;
}

static void test_gateway_not_leasable(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	assert_int_equal(pool_gateway(&p, 0), NET24 + 1);
	uint32_t addr;
	size_t range = 9;
	assert_int_equal(pool_lease(&p, &owners[0], 0, &addr, &range), 0);
	assert_int_equal(addr, NET24 + 2); /* the first address after the gateway */
	assert_int_equal(range, 0);
	/* Asking for the gateway, network or broadcast address gets another one. */
	const uint32_t reserved[] = {NET24, NET24 + 1, NET24 + 255};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(pool_lease(&p, &owners[1 + i], reserved[i], &addr, &range), 0);
		assert_int_not_equal(addr, reserved[i]);
		assert_true(addr > NET24 + 1 && addr < NET24 + 255);
	}
	assert_null(pool_owner(&p, NET24 + 1));
	assert_null(pool_owner(&p, NET24));
	assert_null(pool_owner(&p, NET24 + 255));
	pool_free(&p);
}

static void test_full_24(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	assert_int_equal(pool_free_count(&p), 253);
	bool seen[256] = {false};
	for (int i = 0; i < 253; i++) {
		uint32_t addr;
		size_t range;
		assert_int_equal(pool_lease(&p, &owners[i], 0, &addr, &range), 0);
		assert_true(addr >= NET24 + 2 && addr <= NET24 + 254);
		assert_false(seen[addr & 255]);
		seen[addr & 255] = true;
		assert_ptr_equal(pool_owner(&p, addr), &owners[i]);
	}
	assert_int_equal(pool_free_count(&p), 0);
	uint32_t addr = 0xdeadbeef;
	size_t range = 0;
	assert_int_equal(pool_lease(&p, &owners[300], 0, &addr, &range), P2S_E_FULL);
	assert_int_equal(pool_lease(&p, &owners[300], NET24 + 9, &addr, &range), P2S_E_FULL);
	pool_free(&p);
}

static void test_release_and_release(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	uint32_t addr[253];
	size_t range;
	for (int i = 0; i < 253; i++)
		assert_int_equal(pool_lease(&p, &owners[i], 0, &addr[i], &range), 0);
	/* Releasing with the wrong owner is ignored. */
	pool_release(&p, addr[10], &owners[11]);
	assert_ptr_equal(pool_owner(&p, addr[10]), &owners[10]);
	assert_int_equal(pool_free_count(&p), 0);
	/* Addresses outside the pool or the gateway: ignored, no crash. */
	pool_release(&p, 0x08080808, &owners[10]);
	pool_release(&p, NET24 + 1, NULL);
	pool_release(&p, NET24 + 1, &owners[10]);
	assert_int_equal(pool_free_count(&p), 0);
	pool_release(&p, addr[10], &owners[10]);
	assert_null(pool_owner(&p, addr[10]));
	assert_int_equal(pool_free_count(&p), 1);
	/* A double release is harmless. */
	pool_release(&p, addr[10], &owners[10]);
	assert_int_equal(pool_free_count(&p), 1);
	uint32_t again;
	assert_int_equal(pool_lease(&p, &owners[400], 0, &again, &range), 0);
	assert_int_equal(again, addr[10]);
	assert_ptr_equal(pool_owner(&p, again), &owners[400]);
	assert_int_equal(pool_lease(&p, &owners[401], 0, &again, &range), P2S_E_FULL);
	pool_free(&p);
}

static void test_released_address_rests(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	uint32_t a, b;
	size_t range;
	assert_int_equal(pool_lease(&p, &owners[0], 0, &a, &range), 0);
	pool_release(&p, a, &owners[0]);
	/* Round robin: the next client does not get the address just freed. */
	assert_int_equal(pool_lease(&p, &owners[1], 0, &b, &range), 0);
	assert_int_not_equal(a, b);
	pool_free(&p);
}

static void test_preferred_address(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	uint32_t addr;
	size_t range;
	assert_int_equal(pool_lease(&p, &owners[0], NET24 + 77, &addr, &range), 0);
	assert_int_equal(addr, NET24 + 77);
	/* Taken: another address, not a failure. */
	assert_int_equal(pool_lease(&p, &owners[1], NET24 + 77, &addr, &range), 0);
	assert_int_not_equal(addr, NET24 + 77);
	assert_ptr_equal(pool_owner(&p, NET24 + 77), &owners[0]);
	/* Outside every range: ignored. */
	assert_int_equal(pool_lease(&p, &owners[2], 0x0a000005, &addr, &range), 0);
	assert_true(addr > NET24 + 1 && addr < NET24 + 255);
	/* The last address of the range can be asked for. */
	assert_int_equal(pool_lease(&p, &owners[3], NET24 + 254, &addr, &range), 0);
	assert_int_equal(addr, NET24 + 254);
	pool_free(&p);
}

static void test_owner_lookup(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	uint32_t a, b;
	size_t range;
	assert_int_equal(pool_lease(&p, &owners[5], 0, &a, &range), 0);
	assert_int_equal(pool_lease(&p, &owners[6], 0, &b, &range), 0);
	assert_ptr_equal(pool_owner(&p, a), &owners[5]);
	assert_ptr_equal(pool_owner(&p, b), &owners[6]);
	assert_null(pool_owner(&p, b + 1)); /* free */
	pool_release(&p, a, &owners[5]);
	assert_null(pool_owner(&p, a));
	assert_ptr_equal(pool_owner(&p, b), &owners[6]);
	pool_free(&p);
}

static void test_two_ranges(void **state)
{
	(void)state;
	/* A /29 holds network, gateway, 5 clients, broadcast. */
	const struct prefix4 pf[] = {{0xac10ca08, 29}, {0xc0a80000, 24}};
	struct pool p = make(pf, 2);
	assert_int_equal(pool_gateway(&p, 0), 0xac10ca09);
	assert_int_equal(pool_gateway(&p, 1), 0xc0a80001);
	assert_int_equal(pool_free_count(&p), 5 + 253);
	uint32_t addr;
	size_t range;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(pool_lease(&p, &owners[i], 0, &addr, &range), 0);
		assert_int_equal(range, 0);
		assert_true(addr >= 0xac10ca0a && addr <= 0xac10ca0e);
	}
	assert_int_equal(pool_lease(&p, &owners[5], 0, &addr, &range), 0);
	assert_int_equal(range, 1);
	assert_int_equal(addr, 0xc0a80002);
	assert_ptr_equal(pool_owner(&p, 0xc0a80002), &owners[5]);
	/* A preferred address in the second range while the first has room. */
	pool_release(&p, 0xac10ca0a, &owners[0]);
	assert_int_equal(pool_lease(&p, &owners[6], 0xc0a80063, &addr, &range), 0);
	assert_int_equal(range, 1);
	assert_int_equal(addr, 0xc0a80063);
	assert_true(pool_contains(&p, 0xac10ca0f));
	assert_true(pool_contains(&p, 0xc0a800ff));
	assert_false(pool_contains(&p, 0xac10ca10));
	pool_free(&p);
}

static void test_too_small_rejected(void **state)
{
	(void)state;
	struct pool p;
	const struct prefix4 p31 = {0xac10c900, 31}, p32 = {0xac10c900, 32};
	assert_int_equal(pool_init(&p, &p31, 1), -EINVAL);
	assert_int_equal(pool_init(&p, &p32, 1), -EINVAL);
	/* The bad prefix after a good one: nothing leaks, nothing is usable. */
	const struct prefix4 mix[] = {{NET24, 24}, {0xac10ca00, 31}};
	assert_int_equal(pool_init(&p, mix, 2), -EINVAL);
	/* A /30 holds exactly one client. */
	const struct prefix4 p30 = {0xac10c904, 30};
	p = make(&p30, 1);
	uint32_t addr;
	size_t range;
	assert_int_equal(pool_lease(&p, &owners[0], 0, &addr, &range), 0);
	assert_int_equal(addr, 0xac10c906);
	assert_int_equal(pool_lease(&p, &owners[1], 0, &addr, &range), P2S_E_FULL);
	pool_free(&p);
}

static void test_outside(void **state)
{
	(void)state;
	const struct prefix4 pf = {NET24, 24};
	struct pool p = make(&pf, 1);
	const uint32_t outside[] = {0, 0x08080808, NET24 - 1, NET24 + 256, 0xffffffff};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_null(pool_owner(&p, outside[i]));
		assert_false(pool_contains(&p, outside[i]));
	}
	assert_true(pool_contains(&p, NET24));
	assert_true(pool_contains(&p, NET24 + 1));
	assert_true(pool_contains(&p, NET24 + 255));
	pool_free(&p);
	/* An empty pool has nothing to lease. */
	assert_int_equal(pool_init(&p, NULL, 0), 0);
	uint32_t addr;
	size_t range;
	assert_int_equal(pool_lease(&p, &owners[0], 0, &addr, &range), P2S_E_FULL);
	assert_null(pool_owner(&p, NET24 + 2));
	pool_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gateway_not_leasable),
		cmocka_unit_test(test_full_24),
		cmocka_unit_test(test_release_and_release),
		cmocka_unit_test(test_released_address_rests),
		cmocka_unit_test(test_preferred_address),
		cmocka_unit_test(test_owner_lookup),
		cmocka_unit_test(test_two_ranges),
		cmocka_unit_test(test_too_small_rejected),
		cmocka_unit_test(test_outside),
	};
	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
