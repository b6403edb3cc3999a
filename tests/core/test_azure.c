/*
 * Unit tests of core/azure.c, the authenticated pipeline, against a scripted
 * TLS server (support_server) that plays Entra ID, ARM and a vault at once
 * (names *.x.test pinned to 127.0.0.1): the Key Vault challenge flow, a
 * challenge that names another host, ARM's token refresh on 401, pages and
 * the hosts nextLink may point to, long-running operations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "azure.h"
#include "cloud.h"
#include "http.h"
#include "loop.h"
#include "support_server.h"
#include "support_tlsca.h"
#include "xmem.h"

#define TENANT "4a6f7c1e-0d2b-4e8a-9c3f-5b1d2e3f4a5b"
#define TOKEN_BODY                                                            \
    "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599," \
    "\"access_token\":\"tok-1\"}"

struct fx {
    struct support_tlsca ca;
    char *ca_file;
    struct support_server *srv;
    int port;
    char resolve[3][64];
    const char *resolve_list[4];
    struct loop *loop;
    struct http *http;
    struct cloud *cloud;
    struct auth *auth;
    struct azure *az;
    char base[64]; /* https://%s.x.test:PORT prefix without the host label */
};

struct got {
    int calls;
    enum core_err err;
    long status;
    char *body;
    char *error;
    char *code;
};

static struct fx F;

static char *url(const char *host, const char *path)
{
    return xasprintf("https://%s.x.test:%d%s", host, F.port, path);
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    assert_int_equal(support_tlsca_make(&F.ca, "*.x.test"), 0);
    F.ca_file = support_tlsca_write(F.ca.ca_pem);
    F.srv = support_server_start(F.ca.cert_pem, F.ca.key_pem);
    assert_non_null(F.srv);
    F.port = support_server_port(F.srv);
    const char *hosts[] = {"login", "management", "kv1"};
    for (int i = 0; i < 3; i++) {
        snprintf(F.resolve[i], sizeof F.resolve[i], "%s.x.test:%d:127.0.0.1", hosts[i], F.port);
        F.resolve_list[i] = F.resolve[i];
    }
    F.loop = loop_create(NULL);
    struct http_config hc = {
        .ca_file = F.ca_file, .resolve = F.resolve_list, .timeout_ms = 5000, .retry_base_ms = 10};
    F.http = http_create(F.loop, &hc, NULL);
    char *authority = url("login", ""), *arm = url("management", "");
    char *vault = xasprintf("https://x.test:%d", F.port);
    F.cloud = cloud_custom(authority, arm, vault, NULL);
    free(authority);
    free(arm);
    free(vault);
    assert_non_null(F.cloud);
    struct auth_config ac = {.mode = AUTH_SECRET,
                             .tenant_id = TENANT,
                             .client_id = "11111111-2222-4333-8444-555555555555",
                             .client_secret = "s3cret"};
    F.auth = auth_create(F.loop, F.http, F.cloud, &ac, NULL);
    assert_non_null(F.auth);
    F.az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    azure_destroy(F.az);
    auth_destroy(F.auth);
    http_destroy(F.http);
    loop_destroy(F.loop);
    cloud_destroy(F.cloud);
    support_server_stop(F.srv);
    unlink(F.ca_file);
    free(F.ca_file);
    support_tlsca_cleanup(&F.ca);
    return 0;
}

static void got_free(struct got *g)
{
    free(g->body);
    free(g->error);
    free(g->code);
    memset(g, 0, sizeof *g);
}

static void on_reply(const struct az_reply *r, void *arg)
{
    struct got *g = arg;
    g->calls++;
    g->err = r->st.err;
    g->status = r->st.status;
    g->body = xstrdup(r->body);
    g->error = xstrdup_or_null(r->st.error);
    g->code = xstrdup_or_null(r->st.code);
}

static void run_until(const int *calls, int want, int ms)
{
    for (int waited = 0; *calls < want; waited += 20) {
        if (waited > ms)
            fail_msg("no answer within %d ms", ms);
        loop_run_once(F.loop, 20);
    }
}

static void push(unsigned status, const char *body, const char *h1, const char *v1, const char *h2,
                 const char *v2)
{
    struct support_server_reply r = {.status = status, .body = body};
    r.headers[0].name = h1;
    r.headers[0].value = v1;
    r.headers[1].name = h2;
    r.headers[1].value = v2;
    support_server_push(F.srv, &r);
}

