#include "fwd.h"

#include <errno.h>
#include <unistd.h>

#include "lib/err.h"

static uint32_t ip4_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void fwd_from_tun(struct fwd *f, const uint8_t *pkt, size_t len)
{
	if (len < 20 || pkt[0] >> 4 != 4)
		return; /* IPv6 pools come later */
	struct session *s = pool_owner(f->pool, ip4_at(pkt + 16));
	if (!s) {
		f->no_route_drops++;
		return;
	}
	s->ctr.bytes_out += len;
	s->ctr.pkts_out++;
	s->ops->send_ip(s, pkt, len);
}

/* Pool addresses nobody holds are unreachable; the gateway's own are not. */
static bool unowned_pool_addr(const struct pool *p, uint32_t dst)
{
	for (size_t i = 0; i < p->n; i++)
		if (pool_gateway(p, i) == dst)
			return false;
	return pool_contains(p, dst);
}

int fwd_from_session(struct fwd *f, struct session *s, const uint8_t *pkt, size_t len)
{
	if (len < 20 || pkt[0] >> 4 != 4 || ip4_at(pkt + 12) != s->addr) {
		s->ctr.dropped++;
		return P2S_E_PROTO; /* not IPv4 from the client's own address */
	}
	s->ctr.bytes_in += len;
	s->ctr.pkts_in++;
	struct session *peer = pool_owner(f->pool, ip4_at(pkt + 16));
	if (peer || unowned_pool_addr(f->pool, ip4_at(pkt + 16))) {
		if (!f->client_to_client || !peer) {
			s->ctr.dropped++;
			return P2S_E_DENIED;
		}
		peer->ctr.bytes_out += len;
		peer->ctr.pkts_out++;
		peer->ops->send_ip(peer, pkt, len);
		return 0;
	}
	if (write(f->tun_fd, pkt, len) < 0) {
		f->tun_write_errors++;
		return -errno;
	}
	return 0;
}
