#include "sa.h"

#include <stdio.h>
#include <string.h>

#include "lib/err.h"

/* A transform (RFC 7296 §3.3.2) with its attributes; only Key Length is
 * understood, and a transform with any other attribute is skipped as
 * unknown (the RFC: "MUST reject" it, which means not selecting it). */
static int transform_parse(struct cur *c, struct ike_transform *t, bool *usable, uint8_t *last)
{
	*last = cur_u8(c);
	(void)cur_u8(c);
	uint16_t len = cur_u16(c);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (len < 8 || (size_t)(len - 4) > cur_left(c))
		return P2S_E_TRUNC;
	struct cur tc = cur_sub(c, len - 4);
	t->type = cur_u8(&tc);
	(void)cur_u8(&tc);
	t->id = cur_u16(&tc);
	t->key_bits = 0;
	*usable = true;
	while (cur_ok(&tc) && cur_left(&tc) > 0) {
		uint16_t at = cur_u16(&tc);
		if (at & 0x8000) {
			uint16_t v = cur_u16(&tc);
			if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH)
				t->key_bits = v;
			else
				*usable = false;
		} else {
			uint16_t alen = cur_u16(&tc);
			(void)cur_bytes(&tc, alen);
			*usable = false;
		}
	}
	if (!cur_ok(&tc))
		return P2S_E_TRUNC;
	return *last == 0 || *last == 3 ? 0 : P2S_E_PROTO;
}

static int proposal_parse(struct cur *c, struct ike_proposal *pr, uint8_t *last)
{
	*last = cur_u8(c);
	(void)cur_u8(c);
	uint16_t len = cur_u16(c);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (len < 8 || (size_t)(len - 4) > cur_left(c))
		return P2S_E_TRUNC;
	struct cur pc = cur_sub(c, len - 4);
	pr->num = cur_u8(&pc);
	pr->proto = cur_u8(&pc);
	pr->spi_len = cur_u8(&pc);
	uint8_t n_tf = cur_u8(&pc);
	if (pr->spi_len > sizeof(pr->spi))
		return P2S_E_PROTO;
	cur_copy(&pc, pr->spi, pr->spi_len);
	pr->n_tf = 0;
	uint8_t tlast = 3;
	for (unsigned i = 0; i < n_tf && cur_ok(&pc); i++) {
		struct ike_transform t;
		bool usable;
		int r = transform_parse(&pc, &t, &usable, &tlast);
		if (r)
			return r;
		if (usable && pr->n_tf < IKE_MAX_TRANSFORMS)
			pr->tf[pr->n_tf++] = t;
		if (tlast == 0 && i + 1 != n_tf)
			return P2S_E_PROTO;
	}
	if (!cur_ok(&pc))
		return P2S_E_TRUNC;
	if (!cur_done(&pc))
		return P2S_E_TRAIL;
	return (*last == 0 || *last == 2) && (n_tf == 0 || tlast == 0) ? 0 : P2S_E_PROTO;
}

int ike_sa_parse(const struct ike_payload *p, struct ike_sa_offer *sa)
{
	struct cur c;
	cur_init(&c, p->body, p->len);
	sa->n = 0;
	uint8_t last = 2;
	while (last == 2) {
		if (sa->n == IKE_MAX_PROPOSALS)
			return P2S_E_FULL;
		int r = proposal_parse(&c, &sa->prop[sa->n], &last);
		if (r)
			return r;
		/* Proposal numbers start at 1 and grow by one (RFC 7296 §3.3.1). */
		if (sa->prop[sa->n].num != sa->n + 1)
			return P2S_E_PROTO;
		sa->n++;
	}
	if (!cur_ok(&c))
		return P2S_E_TRUNC;
	return cur_done(&c) ? 0 : P2S_E_TRAIL;
}

/* ---- policy ------------------------------------------------------------ */

static void add_row(struct ike_policy_row *rows, size_t *n, struct ike_policy_row r)
{
	if (*n < IKE_POLICY_MAX_ROWS)
		rows[(*n)++] = r;
}

