/*
 * metrics: the Prometheus text exposition of the in-memory demo estate —
 * every line well-formed, the values the estate implies, the series moving
 * when something breaks, hostile names escaped, and a large estate rendered
 * quickly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "activity.h"
#include "health.h"
#include "http.h"
#include "metrics.h"
#include "model.h"
#include "support_estate.h"
#include "xmem.h"

struct run {
    struct model *m;
    struct health *h;
    struct activity *a;
    struct engine_stats es;
    struct metrics_sweeps sw;
    struct whatif_params wp;
    struct metrics_input in;
};

static void setup_run(struct run *r)
{
    memset(r, 0, sizeof *r);
    r->m = support_estate(NULL);
    r->h = health_create();
    r->a = activity_create(16);
    r->es = (struct engine_stats){
        .requests = 36, .failures = 2, .sweeps = 3, .catch_ups = 1, .last_sweep_ms = 1234};
    r->sw.count[ENGINE_SWEEP_FULL] = 1;
    r->sw.count[ENGINE_SWEEP_PROBE] = 2;
    r->sw.last_end_ms[ENGINE_SWEEP_FULL] = SUPPORT_NOW_MS - 5000;
    r->sw.last_success_ms = SUPPORT_NOW_MS - 5000;
    whatif_params_init(&r->wp, SUPPORT_NOW_MS);
    r->in = (struct metrics_input){.model = r->m,
                                   .health = r->h,
                                   .activity = r->a,
                                   .engine = &r->es,
                                   .sweeps = &r->sw,
                                   .whatif = &r->wp,
                                   .now_ms = SUPPORT_NOW_MS,
                                   .version = "0.1.0"};
}

static void teardown_run(struct run *r)
{
    activity_destroy(r->a);
    health_destroy(r->h);
    model_destroy(r->m);
}

/* ---- a checker of the text format (what Prometheus' parser insists on) ---- */

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

/* One label value between quotes: only \\, \" and \n escapes, no raw newline; past the quote. */
static const char *check_value(const char *p, const char *line)
{
    for (; *p != '"'; p++) {
        if (*p == '\0' || *p == '\n')
            fail_msg("unterminated label value: %s", line);
        if (*p == '\\') {
            p++;
            if (*p != '\\' && *p != '"' && *p != 'n')
                fail_msg("bad escape \\%c: %s", *p, line);
        }
    }
    return p + 1;
}

static void check_sample(const char *line)
{
    const char *p = line;
    if (!name_char(*p, true))
        fail_msg("bad metric name: %s", line);
    while (name_char(*p, false))
        p++;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            if (!name_char(*p, true))
                fail_msg("bad label name: %s", line);
            while (name_char(*p, false))
                p++;
            if (p[0] != '=' || p[1] != '"')
                fail_msg("label without =\": %s", line);
            p = check_value(p + 2, line);
            if (*p == ',')
                p++;
            else if (*p != '}')
                fail_msg("label list not closed: %s", line);
        }
        p++;
    }
    if (*p != ' ')
        fail_msg("no space before the value: %s", line);
    char *end;
    strtod(p + 1, &end);
    if (end == p + 1 || *end != '\0')
        fail_msg("bad value: %s", line);
}

/* Every line is a comment (HELP or TYPE of the family that follows) or a sample. */
static void check_text(const char *text)
{
    assert_true(strlen(text) > 0);
    assert_int_equal(text[strlen(text) - 1], '\n');
    char *copy = xstrdup(text);
    char family[128] = "";
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            snprintf(family, sizeof family, "%.*s", (int)strcspn(line + 7, " "), line + 7);
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(strncmp(line + 7, family, strlen(family)), 0);
            const char *type = line + 7 + strlen(family) + 1;
            assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
        } else {
            check_sample(line);
            if (strncmp(line, family, strlen(family)) != 0)
                fail_msg("sample outside its family %s: %s", family, line);
        }
    }
    free(copy);
}

static char *render(struct run *r)
{
    size_t len = 0;
    char *text = metrics_render(&r->in, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    check_text(text);
    return text;
}

/* The line starting with "series " (name and labels exactly), or NULL. */
static const char *line_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return p;
    return NULL;
}

