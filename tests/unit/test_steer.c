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

static int esp_packet(struct group *g, uint32_t spi)
{
	uint8_t p[32] = {spi >> 24, spi >> 16, spi >> 8, spi, 0, 0, 0, 1};
	return which(g, p, sizeof(p));
}

static void test_esp_by_spi(void **state)
{
	(void)state;
	struct group g;
	group_open(&g, 2, steer_attach_esp); /* replaces the OpenVPN program */
	const uint32_t spis[] = {1, 2, 3, 0xc0000001, 0xc0000002, 0xfffffffe};
	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++)
		assert_int_equal(esp_packet(&g, spis[i]), (int)(spis[i] % 2));
	const uint8_t ike[32] = {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44};
	const uint8_t keepalive[1] = {0xff};
	for (int k = 0; k < 4; k++) {
		assert_int_equal(which(&g, ike, sizeof(ike)), 0);
		assert_int_equal(which(&g, keepalive, sizeof(keepalive)), 0);
	}
	group_close(&g);
}

/* The gateway's own SPIs, with the group the engine opens: each lane's
 * SPIs reach that lane, from any source port, for several group sizes. */
static void test_esp_group_lanes(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 4; n++) {
		struct group g;
		g.n = n;
		assert_int_equal(steer_esp_group("127.0.0.1", 0, n, g.fds), 0);
		socklen_t l = sizeof(g.to);
		assert_int_equal(getsockname(g.fds[0], (struct sockaddr *)&g.to, &l), 0);
		g.tx = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(g.tx >= 0);
		int other = socket(AF_INET, SOCK_DGRAM, 0); /* a NAT's new port */
		assert_true(other >= 0);
		for (unsigned lane = 0; lane < n; lane++)
			for (int k = 0; k < 4; k++) {
				uint32_t spi = steer_esp_spi_new(n, lane, NULL, NULL);
				assert_int_equal(esp_packet(&g, spi), (int)lane);
				int tx = g.tx;
				g.tx = other; /* the lane does not depend on the source */
				assert_int_equal(esp_packet(&g, spi), (int)lane);
				g.tx = tx;
			}
		close(other);
		const uint8_t ike[40] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
		assert_int_equal(which(&g, ike, sizeof(ike)), 0);
		group_close(&g);
	}
}

/* The skewed program (tests) sends each SPI to the lane after its owner;
 * IKE and keepalives stay on the first. */
static void test_esp_skewed(void **state)
{
	(void)state;
	struct group g;
	group_open(&g, 3, steer_attach_esp);
	assert_int_equal(steer_attach_esp_skewed(g.fds[0], 3, 1), 0);
	const uint32_t spis[] = {0x100, 0x101, 0x102, 0xfffffffd, 0xfffffffe, 0xffffffff};
	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++)
		assert_int_equal(esp_packet(&g, spis[i]), (int)((spis[i] % 3 + 1) % 3));
	const uint8_t ike[32] = {0, 0, 0, 0, 0x11};
	const uint8_t keepalive[1] = {0xff};
	assert_int_equal(which(&g, ike, sizeof(ike)), 0);
	assert_int_equal(which(&g, keepalive, sizeof(keepalive)), 0);
	group_close(&g);
}

/* A table of the SPIs handed out so far (the engine's is its SA hash). */
#define SPI_TABLE 4096
struct spi_table {
	uint32_t v[SPI_TABLE];
	size_t n;
	unsigned refuse; /* calls to answer "used" regardless (forced collisions) */
	unsigned calls;
};

static int table_used(uint32_t spi, void *ctx)
{
	struct spi_table *t = ctx;
	t->calls++;
	if (t->refuse) {
		t->refuse--;
		return 1;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == spi)
			return 1;
	return 0;
}

/* Every group size 1..16 and every lane: the residue is the lane, never
 * a reserved value, never one already live. */
static void test_esp_spi_residue(void **state)
{
	(void)state;
	static struct spi_table t;
	for (unsigned n = 1; n <= STEER_MAX; n++) {
		t.n = 0;
		for (unsigned lane = 0; lane < n; lane++)
			for (int k = 0; k < 64; k++) {
				uint32_t spi = steer_esp_spi_new(n, lane, table_used, &t);
				assert_true(spi >= 256);
				assert_int_equal(steer_esp_index(spi, n), lane);
				assert_int_equal(table_used(spi, &t), 0);
				assert_true(t.n < SPI_TABLE);
				t.v[t.n++] = spi;
			}
	}
}

/* Collisions are drawn again; a table that answers "used" to every draw
 * gives 0, not a duplicate. */
static void test_esp_spi_collisions(void **state)
{
	(void)state;
	static struct spi_table t;
	t.refuse = 5;
	uint32_t spi = steer_esp_spi_new(4, 3, table_used, &t);
	assert_int_equal(t.calls, 6);
	assert_int_equal(spi % 4, 3);
	t.refuse = 1000;
	t.calls = 0;
	assert_int_equal(steer_esp_spi_new(4, 3, table_used, &t), 0);
	assert_true(t.calls > 0 && t.calls < 1000); /* bounded */
}

/* The mapping itself: the edges of the 32-bit range and the reserved
 * values. */
static void test_esp_spi_edges(void **state)
{
	(void)state;
	assert_int_equal(steer_esp_spi(0, 1, 0), 0);
	assert_int_equal(steer_esp_spi(255, 1, 0), 0);
	assert_int_equal(steer_esp_spi(256, 1, 0), 256);
	assert_int_equal(steer_esp_spi(0xffffffff, 1, 0), 0xffffffff);
	assert_int_equal(steer_esp_spi(0xffffffff, 3, 2), 0); /* 0xffffffff % 3 == 0: no room */
	assert_int_equal(steer_esp_spi(0xfffffffe, 16, 15), 0xffffffff);
	assert_int_equal(steer_esp_spi(0x12345678, 16, 3), 0x12345673);
	assert_int_equal(steer_esp_spi(1000, 4, 4), 0); /* no such lane */
	assert_int_equal(steer_esp_spi(1000, 0, 0), 0);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	int fds[STEER_MAX + 1];
	assert_int_equal(steer_openvpn_group("127.0.0.1", 0, 0, fds), -EINVAL);
	assert_int_equal(steer_openvpn_group("127.0.0.1", 0, STEER_MAX + 1, fds), -EINVAL);
	assert_int_equal(steer_openvpn_group("not-an-address", 0, 2, fds), -EINVAL);
	assert_int_equal(steer_attach_esp(-1, 0), -EINVAL);
	assert_int_equal(steer_attach_esp_skewed(-1, STEER_MAX + 1, 1), -EINVAL);
	assert_int_equal(steer_esp_group("127.0.0.1", 0, 0, fds), -EINVAL);
	assert_int_equal(steer_esp_group("127.0.0.1", 0, STEER_MAX + 1, fds), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openvpn_by_peer_id),
		cmocka_unit_test(test_openvpn_rest_to_first),
		cmocka_unit_test(test_openvpn_skewed),
		cmocka_unit_test(test_esp_by_spi),
		cmocka_unit_test(test_esp_group_lanes),
		cmocka_unit_test(test_esp_skewed),
		cmocka_unit_test(test_esp_spi_residue),
		cmocka_unit_test(test_esp_spi_collisions),
		cmocka_unit_test(test_esp_spi_edges),
		cmocka_unit_test(test_bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
