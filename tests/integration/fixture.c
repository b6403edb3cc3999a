#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "loop.h"
#include "session.h"
#include "support.h"
#include "xmem.h"

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    (void)e;
    struct fixture *f = arg;
    f->sweeps[kind]++;
}

/* Runs the loop until *counter exceeds before, or fails the test. */
static void wait_for(struct fixture *f, const unsigned *counter, unsigned before, int timeout_ms,
                     const char *what)
{
    struct loop *loop = session_loop(f->session);
    int64_t deadline = support_mono_ms() + timeout_ms;
    while (*counter <= before) {
        if (support_mono_ms() > deadline)
            fail_msg("no %s within %d ms", what, timeout_ms);
        loop_run_once(loop, 100);
    }
}

/* Fails the test with cause, freeing it first (cmocka's failure does not return). */
static void fail_now(const char *what, char *cause)
{
    char text[512];
    snprintf(text, sizeof text, "%s", cause ? cause : "(no cause)");
    free(cause);
    fail_msg("%s: %s", what, text);
}

static void make_config(struct fixture *f, const struct fixture_options *o)
{
    struct config *c = &f->config;
    config_init(c);
    c->cloud = CONFIG_CLOUD_CUSTOM;
    c->authority = xstrdup(f->info->authority);
    c->arm = xstrdup(f->info->management_resource);
    c->vault_resource = xstrdup(f->info->vault_resource);
    c->ca_file = xstrdup(f->info->ca_file);
    c->auth_mode = AUTH_SECRET;
    c->subscriptions = xcalloc(1, sizeof *c->subscriptions);
    c->subscriptions[0] = xstrdup(DEMO_SUBSCRIPTION);
    c->nsubscriptions = 1;
    c->read_only = o->read_only;
    c->http_timeout_ms = o->timeout_ms ? o->timeout_ms : 3000;
    c->http_connect_timeout_ms = 2000;
    c->http_retry_budget_ms = 5000;
    c->snapshot = o->snapshot_path != NULL;
    if (o->health_s)
        c->poll_health_s = o->health_s;
    if (o->probe_s)
        c->poll_probe_s = o->probe_s;
    if (o->max_rpm)
        c->poll_max_rpm = o->max_rpm;
}

void fixture_start(struct fixture *f, const struct fixture_options *o)
{
    static const struct fixture_options none = {0};
    if (o == NULL)
        o = &none;
    char *cause = NULL;
    if (f->sim == NULL) {
        memset(f, 0, sizeof *f);
        f->sim = support_azsim_start(o->scenario ? o->scenario : "demo", NULL, &cause);
        if (f->sim == NULL)
            fail_now("azsim", cause);
    }
    f->info = support_azsim_info(f->sim);
    memset(f->sweeps, 0, sizeof f->sweeps);
    setenv("AZURE_TENANT_ID", DEMO_TENANT, 1);
    setenv("AZURE_CLIENT_ID", DEMO_OPERATOR_ID, 1);
    setenv("AZURE_CLIENT_SECRET", DEMO_OPERATOR_KEY, 1);
    make_config(f, o);
    struct session_options so = {.snapshot_path = o->snapshot_path,
                                 .no_snapshot = o->snapshot_path == NULL,
                                 .resolve = f->info->resolve,
                                 .no_catch_up = !o->catch_up};
    f->session = session_create(&f->config, &so, &cause);
    if (f->session == NULL)
        fail_now("session", cause);
    f->engine = session_engine(f->session);
    f->health = health_create();
    engine_on_sweep(f->engine, on_sweep, f);
    engine_start(f->engine);
    wait_for(f, &f->sweeps[ENGINE_SWEEP_FULL], 0, 30000, "first full sweep");
}

void fixture_stop(struct fixture *f, bool keep_azsim)
{
    health_destroy(f->health);
    f->health = NULL;
    session_destroy(f->session);
    f->session = NULL;
    f->engine = NULL;
    config_cleanup(&f->config);
    if (!keep_azsim) {
        assert_int_equal(support_azsim_stop(f->sim), 0);
        f->sim = NULL;
    }
}

