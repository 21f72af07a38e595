/* /metrics in the Prometheus text exposition format (version 0.0.4): the
 * connection count and bandwidth Azure charts (P2SConnectionCount,
 * P2SBandwidth), handshakes and refusals by reason, RADIUS round trips and
 * timeouts per server, pool usage per group, the signing keys' age, the
 * data plane's counters per worker thread and lane, and the heap. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/dplane.h"
#include "core/gateway.h"
#include "mgmt/cmd.h"
#include "mgmt/metrics.h"

/* A label value with \, " and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void connections(FILE *f, const struct core *g)
{
	static const unsigned types[] = {AUTH_CERTIFICATE, AUTH_RADIUS, AUTH_AAD};
	static const char *const names[] = {"Certificate", "Radius", "AAD"};
	head(f, "p2sgw_connections", "gauge", "Connected clients (P2SConnectionCount)");
	for (int p = 0; p < TUNNEL_N; p++)
		for (int t = 0; t < 3; t++) {
			unsigned n = 0;
			for (const struct session *s = g->reg.head; s; s = s->next)
				n += s->admitted && !s->ended && s->ops->proto == (unsigned)p &&
				     s->auth_type == types[t];
			fprintf(f, "p2sgw_connections{protocol=\"%s\",auth_type=\"%s\"} %u\n",
				tunnel_name((enum tunnel_proto)p), names[t], n);
		}
	unsigned admitted = 0;
	for (int p = 0; p < TUNNEL_N; p++)
		admitted += g->reg.admitted[p];
	head(f, "p2sgw_handshaking", "gauge", "Connections not (yet) admitted");
	fprintf(f, "p2sgw_handshaking %u\n", g->reg.count - admitted);
	head(f, "p2sgw_unauthenticated", "gauge",
	     "Connections and half-open sessions holding an unauthenticated slot");
	fprintf(f, "p2sgw_unauthenticated %u\n", core_preauth_count(g));
	head(f, "p2sgw_connection_limit", "gauge", "Connection caps of the SKU");
	fprintf(f, "p2sgw_connection_limit{class=\"SSTP\"} %u\n",
		core_connection_cap(g, TUNNEL_SSTP));
	fprintf(f, "p2sgw_connection_limit{class=\"IkeV2AndOpenVPN\"} %u\n",
		core_connection_cap(g, TUNNEL_OPENVPN));
}

static void traffic(FILE *f, const struct core *g)
{
	struct core_traffic t;
	core_traffic_totals(g, &t);
	head(f, "p2sgw_bytes_total", "counter",
	     "Inner IP bytes through the tunnels (P2SBandwidth); in = from clients");
	fprintf(f, "p2sgw_bytes_total{direction=\"in\"} %llu\n", (unsigned long long)t.bytes_in);
	fprintf(f, "p2sgw_bytes_total{direction=\"out\"} %llu\n", (unsigned long long)t.bytes_out);
	head(f, "p2sgw_packets_total", "counter", "Inner IP packets through the tunnels");
	fprintf(f, "p2sgw_packets_total{direction=\"in\"} %llu\n", (unsigned long long)t.pkts_in);
	fprintf(f, "p2sgw_packets_total{direction=\"out\"} %llu\n", (unsigned long long)t.pkts_out);
	head(f, "p2sgw_spoofed_packets_total", "counter",
	     "Inner packets dropped: their source was not the client's own address");
	fprintf(f, "p2sgw_spoofed_packets_total %llu\n", (unsigned long long)core_spoofed_total(g));
}

/* Per policy group and rule: what each access rule decided, and what no
 * rule allowed. */
static void rules(FILE *f, const struct core *g)
{
	head(f, "p2sgw_access_rule_packets_total", "counter",
	     "Packets towards the virtual network decided by an access rule");
	for (size_t i = 0; i < g->n_acls; i++)
		for (size_t j = 0; j < g->acls[i].n; j++) {
			const struct acl_rule *r = &g->acls[i].rules[j];
			fputs("p2sgw_access_rule_packets_total{group=\"", f);
			label(f, g->acls[i].group);
			fputs("\",rule=\"", f);
			label(f, r->name);
			fprintf(f, "\",action=\"%s\"} %llu\n", r->deny ? "deny" : "allow",
				(unsigned long long)r->hits);
		}
	head(f, "p2sgw_access_refused_packets_total", "counter",
	     "Packets towards the virtual network that no access rule allowed, per group");
	for (size_t i = 0; i < g->n_acls; i++)
		if (g->acls[i].n) {
			fputs("p2sgw_access_refused_packets_total{group=\"", f);
			label(f, g->acls[i].group);
			fprintf(f, "\"} %llu\n", (unsigned long long)g->acls[i].unmatched);
		}
}

