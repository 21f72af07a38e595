/* A session's life in the core, whatever its protocol: new -> admitted
 * (address leased within the tunnel's cap) -> up (accounting Start,
 * Interim-Update and Session-Timeout timers) -> end (once: Stop, lease
 * back, one log line) -> free. */
#define LOG_MODULE "session"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/radius.h"
#include "core/dplane.h"
#include "core/gateway.h"
#include "tunnel/dhcp.h"
#include "tunnel/nd.h"
#include "lib/err.h"
#include "lib/log.h"

struct ev_loop *core_loop(struct core *c)
{
	return c->loop;
}

const struct gw_conf *core_conf(const struct core *c)
{
	return c->conf;
}

bool core_stopping(const struct core *c)
{
	return c->stopping;
}

unsigned core_connection_cap(const struct core *g, enum tunnel_proto p)
{
	const struct sku_info *sku = sku_lookup(g->conf->sku);
	if (p == TUNNEL_SSTP)
		return sku ? sku->sstp_max : 0;
	unsigned cap = sku ? sku->ikev2_openvpn_max : 0;
	if (g->conf->max_connections && g->conf->max_connections < cap)
		cap = g->conf->max_connections;
	return cap;
}

/* IKEv2 and OpenVPN share the SKU's cap; SSTP has its own. */
unsigned core_admitted(const struct core *g, enum tunnel_proto p)
{
	if (p == TUNNEL_SSTP)
		return g->reg.admitted[TUNNEL_SSTP];
	return g->reg.admitted[TUNNEL_OPENVPN] + g->reg.admitted[TUNNEL_IKEV2];
}

bool core_has_room(struct session *s, const char **why)
{
	struct core *g = s->core;
	enum tunnel_proto p = s->ops->proto;
	if (s->admitted || core_admitted(g, p) < core_connection_cap(g, p))
		return true;
	*why = p == TUNNEL_SSTP ? "the gateway's SSTP connection limit is reached"
				: "the gateway's IKEv2/OpenVPN connection limit is reached";
	return false;
}

int core_admit(struct session *s, uint32_t want, int conn, const char **why)
{
	struct core *g = s->core;
	enum tunnel_proto p = s->ops->proto;
	if (s->admitted)
		return 0;
	if (!core_has_room(s, why))
		return P2S_E_FULL;
	if (want && pool_owner(&g->pool, want)) {
		*why = "the address RADIUS assigned is in use";
		return P2S_E_FULL;
	}
	bool in_conn = conn >= 0 && (size_t)conn < g->n_conn;
	size_t first = in_conn ? g->conn_first[conn] : 0;
	size_t n = in_conn ? g->conn_n[conn] : g->conf->pools.n;
	if (pool_lease_in(&g->pool, s, want, first, n, &s->addr, &s->pool_range) < 0) {
		*why = "the client address pool is exhausted";
		return P2S_E_FULL;
	}
	s->admitted = true;
	g->reg.admitted[p]++;
	core_admit6(s, conn);
	core_acl_attach(s);
	core_session_steer(s);
	return 0;
}

static void release(struct session *s)
{
	if (!s->admitted)
		return;
	core_steer4(s, false);
	pool_release(&s->core->pool, s->addr, s);
	core_release6(s);
	s->core->reg.admitted[s->ops->proto]--;
	s->admitted = false;
}

struct session *core_session_new(struct core *c, const struct session_ops *ops, void *proto,
				 const union sockaddr_any *peer)
{
	struct session *s = session_new(&c->reg, ops, proto);
	if (!s)
		return NULL;
	s->core = c;
	s->auth_ctx = &c->auth;
	s->peer = *peer;
	c->stats.handshakes[ops->proto]++;
	return s;
}

static bool accounted(const struct session *s)
{
	return s->auth_type == AUTH_RADIUS && s->core->radius;
}

static void account(struct session *s, uint32_t status, uint32_t cause)
{
	if (!accounted(s))
		return;
	char peer[64];
	sockaddr_str(&s->peer, peer, sizeof(peer));
	struct radius_acct a = {.status_type = status,
				.user = s->user,
				.session_id = s->id,
				.calling_station = peer,
				.framed_ip = s->addr,
				.class_ = s->rad_class,
				.class_len = s->rad_class_len,
				.in_octets = s->ctr.bytes_in,
				.out_octets = s->ctr.bytes_out,
				.in_packets = s->ctr.pkts_in,
				.out_packets = s->ctr.pkts_out,
				.session_time = (uint32_t)(time(NULL) - s->started),
				.terminate_cause = cause};
	radius_account(s->core->radius, &a);
}

