#include "udpbatch.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

void udp_batch_send(struct udp_batch *b, const union sockaddr_any *to, const void *p, size_t len)
{
	if (len > UDPB_DGRAM || len == 0) {
		b->dropped++;
		return;
	}
	if (b->n == UDPB_MAX)
		udp_batch_flush(b);
	struct udpb_dgram *d = &b->d[b->n++];
	d->to = *to;
	d->off = (uint32_t)b->used;
	d->len = (uint32_t)len;
	memcpy(b->arena + b->used, p, len);
	b->used += len;
}

/* How many datagrams from i on go as one GSO send: same peer, the size of
 * the first but for a shorter last one. */
static unsigned gso_run(const struct udp_batch *b, unsigned i)
{
	const struct udpb_dgram *f = &b->d[i];
	if (b->gso_limit && f->len >= b->gso_limit)
		return 1;
	size_t total = f->len;
	unsigned k = i + 1;
	while (k < b->n && k - i < UDPB_GSO_SEGS && b->d[k - 1].len == f->len &&
	       b->d[k].len <= f->len && total + b->d[k].len <= UDPB_GSO_MAX &&
	       sockaddr_equal(&b->d[k].to, &f->to)) {
		total += b->d[k].len;
		k++;
	}
	return k - i;
}

struct udpb_msgs {
	struct mmsghdr m[UDPB_MAX];
	struct iovec iov[UDPB_MAX];
	unsigned first[UDPB_MAX], count[UDPB_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[UDPB_MAX];
};

static void msg_set(struct udp_batch *b, struct udpb_msgs *ms, unsigned j, unsigned i, unsigned cnt)
{
	size_t len = 0;
	for (unsigned k = i; k < i + cnt; k++)
		len += b->d[k].len;
	ms->first[j] = i;
	ms->count[j] = cnt;
	ms->iov[j] = (struct iovec){b->arena + b->d[i].off, len};
	struct msghdr *h = &ms->m[j].msg_hdr;
	*h = (struct msghdr){.msg_name = &b->d[i].to,
			     .msg_namelen = sockaddr_len(&b->d[i].to),
			     .msg_iov = &ms->iov[j],
			     .msg_iovlen = 1};
	if (cnt < 2)
		return;
	h->msg_control = ms->ctl[j].buf;
	h->msg_controllen = sizeof(ms->ctl[j].buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	uint16_t seg = (uint16_t)b->d[i].len;
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

/* Groups the queue into messages; returns how many. */
static unsigned build(struct udp_batch *b, struct udpb_msgs *ms, unsigned from)
{
	unsigned j = 0;
	for (unsigned i = from; i < b->n; j++) {
		unsigned cnt = b->no_gso ? 1 : gso_run(b, i);
		msg_set(b, ms, j, i, cnt);
		i += cnt;
	}
	return j;
}

void udp_batch_flush(struct udp_batch *b)
{
	struct udpb_msgs ms;
	unsigned nm = build(b, &ms, 0);
	/* Bounded: each round sends or skips at least one message. */
	for (unsigned off = 0; off < nm;) {
		int r = sendmmsg(b->fd, ms.m + off, nm - off, MSG_DONTWAIT);
		if (r > 0) {
			for (unsigned j = off; j < off + (unsigned)r; j++)
				b->gso_sends += ms.count[j] > 1;
			b->sends += (unsigned)r;
			off += (unsigned)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS) {
			for (unsigned j = off; j < nm; j++)
				b->dropped += ms.count[j];
			break;
		}
		if (ms.count[off] > 1 && (errno == EIO || errno == EINVAL)) {
			/* No GSO on this socket (EIO: no checksum offload), or not
			 * at this size (EINVAL: a segment over the path MTU): these
			 * datagrams one by one, and so from now on. */
			unsigned first = ms.first[off];
			__atomic_fetch_add(&b->gso_fallbacks, 1, __ATOMIC_RELAXED);
			if (errno == EIO)
				b->no_gso = true;
			else
				b->gso_limit = b->d[first].len;
			for (unsigned k = first; k < first + ms.count[off]; k++)
				sendto(b->fd, b->arena + b->d[k].off, b->d[k].len, MSG_DONTWAIT,
				       &b->d[k].to.sa, sockaddr_len(&b->d[k].to));
		} else {
			b->dropped += ms.count[off]; /* e.g. unreachable: that message only */
		}
		off++;
	}
	b->n = 0;
	b->used = 0;
}

uint64_t udp_batch_gso_fallbacks(const struct udp_batch *b)
{
	return __atomic_load_n(&b->gso_fallbacks, __ATOMIC_RELAXED);
}
