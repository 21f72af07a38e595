/* The client address pools as one pool of ranges: the main pool's prefixes
 * first, then each client connection configuration's, and the TUN device's
 * gateway addresses that go with them. */
#define LOG_MODULE "gateway"

#include <stdlib.h>
#include <string.h>

#include "core/gateway.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tunnel/tun.h"

int core_pools_build(struct core *g, const struct gw_conf *c, struct pool *out)
{
	size_t total = c->pools.n;
	for (size_t k = 0; k < c->client_connections.n; k++)
		total += c->client_connections.v[k].pool.n;
	struct prefix4 *all = calloc(total + 1, sizeof(*all));
	size_t n_conn = c->client_connections.n;
	size_t *first = calloc(n_conn + 1, sizeof(size_t));
	size_t *cnt = calloc(n_conn + 1, sizeof(size_t));
	int r = all && first && cnt ? 0 : -ENOMEM;
	size_t at = c->pools.n;
	if (r == 0 && c->pools.n) /* none when point-to-site is removed */
		memcpy(all, c->pools.v, c->pools.n * sizeof(*all));
	for (size_t k = 0; r == 0 && k < n_conn; k++) {
		const struct prefix_list *pl = &c->client_connections.v[k].pool;
		first[k] = at;
		cnt[k] = pl->n;
		if (pl->n)
			memcpy(all + at, pl->v, pl->n * sizeof(*all));
		at += pl->n;
	}
	if (r == 0)
		r = pool_init(out, all, total);
	free(all);
	if (r < 0) {
		free(first);
		free(cnt);
		return r;
	}
	free(g->conn_first);
	free(g->conn_n);
	g->conn_first = first;
	g->conn_n = cnt;
	g->n_conn = n_conn;
	return 0;
}

static bool has_gateway(const struct pool *p, uint32_t gw, uint8_t len)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (pool_gateway(p, i) == gw && p->ranges[i].prefix.len == len)
			return true;
	return false;
}

/* The TUN carries each range's gateway address; old ones not kept go. */
int core_tun_address(struct core *g, const struct pool *now, const struct pool *before)
{
	for (size_t i = 0; before && i < before->n; i++) {
		uint32_t a = pool_gateway(before, i);
		uint8_t len = before->ranges[i].prefix.len;
		if (!has_gateway(now, a, len))
			tun_addr_del(g->tun_ifindex, a, len);
	}
	for (size_t i = 0; i < now->n; i++) {
		int r = tun_addr_add(g->tun_ifindex, pool_gateway(now, i),
				     now->ranges[i].prefix.len);
		if (r < 0) {
			log_err("cannot address %s: %s", g->conf->tun_name, p2s_strerror(r));
			return r;
		}
	}
	return 0;
}
