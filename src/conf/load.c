#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
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
	for (size_t i = 0; i < e->n_ignored; i++)
		free(e->ignored[i]);
	free(e->msg);
	free(e->warn);
	free(e->ignored);
	memset(e, 0, sizeof(*e));
}

void conf_note_ignored(struct conf_errors *e, const char *path)
{
	char folded[512];
	size_t o = 0;
	for (const char *p = path; *p && o < sizeof(folded) - 3; p++) {
		folded[o++] = *p;
		if (*p == '[')
			p += strspn(p + 1, "0123456789"); /* [12] -> [] */
	}
	folded[o] = 0;
	for (size_t i = 0; i < e->n_ignored; i++)
		if (strcmp(e->ignored[i], folded) == 0)
			return;
	char **grown = realloc(e->ignored, (e->n_ignored + 1) * sizeof(char *));
	if (!grown)
		return;
	e->ignored = grown;
	grown[e->n_ignored++] = strdup(folded);
}

/* One warning lists every Azure field the gateway does not use. */
static void warn_ignored(struct conf_errors *e)
{
	size_t len = 128;
	for (size_t i = 0; i < e->n_ignored; i++)
		len += strlen(e->ignored[i]) + 2;
	char *line = malloc(len);
	char **grown = realloc(e->warn, (e->n_warn + 1) * sizeof(char *));
	if (!line || !grown) {
		free(line);
		return;
	}
	e->warn = grown;
	int o = snprintf(line, len,
			 "(root): ignored %zu Azure field(s) p2sgw does not use: ", e->n_ignored);
	for (size_t i = 0; i < e->n_ignored; i++)
		o += snprintf(line + o, len - (size_t)o, "%s%s", i ? ", " : "", e->ignored[i]);
	e->warn[e->n_warn++] = line;
}

/* Azure's export has no gatewayFqdn: this host's name stands in, said aloud. */
static void default_fqdn(struct gw_conf *c, struct conf_errors *e)
{
	char host[256] = "";
	if (c->fqdn || !e->n_ignored || gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		return;
	c->fqdn = strdup(host);
	conf_warn_add(e, "gatewayFqdn",
		      "not in Azure's export; using this host's name \"%s\" (set it to the "
		      "name clients connect to)",
		      host);
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
	default_fqdn(c, errs);
	if (errs->n_ignored)
		warn_ignored(errs);
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
	FILE *f = file_open_read(path);
	json_t *root = NULL;
	if (f) {
		root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
		fclose(f);
	} else {
		snprintf(je.text, sizeof(je.text), "unable to open %s: %s", path, strerror(errno));
		je.line = je.column = -1;
	}
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
