/* The schema tables: every field of the configuration resource. */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#define G(f) offsetof(struct gw_conf, f)
/* A connection configuration's IPv6 pool, from its F_OBJECT base (pool). */
#define POOL6_OFF                                                                                  \
	(offsetof(struct conf_client_connection, pool6) -                                          \
	 offsetof(struct conf_client_connection, pool))

static const char *const skus[] = {"Basic",    "VpnGw1",   "VpnGw2",   "VpnGw3",
				   "VpnGw4",   "VpnGw5",   "VpnGw1AZ", "VpnGw2AZ",
				   "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ", NULL};
static const char *const generations[] = {"Generation1", "Generation2", NULL};
static const char *const vpn_types[] = {"RouteBased", "PolicyBased", NULL};
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const ipsec_enc[] = {"GCMAES256", "GCMAES128", "AES256", "AES128", NULL};
static const char *const ipsec_int[] = {"GCMAES256", "GCMAES128", "SHA256", NULL};
static const char *const ike_enc[] = {"GCMAES256", "GCMAES128", "AES256", "AES128", NULL};
static const char *const ike_int[] = {"SHA384", "SHA256", NULL};
static const char *const dh_groups[] = {"DHGroup24", "ECP384",	 "ECP256",
					"DHGroup14", "DHGroup2", NULL};
static const char *const pfs_groups[] = {"PFS24", "PFSMM", "ECP384", "ECP256",
					 "PFS14", "PFS2",  "None",   NULL};
static const char *const ma_modes[] = {"auto", "require", "never", NULL};
static const char *const attr_types[] = {"CertificateGroupId", "AADGroupId", "RadiusAzureGroupId",
					 NULL};

static const struct field_flag protocol_flags[] = {
	{"OpenVPN", PROTO_OPENVPN}, {"SSTP", PROTO_SSTP}, {"IkeV2", PROTO_IKEV2}, {NULL, 0}};
static const struct field_flag auth_flags[] = {
	{"Certificate", AUTH_CERTIFICATE}, {"Radius", AUTH_RADIUS}, {"AAD", AUTH_AAD}, {NULL, 0}};

static const struct conf_field listen_fields[] = {
	{"address", F_STRING, G(listen_addr), .def = "0.0.0.0", .doc = "IPv4 address to listen on",
	 .restart = true},
	{"tcpPort", F_PORT, G(tcp_port), .def = "443",
	 .doc = "TCP port, shared by OpenVPN and SSTP"},
	{"udpPort", F_PORT, G(udp_port), .def = "1194", .doc = "OpenVPN UDP port"},
	{NULL}};

static const struct conf_field limits_fields[] = {
	{"unauthenticatedConnections", F_UINT, G(preauth_max), .min = 16, .max = 1000000,
	 .def = "1024",
	 .doc = "TCP connections and half-open sessions not yet authenticated, in all; "
		"more are refused at once (apart from maxClientConnections)"},
	{"unauthenticatedPerSource", F_UINT, G(preauth_per_source), .min = 1, .max = 1000000,
	 .def = "32", .doc = "the same, from one client address"},
	{"radiusLoginsPerUserPerMinute", F_UINT, G(logins_per_minute), .min = 1, .max = 1000000,
	 .def = "10",
	 .doc = "RADIUS logins one user name may start in a minute (each may be an MFA "
		"prompt or count towards a lockout)"},
	{NULL}};

static const struct conf_field data_plane_fields[] = {
	{"workers", F_UINT, G(workers), .min = 1, .max = 16, .def = "1",
	 .doc = "data-plane worker threads, each with its own OpenVPN UDP socket of one "
		"steered SO_REUSEPORT group, its own IKEv2 ESP socket on 4500 (another steered "
		"group) and its own queue of a multi-queue TUN: a session's datagrams go to the "
		"worker its peer-id (OpenVPN) or the inbound SPI the gateway picked (IKEv2) names, "
		"so its packets keep one thread and their order while sessions use every core; "
		"handshakes, IKE, control and TCP and SSTP sessions stay on the main loop. 1: no "
		"threads, everything on the main loop as before",
	 .restart = true},
	{NULL}};

