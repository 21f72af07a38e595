/* The HTTPS layer of SSTP ([MS-SSTP] 3.2.4.1, 4.1): the one request a client
 * sends before SSTP packets flow, and the server's answers. */
#ifndef P2S_SSTP_HTTP_H
#define P2S_SSTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest request head we wait for before answering 404. */
#define SSTP_HTTP_MAX 4096

/* Parses the request head in p[0..n). Returns 0 while the head is incomplete
 * (*head_len 0), the head's length once it is complete and is the SSTP
 * duplex POST, or a negative error when anything else came (answer 404). The
 * bytes after the head are already SSTP. */
int sstp_http_parse(const uint8_t *p, size_t n, size_t *head_len);

/* What the server writes back. */
extern const char sstp_http_ok[];
extern const char sstp_http_not_found[];

#endif
