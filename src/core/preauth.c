/* Limits on unauthenticated work: TCP connections from accept until their
 * session is admitted, and half-open sessions (a UDP client past the
 * cookie). Counted globally and per source address in a keyed hash table,
 * apart from maxClientConnections, so a flood from one or many addresses is
 * refused cheaply while admitted users and new real clients go on. */
#define LOG_MODULE "limits"

#include <stdlib.h>
#include <string.h>

#include "core/gateway.h"
#include "lib/log.h"
#include "lib/siphash.h"
#include "lib/random.h"

struct preauth_src {
	union sockaddr_any addr; /* port zero: counted per address */
	unsigned n;
	struct preauth_src *next;
};

static size_t addr_key(const union sockaddr_any *a, uint8_t out[16])
{
	if (a->sa.sa_family == AF_INET6) {
		memcpy(out, &a->in6.sin6_addr, 16);
		return 16;
	}
	memcpy(out, &a->in.sin_addr, 4);
	return 4;
}

static size_t bucket_of(const struct preauth *p, const union sockaddr_any *a)
{
	uint8_t k[16];
	size_t n = addr_key(a, k);
	return siphash24(p->key, k, n) % PREAUTH_BUCKETS;
}

static bool same_addr(const union sockaddr_any *a, const union sockaddr_any *b)
{
	uint8_t x[16], y[16];
	size_t n = addr_key(a, x);
	return a->sa.sa_family == b->sa.sa_family && n == addr_key(b, y) && memcmp(x, y, n) == 0;
}

static struct preauth_src **find(struct preauth *p, const union sockaddr_any *a)
{
	struct preauth_src **e = &p->buckets[bucket_of(p, a)];
	while (*e && !same_addr(&(*e)->addr, a))
		e = &(*e)->next;
	return e;
}

void preauth_init(struct preauth *p)
{
	memset(p, 0, sizeof(*p));
	p2s_random(p->key, sizeof(p->key));
}

void preauth_free(struct preauth *p)
{
	for (size_t i = 0; i < PREAUTH_BUCKETS; i++)
		while (p->buckets[i]) {
			struct preauth_src *e = p->buckets[i];
			p->buckets[i] = e->next;
			free(e);
		}
}

/* Rate-limited: one line per 5 s with the count refused since. */
static void refused(struct core *g, const union sockaddr_any *a, const char *which)
{
	struct preauth *p = &g->preauth;
	double now = ev_now(g->loop);
	p->refused++;
	if (now - p->last_warn < 5.0)
		return;
	p->last_warn = now;
	char s[64];
	sockaddr_str(a, s, sizeof(s));
	log_warn("refusing unauthenticated work from %s: the %s limit is reached (%lu refused so "
		 "far)",
		 s, which, p->refused);
}

bool core_preauth_get(struct core *g, const union sockaddr_any *a)
{
	struct preauth *p = &g->preauth;
	const struct gw_conf *c = g->conf;
	if (p->total >= c->preauth_max) {
		refused(g, a, "global unauthenticated-connection");
		return false;
	}
	struct preauth_src **e = find(p, a);
	if (*e && (*e)->n >= c->preauth_per_source) {
		refused(g, a, "per-source unauthenticated-connection");
		return false;
	}
	if (!*e) {
		*e = calloc(1, sizeof(**e));
		if (!*e)
			return false;
		(*e)->addr = *a;
	}
	(*e)->n++;
	p->total++;
	return true;
}

void core_preauth_put(struct core *g, const union sockaddr_any *a)
{
	struct preauth *p = &g->preauth;
	struct preauth_src **e = find(p, a);
	if (!*e || !(*e)->n)
		return;
	p->total--;
	if (--(*e)->n == 0) {
		struct preauth_src *gone = *e;
		*e = gone->next;
		free(gone);
	}
}

unsigned core_preauth_count(const struct core *g)
{
	return g->preauth.total;
}
