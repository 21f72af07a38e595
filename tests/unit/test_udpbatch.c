/* src/lib/udpbatch.c on loopback: a run of equal datagrams to one peer goes
 * as one GSO send and arrives as the same datagrams, in order; a second
 * peer's datagrams and a size change start new messages; an oversized
 * datagram is dropped and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/udpbatch.h"

static int bound(union sockaddr_any *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	*a = (union sockaddr_any){0};
	a->in.sin_family = AF_INET;
	a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, &a->sa, sizeof(a->in)), 0);
	socklen_t l = sizeof(a->in);
	assert_int_equal(getsockname(fd, &a->sa, &l), 0);
	return fd;
}

static void expect(int fd, size_t len, uint8_t tag)
{
	uint8_t b[4096];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)len);
	assert_int_equal(b[0], tag);
	assert_int_equal(b[len - 1], tag);
}

static void test_gso_runs(void **state)
{
	(void)state;
	static struct udp_batch b;
	union sockaddr_any pa, pb, me;
	int ra = bound(&pa), rb = bound(&pb);
	b = (struct udp_batch){.fd = bound(&me)};
	uint8_t d[UDPB_DGRAM + 1];
	for (int i = 0; i < 6; i++) { /* five of 1400 and a shorter last: one GSO send */
		memset(d, i, sizeof(d));
		udp_batch_send(&b, &pa, d, i < 5 ? 1400 : 300);
	}
	memset(d, 0x40, sizeof(d));
	udp_batch_send(&b, &pb, d, 1400); /* another peer */
	memset(d, 0x41, sizeof(d));
	udp_batch_send(&b, &pa, d, 100);
	udp_batch_send(&b, &pa, d, sizeof(d)); /* too long: dropped */
	assert_int_equal(b.dropped, 1);
	udp_batch_flush(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.sends, 3);
	assert_int_equal(b.gso_sends, 1);
	assert_int_equal(udp_batch_gso_fallbacks(&b), 0); /* the kernel took it */
	for (int i = 0; i < 6; i++)
		expect(ra, i < 5 ? 1400 : 300, (uint8_t)i);
	expect(ra, 100, 0x41);
	expect(rb, 1400, 0x40);
	uint8_t x[8];
	assert_true(recv(ra, x, sizeof(x), MSG_DONTWAIT) < 0); /* nothing more */
	close(ra);
	close(rb);
	close(b.fd);
}

static void test_no_gso_plain(void **state)
{
	(void)state;
	static struct udp_batch b;
	union sockaddr_any pa, me;
	int ra = bound(&pa);
	b = (struct udp_batch){.fd = bound(&me), .no_gso = true};
	uint8_t d[1000];
	for (int i = 0; i < 3; i++) {
		memset(d, i, sizeof(d));
		udp_batch_send(&b, &pa, d, sizeof(d));
	}
	udp_batch_flush(&b);
	assert_int_equal(b.sends, 3);
	assert_int_equal(b.gso_sends, 0);
	for (int i = 0; i < 3; i++)
		expect(ra, sizeof(d), (uint8_t)i);
	close(ra);
	close(b.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gso_runs),
		cmocka_unit_test(test_no_gso_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
