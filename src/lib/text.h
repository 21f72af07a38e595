/* Client-supplied names (certificate CNs, user names, token claims) go into
 * logs, accounting and JSON: keep them valid UTF-8 with no control bytes. */
#ifndef P2S_TEXT_H
#define P2S_TEXT_H

#include <stddef.h>

/* Copies src into dst (cap bytes, NUL-terminated): valid UTF-8 sequences
 * are kept, control bytes and invalid sequences become '?'. */
void text_clean(char *dst, size_t cap, const char *src);

#endif