static double value_of(const char *text, const char *series)
{
    const char *l = line_of(text, series);
    if (l == NULL)
        fail_msg("no series %s in:\n%s", series, text);
    return strtod(l + strlen(series) + 1, NULL);
}

#define assert_value(text, series, want) assert_true(value_of(text, series) == (double)(want))

/* ---- tests ---- */

static void test_degenerate(void **state)
{
    (void)state;
    assert_null(metrics_render(NULL, NULL));
    struct metrics_input in = {0};
    char *text = metrics_render(&in, NULL);
    check_text(text);
    assert_value(text, "tdectl_build_info{version=\"\"}", 1);
    assert_null(line_of(text, "tdectl_data_age_seconds"));
    assert_null(strstr(text, "tdectl_api_requests_total{"));
    free(text);
    char *e = metrics_label_escape(NULL);
    assert_string_equal(e, "");
    free(e);
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"a\"b", "a\\\"b"},
        {"back\\slash", "back\\\\slash"},
        {"new\nline", "new\\nline"},
        {"\\\"\n", "\\\\\\\"\\n"},
        {"tab\tand\rcr", "tab\tand\rcr"}, /* the format leaves them as they are */
        {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"}, /* valid UTF-8 kept */
        {"bad\xff", "bad\xef\xbf\xbd"},                           /* a stray byte */
        {"cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd"},           /* a truncated sequence */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* an overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a UTF-16 surrogate */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = metrics_label_escape(cases[i].in);
        assert_string_equal(e, cases[i].out);
        free(e);
    }
}

static void test_healthy_estate(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    health_evaluate(r.h, r.m, SUPPORT_NOW_MS, NULL);
    char *t = render(&r);
    assert_value(t, "tdectl_build_info{version=\"0.1.0\"}", 1);
    assert_value(t, "tdectl_vault_up{vault=\"kv-tde-eus2\"}", 1);
    assert_value(t, "tdectl_vault_up{vault=\"kv-tde-cus\"}", 1);
    assert_value(t, "tdectl_vault_probe_latency_seconds{vault=\"kv-tde-eus2\"}", 0.04);
    assert_non_null(line_of(t, "tdectl_vault_info{vault=\"kv-tde-cus\",location=\"centralus\","
                               "endpoint=\"https://kv-tde-cus.vault.azure.net\"}"));
    /* The protector (v2, 710 days left) and its copy, in both vaults; nothing else. */
    char series[256];
    const char *vaults[2] = {SUPPORT_KV_EUS2, SUPPORT_KV_CUS};
    for (size_t i = 0; i < 2; i++) {
        snprintf(series, sizeof series,
                 "tdectl_key_expires_in_seconds{vault=\"%s\",key=\"%s\",version=\"%s\"}", vaults[i],
                 SUPPORT_KEY_2025, SUPPORT_VER_V2);
        assert_value(t, series, 710 * SUPPORT_DAY_S);
    }
    assert_null(strstr(t, SUPPORT_VER_V1));
    assert_null(strstr(t, SUPPORT_VER_2024));
    const char *mis[2] = {SUPPORT_MI_EUS2, SUPPORT_MI_CUS};
    for (size_t i = 0; i < 2; i++) {
        snprintf(series, sizeof series,
                 "tdectl_instance_key_access{managed_instance=\"%s\",state=\"ok\"}", mis[i]);
        assert_value(t, series, 1);
        snprintf(series, sizeof series,
                 "tdectl_instance_key_access{managed_instance=\"%s\",state=\"fallback\"}", mis[i]);
        assert_value(t, series, 0);
        snprintf(series, sizeof series,
                 "tdectl_instance_databases{managed_instance=\"%s\",status=\"Online\"}", mis[i]);
        assert_value(t, series, 3);
        snprintf(series, sizeof series,
                 "tdectl_instance_databases{managed_instance=\"%s\",status=\"Inaccessible\"}",
                 mis[i]);
        assert_value(t, series, 0);
    }
    assert_non_null(line_of(t,
                            "tdectl_instance_info{managed_instance=\"sqlmi-prod-eus2\",location=\""
                            "eastus2\",failover_group=\"fog-sql-prod\",role=\"primary\"}"));
    assert_non_null(line_of(t,
                            "tdectl_instance_info{managed_instance=\"sqlmi-prod-cus\",location=\""
                            "centralus\",failover_group=\"fog-sql-prod\",role=\"secondary\"}"));
    assert_null(strstr(t, "tdectl_instance_inaccessible_clock_remaining_seconds{"));
    /* Quiet rules still have a series (0), so an alert can compare against it. */
    assert_value(t, "tdectl_findings{rule=\"K01\",severity=\"CRIT\"}", 0);
    assert_value(t, "tdectl_findings{rule=\"I06\",severity=\"CRIT\"}", 0);
    assert_value(t, "tdectl_engine_reads_total", 36);
    assert_value(t, "tdectl_engine_read_failures_total", 2);
    assert_value(t, "tdectl_sweep_full_duration_seconds", 1.234);
    assert_value(t, "tdectl_engine_catch_up_sweeps_total", 1);
    assert_value(t, "tdectl_sweeps_total{kind=\"full\"}", 1);
    assert_value(t, "tdectl_sweeps_total{kind=\"probe\"}", 2);
    assert_value(t, "tdectl_sweep_last_end_timestamp_seconds{kind=\"full\"}", SUPPORT_NOW_S - 5);
    assert_value(t, "tdectl_sweep_last_end_timestamp_seconds{kind=\"health\"}", 0);
    assert_value(t, "tdectl_sweep_last_success_timestamp_seconds", SUPPORT_NOW_S - 5);
    assert_value(t, "tdectl_data_age_seconds", 0);
    assert_non_null(strstr(t, "# TYPE tdectl_api_requests_total counter\n"));
    assert_non_null(strstr(t, "# TYPE tdectl_vault_up gauge\n"));
    free(t);
    /* Time passes: the data ages and the key comes closer to its expiry. */
    r.in.now_ms += 90 * 1000;
    t = render(&r);
    assert_value(t, "tdectl_data_age_seconds", 90);
    snprintf(series, sizeof series,
             "tdectl_key_expires_in_seconds{vault=\"%s\",key=\"%s\",version=\"%s\"}",
             SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2);
    assert_value(t, series, 710 * SUPPORT_DAY_S - 90);
    free(t);
    teardown_run(&r);
}

