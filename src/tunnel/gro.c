/* The coalescer (userspace GRO): packets from the clients are queued during
 * one event-loop iteration; a TCP segment that continues the last queued
 * segment of its flow (next sequence number, same headers but for lengths,
 * ids and PSH, full-sized predecessors, valid checksums) joins it, and the
 * run is written as one super-packet the kernel forwards (and resegments
 * where it must) in one pass. Everything else is written as it came, in the
 * order it came: a flow's packets never pass each other. */
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "offload.h"

#define TCP_ACK	  0x10
#define TCP_PSH	  0x08
#define FLOW_SCAN 8 /* entries looked back for a flow's run */

/* What the coalescer needs of a TCP segment. */
struct seg {
	int version;
	size_t l4, hlen, payload;
	uint32_t seq;
	uint8_t flags;
	uint16_t ip_id;
};

/* The IP layer of a joinable segment: no options, no extension headers,
 * no fragment, lengths exact, header checksum right. */
static bool ip_plain(const uint8_t *pkt, size_t len, struct seg *s)
{
	struct cur c;
	cur_init(&c, pkt, len);
	uint8_t vihl = cur_u8(&c);
	s->version = vihl >> 4;
	if (s->version == 4) {
		cur_u8(&c);
		uint16_t tot = cur_u16(&c);
		s->ip_id = cur_u16(&c);
		uint16_t frag = cur_u16(&c);
		cur_u8(&c);
		uint8_t proto = cur_u8(&c);
		s->l4 = 20;
		return cur_ok(&c) && vihl == 0x45 && tot == len && !(frag & 0x3fff) && proto == 6 &&
		       len >= 40 && csum_fold(csum_add(0, pkt, 20)) == 0xffff;
	}
	if (s->version != 6)
		return false;
	cur_bytes(&c, 3);
	uint16_t plen = cur_u16(&c);
	uint8_t nh = cur_u8(&c);
	s->l4 = 40;
	return cur_ok(&c) && nh == 6 && (size_t)plen + 40 == len && len >= 60;
}

/* A data segment that may join or start a run: ACK (PSH allowed), a
 * payload, a valid checksum. */
static bool seg_parse(const uint8_t *pkt, size_t len, struct seg *s)
{
	if (!ip_plain(pkt, len, s))
		return false;
	const uint8_t *t = pkt + s->l4;
	s->hlen = s->l4 + (size_t)(t[12] >> 4) * 4;
	if (s->hlen < s->l4 + 20 || s->hlen >= len)
		return false;
	s->payload = len - s->hlen;
	s->seq = off_get32(t + 4);
	s->flags = t[13];
	if ((s->flags & (uint8_t)~TCP_PSH) != TCP_ACK)
		return false;
	uint64_t acc = csum_add(csum_pseudo(pkt, 6, len - s->l4), t, len - s->l4);
	return csum_fold(acc) == 0xffff;
}

/* The flow key of any TCP packet (addresses and ports), so that a packet
 * that cannot join still keeps later ones of its flow behind it. */
static size_t flow_key(const uint8_t *pkt, size_t len, uint8_t key[37])
{
	if (len < 1)
		return 0;
	int v = pkt[0] >> 4;
	size_t l4 = v == 4 ? (size_t)(pkt[0] & 15) * 4 : 40;
	bool tcp = v == 4 ? len >= 20 && pkt[9] == 6 : v == 6 && len >= 40 && pkt[6] == 6;
	if (!tcp || l4 < 20 || l4 + 4 > len)
		return 0;
	size_t alen = v == 4 ? 8 : 32;
	key[0] = (uint8_t)v;
	memcpy(key + 1, pkt + (v == 4 ? 12 : 8), alen);
	memcpy(key + 1 + alen, pkt + l4, 4);
	return 1 + alen + 4;
}

static struct gro_entry *append(struct gro *g, const uint8_t *key, size_t klen)
{
	struct gro_entry *e = &g->e[g->n++];
	e->run = e->closed = e->pure_ack = false;
	e->segs = 1;
	e->niov = 0;
	e->payload = 0;
	e->key_len = klen;
	memcpy(e->key, key, klen);
	memset(e->head, 0, VNET_HDR_LEN);
	e->head_len = VNET_HDR_LEN;
	return e;
}