static void auth(FILE *f, const struct stats *st)
{
	head(f, "p2sgw_handshakes_total", "counter", "Connections begun, per tunnel protocol");
	for (int p = 0; p < TUNNEL_N; p++)
		fprintf(f, "p2sgw_handshakes_total{protocol=\"%s\"} %llu\n",
			tunnel_name((enum tunnel_proto)p), (unsigned long long)st->handshakes[p]);
	head(f, "p2sgw_refusals_total", "counter", "Authentication refusals by reason");
	for (size_t i = 0; i < st->n_reasons; i++) {
		fputs("p2sgw_refusals_total{reason=\"", f);
		label(f, st->reasons[i].label);
		fprintf(f, "\"} %llu\n", (unsigned long long)st->reasons[i].count);
	}
}

static void radius(FILE *f, const struct stats *st)
{
	head(f, "p2sgw_radius_rtt_seconds", "histogram", "RADIUS round-trip time per server");
	for (size_t i = 0; i < st->n_radius; i++) {
		const struct stats_radius *r = &st->radius[i];
		uint64_t cum = 0;
		for (int b = 0; b < STATS_RTT_BUCKETS; b++) {
			cum += r->buckets[b];
			fputs("p2sgw_radius_rtt_seconds_bucket{server=\"", f);
			label(f, r->server);
			fprintf(f, "\",le=\"%g\"} %llu\n", stats_rtt_bounds[b],
				(unsigned long long)cum);
		}
		fputs("p2sgw_radius_rtt_seconds_bucket{server=\"", f);
		label(f, r->server);
		fprintf(f, "\",le=\"+Inf\"} %llu\n", (unsigned long long)r->count);
		fputs("p2sgw_radius_rtt_seconds_sum{server=\"", f);
		label(f, r->server);
		fprintf(f, "\"} %.6f\n", r->sum);
		fputs("p2sgw_radius_rtt_seconds_count{server=\"", f);
		label(f, r->server);
		fprintf(f, "\"} %llu\n", (unsigned long long)r->count);
	}
	head(f, "p2sgw_radius_timeouts_total", "counter",
	     "RADIUS requests a server did not answer in time");
	for (size_t i = 0; i < st->n_radius; i++) {
		fputs("p2sgw_radius_timeouts_total{server=\"", f);
		label(f, st->radius[i].server);
		fprintf(f, "\"} %llu\n", (unsigned long long)st->radius[i].timeouts);
	}
}

static void pools(FILE *f, const struct core *g)
{
	head(f, "p2sgw_pool_addresses", "gauge", "Client pool addresses per pool, used and free");
	for (size_t i = 0; !g->conf->p2s_absent && i < core_pool_count(g); i++) {
		struct core_pool_usage u;
		core_pool_usage(g, i, &u);
		for (int k = 0; k < 2; k++) {
			fputs("p2sgw_pool_addresses{pool=\"", f);
			label(f, u.name);
			fprintf(f, "\",state=\"%s\"} %u\n", k ? "free" : "used",
				k ? u.size - u.used : u.used);
		}
	}
	if (!g->conf->p2s_absent && g->pool6.n) {
		head(f, "p2sgw_pool_ipv6_addresses_free", "gauge", "Free IPv6 client addresses");
		fprintf(f, "p2sgw_pool_ipv6_addresses_free %u\n", pool6_free_count(&g->pool6));
	}
	if (g->keys_at > 0) {
		head(f, "p2sgw_jwks_refresh_age_seconds", "gauge",
		     "Seconds since the Entra ID signing keys were loaded");
		fprintf(f, "p2sgw_jwks_refresh_age_seconds %.0f\n", ev_now(g->loop) - g->keys_at);
	}
}

void metrics_worker_label(char *out, size_t cap, unsigned i, unsigned n)
{
	if (n > 1 && i == n)
		snprintf(out, cap, "main");
	else
		snprintf(out, cap, "%u", i);
}

void metrics_per_worker(FILE *f, const char *name, const char *help, const uint64_t *v,
			unsigned n_slots, unsigned n_workers)
{
	head(f, name, "counter", help);
	for (unsigned i = 0; i < n_slots; i++) {
		char w[12];
		metrics_worker_label(w, sizeof(w), i, n_workers);
		fprintf(f, "%s{worker=\"%s\"} %llu\n", name, w, (unsigned long long)v[i]);
	}
}

/* The forwarder and TUN counters per slot: workers 0..n-1, then the main
 * loop's own forwarder ("main": what it writes for handed-over packets and
 * main-loop-only sessions) when there are threads; with one worker the main
 * loop is worker 0. */
