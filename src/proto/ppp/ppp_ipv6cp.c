/* IPV6CP (RFC 5072): only interface identifiers are negotiated. The
 * gateway proposes its own and steers the client to the one that, under
 * the /64 it then advertises, makes the address the core leased (the
 * forwarder accepts no other source). A client that refuses IPV6CP keeps
 * its IPv4 link. */
#include <string.h>

#include "lib/cursor.h"
#include "proto/ppp/frame.h"
#include "proto/ppp/ppp.h"

#define IPV6CP_IID 1 /* Interface-Identifier; 2 (compression) is refused */
#define REJ_IID	   (1u << 0)

static const uint8_t zero_iid[PPP_IID_LEN];

void ppp_set_net6(struct ppp *p, const uint8_t local[PPP_IID_LEN], const uint8_t peer[PPP_IID_LEN])
{
	p->v6 = true;
	memcpy(p->local_iid, local, PPP_IID_LEN);
	memcpy(p->peer_iid, peer, PPP_IID_LEN);
}

void ppp_ipv6cp_start(struct ppp *p)
{
	uint8_t buf[16];
	struct wbuf w;
	if (!p->v6 || p->v6_off)
		return;
	wbuf_init(&w, buf, sizeof(buf));
	if (!(p->ipv6cp.rejected & REJ_IID))
		ppp_opt_put(&w, IPV6CP_IID, p->local_iid, PPP_IID_LEN);
	p->ipv6cp.id++;
	p->ipv6cp.sent++;
	ppp_send_cp(p, PPP_IPV6CP, CP_CONF_REQ, p->ipv6cp.id, buf, w.len);
}

static enum ppp_opt_verdict ipv6cp_check(struct ppp *p, const struct ppp_opt *o, struct wbuf *nak)
{
	if (o->type != IPV6CP_IID)
		return OPT_REJ;
	if (o->len != PPP_IID_LEN)
		return OPT_REJ;
	if (memcmp(o->val, p->peer_iid, PPP_IID_LEN) == 0)
		return OPT_ACK;
	ppp_opt_put(nak, IPV6CP_IID, p->peer_iid, PPP_IID_LEN);
	return OPT_NAK;
}

static void opened_check(struct ppp *p)
{
	p->v6_up = p->ipv6cp.req_acked && p->ipv6cp.peer_acked;
}

/* The client proposes another identifier for us: taken when it is usable
 * (not zero, not the client's own). */
static void take_nak(struct ppp *p, const struct ppp_cp *cp)
{
	struct cur c;
	struct ppp_opt o;
	cur_init(&c, cp->data, cp->len);
	while (ppp_opt_next(&c, &o) > 0)
		if (o.type == IPV6CP_IID && o.len == PPP_IID_LEN &&
		    memcmp(o.val, zero_iid, PPP_IID_LEN) != 0 &&
		    memcmp(o.val, p->peer_iid, PPP_IID_LEN) != 0)
			memcpy(p->local_iid, o.val, PPP_IID_LEN);
}

/* The client no longer wants IPv6 on this link; IPv4 carries on. */
void ppp_ipv6cp_off(struct ppp *p)
{
	p->v6_off = true;
	p->v6_up = false;
}

void ppp_ipv6cp_input(struct ppp *p, const uint8_t *info, size_t len)
{
	struct ppp_cp cp;
	if (p->phase != PPP_NETWORK && p->phase != PPP_RUNNING)
		return; /* RFC 1661: NCP packets before the network phase are dropped */
	if (ppp_cp_parse(info, len, &cp) < 0)
		return;
	switch (cp.code) {
	case CP_CONF_REQ:
		if (p->v6_off)
			return;
		if (p->v6_up) { /* renegotiation: our side starts over too */
			p->ipv6cp.req_acked = false;
			p->ipv6cp.sent = 0;
			ppp_ipv6cp_start(p);
		}
		ppp_conf_req(p, PPP_IPV6CP, &p->ipv6cp, &cp, ipv6cp_check);
		opened_check(p);
		break;
	case CP_CONF_ACK:
		if (cp.id == p->ipv6cp.id && !p->v6_off) {
			p->ipv6cp.req_acked = true;
			opened_check(p);
		}
		break;
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		if (cp.id != p->ipv6cp.id || p->v6_off || p->ipv6cp.req_acked)
			break;
		if (cp.code == CP_CONF_REJ)
			p->ipv6cp.rejected |= REJ_IID;
		else
			take_nak(p, &cp);
		ppp_ipv6cp_start(p);
		break;
	case CP_TERM_REQ:
		ppp_send_cp(p, PPP_IPV6CP, CP_TERM_ACK, cp.id, NULL, 0);
		ppp_ipv6cp_off(p);
		break;
	default: break;
	}
}

bool ppp_ipv6cp_wants_timer(const struct ppp *p)
{
	return p->v6 && !p->v6_off && !p->ipv6cp.req_acked &&
	       (p->phase == PPP_NETWORK || p->phase == PPP_RUNNING);
}

void ppp_ipv6cp_timeout(struct ppp *p)
{
	if (!ppp_ipv6cp_wants_timer(p))
		return;
	if (p->ipv6cp.sent >= PPP_MAX_CONFIGURE)
		ppp_ipv6cp_off(p); /* a silent client: IPv4 only */
	else
		ppp_ipv6cp_start(p);
}
