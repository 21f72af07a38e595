/* EAP-TLS terminated by the gateway (Certificate authentication for SSTP).
 * Not implemented yet: the client is refused with EAP-Failure. */
#include <stdlib.h>

#include "lib/log.h"
#include "proto/sstp/conn.h"

#define LOG_MODULE "sstp"

struct sstp_eaptls {
	int unused;
};

void sstp_eaptls_input(struct sstp_conn *c, const char *identity, const uint8_t *pkt,
		       size_t len)
{
	(void)pkt;
	(void)len;
	slog_info(sstp_conn_sid(c), "EAP-TLS for %s: not supported yet, refused", identity);
	ppp_auth_refuse(&c->ppp, "EAP-TLS is not supported yet", NULL, 0);
}

void sstp_eaptls_free(struct sstp_eaptls *t)
{
	free(t);
}
