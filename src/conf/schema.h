/* The declarative schema: one table per JSON object. The same tables drive
 * loading (walk.c), defaults, freeing and the p2sgw.json(5) man page. */
#ifndef P2S_CONF_SCHEMA_H
#define P2S_CONF_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

enum field_type {
	F_STRING,
	F_SECRET, /* a string never echoed back */
	F_PORT,
	F_UINT,
	F_BOOL,
	F_ENUM,	   /* a string from .values */
	F_OBJECT,  /* nested table on the same base */
	F_ARRAY,   /* array of objects: CONF_ARRAY of .elem_size elements */
	F_CIDRS,   /* array of CIDR strings -> struct prefix_list, IPv6 ones at .off6 */
	F_FLAGS,   /* array of names from .flags -> bitmask */
	F_IPS,	   /* array of IP address strings -> struct ip_list, IPv6 ones at .off6 */
	F_IGNORED, /* an Azure field p2sgw has no use for: accepted, listed in one warning */
};

struct field_flag {
	const char *name;
	unsigned bit;
};

struct conf_field {
	const char *name;
	enum field_type type;
	size_t off;
	const struct conf_field *sub;
	size_t elem_size;
	const char *const *values;
	const struct field_flag *flags;
	uint32_t min, max; /* F_UINT range; max 0 = unbounded */
	const char *def;   /* default, as JSON text would say it */
	const char *doc;
	bool restart; /* a reload cannot apply it: only a restart does */
	/* F_ENUM/F_STRING: the value may also be an object walked with sub on the
	 * same base (Azure's sku: {name, tier, capacity}). */
	size_t off6; /* F_CIDRS: the struct prefix6_list for IPv6 ones, F_IPS: the struct
		      * ip6_list; 0 = IPv4 only */
};

extern const struct conf_field conf_schema_root[];

void conf_walk_object(json_t *obj, const struct conf_field *table, const char *path, void *base,
		      struct conf_errors *e);
void conf_apply_defaults(const struct conf_field *table, void *base);
void conf_free_fields(const struct conf_field *table, void *base);
/* Frees the array field f of base (its elements first). */
void conf_free_array(const struct conf_field *f, void *base);
/* Decodes root certificates and thumbprints (certs.c). */
void conf_decode_certs(struct gw_conf *c, struct conf_errors *e);
const char *conf_type_name(const struct conf_field *f);
/* Notes an ignored Azure field at path (array indexes folded to []). */
void conf_note_ignored(struct conf_errors *e, const char *path);

#endif
