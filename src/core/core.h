/* What a tunnel engine sees of the gateway: functions, never fields. The
 * core owns the configuration, trust, pool, session registry, forwarder,
 * authentication service and the shared TCP port; an engine owns its own
 * sockets and its sessions' protocol state, and plugs in through one table
 * of operations (struct engine_ops) listed in the daemon. */
#ifndef P2S_CORE_H
#define P2S_CORE_H

#include <ev.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/net.h"
#include "lib/text.h"
#include "tunnel/session.h"

struct core;
struct engine; /* an engine's own state, opaque to the core */
struct cert_auth;

/* What one lane (an engine's per-worker UDP socket) counted since the
 * engine started, for /metrics: packets read by kind (the engine names the
 * kinds, e.g. "data", "crossing"), its read moderator's rests and its
 * thread's UDP GSO sends that fell back to plain datagrams. */
#define LANE_KINDS_MAX 6
struct lane_stats {
	unsigned n_kinds;
	const char *kind[LANE_KINDS_MAX]; /* static strings, [a-z_] */
	uint64_t packets[LANE_KINDS_MAX];
	uint64_t rests;
	uint64_t gso_fallbacks;
	/* A stream engine (SSTP): connections the worker owns now (a gauge)
	 * and those moved to it from the main loop since the engine started. */
	bool has_streams;
	uint64_t streams, streams_moved;
};

/* One per tunnel protocol; the core starts those vpnClientProtocols names. */
struct engine_ops {
	enum tunnel_proto proto; /* also gives the name: tunnel_name(proto) */
	/* Opens the engine's own sockets (UDP); NULL on failure, logged. */
	struct engine *(*start)(struct core *c);
	/* A connection on the shared TCP port whose first bytes name this
	 * protocol; the engine owns fd from now on (nothing has been read: the
	 * core only peeked), and the connection's unauthenticated slot: it calls
	 * core_preauth_put(peer) once the session is admitted or the
	 * connection closes, whichever comes first. */
	void (*tcp_adopt)(struct engine *e, int fd, const union sockaddr_any *peer);
	/* Configuration or trust changed: core_conf()/core_tls_ctx() return the
	 * new ones. Sessions the engine still holds stay up. 0 or negative. */
	int (*reload)(struct engine *e);
	/* Closes the engine's sockets and frees every session it holds. */
	void (*stop)(struct engine *e);
	/* Optional (NULL: no lanes). Lane i's counts (i < dplane_count(): lane
	 * i is served by worker i); false when the engine has no lane i. Called
	 * on the main loop holding the data-plane lock exclusively. */
	bool (*lane_stats)(const struct engine *e, unsigned i, struct lane_stats *out);
};

/* TLS profiles: OpenVPN takes TLS 1.2 and 1.3, SSTP TLS 1.2 only; both with
 * exactly the seed's suites. The client-certificate mode follows the
 * configured authentication types. */
enum tls_profile { TLS_PROFILE_OPENVPN, TLS_PROFILE_SSTP, TLS_PROFILE_N };

struct ev_loop *core_loop(struct core *c);
const struct gw_conf *core_conf(const struct core *c);
/* The current context for new handshakes (sessions keep theirs: up-ref). */
SSL_CTX *core_tls_ctx(struct core *c, enum tls_profile p);
/* Trust state for client certificates (uploaded roots, revocations). */
struct cert_auth *core_cert_auth(struct core *c);
/* The gateway's own certificate (leaf first) for protocols that send it
 * themselves (IKEv2 CERT). Borrowed; valid until the next reload. */
X509 *core_server_cert(struct core *c);
STACK_OF(X509) * core_server_chain(struct core *c);
/* Every use of the gateway's private key goes through here (privilege
 * separation will move it out of process): signs data with md (NULL for
 * Ed25519), the scheme following the key type. 0 or negative. */
int core_sign(struct core *c, const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *sig,
	      size_t *sig_len);
/* The tls-auth key file OpenVPN uses (NULL: tls-auth off). */
const char *core_tls_auth_path(const struct core *c);
/* True once shutdown began: sessions end with RAD_TERM_NAS_REQUEST. */
bool core_stopping(const struct core *c);

/* ---- limits before authentication ------------------------------------ */

/* Takes one unauthenticated slot for peer's address (a TCP connection the
 * core accepted, a half-open session). false: over the global or
 * per-source limit: refuse cheaply (logged, rate-limited). */
bool core_preauth_get(struct core *c, const union sockaddr_any *peer);
/* Gives it back: the session was admitted, or the connection went away. */
void core_preauth_put(struct core *c, const union sockaddr_any *peer);
unsigned core_preauth_count(const struct core *c);

/* ---- sessions ---------------------------------------------------------- */

/* A new session in the registry, id "<Protocol>_<uuid>". NULL when out of
 * memory. The engine frees it with core_session_free. */
struct session *core_session_new(struct core *c, const struct session_ops *ops, void *proto,
				 const union sockaddr_any *peer);
/* The engine has handed the client its address: accounting Start, the
 * Interim-Update and Session-Timeout timers, one "session up" log line. */
void core_session_up(struct session *s, const char *detail);
/* Ends a session, once (later calls do nothing): accounting Stop with cause
 * (RAD_TERM_*), the address back to the pool, pending authentication
 * cancelled, one log line with the reason. The engine still frees it. */
void core_session_end(struct session *s, uint32_t cause, const char *reason);
/* Unlinks and frees (ends it first if the engine did not). */
void core_session_free(struct session *s);
/* The session now has its data-plane owner (dp_fast, worker): packets to
 * its addresses go to that worker's TUN queue. Admission does it for a
 * session that is dp_fast from the start; an engine moving one calls it. */
void core_session_steer(struct session *s);
/* The client moved (UDP float, MOBIKE). */
void core_session_moved(struct session *s, const union sockaddr_any *peer);

/* What every protocol hands its client: PUSH_REPLY, IKEv2 CP and IPCP read
 * the same. Valid while the session holds its address. */
struct session_net {
	uint32_t addr;	  /* the client's IPv4 address */
	uint32_t gateway; /* the gateway's side of the client's pool */
	uint8_t prefix_len;
	bool has_v6;
	struct in6_addr addr6, gateway6;
	uint8_t prefix6_len;
	const struct prefix4 *routes; /* virtual network + customRoutes */
	size_t n_routes;
	const struct prefix6 *routes6;
	size_t n_routes6;
	const uint32_t *dns; /* virtualNetwork.dnsServers */
	size_t n_dns;
	const struct in6_addr *dns6; /* its IPv6 ones (with has_v6 only) */
	size_t n_dns6;
	const char (*suffixes)[DNS_NAME_MAX]; /* virtualNetwork.dnsSuffixes */
	size_t n_suffixes;
};
int session_net(const struct session *s, struct session_net *out);
/* The client takes only these families (IKEv2's CP request): the address
 * of the other goes back to its pool now, not at the session's end. */
void core_session_families(struct session *s, bool v4, bool v6);

/* ---- forwarding -------------------------------------------------------- */

/* An inner IP packet from the client: source checked (IPv4 and IPv6),
 * clients kept apart unless allowed, then to the virtual network. 0 or a
 * negative error (the packet was dropped and counted). */
int core_fwd_from_session(struct session *s, const uint8_t *pkt, size_t len);

#endif
