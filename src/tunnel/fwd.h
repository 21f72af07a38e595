/* Inner-packet forwarding between sessions and the TUN device. A packet
 * from the virtual network goes to the session that owns its destination
 * pool address; a packet from a client must carry that client's address. */
#ifndef P2S_FWD_H
#define P2S_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool/pool.h"
#include "session.h"

struct fwd {
	int tun_fd;
	struct pool *pool;
	bool client_to_client;
	uint64_t tun_write_errors;
	uint64_t no_route_drops;
};

/* From the TUN: deliver to the owning session, or drop. */
void fwd_from_tun(struct fwd *f, const uint8_t *pkt, size_t len);
/* From a client: checks the source, keeps clients apart unless allowed,
 * then writes to the TUN. 0 or a negative error (packet dropped). */
int fwd_from_session(struct fwd *f, struct session *s, const uint8_t *pkt, size_t len);

#endif
