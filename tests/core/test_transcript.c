/*
 * Unit tests for core/transcript: a rotation journal with every record type
 * (written with core/journal, loaded back) renders its title, summary table,
 * parameters, plan with calls, and a timeline in journal order with request
 * ids, check marks, the end; secrets ("passphrase", a sig= parameter) never
 * appear; pipes, backticks and newlines in values are neutralised; backup and
 * restore plans name their keys; a plan-only journal is "unfinished"; export
 * writes the Markdown and the journal's lines 0600 and never overwrites;
 * degenerate and hostile records (wrong types, huge and invalid strings,
 * nested junk) render without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomfile.h"
#include "azure.h"
#include "journal.h"
#include "support_tmpdir.h"
#include "transcript.h"
#include "wizard.h"
#include "xmem.h"

#define T0 INT64_C(1795988400) /* 2026-11-29T21:40:00Z */

#define PUT_URL                                                                                \
    "https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/" \
    "managedInstances/sqlmi-prod-cus/encryptionProtector/current"

/* Every record type, as the rotation wizard journals them (plus one it does not know). */
static const char *const rotation[] = {
    "{\"type\":\"plan\",\"kind\":\"rotate\",\"plan\":{\"group\":\"fog-prod\",\"origin\":\"vault\","
    "\"primary\":{\"instance\":\"sqlmi-prod-eus\",\"vault\":\"kv-eus\"},\"new_key\":\"tde-2026\","
    "\"bits\":3072,\"hsm\":false,\"exp\":1827524400,\"steps\":["
    "{\"id\":\"preconditions\",\"title\":\"Check the preconditions\",\"why\":\"\",\"calls\":[]},"
    "{\"id\":\"protect-secondary\",\"title\":\"Set the protector of sqlmi-prod-cus\","
    "\"why\":\"the secondary first\",\"calls\":[{\"method\":\"PUT\",\"resource\":"
    "\"/subscriptions/s1/encryptionProtector/current\",\"api_version\":\"2023-05-01-preview\"}]}"
    "]}}",
    "{\"type\":\"input\",\"name\":\"reason\",\"value\":\"CHG-1234 | yearly\\nrotation\"}",
    "{\"type\":\"input\",\"name\":\"owner\",\"value\":\"alice@contoso.com\"}",
    "{\"type\":\"input\",\"name\":\"passphrase\",\"value\":\"hunter2-never-print\"}",
    "{\"type\":\"step\",\"step\":\"preconditions\",\"phase\":\"begin\"}",
    "{\"type\":\"check\",\"step\":\"preconditions\",\"name\":\"no-critical\",\"ok\":true,"
    "\"detail\":\"0 critical findings\"}",
    "{\"type\":\"check\",\"step\":\"preconditions\",\"name\":\"vault-reachable\",\"ok\":false,"
    "\"detail\":\"kv-cus: timeout\"}",
    "{\"type\":\"step\",\"step\":\"preconditions\",\"phase\":\"done\",\"detail\":\"all passed\"}",
    "{\"type\":\"step\",\"step\":\"protect-secondary\",\"phase\":\"begin\"}",
    "{\"type\":\"call\",\"step\":\"protect-secondary\",\"method\":\"PUT\",\"url\":\"" PUT_URL "\","
    "\"query\":\"api-version=2023-05-01-preview&sig=abc123secret\",\"status\":200,"
    "\"request_id\":\"rid-1111\",\"correlation_id\":\"cid-2222\",\"elapsed_ms\":123}",
    "{\"type\":\"step\",\"step\":\"protect-secondary\",\"phase\":\"failed\",\"detail\":"
    "\"timeout\"}",
    "{\"type\":\"note\",\"text\":\"retrying with `ticks` and *stars*\"}",
    "{\"type\":\"step\",\"step\":\"protect-secondary\",\"phase\":\"skipped\","
    "\"detail\":\"already in place\",\"data\":{\"thumbprint\":\"ab\"}}",
    "{\"type\":\"mystery\",\"x\":[1,2]}",
    "{\"type\":\"end\",\"outcome\":\"done\",\"detail\":\"both instances on tde-2026\"}",
};
#define NROTATION (sizeof rotation / sizeof rotation[0])

static int setup(void **state)
{
    char *dir = support_tmpdir_make();
    *state = dir;
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    support_tmpdir_remove(*state);
    free(*state);
    return 0;
}

