/* IPCP (RFC 1332, RFC 1877): the gateway proposes its own address and
 * steers the client's proposals to the leased address and the DNS servers
 * by Configure-Nak. */
#include <string.h>

#include "lib/cursor.h"
#include "proto/ppp/frame.h"
#include "proto/ppp/ppp.h"

enum ipcp_opt { IPCP_ADDRS = 1, IPCP_COMP = 2, IPCP_ADDR = 3, IPCP_DNS1 = 129, IPCP_DNS2 = 131 };
#define REJ_ADDR (1u << 0)

void ppp_set_net(struct ppp *p, uint32_t local, uint32_t peer, const uint32_t dns[2])
{
	p->local_ip = local;
	p->peer_ip = peer;
	p->dns[0] = dns[0];
	p->dns[1] = dns[1];
}

void ppp_ipcp_start(struct ppp *p)
{
	uint8_t buf[8];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	if (!(p->ipcp.rejected & REJ_ADDR))
		ppp_opt_put_u32(&w, IPCP_ADDR, p->local_ip);
	p->ipcp.id++;
	p->ipcp.sent++;
	ppp_send_cp(p, PPP_IPCP, CP_CONF_REQ, p->ipcp.id, buf, w.len);
}

/* An address option: acked when it already holds want, Nak'ed with want. */
static enum ppp_opt_verdict want_addr(const struct ppp_opt *o, uint32_t want, struct wbuf *nak)
{
	struct cur c;
	cur_init(&c, o->val, o->len);
	uint32_t v = cur_u32(&c);
	if (!cur_done(&c))
		return OPT_REJ;
	if (v == want)
		return OPT_ACK;
	ppp_opt_put_u32(nak, o->type, want);
	return OPT_NAK;
}

static enum ppp_opt_verdict ipcp_check(struct ppp *p, const struct ppp_opt *o, struct wbuf *nak)
{
	switch (o->type) {
	case IPCP_ADDR: return want_addr(o, p->peer_ip, nak);
	case IPCP_DNS1: return p->dns[0] ? want_addr(o, p->dns[0], nak) : OPT_REJ;
	case IPCP_DNS2: return p->dns[1] ? want_addr(o, p->dns[1], nak) : OPT_REJ;
	default: /* VJ compression, NBNS, the deprecated IP-Addresses */ return OPT_REJ;
	}
}

static void ipcp_opened_check(struct ppp *p)
{
	if (p->phase == PPP_NETWORK && p->ipcp.req_acked && p->ipcp.peer_acked) {
		p->phase = PPP_RUNNING;
		p->ops->up(p->ctx);
	}
}

void ppp_ncp_input(struct ppp *p, uint16_t proto, const uint8_t *info, size_t len)
{
	struct ppp_cp cp;
	(void)proto;
	if (p->phase != PPP_NETWORK && p->phase != PPP_RUNNING)
		return; /* RFC 1661: NCP packets before the network phase are dropped */
	if (ppp_cp_parse(info, len, &cp) < 0)
		return;
	switch (cp.code) {
	case CP_CONF_REQ:
		if (p->phase == PPP_RUNNING) {
			ppp_close(p, "IPCP renegotiation is not supported");
			return;
		}
		ppp_conf_req(p, PPP_IPCP, &p->ipcp, &cp, ipcp_check);
		ipcp_opened_check(p);
		break;
	case CP_CONF_ACK:
		if (cp.id == p->ipcp.id && p->phase == PPP_NETWORK) {
			p->ipcp.req_acked = true;
			ipcp_opened_check(p);
		}
		break;
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		/* Our only option is our own address; without it, ask for nothing. */
		if (cp.id == p->ipcp.id && p->phase == PPP_NETWORK) {
			if (cp.code == CP_CONF_REJ)
				p->ipcp.rejected |= REJ_ADDR;
			ppp_ipcp_start(p);
		}
		break;
	case CP_TERM_REQ:
		ppp_send_cp(p, PPP_IPCP, CP_TERM_ACK, cp.id, NULL, 0);
		ppp_close(p, "the client closed IPCP");
		break;
	default: break;
	}
}
