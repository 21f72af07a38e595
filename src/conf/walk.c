/* Loads JSON into configuration structures by walking the schema tables. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define AT(base, off) ((void *)((char *)(base) + (off)))

/* ARM resources carry metadata beside a field's value, in every object of
 * Azure's export; it is not config. */
static bool arm_metadata(const char *key)
{
	static const char *const keys[] = {"id",
					   "etag",
					   "type",
					   "location",
					   "tags",
					   "provisioningState",
					   "resourceGroup",
					   "resourceGuid",
					   NULL};
	for (const char *const *k = keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static void child_path(char *out, size_t cap, const char *path, const char *key)
{
	snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
}

static void list_values(const char *const *v, char *out, size_t cap)
{
	out[0] = 0;
	for (; *v; v++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ", " : "", *v);
}

static void set_string(json_t *v, const char *path, const struct conf_field *f, void *base,
		       struct conf_errors *e)
{
	if (!json_is_string(v)) {
		conf_errors_add(e, path, "must be a string");
		return;
	}
	const char *s = json_string_value(v);
	if (f->type == F_ENUM) {
		const char *const *ok = f->values;
		while (*ok && strcmp(*ok, s) != 0)
			ok++;
		if (!*ok) {
			char known[512];
			list_values(f->values, known, sizeof(known));
			conf_errors_add(e, path, "\"%s\" is not one of %s", s, known);
			return;
		}
	}
	char **dst = AT(base, f->off);
	free(*dst);
	*dst = strdup(s);
}

static void set_uint(json_t *v, const char *path, const struct conf_field *f, void *base,
		     struct conf_errors *e)
{
	json_int_t min = f->type == F_PORT ? 1 : f->min;
	json_int_t max = f->type == F_PORT ? 65535 : f->max ? f->max : 0x7fffffff;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		conf_errors_add(e, path, "must be an integer from %lld to %lld", (long long)min,
				(long long)max);
		return;
	}
	if (f->type == F_PORT)
		*(uint16_t *)AT(base, f->off) = (uint16_t)json_integer_value(v);
	else
		*(uint32_t *)AT(base, f->off) = (uint32_t)json_integer_value(v);
}

static void prefix6_list_free(struct prefix6_list *l)
{
	free(l->v);
	free(l->at);
	*l = (struct prefix6_list){0};
}

/* One element: IPv4 into pl, IPv6 (when the field takes it) into l6. */
static void add_cidr(json_t *it, const char *p, size_t i, const struct conf_field *f,
		     struct prefix_list *pl, struct prefix6_list *l6, struct conf_errors *e)
{
	const char *s = json_is_string(it) ? json_string_value(it) : NULL;
	if (s && l6 && strchr(s, ':')) {
		if (prefix6_parse(s, &l6->v[l6->n]) == 0) {
			l6->at[l6->n++] = i;
			return;
		}
	} else if (s && prefix4_parse(s, &pl->v[pl->n]) == 0) {
		pl->n++;
		return;
	}
	if (f->off6)
		conf_errors_add(e, p,
				"must be an IPv4 CIDR such as 10.1.0.0/16 or an IPv6 one such "
				"as fd00:1::/64, with no host bits set");
	else
		conf_errors_add(e, p,
				"must be an IPv4 CIDR such as 10.1.0.0/16 "
				"with no host bits set");
}

static void set_cidrs(json_t *v, const char *path, const struct conf_field *f, void *base,
		      struct conf_errors *e)
{
	struct prefix_list *pl = AT(base, f->off);
	struct prefix6_list *l6 = f->off6 ? AT(base, f->off6) : NULL;
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of CIDR strings");
		return;
	}
	free(pl->v);
	pl->n = 0;
	pl->v = calloc(json_array_size(v) + 1, sizeof(*pl->v));
	if (l6) {
		prefix6_list_free(l6);
		l6->v = calloc(json_array_size(v) + 1, sizeof(*l6->v));
		l6->at = calloc(json_array_size(v) + 1, sizeof(*l6->at));
	}
	if (!pl->v || (l6 && (!l6->v || !l6->at))) {
		conf_errors_add(e, path, "out of memory");
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it)
	{
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		add_cidr(it, p, i, f, pl, l6, e);
	}
}

/* One address: IPv4 to l, IPv6 to l6 when the field takes them. */
static void add_ip(json_t *it, const char *p, struct ip_list *l, struct ip6_list *l6,
		   struct conf_errors *e)
{
	struct in_addr a;
	const char *s = json_is_string(it) ? json_string_value(it) : NULL;
	if (s && inet_pton(AF_INET, s, &a) == 1)
		l->v[l->n++] = ntohl(a.s_addr);
	else if (s && l6 && inet_pton(AF_INET6, s, &l6->v[l6->n]) == 1)
		l6->n++;
	else
		conf_errors_add(e, p,
				l6 ? "must be an IPv4 or IPv6 address such as 10.1.0.4"
				   : "must be an IPv4 address such as 10.1.0.4");
}

