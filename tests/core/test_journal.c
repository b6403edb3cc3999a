/*
 * Unit tests for core/journal: degenerate arguments; create (name, 0600 file
 * in a 0700 folder); appends add seq and time and leave the record as it was;
 * a reload equals what was written; a torn last line (cut short, zero-filled,
 * or unparseable with its newline) is dropped with a note, journal_open cuts
 * it away and appends go on with the right seq; any other bad line (bad JSON,
 * seq out of order or missing, not an object, NUL, empty) refuses the whole
 * file naming the line, and journal_open leaves such a file untouched; a
 * failed write is undone; a second opener is refused; journal_list's order
 * and filtering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomfile.h"
#include "journal.h"
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

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    assert_int_equal(atomfile_read(path, 1 << 26, &data, len, NULL), 0);
    return data;
}

static cJSON *record(const char *step, int n)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "step", step);
    cJSON_AddNumberToObject(r, "n", n);
    cJSON *a = cJSON_AddArrayToObject(r, "list");
    cJSON_AddItemToArray(a, cJSON_CreateString("line\nbreak \"quoted\" \xc3\xbc"));
    return r;
}

/* Appends n records (step-1 .. step-n) to j, checking each is left unchanged. */
static void append_n(struct journal *j, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char step[32];
        snprintf(step, sizeof step, "step-%d", i);
        cJSON *r = record(step, i);
        char *before = cJSON_PrintUnformatted(r), *cause = NULL;
        assert_int_equal(journal_append(j, r, T0 + i, &cause), 0);
        assert_null(cause);
        char *after = cJSON_PrintUnformatted(r);
        assert_string_equal(before, after); /* the record stays the caller's, unchanged */
        cJSON_free(before);
        cJSON_free(after);
        cJSON_Delete(r);
    }
}

/* Loads path expecting n records numbered 1..n; returns the note (heap or NULL). */
static char *load_n(const char *path, int n)
{
    cJSON *records = NULL;
    char *note = NULL, *cause = NULL;
    int rc = journal_load(path, &records, &note, &cause);
    if (rc != 0)
        fail_msg("journal_load: %s", cause);
    assert_int_equal(cJSON_GetArraySize(records), n);
    for (int i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(records, i);
        char step[32], when[32];
        snprintf(step, sizeof step, "step-%d", i + 1);
        snprintf(when, sizeof when, "2026-11-29T21:40:%02dZ", i + 1);
        assert_int_equal(cJSON_GetObjectItem(r, "seq")->valuedouble, i + 1);
        assert_string_equal(cJSON_GetObjectItem(r, "time")->valuestring, when);
        assert_string_equal(cJSON_GetObjectItem(r, "step")->valuestring, step);
        assert_int_equal(cJSON_GetObjectItem(r, "n")->valuedouble, i + 1);
        const cJSON *l = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "list"), 0);
        assert_string_equal(l->valuestring, "line\nbreak \"quoted\" \xc3\xbc");
    }
    cJSON_Delete(records);
    return note;
}

/* A journal of n records; its path (heap). */
static char *make_journal(const char *dir, int n)
{
    struct journal *j = NULL;
    char *path = NULL;
    assert_int_equal(journal_create(dir, "rotate", &j, &path, NULL), 0);
    append_n(j, 1, n);
    journal_close(j);
    return path;
}

