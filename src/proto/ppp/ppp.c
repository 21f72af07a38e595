/* PPP link: frame dispatch, LCP, and the Configure-Request answer shared
 * with IPCP. The gateway is always the authenticator; it asks for no
 * compression (ACFC/PFC are rejected: SSTP frames are never compressed). */
#include "proto/ppp/ppp.h"

#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "proto/ppp/frame.h"

enum lcp_opt {
	LCP_MRU = 1,
	LCP_ACCM = 2,
	LCP_AUTH = 3,
	LCP_MAGIC = 5,
	LCP_PFC = 7,
	LCP_ACFC = 8,
};
#define REJ_MRU (1u << 0)

void ppp_init(struct ppp *p, const struct ppp_ops *ops, void *ctx, unsigned allowed, uint32_t magic)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ctx = ctx;
	p->auth_allowed = allowed;
	p->auth = (allowed & PPP_AUTH_MSCHAPV2) ? PPP_AUTH_MSCHAPV2 : PPP_AUTH_EAP;
	p->magic = magic ? magic : 0x5032537a;
	p->peer_mru = PPP_MRU;
	p->lcp.id = (uint8_t)magic;
	p->ipcp.id = (uint8_t)(magic >> 8);
	p->ipv6cp.id = (uint8_t)(magic >> 16);
}

void ppp_send_cp(struct ppp *p, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *data,
		 size_t len)
{
	uint8_t cp[PPP_MAX_FRAME], frame[PPP_MAX_FRAME];
	int n = ppp_cp_build(cp, sizeof(cp) - PPP_HDR_LEN, code, id, data, len);
	if (n < 0)
		return;
	int f = ppp_frame_build(frame, sizeof(frame), proto, cp, (size_t)n);
	if (f > 0)
		p->ops->send(p->ctx, frame, (size_t)f);
}

void ppp_send_cp_raw(struct ppp *p, uint16_t proto, const uint8_t *pkt, size_t len)
{
	uint8_t frame[PPP_MAX_FRAME];
	int f = ppp_frame_build(frame, sizeof(frame), proto, pkt, len);
	if (f > 0)
		p->ops->send(p->ctx, frame, (size_t)f);
}

void ppp_down(struct ppp *p, const char *reason, bool by_peer)
{
	p->phase = PPP_DEAD;
	if (p->down_called)
		return;
	p->down_called = true;
	p->ops->down(p->ctx, reason, by_peer);
}

void ppp_lcp_send_req(struct ppp *p)
{
	uint8_t buf[64];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	if (!(p->lcp.rejected & REJ_MRU))
		ppp_opt_put_u16(&w, LCP_MRU, PPP_MRU);
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		static const uint8_t chap81[] = {0xc2, 0x23, CHAP_MSV2_ALG};
		ppp_opt_put(&w, LCP_AUTH, chap81, sizeof(chap81));
	} else {
		ppp_opt_put_u16(&w, LCP_AUTH, PPP_EAP);
	}
	ppp_opt_put_u32(&w, LCP_MAGIC, p->magic);
	p->lcp.id++;
	p->lcp.sent++;
	ppp_send_cp(p, PPP_LCP, CP_CONF_REQ, p->lcp.id, buf, w.len);
}

void ppp_start(struct ppp *p)
{
	p->phase = PPP_ESTABLISH;
	ppp_lcp_send_req(p);
}

bool ppp_conf_req(struct ppp *p, uint16_t proto, struct ppp_cp_state *st, const struct ppp_cp *cp,
		  ppp_opt_check check)
{
	uint8_t nak_buf[256], rej_buf[256];
	struct wbuf nak, rej;
	struct cur c;
	struct ppp_opt o;
	int rc;
	wbuf_init(&nak, nak_buf, sizeof(nak_buf));
	wbuf_init(&rej, rej_buf, sizeof(rej_buf));
	cur_init(&c, cp->data, cp->len);
	while ((rc = ppp_opt_next(&c, &o)) > 0) {
		enum ppp_opt_verdict v = check(p, &o, &nak);
		if (v == OPT_REJ)
			wbuf_bytes(&rej, o.raw, o.raw_len);
	}
	if (rc < 0 || !wbuf_ok(&nak) || !wbuf_ok(&rej))
		return false; /* malformed: silently discarded (RFC 1661 5.1) */
	if (rej.len)
		ppp_send_cp(p, proto, CP_CONF_REJ, cp->id, rej_buf, rej.len);
	else if (nak.len)
		ppp_send_cp(p, proto, CP_CONF_NAK, cp->id, nak_buf, nak.len);
	else
		ppp_send_cp(p, proto, CP_CONF_ACK, cp->id, cp->data, cp->len);
	st->peer_acked = !rej.len && !nak.len;
	return st->peer_acked;
}

