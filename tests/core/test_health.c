/*
 * Unit tests for core/health and its rule table: the healthy demo estate of
 * support_estate gives no finding at all; each rule is triggered by the
 * smallest change and cleared by undoing it (support_breaks); first_seen
 * survives re-evaluation; data never read yields the D01 report and no false
 * finding; data whose last read failed is judged on the last good copy and
 * marked stale; the Inaccessible clock runs from the earliest sign.
 *
 * Degenerate inputs first: the table itself, an empty model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "support_breaks.h"
#include "support_estate.h"
#include "xmem.h"

#define NOW    SUPPORT_NOW_MS
#define MINUTE 60000LL

/* What the test saw, on failure. */
static void dump(const struct health *h)
{
    size_t n;
    const struct health_finding *f = health_findings(h, &n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  %s %s [%s] %s%s\n", f[i].rule, health_sev_name(f[i].sev), f[i].subject,
                f[i].evidence, f[i].stale ? " (stale)" : "");
}

static const struct health_finding *find(const struct health *h, const char *rule,
                                         const char *subject)
{
    return health_find(h, rule, subject);
}

static const struct health_finding *must_find(const struct health *h, const char *rule,
                                              const char *subject)
{
    const struct health_finding *f = find(h, rule, subject);
    if (f == NULL) {
        dump(h);
        fail_msg("no %s finding about %s", rule, subject);
    }
    return f;
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void assert_clean(const struct health *h)
{
    if (health_count(h, HEALTH_HIGH) != 0) {
        dump(h);
        fail_msg("%zu CRIT/HIGH findings", health_count(h, HEALTH_HIGH));
    }
}

/* -- the table and degenerate models --------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    static const char *const checked[] = {
        "V01", "V02", "V03", "V04", "V05", "V07", "V08", "V09", "V10", "V11", "V13", "V14",
        "V15", "V18", "K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K10", "K11",
        "I01", "I02", "I03", "I04", "I05", "I06", "G01", "G02", "G03", "G04", "G05", "D01"};
    static const char *const unchecked[] = {"V06", "V12", "V16", "V17", "K09", "K12",
                                            "I07", "I08", "I09", "I10", "I11", "G06"};
    size_t n;
    const struct health_rule *rules = health_rules(&n);
    assert_int_equal(n,
                     sizeof checked / sizeof checked[0] + sizeof unchecked / sizeof unchecked[0]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(rules[i].id, rules[j].id);
        assert_non_null(rules[i].title);
        assert_non_null(rules[i].remedy);
        assert_true(rules[i].eval != NULL || rules[i].unchecked != NULL);
    }
    for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
        const struct health_rule *r = health_rule(checked[i]);
        assert_non_null(r);
        assert_non_null(r->eval);
    }
    for (size_t i = 0; i < sizeof unchecked / sizeof unchecked[0]; i++) {
        const struct health_rule *r = health_rule(unchecked[i]);
        assert_non_null(r);
        assert_null(r->eval);
        assert_non_null(r->unchecked);
    }
    assert_null(health_rule("Z99"));
    assert_null(health_rule(NULL));
    assert_int_equal(health_rule("V07")->sev, HEALTH_CRIT);
    assert_int_equal(health_rule("V04")->sev, HEALTH_INFO);
    assert_int_equal(health_rule("K11")->sev, HEALTH_LOW);
    assert_string_equal(health_sev_name(HEALTH_CRIT), "CRIT");
    assert_string_equal(health_sev_name(HEALTH_INFO), "INFO");
    assert_string_equal(health_sev_name((enum health_sev)42), "?");
}

static void test_empty_model(void **state)
{
    (void)state;
    struct model *m = model_create();
    struct health *h = health_create();
    struct health_changes chg;
    size_t n;
    health_destroy(NULL);
    assert_null(health_findings(h, &n));
    assert_int_equal(n, 0);
    health_evaluate(h, NULL, NOW, &chg);
    assert_non_null(find(h, "D01", "estate (all)"));
    health_evaluate(h, m, NOW, &chg);
    /* An estate tdectl sees nothing of is not healthy. */
    const struct health_finding *f = must_find(h, "D01", "estate (all)");
    assert_int_equal(f->sev, HEALTH_HIGH);
    assert_int_equal(chg.added, 0);
    assert_int_equal(chg.kept, 1);
    assert_false(health_clock(h, NULL, NOW, &(struct healclock){0}));
    health_destroy(h);
    model_destroy(m);
}

