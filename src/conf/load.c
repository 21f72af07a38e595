#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static void add_msg(char ***arr, size_t *n, const char *path, const char *fmt, va_list ap)
{
	char body[512], line[1100];
	vsnprintf(body, sizeof(body), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s", path, body);
	char **grown = realloc(*arr, (*n + 1) * sizeof(char *));
	if (!grown)
		return;
	*arr = grown;
	grown[(*n)++] = strdup(line);
}

void conf_errors_add(struct conf_errors *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_msg(&e->msg, &e->n, path, fmt, ap);
	va_end(ap);
}

void conf_warn_add(struct conf_errors *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_msg(&e->warn, &e->n_warn, path, fmt, ap);
	va_end(ap);
}

void conf_errors_free(struct conf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	for (size_t i = 0; i < e->n_warn; i++)
		free(e->warn[i]);
	free(e->msg);
	free(e->warn);
	memset(e, 0, sizeof(*e));
}

static struct gw_conf *conf_from_json(json_t *root, struct conf_errors *errs)
{
	struct gw_conf *c = calloc(1, sizeof(*c));
	conf_apply_defaults(conf_schema_root, c);
	conf_walk_object(root, conf_schema_root, "", c, errs);
	c->p2s_absent = json_is_object(root) && !json_object_get(root, "vpnClientConfiguration");
	if (c->p2s_absent) /* the sub-table's defaults do not serve anybody */
		c->protocols = c->auth_types = 0;
	json_decref(root);
	conf_decode_certs(c, errs);
	conf_validate(c, errs); /* with structural errors too: report everything at once */
	if (errs->n) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct gw_conf *conf_load_string(const char *json, struct conf_errors *errs)
{
	json_error_t je;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char where[64];
		snprintf(where, sizeof(where), "line %d column %d", je.line, je.column);
		conf_errors_add(errs, where, "%s", je.text);
		return NULL;
	}
	return conf_from_json(root, errs);
}

struct gw_conf *conf_load_file(const char *path, struct conf_errors *errs)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char where[600];
		snprintf(where, sizeof(where), "%s line %d column %d", path, je.line, je.column);
		conf_errors_add(errs, where, "%s", je.text);
		return NULL;
	}
	return conf_from_json(root, errs);
}

void conf_free(struct gw_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->roots.n; i++)
		free(c->roots.v[i].der);
	conf_free_fields(conf_schema_root, c);
	free(c);
}
