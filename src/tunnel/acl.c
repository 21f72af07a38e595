#include "acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

/* What a rule looks at: protocol, destination and, for TCP and UDP in the
 * first fragment, the destination port (0: none seen). */
struct flow {
	int version;
	uint8_t proto;
	uint32_t dst4;
	struct in6_addr dst6;
	uint16_t port;
};

static void ports_of(struct cur *c, struct flow *f)
{
	if (f->proto == 6 || f->proto == 17) {
		cur_u16(c); /* source port */
		f->port = cur_u16(c);
		if (!cur_ok(c))
			f->port = 0;
	}
}

static int flow_parse4(struct cur *c, uint8_t first, struct flow *f)
{
	size_t ihl = (size_t)(first & 0x0f) * 4;
	cur_bytes(c, 5);
	uint16_t frag = cur_u16(c);
	cur_u8(c); /* ttl */
	f->proto = cur_u8(c);
	cur_bytes(c, 6); /* checksum, source */
	f->dst4 = cur_u32(c);
	if (!cur_ok(c) || ihl < 20 || (ihl > 20 && !cur_bytes(c, ihl - 20)))
		return P2S_E_TRUNC;
	if ((frag & 0x1fff) == 0) /* later fragments carry no ports */
		ports_of(c, f);
	return 0;
}

static int flow_parse(const uint8_t *pkt, size_t len, struct flow *f)
{
	struct cur c;
	cur_init(&c, pkt, len);
	uint8_t first = cur_u8(&c);
	memset(f, 0, sizeof(*f));
	f->version = first >> 4;
	if (f->version == 4)
		return flow_parse4(&c, first, f);
	if (f->version != 6)
		return P2S_E_PROTO;
	cur_bytes(&c, 5);
	f->proto = cur_u8(&c); /* the next header: extension headers are not followed */
	cur_bytes(&c, 17);
	cur_copy(&c, &f->dst6, 16);
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	ports_of(&c, f);
	return 0;
}

static bool proto_matches(const struct acl_rule *r, const struct flow *f)
{
	if (!r->protocols)
		return true;
	unsigned p = f->proto == 6		       ? RULE_TCP
		     : f->proto == 17		       ? RULE_UDP
		     : f->proto == 1 || f->proto == 58 ? RULE_ICMP
						       : 0;
	return (r->protocols & p) != 0;
}

static bool dst_matches(const struct acl_rule *r, const struct flow *f)
{
	if (!r->n_dst && !r->n_dst6)
		return true;
	if (f->version == 4) {
		for (size_t i = 0; i < r->n_dst; i++)
			if (prefix4_contains(&r->dst[i], f->dst4))
				return true;
		return false;
	}
	for (size_t i = 0; i < r->n_dst6; i++)
		if (prefix6_contains(&r->dst6[i], &f->dst6))
			return true;
	return false;
}

static bool port_matches(const struct acl_rule *r, const struct flow *f)
{
	if (!r->n_ports)
		return true;
	for (size_t i = 0; i < r->n_ports; i++)
		if (f->port >= r->ports[i].lo && f->port <= r->ports[i].hi)
			return true;
	return false; /* no port seen (a later fragment, ICMP): not this rule */
}

bool acl_allows(struct acl *a, const uint8_t *pkt, size_t len)
{
	struct flow f;
	if (flow_parse(pkt, len, &f) < 0) {
		a->unmatched++;
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		struct acl_rule *r = &a->rules[i];
		if (proto_matches(r, &f) && dst_matches(r, &f) && port_matches(r, &f)) {
			r->hits++;
			return !r->deny;
		}
	}
	a->unmatched++;
	return false;
}

int acl_compile(struct acl *out, const struct conf_policy_group *g)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->group, sizeof(out->group), "%s", g->name ? g->name : "");
	if (!g->rules.n)
		return P2S_E_PROTO;
	out->rules = calloc(g->rules.n, sizeof(*out->rules));
	if (!out->rules)
		return -ENOMEM;
	for (size_t i = 0; i < g->rules.n; i++) {
		const struct conf_access_rule *c = &g->rules.v[i];
		struct acl_rule *r = &out->rules[i];
		snprintf(r->name, sizeof(r->name), "%s", c->name ? c->name : "");
		r->deny = c->action && strcmp(c->action, "Deny") == 0;
		r->protocols = c->protocols;
		r->dst = c->dst.v;
		r->n_dst = c->dst.n;
		r->dst6 = c->dst6.v;
		r->n_dst6 = c->dst6.n;
		int n = c->ports ? ports_parse(c->ports, r->ports, PORT_RANGES_MAX) : 0;
		if (n < 0) {
			acl_free(out);
			return -EINVAL;
		}
		r->n_ports = (size_t)n;
	}
	out->n = g->rules.n;
	return 0;
}

void acl_free(struct acl *a)
{
	if (!a)
		return;
	free(a->rules);
	a->rules = NULL;
	a->n = 0;
}
