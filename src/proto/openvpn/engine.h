/* The OpenVPN server engine: control channel (reliability, TLS, key-method
 * 2, push), data channel and keepalive, over TCP and UDP transports. */
#ifndef P2S_OVPN_ENGINE_H
#define P2S_OVPN_ENGINE_H

#include <openssl/ssl.h>

struct gateway;
struct ovpn_server;

struct ovpn_server *ovpn_server_new(struct gateway *gw);
/* Opens the TCP (shared with SSTP) and UDP listeners. */
int ovpn_server_start(struct ovpn_server *srv);
void ovpn_server_free(struct ovpn_server *srv);
/* New handshakes use ctx (after a reload); running sessions keep theirs. */
void ovpn_server_set_tls(struct ovpn_server *srv, SSL_CTX *ctx);
/* Re-reads the tls-auth key; 0 or a negative error (old key kept). */
int ovpn_server_load_tls_auth(struct ovpn_server *srv, const char *path);

#endif
