#define LOG_MODULE "ctl"

#include "ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth/radius.h"
#include "core/gateway.h"
#include "lib/log.h"

struct ctl {
	struct core *g;
	int fd;
	ev_io io;
	char path[108];
};

/* The IPv6 address ("" for none) and the inner-source check's counters. */
static json_t *session_json6(json_t *j, const struct session *s)
{
	static const struct in6_addr none;
	char a6[INET6_ADDRSTRLEN] = "";
	if (memcmp(&s->addr6, &none, sizeof(none)) != 0)
		inet_ntop(AF_INET6, &s->addr6, a6, sizeof(a6));
	json_object_set_new(j, "vpnClientIpv6Address", json_string(a6));
	json_object_set_new(j, "droppedPackets", json_integer((json_int_t)s->ctr.dropped));
	json_object_set_new(j, "spoofedPackets", json_integer((json_int_t)s->ctr.spoofed));
	return j;
}

static json_t *session_json(const struct session *s)
{
	char peer[64], addr[16];
	sockaddr_str(&s->peer, peer, sizeof(peer));
	ip4_str(s->addr, addr);
	return session_json6(
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "id", s->id,
			  "protocol", tunnel_name(s->ops->proto), "userName", s->user, "group",
			  s->group, "publicAddress", peer, "vpnClientAddress", s->addr ? addr : "",
			  "connectedSince", (json_int_t)s->started, "ingressBytes",
			  (json_int_t)s->ctr.bytes_in, "egressBytes", (json_int_t)s->ctr.bytes_out,
			  "ingressPackets", (json_int_t)s->ctr.pkts_in, "egressPackets",
			  (json_int_t)s->ctr.pkts_out),
		s);
}

static json_t *cmd_sessions(struct core *g)
{
	json_t *arr = json_array();
	for (struct session *s = g->reg.head; s; s = s->next)
		if (s->addr)
			json_array_append_new(arr, session_json(s));
	return arr;
}

/* Gateway-wide: IPv6 pool room and every spoofed packet dropped so far. */
static json_t *show_json6(json_t *j, const struct core *g)
{
	json_object_set_new(j, "freePoolIpv6Addresses",
			    json_integer((json_int_t)pool6_free_count(&g->pool6)));
	json_object_set_new(j, "spoofedPackets", json_integer((json_int_t)g->fwd.spoofed));
	return j;
}

static json_t *cmd_show(struct core *g)
{
	unsigned admitted = core_admitted(g, TUNNEL_OPENVPN) + core_admitted(g, TUNNEL_SSTP);
	return show_json6(
		json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:i, s:i, s:i}",
			  "name", g->conf->name, "sku", g->conf->sku, "vpnGatewayGeneration",
			  g->conf->generation, "gatewayFqdn", g->conf->fqdn, "connectionLimits",
			  "SSTP", (int)core_connection_cap(g, TUNNEL_SSTP), "IkeV2AndOpenVPN",
			  (int)core_connection_cap(g, TUNNEL_OPENVPN), "connections", "OpenVPN",
			  (int)g->reg.admitted[TUNNEL_OPENVPN], "IKEv2",
			  (int)g->reg.admitted[TUNNEL_IKEV2], "SSTP",
			  (int)g->reg.admitted[TUNNEL_SSTP], "handshaking",
			  (int)(g->reg.count - admitted), "unauthenticated",
			  (int)core_preauth_count(g), "freePoolAddresses",
			  (int)pool_free_count(&g->pool)),
		g);
}

static json_t *cmd_disconnect(struct core *g, const char *id)
{
	struct session *s = id ? session_find(&g->reg, id) : NULL;
	if (!s)
		return json_pack("{s:s}", "error", "no such session");
	s->ops->disconnect(s, RAD_TERM_ADMIN_RESET, "disconnected by the administrator");
	return json_pack("{s:s}", "disconnected", id);
}

static json_t *cmd_reload(struct core *g)
{
	char note[256];
	if (core_reload(g, note, sizeof(note)) < 0) {
		char msg[320];
		snprintf(msg, sizeof(msg), "configuration rejected: %s",
			 note[0] ? note : "see the gateway log");
		return json_pack("{s:s}", "error", msg);
	}
	if (note[0])
		return json_pack("{s:b, s:s}", "reloaded", 1, "restartNeeded", note);
	return json_pack("{s:b}", "reloaded", 1);
}

char *ctl_execute(struct core *g, const char *line)
{
	json_t *r;
	if (strcmp(line, "sessions") == 0)
		r = cmd_sessions(g);
	else if (strcmp(line, "show") == 0)
		r = cmd_show(g);
	else if (strcmp(line, "reload") == 0)
		r = cmd_reload(g);
	else if (strncmp(line, "disconnect ", 11) == 0)
		r = cmd_disconnect(g, line + 11);
	else
		r = json_pack("{s:s}", "error", "unknown command");
	char *out = json_dumps(r, JSON_INDENT(2));
	json_decref(r);
	return out;
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ctl *c = w->data;
	int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A local administrator's request: small and prompt, so read it inline
	 * with a short timeout rather than keep per-client state. */
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char line[512];
	ssize_t n = recv(fd, line, sizeof(line) - 1, 0);
	if (n > 0) {
		line[n] = 0;
		line[strcspn(line, "\r\n")] = 0;
		char *out = ctl_execute(c->g, line);
		if (out) {
			ssize_t w_ = write(fd, out, strlen(out));
			(void)w_;
		}
		free(out);
	}
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
