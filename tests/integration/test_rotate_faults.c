/*
 * The rotation wizard (core/rotate) under faults injected by azsim while it
 * applies, each when a chosen step begins: a 429 storm on the secondary's
 * vault is retried through and the run ends done; the primary's vault going
 * down during the material phase stops the run with a clear detail, the run
 * is listed as unfinished, and a new process resumes it from its journal to
 * the end without duplicate material; a permission revoked stops it with the
 * service's code and what to do; a protector refused after the secondary
 * moved offers a rollback, which puts both back. And a done rotation rolled
 * back: both protectors on their previous keys, nothing deleted.
 *
 * Every end state is checked against azsim as in test_rotate.c: one version
 * of the new key in each vault, registrations kept, azsim's instances never
 * without access nor with a database Inaccessible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loop.h"
#include "oplock.h"
#include "session.h"
#include "support_tmpdir.h"
#include "xmem.h"

#include "fixture_rotate.h"

#define ROLLBACK_REASON "rolling back: CHG-1235"

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

/* The operator lock on the primary as run sees it. */
static enum oplock_state lock_state(const char *run)
{
    struct rotfx_lock g = {0};
    oplock_read(session_azure(X.f.session), fixture_instance(&X.f, DEMO_MI_EUS2)->id, run,
                fixture_wall(&X.f) / 1000, rotfx_on_lock, &g);
    rotfx_wait_calls(&X, &g.calls);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.err, CORE_OK);
    return g.state;
}

/* The journal's last end record's outcome. */
static void expect_last_end(const char *outcome)
{
    cJSON *records = rotfx_journal(&X);
    const cJSON *r, *end = NULL;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = rotfx_str(r, "type");
        if (type && strcmp(type, "end") == 0)
            end = r;
    }
    assert_non_null(end);
    assert_string_equal(rotfx_str(end, "outcome"), outcome);
    cJSON_Delete(records);
}

static void clear_fault(void)
{
    fixture_clear(&X.f, X.fault_id);
    free(X.fault_id);
    X.fault_id = NULL;
    X.fault_at = NULL;
}

/* -- transient faults are retried ------------------------------------------------------------- */

/*
 * A vault-origin rotation with the fault spec injected when step at begins: it must end done
 * with one version of the new key in each vault (no duplicate), its journal ending "done".
 */
static void rotate_through(const char *at, const char *spec)
{
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    X.fault_at = at;
    X.fault_spec = spec;
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_DONE);
    assert_non_null(X.fault_id); /* it was injected */
    rotfx_expect_keys(&X, &b, true, NULL);
    rotfx_before_cleanup(&b);
    expect_last_end("done");
}

static void test_throttle_storm(void **state)
{
    (void)state;
    /* 429 on every request to the secondary's vault for 4 s, from the first write on. */
    rotate_through("create", "{\"kind\":\"throttle\",\"target\":\"vault:" DEMO_KV_CUS
                             "\",\"rate\":1,\"retry_after\":1,\"duration_seconds\":4}");
}

/*
 * The create of the new key reaches the secondary's vault, but its answer comes after the
 * transport's timeout (3 s) while the vault keeps answering late for a while: the write may
 * have been done. The run waits for it to land and reads back, and while the read-back fails
 * it reads again instead of creating blind: one version of the new key, not two (a second
 * version would make the first "an old generation" to SQL).
 */
static void test_create_unanswered(void **state)
{
    (void)state;
    rotate_through("create", "{\"kind\":\"latency\",\"target\":\"vault:" DEMO_KV_CUS
                             "\",\"ms\":4500,\"duration_seconds\":7}");
    cJSON *records = rotfx_journal(&X);
    bool waited = false;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *text = rotfx_str(r, "text");
        waited = waited || (text && strstr(text, "no answer to a write that was sent"));
    }
    assert_true(waited);
    cJSON_Delete(records);
}

/* Successful calls of step in the journal. */
static size_t ok_calls(const cJSON *records, const char *step)
{
    size_t n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = rotfx_str(r, "type"), *s = rotfx_str(r, "step");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(r, "status");
        n += type && s && strcmp(type, "call") == 0 && strcmp(s, step) == 0 &&
             cJSON_IsNumber(status) && status->valueint == 200;
    }
    return n;
}

