/*
 * keybackup without Azure: degenerate selections and files, the description
 * of a verified file, the names of results. The wizard's runs against azsim
 * are tests/integration/test_keybackup.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bkfile.h"
#include "keybackup.h"
#include "support_tmpdir.h"
#include "xmem.h"

static struct keybackup *make(void)
{
    struct keybackup_options o = {.backup_dir = "/nonexistent", .principal = "p"};
    return keybackup_create(&o);
}

/* A small valid backup file in dir (heap path). */
static char *write_sample(const char *dir)
{
    struct bkfile_meta m = {0};
    snprintf(m.vault, sizeof m.vault, "kv-one");
    snprintf(m.vault_uri, sizeof m.vault_uri, "https://kv-one.vault.azure.net");
    snprintf(m.key, sizeof m.key, "tde-key");
    snprintf(m.subscription, sizeof m.subscription, "558aba93-77f9-4064-aa55-4db325ca1cbf");
    snprintf(m.region, sizeof m.region, "eastus2");
    snprintf(m.geography, sizeof m.geography, "United States");
    m.created = 1764450000;
    m.nversions = 2;
    m.versions = xcalloc(2, sizeof *m.versions);
    for (size_t i = 0; i < 2; i++) {
        memset(m.versions[i].version, i ? 'b' : 'a', 32);
        memset(m.versions[i].fingerprint, i ? 'd' : 'c', 64);
        m.versions[i].enabled = i == 0;
        m.versions[i].created = 1764400000 + (int64_t)i;
    }
    memset(m.versions[1].thumbprint, 'E', 40);
    m.versions[1].exp = 1800000000;
    const unsigned char blob[] = "not a real blob";
    char *path = NULL, *cause = NULL;
    if (bkfile_write(dir, &m, blob, sizeof blob, &path, &cause) < 0)
        fail_msg("bkfile_write: %s", cause);
    bkfile_meta_cleanup(&m);
    return path;
}

static void test_names_are_checked(void **state)
{
    (void)state;
    struct keybackup *kb = make();
    const char *bad_vaults[] = {NULL, "", "ab", "kv_x", "kv.x", "a-vault-name-much-too-long-x"};
    for (size_t i = 0; i < sizeof bad_vaults / sizeof bad_vaults[0]; i++) {
        char *cause = NULL;
        assert_int_equal(keybackup_select(kb, bad_vaults[i], "key", &cause), -1);
        assert_non_null(cause);
        free(cause);
    }
    const char *bad_keys[] = {NULL, "", "a/b", "a b", "k?x"};
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
        char *cause = NULL;
        assert_int_equal(keybackup_select(kb, "kv-one", bad_keys[i], &cause), -1);
        assert_non_null(cause);
        free(cause);
    }
    assert_int_equal(keybackup_select(kb, "kv-one", "tde", NULL), 0);
    assert_int_equal(keybackup_select(kb, "KV-ONE", "TDE", NULL), 0); /* the same, any case */
    assert_int_equal(keybackup_select(kb, "kv-two", "tde", NULL), 0);
    const char *v, *k;
    assert_true(keybackup_selected(kb, 0, &v, &k));
    assert_string_equal(v, "kv-one");
    assert_true(keybackup_selected(kb, 1, &v, &k));
    assert_string_equal(v, "kv-two");
    assert_false(keybackup_selected(kb, 2, &v, &k));
    /* A backup selection cannot become a restore. */
    char *cause = NULL;
    assert_int_equal(keybackup_restore_file(kb, "/x", "kv-one", &cause), -1);
    free(cause);
    assert_null(keybackup_file(kb, 0));
    assert_false(keybackup_ended(kb));
    assert_string_equal(keybackup_detail(kb), "");
    keybackup_destroy(kb);
    keybackup_destroy(NULL);
}

