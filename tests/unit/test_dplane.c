/* Calls into worker threads (dplane_post): they run on the named worker,
 * inside a batch, once per post however often it is repeated while queued,
 * and a cancelled call never runs. Real threads, two workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/dplane.h"

struct probe {
	struct dp_call call;
	int runs;    /* atomic */
	unsigned on; /* dplane_self() where it ran */
	bool in_batch;
	bool repost; /* posts itself again once from inside fn */
};

static void probe_fn(struct dp_call *c)
{
	struct probe *p = (struct probe *)c;
	p->on = dplane_self();
	p->in_batch = fwd_shared;
	if (p->repost && __atomic_load_n(&p->runs, __ATOMIC_RELAXED) == 0)
		dplane_post(c->worker, c, probe_fn);
	__atomic_fetch_add(&p->runs, 1, __ATOMIC_RELEASE);
}

static void tick_cb(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)l;
	(void)t;
	(void)revents;
}

/* Runs the main loop until p has run n times (bounded: ms). The main
 * thread holds the data-plane lock except while its loop sleeps, as the
 * daemon's does: each 1 ms sleep lets the workers in. */
static void wait_runs(struct ev_loop *l, struct probe *p, int n, int ms)
{
	ev_timer t;
	ev_timer_init(&t, tick_cb, 0.001, 0.001);
	ev_timer_start(l, &t);
	for (int i = 0; i < ms && __atomic_load_n(&p->runs, __ATOMIC_ACQUIRE) < n; i++)
		ev_run(l, EVRUN_ONCE);
	ev_timer_stop(l, &t);
}

static struct ev_loop *loop;
static struct fwd main_fwd;

static int setup(void **state)
{
	(void)state;
	loop = ev_loop_new(EVFLAG_AUTO);
	memset(&main_fwd, 0, sizeof(main_fwd));
	main_fwd.tun_fd = -1;
	const int fds[2] = {-1, -1};
	if (dplane_init(loop, 2, fds, &main_fwd) < 0 || dplane_start() < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dplane_stop();
	dplane_free();
	ev_loop_destroy(loop);
	return 0;
}

static void test_runs_on_its_worker(void **state)
{
	(void)state;
	struct probe a = {0}, b = {0};
	assert_true(dplane_post(0, &a.call, probe_fn));
	assert_true(dplane_post(1, &b.call, probe_fn));
	wait_runs(loop, &a, 1, 5000);
	wait_runs(loop, &b, 1, 5000);
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.runs, 1);
	assert_int_equal(a.on, 0);
	assert_int_equal(b.on, 1);
	assert_true(a.in_batch && b.in_batch);
}

static void test_coalesced_and_reposted(void **state)
{
	(void)state;
	struct probe p = {.repost = true};
	/* The main loop holds the lock exclusively between its own
	 * callbacks only while ev_run runs: here nothing runs on the worker
	 * until the loop turns, so all three posts find the node queued. */
	dplane_post(1, &p.call, probe_fn);
	dplane_post(1, &p.call, probe_fn);
	dplane_post(1, &p.call, probe_fn);
	wait_runs(loop, &p, 2, 5000);
	wait_runs(loop, &p, 3, 200); /* a spurious third run would come here */
	/* Once for the three posts, once for its own post from inside fn. */
	assert_int_equal(__atomic_load_n(&p.runs, __ATOMIC_ACQUIRE), 2);
}

static void test_cancelled_never_runs(void **state)
{
	(void)state;
	struct probe p = {0}, q = {0};
	dplane_pause(); /* a worker cannot take the call before the cancel */
	dplane_post(0, &p.call, probe_fn);
	dplane_post(0, &q.call, probe_fn);
	dplane_post_cancel(&p.call);
	dplane_resume();
	wait_runs(loop, &q, 1, 5000);
	wait_runs(loop, &p, 1, 200); /* p would have run by now */
	assert_int_equal(q.runs, 1);
	assert_int_equal(p.runs, 0);
	assert_false(p.call.queued);
}

/* Each pause with the workers running counts once (/metrics). */
static void test_pauses_counted(void **state)
{
	(void)state;
	uint64_t before = dplane_pauses();
	dplane_pause();
	dplane_resume();
	dplane_pause();
	dplane_resume();
	assert_int_equal(dplane_pauses() - before, 2);
}

static void test_out_of_range(void **state)
{
	(void)state;
	struct probe p = {0};
	assert_false(dplane_post(2, &p.call, probe_fn));
	assert_false(p.call.queued);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_runs_on_its_worker),
		cmocka_unit_test(test_coalesced_and_reposted),
		cmocka_unit_test(test_cancelled_never_runs),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_pauses_counted),
	};
	return cmocka_run_group_tests(t, setup, teardown);
}