struct dp_slots {
	unsigned n, workers;
	struct dplane_worker_stats s[DP_MAX + 1];
};

static void dp_slots(const struct core *g, struct dp_slots *d)
{
	d->workers = dplane_count();
	d->n = 0;
	for (unsigned i = 0; d->workers > 1 && i < d->workers; i++)
		if (dplane_worker_stats(i, &d->s[d->n]))
			d->n++;
	fwd_stats(&g->fwd, &d->s[d->n].fwd);
	d->s[d->n].tun_rests = moderator_rests(&g->tun_mod);
	d->n++;
}

#define DP_FIELD(d, field, out)                                                                    \
	do {                                                                                       \
		for (unsigned i_ = 0; i_ < (d)->n; i_++)                                           \
			(out)[i_] = (d)->s[i_].field;                                              \
	} while (0)

static void dataplane_fwd(FILE *f, const struct dp_slots *d)
{
	uint64_t v[DP_MAX + 1];
	DP_FIELD(d, fwd.segmenter_drops, v);
	metrics_per_worker(f, "p2sgw_dataplane_segmenter_drops_total",
			   "Super-packets from the TUN the segmenter refused (e.g. IPv6 TSO with "
			   "extension headers)",
			   v, d->n, d->workers);
	DP_FIELD(d, fwd.coalesced, v);
	metrics_per_worker(f, "p2sgw_dataplane_coalesced_total",
			   "Client TCP segments the coalescer joined into a larger TUN write", v,
			   d->n, d->workers);
	DP_FIELD(d, fwd.acks_replaced, v);
	metrics_per_worker(f, "p2sgw_dataplane_acks_replaced_total",
			   "Bare ACKs to the TUN a newer ACK of their flow replaced", v, d->n,
			   d->workers);
	DP_FIELD(d, fwd.tun_write_errors, v);
	metrics_per_worker(f, "p2sgw_dataplane_tun_write_errors_total",
			   "Writes to the TUN that failed (their packets were dropped)", v, d->n,
			   d->workers);
	DP_FIELD(d, fwd.no_route_drops, v);
	metrics_per_worker(f, "p2sgw_dataplane_no_route_drops_total",
			   "Packets from the TUN for an address no session holds", v, d->n,
			   d->workers);
}

/* The kernel's drops at the gateway's TUN: towards the gateway, packets
 * for the clients its queues had no room for (the readers fell behind);
 * from it, packets it wrote that the kernel dropped. Left out without
 * sysfs. */
static void dataplane_tun(FILE *f, const struct core *g)
{
	uint64_t rx, tx;
	if (core_tun_drops(g, &rx, &tx) < 0)
		return;
	head(f, "p2sgw_dataplane_tun_dropped_total", "counter",
	     "Packets the kernel dropped at the gateway's TUN device, by direction");
	fprintf(f, "p2sgw_dataplane_tun_dropped_total{direction=\"to_gateway\"} %llu\n",
		(unsigned long long)tx);
	fprintf(f, "p2sgw_dataplane_tun_dropped_total{direction=\"from_gateway\"} %llu\n",
		(unsigned long long)rx);
}

/* Every engine's lanes (engine_ops.lane_stats); lane i is worker i's. */
struct dp_lanes {
	bool have[TUNNEL_N][DP_MAX];
	struct lane_stats s[TUNNEL_N][DP_MAX];
};

static void dp_lanes(const struct core *g, struct dp_lanes *l)
{
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			l->have[p][i] = i < dplane_count() &&
					core_lane_stats(g, (enum tunnel_proto)p, i, &l->s[p][i]);
}

