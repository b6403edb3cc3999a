/*
 * Tests of the transport (core/http.c) against an in-process libmicrohttpd
 * server (support_server.c): degenerate configurations and requests first,
 * then what is sent and captured, retries, failures (refused connection,
 * timeout, size cap, dropped connection), the read-only gate, the per-host
 * limit, cancel and destroy with calls in flight, and TLS with a CA made in
 * the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"
#include "support.h"
#include "support_server.h"
#include "support_tlsca.h"

#define MAX_GOT 16

struct got {
    int calls;
    enum core_err err;
    long status;
    char *body;
    size_t len;
    char *cause, *request_id, *correlation_id, *client_request_id, *www, *location, *async_op,
        *content_type;
    int64_t retry_after_ms;
    long reads, writes;
    unsigned attempts;
    bool unanswered;
    int64_t elapsed_ms;
    char *date;
    struct http_timing timing;
    /* optional actions from the callback */
    struct http *destroy;
    struct http_call *cancel;
};

struct logbook {
    int n;
    struct {
        char method[16], url[256];
        long status;
        enum core_err err;
        unsigned attempt;
        int64_t retry_in_ms;
    } e[32];
    bool leaked; /* a secret reached the log */
};

struct fx {
    struct loop *loop;
    struct support_server *srv;
    struct http *http;
    struct logbook log;
    char urls[8][512];
    int next_url;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_done(struct http_result *r, void *arg)
{
    struct got *g = arg;
    g->calls++;
    g->err = r->err;
    g->status = r->status;
    g->body = http_result_take_body(r, &g->len);
    g->cause = dup_or_null(r->cause);
    g->request_id = dup_or_null(r->request_id);
    g->correlation_id = dup_or_null(r->correlation_id);
    g->client_request_id = dup_or_null(r->client_request_id);
    g->www = dup_or_null(r->www_authenticate);
    g->location = dup_or_null(r->location);
    g->async_op = dup_or_null(r->azure_async_operation);
    g->content_type = dup_or_null(r->content_type);
    g->retry_after_ms = r->retry_after_ms;
    g->reads = r->ratelimit_reads;
    g->writes = r->ratelimit_writes;
    g->attempts = r->attempts;
    g->unanswered = r->unanswered;
    g->elapsed_ms = r->elapsed_ms;
    g->date = dup_or_null(r->date);
    g->timing = r->timing;
    /* The result still holds a body after take: "" */
    assert_non_null(r->body);
    assert_int_equal(r->len, 0);
    if (g->cancel)
        http_cancel(g->cancel);
    if (g->destroy)
        http_destroy(g->destroy);
}

static void got_free(struct got *g)
{
    char *all[] = {g->body, g->cause,    g->request_id, g->correlation_id, g->client_request_id,
                   g->www,  g->location, g->async_op,   g->content_type,   g->date};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    memset(g, 0, sizeof *g);
}

static bool has_secret(const char *s)
{
    return s && (strstr(s, "SECRET") || strstr(s, "QUERYSECRET"));
}

static void on_log(const struct http_log_entry *e, void *arg)
{
    struct logbook *b = arg;
    if (has_secret(e->method) || has_secret(e->url) || has_secret(e->request_id) ||
        has_secret(e->client_request_id) || has_secret(e->correlation_id) || strchr(e->url, '?'))
        b->leaked = true;
    if (b->n >= 32)
        return;
    snprintf(b->e[b->n].method, sizeof b->e[b->n].method, "%s", e->method);
    snprintf(b->e[b->n].url, sizeof b->e[b->n].url, "%s", e->url);
    b->e[b->n].status = e->status;
    b->e[b->n].err = e->err;
    b->e[b->n].attempt = e->attempt;
    b->e[b->n].retry_in_ms = e->retry_in_ms;
    b->n++;
}

/* Test defaults: fast retries, short timeouts. */
static struct http_config cfg(void)
{
    return (struct http_config){.connect_timeout_ms = 2000,
                                .timeout_ms = 3000,
                                .retry_base_ms = 10,
                                .max_retry_wait_ms = 2000,
                                .retry_budget_ms = 10000};
}

static void fx_start(struct fx *f, const struct http_config *c)
{
    memset(f, 0, sizeof *f);
    char *cause = NULL;
    f->loop = loop_create(&cause);
    assert_non_null(f->loop);
    f->srv = support_server_start(NULL, NULL);
    assert_non_null(f->srv);
    f->http = http_create(f->loop, c, &cause);
    if (f->http == NULL)
        fail_msg("http_create: %s", cause);
    http_set_log(f->http, on_log, &f->log);
}

static void fx_stop(struct fx *f)
{
    http_destroy(f->http);
    support_server_stop(f->srv);
    loop_destroy(f->loop);
}

/* A URL on the test server (valid until 8 more calls). */
static const char *u(struct fx *f, const char *path)
{
    char *buf = f->urls[f->next_url++ % 8];
    snprintf(buf, sizeof f->urls[0], "http://127.0.0.1:%d%s", support_server_port(f->srv), path);
    return buf;
}

static void run_until(struct fx *f, const int *calls, int want, int ms)
{
    int64_t end = support_mono_ms() + ms;
    while (*calls < want && support_mono_ms() < end)
        loop_run_once(f->loop, 50);
    if (*calls < want)
        fail_msg("only %d of %d callbacks after %d ms", *calls, want, ms);
}

static void run_for(struct fx *f, int ms)
{
    int64_t end = support_mono_ms() + ms;
    while (support_mono_ms() < end)
        loop_run_once(f->loop, 20);
}

static struct http_call *get(struct fx *f, const char *path, struct got *g)
{
    struct http_request req = {.method = "GET", .url = u(f, path)};
    return http_send(f->http, &req, on_done, g);
}

static struct http_call *post(struct fx *f, const char *path, bool idempotent, struct got *g)
{
    struct http_request req = {
        .method = "POST", .url = u(f, path), .body = "{}", .body_len = 2, .idempotent = idempotent};
    return http_send(f->http, &req, on_done, g);
}

/* A TCP port on 127.0.0.1 nothing listens on. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    return ntohs(sa.sin_port);
}

static bool is_uuid4(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static void test_create_degenerate(void **state)
{
    (void)state;
    char *cause = NULL;
    struct http_config c = cfg();
    assert_null(http_create(NULL, &c, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;

    struct loop *loop = loop_create(NULL);
    assert_non_null(loop);
    c.ca_file = "/nonexistent/ca.pem";
    assert_null(http_create(loop, &c, &cause));
    assert_non_null(strstr(cause, "/nonexistent/ca.pem"));
    free(cause);
    cause = NULL;

    const char *bad[] = {"vault.test:443", NULL};
    c = cfg();
    c.resolve = bad;
    assert_null(http_create(loop, &c, &cause));
    assert_non_null(strstr(cause, "vault.test:443"));
    free(cause);

    /* No configuration: every default. */
    struct http *h = http_create(loop, NULL, NULL);
    assert_non_null(h);
    assert_false(http_read_only(h));
    assert_int_equal(http_pending(h), 0);
    struct http_request req = {.method = "GET", .url = "https://127.0.0.1/"};
    assert_null(http_send(NULL, &req, on_done, NULL));
    assert_null(http_send(h, NULL, on_done, NULL));
    http_cancel(NULL);
    assert_null(http_result_take_body(NULL, NULL));
    struct http_stats st = http_stats(h);
    assert_int_equal(st.requests, 0);
    http_destroy(h);
    http_destroy(NULL);
    loop_destroy(loop);
}