static void append_raw(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_degenerate(void **state)
{
    char *dir = *state, *cause = NULL, *path = NULL, **paths = NULL;
    struct journal *j = NULL;
    cJSON *records = NULL;
    size_t n = 0;
    assert_int_equal(journal_create(NULL, "rotate", &j, &path, &cause), -1);
    assert_non_null(cause);
    assert_int_equal(journal_create(dir, NULL, &j, &path, NULL), -1);
    assert_int_equal(journal_create(dir, "", &j, &path, NULL), -1);
    assert_int_equal(journal_create(dir, "../evil", &j, &path, NULL), -1);
    assert_int_equal(journal_create(dir, "a b", &j, &path, NULL), -1);
    assert_null(j);
    assert_null(path);
    assert_int_equal(support_tmpdir_count(dir), 0);
    assert_int_equal(journal_open(NULL, &j, NULL), -1);
    assert_int_equal(journal_open("", &j, NULL), -1);
    assert_int_equal(journal_append(NULL, NULL, T0, &cause), -1);
    assert_int_equal(journal_load("", &records, NULL, NULL), -1);
    assert_null(records);
    assert_int_equal(journal_list(dir, "a/b", &paths, &n, NULL), -1);
    assert_int_equal(journal_seq(NULL), 0);
    journal_close(NULL);

    /* What a record may not be. */
    assert_int_equal(journal_create(dir, "rotate", &j, &path, NULL), 0);
    cJSON *arr = cJSON_CreateArray(), *own = cJSON_CreateObject();
    assert_int_equal(journal_append(j, NULL, T0, &cause), -1);
    assert_int_equal(journal_append(j, arr, T0, &cause), -1);
    assert_non_null(strstr(cause, "not a JSON object"));
    cJSON_AddNumberToObject(own, "seq", 7);
    assert_int_equal(journal_append(j, own, T0, &cause), -1);
    assert_non_null(strstr(cause, "\"seq\""));
    cJSON_DeleteItemFromObject(own, "seq");
    cJSON_AddStringToObject(own, "time", "x");
    assert_int_equal(journal_append(j, own, T0, &cause), -1);
    assert_non_null(strstr(cause, "\"time\""));
    cJSON_DeleteItemFromObject(own, "time");
    assert_int_equal(journal_append(j, own, -1, &cause), -1);
    assert_non_null(strstr(cause, "not a wall-clock time"));
    assert_int_equal(journal_append(j, own, INT64_C(1) << 40, &cause), -1);
    assert_int_equal(journal_seq(j), 0);
    /* An empty object is fine. */
    assert_int_equal(journal_append(j, own, T0, &cause), 0);
    assert_int_equal(journal_seq(j), 1);
    journal_close(j);
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_string_equal(text, "{\"seq\":1,\"time\":\"2026-11-29T21:40:00Z\"}\n");
    free(text);
    cJSON_Delete(arr);
    cJSON_Delete(own);
    free(cause);
    free(path);
}

static void test_create_append_load(void **state)
{
    char *dir = *state, *cause = NULL, *path = NULL;
    char *sub = xasprintf("%s/journals/rotate", dir);
    struct journal *j = NULL;
    mode_t old = umask(0);
    assert_int_equal(journal_create(sub, "rotate", &j, &path, &cause), 0);
    umask(old);
    assert_null(cause);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 0);

    /* sub/rotate-yyyymmddThhmmssZ-xxxxxxxx.jsonl */
    const char *name = strrchr(path, '/') + 1;
    assert_int_equal(strncmp(path, sub, strlen(sub)), 0);
    assert_int_equal(strlen(name), strlen("rotate-20261129T214000Z-0123abcd.jsonl"));
    assert_int_equal(strncmp(name, "rotate-", 7), 0);
    assert_int_equal(name[15], 'T');
    assert_int_equal(name[22], 'Z');
    assert_int_equal(name[23], '-');
    assert_string_equal(name + 32, ".jsonl");

    append_n(j, 1, 3);
    assert_int_equal(journal_seq(j), 3);
    /* Every line is on disk as it is appended (read while still open). */
    char *note = load_n(path, 3);
    assert_null(note);
    journal_close(j);

    /* The lines as written: seq and time first. */
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_int_equal(
        strncmp(text, "{\"seq\":1,\"time\":\"2026-11-29T21:40:01Z\",\"step\":\"step-1\"", 54), 0);
    assert_int_equal(text[len - 1], '\n');
    free(text);

    /* Reopened: appends continue. */
    assert_int_equal(journal_open(path, &j, &cause), 0);
    assert_int_equal(journal_seq(j), 3);
    append_n(j, 4, 2);
    journal_close(j);
    note = load_n(path, 5);
    assert_null(note);

    /* Two journals of one kind at once get two files. */
    struct journal *j2 = NULL;
    char *path2 = NULL;
    assert_int_equal(journal_create(sub, "rotate", &j2, &path2, NULL), 0);
    assert_string_not_equal(path, path2);
    journal_close(j2);
    assert_int_equal(support_tmpdir_count(sub), 2);

    /* An empty journal loads as none and opens at seq 0. */
    cJSON *records = NULL;
    assert_int_equal(journal_load(path2, &records, NULL, NULL), 0);
    assert_int_equal(cJSON_GetArraySize(records), 0);
    cJSON_Delete(records);
    assert_int_equal(journal_open(path2, &j2, NULL), 0);
    assert_int_equal(journal_seq(j2), 0);
    append_n(j2, 1, 1);
    journal_close(j2);
    assert_null(load_n(path2, 1));
    free(path2);
    free(path);
    free(sub);
}

