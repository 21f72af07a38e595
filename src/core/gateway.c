/* The core's set-up and main loop: configuration, PKI, trust, pools, TUN,
 * authentication service, the shared TCP port and the engines the
 * configuration enables; signals and shutdown. */
#define LOG_MODULE "gateway"

#include "gateway.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "auth/challenge.h"
#include "auth/jwks_fetch.h"
#include "auth/resume.h"
#include "auth/radius.h"
#include "auth/token.h"
#include "core/dplane.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "pki/pki.h"
#include "tunnel/tun.h"
#include "tunnel/tunsteer.h"

/* Read moderation (moderate.h); the TUN's queue holds what comes while
 * it rests. */
#define TUN_BURST   4 /* packets per TUN_REST */
#define TUN_REST    0.001
#define TUN_TXQUEUE 4096

static void tun_read(void *ctx)
{
	struct core *g = ctx;
	uint8_t pkt[VNET_HDR_LEN + 65536];
	if (!dplane_batch_begin())
		return;
	int i = fwd_drain_tun(&g->fwd, g->tun_fd, pkt, sizeof(pkt));
	dplane_batch_end();
	moderator_after(g->loop, &g->tun_mod, (unsigned long)i);
}

static void tun_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	tun_read(w->data);
}

static void tun_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct core *g = w->data;
	fwd_flush(&g->fwd);
}

static int setup_offload(struct core *g, bool vnet)
{
	if (!vnet) {
		log_info("TUN %s without segmentation offload: one packet per read and write",
			 g->conf->tun_name);
		return 0;
	}
	if (fwd_offload_init(&g->fwd) < 0)
		return -ENOMEM;
	ev_prepare_init(&g->tun_flush, tun_flush_cb);
	g->tun_flush.data = g;
	ev_prepare_start(g->loop, &g->tun_flush);
	return 0;
}

/* With several TUN queues, each session's packets go to its owner's
 * (tunsteer.h says why). Without (no CAP_BPF, or the test setting
 * P2SGW_TUN_STEER=off) the kernel picks by flow, as before: logged. */
static void setup_steering(struct core *g)
{
	const char *v = getenv("P2SGW_TUN_STEER");
	int r = v && strcmp(v, "off") == 0 ? -EPERM : tunsteer_open(g->tun_fd, TUNSTEER_MAX);
	if (r >= 0) {
		g->steer_fd = r;
		log_info("TUN %s: each session's packets steered to its worker's queue",
			 g->conf->tun_name);
		return;
	}
	log_warn(
		"TUN %s: no queue steering (%s): the kernel picks a queue by flow, so a new flow's "
		"first replies may reach another worker",
		g->conf->tun_name, p2s_strerror(r));
}

/* One TUN queue per data-plane worker; queue 0 is the main loop's. */
static int setup_tun(struct core *g)
{
	bool vnet = false;
	unsigned n = g->conf->workers ? g->conf->workers : 1;
	int fds[DP_MAX];
	for (unsigned i = 0; i < DP_MAX; i++)
		fds[i] = -1;
	int q = tun_open_queues(g->conf->tun_name, n, fds, &g->tun_ifindex, &vnet);
	g->tun_fd = fds[0];
	if (q < 0) {
		log_err("cannot create TUN device %s: %s", g->conf->tun_name, p2s_strerror(q));
		return q;
	}
	int r = core_tun_address(g, &g->pool, NULL);
	if (r == 0)
		r = core_tun_address6(g, &g->pool6, NULL);
	if (r < 0)
		return r;
	ev_io_init(&g->tun_io, tun_read_cb, g->tun_fd, EV_READ);
	g->tun_io.data = g;
	moderator_init(&g->tun_mod, &g->tun_io, TUN_REST, TUN_BURST, tun_read, g);
	tun_txqueue_set(g->conf->tun_name, TUN_TXQUEUE);
	g->fwd = (struct fwd){.tun_fd = g->tun_fd,
			      .pool = &g->pool,
			      .pool6 = &g->pool6,
			      .client_to_client = g->conf->client_to_client};
	r = setup_offload(g, vnet);
	for (unsigned i = 1; r < 0 && i < DP_MAX; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r == 0)
		r = dplane_init(g->loop, n, fds, &g->fwd); /* owns fds[1..] from here */
	if (r == 0 && q > 1)
		setup_steering(g);
	/* With workers, queue 0 is worker 0's to read; the main loop only
	 * writes what it forwards itself. */
	if (r == 0 && dplane_count() == 1)
		ev_io_start(g->loop, &g->tun_io);
	return r;
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
	struct core *g = w->data;
	if (w->signum == SIGHUP) {
		core_reload(g, NULL, 0);
		return;
	}
	if (g->stopping) {
		ev_break(loop, EVBREAK_ALL); /* a second signal: now */
		return;
	}
	log_info("signal %d: shutting down; telling %u client(s) to reconnect later", w->signum,
		 g->reg.count);
	g->stopping = true;
	core_notify_stopping(g);
	/* Clients are told to reconnect later and RADIUS users get an
	 * accounting Stop; a second later the loop ends. */
	struct session *next;
	for (struct session *s = g->reg.head; s; s = next) {
		next = s->next;
		s->ops->disconnect(s, RAD_TERM_NAS_REQUEST, "the gateway is shutting down");
	}
	ev_timer_init(&g->stop_timer, stop_cb, g->reg.count ? 1.2 : 0.0, 0);
	g->stop_timer.data = g;
	ev_timer_start(loop, &g->stop_timer);
}

static void setup_signals(struct core *g)
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