/* A journal in dir/wizards of the first n texts (times T0+1 ...); its path (heap). */
static char *write_journal(const char *dir, const char *kind, const char *const *texts, size_t n)
{
    char *wdir = xasprintf("%s/wizards", dir), *path = NULL, *cause = NULL;
    struct journal *j = NULL;
    if (journal_create(wdir, kind, &j, &path, &cause) < 0)
        fail_msg("journal_create: %s", cause);
    for (size_t i = 0; i < n; i++) {
        cJSON *r = cJSON_Parse(texts[i]);
        if (r == NULL)
            fail_msg("bad test record %zu", i);
        if (journal_append(j, r, T0 + (int64_t)i + 1, &cause) < 0)
            fail_msg("journal_append: %s", cause);
        cJSON_Delete(r);
    }
    journal_close(j);
    free(wdir);
    return path;
}

static char *render_file(const char *path)
{
    cJSON *records = NULL;
    char *cause = NULL;
    if (journal_load(path, &records, NULL, &cause) < 0)
        fail_msg("journal_load: %s", cause);
    char *md = transcript_markdown(records);
    cJSON_Delete(records);
    assert_non_null(md);
    return md;
}

static void starts(const char *md, const char *what)
{
    if (strncmp(md, what, strlen(what)) != 0)
        fail_msg("does not start with: %s\n--- but:\n%s", what, md);
}

static void has(const char *md, const char *what)
{
    if (strstr(md, what) == NULL)
        fail_msg("missing: %s\n--- in:\n%s", what, md);
}

static void lacks(const char *md, const char *what)
{
    if (strstr(md, what) != NULL)
        fail_msg("present: %s\n--- in:\n%s", what, md);
}

static void test_rotation_rendered(void **state)
{
    char *path = write_journal(*state, "rotate", rotation, NROTATION);
    char *md = render_file(path);
    starts(md, "# tdectl rotate — fog-prod — done\n\n");
    has(md, "| field | value |\n|---|---|\n| run id | — |\n| kind | rotate |\n"
            "| group | fog-prod |\n| origin | vault |\n| started | 2026-11-29T21:40:01Z |\n"
            "| ended | 2026-11-29T21:40:15Z |\n| outcome | done: both instances on tde-2026 |\n"
            "| operator | alice@contoso.com |\n| reason | CHG-1234 \\| yearly rotation |\n");
    /* Parameters: nested, times as times. */
    has(md, "- `primary.instance`: sqlmi-prod-eus\n");
    has(md, "- `new_key`: tde-2026\n");
    has(md, "- `bits`: 3072\n- `hsm`: no\n- `exp`: 2027-11-29T21:40:00Z\n");
    /* The plan, numbered, with its calls. */
    has(md, "1. Check the preconditions (`preconditions`)\n   - (no call that changes Azure)\n"
            "2. Set the protector of sqlmi-prod-cus (`protect-secondary`)\n"
            "   - why: the secondary first\n"
            "   - `PUT /subscriptions/s1/encryptionProtector/current`, api-version "
            "2023-05-01-preview\n");
    /* The timeline, one line per record in order. */
    const char *at = strstr(md, "## Timeline\n\n");
    assert_non_null(at);
    for (size_t i = 0; i < NROTATION; i++) {
        char when[64];
        snprintf(when, sizeof when, "\n- `2026-11-29T21:40:%02zuZ` **", i + 1);
        const char *next = strstr(at, when);
        if (next == NULL)
            fail_msg("record %zu is not in order in:\n%s", i + 1, md);
        at = next + 1;
    }
    has(md, "**plan**: 2 steps\n");
    has(md, "**input** reason: CHG-1234 \\| yearly rotation\n");
    has(md, "**input** passphrase: (set)\n");
    has(md, "**step** 1 `preconditions` begin\n");
    has(md, "**check** ✓ ok no-critical: 0 critical findings\n");
    has(md, "**check** ✗ FAIL vault-reachable: kv-cus: timeout\n");
    has(md, "**step** 1 `preconditions` done: all passed\n");
    has(md, "**call** (step 2) `PUT " PUT_URL "?api-version=2023-05-01-preview&sig=(set)` → 200, "
            "request id rid-1111, correlation id cid-2222, 123 ms\n");
    has(md, "**step** 2 `protect-secondary` ✗ failed: timeout\n");
    has(md, "**note** retrying with \\`ticks\\` and \\*stars\\*\n");
    has(md, "**step** 2 `protect-secondary` skipped: already in place\n");
    has(md, "**record** `{\"seq\":14,\"time\":\"2026-11-29T21:40:14Z\",\"type\":\"mystery\","
            "\"x\":[1,2]}`\n");
    has(md, "**end** done: both instances on tde-2026\n");
    lacks(md, "hunter2");
    lacks(md, "abc123secret");
    lacks(md, "unfinished");
    free(md);
    free(path);
}

