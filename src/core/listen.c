/* The shared TCP port (443): OpenVPN over TCP and SSTP arrive on it, as on
 * Azure's gateway. The core accepts, peeks at the first bytes and hands the
 * connection to the engine they name: a 16-bit length then an OpenVPN
 * client hard reset, or a TLS handshake record (SSTP's HTTPS). */
#define LOG_MODULE "listen"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/gateway.h"
#include "lib/err.h"
#include "lib/log.h"

#define SNIFF_BYTES   3
#define SNIFF_TIMEOUT 10.0

struct sniff {
	struct core *g;
	int fd;
	union sockaddr_any peer;
	ev_io io;
	ev_timer timer;
};

/* Rate-limited: one line per 2 s, with the count of the others. */
static void warn_drop(struct core *g, const union sockaddr_any *peer, const char *what,
		      const char *why)
{
	struct listener *l = &g->tcp;
	double now = ev_now(g->loop);
	l->dropped++;
	if (now - l->last_warn < 2.0)
		return;
	l->last_warn = now;
	char a[64];
	sockaddr_str(peer, a, sizeof(a));
	log_warn("%s from %s on the shared TCP port: %s; closing (%u so far)", what, a, why,
		 l->dropped);
}

/* close_fd: the connection ends here, and its unauthenticated slot with it;
 * otherwise an engine took both. */
static void sniff_free(struct sniff *sn, bool close_fd)
{
	ev_io_stop(sn->g->loop, &sn->io);
	ev_timer_stop(sn->g->loop, &sn->timer);
	if (close_fd) {
		close(sn->fd);
		core_preauth_put(sn->g, &sn->peer);
	}
	free(sn);
}

/* Which tunnel the first bytes name, or -1. */
static int classify(const uint8_t *b)
{
	if (b[0] == 0x16 && b[1] == 0x03)
		return TUNNEL_SSTP;
	unsigned op = b[2] >> 3; /* after the 16-bit length: opcode << 3 | key id */
	if ((op == 7 || op == 10) && (b[2] & 7) == 0)
		return TUNNEL_OPENVPN;
	return -1;
}

static void hand_over(struct sniff *sn, int proto)
{
	struct core *g = sn->g;
	struct engine *e = proto >= 0 ? g->engines[proto] : NULL;
	const struct engine_ops *ops = NULL;
	for (size_t i = 0; e && g->engine_table[i]; i++)
		if ((int)g->engine_table[i]->proto == proto)
			ops = g->engine_table[i];
	if (!ops || !ops->tcp_adopt) {
		if (proto < 0)
			warn_drop(g, &sn->peer, "a connection", "neither OpenVPN nor SSTP");
		else
			warn_drop(g, &sn->peer,
				  proto == TUNNEL_SSTP ? "TLS ClientHello" : "OpenVPN reset",
				  proto == TUNNEL_SSTP ? "SSTP is not enabled on this gateway"
						       : "OpenVPN is not enabled on this gateway");
		sniff_free(sn, true);
		return;
	}
	int one = 1;
	setsockopt(sn->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	ops->tcp_adopt(e, sn->fd, &sn->peer);
	sniff_free(sn, false);
}

static void sniff_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sniff *sn = w->data;
	uint8_t b[SNIFF_BYTES];
	ssize_t n = recv(sn->fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < SNIFF_BYTES) {
		sniff_free(sn, true); /* closed or reset before saying anything useful */
		return;
	}
	hand_over(sn, classify(b));
}

static void sniff_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sniff *sn = w->data;
	warn_drop(sn->g, &sn->peer, "a connection", "nothing received within 10 s");
	sniff_free(sn, true);
}

static void sniff_start(struct core *g, int fd, const union sockaddr_any *peer)
{
	if (!core_preauth_get(g, peer)) {
		close(fd); /* over the limits: cheaply, before any state */
		return;
	}
	struct sniff *sn = calloc(1, sizeof(*sn));
	if (!sn) {
		close(fd);
		core_preauth_put(g, peer);
		return;
	}
	*sn = (struct sniff){.g = g, .fd = fd, .peer = *peer};
	/* Readable only once the first bytes are all there: a peek never spins. */
	int low = SNIFF_BYTES, one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof(low));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev_io_init(&sn->io, sniff_read_cb, fd, EV_READ);
	ev_timer_init(&sn->timer, sniff_timeout_cb, SNIFF_TIMEOUT, 0);
	sn->io.data = sn->timer.data = sn;
	ev_io_start(g->loop, &sn->io);
	ev_timer_start(g->loop, &sn->timer);
}

static void resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct core *g = w->data;
	if (g->tcp.fd >= 0)
		ev_io_start(loop, &g->tcp.io);
}

/* Out of descriptors: the pending connection stays queued and the socket
 * readable, so pause accepting for a moment instead of spinning. */
static void accept_backoff(struct core *g, int err)
{
	ev_io_stop(g->loop, &g->tcp.io);
	ev_timer_stop(g->loop, &g->tcp.backoff);
	ev_timer_init(&g->tcp.backoff, resume_cb, 0.1, 0);
	g->tcp.backoff.data = g;
	ev_timer_start(g->loop, &g->tcp.backoff);
	double now = ev_now(g->loop);
	if (now - g->tcp.last_warn >= 5.0) {
		g->tcp.last_warn = now;
		log_warn("accept on the shared TCP port: %s; pausing 100 ms", strerror(err));
	}
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct core *g = w->data;
	for (int i = 0; i < 64; i++) {
		union sockaddr_any peer;
		socklen_t sl = sizeof(peer);
		int fd = accept4(g->tcp.fd, &peer.sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				accept_backoff(g, errno);
			return;
		}
		sniff_start(g, fd, &peer);
	}
}

/* Opens the shared port when a TCP protocol is enabled; closes it when none is. */
int listener_open(struct core *g)
{
	const struct gw_conf *c = g->conf;
	if (g->tcp.fd >= 0 && g->tcp.port != c->tcp_port)
		listener_close(g); /* tcpPort changed: new connections go to the new port */
	if (g->tcp.fd >= 0 || !(c->protocols & (PROTO_OPENVPN | PROTO_SSTP)))
		return 0;
	union sockaddr_any a = {0};
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(c->tcp_port);
	if (inet_pton(AF_INET, c->listen_addr, &a.in.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, &a.sa, sizeof(a.in)) < 0 || listen(fd, 512) < 0) {
		int e = -errno;
		log_err("cannot listen on TCP %s:%u: %s", c->listen_addr, c->tcp_port,
			p2s_strerror(e));
		if (fd >= 0)
			close(fd);
		return e;
	}
	g->tcp.fd = fd;
	g->tcp.port = c->tcp_port;
	ev_io_init(&g->tcp.io, accept_cb, fd, EV_READ);
	g->tcp.io.data = g;
	ev_io_start(g->loop, &g->tcp.io);
	log_info("listening on TCP %s:%u for OpenVPN and SSTP", c->listen_addr, c->tcp_port);
	return 0;
}

void listener_close(struct core *g)
{
	if (g->tcp.fd < 0)
		return;
	ev_timer_stop(g->loop, &g->tcp.backoff);
	ev_io_stop(g->loop, &g->tcp.io);
	close(g->tcp.fd);
	g->tcp.fd = -1;
}
