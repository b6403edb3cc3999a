/* Unit tests for core/authmi: managed-identity URLs, headers, the IMDS probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authmi.h"
#include "http.h"
#include "loop.h"
#include "support_server.h"
#include "xmem.h"

#define RESOURCE "https://vault.azure.net"
#define OK_BODY                                                                             \
    "{\"access_token\":\"mi-token\",\"expires_in\":\"3600\",\"expires_on\":\"1700003600\"," \
    "\"resource\":\"https://vault.azure.net\",\"token_type\":\"Bearer\"}"

struct fx {
    struct support_server *server;
    struct loop *loop;
    struct http *http;
    char *base;
};

struct outcome {
    int calls;
    enum core_err err;
    char *token;
    char *cause;
};

static int setup(void **state)
{
    struct fx *fx = xcalloc(1, sizeof *fx);
    fx->server = support_server_start(NULL, NULL);
    fx->loop = loop_create(NULL);
    struct http_config hc = {.max_attempts = 1};
    fx->http = fx->loop ? http_create(fx->loop, &hc, NULL) : NULL;
    if (fx->server == NULL || fx->http == NULL)
        return -1;
    fx->base = xasprintf("http://127.0.0.1:%d", support_server_port(fx->server));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    http_destroy(fx->http);
    loop_destroy(fx->loop);
    support_server_stop(fx->server);
    free(fx->base);
    free(fx);
    return 0;
}

static void on_done(struct authprov_token *tok, enum core_err err, const char *cause, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->err = err;
    o->token = tok ? xstrdup(tok->access_token) : NULL;
    o->cause = xstrdup_or_null(cause);
}

static void outcome_free(struct outcome *o)
{
    free(o->token);
    free(o->cause);
    memset(o, 0, sizeof *o);
}

static void run(struct fx *fx, const struct authmi_request *req, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    struct authmi_call *c = authmi_send(fx->loop, fx->http, req, on_done, o);
    assert_non_null(c);
    assert_int_equal(o->calls, 0);
    for (int i = 0; i < 400 && o->calls == 0; i++)
        loop_run_once(fx->loop, 50);
    assert_int_equal(o->calls, 1);
}

static void url_is(const struct authmi_request *req, const char *want)
{
    char *u = authmi_url(req);
    assert_string_equal(u, want);
    free(u);
}

static void test_urls(void **state)
{
    (void)state;
    struct authmi_request r = {.resource = RESOURCE};
    url_is(&r, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
               "&resource=https%3A%2F%2Fvault.azure.net");
    r.imds_endpoint = "http://localhost:40342//";
    r.client_id = "77777777-7777-4777-8777-777777777777";
    url_is(&r, "http://localhost:40342/metadata/identity/oauth2/token?api-version=2018-02-01"
               "&resource=https%3A%2F%2Fvault.azure.net"
               "&client_id=77777777-7777-4777-8777-777777777777");
    /* App Service wins when both of its variables are set. */
    r.identity_endpoint = "http://127.0.0.1:41741/msi/token";
    url_is(&r, "http://localhost:40342/metadata/identity/oauth2/token?api-version=2018-02-01"
               "&resource=https%3A%2F%2Fvault.azure.net"
               "&client_id=77777777-7777-4777-8777-777777777777");
    r.identity_header = "secret";
    r.client_id = NULL;
    url_is(&r, "http://127.0.0.1:41741/msi/token?api-version=2019-08-01"
               "&resource=https%3A%2F%2Fvault.azure.net");
    r.identity_endpoint = "http://127.0.0.1:41741/msi/token?x=1";
    url_is(&r, "http://127.0.0.1:41741/msi/token?x=1&api-version=2019-08-01"
               "&resource=https%3A%2F%2Fvault.azure.net");
    struct authmi_request empty = {0};
    url_is(&empty, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
                   "&resource=");
}

static void test_imds_with_probe(void **state)
{
    struct fx *fx = *state;
    struct support_server_reply reply = {.body = OK_BODY};
    support_server_push(fx->server, &reply);
    size_t i = support_server_count(fx->server);
    struct authmi_request r = {.imds_endpoint = fx->base, .resource = RESOURCE, .probe = true};
    struct outcome o;
    run(fx, &r, &o);
    if (o.err != CORE_OK)
        fail_msg("%s", o.cause);
    assert_string_equal(o.token, "mi-token");
    assert_string_equal(support_server_method(fx->server, i), "GET");
    assert_string_equal(support_server_path(fx->server, i), "/metadata/identity/oauth2/token");
    assert_string_equal(support_server_header(fx->server, i, "Metadata"), "true");
    assert_null(support_server_header(fx->server, i, "X-IDENTITY-HEADER"));
    outcome_free(&o);
}

