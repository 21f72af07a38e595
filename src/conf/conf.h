/* The gateway's configuration resource: Azure's VirtualNetworkGateway and
 * vpnClientConfiguration field names, plus the host-level fields Azure manages
 * itself (listen addresses, certificates, state directory). One declarative
 * schema (schema.c) drives loading, validation and documentation. */
#ifndef P2S_CONF_H
#define P2S_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/net.h"

enum conf_protocol { PROTO_OPENVPN = 1 << 0, PROTO_SSTP = 1 << 1, PROTO_IKEV2 = 1 << 2 };
enum conf_auth { AUTH_CERTIFICATE = 1 << 0, AUTH_RADIUS = 1 << 1, AUTH_AAD = 1 << 2 };

/* Arrays from the JSON keep this layout: elements, then count. */
#define CONF_ARRAY(type)                                                                           \
	struct {                                                                                   \
		type *v;                                                                           \
		size_t n;                                                                          \
	}

struct conf_root_cert {
	char *name;
	char *public_cert_data; /* base64 DER, as uploaded */
	uint8_t *der;		/* decoded by validation */
	size_t der_len;
};

struct conf_revoked {
	char *name;
	char *thumbprint;
	uint8_t sha1[20]; /* decoded by validation */
};

struct prefix_list {
	struct prefix4 *v;
	size_t n;
};

/* IPv6 prefixes from the same JSON arrays as a prefix_list's IPv4 ones;
 * at[i] is v[i]'s index in that array, for error paths. */
struct prefix6_list {
	struct prefix6 *v;
	size_t *at;
	size_t n;
};

struct ip_list {
	uint32_t *v; /* host byte order */
	size_t n;
};

struct ip6_list {
	struct in6_addr *v;
	size_t n;
};

struct conf_ipsec_policy {
	uint32_t sa_lifetime_seconds;
	uint32_t sa_data_size_kb;
	char *ipsec_encryption;
	char *ipsec_integrity;
	char *ike_encryption;
	char *ike_integrity;
	char *dh_group;
	char *pfs_group;
};

struct conf_radius_server {
	char *address;
	uint32_t score;
	char *secret;
	char *require_ma; /* auto, require, never */
};

struct conf_policy_member {
	char *name;
	char *attribute_type;
	char *attribute_value;
};

enum conf_rule_proto { RULE_TCP = 1 << 0, RULE_UDP = 1 << 1, RULE_ICMP = 1 << 2 };

/* A host-level extension of a policy group: what its users may reach. */
struct conf_access_rule {
	char *name;
	char *action;		  /* "Allow" or "Deny" */
	struct prefix_list dst;	  /* none: any destination */
	struct prefix6_list dst6; /* the IPv6 ones of the same array */
	unsigned protocols;	  /* RULE_*; 0: any */
	char *ports;		  /* "22,80,8000-8080"; NULL: any */
};

struct conf_policy_group {
	char *name;
	bool is_default;
	uint32_t priority;
	CONF_ARRAY(struct conf_policy_member) members;
	CONF_ARRAY(struct conf_access_rule) rules; /* none: everything routed */
};

struct conf_id_ref {
	char *id;
};

struct conf_client_connection {
	char *name;
	struct prefix_list pool;
	CONF_ARRAY(struct conf_id_ref) groups;
	struct prefix6_list pool6; /* IPv6 beside pool */
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
	uint32_t hand_window_sec;
	uint32_t resume_sec; /* ask once: the auth-token's window across reconnects */
	uint32_t ping_sec;
	uint32_t ping_restart_sec;
	uint32_t ike_sa_life_sec; /* ikev2.ikeSaLifetimeSeconds: 0, the gateway never rekeys */
	bool client_to_client;
	bool active_active;
	uint32_t max_connections;
	uint32_t preauth_max;	     /* unauthenticated connections, in all */
	uint32_t preauth_per_source; /* ... and from one address */
	uint32_t logins_per_minute;  /* RADIUS logins per user name */
	uint32_t workers;	     /* UDP sockets per port, steered by peer-id */
	struct prefix_list vnet;
	struct ip_list dns_servers;
	struct ip6_list dns_servers6; /* the IPv6 ones, for clients with an IPv6 address */
	char *dns_suffixes;	      /* "a.example,b.example" */
	struct prefix_list routes;
	struct prefix_list pools;
	struct prefix6_list vnet6; /* IPv6 beside vnet, routes, pools */
	struct prefix6_list routes6;
	struct prefix6_list pools6;
	unsigned protocols;
	unsigned auth_types;
	CONF_ARRAY(struct conf_root_cert) roots;
	CONF_ARRAY(struct conf_revoked) revoked;
	CONF_ARRAY(struct conf_ipsec_policy) ipsec_policies;
	char *radius_address;
	char *radius_secret;
	char *radius_require_ma; /* radiusServerAddress's; NULL = auto */
	CONF_ARRAY(struct conf_radius_server) radius_servers;
	uint32_t radius_timeout_sec;
	uint32_t radius_acct_interval_sec;
	char *aad_tenant;
	char *aad_audience;
	char *aad_issuer;
	char *aad_jwks_file;
	char *aad_jwks_uri;
	char *aad_ca_file; /* CA bundle for the key and discovery fetches */
	CONF_ARRAY(struct conf_client_connection) client_connections;
	CONF_ARRAY(struct conf_policy_group) policy_groups;
	/* The management listener (HTTP API, metrics, status page). */
	bool mgmt_enabled;
	char *mgmt_address;
	uint16_t mgmt_port;
	bool mgmt_tls;
	/* No vpnClientConfiguration object: point-to-site is removed (the
	 * gateway serves no clients; reload ends every session). */
	bool p2s_absent;
};

/* Collected problems: each "path: rule" string, all of them, not just the first. */
struct conf_errors {
	char **msg;
	size_t n;
	char **warn;
	size_t n_warn;
	char **ignored; /* Azure fields accepted but unused, for one warning */
	size_t n_ignored;
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
/* The IPv6 rules (validate6.c): SKU, pool sizes, overlaps. */
void conf_validate6(const struct gw_conf *c, struct conf_errors *errs);

/* For a reload: fields only a restart applies (the schema marks them) keep
 * their running values in n; note lists the JSON paths that differed.
 * Returns how many did. */
int conf_keep_restart_fields(struct gw_conf *o, struct gw_conf *n, char *note, size_t cap);
/* The p2sgw form of a loaded configuration (Azure's export included), as
 * JSON text with every defaulted field written out; free() it (dump.c). */
char *conf_dump(const struct gw_conf *c);

/* Writes the p2sgw.json(5) man page from the schema (man.c). */
void conf_schema_man(FILE *out);

/* The embedded default used when p2sgw runs without --config. */
extern const char conf_embedded_default[];

/* SKU table (sku.c): Azure's P2S connection caps. */
struct sku_info {
	const char *name;
	unsigned gen_mask; /* bit 0: Generation1, bit 1: Generation2 */
	unsigned sstp_max;
	unsigned ikev2_openvpn_max;
};
const struct sku_info *sku_lookup(const char *name);

#endif
