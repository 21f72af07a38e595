#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *policy_cert_domain(const char *cn, char out[256])
{
	const char *at = cn ? strrchr(cn, '@') : NULL;
	const char *bs = cn ? strchr(cn, '\\') : NULL;
	if (at && at[1]) {
		snprintf(out, 256, "%s", at + 1);
		return out;
	}
	if (bs && bs > cn) {
		snprintf(out, 256, "%.*s", (int)(bs - cn), cn);
		return out;
	}
	return NULL;
}

static bool member_matches(const struct conf_policy_member *m, const struct policy_subject *s)
{
	const char *v = m->attribute_value;
	if (!v || !m->attribute_type)
		return false;
	if (strcmp(m->attribute_type, "CertificateGroupId") == 0) {
		char d[256];
		return policy_cert_domain(s->cert_cn, d) && strcasecmp(d, v) == 0;
	}
	if (strcmp(m->attribute_type, "RadiusAzureGroupId") == 0)
		return s->radius_policy_id && strcasecmp(s->radius_policy_id, v) == 0;
	for (size_t i = 0; i < s->n_aad_groups; i++)
		if (strcasecmp(s->aad_groups[i], v) == 0)
			return true;
	return false;
}

static bool group_matches(const struct conf_policy_group *g, const struct policy_subject *s)
{
	for (size_t i = 0; i < g->members.n; i++)
		if (member_matches(&g->members.v[i], s))
			return true;
	return false;
}

int policy_group_for(const struct gw_conf *c, const struct policy_subject *s)
{
	int best = -1, dflt = -1;
	for (size_t i = 0; i < c->policy_groups.n; i++) {
		const struct conf_policy_group *g = &c->policy_groups.v[i];
		if (g->is_default)
			dflt = (int)i;
		else if (group_matches(g, s) &&
			 (best < 0 || g->priority < c->policy_groups.v[best].priority))
			best = (int)i;
	}
	return best >= 0 ? best : dflt;
}

int policy_group_named(const struct gw_conf *c, const char *name)
{
	for (size_t i = 0; name[0] && i < c->policy_groups.n; i++)
		if (strcmp(c->policy_groups.v[i].name, name) == 0)
			return (int)i;
	for (size_t i = 0; i < c->policy_groups.n; i++)
		if (c->policy_groups.v[i].is_default)
			return (int)i;
	return -1;
}

int policy_connection_for(const struct gw_conf *c, int g)
{
	if (g < 0)
		return -1;
	const char *name = c->policy_groups.v[g].name;
	for (size_t k = 0; name && k < c->client_connections.n; k++) {
		const struct conf_client_connection *cc = &c->client_connections.v[k];
		for (size_t j = 0; j < cc->groups.n; j++) {
			const char *id = cc->groups.v[j].id;
			const char *tail = id ? strrchr(id, '/') : NULL;
			if (id && (strcmp(id, name) == 0 || (tail && strcmp(tail + 1, name) == 0)))
				return (int)k;
		}
	}
	return -1;
}