static enum ppp_opt_verdict lcp_check(struct ppp *p, const struct ppp_opt *o, struct wbuf *nak)
{
	struct cur c;
	cur_init(&c, o->val, o->len);
	switch (o->type) {
	case LCP_MRU: {
		uint16_t mru = cur_u16(&c);
		if (!cur_done(&c))
			return OPT_REJ;
		if (mru < 128 || mru > PPP_MAX_FRAME - PPP_HDR_LEN) {
			ppp_opt_put_u16(nak, LCP_MRU, PPP_MRU);
			return OPT_NAK;
		}
		p->peer_mru = mru;
		return OPT_ACK;
	}
	case LCP_ACCM: /* meaningless without HDLC: acked and ignored */
		cur_u32(&c);
		return cur_done(&c) ? OPT_ACK : OPT_REJ;
	case LCP_MAGIC: cur_u32(&c); return cur_done(&c) ? OPT_ACK : OPT_REJ;
	default: /* PFC, ACFC, the client authenticating us, anything else */ return OPT_REJ;
	}
}

/* The client Nak'ed our authentication protocol: take its proposal when we
 * allow it, otherwise give up (we never run without authentication). */
static bool lcp_nak_auth(struct ppp *p, const struct ppp_opt *o)
{
	struct cur c;
	cur_init(&c, o->val, o->len);
	uint16_t proto = cur_u16(&c);
	if (proto == PPP_CHAP && cur_u8(&c) == CHAP_MSV2_ALG && cur_done(&c) &&
	    (p->auth_allowed & PPP_AUTH_MSCHAPV2)) {
		p->auth = PPP_AUTH_MSCHAPV2;
		return true;
	}
	if (proto == PPP_EAP && cur_done(&c) && (p->auth_allowed & PPP_AUTH_EAP)) {
		p->auth = PPP_AUTH_EAP;
		return true;
	}
	/* Anything else: offer our other method once, if we have one. */
	enum ppp_auth other = p->auth == PPP_AUTH_MSCHAPV2 ? PPP_AUTH_EAP : PPP_AUTH_MSCHAPV2;
	if ((p->auth_allowed & other) && p->lcp.sent < 3) {
		p->auth = other;
		return true;
	}
	return false;
}

/* Nak or Reject of our own request. */
static void lcp_our_req_refused(struct ppp *p, const struct ppp_cp *cp)
{
	struct cur c;
	struct ppp_opt o;
	cur_init(&c, cp->data, cp->len);
	while (ppp_opt_next(&c, &o) > 0) {
		if (o.type == LCP_AUTH && (cp->code == CP_CONF_REJ || !lcp_nak_auth(p, &o))) {
			ppp_close(p, "the client refuses every authentication method we allow");
			return;
		}
		if (o.type == LCP_MRU)
			p->lcp.rejected |= REJ_MRU;
	}
	ppp_lcp_send_req(p);
}

static void lcp_opened_check(struct ppp *p)
{
	if (p->phase == PPP_ESTABLISH && p->lcp.req_acked && p->lcp.peer_acked)
		ppp_auth_start(p);
}

static void lcp_echo(struct ppp *p, const struct ppp_cp *cp)
{
	uint8_t buf[PPP_MAX_FRAME];
	struct wbuf w;
	if (cp->len < 4 || p->phase == PPP_ESTABLISH)
		return;
	wbuf_init(&w, buf, sizeof(buf) - 16);
	wbuf_u32(&w, p->magic);
	wbuf_bytes(&w, cp->data + 4, cp->len - 4);
	if (wbuf_ok(&w))
		ppp_send_cp(p, PPP_LCP, LCP_ECHO_REP, cp->id, buf, w.len);
}

static void lcp_input(struct ppp *p, const uint8_t *info, size_t len)
{
	struct ppp_cp cp;
	if (ppp_cp_parse(info, len, &cp) < 0)
		return;
	switch (cp.code) {
	case CP_CONF_REQ:
		if (p->phase != PPP_ESTABLISH) {
			ppp_close(p, "LCP renegotiation is not supported");
			return;
		}
		ppp_conf_req(p, PPP_LCP, &p->lcp, &cp, lcp_check);
		lcp_opened_check(p);
		break;
	case CP_CONF_ACK:
		if (p->phase == PPP_ESTABLISH && cp.id == p->lcp.id) {
			p->lcp.req_acked = true;
			lcp_opened_check(p);
		}
		break;
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		if (p->phase == PPP_ESTABLISH && cp.id == p->lcp.id)
			lcp_our_req_refused(p, &cp);
		break;
	case CP_TERM_REQ:
		ppp_send_cp(p, PPP_LCP, CP_TERM_ACK, cp.id, NULL, 0);
		ppp_down(p, "the client terminated the link", true);
		break;
	case CP_TERM_ACK: ppp_down(p, "link terminated", false); break;
	case LCP_ECHO_REQ: lcp_echo(p, &cp); break;
	case LCP_PROTO_REJ: /* the rejected protocol, then the packet */
		if (cp.len >= 2 && (cp.data[0] << 8 | cp.data[1]) == PPP_IPV6CP)
			ppp_ipv6cp_off(p);
		break;
	case LCP_ECHO_REP:
	case LCP_DISCARD_REQ:
	case CP_CODE_REJ: break;
	default:
		ppp_send_cp(p, PPP_LCP, CP_CODE_REJ, ++p->lcp.id, info,
			    len > PPP_MRU - 8 ? PPP_MRU - 8 : len);
	}
}

