/*
 * Tests of core/auth against azsim itself (Entra ID's v2 token endpoint with
 * secrets and certificate assertions, IMDS, App Service) and against fake `az`
 * scripts: every provider, the default chain, the token cache (its rules on
 * their own clock: core.test_authcache).
 *
 * One azsim for the whole program (tests/core/data/auth.json, plus a
 * certificate generated here); its tokens live 303 s, so a token is fresh for
 * 3 s and renewal can be watched in real time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "cloud.h"
#include "http.h"
#include "json.h"
#include "loop.h"
#include "support.h"
#include "support_azsim.h"
#include "support_cert.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define TENANT     "3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10"
#define OPERATOR   "11111111-1111-4111-8111-111111111111"
#define SECRET     "core-auth-secret-Qm7vX2pL9sT4wZ8n"
#define CERT_APP   "88888888-8888-4888-8888-888888888888"
#define MI_OID     "a7777777-7777-4777-8777-777777777777"
#define BATCH_ID   "99999999-9999-4999-8999-999999999999"
#define BATCH_OID  "a9999999-9999-4999-8999-999999999999"
#define TOKEN_POST "/oauth2/v2.0/token"

static struct support_azsim *sim;
static const struct support_azsim_info *info;
static char *work; /* certificate files and fake az scripts */
static char *cert_path, *impostor_path, *az_ok, *az_slow, *az_fail, *az_count;

/* -- fixture ---------------------------------------------------------------------------------- */

struct fx {
    struct loop *loop;
    struct http *http;
    struct cloud *cloud;
    struct auth *auth;
};

struct outcome {
    int calls;
    enum core_err err;
    char *token;
    char *cause;
};

static char *scenario_text(const char *cert_pem)
{
    char *path = xasprintf("%s/tests/core/data/auth.json", TDECTL_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    free(path);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "principals"))
    {
        if (strcmp(cJSON_GetObjectItem(p, "name")->valuestring, "certapp") == 0)
            cJSON_AddStringToObject(p, "certificate", cert_pem);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    return text;
}

static char *script(const char *name, const char *body)
{
    char *text = xasprintf("#!/bin/sh\n%s\n", body);
    char *path = support_cert_file(work, name, text, 0700);
    free(text);
    assert_non_null(path);
    return path;
}

static void make_scripts(void)
{
    az_count = xasprintf("%s/az.count", work);
    char *body = xasprintf("n=$(( $(cat '%s' 2>/dev/null || echo 0) + 1 )); echo $n > '%s'\n"
                           "echo \"{\\\"accessToken\\\": \\\"cli-token-$n\\\", \\\"expires_on\\\": "
                           "$(( $(date +%%s) + 3600 )), \\\"tokenType\\\": \\\"Bearer\\\"}\"",
                           az_count, az_count);
    az_ok = script("az-ok", body);
    free(body);
    az_slow = script("az-slow", "exec sleep 30");
    az_fail = script("az-fail", "echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
                                "exit 1");
}

static int group_setup(void **state)
{
    (void)state;
    char *key = NULL, *cert = NULL, *okey = NULL, *ocert = NULL, *cause = NULL;
    if (support_cert_pair("core-auth-certapp", &key, &cert) < 0 ||
        support_cert_pair("core-auth-impostor", &okey, &ocert) < 0 ||
        (work = support_tmpdir_make()) == NULL)
        return -1;
    char *both = xasprintf("%s%s", key, cert);
    cert_path = support_cert_file(work, "certapp.pem", both, 0600);
    free(both);
    both = xasprintf("%s%s", okey, cert); /* the right certificate, the wrong key */
    impostor_path = support_cert_file(work, "impostor.pem", both, 0600);
    free(both);
    both = xasprintf("%s%s", okey, ocert);
    char *other = support_cert_file(work, "other.pem", both, 0600);
    free(both);
    free(other);
    char *text = scenario_text(cert);
    sim = support_azsim_start_text(text, NULL, &cause);
    free(text);
    free(key);
    free(cert);
    free(okey);
    free(ocert);
    if (sim == NULL) {
        fprintf(stderr, "azsim: %s\n", cause);
        free(cause);
        return -1;
    }
    info = support_azsim_info(sim);
    make_scripts();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int status = support_azsim_stop(sim);
    support_tmpdir_remove(work);
    free(work);
    free(cert_path);
    free(impostor_path);
    free(az_ok);
    free(az_slow);
    free(az_fail);
    free(az_count);
    return status == 0 ? 0 : -1;
}

