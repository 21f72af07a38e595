#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	/* 0xf5..0xff lead nothing (they would start code points past U+10FFFF). */
	size_t len = p[0] >= 0xf5 ? 0 : p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	uint32_t cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	/* Overlong forms, surrogates and beyond U+10FFFF are not text. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void text_clean(char *dst, size_t cap, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = strlen(src), o = 0;
	for (size_t i = 0; i < n && o + 1 < cap;) {
		size_t l = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);
		if (l == 1 && p[i] >= 0x20 && p[i] != 0x7f) {
			dst[o++] = (char)p[i++];
		} else if (l > 1 && o + l < cap) {
			memcpy(dst + o, p + i, l);
			o += l;
			i += l;
		} else if (l > 1) {
			break; /* a whole character does not fit */
		} else {
			dst[o++] = '?';
			i++;
		}
	}
	if (cap)
		dst[o] = 0;
}

static bool dns_name_ok(const char *n, size_t len)
{
	size_t label = 0;
	if (len == 0 || len >= DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

int dns_names_split(const char *s, char out[][DNS_NAME_MAX], size_t cap)
{
	size_t n = 0;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		const char *e = s + strcspn(s, ", ");
		const char *name = *s == '.' ? s + 1 : s;
		size_t len = (size_t)(e - name);
		if (n == cap || !dns_name_ok(name, len))
			return -1;
		memcpy(out[n], name, len);
		out[n++][len] = 0;
		s = e;
	}
	return (int)n;
}