static void add_payload(struct gro *g, struct gro_entry *e, const uint8_t *p, size_t n)
{
	uint8_t *dst = g->arena + g->used;
	memcpy(dst, p, n);
	g->used += n;
	e->payload += n;
	struct iovec *last = e->niov ? &e->iov[e->niov - 1] : NULL;
	if (last && (uint8_t *)last->iov_base + last->iov_len == dst)
		last->iov_len += n; /* consecutive in the arena: one iovec */
	else
		e->iov[e->niov++] = (struct iovec){dst, n};
}

static struct gro_entry *flow_last(struct gro *g, const uint8_t *key, size_t klen)
{
	for (unsigned i = g->n, k = 0; i > 0 && k < FLOW_SCAN; i--, k++) {
		struct gro_entry *e = &g->e[i - 1];
		if (e->key_len == klen && memcmp(e->key, key, klen) == 0)
			return e;
	}
	return NULL;
}

/* Same headers but for what segmentation changes: IPv4 length, id and
 * checksum, IPv6 payload length, TCP sequence number, PSH and checksum. */
static bool same_headers(const struct gro_entry *e, const uint8_t *pkt, const struct seg *s)
{
	const uint8_t *h = e->head + VNET_HDR_LEN;
	if (s->version == 4) {
		if (h[1] != pkt[1] || memcmp(h + 6, pkt + 6, 4) != 0 || s->ip_id != e->ip_id)
			return false;
	} else if (memcmp(h, pkt, 4) != 0 || memcmp(h + 6, pkt + 6, 2) != 0) {
		return false;
	}
	const uint8_t *a = h + s->l4, *b = pkt + s->l4;
	size_t thlen = s->hlen - s->l4;
	return memcmp(a + 8, b + 8, 5) == 0 && memcmp(a + 14, b + 14, 2) == 0 &&
	       memcmp(a + 20, b + 20, thlen - 20) == 0;
}

static bool can_join(const struct gro_entry *e, const uint8_t *pkt, const struct seg *s)
{
	return e->run && !e->closed && e->head_len == VNET_HDR_LEN + s->hlen &&
	       s->seq == e->next_seq && s->payload <= e->mss && e->segs < GRO_MAX_SEGS &&
	       e->niov < GRO_MAX_SEGS && s->hlen + e->payload + s->payload <= OFFLOAD_MAX_PACKET &&
	       same_headers(e, pkt, s);
}

static void join(struct gro *g, struct gro_entry *e, const uint8_t *pkt, const struct seg *s)
{
	add_payload(g, e, pkt + s->hlen, s->payload);
	e->segs++;
	e->next_seq += (uint32_t)s->payload;
	e->ip_id++;
	if (s->flags & TCP_PSH) {
		e->head[VNET_HDR_LEN + s->l4 + 13] |= TCP_PSH;
		e->closed = true;
	}
	if (s->payload < e->mss)
		e->closed = true;
	g->merged++;
}

static void start_run(struct gro *g, const uint8_t *pkt, const struct seg *s, const uint8_t *key,
		      size_t klen)
{
	struct gro_entry *e = append(g, key, klen);
	memcpy(e->head + VNET_HDR_LEN, pkt, s->hlen);
	e->head_len = VNET_HDR_LEN + s->hlen;
	e->run = true;
	e->l4 = s->l4;
	e->mss = (uint16_t)s->payload;
	e->next_seq = s->seq + (uint32_t)s->payload;
	e->ip_id = (uint16_t)(s->ip_id + 1);
	add_payload(g, e, pkt + s->hlen, s->payload);
}

/* A bare cumulative ACK: no payload, ACK alone, options at most the
 * timestamp (SACK blocks, window probes and ECN echoes are never touched),
 * valid checksums. */
