/* The management HTTP(S) listener: API, /metrics, /healthz, status page. */
#ifndef P2S_MGMT_HTTP_H
#define P2S_MGMT_HTTP_H

struct core;
struct http;

/* Listens on management.address:port with the token from the state
 * directory (made there, 0600, on first start); NULL when it cannot. */
struct http *http_start(struct core *g);
void http_stop(struct http *h);

#endif