static void test_invalid_requests(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    const struct http_header crlf[] = {{"X-Test", "a\r\nInjected: 1"}};
    const struct http_header badname[] = {{"Bad Header", "x"}};
    const struct http_header noname[] = {{NULL, "x"}};
    struct http_request reqs[] = {
        {.method = NULL, .url = u(&f, "/")},
        {.method = "GET", .url = NULL},
        {.method = "BREW", .url = u(&f, "/")},
        {.method = "get", .url = u(&f, "/")},
        {.method = "GET", .url = "not a url"},
        {.method = "GET", .url = ""},
        {.method = "GET", .url = "ftp://127.0.0.1/x"},
        {.method = "GET", .url = "file:///etc/passwd"},
        {.method = "GET", .url = "http://example.com/x"},
        {.method = "GET", .url = "http://10.0.0.1/x"},
        {.method = "GET", .url = "https://user:QUERYSECRET@127.0.0.1/x"},
        {.method = "GET", .url = u(&f, "/"), .headers = crlf, .nheaders = 1},
        {.method = "GET", .url = u(&f, "/"), .headers = badname, .nheaders = 1},
        {.method = "GET", .url = u(&f, "/"), .headers = noname, .nheaders = 1},
        {.method = "GET", .url = u(&f, "/"), .authorization = "Bearer SECRET\r\nX: y"},
        {.method = "POST", .url = u(&f, "/"), .body = NULL, .body_len = 5},
    };
    enum { N = sizeof reqs / sizeof reqs[0] };
    struct got g[N];
    memset(g, 0, sizeof g);
    for (size_t i = 0; i < N; i++) {
        assert_non_null(http_send(f.http, &reqs[i], on_done, &g[i]));
        assert_int_equal(g[i].calls, 0); /* never inside http_send */
    }
    assert_int_equal(http_pending(f.http), N);
    for (size_t i = 0; i < N; i++) {
        run_until(&f, &g[i].calls, 1, 2000);
        if (g[i].err != CORE_ERR_CONFIG)
            fail_msg("request %zu: %s", i, core_err_name(g[i].err));
        assert_non_null(g[i].cause);
        assert_false(has_secret(g[i].cause));
        assert_int_equal(g[i].attempts, 0);
        assert_int_equal(g[i].status, 0);
        assert_string_equal(g[i].body, "");
        got_free(&g[i]);
    }
    assert_int_equal(support_server_count(f.srv), 0);
    assert_int_equal(http_pending(f.http), 0);
    assert_false(f.log.leaked);
    struct http_stats st = http_stats(f.http);
    assert_int_equal(st.requests, N);
    assert_int_equal(st.attempts, 0);
    assert_int_equal(st.failures, N);
    fx_stop(&f);
}

static void test_get(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_push(f.srv,
                        &(struct support_server_reply){
                            .body = "{\"a\":1}",
                            .headers = {{"x-ms-request-id", "req-1"},
                                        {"x-ms-correlation-request-id", "corr-1"},
                                        {"Content-Type", "application/json; charset=utf-8"},
                                        {"x-ms-ratelimit-remaining-subscription-reads", "11999"}}});
    struct got g = {0};
    struct http_request req = {.method = "GET",
                               .url = u(&f, "/keys/k?api-version=7.4"),
                               .authorization = "Bearer SECRET-TOKEN"};
    http_send(f.http, &req, on_done, &g);
    assert_int_equal(http_pending(f.http), 1);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_null(g.cause);
    assert_int_equal(g.status, 200);
    assert_false(g.unanswered);
    assert_string_equal(g.body, "{\"a\":1}");
    assert_int_equal(g.len, 7);
    assert_string_equal(g.request_id, "req-1");
    assert_string_equal(g.correlation_id, "corr-1");
    assert_string_equal(g.content_type, "application/json; charset=utf-8");
    assert_int_equal(g.reads, 11999);
    assert_int_equal(g.writes, -1);
    assert_int_equal(g.retry_after_ms, -1);
    assert_null(g.location);
    assert_int_equal(g.attempts, 1);
    assert_true(g.elapsed_ms >= 0 && g.elapsed_ms < 3000);
    got_free(&g);
    fx_stop(&f);
}

