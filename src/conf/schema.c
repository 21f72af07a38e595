#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(struct gw_conf, f)

static const struct field_flag protocol_flags[] = {
	{"OpenVPN", PROTO_OPENVPN}, {"SSTP", PROTO_SSTP}, {"IkeV2", PROTO_IKEV2}, {NULL, 0}};
static const struct field_flag auth_flags[] = {
	{"Certificate", AUTH_CERTIFICATE}, {"Radius", AUTH_RADIUS}, {"AAD", AUTH_AAD}, {NULL, 0}};

static const struct conf_field listen_fields[] = {
	{"address", F_STRING, OFF(listen_addr), .doc = "IPv4 address to listen on"},
	{"tcpPort", F_PORT, OFF(tcp_port), .doc = "TCP port shared by OpenVPN and SSTP (443)"},
	{"udpPort", F_PORT, OFF(udp_port), .doc = "OpenVPN UDP port (1194)"},
	{NULL}};

static const struct conf_field server_cert_fields[] = {
	{"certFile", F_STRING, OFF(cert_file), .doc = "PEM server certificate, chain may follow"},
	{"keyFile", F_STRING, OFF(key_file), .doc = "PEM private key of the server certificate"},
	{NULL}};

static const struct conf_field openvpn_fields[] = {
	{"tlsAuthKeyFile", F_STRING, OFF(tls_auth_file),
	 .doc = "OpenVPN static key for tls-auth (HMAC-SHA256, server direction 0)"},
	{"renegotiateSeconds", F_UINT, OFF(reneg_sec), .doc = "data key lifetime (3600)"},
	{"pingSeconds", F_UINT, OFF(ping_sec), .doc = "keepalive interval pushed (10)"},
	{"pingRestartSeconds", F_UINT, OFF(ping_restart_sec), .doc = "idle timeout (60)"},
	{NULL}};

static const struct conf_field vnet_fields[] = {
	{"addressSpace", F_CIDRS, OFF(vnet), .doc = "prefixes of the virtual network"}, {NULL}};

static const struct conf_field routes_fields[] = {
	{"addressPrefixes", F_CIDRS, OFF(routes), .doc = "extra prefixes pushed to clients"},
	{NULL}};

static const struct conf_field pool_fields[] = {
	{"addressPrefixes", F_CIDRS, OFF(pools), .doc = "client address pool"}, {NULL}};

static const struct conf_field client_conf_fields[] = {
	{"vpnClientAddressPool", F_OBJECT, .sub = pool_fields},
	{"vpnClientProtocols", F_FLAGS, OFF(protocols), .flags = protocol_flags},
	{"vpnAuthenticationTypes", F_FLAGS, OFF(auth_types), .flags = auth_flags},
	{"vpnClientRootCertificates", F_CUSTOM, .custom = conf_parse_root_certs,
	 .doc = "[{name, publicCertData}] base64 DER roots"},
	{"vpnClientRevokedCertificates", F_CUSTOM, .custom = conf_parse_revoked,
	 .doc = "[{name, thumbprint}] SHA-1 of revoked client certificates"},
	{NULL}};

const struct conf_field conf_schema_root[] = {
	{"name", F_STRING, OFF(name), .doc = "gateway name"},
	{"sku", F_STRING, OFF(sku), .doc = "Basic, VpnGw1-5, VpnGw1AZ-5AZ"},
	{"vpnGatewayGeneration", F_STRING, OFF(generation), .doc = "Generation1 or Generation2"},
	{"vpnType", F_STRING, OFF(vpn_type), .doc = "RouteBased"},
	{"gatewayFqdn", F_STRING, OFF(fqdn), .doc = "name in the server certificate"},
	{"stateDirectory", F_STRING, OFF(state_dir), .doc = "generated keys and state"},
	{"controlSocket", F_STRING, OFF(control_socket), .doc = "UNIX socket for p2sctl"},
	{"logLevel", F_STRING, OFF(log_level), .doc = "error, warn, info or debug"},
	{"tunInterface", F_STRING, OFF(tun_name), .doc = "TUN device name (p2s0)"},
	{"clientToClient", F_BOOL, OFF(client_to_client), .doc = "let clients reach each other"},
	{"listen", F_OBJECT, .sub = listen_fields},
	{"serverCertificate", F_OBJECT, .sub = server_cert_fields},
	{"openvpn", F_OBJECT, .sub = openvpn_fields},
	{"virtualNetwork", F_OBJECT, .sub = vnet_fields},
	{"customRoutes", F_OBJECT, .sub = routes_fields},
	{"vpnClientConfiguration", F_OBJECT, .sub = client_conf_fields},
	{NULL}};

static void **slot(struct gw_conf *c, size_t off)
{
	return (void **)((char *)c + off);
}

static void set_string(json_t *v, const char *path, struct gw_conf *c, size_t off,
		       struct conf_errors *e)
{
	if (!json_is_string(v)) {
		conf_errors_add(e, path, "must be a string");
		return;
	}
	char **dst = (char **)slot(c, off);
	free(*dst);
	*dst = strdup(json_string_value(v));
}

