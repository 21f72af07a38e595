/* User groups (virtualNetworkGatewayPolicyGroups): which group a user falls
 * in, by certificate domain, token groups or RADIUS policy id; the lowest
 * priority among matching groups wins, the default group takes the rest.
 * vngClientConnectionConfigurations then give each group its pool. */
#ifndef P2S_POLICY_H
#define P2S_POLICY_H

#include <stddef.h>

#include "conf/conf.h"

struct policy_subject {
	const char *cert_cn;	      /* user@domain or domain\user, or NULL */
	const char *radius_policy_id; /* MS-Azure-Policy-ID, or NULL */
	const char (*aad_groups)[64]; /* token groups */
	size_t n_aad_groups;
};

/* Index into c->policy_groups, or -1 when no groups are configured. */
int policy_group_for(const struct gw_conf *c, const struct policy_subject *s);
/* The group called name (a session's group after a reload or a resumed
 * login), else the default group, else -1 (no groups). */
int policy_group_named(const struct gw_conf *c, const char *name);
/* Index into c->client_connections serving group g, or -1 (the main pool). */
int policy_connection_for(const struct gw_conf *c, int g);
/* The domain of a certificate CN: "contoso.com" for user@contoso.com or
 * contoso.com\user; NULL when the CN has neither form. */
const char *policy_cert_domain(const char *cn, char out[256]);

#endif