/* Entities with little more than their names (what a hostile or partial answer leaves). */
static struct model *sparse_model(void)
{
    struct model *m = model_create();
    struct model_instance mi = {.id = xstrdup("/mi/a"), .name = xstrdup("mi-a")};
    struct model_instance *in = model_put_instance(m, &mi);
    struct model_server_key *keys = xcalloc(2, sizeof *keys);
    keys[0].name = xstrdup("k0"); /* no uri, no thumbprint */
    keys[1].uri = xstrdup("https://kv-a.vault.azure.net/keys/k/");
    keys[1].thumbprint = xstrdup("AB");
    model_set_server_keys(m, in, keys, 2);
    struct model_protector p = {.uri = xstrdup("https://kv-a.vault.azure.net/keys/k")};
    model_set_protector(m, in, &p, NOW);
    in->past_protectors = xcalloc(1, sizeof *in->past_protectors);
    in->past_protectors[0] = xstrdup("CD");
    in->npast = 1;
    struct model_vault v = {.name = xstrdup("kv-a"), .arm_fresh = {NOW, NOW, 0, 0, NULL, NULL}};
    v.default_action = xstrdup("Deny");
    v.npecs = 1;
    v.pecs = xcalloc(1, sizeof *v.pecs);
    struct model_vault *vin = model_put_vault(m, &v);
    char **names = xcalloc(1, sizeof *names);
    names[0] = xstrdup("k");
    model_set_key_names(m, vin, names, 1);
    struct model_version *vers = xcalloc(1, sizeof *vers);
    model_set_versions(m, &vin->keys[0], vers, 1);
    struct model_fog fg = {
        .id = xstrdup("/fog/x"), .name = xstrdup("fog-x"), .primary_id = xstrdup("/mi/a")};
    model_put_fog(m, &fg);
    struct model_pe pe = {.id = xstrdup("/pe/x"), .name = xstrdup("pe-x")};
    model_put_pe(m, &pe);
    struct model_subscription sub = {.id = xstrdup("s")};
    model_put_subscription(m, &sub);
    return m;
}

static void test_sparse_model(void **state)
{
    (void)state;
    struct model *m = sparse_model();
    struct health *h = health_create();
    struct healclock c;
    health_set_expect_pairs(h, true);
    health_set_max_age(h, MINUTE);
    health_evaluate(h, m, NOW, NULL);
    health_evaluate(h, m, NOW + 2 * MINUTE, NULL);
    /* Never read is reported, and nothing else is invented from the blanks. */
    assert_non_null(find(h, "D01", "instance mi-a"));
    assert_null(find(h, "K01", "key kv-a/k"));
    assert_null(find(h, "V13", "vault kv-a"));
    health_clock(h, m->instances[0], NOW, &c);
    health_destroy(h);
    model_destroy(m);
}

static void test_healthy(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    size_t n;
    health_evaluate(h, m, NOW, NULL);
    health_findings(h, &n);
    if (n) {
        dump(h);
        fail_msg("the healthy estate has %zu findings", n);
    }
    health_destroy(h);
    model_destroy(m);
}

#define VE(m)          support_vault(m, SUPPORT_KV_EUS2)
#define MC(m)          support_mi(m, SUPPORT_MI_CUS)
#define ME(m)          support_mi(m, SUPPORT_MI_EUS2)
#define PROT(m, vault) support_version(m, vault, SUPPORT_KEY_2025, SUPPORT_VER_V2)
#define ALL            (MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP)

/* -- one break per rule --------------------------------------------------------------------- */

