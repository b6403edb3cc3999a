/* Unit tests for core/authentra: the token request on the wire, against a scripted server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "authentra.h"
#include "http.h"
#include "loop.h"
#include "support_server.h"
#include "xmem.h"

#define TENANT "3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10"
#define CLIENT "11111111-1111-4111-8111-111111111111"
#define SCOPE  "https://vault.azure.net/.default"

struct fx {
    struct support_server *server;
    struct loop *loop;
    struct http *http;
    char *authority;
};

struct outcome {
    int calls;
    enum core_err err;
    char *token;
    int64_t expires_on;
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
    fx->authority = xasprintf("http://127.0.0.1:%d", support_server_port(fx->server));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    http_destroy(fx->http);
    loop_destroy(fx->loop);
    support_server_stop(fx->server);
    free(fx->authority);
    free(fx);
    return 0;
}

static void on_done(struct authprov_token *tok, enum core_err err, const char *cause, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->err = err;
    if (tok) {
        o->token = xstrdup(tok->access_token);
        o->expires_on = tok->expires_on;
    }
    o->cause = xstrdup_or_null(cause);
}

static void run(struct fx *fx, const struct authentra_request *req, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    char *cause = NULL;
    struct authentra_call *c = authentra_send(fx->loop, fx->http, req, on_done, o, &cause);
    if (c == NULL)
        fail_msg("%s", cause);
    assert_int_equal(o->calls, 0);
    for (int i = 0; i < 400 && o->calls == 0; i++)
        loop_run_once(fx->loop, 50);
    assert_int_equal(o->calls, 1);
}

static void outcome_free(struct outcome *o)
{
    free(o->token);
    free(o->cause);
    memset(o, 0, sizeof *o);
}

static void test_token_url(void **state)
{
    (void)state;
    char *u = authentra_token_url("https://login.microsoftonline.com", TENANT);
    assert_string_equal(u, "https://login.microsoftonline.com/" TENANT "/oauth2/v2.0/token");
    free(u);
}

static void test_refused_locally(void **state)
{
    struct fx *fx = *state;
    struct authentra_request bad[] = {
        {NULL, TENANT, CLIENT, SCOPE, NULL, "s", NULL},
        {fx->authority, "", CLIENT, SCOPE, NULL, "s", NULL},
        {fx->authority, TENANT, NULL, SCOPE, NULL, "s", NULL},
        {fx->authority, TENANT, CLIENT, NULL, NULL, "s", NULL},
        {fx->authority, TENANT, CLIENT, SCOPE, NULL, NULL, NULL},
        {fx->authority, TENANT, CLIENT, SCOPE, NULL, "", ""},
    };
    struct outcome o = {0};
    size_t before = support_server_count(fx->server);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cause = NULL;
        assert_null(authentra_send(fx->loop, fx->http, &bad[i], on_done, &o, &cause));
        assert_non_null(cause);
        free(cause);
    }
    loop_run_once(fx->loop, 10);
    assert_int_equal(o.calls, 0);
    assert_int_equal(support_server_count(fx->server), before);
}

static void test_secret_on_the_wire(void **state)
{
    struct fx *fx = *state;
    struct support_server_reply r = {
        .body = "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"tok-1\"}"};
    support_server_push(fx->server, &r);
    size_t i = support_server_count(fx->server);
    struct authentra_request req = {fx->authority, TENANT, CLIENT, SCOPE, NULL, "p&ss=w rd+", NULL};
    struct outcome o;
    int64_t now = (int64_t)time(NULL);
    run(fx, &req, &o);
    assert_int_equal(o.err, CORE_OK);
    assert_string_equal(o.token, "tok-1");
    assert_true(o.expires_on >= now + 3599 && o.expires_on <= now + 3605);
    assert_string_equal(support_server_method(fx->server, i), "POST");
    assert_string_equal(support_server_path(fx->server, i), "/" TENANT "/oauth2/v2.0/token");
    assert_string_equal(support_server_header(fx->server, i, "Content-Type"),
                        "application/x-www-form-urlencoded");
    assert_string_equal(support_server_body(fx->server, i),
                        "grant_type=client_credentials&client_id=" CLIENT
                        "&scope=https%3A%2F%2Fvault.azure.net%2F.default"
                        "&client_secret=p%26ss%3Dw%20rd%2B");
    outcome_free(&o);
}

static void test_assertion_and_claims_on_the_wire(void **state)
{
    struct fx *fx = *state;
    struct support_server_reply r = {.body = "{\"expires_in\":\"60\",\"access_token\":\"tok-2\"}"};
    support_server_push(fx->server, &r);
    size_t i = support_server_count(fx->server);
    struct authentra_request req = {fx->authority,
                                    TENANT,
                                    CLIENT,
                                    SCOPE,
                                    "{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}",
                                    NULL,
                                    "eyJh.eyJi.c2ln"};
    struct outcome o;
    run(fx, &req, &o);
    assert_int_equal(o.err, CORE_OK);
    assert_string_equal(support_server_body(fx->server, i),
                        "grant_type=client_credentials&client_id=" CLIENT
                        "&scope=https%3A%2F%2Fvault.azure.net%2F.default"
                        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-"
                        "type%3Ajwt-bearer&client_assertion=eyJh.eyJi.c2ln"
                        "&claims=%7B%22access_token%22%3A%7B%22xms_cc%22%3A%7B%22values%22%3A%5B%"
                        "22CP1%22%5D%7D%7D%7D");
    outcome_free(&o);
}

static void test_failures(void **state)
{
    struct fx *fx = *state;
    struct authentra_request req = {fx->authority, TENANT,         CLIENT, SCOPE,
                                    NULL,          "my-secret-Q1", NULL};
    struct outcome o;
    /* Entra's refusal. */
    struct support_server_reply r = {
        .status = 401,
        .body =
            "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client "
            "secret provided (my-secret-Q1).\\r\\nTrace ID: x\",\"error_codes\":[7000215]}"};
    support_server_push(fx->server, &r);
    run(fx, &req, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(o.token);
    assert_non_null(strstr(o.cause, "AADSTS7000215"));
    assert_null(strstr(o.cause, "my-secret-Q1"));
    outcome_free(&o);
    /* A gateway's HTML. */
    struct support_server_reply gw = {.status = 502, .body = "<html>bad gateway</html>"};
    support_server_push(fx->server, &gw);
    run(fx, &req, &o);
    assert_int_equal(o.err, CORE_ERR_HTTP);
    outcome_free(&o);
    /* A 200 that is not a token. */
    struct support_server_reply junk = {.body = "{\"access_token\":7}"};
    support_server_push(fx->server, &junk);
    run(fx, &req, &o);
    assert_int_equal(o.err, CORE_ERR_PARSE);
    outcome_free(&o);
    /* No answer at all (twice: libcurl itself retries once on a reused connection). */
    struct support_server_reply drop = {.drop = true};
    support_server_push(fx->server, &drop);
    support_server_push(fx->server, &drop);
    run(fx, &req, &o);
    assert_int_not_equal(o.err, CORE_OK);
    if (strstr(o.cause, "Entra ID could not be reached") == NULL)
        fail_msg("%s: %s", core_err_name(o.err), o.cause);
    outcome_free(&o);
}

static void test_cancel(void **state)
{
    struct fx *fx = *state;
    struct support_server_reply r = {.body = "{\"expires_in\":60,\"access_token\":\"t\"}",
                                     .delay_ms = 200};
    support_server_push(fx->server, &r);
    struct authentra_request req = {fx->authority, TENANT, CLIENT, SCOPE, NULL, "s", NULL};
    struct outcome o = {0};
    struct authentra_call *c = authentra_send(fx->loop, fx->http, &req, on_done, &o, NULL);
    assert_non_null(c);
    loop_run_once(fx->loop, 10);
    authentra_cancel(c);
    authentra_cancel(NULL);
    for (int i = 0; i < 10; i++)
        loop_run_once(fx->loop, 50);
    assert_int_equal(o.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_url),
        cmocka_unit_test(test_refused_locally),
        cmocka_unit_test(test_secret_on_the_wire),
        cmocka_unit_test(test_assertion_and_claims_on_the_wire),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
