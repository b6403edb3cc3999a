/*
 * Unit tests for core/audit: degenerate arguments; appends add one line each
 * with "time" first, leave the record as it was, and make a 0600 file
 * (whatever the umask; an existing looser one is tightened); a torn last line
 * does not swallow the next record; a symlink, a FIFO (without hanging) and a
 * folder in the log's place are refused and nothing is written through them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomfile.h"
#include "audit.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define T0 INT64_C(1795988400) /* 2026-11-29T21:40:00Z */

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

/* Not inlined: GCC's -Wdangling-pointer takes the out-parameter for the result otherwise. */
__attribute__((noinline)) static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    int rc = atomfile_read(path, 1 << 20, &data, &len, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(data);
    return data;
}

static cJSON *record(const char *action)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "action", action);
    cJSON_AddStringToObject(r, "vault", "kv-tde-eus2");
    return r;
}

static void test_degenerate(void **state)
{
    char *dir = *state, *cause = NULL;
    char *p = xasprintf("%s/audit.jsonl", dir);
    cJSON *r = record("x"), *arr = cJSON_CreateArray();
    assert_int_equal(audit_append(NULL, r, T0, &cause), -1);
    assert_non_null(cause);
    assert_int_equal(audit_append("", r, T0, &cause), -1);
    assert_int_equal(audit_append(p, NULL, T0, &cause), -1);
    assert_int_equal(audit_append(p, arr, T0, &cause), -1);
    assert_non_null(strstr(cause, "not a JSON object"));
    assert_int_equal(audit_append(p, r, -5, &cause), -1);
    assert_non_null(strstr(cause, "not a wall-clock time"));
    cJSON_AddStringToObject(r, "time", "mine");
    assert_int_equal(audit_append(p, r, T0, &cause), -1);
    assert_non_null(strstr(cause, "\"time\""));
    assert_int_equal(support_tmpdir_count(dir), 0); /* nothing created for a bad record */
    cJSON_Delete(arr);
    cJSON_Delete(r);
    free(cause);
    free(p);
}

static void test_append(void **state)
{
    char *dir = *state, *cause = NULL;
    char *p = xasprintf("%s/audit.jsonl", dir);
    cJSON *a = record("backup"), *b = record("rotate");
    char *before = cJSON_PrintUnformatted(a);
    mode_t old = umask(0);
    assert_int_equal(audit_append(p, a, T0, &cause), 0);
    umask(old);
    assert_null(cause);
    char *after = cJSON_PrintUnformatted(a);
    assert_string_equal(before, after);
    assert_int_equal(audit_append(p, b, T0 + 61, &cause), 0);

    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = slurp(p);
    assert_string_equal(text, "{\"time\":\"2026-11-29T21:40:00Z\",\"action\":\"backup\",\"vault\":"
                              "\"kv-tde-eus2\"}\n"
                              "{\"time\":\"2026-11-29T21:41:01Z\",\"action\":\"rotate\",\"vault\":"
                              "\"kv-tde-eus2\"}\n");
    free(text);

    /* An existing log others could read is made private. */
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(audit_append(p, a, T0 + 120, &cause), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cJSON_free(before);
    cJSON_free(after);
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(p);
}

/* A crash left half a line: the next record still gets a line of its own. */
static void test_torn_tail(void **state)
{
    char *dir = *state;
    char *p = xasprintf("%s/audit.jsonl", dir);
    static const char torn[] = "{\"time\":\"2026-11-29T21:40:00Z\",\"act";
    assert_int_equal(support_tmpdir_write(p, torn, strlen(torn), 0600), 0);
    cJSON *r = record("restore");
    assert_int_equal(audit_append(p, r, T0, NULL), 0);
    char *text = slurp(p);
    const char *second = strchr(text, '\n') + 1;
    assert_int_equal(strncmp(text, torn, strlen(torn)), 0);
    assert_string_equal(second, "{\"time\":\"2026-11-29T21:40:00Z\",\"action\":\"restore\","
                                "\"vault\":\"kv-tde-eus2\"}\n");
    cJSON *line = cJSON_Parse(second);
    assert_non_null(line);
    cJSON_Delete(line);
    free(text);
    cJSON_Delete(r);
    free(p);
}

static void test_refuses_special(void **state)
{
    char *dir = *state, *cause = NULL;
    cJSON *r = record("x");
    char *target = xasprintf("%s/elsewhere", dir), *link = xasprintf("%s/audit.jsonl", dir);
    assert_int_equal(support_tmpdir_write(target, "keep\n", 5, 0600), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(audit_append(link, r, T0, &cause), -1);
    assert_non_null(strstr(cause, "symbolic link"));
    char *text = slurp(target);
    assert_string_equal(text, "keep\n");
    free(text);

    /* A dangling symlink: nothing is created at its target. */
    char *gone = xasprintf("%s/gone", dir), *dangling = xasprintf("%s/dangling.jsonl", dir);
    assert_int_equal(symlink(gone, dangling), 0);
    assert_int_equal(audit_append(dangling, r, T0, &cause), -1);
    assert_int_equal(access(gone, F_OK), -1);

    char *fifo = xasprintf("%s/fifo.jsonl", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(audit_append(fifo, r, T0, &cause), -1); /* no hang */
    int rfd = open(fifo, O_RDONLY | O_NONBLOCK);             /* with a reader: still refused */
    assert_true(rfd >= 0);
    assert_int_equal(audit_append(fifo, r, T0, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));
    close(rfd);

    assert_int_equal(audit_append(dir, r, T0, &cause), -1);
    free(fifo);
    free(dangling);
    free(gone);
    free(link);
    free(target);
    free(cause);
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_degenerate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_special, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
