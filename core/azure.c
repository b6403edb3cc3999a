#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "armparse.h"
#include "auth.h"
#include "azerr.h"
#include "challenge.h"
#include "cloud.h"
#include "http.h"
#include "loop.h"
#include "xmem.h"

struct vault_challenge {
    char *authority; /* lower-case host[:port] */
    struct challenge ch;
};

struct azure {
    struct loop *loop;
    struct http *http;
    struct auth *auth;
    const struct cloud *cloud;
    char *tenant;
    struct vault_challenge *challenges;
    size_t nchallenges;
    struct az_call *calls; /* every live call, for azure_destroy */
};

enum call_kind { CALL_SEND, CALL_PAGES, CALL_LRO };
enum send_stage { STAGE_TOKEN, STAGE_PROBE, STAGE_SEND };
enum lro_stage { LRO_START, LRO_POLL, LRO_FINAL };

struct az_call {
    struct azure *az;
    struct az_call *prev, *next; /* in az->calls */
    enum call_kind kind;
    az_fn fn;
    void *arg;
    void (*cancel_fn)(void *arg);
    void *cancel_arg;
    struct az_call *inner; /* pages and LROs run through a send */

    /* CALL_SEND */
    enum az_service service;
    char *method, *url, *body;
    bool idempotent;
    bool bare; /* azure_probe: no token, the first answer is the answer */
    enum send_stage stage;
    bool retried;         /* already answered one 401 */
    char *tenant, *scope; /* of the token in use */
    char *claims;
    char *authorization; /* "Bearer ..." (secret) */
    struct auth_request *auth_req;
    struct http_call *http_call;
    int64_t started_ms;

    /* CALL_PAGES */
    az_page_fn on_page;
    az_done_fn on_done;
    unsigned pages, max_pages;
    char *host; /* the host every page must come from */

    /* CALL_LRO */
    enum lro_stage lro_stage;
    char *poll_url, *location;
    bool async; /* polling Azure-AsyncOperation (else Location) */
    uint64_t timer;
    int64_t deadline_ms;
    enum core_err fail_err; /* azure_fail: what to report */
    char *fail_cause;
};

/* -- bookkeeping ------------------------------------------------------------------------------ */

static struct az_call *call_new(struct azure *az, enum call_kind kind, az_fn fn, void *arg)
{
    struct az_call *c = xcalloc(1, sizeof *c);
    c->az = az;
    c->kind = kind;
    c->fn = fn;
    c->arg = arg;
    c->started_ms = loop_now(az->loop);
    c->next = az->calls;
    if (az->calls)
        az->calls->prev = c;
    az->calls = c;
    return c;
}

static void secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* Frees c and what it holds pending, without calling back and without touching c->inner. */
static void call_free(struct az_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->az->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->auth_req)
        auth_cancel(c->auth_req);
    if (c->http_call)
        http_cancel(c->http_call);
    if (c->timer)
        loop_timer_cancel(c->az->loop, c->timer);
    free(c->method);
    free(c->url);
    secret_free(c->body);
    free(c->tenant);
    free(c->scope);
    free(c->claims);
    secret_free(c->authorization);
    free(c->host);
    free(c->poll_url);
    free(c->location);
    free(c->fail_cause);
    free(c);
}

void azure_cancel(struct az_call *call)
{
    if (call == NULL)
        return;
    if (call->inner)
        azure_cancel(call->inner);
    void (*fn)(void *) = call->cancel_fn;
    void *arg = call->cancel_arg;
    call_free(call);
    if (fn)
        fn(arg);
}

void azure_on_cancel(struct az_call *call, void (*fn)(void *arg), void *arg)
{
    call->cancel_fn = fn;
    call->cancel_arg = arg;
}

struct azure *azure_create(struct loop *loop, struct http *http, struct auth *auth,
                           const struct cloud *cloud, const char *tenant)
{
    struct azure *az = xcalloc(1, sizeof *az);
    az->loop = loop;
    az->http = http;
    az->auth = auth;
    az->cloud = cloud;
    az->tenant = xstrdup_or_null(tenant);
    return az;
}

void azure_destroy(struct azure *az)
{
    if (az == NULL)
        return;
    while (az->calls) {
        struct az_call *c = az->calls;
        void (*fn)(void *) = c->cancel_fn;
        void *arg = c->cancel_arg;
        call_free(c);
        if (fn)
            fn(arg);
    }
    for (size_t i = 0; i < az->nchallenges; i++) {
        free(az->challenges[i].authority);
        challenge_cleanup(&az->challenges[i].ch);
    }
    free(az->challenges);
    free(az->tenant);
    free(az);
}