/* Seconds to the next Interim-Update or the Session-Timeout, 0: none. */
static double next_tick(const struct session *s, double now)
{
	uint32_t every = accounted(s) ? s->core->conf->radius_acct_interval_sec : 0;
	double t = every ? s->next_interim - now : 0;
	if (s->session_timeout) {
		double left = s->up_at + s->session_timeout - now;
		if (!t || left < t)
			t = left;
	}
	return t > 0.001 ? t : (every || s->session_timeout ? 0.001 : 0);
}

static void arm(struct session *s, double now)
{
	double t = next_tick(s, now);
	if (!t)
		return;
	ev_timer_set(&s->timer, t, 0);
	ev_timer_start(s->core->loop, &s->timer);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct session *s = w->data;
	double now = ev_now(loop);
	if (s->session_timeout && now >= s->up_at + s->session_timeout - 0.001) {
		s->ops->disconnect(s, RAD_TERM_SESSION_TIMEOUT, "RADIUS Session-Timeout reached");
		return;
	}
	uint32_t every = s->core->conf->radius_acct_interval_sec;
	if (accounted(s) && every && now >= s->next_interim - 0.001) {
		s->next_interim = now + every;
		account(s, 3, 0);
	}
	arm(s, now);
}

void core_session_up(struct session *s, const char *detail)
{
	if (s->up || s->ended)
		return;
	s->up = true;
	s->up_at = ev_now(s->core->loop);
	s->next_interim = s->up_at + s->core->conf->radius_acct_interval_sec;
	account(s, 1, 0);
	char a[80];
	core_addr_text(s, a, sizeof(a));
	slog_info(s->id, "session up: user \"%s\" address %s%s%s", s->user, a, detail ? " " : "",
		  detail ? detail : "");
	ev_init(&s->timer, timer_cb);
	s->timer.data = s;
	arm(s, s->up_at);
}

void core_session_end(struct session *s, uint32_t cause, const char *reason)
{
	if (s->ended)
		return;
	s->ended = true;
	ev_timer_stop(s->core->loop, &s->timer);
	/* A connection that never became a session was logged by its refusal. */
	log_msg(s->up ? LOG_INFO : LOG_DEBUG, LOG_MODULE, s->id,
		"session closed: %s (user \"%s\", %ld s, in %llu B, out %llu B)", reason, s->user,
		(long)(time(NULL) - s->started), (unsigned long long)s->ctr.bytes_in,
		(unsigned long long)s->ctr.bytes_out);
	/* Only now: the reason may be the pending request's own refusal text
	 * (a RADIUS reject ends the session from inside its callback). */
	auth_cancel(s);
	if (s->up)
		account(s, 2, cause);
	release(s);
	/* The gateway's totals stay monotonic when sessions go. */
	struct stats *st = &s->core->stats;
	st->bytes_in_closed += s->ctr.bytes_in;
	st->bytes_out_closed += s->ctr.bytes_out;
	st->pkts_in_closed += s->ctr.pkts_in;
	st->pkts_out_closed += s->ctr.pkts_out;
	st->cross_worker_closed += s->ctr.cross_worker;
}

void core_session_free(struct session *s)
{
	if (!s)
		return;
	core_session_end(s, RAD_TERM_NAS_REQUEST, "freed");
	session_free(&s->core->reg, s);
}

void core_session_moved(struct session *s, const union sockaddr_any *peer)
{
	char a[64], b[64];
	sockaddr_str(&s->peer, a, sizeof(a));
	sockaddr_str(peer, b, sizeof(b));
	slog_info(s->id, "client moved from %s to %s", a, b);
	s->peer = *peer;
}

