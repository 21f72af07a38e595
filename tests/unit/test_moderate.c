/* src/core/moderate.c: light traffic is read at once; a burst rests the
 * watcher and a timer drains what gathered meanwhile; once traffic stops
 * the watcher is back. On a real libev loop with a datagram socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/moderate.h"

struct rig {
	struct ev_loop *loop;
	int fd[2];
	ev_io io;
	struct moderator m;
	unsigned got;
};

static void drain(void *ctx)
{
	struct rig *r = ctx;
	char b[64];
	unsigned n = 0;
	while (n < 1000 && recv(r->fd[0], b, sizeof(b), MSG_DONTWAIT) > 0)
		n++;
	r->got += n;
	moderator_after(r->loop, &r->m, n);
}

static void io_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	drain(w->data);
}

static void send_n(struct rig *r, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(send(r->fd[1], "x", 1, 0), 1);
}

static int setup(void **state)
{
	static struct rig r;
	r = (struct rig){.loop = ev_loop_new(EVFLAG_AUTO)};
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, r.fd), 0);
	ev_io_init(&r.io, io_cb, r.fd[0], EV_READ);
	r.io.data = &r;
	ev_io_start(r.loop, &r.io);
	moderator_init(&r.m, &r.io, 0.002, 4, drain, &r);
	*state = &r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	moderator_stop(r->loop, &r->m);
	ev_io_stop(r->loop, &r->io);
	ev_loop_destroy(r->loop);
	close(r->fd[0]);
	close(r->fd[1]);
	return 0;
}

static void test_light_read_at_once(void **state)
{
	struct rig *r = *state;
	for (int i = 0; i < 3; i++) {
		send_n(r, 1);
		ev_run(r->loop, EVRUN_ONCE);
		assert_int_equal(r->got, (unsigned)i + 1);
		assert_true(ev_is_active(&r->io));
	}
	assert_int_equal(r->m.rests, 0);
}

static void test_burst_rests_then_resumes(void **state)
{
	struct rig *r = *state;
	send_n(r, 10);
	ev_run(r->loop, EVRUN_ONCE);
	assert_int_equal(r->got, 10);
	assert_true(r->m.resting);
	assert_false(ev_is_active(&r->io)); /* the kernel queues meanwhile */
	send_n(r, 7);
	/* Bounded: the rest timer drains within a few iterations. */
	for (int i = 0; i < 50 && r->got < 17; i++)
		ev_run(r->loop, EVRUN_ONCE);
	assert_int_equal(r->got, 17);
	for (int i = 0; i < 50 && r->m.resting; i++)
		ev_run(r->loop, EVRUN_ONCE);
	assert_false(r->m.resting);
	assert_true(ev_is_active(&r->io)); /* quiet again: read at once */
	assert_true(moderator_rests(&r->m) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_light_read_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_rests_then_resumes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
