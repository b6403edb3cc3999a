/*
 * The key backup/restore wizard (core/keybackup) against the demo's azsim:
 * a backup of the protector writes a file that verifies with the model's
 * fingerprints and thumbprints (0600 in a 0700 folder); damaged, truncated and
 * foreign files are refused with no call made; a plan changes nothing; a
 * restore test into the scratch vault gives back every version with the same
 * fingerprints; the same restore again, a restore into another geography or
 * subscription and a restore over a soft-deleted name are refused before any
 * restore call (the other geography's vault is never called at all); read-only
 * mode refuses; the journal holds the plan, steps, calls with request ids and
 * the end, the audit log the reason; neither holds blob bytes or a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "atomfile.h"
#include "bkfile.h"
#include "estate.h"
#include "fixture.h"
#include "http.h"
#include "journal.h"
#include "keybackup.h"
#include "kvclient.h"
#include "loop.h"
#include "session.h"
#include "support.h"
#include "support_tmpdir.h"
#include "wizard.h"
#include "xmem.h"

#define PROTECTOR "tde-protector-2025"
#define SCRATCH   "kv-tde-scratch-eus2"
#define WEU       "kv-tde-weu"

static struct fixture fx;
static char *tmp, *backups, *journals, *audit_path;
static char *backup_file; /* the protector's backup, written by the first test */

struct run {
    bool done;
    enum keybackup_result result;
    char trace[1024];
    size_t events;
};

static void on_done(struct keybackup *kb, enum keybackup_result r, void *arg)
{
    (void)kb;
    struct run *run = arg;
    run->done = true;
    run->result = r;
}

static void on_trace(const char *from, const char *to, void *arg)
{
    struct run *run = arg;
    size_t n = strlen(run->trace);
    snprintf(run->trace + n, sizeof run->trace - n, "%s%s>%s", n ? " " : "", from, to);
}

static void on_event(const struct wizard_event *ev, void *arg)
{
    (void)ev;
    ((struct run *)arg)->events++;
}

static struct keybackup *make(struct run *run, bool read_only)
{
    memset(run, 0, sizeof *run);
    struct keybackup_options o = {.az = session_azure(fx.session),
                                  .engine = fx.engine,
                                  .loop = session_loop(fx.session),
                                  .read_only = read_only,
                                  .backup_dir = backups,
                                  .journal_dir = journals,
                                  .audit_path = audit_path,
                                  .principal = DEMO_OPERATOR_ID,
                                  .on_event = on_event,
                                  .event_arg = run,
                                  .on_done = on_done,
                                  .done_arg = run,
                                  .trace = on_trace,
                                  .trace_arg = run};
    return keybackup_create(&o);
}

static void wait_done(struct run *run)
{
    int64_t deadline = support_mono_ms() + 30000;
    while (!run->done) {
        if (support_mono_ms() > deadline)
            fail_msg("the wizard did not end within 30 s");
        loop_run_once(session_loop(fx.session), 100);
    }
}

static int log_count(const char *a, const char *b)
{
    const char *needles[] = {a, b, NULL};
    return support_azsim_log_count(fx.sim, needles);
}

static char *read_text(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    char *cause = NULL;
    if (atomfile_read(path, 16 * 1024 * 1024, &data, &len, &cause) < 0)
        fail_msg("cannot read %s: %s", path, cause);
    return data;
}

/* The file's base64url blob text (a secret) must not appear in text. */
static void assert_no_blob(const char *text)
{
    char *file = read_text(backup_file);
    char *at = strstr(file, "\"blob\":");
    assert_non_null(at);
    at = strchr(at + 7, '"') + 1; /* the value, after the colon and any spaces */
    char probe[41];
    snprintf(probe, sizeof probe, "%.40s", at);
    assert_int_equal(strlen(probe), 40);
    assert_null(strstr(text, probe));
    assert_null(strstr(text, DEMO_OPERATOR_KEY));
    free(file);
}