/*
 * The resumed runs skipped what was in place: one create, one backup (one file), one restore
 * in the journal, whatever the number of processes that ran it.
 */
static void expect_no_repeats(void)
{
    cJSON *records = rotfx_journal(&X);
    assert_non_null(rotfx_record(records, "step", "create", "skipped"));
    assert_int_equal(ok_calls(records, "create"), 1);
    assert_int_equal(ok_calls(records, "backup"), 1);
    assert_int_equal(ok_calls(records, "restore"), 1);
    cJSON_Delete(records);
    char *backups = xasprintf("%s/backups", X.dir);
    assert_int_equal(support_tmpdir_count(backups), 1);
    free(backups);
}

/* -- a vault down: stop, then resume in a new process ------------------------------------------ */

static void test_vault_down_resume(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    /* The primary's vault refuses every connection when the copy is to be restored into it. */
    X.fault_at = "restore";
    X.fault_spec = "{\"kind\":\"refused\",\"target\":\"vault:" DEMO_KV_EUS2 "\"}";
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_FAILED);
    assert_non_null(X.fault_id);
    const char *detail = rotate_detail(X.r);
    rotfx_expect_in(detail, "restore");
    rotfx_expect_in(detail, DEMO_KV_EUS2);
    assert_false(rotate_rollback_offered(X.r)); /* no protector moved */
    expect_last_end("failed");
    char *journal = xstrdup(rotate_journal(X.r));
    char run[WIZARD_RUN_LEN];
    snprintf(run, sizeof run, "%s", rotate_wizard(X.r)->run);

    /* Unfinished, and the lock stays with the run so nobody starts on the half-done group. */
    bool listed = false;
    assert_int_equal(rotfx_unfinished(&X, journal, &listed), 1);
    assert_true(listed);
    assert_int_equal(lock_state(run), OPLOCK_OURS);
    assert_int_equal(lock_state("another-run"), OPLOCK_HELD);

    /*
     * A resume while the vault is still down changes nothing and leaves the run unfinished
     * (not "refused": it must stay resumable), the lock still its own.
     */
    enum rotate_outcome o = rotfx_resume(&X, journal);
    if (o == ROTATE_DONE)
        fail_msg("resumed while the vault is down: done?");
    assert_int_equal(rotfx_unfinished(&X, journal, &listed), 1);
    assert_true(listed);
    assert_int_equal(lock_state(run), OPLOCK_OURS);

    /*
     * The vault is back; the process that ran it is gone: a new one resumes from the journal,
     * and is itself dropped with a registration in flight; a third one ends the rotation.
     */
    clear_fault();
    rotfx_resume_dropped(&X, journal, "register-primary", 300);
    rotfx_expect(&X, rotfx_resume(&X, journal), ROTATE_DONE);
    rotfx_expect_keys(&X, &b, true, NULL); /* one version in each vault: no duplicate */
    rotfx_before_cleanup(&b);
    expect_last_end("done");
    expect_no_repeats();
    assert_int_equal(rotfx_unfinished(&X, journal, &listed), 0);
    assert_int_equal(lock_state("nobody"), OPLOCK_FREE);
    /* A done run loads (for its transcript, a rollback) but does not resume. */
    rotfx_new(&X);
    char *cause = NULL;
    assert_int_equal(rotate_load(X.r, journal, &cause), 0);
    assert_int_equal(rotate_resume(X.r, NULL, NULL, &cause), -1);
    rotfx_expect_in(cause, "ended already");
    free(cause);
    free(journal);
}

/* -- a permission revoked: stop with the code and the remedy ----------------------------------- */

static void test_permission_revoked(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    X.fault_at = "create";
    X.fault_spec = "{\"kind\":\"revoke\",\"vault\":\"" DEMO_KV_CUS "\",\"principal\":\"operator\"}";
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_FAILED);
    assert_non_null(X.fault_id);
    const char *detail = rotate_detail(X.r);
    rotfx_expect_in(detail, "create");
    rotfx_expect_in(detail, "Forbidden");
    rotfx_expect_in(detail, "grant");
    assert_false(rotate_rollback_offered(X.r));
    expect_last_end("failed");
    bool listed = false;
    assert_int_equal(rotfx_unfinished(&X, rotate_journal(X.r), &listed), 1);
    assert_true(listed);
    clear_fault();
    rotfx_expect_unchanged(&X);
}

