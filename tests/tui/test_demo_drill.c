/*
 * demo_drill: every practice drill applied to a real azsim (which refuses a
 * fault spec it does not know exactly), listed and cleared; and its effect on
 * azsim's instance model checked against what the drill tells the engineer
 * to watch for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "demo.h"
#include "xmem.h"

static struct demo *shared;

static int group_setup(void **state)
{
    (void)state;
    char *cause = NULL;
    shared = demo_start(NULL, &cause);
    if (shared == NULL)
        fprintf(stderr, "demo_start: %s\n", cause);
    free(cause);
    return shared ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return demo_stop(shared) == 0 ? 0 : -1; /* azsim, built with the sanitizers too, exits 0 */
}

static const char *jstr(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *named(const cJSON *list, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (jstr(item, "name") && strcmp(jstr(item, "name"), name) == 0)
            return item;
    }
    return NULL;
}

static void test_degenerate(void **state)
{
    (void)state;
    char *cause = NULL, *ids = NULL;
    assert_null(demo_drill_find(NULL));
    assert_null(demo_drill_find(""));
    assert_null(demo_drill_find("no-such-drill"));
    assert_int_equal(demo_drill_start(NULL, demo_drill_find("vault-outage-eus2"), &ids, &cause),
                     -1);
    assert_null(ids);
    assert_non_null(cause);
    assert_int_equal(demo_drill_start(shared, NULL, &ids, &cause), -1);
    struct demo_drill empty = {"empty", "t", "w", {NULL}};
    assert_int_equal(demo_drill_start(shared, &empty, &ids, &cause), -1);
    assert_null(ids);
    struct demo_drill junk = {"junk", "t", "w", {"not json"}};
    assert_int_equal(demo_drill_start(shared, &junk, &ids, &cause), -1);
    assert_non_null(strstr(cause, "400"));
    size_t n = 0;
    assert_non_null(demo_drills(NULL));
    assert_non_null(demo_drills(&n));
    free(cause);
}

static int count_faults(void)
{
    char *json = NULL, *cause = NULL;
    assert_int_equal(demo_faults(shared, &json, &cause), 0);
    cJSON *j = cJSON_Parse(json);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
    assert_true(cJSON_IsArray(value));
    int n = cJSON_GetArraySize(value);
    cJSON_Delete(j);
    free(json);
    return n;
}

static void test_drill_table(void **state)
{
    (void)state;
    size_t n = 0;
    const struct demo_drill *drills = demo_drills(&n);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        const struct demo_drill *dr = &drills[i];
        assert_true(strlen(dr->id) > 0 && strlen(dr->title) > 0 && strlen(dr->watch) > 0);
        assert_true(strlen(dr->title) <= 60); /* a menu line */
        assert_ptr_equal(demo_drill_find(dr->id), dr);
        assert_non_null(dr->specs[0]);
        for (size_t s = 0; s < DEMO_DRILL_MAX_FAULTS && dr->specs[s]; s++) {
            cJSON *j = cJSON_Parse(dr->specs[s]);
            assert_true(cJSON_IsObject(j));
            cJSON_Delete(j);
        }
    }
}

/* azsim is strict about fault specs: every drill is accepted, listed, and cleared. */
static void test_every_drill_accepted(void **state)
{
    (void)state;
    size_t n = 0;
    const struct demo_drill *drills = demo_drills(&n);
    for (size_t i = 0; i < n; i++) {
        char *ids = NULL, *cause = NULL;
        int rc = demo_drill_start(shared, &drills[i], &ids, &cause);
        if (rc < 0)
            fprintf(stderr, "drill %s: %s\n", drills[i].id, cause);
        assert_int_equal(rc, 0);
        int specs = 0;
        while (specs < DEMO_DRILL_MAX_FAULTS && drills[i].specs[specs])
            specs++;
        assert_int_equal(count_faults(), specs);
        assert_int_equal(demo_clear(shared, ids, &cause), 0);
        assert_int_equal(count_faults(), 0);
        free(ids);
        free(cause);
    }
}

