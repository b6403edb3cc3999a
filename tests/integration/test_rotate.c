/*
 * The TDE rotation wizard (core/rotate) against azsim's demo failover group,
 * driven as a front end drives it: plan, apply with the group's name and a
 * reason, wait for the outcome. Each origin end to end (generated in Key
 * Vault and copied by backup/restore; generated offline with an escrow copy;
 * brought as a PEM file): both instances end on the new key's copy in their
 * own vault, both copies are registered on both, both vaults hold the same
 * material, azsim's instances never lose access nor mark a database
 * Inaccessible (watched during the run and after azsim's clock moved past a
 * check), the old versions stay enabled and registered; the journal holds
 * the plan, the reason, every step in the documented order and every call
 * with its request id. Then the refusals, each leaving azsim as it was: a
 * stale plan, read-only mode, a wrong confirmation or reason, another
 * operator's lock, auto-rotation on, a critical finding.
 *
 * Faults during apply, resume and rollback: test_rotate_faults.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "armclient.h"
#include "keymat.h"
#include "kvclient.h"
#include "loop.h"
#include "oplock.h"
#include "session.h"
#include "support_tmpdir.h"
#include "xmem.h"

#include "fixture_rotate.h"

#define OLD_KEY    ROTFX_OLD_KEY
#define PROTECTOR  ROTFX_OLD_VERSION
#define PREV_EUS2  ROTFX_PREV_EUS2
#define PREV_CUS   ROTFX_PREV_CUS
#define PASSPHRASE "correct horse battery staple"
#define SWEEP_MS   20000

static struct rotfx X;

static int setup(void **state)
{
    (void)state;
    rotfx_start(&X, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rotfx_stop(&X);
    return 0;
}

#define expect_in rotfx_expect_in

static void wait_calls(const int *calls)
{
    rotfx_wait_calls(&X, calls);
    assert_int_equal(*calls, 1);
}

static const char *pri_id(void)
{
    return fixture_instance(&X.f, DEMO_MI_EUS2)->id;
}

/* The lock on the primary as run sees it. */
static struct rotfx_lock lock_read(const char *run)
{
    struct rotfx_lock g = {0};
    oplock_read(session_azure(X.f.session), pri_id(), run, fixture_wall(&X.f) / 1000, rotfx_on_lock,
                &g);
    wait_calls(&g.calls);
    assert_int_equal(g.err, CORE_OK);
    return g;
}

/* -- the journal ------------------------------------------------------------------------------- */

static const char *const order_vault[] = {"preconditions",
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
                                          "watch"};
static const char *const order_import[] = {"preconditions",    "lock",
                                           "name-free",        "generate",
                                           "import-secondary", "import-primary",
                                           "backup",           "verify-material",
                                           "prove-material",   "register-secondary",
                                           "register-primary", "protect-secondary",
                                           "protect-primary",  "watch"};

static void expect_ids(const char *what, const char *const *got, size_t ngot,
                       const char *const *want, size_t nwant, const char *material)
{
    bool same = ngot == nwant;
    for (size_t i = 0; same && i < ngot; i++) {
        const char *w = want[i];
        if (material && strcmp(w, "generate") == 0)
            w = material;
        same = strcmp(got[i], w) == 0;
    }
    if (same)
        return;
    for (size_t i = 0; i < ngot; i++)
        print_error("%s %zu: %s\n", what, i + 1, got[i]);
    fail_msg("%s: the steps are not in the documented order", what);
}

/* The order of the plan's steps for origin. */
static void expect_plan_order(const struct rot_plan *p)
{
    const char *ids[32];
    size_t n = 0;
    for (size_t i = 0; i < p->w.nsteps && n < 32; i++)
        ids[n++] = p->w.steps[i].id;
    if (p->origin == ROT_ORIGIN_VAULT)
        expect_ids("plan", ids, n, order_vault, sizeof order_vault / sizeof *order_vault, NULL);
    else
        expect_ids("plan", ids, n, order_import, sizeof order_import / sizeof *order_import,
                   p->origin == ROT_ORIGIN_FILE ? "load" : NULL);
}

