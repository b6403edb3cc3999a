#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "httpreq.h"
#include "httpresp.h"
#include "loop.h"
#include "retry.h"
#include "rogate.h"
#include "xmem.h"

#ifndef TDECTL_VERSION
#define TDECTL_VERSION "0"
#endif

/* Live connections the multi keeps for reuse (keep-alive across requests). */
/*
 * Idle connections kept for reuse. An estate's vaults are each a host of
 * their own; keeping one connection per vault saves a TLS handshake per vault
 * per poll (256 sockets stays well inside the usual 1024 descriptors).
 */
#define HTTP_MAX_CACHED_CONNECTIONS 256

struct host {
    struct host *next;
    char *key; /* scheme://host:port, lower case */
    unsigned active;
    bool multiplex; /* answered over HTTP/2: requests share one connection */
};

enum call_state {
    CALL_QUEUED,  /* waiting for a slot of its host */
    CALL_RUNNING, /* its easy handle is on the multi */
    CALL_WAITING, /* between attempts, a retry timer set */
    CALL_ENDING,  /* ended before a transfer (refused, invalid); completes from a timer */
};

struct http_call {
    struct http *h;
    struct http_call *prev, *next; /* every live call */
    struct http_call *qnext;       /* the FIFO of queued calls */
    enum call_state state;
    http_done_fn done;
    void *arg;

    char *method;
    char *url;
    struct httpreq req; /* what is sent: headers, body, log URL */
    struct host *host;
    bool idempotent;
    bool fresh_connection;
    CURL *easy;
    uint64_t timer;

    unsigned attempt;
    int64_t sent_at;       /* http_send */
    int64_t first_start;   /* first transfer: the retry budget counts from here */
    int64_t attempt_start; /* this transfer */
    int64_t attempt_end;   /* when it ended */
    struct httpresp resp;  /* resp.res is what the callback gets */
    char errbuf[CURL_ERROR_SIZE];
};

struct http {
    struct loop *loop;
    CURLM *multi;
    char *ca_file;
    char *user_agent;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    struct httpresp_budget budget; /* every call's body buffers */
    unsigned per_host;
    unsigned connections_per_host;
    struct retry_policy policy;
    bool read_only;
    bool closing;
    struct curl_slist *resolve;
    struct host *hosts;
    struct http_call *calls;
    size_t ncalls;
    struct http_call *qhead, *qtail;
    http_log_fn log;
    void *log_arg;
    struct http_stats stats;
};

static void on_transfer_done(struct loop *loop, CURLMsg *msg, void *arg);

/*
 * Every TLS context libcurl makes: an idle kept-alive connection gives its
 * 2 x 16 KiB record buffers back, so a connection per vault costs little.
 */
static CURLcode ssl_ctx_setup(CURL *easy, void *ssl_ctx, void *arg)
{
    (void)easy;
    (void)arg;
    SSL_CTX_set_mode((SSL_CTX *)ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
    return CURLE_OK;
}

/* Jitter for the backoff: any 32 random bits do, the clock if OpenSSL fails. */
static uint32_t random32(const struct http *h)
{
    uint32_t r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)loop_now(h->loop) * 2654435761u;
    return r;
}

static bool resolve_entry_ok(const char *e)
{
    const char *first = strchr(e, ':');
    return first && first != e && strchr(first + 1, ':') != NULL && strpbrk(e, "\r\n ") == NULL;
}

static int config_resolve(struct http *h, const char *const *resolve, char **cause)
{
    for (size_t i = 0; resolve && resolve[i]; i++) {
        if (!resolve_entry_ok(resolve[i])) {
            xcause(cause, "resolve entry \"%s\" is not HOST:PORT:ADDRESS", resolve[i]);
            return -1;
        }
        httpreq_list_add(&h->resolve, xstrdup(resolve[i]));
    }
    return 0;
}

struct http *http_create(struct loop *loop, const struct http_config *config, char **cause)
{
    static const struct http_config defaults;
    const struct http_config *c = config ? config : &defaults;

