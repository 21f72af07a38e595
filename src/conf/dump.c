/* The p2sgw form of a loaded configuration, written by walking the same
 * schema tables that loaded it: what `p2sctl config import` writes from
 * Azure's export, every defaulted field spelled out for editing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define AT(base, off) ((const void *)((const char *)(base) + (off)))

static json_t *dump_table(const struct conf_field *table, const void *base);

/* IPv4 prefixes, then the IPv6 ones the same JSON array held. */
static json_t *dump_cidrs(const struct prefix_list *pl, const struct prefix6_list *l6)
{
	json_t *a = json_array();
	for (size_t i = 0; i < pl->n; i++) {
		char ip[16], text[24];
		ip4_str(pl->v[i].addr, ip);
		snprintf(text, sizeof(text), "%s/%u", ip, pl->v[i].len);
		json_array_append_new(a, json_string(text));
	}
	for (size_t i = 0; l6 && i < l6->n; i++) {
		char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
		inet_ntop(AF_INET6, &l6->v[i].addr, ip, sizeof(ip));
		snprintf(text, sizeof(text), "%s/%u", ip, l6->v[i].len);
		json_array_append_new(a, json_string(text));
	}
	return a;
}

static json_t *dump_ips(const struct ip_list *l, const struct ip6_list *l6)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++) {
		char ip[16];
		ip4_str(l->v[i], ip);
		json_array_append_new(a, json_string(ip));
	}
	for (size_t i = 0; l6 && i < l6->n; i++) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &l6->v[i], ip, sizeof(ip));
		json_array_append_new(a, json_string(ip));
	}
	return a;
}

static json_t *dump_flags(const struct field_flag *fl, unsigned bits)
{
	json_t *a = json_array();
	for (; fl->name; fl++)
		if (bits & fl->bit)
			json_array_append_new(a, json_string(fl->name));
	return a;
}

static json_t *dump_array(const struct conf_field *f, const void *base)
{
	const struct {
		const void *v;
		size_t n;
	} *arr = AT(base, f->off);
	json_t *a = json_array();
	for (size_t i = 0; i < arr->n; i++)
		json_array_append_new(a,
				      dump_table(f->sub, (const char *)arr->v + i * f->elem_size));
	return a;
}

static json_t *dump_string(const struct conf_field *f, const void *base)
{
	const char *s = *(char *const *)AT(base, f->off);
	return s ? json_string(s) : NULL;
}

/* One field's value, or NULL when it has none worth writing. */
static json_t *dump_field(const struct conf_field *f, const void *base)
{
	switch (f->type) {
	case F_STRING:
	case F_SECRET:
	case F_ENUM: return dump_string(f, base);
	case F_PORT: return json_integer(*(const uint16_t *)AT(base, f->off));
	case F_UINT: return json_integer(*(const uint32_t *)AT(base, f->off));
	case F_BOOL: return json_boolean(*(const bool *)AT(base, f->off));
	case F_OBJECT: return dump_table(f->sub, AT(base, f->off));
	case F_ARRAY: return dump_array(f, base);
	case F_CIDRS: return dump_cidrs(AT(base, f->off), f->off6 ? AT(base, f->off6) : NULL);
	case F_FLAGS: return dump_flags(f->flags, *(const unsigned *)AT(base, f->off));
	case F_IPS: return dump_ips(AT(base, f->off), f->off6 ? AT(base, f->off6) : NULL);
	case F_IGNORED: return NULL;
	}
	return NULL;
}

static bool empty(json_t *v)
{
	return (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static json_t *dump_table(const struct conf_field *table, const void *base)
{
	json_t *o = json_object();
	for (const struct conf_field *f = table; f->name; f++) {
		json_t *v = dump_field(f, base);
		if (v && !empty(v))
			json_object_set_new(o, f->name, v);
		else
			json_decref(v);
	}
	return o;
}

char *conf_dump(const struct gw_conf *c)
{
	json_t *root = dump_table(conf_schema_root, c);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}
