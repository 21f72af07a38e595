/* The core's own state: the one place that knows every subsystem. Only
 * src/core and the daemon include this; engines see core.h. */
#ifndef P2S_GATEWAY_H
#define P2S_GATEWAY_H

#include <ev.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "auth/cert.h"
#include "auth/ratelimit.h"
#include "auth/service.h"
#include "conf/conf.h"
#include "core/core.h"
#include "core/moderate.h"
#include "core/statedir.h"
#include "lib/stats.h"
#include "pool/pool.h"
#include "pool/pool6.h"
#include "tunnel/acl.h"
#include "tunnel/fwd.h"
#include "tunnel/session.h"

struct mgmt;
struct radius_client;
struct token_keys;
struct jwks_fetch;

/* The gateway's certificate, key and client trust; replaced whole on reload. */
struct trust {
	struct cert_auth *certs;
	SSL_CTX *tls[TLS_PROFILE_N];
	X509 *cert;
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
};

/* The shared TCP port: the core accepts and peeks, an engine adopts. */
struct listener {
	int fd;
	uint16_t port;
	ev_timer backoff; /* accept paused: out of file descriptors */
	ev_io io;
	double last_warn;
	unsigned dropped;
};

#define PREAUTH_BUCKETS 4096
struct preauth_src;
struct preauth {
	uint8_t key[16]; /* for the bucket hash */
	struct preauth_src *buckets[PREAUTH_BUCKETS];
	unsigned total;
	unsigned long refused;
	double last_warn;
};
void preauth_init(struct preauth *p);
void preauth_free(struct preauth *p);

struct core {
	struct ev_loop *loop;
	struct gw_conf *conf;
	const char *conf_path;	   /* NULL: the embedded default */
	const char *opt_log_level; /* command-line overrides, kept across reloads */
	const char *opt_state_dir;
	bool auto_pki;			     /* no serverCertificate: PKI made in stateDirectory */
	EVP_PKEY *(*server_key)(X509 *cert); /* see core_options */
	void (*notify)(const char *text);
	struct statedir_paths state;
	X509 *demo_root; /* trusted in addition to the configured roots */
	struct pool pool;
	/* Pool ranges: the main pool's first, then each client connection
	 * configuration's (vngClientConnectionConfigurations[k]). */
	size_t *conn_first;
	size_t *conn_n;
	size_t n_conn;
	struct session_registry reg;
	struct fwd fwd;
	int tun_fd;
	int steer_fd;	   /* TUN queue steering map (tunnel/tunsteer.h), -1: the kernel's choice */
	bool steer_failed; /* an update failed: logged once */
	int tun_ifindex;
	ev_io tun_io;
	ev_prepare tun_flush;	  /* the forwarder's queued TUN writes, once per iteration */
	struct moderator tun_mod; /* rests tun_io between bursts */
	struct trust trust;
	struct auth_ctx auth;
	struct ratelimit logins;
	struct challenges *challenges;	  /* password challenges parked between connections */
	struct resume_store *resume;	  /* ask once: logins a reconnect may resume */
	struct radius_client *radius;	  /* NULL without RADIUS servers */
	struct radius_client *radius_old; /* finishing its requests after a reload */
	ev_timer radius_old_timer;
	struct token_keys *token_keys; /* Entra ID signing keys */
	struct jwks_fetch *jwks;       /* keeps them fresh from aadJwksUri */
	struct acl *acls;	       /* per policy group, as conf->policy_groups */
	size_t n_acls;
	struct prefix4 *routes;			    /* virtual network + customRoutes */
	char suffixes[DNS_NAMES_MAX][DNS_NAME_MAX]; /* virtualNetwork.dnsSuffixes */
	size_t n_suffixes;
	size_t n_routes;
	/* IPv6 inside the tunnel (pools6.c): the pool's ranges laid out as
	 * the IPv4 ones, main pool first (main6_n of them, 0 or 1). */
	struct pool6 pool6;
	size_t *conn6_first;
	size_t *conn6_n;
	size_t main6_n;
	struct prefix6 *routes6; /* IPv6 virtual network + customRoutes */
	size_t n_routes6;
	const struct engine_ops *const *engine_table; /* NULL-terminated, from the daemon */
	struct engine *engines[TUNNEL_N];
	struct listener tcp;
	struct preauth preauth;
	struct mgmt *mgmt; /* control socket and HTTP API (src/mgmt) */
	struct stats stats;
	ev_timer health_timer; /* per-session rates, per-minute samples */
	double minute_start, health_at;
	uint64_t minute_in0, minute_out0; /* gateway totals when the minute began */
	double keys_at;			  /* when the Entra ID keys were last loaded, 0: never */
	ev_timer watchdog;		  /* systemd's, when it asks for one */
	ev_signal sig_hup, sig_int, sig_term;
	bool stopping;
	ev_timer stop_timer;
};

struct core_options {
	const char *conf_path;
	const char *log_level; /* overrides logLevel, NULL: none */
	const char *state_dir; /* overrides stateDirectory */
	const struct engine_ops *const *engines;
	/* Privilege separation: the server key for cert, whose private half
	 * stays in the key process (NULL: read keyFile here). */
	EVP_PKEY *(*server_key)(X509 *cert);
	void (*notify)(const char *text); /* systemd notifications (NULL: sd_notify) */
};

