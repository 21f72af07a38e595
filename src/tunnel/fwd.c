#include "fwd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "acl.h"
#include "lib/cursor.h"
#include "lib/err.h"

_Thread_local bool fwd_shared;

/* The addresses of an inner IP header. */
struct inner {
	int version; /* 4 or 6 */
	uint32_t src4, dst4;
	struct in6_addr src6, dst6;
};

/* Reads the version and both addresses; the rest of the packet is the
 * kernel's (TUN) or the client's business. 0 or P2S_E_TRUNC. */
static int inner_parse(const uint8_t *pkt, size_t len, struct inner *h)
{
	struct cur c;
	cur_init(&c, pkt, len);
	uint8_t v = cur_u8(&c) >> 4;
	if (v == 4) {
		cur_bytes(&c, 11);
		h->src4 = cur_u32(&c);
		h->dst4 = cur_u32(&c);
	} else if (v == 6) {
		cur_bytes(&c, 7);
		cur_copy(&c, &h->src6, 16);
		cur_copy(&c, &h->dst6, 16);
	} else {
		return P2S_E_TRUNC;
	}
	h->version = v;
	return cur_ok(&c) ? 0 : P2S_E_TRUNC;
}

static void *owner_of(const struct fwd *f, const struct inner *h)
{
	if (h->version == 4)
		return pool_owner(f->pool, h->dst4);
	return f->pool6 ? pool6_owner(f->pool6, &h->dst6) : NULL;
}

void fwd_from_tun(struct fwd *f, const uint8_t *pkt, size_t len)
{
	struct inner h;
	struct session *s = inner_parse(pkt, len, &h) == 0 ? owner_of(f, &h) : NULL;
	if (!s) {
		f->no_route_drops++;
		return;
	}
	if (fwd_shared && !s->dp_fast && f->defer) {
		f->defer(pkt, len); /* the main loop sends it */
		return;
	}
	ctr_add(&s->ctr.bytes_out, len);
	ctr_add(&s->ctr.pkts_out, 1);
	s->ops->send_ip(s, pkt, len);
}

/* Pool addresses nobody holds are unreachable; the gateway's own are not. */
static bool unowned_pool_addr(const struct fwd *f, const struct inner *h)
{
	if (h->version == 6)
		return f->pool6 && !pool6_is_gateway(f->pool6, &h->dst6) &&
		       pool6_contains(f->pool6, &h->dst6);
	for (size_t i = 0; i < f->pool->n; i++)
		if (pool_gateway(f->pool, i) == h->dst4)
			return false;
	return pool_contains(f->pool, h->dst4);
}

