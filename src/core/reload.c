/* Reload (SIGHUP, p2sctl gateway reload) applies the whole configuration
 * without dropping sessions that are still allowed: trust, RADIUS servers,
 * Entra ID keys, pools (sessions whose address no longer fits are
 * disconnected, with the reason), routes, protocols (engines start and
 * stop) and authentication types. What only a restart can change is named
 * in the reply. */
#define LOG_MODULE "gateway"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwks_fetch.h"
#include "auth/policy.h"
#include "auth/radius.h"
#include "auth/resume.h"
#include "auth/token.h"
#include "core/dplane.h"
#include "core/gateway.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"

#define RADIUS_RETIRE_SEC 130.0 /* longer than any request's last retry */

void core_auth_ctx_refresh(struct core *g)
{
	g->auth.conf = g->conf;
	g->auth.certs = g->trust.certs;
	g->auth.radius = g->radius;
	g->auth.token_keys = g->token_keys;
	g->auth.jwks = g->jwks;
	g->auth.nas_address = g->conf->fqdn;
	g->auth.resume_lifetime = g->conf->resume_sec;
	g->logins.per_minute = g->conf->logins_per_minute;
	g->auth.stats = &g->stats;
	radius_client_set_stats(g->radius, &g->stats);
}

static void keys_fetched(void *arg, struct token_keys *k)
{
	struct core *g = arg;
	token_keys_free(g->token_keys);
	g->token_keys = k;
	g->auth.token_keys = k;
	g->keys_at = ev_now(g->loop);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Where the keys are fetched from: the URI, or discovery from the tenant or
 * issuer, through the CA file. */
static bool fetch_source_changed(const struct gw_conf *o, const struct gw_conf *n)
{
	return !str_eq(o->aad_jwks_uri, n->aad_jwks_uri) || !str_eq(o->aad_tenant, n->aad_tenant) ||
	       !str_eq(o->aad_issuer, n->aad_issuer) || !str_eq(o->aad_ca_file, n->aad_ca_file);
}

/* Entra ID signing keys: from aadJwksFile now, from aadJwksUri or by
 * discovery in the background; a failed file read keeps the previous set. */
int core_token_keys_setup(struct core *g, const struct gw_conf *c)
{
	bool aad = c->auth_types & AUTH_AAD;
	if (g->jwks && (!aad || !jwks_fetch_wanted(c) || fetch_source_changed(g->conf, c))) {
		jwks_fetch_stop(g->jwks);
		g->jwks = NULL;
	}
	if (aad && c->aad_jwks_file) {
		const char *why = "cannot read it";
		char *text = file_read_all(c->aad_jwks_file);
		struct token_keys *k = text ? token_keys_parse(text, &why) : NULL;
		free(text);
		if (!k) {
			log_err("aadJwksFile %s: %s", c->aad_jwks_file, why);
			return P2S_E_CONFIG;
		}
		keys_fetched(g, k);
	}
	if (aad && jwks_fetch_wanted(c) && !g->jwks &&
	    !(g->jwks = jwks_fetch_start(g->loop, c, keys_fetched, g)))
		return -ENOMEM;
	return 0;
}

static bool radius_conf_equal(const struct gw_conf *a, const struct gw_conf *b)
{
	if (!str_eq(a->radius_address, b->radius_address) ||
	    !str_eq(a->radius_secret, b->radius_secret) ||
	    a->radius_timeout_sec != b->radius_timeout_sec ||
	    a->radius_servers.n != b->radius_servers.n)
		return false;
	for (size_t i = 0; i < a->radius_servers.n; i++) {
		const struct conf_radius_server *x = &a->radius_servers.v[i],
						*y = &b->radius_servers.v[i];
		if (!str_eq(x->address, y->address) || !str_eq(x->secret, y->secret) ||
		    x->score != y->score)
			return false;
	}
	return true;
}

static void radius_retire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct core *g = w->data;
	radius_client_free(g->radius_old);
	g->radius_old = NULL;
}

