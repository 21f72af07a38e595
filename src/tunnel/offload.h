/* TUN offloads in userspace. With IFF_VNET_HDR and TUNSETOFFLOAD the kernel
 * hands the gateway one TCP (or UDP) super-packet of up to 64 KiB behind a
 * virtio-net header instead of ~45 MTU-sized packets, and takes such
 * super-packets back. Tunnels carry MTU-sized packets, so the segmenter cuts
 * what the TUN hands over into the packets the kernel would have sent
 * (sequence numbers, IPv4 ids, lengths and checksums fixed up), and the
 * coalescer joins consecutive in-order TCP segments of one flow from the
 * clients into one write (userspace GRO). Both work on bytes only (no
 * sockets): the forwarder owns the descriptor. */
#ifndef P2S_OFFLOAD_H
#define P2S_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* struct virtio_net_hdr (legacy, host byte order = little endian here). */
#define VNET_HDR_LEN	   10
#define VNET_F_NEEDS_CSUM  1
#define VNET_GSO_NONE	   0
#define VNET_GSO_TCPV4	   1
#define VNET_GSO_UDP	   3
#define VNET_GSO_TCPV6	   4
#define VNET_GSO_UDP_L4	   5
#define VNET_GSO_ECN	   0x80
#define OFFLOAD_MAX_PACKET 65535

struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* Reads the header at the front of buf (len >= VNET_HDR_LEN). */
int vnet_hdr_parse(const uint8_t *buf, size_t len, struct vnet_hdr *h);
void vnet_hdr_write(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h);

/* RFC 1071 one's-complement sum over bytes, added to acc (not folded, not
 * inverted); in the host's order, stored back as it is. */
uint64_t csum_add(uint64_t acc, const uint8_t *p, size_t n);
uint16_t csum_fold(uint64_t acc);
/* The pseudo-header sum of an IPv4/IPv6 packet's addresses (ip points at
 * the IP header), its L4 protocol and L4 length. */
uint64_t csum_pseudo(const uint8_t *ip, uint8_t proto, size_t l4_len);

/* Network-order fields of headers the segmenter and coalescer rewrite. */
static inline uint32_t off_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void off_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void off_put32(uint8_t *p, uint32_t v)
{
	off_put16(p, (uint16_t)(v >> 16));
	off_put16(p + 2, (uint16_t)v);
}

/* ---- segmenter ----------------------------------------------------------- */

/* One super-packet being cut. The segments come out in order; the packet
 * memory must stay put until the last one. */
struct gso_iter {
	const uint8_t *pkt;
	size_t len;
	struct vnet_hdr h;
	int version;	 /* 4 or 6 */
	uint8_t proto;	 /* 6 TCP, 17 UDP */
	size_t l4, hlen; /* L4 header offset; all headers' length */
	size_t off;	 /* next payload byte */
	unsigned i;	 /* next segment's index */
	bool single;	 /* no segmentation: the packet itself (checksum completed) */
	bool done;
};

/* Checks the virtio-net header and the headers it points into; buf starts
 * with the virtio-net header. 0, P2S_E_TRUNC (headers cut short) or
 * P2S_E_PROTO (an offload or layout the gateway does not take). */
int gso_begin(struct gso_iter *it, const uint8_t *buf, size_t len);
/* The next packet, written into out (cap bytes) or, for a packet that needs
 * nothing done, pointing into the super-packet; *n its length. NULL when
 * every segment was handed out, or a segment does not fit cap. */
const uint8_t *gso_next(struct gso_iter *it, uint8_t *out, size_t cap, size_t *n);

/* ---- coalescer ----------------------------------------------------------- */

#define GRO_MAX_ENTRIES 64
#define GRO_MAX_SEGS	64
#define GRO_ARENA	(256 * 1024)
#define GRO_HEAD_MAX	(VNET_HDR_LEN + 60 + 60)

/* One packet to write: the virtio-net header and (for a TCP run) the first
 * segment's IP and TCP headers in head, the payload in iov. */
struct gro_entry {
	uint8_t head[GRO_HEAD_MAX];
	size_t head_len;
	size_t l4;	   /* TCP header offset from the IP header (run only) */
	bool run;	   /* a TCP run others may join */
	bool closed;	   /* no more segments may join */
	bool pure_ack;	   /* a bare cumulative ACK a newer one may replace */
	uint32_t ack;	   /* its acknowledgement number */
	uint16_t mss;	   /* the first segment's payload */
	uint16_t ip_id;	   /* IPv4: the next segment's id */
	uint32_t next_seq; /* the sequence number the next segment must carry */
	size_t payload;	   /* bytes in iov */
	unsigned segs;
	uint8_t key[37]; /* version, addresses, ports: 0 bytes for non-TCP */
	size_t key_len;
	int niov;
	struct iovec iov[GRO_MAX_SEGS];
};

struct gro {
	unsigned n;
	size_t used;
	uint64_t merged;	/* segments that joined a run */
	uint64_t acks_replaced; /* bare ACKs a newer one of their flow overtook */
	struct gro_entry e[GRO_MAX_ENTRIES];
	uint8_t arena[GRO_ARENA];
};

/* Queues one IP packet. 0, or P2S_E_FULL: flush, then add again. */
int gro_add(struct gro *g, const uint8_t *pkt, size_t len);
/* Hands every queued packet, in order, as one iovec array (virtio-net
 * header first) to out; returns how many out refused (out < 0). */
typedef int (*gro_out_fn)(void *ctx, const struct iovec *iov, int n);
unsigned gro_flush(struct gro *g, gro_out_fn out, void *ctx);

#endif