static void test_vault_down(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    struct model_vault *v = support_vault(r.m, SUPPORT_KV_EUS2);
    model_fresh_fail(r.m, &v->probe_fresh, SUPPORT_NOW_MS, CORE_ERR_NETWORK, 0,
                     "connection refused", NULL);
    health_evaluate(r.h, r.m, SUPPORT_NOW_MS, NULL);
    char *t = render(&r);
    assert_value(t, "tdectl_vault_up{vault=\"kv-tde-eus2\"}", 0);
    assert_value(t, "tdectl_vault_up{vault=\"kv-tde-cus\"}", 1);
    assert_null(line_of(t, "tdectl_vault_probe_latency_seconds{vault=\"kv-tde-eus2\"}"));
    /* Its primary out, sqlmi-prod-eus2 is served by the copy in the other vault. */
    assert_value(t, "tdectl_instance_key_access{managed_instance=\"sqlmi-prod-eus2\",state=\"ok\"}",
                 0);
    assert_value(
        t, "tdectl_instance_key_access{managed_instance=\"sqlmi-prod-eus2\",state=\"fallback\"}",
        1);
    assert_value(t, "tdectl_instance_key_access{managed_instance=\"sqlmi-prod-cus\",state=\"ok\"}",
                 1);
    free(t);
    /* A vault never probed has no up series; a deleted one is down. */
    model_fresh_cleanup(&v->probe_fresh);
    support_vault(r.m, SUPPORT_KV_CUS)->deleted = true;
    t = render(&r);
    assert_null(line_of(t, "tdectl_vault_up{vault=\"kv-tde-eus2\"}"));
    assert_value(t, "tdectl_vault_up{vault=\"kv-tde-cus\"}", 0);
    free(t);
    teardown_run(&r);
}

