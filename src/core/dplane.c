/* Data-plane threads and the data-plane lock (dplane.h). */
#define LOG_MODULE "dplane"

#include "dplane.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/moderate.h"
#include "lib/log.h"

#define TUN_BURST 4 /* as the main loop's TUN: packets per TUN_REST */
#define TUN_REST  0.001
#define TUN_BUF	  (VNET_HDR_LEN + 65536)

struct dp_worker {
	unsigned index;
	struct ev_loop *loop;
	pthread_t thread;
	ev_async wake;	  /* stop or pause */
	ev_async calls_w; /* dplane_post's queue is not empty */
	pthread_mutex_t calls_mu;
	struct dp_call *calls, **calls_tail;
	int tun_fd;  /* its TUN queue, -1: none */
	bool own_fd; /* closed with it (queue 0 is the core's) */
	ev_io tun_io;
	struct moderator tun_mod;
	ev_prepare flush; /* the forwarder's coalesced TUN writes */
	struct fwd fwd;
	uint8_t *buf; /* one TUN read */
};

static struct {
	unsigned n; /* workers; 0 or 1: off */
	bool running;
	struct ev_loop *main;
	struct fwd *main_fwd;
	struct dp_worker *w[DP_MAX];
	pthread_rwlock_t lock;
	struct ring ring;
	ev_async drain;
	pthread_mutex_t mu; /* pause and stop */
	pthread_cond_t cv;
	int pausing; /* atomic: also read by workers under the shared lock */
	bool stopping;
	unsigned parked;
	unsigned started; /* threads running */
	/* Pauses done: the main loop's alone (it pauses and reads /metrics). */
	uint64_t pauses;
} dp;

static _Thread_local struct dp_worker *self;

unsigned dplane_count(void)
{
	return dp.n > 1 ? dp.n : 1;
}

unsigned dplane_slots(void)
{
	return dp.n > 1 ? dp.n + 1 : 1;
}

struct ev_loop *dplane_loop(unsigned i)
{
	return dp.n > 1 && i < dp.n ? dp.w[i]->loop : dp.main;
}

unsigned dplane_self(void)
{
	return self ? self->index : dplane_slots() - 1;
}

struct fwd *dplane_fwd(struct fwd *main_fwd)
{
	return self ? &self->fwd : main_fwd;
}

const struct fwd *dplane_worker_fwd(unsigned i)
{
	return dp.n > 1 && i < dp.n ? &dp.w[i]->fwd : NULL;
}

bool dplane_worker_stats(unsigned i, struct dplane_worker_stats *out)
{
	const struct fwd *f = dplane_worker_fwd(i);
	if (!f)
		return false;
	fwd_stats(f, &out->fwd);
	/* A worker without a TUN queue of its own never started its moderator. */
	out->tun_rests = dp.w[i]->tun_fd >= 0 ? moderator_rests(&dp.w[i]->tun_mod) : 0;
	return true;
}

/* ---- the ring to the main loop ------------------------------------------ */

static void drain(void)
{
	static struct ring_item it; /* the main loop's alone */
	static bool draining;	    /* it is not re-entered from an item's handler */
	if (draining)
		return;
	draining = true;
	unsigned i = 0;
	for (; i < dp.ring.cap && ring_pop(&dp.ring, &it); i++)
		if (it.fn)
			it.fn(it.owner, it.tag, &it.from, it.data, it.len);
	draining = false;
	if (i == dp.ring.cap)
		ev_async_send(dp.main, &dp.drain); /* more came meanwhile: next iteration */
}

void dplane_drain(void)
{
	if (dp.n <= 1)
		return;
	drain();
	if (dp.main_fwd)
		fwd_flush(dp.main_fwd);
}

static void drain_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	drain();
}

bool dplane_defer(ring_fn *fn, void *owner, uint32_t tag, const union sockaddr_any *from,
		  const uint8_t *p, size_t n)
{
	if (!ring_push(&dp.ring, fn, owner, tag, from, p, n))
		return false;
	if (self)
		ev_async_send(dp.main, &dp.drain); /* the main loop drains its own at batch end */
	return true;
}

bool dplane_defer_keep(ring_fn *fn, void *owner, uint32_t tag, const uint8_t *p, size_t n)
{
	if (!ring_offer(&dp.ring, fn, owner, tag, NULL, p, n))
		return false;
	if (self)
		ev_async_send(dp.main, &dp.drain);
	return true;
}

void dplane_discard(const void *owner)
{
	if (dp.n > 1)
		ring_discard(&dp.ring, owner);
}

