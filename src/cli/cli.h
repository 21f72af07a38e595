/* p2sctl internals: global options, argument lookup, gateway socket and
 * configuration-file editing shared by the subcommands. */
#ifndef P2S_CLI_H
#define P2S_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct opts {
	const char *config; /* configuration file edited or read */
	const char *socket; /* NULL: derived from the configuration */
	const char *output; /* "table" or "json" */
};

struct args {
	int argc;
	char **argv;
};

/* "--name value" after the verb; NULL when absent. */
const char *arg_get(const struct args *a, const char *name);
bool arg_flag(const struct args *a, const char *name);
/* Fails with a usage line when a required option is missing. */
const char *arg_need(const struct args *a, const char *name);

/* Sends one request to the running gateway; *out is its JSON reply. */
int cli_ask(const struct opts *o, const char *req, json_t **out, bool quiet);
void cli_print_json(json_t *j);

/* Configuration editing: load, find the vpnClientConfiguration object (ARM
 * or flat), validate the edited document, write it atomically, reload. */
json_t *edit_load(const struct opts *o);
json_t *edit_client_conf(json_t *root);
json_t *edit_array(json_t *obj, const char *key);
int edit_commit(const struct opts *o, json_t *root);

/* Reads a certificate in PEM, DER or bare base64 (.cer); NULL on failure. */
struct x509_st *cli_read_cert(const char *path);

int cmd_root_add(const struct opts *o, const struct args *a);
int cmd_root_list(const struct opts *o, const struct args *a);
int cmd_root_remove(const struct opts *o, const struct args *a);
int cmd_revoked_add(const struct opts *o, const struct args *a);
int cmd_revoked_list(const struct opts *o, const struct args *a);
int cmd_revoked_remove(const struct opts *o, const struct args *a);
int cmd_pki_create_root(const struct opts *o, const struct args *a);
int cmd_pki_issue_client(const struct opts *o, const struct args *a);
int cmd_profile_generate(const struct opts *o, const struct args *a);

#endif
