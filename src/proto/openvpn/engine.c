/* OpenVPN sessions: the control channel state machine (reliability, TLS on
 * memory BIOs, key-method 2, push), key rotation, keepalive and the data
 * channel's per-packet path (the codec is data.c); sockets are in
 * transport.c, who the client is in auth.c. */
#define LOG_MODULE "openvpn"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/radius.h"
#include "engine.h"
#include "internal.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "push.h"
#include "lib/random.h"

#define TICK	  0.5
#define EKM_LABEL "EXPORTER-OpenVPN-datakeys"

/* The calling thread's loop time: a worker's packets are stamped with its
 * own (the main loop's may be as old as its last wake-up). */
double ovpn_now(struct ovpn_server *srv)
{
	struct ev_loop *l = dplane_loop(dplane_self());
	return ev_now(l ? l : core_loop(srv->core));
}

static void sess_destroy(struct ovpn_sess *os);
static void send_push(struct ovpn_sess *os, struct ovpn_ks *ks);

/* ---- control packets out ------------------------------------------------ */

static void send_ctl(struct ovpn_sess *os, struct ovpn_ks *ks, uint8_t op, uint32_t msg_id,
		     const uint8_t *payload, size_t len)
{
	struct ovpn_ctl p = {.op = op, .key_id = ks->key_id, .sid = os->local_sid};
	p.msg_id = msg_id;
	p.payload = payload;
	p.payload_len = len;
	p.replay_id = (uint64_t)os->ta_time << 32 | ++os->ta_pid;
	p.n_acks = (uint8_t)rel_acks_take(&ks->rel, p.acks,
					  op == OVPN_ACK_V1 ? OVPN_MAX_ACKS : OVPN_MAX_PIGGY_ACKS);
	if (p.n_acks)
		p.ack_sid = os->remote_sid;
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, &os->srv->ta);
	if (n > 0)
		ovpn_transport_send(os, buf, (size_t)n, false);
}

