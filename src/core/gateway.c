#define LOG_MODULE "gateway"

#include "gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/jwks_fetch.h"
#include "auth/token.h"
#include "core/ctl.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "pki/pki.h"
#include "proto/openvpn/engine.h"
#include "tunnel/tun.h"

/* Azure's point-to-site TLS policy, exactly: four ECDHE-RSA suites for TLS 1.2 and two
 * TLS 1.3 suites, nothing older than TLS 1.2. */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"                                 \
	"ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/* Certificates alone: required. With RADIUS or AAD too: asked for, any one
 * may do. Without Certificate: not asked for. */
static enum cert_mode cert_mode(unsigned auth_types)
{
	if (!(auth_types & AUTH_CERTIFICATE))
		return CERT_NONE;
	return auth_types & (AUTH_RADIUS | AUTH_AAD) ? CERT_OPTIONAL : CERT_REQUIRED;
}

SSL_CTX *gateway_tls_ctx_new(const char *cert_file, const char *key_file, struct cert_auth *a,
			     unsigned auth_types)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	int ok = SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) &&
		 SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) &&
		 SSL_CTX_use_certificate_chain_file(ctx, cert_file) == 1 &&
		 SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) == 1 &&
		 SSL_CTX_check_private_key(ctx) == 1 &&
		 cert_auth_attach(a, ctx, cert_mode(auth_types)) == 0;
	if (!ok) {
		log_err("cannot set up TLS with %s and %s", cert_file, key_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

unsigned gateway_connection_cap(const struct gateway *g)
{
	const struct sku_info *sku = sku_lookup(g->conf->sku);
	unsigned cap = sku ? sku->ikev2_openvpn_max : 0;
	if (g->conf->max_connections && g->conf->max_connections < cap)
		cap = g->conf->max_connections;
	return cap;
}

int gateway_session_admit(struct gateway *g, struct session *s, uint32_t want, int conn,
			  const char **why)
{
	if (g->admitted_ovpn >= gateway_connection_cap(g)) {
		*why = "the gateway's IKEv2/OpenVPN connection limit is reached";
		return P2S_E_FULL;
	}
	if (want && pool_owner(&g->pool, want)) {
		*why = "the address RADIUS assigned is in use";
		return P2S_E_FULL;
	}
	size_t first = conn >= 0 && (size_t)conn < g->n_conn ? g->conn_first[conn] : 0;
	size_t n = conn >= 0 && (size_t)conn < g->n_conn ? g->conn_n[conn] : g->conf->pools.n;
	if (pool_lease_in(&g->pool, s, want, first, n, &s->addr, &s->pool_range) < 0) {
		*why = "the client address pool is exhausted";
		return P2S_E_FULL;
	}
	g->admitted_ovpn++;
	gateway_session_admit6(g, s, conn);
	return 0;
}

/* ---- IPv6 inside the tunnel ------------------------------------------- */

/* An IPv6 address next to the IPv4 one, from the same pool's IPv6 prefix.
 * None configured, or that window full: the session stays IPv4-only. */
void gateway_session_admit6(struct gateway *g, struct session *s, int conn)
{
	bool group = conn >= 0 && (size_t)conn < g->n_conn;
	size_t first = group ? g->conn6_first[conn] : 0;
	size_t n = group ? g->conn6_n[conn] : g->main6_n;
	memset(&s->addr6, 0, sizeof(s->addr6));
	if (n == 0)
		return;
	if (pool6_lease_in(&g->pool6, s, NULL, first, n, &s->addr6, &s->pool6_range) < 0) {
		memset(&s->addr6, 0, sizeof(s->addr6));
		log_warn("%s: the IPv6 client address pool is exhausted; IPv4 only", s->id);
	}
}

static void session_release6(struct gateway *g, struct session *s)
{
	pool6_release(&g->pool6, &s->addr6, s);
	memset(&s->addr6, 0, sizeof(s->addr6));
}

/* One pool6 of ranges: the main pool's IPv6 prefix, then each connection
 * configuration's (at most one each, validation saw to it). */
static int setup_pools6(struct gateway *g)
{
	const struct gw_conf *c = g->conf;
	size_t nc = c->client_connections.n, total = c->pools6.n;
	for (size_t k = 0; k < nc; k++)
		total += c->client_connections.v[k].pool6.n;
	struct prefix6 *all = calloc(total + 1, sizeof(*all));
	g->conn6_first = calloc(nc + 1, sizeof(size_t));
	g->conn6_n = calloc(nc + 1, sizeof(size_t));
	if (!all || !g->conn6_first || !g->conn6_n) {
		free(all);
		return -ENOMEM;
	}
	g->main6_n = c->pools6.n;
	memcpy(all, c->pools6.v, c->pools6.n * sizeof(*all));
	size_t at = c->pools6.n;
	for (size_t k = 0; k < nc; k++) {
		const struct prefix6_list *pl = &c->client_connections.v[k].pool6;
		g->conn6_first[k] = at;
		g->conn6_n[k] = pl->n;
		memcpy(all + at, pl->v, pl->n * sizeof(*all));
		at += pl->n;
	}
	int r = pool6_init(&g->pool6, all, total);
	free(all);
	return r;
}

/* The gateway's ::1 of every IPv6 prefix on the TUN (the kernel adds the
 * connected routes); forwarding must be on for the virtual network. */
static int setup_tun6(struct gateway *g)
{
	for (size_t i = 0; i < g->pool6.n; i++) {
		struct in6_addr gw6;
		pool6_gateway(&g->pool6, i, &gw6);
		int r = tun_addr6_add(g->tun_ifindex, &gw6, g->pool6.ranges[i].prefix.len);
		if (r < 0) {
			log_err("cannot give %s its IPv6 address: %s", g->conf->tun_name,
				p2s_strerror(r));
			return r;
		}
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &gw6, a, sizeof(a));
		log_info("%s is %s/%u, %u client IPv6 addresses", g->conf->tun_name, a,
			 g->pool6.ranges[i].prefix.len, g->pool6.ranges[i].count);
	}
	char *fw = g->pool6.n ? file_read_all("/proc/sys/net/ipv6/conf/all/forwarding") : NULL;
	if (fw && fw[0] == '0')
		log_warn("IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0): clients' "
			 "IPv6 packets will not reach the virtual network");
	free(fw);
	g->fwd.pool6 = &g->pool6;
	return 0;
}

static void free_pools6(struct gateway *g)
{
	free(g->conn6_first);
	free(g->conn6_n);
	pool6_free(&g->pool6);
}

/* ------------------------------------------------------------------------ */

void gateway_session_release(struct gateway *g, struct session *s)
{
	session_release6(g, s);
	pool_release(&g->pool, s->addr, s);
	s->addr = 0;
	g->admitted_ovpn--;
}

static void tun_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct gateway *g = w->data;
	static uint8_t pkt[65536];
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(g->tun_fd, pkt, sizeof(pkt));
		if (n <= 0)
			return;
		fwd_from_tun(&g->fwd, pkt, (size_t)n);
	}
}

