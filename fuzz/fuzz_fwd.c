/* The forwarder on arbitrary inner packets, IPv4 and IPv6: the first byte
 * picks the direction (even: from client a, odd: from the TUN), the rest is
 * the packet. Whatever it is, a packet forwarded from a client carried that
 * client's own source address, a dropped one is counted, and nothing
 * crashes or reads past the packet. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "tunnel/fwd.h"

static struct session *last_to;

static void record_send(struct session *s, const uint8_t *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	last_to = s;
}

static const struct session_ops ops = {.send_ip = record_send};

struct world {
	struct pool pool;
	struct pool6 pool6;
	struct fwd f;
	struct session a, b;
};

/* 172.16.201.0/24 and fd00:201::/120; a and b hold one address of each;
 * the TUN is /dev/null. Built once, counters reset per input. */
static struct world *world(void)
{
	static struct world w;
	static bool ready;
	if (ready)
		return &w;
	struct prefix4 p4 = {0xac10c900u, 24};
	struct prefix6 p6;
	FUZZ_CHECK(prefix6_parse("fd00:201::/120", &p6) == 0);
	FUZZ_CHECK(pool_init(&w.pool, &p4, 1) == 0);
	FUZZ_CHECK(pool6_init(&w.pool6, &p6, 1) == 0);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	w.f = (struct fwd){.tun_fd = fd, .pool = &w.pool, .pool6 = &w.pool6};
	struct session *ss[] = {&w.a, &w.b};
	for (int i = 0; i < 2; i++) {
		ss[i]->ops = &ops;
		FUZZ_CHECK(pool_lease(&w.pool, ss[i], 0, &ss[i]->addr, &ss[i]->pool_range) == 0);
		FUZZ_CHECK(pool6_lease_in(&w.pool6, ss[i], NULL, 0, 1, &ss[i]->addr6,
					  &ss[i]->pool6_range) == 0);
	}
	ready = true;
	return &w;
}

/* The source address as the packet states it, read independently. */
static bool source_is(const uint8_t *p, size_t n, const struct session *s)
{
	if (n >= 20 && p[0] >> 4 == 4)
		return ((uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 |
			p[15]) == s->addr;
	return n >= 40 && p[0] >> 4 == 6 && memcmp(p + 8, &s->addr6, 16) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct world *w = world();
	const uint8_t *pkt = data + 1;
	size_t len = size - 1;
	w->a.ctr = w->b.ctr = (struct session_counters){0};
	w->f.client_to_client = data[0] & 2;
	last_to = NULL;
	if (data[0] & 1) {
		fwd_from_tun(&w->f, pkt, len);
		FUZZ_CHECK(!last_to || last_to == &w->a || last_to == &w->b);
		return 0;
	}
	int r = fwd_from_session(&w->f, &w->a, pkt, len);
	if (r == 0)
		FUZZ_CHECK(source_is(pkt, len, &w->a) && w->a.ctr.spoofed == 0);
	else
		FUZZ_CHECK(w->a.ctr.dropped == 1 && w->a.ctr.pkts_in <= 1);
	FUZZ_CHECK(last_to != &w->a); /* never back to the sender */
	FUZZ_CHECK(!last_to || w->f.client_to_client);
	return 0;
}
