/* The management listener over HTTP(S), libmicrohttpd driven from the
 * gateway's event loop (its epoll descriptor watched by libev, so every
 * command runs on the loop like the control socket's). Routes come from
 * the command table; the status page's files are embedded. */
#define LOG_MODULE "mgmt"

#include "http.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gateway.h"
#include "lib/file.h"
#include "lib/log.h"
#include "mgmt/cmd.h"
#include "mgmt/www.h"

#define BODY_MAX   65536
#define CMD_PREFIX "/api/v1/command/"

struct http {
	struct core *g;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer timer;
	char token[80];
	char *cert_pem, *key_pem;
};

/* A request's uploaded body, gathered across calls. */
struct upload {
	char *buf;
	size_t len;
	bool too_big;
};

static enum MHD_Result queue(struct MHD_Connection *c, int status, const char *type,
			     const void *data, size_t len, const char *filename)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (filename) {
		char cd[128];
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(r, "Content-Disposition", cd);
	}
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"p2sgw\"");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result queue_reply(struct MHD_Connection *c, struct mgmt_reply *rep)
{
	if (rep->data)
		return queue(c, rep->status, rep->type, rep->data, rep->len, rep->filename);
	char *s = json_dumps(rep->body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	enum MHD_Result ok =
		queue(c, rep->status, "application/json", s ? s : "{}", s ? strlen(s) : 2, NULL);
	free(s);
	return ok;
}

static enum MHD_Result queue_error(struct MHD_Connection *c, int status, const char *msg)
{
	struct mgmt_reply r = {0};
	mgmt_reply_error(&r, status, "%s", msg);
	enum MHD_Result ok = queue_reply(c, &r);
	mgmt_reply_free(&r);
	return ok;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	(void)kind;
	if (key && value)
		json_object_set_new(cls, key, json_string(value));
	return MHD_YES;
}

/* GET: the query string; POST: a JSON object body (empty: none). */
static json_t *request_args(struct MHD_Connection *c, const char *method, struct upload *u,
			    const char **why)
{
	if (strcmp(method, "GET") == 0) {
		json_t *a = json_object();
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, a);
		return a;
	}
	if (u->too_big) {
		*why = "request body too large";
		return NULL;
	}
	if (!u->len)
		return json_object();
	json_error_t je;
	json_t *a = json_loadb(u->buf, u->len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(a)) {
		json_decref(a);
		*why = "the body must be one JSON object";
		return NULL;
	}
	return a;
}

static enum MHD_Result serve_static(struct MHD_Connection *c, const char *url)
{
	const struct www_file *f = www_find(url);
	if (!f)
		return queue_error(c, 404, "no such page");
	return queue(c, 200, f->type, f->data, f->len, NULL);
}

static enum MHD_Result dispatch(struct http *h, struct MHD_Connection *c, const char *url,
				const char *method, struct upload *u)
{
	int status;
	const struct mgmt_cmd *cmd = mgmt_cmd_by_route(method, url, &status);
	/* Every command also by its name (what p2sctl --api sends): the body
	 * holds its arguments, as on the control socket. */
	if (!cmd && strncmp(url, CMD_PREFIX, strlen(CMD_PREFIX)) == 0) {
		cmd = mgmt_cmd_by_name(url + strlen(CMD_PREFIX));
		status = cmd && strcmp(method, "POST") ? 405 : 404;
		if (status == 405)
			cmd = NULL;
	}
	if (!cmd && status == 404 && strcmp(method, "GET") == 0 && www_find(url))
		return serve_static(c, url);
	if (!cmd)
		return queue_error(c, status,
				   status == 405 ? "method not allowed" : "no such path");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!cmd->public && !mgmt_token_check(auth, h->token))
		return queue_error(c, 401, auth ? "wrong token" : "a bearer token is required");
	const char *why = NULL;
	json_t *args = request_args(
		c, strcmp(cmd->method, "GET") == 0 && strcmp(method, "GET") == 0 ? "GET" : "POST",
		u, &why);
	if (!args)
		return queue_error(c, why && strstr(why, "large") ? 413 : 400, why);
	struct mgmt_reply rep;
	mgmt_cmd_run(cmd, h->g, args, &rep);
	json_decref(args);
	enum MHD_Result ok = queue_reply(c, &rep);
	mgmt_reply_free(&rep);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_len, void **ctx)
{
	(void)version;
	struct upload *u = *ctx;
	if (!u) { /* the headers: the body, if any, follows */
		*ctx = u = calloc(1, sizeof(*u));
		return u ? MHD_YES : MHD_NO;
	}
	if (*data_len) {
		if (u->len + *data_len > BODY_MAX) {
			u->too_big = true;
		} else {
			char *b = realloc(u->buf, u->len + *data_len);
			if (!b)
				return MHD_NO;
			memcpy(b + u->len, data, *data_len);
			u->buf = b;
			u->len += *data_len;
		}
		*data_len = 0;
		return MHD_YES;
	}
	return dispatch(cls, c, url, method, u);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct upload *u = *ctx;
	if (u)
		free(u->buf);
	free(u);
	*ctx = NULL;
}

