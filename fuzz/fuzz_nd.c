/* The Router Solicitation check, as the core runs it on every IPv6 packet
 * from a client, and the Router Advertisement built for what it accepts. */
#include "fuzz.h"
#include "tunnel/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in6_addr src;
	if (nd_rs_parse(data, size, &src) != 1)
		return 0;
	static const struct prefix6 routes[2] = {
		{{.s6_addr = {0xfd, 0, 0, 0x10, 0, 1}}, 64},
		{{.s6_addr = {0xfd, 0, 0, 0x10, 0, 2}}, 48},
	};
	struct nd_ra a = {
		.gw_iid = {0, 0, 0, 0, 0, 0, 0, 1}, .dst = src, .routes = routes, .n_routes = 2};
	a.addr.s6_addr[0] = 0xfd;
	a.addr.s6_addr[15] = 2;
	uint8_t out[256];
	size_t n = nd_ra_build(&a, out, sizeof(out));
	FUZZ_CHECK(n > 40 && n <= sizeof(out));
	struct in6_addr back;
	FUZZ_CHECK(nd_rs_parse(out, n, &back) == 0); /* an advertisement, not a solicitation */
	return 0;
}
