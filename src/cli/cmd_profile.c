/* profile generate: the package users import, from the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "conf/conf.h"
#include "lib/file.h"
#include "profile/profile.h"

/* Where the gateway's own PKI lives when the configuration names none. */
static void state_path(const struct gw_conf *c, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", c->state_dir, name);
}

int cmd_profile_generate(const struct opts *o, const struct args *a)
{
	const char *out = arg_need(a, "--output");
	const char *ccert = arg_get(a, "--client-cert"), *ckey = arg_get(a, "--client-key");
	if (!out)
		return 2;
	if (!ccert != !ckey) {
		fprintf(stderr, "p2sctl: --client-cert and --client-key go together\n");
		return 2;
	}
	struct conf_errors errs = {0};
	struct gw_conf *c =
		conf_load_file(arg_get(a, "--config") ? arg_get(a, "--config") : o->config, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "p2sctl: error: %s\n", errs.msg[i]);
	conf_errors_free(&errs);
	if (!c)
		return 1;
	char cert[1024], ta[1024], err[1200] = "";
	if (c->cert_file)
		snprintf(cert, sizeof(cert), "%s", c->cert_file);
	else
		state_path(c, "server.crt", cert, sizeof(cert));
	if (c->tls_auth_file)
		snprintf(ta, sizeof(ta), "%s", c->tls_auth_file);
	else
		state_path(c, "tls-auth.key", ta, sizeof(ta));
	struct profile_input in;
	int r = profile_input_load(&in, c, cert, access(ta, R_OK) == 0 ? ta : NULL, err,
				   sizeof(err));
	char *cpem = ccert ? file_read_all(ccert) : NULL, *kpem = ckey ? file_read_all(ckey) : NULL;
	if (r == 0 && ccert && (!cpem || !kpem)) {
		snprintf(err, sizeof(err), "cannot read %s or %s", ccert, ckey);
		r = -1;
	}
	in.client_cert_pem = cpem;
	in.client_key_pem = kpem;
	/* Protects the identity in the Apple profile; asked for at import. */
	in.p12_password = arg_get(a, "--p12-password");
	if (r == 0 && (r = profile_zip(out, &in)) < 0)
		snprintf(err, sizeof(err), "cannot write %s", out);
	if (r == 0)
		printf("profile package: %s\n", out);
	else
		fprintf(stderr, "p2sctl: %s\n", err);
	free(cpem);
	if (kpem)
		OPENSSL_cleanse(kpem, strlen(kpem));
	free(kpem);
	profile_input_free(&in);
	conf_free(c);
	return r == 0 ? 0 : 1;
}