static void rearm(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	ev_timer_stop(h->g->loop, &h->timer);
	if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
		ev_timer_set(&h->timer, (double)ms / 1000.0, 0);
		ev_timer_start(h->g->loop, &h->timer);
	}
}

static void run_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct http *h = w->data;
	MHD_run(h->d);
	rearm(h);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct http *h = w->data;
	MHD_run(h->d);
	rearm(h);
}

static int load_tls(struct http *h)
{
	const struct core *g = h->g;
	const char *cert = g->conf->cert_file ? g->conf->cert_file : g->state.server_cert;
	const char *key = g->conf->key_file ? g->conf->key_file : g->state.server_key;
	h->cert_pem = file_read_all(cert);
	h->key_pem = file_read_all(key);
	if (h->cert_pem && h->key_pem)
		return 0;
	log_err("management TLS: cannot read %s or %s", cert, key);
	return -1;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	log_warn("http: %s", msg);
}

static struct MHD_Daemon *daemon_start(struct http *h, const struct sockaddr_in *sa)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, h->key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	if (h->g->conf->mgmt_tls)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, h, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, h, MHD_OPTION_CONNECTION_LIMIT, 64,
				MHD_OPTION_CONNECTION_TIMEOUT, 30, MHD_OPTION_ARRAY, tls,
				MHD_OPTION_END);
}

static int http_listen(struct http *h)
{
	const struct gw_conf *c = h->g->conf;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->mgmt_port)};
	if (inet_pton(AF_INET, c->mgmt_address, &sa.sin_addr) != 1) {
		log_err("management.address %s is not an IPv4 address", c->mgmt_address);
		return -1;
	}
	if (c->mgmt_tls && load_tls(h) < 0)
		return -1;
	h->d = daemon_start(h, &sa);
	if (!h->d) {
		log_err("management API cannot listen on %s:%u", c->mgmt_address, c->mgmt_port);
		return -1;
	}
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	ev_io_init(&h->io, run_cb, i->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(h->g->loop, &h->io);
	ev_init(&h->timer, timer_cb);
	h->timer.data = h;
	log_info("management API on %s://%s:%u/ (token in %s/mgmt.token)",
		 c->mgmt_tls ? "https" : "http", c->mgmt_address, c->mgmt_port, c->state_dir);
	return 0;
}

struct http *http_start(struct core *g)
{
	struct http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->g = g;
	char path[600];
	snprintf(path, sizeof(path), "%s/mgmt.token", g->conf->state_dir);
	int r = mgmt_token_load(path, h->token, sizeof(h->token));
	if (r < 0)
		log_err("management token %s: %s", path, strerror(-r));
	if (r < 0 || http_listen(h) < 0) {
		http_stop(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	if (h->d) {
		ev_io_stop(h->g->loop, &h->io);
		ev_timer_stop(h->g->loop, &h->timer);
		MHD_stop_daemon(h->d);
	}
	OPENSSL_cleanse(h->token, sizeof(h->token));
	if (h->key_pem)
		OPENSSL_cleanse(h->key_pem, strlen(h->key_pem));
	free(h->key_pem);
	free(h->cert_pem);
	free(h);
}
