#define LOG_MODULE "jwks"

#include "jwks_fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "lib/file.h"
#include "lib/log.h"

#define JWKS_MAX_BYTES (1 << 20)

struct jwks_fetch {
	struct ev_loop *loop;
	char *uri;	  /* aadJwksUri, or NULL with discovery */
	char *discovery;  /* the tenant's OpenID Connect metadata URL, or NULL */
	char *ca_file;	  /* aadCaFile, or NULL for the system's CAs */
	char *ca_pem;	  /* its text, read on start: the fetching thread may not open it */
	char source[512]; /* where the last keys came from, for the log */
	jwks_keys_cb cb;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool want; /* a fetch is asked for */
	bool stop;
	char *body; /* the last fetched document, handed to the loop */
	char error[256];
	ev_async done;
	ev_timer timer; /* the daily refresh and deferred unknown-kid refetches */
	double last_fetch;
};

struct sink {
	char *buf;
	size_t len;
};

static size_t sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;
	if (s->len + add > JWKS_MAX_BYTES)
		return 0; /* too large: abort the transfer */
	char *grown = realloc(s->buf, s->len + add + 1);
	if (!grown)
		return 0;
	memcpy(grown + s->len, p, add);
	s->buf = grown;
	s->len += add;
	s->buf[s->len] = 0;
	return add;
}

static char *fetch_once(const struct jwks_fetch *f, const char *uri, char *err, size_t errlen)
{
	struct sink s = {0};
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc = CURLE_FAILED_INIT;
	if (c) {
		curl_easy_setopt(c, CURLOPT_URL, uri);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		/* Plain http only for a configured (loopback) aadJwksUri. */
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, f->discovery ? "https" : "https,http");
		struct curl_blob ca = {.data = f->ca_pem,
				       .len = f->ca_pem ? strlen(f->ca_pem) : 0,
				       .flags = CURL_BLOB_NOCOPY};
		if (f->ca_pem)
			curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
		else if (f->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_file);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
	}
	if (rc != CURLE_OK || status != 200) {
		if (rc != CURLE_OK)
			snprintf(err, errlen, "%s: %s", uri, curl_easy_strerror(rc));
		else
			snprintf(err, errlen, "%s: HTTP status %ld", uri, status);
		free(s.buf);
		return NULL;
	}
	return s.buf;
}

/* The key set's text: from aadJwksUri, or from the jwks_uri the tenant's
 * metadata names. source says where it came from. */
static char *fetch_keys(const struct jwks_fetch *f, char *source, size_t cap, char *err,
			size_t errlen)
{
	snprintf(source, cap, "%s", f->uri ? f->uri : "");
	if (!f->discovery)
		return fetch_once(f, f->uri, err, errlen);
	char *meta = fetch_once(f, f->discovery, err, errlen);
	const char *why = NULL;
	if (!meta)
		return NULL;
	int r = token_discovery_jwks_uri(meta, source, cap, &why);
	free(meta);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", f->discovery, why);
		return NULL;
	}
	return fetch_once(f, source, err, errlen);
}

static void *worker(void *arg)
{
	struct jwks_fetch *f = arg;
	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		if (!f->want) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		f->want = false;
		pthread_mutex_unlock(&f->mu);
		char err[256] = "", source[512];
		char *body = fetch_keys(f, source, sizeof(source), err, sizeof(err));
		pthread_mutex_lock(&f->mu);
		free(f->body);
		f->body = body;
		snprintf(f->source, sizeof(f->source), "%s", source);
		snprintf(f->error, sizeof(f->error), "%s", err);
		ev_async_send(f->loop, &f->done);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

static void ask(struct jwks_fetch *f)
{
	f->last_fetch = ev_now(f->loop);
	pthread_mutex_lock(&f->mu);
	f->want = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void done_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	struct jwks_fetch *f = w->data;
	pthread_mutex_lock(&f->mu);
	char *body = f->body;
	f->body = NULL;
	char err[256], source[512];
	snprintf(err, sizeof(err), "%s", f->error);
	snprintf(source, sizeof(source), "%s", f->source);
	pthread_mutex_unlock(&f->mu);
	const char *why = err;
	struct token_keys *k = body ? token_keys_parse(body, &why) : NULL;
	free(body);
	if (!k) {
		log_warn("fetching the signing keys failed: %s; keeping the keys we have", why);
		return;
	}
	if (f->discovery)
		log_info("signing keys refreshed from %s (jwks_uri of %s)", source, f->discovery);
	else
		log_info("signing keys refreshed from %s", source);
	f->cb(f->arg, k);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct jwks_fetch *f = w->data;
	ask(f);
	ev_timer_set(w, JWKS_REFRESH_INTERVAL, 0);
	ev_timer_start(loop, w);
}

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool jwks_fetch_wanted(const struct gw_conf *c)
{
	return c->aad_jwks_uri || !c->aad_jwks_file;
}

static void fetch_free(struct jwks_fetch *f)
{
	free(f->body);
	free(f->uri);
	free(f->discovery);
	free(f->ca_file);
	free(f->ca_pem);
	free(f);
}

/* What to fetch: aadJwksUri, else the discovery URL; false when neither. */
static bool fetch_sources(struct jwks_fetch *f, const struct gw_conf *c)
{
	char url[512];
	if (c->aad_jwks_uri)
		f->uri = strdup(c->aad_jwks_uri);
	else if (token_discovery_url(c->aad_tenant, c->aad_issuer, url, sizeof(url)) == 0)
		f->discovery = strdup(url);
	if (c->aad_ca_file) {
		f->ca_file = strdup(c->aad_ca_file);
		f->ca_pem = file_read_all(c->aad_ca_file);
	}
	return f->uri || f->discovery;
}

struct jwks_fetch *jwks_fetch_start(struct ev_loop *loop, const struct gw_conf *c, jwks_keys_cb cb,
				    void *arg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, curl_init_once);
	struct jwks_fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->loop = loop;
	if (!fetch_sources(f, c)) {
		log_err("no signing keys to fetch: aadTenant names no tenant");
		fetch_free(f);
		return NULL;
	}
	if (f->discovery)
		log_info("signing keys by OpenID Connect discovery from %s", f->discovery);
	f->cb = cb;
	f->arg = arg;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	ev_async_init(&f->done, done_cb);
	f->done.data = f;
	ev_async_start(loop, &f->done);
	ev_timer_init(&f->timer, timer_cb, 0.0, 0);
	f->timer.data = f;
	ev_timer_start(loop, &f->timer); /* the first fetch at once */
	if (pthread_create(&f->thread, NULL, worker, f) != 0) {
		ev_timer_stop(loop, &f->timer);
		ev_async_stop(loop, &f->done);
		fetch_free(f);
		return NULL;
	}
	return f;
}

void jwks_fetch_unknown_kid(struct jwks_fetch *f)
{
	if (!f)
		return;
	double now = ev_now(f->loop), next = f->last_fetch + JWKS_MIN_INTERVAL;
	double wait = next > now ? next - now : 0.0;
	/* Never sooner than the rate limit, and never later than already planned. */
	if (ev_timer_remaining(f->loop, &f->timer) > wait) {
		ev_timer_stop(f->loop, &f->timer);
		ev_timer_set(&f->timer, wait, 0);
		ev_timer_start(f->loop, &f->timer);
	}
}

void jwks_fetch_stop(struct jwks_fetch *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	ev_timer_stop(f->loop, &f->timer);
	ev_async_stop(f->loop, &f->done);
	fetch_free(f);
}