/* What the server saw of a GET, what the log saw, and the ids. */
static void test_get_sent(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    struct got g = {0};
    struct http_request req = {.method = "GET",
                               .url = u(&f, "/keys/k?api-version=7.4"),
                               .authorization = "Bearer SECRET-TOKEN"};
    http_send(f.http, &req, on_done, &g);
    run_until(&f, &g.calls, 1, 3000);

    assert_int_equal(support_server_count(f.srv), 1);
    assert_string_equal(support_server_method(f.srv, 0), "GET");
    assert_string_equal(support_server_path(f.srv, 0), "/keys/k");
    assert_true(is_uuid4(g.client_request_id));
    assert_string_equal(support_server_header(f.srv, 0, "x-ms-client-request-id"),
                        g.client_request_id);
    assert_string_equal(support_server_header(f.srv, 0, "x-ms-return-client-request-id"), "true");
    assert_string_equal(support_server_header(f.srv, 0, "Accept"), "application/json");
    assert_string_equal(support_server_header(f.srv, 0, "Authorization"), "Bearer SECRET-TOKEN");
    assert_non_null(strstr(support_server_header(f.srv, 0, "User-Agent"), "tdectl/"));
    assert_null(support_server_header(f.srv, 0, "Content-Type"));

    /* The log: one final attempt, no query, no token. */
    assert_int_equal(f.log.n, 1);
    assert_false(f.log.leaked);
    assert_string_equal(f.log.e[0].method, "GET");
    assert_string_equal(f.log.e[0].url, u(&f, "/keys/k"));
    assert_int_equal(f.log.e[0].status, 200);
    assert_int_equal(f.log.e[0].attempt, 1);
    assert_int_equal(f.log.e[0].retry_in_ms, -1);

    /* Every request gets its own id. */
    struct got g2 = {0};
    get(&f, "/again", &g2);
    run_until(&f, &g2.calls, 1, 3000);
    assert_true(is_uuid4(g2.client_request_id));
    assert_string_not_equal(g.client_request_id, g2.client_request_id);
    struct http_stats st = http_stats(f.http);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.attempts, 2);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.failures, 0);
    assert_true(st.bytes_in > 7);
    assert_int_equal(http_pending(f.http), 0);
    got_free(&g);
    got_free(&g2);
    fx_stop(&f);
}

static void test_methods_and_bodies(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    struct got g[6];
    memset(g, 0, sizeof g);
    const struct http_header accept[] = {{"Accept", "text/plain"}, {"If-Match", "*"}};
    struct http_request reqs[] = {
        {.method = "PUT", .url = u(&f, "/put"), .body = "{\"x\":1}", .body_len = 7},
        {.method = "PATCH",
         .url = u(&f, "/patch"),
         .body = "{}",
         .body_len = 2,
         .content_type = "application/merge-patch+json"},
        {.method = "POST", .url = u(&f, "/empty")},
        {.method = "DELETE", .url = u(&f, "/del"), .headers = accept, .nheaders = 2},
        {.method = "HEAD", .url = u(&f, "/head")},
        {.method = "POST",
         .url = u(&f, "/form"),
         .body = "grant_type=client_credentials&client_secret=SECRET",
         .body_len = 50,
         .content_type = "application/x-www-form-urlencoded"},
    };
    for (int i = 0; i < 6; i++) {
        http_send(f.http, &reqs[i], on_done, &g[i]);
        run_until(&f, &g[i].calls, 1, 3000);
        assert_int_equal(g[i].err, CORE_OK);
        assert_int_equal(g[i].status, 200);
    }
    assert_string_equal(support_server_method(f.srv, 0), "PUT");
    assert_string_equal(support_server_body(f.srv, 0), "{\"x\":1}");
    assert_string_equal(support_server_header(f.srv, 0, "Content-Type"), "application/json");
    assert_string_equal(support_server_method(f.srv, 1), "PATCH");
    assert_string_equal(support_server_header(f.srv, 1, "Content-Type"),
                        "application/merge-patch+json");
    /* An empty POST says so (Content-Length: 0), without libcurl's form type. */
    assert_string_equal(support_server_method(f.srv, 2), "POST");
    assert_string_equal(support_server_header(f.srv, 2, "Content-Length"), "0");
    assert_null(support_server_header(f.srv, 2, "Content-Type"));
    assert_null(support_server_header(f.srv, 2, "Expect"));
    assert_string_equal(support_server_method(f.srv, 3), "DELETE");
    assert_string_equal(support_server_header(f.srv, 3, "Accept"), "text/plain");
    assert_string_equal(support_server_header(f.srv, 3, "If-Match"), "*");
    assert_string_equal(support_server_method(f.srv, 4), "HEAD");
    assert_int_equal(g[4].len, 0);
    assert_string_equal(support_server_body(f.srv, 5),
                        "grant_type=client_credentials&client_secret=SECRET");
    assert_false(f.log.leaked);
    for (int i = 0; i < 6; i++)
        got_free(&g[i]);
    fx_stop(&f);
}