/* New servers for new requests; the old client finishes what it started. */
static void radius_apply(struct core *g, const struct gw_conf *n)
{
	if (radius_conf_equal(g->conf, n))
		return;
	ev_timer_stop(g->loop, &g->radius_old_timer);
	radius_client_free(g->radius_old);
	g->radius_old = g->radius;
	g->radius = n->radius_address || n->radius_servers.n ? radius_client_new(g->loop, n) : NULL;
	ev_timer_init(&g->radius_old_timer, radius_retire_cb, RADIUS_RETIRE_SEC, 0);
	g->radius_old_timer.data = g;
	ev_timer_start(g->loop, &g->radius_old_timer);
	log_info("reload: RADIUS servers replaced");
}

/* Fields only a restart applies (the schema marks them) keep their running
 * values; the reply names them. */
static void keep_restart_fields(struct gw_conf *o, struct gw_conf *n, char *note, size_t cap)
{
	char paths[200];
	if (!conf_keep_restart_fields(o, n, paths, sizeof(paths)))
		return;
	log_warn("reload: %s change only on restart", paths);
	if (note)
		snprintf(note, cap, "%s change only on restart", paths);
}

struct moved {
	struct session *s;
	char why[160];
};

/* Re-leases each admitted session's address in the new pool; those whose
 * address no longer belongs to their group's pool are listed to go. */
static size_t pools_transfer(struct core *g, const struct gw_conf *n, struct pool *np,
			     struct pool6 *np6, struct moved *out, size_t cap)
{
	size_t k = 0;
	for (struct session *s = g->reg.head; s; s = s->next) {
		if (!s->admitted)
			continue;
		int conn = policy_connection_for(n, policy_group_named(n, s->group));
		bool in_conn = conn >= 0 && (size_t)conn < g->n_conn;
		size_t first = in_conn ? g->conn_first[conn] : 0;
		size_t cnt = in_conn ? g->conn_n[conn] : n->pools.n;
		uint32_t got = 0;
		size_t range = first;
		/* An IPv6-only session holds no IPv4 address: its range only names
		 * the pool (gateway, prefix), so the group's first one does. */
		if (!s->addr || (pool_lease_in(np, s, s->addr, first, cnt, &got, &range) == 0 &&
				 got == s->addr)) {
			s->pool_range = range;
			if (k < cap &&
			    !core_pools6_transfer(g, np6, s, conn, out[k].why, sizeof(out[0].why)))
				out[k++].s = s;
			continue;
		}
		if (got)
			pool_release(np, got, s);
		if (k < cap) {
			char a[16];
			ip4_str(s->addr, a);
			out[k].s = s;
			snprintf(out[k++].why, sizeof(out[0].why),
				 "its address %s is outside the new pool of %s%s", a,
				 s->group[0] ? "group " : "the gateway", s->group);
		}
	}
	return k;
}

static void pools_apply(struct core *g, struct pool *np, struct pool6 *np6)
{
	core_tun_address(g, np, &g->pool);
	pool_free(&g->pool);
	g->pool = *np;
	core_pools6_apply(g, np6);
}

static bool cert_gone(const struct resume_entry *e, void *arg)
{
	return e->has_cert && cert_auth_is_revoked(arg, e->cert_sha1);
}

/* Resumable logins the new configuration no longer allows. */
static void resume_recheck(struct core *g)
{
	if (!g->resume)
		return;
	for (unsigned t = AUTH_RADIUS; t <= AUTH_AAD; t <<= 1)
		if (!(g->conf->auth_types & t))
			resume_drop_type(g->resume, t);
	resume_drop_if(g->resume, cert_gone, g->trust.certs);
}

/* Sessions the new configuration no longer allows. */
static void recheck_sessions(struct core *g, struct moved *mv, size_t n_mv)
{
	for (size_t i = 0; i < n_mv; i++)
		mv[i].s->ops->disconnect(mv[i].s, RAD_TERM_ADMIN_RESET, mv[i].why);
	struct session *next;
	for (struct session *s = g->reg.head; s; s = next) {
		next = s->next;
		const char *why = NULL;
		if (s->ended)
			continue;
		if (s->auth_type && !(g->conf->auth_types & s->auth_type))
			why = "its authentication type is no longer enabled";
		else if (s->has_cert)
			cert_auth_still_valid(g->trust.certs, &s->cert, &why);
		if (why) {
			log_info("disconnecting %s (user \"%s\"): %s", s->id, s->user, why);
			s->ops->disconnect(s, RAD_TERM_ADMIN_RESET, why);
		}
	}
}

