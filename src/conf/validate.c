/* Rules that span fields. Each names the JSON path it concerns. */
#include <stdio.h>
#include <string.h>

#include "conf.h"

#define POOL_PATH "vpnClientConfiguration.vpnClientAddressPool.addressPrefixes"
#define ROOTS_PATH "vpnClientConfiguration.vpnClientRootCertificates"

static void check_gateway(const struct gw_conf *c, struct conf_errors *e)
{
	if (strcmp(c->vpn_type, "RouteBased") != 0)
		conf_errors_add(e, "vpnType", "point-to-site needs \"RouteBased\"");
	const struct sku_info *s = sku_lookup(c->sku);
	unsigned gen = strcmp(c->generation, "Generation1") == 0   ? 1
		       : strcmp(c->generation, "Generation2") == 0 ? 2
								   : 0;
	if (!gen)
		conf_errors_add(e, "vpnGatewayGeneration", "must be Generation1 or Generation2");
	if (!s)
		conf_errors_add(e, "sku", "unknown SKU \"%s\"; expected Basic, VpnGw1-5 or "
					  "VpnGw1AZ-5AZ", c->sku);
	else if (gen && !(s->gen_mask & gen))
		conf_errors_add(e, "sku", "%s is not offered in %s", c->sku, c->generation);
	if (s && strcmp(s->name, "Basic") == 0 && (c->protocols & (PROTO_OPENVPN | PROTO_IKEV2)))
		conf_errors_add(e, "vpnClientConfiguration.vpnClientProtocols",
				"the Basic SKU supports neither OpenVPN nor IkeV2");
	if (!c->fqdn || !c->fqdn[0])
		conf_errors_add(e, "gatewayFqdn", "is required: the name clients connect to");
	if (!c->tun_name[0] || strlen(c->tun_name) >= 16)
		conf_errors_add(e, "tunInterface", "must be 1 to 15 characters");
	if (c->ping_sec == 0 || c->ping_restart_sec <= c->ping_sec)
		conf_errors_add(e, "openvpn.pingRestartSeconds",
				"must be greater than pingSeconds, which must be positive");
	if (c->reneg_sec != 0 && c->reneg_sec < 10)
		conf_errors_add(e, "openvpn.renegotiateSeconds", "must be 0 (off) or at least 10");
}

static void check_pool_against(const struct prefix4 *p, const char *ppath,
			       const struct prefix_list *l, const char *lpath,
			       struct conf_errors *e)
{
	for (size_t j = 0; j < l->n; j++)
		if (prefix4_overlap(p, &l->v[j]))
			conf_errors_add(e, ppath, "overlaps %s[%zu]", lpath, j);
}

static void check_pools(const struct gw_conf *c, struct conf_errors *e)
{
	if (c->pools.n == 0)
		conf_errors_add(e, POOL_PATH, "at least one client address prefix is required");
	for (size_t i = 0; i < c->pools.n; i++) {
		char p[256];
		snprintf(p, sizeof(p), POOL_PATH "[%zu]", i);
		const struct prefix4 *pf = &c->pools.v[i];
		if (!ip4_is_private(pf))
			conf_errors_add(e, p, "must be a private range (10/8, 172.16/12, "
					      "192.168/16 or 100.64/10)");
		if (pf->len > 29)
			conf_errors_add(e, p, "is smaller than the smallest pool, /29");
		check_pool_against(pf, p, &c->vnet, "virtualNetwork.addressSpace", e);
		check_pool_against(pf, p, &c->routes, "customRoutes.addressPrefixes", e);
		for (size_t j = 0; j < i; j++)
			if (prefix4_overlap(pf, &c->pools.v[j]))
				conf_errors_add(e, p, "overlaps " POOL_PATH "[%zu]", j);
	}
}

static void check_auth(const struct gw_conf *c, struct conf_errors *e)
{
	if (c->protocols & (PROTO_SSTP | PROTO_IKEV2))
		conf_errors_add(e, "vpnClientConfiguration.vpnClientProtocols",
				"only OpenVPN is implemented by this gateway so far");
	if (c->auth_types & (AUTH_RADIUS | AUTH_AAD))
		conf_errors_add(e, "vpnClientConfiguration.vpnAuthenticationTypes",
				"only Certificate is implemented by this gateway so far");
	if (!c->protocols)
		conf_errors_add(e, "vpnClientConfiguration.vpnClientProtocols",
				"at least one tunnel protocol is required");
	if (!c->auth_types)
		conf_errors_add(e, "vpnClientConfiguration.vpnAuthenticationTypes",
				"at least one authentication type is required");
	/* Without a configured server certificate the gateway makes its own PKI,
	 * demo client root included; with one, the admin must upload a root. */
	if ((c->auth_types & AUTH_CERTIFICATE) && c->n_roots == 0 && c->cert_file)
		conf_errors_add(e, ROOTS_PATH, "Certificate authentication needs at least one "
					       "root certificate");
	if (!c->cert_file != !c->key_file)
		conf_errors_add(e, c->cert_file ? "serverCertificate.keyFile"
						: "serverCertificate.certFile",
				"certFile and keyFile go together");
}

void conf_validate(const struct gw_conf *c, struct conf_errors *e)
{
	check_gateway(c, e);
	check_pools(c, e);
	check_auth(c, e);
}