const struct cloud *azure_cloud(const struct azure *az)
{
    return az->cloud;
}

enum core_err azure_status_err(long status)
{
    if (status >= 200 && status < 300)
        return CORE_OK;
    switch (status) {
    case 401:
        return CORE_ERR_AUTH;
    case 403:
        return CORE_ERR_FORBIDDEN;
    case 404:
        return CORE_ERR_NOT_FOUND;
    case 429:
        return CORE_ERR_THROTTLED;
    default:
        return CORE_ERR_HTTP;
    }
}

/* -- URLs ------------------------------------------------------------------------------------- */

/* host[:port] of an https URL, lower-case, ":443" dropped; NULL when not https. */
static char *url_authority(const char *url)
{
    if (url == NULL || strncasecmp(url, "https://", 8) != 0)
        return NULL;
    const char *host = url + 8;
    size_t n = strcspn(host, "/?#");
    if (n == 0 || memchr(host, '@', n))
        return NULL; /* no credentials in URLs */
    if (n > 4 && strncmp(host + n - 4, ":443", 4) == 0)
        n -= 4;
    char *out = xstrndup(host, n);
    for (char *p = out; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return out;
}

bool azure_same_authority(const char *a_url, const char *b_url)
{
    char *a = url_authority(a_url), *b = url_authority(b_url);
    bool same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

/* -- the send pipeline ------------------------------------------------------------------------ */

static void complete_send(struct az_call *c, const struct http_result *res, const char *cause,
                          enum core_err err);
static void send_http(struct az_call *c, bool with_token);

static struct vault_challenge *find_challenge(struct azure *az, const char *authority)
{
    for (size_t i = 0; authority && i < az->nchallenges; i++) {
        if (strcmp(az->challenges[i].authority, authority) == 0)
            return &az->challenges[i];
    }
    return NULL;
}

static void keep_challenge(struct azure *az, const char *authority, struct challenge *ch)
{
    struct vault_challenge *vc = find_challenge(az, authority);
    if (vc == NULL) {
        az->challenges = xrealloc(az->challenges, az->nchallenges + 1, sizeof *az->challenges);
        vc = &az->challenges[az->nchallenges++];
        vc->authority = xstrdup(authority);
    } else {
        challenge_cleanup(&vc->ch);
    }
    vc->ch = *ch;
    memset(ch, 0, sizeof *ch);
}

static void on_token(const char *token, enum core_err err, const char *cause, void *arg)
{
    struct az_call *c = arg;
    c->auth_req = NULL;
    if (token == NULL) {
        char *why = xasprintf("no token for %s: %s", c->scope, cause ? cause : core_err_name(err));
        complete_send(c, NULL, why, err == CORE_OK ? CORE_ERR_AUTH : err);
        free(why);
        return;
    }
    secret_free(c->authorization);
    c->authorization = xasprintf("Bearer %s", token);
    c->stage = STAGE_SEND;
    send_http(c, true);
}

static void get_token(struct az_call *c, const char *tenant, const char *scope)
{
    if (c->tenant != tenant)
        xstr_set(&c->tenant, tenant);
    if (c->scope != scope)
        xstr_set(&c->scope, scope);
    c->stage = STAGE_TOKEN;
    c->auth_req = auth_token(c->az->auth, c->tenant, c->scope, c->claims, on_token, c);
}

/* A 401 from a vault: learn (or re-learn) the challenge, then fetch a token for it. */
static void vault_challenge(struct az_call *c, const struct http_result *res)
{
    struct challenge ch = {0};
    char *cause = NULL, *authority = url_authority(c->url);
    if (res->www_authenticate == NULL || challenge_parse(res->www_authenticate, &ch, &cause) < 0) {
        char *why = xasprintf("the vault refused the request without a usable challenge%s%s",
                              cause ? ": " : "", cause ? cause : "");
        complete_send(c, res, why, CORE_ERR_AUTH);
        free(why);
        goto out;
    }
    if (!challenge_fits(&ch, c->url)) {
        char *why = xasprintf("the vault's challenge names resource %s, which does not match "
                              "host %s: no token was sent",
                              ch.scope, authority ? authority : "?");
        complete_send(c, res, why, CORE_ERR_REFUSED);
        free(why);
        goto out;
    }
    if (c->authorization)
        auth_forget(c->az->auth, c->tenant, c->scope);
    xstr_set(&c->claims, ch.claims);
    char *tenant = xstrdup(ch.tenant), *scope = xstrdup(ch.scope);
    keep_challenge(c->az, authority, &ch);
    get_token(c, tenant, scope);
    free(tenant);
    free(scope);
out:
    challenge_cleanup(&ch);
    free(cause);
    free(authority);
}

static void on_http(struct http_result *res, void *arg)
{
    struct az_call *c = arg;
    c->http_call = NULL;
    if (c->bare || res->err != CORE_OK || res->status != 401 || c->retried) {
        complete_send(c, res, NULL, CORE_OK);
        return;
    }
    /* 401: the first answer of a vault without a token, or a token no longer accepted. */
    if (c->stage == STAGE_SEND)
        c->retried = true;
    if (c->service == AZ_VAULT) {
        vault_challenge(c, res);
        return;
    }
    auth_forget(c->az->auth, c->tenant, c->scope);
    get_token(c, c->tenant, c->scope);
}

static void send_http(struct az_call *c, bool with_token)
{
    struct http_request req = {
        .method = c->method,
        .url = c->url,
        .body = with_token ? c->body : NULL,
        .body_len = with_token && c->body ? strlen(c->body) : 0,
        .authorization = with_token ? c->authorization : NULL,
        .idempotent = c->idempotent,
    };
    c->http_call = http_send(c->az->http, &req, on_http, c);
}

static void start_send(struct az_call *c)
{
    if (c->service == AZ_ARM) {
        get_token(c, c->az->tenant, c->az->cloud->arm_scope);
        return;
    }
    char *authority = url_authority(c->url);
    struct vault_challenge *vc = find_challenge(c->az, authority);
    free(authority);
    if (vc) {
        get_token(c, vc->ch.tenant, vc->ch.scope);
        return;
    }
    c->stage = STAGE_PROBE; /* no token yet: the vault says where to get one */
    send_http(c, false);
}

struct az_call *azure_send(struct azure *az, enum az_service service, const char *method,
                           const char *url, const char *body, bool idempotent, az_fn fn, void *arg)
{
    struct az_call *c = call_new(az, CALL_SEND, fn, arg);
    c->service = service;
    c->method = xstrdup(method);
    c->url = xstrdup(url);
    c->body = xstrdup_or_null(body);
    c->idempotent = idempotent;
    start_send(c);
    return c;
}

struct az_call *azure_probe(struct azure *az, const char *url, az_fn fn, void *arg)
{
    struct az_call *c = call_new(az, CALL_SEND, fn, arg);
    c->service = AZ_VAULT;
    c->method = xstrdup("GET");
    c->url = xstrdup(url);
    c->bare = true;
    c->stage = STAGE_PROBE;
    send_http(c, false);
    return c;
}

static void fail_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct az_call *c = arg;
    c->timer = 0;
    char *cause = c->fail_cause;
    c->fail_cause = NULL;
    complete_send(c, NULL, cause, c->fail_err);
    free(cause);
}

struct az_call *azure_fail(struct azure *az, enum core_err err, const char *cause, az_fn fn,
                           void *arg)
{
    struct az_call *c = call_new(az, CALL_SEND, fn, arg);
    c->fail_cause = xstrdup(cause);
    c->fail_err = err == CORE_OK ? CORE_ERR_CONFIG : err;
    c->timer = loop_timer(az->loop, 0, fail_timer, c);
    return c;
}

static void fill_status(struct az_status *st, const struct http_result *res, struct az_error *e,
                        char **text, const char *cause, enum core_err err)
{
    st->retry_after_ms = -1;
    st->ratelimit_reads = -1;
    if (res) {
        st->sent = true;
        st->unanswered = res->unanswered;
        st->attempt_ms = res->attempt_ms;
        st->ratelimit_reads = res->ratelimit_reads;
        st->status = res->status;
        st->request_id = res->request_id;
        st->correlation_id = res->correlation_id;
        st->elapsed_ms = res->elapsed_ms;
        st->retry_after_ms = res->retry_after_ms;
    }
    if (err != CORE_OK || res == NULL || res->err != CORE_OK) {
        st->err = err != CORE_OK ? err : res ? res->err : CORE_ERR_NETWORK;
        *text = xstrdup(cause ? cause : res && res->cause ? res->cause : core_err_name(st->err));
        st->error = *text;
        return;
    }
    st->err = azure_status_err(res->status);
    if (st->err != CORE_OK) {
        az_error_parse(res->status, res->body, res->len, e);
        *text = az_error_text(e);
        st->error = *text;
        st->code = e->code;
        st->inner = e->inner;
    }
}

static void complete_send(struct az_call *c, const struct http_result *res, const char *cause,
                          enum core_err err)
{
    struct az_error e = {0};
    char *text = NULL;
    struct az_reply r = {.body = ""};
    fill_status(&r.st, res, &e, &text, cause, err);
    if (res == NULL)
        r.st.elapsed_ms = loop_now(c->az->loop) - c->started_ms;
    if (res) {
        r.body = res->body ? res->body : "";
        r.len = res->len;
        r.location = res->location;
        r.azure_async_operation = res->azure_async_operation;
    }
    az_fn fn = c->fn;
    void *arg = c->arg;
    call_free(c);
    fn(&r, arg);
    free(text);
    az_error_cleanup(&e);
}

/* -- pages ------------------------------------------------------------------------------------ */

static void page_done(struct az_call *p, const struct az_status *st)
{
    az_done_fn done = p->on_done;
    void *arg = p->arg;
    call_free(p);
    done(st, arg);
}

static void page_fail(struct az_call *p, const struct az_status *base, enum core_err err,
                      const char *why)
{
    struct az_status st = *base;
    st.err = err;
    st.error = why;
    st.code = NULL;
    st.inner = NULL;
    page_done(p, &st);
}

static void on_page_reply(const struct az_reply *r, void *arg)
{
    struct az_call *p = arg;
    p->inner = NULL;
    if (r->st.err != CORE_OK) {
        page_done(p, &r->st);
        return;
    }
    char *next = NULL, *cause = NULL;
    if (p->on_page(r->body, r->len, &next, &cause, p->arg) < 0) {
        char *why = xasprintf("page %u: %s", p->pages + 1, cause ? cause : "not a list");
        page_fail(p, &r->st, CORE_ERR_PARSE, why);
        free(why);
        free(cause);
        free(next);
        return;
    }
    free(cause);
    if (next == NULL || next[0] == '\0') {
        free(next);
        page_done(p, &r->st);
        return;
    }
    if (++p->pages >= p->max_pages) {
        page_fail(p, &r->st, CORE_ERR_LIMIT, "the service kept sending nextLink: stopped");
        free(next);
        return;
    }
    if (!azure_same_authority(next, p->host)) {
        /* Never send a token to a host the list was not asked from. */
        page_fail(p, &r->st, CORE_ERR_PARSE, "nextLink points to another host");
        free(next);
        return;
    }
    p->inner = azure_send(p->az, p->service, "GET", next, NULL, false, on_page_reply, p);
    free(next);
}

struct az_call *azure_get_all(struct azure *az, enum az_service service, const char *url,
                              unsigned max_pages, az_page_fn on_page, az_done_fn on_done, void *arg)
{
    struct az_call *p = call_new(az, CALL_PAGES, NULL, arg);
    p->service = service;
    p->on_page = on_page;
    p->on_done = on_done;
    p->max_pages = max_pages ? max_pages : 1000;
    p->host = xstrdup(url);
    p->inner = azure_send(az, service, "GET", url, NULL, false, on_page_reply, p);
    return p;
}

/* -- long-running operations ------------------------------------------------------------------ */

static void lro_deliver(struct az_call *o, const struct az_reply *r)
{
    az_fn fn = o->fn;
    void *arg = o->arg;
    call_free(o);
    fn(r, arg);
}

static void lro_fail(struct az_call *o, const struct az_reply *base, enum core_err err,
                     const char *code, const char *why)
{
    struct az_reply r = *base;
    r.st.err = err;
    r.st.code = code;
    r.st.inner = NULL;
    r.st.error = why;
    r.body = "";
    r.len = 0;
    lro_deliver(o, &r);
}

static void on_lro_reply(const struct az_reply *r, void *arg);

static void lro_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct az_call *o = arg;
    o->timer = 0;
    o->inner = azure_send(o->az, AZ_ARM, "GET", o->poll_url, NULL, false, on_lro_reply, o);
}

