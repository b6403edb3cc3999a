/*
 * rotplan: the order of a rotation is fixed by the plan and nothing else — for
 * every origin and for one vault; a journal whose steps were moved, dropped or
 * added is refused; no step deletes, disables or purges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rotplan.h"
#include "xmem.h"

#define SUB "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/"

static void side(struct rot_side *s, const char *mi, const char *vault)
{
    snprintf(s->instance, sizeof s->instance, "%s", mi);
    snprintf(s->instance_id, sizeof s->instance_id, SUB "%s", mi);
    snprintf(s->vault, sizeof s->vault, "%s", vault);
    snprintf(s->vault_uri, sizeof s->vault_uri, "https://%s.vault.azure.net", vault);
    snprintf(s->vault_subscription, sizeof s->vault_subscription, "s");
    snprintf(s->vault_geography, sizeof s->vault_geography, "United States");
    s->vault_premium = true;
    snprintf(s->prev_key, sizeof s->prev_key, "%s_old_0123456789abcdef0123456789abcdef", vault);
}

static void plan(struct rot_plan *p, enum rot_origin origin, bool one_vault)
{
    memset(p, 0, sizeof *p);
    wizard_init(&p->w, "rotate");
    snprintf(p->group, sizeof p->group, "fog");
    p->origin = origin;
    side(&p->pri, "mi-p", "kv-p");
    side(&p->sec, "mi-s", one_vault ? "kv-p" : "kv-s");
    p->one_vault = one_vault;
    snprintf(p->new_key, sizeof p->new_key, "fog-tde-20261129");
    p->bits = 3072;
    p->hsm = true;
    p->exp = 1900000000;
    p->watch_s = 1800;
    p->lock_s = 9000;
    p->planned = 1796000000;
    if (origin == ROT_ORIGIN_FILE)
        snprintf(p->key_file, sizeof p->key_file, "/keys/new.pem");
    rotplan_steps(p);
}

static void expect_ids(const struct rot_plan *p, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    for (size_t i = 0; i < p->w.nsteps && i < n; i++)
        if (strcmp(p->w.steps[i].id, want[i]) != 0)
            fail_msg("step %zu is %s, not %s", i + 1, p->w.steps[i].id, want[i]);
    assert_int_equal(p->w.nsteps, n);
}

static const struct wizard_step *find(const struct rot_plan *p, const char *id)
{
    size_t i = wizard_find(&p->w, id);
    assert_true(i < p->w.nsteps);
    return &p->w.steps[i];
}

static void test_vault_origin_order(void **state)
{
    (void)state;
    struct rot_plan p;
    plan(&p, ROT_ORIGIN_VAULT, false);
    static const char *const want[] = {"preconditions",
                                       "lock",
                                       "name-free",
                                       "create",
                                       "backup",
                                       "restore",
                                       "verify-material",
                                       "prove-material",
                                       "register-secondary",
                                       "register-primary",
                                       "protect-secondary",
                                       "protect-primary",
                                       "watch",
                                       NULL};
    expect_ids(&p, want);
    /* The material starts in the secondary's vault and is restored into the primary's. */
    assert_non_null(strstr(find(&p, "create")->calls[0].resource, "kv-s.vault"));
    assert_non_null(strstr(find(&p, "restore")->calls[0].resource, "kv-p.vault"));
    /* Registrations and protectors go to the instance each step names, secondary first. */
    const struct wizard_step *rs = find(&p, "register-secondary");
    assert_int_equal(rs->ncalls, 2);
    for (size_t i = 0; i < rs->ncalls; i++)
        assert_non_null(strstr(rs->calls[i].resource, SUB "mi-s/keys/"));
    assert_string_equal(find(&p, "protect-secondary")->calls[0].resource,
                        SUB "mi-s/encryptionProtector/current");
    assert_string_equal(find(&p, "protect-primary")->calls[0].resource,
                        SUB "mi-p/encryptionProtector/current");
    rotplan_cleanup(&p);
}

static void test_import_origins_order(void **state)
{
    (void)state;
    static const char *const want[] = {"preconditions",
                                       "lock",
                                       "name-free",
                                       "generate",
                                       "import-secondary",
                                       "import-primary",
                                       "backup",
                                       "verify-material",
                                       "prove-material",
                                       "register-secondary",
                                       "register-primary",
                                       "protect-secondary",
                                       "protect-primary",
                                       "watch",
                                       NULL};
    struct rot_plan p;
    plan(&p, ROT_ORIGIN_OFFLINE, false);
    expect_ids(&p, want);
    assert_non_null(strstr(find(&p, "import-secondary")->calls[0].resource, "kv-s.vault"));
    assert_non_null(strstr(find(&p, "import-primary")->calls[0].resource, "kv-p.vault"));
    rotplan_cleanup(&p);
    plan(&p, ROT_ORIGIN_FILE, false);
    assert_int_equal(wizard_find(&p.w, "generate"), (size_t)-1);
    assert_int_equal(wizard_find(&p.w, "load"), 3);
    assert_int_equal(p.w.nsteps, 14);
    rotplan_cleanup(&p);
}