/* Every call journaled for step targets the instance (ARM id) and not the other one. */
static void expect_calls_on(const cJSON *records, const char *step, const char *id,
                            const char *other, size_t want)
{
    size_t n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = rotfx_str(r, "type"), *s = rotfx_str(r, "step");
        if (type == NULL || strcmp(type, "call") != 0 || s == NULL || strcmp(s, step) != 0)
            continue;
        const char *url = rotfx_str(r, "url");
        assert_non_null(url);
        if (strstr(url, id) == NULL || strstr(url, other) != NULL)
            fail_msg("%s called %s", step, url);
        n++;
    }
    if (n != want)
        fail_msg("%s journaled %zu calls, expected %zu", step, n, want);
}

static bool is_type(const cJSON *r, const char *type)
{
    const char *t = rotfx_str(r, "type");
    return t && strcmp(t, type) == 0;
}

/* The plan first, then the operator's reason. */
static void expect_head(const cJSON *records)
{
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    assert_true(is_type(first, "plan"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(first, "plan"));
    const cJSON *reason = NULL, *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *name = rotfx_str(r, "name");
        if (is_type(r, "input") && name && strcmp(name, "reason") == 0)
            reason = r;
    }
    assert_non_null(reason);
    assert_string_equal(rotfx_str(reason, "value"), ROTFX_REASON);
}

/* Each step of the plan begun and ended (done or skipped) in the plan's order, one at a time. */
static void expect_steps(const cJSON *records, const struct rot_plan *p)
{
    const char *ids[32], *plan_ids[32];
    size_t n = rotfx_begun(records, ids, 32);
    for (size_t i = 0; i < p->w.nsteps && i < 32; i++)
        plan_ids[i] = p->w.steps[i].id;
    expect_ids("journal", ids, n, plan_ids, p->w.nsteps, NULL);
    expect_plan_order(p);
    int last_seq = 0;
    for (size_t i = 0; i < n; i++) {
        const cJSON *b = rotfx_record(records, "step", ids[i], "begin");
        const cJSON *d = rotfx_record(records, "step", ids[i], "done");
        if (d == NULL)
            d = rotfx_record(records, "step", ids[i], "skipped");
        if (d == NULL)
            fail_msg("step %s never ended", ids[i]);
        int sb = cJSON_GetObjectItemCaseSensitive(b, "seq")->valueint;
        int sd = cJSON_GetObjectItemCaseSensitive(d, "seq")->valueint;
        assert_true(sb > last_seq && sd > sb);
        last_seq = sd;
    }
}

/* Every call with its request id; registrations and protectors on the right instance. */
static void expect_calls(const cJSON *records)
{
    size_t calls = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        if (!is_type(r, "call"))
            continue;
        calls++;
        const char *rid = rotfx_str(r, "request_id");
        if (rid == NULL || rid[0] == '\0')
            fail_msg("a call without a request id: %s %s", rotfx_str(r, "method"),
                     rotfx_str(r, "url"));
    }
    assert_true(calls >= 10);
    /* The secondary first, on the secondary's own id. */
    expect_calls_on(records, "register-secondary", "/managedInstances/" DEMO_MI_CUS "/",
                    "/managedInstances/" DEMO_MI_EUS2 "/", 2);
    expect_calls_on(records, "register-primary", "/managedInstances/" DEMO_MI_EUS2 "/",
                    "/managedInstances/" DEMO_MI_CUS "/", 2);
    expect_calls_on(records, "protect-secondary", "/managedInstances/" DEMO_MI_CUS "/",
                    "/managedInstances/" DEMO_MI_EUS2 "/", 1);
    expect_calls_on(records, "protect-primary", "/managedInstances/" DEMO_MI_EUS2 "/",
                    "/managedInstances/" DEMO_MI_CUS "/", 1);
}