static void test_response_headers(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_push(
        f.srv, &(struct support_server_reply){
                   .status = 202,
                   .headers = {{"Location", "https://management.azure.com/op/1"},
                               {"Azure-AsyncOperation", "https://management.azure.com/aop/1"},
                               {"WWW-Authenticate", "Bearer authorization=\"a\", resource=\"r\""},
                               {"WWW-Authenticate", "PoP nonce=\"n\""},
                               {"Retry-After", "7"},
                               {"x-ms-ratelimit-remaining-subscription-writes", "1199"},
                               {"x-ms-request-id", "evil\x1b[31mred"}}});
    struct got g = {0};
    get(&f, "/", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 202);
    assert_string_equal(g.location, "https://management.azure.com/op/1");
    assert_string_equal(g.async_op, "https://management.azure.com/aop/1");
    assert_string_equal(g.www, "Bearer authorization=\"a\", resource=\"r\"");
    assert_int_equal(g.retry_after_ms, 7000); /* reported, but 202 is not retried */
    assert_int_equal(g.attempts, 1);
    assert_int_equal(g.writes, 1199);
    /* No terminal escapes from the network. */
    assert_null(strchr(g.request_id, '\x1b'));
    got_free(&g);
    fx_stop(&f);
}

static void test_503_retry_after_then_ok(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_push(
        f.srv, &(struct support_server_reply){.status = 503, .headers = {{"Retry-After", "1"}}});
    support_server_push(f.srv, &(struct support_server_reply){.body = "ok"});
    struct got g = {0};
    get(&f, "/busy", &g);
    run_until(&f, &g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "ok");
    assert_int_equal(g.attempts, 2);
    assert_int_equal(g.retry_after_ms, -1); /* the final answer's */
    assert_true(g.elapsed_ms >= 950);
    assert_int_equal(support_server_count(f.srv), 2);
    /* One request, one client request id, however many attempts. */
    assert_string_equal(support_server_header(f.srv, 1, "x-ms-client-request-id"),
                        g.client_request_id);
    assert_int_equal(f.log.n, 2);
    assert_int_equal(f.log.e[0].status, 503);
    assert_int_equal(f.log.e[0].retry_in_ms, 1000);
    assert_int_equal(f.log.e[1].attempt, 2);
    assert_int_equal(f.log.e[1].retry_in_ms, -1);
    assert_int_equal(http_stats(f.http).retries, 1);
    got_free(&g);
    fx_stop(&f);
}

static void test_429_retries(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    /* The ms forms win over Retry-After; then plain backoff; then success. */
    support_server_push(
        f.srv,
        &(struct support_server_reply){
            .status = 429, .headers = {{"Retry-After", "5"}, {"x-ms-retry-after-ms", "30"}}});
    support_server_push(f.srv, &(struct support_server_reply){
                                   .status = 429, .headers = {{"retry-after-ms", "20"}}});
    support_server_push(f.srv, &(struct support_server_reply){.status = 429});
    support_server_push(f.srv, &(struct support_server_reply){.body = "done"});
    struct got g = {0};
    get(&f, "/throttled", &g);
    run_until(&f, &g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.attempts, 4);
    assert_int_equal(f.log.n, 4);
    assert_int_equal(f.log.e[0].retry_in_ms, 30);
    assert_int_equal(f.log.e[1].retry_in_ms, 20);
    /* Third attempt: 10 ms * 2^2 = 40 ms, +-20%. */
    assert_true(f.log.e[2].retry_in_ms >= 32 && f.log.e[2].retry_in_ms < 48);
    got_free(&g);

    /* A Retry-After longer than the longest wait ends it at once: the caller shows it. */
    support_server_push(
        f.srv, &(struct support_server_reply){.status = 429, .headers = {{"Retry-After", "60"}}});
    get(&f, "/throttled", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 429);
    assert_int_equal(g.retry_after_ms, 60000);
    assert_int_equal(g.attempts, 1);
    got_free(&g);
    fx_stop(&f);
}

static void test_post_not_blindly_retried(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.status = 500});
    struct got g = {0};
    post(&f, "/keys/k/create", false, &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK); /* an answer: the caller maps the status */
    assert_int_equal(g.status, 500);
    assert_int_equal(g.attempts, 1);
    assert_int_equal(support_server_count(f.srv), 1);
    got_free(&g);

    /* Marked idempotent: retried like a GET. */
    support_server_push(f.srv, &(struct support_server_reply){.status = 500});
    support_server_push(f.srv, &(struct support_server_reply){.body = "{}"});
    post(&f, "/keys/k/v/unwrapkey", true, &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.attempts, 2);
    assert_int_equal(support_server_count(f.srv), 3);
    got_free(&g);

    /* A dropped connection after sending: a POST may have acted, a GET is repeated. */
    support_server_push(f.srv, &(struct support_server_reply){.drop = true});
    post(&f, "/keys/k/rotate", false, &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_ERR_NETWORK);
    assert_int_equal(g.status, 0);
    assert_int_equal(g.attempts, 1);
    assert_int_equal(support_server_count(f.srv), 4);
    got_free(&g);
    support_server_push(f.srv, &(struct support_server_reply){.drop = true});
    support_server_push(f.srv, &(struct support_server_reply){.body = "{}"});
    get(&f, "/x", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 200);
    /* Sent twice: by the transport, or by libcurl itself on a reused connection. */
    assert_int_equal(support_server_count(f.srv), 6);
    got_free(&g);
    fx_stop(&f);
}