static void proto_reject(struct ppp *p, uint16_t proto, const uint8_t *info, size_t len)
{
	uint8_t buf[PPP_MRU];
	struct wbuf w;
	if (p->phase == PPP_ESTABLISH)
		return; /* RFC 1661: only in the Opened state */
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u16(&w, proto);
	wbuf_bytes(&w, info, len > sizeof(buf) - 2 ? sizeof(buf) - 2 : len);
	ppp_send_cp(p, PPP_LCP, LCP_PROTO_REJ, ++p->lcp.id, buf, w.len);
}

void ppp_input(struct ppp *p, const uint8_t *frame, size_t len)
{
	uint16_t proto;
	const uint8_t *info;
	size_t n;
	if (p->phase == PPP_DEAD || ppp_frame_parse(frame, len, &proto, &info, &n) < 0)
		return;
	switch (proto) {
	case PPP_LCP: lcp_input(p, info, n); break;
	case PPP_CHAP:
	case PPP_EAP: ppp_auth_input(p, proto, info, n); break;
	case PPP_IPCP: ppp_ncp_input(p, proto, info, n); break;
	case PPP_IPV6CP:
		if (!p->v6)
			proto_reject(p, proto, info, n); /* no IPv6 pool for this client */
		else
			ppp_ipv6cp_input(p, info, n);
		break;
	case PPP_IP:
		if (p->phase == PPP_RUNNING)
			p->ops->ip(p->ctx, info, n);
		break;
	case PPP_IPV6: /* before IPV6CP is open: silently discarded */
		if (p->phase == PPP_RUNNING && p->v6_up)
			p->ops->ip(p->ctx, info, n);
		break;
	default: /* CCP (TLS already encrypts), PAP, anything else */
		proto_reject(p, proto, info, n);
	}
}

bool ppp_wants_timer(const struct ppp *p)
{
	switch (p->phase) {
	case PPP_ESTABLISH: return !p->lcp.req_acked;
	case PPP_AUTHENTICATE: return p->auth_waiting;
	case PPP_NETWORK: return !p->ipcp.req_acked || ppp_ipv6cp_wants_timer(p);
	case PPP_RUNNING: return ppp_ipv6cp_wants_timer(p);
	default: return false;
	}
}

void ppp_timeout(struct ppp *p)
{
	if (!ppp_wants_timer(p))
		return;
	switch (p->phase) {
	case PPP_ESTABLISH:
		if (p->lcp.sent >= PPP_MAX_CONFIGURE)
			ppp_down(p, "LCP negotiation timed out", false);
		else
			ppp_lcp_send_req(p);
		break;
	case PPP_AUTHENTICATE: ppp_auth_timeout(p); break;
	case PPP_NETWORK:
		ppp_ipv6cp_timeout(p);
		if (p->ipcp.req_acked)
			break;
		if (p->ipcp.sent >= PPP_MAX_CONFIGURE)
			ppp_close(p, "IPCP negotiation timed out");
		else
			ppp_ipcp_start(p);
		break;
	case PPP_RUNNING: ppp_ipv6cp_timeout(p); break;
	default: break;
	}
}

void ppp_close(struct ppp *p, const char *reason)
{
	if (p->phase == PPP_DEAD)
		return;
	ppp_send_cp(p, PPP_LCP, CP_TERM_REQ, ++p->lcp.id, NULL, 0);
	ppp_down(p, reason, false);
}

int ppp_send_ip(struct ppp *p, const uint8_t *pkt, size_t len)
{
	uint8_t frame[PPP_MAX_FRAME];
	bool v6 = len > 0 && pkt[0] >> 4 == 6;
	if (p->phase != PPP_RUNNING || (v6 && !p->v6_up))
		return P2S_E_PROTO;
	int n = ppp_frame_build(frame, sizeof(frame), v6 ? PPP_IPV6 : PPP_IP, pkt, len);
	if (n < 0)
		return n;
	p->ops->send(p->ctx, frame, (size_t)n);
	return 0;
}
