/* Client-supplied names (certificate CNs, user names, token claims) go into
 * logs, accounting and JSON: keep them valid UTF-8 with no control bytes. */
#ifndef P2S_TEXT_H
#define P2S_TEXT_H

#include <stddef.h>

/* Copies src into dst (cap bytes, NUL-terminated): valid UTF-8 sequences
 * are kept, control bytes and invalid sequences become '?'. */
void text_clean(char *dst, size_t cap, const char *src);

#define DNS_NAME_MAX  254
#define DNS_NAMES_MAX 16

/* Splits "contoso.internal, corp.contoso.com" into DNS names (letters,
 * digits, hyphens and dots; labels of 1..63; a leading dot allowed and
 * dropped). Returns how many, or -1 for a name that is not one. */
int dns_names_split(const char *s, char out[][DNS_NAME_MAX], size_t cap);

#endif