static void test_connection_refused(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.max_attempts = 3;
    fx_start(&f, &c);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/keys/k/create?api-version=QUERYSECRET",
             closed_port());
    /* Nothing could be sent: even a POST is tried again. */
    struct http_request req = {.method = "POST",
                               .url = url,
                               .body = "SECRET-BODY",
                               .body_len = 11,
                               .authorization = "Bearer SECRET"};
    struct got g = {0};
    http_send(f.http, &req, on_done, &g);
    run_until(&f, &g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_NETWORK);
    assert_int_equal(g.status, 0);
    assert_int_equal(g.attempts, 3);
    assert_false(g.unanswered); /* never sent: it cannot have been done */
    assert_non_null(g.cause);
    assert_false(has_secret(g.cause));
    assert_non_null(strstr(g.cause, "/keys/k/create"));
    assert_false(f.log.leaked);
    assert_int_equal(f.log.n, 3);
    assert_int_equal(f.log.e[2].err, CORE_ERR_NETWORK);
    struct http_stats st = http_stats(f.http);
    assert_int_equal(st.attempts, 3);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.failures, 1);
    got_free(&g);
    fx_stop(&f);
}

static void test_timeout(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.timeout_ms = 200;
    c.max_attempts = 2;
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 3000});
    struct got g = {0}, p = {0};
    get(&f, "/slow", &g);
    post(&f, "/keys/k/create", false, &p);
    run_until(&f, &g.calls, 1, 3000);
    run_until(&f, &p.calls, 1, 3000);
    assert_int_equal(g.err, CORE_ERR_TIMEOUT);
    assert_int_equal(g.attempts, 2); /* idempotent: once more */
    assert_int_equal(p.err, CORE_ERR_TIMEOUT);
    assert_int_equal(p.attempts, 1); /* it was sent and may have acted */
    assert_true(p.unanswered);
    assert_true(g.unanswered);
    assert_non_null(g.cause);
    assert_int_equal(support_server_count(f.srv), 3);
    got_free(&g);
    got_free(&p);
    fx_stop(&f);
}

static void test_size_cap(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.max_response = 1000;
    fx_start(&f, &c);
    struct got g = {0};
    /* Declared too large: refused from the header. */
    support_server_push(f.srv, &(struct support_server_reply){.big = 5000});
    get(&f, "/big", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_ERR_LIMIT);
    assert_int_equal(g.attempts, 1);
    assert_int_equal(g.status, 0);
    assert_non_null(strstr(g.cause, "1000"));
    got_free(&g);
    /* Not declared (chunked): stopped while reading. */
    support_server_push(f.srv, &(struct support_server_reply){.big = 200000, .chunked = true});
    get(&f, "/big", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_ERR_LIMIT);
    assert_int_equal(g.attempts, 1);
    got_free(&g);
    /* Exactly the cap passes. */
    support_server_push(f.srv, &(struct support_server_reply){.big = 1000, .chunked = true});
    get(&f, "/big", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.len, 1000);
    assert_int_equal(strlen(g.body), 1000);
    got_free(&g);
    assert_int_equal(http_stats(f.http).failures, 2);
    fx_stop(&f);
}

static void test_read_only(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.read_only = true;
    fx_start(&f, &c);
    assert_true(http_read_only(f.http));
    struct got put = {0}, create = {0}, g = {0}, unwrap = {0}, token = {0};
    struct http_request req = {
        .method = "PUT", .url = u(&f, "/keys/k"), .body = "{}", .body_len = 2};
    http_send(f.http, &req, on_done, &put);
    assert_int_equal(put.calls, 0); /* never inside http_send */
    post(&f, "/keys/k/create", false, &create);
    run_until(&f, &put.calls, 1, 2000);
    run_until(&f, &create.calls, 1, 2000);
    assert_int_equal(put.err, CORE_ERR_REFUSED);
    assert_int_equal(put.attempts, 0);
    assert_non_null(strstr(put.cause, "read-only"));
    assert_non_null(strstr(put.cause, "PUT"));
    assert_int_equal(create.err, CORE_ERR_REFUSED);
    assert_int_equal(support_server_count(f.srv), 0); /* nothing reached the server */

    get(&f, "/keys/k", &g);
    post(&f, "/keys/k/0123abcd/unwrapkey?api-version=7.4", false, &unwrap);
    post(&f, "/tenant/oauth2/v2.0/token", true, &token);
    run_until(&f, &g.calls, 1, 3000);
    run_until(&f, &unwrap.calls, 1, 3000);
    run_until(&f, &token.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(unwrap.err, CORE_OK);
    assert_int_equal(token.err, CORE_OK);
    assert_int_equal(support_server_count(f.srv), 3);
    struct http_stats st = http_stats(f.http);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.requests, 5);
    /* The refusals reach the command log too. */
    assert_int_equal(f.log.e[0].err, CORE_ERR_REFUSED);
    assert_int_equal(f.log.e[0].attempt, 0);

    got_free(&put);
    got_free(&create);
    got_free(&g);
    got_free(&unwrap);
    got_free(&token);
    fx_stop(&f);
}