/* loop, http (trusting azsim's CA), azsim's cloud and an auth made from cfg. */
static void fx_make_with(struct fx *fx, const struct auth_config *cfg, const struct http_config *hc)
{
    char *cause = NULL;
    fx->loop = loop_create(&cause);
    assert_non_null(fx->loop);
    fx->http = http_create(fx->loop, hc, &cause);
    if (fx->http == NULL)
        fail_msg("http: %s", cause);
    fx->cloud =
        cloud_custom(info->authority, info->management_resource, info->vault_resource, &cause);
    assert_non_null(fx->cloud);
    fx->auth = auth_create(fx->loop, fx->http, fx->cloud, cfg, &cause);
    if (fx->auth == NULL)
        fail_msg("auth: %s", cause);
}

static void fx_make(struct fx *fx, const struct auth_config *cfg)
{
    struct http_config hc = {.ca_file = info->ca_file};
    fx_make_with(fx, cfg, &hc);
}

static void fx_free(struct fx *fx)
{
    auth_destroy(fx->auth);
    http_destroy(fx->http);
    cloud_destroy(fx->cloud);
    loop_destroy(fx->loop);
}

static void outcome_free(struct outcome *o)
{
    free(o->token);
    free(o->cause);
    memset(o, 0, sizeof *o);
}

static void on_token(const char *token, enum core_err err, const char *cause, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->err = err;
    xstr_set(&o->token, token);
    xstr_set(&o->cause, cause);
}

/* Runs the loop until every outcome has been called back (or 30 s pass). */
static void run_until(struct fx *fx, struct outcome *o, size_t n)
{
    int64_t end = support_mono_ms() + 30000;
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += o[i].calls > 0;
        if (done == n || support_mono_ms() > end)
            break;
        loop_run_once(fx->loop, 50);
    }
}

static void run_for(struct fx *fx, int ms)
{
    int64_t end = support_mono_ms() + ms;
    while (support_mono_ms() < end)
        loop_run_once(fx->loop, 20);
}

/* One token request, run to its end; never answered inside auth_token. */
static void get(struct fx *fx, const char *tenant, const char *scope, const char *claims,
                struct outcome *o)
{
    outcome_free(o);
    struct auth_request *r = auth_token(fx->auth, tenant, scope, claims, on_token, o);
    assert_non_null(r);
    assert_int_equal(o->calls, 0);
    run_until(fx, o, 1);
    assert_int_equal(o->calls, 1);
}

static void expect_ok(const struct outcome *o)
{
    if (o->err != CORE_OK)
        fail_msg("%s: %s", core_err_name(o->err), o->cause);
    assert_non_null(o->token);
    assert_null(o->cause);
}

/* A claim of a JWT's payload (heap), or NULL. */
static char *claim(const char *jwt, const char *name)
{
    const char *p = strchr(jwt, '.');
    if (p == NULL)
        return NULL;
    p++;
    unsigned char *raw = NULL;
    size_t len = 0;
    if (json_b64_decode(p, strcspn(p, "."), &raw, &len) != 0)
        return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)raw, len);
    free(raw);
    const cJSON *v = cJSON_GetObjectItem(j, name);
    char *s = cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
    cJSON_Delete(j);
    return s;
}

static void expect_claim(const char *jwt, const char *name, const char *want)
{
    char *got = claim(jwt, name);
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("claim %s: %s, wanted %s", name, got ? got : "(none)", want);
    free(got);
}

static uint64_t requests(const struct fx *fx)
{
    return http_stats(fx->http).requests;
}

static int cli_runs(void)
{
    FILE *f = fopen(az_count, "r");
    int n = 0;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n;
}

/* -- providers -------------------------------------------------------------------------------- */

static const struct auth_config secret_config = {
    .mode = AUTH_SECRET, .tenant_id = TENANT, .client_id = OPERATOR, .client_secret = SECRET};

