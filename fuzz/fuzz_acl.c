/* acl_allows on arbitrary packets: the flow parser reads through the cursor
 * whatever the header claims; a packet is allowed or refused, and exactly
 * one counter moves for it. */
#include <string.h>

#include "fuzz.h"
#include "tunnel/acl.h"

static struct prefix4 web[] = {{0x0a01000a, 32}};
static struct prefix6 web6[1];
static struct conf_access_rule rules[] = {
	{.name = "ssh-deny", .action = "Deny", .protocols = RULE_TCP, .ports = "22"},
	{.name = "web",
	 .action = "Allow",
	 .dst = {web, 1},
	 .dst6 = {web6, NULL, 1},
	 .protocols = RULE_TCP | RULE_UDP,
	 .ports = "80,443,8000-8080"},
	{.name = "ping", .action = "Allow", .protocols = RULE_ICMP},
};
static struct conf_policy_group group = {.name = "g", .rules = {rules, 3}};

static uint64_t total(const struct acl *a)
{
	uint64_t t = a->unmatched;
	for (size_t i = 0; i < a->n; i++)
		t += a->rules[i].hits;
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl a;
	web6[0].len = 64;
	web6[0].addr.s6_addr[0] = 0xfd;
	FUZZ_CHECK(acl_compile(&a, &group) == 0);
	acl_allows(&a, data, size);
	FUZZ_CHECK(total(&a) == 1);
	acl_free(&a);
	return 0;
}
