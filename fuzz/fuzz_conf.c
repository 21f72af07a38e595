/* conf_load_string on arbitrary text: a configuration or a non-empty list
 * of "path: rule" errors, never both, never a crash or a leak. */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = 0;
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(s, &e);
	if (c) {
		FUZZ_CHECK(e.n == 0);
		/* Without vpnClientConfiguration point-to-site is removed: no pools. */
		FUZZ_CHECK(c->pools.n > 0 || c->p2s_absent);
		FUZZ_CHECK(!c->p2s_absent || (c->protocols == 0 && c->auth_types == 0));
		FUZZ_CHECK(c->fqdn && c->fqdn[0]);
		/* IPv6: at most one prefix per pool, a sane length, never Basic. */
		FUZZ_CHECK(c->pools6.n <= 1);
		for (size_t i = 0; i < c->pools6.n; i++)
			FUZZ_CHECK(c->pools6.v[i].len >= 64 && c->pools6.v[i].len <= 120);
		for (size_t k = 0; k < c->client_connections.n; k++)
			FUZZ_CHECK(c->client_connections.v[k].pool6.n <= 1);
		FUZZ_CHECK(strcmp(c->sku, "Basic") != 0 ||
			   c->pools6.n + c->vnet6.n + c->routes6.n == 0);
		for (size_t i = 0; i < c->roots.n; i++)
			FUZZ_CHECK(c->roots.v[i].der && c->roots.v[i].der_len > 0);
		conf_free(c);
	} else {
		FUZZ_CHECK(e.n > 0);
	}
	for (size_t i = 0; i < e.n; i++)
		FUZZ_CHECK(e.msg[i] && strstr(e.msg[i], ": "));
	conf_errors_free(&e);
	free(s);
	return 0;
}
