/* Connection health: once a second each session's rates are derived from
 * the counters the packet path increments (the highest bandwidth and packet
 * rate seen are kept), and once a minute the gateway's connection count and
 * traffic go into a ring of the last hour. */
#define LOG_MODULE "gateway"

#include <time.h>

#include "core/dplane.h"
#include "core/gateway.h"
#include "tunnel/tun.h"

#define HEALTH_TICK 1.0

uint64_t core_spoofed_total(const struct core *g)
{
	uint64_t n = g->fwd.spoofed;
	const struct fwd *f;
	for (unsigned i = 0; (f = dplane_worker_fwd(i)); i++)
		n += f->spoofed;
	return n;
}

uint64_t core_cross_worker_total(const struct core *g)
{
	uint64_t n = g->stats.cross_worker_closed;
	for (const struct session *s = g->reg.head; s; s = s->next)
		if (!s->ended)
			n += __atomic_load_n(&s->ctr.cross_worker, __ATOMIC_RELAXED);
	return n;
}

int core_tun_drops(const struct core *g, uint64_t *rx, uint64_t *tx)
{
	return tun_drops(g->conf->tun_name, rx, tx);
}

void core_traffic_totals(const struct core *g, struct core_traffic *t)
{
	*t = (struct core_traffic){
		.bytes_in = g->stats.bytes_in_closed,
		.bytes_out = g->stats.bytes_out_closed,
		.pkts_in = g->stats.pkts_in_closed,
		.pkts_out = g->stats.pkts_out_closed,
	};
	for (const struct session *s = g->reg.head; s; s = s->next) {
		if (s->ended) /* counted in the closed totals */
			continue;
		t->bytes_in += s->ctr.bytes_in;
		t->bytes_out += s->ctr.bytes_out;
		t->pkts_in += s->ctr.pkts_in;
		t->pkts_out += s->ctr.pkts_out;
	}
}

static void session_rates(struct session *s, double dt)
{
	uint64_t bytes = s->ctr.bytes_in + s->ctr.bytes_out;
	uint64_t pkts = s->ctr.pkts_in + s->ctr.pkts_out;
	uint64_t bps = (uint64_t)((double)(bytes - s->rate_bytes) * 8 / dt);
	uint64_t pps = (uint64_t)((double)(pkts - s->rate_pkts) / dt);
	if (bps > s->max_bps)
		s->max_bps = bps;
	if (pps > s->max_pps)
		s->max_pps = pps;
	s->rate_bytes = bytes;
	s->rate_pkts = pkts;
}

static unsigned connected(const struct core *g)
{
	unsigned n = 0;
	for (int t = 0; t < TUNNEL_N; t++)
		n += g->reg.admitted[t];
	return n;
}

static void minute_sample(struct core *g, double now)
{
	struct core_traffic t;
	core_traffic_totals(g, &t);
	struct stats_minute m = {.start = (time_t)(time(NULL) - (now - g->minute_start)),
				 .connections = connected(g),
				 .bytes_in = t.bytes_in - g->minute_in0,
				 .bytes_out = t.bytes_out - g->minute_out0};
	stats_minute_push(&g->stats, &m);
	g->minute_start = now;
	g->minute_in0 = t.bytes_in;
	g->minute_out0 = t.bytes_out;
}

static void health_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct core *g = w->data;
	double now = ev_now(loop);
	double dt = now - g->health_at; /* a busy loop may fire the timer late */
	if (dt < 0.5)
		return;
	g->health_at = now;
	for (struct session *s = g->reg.head; s; s = s->next)
		if (s->up && !s->ended)
			session_rates(s, dt);
	if (now - g->minute_start >= 60.0)
		minute_sample(g, now);
}

void core_health_start(struct core *g)
{
	g->minute_start = g->health_at = ev_now(g->loop);
	ev_timer_init(&g->health_timer, health_cb, HEALTH_TICK, HEALTH_TICK);
	g->health_timer.data = g;
	ev_timer_start(g->loop, &g->health_timer);
}

void core_health_stop(struct core *g)
{
	ev_timer_stop(g->loop, &g->health_timer);
}

size_t core_pool_count(const struct core *g)
{
	return g->n_conn + 1;
}

void core_pool_usage(const struct core *g, size_t i, struct core_pool_usage *u)
{
	size_t first = i ? g->conn_first[i - 1] : 0;
	size_t n = i ? g->conn_n[i - 1] : g->n_conn ? g->conn_first[0] : g->pool.n;
	const struct gw_conf *c = g->conf;
	*u = (struct core_pool_usage){.name = "default"};
	if (i && i - 1 < c->client_connections.n)
		u->name = c->client_connections.v[i - 1].name;
	else if (i)
		u->name = "connection";
	for (size_t r = first; r < first + n && r < g->pool.n; r++) {
		u->used += g->pool.ranges[r].used;
		u->size += g->pool.ranges[r].count;
	}
}
