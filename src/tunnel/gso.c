/* The segmenter: a super-packet from the TUN becomes the MTU-sized packets
 * the kernel would have sent, each a complete IP packet with its own length,
 * IPv4 id, TCP sequence number or UDP length, and checksums. */
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "offload.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int vnet_hdr_parse(const uint8_t *buf, size_t len, struct vnet_hdr *h)
{
	struct cur c;
	cur_init(&c, buf, len);
	const uint8_t *p = cur_bytes(&c, VNET_HDR_LEN);
	if (!p)
		return P2S_E_TRUNC;
	*h = (struct vnet_hdr){.flags = p[0],
			       .gso_type = p[1],
			       .hdr_len = le16(p + 2),
			       .gso_size = le16(p + 4),
			       .csum_start = le16(p + 6),
			       .csum_offset = le16(p + 8)};
	return 0;
}

void vnet_hdr_write(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h)
{
	const uint16_t v[4] = {h->hdr_len, h->gso_size, h->csum_start, h->csum_offset};
	out[0] = h->flags;
	out[1] = h->gso_type;
	for (int i = 0; i < 4; i++) {
		out[2 + 2 * i] = (uint8_t)v[i];
		out[3 + 2 * i] = (uint8_t)(v[i] >> 8);
	}
}

uint64_t csum_add(uint64_t acc, const uint8_t *p, size_t n)
{
	/* 32-bit words into a 64-bit sum: folding later gives the 16-bit
	 * one's-complement sum (RFC 1071 §2). */
	for (; n >= 16; p += 16, n -= 16) {
		uint32_t w[4];
		memcpy(w, p, 16);
		acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
	}
	for (; n >= 4; p += 4, n -= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		acc += w;
	}
	uint8_t tail[4] = {0};
	memcpy(tail, p, n);
	uint32_t w;
	memcpy(&w, tail, 4);
	return acc + w;
}

uint16_t csum_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

uint64_t csum_pseudo(const uint8_t *ip, uint8_t proto, size_t l4_len)
{
	/* IPv4 and IPv6 pseudo-headers sum the same for lengths below 64 KiB. */
	const uint8_t tail[4] = {0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len};
	uint64_t acc = (ip[0] >> 4) == 4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32);
	return csum_add(acc, tail, 4);
}

/* Stores a finished checksum (inverted); UDP sends 0 as all ones. */
static void csum_store(uint8_t *field, uint64_t acc, bool udp)
{
	uint16_t c = (uint16_t)~csum_fold(acc);
	if (udp && c == 0)
		c = 0xffff;
	memcpy(field, &c, 2);
}

static int begin_single(struct gso_iter *it)
{
	it->single = true;
	if (!(it->h.flags & VNET_F_NEEDS_CSUM))
		return 0;
	size_t at = (size_t)it->h.csum_start + it->h.csum_offset;
	return at + 2 <= it->len ? 0 : P2S_E_TRUNC;
}

/* The IP header: version, L4 protocol and where L4 starts. */
static int parse_ip(struct gso_iter *it)
{
	struct cur c;
	cur_init(&c, it->pkt, it->len);
	uint8_t vihl = cur_u8(&c);
	it->version = vihl >> 4;
	if (it->version == 4) {
		cur_bytes(&c, 5);
		uint16_t frag = cur_u16(&c);
		cur_u8(&c);
		it->proto = cur_u8(&c);
		it->l4 = (size_t)(vihl & 15) * 4;
		if (it->l4 < 20 || (frag & 0x3fff))
			return P2S_E_PROTO; /* fragments are never offloaded */
	} else if (it->version == 6) {
		cur_bytes(&c, 5);
		it->proto = cur_u8(&c); /* extension headers are not offloaded here */
		it->l4 = 40;
	} else {
		return P2S_E_PROTO;
	}
	return cur_ok(&c) && it->l4 <= it->len ? 0 : P2S_E_TRUNC;
}

