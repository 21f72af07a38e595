/* The status page's files, embedded at build time (www.c is generated from
 * src/mgmt/www/ by scripts/embed-www.py). */
#ifndef P2S_MGMT_WWW_H
#define P2S_MGMT_WWW_H

#include <stddef.h>

struct www_file {
	const char *path; /* "/index.html" */
	const char *type;
	const unsigned char *data;
	size_t len;
};

extern const struct www_file www_files[]; /* ends with a NULL path */

/* "/" is "/index.html"; NULL when nothing matches. */
const struct www_file *www_find(const char *url);

#endif