static int setup_pki(struct core *g)
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

const char *core_tls_auth_path(const struct core *c)
{
	if (c->conf->tls_auth_file)
		return c->conf->tls_auth_file;
	return c->auto_pki ? c->state.tls_auth : NULL;
}

/* Command-line options win over the file, on start and on every reload. */
void core_apply_options(const struct core *g, struct gw_conf *c)
{
	if (g->opt_log_level) {
		free(c->log_level);
		c->log_level = strdup(g->opt_log_level);
	}
	if (g->opt_state_dir) {
		free(c->state_dir);
		c->state_dir = strdup(g->opt_state_dir);
	}
	log_level_parse(c->log_level, &log_threshold);
}

static int setup_auth(struct core *g)
{
	const struct gw_conf *c = g->conf;
	if (c->radius_address || c->radius_servers.n)
		g->radius = radius_client_new(g->loop, c);
	int r = core_token_keys_setup(g, c);
	ratelimit_init(&g->logins, c->logins_per_minute);
	core_auth_ctx_refresh(g);
	g->auth.admit = core_admit;
	g->auth.has_room = core_has_room;
	g->auth.logins = &g->logins;
	g->challenges = calloc(1, sizeof(*g->challenges));
	g->auth.challenges = g->challenges;
	g->resume = calloc(1, sizeof(*g->resume));
	g->auth.resume = g->resume;
	return r;
}

/* Every client is a descriptor or two: take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int core_init(struct core *g, struct gw_conf *conf, const struct core_options *o)
{
	memset(g, 0, sizeof(*g));
	g->conf = conf;
	g->conf_path = o->conf_path;
	g->opt_log_level = o->log_level;
	g->opt_state_dir = o->state_dir;
	g->engine_table = o->engines;
	g->server_key = o->server_key;
	g->notify = o->notify;
	g->tun_fd = g->tcp.fd = g->steer_fd = -1;
	g->loop = ev_default_loop(EVFLAG_AUTO);
	preauth_init(&g->preauth);
	raise_fd_limit();
	core_apply_options(g, conf);
	int r = setup_pki(g);
	if (r == 0)
		r = trust_build(g, conf, &g->trust);
	if (r == 0)
		r = core_pools_build(g, conf, &g->pool);
	if (r == 0)
		r = core_routes_build(g, conf);
	if (r == 0)
		r = core_acls_apply(g, conf);
	if (r == 0)
		r = core_pools6_build(g, conf, &g->pool6);
	if (r == 0)
		r = core_routes6_build(g, conf);
	if (r == 0)
		r = setup_auth(g);
	if (r == 0)
		r = setup_tun(g);
	if (r == 0)
		r = core_engines_sync(g);
	if (r < 0)
		return r;
	g->mgmt = mgmt_start(g);
	core_health_start(g);
	setup_signals(g);
	return 0;
}

static void print_how_to_connect(const struct core *g)
{
	if (!g->auto_pki)
		return;
	log_info("demo client profile: %s", g->state.demo_ovpn);
	log_info("connect with: openvpn --config %s --remote <this host's address> %u",
		 g->state.demo_ovpn, g->conf->tcp_port);
	log_info("(the profile names %s; --remote overrides it until DNS points there)",
		 g->conf->fqdn);
}

int core_run(struct core *g)
{
	if (g->conf->p2s_absent) {
		log_info("gateway \"%s\" (%s) ready: no vpnClientConfiguration, so no tunnel is "
			 "served; the management API and control socket are",
			 g->conf->name, g->conf->sku);
		core_notify_ready(g);
		ev_run(g->loop, 0);
		return 0;
	}
	char a[16];
	ip4_str(pool_gateway(&g->pool, 0), a);
	log_info("gateway \"%s\" (%s) ready: %s is %s, client pool has %u addresses", g->conf->name,
		 g->conf->sku, g->conf->tun_name, a, pool_free_count(&g->pool));
	print_how_to_connect(g);
	core_notify_ready(g);
	if (dplane_start() < 0)
		log_warn("the data plane runs on the threads that started");
	ev_run(g->loop, 0);
	dplane_stop();
	return 0;
}

void core_free(struct core *g)
{
	mgmt_stop(g->mgmt);
	core_health_stop(g);
	ev_timer_stop(g->loop, &g->watchdog);
	dplane_stop(); /* if core_run did not */
	core_engines_stop(g);
	dplane_free(); /* the engines' lanes are off the workers' loops */
	listener_close(g);
	radius_client_free(g->radius);
	radius_client_free(g->radius_old);
	ev_timer_stop(g->loop, &g->radius_old_timer);
	jwks_fetch_stop(g->jwks);
	token_keys_free(g->token_keys);
	free(g->conn_first);
	free(g->conn_n);
	free(g->routes);
	core_acls_free(g);
	if (g->challenges)
		OPENSSL_cleanse(g->challenges, sizeof(*g->challenges));
	free(g->challenges);
	if (g->resume)
		OPENSSL_cleanse(g->resume, sizeof(*g->resume));
	free(g->resume);
	if (ev_is_active(&g->tun_flush))
		ev_prepare_stop(g->loop, &g->tun_flush);
	moderator_stop(g->loop, &g->tun_mod);
	fwd_offload_free(&g->fwd);
	if (g->tun_fd >= 0)
		close(g->tun_fd);
	if (g->steer_fd >= 0)
		close(g->steer_fd);
	pool_free(&g->pool);
	core_pools6_free(g);
	preauth_free(&g->preauth);
	trust_free(&g->trust);
	X509_free(g->demo_root);
	conf_free(g->conf);
}
