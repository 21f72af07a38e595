/* The DHCPINFORM parser, as the IKEv2 engine runs it on every decrypted
 * IPv4 packet, and the DHCPACK built for what it accepts. */
#include "fuzz.h"
#include "proto/ikev2/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_inform in;
	if (dhcp_inform_parse(data, size, &in) != 1)
		return 0;
	static const struct prefix4 routes[2] = {{0x0a010000, 16}, {0xc0a86400, 24}};
	static const uint32_t dns[1] = {0x0a010004};
	struct dhcp_answer a = {0xac10c901, 0xac10c901, routes, 2, dns, 1};
	uint8_t out[1024];
	size_t n = dhcp_ack_build(&in, &a, out, sizeof(out));
	FUZZ_CHECK(n > 28 + 240 && n <= sizeof(out));
	struct dhcp_inform back;
	FUZZ_CHECK(dhcp_inform_parse(out, n, &back) == 0); /* a reply, not a request */
	return 0;
}
