/* report: the check verdict (status, scope, text, JSON) over the in-memory demo estate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "health.h"
#include "model.h"
#include "report.h"
#include "support_estate.h"

struct run {
    struct model *m;
    struct health *h;
    struct whatif_params wp;
    struct report_input in;
};

static void setup_run(struct run *r)
{
    r->m = support_estate(NULL);
    r->h = health_create();
    whatif_params_init(&r->wp, SUPPORT_NOW_MS);
    r->in = (struct report_input){.model = r->m,
                                  .health = r->h,
                                  .whatif = &r->wp,
                                  .now_ms = SUPPORT_NOW_MS,
                                  .sweep_complete = true,
                                  .sweep_ms = 1200,
                                  .requests = 36,
                                  .version = "0.1.0"};
}

static struct report *judge(struct run *r)
{
    health_evaluate(r->h, r->m, SUPPORT_NOW_MS, NULL);
    char *cause = NULL;
    struct report *rep = report_create(&r->in, &cause);
    assert_non_null(rep);
    assert_null(cause);
    return rep;
}

static void teardown_run(struct run *r)
{
    health_destroy(r->h);
    model_destroy(r->m);
}

static cJSON *json_of(struct report *rep)
{
    char *text = report_json(rep);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static void test_healthy_is_ok(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    struct report *rep = judge(&r);
    if (report_status(rep) != REPORT_OK) {
        char *t = report_text(rep);
        fail_msg("expected OK:\n%s", t);
    }
    assert_non_null(strstr(report_summary(rep), "OK: 0 critical"));
    cJSON *j = json_of(rep);
    assert_string_equal(cJSON_GetObjectItem(j, "schema")->valuestring, REPORT_SCHEMA);
    cJSON *st = cJSON_GetObjectItem(j, "status");
    assert_string_equal(cJSON_GetObjectItem(st, "name")->valuestring, "OK");
    assert_int_equal(cJSON_GetObjectItem(st, "exit_code")->valueint, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "instances")), 2);
    cJSON *mi = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "instances"), 0);
    assert_string_equal(cJSON_GetObjectItem(mi, "key_access")->valuestring, "ok");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(mi, "inaccessible_clock")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "group")));
    cJSON_Delete(j);
    char *text = report_text(rep);
    assert_non_null(strstr(text, SUPPORT_MI_EUS2));
    assert_non_null(strstr(text, "Findings (0)"));
    free(text);
    report_destroy(rep);
    report_destroy(NULL);
    teardown_run(&r);
}

static void test_lost_access_is_critical(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    /* The protector version disabled in the primary vault: no fallback, access lost. */
    support_version(r.m, SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2)->enabled = false;
    struct report *rep = judge(&r);
    assert_int_equal(report_status(rep), REPORT_CRITICAL);
    assert_true(report_count(rep, HEALTH_CRIT) >= 1);
    assert_int_equal(report_count(rep, (enum health_sev)9), 0);
    cJSON *j = json_of(rep);
    cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 0);
    assert_string_equal(cJSON_GetObjectItem(f, "severity")->valuestring, "CRIT");
    assert_non_null(cJSON_GetObjectItem(f, "remedy"));
    cJSON *mi = NULL, *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "instances"))
    {
        if (strcmp(cJSON_GetObjectItem(it, "name")->valuestring, SUPPORT_MI_EUS2) == 0)
            mi = it;
    }
    assert_non_null(mi);
    assert_string_equal(cJSON_GetObjectItem(mi, "key_access")->valuestring, "lost");
    cJSON *clock = cJSON_GetObjectItem(mi, "inaccessible_clock");
    assert_true(cJSON_IsObject(clock));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(clock, "predicted")));
    assert_true(cJSON_GetObjectItem(clock, "seconds_left")->valuedouble > 0);
    cJSON_Delete(j);
    char *text = report_text(rep);
    assert_non_null(strstr(text, "CRITICAL"));
    assert_non_null(strstr(text, "INACCESSIBLE CLOCK"));
    free(text);
    report_destroy(rep);
    teardown_run(&r);
}

