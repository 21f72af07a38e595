/* src/core/reaper.c: deferred work runs once per batch of kicks, at the
 * loop's idle turn, and still runs (late) on a loop that is never idle. On
 * a real libev loop; "busy" is a pipe that stays readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <unistd.h>

#include "core/reaper.h"

struct rig {
	struct ev_loop *loop;
	int fd[2];
	ev_io busy;   /* never reads: the loop always has an event pending */
	ev_timer end; /* bounds every run */
	struct reaper r;
	unsigned ran;
	double ran_at;
};

static void work(void *arg)
{
	struct rig *g = arg;
	g->ran++;
	g->ran_at = ev_now(g->loop);
}

static void busy_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

static void end_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ONE);
}

static int setup(void **state)
{
	static struct rig g;
	g = (struct rig){.loop = ev_loop_new(EVFLAG_AUTO)};
	assert_int_equal(pipe(g.fd), 0);
	assert_int_equal(write(g.fd[1], "x", 1), 1);
	ev_io_init(&g.busy, busy_cb, g.fd[0], EV_READ);
	ev_timer_init(&g.end, end_cb, 0.5, 0);
	reaper_init(&g.r, 0.1, work, &g);
	*state = &g;
	return 0;
}

static int teardown(void **state)
{
	struct rig *g = *state;
	reaper_stop(g->loop, &g->r);
	ev_io_stop(g->loop, &g->busy);
	ev_timer_stop(g->loop, &g->end);
	ev_loop_destroy(g->loop);
	close(g->fd[0]);
	close(g->fd[1]);
	return 0;
}

static void run(struct rig *g)
{
	ev_timer_set(&g->end, 0.5, 0); /* a fired timer restarts from its set delay */
	ev_timer_start(g->loop, &g->end);
	ev_run(g->loop, 0);
}

static void test_idle_runs_once(void **state)
{
	struct rig *g = *state;
	for (int i = 0; i < 3; i++)
		reaper_kick(g->loop, &g->r);
	run(g);
	assert_int_equal(g->ran, 1);	     /* three kicks, one pass */
	assert_int_equal(g->r.late_runs, 0); /* the first idle turn, not the bound */
}

static void test_busy_loop_runs_late(void **state)
{
	struct rig *g = *state;
	ev_io_start(g->loop, &g->busy);
	double t0 = ev_now(g->loop);
	reaper_kick(g->loop, &g->r);
	run(g);
	assert_int_equal(g->ran, 1);
	assert_int_equal(g->r.late_runs, 1);
	assert_true(g->ran_at - t0 >= 0.09);
}

static void test_bound_from_first_kick(void **state)
{
	struct rig *g = *state;
	ev_io_start(g->loop, &g->busy);
	reaper_kick(g->loop, &g->r);
	ev_run(g->loop, EVRUN_ONCE);
	usleep(60000);
	ev_now_update(g->loop);
	reaper_kick(g->loop, &g->r); /* a later kick does not push the bound */
	assert_true(ev_timer_remaining(g->loop, &g->r.late) <= 0.1 - 0.06 + 0.001);
	run(g);
	assert_int_equal(g->ran, 1);
	assert_int_equal(g->r.late_runs, 1);
}

static void test_stopped_never_runs(void **state)
{
	struct rig *g = *state;
	reaper_kick(g->loop, &g->r);
	reaper_stop(g->loop, &g->r);
	run(g);
	assert_int_equal(g->ran, 0);
	assert_int_equal(g->r.runs, 0);
}

static void test_kick_after_run_runs_again(void **state)
{
	struct rig *g = *state;
	reaper_kick(g->loop, &g->r);
	run(g);
	reaper_kick(g->loop, &g->r);
	run(g);
	assert_int_equal(g->ran, 2);
	assert_int_equal(g->r.runs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_runs_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_loop_runs_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_from_first_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_never_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_after_run_runs_again, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
