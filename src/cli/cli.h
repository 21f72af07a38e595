/* p2sctl internals: global options, argument lookup, gateway socket and
 * configuration-file editing shared by the subcommands. */
#ifndef P2S_CLI_H
#define P2S_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct opts {
	const char *config; /* configuration file edited or read */
	const char *socket; /* NULL: derived from the configuration */
	const char *output; /* "table", "json" or "tsv" */
	const char *api;    /* the management API's base URL: ask over HTTP */
	const char *token_file;
	const char *cacert; /* to verify an https:// API */
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

/* Runs one command of the running gateway (socket, or the HTTP API with
 * --api) with args (an object, taken; NULL: none); *out is its JSON reply.
 * 1 (the error printed unless quiet) or 0. */
int cli_ask(const struct opts *o, const char *cmd, json_t *args, json_t **out, bool quiet);
/* The same for replies that are not JSON (metrics, the profile package). */
int cli_ask_raw(const struct opts *o, const char *cmd, json_t *args, char **data, size_t *len,
		bool quiet);
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
int cmd_gateway_show(const struct opts *o, const struct args *a);
int cmd_gateway_reload(const struct opts *o, const struct args *a);
int cmd_gateway_refusals(const struct opts *o, const struct args *a);
int cmd_gateway_metrics(const struct opts *o, const struct args *a);
int cmd_session_list(const struct opts *o, const struct args *a);
int cmd_session_disconnect(const struct opts *o, const struct args *a);
int cmd_profile_download(const struct opts *o, const struct args *a);
int cmd_config_remove_p2s(const struct opts *o, const struct args *a);

#endif