    if (loop == NULL) {
        xcause(cause, "the transport needs a loop");
        return NULL;
    }
    if (c->ca_file && access(c->ca_file, R_OK) != 0) {
        xcause(cause, "cannot read the CA file %s: %s", c->ca_file, strerror(errno));
        return NULL;
    }
    struct http *h = xcalloc(1, sizeof *h);
    h->loop = loop;
    h->multi = loop_multi(loop);
    h->ca_file = xstrdup_or_null(c->ca_file);
    h->user_agent = c->user_agent ? xstrdup(c->user_agent) : xstrdup("tdectl/" TDECTL_VERSION);
    h->connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 5000;
    h->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
    h->max_response = c->max_response > 0 ? c->max_response : 16u << 20;
    h->budget.max = c->max_buffered > 0 ? c->max_buffered : (size_t)64 << 20;
    if (h->budget.max <= h->max_response)
        h->budget.max = h->max_response + 1; /* a lone answer under the cap fits (and its NUL) */
    h->per_host = c->per_host > 0 ? c->per_host : 6;
    h->connections_per_host = c->connections_per_host > 0 ? c->connections_per_host : 1;
    if (h->connections_per_host > h->per_host)
        h->connections_per_host = h->per_host;
    h->policy.max_attempts = c->max_attempts > 0 ? c->max_attempts : 4;
    h->policy.base_ms = c->retry_base_ms > 0 ? c->retry_base_ms : 800;
    h->policy.max_wait_ms = c->max_retry_wait_ms > 0 ? c->max_retry_wait_ms : 8000;
    h->policy.budget_ms = c->retry_budget_ms > 0 ? c->retry_budget_ms : 30000;
    h->read_only = c->read_only;
    if (config_resolve(h, c->resolve, cause) != 0) {
        http_destroy(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MAX_CACHED_CONNECTIONS);
    curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->connections_per_host);
    loop_set_done_hook(loop, on_transfer_done, h);
    return h;
}

/* ---- result and call lifetime ---- */

static void call_free(struct http_call *call)
{
    if (call->easy)
        curl_easy_cleanup(call->easy);
    httpreq_cleanup(&call->req);
    httpresp_cleanup(&call->resp);
    free(call->method);
    free(call->url);
    free(call);
}

static void call_unlink(struct http_call *call)
{
    struct http *h = call->h;
    if (call->prev)
        call->prev->next = call->next;
    else
        h->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    h->ncalls--;
}

static void log_attempt(struct http_call *call, int64_t retry_in_ms)
{
    struct http *h = call->h;
    if (h->log == NULL)
        return;
    const struct http_result *r = &call->resp.res;
    struct http_log_entry e = {
        .method = call->method,
        .url = call->req.log_url ? call->req.log_url : "(invalid URL)",
        .status = r->status,
        .err = r->err,
        .request_id = r->request_id,
        .client_request_id = r->client_request_id,
        .correlation_id = r->correlation_id,
        .attempt = call->attempt,
        .elapsed_ms = call->attempt > 0 ? loop_now(h->loop) - call->attempt_start : 0,
        .retry_in_ms = retry_in_ms,
    };
    h->log(&e, h->log_arg);
}

/* Hands the result to the caller and frees the call; h may be gone when the callback returns. */
static void call_finish(struct http_call *call)
{
    struct http *h = call->h;
    call_unlink(call);
    struct http_result *r = &call->resp.res;
    r->elapsed_ms = loop_now(h->loop) - call->sent_at;
    r->attempt_ms = call->attempt > 0 ? call->attempt_end - call->attempt_start : 0;
    r->attempts = call->attempt;
    enum core_err err = r->err;
    if (err != CORE_OK && err != CORE_ERR_REFUSED && err != CORE_ERR_CANCELLED)
        h->stats.failures++;
    /* The body is the caller's (nothing is read during the callback, which may destroy h). */
    httpresp_hand_over(&call->resp);
    if (call->done)
        call->done(r, call->arg);
    call_free(call);
}

static void on_end_timer(struct loop *loop, void *arg)
{
    struct http_call *call = arg;
    call->timer = 0;
    log_attempt(call, -1);
    call_finish(call);
}

/* Ends a call that never got (another) transfer: later, from the loop, never inside the caller. */
static void call_end_later(struct http_call *call, enum core_err err, char *cause)
{
    call->state = CALL_ENDING;
    struct http_result *r = &call->resp.res;
    r->err = err;
    r->status = 0;
    free(r->cause);
    r->cause = cause;
    call->timer = loop_timer(call->h->loop, 0, on_end_timer, call);
}