static void test_plan_only_unfinished(void **state)
{
    char *path = write_journal(*state, "rotate", rotation, 1);
    char *md = render_file(path);
    starts(md, "# tdectl rotate — fog-prod — unfinished\n");
    has(md, "| ended | (not ended) |\n| outcome | unfinished |\n| operator | — |\n"
            "| reason | — |\n");
    has(md, "2. Set the protector of sqlmi-prod-cus");
    has(md, "- `2026-11-29T21:40:01Z` **plan**: 2 steps\n");
    has(md, "The run is unfinished: its journal has no end record.\n");
    free(md);
    free(path);
}

/* Backup and restore plans keep their steps beside the plan and name keys, not a group. */
static void test_backup_and_restore_subjects(void **state)
{
    static const char *const restore[] = {
        "{\"type\":\"plan\",\"kind\":\"restore\",\"run\":\"restore-1\",\"plan\":{\"vault\":"
        "\"kv-a\",\"key\":\"tde-key\",\"versions\":3,\"test\":true},\"steps\":[{\"id\":"
        "\"checks\",\"title\":\"Check\",\"why\":\"\",\"calls\":[{\"method\":\"GET\","
        "\"resource\":\"https://kv-a.vault.azure.net/keys/tde-key\",\"api_version\":\"7.4\"}]}]}",
        "{\"type\":\"input\",\"name\":\"operator\",\"value\":\"bob\"}",
        "{\"type\":\"end\",\"outcome\":\"refused\",\"detail\":\"another geography\"}",
    };
    static const char *const backup[] = {
        "{\"type\":\"plan\",\"kind\":\"backup\",\"plan\":{\"keys\":[{\"vault\":\"v1\",\"key\":"
        "\"k1\"},{\"vault\":\"v2\",\"key\":\"k2\"},{\"vault\":\"v3\",\"key\":\"k3\"},{\"vault\":"
        "\"v4\",\"key\":\"k4\"},{\"vault\":\"v5\",\"key\":\"k5\"}]}}",
    };
    char *path = write_journal(*state, "restore", restore, 3);
    char *md = render_file(path);
    starts(md, "# tdectl restore — kv-a/tde-key — refused\n");
    has(md, "| run id | restore-1 |\n| kind | restore |\n| key | kv-a/tde-key |\n");
    has(md, "| outcome | refused: another geography |\n| operator | bob |\n");
    has(md, "1. Check (`checks`)\n   - `GET https://kv-a.vault.azure.net/keys/tde-key`, "
            "api-version 7.4\n");
    has(md, "- `test`: yes\n");
    free(md);
    free(path);
    path = write_journal(*state, "backup", backup, 1);
    md = render_file(path);
    has(md, "| keys | v1/k1, v2/k2, v3/k3 and 2 more |\n");
    has(md, "(the plan has no steps)");
    free(md);
    free(path);
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    assert_int_equal(atomfile_read(path, 1 << 26, &data, len, NULL), 0);
    return data;
}

