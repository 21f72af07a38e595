/* ovpn_tcp_frame: an OpenVPN TCP stream split into packets, as the main
 * loop and the workers do. The input's first byte is a delivery split
 * point: the stream read whole and read in two parts (the first frames
 * consumed before the rest arrives) must give the same packets and the same
 * verdict; every frame lies inside the input, is non-empty and, if not
 * data, no longer than the limit; a wait means the next frame is really
 * incomplete. */
#include <string.h>

#include "fuzz.h"
#include "lib/err.h"

#define MAX_CTL 2048

struct split {
	size_t n_pkts;
	size_t off[512], len[512];
	int verdict; /* < 0: the error; 0: waiting at consumed */
	size_t consumed;
};

/* Frames of p[0..n) from start; returns where it stopped. */
static size_t frames(const uint8_t *p, size_t n, size_t start, struct split *s)
{
	size_t off = start;
	const uint8_t *pkt;
	size_t len, used;
	int r;
	while ((r = ovpn_tcp_frame(p + off, n - off, MAX_CTL, &pkt, &len, &used)) > 0) {
		FUZZ_CHECK(len > 0 && used == len + 2 && pkt == p + off + 2);
		FUZZ_CHECK(off + used <= n);
		FUZZ_CHECK(ovpn_op_is_data(ovpn_op_of(pkt[0])) || len <= MAX_CTL);
		if (s->n_pkts < 512) {
			s->off[s->n_pkts] = off + 2;
			s->len[s->n_pkts] = len;
		}
		s->n_pkts++;
		off += used;
	}
	s->verdict = r;
	if (r == 0)
		FUZZ_CHECK(n - off < 2 || n - off < 2 + ((size_t)p[off] << 8 | p[off + 1]));
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cut = data[0] % size;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if (cut > n)
		cut = n;
	struct split whole = {0}, parts = {0};
	whole.consumed = frames(p, n, 0, &whole);
	size_t at = frames(p, cut, 0, &parts);
	if (parts.verdict == 0)
		parts.consumed = frames(p, n, at, &parts);
	else
		parts.consumed = at;
	FUZZ_CHECK(whole.verdict == parts.verdict);
	FUZZ_CHECK(whole.consumed == parts.consumed);
	FUZZ_CHECK(whole.n_pkts == parts.n_pkts);
	for (size_t i = 0; i < whole.n_pkts && i < 512; i++)
		FUZZ_CHECK(whole.off[i] == parts.off[i] && whole.len[i] == parts.len[i]);
	return 0;
}