static void test_read_only_switched(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.read_only = true;
    fx_start(&f, &c);
    struct got put = {0};
    struct http_request req = {
        .method = "PUT", .url = u(&f, "/keys/k"), .body = "{}", .body_len = 2};

    /* Off: a PUT goes. */
    http_set_read_only(f.http, false);
    assert_false(http_read_only(f.http));
    http_send(f.http, &req, on_done, &put);
    run_until(&f, &put.calls, 1, 3000);
    assert_int_equal(put.err, CORE_OK);
    assert_int_equal(support_server_count(f.srv), 1);

    /* Switched on while a PUT waits to be retried: the retry is refused. */
    got_free(&put);
    support_server_push(f.srv, &(struct support_server_reply){
                                   .status = 503, .headers = {{"retry-after-ms", "300"}}});
    http_send(f.http, &req, on_done, &put);
    int64_t end = support_mono_ms() + 3000;
    while (f.log.n < 2 && support_mono_ms() < end)
        loop_run_once(f.loop, 20);
    assert_int_equal(f.log.n, 2);
    assert_int_equal(f.log.e[1].retry_in_ms, 300);
    http_set_read_only(f.http, true);
    run_until(&f, &put.calls, 1, 3000);
    assert_int_equal(put.err, CORE_ERR_REFUSED);
    assert_int_equal(put.attempts, 1);
    assert_int_equal(support_server_count(f.srv), 2);
    assert_int_equal(http_stats(f.http).refused, 1);
    got_free(&put);
    fx_stop(&f);
}

/* An HTTP/1.1 host gets one connection by default: requests take turns on it. */
static void test_http1_host_one_connection(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 30});
    enum { N = 5 };
    struct got g[N];
    memset(g, 0, sizeof g);
    for (int i = 0; i < N; i++)
        get(&f, "/keys", &g[i]);
    int done = 0;
    int64_t end = support_mono_ms() + 5000;
    while (done < N && support_mono_ms() < end) {
        loop_run_once(f.loop, 20);
        done = 0;
        for (int i = 0; i < N; i++)
            done += g[i].calls;
    }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(g[i].err, CORE_OK);
        got_free(&g[i]);
    }
    assert_int_equal(support_server_peak(f.srv), 1);
    assert_int_equal(support_server_connections(f.srv), 1);
    fx_stop(&f);
}

static void test_per_host_limit(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.per_host = 2;
    c.connections_per_host = 2; /* an HTTP/1.1 server: one request per connection */
    c.timeout_ms = 300;         /* less than the last one waits in the queue: that must not count */
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 120});
    enum { N = 8 };
    struct got g[N];
    memset(g, 0, sizeof g);
    int done = 0;
    for (int i = 0; i < N; i++) {
        char path[16];
        snprintf(path, sizeof path, "/r%d", i);
        get(&f, path, &g[i]);
    }
    assert_int_equal(http_pending(f.http), N);
    int64_t end = support_mono_ms() + 5000;
    while (done < N && support_mono_ms() < end) {
        loop_run_once(f.loop, 50);
        done = 0;
        for (int i = 0; i < N; i++)
            done += g[i].calls;
    }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(g[i].err, CORE_OK);
        assert_int_equal(g[i].attempts, 1);
        got_free(&g[i]);
    }
    assert_int_equal(support_server_peak(f.srv), 2);
    assert_int_equal(support_server_count(f.srv), N);
    /* First in, first out: request i reached the server no later than position i + 1. */
    for (size_t k = 0; k < N; k++) {
        int i = (int)strtol(support_server_path(f.srv, k) + 2, NULL, 10);
        assert_true((int)k <= i + 1);
    }
    assert_int_equal(http_pending(f.http), 0);
    fx_stop(&f);
}

static void test_plain_http_hosts(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.connect_timeout_ms = 300;
    c.max_attempts = 1;
    fx_start(&f, &c);
    /* Plain http is allowed to loopback and IMDS, and to nothing else. */
    char local[128], v6[128];
    snprintf(local, sizeof local, "http://LOCALHOST:%d/x", support_server_port(f.srv));
    snprintf(v6, sizeof v6, "http://[::1]:%d/x", closed_port());
    const char *urls[] = {local, v6, "http://169.254.169.254:1/metadata/identity/oauth2/token",
                          "http://169.254.169.253:1/x", "http://vault.localhost:1/x"};
    const enum core_err allowed[] = {CORE_OK, CORE_ERR_COUNT, CORE_ERR_COUNT, CORE_ERR_CONFIG,
                                     CORE_ERR_CONFIG};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct got g = {0};
        struct http_request req = {.method = "GET", .url = urls[i]};
        http_send(f.http, &req, on_done, &g);
        run_until(&f, &g.calls, 1, 3000);
        if (allowed[i] == CORE_ERR_COUNT ? g.err == CORE_ERR_CONFIG : g.err != allowed[i])
            fail_msg("%s: %s (%s)", urls[i], core_err_name(g.err), g.cause ? g.cause : "");
        got_free(&g);
    }
    fx_stop(&f);
}

static void test_other_host_not_blocked(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.per_host = 1;
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 300});
    struct got a = {0}, b = {0}, other = {0};
    get(&f, "/a", &a);
    get(&f, "/b", &b); /* waits for /a */
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/other", support_server_port(f.srv));
    struct http_request req = {.method = "GET", .url = url};
    http_send(f.http, &req, on_done, &other);
    run_until(&f, &other.calls, 1, 3000);
    assert_int_equal(other.err, CORE_OK);
    assert_int_equal(b.calls, 0); /* another host's slot did not wait for this one's queue */
    run_until(&f, &b.calls, 1, 3000);
    assert_int_equal(a.calls, 1);
    got_free(&a);
    got_free(&b);
    got_free(&other);
    fx_stop(&f);
}