static void assert_mode_0600(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_export(void **state)
{
    const char *dir = *state;
    char *path = write_journal(dir, "rotate", rotation, NROTATION);
    char *out = xasprintf("%s/out/tickets/", dir), *md = NULL, *jsonl = NULL, *cause = NULL;
    assert_int_equal(transcript_export(path, out, &md, &jsonl, &cause), 0);
    assert_null(cause);
    const char *base = strrchr(path, '/') + 1;
    char *want_md = xasprintf("%s/out/tickets/%.*s.md", dir, (int)(strlen(base) - 6), base);
    char *want_jl = xasprintf("%s/out/tickets/%s", dir, base);
    assert_string_equal(md, want_md);
    assert_string_equal(jsonl, want_jl);
    assert_mode_0600(md);
    assert_mode_0600(jsonl);
    size_t mlen, jlen, olen;
    char *mtext = slurp(md, &mlen), *jtext = slurp(jsonl, &jlen), *orig = slurp(path, &olen);
    assert_int_equal(jlen, olen); /* the lines exactly as journaled */
    assert_memory_equal(jtext, orig, olen);
    char *run_row = xasprintf("| run id | %.*s |\n", (int)(strlen(base) - 6), base);
    has(mtext, run_row);
    has(mtext, "**end** done");
    /* Never overwritten: the same export again is refused, the files stay. */
    char *md2 = NULL, *jl2 = NULL;
    errno = 0;
    assert_int_equal(transcript_export(path, out, &md2, &jl2, &cause), -1);
    assert_int_equal(errno, EEXIST);
    assert_non_null(cause);
    has(cause, "never overwritten");
    assert_null(md2);
    assert_null(jl2);
    /* Only the JSONL there: the Markdown written first is removed again. */
    assert_int_equal(unlink(md), 0);
    free(cause);
    cause = NULL;
    assert_int_equal(transcript_export(path, out, NULL, NULL, &cause), -1);
    assert_int_equal(access(md, F_OK), -1);
    size_t len2;
    char *again = slurp(jsonl, &len2);
    assert_int_equal(len2, olen);
    /* Into the journal's own folder: the journal itself is never replaced. */
    char *wdir = xasprintf("%s/wizards", dir);
    assert_int_equal(transcript_export(path, wdir, NULL, NULL, NULL), -1);
    assert_int_equal(errno, EEXIST);
    free(again);
    free(wdir);
    free(run_row);
    free(mtext);
    free(jtext);
    free(orig);
    free(want_md);
    free(want_jl);
    free(md);
    free(jsonl);
    free(cause);
    free(out);
    free(path);
}

static int64_t wall(void *arg)
{
    return T0 + (*(int *)arg)++;
}

/* What core/wizard journals for real, from plan to end, exported. */
static void test_wizard_journal(void **state)
{
    struct wizard w;
    int tick = 0;
    char *cause = NULL, *md = NULL;
    wizard_init(&w, "backup");
    w.wall = wall;
    w.wall_arg = &tick;
    size_t s = wizard_add_step(&w, "backup:kv-a/tde", "Back up tde from kv-a", "every version");
    wizard_add_call(&w, s, "POST", "https://kv-a.vault.azure.net/keys/tde/backup", "7.4");
    char *wdir = xasprintf("%s/wizards", (char *)*state);
    assert_int_equal(wizard_journal_start(&w, wdir, &cause), 0);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "kind", w.kind);
    cJSON_AddStringToObject(f, "run", w.run);
    cJSON *keys = cJSON_AddArrayToObject(cJSON_AddObjectToObject(f, "plan"), "keys");
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "vault", "kv-a");
    cJSON_AddStringToObject(k, "key", "tde");
    cJSON_AddItemToArray(keys, k);
    cJSON_AddItemToObject(f, "steps", wizard_steps_json(&w));
    assert_int_equal(wizard_record(&w, "plan", f), 0);
    wizard_step_begin(&w, s);
    wizard_check(&w, true, "subscription", "the same: %s", "s1");
    struct az_status st = {.status = 429,
                           .code = "Throttled",
                           .error = "Throttled: slow down",
                           .err = CORE_ERR_HTTP,
                           .request_id = "req-9",
                           .elapsed_ms = 40};
    wizard_call(&w, "POST", "https://kv-a.vault.azure.net/keys/tde/backup?api-version=7.4", &st);
    wizard_note(&w, "waiting %d s", 2);
    wizard_step_failed(&w, s, "throttled");
    wizard_end(&w, "failed", "Key Vault throttled the backup");
    char *path = xstrdup(w.journal_path), *run = xstrdup(w.run);
    wizard_cleanup(&w);
    char *out = xasprintf("%s/out", (char *)*state);
    assert_int_equal(transcript_export(path, out, &md, NULL, &cause), 0);
    size_t len;
    char *text = slurp(md, &len), *title = xasprintf("| run id | %s |\n", run);
    starts(text, "# tdectl backup — kv-a/tde — failed\n");
    has(text, title);
    has(text, "1. Back up tde from kv-a (`backup:kv-a/tde`)\n   - why: every version\n"
              "   - `POST https://kv-a.vault.azure.net/keys/tde/backup`, api-version 7.4\n");
    has(text, "**check** ✓ ok subscription: the same: s1\n");
    has(text,
        "**call** (step 1) `POST https://kv-a.vault.azure.net/keys/tde/backup?api-version=7.4`"
        " → 429 Throttled, request id req-9, 40 ms; error: Throttled: slow down\n");
    has(text, "**note** waiting 2 s\n");
    has(text, "**step** 1 `backup:kv-a/tde` ✗ failed: throttled\n");
    has(text, "**end** failed: Key Vault throttled the backup\n");
    free(title);
    free(text);
    free(out);
    free(md);
    free(run);
    free(path);
    free(wdir);
}