static const struct conf_field mgmt_fields[] = {
	{"enabled", F_BOOL, G(mgmt_enabled), .def = "true",
	 .doc = "serve the management API, /metrics and the status page", .restart = true},
	{"address", F_STRING, G(mgmt_address), .def = "127.0.0.1",
	 .doc = "address of the management listener (loopback: this host only)", .restart = true},
	{"port", F_PORT, G(mgmt_port), .def = "9443", .doc = "TCP port of the management listener",
	 .restart = true},
	{"tls", F_BOOL, G(mgmt_tls), .def = "false",
	 .doc = "HTTPS with the gateway certificate (serverCertificate or the generated one)",
	 .restart = true},
	{NULL}};

static const struct conf_field server_cert_fields[] = {
	{"certFile", F_STRING, G(cert_file),
	 .doc = "PEM server certificate (RSA, serverAuth EKU), its chain may follow"},
	{"keyFile", F_STRING, G(key_file), .doc = "PEM private key of the server certificate"},
	{NULL}};

static const struct conf_field openvpn_fields[] = {
	{"tlsAuthKeyFile", F_STRING, G(tls_auth_file),
	 .doc = "OpenVPN static key for tls-auth (HMAC-SHA256, server direction 0)"},
	{"renegotiateSeconds", F_UINT, G(reneg_sec), .max = 86400 * 7, .def = "3600",
	 .doc = "data key lifetime; 0 turns server-initiated renegotiation off"},
	{"authTokenLifetimeSeconds", F_UINT, G(resume_sec), .max = 7 * 86400, .def = "0",
	 .doc = "ask once: a RADIUS or Entra ID user reconnecting within this many seconds of "
		"the first login presents the pushed auth-token and is not asked again (no "
		"second MFA prompt); 0: the token is good for its own session only"},
	{"handWindowSeconds", F_UINT, G(hand_window_sec), .min = 5, .max = 600, .def = "60",
	 .doc = "a TLS handshake or key renegotiation must complete within this; a client "
		"that does not renegotiate in time is disconnected"},
	{"pingSeconds", F_UINT, G(ping_sec), .min = 1, .max = 3600, .def = "10",
	 .doc = "keepalive interval pushed to clients"},
	{"pingRestartSeconds", F_UINT, G(ping_restart_sec), .min = 2, .max = 86400, .def = "60",
	 .doc = "client idle timeout pushed; the gateway waits twice as long"},
	{NULL}};

static const struct conf_field ikev2_fields[] = {
	{"ikeSaLifetimeSeconds", F_UINT, G(ike_sa_life_sec), .max = 172800, .def = "28800",
	 .doc = "beyond Azure: the IKE SA's lifetime (Azure's fixed 28800 s). The gateway rekeys "
		"the IKE SA at 90% of it (CREATE_CHILD_SA, the CHILD SAs move to the new one) and "
		"closes one that could not be rekeyed when it runs out; clients may rekey sooner. "
		"0: the gateway never rekeys it (vpnClientIpsecPolicies' saLifeTimeSeconds is the "
		"CHILD SA's)"},
	{NULL}};

static const struct conf_field vnet_fields[] = {
	{"addressSpace", F_CIDRS, G(vnet), .off6 = G(vnet6),
	 .doc = "prefixes of the virtual network, IPv4 and IPv6"},
	{"dnsServers", F_IPS, G(dns_servers), .off6 = G(dns_servers6),
	 .doc = "DNS servers pushed to clients; IPv6 ones (beyond Azure) go to IKEv2 clients "
		"that have an IPv6 address (INTERNAL_IP6_DNS)"},
	{"dnsSuffixes", F_STRING, G(dns_suffixes),
	 .doc = "beyond Azure: DNS suffixes (search domains) for clients, comma-separated, e.g. "
		"\"contoso.internal,corp.contoso.com\"; names under them go to dnsServers"},
	{NULL}};

static const struct conf_field routes_fields[] = {
	{"addressPrefixes", F_CIDRS, G(routes), .off6 = G(routes6),
	 .doc = "further prefixes pushed to clients, IPv4 and IPv6"},
	{NULL}};

