#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/random.h"

const char *tunnel_name(enum tunnel_proto p)
{
	static const char *const names[TUNNEL_N] = {"OpenVPN", "SSTP", "IKEv2"};
	return p < TUNNEL_N ? names[p] : "?";
}

unsigned tunnel_conf_bit(enum tunnel_proto p)
{
	static const unsigned bits[TUNNEL_N] = {PROTO_OPENVPN, PROTO_SSTP, PROTO_IKEV2};
	return p < TUNNEL_N ? bits[p] : 0;
}

/* An RFC 4122 version-4 UUID, as Azure's connection ids carry. */
static void uuid4(char out[37])
{
	uint8_t b[16];
	p2s_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

struct session *session_new(struct session_registry *r, const struct session_ops *ops, void *proto)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	char u[37];
	uuid4(u);
	snprintf(s->id, sizeof(s->id), "%s_%s", tunnel_name(ops->proto), u);
	s->ops = ops;
	s->proto = proto;
	s->started = time(NULL);
	s->next = r->head;
	if (r->head)
		r->head->prev = s;
	r->head = s;
	r->count++;
	return s;
}

void session_free(struct session_registry *r, struct session *s)
{
	if (!s)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		r->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	r->count--;
	free(s);
}

struct session *session_find(struct session_registry *r, const char *id)
{
	for (struct session *s = r->head; s; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}