static void set_ips(json_t *v, const char *path, const struct conf_field *f, void *base,
		    struct conf_errors *e)
{
	struct ip_list *l = AT(base, f->off);
	struct ip6_list *l6 = f->off6 ? AT(base, f->off6) : NULL;
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of IP addresses");
		return;
	}
	free(l->v);
	l->n = 0;
	l->v = calloc(json_array_size(v) + 1, sizeof(*l->v));
	if (l6) {
		free(l6->v);
		l6->n = 0;
		l6->v = calloc(json_array_size(v) + 1, sizeof(*l6->v));
	}
	if (!l->v || (l6 && !l6->v)) {
		conf_errors_add(e, path, "out of memory");
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it)
	{
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		add_ip(it, p, l, l6, e);
	}
}

static int flag_lookup(const struct field_flag *fl, json_t *it, unsigned *bit)
{
	for (; fl->name; fl++)
		if (json_is_string(it) && strcmp(json_string_value(it), fl->name) == 0) {
			*bit = fl->bit;
			return 0;
		}
	return -1;
}

static void set_flags(json_t *v, const char *path, const struct conf_field *f, void *base,
		      struct conf_errors *e)
{
	unsigned *dst = AT(base, f->off);
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of names");
		return;
	}
	*dst = 0;
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it)
	{
		char p[512], known[256] = "";
		unsigned bit;
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (flag_lookup(f->flags, it, &bit) < 0) {
			for (const struct field_flag *fl = f->flags; fl->name; fl++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? ", " : "", fl->name);
			conf_errors_add(e, p, "unknown value; expected one of %s", known);
		} else if (*dst & bit) {
			conf_errors_add(e, p, "%s is listed twice", json_string_value(it));
		} else {
			*dst |= bit;
		}
	}
}

static void set_bool(json_t *v, const char *path, const struct conf_field *f, void *base,
		     struct conf_errors *e)
{
	if (!json_is_boolean(v))
		conf_errors_add(e, path, "must be true or false");
	else
		*(bool *)AT(base, f->off) = json_is_true(v);
}

static void set_array(json_t *v, const char *path, const struct conf_field *f, void *base,
		      struct conf_errors *e)
{
	struct {
		void *v;
		size_t n;
	} *arr = AT(base, f->off);
	if (!json_is_array(v)) {
		conf_errors_add(e, path, "must be an array of objects");
		return;
	}
	conf_free_array(f, base);
	arr->v = calloc(json_array_size(v) + 1, f->elem_size);
	arr->n = json_array_size(v);
	size_t i;
	json_t *it;
	json_array_foreach(v, i, it)
	{
		char p[512];
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		void *elem = (char *)arr->v + i * f->elem_size;
		conf_apply_defaults(f->sub, elem);
		conf_walk_object(it, f->sub, p, elem, e);
	}
}

/* Levenshtein distance, for "did you mean" on unknown fields. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + ((a[i - 1] | 32) != (b[j - 1] | 32));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

static void unknown_field(const struct conf_field *table, const char *key, const char *path,
			  struct conf_errors *e)
{
	const struct conf_field *best = NULL;
	size_t best_d = 4;
	for (const struct conf_field *f = table; f->name; f++) {
		size_t d = edit_distance(key, f->name);
		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	if (best)
		conf_errors_add(e, path, "unknown field; did you mean \"%s\"?", best->name);
	else
		conf_errors_add(e, path, "unknown field");
}

static void walk_field(json_t *v, const struct conf_field *f, const char *path, void *base,
		       struct conf_errors *e)
{
	if (json_is_null(v))
		return; /* Azure prints unset fields as null: the default stands */
	if (f->sub && json_is_object(v) && (f->type == F_ENUM || f->type == F_STRING)) {
		conf_walk_object(v, f->sub, path, base, e); /* {name, ...} on the same base */
		return;
	}
	switch (f->type) {
	case F_IGNORED: conf_note_ignored(e, path); break;
	case F_STRING:
	case F_SECRET:
	case F_ENUM: set_string(v, path, f, base, e); break;
	case F_PORT:
	case F_UINT: set_uint(v, path, f, base, e); break;
	case F_BOOL: set_bool(v, path, f, base, e); break;
	case F_OBJECT: conf_walk_object(v, f->sub, path, AT(base, f->off), e); break;
	case F_ARRAY: set_array(v, path, f, base, e); break;
	case F_CIDRS: set_cidrs(v, path, f, base, e); break;
	case F_FLAGS: set_flags(v, path, f, base, e); break;
	case F_IPS: set_ips(v, path, f, base, e); break;
	}
}