static struct gw_conf *reload_read(struct core *g, char *note, size_t cap)
{
	struct conf_errors errs = {0};
	struct gw_conf *n = conf_load_file(g->conf_path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_err("reload: %s", errs.msg[i]);
	if (errs.n && note)
		snprintf(note, cap, "%s%s", errs.msg[0],
			 errs.n > 1 ? " (and more in the log)" : "");
	conf_errors_free(&errs);
	if (!n)
		log_err("reload: configuration rejected; still running the previous one");
	return n;
}

/* Everything that can fail, before anything running changes. */
static int reload_prepare(struct core *g, struct gw_conf *n, struct trust *t, struct pool *np,
			  struct pool6 *np6)
{
	if (trust_build(g, n, t) < 0) {
		log_err("reload: TLS set-up failed; still running the previous configuration");
		return P2S_E_CONFIG;
	}
	if (n->p2s_absent)
		return 0; /* no pools to build: every P2S session ends */
	if (core_pools_build(g, n, np) < 0) {
		trust_free(t);
		log_err("reload: the new pools cannot be laid out");
		return P2S_E_CONFIG;
	}
	if (core_pools6_build(g, n, np6) < 0) {
		pool_free(np);
		trust_free(t);
		log_err("reload: the new IPv6 pools cannot be laid out");
		return P2S_E_CONFIG;
	}
	return 0;
}

/* vpnClientConfiguration is gone: every P2S session ends with the reason,
 * the engines stop and the shared port closes (core_engines_sync). */
static void p2s_removed(struct core *g)
{
	log_info("reload: vpnClientConfiguration removed; ending %u session(s)", g->reg.count);
	struct session *next;
	for (struct session *s = g->reg.head; s; s = next) {
		next = s->next;
		if (!s->ended)
			s->ops->disconnect(s, RAD_TERM_ADMIN_RESET,
					   "the point-to-site configuration was removed");
	}
}

static int reload_apply(struct core *g, char *note, size_t note_cap);

int core_reload(struct core *g, char *note, size_t note_cap)
{
	core_notify_reloading(g);
	int r = reload_apply(g, note, note_cap);
	core_notify_reloaded(g);
	return r;
}

static int reload_apply(struct core *g, char *note, size_t note_cap)
{
	if (note && note_cap)
		note[0] = 0;
	if (!g->conf_path) {
		log_info("reload: running on the embedded default, nothing to re-read");
		return 0;
	}
	struct gw_conf *n = reload_read(g, note, note_cap);
	struct trust t;
	struct pool np;
	struct pool6 np6;
	if (!n)
		return P2S_E_CONFIG;
	core_apply_options(g, n);
	keep_restart_fields(g->conf, n, note, note_cap);
	if (reload_prepare(g, n, &t, &np, &np6) < 0) {
		conf_free(n);
		core_apply_options(g, g->conf);
		return P2S_E_CONFIG;
	}
	struct moved *mv = calloc(g->reg.count + 1, sizeof(*mv));
	size_t n_mv = 0;
	if (n->p2s_absent)
		p2s_removed(g);
	else if (mv)
		n_mv = pools_transfer(g, n, &np, &np6, mv, g->reg.count);
	if (!n->p2s_absent)
		pools_apply(g, &np, &np6);
	trust_free(&g->trust);
	g->trust = t;
	radius_apply(g, n);
	if (core_token_keys_setup(g, n) < 0)
		log_err("reload: keeping the previous Entra ID signing keys");
	core_routes_build(g, n);
	core_acls_apply(g, n);
	core_routes6_build(g, n);
	conf_free(g->conf);
	g->conf = n;
	g->fwd.client_to_client = n->client_to_client;
	dplane_fwd_sync(&g->fwd);
	core_auth_ctx_refresh(g);
	core_engines_sync(g);
	log_info("reload: configuration applied (%zu root(s), %zu revoked)", n->roots.n,
		 n->revoked.n);
	recheck_sessions(g, mv, n_mv);
	resume_recheck(g);
	free(mv);
	return 0;
}
