/* The daemon glue: the one place that knows every subsystem. Owns the
 * configuration, pool, session registry, TUN, trust state and engines. */
#ifndef P2S_GATEWAY_H
#define P2S_GATEWAY_H

#include <ev.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "auth/cert.h"
#include "conf/conf.h"
#include "core/statedir.h"
#include "pool/pool.h"
#include "pool/pool6.h"
#include "tunnel/fwd.h"
#include "tunnel/session.h"

struct ovpn_server;
struct ctl;
struct radius_client;
struct token_keys;
struct jwks_fetch;

struct gateway {
	struct ev_loop *loop;
	struct gw_conf *conf;
	const char *conf_path; /* NULL: the embedded default */
	bool auto_pki;	       /* no serverCertificate: PKI made in stateDirectory */
	struct statedir_paths state;
	X509 *demo_root; /* trusted in addition to the configured roots */
	struct pool pool;
	struct session_registry reg;
	struct fwd fwd;
	int tun_fd;
	int tun_ifindex;
	ev_io tun_io;
	struct cert_auth *auth;
	SSL_CTX *tls_ctx;
	struct ovpn_server *ovpn;
	struct radius_client *radius; /* NULL without RADIUS servers */
	struct ctl *ctl;
	ev_signal sig_hup, sig_int, sig_term;
	unsigned admitted_ovpn;
	bool stopping;
	ev_timer stop_timer;
	/* Pool ranges: the main pool's first, then each client connection
	 * configuration's (vngClientConnectionConfigurations[k]). */
	size_t *conn_first;
	size_t *conn_n;
	size_t n_conn;
	struct token_keys *token_keys; /* Entra ID signing keys */
	struct jwks_fetch *jwks;       /* keeps them fresh from aadJwksUri */
	/* IPv6 inside the tunnel: the main pool's prefix first (if any), then
	 * each connection configuration's; conn6_first/conn6_n as above. */
	struct pool6 pool6;
	size_t *conn6_first;
	size_t *conn6_n;
	size_t main6_n;
};

int gateway_init(struct gateway *g, struct gw_conf *conf, const char *conf_path);
int gateway_run(struct gateway *g);
void gateway_free(struct gateway *g);
/* Re-reads the configuration; applies trust changes without dropping
 * sessions that are still acceptable. 0 or negative (old config kept). */
int gateway_reload(struct gateway *g);

/* Leases a pool address for an authenticated session, within the SKU cap,
 * from connection configuration conn's pool (-1: the main pool), preferring
 * want (RADIUS Framed-IP-Address) when it is free in a pool.
 * 0, or P2S_E_FULL with *why set. */
/* The IKEv2+OpenVPN cap: the SKU's, or maxClientConnections when lower. */
unsigned gateway_connection_cap(const struct gateway *g);
int gateway_session_admit(struct gateway *g, struct session *s, uint32_t want, int conn,
			  const char **why);
void gateway_session_release(struct gateway *g, struct session *s);
/* Leases s an IPv6 address from conn's pool (-1: the main pool) when it has
 * an IPv6 prefix; leaves s->addr6 zero otherwise (called by admit). */
void gateway_session_admit6(struct gateway *g, struct session *s, int conn);

/* TLS server context with Azure's point-to-site TLS policy, exactly. */
SSL_CTX *gateway_tls_ctx_new(const char *cert_file, const char *key_file, struct cert_auth *a,
			     unsigned auth_types);

#endif