static void test_secret_arm_and_vault(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    assert_null(auth_source(fx.auth));
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "aud", info->management_resource);
    expect_claim(o.token, "appid", OPERATOR);
    expect_claim(o.token, "tid", TENANT);
    get(&fx, TENANT, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "aud", info->vault_resource);
    assert_string_equal(auth_source(fx.auth), "client secret");
    assert_int_equal(requests(&fx), 2);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_secret_with_resolve_and_read_only(void **state)
{
    (void)state;
    /* Names pinned with CURLOPT_RESOLVE; the read-only gate lets token requests through. */
    struct http_config hc = {.ca_file = info->ca_file, .resolve = info->resolve, .read_only = true};
    struct fx fx;
    fx_make_with(&fx, &secret_config, &hc);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    assert_int_equal(http_stats(fx.http).refused, 0);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_secret_refused(void **state)
{
    (void)state;
    struct auth_config cfg = secret_config;
    cfg.client_secret = "not-the-secret-8Kq2";
    struct fx fx;
    fx_make(&fx, &cfg);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(o.token);
    assert_non_null(strstr(o.cause, "AADSTS7000215"));
    assert_null(strstr(o.cause, "not-the-secret-8Kq2"));
    assert_null(auth_source(fx.auth));
    /* An unknown tenant. */
    get(&fx, "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a", fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "AADSTS"));
    /* A resource azsim does not serve. */
    get(&fx, NULL, "https://graph.localhost/.default", NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "AADSTS500011"));

    /* Each of the three is failing, with nothing cached; the newest cause is given. */
    struct auth_health h;
    auth_health(fx.auth, &h);
    assert_int_equal(h.signins, 3);
    assert_int_equal(h.failures, 3);
    assert_int_equal(h.failing, 3);
    assert_int_equal(h.last_ok_ms, 0);
    assert_true(h.last_fail_ms > 0 && h.failing_since_ms > 0 &&
                h.failing_since_ms <= h.last_fail_ms);
    assert_int_equal(h.err, CORE_ERR_AUTH);
    assert_non_null(strstr(h.cause, "AADSTS500011"));
    assert_null(strstr(h.cause, "not-the-secret-8Kq2"));
    assert_int_equal(h.token_left_ms, 0);
    assert_int_equal(h.cached_left_ms, -1);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_certificate(void **state)
{
    (void)state;
    struct auth_config cfg = {.mode = AUTH_CERTIFICATE,
                              .tenant_id = TENANT,
                              .client_id = CERT_APP,
                              .certificate_path = cert_path};
    struct fx fx;
    fx_make(&fx, &cfg);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "appid", CERT_APP);
    expect_claim(o.token, "aud", info->vault_resource);
    assert_string_equal(auth_source(fx.auth), "client certificate");
    fx_free(&fx);

    /* Signed by another key: Entra refuses the assertion. */
    cfg.certificate_path = impostor_path;
    cfg.mode = AUTH_CERTIFICATE;
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG); /* the key does not match its certificate */
    assert_non_null(strstr(o.cause, "matches"));
    fx_free(&fx);

    /* A file that is not there. */
    cfg.certificate_path = "/nonexistent/cert.pem";
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    assert_non_null(strstr(o.cause, "/nonexistent/cert.pem"));
    outcome_free(&o);
    fx_free(&fx);
}

static void test_certificate_unknown_to_entra(void **state)
{
    (void)state;
    /* A consistent key and certificate that azsim does not know for this app. */
    char *other = xasprintf("%s/other.pem", work);
    struct auth_config cfg = {.mode = AUTH_CERTIFICATE,
                              .tenant_id = TENANT,
                              .client_id = CERT_APP,
                              .certificate_path = other};
    struct fx fx;
    fx_make(&fx, &cfg);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "AADSTS700027"));
    outcome_free(&o);
    fx_free(&fx);
    free(other);
}

static void test_imds(void **state)
{
    (void)state;
    /* Pointed at azsim the way the Azure SDKs are: the pod identity variable. */
    setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", info->imds_url, 1);
    struct auth_config cfg = {.mode = AUTH_MANAGED_IDENTITY};
    auth_config_from_env(&cfg); /* cfg points into the environment until unsetenv */
    struct fx fx;
    fx_make(&fx, &cfg);
    const char *needles[] = {"imds 200 GET", "/metadata/identity/oauth2/token", NULL};
    int before = support_azsim_log_count(sim, needles);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "oid", MI_OID);
    expect_claim(o.token, "aud", info->vault_resource);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "aud", info->management_resource);
    assert_string_equal(auth_source(fx.auth), "managed identity");
    assert_int_equal(support_azsim_log_count(sim, needles), before + 2);
    fx_free(&fx);

    /* A user-assigned identity by client id; one that is not on this machine. */
    cfg.client_id = BATCH_ID;
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "oid", BATCH_OID);
    fx_free(&fx);
    cfg.client_id = "12121212-1212-4212-8212-121212121212";
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "Identity not found"));
    outcome_free(&o);
    fx_free(&fx);
    unsetenv("AZURE_POD_IDENTITY_AUTHORITY_HOST");
}

