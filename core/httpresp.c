#include "httpresp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "retry.h"
#include "xmem.h"

static void clear_headers(struct http_result *r)
{
    free(r->request_id);
    free(r->correlation_id);
    free(r->www_authenticate);
    free(r->location);
    free(r->azure_async_operation);
    free(r->content_type);
    free(r->date);
    r->date = NULL;
    r->request_id = r->correlation_id = r->www_authenticate = NULL;
    r->location = r->azure_async_operation = r->content_type = NULL;
    r->ratelimit_reads = r->ratelimit_writes = -1;
    r->retry_after_ms = -1;
}

void httpresp_init(struct httpresp *r, size_t max, char *client_request_id)
{
    memset(r, 0, sizeof *r);
    r->max = max;
    r->res.body = xcalloc(1, 1);
    r->body_cap = 1;
    r->res.client_request_id = client_request_id;
    clear_headers(&r->res);
    r->retry_after_s_ms = r->retry_after_ms = -1;
    r->res.timing = (struct http_timing){-1, -1, -1, -1};
}

/*
 * Answers carry tokens (Entra, IMDS) and unwrapped keys: the body is wiped
 * before its memory goes back, here and whenever it grows.
 */
static void body_free(struct httpresp *r)
{
    if (r->res.body)
        OPENSSL_cleanse(r->res.body, r->res.len);
    free(r->res.body);
    r->res.body = NULL;
}

/* The body's charge back to the budget (its buffer is gone or handed over). */
static void budget_release(struct httpresp *r)
{
    if (r->budget)
        r->budget->used -= r->charged;
    r->charged = 0;
}

/* Charges the growth of the body buffer to cap bytes; false when the budget cannot take it. */
static bool budget_charge(struct httpresp *r, size_t cap)
{
    struct httpresp_budget *b = r->budget;
    size_t more = cap - r->charged;
    if (b) {
        if (more > b->max - b->used)
            return false;
        b->used += more;
        if (b->used > b->peak)
            b->peak = b->used;
    }
    r->charged = cap;
    return true;
}

void httpresp_hand_over(struct httpresp *r)
{
    budget_release(r);
    r->budget = NULL;
}

void httpresp_cleanup(struct httpresp *r)
{
    budget_release(r);
    clear_headers(&r->res);
    free(r->res.cause);
    body_free(r);
    free(r->res.client_request_id);
    memset(r, 0, sizeof *r);
}

void httpresp_reset(struct httpresp *r)
{
    struct http_result *res = &r->res;
    clear_headers(res);
    free(res->cause);
    res->cause = NULL;
    res->err = CORE_OK;
    res->status = 0;
    body_free(r); /* only [0, len) was ever written: cleansed */
    res->body = xcalloc(1, 1);
    res->len = 0;
    r->body_cap = 1;
    budget_release(r);
    r->retry_after_s_ms = r->retry_after_ms = -1;
    r->over_limit = r->over_budget = false;
    r->header_bytes = 0;
}

void httpresp_settle(struct httpresp *r)
{
    r->res.retry_after_ms = r->retry_after_ms >= 0 ? r->retry_after_ms : r->retry_after_s_ms;
}

static char *clean_value(const char *v, size_t n)
{
    char *s = xstrndup(v, n);
    for (char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?'; /* no terminal escapes from a hostile server */
    }
    return s;
}

