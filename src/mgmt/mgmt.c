/* The management side of the gateway: the control socket and the HTTP
 * listener, both answering from the one command table; and the command
 * that builds the client profile package. */
#define LOG_MODULE "mgmt"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/gateway.h"
#include "lib/file.h"
#include "lib/log.h"
#include "mgmt/cmd.h"
#include "mgmt/ctl.h"
#include "mgmt/http.h"
#include "mgmt/www.h"
#include "profile/profile.h"

struct mgmt {
	struct ctl *ctl;
	struct http *http;
};

struct mgmt *mgmt_start(struct core *g)
{
	struct mgmt *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->ctl = ctl_start(g);
	if (g->conf->mgmt_enabled)
		m->http = http_start(g);
	return m;
}

void mgmt_stop(struct mgmt *m)
{
	if (!m)
		return;
	http_stop(m->http);
	ctl_stop(m->ctl);
	free(m);
}

const struct www_file *www_find(const char *url)
{
	if (!url)
		return NULL;
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (const struct www_file *f = www_files; f->path; f++)
		if (strcmp(f->path, url) == 0)
			return f;
	return NULL;
}

/* The package p2sctl profile generate writes, built in memory and handed
 * back as bytes. */
void mgmt_profile_package(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	const struct gw_conf *c = g->conf;
	if (c->p2s_absent) {
		mgmt_reply_error(r, 409, "no point-to-site configuration");
		return;
	}
	const char *cert = c->cert_file ? c->cert_file : g->state.server_cert;
	const char *ta = core_tls_auth_path(g);
	char err[1200] = "";
	struct profile_input in;
	if (profile_input_load(&in, c, cert, ta && file_readable(ta) ? ta : NULL, err,
			       sizeof(err)) < 0) {
		mgmt_reply_error(r, 500, "%s", err);
		return;
	}
	size_t len = 0;
	r->data = (char *)profile_zip_mem(&in, &len);
	profile_input_free(&in);
	if (!r->data) {
		mgmt_reply_error(r, 500, "cannot build the profile package");
		return;
	}
	r->len = len;
	r->type = "application/zip";
	r->filename = "vpnclientconfiguration.zip";
}
