#include "stats.h"

#include <stdio.h>
#include <string.h>

const double stats_rtt_bounds[STATS_RTT_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0};

void stats_reason_label(const char *why, char *out, size_t cap)
{
	if (!cap)
		return;
	size_t n = why ? strcspn(why, ":\"(") : 0;
	while (n && why[n - 1] == ' ')
		n--;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(out, why, n);
	out[n] = 0;
	if (!n)
		snprintf(out, cap, "unspecified");
}

static struct stats_reason *reason_slot(struct stats *st, const char *label)
{
	for (size_t i = 0; i < st->n_reasons; i++)
		if (strcmp(st->reasons[i].label, label) == 0)
			return &st->reasons[i];
	if (st->n_reasons < STATS_REASONS - 1) {
		struct stats_reason *r = &st->reasons[st->n_reasons++];
		snprintf(r->label, sizeof(r->label), "%s", label);
		return r;
	}
	/* The last slot collects whatever does not fit. */
	struct stats_reason *r = &st->reasons[STATS_REASONS - 1];
	if (!r->label[0]) {
		snprintf(r->label, sizeof(r->label), "other");
		st->n_reasons = STATS_REASONS;
	}
	return r;
}

void stats_refusal(struct stats *st, time_t now, const char *proto, const char *session,
		   const char *user, const char *why)
{
	if (!st)
		return;
	char label[STATS_REASON_LEN];
	stats_reason_label(why, label, sizeof(label));
	reason_slot(st, label)->count++;
	st->refused_total++;
	struct stats_refusal *r = &st->recent[st->recent_at];
	st->recent_at = (st->recent_at + 1) % STATS_RECENT;
	if (st->n_recent < STATS_RECENT)
		st->n_recent++;
	r->when = now;
	snprintf(r->proto, sizeof(r->proto), "%s", proto ? proto : "");
	snprintf(r->session, sizeof(r->session), "%s", session ? session : "");
	snprintf(r->user, sizeof(r->user), "%s", user ? user : "");
	snprintf(r->reason, sizeof(r->reason), "%s", why ? why : "");
}

static struct stats_radius *radius_slot(struct stats *st, const char *server)
{
	const char *name = server ? server : "unknown";
	for (size_t i = 0; i < st->n_radius; i++)
		if (strcmp(st->radius[i].server, name) == 0)
			return &st->radius[i];
	if (st->n_radius == STATS_RADIUS_SERVERS)
		return NULL; /* more servers than a configuration allows */
	struct stats_radius *r = &st->radius[st->n_radius++];
	snprintf(r->server, sizeof(r->server), "%s", name);
	return r;
}

void stats_radius_rtt(struct stats *st, const char *server, double seconds)
{
	struct stats_radius *r = st ? radius_slot(st, server) : NULL;
	if (!r)
		return;
	size_t b = 0;
	while (b < STATS_RTT_BUCKETS && seconds > stats_rtt_bounds[b])
		b++;
	if (b < STATS_RTT_BUCKETS)
		r->buckets[b]++;
	r->count++;
	r->sum += seconds;
}

void stats_radius_timeout(struct stats *st, const char *server)
{
	struct stats_radius *r = st ? radius_slot(st, server) : NULL;
	if (r)
		r->timeouts++;
}

void stats_minute_push(struct stats *st, const struct stats_minute *m)
{
	st->minutes[st->minute_at] = *m;
	st->minute_at = (st->minute_at + 1) % STATS_MINUTES;
	if (st->n_minutes < STATS_MINUTES)
		st->n_minutes++;
}

const struct stats_refusal *stats_recent(const struct stats *st, size_t i)
{
	if (i >= st->n_recent)
		return NULL;
	return &st->recent[(st->recent_at + STATS_RECENT - 1 - i) % STATS_RECENT];
}

const struct stats_minute *stats_minute(const struct stats *st, size_t i)
{
	if (i >= st->n_minutes)
		return NULL;
	return &st->minutes[(st->minute_at + STATS_MINUTES - 1 - i) % STATS_MINUTES];
}
