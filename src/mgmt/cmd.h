/* The one command table of the management side: the control socket
 * (p2sctl) and the HTTP API run the same commands with the same JSON
 * arguments and replies. */
#ifndef P2S_MGMT_CMD_H
#define P2S_MGMT_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct core;

/* A reply: JSON (body) or bytes of another type (data, type). status is an
 * HTTP status; errors carry {"error": "..."}. The reply owns both. */
struct mgmt_reply {
	int status;
	json_t *body;
	char *data;
	size_t len;
	const char *type;     /* MIME type of data */
	const char *filename; /* a download: Content-Disposition */
};

struct mgmt_cmd {
	const char *name;   /* on the control socket: "session.list" */
	const char *method; /* over HTTP: "GET" or "POST" */
	const char *path;   /* "/api/v1/sessions" */
	bool public;	    /* answered without the bearer token */
	void (*run)(struct core *g, json_t *args, struct mgmt_reply *r);
	const char *doc;
};

extern const struct mgmt_cmd mgmt_cmds[];

const struct mgmt_cmd *mgmt_cmd_by_name(const char *name);
/* NULL with *status 404 (no such path) or 405 (path known, other method). */
const struct mgmt_cmd *mgmt_cmd_by_route(const char *method, const char *path, int *status);
/* Runs cmd with args (an object or NULL; borrowed). */
void mgmt_cmd_run(const struct mgmt_cmd *cmd, struct core *g, json_t *args, struct mgmt_reply *r);
void mgmt_reply_error(struct mgmt_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mgmt_reply_free(struct mgmt_reply *r);

/* A control-socket line, "NAME [JSON-ARGS]": the reply (malloc'd, *len
 * bytes): JSON text with "status" added when it is not 200, or the bytes
 * of a reply that is not JSON. */
char *mgmt_ctl_execute(struct core *g, const char *line, size_t *len);

/* Prometheus text exposition of the gateway (malloc'd). */
char *mgmt_metrics_render(struct core *g);

/* The bearer token: compares in constant time; header is the whole
 * Authorization value ("Bearer <token>"), may be NULL. */
bool mgmt_token_check(const char *header, const char *token);
/* Reads path, or writes a fresh random token there (0600) when absent.
 * 0 with out (65 bytes) filled, or negative. */
int mgmt_token_load(const char *path, char *out, size_t cap);

#endif