static void test_breaks(void **state)
{
    (void)state;
    size_t nbreaks;
    const struct support_break *breaks = support_breaks(&nbreaks);
    for (size_t i = 0; i < nbreaks; i++) {
        const struct support_break *t = &breaks[i];
        struct model *m = support_estate(NULL);
        struct health *h = health_create();
        size_t n;
        health_evaluate(h, m, NOW, NULL);
        assert_null(find(h, t->rule, t->subject));
        t->set(m, true);
        health_evaluate(h, m, NOW + MINUTE, NULL);
        const struct health_finding *f = must_find(h, t->rule, t->subject);
        if (f->sev != t->sev || strstr(f->evidence, t->evidence) == NULL) {
            dump(h);
            fail_msg("break %s: %s %s \"%s\"", t->name, t->rule, health_sev_name(f->sev),
                     f->evidence);
        }
        assert_non_null(f->remedy);
        assert_string_equal(f->title, health_rule(t->rule)->title);
        t->set(m, false);
        health_evaluate(h, m, NOW + 2 * MINUTE, NULL);
        if (find(h, t->rule, t->subject)) {
            dump(h);
            fail_msg("break %s: %s stays after the undo", t->name, t->rule);
        }
        assert_clean(h);
        const struct health_finding *gone = health_resolved(h, &n);
        bool resolved = false;
        for (size_t j = 0; j < n; j++)
            resolved = resolved || (strcmp(gone[j].rule, t->rule) == 0 &&
                                    strcmp(gone[j].subject, t->subject) == 0);
        assert_true(resolved);
        health_destroy(h);
        model_destroy(m);
    }
}

/* -- grading, persistence, order ------------------------------------------------------------- */

static void test_k04_grades(void **state)
{
    (void)state;
    static const struct {
        int64_t days;
        int sev; /* -1: none */
        const char *evidence;
    } cases[] = {
        {-1, HEALTH_CRIT, "expired on 2025-12-31"},
        {0, HEALTH_CRIT, "expired"},
        {3, HEALTH_CRIT, "in 3 days"},
        {20, HEALTH_HIGH, "in 20 days"},
        {60, HEALTH_MED, "in 60 days"},
        {100, -1, NULL},
    };
    const char *subject = "key kv-tde-eus2/tde-protector-2025";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct model *m = support_estate(NULL);
        struct health *h = health_create();
        PROT(m, SUPPORT_KV_EUS2)->exp = SUPPORT_NOW_S + cases[i].days * SUPPORT_DAY_S;
        health_evaluate(h, m, NOW, NULL);
        const struct health_finding *f = find(h, "K04", subject);
        if (cases[i].sev < 0) {
            assert_null(f);
        } else {
            assert_non_null(f);
            assert_int_equal(f->sev, cases[i].sev);
            assert_contains(f->evidence, cases[i].evidence);
        }
        health_destroy(h);
        model_destroy(m);
    }
}

static void test_first_seen_persists(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    struct health_changes chg;
    uint64_t gen = health_generation(h);
    health_evaluate(h, m, NOW, &chg);
    assert_int_equal(chg.added + chg.resolved + chg.kept, 0);
    assert_int_equal(health_generation(h), gen);
    support_break(m, "v14", true);
    health_evaluate(h, m, NOW + MINUTE, &chg);
    assert_int_equal(chg.added, 1);
    assert_true(health_generation(h) > gen);
    gen = health_generation(h);
    health_evaluate(h, m, NOW + 5 * MINUTE, &chg);
    assert_int_equal(chg.added, 0);
    assert_int_equal(chg.kept, 1);
    assert_int_equal(chg.moved, 0);
    assert_int_equal(health_generation(h), gen); /* nothing moved: no redraw */
    const struct health_finding *f = must_find(h, "V14", "vault kv-tde-eus2");
    assert_int_equal(f->first_seen, NOW + MINUTE);
    assert_int_equal(f->last_seen, NOW + 5 * MINUTE);
    /* A second problem arrives; the first keeps its first_seen. */
    support_break(m, "k10", true);
    health_evaluate(h, m, NOW + 6 * MINUTE, &chg);
    assert_int_equal(chg.added, 1);
    assert_int_equal(chg.kept, 1);
    assert_int_equal(must_find(h, "V14", "vault kv-tde-eus2")->first_seen, NOW + MINUTE);
    assert_int_equal(must_find(h, "K10", "key kv-tde-eus2/tde-protector-2025")->first_seen,
                     NOW + 6 * MINUTE);
    /* Resolved and back: a new first_seen. */
    support_break(m, "v14", false);
    health_evaluate(h, m, NOW + 7 * MINUTE, &chg);
    assert_int_equal(chg.resolved, 1);
    support_break(m, "v14", true);
    health_evaluate(h, m, NOW + 8 * MINUTE, &chg);
    assert_int_equal(must_find(h, "V14", "vault kv-tde-eus2")->first_seen, NOW + 8 * MINUTE);
    health_destroy(h);
    model_destroy(m);
}