static bool is_link_local6(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

static bool is_zero6(const struct in6_addr *a)
{
	static const struct in6_addr zero;
	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* A client's own kernel talks to the tunnel link itself (router and
 * neighbour solicitations, MLD: link-local or unspecified source, multicast
 * destination): that never leaves the link, and it is not spoofing. */
static bool link_scoped6(const struct inner *h)
{
	return is_link_local6(&h->src6) || is_zero6(&h->src6) || h->dst6.s6_addr[0] == 0xff;
}

/* 0 when the source is the client's own; else why it is dropped. */
static int check_source(struct fwd *f, struct session *s, const struct inner *h)
{
	if (h->version == 6 && link_scoped6(h))
		return P2S_E_DENIED;
	bool own = h->version == 4 ? s->addr && h->src4 == s->addr
				   : !is_zero6(&s->addr6) && memcmp(&h->src6, &s->addr6, 16) == 0;
	if (own)
		return 0;
	ctr_add(&s->ctr.spoofed, 1);
	f->spoofed++;
	return P2S_E_PROTO;
}

/* To the virtual network: queued for one coalesced write per flow and loop
 * iteration with offloads, else written at once. */
static int tun_out(struct fwd *f, const uint8_t *pkt, size_t len)
{
	if (f->gro) {
		if (gro_add(f->gro, pkt, len) == 0)
			return 0;
		fwd_flush(f);
		return gro_add(f->gro, pkt, len);
	}
	if (write(f->tun_fd, pkt, len) < 0) {
		__atomic_fetch_add(&f->tun_write_errors, 1, __ATOMIC_RELAXED);
		return -errno;
	}
	return 0;
}

static int to_peer(struct fwd *f, struct session *s, struct session *peer, const uint8_t *pkt,
		   size_t len)
{
	/* A packet to the sender's own address would only bounce back. */
	if (!f->client_to_client || !peer || peer == s) {
		ctr_add(&s->ctr.dropped, 1);
		return P2S_E_DENIED;
	}
	if (fwd_shared && !peer->dp_fast && f->defer) {
		f->defer(pkt, len); /* delivered by the main loop, as from the TUN */
		return 0;
	}
	ctr_add(&peer->ctr.bytes_out, len);
	ctr_add(&peer->ctr.pkts_out, 1);
	peer->ops->send_ip(peer, pkt, len);
	return 0;
}

int fwd_from_session(struct fwd *f, struct session *s, const uint8_t *pkt, size_t len)
{
	struct inner h;
	int r = inner_parse(pkt, len, &h);
	if (r == 0)
		r = check_source(f, s, &h);
	if (r < 0) {
		ctr_add(&s->ctr.dropped, 1);
		return r;
	}
	ctr_add(&s->ctr.bytes_in, len);
	ctr_add(&s->ctr.pkts_in, 1);
	struct session *peer = owner_of(f, &h);
	if (peer || unowned_pool_addr(f, &h))
		return to_peer(f, s, peer, pkt, len);
	if (s->acl && !acl_allows(s->acl, pkt, len)) {
		ctr_add(&s->ctr.denied, 1);
		f->denied++;
		return P2S_E_DENIED;
	}
	return tun_out(f, pkt, len);
}

#define SEG_MAX 65536

int fwd_offload_init(struct fwd *f)
{
	f->gro = calloc(1, sizeof(*f->gro));
	f->seg = malloc(SEG_MAX);
	if (f->gro && f->seg)
		return 0;
	fwd_offload_free(f);
	return -ENOMEM;
}

void fwd_offload_free(struct fwd *f)
{
	free(f->gro);
	free(f->seg);
	f->gro = NULL;
	f->seg = NULL;
}

static int tun_writev(void *ctx, const struct iovec *iov, int n)
{
	struct fwd *f = ctx;
	return writev(f->tun_fd, iov, n) < 0 ? -errno : 0;
}

void fwd_flush(struct fwd *f)
{
	/* A worker flushes from its prepare watcher, outside its batch. */
	if (f->gro && f->gro->n)
		__atomic_fetch_add(&f->tun_write_errors, gro_flush(f->gro, tun_writev, f),
				   __ATOMIC_RELAXED);
}

/* The gro and segmenter counters and no_route_drops change only inside a
 * data batch (the lock shared) or on the main loop: plain loads here, under
 * the exclusive lock, are ordered after them. */
void fwd_stats(const struct fwd *f, struct fwd_stats *out)
{
	*out = (struct fwd_stats){
		.segmenter_drops = f->offload_drops,
		.coalesced = f->gro ? f->gro->merged : 0,
		.acks_replaced = f->gro ? f->gro->acks_replaced : 0,
		.tun_write_errors = __atomic_load_n(&f->tun_write_errors, __ATOMIC_RELAXED),
		.no_route_drops = f->no_route_drops,
	};
}

void fwd_from_tun_vnet(struct fwd *f, const uint8_t *buf, size_t len)
{
	struct gso_iter it;
	if (gso_begin(&it, buf, len) < 0) {
		f->offload_drops++;
		return;
	}
	const uint8_t *p;
	size_t n;
	/* Bounded: each segment consumes at least one payload byte. */
	while ((p = gso_next(&it, f->seg, SEG_MAX, &n)))
		fwd_from_tun(f, p, n);
}

int fwd_drain_tun(struct fwd *f, int fd, uint8_t *buf, size_t cap)
{
	int i = 0;
	for (; i < 64; i++) {
		ssize_t n = read(fd, buf, cap);
		if (n <= 0)
			break;
		if (f->gro)
			fwd_from_tun_vnet(f, buf, (size_t)n);
		else
			fwd_from_tun(f, buf, (size_t)n);
	}
	return i;
}
