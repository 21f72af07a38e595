/* src/lib/steer.c with the kernel's own choice: an SO_REUSEPORT group on
 * loopback with the program attached, datagrams sent to it, and which
 * member received each one checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/steer.h"

struct group {
	unsigned n;
	int fds[STEER_MAX];
	int tx;
	struct sockaddr_in to;
};

static void group_open(struct group *g, unsigned n, int (*attach)(int, unsigned))
{
	g->n = n;
	assert_int_equal(steer_openvpn_group("127.0.0.1", 0, n, g->fds), 0);
	if (attach)
		assert_int_equal(attach(g->fds[0], n), 0);
	socklen_t l = sizeof(g->to);
	assert_int_equal(getsockname(g->fds[0], (struct sockaddr *)&g->to, &l), 0);
	g->tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(g->tx >= 0);
}

static void group_close(struct group *g)
{
	for (unsigned i = 0; i < g->n; i++)
		close(g->fds[i]);
	close(g->tx);
}

/* Sends p and returns the index of the member it reached (-1: none in 2 s). */
static int which(struct group *g, const uint8_t *p, size_t len)
{
	assert_int_equal(sendto(g->tx, p, len, 0, (struct sockaddr *)&g->to, sizeof(g->to)),
			 (ssize_t)len);
	struct pollfd pf[STEER_MAX];
	for (unsigned i = 0; i < g->n; i++)
		pf[i] = (struct pollfd){.fd = g->fds[i], .events = POLLIN};
	if (poll(pf, g->n, 2000) <= 0)
		return -1;
	int got = -1;
	for (unsigned i = 0; i < g->n; i++) {
		uint8_t b[64];
		if (recv(g->fds[i], b, sizeof(b), MSG_DONTWAIT) == (ssize_t)len) {
			assert_int_equal(got, -1); /* exactly one member */
			assert_memory_equal(b, p, len);
			got = (int)i;
		}
	}
	return got;
}

static int data_v2(struct group *g, uint32_t peer_id, uint8_t key_id)
{
	uint8_t p[24] = {(9 << 3) | key_id, peer_id >> 16, peer_id >> 8, peer_id, 1, 2, 3};
	return which(g, p, sizeof(p));
}

static void test_openvpn_by_peer_id(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 3; n++) {
		struct group g;
		group_open(&g, n, NULL);
		const uint32_t ids[] = {0, 1, 2, 3, 4, 5, 7, 255, 256, 16383, 0xfffffe, 0xffffff};
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			int want = (int)steer_openvpn_index(ids[i], n);
			assert_int_equal(data_v2(&g, ids[i], (uint8_t)(i & 7)), want);
			assert_int_equal(data_v2(&g, ids[i], 0), want); /* stable */
		}
		group_close(&g);
	}
}

/* The skewed program (tests) lands every id on the member after its own. */
static void test_openvpn_skewed(void **state)
{
	(void)state;
	struct group g;
	group_open(&g, 3, NULL);
	assert_int_equal(steer_attach_openvpn_skewed(g.fds[0], 3, 1), 0);
	for (uint32_t id = 0; id < 9; id++)
		assert_int_equal(data_v2(&g, id, 0), (int)((id + 1) % 3));
	const uint8_t reset[14] = {7 << 3, 1, 2, 3};
	assert_int_equal(which(&g, reset, sizeof(reset)), 0);
	group_close(&g);
}

/* Handshakes, P_DATA_V1 and runts carry no peer-id: the first member. */
static void test_openvpn_rest_to_first(void **state)
{
	(void)state;
	struct group g;
	group_open(&g, 3, NULL);
	const uint8_t reset[14] = {7 << 3, 1, 2, 3, 4, 5, 6, 7, 8};
	const uint8_t v1[20] = {(6 << 3) | 1, 0, 0, 5};
	const uint8_t v2_short[2] = {9 << 3, 0};
	const uint8_t one[1] = {9 << 3};
	for (int k = 0; k < 4; k++) {
		assert_int_equal(which(&g, reset, sizeof(reset)), 0);
		assert_int_equal(which(&g, v1, sizeof(v1)), 0);
		assert_int_equal(which(&g, v2_short, sizeof(v2_short)), 0);
		assert_int_equal(which(&g, one, sizeof(one)), 0);
	}
	group_close(&g);
}

static void test_esp_by_spi(void **state)
{
	(void)state;
	struct group g;
	group_open(&g, 2, steer_attach_esp); /* replaces the OpenVPN program */
	const uint32_t spis[] = {1, 2, 3, 0xc0000001, 0xc0000002, 0xfffffffe};
	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++) {
		uint8_t p[32] = {spis[i] >> 24, spis[i] >> 16, spis[i] >> 8, spis[i], 0, 0, 0, 1};
		assert_int_equal(which(&g, p, sizeof(p)), (int)(spis[i] % 2));
	}
	const uint8_t ike[32] = {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44};
	const uint8_t keepalive[1] = {0xff};
	for (int k = 0; k < 4; k++) {
		assert_int_equal(which(&g, ike, sizeof(ike)), 0);
		assert_int_equal(which(&g, keepalive, sizeof(keepalive)), 0);
	}
	group_close(&g);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	int fds[STEER_MAX + 1];
	assert_int_equal(steer_openvpn_group("127.0.0.1", 0, 0, fds), -EINVAL);
	assert_int_equal(steer_openvpn_group("127.0.0.1", 0, STEER_MAX + 1, fds), -EINVAL);
	assert_int_equal(steer_openvpn_group("not-an-address", 0, 2, fds), -EINVAL);
	assert_int_equal(steer_attach_esp(-1, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openvpn_by_peer_id),
		cmocka_unit_test(test_openvpn_rest_to_first),
		cmocka_unit_test(test_openvpn_skewed),
		cmocka_unit_test(test_esp_by_spi),
		cmocka_unit_test(test_bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
