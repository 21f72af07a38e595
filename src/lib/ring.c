#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, unsigned cap)
{
	memset(r, 0, sizeof(*r));
	r->slots = calloc(cap ? cap : 1, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	r->cap = cap ? cap : 1;
	pthread_mutex_init(&r->mu, NULL);
	return 0;
}

void ring_free(struct ring *r)
{
	if (!r->slots)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->slots);
	r->slots = NULL;
}

static bool push(struct ring *r, ring_fn *fn, void *owner, uint32_t tag,
		 const union sockaddr_any *from, const uint8_t *p, size_t n, bool count)
{
	pthread_mutex_lock(&r->mu);
	bool ok = r->n < r->cap && n <= RING_DATA;
	if (ok) {
		struct ring_item *s = &r->slots[(r->head + r->n) % r->cap];
		s->fn = fn;
		s->owner = owner;
		s->tag = tag;
		if (from)
			s->from = *from;
		else
			memset(&s->from, 0, sizeof(s->from));
		s->len = (uint32_t)n;
		if (n)
			memcpy(s->data, p, n);
		r->n++;
		r->pushed++;
	} else if (count) {
		r->dropped++;
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

bool ring_push(struct ring *r, ring_fn *fn, void *owner, uint32_t tag,
	       const union sockaddr_any *from, const uint8_t *p, size_t n)
{
	return push(r, fn, owner, tag, from, p, n, true);
}

bool ring_offer(struct ring *r, ring_fn *fn, void *owner, uint32_t tag,
		const union sockaddr_any *from, const uint8_t *p, size_t n)
{
	return push(r, fn, owner, tag, from, p, n, false);
}

bool ring_pop(struct ring *r, struct ring_item *out)
{
	pthread_mutex_lock(&r->mu);
	bool ok = r->n > 0;
	if (ok) {
		const struct ring_item *s = &r->slots[r->head];
		memcpy(out, s, offsetof(struct ring_item, data) + s->len);
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

void ring_discard(struct ring *r, const void *owner)
{
	pthread_mutex_lock(&r->mu);
	for (unsigned i = 0; i < r->n; i++) {
		struct ring_item *s = &r->slots[(r->head + i) % r->cap];
		if (s->owner == owner)
			s->fn = NULL; /* popped as a no-op */
	}
	pthread_mutex_unlock(&r->mu);
}

uint64_t ring_dropped(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	uint64_t d = r->dropped;
	pthread_mutex_unlock(&r->mu);
	return d;
}