/* One pool of ranges: the main pool, then each connection configuration's. */
static int setup_pools(struct gateway *g)
{
	const struct gw_conf *c = g->conf;
	size_t total = c->pools.n;
	for (size_t k = 0; k < c->client_connections.n; k++)
		total += c->client_connections.v[k].pool.n;
	struct prefix4 *all = calloc(total + 1, sizeof(*all));
	g->n_conn = c->client_connections.n;
	g->conn_first = calloc(g->n_conn + 1, sizeof(size_t));
	g->conn_n = calloc(g->n_conn + 1, sizeof(size_t));
	if (!all || !g->conn_first || !g->conn_n) {
		free(all);
		return -ENOMEM;
	}
	size_t at = c->pools.n;
	memcpy(all, c->pools.v, c->pools.n * sizeof(*all));
	for (size_t k = 0; k < g->n_conn; k++) {
		const struct prefix_list *pl = &c->client_connections.v[k].pool;
		g->conn_first[k] = at;
		g->conn_n[k] = pl->n;
		memcpy(all + at, pl->v, pl->n * sizeof(*all));
		at += pl->n;
	}
	int r = pool_init(&g->pool, all, total);
	free(all);
	return r;
}

/* Entra ID signing keys from aadJwksFile; replaces the old set only on success. */
static int load_token_keys(struct gateway *g, const struct gw_conf *c)
{
	const char *why = "cannot read it";
	char *text = c->aad_jwks_file ? file_read_all(c->aad_jwks_file) : NULL;
	struct token_keys *k = text ? token_keys_parse(text, &why) : NULL;
	free(text);
	if (!k) {
		log_err("aadJwksFile %s: %s", c->aad_jwks_file ? c->aad_jwks_file : "(none)", why);
		return P2S_E_CONFIG;
	}
	token_keys_free(g->token_keys);
	g->token_keys = k;
	return 0;
}

static void keys_fetched(void *arg, struct token_keys *k)
{
	struct gateway *g = arg;
	token_keys_free(g->token_keys);
	g->token_keys = k;
}

/* From the file now, and from the URI in the background when one is set. */
static int setup_token_keys(struct gateway *g, const struct gw_conf *c)
{
	if (c->aad_jwks_file && load_token_keys(g, c) < 0)
		return P2S_E_CONFIG;
	if (c->aad_jwks_uri &&
	    !(g->jwks = jwks_fetch_start(g->loop, c->aad_jwks_uri, keys_fetched, g)))
		return -ENOMEM;
	return 0;
}

