/* The TUN offload helpers on arbitrary bytes. First byte even: the rest is
 * a virtio-net header and packet from the TUN, cut by the segmenter, its
 * segments then queued in the coalescer; odd: the rest is packets (16-bit
 * length, bytes) from clients for the coalescer. Whatever comes in: no
 * segment is larger than its buffer, the coalescer's writes hold exactly
 * the bytes it was given but for bare ACKs a newer one replaced (cut again,
 * a joined run gives back as many bytes as went in), and every TCP segment
 * cut from a joined run checks out. */
#include <string.h>

#include "fuzz.h"
#include "lib/err.h"
#include "tunnel/offload.h"

static struct gro g;
static uint8_t seg[2048];
static size_t in_bytes, out_bytes;

static bool tcp_valid(const uint8_t *ip, size_t len)
{
	size_t l4 = (ip[0] >> 4) == 4 ? 20 : 40;
	return csum_fold(csum_add(csum_pseudo(ip, 6, len - l4), ip + l4, len - l4)) == 0xffff;
}

/* One flushed write: cut again, it must give back what went in. */
static int recut(void *ctx, const struct iovec *iov, int n)
{
	(void)ctx;
	static uint8_t buf[VNET_HDR_LEN + OFFLOAD_MAX_PACKET + 1];
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(len + iov[i].iov_len <= sizeof(buf));
		memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	struct gso_iter it;
	FUZZ_CHECK(gso_begin(&it, buf, len) == 0);
	bool run = it.h.gso_type != VNET_GSO_NONE;
	const uint8_t *p;
	size_t sl;
	static uint8_t out[OFFLOAD_MAX_PACKET];
	while ((p = gso_next(&it, out, sizeof(out), &sl))) {
		FUZZ_CHECK(sl <= OFFLOAD_MAX_PACKET);
		FUZZ_CHECK(!run || tcp_valid(p, sl));
		out_bytes += sl;
	}
	return 0;
}

static void queue(const uint8_t *p, size_t n)
{
	uint64_t replaced = g.acks_replaced;
	if (gro_add(&g, p, n) == P2S_E_FULL) {
		gro_flush(&g, recut, NULL);
		FUZZ_CHECK(gro_add(&g, p, n) == 0);
	}
	/* A bare ACK that took an older one's place (same size) adds nothing. */
	if (g.acks_replaced == replaced)
		in_bytes += n;
}

static void from_tun(const uint8_t *d, size_t n)
{
	struct gso_iter it;
	if (gso_begin(&it, d, n) < 0)
		return;
	const uint8_t *p;
	size_t sl;
	/* Bounded: every segment but the last takes gso_size >= 1 bytes. */
	while ((p = gso_next(&it, seg, sizeof(seg), &sl))) {
		FUZZ_CHECK(sl <= (p == seg ? sizeof(seg) : n));
		queue(p, sl);
	}
}

static void from_clients(const uint8_t *d, size_t n)
{
	while (n >= 2) {
		size_t len = (size_t)d[0] << 8 | d[1];
		d += 2;
		n -= 2;
		if (len > n)
			len = n;
		queue(d, len);
		d += len;
		n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	in_bytes = out_bytes = 0;
	if (data[0] & 1)
		from_clients(data + 1, size - 1);
	else
		from_tun(data + 1, size - 1);
	gro_flush(&g, recut, NULL);
	FUZZ_CHECK(in_bytes == out_bytes);
	return 0;
}
