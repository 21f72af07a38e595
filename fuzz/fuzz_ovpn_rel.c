/* The reliability layer fed from the wire: the input is a sequence of
 * TCP-style frames (16-bit length, control packet). Each packet that parses
 * gives its acks to rel_ack_in and its message to rel_recv; the harness also
 * queues and "sends" packets on a clock the input drives. A model checks
 * in-order delivery of the first copy of each id, and the window limits. */
#include <string.h>

#include "fuzz.h"
#include "lib/cursor.h"
#include "lib/err.h"
#include "proto/openvpn/reliable.h"

static struct ovpn_reliable rel;

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct model {
	uint32_t next_pop;	     /* next id the layer must deliver */
	uint32_t sent_id;	     /* next id rel_send_queue must return */
	uint32_t hash[REL_RECV_WIN]; /* first stored copy of each id in the window */
	uint32_t id[REL_RECV_WIN];
	bool have[REL_RECV_WIN];
};

static void check_send_window(void)
{
	int used = 0;
	/* The slot arrays exist exactly while a window holds something. */
	bool any = false;
	for (int i = 0; rel.w && i < REL_SEND_WIN; i++)
		any |= rel.w->send[i].used;
	for (int i = 0; rel.w && i < REL_RECV_WIN; i++)
		any |= rel.w->recv[i].used;
	FUZZ_CHECK(any == (rel.w != NULL));
	for (int i = 0; rel.w && i < REL_SEND_WIN; i++) {
		const struct rel_slot *s = &rel.w->send[i];
		if (!s->used)
			continue;
		used++;
		FUZZ_CHECK(rel.send_next_id - s->id - 1 < REL_SEND_WIN);
		FUZZ_CHECK(s->timeout > 0 && s->timeout <= 60);
	}
	FUZZ_CHECK(used <= REL_SEND_WIN);
	FUZZ_CHECK(rel.n_acks <= REL_ACK_QUEUE);
	FUZZ_CHECK(rel_send_idle(&rel) == (used == 0));
}

static void receive(struct model *m, const struct ovpn_ctl *c)
{
	int r = rel_recv(&rel, c->msg_id, c->op, c->payload, c->payload_len);
	FUZZ_CHECK(r == 0 || r == 1 || r == P2S_E_FULL || r == P2S_E_PROTO);
	if (r == 0) {
		unsigned k = c->msg_id % REL_RECV_WIN;
		FUZZ_CHECK(c->msg_id - m->next_pop < REL_RECV_WIN);
		m->have[k] = true;
		m->id[k] = c->msg_id;
		m->hash[k] = fnv(c->payload, c->payload_len);
	}
	const struct rel_slot *sl;
	while ((sl = rel_recv_pop(&rel))) {
		unsigned k = sl->id % REL_RECV_WIN;
		FUZZ_CHECK(sl->id == m->next_pop);
		FUZZ_CHECK(m->have[k] && m->id[k] == sl->id);
		FUZZ_CHECK(m->hash[k] == fnv(sl->data, sl->len));
		m->have[k] = false;
		m->next_pop++;
	}
}

static void send_side(struct model *m, const struct ovpn_ctl *c, double *now)
{
	if (c->key_id & 1) {
		bool room = rel_send_has_room(&rel);
		size_t len = c->payload_len > REL_MAX_PAYLOAD ? REL_MAX_PAYLOAD : c->payload_len;
		int64_t id = rel_send_queue(&rel, OVPN_CONTROL_V1, c->payload, len);
		FUZZ_CHECK(room ? id == m->sent_id : id == P2S_E_FULL);
		if (room)
			m->sent_id++;
	}
	*now += (c->key_id >> 1) * 0.75;
	struct rel_slot *s;
	int sends = 0;
	while ((s = rel_send_due(&rel, *now))) {
		FUZZ_CHECK(s->used && s->next_tx <= *now);
		rel_sent(&rel, s, *now);
		FUZZ_CHECK(s->next_tx > *now);
		FUZZ_CHECK(++sends <= REL_SEND_WIN);
	}
	double d = rel_next_deadline(&rel);
	FUZZ_CHECK(rel_send_idle(&rel) ? d < 0 : d > *now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rel_init(&rel, 2.0);
	struct model m;
	memset(&m, 0, sizeof(m));
	double now = 0;
	struct cur in;
	cur_init(&in, data, size);
	while (cur_left(&in) >= 2) {
		uint16_t len = cur_u16(&in);
		const uint8_t *pkt = cur_bytes(&in, len);
		if (!pkt)
			break;
		struct ovpn_ctl c;
		if (ovpn_ctl_parse(pkt, len, NULL, &c) != 0)
			continue;
		for (unsigned i = 0; i < c.n_acks; i++)
			rel_ack_in(&rel, c.acks[i]);
		if (c.has_msg_id)
			receive(&m, &c);
		send_side(&m, &c, &now);
		uint32_t ids[OVPN_MAX_ACKS];
		unsigned max = c.op == OVPN_ACK_V1 ? OVPN_MAX_ACKS : OVPN_MAX_PIGGY_ACKS;
		unsigned before = rel.n_acks;
		unsigned n = rel_acks_take(&rel, ids, max);
		FUZZ_CHECK(n == (before < max ? before : max));
		FUZZ_CHECK(rel.n_acks == before - n);
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < i; j++)
				FUZZ_CHECK(ids[i] != ids[j]);
		check_send_window();
	}
	rel_free(&rel); /* payloads and windows: ASan's leak check sees the rest */
	return 0;
}