const struct model *fixture_model(const struct fixture *f)
{
    return engine_model(f->engine);
}

void fixture_sweep(struct fixture *f, enum engine_sweep kind, int timeout_ms)
{
    unsigned before = f->sweeps[kind];
    switch (kind) {
    case ENGINE_SWEEP_FULL:
        engine_refresh(f->engine);
        break;
    case ENGINE_SWEEP_HEALTH:
        engine_refresh_health(f->engine);
        break;
    case ENGINE_SWEEP_PROBE:
        engine_refresh_probe(f->engine);
        break;
    }
    wait_for(f, &f->sweeps[kind], before, timeout_ms, "sweep");
}

void fixture_run(struct fixture *f, int ms)
{
    struct loop *loop = session_loop(f->session);
    int64_t deadline = support_mono_ms() + ms;
    while (support_mono_ms() < deadline)
        loop_run_once(loop, (int)(deadline - support_mono_ms()) + 1);
}

int64_t fixture_wall(const struct fixture *f)
{
    return loop_wall(session_loop(f->session));
}

static void evaluate(struct fixture *f)
{
    health_evaluate(f->health, fixture_model(f), loop_wall(session_loop(f->session)), NULL);
}

const struct health_finding *fixture_finding(struct fixture *f, const char *rule,
                                             const char *subject)
{
    evaluate(f);
    size_t n = 0;
    const struct health_finding *all = health_findings(f->health, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].rule, rule) == 0 && (subject == NULL || strstr(all[i].subject, subject)))
            return &all[i];
    }
    return NULL;
}

size_t fixture_count(struct fixture *f, enum health_sev sev)
{
    evaluate(f);
    return health_count(f->health, sev);
}

void fixture_expect_clean(struct fixture *f, enum health_sev sev)
{
    evaluate(f);
    size_t n = 0;
    const struct health_finding *all = health_findings(f->health, &n);
    bool dirty = false;
    for (size_t i = 0; i < n; i++) {
        if (all[i].sev >= sev) {
            print_error("finding %s %s %s: %s\n", all[i].rule, health_sev_name(all[i].sev),
                        all[i].subject, all[i].evidence);
            dirty = true;
        }
    }
    if (dirty)
        fail_msg("expected no finding at %s or above", health_sev_name(sev));
}

char *fixture_fault(struct fixture *f, const char *spec_json)
{
    char *id = support_azsim_fault(f->sim, spec_json);
    if (id == NULL)
        fail_msg("azsim refused the fault %s", spec_json);
    return id;
}

void fixture_clear(struct fixture *f, const char *id)
{
    assert_int_equal(support_azsim_clear_faults(f->sim, id), 0);
}

void fixture_advance(struct fixture *f, int64_t seconds)
{
    char body[64];
    snprintf(body, sizeof body, "{\"seconds\": %lld}", (long long)seconds);
    long status = support_azsim_control(f->sim, "POST", "/clock/advance", body, NULL);
    assert_int_equal(status, 200);
}

char *fixture_azsim_model(struct fixture *f, const char *instance)
{
    char *body = NULL;
    assert_int_equal(support_azsim_control(f->sim, "GET", "/model", NULL, &body), 200);
    /* The instance's object: from its name to the end of its databases array. */
    char *needle = xasprintf("\"name\":\"%s\"", instance);
    char *at = body ? strstr(body, needle) : NULL;
    free(needle);
    char *out = NULL;
    if (at) {
        char *end = strstr(at, "]}");
        out = end ? xstrndup(at, (size_t)(end - at) + 2) : xstrdup(at);
    }
    free(body);
    if (out == NULL)
        fail_msg("azsim's model has no instance %s", instance);
    return out;
}

struct model_instance *fixture_instance(const struct fixture *f, const char *name)
{
    struct model_instance *mi = model_instance_by_name(fixture_model(f), name);
    if (mi == NULL)
        fail_msg("the model has no instance %s", name);
    return mi;
}

struct model_vault *fixture_vault(const struct fixture *f, const char *name)
{
    struct model_vault *v = model_vault(fixture_model(f), name);
    if (v == NULL)
        fail_msg("the model has no vault %s", name);
    return v;
}