static void test_sorted(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    size_t n;
    support_break(m, "k10", true);
    support_break(m, "v04", true);
    support_break(m, "v02", true);
    support_break(m, "k08", true);
    support_break(m, "v14", true);
    health_evaluate(h, m, NOW, NULL);
    const struct health_finding *f = health_findings(h, &n);
    assert_true(n >= 5);
    for (size_t i = 1; i < n; i++) {
        assert_true(f[i - 1].sev >= f[i].sev);
        if (f[i - 1].sev == f[i].sev)
            assert_true(strcmp(f[i - 1].subject, f[i].subject) <= 0);
    }
    assert_int_equal(f[0].sev, HEALTH_CRIT);
    assert_int_equal(f[n - 1].sev, HEALTH_INFO);
    assert_int_equal(health_count(h, HEALTH_INFO), n);
    health_destroy(h);
    model_destroy(m);
}

/* -- what could not be read ------------------------------------------------------------------- */

static void test_never_read_no_false_finding(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    struct model_vault *v = VE(m);
    struct model_instance *mi = MC(m);
    /* ARM properties never read: their zero values must not read as "soft delete off". */
    model_fresh_cleanup(&v->arm_fresh);
    v->soft_delete = v->purge_protection = false;
    v->tenant_id = (free(v->tenant_id), NULL);
    /* Databases never read (their statuses are leftovers). */
    support_set_dbs(m, mi, 3, 3, NOW);
    model_fresh_cleanup(&mi->dbs_fresh);
    health_evaluate(h, m, NOW, NULL);
    assert_null(find(h, "V02", "vault kv-tde-eus2"));
    assert_null(find(h, "V03", "vault kv-tde-eus2"));
    assert_null(find(h, "I06", "instance sqlmi-prod-cus"));
    const struct health_finding *f = must_find(h, "D01", "vault kv-tde-eus2");
    assert_int_equal(f->sev, HEALTH_HIGH);
    assert_contains(f->evidence, "vault properties never read");
    assert_false(f->stale);
    f = must_find(h, "D01", "instance sqlmi-prod-cus");
    assert_contains(f->evidence, "databases never read");
    health_destroy(h);
    model_destroy(m);
}

static void test_failed_read_is_stale(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    support_break(m, "v02", true);
    model_fresh_fail(m, &VE(m)->arm_fresh, NOW + 2 * MINUTE, CORE_ERR_NETWORK, 0,
                     "network: connection refused", "req-9");
    health_evaluate(h, m, NOW + 4 * MINUTE, NULL);
    /* Judged on the last good copy, and marked stale. */
    const struct health_finding *f = must_find(h, "V02", "vault kv-tde-eus2");
    assert_true(f->stale);
    f = must_find(h, "D01", "vault kv-tde-eus2");
    assert_true(f->stale);
    assert_contains(f->evidence, "vault properties: network: connection refused (tried 2 min "
                                 "ago; last good read 4 min ago)");
    health_destroy(h);
    model_destroy(m);
}

static void test_max_age(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    health_set_max_age(h, 10 * MINUTE);
    health_evaluate(h, m, NOW + 5 * MINUTE, NULL);
    assert_null(find(h, "D01", "vault kv-tde-eus2"));
    health_evaluate(h, m, NOW + 20 * MINUTE, NULL);
    const struct health_finding *f = must_find(h, "D01", "instance sqlmi-prod-eus2");
    assert_contains(f->evidence, "databases last read 20 min ago");
    health_set_max_age(h, 0);
    health_evaluate(h, m, NOW + 20 * MINUTE, NULL);
    assert_null(find(h, "D01", "instance sqlmi-prod-eus2"));
    health_destroy(h);
    model_destroy(m);
}

