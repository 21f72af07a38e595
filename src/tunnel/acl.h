/* Access rules of a policy group, enforced on every packet a client sends
 * towards the virtual network: the first rule that matches decides, and
 * what no rule allows is refused. Compiled from the configuration; counters
 * per rule. A session points at its group's rules (NULL: no rules, Azure's
 * behaviour: everything routed is reachable). */
#ifndef P2S_ACL_H
#define P2S_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/net.h"

struct acl_rule {
	char name[64];
	bool deny;
	unsigned protocols; /* RULE_*; 0: any */
	const struct prefix4 *dst;
	size_t n_dst;
	const struct prefix6 *dst6;
	size_t n_dst6;
	struct port_range ports[PORT_RANGES_MAX];
	size_t n_ports; /* 0: any port */
	uint64_t hits;
};

struct acl {
	char group[256];
	struct acl_rule *rules;
	size_t n;
	uint64_t unmatched; /* refused because no rule allowed them */
};

/* Builds the rules of group g (borrowing its prefix arrays: the acl lives no
 * longer than the configuration). 0, or negative when g has no rules (out
 * is left empty) or on bad input (validated before). */
int acl_compile(struct acl *out, const struct conf_policy_group *g);
void acl_free(struct acl *a);
/* Allowed? Counts the deciding rule (or the refusal). pkt is an IP packet
 * whose header the forwarder already read. */
bool acl_allows(struct acl *a, const uint8_t *pkt, size_t len);

#endif