static const struct conf_field pool_fields[] = {
	{"addressPrefixes", F_CIDRS, G(pools), .off6 = G(pools6),
	 .doc = "client address pool: IPv4, and at most one IPv6 prefix beside"},
	{NULL}};

#define E(t, f) offsetof(struct t, f)

static const struct conf_field root_fields[] = {
	{"name", F_STRING, E(conf_root_cert, name), .doc = "name of the root"},
	{"publicCertData", F_STRING, E(conf_root_cert, public_cert_data),
	 .doc = "base64 of the root's DER certificate"},
	{NULL}};

static const struct conf_field revoked_fields[] = {
	{"name", F_STRING, E(conf_revoked, name), .doc = "name of the entry"},
	{"thumbprint", F_STRING, E(conf_revoked, thumbprint),
	 .doc = "SHA-1 thumbprint of the client certificate (40 hex digits)"},
	{NULL}};

static const struct conf_field ipsec_fields[] = {
	{"saLifeTimeSeconds", F_UINT, E(conf_ipsec_policy, sa_lifetime_seconds), .min = 300,
	 .max = 172799, .doc = "IPsec SA lifetime"},
	{"saDataSizeKilobytes", F_UINT, E(conf_ipsec_policy, sa_data_size_kb), .min = 1024,
	 .max = 2147483647, .doc = "IPsec SA data volume"},
	{"ipsecEncryption", F_ENUM, E(conf_ipsec_policy, ipsec_encryption), .values = ipsec_enc},
	{"ipsecIntegrity", F_ENUM, E(conf_ipsec_policy, ipsec_integrity), .values = ipsec_int},
	{"ikeEncryption", F_ENUM, E(conf_ipsec_policy, ike_encryption), .values = ike_enc},
	{"ikeIntegrity", F_ENUM, E(conf_ipsec_policy, ike_integrity), .values = ike_int},
	{"dhGroup", F_ENUM, E(conf_ipsec_policy, dh_group), .values = dh_groups},
	{"pfsGroup", F_ENUM, E(conf_ipsec_policy, pfs_group), .values = pfs_groups},
	{NULL}};

#define MA_DOC                                                                                     \
	"whether this server's Access-Accept/Reject/Challenge must carry a "                       \
	"Message-Authenticator (BlastRADIUS, CVE-2024-3596): require; never (only with "           \
	"EAP-Message, as RFC 3579 asks); auto, required once the server has sent one. "            \
	"An unsigned server is named once in the log"

static const struct conf_field radius_server_fields[] = {
	{"radiusServerAddress", F_STRING, E(conf_radius_server, address),
	 .doc = "IPv4 address (port 1812 unless given as a.b.c.d:port)"},
	{"radiusServerScore", F_UINT, E(conf_radius_server, score), .min = 1, .max = 30, .def = "1",
	 .doc = "priority: the higher score is asked first"},
	{"radiusServerSecret", F_SECRET, E(conf_radius_server, secret), .doc = "shared secret"},
	{"radiusServerRequireMessageAuthenticator", F_ENUM, E(conf_radius_server, require_ma),
	 .values = ma_modes, .def = "auto", .doc = MA_DOC},
	{NULL}};

static const struct conf_field id_ref_fields[] = {
	{"id", F_STRING, E(conf_id_ref, id), .doc = "the policy group's name or resource id"},
	{NULL}};

static const struct conf_field client_conn_fields[] = {
	{"name", F_STRING, E(conf_client_connection, name), .doc = "name"},
	{"vpnClientAddressPool", F_OBJECT, E(conf_client_connection, pool),
	 .sub = (const struct conf_field[]){{"addressPrefixes", F_CIDRS, 0, .off6 = POOL6_OFF,
					     .doc = "this configuration's pool"},
					    {NULL}}},
	{"virtualNetworkGatewayPolicyGroups", F_ARRAY, E(conf_client_connection, groups),
	 .sub = id_ref_fields, .elem_size = sizeof(struct conf_id_ref),
	 .doc = "the policy groups whose users take this pool"},
	{NULL}};

