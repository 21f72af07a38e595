/* src/tunnel/tunsteer.c against the kernel: a two-queue TUN device in a
 * network namespace of the test's own, the steering program attached,
 * and datagrams sent to addresses in and out of the map; each must be
 * read from the queue the map names (queue 0 when absent). Needs root
 * (skipped otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tunnel/offload.h"
#include "tunnel/tun.h"
#include "tunnel/tunsteer.h"

struct dev {
	int fds[2];
	int map;
	bool vnet;
};

static int dev_setup(void **state)
{
	static struct dev d;
	int ifindex;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	if (tun_open_queues("st0", 2, d.fds, &ifindex, &d.vnet) != 2)
		return -1;
	d.map = tunsteer_open(d.fds[0], 64);
	if (d.map < 0)
		return -1;
	if (system("ip link set st0 up && ip addr add 10.9.0.1/24 dev st0 && "
		   "ip -6 addr add fd00:9::1/64 dev st0 nodad") != 0)
		return -1;
	*state = &d;
	return 0;
}

/* Which queue a datagram to dst (port 9) arrives on: 0, 1, or -1. Other
 * traffic of the device (IPv6 router solicitations) is read past. */
static int queue_of(struct dev *d, const char *dst)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} to = {0};
	bool v6 = strchr(dst, ':') != NULL;
	to.in.sin_family = v6 ? AF_INET6 : AF_INET;
	if (v6) {
		to.in6.sin6_port = htons(9);
		inet_pton(AF_INET6, dst, &to.in6.sin6_addr);
	} else {
		to.in.sin_port = htons(9);
		inet_pton(AF_INET, dst, &to.in.sin_addr);
	}
	int s = socket(to.in.sin_family, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_true(sendto(s, "steer", 5, 0, (struct sockaddr *)&to,
			   v6 ? sizeof(to.in6) : sizeof(to.in)) == 5);
	close(s);
	uint8_t want[16], buf[2048];
	inet_pton(to.in.sin_family, dst, want);
	size_t hdr = d->vnet ? VNET_HDR_LEN : 0;
	for (int round = 0; round < 20; round++) {
		struct pollfd p[2] = {{d->fds[0], POLLIN, 0}, {d->fds[1], POLLIN, 0}};
		if (poll(p, 2, 100) <= 0)
			break;
		for (int q = 0; q < 2; q++) {
			ssize_t n =
				(p[q].revents & POLLIN) ? read(d->fds[q], buf, sizeof(buf)) : -1;
			const uint8_t *ip = buf + hdr;
			if (n < (ssize_t)(hdr + (v6 ? 40 : 20)))
				continue;
			if (!v6 && ip[0] >> 4 == 4 && memcmp(ip + 16, want, 4) == 0)
				return q;
			if (v6 && ip[0] >> 4 == 6 && memcmp(ip + 24, want, 16) == 0)
				return q;
		}
	}
	return -1;
}

static void set4(struct dev *d, const char *a, unsigned q)
{
	struct in_addr in;
	struct tunsteer_key k;
	inet_pton(AF_INET, a, &in);
	tunsteer_key4(&k, ntohl(in.s_addr));
	assert_int_equal(tunsteer_set(d->map, &k, q), 0);
	assert_int_equal(tunsteer_get(d->map, &k), (int)q);
}

static void set6(struct dev *d, const char *a, unsigned q)
{
	struct in6_addr in;
	struct tunsteer_key k;
	inet_pton(AF_INET6, a, &in);
	tunsteer_key6(&k, &in);
	assert_int_equal(tunsteer_set(d->map, &k, q), 0);
}

static void test_steered_v4(void **state)
{
	struct dev *d = *state;
	set4(d, "10.9.0.2", 1);
	set4(d, "10.9.0.4", 0);
	assert_int_equal(queue_of(d, "10.9.0.2"), 1);
	assert_int_equal(queue_of(d, "10.9.0.2"), 1);
	assert_int_equal(queue_of(d, "10.9.0.4"), 0);
	assert_int_equal(queue_of(d, "10.9.0.3"), 0); /* not in the map */
}

static void test_steered_v6(void **state)
{
	struct dev *d = *state;
	set6(d, "fd00:9::2", 1);
	assert_int_equal(queue_of(d, "fd00:9::2"), 1);
	assert_int_equal(queue_of(d, "fd00:9::3"), 0);
	/* an IPv4 key never matches an IPv6 destination ending alike */
	set4(d, "0.0.0.5", 1);
	assert_int_equal(queue_of(d, "fd00:9::5"), 0);
}

static void test_deleted(void **state)
{
	struct dev *d = *state;
	struct tunsteer_key k;
	set4(d, "10.9.0.6", 1);
	assert_int_equal(queue_of(d, "10.9.0.6"), 1);
	tunsteer_key4(&k, 0x0a090006);
	assert_int_equal(tunsteer_del(d->map, &k), 0);
	assert_int_equal(tunsteer_get(d->map, &k), -ENOENT);
	assert_int_equal(tunsteer_del(d->map, &k), -ENOENT);
	assert_int_equal(queue_of(d, "10.9.0.6"), 0);
}

static void test_bad_fd(void **state)
{
	(void)state;
	struct tunsteer_key k;
	tunsteer_key4(&k, 0x0a090002);
	assert_int_equal(tunsteer_set(-1, &k, 1), -EBADF);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(tunsteer_open(s, 16) < 0); /* not a TUN device: nothing attached */
	close(s);
}

static void test_keys(void **state)
{
	(void)state;
	struct tunsteer_key k;
	struct in6_addr a;
	tunsteer_key4(&k, 0x0a090002);
	assert_int_equal(k.w[0] | k.w[1], 0);
	assert_int_equal(k.w[2], 0xffff);
	assert_int_equal(k.w[3], 0x0a090002);
	inet_pton(AF_INET6, "fd00:9::1:2", &a);
	tunsteer_key6(&k, &a);
	assert_int_equal(k.w[0], 0xfd000009);
	assert_int_equal(k.w[3], 0x00010002);
}

int main(void)
{
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test(test_steered_v4),
		cmocka_unit_test(test_steered_v6),
		cmocka_unit_test(test_deleted),
	};
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bad_fd),
	};
	int r = cmocka_run_group_tests(plain, NULL, NULL);
	return r + cmocka_run_group_tests(kernel, dev_setup, NULL);
}
