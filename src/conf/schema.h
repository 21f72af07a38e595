/* The declarative schema: one table per JSON object. */
#ifndef P2S_CONF_SCHEMA_H
#define P2S_CONF_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "conf.h"

enum field_type {
	F_STRING,
	F_PORT,
	F_UINT,
	F_BOOL,
	F_OBJECT,  /* nested table */
	F_CIDRS,   /* array of IPv4 CIDR strings -> struct prefix_list */
	F_FLAGS,   /* array of names -> bitmask */
	F_CUSTOM,  /* handled by a function */
};

struct field_flag {
	const char *name;
	unsigned bit;
};

struct conf_field;

typedef void (*field_fn)(json_t *v, const char *path, struct gw_conf *c, struct conf_errors *e);

struct conf_field {
	const char *name;
	enum field_type type;
	size_t off;
	const struct conf_field *sub;
	const struct field_flag *flags;
	field_fn custom;
	const char *doc;
};

extern const struct conf_field conf_schema_root[];

void conf_walk_object(json_t *obj, const struct conf_field *table, const char *path,
		      struct gw_conf *c, struct conf_errors *e);
/* Custom handlers (certs.c). */
void conf_parse_root_certs(json_t *v, const char *path, struct gw_conf *c, struct conf_errors *e);
void conf_parse_revoked(json_t *v, const char *path, struct gw_conf *c, struct conf_errors *e);

#endif