static void test_app_service(void **state)
{
    struct fx *fx = *state;
    struct support_server_reply reply = {.body = OK_BODY};
    support_server_push(fx->server, &reply);
    size_t i = support_server_count(fx->server);
    char *endpoint = xasprintf("%s/msi/token", fx->base);
    struct authmi_request r = {.identity_endpoint = endpoint,
                               .identity_header = "hdr-secret-7",
                               .resource = RESOURCE,
                               .probe = true};
    struct outcome o;
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_OK);
    assert_string_equal(support_server_path(fx->server, i), "/msi/token");
    assert_string_equal(support_server_header(fx->server, i, "X-IDENTITY-HEADER"), "hdr-secret-7");
    assert_null(support_server_header(fx->server, i, "Metadata"));
    outcome_free(&o);
    /* A refusal that repeats the header does not put it in the cause. */
    struct support_server_reply no = {
        .status = 401, .body = "{\"statusCode\":401,\"message\":\"bad header hdr-secret-7\"}"};
    support_server_push(fx->server, &no);
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(strstr(o.cause, "hdr-secret-7"));
    outcome_free(&o);
    free(endpoint);
}

static void test_probe_refused(void **state)
{
    struct fx *fx = *state;
    size_t before = support_server_count(fx->server);
    uint64_t sent = http_stats(fx->http).requests;
    struct authmi_request r = {
        .imds_endpoint = "http://127.0.0.1:1", .resource = RESOURCE, .probe = true};
    struct outcome o;
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_ERR_NETWORK);
    assert_non_null(strstr(o.cause, "no managed identity endpoint at 127.0.0.1:1"));
    assert_int_equal(http_stats(fx->http).requests, sent); /* the probe sent no request */
    outcome_free(&o);
    /* [::1] is probed too. */
    r.imds_endpoint = "http://[::1]:1";
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_ERR_NETWORK);
    assert_non_null(strstr(o.cause, "[::1]:1"));
    outcome_free(&o);
    /* Without the probe the transport tries, and says why it failed. */
    r.imds_endpoint = "http://127.0.0.1:1";
    r.probe = false;
    run(fx, &r, &o);
    assert_int_not_equal(o.err, CORE_OK);
    assert_non_null(strstr(o.cause, "could not be reached"));
    outcome_free(&o);
    assert_int_equal(support_server_count(fx->server), before);
}

static void test_named_host_not_probed(void **state)
{
    struct fx *fx = *state;
    /* A name would need DNS to probe: the request goes straight to the transport. */
    char *endpoint = xasprintf("http://localhost:%d", support_server_port(fx->server));
    struct support_server_reply reply = {.body = OK_BODY};
    support_server_push(fx->server, &reply);
    uint64_t before = http_stats(fx->http).requests;
    struct authmi_request r = {.imds_endpoint = endpoint, .resource = RESOURCE, .probe = true};
    struct outcome o;
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_OK);
    assert_int_equal(http_stats(fx->http).requests, before + 1);
    outcome_free(&o);
    free(endpoint);
}

static void test_errors(void **state)
{
    struct fx *fx = *state;
    struct authmi_request r = {.imds_endpoint = fx->base, .resource = RESOURCE};
    struct support_server_reply notfound = {
        .status = 400,
        .body = "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}"};
    support_server_push(fx->server, &notfound);
    struct outcome o;
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "Identity not found"));
    outcome_free(&o);
    struct support_server_reply junk = {.body =
                                            "{\"access_token\":\"x\",\"expires_in\":\"later\"}"};
    support_server_push(fx->server, &junk);
    run(fx, &r, &o);
    assert_int_equal(o.err, CORE_ERR_PARSE);
    outcome_free(&o);
}

static void test_cancel(void **state)
{
    struct fx *fx = *state;
    struct outcome o = {0};
    /* During the probe ... */
    struct authmi_request r = {.imds_endpoint = fx->base, .resource = RESOURCE, .probe = true};
    struct authmi_call *c = authmi_send(fx->loop, fx->http, &r, on_done, &o);
    authmi_cancel(c);
    /* ... and during the request. */
    struct support_server_reply slow = {.body = OK_BODY, .delay_ms = 200};
    support_server_push(fx->server, &slow);
    r.probe = false;
    c = authmi_send(fx->loop, fx->http, &r, on_done, &o);
    loop_run_once(fx->loop, 20);
    authmi_cancel(c);
    authmi_cancel(NULL);
    for (int i = 0; i < 10; i++)
        loop_run_once(fx->loop, 50);
    assert_int_equal(o.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_imds_with_probe),
        cmocka_unit_test(test_app_service),
        cmocka_unit_test(test_probe_refused),
        cmocka_unit_test(test_named_host_not_probed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