static void test_unreadable_entities(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    /* The partner instance is not in the model, the fog refers to it. */
    xstr_set(&m->fogs[0]->secondary_id, "/subscriptions/x/managedInstances/sqlmi-gone");
    model_fresh_fail(m, &support_pe(m, "pe-kv-tde-cus-in-cus")->fresh, NOW, CORE_ERR_AUTH, 401,
                     "auth: token refused", NULL);
    health_evaluate(h, m, NOW, NULL);
    assert_contains(must_find(h, "D01", "pair fog-sql-prod")->evidence,
                    "instance sqlmi-gone not in the model");
    const struct health_finding *f = must_find(h, "D01", "endpoint pe-kv-tde-cus-in-cus");
    assert_int_equal(f->sev, HEALTH_MED);
    /* An instance whose protector's vault tdectl never saw. */
    support_set_protector(m, MC(m), "kv-elsewhere", SUPPORT_KEY_2025, SUPPORT_VER_V2, SUPPORT_TP_V2,
                          false);
    health_evaluate(h, m, NOW, NULL);
    assert_contains(must_find(h, "D01", "instance sqlmi-prod-cus")->evidence,
                    "vault kv-elsewhere of its protector is not in the model");
    /*
     * A region tdectl could not read (a hostile or garbled location is dropped by
     * armid) leaves key access unjudged: UNKNOWN, never a silent OK.
     */
    xstr_set(&MC(m)->location, NULL);
    xstr_set(&support_vault(m, "kv-tde-eus2")->location, NULL);
    health_evaluate(h, m, NOW, NULL);
    f = must_find(h, "D01", "instance sqlmi-prod-cus");
    assert_int_equal(f->sev, HEALTH_HIGH);
    assert_contains(f->evidence, "instance region (location missing or not a region name)");
    assert_contains(must_find(h, "D01", "vault kv-tde-eus2")->evidence,
                    "vault region (location missing or not a region name)");
    health_destroy(h);
    model_destroy(m);
}

static void add_role(struct model_vault *v, const char *principal, const char *role)
{
    v->roles = xrealloc(v->roles, v->nroles + 1, sizeof *v->roles);
    v->roles[v->nroles++] = (struct model_role){xstrdup("ra"), xstrdup(principal), xstrdup(role),
                                                xstrdup("/subscriptions/" SUPPORT_SUB)};
}

static void test_v07_rbac(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    struct model_vault *v = VE(m);
    v->rbac = true;
    v->rbac_before = 1; /* RBAC from the start: no V08 */
    health_evaluate(h, m, NOW, NULL);
    const struct health_finding *f = must_find(h, "V07", "vault kv-tde-eus2");
    assert_int_equal(f->sev, HEALTH_HIGH);
    assert_true(f->stale);
    assert_contains(f->evidence, "cannot judge");
    assert_null(find(h, "V08", "vault kv-tde-eus2"));
    v->roles_known = true;
    model_fresh_ok(m, &v->roles_fresh, NOW, NULL);
    add_role(v, SUPPORT_OID_EUS2, MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER);
    health_evaluate(h, m, NOW, NULL);
    f = must_find(h, "V07", "vault kv-tde-eus2");
    assert_int_equal(f->sev, HEALTH_CRIT);
    assert_contains(f->evidence, "sqlmi-prod-cus (principal be615375...) has no Key Vault "
                                 "Crypto Service Encryption User");
    add_role(v, SUPPORT_OID_CUS, "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"); /* Crypto Officer */
    health_evaluate(h, m, NOW, NULL);
    assert_null(find(h, "V07", "vault kv-tde-eus2"));
    assert_clean(h);
    health_destroy(h);
    model_destroy(m);
}

static void test_expect_pairs(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    xstr_set(&m->fogs[0]->secondary_id, "/subscriptions/x/managedInstances/other");
    health_evaluate(h, m, NOW, NULL);
    assert_null(find(h, "G02", "instance sqlmi-prod-cus"));
    health_set_expect_pairs(h, true);
    health_evaluate(h, m, NOW, NULL);
    assert_int_equal(must_find(h, "G02", "instance sqlmi-prod-cus")->sev, HEALTH_CRIT);
    assert_null(find(h, "G02", "instance sqlmi-prod-eus2"));
    /* Its subscription could not be read: no judgement. */
    model_fresh_fail(m, &m->subs[0]->fresh, NOW, CORE_ERR_NETWORK, 0, "network: reset", NULL);
    health_evaluate(h, m, NOW, NULL);
    assert_null(find(h, "G02", "instance sqlmi-prod-cus"));
    health_destroy(h);
    model_destroy(m);
}