static char *challenge(const char *resource_host)
{
    return xasprintf("Bearer authorization=\"https://login.x.test:%d/%s\", "
                     "resource=\"https://%s:%d\"",
                     F.port, TENANT, resource_host, F.port);
}

/* -- Key Vault: the challenge ----------------------------------------------------------------- */

static void test_vault_challenge_flow(void **state)
{
    (void)state;
    size_t before = support_server_count(F.srv);
    char *www = challenge("x.test");
    push(401, "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000\"}}",
         "WWW-Authenticate", www, NULL, NULL);
    push(200, TOKEN_BODY, NULL, NULL, NULL, NULL);
    push(200, "{\"value\":\"done\"}", NULL, NULL, NULL, NULL);
    char *u = url("kv1", "/keys/k1/create?api-version=2025-07-01");
    struct got g = {0};
    azure_send(F.az, AZ_VAULT, "POST", u, "{\"kty\":\"RSA\"}", false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_string_equal(g.body, "{\"value\":\"done\"}");
    assert_int_equal(support_server_count(F.srv), before + 3);
    /* The first request went without a token and without its body. */
    assert_string_equal(support_server_method(F.srv, before), "POST");
    assert_null(support_server_header(F.srv, before, "Authorization"));
    assert_string_equal(support_server_body(F.srv, before), "");
    /* Then the token, for the scope the challenge named ... */
    assert_string_equal(support_server_path(F.srv, before + 1), "/" TENANT "/oauth2/v2.0/token");
    assert_non_null(strstr(support_server_body(F.srv, before + 1), "scope=https%3A%2F%2Fx.test"));
    /* ... and the request again, with both. */
    assert_string_equal(support_server_header(F.srv, before + 2, "Authorization"), "Bearer tok-1");
    assert_string_equal(support_server_body(F.srv, before + 2), "{\"kty\":\"RSA\"}");
    got_free(&g);

    /* The challenge and the token are remembered: one request next time. */
    push(200, "{}", NULL, NULL, NULL, NULL);
    azure_send(F.az, AZ_VAULT, "GET", u, NULL, false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(support_server_count(F.srv), before + 4);
    assert_string_equal(support_server_header(F.srv, before + 3, "Authorization"), "Bearer tok-1");
    got_free(&g);
    free(u);
    free(www);
}

static void test_vault_challenge_for_another_host_is_refused(void **state)
{
    (void)state;
    size_t before = support_server_count(F.srv);
    char *www = challenge("evil.test");
    push(401, "{}", "WWW-Authenticate", www, NULL, NULL);
    struct got g = {0};
    char *u = xasprintf("https://kv1.x.test:%d/keys?api-version=2025-07-01", F.port);
    /* A new pipeline has learnt no challenge for this vault yet. */
    struct azure *az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    azure_send(az, AZ_VAULT, "GET", u, NULL, false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_REFUSED);
    assert_non_null(strstr(g.error, "does not match"));
    /* No token was asked for, and none was sent. */
    assert_int_equal(support_server_count(F.srv), before + 1);
    azure_destroy(az);
    got_free(&g);
    free(u);
    free(www);
}

static void test_vault_401_without_challenge(void **state)
{
    (void)state;
    push(401, "{}", NULL, NULL, NULL, NULL);
    struct got g = {0};
    struct azure *az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    char *u = url("kv1", "/keys?api-version=2025-07-01");
    azure_send(az, AZ_VAULT, "GET", u, NULL, false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_AUTH);
    assert_non_null(strstr(g.error, "without a usable challenge"));
    azure_destroy(az);
    got_free(&g);
    free(u);
}

/* -- ARM -------------------------------------------------------------------------------------- */

static void test_arm_refreshes_a_refused_token_once(void **state)
{
    (void)state;
    struct azure *az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    size_t before = support_server_count(F.srv);
    push(200, TOKEN_BODY, NULL, NULL, NULL, NULL); /* ARM scope: not cached yet */
    push(401, "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}", NULL,
         NULL, NULL, NULL);
    push(200, TOKEN_BODY, NULL, NULL, NULL, NULL);
    push(200, "{\"id\":\"x\"}", "x-ms-request-id", "req-42", NULL, NULL);
    char *u = url("management", "/subscriptions/s?api-version=2022-12-01");
    struct got g = {0};
    azure_send(az, AZ_ARM, "GET", u, NULL, false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(support_server_count(F.srv), before + 4);
    got_free(&g);

    /* A second 401 after the fresh token is the answer. */
    push(401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}", NULL,
         NULL, NULL, NULL);
    push(200, TOKEN_BODY, NULL, NULL, NULL, NULL);
    push(401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}", NULL,
         NULL, NULL, NULL);
    azure_send(az, AZ_ARM, "GET", u, NULL, false, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_AUTH);
    assert_int_equal(g.status, 401);
    assert_string_equal(g.code, "InvalidAuthenticationToken");
    got_free(&g);
    azure_destroy(az);
    free(u);
}

/* -- pages ------------------------------------------------------------------------------------ */

struct pages {
    int pages;
    int done;
    enum core_err err;
    char *error;
};

static int on_page(const char *body, size_t len, char **next, char **cause, void *arg)
{
    (void)len;
    (void)cause;
    struct pages *p = arg;
    p->pages++;
    const char *at = strstr(body, "\"nextLink\":\"");
    if (at) {
        at += 12;
        *next = xstrndup(at, strcspn(at, "\""));
    }
    return strstr(body, "\"value\"") ? 0 : -1;
}

static void on_pages_done(const struct az_status *st, void *arg)
{
    struct pages *p = arg;
    p->done++;
    p->err = st->err;
    p->error = xstrdup_or_null(st->error);
}

static void list(const char *first, unsigned max, struct pages *p)
{
    memset(p, 0, sizeof *p);
    azure_get_all(F.az, AZ_ARM, first, max, on_page, on_pages_done, p);
    run_until(&p->done, 1, 5000);
}

static void test_pages(void **state)
{
    (void)state;
    char *first = url("management", "/list?api-version=1");
    char *second = xasprintf("{\"value\":[],\"nextLink\":\"https://MANAGEMENT.x.test:%d/list?"
                             "api-version=1&$skiptoken=2\"}",
                             F.port);
    push(200, second, NULL, NULL, NULL, NULL);
    push(200, "{\"value\":[1],\"nextLink\":null}", NULL, NULL, NULL, NULL);
    struct pages p;
    list(first, 0, &p);
    assert_int_equal(p.err, CORE_OK);
    assert_int_equal(p.pages, 2);
    free(p.error);

    /* A nextLink to another host ends the list: no token goes there. */
    char *elsewhere =
        xasprintf("{\"value\":[],\"nextLink\":\"https://kv1.x.test:%d/steal\"}", F.port);
    size_t before = support_server_count(F.srv);
    push(200, elsewhere, NULL, NULL, NULL, NULL);
    list(first, 0, &p);
    assert_int_equal(p.err, CORE_ERR_PARSE);
    assert_non_null(strstr(p.error, "another host"));
    assert_int_equal(support_server_count(F.srv), before + 1);
    free(p.error);

    /* A service that never stops sending nextLink is stopped. */
    for (int i = 0; i < 3; i++)
        push(200, second, NULL, NULL, NULL, NULL);
    list(first, 3, &p);
    assert_int_equal(p.err, CORE_ERR_LIMIT);
    assert_int_equal(p.pages, 3);
    free(p.error);

    /* A page the parser refuses ends the list with PARSE. */
    push(200, "{\"nope\":1}", NULL, NULL, NULL, NULL);
    list(first, 0, &p);
    assert_int_equal(p.err, CORE_ERR_PARSE);
    free(p.error);
    free(elsewhere);
    free(second);
    free(first);
}

/* -- long-running operations ------------------------------------------------------------------ */

static void test_lro_async_operation(void **state)
{
    (void)state;
    char *u = url("management", "/things/t1?api-version=1");
    char *op = url("management", "/operations/op1?api-version=1");
    size_t before = support_server_count(F.srv);
    push(202, "", "Azure-AsyncOperation", op, "Retry-After", "1");
    push(200, "{\"status\":\"InProgress\"}", "Retry-After", "1", NULL, NULL);
    push(200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, NULL);
    push(200, "{\"id\":\"t1\",\"properties\":{\"done\":true}}", NULL, NULL, NULL, NULL);
    struct got g = {0};
    azure_lro(F.az, "PUT", u, "{\"properties\":{}}", 0, on_reply, &g);
    run_until(&g.calls, 1, 10000);
    assert_int_equal(g.err, CORE_OK);
    assert_string_equal(g.body, "{\"id\":\"t1\",\"properties\":{\"done\":true}}");
    assert_int_equal(support_server_count(F.srv), before + 4);
    assert_string_equal(support_server_method(F.srv, before), "PUT");
    assert_string_equal(support_server_path(F.srv, before + 1), "/operations/op1");
    assert_string_equal(support_server_method(F.srv, before + 3), "GET");
    assert_string_equal(support_server_path(F.srv, before + 3), "/things/t1");
    got_free(&g);

    /* A failed operation carries its error. */
    push(202, "", "Azure-AsyncOperation", op, "Retry-After", "1");
    push(200,
         "{\"status\":\"Failed\",\"error\":{\"code\":\"SameKeyMaterialNotFoundOnRemoteServer\","
         "\"message\":\"partner lacks the key\"}}",
         NULL, NULL, NULL, NULL);
    azure_lro(F.az, "PUT", u, "{}", 0, on_reply, &g);
    run_until(&g.calls, 1, 10000);
    assert_int_equal(g.err, CORE_ERR_HTTP);
    assert_string_equal(g.code, "SameKeyMaterialNotFoundOnRemoteServer");
    assert_non_null(strstr(g.error, "partner lacks the key"));
    got_free(&g);

    /* A status URL on another host is not followed. */
    char *elsewhere = url("kv1", "/operations/op1");
    before = support_server_count(F.srv);
    push(202, "", "Azure-AsyncOperation", elsewhere, NULL, NULL);
    azure_lro(F.az, "PUT", u, "{}", 0, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_PARSE);
    assert_int_equal(support_server_count(F.srv), before + 1);
    got_free(&g);
    free(elsewhere);
    free(op);
    free(u);
}

static void test_lro_location_post(void **state)
{
    (void)state;
    char *u = url("management", "/fog/failover?api-version=1");
    char *loc = url("management", "/operationResults/r1?api-version=1");
    push(202, "", "Location", loc, "Retry-After", "1");
    push(202, "", "Location", loc, "Retry-After", "1");
    push(200, "{\"name\":\"fog\",\"properties\":{\"replicationRole\":\"Primary\"}}", NULL, NULL,
         NULL, NULL);
    struct got g = {0};
    azure_lro(F.az, "POST", u, NULL, 0, on_reply, &g);
    run_until(&g.calls, 1, 10000);
    assert_int_equal(g.err, CORE_OK);
    assert_non_null(strstr(g.body, "replicationRole"));
    got_free(&g);

    /* Done at once: 200 with no polling headers. */
    push(200, "{\"ok\":true}", NULL, NULL, NULL, NULL);
    azure_lro(F.az, "POST", u, NULL, 0, on_reply, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_string_equal(g.body, "{\"ok\":true}");
    got_free(&g);
    free(loc);
    free(u);
}

/* -- cancel and destroy ----------------------------------------------------------------------- */

static void test_cancel_and_fail(void **state)
{
    (void)state;
    char *u = url("management", "/slow?api-version=1");
    struct got g = {0};
    struct az_call *c = azure_send(F.az, AZ_ARM, "GET", u, NULL, false, on_reply, &g);
    azure_cancel(c);
    /* A call that fails before sending calls back from the loop, never inline. */
    azure_fail(F.az, CORE_ERR_CONFIG, "bad key name", on_reply, &g);
    assert_int_equal(g.calls, 0);
    run_until(&g.calls, 1, 2000);
    assert_int_equal(g.err, CORE_ERR_CONFIG);
    assert_string_equal(g.error, "bad key name");
    got_free(&g);
    /* Destroying a pipeline with calls in flight calls nobody back and leaks nothing. */
    struct azure *az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    azure_send(az, AZ_ARM, "GET", u, NULL, false, on_reply, &g);
    azure_lro(az, "PUT", u, "{}", 0, on_reply, &g);
    azure_get_all(az, AZ_ARM, u, 0, on_page, on_pages_done, &(struct pages){0});
    azure_destroy(az);
    for (int i = 0; i < 20; i++)
        loop_run_once(F.loop, 20);
    assert_int_equal(g.calls, 0);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vault_challenge_flow),
        cmocka_unit_test(test_vault_challenge_for_another_host_is_refused),
        cmocka_unit_test(test_vault_401_without_challenge),
        cmocka_unit_test(test_arm_refreshes_a_refused_token_once),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_lro_async_operation),
        cmocka_unit_test(test_lro_location_post),
        cmocka_unit_test(test_cancel_and_fail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