static void test_restore_file_degenerate(void **state)
{
    (void)state;
    char *dir = support_tmpdir_make();
    struct {
        const char *file, *vault;
        enum keybackup_result want;
    } cases[] = {
        {NULL, "kv-one", KEYBACKUP_REFUSED},
        {"", "kv-one", KEYBACKUP_REFUSED},
        {"/nonexistent/x.tdkb.json", "bad_name", KEYBACKUP_REFUSED},
        {"/nonexistent/x.tdkb.json", "kv-one", KEYBACKUP_UNVERIFIED},
        {dir, "kv-one", KEYBACKUP_UNVERIFIED}, /* a folder */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct keybackup *kb = make();
        char *cause = NULL;
        assert_int_equal(keybackup_restore_file(kb, cases[i].file, cases[i].vault, &cause), -1);
        assert_non_null(cause);
        assert_int_equal(keybackup_result(kb), cases[i].want);
        assert_true(keybackup_detail(kb)[0] != '\0');
        assert_null(keybackup_meta(kb));
        /* Neither a second restore nor a backup selection afterwards. */
        assert_int_equal(keybackup_select(kb, "kv-one", "k", NULL), -1);
        free(cause);
        keybackup_destroy(kb);
    }
    char *path = write_sample(dir);
    struct keybackup *kb = make();
    assert_int_equal(keybackup_restore_file(kb, path, "KV-Two", NULL), 0);
    const struct bkfile_meta *m = keybackup_meta(kb);
    assert_non_null(m);
    assert_string_equal(m->key, "tde-key");
    assert_int_equal(m->nversions, 2);
    assert_int_equal(keybackup_restore_file(kb, path, "kv-two", NULL), -1); /* only once */
    char *plan = keybackup_plan_text(kb);
    assert_non_null(strstr(plan, "Restore tde-key (2 versions, from kv-one, United States) into "
                                 "kv-two"));
    free(plan);
    cJSON *j = keybackup_json(kb);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "restore");
    cJSON_Delete(j);
    keybackup_destroy(kb);
    free(path);
    support_tmpdir_remove(dir);
    free(dir);
}

static void test_describe(void **state)
{
    (void)state;
    char *dir = support_tmpdir_make();
    char *path = write_sample(dir);
    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_int_equal(bkfile_read(path, &m, &blob, &len, NULL), 0);
    bkfile_blob_free(blob, len);
    char *text = keybackup_describe_text(path, &m, len);
    assert_non_null(strstr(text, "kv-one (https://kv-one.vault.azure.net)"));
    assert_non_null(strstr(text, "eastus2 (United States)"));
    assert_non_null(strstr(text, "expires never"));
    assert_non_null(strstr(text, "DISABLED"));
    assert_non_null(strstr(text, "(no instance has it registered)"));
    assert_non_null(strstr(text, "2025-11-29T21:00:00Z")); /* created, UTC */
    free(text);
    cJSON *j = keybackup_describe_json(path, &m, len);
    const cJSON *vs = cJSON_GetObjectItem(j, "versions");
    assert_int_equal(cJSON_GetArraySize(vs), 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(vs, 0), "thumbprint")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(vs, 0), "exp")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(vs, 1), "exp")));
    assert_int_equal((int)cJSON_GetObjectItem(j, "blob_bytes")->valuedouble, (int)len);
    cJSON_Delete(j);
    bkfile_meta_cleanup(&m);
    free(path);
    support_tmpdir_remove(dir);
    free(dir);
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(keybackup_result_name(KEYBACKUP_DONE), "done");
    assert_string_equal(keybackup_result_name(KEYBACKUP_REFUSED), "refused");
    assert_string_equal(keybackup_result_name(KEYBACKUP_FAILED), "failed");
    assert_string_equal(keybackup_result_name(KEYBACKUP_UNVERIFIED), "unverified");
    assert_string_equal(keybackup_result_name((enum keybackup_result)42), "?");
    /* The values are tdectl's exit codes. */
    assert_int_equal(KEYBACKUP_DONE, 0);
    assert_int_equal(KEYBACKUP_REFUSED, 1);
    assert_int_equal(KEYBACKUP_FAILED, 2);
    assert_int_equal(KEYBACKUP_UNVERIFIED, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_are_checked),
        cmocka_unit_test(test_restore_file_degenerate),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_result_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