static void test_cancel(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.per_host = 1;
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 200});
    struct got running = {0}, queued = {0}, after = {0};
    struct http_call *r = get(&f, "/running", &running);
    struct http_call *q = get(&f, "/queued", &queued);
    get(&f, "/after", &after);
    assert_int_equal(http_pending(f.http), 3);
    /* Cancel the queued one at once, the running one once the server has it. */
    http_cancel(q);
    int64_t end = support_mono_ms() + 2000;
    while (support_server_count(f.srv) < 1 && support_mono_ms() < end)
        loop_run_once(f.loop, 10);
    http_cancel(r);
    assert_int_equal(http_pending(f.http), 1);
    /* The slot went to the next in line. */
    run_until(&f, &after.calls, 1, 3000);
    run_for(&f, 100);
    assert_int_equal(running.calls, 0);
    assert_int_equal(queued.calls, 0);
    assert_int_equal(after.err, CORE_OK);
    assert_int_equal(support_server_count(f.srv), 2);
    assert_string_equal(support_server_path(f.srv, 1), "/after");
    got_free(&after);

    /* Waiting for a retry. */
    struct got waiting = {0};
    support_server_push(f.srv, &(struct support_server_reply){
                                   .status = 503, .headers = {{"retry-after-ms", "1500"}}});
    struct http_call *w = get(&f, "/retry", &waiting);
    end = support_mono_ms() + 2000;
    while (http_stats(f.http).attempts < 3 || f.log.n < 2)
        loop_run_once(f.loop, 10);
    http_cancel(w);
    /* Refused (read-only), its completion not yet run. */
    http_set_read_only(f.http, true);
    struct got refused = {0};
    struct http_request req = {.method = "DELETE", .url = u(&f, "/keys/k")};
    struct http_call *x = http_send(f.http, &req, on_done, &refused);
    http_cancel(x);
    /* Cancelled from another call's callback. */
    http_set_read_only(f.http, false);
    struct got first = {0}, second = {0};
    get(&f, "/first", &first);
    first.cancel = get(&f, "/second", &second);
    run_until(&f, &first.calls, 1, 3000);
    run_for(&f, 300);
    assert_int_equal(waiting.calls, 0);
    assert_int_equal(refused.calls, 0);
    assert_int_equal(second.calls, 0);
    assert_int_equal(http_pending(f.http), 0);
    got_free(&first);
    fx_stop(&f);
}

static void test_destroy_in_flight(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.per_host = 1;
    fx_start(&f, &c);
    support_server_push(f.srv, &(struct support_server_reply){
                                   .status = 503, .headers = {{"retry-after-ms", "1500"}}});
    support_server_set_default(f.srv, &(struct support_server_reply){.delay_ms = 500});
    struct got g[6];
    memset(g, 0, sizeof g);
    get(&f, "/retrying", &g[0]);
    int64_t end = support_mono_ms() + 2000;
    while (f.log.n < 1 && support_mono_ms() < end)
        loop_run_once(f.loop, 10);
    get(&f, "/running", &g[1]);
    get(&f, "/queued1", &g[2]);
    post(&f, "/queued2", false, &g[3]);
    while (support_server_count(f.srv) < 2 && support_mono_ms() < end)
        loop_run_once(f.loop, 10);
    /* One ending without a transfer, its completion not yet run. */
    struct http_request bad = {.method = "GET", .url = "ftp://x/"};
    http_send(f.http, &bad, on_done, &g[4]);
    assert_int_equal(http_pending(f.http), 5);
    http_destroy(f.http);
    f.http = NULL;
    run_for(&f, 100);
    for (int i = 0; i < 6; i++)
        assert_int_equal(g[i].calls, 0);
    fx_stop(&f);
}

static void test_destroy_from_callback(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    c.per_host = 1;
    fx_start(&f, &c);
    struct got a = {0}, b = {0}, cc = {0};
    a.destroy = f.http;
    get(&f, "/a", &a);
    get(&f, "/b", &b);
    get(&f, "/c", &cc);
    run_until(&f, &a.calls, 1, 3000);
    f.http = NULL;
    run_for(&f, 100);
    assert_int_equal(b.calls + cc.calls, 0);
    got_free(&a);
    fx_stop(&f);
}

struct chain {
    struct fx *f;
    struct got g;
    int sent;
};

static void on_chain(struct http_result *r, void *arg)
{
    struct chain *ch = arg;
    ch->g.calls++;
    assert_int_equal(r->err, CORE_OK);
    if (ch->sent < 3) {
        ch->sent++;
        struct http_request req = {.method = "GET", .url = u(ch->f, "/next")};
        http_send(ch->f->http, &req, on_chain, ch);
    }
}

static void test_keepalive_and_chained_sends(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    struct chain ch = {.f = &f};
    struct http_request req = {.method = "GET", .url = u(&f, "/first")};
    http_send(f.http, &req, on_chain, &ch);
    run_until(&f, &ch.g.calls, 4, 3000);
    assert_int_equal(support_server_count(f.srv), 4);
    /* Four requests one after another, one connection. */
    assert_int_equal(support_server_connections(f.srv), 1);
    fx_stop(&f);
}

struct tlsfx {
    struct support_tlsca ca;
    char *ca_file;
    struct fx f;
    int port;
};

/* A TLS server whose certificate (vault.test, 127.0.0.1) comes from a CA made here. */
static void tls_start(struct tlsfx *t)
{
    memset(t, 0, sizeof *t);
    assert_int_equal(support_tlsca_make(&t->ca, "vault.test"), 0);
    t->ca_file = support_tlsca_write(t->ca.ca_pem);
    assert_non_null(t->ca_file);
    t->f.srv = support_server_start(t->ca.cert_pem, t->ca.key_pem);
    assert_non_null(t->f.srv);
    t->port = support_server_port(t->f.srv);
    t->f.loop = loop_create(NULL);
    assert_non_null(t->f.loop);
}