void ike_policy_default(struct ike_policy *p)
{
	static const uint16_t groups[] = {IKE_DH_MODP2048_256, IKE_DH_MODP2048, IKE_DH_ECP384,
					  IKE_DH_ECP256};
	static const uint16_t prfs[] = {IKE_PRF_HMAC_SHA384, IKE_PRF_HMAC_SHA256};
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < 2; i++)
		for (size_t g = 0; g < 4; g++)
			add_row(p->ike, &p->n_ike,
				(struct ike_policy_row){IKE_ENCR_AES_GCM16, 256, 0, prfs[i],
							groups[g]});
	static const uint16_t integs[] = {IKE_INTEG_SHA384_192, IKE_INTEG_SHA256_128};
	for (size_t i = 0; i < 2; i++)
		for (size_t g = 0; g < 4; g++)
			add_row(p->ike, &p->n_ike,
				(struct ike_policy_row){IKE_ENCR_AES_CBC, 256, integs[i], prfs[i],
							groups[g]});
	add_row(p->ike, &p->n_ike,
		(struct ike_policy_row){IKE_ENCR_AES_CBC, 256, IKE_INTEG_SHA256_128,
					IKE_PRF_HMAC_SHA256, IKE_DH_MODP1024});
	static const uint16_t pfs[] = {IKE_DH_NONE, IKE_DH_MODP2048_256, IKE_DH_MODP2048,
				       IKE_DH_ECP384, IKE_DH_ECP256};
	for (size_t g = 0; g < 5; g++)
		add_row(p->esp, &p->n_esp,
			(struct ike_policy_row){IKE_ENCR_AES_GCM16, 256, 0, 0, pfs[g]});
	for (size_t g = 0; g < 5; g++)
		add_row(p->esp, &p->n_esp,
			(struct ike_policy_row){IKE_ENCR_AES_CBC, 256, IKE_INTEG_SHA256_128, 0,
						pfs[g]});
	add_row(p->esp, &p->n_esp,
		(struct ike_policy_row){IKE_ENCR_AES_CBC, 256, IKE_INTEG_SHA1_96, 0, IKE_DH_NONE});
}

struct name_map {
	const char *name;
	uint16_t a, b;
};

