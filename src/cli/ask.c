/* Asking the running gateway: over its control socket ("NAME {args}" on one
 * line) or, with --api, over the management HTTP API (POST
 * /api/v1/command/NAME with the arguments as the body and the bearer token
 * from --token-file). Both reach the same command table. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "conf/conf.h"

struct buf {
	char *p;
	size_t n;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
	char *g = realloc(b->p, b->n + n + 1);
	if (!g)
		return -1;
	memcpy(g + b->n, data, n);
	b->p = g;
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

/* The socket: --socket, else the configuration's, else the default's. */
static void socket_path(const struct opts *o, char *out, size_t cap)
{
	if (o->socket) {
		snprintf(out, cap, "%s", o->socket);
		return;
	}
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_file(o->config, &errs);
	conf_errors_free(&errs);
	if (c && c->control_socket)
		snprintf(out, cap, "%s", c->control_socket);
	else
		snprintf(out, cap, "%s/p2sgw.sock", c ? c->state_dir : "/var/lib/p2sgw");
	conf_free(c);
}

static int ask_socket(const struct opts *o, const char *line, struct buf *b, bool quiet)
{
	char path[108];
	socket_path(o, path, sizeof(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!quiet)
			fprintf(stderr, "p2sctl: cannot reach the gateway at %s: %s\n", path,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = strlen(line);
	int r = write(fd, line, len) == (ssize_t)len ? 0 : -1;
	char chunk[65536];
	ssize_t k;
	while (r == 0 && (k = read(fd, chunk, sizeof(chunk))) > 0)
		r = buf_add(b, chunk, (size_t)k);
	close(fd);
	return r;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	return buf_add(arg, p, size * n) == 0 ? size * n : 0;
}

static int read_token(const char *path, char *out, size_t cap)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "p2sctl: --api needs --token-file (the gateway's "
				"stateDirectory/mgmt.token)\n");
		return -1;
	}
	size_t n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = 0;
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

static int ask_http(const struct opts *o, const char *cmd, const char *body, struct buf *b,
		    long *status)
{
	char token[128], auth[160], url[1024];
	if (read_token(o->token_file, token, sizeof(token)) < 0)
		return -1;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(url, sizeof(url), "%s/api/v1/command/%s", o->api, cmd);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	CURLcode r = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	memset(token, 0, sizeof(token));
	if (r != CURLE_OK)
		fprintf(stderr, "p2sctl: cannot reach %s: %s\n", url, curl_easy_strerror(r));
	return r == CURLE_OK ? 0 : -1;
}

int cli_ask_raw(const struct opts *o, const char *cmd, json_t *args, char **data, size_t *len,
		bool quiet)
{
	if (!args)
		args = json_object();
	char *body = json_dumps(args, JSON_COMPACT);
	struct buf b = {0};
	long status = 200;
	int r = -1;
	if (body && o->api) {
		r = ask_http(o, cmd, body, &b, &status);
	} else if (body) {
		size_t cap = strlen(cmd) + strlen(body) + 3;
		char *line = malloc(cap);
		if (line) {
			snprintf(line, cap, "%s %s\n", cmd, body);
			r = ask_socket(o, line, &b, quiet);
		}
		free(line);
	}
	free(body);
	json_decref(args);
	*data = b.p;
	*len = b.n;
	if (r == 0 && status != 200) {
		json_t *j = json_loadb(b.p ? b.p : "", b.n, 0, NULL);
		const char *e = json_string_value(json_object_get(j, "error"));
		fprintf(stderr, "p2sctl: %s (HTTP %ld)\n", e ? e : "request failed", status);
		json_decref(j);
		r = -1;
	}
	return r < 0 ? 1 : 0;
}

int cli_ask(const struct opts *o, const char *cmd, json_t *args, json_t **out, bool quiet)
{
	char *data;
	size_t len;
	*out = NULL;
	if (cli_ask_raw(o, cmd, args, &data, &len, quiet)) {
		free(data);
		return 1;
	}
	json_error_t je;
	*out = data ? json_loadb(data, len, 0, &je) : NULL;
	free(data);
	if (!*out) {
		fprintf(stderr, "p2sctl: no valid reply from the gateway\n");
		return 1;
	}
	json_t *err = json_object_get(*out, "error");
	if (json_is_string(err)) {
		if (!quiet)
			fprintf(stderr, "p2sctl: %s\n", json_string_value(err));
		json_decref(*out);
		*out = NULL;
		return 1;
	}
	return 0;
}
