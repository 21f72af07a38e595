/* Rules that span fields, from Azure's documented point-to-site limits.
 * Each error names the JSON path it concerns and the rule broken. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "lib/file.h"
#include "lib/text.h"

#define CC	  "vpnClientConfiguration."
#define POOL_PATH CC "vpnClientAddressPool.addressPrefixes"
#define PROTOS	  CC "vpnClientProtocols"
#define AUTHS	  CC "vpnAuthenticationTypes"

static void check_gateway(const struct gw_conf *c, struct conf_errors *e)
{
	if (strcmp(c->vpn_type, "RouteBased") != 0)
		conf_errors_add(e, "vpnType", "point-to-site needs \"RouteBased\"");
	const struct sku_info *s = sku_lookup(c->sku);
	unsigned gen = strcmp(c->generation, "Generation2") == 0 ? 2 : 1;
	if (s && !(s->gen_mask & gen))
		conf_errors_add(e, "sku", "%s is not offered in %s", c->sku, c->generation);
	if (s && strcmp(s->name, "Basic") == 0) {
		if (c->protocols & (PROTO_OPENVPN | PROTO_IKEV2))
			conf_errors_add(e, PROTOS,
					"the Basic SKU supports neither OpenVPN nor IkeV2");
		if (c->auth_types & AUTH_RADIUS)
			conf_errors_add(e, AUTHS, "the Basic SKU does not support RADIUS");
	}
	if (c->mgmt_enabled && !c->mgmt_port)
		conf_errors_add(e, "management.port", "must not be 0 while enabled");
	if (!c->fqdn || !c->fqdn[0])
		conf_errors_add(e, "gatewayFqdn", "is required: the name clients connect to");
	if (!c->tun_name[0] || strlen(c->tun_name) >= 16)
		conf_errors_add(e, "tunInterface", "must be 1 to 15 characters");
	if (c->ping_restart_sec <= c->ping_sec)
		conf_errors_add(e, "openvpn.pingRestartSeconds",
				"must be greater than pingSeconds");
	if (c->reneg_sec != 0 && c->reneg_sec < 10)
		conf_errors_add(e, "openvpn.renegotiateSeconds", "must be 0 (off) or at least 10");
	if (c->ike_sa_life_sec != 0 && c->ike_sa_life_sec < 10)
		conf_errors_add(e, "ikev2.ikeSaLifetimeSeconds", "must be 0 (off) or at least 10");
	if (!c->cert_file != !c->key_file)
		conf_errors_add(e,
				c->cert_file ? "serverCertificate.keyFile"
					     : "serverCertificate.certFile",
				"certFile and keyFile go together");
}

struct pool_ref {
	const struct prefix4 *p;
	char path[200];
};

static void check_one_pool(const struct gw_conf *c, const struct pool_ref *r, uint8_t max_len,
			   struct conf_errors *e)
{
	if (!ip4_is_private(r->p))
		conf_errors_add(e, r->path,
				"must be a private range (10/8, 172.16/12, 192.168/16 "
				"or 100.64/10)");
	if (r->p->len > max_len)
		conf_errors_add(e, r->path, "is smaller than the smallest pool allowed here, /%u%s",
				max_len,
				c->active_active && max_len == 28 ? " (activeActive)" : "");
	const struct prefix_list *other[] = {&c->vnet, &c->routes};
	const char *names[] = {"virtualNetwork.addressSpace", "customRoutes.addressPrefixes"};
	for (int k = 0; k < 2; k++)
		for (size_t j = 0; j < other[k]->n; j++)
			if (prefix4_overlap(r->p, &other[k]->v[j]))
				conf_errors_add(e, r->path, "overlaps %s[%zu]", names[k], j);
}

static size_t collect_pools(const struct gw_conf *c, struct pool_ref *refs, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->pools.n && n < max; i++, n++) {
		refs[n].p = &c->pools.v[i];
		snprintf(refs[n].path, sizeof(refs[n].path), POOL_PATH "[%zu]", i);
	}
	for (size_t k = 0; k < c->client_connections.n; k++) {
		const struct prefix_list *pl = &c->client_connections.v[k].pool;
		for (size_t i = 0; i < pl->n && n < max; i++, n++) {
			refs[n].p = &pl->v[i];
			snprintf(refs[n].path, sizeof(refs[n].path),
				 CC "vngClientConnectionConfigurations[%zu].vpnClientAddressPool."
				    "addressPrefixes[%zu]",
				 k, i);
		}
	}
	return n;
}

static void check_pools(const struct gw_conf *c, struct conf_errors *e)
{
	struct pool_ref refs[256];
	if (c->pools.n == 0)
		conf_errors_add(e, POOL_PATH, "at least one client address prefix is required");
	size_t n = collect_pools(c, refs, 256);
	for (size_t i = 0; i < n; i++) {
		bool group_pool = i >= c->pools.n;
		check_one_pool(c, &refs[i], group_pool ? 24 : c->active_active ? 28 : 29, e);
		for (size_t j = 0; j < i; j++)
			if (prefix4_overlap(refs[i].p, refs[j].p))
				conf_errors_add(e, refs[i].path, "overlaps %s", refs[j].path);
	}
}

/* The tunnel x authentication matrix Azure documents. */
static void check_matrix(const struct gw_conf *c, struct conf_errors *e)
{
	if (!c->protocols)
		conf_errors_add(e, PROTOS, "at least one tunnel protocol is required");
	if (!c->auth_types)
		conf_errors_add(e, AUTHS, "at least one authentication type is required");
	bool aad = c->auth_types & AUTH_AAD;
	bool other_auth = c->auth_types & (AUTH_CERTIFICATE | AUTH_RADIUS);
	bool other_proto = c->protocols & (PROTO_IKEV2 | PROTO_SSTP);
	if (aad && !(c->protocols & PROTO_OPENVPN))
		conf_errors_add(e, AUTHS, "AAD authentication needs the OpenVPN tunnel type");
	else if (aad && other_proto && !other_auth)
		conf_errors_add(e, AUTHS,
				"IkeV2 and SSTP need Certificate or Radius: AAD serves "
				"only OpenVPN");
	else if (aad && other_proto)
		conf_warn_add(e, AUTHS,
			      "AAD applies to OpenVPN only; IkeV2/SSTP clients use "
			      "Certificate or Radius");
	if ((c->auth_types & AUTH_CERTIFICATE) && c->roots.n == 0 && c->cert_file)
		conf_errors_add(e, CC "vpnClientRootCertificates",
				"Certificate authentication needs at least one root certificate");
}

