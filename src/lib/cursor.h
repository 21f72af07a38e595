/* Bounds-checked reader for untrusted bytes. The first overrun sets a sticky
 * error; every later read returns zeros, so a parser checks cur_ok() once. */
#ifndef P2S_CURSOR_H
#define P2S_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

void cur_init(struct cur *c, const void *p, size_t len);
uint8_t cur_u8(struct cur *c);
uint16_t cur_u16(struct cur *c);
uint32_t cur_u24(struct cur *c);
uint32_t cur_u32(struct cur *c);
uint64_t cur_u64(struct cur *c);
/* Returns a pointer to the next n bytes and advances, or NULL (sticky error). */
const uint8_t *cur_bytes(struct cur *c, size_t n);
bool cur_copy(struct cur *c, void *dst, size_t n);
/* A sub-cursor over the next n bytes; on overrun both are in error. */
struct cur cur_sub(struct cur *c, size_t n);
const uint8_t *cur_rest(struct cur *c, size_t *n);

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

static inline bool cur_ok(const struct cur *c)
{
	return !c->err;
}

/* True when everything was read without overrun: a complete message. */
static inline bool cur_done(const struct cur *c)
{
	return !c->err && c->off == c->len;
}

/* Writer with the same sticky-error discipline. */
struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

void wbuf_init(struct wbuf *w, void *p, size_t cap);
void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u16(struct wbuf *w, uint16_t v);
void wbuf_u24(struct wbuf *w, uint32_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
void wbuf_bytes(struct wbuf *w, const void *src, size_t n);
/* Reserves n bytes to fill later; NULL on overrun. */
uint8_t *wbuf_reserve(struct wbuf *w, size_t n);

static inline bool wbuf_ok(const struct wbuf *w)
{
	return !w->err;
}

#endif