static void test_lost_access_and_clock(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    struct model_instance *mi = support_mi(r.m, SUPPORT_MI_EUS2);
    support_set_dbs(r.m, mi, 3, 2, SUPPORT_NOW_MS);
    /* The protector disabled in both vaults: nothing left for SQL to use. */
    support_version(r.m, SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2)->enabled = false;
    support_version(r.m, SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2)->enabled = false;
    health_evaluate(r.h, r.m, SUPPORT_NOW_MS, NULL);
    char *t = render(&r);
    assert_value(
        t, "tdectl_instance_databases{managed_instance=\"sqlmi-prod-eus2\",status=\"Online\"}", 1);
    assert_value(
        t,
        "tdectl_instance_databases{managed_instance=\"sqlmi-prod-eus2\",status=\"Inaccessible\"}",
        2);
    assert_value(
        t, "tdectl_instance_key_access{managed_instance=\"sqlmi-prod-eus2\",state=\"lost\"}", 1);
    assert_value(t, "tdectl_instance_key_access{managed_instance=\"sqlmi-prod-eus2\",state=\"ok\"}",
                 0);
    double left = value_of(t, "tdectl_instance_inaccessible_clock_remaining_seconds{managed_"
                              "instance=\"sqlmi-prod-eus2\"}");
    assert_true(left > 0 && left <= 1800);
    assert_true(value_of(t, "tdectl_findings{rule=\"K01\",severity=\"CRIT\"}") >= 1);
    assert_true(value_of(t, "tdectl_findings{rule=\"I06\",severity=\"CRIT\"}") >= 1);
    free(t);
    /* Ten minutes on, the clock shows ten minutes less. */
    r.in.now_ms += 600 * 1000;
    t = render(&r);
    assert_true(value_of(t, "tdectl_instance_inaccessible_clock_remaining_seconds{managed_instance="
                            "\"sqlmi-prod-eus2\"}") == (left > 600 ? left - 600 : 0));
    free(t);
    teardown_run(&r);
}

static struct http_log_entry call(long status)
{
    return (struct http_log_entry){.method = "GET",
                                   .url = "https://kv-tde-eus2.vault.azure.net/keys",
                                   .status = status,
                                   .attempt = 1,
                                   .retry_in_ms = -1};
}

static void test_api_counters(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    long statuses[] = {200, 200, 201, 404, 429, 429, 503, 0, 302};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        struct http_log_entry e = call(statuses[i]);
        activity_add_call(r.a, SUPPORT_NOW_MS - 60000 + (int64_t)i * 1000, &e);
    }
    char *t = render(&r);
    assert_value(t, "tdectl_api_requests_total{class=\"2xx\"}", 3);
    assert_value(t, "tdectl_api_requests_total{class=\"4xx\"}", 3);
    assert_value(t, "tdectl_api_requests_total{class=\"5xx\"}", 1);
    assert_value(t, "tdectl_api_requests_total{class=\"error\"}", 2);
    assert_value(t, "tdectl_api_throttled_total", 2);
    assert_value(t, "tdectl_api_last_throttled_timestamp_seconds", SUPPORT_NOW_S - 60 + 5);
    free(t);
    teardown_run(&r);
}