static void check_ipsec(const struct gw_conf *c, struct conf_errors *e)
{
	if (c->ipsec_policies.n > 1)
		conf_errors_add(e, CC "vpnClientIpsecPolicies", "at most one custom policy");
	for (size_t i = 0; i < c->ipsec_policies.n; i++) {
		const struct conf_ipsec_policy *p = &c->ipsec_policies.v[i];
		char path[160];
		snprintf(path, sizeof(path), CC "vpnClientIpsecPolicies[%zu]", i);
		const char *need[] = {p->ipsec_encryption, p->ipsec_integrity, p->ike_encryption,
				      p->ike_integrity,	   p->dh_group,	       p->pfs_group};
		for (int k = 0; k < 6; k++)
			if (!need[k])
				conf_errors_add(e, path, "every field of the policy is required");
		if (!p->sa_lifetime_seconds || !p->sa_data_size_kb)
			conf_errors_add(e, path,
					"saLifeTimeSeconds and saDataSizeKilobytes are "
					"required");
		bool enc_gcm = p->ipsec_encryption && strncmp(p->ipsec_encryption, "GCM", 3) == 0;
		bool int_gcm = p->ipsec_integrity && strncmp(p->ipsec_integrity, "GCM", 3) == 0;
		if ((enc_gcm || int_gcm) && p->ipsec_encryption && p->ipsec_integrity &&
		    strcmp(p->ipsec_encryption, p->ipsec_integrity) != 0) {
			char ip[200];
			snprintf(ip, sizeof(ip), "%s.ipsecIntegrity", path);
			conf_errors_add(e, ip,
					"a GCM cipher pairs only with its own GCM integrity "
					"(%s with %s)",
					p->ipsec_encryption, p->ipsec_integrity);
		}
	}
}

