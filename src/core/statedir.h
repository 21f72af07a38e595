/* The embedded default's own PKI in stateDirectory, made once and reused. */
#ifndef P2S_STATEDIR_H
#define P2S_STATEDIR_H

#include "conf/conf.h"

struct statedir_paths {
	char gateway_root[512];
	char server_cert[512];
	char server_key[512];
	char tls_auth[512];
	char client_root[512];
	char demo_cert[512];
	char demo_key[512];
	char demo_ovpn[512];
};

/* Makes what is missing: gateway-root, server (for fqdn, chain appended),
 * tls-auth.key, client-root, demo-client and demo-client.ovpn. */
int statedir_ensure(const struct gw_conf *c, struct statedir_paths *out);

#endif