static int setup_tun(struct gateway *g)
{
	g->tun_fd = tun_open(g->conf->tun_name, &g->tun_ifindex);
	if (g->tun_fd < 0) {
		log_err("cannot create TUN device %s: %s", g->conf->tun_name,
			p2s_strerror(g->tun_fd));
		return g->tun_fd;
	}
	for (size_t i = 0; i < g->pool.n; i++) {
		int r = tun_addr_add(g->tun_ifindex, pool_gateway(&g->pool, i),
				     g->pool.ranges[i].prefix.len);
		if (r < 0) {
			log_err("cannot address %s: %s", g->conf->tun_name, p2s_strerror(r));
			return r;
		}
	}
	ev_io_init(&g->tun_io, tun_read_cb, g->tun_fd, EV_READ);
	g->tun_io.data = g;
	ev_io_start(g->loop, &g->tun_io);
	g->fwd = (struct fwd){.tun_fd = g->tun_fd,
			      .pool = &g->pool,
			      .client_to_client = g->conf->client_to_client};
	return 0;
}

/* Builds trust and TLS state from conf; on success replaces g's. */
static int setup_trust(struct gateway *g, const struct gw_conf *c)
{
	const char *cert = g->auto_pki ? g->state.server_cert : c->cert_file;
	const char *key = g->auto_pki ? g->state.server_key : c->key_file;
	struct cert_auth *a = cert_auth_new(c, &g->demo_root, g->demo_root ? 1 : 0);
	SSL_CTX *ctx = a ? gateway_tls_ctx_new(cert, key, a, c->auth_types) : NULL;
	if (!ctx) {
		cert_auth_free(a);
		return P2S_E_CONFIG;
	}
	SSL_CTX_free(g->tls_ctx);
	g->tls_ctx = ctx;
	/* Contexts hold their own reference: handshakes under way keep the old trust. */
	cert_auth_free(g->auth);
	g->auth = a;
	return 0;
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	struct gateway *g = w->data;
	if (w->signum == SIGHUP) {
		gateway_reload(g);
		return;
	}
	if (g->stopping) {
		ev_break(loop, EVBREAK_ALL); /* a second signal: now */
		return;
	}
	log_info("signal %d: shutting down; telling %u client(s) to reconnect later", w->signum,
		 g->reg.count);
	g->stopping = true;
	/* Clients get RESTART (they reconnect to whatever answers next) and RADIUS
	 * users an accounting Stop; a second later the loop ends. */
	for (struct session *s = g->reg.head; s; s = s->next)
		s->ops->disconnect(s, "the gateway is shutting down");
	ev_timer_init(&g->stop_timer, stop_cb, g->reg.count ? 1.2 : 0.0, 0);
	g->stop_timer.data = g;
	ev_timer_start(loop, &g->stop_timer);
}

static void setup_signals(struct gateway *g)
{
	signal(SIGPIPE, SIG_IGN);
	ev_signal *sigs[] = {&g->sig_hup, &g->sig_int, &g->sig_term};
	int nums[] = {SIGHUP, SIGINT, SIGTERM};
	for (int i = 0; i < 3; i++) {
		ev_signal_init(sigs[i], on_signal, nums[i]);
		sigs[i]->data = g;
		ev_signal_start(g->loop, sigs[i]);
	}
}

static int setup_pki(struct gateway *g)
{
	g->auto_pki = g->conf->cert_file == NULL;
	if (!g->auto_pki)
		return 0;
	int r = statedir_ensure(g->conf, &g->state);
	if (r < 0)
		return r;
	g->demo_root = pki_read_cert(g->state.client_root);
	return g->demo_root ? 0 : P2S_E_CONFIG;
}

static const char *tls_auth_path(const struct gateway *g)
{
	if (g->conf->tls_auth_file)
		return g->conf->tls_auth_file;
	return g->auto_pki ? g->state.tls_auth : NULL;
}

static int setup_engines(struct gateway *g)
{
	g->ovpn = ovpn_server_new(g);
	if (!g->ovpn)
		return -ENOMEM;
	int r = ovpn_server_load_tls_auth(g->ovpn, tls_auth_path(g));
	if (r < 0) {
		log_err("cannot read the tls-auth key %s: %s", tls_auth_path(g), p2s_strerror(r));
		return r;
	}
	return ovpn_server_start(g->ovpn);
}

