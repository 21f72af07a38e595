#include "reliable.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

#define REL_MAX_TIMEOUT 60.0
#define REL_FAST_RESEND 3

void rel_init(struct ovpn_reliable *r, double initial_timeout)
{
	memset(r, 0, sizeof(*r));
	r->initial_timeout = initial_timeout;
}

void rel_free(struct ovpn_reliable *r)
{
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (r->send[i].used)
			free(r->send[i].data);
	for (int i = 0; i < REL_RECV_WIN; i++)
		if (r->recv[i].used)
			free(r->recv[i].data);
	free(r->popped);
	double t = r->initial_timeout;
	rel_init(r, t);
}

size_t rel_payload_bytes(const struct ovpn_reliable *r)
{
	size_t n = 0;
	for (int i = 0; i < REL_SEND_WIN; i++)
		n += r->send[i].used ? r->send[i].len : 0;
	for (int i = 0; i < REL_RECV_WIN; i++)
		n += r->recv[i].used ? r->recv[i].len : 0;
	return n;
}

/* A payload copy for a slot; NULL data is fine when len is 0. */
static bool slot_fill(struct rel_slot *s, const uint8_t *data, size_t len)
{
	s->data = NULL;
	s->len = len;
	if (!len)
		return true;
	s->data = malloc(len);
	if (!s->data)
		return false;
	memcpy(s->data, data, len);
	return true;
}

static void ack_push(struct ovpn_reliable *r, uint32_t id)
{
	for (unsigned i = 0; i < r->n_acks; i++)
		if (r->acks[i] == id)
			return;
	if (r->n_acks == REL_ACK_QUEUE) {
		memmove(r->acks, r->acks + 1, sizeof(r->acks[0]) * (REL_ACK_QUEUE - 1));
		r->n_acks--;
	}
	r->acks[r->n_acks++] = id;
}

int rel_recv(struct ovpn_reliable *r, uint32_t id, uint8_t op, const uint8_t *data, size_t len)
{
	if (len > REL_MAX_PAYLOAD)
		return P2S_E_PROTO;
	uint32_t off = id - r->recv_next_id; /* wraps for ids below the window */
	if (off >= 0x80000000u) {
		ack_push(r, id); /* already delivered: our ack was lost */
		return 1;
	}
	if (off >= REL_RECV_WIN)
		return P2S_E_FULL;
	struct rel_slot *s = &r->recv[id % REL_RECV_WIN];
	if (s->used) {
		ack_push(r, id);
		return 1;
	}
	if (!slot_fill(s, data, len))
		return P2S_E_FULL; /* not acked: the peer sends it again */
	ack_push(r, id);
	s->used = true;
	s->id = id;
	s->op = op;
	return 0;
}

const struct rel_slot *rel_recv_pop(struct ovpn_reliable *r)
{
	struct rel_slot *s = &r->recv[r->recv_next_id % REL_RECV_WIN];
	if (!s->used || s->id != r->recv_next_id)
		return NULL;
	/* The caller reads the payload until its next call: freed then. */
	free(r->popped);
	r->popped = s->data;
	s->used = false;
	r->recv_next_id++;
	return s;
}

void rel_ack_in(struct ovpn_reliable *r, uint32_t id)
{
	struct rel_slot *hit = NULL;
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (r->send[i].used && r->send[i].id == id)
			hit = &r->send[i];
	if (!hit)
		return;
	hit->used = false;
	free(hit->data);
	hit->data = NULL;
	/* Older packets still unacked after later ones were: resend them soon. */
	for (int i = 0; i < REL_SEND_WIN; i++) {
		struct rel_slot *s = &r->send[i];
		if (s->used && (int32_t)(s->id - id) < 0 && ++s->later_acked == REL_FAST_RESEND)
			s->next_tx = 0;
	}
}

bool rel_send_has_room(const struct ovpn_reliable *r)
{
	/* Ids must stay within the peer's receive window of the oldest unacked. */
	uint32_t oldest = r->send_next_id;
	int used = 0;
	for (int i = 0; i < REL_SEND_WIN; i++) {
		if (!r->send[i].used)
			continue;
		used++;
		if ((int32_t)(r->send[i].id - oldest) < 0)
			oldest = r->send[i].id;
	}
	return used < REL_SEND_WIN && r->send_next_id - oldest < REL_SEND_WIN;
}

int64_t rel_send_queue(struct ovpn_reliable *r, uint8_t op, const uint8_t *data, size_t len)
{
	if (len > REL_MAX_PAYLOAD || !rel_send_has_room(r))
		return P2S_E_FULL;
	struct rel_slot *s = NULL;
	for (int i = 0; i < REL_SEND_WIN && !s; i++)
		if (!r->send[i].used)
			s = &r->send[i];
	if (!slot_fill(s, data, len))
		return P2S_E_FULL;
	s->used = true;
	s->op = op;
	s->id = r->send_next_id++;
	s->next_tx = 0;
	s->timeout = r->initial_timeout;
	s->later_acked = 0;
	return s->id;
}

struct rel_slot *rel_send_due(struct ovpn_reliable *r, double now)
{
	struct rel_slot *best = NULL;
	for (int i = 0; i < REL_SEND_WIN; i++) {
		struct rel_slot *s = &r->send[i];
		if (s->used && s->next_tx <= now && (!best || (int32_t)(s->id - best->id) < 0))
			best = s;
	}
	return best;
}

void rel_sent(struct ovpn_reliable *r, struct rel_slot *s, double now)
{
	(void)r;
	s->next_tx = now + s->timeout;
	s->timeout = s->timeout * 2 > REL_MAX_TIMEOUT ? REL_MAX_TIMEOUT : s->timeout * 2;
	s->later_acked = 0;
}

bool rel_send_idle(const struct ovpn_reliable *r)
{
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (r->send[i].used)
			return false;
	return true;
}

double rel_next_deadline(const struct ovpn_reliable *r)
{
	double t = -1;
	for (int i = 0; i < REL_SEND_WIN; i++)
		if (r->send[i].used && (t < 0 || r->send[i].next_tx < t))
			t = r->send[i].next_tx;
	return t;
}

unsigned rel_acks_take(struct ovpn_reliable *r, uint32_t *ids, unsigned max)
{
	unsigned n = r->n_acks < max ? r->n_acks : max;
	memcpy(ids, r->acks, n * sizeof(ids[0]));
	memmove(r->acks, r->acks + n, (r->n_acks - n) * sizeof(ids[0]));
	r->n_acks -= n;
	return n;
}