static long header_long(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || end == v || *end != '\0' || n < 0 ? -1 : n;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps value (taken) when name is a header tdectl uses. */
static void header_field(struct httpresp *r, const char *name, size_t nlen, char *value)
{
    struct http_result *res = &r->res;
    char **slot = NULL;
#define IS(s) (nlen == sizeof(s) - 1 && strncasecmp(name, s, nlen) == 0)
    if (IS("x-ms-request-id"))
        slot = &res->request_id;
    else if (IS("x-ms-correlation-request-id"))
        slot = &res->correlation_id;
    else if (IS("www-authenticate") && res->www_authenticate == NULL)
        slot = &res->www_authenticate; /* the first challenge */
    else if (IS("location"))
        slot = &res->location;
    else if (IS("azure-asyncoperation"))
        slot = &res->azure_async_operation;
    else if (IS("content-type"))
        slot = &res->content_type;
    else if (IS("date"))
        slot = &res->date;
    else if (IS("retry-after"))
        r->retry_after_s_ms = retry_after_parse(value, wall_ms());
    else if (IS("retry-after-ms") || IS("x-ms-retry-after-ms"))
        r->retry_after_ms = retry_after_ms_parse(value);
    else if (IS("x-ms-ratelimit-remaining-subscription-reads"))
        res->ratelimit_reads = header_long(value);
    else if (IS("x-ms-ratelimit-remaining-subscription-writes"))
        res->ratelimit_writes = header_long(value);
#undef IS
    if (slot) {
        free(*slot);
        *slot = value;
    } else {
        free(value);
    }
}

/* A declared length over the cap: refuse the answer before reading a byte of it. */
static bool length_over(const struct httpresp *r, const char *v, size_t n)
{
    char *s = xstrndup(v, n);
    errno = 0;
    unsigned long long declared = strtoull(s, NULL, 10);
    bool over = (errno == ERANGE || declared > r->max) && s[0] != '-';
    free(s);
    return over;
}

size_t httpresp_on_header(char *data, size_t size, size_t n, void *arg)
{
    struct httpresp *r = arg;
    size_t len = size * n;
    r->bytes_in += len;
    r->header_bytes += len;
    if (r->header_bytes > r->max) {
        r->over_limit = true;
        return 0;
    }
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue): only its own headers count. */
        clear_headers(&r->res);
        r->retry_after_s_ms = r->retry_after_ms = -1;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (colon == NULL)
        return len;
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t nlen = (size_t)(colon - data);
    if (nlen == 14 && strncasecmp(data, "content-length", 14) == 0) {
        if (length_over(r, v, (size_t)(end - v))) {
            r->over_limit = true;
            return 0;
        }
        return len;
    }
    header_field(r, data, nlen, clean_value(v, (size_t)(end - v)));
    return len;
}

size_t httpresp_on_body(char *data, size_t size, size_t n, void *arg)
{
    struct httpresp *r = arg;
    struct http_result *res = &r->res;
    size_t len = size * n;
    r->bytes_in += len;
    if (len > r->max - res->len) {
        r->over_limit = true;
        return 0;
    }
    if (res->len + len + 1 > r->body_cap) {
        size_t need = res->len + len + 1; /* at most max + 1: checked above */
        size_t cap = r->body_cap < 1024 ? 1024 : r->body_cap;
        while (cap < need)
            cap *= 2;
        if (cap - 1 > r->max)
            cap = r->max + 1; /* the body never grows past the cap */
        if (!budget_charge(r, cap)) {
            r->over_budget = true;
            return 0;
        }
        char *grown = xmalloc(cap);
        memcpy(grown, res->body, res->len);
        body_free(r);
        res->body = grown;
        r->body_cap = cap;
    }
    memcpy(res->body + res->len, data, len);
    res->len += len;
    res->body[res->len] = '\0';
    return len;
}

enum core_err httpresp_map_curl(CURLcode rc, bool *sent, bool *healable)
{
    *sent = true;
    *healable = true;
    switch (rc) {
    case CURLE_OK:
        return CORE_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return CORE_ERR_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        *sent = false;
        return CORE_ERR_NETWORK;
    case CURLE_SSL_CONNECT_ERROR: /* a handshake cut short */
        *sent = false;
        return CORE_ERR_TLS;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        /* A certificate that is not trusted now will not be trusted in a second. */
        *sent = false;
        *healable = false;
        return CORE_ERR_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        *healable = false;
        return CORE_ERR_LIMIT;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        *sent = false;
        *healable = false;
        return CORE_ERR_CONFIG;
    default: /* send or receive errors, no or a partial answer, HTTP/2 stream errors */
        return CORE_ERR_NETWORK;
    }
}

char *httpresp_take_body(struct http_result *res, size_t *len)
{
    /* Every result handed out is the first member of a struct httpresp. */
    struct httpresp *r = (struct httpresp *)(void *)res;
    char *body = res->body;
    if (len)
        *len = res->len;
    res->body = xcalloc(1, 1);
    res->len = 0;
    r->body_cap = 1;
    budget_release(r); /* the caller's now */
    return body;
}