/* The journal of a done run: head, steps, calls, an end "done". */
static void expect_journal(const cJSON *records)
{
    expect_head(records);
    expect_steps(records, rotate_get_plan(X.r));
    expect_calls(records);
    const cJSON *end = rotfx_record(records, "end", NULL, NULL);
    assert_non_null(end);
    assert_string_equal(rotfx_str(end, "outcome"), "done");
}

/* The audit log has the run's start with the reason; a backup file is kept. */
static void expect_audit_and_backup(void)
{
    char *path = xasprintf("%s/audit.jsonl", X.dir);
    char *audit = rotfx_slurp(path);
    free(path);
    expect_in(audit, ROTFX_REASON);
    expect_in(audit, "\"outcome\":\"done\"");
    free(audit);
    path = xasprintf("%s/backups", X.dir);
    int n = support_tmpdir_count(path);
    free(path);
    assert_true(n >= 1);
}

static void expect_no_unfinished(void)
{
    bool listed;
    assert_int_equal(rotfx_unfinished(&X, NULL, &listed), 0);
}

/* A rotation applied now: done, everything above checked; the material's fingerprint in fp. */
static void rotate_and_check(char fp[MODEL_FINGERPRINT_LEN])
{
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_DONE);
    rotfx_expect_keys(&X, &b, true, fp);
    rotfx_before_cleanup(&b);
    cJSON *records = rotfx_journal(&X);
    expect_journal(records);
    cJSON_Delete(records);
    expect_audit_and_backup();
    expect_no_unfinished();
    assert_int_equal(lock_read("nobody").state, OPLOCK_FREE); /* released */
}

/* The fingerprint journaled with step's done record. */
static const char *journaled_fp(const cJSON *records, const char *step)
{
    const cJSON *d = rotfx_record(records, "step", step, "done");
    assert_non_null(d);
    return rotfx_str(cJSON_GetObjectItemCaseSensitive(d, "data"), "fingerprint");
}

/* -- the three origins ------------------------------------------------------------------------- */

static void test_origin_vault(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    assert_null(rotate_blockers(X.r));
    const struct rot_plan *p = rotate_get_plan(X.r);
    assert_string_equal(p->sec.instance, DEMO_MI_CUS);
    assert_string_equal(p->sec.vault, DEMO_KV_CUS);
    assert_string_equal(p->pri.instance, DEMO_MI_EUS2);
    assert_string_equal(p->pri.vault, DEMO_KV_EUS2);
    assert_string_equal(p->pri.prev_key, PREV_EUS2);
    assert_string_equal(p->sec.prev_key, PREV_CUS);
    char fp[MODEL_FINGERPRINT_LEN];
    rotate_and_check(fp);
    /* Backup and restore keep the version id: both copies are one version of one key. */
    struct rot_state *st = rotfx_read(&X);
    assert_string_equal(st->cpri.v[0].version, st->csec.v[0].version);
    rotread_free(st);
}

static void test_origin_offline(void **state)
{
    (void)state;
    char *escrow = xasprintf("%s/escrow.pem", X.dir);
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_OFFLINE);
    c.escrow = escrow;
    rotate_set_secrets(X.r, NULL, PASSPHRASE);
    rotfx_plan(&X, &c);
    char fp[MODEL_FINGERPRINT_LEN];
    rotate_and_check(fp);
    struct stat sb;
    assert_int_equal(stat(escrow, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    cJSON *records = rotfx_journal(&X);
    const char *jfp = journaled_fp(records, "generate");
    assert_non_null(jfp);
    assert_string_equal(jfp, fp);
    const cJSON *d =
        cJSON_GetObjectItemCaseSensitive(rotfx_record(records, "step", "generate", "done"), "data");
    assert_non_null(rotfx_str(d, "escrow_sha256"));
    cJSON_Delete(records);
    /* The escrow copy opens with the passphrase and holds that very key. */
    struct keymat *k = NULL;
    char *cause = NULL, kfp[MODEL_FINGERPRINT_LEN];
    assert_int_equal(keymat_load_file(escrow, PASSPHRASE, &k, &cause), 0);
    keymat_fingerprint(k, kfp);
    keymat_destroy(k);
    assert_string_equal(kfp, fp);
    /* Neither the passphrase nor private key parts reach the journal or the audit log. */
    char *text = rotfx_slurp(rotate_journal(X.r));
    assert_null(strstr(text, PASSPHRASE));
    assert_null(strstr(text, "\"d\":"));
    free(text);
    free(escrow);
}

/* An RSA key of bits as an unencrypted PKCS#8 PEM at path (0600). */
static void write_pem(const char *path, int bits)
{
    EVP_PKEY *pk = EVP_RSA_gen((unsigned)bits);
    assert_non_null(pk);
    FILE *fp = fopen(path, "wx");
    assert_non_null(fp);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(fp), 0);
    EVP_PKEY_free(pk);
}