/* Sign-in: quiet before the first fetch, up while fetches work, down while a renewal fails. */
static void test_signin(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    char *t = render(&r);
    assert_null(strstr(t, "tdectl_signin")); /* no figures given */
    free(t);

    struct auth_health h = {.cached_left_ms = -1};
    r.in.signin = &h;
    t = render(&r);
    check_text(t);
    assert_null(line_of(t, "tdectl_signin_up")); /* nothing fetched yet */
    assert_value(t, "tdectl_signin_total{result=\"ok\"}", 0);
    assert_value(t, "tdectl_signin_last_success_timestamp_seconds", 0);
    assert_null(line_of(t, "tdectl_signin_token_expires_in_seconds"));
    free(t);

    h = (struct auth_health){
        .signins = 4, .last_ok_ms = SUPPORT_NOW_MS - 2000, .cached_left_ms = 3000500};
    t = render(&r);
    check_text(t);
    assert_value(t, "tdectl_signin_up", 1);
    assert_value(t, "tdectl_signin_total{result=\"ok\"}", 4);
    assert_value(t, "tdectl_signin_total{result=\"failed\"}", 0);
    assert_value(t, "tdectl_signin_last_success_timestamp_seconds", SUPPORT_NOW_S - 2);
    assert_value(t, "tdectl_signin_token_expires_in_seconds", 3000.5);
    free(t);

    /* A renewal failing: the time left is the failing token's, not the freshest one's. */
    h.signins = 7;
    h.failures = 3;
    h.failing = 1;
    h.token_left_ms = 120000;
    t = render(&r);
    check_text(t);
    assert_value(t, "tdectl_signin_up", 0);
    assert_value(t, "tdectl_signin_total{result=\"ok\"}", 4);
    assert_value(t, "tdectl_signin_total{result=\"failed\"}", 3);
    assert_value(t, "tdectl_signin_token_expires_in_seconds", 120);
    free(t);
    /* Failing with nothing cached: 0 left. */
    h.token_left_ms = 0;
    h.cached_left_ms = -1;
    t = render(&r);
    assert_value(t, "tdectl_signin_token_expires_in_seconds", 0);
    free(t);
    teardown_run(&r);
}

static void replace(char **field, const char *value)
{
    free(*field);
    *field = xstrdup(value);
}

static void test_hostile_names(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    struct model_instance *mi = support_mi(r.m, SUPPORT_MI_CUS);
    replace(&mi->name, "evil\"} 1\ntdectl_forged 1\n\\");
    replace(&mi->location, "bad\xff\xfe utf-8");
    replace(&mi->dbs[0].status, "Odd\\\"status\"");
    replace(&r.m->fogs[0]->name, "fog\nwith\nnewlines");
    health_evaluate(r.h, r.m, SUPPORT_NOW_MS, NULL);
    char *t = render(&r);
    /* No forged line, the names escaped; check_text saw every line well-formed. */
    assert_null(strstr(t, "\ntdectl_forged"));
    const char *esc = "evil\\\"} 1\\ntdectl_forged 1\\n\\\\";
    char series[256];
    snprintf(series, sizeof series,
             "tdectl_instance_key_access{managed_instance=\"%s\",state=\"ok\"}", esc);
    assert_non_null(line_of(t, series));
    snprintf(series, sizeof series,
             "tdectl_instance_databases{managed_instance=\"%s\",status=\"Odd\\\\\\\"status\\\"\"}",
             esc);
    assert_value(t, series, 1);
    assert_non_null(strstr(t, "location=\"bad\xef\xbf\xbd\xef\xbf\xbd utf-8\""));
    assert_non_null(strstr(t, "failover_group=\"fog\\nwith\\nnewlines\""));
    free(t);
    teardown_run(&r);
}

/* ---- a large estate: groups pairs of instances and vaults, versions a key ---- */

static void large_vault(struct model *m, const char *name, size_t versions)
{
    struct model_vault v = {0};
    v.name = xstrdup(name);
    v.uri = xasprintf("https://%s.vault.azure.net", name);
    v.location = xstrdup("eastus2");
    v.probe_fresh = (struct fresh){.read_at = SUPPORT_NOW_MS, .tried_at = SUPPORT_NOW_MS};
    v.probe_latency_ms = 12;
    struct model_vault *in = model_put_vault(m, &v);
    char **names = xcalloc(1, sizeof *names);
    names[0] = xstrdup("tde");
    model_set_key_names(m, in, names, 1);
    struct model_version *vers = xcalloc(versions, sizeof *vers);
    for (size_t j = 0; j < versions; j++) {
        vers[j].version = xasprintf("%032zx", j + 1);
        vers[j].kid = xasprintf("%s/keys/tde/%s", in->uri, vers[j].version);
        vers[j].enabled = true;
        vers[j].created = SUPPORT_NOW_S - (int64_t)(versions - j) * SUPPORT_DAY_S;
        vers[j].exp = SUPPORT_NOW_S + 365 * SUPPORT_DAY_S;
        vers[j].fresh = (struct fresh){.read_at = SUPPORT_NOW_MS, .tried_at = SUPPORT_NOW_MS};
    }
    model_set_versions(m, &in->keys[0], vers, versions);
}