static void set_uint(json_t *v, const char *path, struct gw_conf *c, const struct conf_field *f,
		     struct conf_errors *e)
{
	json_int_t max = f->type == F_PORT ? 65535 : 0x7fffffff;
	if (!json_is_integer(v) || json_integer_value(v) < (f->type == F_PORT) ||
	    json_integer_value(v) > max) {
		conf_errors_add(e, path, "must be an integer from %d to %lld", f->type == F_PORT,
				(long long)max);
		return;
	}
	if (f->type == F_PORT)
		*(uint16_t *)slot(c, f->off) = (uint16_t)json_integer_value(v);
	else
		*(uint32_t *)slot(c, f->off) = (uint32_t)json_integer_value(v);
}

static void set_cidrs(json_t *v, const char *path, struct gw_conf *c, size_t off,
		      struct conf_errors *e)
{
	struct prefix_list *pl = (struct prefix_list *)slot(c, off);
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of CIDR strings");
		return;
	}
	free(pl->v);
	pl->n = 0;
	pl->v = calloc(json_array_size(v) + 1, sizeof(*pl->v));
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it) {
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_string(it) || prefix4_parse(json_string_value(it), &pl->v[pl->n]) < 0)
			conf_errors_add(e, p, "must be an IPv4 CIDR such as 10.1.0.0/16 "
					      "with no host bits set");
		else
			pl->n++;
	}
}

static void set_flags(json_t *v, const char *path, struct gw_conf *c, const struct conf_field *f,
		      struct conf_errors *e)
{
	unsigned *dst = (unsigned *)slot(c, f->off);
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of names");
		return;
	}
	*dst = 0;
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it) {
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		const struct field_flag *fl = f->flags;
		for (; fl->name; fl++)
			if (json_is_string(it) && strcmp(json_string_value(it), fl->name) == 0)
				break;
		if (!fl->name) {
			char known[256] = "";
			for (fl = f->flags; fl->name; fl++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? ", " : "", fl->name);
			conf_errors_add(e, p, "unknown value; expected one of %s", known);
		} else if (*dst & fl->bit) {
			conf_errors_add(e, p, "%s is listed twice", fl->name);
		} else {
			*dst |= fl->bit;
		}
	}
}

static void set_bool(json_t *v, const char *path, struct gw_conf *c, size_t off,
		     struct conf_errors *e)
{
	if (!json_is_boolean(v))
		conf_errors_add(e, path, "must be true or false");
	else
		*(bool *)slot(c, off) = json_is_true(v);
}

/* Levenshtein distance, for "did you mean" on unknown fields. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + ((a[i - 1] | 32) != (b[j - 1] | 32));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

static void unknown_field(const struct conf_field *table, const char *key, const char *path,
			  struct conf_errors *e)
{
	const struct conf_field *best = NULL;
	size_t best_d = 4;
	for (const struct conf_field *f = table; f->name; f++) {
		size_t d = edit_distance(key, f->name);
		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	if (best)
		conf_errors_add(e, path, "unknown field; did you mean \"%s\"?", best->name);
	else
		conf_errors_add(e, path, "unknown field");
}

static void walk_field(json_t *v, const struct conf_field *f, const char *path, struct gw_conf *c,
		       struct conf_errors *e)
{
	switch (f->type) {
	case F_STRING:
		set_string(v, path, c, f->off, e);
		break;
	case F_PORT:
	case F_UINT:
		set_uint(v, path, c, f, e);
		break;
	case F_BOOL:
		set_bool(v, path, c, f->off, e);
		break;
	case F_OBJECT:
		conf_walk_object(v, f->sub, path, c, e);
		break;
	case F_CIDRS:
		set_cidrs(v, path, c, f->off, e);
		break;
	case F_FLAGS:
		set_flags(v, path, c, f, e);
		break;
	case F_CUSTOM:
		f->custom(v, path, c, e);
		break;
	}
}

void conf_walk_object(json_t *obj, const struct conf_field *table, const char *path,
		      struct gw_conf *c, struct conf_errors *e)
{
	if (!json_is_object(obj)) {
		conf_errors_add(e, path[0] ? path : "(root)", "must be an object");
		return;
	}
	/* The ARM form nests fields under "properties"; accept both. */
	json_t *props = json_object_get(obj, "properties");
	if (props && json_is_object(props) && table == conf_schema_root) {
		conf_walk_object(props, table, path, c, e);
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		char p[512];
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key);
		if (props && table == conf_schema_root &&
		    (strcmp(key, "properties") == 0 || strcmp(key, "id") == 0 ||
		     strcmp(key, "type") == 0 || strcmp(key, "location") == 0))
			continue;
		const struct conf_field *f = table;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name)
			unknown_field(table, key, p, e);
		else
			walk_field(v, f, p, c, e);
	}
}
