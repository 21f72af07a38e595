/* IPv6 inside the tunnel, the core's side: the IPv6 pool of ranges (the
 * main pool's IPv6 prefix first, then each client connection
 * configuration's), the gateway's ::1 addresses on the TUN, a session's
 * IPv6 lease next to its IPv4 one, what session_net() hands the client,
 * and how a reload carries IPv6 leases over. */
#define LOG_MODULE "gateway"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "core/dplane.h"
#include "core/gateway.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "tunnel/tun.h"

bool core_has_addr6(const struct session *s)
{
	static const struct in6_addr none;
	return memcmp(&s->addr6, &none, sizeof(none)) != 0;
}

int core_pools6_build(struct core *g, const struct gw_conf *c, struct pool6 *out)
{
	size_t nc = c->client_connections.n, total = c->pools6.n;
	for (size_t k = 0; k < nc; k++)
		total += c->client_connections.v[k].pool6.n;
	struct prefix6 *all = calloc(total + 1, sizeof(*all));
	size_t *first = calloc(nc + 1, sizeof(size_t));
	size_t *cnt = calloc(nc + 1, sizeof(size_t));
	int r = all && first && cnt ? 0 : -ENOMEM;
	size_t at = c->pools6.n;
	if (r == 0 && c->pools6.n) /* most gateways have no IPv6 pool */
		memcpy(all, c->pools6.v, c->pools6.n * sizeof(*all));
	for (size_t k = 0; r == 0 && k < nc; k++) {
		const struct prefix6_list *pl = &c->client_connections.v[k].pool6;
		first[k] = at;
		cnt[k] = pl->n;
		if (pl->n)
			memcpy(all + at, pl->v, pl->n * sizeof(*all));
		at += pl->n;
	}
	if (r == 0)
		r = pool6_init(out, all, total);
	free(all);
	if (r < 0) {
		free(first);
		free(cnt);
		return r;
	}
	free(g->conn6_first);
	free(g->conn6_n);
	g->conn6_first = first;
	g->conn6_n = cnt;
	g->main6_n = c->pools6.n;
	return 0;
}

void core_pools6_free(struct core *g)
{
	free(g->conn6_first);
	free(g->conn6_n);
	free(g->routes6);
	pool6_free(&g->pool6);
}

static bool has_gateway6(const struct pool6 *p, const struct in6_addr *gw, uint8_t len)
{
	for (size_t i = 0; p && i < p->n; i++) {
		struct in6_addr a;
		pool6_gateway(p, i, &a);
		if (memcmp(&a, gw, sizeof(a)) == 0 && p->ranges[i].prefix.len == len)
			return true;
	}
	return false;
}

static void warn_no_forwarding(void)
{
	char *fw = file_read_all("/proc/sys/net/ipv6/conf/all/forwarding");
	if (fw && fw[0] == '0')
		log_warn("IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0): clients' "
			 "IPv6 packets will not reach the virtual network");
	free(fw);
}

int core_tun_address6(struct core *g, const struct pool6 *now, const struct pool6 *before)
{
	for (size_t i = 0; before && i < before->n; i++) {
		struct in6_addr a;
		pool6_gateway(before, i, &a);
		if (!has_gateway6(now, &a, before->ranges[i].prefix.len))
			tun_addr6_del(g->tun_ifindex, &a, before->ranges[i].prefix.len);
	}
	for (size_t i = 0; i < now->n; i++) {
		struct in6_addr a;
		char s[INET6_ADDRSTRLEN];
		pool6_gateway(now, i, &a);
		int r = tun_addr6_add(g->tun_ifindex, &a, now->ranges[i].prefix.len);
		if (r < 0) {
			log_err("cannot give %s its IPv6 address: %s", g->conf->tun_name,
				p2s_strerror(r));
			return r;
		}
		if (has_gateway6(before, &a, now->ranges[i].prefix.len))
			continue; /* said when it was added */
		inet_ntop(AF_INET6, &a, s, sizeof(s));
		log_info("%s is %s/%u, %u client IPv6 addresses", g->conf->tun_name, s,
			 now->ranges[i].prefix.len, now->ranges[i].count);
	}
	if (now->n && !before)
		warn_no_forwarding();
	return 0;
}

