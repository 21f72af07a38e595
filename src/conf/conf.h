/* The gateway's configuration resource: Azure's VirtualNetworkGateway and
 * vpnClientConfiguration field names, plus the host-level fields Azure manages
 * itself (listen addresses, certificates, state directory). One declarative
 * schema (schema.c) drives loading, validation and documentation. */
#ifndef P2S_CONF_H
#define P2S_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

enum conf_protocol { PROTO_OPENVPN = 1 << 0, PROTO_SSTP = 1 << 1, PROTO_IKEV2 = 1 << 2 };
enum conf_auth { AUTH_CERTIFICATE = 1 << 0, AUTH_RADIUS = 1 << 1, AUTH_AAD = 1 << 2 };

struct conf_root_cert {
	char *name;
	uint8_t *der;
	size_t der_len;
};

struct conf_revoked {
	char *name;
	uint8_t sha1[20];
};

struct prefix_list {
	struct prefix4 *v;
	size_t n;
};

struct gw_conf {
	char *name;
	char *sku;
	char *generation;
	char *vpn_type;
	char *fqdn;
	char *state_dir;
	char *tun_name;
	char *control_socket;
	char *log_level;
	char *listen_addr;
	uint16_t tcp_port;
	uint16_t udp_port;
	char *cert_file;
	char *key_file;
	char *tls_auth_file;
	uint32_t reneg_sec;
	uint32_t ping_sec;
	uint32_t ping_restart_sec;
	bool client_to_client;
	struct prefix_list vnet;
	struct prefix_list routes;
	struct prefix_list pools;
	unsigned protocols;
	unsigned auth_types;
	struct conf_root_cert *roots;
	size_t n_roots;
	struct conf_revoked *revoked;
	size_t n_revoked;
};

/* Collected problems: each "path: rule" string, all of them, not just the first. */
struct conf_errors {
	char **msg;
	size_t n;
	char **warn;
	size_t n_warn;
};

void conf_errors_add(struct conf_errors *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conf_warn_add(struct conf_errors *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conf_errors_free(struct conf_errors *e);

/* Parses and validates. On any error returns NULL with every problem in errs. */
struct gw_conf *conf_load_file(const char *path, struct conf_errors *errs);
struct gw_conf *conf_load_string(const char *json, struct conf_errors *errs);
void conf_free(struct gw_conf *c);

/* Semantic rules that span fields (validate.c). */
void conf_validate(const struct gw_conf *c, struct conf_errors *errs);

/* The embedded default used when p2sgw runs without --config. */
extern const char conf_embedded_default[];

/* SKU table (sku.c): the P2S connection caps the seed gives. */
struct sku_info {
	const char *name;
	unsigned gen_mask; /* bit 0: Generation1, bit 1: Generation2 */
	unsigned sstp_max;
	unsigned ikev2_openvpn_max;
};
const struct sku_info *sku_lookup(const char *name);

#endif