static void test_app_service(void **state)
{
    (void)state;
    /* As App Service sets it up; IMDS is not there (and not asked). */
    setenv("IDENTITY_ENDPOINT", info->app_service_url, 1);
    setenv("IDENTITY_HEADER", info->identity_header, 1);
    struct auth_config cfg = {.mode = AUTH_MANAGED_IDENTITY, .imds_endpoint = "http://127.0.0.1:1"};
    auth_config_from_env(&cfg);
    struct fx fx;
    fx_make(&fx, &cfg);
    const char *needles[] = {"imds 200 GET", "/msi/token", NULL};
    int before = support_azsim_log_count(sim, needles);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    expect_claim(o.token, "oid", MI_OID);
    assert_int_equal(support_azsim_log_count(sim, needles), before + 1);
    fx_free(&fx);

    /* A wrong X-IDENTITY-HEADER: refused, and the header is not repeated. */
    cfg.identity_header = "0123456789abcdef0123456789abcdef";
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(strstr(o.cause, "0123456789abcdef"));
    outcome_free(&o);
    fx_free(&fx);
    unsetenv("IDENTITY_ENDPOINT");
    unsetenv("IDENTITY_HEADER");
}

static void test_cli(void **state)
{
    (void)state;
    struct auth_config cfg = {.mode = AUTH_CLI, .az_command = az_ok};
    struct fx fx;
    fx_make(&fx, &cfg);
    int runs = cli_runs();
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    assert_int_equal(strncmp(o.token, "cli-token-", 10), 0);
    assert_int_equal(cli_runs(), runs + 1);
    assert_string_equal(auth_source(fx.auth), "Azure CLI");
    fx_free(&fx);

    cfg.az_command = az_slow;
    fx_make(&fx, &cfg);
    auth_set_cli_timeout(fx.auth, 300);
    int64_t t0 = support_mono_ms();
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_TIMEOUT);
    assert_true(support_mono_ms() - t0 < 5000);
    fx_free(&fx);

    cfg.az_command = az_fail;
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "ERROR: Please run 'az login' to setup account."));
    outcome_free(&o);
    fx_free(&fx);
}

/* -- the default chain ------------------------------------------------------------------------ */

static void test_chain_falls_through_to_cli(void **state)
{
    (void)state;
    /* Nothing configured for Entra, no IMDS (a closed port): the CLI serves. */
    struct auth_config cfg = {.imds_endpoint = "http://127.0.0.1:1", .az_command = az_ok};
    struct fx fx;
    fx_make(&fx, &cfg);
    int runs = cli_runs();
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    assert_string_equal(auth_source(fx.auth), "Azure CLI");
    assert_int_equal(cli_runs(), runs + 1);
    assert_int_equal(requests(&fx), 0); /* the probe is a TCP connect, not a request */
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    expect_ok(&o);
    assert_int_equal(cli_runs(), runs + 2);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_chain_order_and_stickiness(void **state)
{
    (void)state;
    /* A configured secret that is refused ends the chain: nothing else is asked. */
    struct auth_config refused = {.tenant_id = TENANT,
                                  .client_id = BATCH_ID,
                                  .client_secret = "whatever-secret-1",
                                  .imds_endpoint = info->imds_url,
                                  .az_command = az_ok};
    struct fx fx;
    fx_make(&fx, &refused);
    int runs = cli_runs();
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "client secret: "));
    assert_non_null(strstr(o.cause, "the other providers were not tried"));
    assert_null(strstr(o.cause, "whatever-secret-1"));
    assert_null(auth_source(fx.auth));
    assert_int_equal(requests(&fx), 1); /* the token request only: no IMDS */
    assert_int_equal(cli_runs(), runs);
    outcome_free(&o);
    fx_free(&fx);

    /* No secret: the managed identity (same client id) serves. */
    struct auth_config cfg = {.tenant_id = TENANT,
                              .client_id = BATCH_ID,
                              .imds_endpoint = info->imds_url,
                              .az_command = az_ok};
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    assert_string_equal(auth_source(fx.auth), "managed identity");
    expect_claim(o.token, "oid", BATCH_OID);
    assert_int_equal(cli_runs(), runs);

    /* From now on only the managed identity is asked: its failure is the answer. */
    char *fault =
        support_azsim_fault(sim, "{\"kind\":\"error\",\"target\":\"imds\",\"status\":400}");
    assert_non_null(fault);
    uint64_t before = requests(&fx);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    assert_int_not_equal(o.err, CORE_OK);
    assert_non_null(strstr(o.cause, "managed identity endpoint"));
    assert_int_equal(requests(&fx), before + 1); /* no secret request */
    assert_int_equal(cli_runs(), runs);
    assert_int_equal(support_azsim_clear_faults(sim, fault), 0);
    free(fault);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    expect_ok(&o);
    outcome_free(&o);
    fx_free(&fx);

    /* A working secret comes first. */
    struct auth_config first = secret_config;
    first.mode = AUTH_DEFAULT;
    first.imds_endpoint = info->imds_url;
    first.az_command = az_ok;
    fx_make(&fx, &first);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    assert_string_equal(auth_source(fx.auth), "client secret");
    assert_int_equal(cli_runs(), runs);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_chain_all_fail(void **state)
{
    (void)state;
    struct auth_config cfg = {.tenant_id = TENANT,
                              .client_id = OPERATOR,
                              .imds_endpoint = "http://127.0.0.1:1",
                              .az_command = az_fail};
    struct fx fx;
    fx_make(&fx, &cfg);
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(auth_source(fx.auth));
    const char *lines[] = {"no credential provider could get a token:\n",
                           "client secret: not configured (AZURE_CLIENT_SECRET",
                           "\nclient certificate: not configured (AZURE_CLIENT_CERTIFICATE_PATH",
                           "\nmanaged identity: no managed identity endpoint at 127.0.0.1:1",
                           "\nAzure CLI: az account get-access-token failed (exit 1): ERROR: "
                           "Please run 'az login'"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (strstr(o.cause, lines[i]) == NULL)
            fail_msg("[%s] lacks [%s]", o.cause, lines[i]);
    }
    size_t newlines = 0;
    for (const char *p = o.cause; *p; p++)
        newlines += *p == '\n';
    assert_int_equal(newlines, 4);
    outcome_free(&o);
    fx_free(&fx);
}