uint64_t dplane_ring_dropped(void)
{
	return dp.n > 1 ? ring_dropped(&dp.ring) : 0;
}

uint64_t dplane_pauses(void)
{
	return dp.pauses;
}

/* A TUN packet for a session the shared path may not send to (another
 * protocol's, a TCP one): the main loop forwards it. */
static void tun_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			 const uint8_t *p, size_t n)
{
	(void)tag;
	(void)from;
	fwd_from_tun(owner, p, n);
}

static void fwd_defer(const uint8_t *p, size_t n)
{
	dplane_defer(tun_deferred, dp.main_fwd, 0, NULL, p, n);
}

/* ---- batches ------------------------------------------------------------- */

bool dplane_batch_begin(void)
{
	if (!dp.running)
		return true;
	if (self) {
		pthread_rwlock_rdlock(&dp.lock);
		if (__atomic_load_n(&dp.pausing, __ATOMIC_RELAXED)) {
			pthread_rwlock_unlock(&dp.lock);
			return false;
		}
	} else {
		/* The main loop's own data: in parallel with the workers. */
		pthread_rwlock_unlock(&dp.lock);
		pthread_rwlock_rdlock(&dp.lock);
	}
	fwd_shared = true;
	return true;
}

void dplane_batch_end(void)
{
	if (!fwd_shared)
		return;
	fwd_shared = false;
	pthread_rwlock_unlock(&dp.lock);
	if (!self) {
		pthread_rwlock_wrlock(&dp.lock);
		drain();
	}
}

/* ---- calls into a worker ---------------------------------------------------- */

bool dplane_post(unsigned i, struct dp_call *c, void (*fn)(struct dp_call *c))
{
	if (dp.n <= 1 || i >= dp.n)
		return false;
	struct dp_worker *w = dp.w[i];
	bool wake = false;
	pthread_mutex_lock(&w->calls_mu);
	if (!c->queued) {
		c->fn = fn;
		c->worker = i;
		c->next = NULL;
		c->queued = true;
		wake = w->calls == NULL;
		*w->calls_tail = c;
		w->calls_tail = &c->next;
	}
	pthread_mutex_unlock(&w->calls_mu);
	if (wake)
		ev_async_send(w->loop, &w->calls_w);
	return true;
}

void dplane_post_cancel(struct dp_call *c)
{
	if (dp.n <= 1 || c->worker >= dp.n)
		return;
	struct dp_worker *w = dp.w[c->worker];
	pthread_mutex_lock(&w->calls_mu);
	for (struct dp_call **p = &w->calls; c->queued && *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			if (w->calls_tail == &c->next)
				w->calls_tail = p;
			c->queued = false;
			break;
		}
	pthread_mutex_unlock(&w->calls_mu);
}

static struct dp_call *call_pop(struct dp_worker *w)
{
	pthread_mutex_lock(&w->calls_mu);
	struct dp_call *c = w->calls;
	if (c) {
		w->calls = c->next;
		if (!w->calls)
			w->calls_tail = &w->calls;
		c->queued = false; /* from here a post queues it again */
	}
	pthread_mutex_unlock(&w->calls_mu);
	return c;
}

/* The calls queued when it starts, at most: a call that posts itself
 * again runs on the next iteration, not in a loop here. */
static void calls_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)revents;
	struct dp_worker *w = a->data;
	if (!dplane_batch_begin()) {
		ev_async_send(loop, a); /* paused: again after the resume */
		return;
	}
	unsigned n = 0;
	pthread_mutex_lock(&w->calls_mu);
	for (const struct dp_call *c = w->calls; c; c = c->next)
		n++;
	pthread_mutex_unlock(&w->calls_mu);
	struct dp_call *c;
	for (unsigned i = 0; i < n && (c = call_pop(w)); i++)
		c->fn(c);
	dplane_batch_end();
}

/* ---- a worker ------------------------------------------------------------ */

static void tun_read(void *ctx)
{
	struct dp_worker *w = ctx;
	if (!dplane_batch_begin())
		return;
	int i = fwd_drain_tun(&w->fwd, w->tun_fd, w->buf, TUN_BUF);
	dplane_batch_end();
	moderator_after(w->loop, &w->tun_mod, (unsigned long)i);
}

static void tun_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	tun_read(io->data);
}

/* Coalesced TUN writes go out before the loop sleeps: the worker's own
 * queue and coalescer, no lock needed. */
static void flush_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	(void)loop;
	(void)revents;
	struct dp_worker *w = p->data;
	fwd_flush(&w->fwd);
}