static const struct conf_field member_fields[] = {
	{"name", F_STRING, E(conf_policy_member, name), .doc = "name"},
	{"attributeType", F_ENUM, E(conf_policy_member, attribute_type), .values = attr_types},
	{"attributeValue", F_STRING, E(conf_policy_member, attribute_value),
	 .doc = "group id, certificate domain or RADIUS policy id"},
	{NULL}};

static const char *const rule_actions[] = {"Allow", "Deny", NULL};
static const struct field_flag rule_protocols[] = {
	{"TCP", RULE_TCP}, {"UDP", RULE_UDP}, {"ICMP", RULE_ICMP}, {NULL, 0}};

static const struct conf_field rule_fields[] = {
	{"name", F_STRING, E(conf_access_rule, name), .doc = "a name for logs and counters"},
	{"action", F_ENUM, E(conf_access_rule, action), .values = rule_actions, .def = "Allow",
	 .doc = "what a matching packet gets"},
	{"destinationPrefixes", F_CIDRS, E(conf_access_rule, dst),
	 .off6 = E(conf_access_rule, dst6), .doc = "IPv4 and IPv6 prefixes; none: any"},
	{"protocols", F_FLAGS, E(conf_access_rule, protocols), .flags = rule_protocols,
	 .doc = "none: any protocol"},
	{"destinationPorts", F_STRING, E(conf_access_rule, ports),
	 .doc = "TCP/UDP ports and ranges, e.g. \"22,443,8000-8080\"; absent: any"},
	{NULL}};

static const struct conf_field group_fields[] = {
	{"name", F_STRING, E(conf_policy_group, name), .doc = "name"},
	{"isDefault", F_BOOL, E(conf_policy_group, is_default), .def = "false",
	 .doc = "takes users no other group matches"},
	{"priority", F_UINT, E(conf_policy_group, priority), .max = 65535, .def = "0",
	 .doc = "lowest wins when a user matches several"},
	{"policyMembers", F_ARRAY, E(conf_policy_group, members), .sub = member_fields,
	 .elem_size = sizeof(struct conf_policy_member)},
	{"vngClientConnectionConfigurations", F_IGNORED}, /* Azure's back-references */
	{"accessRules", F_ARRAY, E(conf_policy_group, rules), .sub = rule_fields,
	 .elem_size = sizeof(struct conf_access_rule),
	 .doc = "beyond Azure: what the group's users may reach, first match wins, and what "
		"no rule allows is refused; absent: everything routed (Azure's behaviour)"},
	{NULL}};