static void lro_wait(struct az_call *o, int64_t retry_after_ms)
{
    int64_t wait = retry_after_ms < 0 ? 5000 : retry_after_ms;
    wait = wait < 1000 ? 1000 : wait > 60000 ? 60000 : wait;
    o->timer = loop_timer(o->az->loop, wait, lro_timer, o);
}

static void lro_final(struct az_call *o, const struct az_reply *r)
{
    const char *url = strcasecmp(o->method, "POST") == 0 ? o->location : o->url;
    if (strcasecmp(o->method, "DELETE") == 0 || url == NULL) {
        struct az_reply done = *r;
        if (strcasecmp(o->method, "POST") == 0 && o->async) {
            done.body = ""; /* the status monitor's body is not the result */
            done.len = 0;
        }
        lro_deliver(o, &done);
        return;
    }
    o->lro_stage = LRO_FINAL;
    o->inner = azure_send(o->az, AZ_ARM, "GET", url, NULL, false, on_lro_reply, o);
}

/* A poll answer: Azure-AsyncOperation status body, or a Location 202/200/204. */
static void lro_polled(struct az_call *o, const struct az_reply *r)
{
    if (!o->async) {
        if (r->st.status == 202) {
            lro_wait(o, r->st.retry_after_ms);
        } else if (strcasecmp(o->method, "POST") == 0 || strcasecmp(o->method, "DELETE") == 0) {
            lro_deliver(o, r); /* the Location's 200 carries the result */
        } else {
            lro_final(o, r);
        }
        return;
    }
    char *status = NULL, *resource = NULL, *cause = NULL;
    struct az_error e = {0};
    if (armparse_lro_status(r->body, r->len, &status, &e, &resource, &cause) < 0) {
        char *why = xasprintf("operation status: %s", cause ? cause : "unreadable");
        lro_fail(o, r, CORE_ERR_PARSE, NULL, why);
        free(why);
    } else if (strcasecmp(status, "Succeeded") == 0) {
        if (resource && azure_same_authority(resource, o->url) &&
            strcasecmp(o->method, "POST") != 0)
            xstr_set(&o->url, resource);
        lro_final(o, r);
    } else if (strcasecmp(status, "Failed") == 0 || strcasecmp(status, "Canceled") == 0 ||
               strcasecmp(status, "Cancelled") == 0) {
        char *text = az_error_text(&e);
        char *why = xasprintf("the operation %s: %s", status, text);
        lro_fail(o, r, CORE_ERR_HTTP, e.code, why);
        free(why);
        free(text);
    } else if (loop_now(o->az->loop) >= o->deadline_ms) {
        lro_fail(o, r, CORE_ERR_TIMEOUT, NULL, "the operation is still running: gave up waiting");
    } else {
        lro_wait(o, r->st.retry_after_ms);
    }
    free(status);
    free(resource);
    free(cause);
    az_error_cleanup(&e);
}