static const struct name_map *lookup(const struct name_map *m, const char *name)
{
	for (; name && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static const struct name_map encrs[] = {
	{"GCMAES256", IKE_ENCR_AES_GCM16, 256},
	{"GCMAES128", IKE_ENCR_AES_GCM16, 128},
	{"AES256", IKE_ENCR_AES_CBC, 256},
	{"AES128", IKE_ENCR_AES_CBC, 128},
	{NULL, 0, 0},
};
/* integrity -> (INTEG, PRF): an AEAD cipher takes only the PRF */
static const struct name_map ike_integs[] = {
	{"SHA384", IKE_INTEG_SHA384_192, IKE_PRF_HMAC_SHA384},
	{"SHA256", IKE_INTEG_SHA256_128, IKE_PRF_HMAC_SHA256},
	{NULL, 0, 0},
};
static const struct name_map esp_integs[] = {
	{"GCMAES256", 0, 0},
	{"GCMAES128", 0, 0},
	{"SHA256", IKE_INTEG_SHA256_128, 0},
	{"SHA1", IKE_INTEG_SHA1_96, 0},
	{NULL, 0, 0},
};
static const struct name_map dhs[] = {
	{"DHGroup24", IKE_DH_MODP2048_256, 0},
	{"ECP384", IKE_DH_ECP384, 0},
	{"ECP256", IKE_DH_ECP256, 0},
	{"DHGroup14", IKE_DH_MODP2048, 0},
	{"DHGroup2048", IKE_DH_MODP2048, 0},
	{"DHGroup2", IKE_DH_MODP1024, 0},
	{"PFS24", IKE_DH_MODP2048_256, 0},
	{"PFS14", IKE_DH_MODP2048, 0},
	{"PFS2048", IKE_DH_MODP2048, 0},
	{"PFS2", IKE_DH_MODP1024, 0},
	{"None", IKE_DH_NONE, 0},
	{NULL, 0, 0},
};

int ike_policy_custom(struct ike_policy *p, const char *ipsec_enc, const char *ipsec_int,
		      const char *ike_enc, const char *ike_int, const char *dh, const char *pfs,
		      uint32_t life_s, uint32_t life_kb)
{
	memset(p, 0, sizeof(*p));
	const struct name_map *ie = lookup(encrs, ike_enc), *ii = lookup(ike_integs, ike_int);
	const struct name_map *ee = lookup(encrs, ipsec_enc), *ei = lookup(esp_integs, ipsec_int);
	const struct name_map *g = lookup(dhs, dh);
	/* PFSMM: the same group as the IKE SA (Azure's "main mode" group). */
	const struct name_map *pg = pfs && strcmp(pfs, "PFSMM") == 0 ? g : lookup(dhs, pfs);
	if (!ie || !ii || !ee || !ei || !g || !pg || g->a == IKE_DH_NONE)
		return P2S_E_CONFIG;
	bool ike_aead = ie->a == IKE_ENCR_AES_GCM16, esp_aead = ee->a == IKE_ENCR_AES_GCM16;
	/* An AEAD cipher and an HMAC integrity name do not mix, either way. */
	if (esp_aead != (ei->a == 0))
		return P2S_E_CONFIG;
	add_row(p->ike, &p->n_ike,
		(struct ike_policy_row){ie->a, ie->b, ike_aead ? 0 : ii->a, ii->b, g->a});
	add_row(p->esp, &p->n_esp, (struct ike_policy_row){ee->a, ee->b, ei->a, 0, pg->a});
	p->child_life_s = life_s;
	p->child_life_kb = life_kb;
	p->custom = true;
	return 0;
}

/* ---- selection --------------------------------------------------------- */

static bool offers(const struct ike_proposal *pr, uint8_t type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < pr->n_tf; i++)
		if (pr->tf[i].type == type && pr->tf[i].id == id && pr->tf[i].key_bits == bits)
			return true;
	return false;
}

static bool has_type(const struct ike_proposal *pr, uint8_t type)
{
	for (size_t i = 0; i < pr->n_tf; i++)
		if (pr->tf[i].type == type)
			return true;
	return false;
}

/* An AEAD row matches a proposal without INTEG or with INTEG NONE; a row
 * without PFS one without DH or with DH NONE. */
static bool optional_matches(const struct ike_proposal *pr, uint8_t type, uint16_t want)
{
	if (want)
		return offers(pr, type, want, 0);
	return !has_type(pr, type) || offers(pr, type, 0, 0);
}

static bool row_matches_ike(const struct ike_proposal *pr, const struct ike_policy_row *r)
{
	return pr->proto == IKE_PROTO_IKE && offers(pr, IKE_TF_ENCR, r->encr, r->key_bits) &&
	       optional_matches(pr, IKE_TF_INTEG, r->integ) && offers(pr, IKE_TF_PRF, r->prf, 0) &&
	       offers(pr, IKE_TF_DH, r->dh, 0);
}

static void suite_fill(struct ike_suite *s, const struct ike_proposal *pr,
		       const struct ike_policy_row *r)
{
	memset(s, 0, sizeof(*s));
	s->proto = pr->proto;
	s->num = pr->num;
	s->spi_len = pr->spi_len;
	memcpy(s->spi, pr->spi, pr->spi_len);
	s->encr = r->encr;
	s->key_bits = r->key_bits;
	s->integ = r->integ;
	s->prf = r->prf;
	s->dh = r->dh;
}

enum ike_select_result ike_select_ike(const struct ike_sa_offer *sa, const struct ike_policy *pol,
				      uint16_t ke_group, struct ike_suite *out,
				      uint16_t *want_group)
{
	const struct ike_proposal *first_pr = NULL;
	const struct ike_policy_row *first_row = NULL;
	for (size_t i = 0; i < sa->n; i++) {
		const struct ike_proposal *pr = &sa->prop[i];
		if (pr->spi_len != 0 && pr->spi_len != 8)
			continue;
		for (size_t j = 0; j < pol->n_ike; j++) {
			const struct ike_policy_row *r = &pol->ike[j];
			if (!row_matches_ike(pr, r))
				continue;
			if (r->dh == ke_group) {
				suite_fill(out, pr, r);
				return IKE_SEL_OK;
			}
			if (!first_pr) {
				first_pr = pr;
				first_row = r;
			}
		}
	}
	if (!first_pr)
		return IKE_SEL_NO_PROPOSAL;
	*want_group = first_row->dh;
	return IKE_SEL_INVALID_KE;
}

static bool row_matches_esp(const struct ike_proposal *pr, const struct ike_policy_row *r,
			    int ke_group, bool ignore_dh)
{
	if (pr->proto != IKE_PROTO_ESP || pr->spi_len != 4)
		return false;
	if (!offers(pr, IKE_TF_ENCR, r->encr, r->key_bits) ||
	    !optional_matches(pr, IKE_TF_INTEG, r->integ))
		return false;
	/* Extended sequence numbers: we send 32-bit ones; a proposal must allow
	 * "no ESN" (or say nothing, which means the same). */
	if (has_type(pr, IKE_TF_ESN) && !offers(pr, IKE_TF_ESN, 0, 0))
		return false;
	if (ignore_dh)
		return true;
	if (ke_group < 0)
		return r->dh == IKE_DH_NONE && optional_matches(pr, IKE_TF_DH, 0);
	return r->dh != IKE_DH_NONE && offers(pr, IKE_TF_DH, r->dh, 0);
}

enum ike_select_result ike_select_esp(const struct ike_sa_offer *sa, const struct ike_policy *pol,
				      int ke_group, bool ignore_dh, struct ike_suite *out,
				      uint16_t *want_group)
{
	const struct ike_policy_row *first_row = NULL;
	for (size_t i = 0; i < sa->n; i++) {
		const struct ike_proposal *pr = &sa->prop[i];
		for (size_t j = 0; j < pol->n_esp; j++) {
			const struct ike_policy_row *r = &pol->esp[j];
			if (!row_matches_esp(pr, r, ke_group, ignore_dh))
				continue;
			if (ignore_dh || ke_group < 0 || r->dh == ke_group) {
				suite_fill(out, pr, r);
				if (ignore_dh)
					out->dh = 0;
				return IKE_SEL_OK;
			}
			if (!first_row)
				first_row = r;
		}
	}
	if (!first_row)
		return IKE_SEL_NO_PROPOSAL;
	*want_group = first_row->dh;
	return IKE_SEL_INVALID_KE;
}

/* ---- writing ----------------------------------------------------------- */

static void transform_write(struct wbuf *w, bool last, uint8_t type, uint16_t id, uint16_t bits)
{
	wbuf_u8(w, last ? 0 : 3);
	wbuf_u8(w, 0);
	wbuf_u16(w, bits ? 12 : 8);
	wbuf_u8(w, type);
	wbuf_u8(w, 0);
	wbuf_u16(w, id);
	if (bits) {
		wbuf_u16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
		wbuf_u16(w, bits);
	}
}

void ike_sa_write(struct wbuf *w, const struct ike_suite *s)
{
	struct ike_transform tf[5];
	size_t n = 0;
	tf[n++] = (struct ike_transform){IKE_TF_ENCR, s->encr, s->key_bits};
	if (s->prf)
		tf[n++] = (struct ike_transform){IKE_TF_PRF, s->prf, 0};
	if (s->integ)
		tf[n++] = (struct ike_transform){IKE_TF_INTEG, s->integ, 0};
	if (s->dh)
		tf[n++] = (struct ike_transform){IKE_TF_DH, s->dh, 0};
	if (s->proto == IKE_PROTO_ESP)
		tf[n++] = (struct ike_transform){IKE_TF_ESN, s->esn ? 1 : 0, 0};
	size_t len = 8 + s->spi_len;
	for (size_t i = 0; i < n; i++)
		len += tf[i].key_bits ? 12 : 8;
	wbuf_u8(w, 0);
	wbuf_u8(w, 0);
	wbuf_u16(w, (uint16_t)len);
	wbuf_u8(w, s->num);
	wbuf_u8(w, s->proto);
	wbuf_u8(w, s->spi_len);
	wbuf_u8(w, (uint8_t)n);
	wbuf_bytes(w, s->spi, s->spi_len);
	for (size_t i = 0; i < n; i++)
		transform_write(w, i + 1 == n, tf[i].type, tf[i].id, tf[i].key_bits);
}

size_t ike_suite_encr_key_len(const struct ike_suite *s)
{
	return s->key_bits / 8 + (s->encr == IKE_ENCR_AES_GCM16 ? 4 : 0);
}

size_t ike_suite_integ_key_len(const struct ike_suite *s)
{
	switch (s->integ) {
	case IKE_INTEG_SHA1_96: return 20;
	case IKE_INTEG_SHA256_128: return 32;
	case IKE_INTEG_SHA384_192: return 48;
	default: return 0;
	}
}

size_t ike_suite_prf_len(const struct ike_suite *s)
{
	switch (s->prf) {
	case IKE_PRF_HMAC_SHA1: return 20;
	case IKE_PRF_HMAC_SHA256: return 32;
	case IKE_PRF_HMAC_SHA384: return 48;
	default: return 0;
	}
}

const char *ike_suite_str(const struct ike_suite *s, char *buf, size_t cap)
{
	static const char *const integ_names[] = {
		[2] = "sha1_96", [12] = "sha256_128", [13] = "sha384_192"};
	const char *integ = s->integ < 14 && integ_names[s->integ] ? integ_names[s->integ] : "";
	snprintf(buf, cap, "%s%u%s%s%s%s/dh%u",
		 s->encr == IKE_ENCR_AES_GCM16 ? "aes-gcm16-" : "aes-cbc-", s->key_bits,
		 s->integ ? "/" : "", integ,
		 s->prf == IKE_PRF_HMAC_SHA384	 ? "/prf-sha384"
		 : s->prf == IKE_PRF_HMAC_SHA256 ? "/prf-sha256"
						 : "",
		 "", s->dh);
	return buf;
}
