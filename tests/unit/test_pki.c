/* The certificates the embedded default PKI and p2sctl issue: what IKEv2
 * clients look for in them (SAN, EKU), checked by reading the extensions
 * back with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca;

static int setup(void **state)
{
	(void)state;
	ca_key = pki_key_new(PKI_EC_P256);
	leaf_key = pki_key_new(PKI_EC_P256);
	ca = pki_issue(NULL, NULL, ca_key, "Test Root", PKI_CA, NULL, 30);
	return ca && leaf_key ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return 0;
}

/* Whether the EKU extension lists the OID (dotted text). */
static bool has_eku(X509 *x, const char *oid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	bool found = false;
	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		char txt[64];
		OBJ_obj2txt(txt, sizeof(txt), sk_ASN1_OBJECT_value(eku, i), 1);
		found = found || strcmp(txt, oid) == 0;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/* The SAN entry of a type, as text ("" when absent). */
static void san_of(X509 *x, int type, char *out, size_t cap)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	out[0] = 0;
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type != type)
			continue;
		ASN1_STRING *s =
			type == GEN_OTHERNAME ? g->d.otherName->value->value.utf8string : g->d.ia5;
		snprintf(out, cap, "%.*s", ASN1_STRING_length(s),
			 (const char *)ASN1_STRING_get0_data(s));
	}
	GENERAL_NAMES_free(names);
}

static void test_server_cert_for_ikev2(void **state)
{
	(void)state;
	X509 *x = pki_issue(ca, ca_key, leaf_key, "vpn.contoso.example", PKI_SERVER,
			    "vpn.contoso.example", 30);
	assert_non_null(x);
	char san[256];
	san_of(x, GEN_DNS, san, sizeof(san));
	assert_string_equal(san, "vpn.contoso.example");
	assert_true(has_eku(x, "1.3.6.1.5.5.7.3.1"));
	assert_true(has_eku(x, PKI_OID_IKE_INTERMEDIATE));
	assert_false(has_eku(x, "1.3.6.1.5.5.7.3.2"));
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_int_equal(X509_check_host(x, "vpn.contoso.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.contoso.example", 0, 0, NULL), 0);
	X509_free(x);
}

static void test_client_cert_identity_in_san(void **state)
{
	(void)state;
	X509 *x = pki_issue(ca, ca_key, leaf_key, "alice@contoso.com", PKI_CLIENT, NULL, 30);
	assert_non_null(x);
	char email[256], upn[256];
	san_of(x, GEN_EMAIL, email, sizeof(email));
	san_of(x, GEN_OTHERNAME, upn, sizeof(upn));
	assert_string_equal(email, "alice@contoso.com");
	assert_string_equal(upn, "alice@contoso.com");
	assert_true(has_eku(x, "1.3.6.1.5.5.7.3.2"));
	assert_false(has_eku(x, PKI_OID_IKE_INTERMEDIATE));
	assert_false(has_eku(x, "1.3.6.1.5.5.7.3.1"));
	X509_free(x);
}

/* A client named without a domain has no SAN: nothing to claim. */
static void test_client_without_domain_has_no_san(void **state)
{
	(void)state;
	X509 *x = pki_issue(ca, ca_key, leaf_key, "kiosk-7", PKI_CLIENT, NULL, 30);
	assert_non_null(x);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	assert_true(has_eku(x, "1.3.6.1.5.5.7.3.2"));
	X509_free(x);
}

static void test_ca_has_no_eku(void **state)
{
	(void)state;
	assert_int_equal(X509_get_ext_by_NID(ca, NID_ext_key_usage, -1), -1);
	assert_int_equal(X509_check_ca(ca), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_cert_for_ikev2),
		cmocka_unit_test(test_client_cert_identity_in_san),
		cmocka_unit_test(test_client_without_domain_has_no_san),
		cmocka_unit_test(test_ca_has_no_eku),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