static void large_instance(struct model *m, size_t g, char side, size_t versions)
{
    struct model_instance mi = {0};
    mi.id = xasprintf("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Sql/"
                      "managedInstances/mi-%zu-%c",
                      SUPPORT_SUB, g, side);
    mi.name = xasprintf("mi-%zu-%c", g, side);
    mi.location = xstrdup("eastus2");
    struct model_instance *in = model_put_instance(m, &mi);
    struct model_server_key *keys = xcalloc(2, sizeof *keys);
    for (size_t k = 0; k < 2; k++) {
        char other = k == 0 ? side : (side == 'a' ? 'b' : 'a');
        keys[k].name = xasprintf("kv-%zu-%c_tde_%032zx", g, other, versions);
        keys[k].type = xstrdup("AzureKeyVault");
        keys[k].uri =
            xasprintf("https://kv-%zu-%c.vault.azure.net/keys/tde/%032zx", g, other, versions);
        keys[k].thumbprint = xasprintf("%040zx", g);
    }
    model_set_server_keys(m, in, keys, 2);
    struct model_protector p = {.server_key_name = xstrdup(keys[0].name),
                                .type = xstrdup("AzureKeyVault"),
                                .uri = xstrdup(keys[0].uri),
                                .thumbprint = xstrdup(keys[0].thumbprint)};
    model_set_protector(m, in, &p, SUPPORT_NOW_MS);
    support_set_dbs(m, in, 3, 0, SUPPORT_NOW_MS);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_large_estate(void **state)
{
    (void)state;
    enum { GROUPS = 100, VERSIONS = 20 };
    struct model *m = model_create();
    for (size_t g = 0; g < GROUPS; g++) {
        char name[32];
        for (char side = 'a'; side <= 'b'; side++) {
            snprintf(name, sizeof name, "kv-%zu-%c", g, side);
            large_vault(m, name, VERSIONS);
        }
        large_instance(m, g, 'a', VERSIONS);
        large_instance(m, g, 'b', VERSIONS);
    }
    struct health *h = health_create();
    health_evaluate(h, m, SUPPORT_NOW_MS, NULL);
    struct metrics_input in = {.model = m, .health = h, .now_ms = SUPPORT_NOW_MS};
    double t0 = now_s();
    size_t len = 0;
    char *t = metrics_render(&in, &len);
    double took = now_s() - t0;
    check_text(t);
    /* Each instance's protector and its copy: every vault's latest version, once. */
    size_t expiries = 0;
    for (const char *p = t; (p = strstr(p, "\ntdectl_key_expires_in_seconds{")) != NULL; p++)
        expiries++;
    assert_int_equal(expiries, 2 * GROUPS);
    /* Five states an instance, one of them current (this bare estate lacks what predicts). */
    double sum = 0;
    for (size_t s = 0; s < 5; s++) {
        static const char *const states[] = {"ok", "fallback", "lost", "instance-down", "unknown"};
        char series[128];
        snprintf(series, sizeof series,
                 "tdectl_instance_key_access{managed_instance=\"mi-7-b\",state=\"%s\"}", states[s]);
        sum += value_of(t, series);
    }
    assert_true(sum == 1);
    print_message("metrics: %d instances, %d vaults, %d versions a key: %zu bytes rendered "
                  "in %.1f ms\n",
                  2 * GROUPS, 2 * GROUPS, VERSIONS, len, took * 1000);
    assert_true(took < 2.0); /* generous: sanitizers and a shared machine */
    free(t);
    health_destroy(h);
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_healthy_estate),
        cmocka_unit_test(test_vault_down),
        cmocka_unit_test(test_lost_access_and_clock),
        cmocka_unit_test(test_api_counters),
        cmocka_unit_test(test_signin),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_large_estate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