int gateway_init(struct gateway *g, struct gw_conf *conf, const char *conf_path)
{
	memset(g, 0, sizeof(*g));
	g->conf = conf;
	g->conf_path = conf_path;
	g->tun_fd = -1;
	g->loop = ev_default_loop(EVFLAG_AUTO);
	log_level_parse(conf->log_level, &log_threshold);
	int r = setup_pki(g);
	if (r == 0)
		r = setup_trust(g, conf);
	if (r == 0)
		r = setup_pools(g);
	if (r == 0)
		r = setup_pools6(g);
	if (r == 0 && (conf->auth_types & AUTH_AAD))
		r = setup_token_keys(g, conf);
	if (r == 0)
		r = setup_tun(g);
	if (r == 0)
		r = setup_tun6(g);
	if (r == 0 && (conf->radius_address || conf->radius_servers.n))
		g->radius = radius_client_new(g->loop, conf);
	if (r == 0)
		r = setup_engines(g);
	if (r == 0)
		g->ctl = ctl_start(g);
	if (r < 0)
		return r;
	setup_signals(g);
	return 0;
}

static void print_how_to_connect(const struct gateway *g)
{
	if (!g->auto_pki)
		return;
	log_info("demo client profile: %s", g->state.demo_ovpn);
	log_info("connect with: openvpn --config %s --remote <this host's address> %u",
		 g->state.demo_ovpn, g->conf->tcp_port);
	log_info("(the profile names %s; --remote overrides it until DNS points there)",
		 g->conf->fqdn);
}

int gateway_run(struct gateway *g)
{
	char a[16];
	ip4_str(pool_gateway(&g->pool, 0), a);
	log_info("gateway \"%s\" (%s) ready: %s is %s, client pool has %u addresses", g->conf->name,
		 g->conf->sku, g->conf->tun_name, a, pool_free_count(&g->pool));
	print_how_to_connect(g);
	ev_run(g->loop, 0);
	return 0;
}

/* Sessions whose certificate is no longer acceptable are disconnected. */
static void recheck_sessions(struct gateway *g)
{
	for (struct session *s = g->reg.head; s; s = s->next) {
		const char *why = NULL;
		if (s->has_cert && s->addr && !cert_auth_still_valid(g->auth, &s->cert, &why)) {
			log_info("disconnecting %s (user \"%s\"): %s", s->id, s->user, why);
			s->ops->disconnect(s, why);
		}
	}
}

static void warn_restart_needed(const struct gw_conf *o, const struct gw_conf *n)
{
	if (o->tcp_port != n->tcp_port || o->udp_port != n->udp_port ||
	    strcmp(o->listen_addr, n->listen_addr) != 0 || strcmp(o->tun_name, n->tun_name) != 0 ||
	    o->pools.n != n->pools.n ||
	    memcmp(o->pools.v, n->pools.v, o->pools.n * sizeof(o->pools.v[0])) != 0)
		log_warn("listen addresses, TUN name and pools change only on restart");
}

int gateway_reload(struct gateway *g)
{
	if (!g->conf_path) {
		log_info("reload: running on the embedded default, nothing to re-read");
		return 0;
	}
	struct conf_errors errs = {0};
	struct gw_conf *n = conf_load_file(g->conf_path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_err("reload: %s", errs.msg[i]);
	conf_errors_free(&errs);
	if (!n) {
		log_err("reload: configuration rejected; still running the previous one");
		return P2S_E_CONFIG;
	}
	warn_restart_needed(g->conf, n);
	if (setup_trust(g, n) < 0) {
		conf_free(n);
		log_err("reload: TLS set-up failed; still running the previous configuration");
		return P2S_E_CONFIG;
	}
	ovpn_server_set_tls(g->ovpn, g->tls_ctx);
	if ((n->auth_types & AUTH_AAD) && n->aad_jwks_file && load_token_keys(g, n) < 0)
		log_err("reload: keeping the previous Entra ID signing keys");
	/* Pools and listeners stay: keep their values so the running state and
	 * the configuration describe the same gateway. */
	free(n->pools.v);
	n->pools = g->conf->pools;
	g->conf->pools = (struct prefix_list){0};
	struct prefix6_list p6 = n->pools6;
	n->pools6 = g->conf->pools6;
	g->conf->pools6 = p6;
	conf_free(g->conf);
	g->conf = n;
	log_level_parse(n->log_level, &log_threshold);
	log_info("reload: configuration applied (%zu root(s), %zu revoked)", n->roots.n,
		 n->revoked.n);
	recheck_sessions(g);
	return 0;
}

void gateway_free(struct gateway *g)
{
	ctl_stop(g->ctl);
	ovpn_server_free(g->ovpn);
	radius_client_free(g->radius);
	jwks_fetch_stop(g->jwks);
	token_keys_free(g->token_keys);
	free(g->conn_first);
	free(g->conn_n);
	free_pools6(g);
	if (g->tun_fd >= 0)
		close(g->tun_fd);
	pool_free(&g->pool);
	SSL_CTX_free(g->tls_ctx);
	cert_auth_free(g->auth);
	X509_free(g->demo_root);
	conf_free(g->conf);
}