/* ---- per-host slots and the queue ---- */

static struct host *host_get(struct http *h, const char *key)
{
    for (struct host *x = h->hosts; x; x = x->next) {
        if (strcmp(x->key, key) == 0)
            return x;
    }
    struct host *x = xcalloc(1, sizeof *x);
    x->key = xstrdup(key);
    x->next = h->hosts;
    h->hosts = x;
    return x;
}

static void queue_push(struct http *h, struct http_call *call)
{
    call->state = CALL_QUEUED;
    call->qnext = NULL;
    if (h->qtail)
        h->qtail->qnext = call;
    else
        h->qhead = call;
    h->qtail = call;
}

static void queue_remove(struct http *h, struct http_call *call)
{
    struct http_call **p = &h->qhead, *prev = NULL;
    while (*p && *p != call) {
        prev = *p;
        p = &(*p)->qnext;
    }
    if (*p == NULL)
        return;
    *p = call->qnext;
    if (h->qtail == call)
        h->qtail = prev;
    call->qnext = NULL;
}

/* Starts one transfer of the call; its host has a free slot. */
static void call_start(struct http_call *call)
{
    struct http *h = call->h;
    const char *reason = h->read_only ? rogate_check(call->method, call->url) : NULL;
    if (reason != NULL) {
        /* Read-only was switched on while this call waited: the gate holds for every attempt. */
        h->stats.refused++;
        call_end_later(call, CORE_ERR_REFUSED,
                       xasprintf("refused in read-only mode: %s (%s %s)", reason, call->method,
                                 call->req.log_url));
        return;
    }
    int64_t now = loop_now(h->loop);
    if (call->attempt == 0)
        call->first_start = now;
    call->attempt_start = now;
    call->attempt++;
    h->stats.attempts++;
    call->host->active++;
    call->state = CALL_RUNNING;
    CURLMcode mc = curl_multi_add_handle(h->multi, call->easy);
    if (mc != CURLM_OK) {
        call->host->active--;
        call_end_later(call, CORE_ERR_NETWORK,
                       xasprintf("%s %s: cannot start the transfer: %s", call->method,
                                 call->req.log_url, curl_multi_strerror(mc)));
    }
}

/*
 * How many requests a host may have running: over HTTP/2 they are streams
 * of one connection (per_host); over HTTP/1.1 each needs a connection of its
 * own, and a TLS handshake costs more than waiting a round trip, so only
 * connections_per_host (the breadth comes from the many vaults instead).
 * Until a host has answered once its protocol is unknown: one at a time.
 */
static unsigned host_limit(const struct http *h, const struct host *host)
{
    return host->multiplex ? h->per_host : h->connections_per_host;
}

static void call_dispatch(struct http_call *call)
{
    if (call->host->active < host_limit(call->h, call->host))
        call_start(call);
    else
        queue_push(call->h, call);
}

/* A slot of host freed: the oldest calls queued for it go first. */
static void host_released(struct http *h, struct host *host)
{
    if (h->closing)
        return;
    struct http_call *c = h->qhead;
    while (c && host->active < host_limit(h, host)) {
        struct http_call *next = c->qnext;
        if (c->host == host) {
            queue_remove(h, c);
            call_start(c);
        }
        c = next;
    }
}

/* ---- the end of a transfer ---- */

/* libcurl's phase times of the attempt just ended. */
static void call_timing(CURL *easy, struct http_timing *t)
{
    curl_off_t v[4] = {0, 0, 0, 0};
    curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &v[0]);
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &v[1]);
    curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &v[2]);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &v[3]);
    *t = (struct http_timing){v[0], v[1], v[2], v[3]};
}