static int begin_gso(struct gso_iter *it, uint8_t type)
{
	int r = parse_ip(it);
	if (r < 0)
		return r;
	bool tcp = type == VNET_GSO_TCPV4 || type == VNET_GSO_TCPV6;
	bool ok = tcp ? it->proto == 6 && it->version == (type == VNET_GSO_TCPV4 ? 4 : 6)
		      : type == VNET_GSO_UDP_L4 && it->proto == 17;
	if (!ok || it->h.gso_size == 0)
		return P2S_E_PROTO;
	if ((it->h.flags & VNET_F_NEEDS_CSUM) && it->h.csum_start != it->l4)
		return P2S_E_PROTO;
	struct cur c;
	cur_init(&c, it->pkt, it->len);
	cur_bytes(&c, it->l4);
	const uint8_t *l4h = cur_bytes(&c, tcp ? 20 : 8);
	if (!l4h)
		return P2S_E_TRUNC;
	size_t l4len = tcp ? (size_t)(l4h[12] >> 4) * 4 : 8;
	it->hlen = it->l4 + l4len;
	if (l4len < (tcp ? 20u : 8u) || it->hlen > it->len)
		return P2S_E_TRUNC;
	it->off = it->hlen;
	return 0;
}

int gso_begin(struct gso_iter *it, const uint8_t *buf, size_t len)
{
	*it = (struct gso_iter){0};
	int r = vnet_hdr_parse(buf, len, &it->h);
	if (r < 0)
		return r;
	it->pkt = buf + VNET_HDR_LEN;
	it->len = len - VNET_HDR_LEN;
	if (it->len > OFFLOAD_MAX_PACKET)
		return P2S_E_PROTO;
	uint8_t type = it->h.gso_type & (uint8_t)~VNET_GSO_ECN;
	if (type == VNET_GSO_NONE)
		return begin_single(it);
	return begin_gso(it, type);
}

/* The packet as it came, its checksum completed when the kernel left it
 * partial (the field holds the pseudo-header sum; RFC 1071 over the rest). */
static const uint8_t *next_single(struct gso_iter *it, uint8_t *out, size_t cap, size_t *n)
{
	it->done = true;
	*n = it->len;
	if (!(it->h.flags & VNET_F_NEEDS_CSUM))
		return it->pkt;
	if (it->len > cap)
		return NULL;
	memcpy(out, it->pkt, it->len);
	size_t start = it->h.csum_start;
	uint8_t *field = out + start + it->h.csum_offset;
	bool udp = it->h.csum_offset == 6;
	csum_store(field, csum_add(0, out + start, it->len - start), udp);
	return out;
}

static void fix_ip(const struct gso_iter *it, uint8_t *p, size_t len)
{
	if (it->version == 6) {
		off_put16(p + 4, (uint16_t)(len - 40));
		return;
	}
	off_put16(p + 2, (uint16_t)len);
	off_put16(p + 4, (uint16_t)(((unsigned)p[4] << 8 | p[5]) + it->i));
	memset(p + 10, 0, 2);
	csum_store(p + 10, csum_add(0, p, it->l4), false);
}

static void fix_l4(const struct gso_iter *it, uint8_t *p, size_t len, bool last)
{
	uint8_t *l4 = p + it->l4;
	size_t l4len = len - it->l4;
	if (it->proto == 6) {
		uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | l4[6] << 8 | l4[7];
		off_put32(l4 + 4, seq + (uint32_t)(it->off - it->hlen));
		if (!last)
			l4[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (it->i > 0)
			l4[13] &= (uint8_t)~TCP_CWR;
		memset(l4 + 16, 0, 2);
		csum_store(l4 + 16, csum_add(csum_pseudo(p, 6, l4len), l4, l4len), false);
		return;
	}
	off_put16(l4 + 4, (uint16_t)l4len);
	memset(l4 + 6, 0, 2);
	csum_store(l4 + 6, csum_add(csum_pseudo(p, 17, l4len), l4, l4len), true);
}

const uint8_t *gso_next(struct gso_iter *it, uint8_t *out, size_t cap, size_t *n)
{
	if (it->done)
		return NULL;
	if (it->single)
		return next_single(it, out, cap, n);
	size_t left = it->len - it->off;
	size_t seg = left < it->h.gso_size ? left : it->h.gso_size;
	size_t len = it->hlen + seg;
	if (len > cap) {
		it->done = true;
		return NULL;
	}
	bool last = seg == left;
	memcpy(out, it->pkt, it->hlen);
	memcpy(out + it->hlen, it->pkt + it->off, seg);
	fix_ip(it, out, len);
	fix_l4(it, out, len, last);
	it->off += seg;
	it->i++;
	it->done = last;
	*n = len;
	return out;
}
