/* observed: what-if with the vaults tdectl sees down counted as out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "observed.h"
#include "support_estate.h"

static const struct whatif_result *of(const struct whatif_result *w, size_t n, const char *mi)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i].instance, mi) == 0)
            return &w[i];
    fail_msg("no result for %s", mi);
    return NULL;
}

static void probe(struct model_vault *v, bool ok, int status)
{
    v->probe_fresh.tried_at = SUPPORT_NOW_MS;
    if (ok) {
        v->probe_fresh.read_at = SUPPORT_NOW_MS;
        v->probe_fresh.err = CORE_OK;
        free(v->probe_fresh.error);
        v->probe_fresh.error = NULL;
    } else {
        v->probe_fresh.err = status ? CORE_ERR_HTTP : CORE_ERR_TIMEOUT;
        v->probe_fresh.status = status;
        free(v->probe_fresh.error);
        v->probe_fresh.error = strdup("down");
    }
}

static void test_degenerate(void **state)
{
    (void)state;
    struct whatif_scenario sc[4];
    assert_false(observed_vault_down(NULL));
    assert_int_equal(observed_down(NULL, sc, 4), 0);
    struct model *m = support_estate(NULL);
    struct model_vault *v = support_vault(m, SUPPORT_KV_EUS2);
    v->probe_fresh.tried_at = 0; /* never probed: not down */
    assert_false(observed_vault_down(v));
    model_destroy(m);
}

static void test_nothing_down_is_current(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    for (size_t i = 0; i < m->nvaults; i++)
        probe(m->vaults[i], true, 0);
    struct whatif_params p;
    whatif_params_init(&p, SUPPORT_NOW_MS);
    struct whatif_scenario sc[4];
    assert_int_equal(observed_down(m, sc, 4), 0);
    size_t n;
    struct whatif_result *w = observed_run(m, NULL, &p, &n);
    assert_int_equal(n, 2);
    assert_int_equal(of(w, n, SUPPORT_MI_EUS2)->outcome, WHATIF_UNAFFECTED);
    free(w);
    /* What if kv-tde-eus2 goes down: the eus2 instance falls back to kv-tde-cus. */
    w = observed_run(m, SUPPORT_KV_EUS2, &p, &n);
    assert_int_equal(of(w, n, SUPPORT_MI_EUS2)->outcome, WHATIF_VIA_SECONDARY);
    assert_string_equal(of(w, n, SUPPORT_MI_EUS2)->via, SUPPORT_KV_CUS);
    free(w);
    assert_null(observed_run(m, "kv-nowhere", &p, &n));
    assert_int_equal(n, 0);
    model_destroy(m);
}

static void test_observed_outage_counts(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    probe(support_vault(m, SUPPORT_KV_CUS), true, 0);
    probe(support_vault(m, SUPPORT_KV_EUS2), false, 0);
    struct whatif_params p;
    whatif_params_init(&p, SUPPORT_NOW_MS);
    struct whatif_scenario sc[4];
    assert_int_equal(observed_down(m, sc, 4), 1);
    assert_int_equal(sc[0].kind, WHATIF_VAULT_OUTAGE);
    assert_string_equal(sc[0].target, SUPPORT_KV_EUS2);
    size_t n;
    struct whatif_result *w = observed_run(m, NULL, &p, &n);
    assert_int_equal(of(w, n, SUPPORT_MI_EUS2)->outcome, WHATIF_VIA_SECONDARY);
    assert_int_equal(of(w, n, SUPPORT_MI_CUS)->outcome, WHATIF_UNAFFECTED);
    free(w);
    /* kv-tde-cus down as well: both lose key access. Naming the down one again changes nothing. */
    w = observed_run(m, SUPPORT_KV_CUS, &p, &n);
    assert_int_equal(of(w, n, SUPPORT_MI_CUS)->outcome, WHATIF_INACCESSIBLE);
    assert_int_equal(of(w, n, SUPPORT_MI_EUS2)->outcome, WHATIF_INACCESSIBLE);
    free(w);
    w = observed_run(m, SUPPORT_KV_EUS2, &p, &n);
    assert_int_equal(of(w, n, SUPPORT_MI_EUS2)->outcome, WHATIF_VIA_SECONDARY);
    /* One instance alone gives what the whole run gives for it. */
    struct whatif_result one;
    assert_int_equal(observed_run_one(m, SUPPORT_KV_CUS, &p, support_mi(m, SUPPORT_MI_CUS), &one),
                     0);
    assert_int_equal(one.outcome, WHATIF_INACCESSIBLE);
    assert_string_equal(one.instance, SUPPORT_MI_CUS);
    assert_int_equal(observed_run_one(m, NULL, &p, support_mi(m, SUPPORT_MI_EUS2), &one), 0);
    assert_int_equal(one.outcome, of(w, n, SUPPORT_MI_EUS2)->outcome);
    assert_string_equal(one.via, of(w, n, SUPPORT_MI_EUS2)->via);
    assert_int_equal(observed_run_one(m, "kv-nowhere", &p, support_mi(m, SUPPORT_MI_EUS2), &one),
                     -1);
    assert_int_equal(observed_run_one(m, NULL, &p, NULL, &one), -1);
    free(w);
    model_destroy(m);
}

static void test_throttled_and_deleted(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    probe(support_vault(m, SUPPORT_KV_EUS2), false, 429); /* refusing tdectl, not SQL */
    support_vault(m, SUPPORT_KV_CUS)->deleted = true;
    struct whatif_scenario sc[4];
    assert_int_equal(observed_down(m, sc, 4), 1);
    assert_int_equal(sc[0].kind, WHATIF_VAULT_DELETED);
    assert_string_equal(sc[0].target, SUPPORT_KV_CUS);
    assert_int_equal(observed_down(m, sc, 0), 0); /* cap honoured */
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_nothing_down_is_current),
        cmocka_unit_test(test_observed_outage_counts),
        cmocka_unit_test(test_throttled_and_deleted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
