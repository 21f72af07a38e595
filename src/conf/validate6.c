/* IPv6 inside the tunnel: the rules for the IPv6 prefixes that
 * vpnClientAddressPool, virtualNetwork and customRoutes may hold beside
 * their IPv4 ones. Dual stack only: an IPv6 pool comes with an IPv4 one. */
#include <stdio.h>
#include <string.h>

#include "conf.h"

#define CC	  "vpnClientConfiguration."
#define POOL_PATH CC "vpnClientAddressPool.addressPrefixes"
#define CONN_POOL CC "vngClientConnectionConfigurations[%zu].vpnClientAddressPool.addressPrefixes"
#define VNET_PATH "virtualNetwork.addressSpace"
#define ROUTES	  "customRoutes.addressPrefixes"

/* A pool is a /64 (what SLAAC-minded clients expect) down to a /120 (256
 * addresses); the pool leases from the low end of the prefix either way. */
#define POOL6_MIN_LEN 64
#define POOL6_MAX_LEN 120

struct ref6 {
	const struct prefix6 *p;
	char path[200];
};

/* Every IPv6 prefix of the configuration, pools first, with its JSON path. */
struct refs6 {
	struct ref6 v[256];
	size_t n, n_pools;
};

static void add_list(struct refs6 *r, const struct prefix6_list *l, const char *path)
{
	for (size_t i = 0; i < l->n && r->n < 256; i++, r->n++) {
		r->v[r->n].p = &l->v[i];
		snprintf(r->v[r->n].path, sizeof(r->v[r->n].path), "%s[%zu]", path, l->at[i]);
	}
}

static void collect(const struct gw_conf *c, struct refs6 *r)
{
	r->n = 0;
	add_list(r, &c->pools6, POOL_PATH);
	for (size_t k = 0; k < c->client_connections.n; k++) {
		char path[160];
		snprintf(path, sizeof(path), CONN_POOL, k);
		add_list(r, &c->client_connections.v[k].pool6, path);
	}
	r->n_pools = r->n;
	add_list(r, &c->vnet6, VNET_PATH);
	add_list(r, &c->routes6, ROUTES);
}

/* Link-local, multicast and the ::/8 block (loopback, unspecified, mapped)
 * never route through a tunnel. */
static bool unicast6(const struct prefix6 *p)
{
	const uint8_t *a = p->addr.s6_addr;
	if (p->len < 8 || a[0] == 0x00 || a[0] == 0xff)
		return false;
	return !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

/* One pool: at most one IPv6 prefix, only beside IPv4 ones. */
static void check_pool_shape(const struct prefix_list *v4, const struct prefix6_list *v6,
			     const char *path, struct conf_errors *e)
{
	char p[200];
	if (v6->n > 1) {
		snprintf(p, sizeof(p), "%s[%zu]", path, v6->at[1]);
		conf_errors_add(e, p, "a pool takes at most one IPv6 prefix");
	}
	if (v6->n && !v4->n) {
		snprintf(p, sizeof(p), "%s[%zu]", path, v6->at[0]);
		conf_errors_add(e, p, "an IPv6 prefix needs an IPv4 one beside it (dual stack)");
	}
}

static void check_one(const struct ref6 *r, bool pool, struct conf_errors *e)
{
	if (!unicast6(r->p))
		conf_errors_add(e, r->path,
				"must be a unicast prefix (not link-local, multicast or "
				"in ::/8), no shorter than /8");
	if (pool && (r->p->len < POOL6_MIN_LEN || r->p->len > POOL6_MAX_LEN))
		conf_errors_add(e, r->path, "an IPv6 pool must be /%u to /%u, not /%u",
				POOL6_MIN_LEN, POOL6_MAX_LEN, r->p->len);
}

/* Pools overlap nothing; routes may overlap each other (a vnet prefix may
 * also be a custom route), as for IPv4. */
static void check_overlaps(const struct refs6 *r, struct conf_errors *e)
{
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < i; j++)
			if ((i < r->n_pools || j < r->n_pools) &&
			    prefix6_overlap(r->v[i].p, r->v[j].p))
				conf_errors_add(e, r->v[i].path, "overlaps %s", r->v[j].path);
}

static bool basic_sku(const struct gw_conf *c)
{
	const struct sku_info *s = sku_lookup(c->sku);
	return s && strcmp(s->name, "Basic") == 0;
}

void conf_validate6(const struct gw_conf *c, struct conf_errors *e)
{
	struct refs6 r;
	collect(c, &r);
	if (basic_sku(c)) {
		for (size_t i = 0; i < r.n; i++)
			conf_errors_add(e, r.v[i].path, "the Basic SKU does not support IPv6");
		return;
	}
	check_pool_shape(&c->pools, &c->pools6, POOL_PATH, e);
	for (size_t k = 0; k < c->client_connections.n; k++) {
		char path[160];
		snprintf(path, sizeof(path), CONN_POOL, k);
		check_pool_shape(&c->client_connections.v[k].pool,
				 &c->client_connections.v[k].pool6, path, e);
	}
	for (size_t i = 0; i < r.n; i++)
		check_one(&r.v[i], i < r.n_pools, e);
	check_overlaps(&r, e);
	if (r.n > r.n_pools && r.n_pools == 0)
		conf_warn_add(e, VNET_PATH,
			      "IPv6 prefixes are routed only to clients with an IPv6 address: "
			      "add an IPv6 prefix to the client address pool");
}