static void lro_started(struct az_call *o, const struct az_reply *r)
{
    const char *poll = r->azure_async_operation ? r->azure_async_operation : r->location;
    if (r->st.status != 201 && r->st.status != 202) {
        lro_deliver(o, r); /* 200 or 204: done at once */
        return;
    }
    if (poll == NULL) {
        if (r->st.status == 201) {
            lro_deliver(o, r);
            return;
        }
        lro_fail(o, r, CORE_ERR_PARSE, NULL, "202 Accepted without a status to follow");
        return;
    }
    if (!azure_same_authority(poll, o->url)) {
        lro_fail(o, r, CORE_ERR_PARSE, NULL, "the operation's status URL points to another host");
        return;
    }
    o->async = r->azure_async_operation != NULL;
    o->poll_url = xstrdup(poll);
    if (r->location && azure_same_authority(r->location, o->url))
        o->location = xstrdup(r->location);
    o->lro_stage = LRO_POLL;
    lro_wait(o, r->st.retry_after_ms);
}

static void on_lro_reply(const struct az_reply *r, void *arg)
{
    struct az_call *o = arg;
    o->inner = NULL;
    if (r->st.err != CORE_OK) {
        lro_deliver(o, r);
        return;
    }
    switch (o->lro_stage) {
    case LRO_START:
        lro_started(o, r);
        break;
    case LRO_POLL:
        lro_polled(o, r);
        break;
    case LRO_FINAL:
        lro_deliver(o, r);
        break;
    }
}

struct az_call *azure_lro(struct azure *az, const char *method, const char *url, const char *body,
                          int64_t timeout_ms, az_fn fn, void *arg)
{
    struct az_call *o = call_new(az, CALL_LRO, fn, arg);
    o->method = xstrdup(method);
    o->url = xstrdup(url);
    o->deadline_ms = loop_now(az->loop) + (timeout_ms > 0 ? timeout_ms : 600000);
    o->lro_stage = LRO_START;
    o->inner = azure_send(az, AZ_ARM, method, url, body, false, on_lro_reply, o);
    return o;
}