static void tls_stop(struct tlsfx *t)
{
    support_server_stop(t->f.srv);
    loop_destroy(t->f.loop);
    unlink(t->ca_file);
    free(t->ca_file);
    support_tlsca_cleanup(&t->ca);
}

/* One GET of https://host:PORT/keys through a transport made with c. */
static void tls_get(struct tlsfx *t, const struct http_config *c, const char *host, struct got *g)
{
    char url[128];
    snprintf(url, sizeof url, "https://%s:%d/keys", host, t->port);
    t->f.http = http_create(t->f.loop, c, NULL);
    assert_non_null(t->f.http);
    struct http_request req = {.method = "GET", .url = url};
    http_send(t->f.http, &req, on_done, g);
    run_until(&t->f, &g->calls, 1, 5000);
    http_destroy(t->f.http);
    t->f.http = NULL;
}

static void test_tls_untrusted(void **state)
{
    (void)state;
    struct tlsfx t;
    tls_start(&t);
    /* The system's CAs do not know this one; an untrusted certificate does not heal. */
    struct http_config c = cfg();
    struct got g = {0};
    tls_get(&t, &c, "127.0.0.1", &g);
    assert_int_equal(g.err, CORE_ERR_TLS);
    assert_int_equal(g.attempts, 1);
    assert_non_null(g.cause);
    got_free(&g);
    /* Trusted CA, but a name the certificate does not carry. */
    char resolve[64];
    snprintf(resolve, sizeof resolve, "other.test:%d:127.0.0.1", t.port);
    const char *entries[] = {resolve, NULL};
    c.ca_file = t.ca_file;
    c.resolve = entries;
    tls_get(&t, &c, "other.test", &g);
    assert_int_equal(g.err, CORE_ERR_TLS);
    assert_int_equal(g.attempts, 1);
    got_free(&g);
    assert_int_equal(support_server_count(t.f.srv), 0);
    tls_stop(&t);
}

static void test_tls_trusted(void **state)
{
    (void)state;
    struct tlsfx t;
    tls_start(&t);
    char resolve[64];
    snprintf(resolve, sizeof resolve, "vault.test:%d:127.0.0.1", t.port);
    const char *entries[] = {resolve, NULL};
    struct http_config c = cfg();
    c.ca_file = t.ca_file;
    c.resolve = entries;
    struct got g = {0};
    tls_get(&t, &c, "127.0.0.1", &g);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 200);
    assert_true(g.timing.tls_us >= g.timing.connect_us && g.timing.tls_us > 0);
    assert_true(g.timing.total_us >= g.timing.tls_us);
    got_free(&g);
    /* A name pinned with a resolve entry. */
    tls_get(&t, &c, "vault.test", &g);
    if (g.err != CORE_OK)
        fail_msg("vault.test: %s", g.cause);
    assert_int_equal(g.status, 200);
    got_free(&g);
    assert_int_equal(support_server_count(t.f.srv), 2);
    tls_stop(&t);
}

/*
 * The Date header and libcurl's phase timing of the attempt: a delayed answer
 * shows in total; a fresh connection shows its connect even when one to the
 * host is open; a transfer that never ran has no timing.
 */
static void test_timing_and_date(void **state)
{
    (void)state;
    struct fx f;
    struct http_config c = cfg();
    fx_start(&f, &c);
    support_server_push(
        f.srv, &(struct support_server_reply){
                   .headers = {{"Date", "Tue, 15 Nov 1994 08:12:31 GMT"}}, .delay_ms = 200});
    struct got g = {0};
    get(&f, "/", &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_string_equal(g.date, "Tue, 15 Nov 1994 08:12:31 GMT");
    assert_true(g.timing.dns_us >= 0);
    assert_true(g.timing.connect_us >= g.timing.dns_us);
    assert_int_equal(g.timing.tls_us, 0); /* plain http: no handshake */
    assert_true(g.timing.total_us >= 200000);
    got_free(&g);
    /* Kept alive, then asked for a fresh connection: it connects again. */
    struct http_request req = {.method = "GET", .url = u(&f, "/"), .fresh_connection = true};
    http_send(f.http, &req, on_done, &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_OK);
    assert_true(g.timing.connect_us > 0);
    assert_true(g.timing.total_us < 200000);
    got_free(&g);
    assert_int_equal(support_server_connections(f.srv), 2);
    /* Refused by the gate before any transfer: no timing. */
    http_set_read_only(f.http, true);
    post(&f, "/x", false, &g);
    run_until(&f, &g.calls, 1, 3000);
    assert_int_equal(g.err, CORE_ERR_REFUSED);
    assert_int_equal(g.timing.total_us, -1);
    assert_null(g.date);
    got_free(&g);
    fx_stop(&f);
}

int main(void)
{
    /* The tests talk to loopback and to names pinned with resolve entries: no proxy. */
    const char *proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_degenerate),
        cmocka_unit_test(test_invalid_requests),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_sent),
        cmocka_unit_test(test_methods_and_bodies),
        cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_503_retry_after_then_ok),
        cmocka_unit_test(test_429_retries),
        cmocka_unit_test(test_post_not_blindly_retried),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_read_only_switched),
        cmocka_unit_test(test_http1_host_one_connection),
        cmocka_unit_test(test_per_host_limit),
        cmocka_unit_test(test_plain_http_hosts),
        cmocka_unit_test(test_other_host_not_blocked),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_destroy_in_flight),
        cmocka_unit_test(test_destroy_from_callback),
        cmocka_unit_test(test_keepalive_and_chained_sends),
        cmocka_unit_test(test_tls_untrusted),
        cmocka_unit_test(test_tls_trusted),
        cmocka_unit_test(test_timing_and_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