/*
 * A loopback port whose connections hang: a listener with a full accept queue
 * drops further SYNs, as a machine without IMDS drops them to 169.254.169.254.
 */
static int hanging_port(int fds[2])
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fds[0] >= 0);
    assert_int_equal(bind(fds[0], (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fds[0], 0), 0);
    assert_int_equal(getsockname(fds[0], (struct sockaddr *)&sa, &len), 0);
    fds[1] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fds[1], (struct sockaddr *)&sa, sizeof sa), 0); /* fills the queue */
    return ntohs(sa.sin_port);
}

static void test_chain_probe_timeout(void **state)
{
    (void)state;
    int fds[2];
    char *imds = xasprintf("http://127.0.0.1:%d", hanging_port(fds));
    struct auth_config cfg = {.imds_endpoint = imds, .az_command = az_fail};
    struct fx fx;
    fx_make(&fx, &cfg);
    auth_set_probe_timeout(fx.auth, 200);
    int64_t t0 = support_mono_ms();
    struct outcome o = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "managed identity: no managed identity endpoint at 127.0.0.1"));
    assert_non_null(strstr(o.cause, "no answer in time"));
    assert_non_null(strstr(o.cause, "Azure CLI: "));
    assert_true(support_mono_ms() - t0 < 5000);
    outcome_free(&o);
    fx_free(&fx);
    close(fds[0]);
    close(fds[1]);
    free(imds);
}

/* -- the cache -------------------------------------------------------------------------------- */

static void test_cache_hit(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct outcome a = {0}, b = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    assert_int_equal(requests(&fx), 1);
    /* Same key (the configured tenant named or not): from the cache, still through the loop. */
    get(&fx, TENANT, fx.cloud->vault_scope, NULL, &b);
    expect_ok(&b);
    assert_string_equal(a.token, b.token);
    assert_int_equal(requests(&fx), 1);
    /* Another scope is another token. */
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &b);
    expect_ok(&b);
    assert_int_equal(requests(&fx), 2);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &b);
    assert_int_equal(requests(&fx), 2);
    outcome_free(&a);
    outcome_free(&b);
    fx_free(&fx);
}

static void test_cache_shared_fetch(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    const char *needles[] = {"POST", TOKEN_POST, NULL};
    int before = support_azsim_log_count(sim, needles);
    struct outcome o[3] = {{0}};
    for (size_t i = 0; i < 3; i++)
        assert_non_null(auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &o[i]));
    run_until(&fx, o, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(o[i].calls, 1);
        expect_ok(&o[i]);
        assert_string_equal(o[i].token, o[0].token);
    }
    for (size_t i = 0; i < 3; i++)
        outcome_free(&o[i]);
    assert_int_equal(requests(&fx), 1);
    assert_int_equal(support_azsim_log_count(sim, needles), before + 1);
    fx_free(&fx);
}