/* A crash tore the last line in one of several ways: each is dropped, then cut and continued. */
static void check_torn(const char *dir, const void *tail, size_t tail_len)
{
    char *path = make_journal(dir, 3), *cause = NULL;
    size_t good = 0, len = 0;
    free(slurp(path, &good));
    append_raw(path, tail, tail_len);

    char *note = load_n(path, 3);
    assert_non_null(note);
    assert_non_null(strstr(note, "line 4"));
    assert_non_null(strstr(note, path));
    free(note);
    free(slurp(path, &len));
    assert_int_equal(len, good + tail_len); /* loading changes nothing */

    struct journal *j = NULL;
    assert_int_equal(journal_open(path, &j, &cause), 0);
    free(slurp(path, &len));
    assert_int_equal(len, good); /* cut back to the last good line */
    assert_int_equal(journal_seq(j), 3);
    append_n(j, 4, 2);
    journal_close(j);
    assert_null(load_n(path, 5));
    free(path);
}

static void test_torn_last_line(void **state)
{
    char *dir = *state;
    static const char cut[] = "{\"seq\":4,\"time\":\"2026-11-29T21:4";
    static const char cut_nl[] = "{\"seq\":4,\"time\":\"2026-\n";
    static const char whole_no_nl[] = "{\"seq\":4,\"time\":\"2026-11-29T21:40:04Z\"}";
    static const char zeroes[40] = {0};
    static const char zeroes_nl[] = {0, 0, 0, 0, '\n'};
    check_torn(dir, cut, strlen(cut));
    check_torn(dir, cut_nl, strlen(cut_nl));
    check_torn(dir, whole_no_nl, strlen(whole_no_nl)); /* its newline never made it */
    check_torn(dir, zeroes, sizeof zeroes);
    check_torn(dir, zeroes_nl, sizeof zeroes_nl);
    check_torn(dir, "{", 1);
}

/* journal_parse checks text in memory as journal_load checks a file, naming the origin. */
static void test_parse_buffer(void **state)
{
    (void)state;
    static const char text[] = "{\"seq\":1,\"time\":\"2026-11-29T21:40:01Z\",\"type\":\"plan\"}\n"
                               "{\"seq\":2,\"time\":\"2026-11-29T21:4";
    cJSON *records = NULL;
    char *note = NULL, *cause = NULL;
    assert_int_equal(journal_parse(text, sizeof text - 1, "mem", &records, &note, &cause), 0);
    assert_int_equal(cJSON_GetArraySize(records), 1);
    assert_non_null(strstr(note, "journal mem: line 2 was cut short"));
    cJSON_Delete(records);
    free(note);
    static const char bad[] = "{\"seq\":2,\"time\":\"2026-11-29T21:40:01Z\"}\n{}\n";
    assert_int_equal(journal_parse(bad, sizeof bad - 1, "mem", &records, NULL, &cause), -1);
    assert_null(records);
    assert_non_null(strstr(cause, "journal mem: line 1"));
    free(cause);
}