static bool is_guid(const char *s, size_t n)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The tenant id after prefix in url, or NULL; *len set. */
static const char *tenant_after(const char *url, const char *const *prefixes, size_t *len)
{
	for (; url && *prefixes; prefixes++) {
		size_t pl = strlen(*prefixes);
		if (strncmp(url, *prefixes, pl) == 0) {
			*len = strcspn(url + pl, "/\\");
			return url + pl;
		}
	}
	return NULL;
}

/* Plain http to this host only: the authority must be exactly a loopback
 * name or address (http://localhost.example.net/ is not). */
static bool http_loopback(const char *url)
{
	if (strncmp(url, "http://", 7) != 0)
		return false;
	const char *h = url + 7;
	size_t n = strcspn(h, ":/?#");
	if (h[0] == '[')
		return strncmp(h, "[::1]", 5) == 0 && strchr(":/", h[5]) && h[5];
	char host[64];
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = 0;
	struct in_addr a;
	if (strcmp(host, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static void check_aad(const struct gw_conf *c, struct conf_errors *e)
{
	if (!(c->auth_types & AUTH_AAD))
		return;
	static const char *const tenants[] = {
		"https://login.microsoftonline.com/", "https://login.microsoftonline.us/",
		"https://login.chinacloudapi.cn/", "https://login.microsoftonline.de/", NULL};
	static const char *const issuers[] = {"https://sts.windows.net/",
					      "https://sts.chinacloudapi.cn/", NULL};
	size_t tl = 0, il = 0;
	const char *t = tenant_after(c->aad_tenant, tenants, &tl);
	const char *is = tenant_after(c->aad_issuer, issuers, &il);
	if (!t || !is_guid(t, tl) || t[tl] != 0)
		conf_errors_add(e, CC "aadTenant",
				"must be https://login.microsoftonline.com/"
				"{tenant id} (or a sovereign cloud's login host), "
				"with no trailing slash");
	if (!is || !is_guid(is, il) || strcmp(is + il, "/") != 0)
		conf_errors_add(e, CC "aadIssuer",
				"must be https://sts.windows.net/{tenant id}/ "
				"with the trailing slash");
	if (t && is && tl == il && is_guid(t, tl) && strncasecmp(t, is, tl) != 0)
		conf_errors_add(e, CC "aadIssuer", "names another tenant than aadTenant");
	if (c->aad_ca_file && !file_readable(c->aad_ca_file))
		conf_errors_add(e, CC "aadCaFile", "cannot read %s", c->aad_ca_file);
	if (c->aad_jwks_uri && strncmp(c->aad_jwks_uri, "https://", 8) != 0 &&
	    !http_loopback(c->aad_jwks_uri))
		conf_errors_add(e, CC "aadJwksUri",
				"must be an https:// URL (plain http only on "
				"loopback)");
	if (!c->aad_audience || !c->aad_audience[0] || strpbrk(c->aad_audience, ", ;"))
		conf_errors_add(e, CC "aadAudience",
				"exactly one audience (application id) is "
				"required");
}

static void check_radius(const struct gw_conf *c, struct conf_errors *e)
{
	bool single = c->radius_address != NULL, multi = c->radius_servers.n > 0;
	if ((c->auth_types & AUTH_RADIUS) && !single && !multi)
		conf_errors_add(e, CC "radiusServers",
				"RADIUS authentication needs a server "
				"(radiusServers or radiusServerAddress)");
	if (single && multi)
		conf_errors_add(e, CC "radiusServerAddress",
				"use radiusServers or "
				"radiusServerAddress, not both");
	if (c->radius_require_ma && !single)
		conf_errors_add(e, CC "radiusServerRequireMessageAuthenticator",
				"applies to radiusServerAddress, which is not set (put it in "
				"each radiusServers[] entry)");
	if (single && (!c->radius_secret || !c->radius_secret[0]))
		conf_errors_add(e, CC "radiusServerSecret",
				"is required (not empty) with radiusServerAddress");
	if (c->radius_servers.n > 2)
		conf_errors_add(e, CC "radiusServers", "at most two RADIUS servers");
	for (size_t i = 0; i < c->radius_servers.n; i++) {
		char p[160];
		snprintf(p, sizeof(p), CC "radiusServers[%zu]", i);
		if (!c->radius_servers.v[i].address)
			conf_errors_add(e, p, "radiusServerAddress is required");
		if (!c->radius_servers.v[i].secret || !c->radius_servers.v[i].secret[0])
			conf_errors_add(e, p, "radiusServerSecret is required");
	}
}

static bool group_exists(const struct gw_conf *c, const char *id)
{
	const char *tail = id ? strrchr(id, '/') : NULL; /* a resource id ends in the name */
	for (size_t i = 0; id && i < c->policy_groups.n; i++)
		if (c->policy_groups.v[i].name &&
		    (strcmp(c->policy_groups.v[i].name, id) == 0 ||
		     (tail && strcmp(c->policy_groups.v[i].name, tail + 1) == 0)))
			return true;
	return false;
}

static void check_rule(const struct conf_access_rule *r, const char *path, struct conf_errors *e)
{
	struct port_range pr[PORT_RANGES_MAX];
	char p[240];
	snprintf(p, sizeof(p), "%s.destinationPorts", path);
	if (r->ports && ports_parse(r->ports, pr, PORT_RANGES_MAX) < 0)
		conf_errors_add(e, p,
				"must be ports or ranges such as \"22,443,8000-8080\" (1 to 65535, "
				"at most %d)",
				PORT_RANGES_MAX);
	else if (r->ports && r->protocols && !(r->protocols & (RULE_TCP | RULE_UDP)))
		conf_errors_add(e, p, "ports need TCP or UDP among the protocols");
}

static void check_rules(const struct gw_conf *c, struct conf_errors *e)
{
	size_t total = 0;
	for (size_t i = 0; i < c->policy_groups.n; i++)
		for (size_t j = 0; j < c->policy_groups.v[i].rules.n; j++) {
			char p[200];
			snprintf(p, sizeof(p),
				 "virtualNetworkGatewayPolicyGroups[%zu].accessRules[%zu]", i, j);
			check_rule(&c->policy_groups.v[i].rules.v[j], p, e);
			total++;
		}
	if (total > 1000)
		conf_errors_add(e, "virtualNetworkGatewayPolicyGroups",
				"at most 1000 access rules across all groups, found %zu", total);
}

static void check_groups(const struct gw_conf *c, struct conf_errors *e)
{
	check_rules(c, e);
	size_t defaults = 0, members = 0;
	for (size_t i = 0; i < c->policy_groups.n; i++) {
		defaults += c->policy_groups.v[i].is_default;
		members += c->policy_groups.v[i].members.n;
	}
	if (c->policy_groups.n && defaults != 1)
		conf_errors_add(e, "virtualNetworkGatewayPolicyGroups",
				"exactly one group must be the default (isDefault), found %zu",
				defaults);
	if (c->policy_groups.n > 90)
		conf_errors_add(e, "virtualNetworkGatewayPolicyGroups", "at most 90 groups");
	if (members > 390)
		conf_errors_add(e, "virtualNetworkGatewayPolicyGroups",
				"at most 390 members across all groups, found %zu", members);
	for (size_t k = 0; k < c->client_connections.n; k++)
		for (size_t j = 0; j < c->client_connections.v[k].groups.n; j++)
			if (!group_exists(c, c->client_connections.v[k].groups.v[j].id)) {
				char p[200];
				snprintf(p, sizeof(p),
					 CC "vngClientConnectionConfigurations[%zu]."
					    "virtualNetworkGatewayPolicyGroups[%zu].id",
					 k, j);
				conf_errors_add(e, p,
						"names no group in "
						"virtualNetworkGatewayPolicyGroups");
			}
}

static void check_dns(const struct gw_conf *c, struct conf_errors *e)
{
	char names[DNS_NAMES_MAX][DNS_NAME_MAX];
	if (c->dns_suffixes && dns_names_split(c->dns_suffixes, names, DNS_NAMES_MAX) < 0)
		conf_errors_add(e, "virtualNetwork.dnsSuffixes",
				"must be DNS names separated by commas, at most %d", DNS_NAMES_MAX);
}

void conf_validate(const struct gw_conf *c, struct conf_errors *e)
{
	check_dns(c, e);
	check_gateway(c, e);
	if (c->p2s_absent) /* point-to-site removed: nothing of it to check */
		return;
	check_pools(c, e);
	check_matrix(c, e);
	check_ipsec(c, e);
	check_aad(c, e);
	check_radius(c, e);
	check_groups(c, e);
	conf_validate6(c, e);
}
