#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "conf/conf.h"
#include "lib/codec.h"

json_t *edit_load(const struct opts *o)
{
	json_error_t je;
	json_t *root = json_load_file(o->config, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		fprintf(stderr, "p2sctl: %s line %d: %s\n", o->config, je.line, je.text);
	return root;
}

static json_t *child_object(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);
	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(parent, key, v);
	}
	return v;
}

json_t *edit_client_conf(json_t *root)
{
	json_t *props = json_object_get(root, "properties");
	json_t *base = json_is_object(props) ? props : root;
	return child_object(base, "vpnClientConfiguration");
}

json_t *edit_array(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_array(v)) {
		v = json_array();
		json_object_set_new(obj, key, v);
	}
	return v;
}

static int validate_text(const char *text)
{
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_string(text, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "p2sctl: error: %s\n", errs.msg[i]);
	conf_errors_free(&errs);
	conf_free(c);
	return c ? 0 : -EINVAL;
}

/* Temp file beside the target, same mode, fsync, rename: readers see the
 * old file or the new one, never half of either. */
static int atomic_write(const char *path, const char *text)
{
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0600;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	int r = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len &&
				write(fd, "\n", 1) == 1 && fsync(fd) == 0
			? 0
			: -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int edit_commit(const struct opts *o, json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int r = text ? validate_text(text) : -ENOMEM;
	if (r == 0 && (r = atomic_write(o->config, text)) < 0)
		fprintf(stderr, "p2sctl: cannot write %s: %s\n", o->config, strerror(-r));
	free(text);
	if (r < 0) {
		fprintf(stderr, "p2sctl: %s left unchanged\n", o->config);
		return 1;
	}
	json_t *reply = NULL;
	if (cli_ask(o, "gateway.reload", NULL, &reply, true) == 0)
		printf("%s updated; the running gateway applied it\n", o->config);
	else
		printf("%s updated; no running gateway answered, it applies at the next start\n",
		       o->config);
	json_decref(reply);
	return 0;
}

X509 *cli_read_cert(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	BIO *b = BIO_new_mem_buf(buf, (int)n);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	const unsigned char *p = (const unsigned char *)buf;
	if (!x)
		x = d2i_X509(NULL, &p, (long)n);
	uint8_t *der = NULL;
	int dl = x ? 0 : b64_decode(buf, &der);
	p = der;
	if (dl > 0)
		x = d2i_X509(NULL, &p, dl);
	free(der);
	return x;
}
