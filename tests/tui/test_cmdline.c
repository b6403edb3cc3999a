/* cmdline: libedit history (walk, save, reload), word splitting, completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cmdline.h"
#include "support_tmpdir.h"
#include "xmem.h"

static void test_history_walk(void **state)
{
    (void)state;
    struct cmdline *c = cmdline_create(NULL, NULL);
    assert_null(cmdline_history(c, -1)); /* empty */
    assert_int_equal(cmdline_add(c, "theme dark", NULL), 0);
    assert_int_equal(cmdline_add(c, "goto kv-tde-cus", NULL), 0);
    assert_int_equal(cmdline_add(c, "goto kv-tde-cus", NULL), 0); /* duplicate: kept once */
    assert_int_equal(cmdline_add(c, "   ", NULL), 0);             /* blank: not kept */
    assert_int_equal(cmdline_history_size(c), 2);
    assert_null(cmdline_history(c, 1)); /* nothing newer than the line being typed */
    assert_string_equal(cmdline_history(c, -1), "goto kv-tde-cus");
    assert_string_equal(cmdline_history(c, -1), "theme dark");
    assert_null(cmdline_history(c, -1)); /* past the oldest */
    assert_string_equal(cmdline_history(c, 1), "goto kv-tde-cus");
    assert_string_equal(cmdline_history(c, 1), ""); /* back to the new line */
    cmdline_history_reset(c);
    assert_string_equal(cmdline_history(c, -1), "goto kv-tde-cus");
    cmdline_destroy(c);
    cmdline_destroy(NULL);
}

static void test_history_file(void **state)
{
    (void)state;
    char *dir = support_tmpdir_make();
    char *path = xasprintf("%s/history", dir);
    char *cause = NULL;
    struct cmdline *c = cmdline_create(path, &cause);
    assert_null(cause); /* a missing file is not an error */
    assert_int_equal(cmdline_add(c, "filter kv-", &cause), 0);
    assert_int_equal(cmdline_add(c, "theme mono", &cause), 0);
    cmdline_destroy(c);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    c = cmdline_create(path, &cause);
    assert_null(cause);
    assert_int_equal(cmdline_history_size(c), 2);
    assert_string_equal(cmdline_history(c, -1), "theme mono");
    cmdline_destroy(c);
    assert_int_equal(support_tmpdir_count(dir), 1); /* written atomically, no temporary left */
    /* A history that cannot be written costs the history only, with a cause. */
    char *bad = xasprintf("%s/missing/history", dir);
    c = cmdline_create(bad, &cause);
    assert_int_equal(cmdline_add(c, "q", &cause), -1);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "history"));
    free(cause);
    assert_int_equal(cmdline_history_size(c), 1);
    cmdline_destroy(c);
    free(bad);
    support_tmpdir_remove(dir);
    free(path);
    free(dir);
}

/* A history libedit cannot read is left exactly as it is: this session does not save over it. */
static void test_history_damaged(void **state)
{
    (void)state;
    char *dir = support_tmpdir_make();
    char *path = xasprintf("%s/history", dir);
    const char junk[] = "not a libedit history\n\x01\x02\n";
    assert_int_equal(support_tmpdir_write(path, junk, sizeof junk - 1, 0600), 0);
    char *cause = NULL;
    struct cmdline *c = cmdline_create(path, &cause);
    assert_non_null(c);
    assert_non_null(cause);
    assert_non_null(strstr(cause, path));
    assert_non_null(strstr(cause, "left as it is"));
    free(cause);
    cause = NULL;
    assert_int_equal(cmdline_history_size(c), 0);
    assert_int_equal(cmdline_add(c, "theme mono", &cause), 0); /* kept in memory only */
    assert_null(cause);
    assert_int_equal(cmdline_history_size(c), 1);
    cmdline_destroy(c);
    FILE *f = fopen(path, "rb");
    char got[64] = {0};
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    assert_int_equal(n, sizeof junk - 1);
    assert_memory_equal(got, junk, n);
    assert_int_equal(support_tmpdir_count(dir), 1); /* and nothing beside it */
    support_tmpdir_remove(dir);
    free(path);
    free(dir);
}

static void test_split(void **state)
{
    (void)state;
    struct cmdline *c = cmdline_create(NULL, NULL);
    size_t n = 0;
    char **w = cmdline_split(c, "filter 'kv tde' \"a b\" c\\ d", &n);
    assert_non_null(w);
    assert_int_equal(n, 4);
    assert_string_equal(w[0], "filter");
    assert_string_equal(w[1], "kv tde");
    assert_string_equal(w[2], "a b");
    assert_string_equal(w[3], "c d");
    assert_null(w[4]);
    cmdline_free_words(w);
    w = cmdline_split(c, "", &n);
    assert_non_null(w);
    assert_int_equal(n, 0);
    cmdline_free_words(w);
    assert_null(cmdline_split(c, "filter 'open", &n)); /* unbalanced */
    cmdline_free_words(NULL);
    cmdline_destroy(c);
}

static void test_complete(void **state)
{
    (void)state;
    const char *cands[] = {"theme", "topology", "goto", "quit"};
    char *listing = NULL;
    char *line = cmdline_complete("the", cands, 4, &listing);
    assert_string_equal(line, "theme "); /* one match: completed, space added */
    assert_null(listing);
    free(line);
    line = cmdline_complete("t", cands, 4, &listing);
    assert_null(line); /* "theme" and "topology" share only "t" */
    assert_string_equal(listing, "theme topology");
    free(listing);
    const char *vaults[] = {"kv-tde-eus2", "kv-tde-cus"};
    line = cmdline_complete("goto kv", vaults, 2, &listing);
    assert_string_equal(line, "goto kv-tde-"); /* the common prefix */
    assert_string_equal(listing, "kv-tde-eus2 kv-tde-cus");
    free(listing);
    free(line);
    line = cmdline_complete("goto kv-tde-c", vaults, 2, &listing);
    assert_string_equal(line, "goto kv-tde-cus ");
    free(line);
    assert_null(cmdline_complete("goto zz", vaults, 2, &listing));
    assert_null(listing);
    assert_null(cmdline_complete("x", NULL, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_walk),    cmocka_unit_test(test_history_file),
        cmocka_unit_test(test_history_damaged), cmocka_unit_test(test_split),
        cmocka_unit_test(test_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