static void test_cache_forget(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct outcome a = {0}, b = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    auth_forget(fx.auth, NULL, fx.cloud->arm_scope); /* another key: no effect */
    auth_forget(fx.auth, NULL, "https://nothing.localhost/.default");
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &b);
    assert_int_equal(requests(&fx), 1);
    auth_forget(fx.auth, TENANT, fx.cloud->vault_scope);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &b);
    expect_ok(&b);
    assert_int_equal(requests(&fx), 2);
    assert_string_not_equal(a.token, b.token);
    outcome_free(&a);
    outcome_free(&b);
    fx_free(&fx);
}

static void test_cache_renewal(void **state)
{
    (void)state;
    /* azsim's tokens live 303 s here: 3 s until the 5-minute renewal margin. */
    struct http_config hc = {.ca_file = info->ca_file, .max_attempts = 1};
    struct fx fx;
    fx_make_with(&fx, &secret_config, &hc);
    auth_set_renew_hold(fx.auth, 1500); /* 30 s in use */
    struct outcome a = {0}, b = {0};
    struct auth_health h;
    auth_health(fx.auth, &h);
    assert_int_equal(h.signins, 0);
    assert_int_equal(h.cached_left_ms, -1);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    auth_health(fx.auth, &h);
    assert_int_equal(h.signins, 1);
    assert_int_equal(h.failing, 0);
    assert_true(h.last_ok_ms > 0);
    /* 303 s less the 30 s a token is kept back at the end, less a little. */
    assert_in_range(h.cached_left_ms, 240000, 273000);
    run_for(&fx, 3300);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &b);
    expect_ok(&b);
    assert_int_equal(requests(&fx), 2);
    assert_string_not_equal(a.token, b.token);

    /* A renewal that fails still hands out the old token: it has minutes left. */
    run_for(&fx, 3300);
    char *fault =
        support_azsim_fault(sim, "{\"kind\":\"error\",\"target\":\"login\",\"status\":503}");
    assert_non_null(fault);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    assert_string_equal(a.token, b.token);
    assert_int_equal(requests(&fx), 3);
    /* ... and says so: failing, with the time the old token still covers. */
    auth_health(fx.auth, &h);
    assert_int_equal(h.signins, 3);
    assert_int_equal(h.failures, 1);
    assert_int_equal(h.failing, 1);
    assert_int_equal(h.err, CORE_ERR_HTTP);
    assert_non_null(strstr(h.cause, "503"));
    assert_in_range(h.token_left_ms, 230000, 270000);
    assert_int_equal(h.cached_left_ms, h.token_left_ms);
    assert_true(h.failing_since_ms == h.last_fail_ms && h.last_fail_ms >= h.last_ok_ms);
    int64_t since = h.failing_since_ms;
    /* For the hold after a failed renewal the old token comes at once: nothing waits on
     * Entra ID, nothing is sent to it. */
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    assert_string_equal(a.token, b.token);
    assert_int_equal(requests(&fx), 3);
    /* With nothing cached the failure is the answer. */
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &a);
    assert_int_equal(a.err, CORE_ERR_HTTP);
    auth_health(fx.auth, &h);
    assert_int_equal(h.failing, 2);
    assert_int_equal(h.token_left_ms, 0);
    assert_int_equal(h.failing_since_ms, since);
    assert_int_equal(support_azsim_clear_faults(sim, fault), 0);
    free(fault);
    run_for(&fx, 1600); /* the hold is over: the next request renews */
    /* A renewal that works ends the vault scope's failure; the ARM scope's stays until it too
     * works. */
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    auth_health(fx.auth, &h);
    assert_int_equal(h.failing, 1);
    assert_int_equal(h.token_left_ms, 0);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &a);
    expect_ok(&a);
    auth_health(fx.auth, &h);
    assert_int_equal(h.failing, 0);
    assert_int_equal(h.failures, 2);
    assert_true(h.last_ok_ms >= h.last_fail_ms);
    outcome_free(&a);
    outcome_free(&b);
    fx_free(&fx);
}

static void test_claims_bypass_cache(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct outcome a = {0}, b = {0};
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    expect_ok(&a);
    /* {"access_token":{"nbf":{"essential":true,"value":"1700000000"}}} */
    get(&fx, NULL, fx.cloud->vault_scope,
        "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNzAwMDAwMDAwIn19fQ==",
        &b);
    expect_ok(&b);
    assert_int_equal(requests(&fx), 2);
    assert_string_not_equal(a.token, b.token);
    /* The fresh token replaced the refused one in the cache. */
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &a);
    assert_string_equal(a.token, b.token);
    assert_int_equal(requests(&fx), 2);
    outcome_free(&a);
    outcome_free(&b);
    fx_free(&fx);
}