/* No control character (but the layout's, in allowed) and no byte UTF-8 never uses. */
static void assert_safe(const char *text, const char *allowed)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (strchr(allowed, *p))
            continue;
        if (*p < 0x20 || *p == 0x7f || *p >= 0xf8 || *p == 0xc0 || *p == 0xc1)
            fail_msg("unsafe byte 0x%02x at %zu in:\n%s", *p,
                     (size_t)(p - (const unsigned char *)text), text);
    }
}

static void test_hostile_text_is_made_safe(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    /* A protector type as an ARM answer could send it: escapes and invalid UTF-8. */
    struct model_instance *mi = support_mi(r.m, SUPPORT_MI_EUS2);
    free(mi->protector.type);
    mi->protector.type = strdup("Evil\x1b[2J\x1b]52;c;cHduZWQ=\x07\xff\xc0\xaf\r\nEnd");
    struct report *rep = judge(&r);
    char *text = report_text(rep), *json = report_json(rep);
    assert_non_null(strstr(text, "Evil [2J ]52;c;cHduZWQ= ???  End"));
    assert_safe(text, "\n");
    assert_safe(json, "\n\t");
    assert_non_null(strstr(json, "Evil [2J ]52;c;cHduZWQ= ???  End"));
    free(text);
    free(json);
    report_destroy(rep);
    teardown_run(&r);
}

static void test_unknown_when_blind_or_incomplete(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    r.in.sweep_complete = false;
    struct report *rep = judge(&r);
    assert_int_equal(report_status(rep), REPORT_UNKNOWN);
    assert_non_null(strstr(report_summary(rep), "did not complete"));
    report_destroy(rep);
    r.in.sweep_complete = true;
    /* A vault's keys never read: D01 HIGH, tdectl cannot judge it. */
    struct model_vault *v = support_vault(r.m, SUPPORT_KV_CUS);
    v->keys_fresh.read_at = 0;
    v->keys_fresh.tried_at = SUPPORT_NOW_MS;
    v->keys_fresh.err = CORE_ERR_TIMEOUT;
    rep = judge(&r);
    assert_int_equal(report_status(rep), REPORT_UNKNOWN);
    report_destroy(rep);
    teardown_run(&r);
    /* Nothing found at all is not OK either. */
    struct model *empty = model_create();
    struct health *h = health_create();
    health_evaluate(h, empty, SUPPORT_NOW_MS, NULL);
    struct whatif_params wp;
    whatif_params_init(&wp, SUPPORT_NOW_MS);
    struct report_input in = {.model = empty,
                              .health = h,
                              .whatif = &wp,
                              .now_ms = SUPPORT_NOW_MS,
                              .sweep_complete = true};
    rep = report_create(&in, NULL);
    assert_int_equal(report_status(rep), REPORT_UNKNOWN);
    report_destroy(rep);
    health_destroy(h);
    model_destroy(empty);
}

static void test_group_scope(void **state)
{
    (void)state;
    struct run r;
    setup_run(&r);
    r.in.group = "no-such-group";
    health_evaluate(r.h, r.m, SUPPORT_NOW_MS, NULL);
    char *cause = NULL;
    assert_null(report_create(&r.in, &cause));
    assert_non_null(strstr(cause, "no-such-group"));
    free(cause);
    r.in.group = "FOG-SQL-PROD"; /* names compare case-insensitively */
    struct report *rep = judge(&r);
    cJSON *j = json_of(rep);
    assert_string_equal(cJSON_GetObjectItem(j, "group")->valuestring, SUPPORT_FOG);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "instances")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "vaults")), 2);
    cJSON_Delete(j);
    report_destroy(rep);
    teardown_run(&r);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(report_status_name(REPORT_OK), "OK");
    assert_string_equal(report_status_name(REPORT_WARNING), "WARNING");
    assert_string_equal(report_status_name(REPORT_CRITICAL), "CRITICAL");
    assert_string_equal(report_status_name(REPORT_UNKNOWN), "UNKNOWN");
    assert_string_equal(report_status_name((enum report_status)9), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_is_ok),
        cmocka_unit_test(test_hostile_text_is_made_safe),
        cmocka_unit_test(test_lost_access_is_critical),
        cmocka_unit_test(test_unknown_when_blind_or_incomplete),
        cmocka_unit_test(test_group_scope),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