void conf_walk_object(json_t *obj, const struct conf_field *table, const char *path, void *base,
		      struct conf_errors *e)
{
	if (!json_is_object(obj)) {
		conf_errors_add(e, path[0] ? path : "(root)", "must be an object");
		return;
	}
	/* The ARM form nests an object's fields under "properties". */
	json_t *props = json_object_get(obj, "properties");
	if (json_is_object(props))
		conf_walk_object(props, table, path, base, e);
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		char p[512];
		child_path(p, sizeof(p), path, key);
		const struct conf_field *f = table;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (f->name)
			walk_field(v, f, p, base, e);
		else if (strcmp(key, "properties") == 0 && !json_is_object(v))
			conf_errors_add(e, p, "must be an object (the ARM form's fields)");
		else if (arm_metadata(key) && !json_is_null(v))
			conf_note_ignored(e, p);
		else if (strcmp(key, "properties") != 0 && !arm_metadata(key))
			unknown_field(table, key, p, e);
	}
}

static unsigned flags_from_text(const struct field_flag *fl, const char *text)
{
	unsigned bits = 0;
	for (; fl->name; fl++)
		if (strstr(text, fl->name))
			bits |= fl->bit;
	return bits;
}

void conf_apply_defaults(const struct conf_field *table, void *base)
{
	for (const struct conf_field *f = table; f->name; f++) {
		if (f->type == F_OBJECT) {
			conf_apply_defaults(f->sub, AT(base, f->off));
			continue;
		}
		if (f->type == F_IGNORED)
			continue;
		if (!f->def)
			continue;
		if (f->type == F_STRING || f->type == F_ENUM)
			*(char **)AT(base, f->off) = strdup(f->def);
		else if (f->type == F_PORT)
			*(uint16_t *)AT(base, f->off) = (uint16_t)atoi(f->def);
		else if (f->type == F_UINT)
			*(uint32_t *)AT(base, f->off) = (uint32_t)strtoul(f->def, NULL, 10);
		else if (f->type == F_BOOL)
			*(bool *)AT(base, f->off) = strcmp(f->def, "true") == 0;
		else if (f->type == F_FLAGS)
			*(unsigned *)AT(base, f->off) = flags_from_text(f->flags, f->def);
	}
}

void conf_free_array(const struct conf_field *f, void *base)
{
	struct {
		void *v;
		size_t n;
	} *arr = AT(base, f->off);
	for (size_t i = 0; i < arr->n; i++)
		conf_free_fields(f->sub, (char *)arr->v + i * f->elem_size);
	free(arr->v);
	arr->v = NULL;
	arr->n = 0;
}

/* Frees what the table describes. */
void conf_free_fields(const struct conf_field *table, void *base)
{
	for (const struct conf_field *f = table; f->name; f++) {
		switch (f->type) {
		case F_STRING:
		case F_SECRET:
		case F_ENUM:
			free(*(char **)AT(base, f->off));
			*(char **)AT(base, f->off) = NULL;
			break;
		case F_OBJECT: conf_free_fields(f->sub, AT(base, f->off)); break;
		case F_ARRAY: conf_free_array(f, base); break;
		case F_IPS:
			free(((struct ip_list *)AT(base, f->off))->v);
			((struct ip_list *)AT(base, f->off))->v = NULL;
			((struct ip_list *)AT(base, f->off))->n = 0;
			if (f->off6) {
				free(((struct ip6_list *)AT(base, f->off6))->v);
				((struct ip6_list *)AT(base, f->off6))->v = NULL;
				((struct ip6_list *)AT(base, f->off6))->n = 0;
			}
			break;
		case F_CIDRS:
			free(((struct prefix_list *)AT(base, f->off))->v);
			((struct prefix_list *)AT(base, f->off))->v = NULL;
			((struct prefix_list *)AT(base, f->off))->n = 0;
			if (f->off6)
				prefix6_list_free(AT(base, f->off6));
			break;
		default: break;
		}
	}
}

const char *conf_type_name(const struct conf_field *f)
{
	static const char *const names[] = {"string",
					    "string (secret)",
					    "port",
					    "integer",
					    "boolean",
					    "string",
					    "object",
					    "array of objects",
					    "array of CIDR strings",
					    "array of names",
					    "array of IPv4 addresses",
					    "Azure's, ignored"};
	return names[f->type];
}