static void test_k11(void **state)
{
    (void)state;
    char name[128];
    for (int extra = 0; extra < 2; extra++) {
        /* kv-tde-eus2 is 11 characters: 83 + 11 = 94 is allowed, 95 is not. */
        memset(name, 'k', sizeof name);
        name[83 + extra] = '\0';
        struct model *m = support_estate(name);
        struct health *h = health_create();
        health_evaluate(h, m, NOW, NULL);
        char subject[192];
        snprintf(subject, sizeof subject, "key kv-tde-eus2/%s", name);
        const struct health_finding *f = find(h, "K11", subject);
        if (extra == 0) {
            assert_null(f);
        } else {
            assert_non_null(f);
            assert_int_equal(f->sev, HEALTH_LOW);
            assert_contains(f->evidence, "95 characters");
        }
        assert_clean(h);
        health_destroy(h);
        model_destroy(m);
    }
}

/* -- the Inaccessible clock ------------------------------------------------------------------ */

static void test_clock_from_prediction(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    struct model_instance *mi = ME(m);
    struct healclock c;
    const char *subject = "instance sqlmi-prod-eus2";
    health_evaluate(h, m, NOW, NULL);
    assert_false(health_clock(h, mi, NOW, &c));
    /* Access revoked on the primary: no database is Inaccessible yet, the loss is predicted. */
    support_policy(VE(m), SUPPORT_OID_EUS2)->key_perms = 0;
    health_evaluate(h, m, NOW, NULL);
    const struct health_finding *f = must_find(h, "I06", subject);
    assert_contains(f->evidence, "key access lost (predicted, AzureKeyVaultMissingPermissions)");
    assert_contains(f->evidence, "30 min left");
    assert_true(health_clock(h, mi, NOW, &c));
    assert_true(c.predicted);
    assert_int_equal(c.lost_at_ms, NOW);
    assert_int_equal(c.left_ms, 30 * MINUTE);
    /* Ten minutes later: the window has shrunk, the first sign stays. */
    health_evaluate(h, m, NOW + 10 * MINUTE, NULL);
    f = must_find(h, "I06", subject);
    assert_int_equal(f->first_seen, NOW);
    assert_contains(f->evidence, "20 min left");
    /* Databases turn Inaccessible; the clock still runs from the prediction. */
    support_set_dbs(m, mi, 3, 2, NOW + 12 * MINUTE);
    health_evaluate(h, m, NOW + 15 * MINUTE, NULL);
    f = must_find(h, "I06", subject);
    assert_contains(f->evidence, "2 of 3 databases Inaccessible (sales, inventory)");
    assert_contains(f->evidence, "15 min left");
    assert_contains(f->evidence, "cause: AzureKeyVaultMissingPermissions");
    assert_int_equal(f->cause_seen, NOW);
    assert_true(health_clock(h, mi, NOW + 15 * MINUTE, &c));
    assert_false(c.predicted);
    assert_int_equal(c.inaccessible_at_ms, NOW + 12 * MINUTE);
    assert_int_equal(c.window_end_ms, NOW + 30 * MINUTE);
    /* Past the window. */
    health_evaluate(h, m, NOW + 31 * MINUTE, NULL);
    assert_contains(must_find(h, "I06", subject)->evidence, "only revalidate brings them back");
    /* Access back, too late to heal alone. */
    support_policy(VE(m), SUPPORT_OID_EUS2)->key_perms = ALL;
    health_evaluate(h, m, NOW + 32 * MINUTE, NULL);
    assert_contains(must_find(h, "I06", subject)->evidence, "revalidate to bring them back");
    support_set_dbs(m, mi, 3, 0, NOW + 40 * MINUTE);
    health_evaluate(h, m, NOW + 40 * MINUTE, NULL);
    assert_null(find(h, "I06", subject));
    assert_false(health_clock(h, mi, NOW + 40 * MINUTE, &c));
    health_destroy(h);
    model_destroy(m);
}