int core_init(struct core *g, struct gw_conf *conf, const struct core_options *o);
int core_run(struct core *g);
void core_free(struct core *g);
/* Re-reads the configuration and applies it without dropping sessions
 * that are still allowed. 0, or negative (old configuration kept); *note
 * (may be NULL) names what could not be applied without a restart. */
int core_reload(struct core *g, char *note, size_t note_cap);

/* The IKEv2+OpenVPN cap: the SKU's, or maxClientConnections when lower. */
unsigned core_connection_cap(const struct core *g, enum tunnel_proto p);
unsigned core_admitted(const struct core *g, enum tunnel_proto p);

/* trust.c */
int trust_build(struct core *g, const struct gw_conf *c, struct trust *out);
void trust_free(struct trust *t);

/* listen.c */
int listener_open(struct core *g);
void listener_close(struct core *g);

/* pools.c: builds out and the connection ranges (g->conn_*). */
int core_pools_build(struct core *g, const struct gw_conf *c, struct pool *out);
int core_tun_address(struct core *g, const struct pool *now, const struct pool *before);

/* pools6.c: IPv6 inside the tunnel. */
int core_pools6_build(struct core *g, const struct gw_conf *c, struct pool6 *out);
void core_pools6_free(struct core *g);
int core_tun_address6(struct core *g, const struct pool6 *now, const struct pool6 *before);
int core_routes6_build(struct core *g, const struct gw_conf *c);
/* Leases s an IPv6 address beside its IPv4 one when conn's pool (-1: the
 * main pool) has an IPv6 prefix; s->addr6 stays zero otherwise. */
void core_admit6(struct session *s, int conn);
void core_release6(struct session *s);
/* A session's IPv4 / IPv6 address into (add) or out of the TUN steering
 * map (steer.c); nothing without a map. */
void core_steer4(struct session *s, bool add);
/* The session holds an IPv6 address (pools6.c). */
bool core_has_addr6(const struct session *s);
void core_steer6(struct session *s, bool add);
/* "172.16.201.2", or "172.16.201.2 fd00:201::2" with an IPv6 address. */
void core_addr_text(const struct session *s, char *out, size_t cap);
/* Fills the IPv6 part of out (has_v6 false without an IPv6 lease). */
void session_net6(const struct session *s, struct session_net *out);
/* Reload: s keeps its IPv6 address in np, or false with why set. */
bool core_pools6_transfer(struct core *g, struct pool6 *np, struct session *s, int conn, char *why,
			  size_t cap);
void core_pools6_apply(struct core *g, struct pool6 *np);

/* reload.c */
void core_apply_options(const struct core *g, struct gw_conf *c);
int core_token_keys_setup(struct core *g, const struct gw_conf *c);
void core_auth_ctx_refresh(struct core *g);

/* rules.c: the groups' access rules, compiled; sessions point at theirs. */
int core_acls_apply(struct core *g, const struct gw_conf *c);
void core_acls_free(struct core *g);
void core_acl_attach(struct session *s);

/* lifecycle.c */
int core_admit(struct session *s, uint32_t want, int conn, const char **why);
bool core_has_room(struct session *s, const char **why);
int core_routes_build(struct core *g, const struct gw_conf *c);

/* health.c: rates once a second, a sample a minute; totals include the
 * sessions that ended. */
struct core_traffic {
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out;
};
void core_health_start(struct core *g);
void core_health_stop(struct core *g);
void core_traffic_totals(const struct core *g, struct core_traffic *t);
/* Spoofed inner packets, every forwarder (data-plane workers included). */
uint64_t core_spoofed_total(const struct core *g);
/* Data packets handled by a worker not owning their session, ended
 * sessions included. */
uint64_t core_cross_worker_total(const struct core *g);
/* The kernel's drops at the TUN device (tun_drops). 0 or -errno. */
int core_tun_drops(const struct core *g, uint64_t *rx, uint64_t *tx);
/* Pool usage of one pool (0: the main pool, k + 1: client connection k). */
struct core_pool_usage {
	const char *name;
	uint32_t used, size;
};
size_t core_pool_count(const struct core *g);
void core_pool_usage(const struct core *g, size_t i, struct core_pool_usage *u);

/* notify.c: systemd's readiness protocol (a no-op without NOTIFY_SOCKET). */
void core_notify_ready(struct core *g);
void core_notify_reloading(struct core *g);
void core_notify_reloaded(struct core *g);
void core_notify_stopping(struct core *g);

/* The management side (src/mgmt: control socket, HTTP API), started and
 * stopped by the core. NULL when neither could start (logged). */
struct mgmt *mgmt_start(struct core *g);
void mgmt_stop(struct mgmt *m);

/* engines */
int core_engines_sync(struct core *g);
/* Lane i of protocol p's engine (engine_ops.lane_stats); false: the engine
 * is not running, has no such lane or counts none. */
bool core_lane_stats(const struct core *g, enum tunnel_proto p, unsigned i, struct lane_stats *out);
void core_engines_stop(struct core *g);

#endif