int core_routes6_build(struct core *g, const struct gw_conf *c)
{
	size_t n = c->vnet6.n + c->routes6.n;
	struct prefix6 *r = calloc(n + 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (c->vnet6.n) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(r, c->vnet6.v, c->vnet6.n * sizeof(*r));
	if (c->routes6.n)
		memcpy(r + c->vnet6.n, c->routes6.v, c->routes6.n * sizeof(*r));
	free(g->routes6);
	g->routes6 = r;
	g->n_routes6 = n;
	return 0;
}

/* The IPv6 ranges of connection configuration conn (-1: the main pool). */
static void ranges6(const struct core *g, int conn, size_t *first, size_t *n)
{
	bool in_conn = conn >= 0 && (size_t)conn < g->n_conn;
	*first = in_conn ? g->conn6_first[conn] : 0;
	*n = in_conn ? g->conn6_n[conn] : g->main6_n;
}

void core_admit6(struct session *s, int conn)
{
	struct core *g = s->core;
	size_t first, n;
	ranges6(g, conn, &first, &n);
	memset(&s->addr6, 0, sizeof(s->addr6));
	if (n == 0)
		return;
	if (pool6_lease_in(&g->pool6, s, NULL, first, n, &s->addr6, &s->pool6_range) < 0) {
		memset(&s->addr6, 0, sizeof(s->addr6));
		slog_warn(s->id, "the IPv6 client address pool is exhausted: IPv4 only");
	}
}

void core_release6(struct session *s)
{
	core_steer6(s, false);
	if (core_has_addr6(s))
		pool6_release(&s->core->pool6, &s->addr6, s);
	memset(&s->addr6, 0, sizeof(s->addr6));
}

/* A family the client does not take goes back now: the pool counts it
 * free and session list shows no address it cannot use. Admission (the
 * connection cap) is unchanged. */
void core_session_families(struct session *s, bool v4, bool v6)
{
	if (!s->admitted)
		return;
	if (!v6 && core_has_addr6(s)) {
		core_release6(s);
		slog_debug(s->id, "IPv6 address released: the client did not ask for one");
	}
	if (!v4 && s->addr) {
		core_steer4(s, false);
		pool_release(&s->core->pool, s->addr, s);
		s->addr = 0;
		slog_debug(s->id, "IPv4 address released: the client did not ask for one");
	}
}

void core_addr_text(const struct session *s, char *out, size_t cap)
{
	char a[16] = "", a6[INET6_ADDRSTRLEN] = "";
	if (s->addr || !core_has_addr6(s))
		ip4_str(s->addr, a);
	if (core_has_addr6(s))
		inet_ntop(AF_INET6, &s->addr6, a6, sizeof(a6));
	snprintf(out, cap, "%s%s%s", a, a[0] && a6[0] ? " " : "", a6);
}

void session_net6(const struct session *s, struct session_net *out)
{
	const struct core *g = s->core;
	out->has_v6 = core_has_addr6(s);
	if (!out->has_v6)
		return;
	out->addr6 = s->addr6;
	pool6_gateway(&g->pool6, s->pool6_range, &out->gateway6);
	out->prefix6_len = g->pool6.ranges[s->pool6_range].prefix.len;
	out->routes6 = g->routes6;
	out->n_routes6 = g->n_routes6;
	out->dns6 = g->conf->dns_servers6.v;
	out->n_dns6 = g->conf->dns_servers6.n;
}

/* Keeps s's IPv6 address in the new pool np, within the ranges of its
 * group's connection configuration there; false when it cannot stay (the
 * client has it configured: it must reconnect to learn the new one). */
bool core_pools6_transfer(struct core *g, struct pool6 *np, struct session *s, int conn, char *why,
			  size_t cap)
{
	if (!core_has_addr6(s))
		return true; /* IPv4 only: it learns of new IPv6 pools on reconnect */
	size_t first, cnt, range = 0;
	ranges6(g, conn, &first, &cnt);
	struct in6_addr got = {0};
	if (pool6_lease_in(np, s, &s->addr6, first, cnt, &got, &range) == 0 &&
	    memcmp(&got, &s->addr6, sizeof(got)) == 0) {
		s->pool6_range = range;
		return true;
	}
	if (cnt)
		pool6_release(np, &got, s);
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &s->addr6, a, sizeof(a));
	snprintf(why, cap, "its IPv6 address %s is outside the new pool of %s%s", a,
		 s->group[0] ? "group " : "the gateway", s->group);
	return false;
}

void core_pools6_apply(struct core *g, struct pool6 *np)
{
	core_tun_address6(g, np, &g->pool6);
	pool6_free(&g->pool6);
	g->pool6 = *np;
	g->fwd.pool6 = &g->pool6;
	dplane_fwd_sync(&g->fwd);
}