/* Fills res (err, status, cause, retry_after_ms) and *o; false when retrying cannot help. */
static bool call_outcome(struct http_call *call, CURLcode rc, struct retry_outcome *o)
{
    struct http_result *r = &call->resp.res;
    bool sent = true, healable = true;
    long status = 0;

    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    call_timing(call->easy, &r->timing);
    httpresp_settle(&call->resp);
    free(r->cause);
    r->cause = NULL;
    r->unanswered = false;
    if (rc == CURLE_OK) {
        r->err = CORE_OK;
        r->status = status;
    } else if (call->resp.over_budget) {
        /* Other answers hold the memory: once they are done this one fits. */
        r->err = CORE_ERR_LIMIT;
        r->cause = xasprintf("%s %s: the answers being read together exceed the %zu-byte budget "
                             "(http.max_buffered_bytes)",
                             call->method, call->req.log_url, call->h->budget.max);
    } else if (call->resp.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
        r->err = CORE_ERR_LIMIT;
        healable = false;
        r->cause = xasprintf("%s %s: the answer is larger than the %zu-byte limit", call->method,
                             call->req.log_url, call->h->max_response);
    } else {
        r->err = httpresp_map_curl(rc, &sent, &healable);
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            curl_off_t pretransfer = 0;
            curl_easy_getinfo(call->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
            sent = pretransfer > 0; /* else it timed out connecting */
        }
        r->unanswered = sent;
        r->cause = xasprintf("%s %s: %s", call->method, call->req.log_url,
                             call->errbuf[0] ? call->errbuf : curl_easy_strerror(rc));
    }
    if (r->err != CORE_OK)
        r->status = 0;
    *o = (struct retry_outcome){r->err, sent, r->status, r->retry_after_ms};
    if (call->resp.over_budget)
        o->err = CORE_ERR_NETWORK; /* retried as a transfer broken after sending */
    return healable;
}

static void on_retry_timer(struct loop *loop, void *arg)
{
    struct http_call *call = arg;
    call->timer = 0;
    call->h->stats.retries++;
    call->errbuf[0] = '\0';
    call_dispatch(call);
}

static void call_attempt_end(struct http_call *call, CURLcode rc)
{
    struct http *h = call->h;
    struct retry_outcome o;
    int64_t wait = -1;

    h->stats.bytes_in += call->resp.bytes_in;
    call->resp.bytes_in = 0;

    if (call_outcome(call, rc, &o))
        wait = retry_next(&h->policy, call->method, call->idempotent, call->attempt, &o,
                          loop_now(h->loop) - call->first_start, random32(h));
    log_attempt(call, wait);
    host_released(h, call->host);
    if (wait >= 0) {
        httpresp_reset(&call->resp); /* the body's memory goes back while waiting */
        call->state = CALL_WAITING;
        call->timer = loop_timer(h->loop, wait, on_retry_timer, call);
        return;
    }
    call_finish(call);
}

static void on_transfer_done(struct loop *loop, CURLMsg *msg, void *arg)
{
    struct http *h = arg;
    CURL *easy = msg->easy_handle;
    CURLcode rc = msg->data.result;
    char *priv = NULL;

    /* msg dies with the handle's removal: everything needed is read first. */
    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || priv == NULL)
        return;
    struct http_call *call = (struct http_call *)(void *)priv;
    long version = 0;
    if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
        version >= CURL_HTTP_VERSION_2_0)
        call->host->multiplex = true;
    curl_multi_remove_handle(h->multi, easy);
    call->host->active--;
    call->attempt_end = loop_now(h->loop);
    call_attempt_end(call, rc);
}

/* ---- building a request ---- */

static void easy_method(struct http_call *call)
{
    CURL *e = call->easy;
    if (strcmp(call->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(call->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        if (call->req.fields) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->req.body_len);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->req.body ? call->req.body : "");
        }
        if (strcmp(call->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
    }
}

static char *call_easy(struct http_call *call)
{
    bool plain = call->req.plain;
    struct http *h = call->h;
    CURL *e = curl_easy_init();
    if (e == NULL)
        return xasprintf("%s %s: libcurl cannot make a transfer", call->method, call->req.log_url);
    call->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, call->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 3600L); /* parse the CA bundle once an hour */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /*
     * Over TLS, ALPN tells within the handshake whether a connection can
     * multiplex, so waiting for it is short; over plain http libcurl would
     * only know from the first answer and queue behind a slow one.
     */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, plain ? 0L : 1L);
    /*
     * libcurl silently sends a request again when a reused connection turns
     * out dead before any answer; a request that may act must not be sent
     * twice, so it gets a connection of its own.
     */
    if (!retry_idempotent(call->method, call->idempotent) || call->fresh_connection)
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
    if (h->resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve);
    if (loop_share(h->loop))
        curl_easy_setopt(e, CURLOPT_SHARE, loop_share(h->loop));
    if (!plain)
        curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_setup);
    if (call->req.local)
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* IMDS and loopback: never a proxy */
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, httpresp_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &call->resp);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, httpresp_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &call->resp);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->req.headers);
    return NULL;
}

