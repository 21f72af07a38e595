/* Keeps the Entra ID signing keys fresh from aadJwksUri, or, when neither
 * aadJwksUri nor aadJwksFile is set, from the jwks_uri of the tenant's OpenID
 * Connect metadata (discovery, both fetched each time): a worker thread
 * fetches with libcurl (never the handshake path), daily and when a token
 * names an unknown kid, at most once per JWKS_MIN_INTERVAL; the new key set
 * is swapped in on the event loop. */
#ifndef P2S_JWKS_FETCH_H
#define P2S_JWKS_FETCH_H

#include <ev.h>
#include <stdbool.h>

#include "conf/conf.h"

#define JWKS_REFRESH_INTERVAL (24 * 3600.0)
#define JWKS_MIN_INTERVAL     10.0

struct token_keys;
struct jwks_fetch;

/* on_keys takes ownership of each new key set. */
typedef void (*jwks_keys_cb)(void *arg, struct token_keys *keys);

/* True when c's keys come over the network (aadJwksUri, or discovery). */
bool jwks_fetch_wanted(const struct gw_conf *c);
/* Starts fetching as c says: aadJwksUri, else discovery from aadTenant or
 * aadIssuer; aadCaFile, when set, is the CA bundle trusted for both. */
struct jwks_fetch *jwks_fetch_start(struct ev_loop *loop, const struct gw_conf *c, jwks_keys_cb cb,
				    void *arg);
/* A token named a kid we do not have: refetch soon (rate-limited). */
void jwks_fetch_unknown_kid(struct jwks_fetch *f);
void jwks_fetch_stop(struct jwks_fetch *f);

#endif