/* -- requests, lifetimes, configuration ------------------------------------------------------- */

static void test_cancel(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct outcome o = {0}, kept = {0};
    struct auth_request *r = auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &o);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &kept);
    auth_cancel(r);
    run_until(&fx, &kept, 1);
    expect_ok(&kept);
    assert_int_equal(o.calls, 0);
    /* A cached answer cancelled before its pass. */
    r = auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &o);
    auth_cancel(r);
    run_for(&fx, 100);
    assert_int_equal(o.calls, 0);
    auth_cancel(NULL);
    /* The only waiter cancelled: the fetch still lands in the cache. */
    r = auth_token(fx.auth, NULL, fx.cloud->arm_scope, NULL, on_token, &o);
    auth_cancel(r);
    run_for(&fx, 2000);
    assert_int_equal(o.calls, 0);
    assert_int_equal(requests(&fx), 2);
    get(&fx, NULL, fx.cloud->arm_scope, NULL, &o);
    expect_ok(&o);
    assert_int_equal(requests(&fx), 2);
    outcome_free(&o);
    outcome_free(&kept);
    fx_free(&fx);
}

struct destroyer {
    struct fx *fx;
    int calls;
};

static void on_token_destroy(const char *token, enum core_err err, const char *cause, void *arg)
{
    (void)token;
    (void)err;
    (void)cause;
    struct destroyer *d = arg;
    d->calls++;
    auth_destroy(d->fx->auth);
    d->fx->auth = NULL;
}

static void test_destroy_from_callback(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct destroyer d = {&fx, 0};
    struct outcome others[3] = {{0}};
    /* Three waiters of one fetch, answered in the order they asked. */
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &others[0]);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token_destroy, &d);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &others[1]);
    int64_t end = support_mono_ms() + 10000;
    while (d.calls == 0 && support_mono_ms() < end)
        loop_run_once(fx.loop, 50);
    assert_int_equal(d.calls, 1);
    run_for(&fx, 300);
    assert_int_equal(others[0].calls, 1);
    assert_int_equal(others[1].calls, 0);
    assert_null(fx.auth);
    fx_free(&fx);

    /* Cached answers, and a fetch in flight, when a cached answer's callback destroys. */
    fx_make(&fx, &secret_config);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &others[0]);
    outcome_free(&others[0]);
    d.calls = 0;
    auth_token(fx.auth, NULL, fx.cloud->arm_scope, NULL, on_token, &others[2]);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &others[0]);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token_destroy, &d);
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &others[1]);
    run_for(&fx, 1000);
    assert_int_equal(others[0].calls, 1);
    assert_int_equal(d.calls, 1);
    assert_int_equal(others[1].calls, 0);
    assert_int_equal(others[2].calls, 0);
    for (size_t i = 0; i < 3; i++)
        outcome_free(&others[i]);
    fx_free(&fx);

    /* Destroyed with work in flight: nothing calls back. */
    fx_make(&fx, &secret_config);
    struct outcome o = {0};
    auth_token(fx.auth, NULL, fx.cloud->vault_scope, NULL, on_token, &o);
    loop_run_once(fx.loop, 0);
    auth_destroy(fx.auth);
    fx.auth = NULL;
    run_for(&fx, 500);
    assert_int_equal(o.calls, 0);
    fx_free(&fx);
}

