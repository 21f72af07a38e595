/* The IKE/IPsec policy client profiles offer, and its names in each
 * client's vocabulary. Kept in one place so the Apple profile, the Windows
 * script and the gateway agree on what "the seed's default" means. */
#include <string.h>

#include "profile.h"

void profile_policy_get(const struct gw_conf *c, struct profile_policy *p)
{
	if (c->ipsec_policies.n > 0) {
		const struct conf_ipsec_policy *q = &c->ipsec_policies.v[0];
		*p = (struct profile_policy){q->ike_encryption,
					     q->ike_integrity,
					     q->dh_group,
					     q->ipsec_encryption,
					     q->ipsec_integrity,
					     q->pfs_group,
					     q->sa_lifetime_seconds,
					     true};
		return;
	}
	/* The first row of each of the seed's default tables. */
	*p = (struct profile_policy){"GCMAES256", "SHA384", "DHGroup24", "GCMAES256",
				     "GCMAES256", "None",   27000,	 false};
}

/* One policy value in Azure's name and in each client's vocabulary. */
struct name_map {
	const char *azure, *name[PROFILE_CLIENTS];
};

static const char *lookup(const struct name_map *m, const char *azure, enum profile_client cl)
{
	for (; azure && m->azure; m++)
		if (strcmp(m->azure, azure) == 0)
			return m->name[cl];
	return NULL;
}

/* Apple: EncryptionAlgorithm values; Windows: EncryptionMethod and
 * CipherTransformConstants share these names; strongSwan: proposal keywords. */
static const struct name_map ciphers[] = {
	{"GCMAES256", {"AES-256-GCM", "GCMAES256", "aes256gcm16"}},
	{"GCMAES128", {"AES-128-GCM", "GCMAES128", "aes128gcm16"}},
	{"AES256", {"AES-256", "AES256", "aes256"}},
	{"AES128", {"AES-128", "AES128", "aes128"}},
	{NULL, {NULL, NULL, NULL}},
};

/* IKE integrity (the PRF when the cipher is GCM). */
static const struct name_map ike_integrity[] = {
	{"SHA384", {"SHA2-384", "SHA384", "sha384"}},
	{"SHA256", {"SHA2-256", "SHA256", "sha256"}},
	{NULL, {NULL, NULL, NULL}},
};

/* ESP integrity: Windows' AuthenticationTransformConstants; an AEAD has
 * none in a strongSwan proposal. */
static const struct name_map esp_integrity[] = {
	{"GCMAES256", {"SHA2-256", "GCMAES256", ""}},
	{"GCMAES128", {"SHA2-256", "GCMAES128", ""}},
	{"SHA256", {"SHA2-256", "SHA256128", "sha256"}},
	{NULL, {NULL, NULL, NULL}},
};

/* Apple takes group numbers; Windows has DHGroup and PfsGroup names. */
static const struct name_map dh_groups[] = {
	{"DHGroup24", {"24", "Group24", "modp2048s256"}},
	{"ECP384", {"20", "ECP384", "ecp384"}},
	{"ECP256", {"19", "ECP256", "ecp256"}},
	{"DHGroup14", {"14", "Group14", "modp2048"}},
	{"DHGroup2", {"2", "Group2", "modp1024"}},
	{NULL, {NULL, NULL, NULL}},
};

/* "" = no PFS; PFSMM (the IKE group again) is resolved by the caller. */
static const struct name_map pfs_groups[] = {
	{"PFS24", {"24", "PFS24", "modp2048s256"}},
	{"ECP384", {"20", "ECP384", "ecp384"}},
	{"ECP256", {"19", "ECP256", "ecp256"}},
	{"PFS14", {"14", "PFS2048", "modp2048"}},
	{"PFS2", {"2", "PFS2", "modp1024"}},
	{"PFSMM", {"", "PFSMM", ""}},
	{"None", {"", "None", ""}},
	{NULL, {NULL, NULL, NULL}},
};

const char *profile_policy_name(enum profile_policy_field f, const char *azure,
				enum profile_client cl)
{
	static const struct name_map *const maps[] = {
		[POLICY_CIPHER] = ciphers,
		[POLICY_IKE_INTEGRITY] = ike_integrity,
		[POLICY_ESP_INTEGRITY] = esp_integrity,
		[POLICY_DH] = dh_groups,
		[POLICY_PFS] = pfs_groups,
	};
	return lookup(maps[f], azure, cl);
}