/* Everything the transfer needs, copied; a cause when the request cannot be sent as given. */
static char *call_prepare(struct http_call *call, const struct http_request *req)
{
    char *cause = httpreq_init(&call->req, req);
    xstr_set(&call->resp.res.client_request_id, call->req.client_request_id);
    if (cause)
        return cause;
    call->host = host_get(call->h, call->req.host_key);
    cause = call_easy(call);
    if (cause)
        return cause;
    easy_method(call);
    return NULL;
}

static struct http_call *call_new(struct http *h, const struct http_request *req, http_done_fn done,
                                  void *arg)
{
    struct http_call *call = xcalloc(1, sizeof *call);
    call->h = h;
    call->done = done;
    call->arg = arg;
    call->method = xstrdup(req->method ? req->method : "?");
    call->url = xstrdup_or_null(req->url);
    call->idempotent = req->idempotent;
    call->fresh_connection = req->fresh_connection;
    call->sent_at = loop_now(h->loop);
    httpresp_init(&call->resp, h->max_response, NULL);
    call->resp.budget = &h->budget;
    call->next = h->calls;
    if (h->calls)
        h->calls->prev = call;
    h->calls = call;
    h->ncalls++;
    return call;
}

/* ---- public ---- */

struct http_call *http_send(struct http *h, const struct http_request *req, http_done_fn done,
                            void *arg)
{
    if (h == NULL || req == NULL)
        return NULL;
    h->stats.requests++;
    struct http_call *call = call_new(h, req, done, arg);
    char *cause = call_prepare(call, req);
    if (cause) {
        call_end_later(call, CORE_ERR_CONFIG, cause);
        return call;
    }
    const char *reason = h->read_only ? rogate_check(call->method, call->url) : NULL;
    if (reason) {
        h->stats.refused++;
        call_end_later(call, CORE_ERR_REFUSED,
                       xasprintf("refused in read-only mode: %s (%s %s)", reason, call->method,
                                 call->req.log_url));
        return call;
    }
    call_dispatch(call);
    return call;
}

void http_cancel(struct http_call *call)
{
    if (call == NULL)
        return;
    struct http *h = call->h;
    switch (call->state) {
    case CALL_QUEUED:
        queue_remove(h, call);
        break;
    case CALL_RUNNING:
        curl_multi_remove_handle(h->multi, call->easy);
        call->host->active--;
        host_released(h, call->host);
        break;
    case CALL_WAITING:
    case CALL_ENDING:
        loop_timer_cancel(h->loop, call->timer);
        break;
    }
    call_unlink(call);
    call_free(call);
}

void http_destroy(struct http *h)
{
    if (h == NULL)
        return;
    h->closing = true; /* cancelling must not start what is queued */
    while (h->calls)
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): http_cancel unlinks it */
        http_cancel(h->calls);
    loop_set_done_hook(h->loop, NULL, NULL);
    while (h->hosts) {
        struct host *next = h->hosts->next;
        free(h->hosts->key);
        free(h->hosts);
        h->hosts = next;
    }
    httpreq_list_free(h->resolve);
    free(h->ca_file);
    free(h->user_agent);
    free(h);
}

char *http_result_take_body(struct http_result *res, size_t *len)
{
    if (res == NULL)
        return NULL;
    return httpresp_take_body(res, len);
}

void http_set_read_only(struct http *h, bool read_only)
{
    h->read_only = read_only;
}

bool http_read_only(const struct http *h)
{
    return h->read_only;
}

void http_set_log(struct http *h, http_log_fn fn, void *arg)
{
    h->log = fn;
    h->log_arg = arg;
}

struct http_stats http_stats(const struct http *h)
{
    struct http_stats st = h->stats;
    st.buffered = h->budget.used;
    st.buffered_peak = h->budget.peak;
    return st;
}

size_t http_pending(const struct http *h)
{
    return h->ncalls;
}