static void test_bad_requests(void **state)
{
    (void)state;
    struct fx fx;
    fx_make(&fx, &secret_config);
    struct outcome o = {0};
    get(&fx, NULL, "", NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    get(&fx, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    get(&fx, "../evil", fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    get(&fx, "a b", fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    assert_int_equal(requests(&fx), 0);
    outcome_free(&o);
    fx_free(&fx);

    /* The secret provider without a tenant anywhere. */
    struct auth_config cfg = secret_config;
    cfg.tenant_id = NULL;
    fx_make(&fx, &cfg);
    get(&fx, NULL, fx.cloud->vault_scope, NULL, &o);
    assert_int_equal(o.err, CORE_ERR_CONFIG);
    assert_non_null(strstr(o.cause, "AZURE_TENANT_ID"));
    /* ... which a challenge's tenant supplies. */
    get(&fx, TENANT, fx.cloud->vault_scope, NULL, &o);
    expect_ok(&o);
    outcome_free(&o);
    fx_free(&fx);
}

static void test_create_refused(void **state)
{
    (void)state;
    char *cause = NULL;
    struct loop *loop = loop_create(&cause);
    struct http_config hc = {0};
    struct http *http = http_create(loop, &hc, &cause);
    const struct cloud *cloud = cloud_find("AzureCloud");
    struct auth_config bad[] = {
        {.mode = AUTH_SECRET, .client_id = OPERATOR},
        {.mode = AUTH_SECRET, .client_secret = SECRET},
        {.mode = AUTH_CERTIFICATE, .client_id = OPERATOR},
        {.mode = AUTH_CLI, .az_command = "/nonexistent/az"},
        {.mode = (enum auth_mode)42},
        {.authority_host = "http://login.microsoftonline.com"},
        {.authority_host = "https://login.microsoftonline.com/?x=1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cause = NULL;
        struct auth *a = auth_create(loop, http, cloud, &bad[i], &cause);
        if (a != NULL)
            fail_msg("case %zu accepted", i);
        assert_non_null(cause);
        free(cause);
    }
    assert_null(auth_create(NULL, http, cloud, &bad[0], NULL));
    assert_null(auth_create(loop, http, NULL, &bad[0], NULL));
    /* A bare host for the authority is taken as https. */
    struct auth_config ok = {.authority_host = "login.microsoftonline.us/"};
    struct auth *a = auth_create(loop, http, cloud, &ok, &cause);
    assert_non_null(a);
    assert_null(auth_source(a));
    auth_destroy(a);
    auth_destroy(NULL);
    http_destroy(http);
    loop_destroy(loop);
}

static void test_config_from_env(void **state)
{
    (void)state;
    static const char *const vars[] = {"AZURE_TENANT_ID",
                                       "AZURE_CLIENT_ID",
                                       "AZURE_CLIENT_SECRET",
                                       "AZURE_CLIENT_CERTIFICATE_PATH",
                                       "AZURE_AUTHORITY_HOST",
                                       "IMDS_ENDPOINT",
                                       "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                                       "IDENTITY_ENDPOINT",
                                       "IDENTITY_HEADER"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    struct auth_config c = {0};
    auth_config_from_env(&c);
    assert_null(c.tenant_id);
    assert_null(c.imds_endpoint);

    setenv("AZURE_TENANT_ID", TENANT, 1);
    setenv("AZURE_CLIENT_ID", OPERATOR, 1);
    setenv("AZURE_CLIENT_SECRET", "", 1); /* empty counts as unset */
    setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/etc/cert.pem", 1);
    setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us", 1);
    setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:2", 1);
    setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:3/msi/token", 1);
    setenv("IDENTITY_HEADER", "hdr", 1);
    struct auth_config d = {.client_id = "kept"};
    auth_config_from_env(&d);
    assert_string_equal(d.tenant_id, TENANT);
    assert_string_equal(d.client_id, "kept");
    assert_null(d.client_secret);
    assert_string_equal(d.certificate_path, "/etc/cert.pem");
    assert_string_equal(d.authority_host, "https://login.microsoftonline.us");
    assert_string_equal(d.imds_endpoint, "http://127.0.0.1:2");
    assert_string_equal(d.identity_endpoint, "http://127.0.0.1:3/msi/token");
    assert_string_equal(d.identity_header, "hdr");
    /* IMDS_ENDPOINT wins over the pod identity variable. */
    setenv("IMDS_ENDPOINT", "http://127.0.0.1:4", 1);
    struct auth_config e = {0};
    auth_config_from_env(&e);
    assert_string_equal(e.imds_endpoint, "http://127.0.0.1:4");
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_arm_and_vault),
        cmocka_unit_test(test_secret_with_resolve_and_read_only),
        cmocka_unit_test(test_secret_refused),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_certificate_unknown_to_entra),
        cmocka_unit_test(test_imds),
        cmocka_unit_test(test_app_service),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_chain_falls_through_to_cli),
        cmocka_unit_test(test_chain_order_and_stickiness),
        cmocka_unit_test(test_chain_all_fail),
        cmocka_unit_test(test_chain_probe_timeout),
        cmocka_unit_test(test_cache_hit),
        cmocka_unit_test(test_cache_shared_fetch),
        cmocka_unit_test(test_cache_forget),
        cmocka_unit_test(test_cache_renewal),
        cmocka_unit_test(test_claims_bypass_cache),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_destroy_from_callback),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_create_refused),
        cmocka_unit_test(test_config_from_env),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