static void test_origin_file(void **state)
{
    (void)state;
    char *pem = xasprintf("%s/hsm-export.pem", X.dir);
    write_pem(pem, 3072);
    struct keymat *k = NULL;
    char *cause = NULL, kfp[MODEL_FINGERPRINT_LEN];
    assert_int_equal(keymat_load_file(pem, NULL, &k, &cause), 0);
    keymat_fingerprint(k, kfp);
    keymat_destroy(k);
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_FILE);
    c.key_file = pem;
    rotfx_plan(&X, &c);
    assert_string_equal(rotate_get_plan(X.r)->fingerprint, kfp);
    char fp[MODEL_FINGERPRINT_LEN];
    rotate_and_check(fp);
    assert_string_equal(fp, kfp);
    cJSON *records = rotfx_journal(&X);
    assert_string_equal(journaled_fp(records, "load"), kfp);
    cJSON_Delete(records);
    free(pem);
}

/* -- the order --------------------------------------------------------------------------------- */

static void on_first_plan(struct rotate *r, void *arg)
{
    (void)r;
    ++*(int *)arg;
}

static void test_order(void **state)
{
    (void)state;
    /* Planned twice in a row (an operator changing their mind): only the last plan calls back. */
    int first = 0;
    char *cause = NULL;
    struct rot_choice c0 = rotfx_choice(ROT_ORIGIN_VAULT);
    assert_int_equal(
        rotate_plan(X.r, fixture_model(&X.f), X.f.health, &c0, on_first_plan, &first, &cause), 0);
    struct rot_choice c1 = rotfx_choice(ROT_ORIGIN_OFFLINE);
    rotfx_plan(&X, &c1);
    fixture_run(&X.f, 500);
    assert_int_equal(first, 0);
    assert_int_equal(rotate_get_plan(X.r)->origin, ROT_ORIGIN_OFFLINE);
    /* The plan of each origin is in the documented order; the runs above journal it so. */
    char *pem = xasprintf("%s/k.pem", X.dir);
    write_pem(pem, 3072);
    enum rot_origin origins[3] = {ROT_ORIGIN_VAULT, ROT_ORIGIN_OFFLINE, ROT_ORIGIN_FILE};
    for (int i = 0; i < 3; i++) {
        rotfx_new(&X);
        struct rot_choice c = rotfx_choice(origins[i]);
        c.key_file = pem;
        rotfx_plan(&X, &c);
        const struct rot_plan *p = rotate_get_plan(X.r);
        expect_plan_order(p);
        /* The planned calls of each instance's steps name that instance. */
        size_t rs = wizard_find(&p->w, "register-secondary");
        size_t ps = wizard_find(&p->w, "protect-secondary");
        size_t pp = wizard_find(&p->w, "protect-primary");
        assert_true(rs < ps && ps < pp);
        for (size_t k = 0; k < p->w.steps[rs].ncalls; k++)
            expect_in(p->w.steps[rs].calls[k].resource, "/managedInstances/" DEMO_MI_CUS "/");
        expect_in(p->w.steps[ps].calls[0].resource, "/managedInstances/" DEMO_MI_CUS "/");
        expect_in(p->w.steps[pp].calls[0].resource, "/managedInstances/" DEMO_MI_EUS2 "/");
        /* The plan as text lists every step with its calls. */
        char *text = rotate_plan_text(X.r);
        expect_in(text, "encryptionProtector/current");
        expect_in(text, DEMO_MI_CUS);
        free(text);
    }
    free(pem);
}

