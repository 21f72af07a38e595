/* Gateway-wide counters for operating the gateway: refusals by reason,
 * handshakes, RADIUS round trips per server, a ring of recent refusals and
 * one of per-minute samples. The core owns one instance and hands a pointer
 * to the services that count (the authentication service, the RADIUS
 * client); nothing here is global. Every update is a few integer stores. */
#ifndef P2S_STATS_H
#define P2S_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STATS_REASONS	     32 /* distinct refusal reasons kept; more count as "other" */
#define STATS_REASON_LEN     64
#define STATS_RADIUS_SERVERS 4
#define STATS_RTT_BUCKETS    8
#define STATS_RECENT	     32
#define STATS_MINUTES	     60

/* Upper bounds (seconds) of the RADIUS round-trip histogram; +Inf follows. */
extern const double stats_rtt_bounds[STATS_RTT_BUCKETS];

struct stats_reason {
	char label[STATS_REASON_LEN];
	uint64_t count;
};

struct stats_radius {
	char server[64];
	uint64_t buckets[STATS_RTT_BUCKETS]; /* not cumulative; the renderer sums */
	uint64_t count, timeouts;
	double sum;
};

struct stats_refusal {
	time_t when;
	char proto[16];
	char session[64];
	char user[64];
	char reason[160];
};

/* One minute of the gateway: connections at its end, bytes during it. */
struct stats_minute {
	time_t start;
	uint32_t connections;
	uint64_t bytes_in, bytes_out;
};

struct stats {
	uint64_t handshakes[4]; /* per tunnel protocol: authentication attempts */
	uint64_t refused_total;
	struct stats_reason reasons[STATS_REASONS];
	size_t n_reasons;
	struct stats_radius radius[STATS_RADIUS_SERVERS];
	size_t n_radius;
	struct stats_refusal recent[STATS_RECENT]; /* ring, newest at recent_at - 1 */
	size_t recent_at, n_recent;
	struct stats_minute minutes[STATS_MINUTES]; /* ring, newest at minute_at - 1 */
	size_t minute_at, n_minutes;
	uint64_t bytes_in_closed, bytes_out_closed; /* from sessions that ended */
	uint64_t pkts_in_closed, pkts_out_closed;
	uint64_t cross_worker_closed;
};

/* The label a refusal is counted under: the reason up to its first colon or
 * quote, so user names and server texts do not multiply the series. */
void stats_reason_label(const char *why, char *out, size_t cap);
/* A refusal (all arguments may be NULL). */
void stats_refusal(struct stats *st, time_t now, const char *proto, const char *session,
		   const char *user, const char *why);
void stats_radius_rtt(struct stats *st, const char *server, double seconds);
void stats_radius_timeout(struct stats *st, const char *server);
/* Appends a finished minute to the ring. */
void stats_minute_push(struct stats *st, const struct stats_minute *m);
/* The i-th newest recent refusal / minute (0 = newest), NULL past the end. */
const struct stats_refusal *stats_recent(const struct stats *st, size_t i);
const struct stats_minute *stats_minute(const struct stats *st, size_t i);

#endif