static bool pure_ack(const uint8_t *pkt, size_t len, uint32_t *ack)
{
	struct seg s;
	if (!ip_plain(pkt, len, &s))
		return false;
	const uint8_t *t = pkt + s.l4;
	size_t thlen = (size_t)(t[12] >> 4) * 4;
	static const uint8_t ts[4] = {1, 1, 8, 10};
	bool opts = thlen == 20 || (thlen == 32 && memcmp(t + 20, ts, 4) == 0);
	if (s.l4 + thlen != len || !opts || t[13] != TCP_ACK)
		return false;
	*ack = off_get32(t + 8);
	return csum_fold(csum_add(csum_pseudo(pkt, 6, thlen), t, thlen)) == 0xffff;
}

/* A newer bare ACK of a flow whose latest queued packet is an older bare
 * ACK of the same size takes its place (as qdiscs' ACK filters do): the
 * cumulative acknowledgement and window only move forward, and the flow's
 * order is kept since nothing of it was queued after. */
static bool ack_replaces(struct gro *g, const uint8_t *pkt, size_t len, const uint8_t *key,
			 size_t klen)
{
	uint32_t ack;
	if (!pure_ack(pkt, len, &ack))
		return false;
	struct gro_entry *e = flow_last(g, key, klen);
	bool newer = e && e->pure_ack && (int32_t)(ack - e->ack) > 0 && e->niov == 1 &&
		     e->iov[0].iov_len == len;
	if (newer) {
		memcpy(e->iov[0].iov_base, pkt, len);
		e->ack = ack;
		g->acks_replaced++;
		return true;
	}
	e = append(g, key, klen);
	add_payload(g, e, pkt, len);
	e->pure_ack = true;
	e->ack = ack;
	return true;
}

int gro_add(struct gro *g, const uint8_t *pkt, size_t len)
{
	if (g->n == GRO_MAX_ENTRIES || len > GRO_ARENA - g->used || len > OFFLOAD_MAX_PACKET)
		return P2S_E_FULL;
	uint8_t key[37];
	size_t klen = flow_key(pkt, len, key);
	struct seg s = {0};
	if (klen && ack_replaces(g, pkt, len, key, klen))
		return 0;
	if (klen && seg_parse(pkt, len, &s)) {
		struct gro_entry *e = flow_last(g, key, klen);
		if (e && can_join(e, pkt, &s)) {
			join(g, e, pkt, &s);
			return 0;
		}
		if (!(s.flags & TCP_PSH)) {
			start_run(g, pkt, &s, key, klen);
			return 0;
		}
	}
	add_payload(g, append(g, key, klen), pkt, len);
	return 0;
}

/* A run of two or more: lengths, the IPv4 header checksum, the partial TCP
 * checksum (pseudo-header sum, not inverted) and the virtio-net header. */
static void finish_run(struct gro_entry *e)
{
	uint8_t *ip = e->head + VNET_HDR_LEN;
	size_t hlen = e->head_len - VNET_HDR_LEN;
	size_t total = hlen + e->payload;
	bool v4 = (ip[0] >> 4) == 4;
	if (v4) {
		off_put16(ip + 2, (uint16_t)total);
		memset(ip + 10, 0, 2);
		uint16_t c = (uint16_t)~csum_fold(csum_add(0, ip, 20));
		memcpy(ip + 10, &c, 2);
	} else {
		off_put16(ip + 4, (uint16_t)(total - 40));
	}
	uint16_t partial = csum_fold(csum_pseudo(ip, 6, total - e->l4));
	memcpy(ip + e->l4 + 16, &partial, 2);
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
			     .gso_type = v4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6,
			     .hdr_len = (uint16_t)hlen,
			     .gso_size = e->mss,
			     .csum_start = (uint16_t)e->l4,
			     .csum_offset = 16};
	vnet_hdr_write(e->head, &h);
}

unsigned gro_flush(struct gro *g, gro_out_fn out, void *ctx)
{
	unsigned failed = 0;
	struct iovec iov[GRO_MAX_SEGS + 1];
	for (unsigned i = 0; i < g->n; i++) {
		struct gro_entry *e = &g->e[i];
		if (e->run && e->segs > 1)
			finish_run(e);
		iov[0] = (struct iovec){e->head, e->head_len};
		memcpy(iov + 1, e->iov, (size_t)e->niov * sizeof(iov[0]));
		if (out(ctx, iov, e->niov + 1) < 0)
			failed++;
	}
	g->n = 0;
	g->used = 0;
	return failed;
}