/* -- refusals: nothing changes ----------------------------------------------------------------- */

static void expect_refused(const char *needle)
{
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_REFUSED);
    expect_in(rotate_detail(X.r), needle);
    cJSON *records = rotfx_journal(&X);
    const cJSON *end = rotfx_record(records, "end", NULL, NULL);
    assert_non_null(end);
    assert_string_equal(rotfx_str(end, "outcome"), "refused");
    /* Refused before any step that changes Azure began. */
    assert_null(rotfx_record(records, "call", NULL, NULL));
    cJSON_Delete(records);
    rotfx_expect_unchanged(&X);
    assert_false(rotate_rollback_offered(X.r));
}

struct put_got {
    int calls;
    enum core_err err;
    char kid[512];
};

static void on_created(const struct az_status *st, struct model_version *v, const char *key_name,
                       void *arg)
{
    (void)key_name;
    struct put_got *g = arg;
    g->calls++;
    g->err = st->err;
    snprintf(g->kid, sizeof g->kid, "%s", v->kid ? v->kid : "");
    model_version_cleanup(v);
}

static void on_put_key(const struct az_status *st, struct model_server_key *k, void *arg)
{
    struct put_got *g = arg;
    g->calls++;
    g->err = st->err;
    model_server_key_cleanup(k);
}

static void on_protector(const struct az_status *st, struct model_protector *p, void *arg)
{
    struct put_got *g = arg;
    g->calls++;
    g->err = st->err;
    model_protector_cleanup(p);
}

static void test_stale_plan(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    /* Someone registers another key on the secondary after the plan was made. */
    struct azure *az = session_azure(X.f.session);
    struct put_got g = {0};
    struct kv_key_spec spec = {.bits = 2048, .ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP};
    kv_create_key(az, fixture_vault(&X.f, DEMO_KV_CUS)->uri, "someone-elses-key", &spec, on_created,
                  &g);
    wait_calls(&g.calls);
    assert_int_equal(g.err, CORE_OK);
    struct put_got h = {0};
    arm_put_server_key(az, fixture_instance(&X.f, DEMO_MI_CUS)->id, g.kid, on_put_key, &h);
    wait_calls(&h.calls);
    assert_int_equal(h.err, CORE_OK);
    expect_refused("stale");
    assert_int_equal(lock_read("nobody").state, OPLOCK_FREE);
    /* "Plan again": the same wizard plans afresh from the group as it is now. */
    char stale[65];
    snprintf(stale, sizeof stale, "%s", rotate_get_plan(X.r)->digest);
    rotfx_plan(&X, &c);
    assert_int_equal(rotate_outcome(X.r), ROTATE_NONE);
    assert_null(rotate_blockers(X.r));
    assert_string_not_equal(rotate_get_plan(X.r)->digest, stale);
    assert_null(rotate_journal(X.r));
}