static void wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)revents;
	(void)a;
	pthread_mutex_lock(&dp.mu);
	if (dp.stopping) {
		ev_break(loop, EVBREAK_ALL);
	} else if (__atomic_load_n(&dp.pausing, __ATOMIC_RELAXED)) {
		dp.parked++;
		pthread_cond_broadcast(&dp.cv);
		while (__atomic_load_n(&dp.pausing, __ATOMIC_RELAXED))
			pthread_cond_wait(&dp.cv, &dp.mu);
		dp.parked--;
		pthread_cond_broadcast(&dp.cv);
	}
	pthread_mutex_unlock(&dp.mu);
}

static void *worker_main(void *arg)
{
	self = arg;
	char name[16];
	snprintf(name, sizeof(name), "dp-worker%u", self->index);
	pthread_setname_np(pthread_self(), name); /* ps, top, the workers lab */
	ev_run(self->loop, 0);
	fwd_flush(&self->fwd);
	return NULL;
}

static void worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	if (w->loop) {
		moderator_stop(w->loop, &w->tun_mod);
		ev_io_stop(w->loop, &w->tun_io);
		ev_prepare_stop(w->loop, &w->flush);
		ev_async_stop(w->loop, &w->wake);
		ev_async_stop(w->loop, &w->calls_w);
		ev_loop_destroy(w->loop);
	}
	pthread_mutex_destroy(&w->calls_mu);
	fwd_offload_free(&w->fwd);
	if (w->own_fd && w->tun_fd >= 0)
		close(w->tun_fd);
	free(w->buf);
	free(w);
}

static struct dp_worker *worker_new(unsigned i, int tun_fd, const struct fwd *main_fwd)
{
	struct dp_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->calls_mu, NULL);
	w->calls_tail = &w->calls;
	w->index = i;
	w->tun_fd = tun_fd;
	w->own_fd = i > 0;
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	w->buf = malloc(TUN_BUF);
	w->fwd = *main_fwd;
	/* Without a queue of its own (a single-queue device) it writes to the
	 * main one, and reads nothing. */
	w->fwd.tun_fd = tun_fd >= 0 ? tun_fd : main_fwd->tun_fd;
	w->fwd.gro = NULL;
	w->fwd.seg = NULL;
	if (!w->loop || !w->buf || (main_fwd->gro && fwd_offload_init(&w->fwd) < 0)) {
		worker_free(w);
		return NULL;
	}
	ev_async_init(&w->wake, wake_cb);
	ev_async_start(w->loop, &w->wake);
	ev_async_init(&w->calls_w, calls_cb);
	w->calls_w.data = w;
	ev_async_start(w->loop, &w->calls_w);
	ev_prepare_init(&w->flush, flush_cb);
	w->flush.data = w;
	ev_prepare_start(w->loop, &w->flush);
	if (tun_fd >= 0) {
		ev_io_init(&w->tun_io, tun_read_cb, tun_fd, EV_READ);
		w->tun_io.data = w;
		ev_io_start(w->loop, &w->tun_io);
		moderator_init(&w->tun_mod, &w->tun_io, TUN_REST, TUN_BURST, tun_read, w);
	}
	return w;
}

/* ---- set-up and tear-down ------------------------------------------------ */

/* P2SGW_DPLANE_RING (tests only) shrinks the ring so that a lab sees it
 * full: a stream's reader must wait, not drop. */
static unsigned ring_slots(void)
{
	const char *v = getenv("P2SGW_DPLANE_RING");
	int n = v && *v ? atoi(v) : 0;
	if (n <= 0 || n >= DP_RING)
		return DP_RING;
	log_warn("hand-off ring of %d slot%s (test setting)", n, n == 1 ? "" : "s");
	return (unsigned)n;
}

int dplane_init(struct ev_loop *main, unsigned n, const int *tun_fds, struct fwd *main_fwd)
{
	memset(&dp, 0, sizeof(dp));
	dp.main = main;
	dp.main_fwd = main_fwd;
	if (n <= 1)
		return 0;
	if (n > DP_MAX || ring_init(&dp.ring, ring_slots()) < 0) {
		for (unsigned j = 1; j < n && j < DP_MAX; j++)
			if (tun_fds[j] >= 0)
				close(tun_fds[j]);
		return -ENOMEM;
	}
	dp.n = n;
	main_fwd->defer = fwd_defer;
	for (unsigned i = 0; i < n; i++) {
		dp.w[i] = worker_new(i, tun_fds[i], main_fwd);
		if (!dp.w[i]) {
			/* Made ones are dplane_free's; the queues after are ours. */
			for (unsigned j = i + 1; j < n; j++)
				if (tun_fds[j] >= 0)
					close(tun_fds[j]);
			return -ENOMEM;
		}
	}
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	/* Else a steady stream of batches would starve the main loop. */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&dp.lock, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_mutex_init(&dp.mu, NULL);
	pthread_cond_init(&dp.cv, NULL);
	ev_async_init(&dp.drain, drain_cb);
	ev_async_start(main, &dp.drain);
	return 0;
}