/* -- rollback ---------------------------------------------------------------------------------- */

static void test_rollback_after_done(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_OFFLINE);
    rotfx_plan(&X, &c);
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_DONE);
    rotfx_expect(&X, rotfx_rollback(&X, ROLLBACK_REASON), ROTATE_ROLLED_BACK);
    /* Both back on their previous keys; the new key kept, in both vaults, registered on both. */
    rotfx_expect_keys(&X, &b, false, NULL);
    rotfx_before_cleanup(&b);
    expect_last_end("rolled-back");
    cJSON *records = rotfx_journal(&X);
    /* The secondary first. */
    const cJSON *s = rotfx_record(records, "step", "rollback-secondary", "begin");
    const cJSON *p = rotfx_record(records, "step", "rollback-primary", "begin");
    assert_non_null(s);
    assert_non_null(p);
    assert_true(cJSON_GetObjectItemCaseSensitive(s, "seq")->valueint <
                cJSON_GetObjectItemCaseSensitive(p, "seq")->valueint);
    cJSON_Delete(records);
    char *path = xasprintf("%s/audit.jsonl", X.dir);
    char *audit = rotfx_slurp(path);
    free(path);
    rotfx_expect_in(audit, ROLLBACK_REASON);
    free(audit);
    bool listed;
    assert_int_equal(rotfx_unfinished(&X, NULL, &listed), 0);
    assert_int_equal(lock_state("nobody"), OPLOCK_FREE);
}

static void test_rollback_offered(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    /* The primary's copy is disabled once the secondary moved: SQL refuses the primary. */
    char *spec =
        xasprintf("{\"kind\":\"key-disable\",\"vault\":\"" DEMO_KV_EUS2 "\",\"key\":\"%s\"}",
                  rotate_get_plan(X.r)->new_key);
    X.fault_at = "protect-primary";
    X.fault_spec = spec;
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_FAILED);
    assert_non_null(X.fault_id);
    rotfx_expect_in(rotate_detail(X.r), "AzureKeyVaultKeyDisabled");
    assert_true(rotate_rollback_offered(X.r));
    rotfx_expect(&X, rotfx_rollback(&X, ROLLBACK_REASON), ROTATE_ROLLED_BACK);
    clear_fault();
    free(spec);
    rotfx_expect_keys(&X, &b, false, NULL);
    rotfx_before_cleanup(&b);
    assert_int_equal(lock_state("nobody"), OPLOCK_FREE);
}

/* A rollback dropped after the secondary moved back goes on as a rollback when resumed. */
static void test_rollback_resumed(void **state)
{
    (void)state;
    struct rot_choice c = rotfx_choice(ROT_ORIGIN_VAULT);
    rotfx_plan(&X, &c);
    struct rotfx_before b;
    rotfx_note_before(&X, &b);
    rotfx_expect(&X, rotfx_apply(&X), ROTATE_DONE);
    char *journal = xstrdup(rotate_journal(X.r)), *cause = NULL;
    if (rotate_rollback(X.r, ROLLBACK_REASON, NULL, NULL, &cause) < 0)
        fail_msg("rotate_rollback: %s", cause);
    const struct wizard *w = rotate_wizard(X.r);
    size_t i = wizard_find(w, "rollback-primary");
    assert_true(i < w->nsteps);
    struct loop *loop = session_loop(X.f.session);
    for (int n = 0; w->steps[i].state != WIZARD_RUNNING && n < 3000; n++)
        loop_run_once(loop, 20);
    assert_int_equal(w->steps[i].state, WIZARD_RUNNING);
    rotate_destroy(X.r); /* the operator's session drops */
    X.r = NULL;
    bool listed;
    rotfx_unfinished(&X, journal, &listed);
    assert_true(listed);
    rotfx_expect(&X, rotfx_resume(&X, journal), ROTATE_ROLLED_BACK);
    rotfx_expect_keys(&X, &b, false, NULL);
    rotfx_before_cleanup(&b);
    expect_last_end("rolled-back");
    free(journal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_throttle_storm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault_down_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_after_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_offered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_resumed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