static const struct conf_field client_conf_fields[] = {
	{"vpnClientAddressPool", F_OBJECT, .sub = pool_fields},
	{"vpnClientProtocols", F_FLAGS, G(protocols), .flags = protocol_flags, .def = "OpenVPN",
	 .doc = "tunnel types: OpenVPN, SSTP, IkeV2"},
	{"vpnAuthenticationTypes", F_FLAGS, G(auth_types), .flags = auth_flags,
	 .def = "Certificate", .doc = "Certificate, Radius, AAD"},
	{"vpnClientRootCertificates", F_ARRAY, G(roots), .sub = root_fields,
	 .elem_size = sizeof(struct conf_root_cert), .doc = "trusted client roots, at most 20"},
	{"vpnClientRevokedCertificates", F_ARRAY, G(revoked), .sub = revoked_fields,
	 .elem_size = sizeof(struct conf_revoked), .doc = "revoked client certificates"},
	{"vpnClientIpsecPolicies", F_ARRAY, G(ipsec_policies), .sub = ipsec_fields,
	 .elem_size = sizeof(struct conf_ipsec_policy), .doc = "custom IKE/IPsec policy"},
	{"radiusServerAddress", F_STRING, G(radius_address), .doc = "single RADIUS server"},
	{"radiusServerSecret", F_SECRET, G(radius_secret), .doc = "its shared secret"},
	{"radiusServerRequireMessageAuthenticator", F_ENUM, G(radius_require_ma),
	 .values = ma_modes,
	 .doc = "radiusServerAddress's Message-Authenticator policy, as in radiusServers[] "
		"(default auto)"},
	{"radiusServers", F_ARRAY, G(radius_servers), .sub = radius_server_fields,
	 .elem_size = sizeof(struct conf_radius_server), .doc = "at most two RADIUS servers"},
	{"radiusTimeoutSeconds", F_UINT, G(radius_timeout_sec), .min = 1, .max = 120, .def = "30",
	 .doc = "per-request timeout (long enough for MFA approvals)"},
	{"radiusAccountingIntervalSeconds", F_UINT, G(radius_acct_interval_sec), .min = 0,
	 .max = 86400, .def = "300", .doc = "Interim-Update interval; 0 = off"},
	{"aadTenant", F_STRING, G(aad_tenant),
	 .doc = "https://login.microsoftonline.com/{tenant id}"},
	{"aadAudience", F_STRING, G(aad_audience), .doc = "the application id tokens are for"},
	{"aadIssuer", F_STRING, G(aad_issuer), .doc = "https://sts.windows.net/{tenant id}/"},
	{"aadJwksFile", F_STRING, G(aad_jwks_file),
	 .doc = "the tenant's signing keys (JWKS JSON), for hosts without internet"},
	{"aadJwksUri", F_STRING, G(aad_jwks_uri),
	 .doc = "where to fetch the signing keys: daily, and on an unknown kid (rate-limited). "
		"Without it or aadJwksFile, the keys are found by OpenID Connect discovery: "
		"aadTenant/v2.0/.well-known/openid-configuration names the jwks_uri"},
	{"aadCaFile", F_STRING, G(aad_ca_file),
	 .doc = "PEM CA bundle trusted for the HTTPS key and discovery fetches "
		"(default: the system's CAs)"},
	{"vngClientConnectionConfigurations", F_ARRAY, G(client_connections),
	 .sub = client_conn_fields, .elem_size = sizeof(struct conf_client_connection),
	 .doc = "address pools per user group"},
	{NULL}};

/* Azure's export writes the SKU as an object; its tier and capacity (scale
 * units) mean nothing here. */
static const struct conf_field sku_fields[] = {
	{"name", F_ENUM, G(sku), .values = skus, .doc = "the SKU"},
	{"tier", F_IGNORED},
	{"capacity", F_IGNORED},
	{NULL}};

