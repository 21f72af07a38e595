/* The UNIX control socket p2sctl talks to: one request line per connection,
 * "NAME [JSON-ARGS]", answered from the command table and closed. */
#define LOG_MODULE "ctl"

#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/gateway.h"
#include "lib/log.h"
#include "mgmt/cmd.h"

#define CTL_LINE_MAX 16384

struct ctl {
	struct core *g;
	int fd;
	ev_io io;
	char path[108];
};

/* Splits "NAME {json}" and runs it; *r is the reply. */
static void ctl_run(struct core *g, const char *line, struct mgmt_reply *r)
{
	char name[64];
	size_t n = strcspn(line, " ");
	const char *rest = line + n + strspn(line + n, " ");
	memset(r, 0, sizeof(*r));
	if (n == 0 || n >= sizeof(name)) {
		mgmt_reply_error(r, 400, "malformed request");
		return;
	}
	memcpy(name, line, n);
	name[n] = 0;
	const struct mgmt_cmd *cmd = mgmt_cmd_by_name(name);
	if (!cmd) {
		mgmt_reply_error(r, 404, "unknown command \"%s\"", name);
		return;
	}
	json_error_t je;
	json_t *args = rest[0] ? json_loads(rest, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (rest[0] && !json_is_object(args)) {
		json_decref(args);
		mgmt_reply_error(r, 400, "arguments must be one JSON object");
		return;
	}
	mgmt_cmd_run(cmd, g, args, r);
	json_decref(args);
}

char *mgmt_ctl_execute(struct core *g, const char *line, size_t *len)
{
	struct mgmt_reply r;
	ctl_run(g, line, &r);
	char *out = NULL;
	if (r.data) {
		out = r.data;
		*len = r.len;
		r.data = NULL;
	} else {
		if (r.status != 200 && json_is_object(r.body))
			json_object_set_new(r.body, "status", json_integer(r.status));
		out = json_dumps(r.body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		*len = out ? strlen(out) : 0;
	}
	mgmt_reply_free(&r);
	return out;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* A local administrator's request is small and prompt: read inline with a
 * short timeout rather than keep per-client state. */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return (ssize_t)n;
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ctl *c = w->data;
	int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char *line = malloc(CTL_LINE_MAX);
	if (line && read_line(fd, line, CTL_LINE_MAX) > 0) {
		size_t len = 0;
		char *out = mgmt_ctl_execute(c->g, line, &len);
		if (out)
			write_all(fd, out, len);
		free(out);
	}
	free(line);
	close(fd);
}

struct ctl *ctl_start(struct core *g)
{
	struct ctl *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->g = g;
	if (g->conf->control_socket)
		snprintf(c->path, sizeof(c->path), "%s", g->conf->control_socket);
	else
		snprintf(c->path, sizeof(c->path), "%s/p2sgw.sock", g->conf->state_dir);
	mkdir(g->conf->state_dir, 0700);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	unlink(c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(c->path, 0600) < 0 || listen(c->fd, 16) < 0) {
		log_warn("control socket %s unavailable: %s", c->path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	ev_io_init(&c->io, ctl_accept_cb, c->fd, EV_READ);
	c->io.data = c;
	ev_io_start(g->loop, &c->io);
	return c;
}

void ctl_stop(struct ctl *c)
{
	if (!c)
		return;
	ev_io_stop(c->g->loop, &c->io);
	close(c->fd);
	unlink(c->path);
	free(c);
}
