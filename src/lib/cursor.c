#include "cursor.h"

#include <string.h>

void cur_init(struct cur *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = false;
}

const uint8_t *cur_bytes(struct cur *c, size_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = true;
		return NULL;
	}
	const uint8_t *r = c->p + c->off;
	c->off += n;
	return r;
}

uint8_t cur_u8(struct cur *c)
{
	const uint8_t *b = cur_bytes(c, 1);
	return b ? b[0] : 0;
}

uint16_t cur_u16(struct cur *c)
{
	const uint8_t *b = cur_bytes(c, 2);
	return b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

uint32_t cur_u24(struct cur *c)
{
	const uint8_t *b = cur_bytes(c, 3);
	return b ? (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2] : 0;
}

uint32_t cur_u32(struct cur *c)
{
	const uint8_t *b = cur_bytes(c, 4);
	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
}

uint64_t cur_u64(struct cur *c)
{
	uint64_t hi = cur_u32(c);
	return hi << 32 | cur_u32(c);
}

bool cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *b = cur_bytes(c, n);
	if (!b) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, b, n);
	return true;
}

struct cur cur_sub(struct cur *c, size_t n)
{
	struct cur s;
	const uint8_t *b = cur_bytes(c, n);
	cur_init(&s, b, b ? n : 0);
	s.err = b == NULL;
	return s;
}

const uint8_t *cur_rest(struct cur *c, size_t *n)
{
	*n = cur_left(c);
	return cur_bytes(c, *n);
}

void wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = false;
}

uint8_t *wbuf_reserve(struct wbuf *w, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	uint8_t *r = w->p + w->len;
	w->len += n;
	return r;
}

void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *d = wbuf_reserve(w, n);
	if (d && n)
		memcpy(d, src, n);
}

void wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_bytes(w, &v, 1);
}

void wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};
	wbuf_bytes(w, b, 2);
}

void wbuf_u24(struct wbuf *w, uint32_t v)
{
	uint8_t b[3] = {v >> 16, v >> 8, v};
	wbuf_bytes(w, b, 3);
}

void wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {v >> 24, v >> 16, v >> 8, v};
	wbuf_bytes(w, b, 4);
}

void wbuf_u64(struct wbuf *w, uint64_t v)
{
	wbuf_u32(w, (uint32_t)(v >> 32));
	wbuf_u32(w, (uint32_t)v);
}