static void test_read_only(void **state)
{
    (void)state;
    rotfx_stop(&X);
    struct fixture_options o = {.read_only = true};
    rotfx_start(&X, &o);
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c); /* planning reads only: allowed */
    char *cause = NULL;
    assert_int_equal(rotate_apply(X.r, fixture_model(&X.f), X.f.health, DEMO_FOG, ROTFX_REASON,
                                  NULL, NULL, &cause),
                     -1);
    expect_in(cause, "read-only");
    free(cause);
    cause = NULL;
    assert_null(rotate_journal(X.r));
    assert_int_equal(rotate_outcome(X.r), ROTATE_NONE);

    /* A writable wizard (on the same read-only session) still checks what the operator typed. */
    struct rotate_params p = {.loop = session_loop(X.f.session),
                              .az = session_azure(X.f.session),
                              .state_dir = X.dir,
                              .owner = ROTFX_OWNER,
                              .poll_ms = 200};
    rotate_destroy(X.r);
    X.r = rotate_create(&p);
    rotfx_plan(&X, &c);
    const struct model *m = fixture_model(&X.f);
    assert_int_equal(
        rotate_apply(X.r, m, X.f.health, DEMO_MI_EUS2, ROTFX_REASON, NULL, NULL, &cause), -1);
    expect_in(cause, DEMO_FOG);
    free(cause);
    cause = NULL;
    assert_int_equal(rotate_apply(X.r, m, X.f.health, NULL, ROTFX_REASON, NULL, NULL, &cause), -1);
    free(cause);
    cause = NULL;
    assert_int_equal(rotate_apply(X.r, m, X.f.health, DEMO_FOG, "", NULL, NULL, &cause), -1);
    expect_in(cause, "reason");
    free(cause);
    cause = NULL;
    assert_int_equal(rotate_apply(X.r, m, X.f.health, DEMO_FOG, " \t ", NULL, NULL, &cause), -1);
    free(cause);
    cause = NULL;
    assert_int_equal(rotate_apply(X.r, m, X.f.health, DEMO_FOG, NULL, NULL, NULL, &cause), -1);
    free(cause);
    assert_null(rotate_journal(X.r));
    assert_int_equal(rotate_outcome(X.r), ROTATE_NONE);
    rotfx_expect_unchanged(&X);
}

static void test_lock_held(void **state)
{
    (void)state;
    struct oplock want = {.owner = "bob@jumphost",
                          .run = "rotate-other-run",
                          .op = "rotate",
                          .reason = "CHG-999 rotating by hand",
                          .expires = fixture_wall(&X.f) / 1000 + 3600};
    struct rotfx_lock g = {0};
    oplock_acquire(session_azure(X.f.session), pri_id(), &want, fixture_wall(&X.f) / 1000,
                   rotfx_on_lock, &g);
    wait_calls(&g.calls);
    assert_int_equal(g.state, OPLOCK_OURS);
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    expect_refused("bob@jumphost");
    expect_in(rotate_detail(X.r), "lock");
    /* Bob's lock is still Bob's. */
    struct rotfx_lock l = lock_read("rotate-other-run");
    assert_int_equal(l.state, OPLOCK_OURS);
    assert_string_equal(l.lock.owner, "bob@jumphost");
}

static void test_auto_rotation_on(void **state)
{
    (void)state;
    struct put_got g = {0};
    arm_set_protector(session_azure(X.f.session), fixture_instance(&X.f, DEMO_MI_CUS)->id, PREV_CUS,
                      true, on_protector, &g);
    wait_calls(&g.calls);
    assert_int_equal(g.err, CORE_OK);
    fixture_sweep(&X.f, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    assert_non_null(rotate_blockers(X.r)); /* the plan says so before apply */
    expect_in(rotate_blockers(X.r), "auto-rotation");
    expect_refused("auto-rotation");
    expect_in(rotate_detail(X.r), DEMO_MI_CUS);
}

static void test_critical_finding(void **state)
{
    (void)state;
    char *id = fixture_fault(&X.f, "{\"kind\":\"key-disable\",\"vault\":\"" DEMO_KV_EUS2
                                   "\",\"key\":\"" OLD_KEY "\",\"version\":\"" PROTECTOR "\"}");
    fixture_sweep(&X.f, ENGINE_SWEEP_HEALTH, SWEEP_MS);
    assert_non_null(fixture_finding(&X.f, "K01", DEMO_KV_EUS2));
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    expect_in(rotate_blockers(X.r), "K01");
    expect_refused("K01");
    expect_in(rotate_detail(X.r), "CRIT");
    fixture_clear(&X.f, id);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_origin_vault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_rotation_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_critical_finding, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