static int setup(void **state)
{
    (void)state;
    tmp = support_tmpdir_make();
    assert_non_null(tmp);
    backups = xasprintf("%s/state/backups", tmp);
    journals = xasprintf("%s/state/journals", tmp);
    audit_path = xasprintf("%s/state/audit.jsonl", tmp);
    assert_int_equal(atomfile_mkdirs(journals, NULL), 0);
    fixture_start(&fx, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    support_tmpdir_remove(tmp);
    free(tmp);
    free(backups);
    free(journals);
    free(audit_path);
    free(backup_file);
    return 0;
}

/* -- backup ------------------------------------------------------------------------------------ */

static void expect_journal(const char *path, const char *outcome, bool with_reason)
{
    cJSON *records = NULL;
    char *cause = NULL;
    assert_int_equal(journal_load(path, &records, NULL, &cause), 0);
    bool plan = false, reason = false, step = false, call_rid = false;
    const cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        const char *type = cJSON_GetObjectItem(r, "type")->valuestring;
        plan = plan || strcmp(type, "plan") == 0;
        step = step || strcmp(type, "step") == 0;
        reason = reason || (strcmp(type, "input") == 0 &&
                            strcmp(cJSON_GetObjectItem(r, "value")->valuestring, "drill") == 0);
        const cJSON *rid = cJSON_GetObjectItem(r, "request_id");
        call_rid = call_rid || (strcmp(type, "call") == 0 && cJSON_IsString(rid));
    }
    const char *got = NULL;
    assert_true(wizard_ended(records, &got));
    assert_string_equal(got, outcome);
    assert_true(plan && step && call_rid);
    assert_true(reason == with_reason);
    cJSON_Delete(records);
    char *text = read_text(path);
    assert_no_blob(text);
    free(text);
}