/* path with its line `lineno` (1-based, of 4) replaced by text must be refused naming it. */
static void check_refused(const char *dir, int lineno, const char *text, size_t tlen,
                          const char *want)
{
    char *path = make_journal(dir, 4), *cause = NULL, *note = NULL;
    size_t len = 0;
    char *orig = slurp(path, &len);
    /* Rebuild the file with one line swapped. */
    char *out = xmalloc(len + tlen + 1);
    size_t o = 0;
    int line = 1;
    for (const char *p = orig; p < orig + len; line++) {
        const char *nl = memchr(p, '\n', (size_t)(orig + len - p));
        size_t n = (size_t)(nl - p) + 1;
        if (line == lineno) {
            memcpy(out + o, text, tlen);
            o += tlen;
        } else {
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    assert_int_equal(support_tmpdir_write(path, out, o, 0600), 0);

    cJSON *records = NULL;
    assert_int_equal(journal_load(path, &records, &note, &cause), -1);
    assert_null(records);
    assert_null(note);
    char where[32];
    snprintf(where, sizeof where, "line %d: ", lineno);
    if (strstr(cause, path) == NULL || strstr(cause, where) == NULL || strstr(cause, want) == NULL)
        fail_msg("cause \"%s\" lacks %s%s", cause, where, want);

    /* journal_open refuses it too, and leaves the file as it was. */
    struct journal *j = NULL;
    free(cause);
    cause = NULL;
    assert_int_equal(journal_open(path, &j, &cause), -1);
    assert_null(j);
    assert_non_null(strstr(cause, where));
    size_t after_len = 0;
    char *after = slurp(path, &after_len);
    assert_int_equal(after_len, o);
    assert_memory_equal(after, out, o);
    free(after);
    free(cause);
    free(out);
    free(orig);
    free(path);
}

static void test_bad_lines_refused(void **state)
{
    char *dir = *state;
    static const char *const cases[][3] = {
        {"2", "not json\n", "not valid JSON"},
        {"2", "{\"seq\":2,\n", "not valid JSON"},
        {"2", "{\"seq\":3,\"time\":\"2026-11-29T21:40:02Z\"}\n", "\"seq\" is not 2"},
        /* A whole last line with a wrong seq is no tear. */
        {"4", "{\"seq\":3,\"time\":\"2026-11-29T21:40:04Z\"}\n", "\"seq\" is not 4"},
        {"2", "{\"time\":\"2026-11-29T21:40:02Z\"}\n", "no integer \"seq\""},
        {"2", "{\"seq\":\"2\",\"time\":\"2026-11-29T21:40:02Z\"}\n", "no integer \"seq\""},
        {"2", "{\"seq\":2.5,\"time\":\"2026-11-29T21:40:02Z\"}\n", "no integer \"seq\""},
        {"2", "{\"seq\":2}\n", "no RFC 3339 \"time\""},
        {"2", "[1,2]\n", "not a JSON object"},
        {"4", "[1,2]\n", "not a JSON object"},
        {"2", "\n", "an empty line"},
        {"1", "{\"seq\":1,\"time\":\"2026-11-29T21:40:01Z\"}{}\n", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_refused(dir, cases[i][0][0] - '0', cases[i][1], strlen(cases[i][1]), cases[i][2]);
    static const char nul[] = "{\"seq\":2,\"time\":\"2026-11-29T21:40:02Z\",\"a\":\"\0\"}\n";
    check_refused(dir, 2, nul, sizeof nul - 1, "a NUL byte");
}

static void test_limits_and_special_files(void **state)
{
    char *dir = *state, *cause = NULL;
    cJSON *records = NULL;
    struct journal *j = NULL;

    char *big = xasprintf("%s/big.jsonl", dir);
    int fd = open(big, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, JOURNAL_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(journal_load(big, &records, NULL, &cause), -1);
    assert_non_null(strstr(cause, "larger than 16777216 bytes"));
    assert_int_equal(journal_open(big, &j, &cause), -1);

    char *fifo = xasprintf("%s/fifo.jsonl", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(journal_load(fifo, &records, NULL, &cause), -1); /* no hang */
    assert_non_null(strstr(cause, "not a regular file"));
    assert_int_equal(journal_open(fifo, &j, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));

    char *path = make_journal(dir, 2), *link = xasprintf("%s/link.jsonl", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(journal_load(link, &records, NULL, &cause), -1);
    assert_non_null(strstr(cause, "symbolic link"));
    assert_int_equal(journal_open(link, &j, &cause), -1);
    assert_non_null(strstr(cause, "symbolic link"));

    /* One writer at a time. */
    struct journal *first = NULL;
    assert_int_equal(journal_open(path, &first, NULL), 0);
    assert_int_equal(journal_open(path, &j, &cause), -1);
    assert_non_null(strstr(cause, "in use"));
    journal_close(first);
    assert_int_equal(journal_open(path, &j, &cause), 0);
    journal_close(j);

    char *none = xasprintf("%s/none.jsonl", dir);
    assert_int_equal(journal_open(none, &j, &cause), -1);
    assert_non_null(strstr(cause, none));
    free(none);
    free(link);
    free(path);
    free(fifo);
    free(big);
    free(cause);
}

/* A write that fails half-way is cut back: the journal stays valid and appends go on. */
static void test_failed_append_undone(void **state)
{
    char *dir = *state, *cause = NULL;
    char *path = make_journal(dir, 2);
    struct journal *j = NULL;
    assert_int_equal(journal_open(path, &j, NULL), 0);
    size_t before = 0;
    free(slurp(path, &before));

    cJSON *r = cJSON_CreateObject();
    char *filler = xmalloc(8192);
    memset(filler, 'x', 8191);
    filler[8191] = '\0';
    cJSON_AddStringToObject(r, "big", filler);
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small.rlim_cur = (rlim_t)before + 100;
    small.rlim_max = saved.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = journal_append(j, r, T0 + 3, &cause);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(cause, "cannot write"));
    size_t after = 0;
    free(slurp(path, &after));
    assert_int_equal(after, before);
    assert_int_equal(journal_seq(j), 2);

    append_n(j, 3, 1);
    journal_close(j);
    assert_null(load_n(path, 3));
    cJSON_Delete(r);
    free(filler);
    free(cause);
    free(path);
}

static void touch(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    assert_int_equal(support_tmpdir_write(p, "", 0, 0600), 0);
    free(p);
}

static void test_list(void **state)
{
    char *dir = *state, *cause = NULL, **paths = NULL;
    size_t n = 9;
    char *none = xasprintf("%s/none", dir);
    assert_int_equal(journal_list(none, "rotate", &paths, &n, &cause), 0);
    assert_int_equal(n, 0);
    assert_null(paths);

    touch(dir, "rotate-20260101T000000Z-0000000a.jsonl");
    touch(dir, "rotate-20261129T214000Z-00000001.jsonl");
    touch(dir, "rotate-20250630T120000Z-ffffffff.jsonl");
    touch(dir, "rotate-20261129T214000Z-0000000b.jsonl");
    /* Not journals of kind "rotate". */
    touch(dir, "rotate-key-20270101T000000Z-00000001.jsonl");
    touch(dir, "backup-20200101T000000Z-00000001.jsonl");
    touch(dir, "rotate-20270101T000000Z-0000000G.jsonl");
    touch(dir, "rotate-20270101T000000Z-00000001.json");
    touch(dir, "rotate-20270101T000000-000000001.jsonl");
    touch(dir, ".rotate-20270101T000000Z-00000001.jsonl.1a2b3c4d");
    char *sub = xasprintf("%s/rotate-20270101T000000Z-00000002.jsonl", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *link = xasprintf("%s/rotate-20270101T000000Z-00000003.jsonl", dir);
    assert_int_equal(symlink(sub, link), 0);

    assert_int_equal(journal_list(dir, "rotate", &paths, &n, &cause), 0);
    static const char *const want[] = {
        "rotate-20261129T214000Z-0000000b.jsonl",
        "rotate-20261129T214000Z-00000001.jsonl",
        "rotate-20260101T000000Z-0000000a.jsonl",
        "rotate-20250630T120000Z-ffffffff.jsonl",
    };
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        char *w = xasprintf("%s/%s", dir, want[i]);
        assert_string_equal(paths[i], w);
        free(w);
        free(paths[i]);
    }
    free(paths);

    /* "rotate-key" is its own kind. */
    assert_int_equal(journal_list(dir, "rotate-key", &paths, &n, &cause), 0);
    assert_int_equal(n, 1);
    free(paths[0]);
    free(paths);

    /* A created journal is listed. */
    struct journal *j = NULL;
    char *path = NULL;
    assert_int_equal(journal_create(dir, "backup", &j, &path, NULL), 0);
    journal_close(j);
    assert_int_equal(journal_list(dir, "backup", &paths, &n, &cause), 0);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], path); /* made now: newer than 2020 */
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(path);
    free(link);
    free(sub);
    free(none);
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_degenerate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_append_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
        cmocka_unit_test(test_parse_buffer),
        cmocka_unit_test_setup_teardown(test_bad_lines_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_special_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_append_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
