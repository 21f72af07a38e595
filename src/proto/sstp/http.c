/* SSTP's HTTP request. Only one exact request line is valid (an optional
 * query after the path is ignored, as the spec allows a tenant id there);
 * headers are read line by line through the cursor and only Content-Length
 * is checked: it must be the 2^64-1 the spec mandates. */
#include "proto/sstp/http.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/cursor.h"
#include "lib/err.h"

#define METHOD_PATH "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
#define HUGE_LENGTH "18446744073709551615"

const char sstp_http_ok[] = "HTTP/1.1 200 OK\r\n"
			    "Content-Length: " HUGE_LENGTH "\r\n"
			    "Server: Microsoft-HTTPAPI/2.0\r\n\r\n";
const char sstp_http_not_found[] = "HTTP/1.1 404 Not Found\r\n"
				   "Content-Length: 0\r\n"
				   "Connection: close\r\n\r\n";

/* The next CRLF-terminated line (without the CRLF), or NULL when no full
 * line is there yet (*incomplete) or a bare LF/CR appears. */
static const uint8_t *next_line(struct cur *c, size_t *len, bool *incomplete)
{
	size_t left = cur_left(c);
	const uint8_t *p = c->p + c->off;
	const uint8_t *lf = left ? memchr(p, '\n', left) : NULL;
	*incomplete = lf == NULL;
	if (!lf)
		return NULL;
	size_t n = (size_t)(lf - p);
	const uint8_t *line = cur_bytes(c, n + 1);
	if (!line || n == 0 || line[n - 1] != '\r')
		return NULL;
	*len = n - 1;
	return line;
}

static bool request_line_ok(const uint8_t *l, size_t n)
{
	size_t mp = sizeof(METHOD_PATH) - 1;
	static const char ver[] = " HTTP/1.1";
	size_t vn = sizeof(ver) - 1;
	if (n < mp + vn || memcmp(l, METHOD_PATH, mp) != 0 || memcmp(l + n - vn, ver, vn) != 0)
		return false;
	/* between path and version: nothing, or a "?query" without spaces */
	const uint8_t *q = l + mp, *end = l + n - vn;
	if (q == end)
		return true;
	if (*q != '?')
		return false;
	return memchr(q, ' ', (size_t)(end - q)) == NULL;
}

/* Returns 1 for a valid Content-Length header, 0 for another header, a
 * negative error for a malformed line or a wrong length. */
static int header_line(const uint8_t *l, size_t n)
{
	static const char cl[] = "content-length:";
	const uint8_t *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return P2S_E_PROTO;
	if ((size_t)(colon - l) + 1 != sizeof(cl) - 1 ||
	    strncasecmp((const char *)l, cl, sizeof(cl) - 1))
		return 0;
	const uint8_t *v = colon + 1, *end = l + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t hl = sizeof(HUGE_LENGTH) - 1;
	if ((size_t)(end - v) != hl || memcmp(v, HUGE_LENGTH, hl) != 0)
		return P2S_E_PROTO;
	return 1;
}

int sstp_http_parse(const uint8_t *p, size_t n, size_t *head_len)
{
	struct cur c;
	size_t len;
	bool incomplete, have_length = false;
	*head_len = 0;
	cur_init(&c, p, n > SSTP_HTTP_MAX ? SSTP_HTTP_MAX : n);
	const uint8_t *l = next_line(&c, &len, &incomplete);
	if (!l)
		return incomplete && n < SSTP_HTTP_MAX ? 0 : P2S_E_PROTO;
	if (!request_line_ok(l, len))
		return P2S_E_PROTO;
	for (;;) {
		l = next_line(&c, &len, &incomplete);
		if (!l)
			return incomplete && n < SSTP_HTTP_MAX ? 0 : P2S_E_PROTO;
		if (len == 0)
			break;
		int rc = header_line(l, len);
		if (rc < 0 || (rc == 1 && have_length))
			return P2S_E_PROTO;
		have_length |= rc == 1;
	}
	if (!have_length)
		return P2S_E_PROTO;
	*head_len = c.off;
	return (int)c.off;
}