static void test_backup_protector(void **state)
{
    (void)state;
    struct run run;
    struct keybackup *kb = make(&run, false);
    assert_int_equal(keybackup_select(kb, DEMO_KV_EUS2, PROTECTOR, NULL), 0);
    assert_int_equal(keybackup_select(kb, "KV-TDE-EUS2", PROTECTOR, NULL), 0); /* a duplicate */
    const char *v, *k;
    assert_true(keybackup_selected(kb, 0, &v, &k));
    assert_false(keybackup_selected(kb, 1, &v, &k));
    keybackup_start(kb, KEYBACKUP_APPLY, NULL);
    assert_false(run.done); /* on_done never runs inside start */
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_DONE);
    assert_string_equal(run.trace, "idle>resolve resolve>bk-versions bk-versions>bk-material "
                                   "bk-material>bk-backup bk-backup>end");
    backup_file = xstrdup(keybackup_file(kb, 0));
    assert_null(keybackup_file(kb, 1));
    char *journal = xstrdup(keybackup_wizard(kb)->journal_path);
    keybackup_destroy(kb);

    struct stat st;
    assert_int_equal(stat(backup_file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(backups, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_int_equal(bkfile_read(backup_file, &m, &blob, &len, NULL), 0);
    assert_true(len > 0);
    bkfile_blob_free(blob, len);
    assert_string_equal(m.vault, DEMO_KV_EUS2);
    assert_string_equal(m.key, PROTECTOR);
    assert_string_equal(m.subscription, DEMO_SUBSCRIPTION);
    assert_string_equal(m.region, "eastus2");
    assert_string_equal(m.geography, "United States");
    assert_int_equal(m.nversions, 2);
    const struct model *model = fixture_model(&fx);
    const struct model_key *mk = model_key(fixture_vault(&fx, DEMO_KV_EUS2), PROTECTOR);
    assert_non_null(mk);
    for (size_t i = 0; i < m.nversions; i++) {
        const struct model_version *mv = model_version(mk, m.versions[i].version);
        assert_non_null(mv);
        assert_string_equal(m.versions[i].fingerprint, mv->fingerprint);
        const char *thumb = estate_thumbprint_of(model, mv->fingerprint);
        assert_non_null(thumb); /* both instances have every copy registered */
        assert_string_equal(m.versions[i].thumbprint, thumb);
    }
    bkfile_meta_cleanup(&m);
    expect_journal(journal, "done", false);
    free(journal);
}

static void test_backup_group_selects_every_registered_key(void **state)
{
    (void)state;
    struct run run;
    struct keybackup *kb = make(&run, false);
    char *cause = NULL;
    assert_int_equal(keybackup_select_group(kb, "FOG-SQL-PROD", &cause), 0);
    size_t n = 0;
    const char *v, *k;
    bool eus2_2024 = false, cus_2025 = false;
    while (keybackup_selected(kb, n, &v, &k)) {
        eus2_2024 =
            eus2_2024 || (strcmp(v, DEMO_KV_EUS2) == 0 && strcmp(k, "tde-protector-2024") == 0);
        cus_2025 = cus_2025 || (strcmp(v, DEMO_KV_CUS) == 0 && strcmp(k, PROTECTOR) == 0);
        n++;
    }
    assert_int_equal(n, 4); /* two keys in each of the two vaults */
    assert_true(eus2_2024 && cus_2025);
    keybackup_destroy(kb);

    kb = make(&run, false);
    assert_int_equal(keybackup_select_group(kb, "fog-nowhere", &cause), -1);
    assert_non_null(strstr(cause, "fog-nowhere"));
    free(cause);
    cause = NULL;
    assert_int_equal(keybackup_select(kb, "x", PROTECTOR, &cause), -1); /* not a vault name */
    free(cause);
    cause = NULL;
    assert_int_equal(keybackup_select(kb, DEMO_KV_EUS2, "bad/name", &cause), -1);
    free(cause);
    keybackup_destroy(kb);
}

static void test_backup_unknown_vault_refused(void **state)
{
    (void)state;
    struct run run;
    struct keybackup *kb = make(&run, false);
    assert_int_equal(keybackup_select(kb, "kv-nowhere", PROTECTOR, NULL), 0);
    keybackup_start(kb, KEYBACKUP_APPLY, NULL);
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_non_null(strstr(keybackup_detail(kb), "no vault kv-nowhere"));
    assert_null(keybackup_file(kb, 0));
    keybackup_destroy(kb);
}

/* -- damaged files ----------------------------------------------------------------------------- */

/* A restore of path must be refused as unverified, with no call made. */
static void expect_refused_file(const char *path, const char *why_part)
{
    int restores = log_count("POST ", "/keys/restore");
    int scratch = log_count(SCRATCH ".vault", "");
    struct run run;
    struct keybackup *kb = make(&run, false);
    char *cause = NULL;
    assert_int_equal(keybackup_restore_file(kb, path, SCRATCH, &cause), -1);
    assert_non_null(cause);
    if (why_part && strstr(cause, why_part) == NULL)
        fail_msg("the cause \"%s\" does not say \"%s\"", cause, why_part);
    free(cause);
    assert_null(keybackup_meta(kb));
    keybackup_start(kb, KEYBACKUP_APPLY, "drill");
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_UNVERIFIED);
    assert_string_equal(run.trace, "idle>end");
    keybackup_destroy(kb);
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    assert_int_equal(log_count(SCRATCH ".vault", ""), scratch);
}

static void test_damaged_files_refused(void **state)
{
    (void)state;
    char *text = read_text(backup_file);
    size_t len = strlen(text);
    char *bad = xasprintf("%s/bad.tdkb.json", tmp);

    /* One byte of the blob changed. */
    char *copy = xstrdup(text);
    char *blob = strstr(copy, "\"blob\"");
    assert_non_null(blob);
    char *c = strchr(blob + 6, '"') + 20;
    *c = *c == 'A' ? 'B' : 'A';
    assert_int_equal(support_tmpdir_write(bad, copy, len, 0600), 0);
    expect_refused_file(bad, "SHA-256");
    free(copy);

    /* One byte of the metadata changed (the key's name). */
    copy = xstrdup(text);
    char *key = strstr(copy, PROTECTOR);
    key[strlen(PROTECTOR) - 1] = '6';
    assert_int_equal(support_tmpdir_write(bad, copy, len, 0600), 0);
    expect_refused_file(bad, NULL);
    free(copy);

    /* Truncated; empty; another format; not JSON at all. */
    assert_int_equal(support_tmpdir_write(bad, text, len / 2, 0600), 0);
    expect_refused_file(bad, NULL);
    assert_int_equal(support_tmpdir_write(bad, "", 0, 0600), 0);
    expect_refused_file(bad, NULL);
    copy = xstrdup(text);
    char *fmt = strstr(copy, "tdectl.keybackup/v1");
    assert_non_null(fmt);
    fmt[strlen("tdectl.keybackup/v")] = '9';
    assert_int_equal(support_tmpdir_write(bad, copy, len, 0600), 0);
    expect_refused_file(bad, NULL);
    free(copy);
    const char *foreign = "{\"format\": \"something-else/v1\", \"key\": \"x\"}";
    assert_int_equal(support_tmpdir_write(bad, foreign, strlen(foreign), 0600), 0);
    expect_refused_file(bad, NULL);
    expect_refused_file(tmp, NULL); /* a folder */
    char *missing = xasprintf("%s/missing.tdkb.json", tmp);
    expect_refused_file(missing, NULL);
    free(missing);
    free(bad);
    free(text);
}

/* -- restore ----------------------------------------------------------------------------------- */

static struct keybackup *restore(struct run *run, const char *vault, enum keybackup_how how,
                                 const char *reason, bool read_only)
{
    struct keybackup *kb = make(run, read_only);
    char *cause = NULL;
    if (keybackup_restore_file(kb, backup_file, vault, &cause) < 0)
        fail_msg("restore_file: %s", cause);
    keybackup_start(kb, how, reason);
    wait_done(run);
    return kb;
}

static bool has_check(const char *json_text, const char *name, bool ok)
{
    char *want = xasprintf("\"name\":\"%s\",\"ok\":%s", name, ok ? "true" : "false");
    bool found = strstr(json_text, want) != NULL;
    free(want);
    return found;
}

static char *result_json(const struct keybackup *kb)
{
    cJSON *j = keybackup_json(kb);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

static void test_restore_plan_changes_nothing(void **state)
{
    (void)state;
    int restores = log_count("POST ", "/keys/restore");
    struct run run;
    struct keybackup *kb = restore(&run, SCRATCH, KEYBACKUP_PLAN, NULL, true);
    assert_int_equal(run.result, KEYBACKUP_DONE);
    assert_non_null(strstr(keybackup_detail(kb), "every constraint holds"));
    assert_null(keybackup_wizard(kb)->journal_path); /* a plan journals nothing */
    char *json = result_json(kb);
    assert_true(has_check(json, "subscription", true));
    assert_true(has_check(json, "geography", true));
    assert_true(has_check(json, "name-live", true));
    assert_true(has_check(json, "name-deleted", true));
    free(json);
    char *plan = keybackup_plan_text(kb);
    assert_non_null(strstr(plan, "POST   "));
    assert_non_null(strstr(plan, "/keys/restore  api-version=" KV_API));
    free(plan);
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    keybackup_destroy(kb);
}

static char *last_audit(void)
{
    char *text = read_text(audit_path);
    size_t n = strlen(text);
    assert_true(n > 1 && text[n - 1] == '\n');
    text[n - 1] = '\0';
    char *nl = strrchr(text, '\n');
    char *line = xstrdup(nl ? nl + 1 : text);
    free(text);
    return line;
}

static void test_restore_test_into_scratch(void **state)
{
    (void)state;
    struct run run;
    struct keybackup *kb = restore(&run, SCRATCH, KEYBACKUP_TEST, "drill", false);
    if (run.result != KEYBACKUP_DONE)
        fail_msg("%s", keybackup_detail(kb));
    assert_non_null(strstr(keybackup_detail(kb), "restore test passed"));
    assert_non_null(strstr(keybackup_detail(kb), "stays in " SCRATCH));
    char *json = result_json(kb);
    assert_non_null(strstr(json, "\"match\":true"));
    assert_null(strstr(json, "\"match\":false"));
    free(json);
    char *journal = xstrdup(keybackup_wizard(kb)->journal_path);
    keybackup_destroy(kb);
    expect_journal(journal, "done", true);
    free(journal);

    char *line = last_audit();
    assert_non_null(strstr(line, "\"action\":\"restore-test\""));
    assert_non_null(strstr(line, "\"reason\":\"drill\""));
    assert_non_null(strstr(line, "\"outcome\":\"done\""));
    assert_non_null(strstr(line, "\"principal\":\"" DEMO_OPERATOR_ID "\""));
    assert_non_null(strstr(line, "\"file_sha256\":\""));
    free(line);
    char *all = read_text(audit_path);
    assert_no_blob(all);
    free(all);
}

static void test_restore_again_refused_up_front(void **state)
{
    (void)state;
    int restores = log_count("POST ", "/keys/restore");
    struct run run;
    struct keybackup *kb = restore(&run, SCRATCH, KEYBACKUP_APPLY, "drill", false);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_non_null(strstr(keybackup_detail(kb), "the name is taken"));
    assert_non_null(strstr(keybackup_detail(kb), "a restore was done before"));
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    assert_null(strstr(run.trace, "rs-restore"));
    keybackup_destroy(kb);
    char *line = last_audit();
    assert_non_null(strstr(line, "\"outcome\":\"refused\""));
    assert_non_null(strstr(line, "\"changed_azure\":false"));
    free(line);
}

static void test_restore_other_geography_refused_before_any_call(void **state)
{
    (void)state;
    int restores = log_count("POST ", "/keys/restore");
    int weu = log_count(WEU ".vault", "");
    struct run run;
    struct keybackup *kb = restore(&run, WEU, KEYBACKUP_APPLY, "drill", false);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    const char *d = keybackup_detail(kb);
    assert_non_null(strstr(d, "same subscription and geography (Europe ≠ United States)"));
    assert_non_null(strstr(d, "import it instead: tdectl rotate --origin file"));
    assert_int_equal(log_count(WEU ".vault", ""), weu); /* the vault was never called */
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    keybackup_destroy(kb);
}

static void test_restore_other_subscription_refused(void **state)
{
    (void)state;
    /* The same blob described as another subscription's (a foreign, but intact, file). */
    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_int_equal(bkfile_read(backup_file, &m, &blob, &len, NULL), 0);
    snprintf(m.subscription, sizeof m.subscription, "00000000-0000-4000-8000-000000000000");
    char *dir = xasprintf("%s/foreign", tmp), *path = NULL;
    assert_int_equal(bkfile_write(dir, &m, blob, len, &path, NULL), 0);
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&m);
    int scratch = log_count(SCRATCH ".vault", "");
    struct run run;
    struct keybackup *kb = make(&run, false);
    assert_int_equal(keybackup_restore_file(kb, path, SCRATCH, NULL), 0);
    keybackup_start(kb, KEYBACKUP_APPLY, "drill");
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_non_null(strstr(keybackup_detail(kb), "same subscription and geography (subscription"));
    assert_int_equal(log_count(SCRATCH ".vault", ""), scratch);
    keybackup_destroy(kb);
    free(path);
    free(dir);
}

static void test_restore_over_soft_deleted_name_refused(void **state)
{
    (void)state;
    char *id = fixture_fault(&fx, "{\"kind\": \"key-delete\", \"vault\": \"" SCRATCH
                                  "\", \"key\": \"" PROTECTOR "\"}");
    fixture_run(&fx, 2000); /* azsim's soft-delete transition */
    int restores = log_count("POST ", "/keys/restore");
    struct run run;
    struct keybackup *kb = restore(&run, SCRATCH, KEYBACKUP_APPLY, "drill", false);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    const char *d = keybackup_detail(kb);
    if (strstr(d, "soft-deleted until") == NULL || strstr(d, "purge protection keeps it") == NULL)
        fail_msg("%s", d);
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    keybackup_destroy(kb);
    fixture_clear(&fx, id);
    free(id);
}

static void test_read_only_refused(void **state)
{
    (void)state;
    int restores = log_count("POST ", "/keys/restore");
    struct run run;
    /* The session's mode, as the CLI passes it: refused before any request. */
    struct keybackup *kb = restore(&run, "kv-tde-cus", KEYBACKUP_APPLY, "drill", true);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_string_equal(keybackup_detail(kb), "read-only mode: restore changes Azure (run without "
                                              "--read-only, and with read_only false in the "
                                              "configuration)");
    assert_string_equal(run.trace, "idle>end");
    keybackup_destroy(kb);
    kb = make(&run, true);
    assert_int_equal(keybackup_select(kb, DEMO_KV_EUS2, PROTECTOR, NULL), 0);
    keybackup_start(kb, KEYBACKUP_APPLY, NULL);
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_non_null(strstr(keybackup_detail(kb), "read-only mode"));
    keybackup_destroy(kb);

    /*
     * Should a caller not say so, the transport's gate still refuses the
     * restore: tde-protector-2024, backed up first, is free in the scratch
     * vault, so the checks pass and the POST reaches the gate.
     */
    kb = make(&run, false);
    assert_int_equal(keybackup_select(kb, DEMO_KV_EUS2, "tde-protector-2024", NULL), 0);
    keybackup_start(kb, KEYBACKUP_APPLY, NULL);
    wait_done(&run);
    assert_int_equal(run.result, KEYBACKUP_DONE);
    char *file2024 = xstrdup(keybackup_file(kb, 0));
    keybackup_destroy(kb);
    struct http *h = session_http(fx.session);
    http_set_read_only(h, true);
    kb = make(&run, false);
    assert_int_equal(keybackup_restore_file(kb, file2024, SCRATCH, NULL), 0);
    keybackup_start(kb, KEYBACKUP_APPLY, "drill");
    wait_done(&run);
    http_set_read_only(h, false);
    if (run.result != KEYBACKUP_REFUSED)
        fail_msg("%d: %s", run.result, keybackup_detail(kb));
    assert_non_null(strstr(keybackup_detail(kb), "refused before it was sent"));
    assert_non_null(strstr(keybackup_detail(kb), "read-only mode"));
    assert_non_null(strstr(run.trace, "rs-restore>end"));
    keybackup_destroy(kb);
    free(file2024);
    assert_int_equal(log_count("POST ", "/keys/restore"), restores);
    char *line = last_audit();
    assert_non_null(strstr(line, "\"changed_azure\":false"));
    free(line);
}

static void test_restore_needs_a_reason(void **state)
{
    (void)state;
    struct run run;
    struct keybackup *kb = restore(&run, SCRATCH, KEYBACKUP_APPLY, "", false);
    assert_int_equal(run.result, KEYBACKUP_REFUSED);
    assert_non_null(strstr(keybackup_detail(kb), "needs a reason"));
    assert_string_equal(run.trace, "idle>end");
    keybackup_destroy(kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_protector),
        cmocka_unit_test(test_backup_group_selects_every_registered_key),
        cmocka_unit_test(test_backup_unknown_vault_refused),
        cmocka_unit_test(test_damaged_files_refused),
        cmocka_unit_test(test_restore_plan_changes_nothing),
        cmocka_unit_test(test_restore_test_into_scratch),
        cmocka_unit_test(test_restore_again_refused_up_front),
        cmocka_unit_test(test_restore_other_geography_refused_before_any_call),
        cmocka_unit_test(test_restore_other_subscription_refused),
        cmocka_unit_test(test_restore_over_soft_deleted_name_refused),
        cmocka_unit_test(test_read_only_refused),
        cmocka_unit_test(test_restore_needs_a_reason),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