const struct conf_field conf_schema_root[] = {
	{"name", F_STRING, G(name), .def = "p2sgw", .doc = "gateway name"},
	{"sku", F_ENUM, G(sku), .values = skus, .def = "VpnGw1", .sub = sku_fields,
	 .doc = "sets the P2S connection caps (SSTP 128; IKEv2+OpenVPN 250 to 10000); "
		"Azure's {name, tier, capacity} form is read for its name"},
	{"vpnGatewayGeneration", F_ENUM, G(generation), .values = generations, .def = "Generation1",
	 .doc = "generation the SKU is offered in"},
	{"vpnType", F_ENUM, G(vpn_type), .values = vpn_types, .def = "RouteBased",
	 .doc = "point-to-site needs RouteBased"},
	{"activeActive", F_BOOL, G(active_active), .def = "false",
	 .doc = "two instances share the gateway (pools then need /28)"},
	{"gatewayFqdn", F_STRING, G(fqdn), .doc = "the name clients connect to; required"},
	{"stateDirectory", F_STRING, G(state_dir), .def = "/var/lib/p2sgw",
	 .doc = "generated keys and state", .restart = true},
	{"controlSocket", F_STRING, G(control_socket),
	 .doc = "UNIX socket for p2sctl (default stateDirectory/p2sgw.sock)", .restart = true},
	{"logLevel", F_ENUM, G(log_level), .values = log_levels, .def = "info",
	 .doc = "log verbosity"},
	{"tunInterface", F_STRING, G(tun_name), .def = "p2s0", .doc = "TUN device name",
	 .restart = true},
	{"clientToClient", F_BOOL, G(client_to_client), .def = "false",
	 .doc = "let clients reach each other"},
	{"maxClientConnections", F_UINT, G(max_connections), .max = 100000, .def = "0",
	 .doc = "a lower IKEv2+OpenVPN connection cap than the SKU's; 0 = the SKU's"},
	{"listen", F_OBJECT, .sub = listen_fields},
	{"limits", F_OBJECT, .sub = limits_fields},
	{"dataPlane", F_OBJECT, .sub = data_plane_fields},
	{"management", F_OBJECT, .sub = mgmt_fields},
	{"serverCertificate", F_OBJECT, .sub = server_cert_fields},
	{"openvpn", F_OBJECT, .sub = openvpn_fields},
	{"ikev2", F_OBJECT, .sub = ikev2_fields},
	{"virtualNetwork", F_OBJECT, .sub = vnet_fields},
	{"customRoutes", F_OBJECT, .sub = routes_fields},
	{"virtualNetworkGatewayPolicyGroups", F_ARRAY, G(policy_groups), .sub = group_fields,
	 .elem_size = sizeof(struct conf_policy_group),
	 .doc = "user groups: at most 90 groups and 390 members, exactly one default"},
	{"vpnClientConfiguration", F_OBJECT, .sub = client_conf_fields},
	/* What `az network vnet-gateway show` prints beside the point-to-site
	 * resource: site-to-site, BGP, the public side Azure runs. */
	{"adminState", F_IGNORED},
	{"allowRemoteVnetTraffic", F_IGNORED},
	{"allowVirtualWanTraffic", F_IGNORED},
	{"autoScaleConfiguration", F_IGNORED},
	{"bgpSettings", F_IGNORED},
	{"disableIPSecReplayProtection", F_IGNORED},
	{"enableBgp", F_IGNORED},
	{"enableBgpRouteTranslationForNat", F_IGNORED},
	{"enableDnsForwarding", F_IGNORED},
	{"enablePrivateIpAddress", F_IGNORED},
	{"extendedLocation", F_IGNORED},
	{"gatewayDefaultSite", F_IGNORED},
	{"gatewayType", F_IGNORED},
	{"identity", F_IGNORED},
	{"inboundDnsForwardingEndpoint", F_IGNORED},
	{"ipConfigurations", F_IGNORED},
	{"natRules", F_IGNORED},
	{"resiliencyModel", F_IGNORED},
	{"vNetExtendedLocationResourceId", F_IGNORED},
	{"virtualNetworkGatewayMigrationStatus", F_IGNORED},
	{NULL}};

/* One restart-only field: true if it differed (n now holds o's value; a
 * string swaps, so o frees the new one). */
static bool keep_field(const struct conf_field *f, struct gw_conf *o, struct gw_conf *n)
{
	char *a = (char *)o + f->off, *b = (char *)n + f->off;
	switch (f->type) {
	case F_STRING: {
		char **x = (char **)a, **y = (char **)b;
		if ((!*x && !*y) || (*x && *y && strcmp(*x, *y) == 0))
			return false;
		char *tmp = *x;
		*x = *y;
		*y = tmp;
		return true;
	}
	case F_PORT:
		if (*(uint16_t *)a == *(uint16_t *)b)
			return false;
		*(uint16_t *)b = *(uint16_t *)a;
		return true;
	case F_BOOL:
		if (*(bool *)a == *(bool *)b)
			return false;
		*(bool *)b = *(bool *)a;
		return true;
	default: return false;
	}
}

/* Restart-only fields that differ keep their running values in n;
 * their JSON paths are listed in note. Returns how many differed. */
static int keep_table(const struct conf_field *t, const char *path, struct gw_conf *o,
		      struct gw_conf *n, char *note, size_t cap, size_t *at)
{
	int k = 0;
	for (const struct conf_field *f = t; f->name; f++) {
		char p[128];
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", f->name);
		if (f->type == F_OBJECT) {
			k += keep_table(f->sub, p, o, n, note, cap, at);
			continue;
		}
		if (!f->restart || !keep_field(f, o, n))
			continue;
		k++;
		if (*at < cap)
			*at += (size_t)snprintf(note + *at, cap - *at, "%s%s", *at ? ", " : "", p);
	}
	return k;
}

int conf_keep_restart_fields(struct gw_conf *o, struct gw_conf *n, char *note, size_t cap)
{
	size_t at = 0;
	if (cap)
		note[0] = 0;
	return keep_table(conf_schema_root, "", o, n, note, cap, &at);
}