static void test_one_vault(void **state)
{
    (void)state;
    struct rot_plan p;
    plan(&p, ROT_ORIGIN_VAULT, true);
    static const char *const want[] = {"preconditions",
                                       "lock",
                                       "name-free",
                                       "create",
                                       "backup",
                                       "verify-material",
                                       "register-secondary",
                                       "register-primary",
                                       "protect-secondary",
                                       "protect-primary",
                                       "watch",
                                       NULL};
    expect_ids(&p, want);
    assert_int_equal(find(&p, "register-primary")->ncalls, 1);
    rotplan_cleanup(&p);
}

/* Nothing in any plan deletes, disables or purges. */
static void test_nothing_destructive(void **state)
{
    (void)state;
    for (int o = ROT_ORIGIN_VAULT; o <= ROT_ORIGIN_FILE; o++)
        for (int one = 0; one < 2; one++) {
            struct rot_plan p;
            plan(&p, (enum rot_origin)o, one);
            for (size_t i = 0; i < p.w.nsteps; i++)
                for (size_t c = 0; c < p.w.steps[i].ncalls; c++) {
                    const struct wizard_call *k = &p.w.steps[i].calls[c];
                    assert_string_not_equal(k->method, "DELETE");
                    assert_null(strstr(k->resource, "purge"));
                    assert_null(strstr(k->resource, "delete"));
                }
            rotplan_cleanup(&p);
        }
}

static cJSON *journal_plan(enum rot_origin origin)
{
    struct rot_plan p;
    plan(&p, origin, false);
    cJSON *j = rotplan_json(&p);
    rotplan_cleanup(&p);
    return j;
}

static void expect_refused(cJSON *j, const char *want)
{
    struct rot_plan back;
    char *cause = NULL;
    assert_int_equal(rotplan_from_json(&back, j, &cause), -1);
    if (cause == NULL || strstr(cause, want) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\"", cause ? cause : "(none)", want);
    free(cause);
    rotplan_cleanup(&back);
}

/* A journal's plan round-trips; moving, dropping or adding a step is refused. */
static void test_edited_journal_refused(void **state)
{
    (void)state;
    cJSON *j = journal_plan(ROT_ORIGIN_VAULT);
    struct rot_plan back;
    char *cause = NULL;
    assert_int_equal(rotplan_from_json(&back, j, &cause), 0);
    assert_string_equal(back.new_key, "fog-tde-20261129");
    assert_int_equal(back.w.nsteps, 13);
    rotplan_cleanup(&back);

    /* protect-primary moved before register-secondary: the two swap places */
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(j, "steps");
    cJSON *reg = cJSON_GetArrayItem(steps, 8), *prot = cJSON_GetArrayItem(steps, 11);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(reg, "id")->valuestring,
                        "register-secondary");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(prot, "id")->valuestring,
                        "protect-primary");
    cJSON_ReplaceItemInObjectCaseSensitive(reg, "id", cJSON_CreateString("protect-primary"));
    cJSON_ReplaceItemInObjectCaseSensitive(prot, "id", cJSON_CreateString("register-secondary"));
    expect_refused(j, "edited");
    cJSON_Delete(j);

    j = journal_plan(ROT_ORIGIN_OFFLINE); /* register-secondary dropped */
    steps = cJSON_GetObjectItemCaseSensitive(j, "steps");
    cJSON_DeleteItemFromArray(steps, 9);
    expect_refused(j, "edited");
    cJSON_Delete(j);

    j = journal_plan(ROT_ORIGIN_FILE); /* a step added */
    steps = cJSON_GetObjectItemCaseSensitive(j, "steps");
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "id", "protect-primary");
    cJSON_AddStringToObject(extra, "title", "again");
    cJSON_AddItemToArray(steps, extra);
    expect_refused(j, "edited");
    cJSON_Delete(j);

    j = journal_plan(ROT_ORIGIN_VAULT); /* the origin changed under its steps */
    cJSON_ReplaceItemInObjectCaseSensitive(j, "origin", cJSON_CreateString("offline"));
    expect_refused(j, "edited");
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vault_origin_order),
        cmocka_unit_test(test_import_origins_order),
        cmocka_unit_test(test_one_vault),
        cmocka_unit_test(test_nothing_destructive),
        cmocka_unit_test(test_edited_journal_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