/* A cause tdectl saw, gone within the window: access looks back, they heal on their own. */
static void test_clock_cause_gone(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    const char *subject = "instance sqlmi-prod-eus2";
    PROT(m, SUPPORT_KV_EUS2)->enabled = false;
    health_evaluate(h, m, NOW, NULL);
    assert_contains(must_find(h, "I06", subject)->evidence, "predicted, AzureKeyVaultKeyDisabled");
    support_set_dbs(m, ME(m), 3, 3, NOW + 10 * MINUTE);
    health_evaluate(h, m, NOW + 10 * MINUTE, NULL);
    assert_contains(must_find(h, "I06", subject)->evidence, "cause: AzureKeyVaultKeyDisabled");
    PROT(m, SUPPORT_KV_EUS2)->enabled = true;
    health_evaluate(h, m, NOW + 12 * MINUTE, NULL);
    const struct health_finding *f = must_find(h, "I06", subject);
    assert_contains(f->evidence, "18 min left");
    assert_contains(f->evidence, "key access looks back: they should heal on their own");
    assert_int_equal(f->cause_seen, NOW);
    health_destroy(h);
    model_destroy(m);
}

static void test_clock_from_databases(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    struct healclock c;
    /* Seen Inaccessible 5 min ago with access fine now: lost a grace before, 15 min left. */
    support_break(m, "i06", true);
    health_evaluate(h, m, NOW, NULL);
    const struct health_finding *f = must_find(h, "I06", "instance sqlmi-prod-cus");
    assert_contains(f->evidence, "15 min left");
    /* tdectl never saw a cause: it does not claim access is back, it says where to look. */
    assert_null(strstr(f->evidence, "looks back"));
    assert_contains(f->evidence, "tdectl sees no cause in what it reads");
    assert_contains(f->evidence, "the instance's own path to its vaults");
    assert_int_equal(f->cause_seen, 0);
    assert_true(health_clock(h, MC(m), NOW, &c));
    assert_int_equal(c.lost_at_ms, NOW - 15 * MINUTE);
    /* Other timings: a 5-minute grace and a 60-minute window. */
    health_set_timing(h, 600, 300, 3600);
    health_evaluate(h, m, NOW, NULL);
    assert_contains(must_find(h, "I06", "instance sqlmi-prod-cus")->evidence, "50 min left");
    health_destroy(h);
    model_destroy(m);
}

/* A disabled protector is K01's; an older enabled version is no "latest" to go back to. */
static void test_i03_not_backwards(void **state)
{
    (void)state;
    struct model *m = support_estate(NULL);
    struct health *h = health_create();
    PROT(m, SUPPORT_KV_EUS2)->enabled = false;
    health_evaluate(h, m, NOW, NULL);
    must_find(h, "K01", "key kv-tde-eus2/tde-protector-2025");
    assert_null(find(h, "I03", "instance sqlmi-prod-eus2"));
    /* The protector version missing from the list: K01's too, not I03's. */
    support_set_protector(m, ME(m), SUPPORT_KV_EUS2, SUPPORT_KEY_2025,
                          "0123456789abcdef0123456789abcdef", SUPPORT_TP_V2, false);
    health_evaluate(h, m, NOW, NULL);
    must_find(h, "K01", "key kv-tde-eus2/tde-protector-2025");
    assert_null(find(h, "I03", "instance sqlmi-prod-eus2"));
    health_destroy(h);
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_empty_model),
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_sparse_model),
        cmocka_unit_test(test_breaks),
        cmocka_unit_test(test_k04_grades),
        cmocka_unit_test(test_first_seen_persists),
        cmocka_unit_test(test_sorted),
        cmocka_unit_test(test_never_read_no_false_finding),
        cmocka_unit_test(test_failed_read_is_stale),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_unreadable_entities),
        cmocka_unit_test(test_v07_rbac),
        cmocka_unit_test(test_expect_pairs),
        cmocka_unit_test(test_k11),
        cmocka_unit_test(test_clock_from_prediction),
        cmocka_unit_test(test_clock_cause_gone),
        cmocka_unit_test(test_clock_from_databases),
        cmocka_unit_test(test_i03_not_backwards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