/* Each drill does to azsim's instances what its "watch" sentence says. */
static void test_drill_effects(void **state)
{
    (void)state;
    static const struct {
        const char *drill, *eus2, *cus;
    } want[] = {
        {"vault-outage-eus2", "secondary", "ok"},
        {"vault-outage-cus", "ok", "secondary"},
        {"vault-outage-both", "lost", "lost"},
        {"vault-path-eus2", "secondary", "ok"},
        {"pe-disconnected-eus2", "secondary", "ok"},
        {"key-expired-eus2", "lost", "ok"},
        {"key-disabled-eus2", "lost", "ok"},
        {"key-deleted-eus2", "lost", "ok"},
        {"access-revoked-eus2", "lost", "ok"},
        {"rbac-flip-eus2", "lost", "ok"},
        {"vault-deleted-cus", "ok", "lost"},
        {"vault-read-only-eus2", "ok", "ok"},
        {"throttle-vault-eus2", "ok", "ok"},
        {"throttle-arm", "ok", "ok"},
        {"slow-vault-cus", "ok", "ok"},
        {"entra-outage", "ok", "ok"},
    };
    size_t n = 0;
    demo_drills(&n);
    assert_int_equal(n, sizeof want / sizeof want[0]); /* a new drill needs a row here */
    for (size_t i = 0; i < n; i++) {
        char *ids = NULL, *cause = NULL, *model = NULL;
        assert_int_equal(demo_drill_start(shared, demo_drill_find(want[i].drill), &ids, &cause), 0);
        assert_int_equal(demo_advance(shared, 600, &cause), 0); /* one instance check */
        assert_int_equal(demo_model(shared, &model, &cause), 0);
        cJSON *j = cJSON_Parse(model);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "instances");
        const char *eus2 = jstr(named(list, "sqlmi-prod-eus2"), "access");
        const char *cus = jstr(named(list, "sqlmi-prod-cus"), "access");
        if (strcmp(eus2, want[i].eus2) != 0 || strcmp(cus, want[i].cus) != 0)
            fprintf(stderr, "drill %s: %s\n", want[i].drill, model);
        assert_string_equal(eus2, want[i].eus2);
        assert_string_equal(cus, want[i].cus);
        cJSON_Delete(j);
        free(model);
        assert_int_equal(demo_clear(shared, ids, &cause), 0);
        assert_int_equal(demo_advance(shared, 600, &cause),
                         0); /* access back, within the heal window */
        free(ids);
        free(cause);
    }
}

/* A drill whose second fault azsim refuses leaves nothing behind; the cause is azsim's. */
static void test_drill_all_or_nothing(void **state)
{
    (void)state;
    struct demo_drill half = {"half",
                              "t",
                              "w",
                              {"{\"kind\":\"refused\",\"target\":\"vault:kv-tde-eus2\"}",
                               "{\"kind\":\"latency\",\"target\":\"arm\",\"ms\":\"800\"}"}};
    char *ids = NULL, *cause = NULL;
    assert_int_equal(demo_drill_start(shared, &half, &ids, &cause), -1);
    assert_null(ids);
    assert_non_null(strstr(cause, "400"));
    assert_non_null(strstr(cause, "must be a number"));
    assert_int_equal(count_faults(), 0);
    /* Two state faults on one vault's grants: the second is refused naming the first. */
    char *first = NULL;
    assert_int_equal(
        demo_drill_start(shared, demo_drill_find("access-revoked-eus2"), &first, &cause), 0);
    assert_int_equal(demo_drill_start(shared, demo_drill_find("rbac-flip-eus2"), &ids, &cause), -1);
    assert_non_null(strstr(cause, first));
    assert_int_equal(count_faults(), 1);
    assert_int_equal(demo_clear(shared, NULL, &cause), 0);
    assert_int_equal(count_faults(), 0);
    free(first);
    free(cause);
}

/* Several ids at once, and one already gone: the rest are still cleared. */
static void test_clear_list(void **state)
{
    (void)state;
    char *ids = NULL, *cause = NULL;
    assert_int_equal(demo_drill_start(shared, demo_drill_find("vault-outage-both"), &ids, &cause),
                     0);
    assert_non_null(strchr(ids, ','));
    assert_int_equal(count_faults(), 2);
    char *list = xasprintf("f9999,%s", ids);
    assert_int_equal(demo_clear(shared, list, &cause), -1);
    assert_non_null(strstr(cause, "f9999"));
    assert_int_equal(count_faults(), 0);
    free(list);
    free(ids);
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),           cmocka_unit_test(test_drill_table),
        cmocka_unit_test(test_every_drill_accepted), cmocka_unit_test(test_drill_effects),
        cmocka_unit_test(test_drill_all_or_nothing), cmocka_unit_test(test_clear_list),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
