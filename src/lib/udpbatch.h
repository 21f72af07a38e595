/* Datagrams queued during one event-loop iteration and sent together:
 * consecutive datagrams to one peer, equal-sized but for a shorter last one,
 * go as one UDP GSO send (UDP_SEGMENT: the kernel cuts them, one trip
 * through the stack), and all of them in one sendmmsg. Order is kept. */
#ifndef P2S_UDPBATCH_H
#define P2S_UDPBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define UDPB_MAX      128 /* datagrams queued before a flush */
#define UDPB_DGRAM    2048
#define UDPB_GSO_SEGS 64
#define UDPB_GSO_MAX  64000 /* bytes in one GSO send (IPv4: 65507) */

struct udpb_dgram {
	union sockaddr_any to;
	uint32_t off, len;
};

struct udp_batch {
	int fd;
	bool no_gso;	    /* the kernel refused GSO on this socket: plain datagrams */
	uint32_t gso_limit; /* datagrams this long or longer are not grouped (MTU) */
	unsigned n;
	size_t used;
	uint64_t sends, gso_sends, dropped;
	/* GSO sends the kernel refused, sent again datagram by datagram: a
	 * relaxed atomic, as a worker flushes outside its data batch. */
	uint64_t gso_fallbacks;
	struct udpb_dgram d[UDPB_MAX];
	uint8_t arena[UDPB_MAX * UDPB_DGRAM];
};

/* Copies one datagram into the queue (flushing first when it is full);
 * longer than UDPB_DGRAM: dropped. */
void udp_batch_send(struct udp_batch *b, const union sockaddr_any *to, const void *p, size_t len);
/* Sends everything queued; a full socket buffer drops the rest, as UDP
 * would. */
void udp_batch_flush(struct udp_batch *b);
/* gso_fallbacks, from any thread. */
uint64_t udp_batch_gso_fallbacks(const struct udp_batch *b);

#endif