/* Moves what TLS wrote into the send window, then sends what is due. */
static void ks_flush(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	uint8_t chunk[OVPN_TLS_CHUNK];
	while (ks->wbio && rel_send_has_room(&ks->rel) && BIO_ctrl_pending(ks->wbio) > 0) {
		int n = BIO_read(ks->wbio, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		rel_send_queue(&ks->rel, OVPN_CONTROL_V1, chunk, (size_t)n);
	}
	double now = ovpn_now(os->srv);
	struct rel_slot *s;
	while ((s = rel_send_due(&ks->rel, now))) {
		send_ctl(os, ks, s->op, s->id, s->data, s->len);
		rel_sent(&ks->rel, s, now);
	}
	while (ks->rel.n_acks)
		send_ctl(os, ks, OVPN_ACK_V1, 0, NULL, 0);
}

static void flush_all(struct ovpn_sess *os)
{
	for (int i = 0; i < 2; i++)
		if (os->ks[i].state != KS_UNUSED)
			ks_flush(os, &os->ks[i]);
}

/* One control message: a single TLS record, NUL-terminated. */
static void send_message(struct ovpn_ks *ks, const char *msg)
{
	SSL_write(ks->ssl, msg, (int)strlen(msg) + 1);
}

/* ---- key states --------------------------------------------------------- */

static void ks_free(struct ovpn_ks *ks)
{
	rel_free(&ks->rel);
	SSL_free(ks->ssl); /* frees both BIOs */
	if (ovpn_dc_ready(&ks->dc))
		ovpn_dc_free(&ks->dc);
	memset(ks, 0, sizeof(*ks));
}

static int ks_init(struct ovpn_sess *os, struct ovpn_ks *ks, uint8_t key_id)
{
	memset(ks, 0, sizeof(*ks));
	/* The context of the moment: a reload changes it for new handshakes only. */
	ks->ssl = SSL_new(core_tls_ctx(os->srv->core, TLS_PROFILE_OPENVPN));
	ks->rbio = BIO_new(BIO_s_mem());
	ks->wbio = BIO_new(BIO_s_mem());
	if (!ks->ssl || !ks->rbio || !ks->wbio) {
		BIO_free(ks->rbio);
		BIO_free(ks->wbio);
		SSL_free(ks->ssl);
		ks->ssl = NULL;
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(ks->rbio, -1); /* empty means "wait", not EOF */
	SSL_set_bio(ks->ssl, ks->rbio, ks->wbio);
	/* Idle sessions are the many: TLS record buffers only while in use. */
	SSL_set_mode(ks->ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_set_accept_state(ks->ssl);
	cert_auth_set_label(ks->ssl, os->label);
	rel_init(&ks->rel, 2.0);
	ks->key_id = key_id;
	ks->state = KS_TLS;
	ks->started = ovpn_now(os->srv);
	return 0;
}

static struct ovpn_ks *ks_by_id(struct ovpn_sess *os, uint8_t key_id)
{
	for (int i = 0; i < 2; i++)
		if (os->ks[i].state != KS_UNUSED && os->ks[i].key_id == key_id)
			return &os->ks[i];
	return NULL;
}

/* A new key state in the non-primary slot, for renegotiation. */
static struct ovpn_ks *ks_start_renegotiation(struct ovpn_sess *os, uint8_t key_id)
{
	struct ovpn_ks *ks = &os->ks[1 - os->primary];
	ks_free(ks);
	if (ks_init(os, ks, key_id) < 0)
		return NULL;
	rel_send_queue(&ks->rel, OVPN_CONTROL_SOFT_RESET_V1, NULL, 0);
	slog_info(os->label, "renegotiating data keys (key id %u)", key_id);
	return ks;
}

static uint8_t next_key_id(uint8_t k)
{
	return k == 7 ? 1 : (uint8_t)(k + 1); /* 0 is only ever the first key */
}

/* ---- data keys ---------------------------------------------------------- */

static int derive_keys(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	uint8_t key2[OVPN_KEY2_LEN];
	int r;
	if (os->pi.iv_proto & IV_PROTO_TLS_KEY_EXPORT)
		r = SSL_export_keying_material(ks->ssl, key2, sizeof(key2), EKM_LABEL,
					       strlen(EKM_LABEL), NULL, 0, 0) == 1
			    ? 0
			    : P2S_E_CRYPTO;
	else
		r = ovpn_prf_key2(os->km2.pre_master, os->km2.random1, os->srv_random1,
				  os->km2.random2, os->srv_random2, os->remote_sid, os->local_sid,
				  key2);
	if (r == 0)
		r = ovpn_dc_init(&ks->dc, os->cipher, key2, true);
	OPENSSL_cleanse(key2, sizeof(key2));
	ovpn_km2_free(&os->km2);
	return r;
}

/* A renegotiated key takes over; the old one lingers for packets in flight. */
static void ks_activate(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	ks->state = KS_ACTIVE;
	int idx = (int)(ks - os->ks);
	if (idx != os->primary) {
		os->ks[os->primary].expires = ovpn_now(os->srv) + OVPN_LAME_DUCK;
		os->primary = idx;
		slog_info(os->label, "data keys renegotiated (key id %u)", ks->key_id);
	}
	uint32_t reneg = core_conf(os->srv->core)->reneg_sec;
	if (reneg)
		os->reneg_at =
			ovpn_now(os->srv) + reneg * (0.9 + 0.1 * (rand() / (double)RAND_MAX));
}

/* ---- after authentication (auth.c decides) ------------------------------- */

static void km2_send(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	static const char occ[] = "V4,dev-type tun,link-mtu 1559,tun-mtu 1500,proto TCPv4_SERVER,"
				  "keydir 0,cipher AES-256-GCM,auth SHA256,keysize 256,tls-auth,"
				  "key-method 2,tls-server";
	uint8_t buf[1024];
	p2s_random(os->srv_random1, sizeof(os->srv_random1));
	p2s_random(os->srv_random2, sizeof(os->srv_random2));
	int n = ovpn_km2_write_server(buf, sizeof(buf), os->srv_random1, os->srv_random2, occ);
	if (n > 0)
		SSL_write(ks->ssl, buf, n);
}

void ovpn_auth_failed(struct ovpn_sess *os, struct ovpn_ks *ks, const char *why)
{
	ovpn_auth_failed_msg(os, ks, why, "AUTH_FAILED");
}

void ovpn_auth_failed_msg(struct ovpn_sess *os, struct ovpn_ks *ks, const char *why,
			  const char *msg)
{
	/* The client reads control messages only after the key-method 2 reply. */
	km2_send(os, ks);
	send_message(ks, msg);
	ks_flush(os, ks);
	ovpn_sess_close(os, why);
	os->close_at = ovpn_now(os->srv) + 1.0; /* let AUTH_FAILED reach the client */
}

void ovpn_auth_done(struct ovpn_sess *os, struct ovpn_ks *ks, bool first)
{
	km2_send(os, ks);
	if (!first) {
		if (derive_keys(os, ks) < 0)
			ovpn_sess_close(os, "data key derivation failed");
		else
			ks_activate(os, ks);
		ks_flush(os, ks);
		return;
	}
	ks->state = KS_PUSH;
	if (os->pi.iv_proto & IV_PROTO_REQUEST_PUSH)
		send_push(os, ks);
	ks_flush(os, ks);
}

/* IPv6 inside the tunnel: ifconfig-ipv6 and route-ipv6 from session_net. */
static void push_params6(struct ovpn_push_params *pp, const struct session_net *net)
{
	pp->has_v6 = net->has_v6;
	pp->ifconfig_ip6 = net->addr6;
	pp->prefix6_len = net->prefix6_len;
	pp->gateway6 = net->gateway6;
	pp->routes6 = net->routes6;
	pp->n_routes6 = net->n_routes6;
	pp->dns6 = net->dns6;
	pp->n_dns6 = net->has_v6 ? net->n_dns6 : 0;
}

static void send_push(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	const struct gw_conf *c = core_conf(os->srv->core);
	struct session_net net;
	if (session_net(os->s, &net) < 0) {
		ovpn_sess_close(os, "no address to push");
		return;
	}
	struct ovpn_push_params pp = {
		.ifconfig_ip = net.addr,
		.prefix_len = net.prefix_len,
		.route_gateway = net.gateway,
		.routes = net.routes,
		.n_routes = net.n_routes,
		.ping = c->ping_sec,
		.ping_restart = c->ping_restart_sec,
		.peer_id = os->peer_id,
		.cipher = os->cipher,
		.iv_proto = os->pi.iv_proto,
		.iv_ncp = os->pi.iv_ncp,
		.push_mtu = os->pi.has_mtu,
		.tcp = os->tcp,
		.auth_token = os->auth_token,
		.dns = net.dns,
		.n_dns = net.n_dns,
		.suffixes = net.suffixes,
		.n_suffixes = net.n_suffixes,
	};
	push_params6(&pp, &net);
	char msgs[8][PUSH_MSG_MAX];
	int n = ovpn_push_reply_build(&pp, msgs, 8);
	if (n < 0) {
		ovpn_sess_close(os, "the push reply does not fit the client's messages "
				    "(too many routes?)");
		return;
	}
	for (int i = 0; i < n; i++)
		send_message(ks, msgs[i]);
	os->pushed = true;
	if (derive_keys(os, ks) < 0) {
		ovpn_sess_close(os, "data key derivation failed");
		return;
	}
	ks_activate(os, ks);
	char detail[96];
	snprintf(detail, sizeof(detail), "cipher %s%s", os->cipher,
		 os->pi.iv_proto & IV_PROTO_TLS_KEY_EXPORT ? " (tls-ekm)" : "");
	snprintf(os->s->cipher, sizeof(os->s->cipher), "%s", os->cipher);
	core_session_up(os->s, detail);
	ovpn_transport_preauth_done(os); /* admitted: no longer counted as unauthenticated */
	if (os->conn)
		ovpn_tcp_session_up(os->conn);
}

/* ---- control messages and TLS ------------------------------------------- */

static void command_in(struct ovpn_sess *os, struct ovpn_ks *ks, const char *cmd)
{
	if (strcmp(cmd, "PUSH_REQUEST") == 0) {
		if (ks->state == KS_PUSH)
			send_push(os, ks);
	} else if (strcmp(cmd, "EXIT") == 0) {
		os->term_cause = RAD_TERM_USER_REQUEST;
		ovpn_sess_close(os, "client sent exit notification");
	} else {
		slog_debug(os->label, "ignoring control message \"%.64s\"", cmd);
	}
}

static void message_in(struct ovpn_sess *os, struct ovpn_ks *ks, const uint8_t *p, size_t n)
{
	if (ks->state == KS_KM2) {
		ovpn_auth_km2(os, ks, p, n);
		return;
	}
	if (ks->state == KS_AUTH_WAIT)
		return; /* nothing is expected while the credentials are checked */
	/* Commands are NUL-separated strings; a record may carry several. */
	size_t off = 0;
	while (off < n && !os->closing) {
		const uint8_t *nul = memchr(p + off, 0, n - off);
		size_t len = nul ? (size_t)(nul - (p + off)) : n - off;
		char cmd[256];
		if (len && len < sizeof(cmd)) {
			memcpy(cmd, p + off, len);
			cmd[len] = 0;
			command_in(os, ks, cmd);
		}
		off += len + 1;
	}
}

static void tls_failed(struct ovpn_sess *os, struct ovpn_ks *ks, const char *stage)
{
	char err[256] = "connection closed";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, err, sizeof(err));
	ERR_clear_error();
	ks_flush(os, ks); /* carry the TLS alert to the client */
	/* A refused certificate was already logged once, with its reason. */
	if (SSL_get_verify_result(ks->ssl) != X509_V_OK)
		slog_debug(os->label, "TLS %s failed: %s", stage, err);
	else
		slog_warn(os->label, "TLS %s failed: %s", stage, err);
	ovpn_sess_close(os, "TLS failure");
}

static void ks_drive(struct ovpn_sess *os, struct ovpn_ks *ks)
{
	if (ks->state == KS_TLS) {
		int r = SSL_do_handshake(ks->ssl);
		if (r != 1) {
			int e = SSL_get_error(ks->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				tls_failed(os, ks, "handshake");
			return;
		}
		ks->state = KS_KM2;
		slog_debug(os->label, "TLS up: %s %s", SSL_get_version(ks->ssl),
			   SSL_get_cipher_name(ks->ssl));
	}
	uint8_t *msg_buf = ovpn_th(os->srv)->plain;
	while (!os->closing && ks->ssl) {
		int n = SSL_read(ks->ssl, msg_buf, sizeof(ovpn_th(os->srv)->plain));
		if (n <= 0) {
			int e = SSL_get_error(ks->ssl, n);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				tls_failed(os, ks, "read");
			return;
		}
		message_in(os, ks, msg_buf, (size_t)n);
	}
}

/* ---- control packets in ------------------------------------------------- */

static void ctl_payload(struct ovpn_ks *ks, const struct rel_slot *sl)
{
	if (sl->op == OVPN_CONTROL_V1 && sl->len)
		BIO_write(ks->rbio, sl->data, (int)sl->len);
}

static struct ovpn_ks *ks_for_packet(struct ovpn_sess *os, const struct ovpn_ctl *c)
{
	struct ovpn_ks *ks = ks_by_id(os, c->key_id);
	if (ks || c->op != OVPN_CONTROL_SOFT_RESET_V1 || c->key_id == 0)
		return ks;
	/* The client renegotiates: only on top of a fully established key. */
	if (os->ks[os->primary].state != KS_ACTIVE)
		return NULL;
	return ks_start_renegotiation(os, c->key_id);
}

static void control_in(struct ovpn_sess *os, const uint8_t *pkt, size_t len)
{
	struct ovpn_ctl c;
	int r = ovpn_ctl_parse(pkt, len, &os->srv->ta, &c);
	if (r < 0) {
		slog_debug(os->label, "dropped control packet: %s", p2s_strerror(r));
		return;
	}
	if (os->srv->ta.enabled) {
		if (replay_check(&os->ta_replay, c.replay_id) < 0)
			return;
		replay_update(&os->ta_replay, c.replay_id);
	}
	if (os->remote_sid == 0)
		os->remote_sid = c.sid;
	else if (c.sid != os->remote_sid)
		return;
	struct ovpn_ks *ks = ks_for_packet(os, &c);
	if (!ks)
		return;
	if (c.n_acks && c.ack_sid == os->local_sid)
		for (unsigned i = 0; i < c.n_acks; i++)
			rel_ack_in(&ks->rel, c.acks[i]);
	if (c.has_msg_id)
		rel_recv(&ks->rel, c.msg_id, c.op, c.payload, c.payload_len);
	const struct rel_slot *sl;
	while ((sl = rel_recv_pop(&ks->rel)))
		ctl_payload(ks, sl);
	os->last_recv = ovpn_now(os->srv);
	ks_drive(os, ks);
	if (!os->closing || os->close_at > ovpn_now(os->srv))
		ks_flush(os, ks);
}

/* ---- data channel ------------------------------------------------------- */

static void client_exit(struct ovpn_sess *os)
{
	os->term_cause = RAD_TERM_USER_REQUEST;
	ovpn_sess_close(os, "client sent exit notification");
}

/* An exit notification seen by a data batch: the main loop closes. */
static void exit_deferred(void *owner, uint32_t tag, const union sockaddr_any *from,
			  const uint8_t *p, size_t n)
{
	(void)from;
	(void)p;
	(void)n;
	struct ovpn_server *srv = owner;
	struct ovpn_sess *os = tag < OVPN_MAX_PEERS ? srv->by_peer_id[tag] : NULL;
	if (os && !os->closing)
		client_exit(os);
}

static int data_in(struct ovpn_sess *os, const uint8_t *pkt, size_t len)
{
	struct ovpn_ks *ks = ks_by_id(os, ovpn_kid_of(pkt[0]));
	if (!ks || !ovpn_dc_ready(&ks->dc))
		return P2S_E_PROTO;
	struct ovpn_thread *th = ovpn_th(os->srv);
	uint8_t *msg_buf = th->plain;
	pthread_mutex_lock(&os->dec_mu);
	int n = ovpn_dc_decrypt(&ks->dc, pkt, len, msg_buf, sizeof(th->plain));
	if (n >= 0)
		os->last_recv = ovpn_now(os->srv);
	pthread_mutex_unlock(&os->dec_mu);
	if (n < 0) {
		ctr_add(&os->s->ctr.dropped, 1);
		return n;
	}
	if (ovpn_is_ping(msg_buf, (size_t)n))
		return 0;
	if (ovpn_is_occ_exit(msg_buf, (size_t)n)) {
		if (fwd_shared)
			dplane_defer(exit_deferred, os->srv, os->peer_id, NULL, NULL, 0);
		else
			client_exit(os);
		return 0;
	}
	if (n > 0)
		core_fwd_from_session(os->s, msg_buf, (size_t)n);
	return 0;
}

int ovpn_sess_input(struct ovpn_sess *os, const uint8_t *pkt, size_t len)
{
	if (os->closing || len < 1)
		return P2S_E_PROTO;
	if (ovpn_op_is_data(ovpn_op_of(pkt[0])))
		return data_in(os, pkt, len);
	control_in(os, pkt, len);
	return 0;
}

static void data_send(struct ovpn_sess *os, const uint8_t *pkt, size_t len)
{
	struct ovpn_ks *ks = &os->ks[os->primary];
	if (os->closing || ks->state != KS_ACTIVE)
		return;
	struct ovpn_thread *th = ovpn_th(os->srv);
	uint8_t *out = th->cipher_out;
	pthread_mutex_lock(&os->enc_mu);
	int n = ovpn_dc_encrypt(&ks->dc, ks->key_id, os->peer_id, pkt, len, out,
				sizeof(th->cipher_out));
	if (n > 0)
		os->last_send = ovpn_now(os->srv);
	/* A TCP stream carries packet ids in the order they were queued, and
	 * the client wants them in sequence: queued under the same lock. */
	if (n > 0 && os->tcp)
		ovpn_transport_send(os, out, (size_t)n, true);
	pthread_mutex_unlock(&os->enc_mu);
	if (n > 0 && !os->tcp)
		ovpn_transport_send(os, out, (size_t)n, true);
}

/* From the forwarder, on whichever thread read the TUN queue: a session
 * another worker owns is still sent from here (its packet id under the
 * session's lock), and counted. */
static void sess_send_ip(struct session *s, const uint8_t *pkt, size_t len)
{
	if (s->dp_fast && dplane_self() != s->worker)
		ctr_add(&s->ctr.cross_worker, 1);
	data_send(s->proto, pkt, len);
}

/* Ordered by the core (reload, revocation, Session-Timeout, control
 * socket, shutdown): RESTART tells the client to reconnect later. */
static void sess_disconnect(struct session *s, uint32_t cause, const char *reason)
{
	struct ovpn_sess *os = s->proto;
	struct ovpn_ks *ks = &os->ks[os->primary];
	if (os->closing)
		return;
	char msg[200];
	snprintf(msg, sizeof(msg), "RESTART,%s", reason);
	if (ks->state >= KS_KM2) {
		send_message(ks, msg);
		ks_flush(os, ks);
	}
	os->term_cause = cause;
	ovpn_sess_close(os, reason);
	os->close_at = ovpn_now(os->srv) + 1.0;
}

static const struct session_ops ovpn_session_ops = {
	.proto = TUNNEL_OPENVPN,
	.send_ip = sess_send_ip,
	.disconnect = sess_disconnect,
};

/* ---- timers ------------------------------------------------------------- */

static void keepalive(struct ovpn_sess *os, double now)
{
	const struct gw_conf *c = core_conf(os->srv->core);
	if (now - os->last_recv > 2.0 * c->ping_restart_sec) {
		ovpn_sess_close(os, "ping timeout: nothing heard from the client");
		return;
	}
	if (now - os->last_send >= c->ping_sec)
		data_send(os, ovpn_ping_magic, sizeof(ovpn_ping_magic));
	struct ovpn_ks *pk = &os->ks[os->primary], *other = &os->ks[1 - os->primary];
	if (os->reneg_at && now >= os->reneg_at && pk->state == KS_ACTIVE &&
	    (other->state == KS_UNUSED || other->state == KS_ACTIVE)) {
		os->reneg_at = 0;
		ks_start_renegotiation(os, next_key_id(pk->key_id));
	}
}

/* Once keyed and quiet, a key state gives back what the handshake grew:
 * the memory BIOs keep their largest size (a certificate chain's flight), so
 * drained ones are swapped for empty ones, and TLS drops its record buffers. */
static void ks_trim(struct ovpn_ks *ks)
{
	if (ks->trimmed || BIO_ctrl_pending(ks->rbio) || BIO_ctrl_pending(ks->wbio) ||
	    !rel_send_idle(&ks->rel))
		return;
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	if (!rb || !wb) {
		BIO_free(rb);
		BIO_free(wb);
		return;
	}
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(ks->ssl, rb, wb); /* frees the old pair */
	ks->rbio = rb;
	ks->wbio = wb;
	SSL_free_buffers(ks->ssl);
	ks->trimmed = true;
}

static void ks_tick(struct ovpn_sess *os, struct ovpn_ks *ks, double now)
{
	if (ks->expires && now >= ks->expires) {
		ks_free(ks);
		return;
	}
	uint32_t window = core_conf(os->srv->core)->hand_window_sec;
	if (ks->state != KS_ACTIVE && now - ks->started > window) {
		if (ks == &os->ks[os->primary]) {
			ovpn_sess_close(os,
					"TLS handshake did not complete within the hand window");
			return;
		}
		/* Keys, certificates and tokens must be renewed: a client that
		 * does not renegotiate in time does not keep the old key. */
		ovpn_sess_close(os, "the client did not renegotiate its data keys within the hand "
				    "window");
		return;
	}
	ks_flush(os, ks);
	if (ks->state == KS_ACTIVE)
		ks_trim(ks);
}

static void sess_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ovpn_sess *os = w->data;
	double now = ovpn_now(os->srv);
	if (os->closing) {
		if (now >= os->close_at)
			sess_destroy(os);
		else /* a last AUTH_FAILED or RESTART may need resending */
			flush_all(os);
		return;
	}
	for (int i = 0; i < 2 && !os->closing; i++)
		if (os->ks[i].state != KS_UNUSED)
			ks_tick(os, &os->ks[i], now);
	if (!os->closing && os->ks[os->primary].state == KS_ACTIVE)
		keepalive(os, now);
}

/* ---- session lifecycle -------------------------------------------------- */

static uint32_t peer_id_alloc(struct ovpn_server *srv, struct ovpn_sess *os)
{
	for (uint32_t i = 0; i < OVPN_MAX_PEERS; i++) {
		uint32_t id = (srv->next_peer_id + i) % OVPN_MAX_PEERS;
		if (!srv->by_peer_id[id]) {
			srv->by_peer_id[id] = os;
			srv->next_peer_id = id + 1;
			return id;
		}
	}
	return UINT32_MAX;
}

static void sess_locks_free(struct ovpn_sess *os)
{
	pthread_mutex_destroy(&os->dec_mu);
	pthread_mutex_destroy(&os->enc_mu);
}

struct ovpn_sess *ovpn_sess_new(struct ovpn_server *srv, const union sockaddr_any *peer,
				struct tcp_conn *conn, uint64_t local_sid, bool after_cookie)
{
	struct ovpn_sess *os = calloc(1, sizeof(*os));
	if (!os)
		return NULL;
	pthread_mutex_init(&os->dec_mu, NULL);
	pthread_mutex_init(&os->enc_mu, NULL);
	os->srv = srv;
	os->conn = conn;
	os->tcp = conn != NULL;
	os->peer = *peer;
	os->peer_id = peer_id_alloc(srv, os);
	os->s = os->peer_id == UINT32_MAX
			? NULL
			: core_session_new(srv->core, &ovpn_session_ops, os, peer);
	if (!os->s || ks_init(os, &os->ks[0], 0) < 0) {
		core_session_free(os->s);
		if (os->peer_id != UINT32_MAX)
			srv->by_peer_id[os->peer_id] = NULL;
		sess_locks_free(os);
		free(os);
		return NULL;
	}
	if (!conn) {
		os->s->worker = steer_openvpn_index(os->peer_id, srv->n_lanes);
		os->s->dp_fast = true; /* sent to from any data-plane thread */
	}
	char addr[64];
	sockaddr_str(peer, addr, sizeof(addr));
	snprintf(os->label, sizeof(os->label), "%s %s", os->s->id, addr);
	if (!local_sid)
		p2s_random((uint8_t *)&local_sid, sizeof(local_sid));
	os->local_sid = local_sid;
	os->ta_time = (uint32_t)time(NULL);
	os->term_cause = RAD_TERM_LOST_CARRIER;
	os->last_recv = os->last_send = ovpn_now(srv);
	if (after_cookie) {
		/* The stateless reset already went out as id 0; the client's id 0 was seen. */
		os->ta_pid = 1;
		os->ks[0].rel.send_next_id = 1;
		os->ks[0].rel.recv_next_id = 1;
	} else {
		rel_send_queue(&os->ks[0].rel, OVPN_HARD_RESET_SERVER_V2, NULL, 0);
	}
	ev_timer_init(&os->timer, sess_timer_cb, TICK, TICK);
	os->timer.data = os;
	ev_timer_start(core_loop(srv->core), &os->timer);
	if (conn)
		slog_debug(os->label, "new TCP connection");
	else
		slog_debug(os->label, "new UDP connection, peer-id %u on worker %u of %u",
			   os->peer_id, os->s->worker, srv->n_lanes);
	return os;
}

void ovpn_sess_close(struct ovpn_sess *os, const char *reason)
{
	if (os->closing)
		return;
	os->closing = true;
	os->close_at = ovpn_now(os->srv);
	core_session_end(os->s, os->term_cause, reason);
	ovpn_auth_free(os);
	/* Destroy from the timer, never from inside a caller's stack frame. */
	struct ev_loop *loop = core_loop(os->srv->core);
	ev_timer_stop(loop, &os->timer);
	ev_timer_set(&os->timer, 0.0, TICK);
	ev_timer_start(loop, &os->timer);
}

static void sess_destroy(struct ovpn_sess *os)
{
	struct ovpn_server *srv = os->srv;
	ev_timer_stop(core_loop(srv->core), &os->timer);
	ovpn_transport_detach(os);
	srv->by_peer_id[os->peer_id] = NULL;
	ks_free(&os->ks[0]);
	ks_free(&os->ks[1]);
	ovpn_km2_free(&os->km2);
	ovpn_auth_free(os);
	core_session_free(os->s);
	sess_locks_free(os);
	free(os);
}

/* ---- the engine --------------------------------------------------------- */

static int load_tls_auth(struct ovpn_server *srv, const char *path)
{
	if (!path) {
		srv->ta.enabled = false;
		return 0;
	}
	char *text = file_read_all(path);
	if (!text)
		return -errno;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	int r = ovpn_static_key_parse(text, strlen(text), key);
	if (r == 0)
		ovpn_tls_auth_from_static(&srv->ta, key);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return r;
}

static struct engine *engine_start(struct core *c)
{
	struct ovpn_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->core = c;
	srv->udp_fd = -1;
	p2s_random(srv->cookie_key, sizeof(srv->cookie_key));
	p2s_random(srv->hash_key, sizeof(srv->hash_key));
	const char *ta = core_tls_auth_path(c);
	int r = load_tls_auth(srv, ta);
	if (r < 0)
		log_err("cannot read the tls-auth key %s: %s", ta, p2s_strerror(r));
	if (!ta)
		log_warn("tls-auth is off (no openvpn.tlsAuthKeyFile): anyone can start TLS "
			 "handshakes; Azure's profiles expect it on");
	if (r < 0 || ovpn_transport_open(srv) < 0) {
		ovpn_transport_close(srv);
		free(srv);
		return NULL;
	}
	return (struct engine *)srv;
}

/* A new tls-auth key and UDP port apply; running sessions keep their keys. */
static int engine_reload(struct engine *e)
{
	struct ovpn_server *srv = (struct ovpn_server *)e;
	const char *ta = core_tls_auth_path(srv->core);
	int r = load_tls_auth(srv, ta);
	if (r < 0)
		log_err("reload: cannot read the tls-auth key %s: %s (keeping the old one)", ta,
			p2s_strerror(r));
	return ovpn_transport_open(srv);
}

static void engine_stop(struct engine *e)
{
	struct ovpn_server *srv = (struct ovpn_server *)e;
	if (!srv)
		return;
	for (uint32_t i = 0; i < OVPN_MAX_PEERS; i++)
		if (srv->by_peer_id[i])
			sess_destroy(srv->by_peer_id[i]);
	ovpn_tcp_reap_all(srv);
	ovpn_transport_close(srv);
	OPENSSL_cleanse(&srv->ta, sizeof(srv->ta));
	free(srv);
}

static void engine_tcp_adopt(struct engine *e, int fd, const union sockaddr_any *peer)
{
	ovpn_transport_adopt((struct ovpn_server *)e, fd, peer);
}

static bool engine_lane_stats(const struct engine *e, unsigned i, struct lane_stats *out)
{
	return ovpn_transport_lane_stats((const struct ovpn_server *)e, i, out);
}

const struct engine_ops ovpn_engine_ops = {
	.proto = TUNNEL_OPENVPN,
	.start = engine_start,
	.tcp_adopt = engine_tcp_adopt,
	.reload = engine_reload,
	.stop = engine_stop,
	.lane_stats = engine_lane_stats,
};