int core_routes_build(struct core *g, const struct gw_conf *c)
{
	size_t n = c->vnet.n + c->routes.n;
	struct prefix4 *r = calloc(n + 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (c->vnet.n) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(r, c->vnet.v, c->vnet.n * sizeof(*r));
	if (c->routes.n)
		memcpy(r + c->vnet.n, c->routes.v, c->routes.n * sizeof(*r));
	free(g->routes);
	g->routes = r;
	g->n_routes = n;
	int k = c->dns_suffixes ? dns_names_split(c->dns_suffixes, g->suffixes, DNS_NAMES_MAX) : 0;
	g->n_suffixes = k > 0 ? (size_t)k : 0; /* validated: never negative here */
	return 0;
}

int session_net(const struct session *s, struct session_net *out)
{
	const struct core *g = s->core;
	if (!s->admitted)
		return P2S_E_PROTO;
	*out = (struct session_net){
		.addr = s->addr,
		.gateway = pool_gateway(&g->pool, s->pool_range),
		.prefix_len = g->pool.ranges[s->pool_range].prefix.len,
		.routes = g->routes,
		.n_routes = g->n_routes,
		.dns = g->conf->dns_servers.v,
		.n_dns = g->conf->dns_servers.n,
		.suffixes = (const char(*)[DNS_NAME_MAX])g->suffixes,
		.n_suffixes = g->n_suffixes,
	};
	session_net6(s, out);
	return 0;
}

/* IPv4 UDP to port 67: the only packets worth a DHCP parse. */
static bool to_dhcp_server(const uint8_t *pkt, size_t len)
{
	size_t ihl = len >= 20 ? (size_t)(pkt[0] & 15) * 4 : 0;
	return ihl >= 20 && len >= ihl + 4 && pkt[0] >> 4 == 4 && pkt[9] == 17 &&
	       pkt[ihl + 2] == 0 && pkt[ihl + 3] == 67;
}

/* A DHCPINFORM from the client's own address: answered here with its routes,
 * DNS servers and domain (Windows routes only by that), not forwarded. */
static bool dhcp_answered(struct session *s, const uint8_t *pkt, size_t len)
{
	struct dhcp_inform in;
	struct session_net net;
	if (!s->addr || dhcp_inform_parse(pkt, len, &in) != 1 || in.ciaddr != s->addr ||
	    session_net(s, &net) < 0)
		return false;
	/* Answer from where it was sent (inside the client's selectors), or from
	 * the gateway's pool address for a broadcast. */
	bool bcast = in.dst == 0xffffffffu || in.dst == 0;
	struct dhcp_answer a = {.server = bcast ? net.gateway : in.dst,
				.router = net.gateway,
				.routes = net.routes,
				.n_routes = net.n_routes,
				.dns = net.dns,
				.n_dns = net.n_dns,
				.domain = net.n_suffixes ? net.suffixes[0] : NULL,
				.search = net.suffixes,
				.n_search = net.n_suffixes};
	uint8_t out[1500];
	size_t n = dhcp_ack_build(&in, &a, out, sizeof(out));
	if (n) {
		slog_debug(s->id, "DHCPINFORM answered: %zu route(s), %zu DNS server(s)",
			   net.n_routes, net.n_dns);
		s->ops->send_ip(s, out, n);
	}
	return true;
}

/* A Router Solicitation from a client that autoconfigures (SSTP, after
 * IPV6CP) and has an IPv6 address: answered with its /64 and the IPv6
 * routes, never forwarded. Others are left to the forwarder, which drops
 * them. */
static bool rs_answered(struct session *s, const uint8_t *pkt, size_t len)
{
	struct in6_addr src;
	struct session_net net;
	if (!s->ops->slaac || len < 41 || pkt[0] >> 4 != 6 || nd_rs_parse(pkt, len, &src) != 1 ||
	    session_net(s, &net) < 0 || !net.has_v6)
		return false;
	static const struct in6_addr unspecified, all_nodes = {.s6_addr = {0xff, 0x02, [15] = 1}};
	struct nd_ra a = {.addr = net.addr6, .routes = net.routes6, .n_routes = net.n_routes6};
	uint8_t client_iid[ND_IID_LEN], out[1280];
	nd_iids(&net.gateway6, &net.addr6, a.gw_iid, client_iid);
	a.dst = src;
	if (memcmp(&src, &unspecified, sizeof(src)) == 0)
		a.dst = all_nodes;
	size_t n = nd_ra_build(&a, out, sizeof(out));
	if (n) {
		slog_debug(s->id, "Router Solicitation answered: %zu IPv6 route(s)", net.n_routes6);
		s->ops->send_ip(s, out, n);
	}
	return true;
}

int core_fwd_from_session(struct session *s, const uint8_t *pkt, size_t len)
{
	if (to_dhcp_server(pkt, len) && dhcp_answered(s, pkt, len))
		return 0;
	if (rs_answered(s, pkt, len))
		return 0;
	return fwd_from_session(dplane_fwd(&s->core->fwd), s, pkt, len);
}