static void test_export_degenerate(void **state)
{
    const char *dir = *state;
    char dummy[2] = "", *cause = NULL, *md = dummy, *jl = dummy;
    assert_int_equal(transcript_export(NULL, dir, &md, &jl, &cause), -1);
    assert_non_null(cause);
    assert_null(md);
    assert_null(jl);
    assert_int_equal(transcript_export("/nonexistent/x.jsonl", NULL, NULL, NULL, NULL), -1);
    assert_int_equal(transcript_export("/nonexistent/x.jsonl", "", NULL, NULL, NULL), -1);
    /* A missing journal, a bad one, an unusable name, a file where the folder goes. */
    free(cause);
    cause = NULL;
    char *out = xasprintf("%s/out", dir);
    assert_int_equal(transcript_export("/nonexistent/x.jsonl", out, NULL, NULL, &cause), -1);
    assert_non_null(cause);
    char *bad = xasprintf("%s/bad.jsonl", dir);
    assert_int_equal(support_tmpdir_write(bad, "not json\n{}\n", 12, 0600), 0);
    assert_int_equal(transcript_export(bad, out, NULL, NULL, NULL), -1);
    char *odd = xasprintf("%s/we`ird name.jsonl", dir), *dot = xasprintf("%s/.jsonl", dir);
    assert_int_equal(support_tmpdir_write(odd, "", 0, 0600), 0);
    assert_int_equal(transcript_export(odd, out, NULL, NULL, NULL), -1);
    assert_int_equal(transcript_export(dot, out, NULL, NULL, NULL), -1);
    char *path = write_journal(dir, "rotate", rotation, 2);
    assert_int_equal(transcript_export(path, bad, NULL, NULL, NULL), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(access(out, F_OK), -1); /* nothing was made for the failures above */
    free(path);
    free(odd);
    free(dot);
    free(bad);
    free(out);
    free(cause);
}

static char *render_text(const char *json)
{
    cJSON *records = cJSON_Parse(json);
    assert_non_null(records);
    char *md = transcript_markdown(records);
    cJSON_Delete(records);
    assert_non_null(md);
    return md;
}

static void test_degenerate_records(void **state)
{
    (void)state;
    char *md = transcript_markdown(NULL);
    has(md, "# tdectl wizard — (unknown) — unfinished\n");
    has(md, "This is not a journal");
    has(md, "(no records)");
    free(md);
    md = render_text("[]");
    has(md, "(the journal has no plan)");
    has(md, "(no records)");
    lacks(md, "This is not a journal");
    free(md);
    md = render_text("{\"type\":\"plan\"}");
    has(md, "This is not a journal");
    free(md);
    /* Not objects, and objects of every wrong type. */
    md =
        render_text("[1, \"s\", null, [], true, {}, {\"type\":7,\"time\":{}},"
                    "{\"type\":\"plan\",\"kind\":[],\"plan\":\"p\",\"steps\":{\"a\":1}},"
                    "{\"type\":\"plan\",\"plan\":{\"group\":5,\"keys\":\"k\",\"steps\":[1,"
                    "{\"id\":2,\"calls\":\"c\"},{\"calls\":[1,{\"method\":[]}]}]}},"
                    "{\"type\":\"input\"},{\"type\":\"input\",\"name\":\"x\",\"value\":{\"a\":1}},"
                    "{\"type\":\"input\",\"name\":\"api_token\",\"value\":{\"t\":\"tok-xyz\"}},"
                    "{\"type\":\"step\",\"step\":[],\"phase\":3},{\"type\":\"check\",\"ok\":\"y\"},"
                    "{\"type\":\"call\",\"status\":\"200\",\"elapsed_ms\":1e300,\"url\":7},"
                    "{\"type\":\"call\",\"method\":\"\",\"url\":\"\",\"status\":-1.5},"
                    "{\"type\":\"note\",\"text\":null},{\"type\":\"end\",\"outcome\":{}},"
                    "{\"type\":\"end\"},{\"type\":\"mystery\",\"auth\":[{\"Access_Token\":"
                    "\"eyJ-tok\",\"n\":1}],\"client_secret\":{\"a\":\"sec-1\"}}]");
    has(md, "- `(no time)` **record** `1`\n");
    has(md, "- `(no time)` **record** `\"s\"`\n");
    has(md, "- `(no time)` **record** `{}`\n");
    has(md, "**plan** (again)\n");
    has(md, "**input** (unnamed): —\n");
    has(md, "**input** x: `{\"a\":1}`\n");
    has(md, "**input** api\\_token: (set)\n");
    lacks(md, "tok-xyz");
    has(md, "**step** (none) ?\n");
    has(md, "**check** ? —\n");
    has(md, "**call** `? ?` → ?, 1e+300 ms\n");
    has(md, "**call** `? ` → -1.5\n");
    has(md, "**note** —\n");
    has(md, "**end** —\n");
    has(md, "| outcome | (no outcome) |");
    has(md, "**record** `{\"type\":\"mystery\",\"auth\":[{\"Access_Token\":\"(set)\",\"n\":1}],"
            "\"client_secret\":\"(set)\"}`\n");
    lacks(md, "eyJ-tok");
    lacks(md, "sec-1");
    lacks(md, "The run is unfinished");
    free(md);
}

/* A string of n copies of unit. */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = xmalloc(u * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

static void test_hostile_values(void **state)
{
    (void)state;
    cJSON *records = cJSON_CreateArray();
    char *huge = repeat("|", 1 << 20), *wide = repeat("\xc3\xa9", 600);
    cJSON *plan = cJSON_CreateObject();
    cJSON_AddStringToObject(plan, "type", "plan");
    cJSON_AddStringToObject(plan, "kind", "rotate");
    cJSON *p = cJSON_AddObjectToObject(plan, "plan");
    cJSON_AddStringToObject(p, "group", huge);
    cJSON_AddNumberToObject(p, "nan", NAN);
    cJSON_AddNumberToObject(p, "exp", -5);
    cJSON_AddStringToObject(p, "client_secret", "s3cr3t");
    cJSON *steps = cJSON_AddArrayToObject(p, "steps");
    for (int i = 0; i < 300; i++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "id", "s");
        cJSON_AddStringToObject(st, "title", "<script>alert(1)</script>");
        cJSON_AddItemToArray(steps, st);
    }
    cJSON_AddItemToArray(records, plan);
    cJSON *note = cJSON_CreateObject();
    cJSON_AddStringToObject(note, "type", "note");
    cJSON_AddStringToObject(note, "text", wide);
    cJSON_AddItemToArray(records, note);
    cJSON *bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "type", "note");
    cJSON_AddStringToObject(bad, "text", "a\xff\xc0\xed\xa0\x80z\x01\tb\r\n#");
    cJSON_AddItemToArray(records, bad);
    cJSON *junk = cJSON_CreateArray(), *deep = junk;
    for (int i = 0; i < 200; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(deep, next);
        deep = next;
    }
    cJSON_AddItemToArray(deep, cJSON_CreateString(huge));
    cJSON_AddItemToArray(records, junk);

    char *md = transcript_markdown(records);
    assert_non_null(md);
    assert_true(strlen(md) < 64 * 1024); /* every value cut at about 500 bytes */
    char *cut = repeat("\\|", 500), *title = xasprintf("# tdectl rotate — %s… — unfinished\n", cut);
    starts(md, title);
    char *accents = xasprintf("**note** %s…\n", wide + 700); /* 250 whole characters */
    has(md, accents);
    has(md, "**note** a?????z  b  \\#\n");
    has(md, "- `nan`: nan\n");
    has(md, "- `exp`: -5\n");
    has(md, "- `client_secret`: (set)\n");
    lacks(md, "s3cr3t");
    has(md, "256. \\<script\\>alert(1)\\</script\\> (`s`)\n");
    has(md, "… 44 more steps\n");
    lacks(md, "257. ");
    has(md, "**record** `[[[[");
    for (const char *c = md; *c; c++) /* no control characters but the line ends */
        assert_true((unsigned char)*c >= 0x20 || *c == '\n');
    free(accents);
    free(title);
    free(cut);
    free(md);
    free(huge);
    free(wide);
    cJSON_Delete(records);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate_records),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test_setup_teardown(test_rotation_rendered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_only_unfinished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_and_restore_subjects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_degenerate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wizard_journal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