static void dataplane_lanes(FILE *f, const struct dp_lanes *l)
{
	head(f, "p2sgw_dataplane_lane_packets_total", "counter",
	     "Datagrams read on a protocol's per-worker socket, by kind");
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			for (unsigned k = 0; l->have[p][i] && k < l->s[p][i].n_kinds; k++)
				fprintf(f,
					"p2sgw_dataplane_lane_packets_total{protocol=\"%s\","
					"worker=\"%u\",kind=\"%s\"} %llu\n",
					tunnel_name((enum tunnel_proto)p), i, l->s[p][i].kind[k],
					(unsigned long long)l->s[p][i].packets[k]);
	head(f, "p2sgw_dataplane_streams", "gauge",
	     "Stream connections (OpenVPN TCP, SSTP) a worker owns: reads, writes and data there");
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			if (l->have[p][i] && l->s[p][i].has_streams)
				fprintf(f,
					"p2sgw_dataplane_streams{protocol=\"%s\",worker=\"%u\"} "
					"%llu\n",
					tunnel_name((enum tunnel_proto)p), i,
					(unsigned long long)l->s[p][i].streams);
	head(f, "p2sgw_dataplane_streams_moved_total", "counter",
	     "Stream connections moved from the main loop to a worker once connected");
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			if (l->have[p][i] && l->s[p][i].has_streams)
				fprintf(f,
					"p2sgw_dataplane_streams_moved_total{protocol=\"%s\","
					"worker=\"%u\"} "
					"%llu\n",
					tunnel_name((enum tunnel_proto)p), i,
					(unsigned long long)l->s[p][i].streams_moved);
	head(f, "p2sgw_dataplane_gso_fallbacks_total", "counter",
	     "UDP GSO sends the kernel refused, sent again datagram by datagram");
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			if (l->have[p][i])
				fprintf(f,
					"p2sgw_dataplane_gso_fallbacks_total{protocol=\"%s\","
					"worker=\"%u\"} %llu\n",
					tunnel_name((enum tunnel_proto)p), i,
					(unsigned long long)l->s[p][i].gso_fallbacks);
}

/* The read moderators' rests: each worker's TUN queue, each lane. */
static void dataplane_rests(FILE *f, const struct dp_slots *d, const struct dp_lanes *l)
{
	head(f, "p2sgw_dataplane_moderator_rests_total", "counter",
	     "Rests of a read moderator (reads paused for a busy socket or TUN queue)");
	for (unsigned i = 0; i < d->n; i++) {
		char w[12];
		metrics_worker_label(w, sizeof(w), i, d->workers);
		fprintf(f,
			"p2sgw_dataplane_moderator_rests_total{worker=\"%s\",reader=\"tun\"} "
			"%llu\n",
			w, (unsigned long long)d->s[i].tun_rests);
	}
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned i = 0; i < DP_MAX; i++)
			if (l->have[p][i])
				fprintf(f,
					"p2sgw_dataplane_moderator_rests_total{worker=\"%u\","
					"reader=\"%s\"} %llu\n",
					i, tunnel_name((enum tunnel_proto)p),
					(unsigned long long)l->s[p][i].rests);
}

static void dataplane(FILE *f, const struct core *g)
{
	head(f, "p2sgw_dataplane_workers", "gauge",
	     "Data-plane worker threads (dataPlane.workers)");
	fprintf(f, "p2sgw_dataplane_workers %u\n", dplane_count());
	head(f, "p2sgw_dataplane_handoff_drops_total", "counter",
	     "Packets a data-plane worker could not hand to the main loop (its ring was full)");
	fprintf(f, "p2sgw_dataplane_handoff_drops_total %llu\n",
		(unsigned long long)dplane_ring_dropped());
	head(f, "p2sgw_dataplane_pauses_total", "counter",
	     "Times the main loop parked every data-plane worker (lanes changed, streams freed)");
	fprintf(f, "p2sgw_dataplane_pauses_total %llu\n", (unsigned long long)dplane_pauses());
	head(f, "p2sgw_dataplane_cross_worker_packets_total", "counter",
	     "Data packets handled by a worker that does not own their session");
	fprintf(f, "p2sgw_dataplane_cross_worker_packets_total %llu\n",
		(unsigned long long)core_cross_worker_total(g));
	static struct dp_slots d; /* the main loop's alone: kept off its stack */
	static struct dp_lanes l;
	dp_slots(g, &d);
	dp_lanes(g, &l);
	dataplane_fwd(f, &d);
	dataplane_tun(f, g);
	dataplane_rests(f, &d, &l);
	dataplane_lanes(f, &l);
}

/* The allocated figure is what tells a leak (it grows with the same load)
 * from fragmentation (RSS grows, allocated does not). mallinfo2 walks the
 * free lists under each arena's lock: fine once a scrape, not per packet. */
void metrics_heap(FILE *f)
{
	struct mallinfo2 m = mallinfo2();
	head(f, "p2sgw_heap_bytes", "gauge",
	     "Heap of the network process: allocated and not freed, and held free by the "
	     "allocator");
	fprintf(f, "p2sgw_heap_bytes{state=\"allocated\"} %zu\n", m.uordblks + m.hblkhd);
	fprintf(f, "p2sgw_heap_bytes{state=\"free\"} %zu\n", m.fordblks);
}

char *mgmt_metrics_render(struct core *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	connections(f, g);
	traffic(f, g);
	auth(f, &g->stats);
	radius(f, &g->stats);
	pools(f, g);
	rules(f, g);
	dataplane(f, g);
	metrics_heap(f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