static void main_release(struct ev_loop *l)
{
	(void)l;
	pthread_rwlock_unlock(&dp.lock);
}

static void main_acquire(struct ev_loop *l)
{
	(void)l;
	pthread_rwlock_wrlock(&dp.lock);
}

int dplane_start(void)
{
	if (dp.n <= 1)
		return 0;
	pthread_rwlock_wrlock(&dp.lock); /* the main loop's from now on */
	ev_set_loop_release_cb(dp.main, main_release, main_acquire);
	dp.running = true;
	/* Signals stay the main loop's: the workers start with all blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = 0;
	unsigned i = 0;
	for (; i < dp.n && r == 0; i++)
		r = -pthread_create(&dp.w[i]->thread, NULL, worker_main, dp.w[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		/* Logged; the lanes of the missing ones go unread until a restart. */
		log_err("cannot start data-plane worker %u: %s", i - 1, strerror(-r));
		dp.started = i - 1;
		return r;
	}
	dp.started = dp.n;
	log_info("%u data-plane worker threads; the main loop keeps the control side", dp.n);
	return 0;
}

void dplane_stop(void)
{
	if (!dp.running)
		return;
	pthread_mutex_lock(&dp.mu);
	dp.stopping = true;
	pthread_mutex_unlock(&dp.mu);
	for (unsigned i = 0; i < dp.started; i++)
		ev_async_send(dp.w[i]->loop, &dp.w[i]->wake);
	pthread_rwlock_unlock(&dp.lock); /* a worker may wait for it in a batch */
	for (unsigned i = 0; i < dp.started; i++)
		pthread_join(dp.w[i]->thread, NULL);
	dp.started = 0;
	ev_set_loop_release_cb(dp.main, NULL, NULL);
	dp.running = false;
	drain(); /* what the workers handed over last */
}

void dplane_free(void)
{
	if (dp.n <= 1 && !dp.ring.slots)
		return;
	for (unsigned i = 0; i < DP_MAX; i++)
		worker_free(dp.w[i]);
	if (dp.main && ev_is_active(&dp.drain))
		ev_async_stop(dp.main, &dp.drain);
	if (dp.n > 1) {
		pthread_rwlock_destroy(&dp.lock);
		pthread_mutex_destroy(&dp.mu);
		pthread_cond_destroy(&dp.cv);
	}
	ring_free(&dp.ring);
	memset(&dp, 0, sizeof(dp));
}

void dplane_fwd_sync(const struct fwd *main_fwd)
{
	for (unsigned i = 0; i < dp.n && dp.n > 1; i++) {
		struct fwd *f = &dp.w[i]->fwd;
		f->pool = main_fwd->pool;
		f->pool6 = main_fwd->pool6;
		f->client_to_client = main_fwd->client_to_client;
	}
}

/* ---- pause ----------------------------------------------------------------- */

void dplane_pause(void)
{
	if (!dp.running)
		return;
	dp.pauses++;
	pthread_mutex_lock(&dp.mu);
	__atomic_store_n(&dp.pausing, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dp.mu);
	for (unsigned i = 0; i < dp.started; i++)
		ev_async_send(dp.w[i]->loop, &dp.w[i]->wake);
	/* A worker blocked on the lock in a batch must get it to see the
	 * pause: the batch is skipped, nothing of ours is read. */
	pthread_rwlock_unlock(&dp.lock);
	pthread_mutex_lock(&dp.mu);
	while (dp.parked < dp.started)
		pthread_cond_wait(&dp.cv, &dp.mu);
	pthread_mutex_unlock(&dp.mu);
	pthread_rwlock_wrlock(&dp.lock);
}

void dplane_resume(void)
{
	if (!dp.running)
		return;
	pthread_mutex_lock(&dp.mu);
	__atomic_store_n(&dp.pausing, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&dp.cv);
	while (dp.parked)
		pthread_cond_wait(&dp.cv, &dp.mu);
	pthread_mutex_unlock(&dp.mu);
}
