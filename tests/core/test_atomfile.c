/*
 * Unit tests for core/atomfile: degenerate arguments; a write creates or
 * replaces the file with exactly its mode and leaves no temporary file; a
 * failed write (file size limit, read-only folder, missing folder) keeps the
 * old file and leaves nothing behind; ATOMFILE_EXCL never replaces (a file,
 * nor a dangling symlink); reads are bounded ("larger than N bytes") and
 * refuse FIFOs (without hanging), folders and symlinks; mkdirs makes 0700
 * folders whatever the umask and refuses an existing folder others can write
 * or another user owns; a killed writer's stale temporary files are removed
 * by the next write, fresh ones (a write in progress) are not.
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
#include <time.h>
#include <unistd.h>

#include "atomfile.h"
#include "support_tmpdir.h"
#include "xmem.h"

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

/* The whole content of path (heap), or NULL. */
static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    return atomfile_read(path, 1 << 20, &data, &len, NULL) == 0 ? data : NULL;
}

static void assert_content(const char *path, const char *want)
{
    char *got = slurp(path);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_degenerate(void **state)
{
    char *dir = *state, *cause = NULL, *data = NULL;
    size_t len = 9;
    char *p = xasprintf("%s/f", dir), *slash = xasprintf("%s/", dir);
    assert_int_equal(atomfile_write(NULL, "x", 1, 0600, ATOMFILE_REPLACE, &cause), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(cause);
    assert_int_equal(atomfile_write("", "x", 1, 0600, ATOMFILE_REPLACE, NULL), -1);
    assert_int_equal(atomfile_write(slash, "x", 1, 0600, ATOMFILE_REPLACE, NULL), -1);
    assert_int_equal(atomfile_write(p, "x", 1, 0600, 7, NULL), -1);
    assert_int_equal(atomfile_write(p, NULL, 1, 0600, ATOMFILE_REPLACE, NULL), -1);
    assert_int_equal(support_tmpdir_count(dir), 0);
    assert_int_equal(atomfile_read(NULL, 10, &data, &len, NULL), -1);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_int_equal(atomfile_read("", 10, &data, &len, NULL), -1);
    assert_int_equal(atomfile_mkdirs(NULL, NULL), -1);
    assert_int_equal(atomfile_mkdirs("", NULL), -1);

    /* An empty write is a valid empty file. */
    assert_int_equal(atomfile_write(p, NULL, 0, 0600, ATOMFILE_REPLACE, NULL), 0);
    assert_int_equal(atomfile_read(p, 0, &data, &len, NULL), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    free(cause);
    free(slash);
    free(p);
}

static void test_write_replace(void **state)
{
    char *dir = *state, *cause = NULL;
    char *p = xasprintf("%s/state.json", dir);
    struct stat st;
    mode_t old = umask(0077);
    assert_int_equal(atomfile_write(p, "first", 5, 0640, ATOMFILE_REPLACE, &cause), 0);
    umask(old);
    assert_null(cause);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* exactly the mode, whatever the umask */
    assert_content(p, "first");
    assert_int_equal(support_tmpdir_count(dir), 1); /* no temporary file left */

    ino_t first = st.st_ino;
    assert_int_equal(atomfile_write(p, "second, longer", 14, 0600, ATOMFILE_REPLACE, &cause), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_not_equal(st.st_ino, first); /* a new file renamed over, not rewritten */
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_content(p, "second, longer");
    assert_int_equal(support_tmpdir_count(dir), 1);

    /* A relative path writes in the working directory. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(atomfile_write("rel", "r", 1, 0600, ATOMFILE_REPLACE, NULL), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(support_tmpdir_count(dir), 2);
    free(p);
}

/* A killed writer's temporary files go with the next write once stale; fresh ones stay. */
static void test_stale_temps_removed(void **state)
{
    char *dir = *state;
    char *p = xasprintf("%s/snap.json", dir);
    char *old1 = xasprintf("%s/.snap.json.0badc0de", dir);
    char *old2 = xasprintf("%s/.snap.json.12345678", dir);
    char *fresh = xasprintf("%s/.snap.json.abcdef01", dir);
    char *other = xasprintf("%s/.other.json.0badc0de", dir); /* another file's: not ours */
    char *odd = xasprintf("%s/.snap.json.0badc0de1", dir);   /* not our name pattern */
    const char *all[] = {old1, old2, fresh, other, odd};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(support_tmpdir_write(all[i], "torn", 4, 0600), 0);
    struct timespec past[2] = {{.tv_sec = time(NULL) - ATOMFILE_STALE_S - 5},
                               {.tv_sec = time(NULL) - ATOMFILE_STALE_S - 5}};
    for (size_t i = 0; i < 5; i++)
        if (all[i] != fresh)
            assert_int_equal(utimensat(AT_FDCWD, all[i], past, 0), 0);
    assert_int_equal(atomfile_write(p, "x", 1, 0600, ATOMFILE_REPLACE, NULL), 0);
    assert_int_equal(access(old1, F_OK), -1);
    assert_int_equal(access(old2, F_OK), -1);
    assert_int_equal(access(fresh, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(access(odd, F_OK), 0);
    assert_int_equal(support_tmpdir_count(dir), 4);
    free(p);
    free(old1);
    free(old2);
    free(fresh);
    free(other);
    free(odd);
}

static void test_write_excl(void **state)
{
    char *dir = *state, *cause = NULL;
    char *p = xasprintf("%s/backup", dir), *link = xasprintf("%s/dangling", dir);
    assert_int_equal(atomfile_write(p, "old", 3, 0600, ATOMFILE_EXCL, &cause), 0);
    assert_content(p, "old");
    assert_int_equal(atomfile_write(p, "new", 3, 0600, ATOMFILE_EXCL, &cause), -1);
    assert_int_equal(errno, EEXIST);
    assert_non_null(strstr(cause, "already exists"));
    assert_non_null(strstr(cause, p));
    assert_content(p, "old");
    assert_int_equal(support_tmpdir_count(dir), 1);

    /* A dangling symlink counts as taken: nothing is created through it. */
    char *target = xasprintf("%s/target", dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(atomfile_write(link, "new", 3, 0600, ATOMFILE_EXCL, NULL), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(access(target, F_OK), -1);
    assert_int_equal(support_tmpdir_count(dir), 2);
    free(cause);
    free(target);
    free(link);
    free(p);
}

/* A write that fails half-way (the file size limit) keeps the old file, leaves no temp. */
static void test_write_fails_keeps_old(void **state)
{
    char *dir = *state, *cause = NULL;
    char *p = xasprintf("%s/state.json", dir);
    assert_int_equal(atomfile_write(p, "old content", 11, 0600, ATOMFILE_REPLACE, NULL), 0);

    size_t big = 64 * 1024;
    char *data = xmalloc(big);
    memset(data, 'x', big);
    struct rlimit saved, small = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small.rlim_max = saved.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = atomfile_write(p, data, big, 0600, ATOMFILE_REPLACE, &cause);
    int err = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_int_equal(err, EFBIG);
    assert_non_null(strstr(cause, "cannot write"));
    assert_content(p, "old content");
    assert_int_equal(support_tmpdir_count(dir), 1);
    free(cause);
    cause = NULL;

    /* A folder this user cannot write (root can write anywhere: skipped). */
    if (geteuid() != 0) {
        assert_int_equal(chmod(dir, 0500), 0);
        assert_int_equal(atomfile_write(p, "new", 3, 0600, ATOMFILE_REPLACE, &cause), -1);
        assert_int_equal(chmod(dir, 0700), 0);
        assert_non_null(strstr(cause, "cannot create a file in"));
        assert_content(p, "old content");
        assert_int_equal(support_tmpdir_count(dir), 1);
        free(cause);
        cause = NULL;
    }

    /* A missing folder. */
    char *missing = xasprintf("%s/none/state.json", dir);
    assert_int_equal(atomfile_write(missing, "new", 3, 0600, ATOMFILE_REPLACE, &cause), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(cause, "/none"));
    assert_int_equal(support_tmpdir_count(dir), 1);

    /* Replacing a folder fails, and the folder stays. */
    char *sub = xasprintf("%s/sub", dir), *inner = xasprintf("%s/sub/x", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(support_tmpdir_write(inner, "x", 1, 0600), 0);
    assert_int_equal(atomfile_write(sub, "new", 3, 0600, ATOMFILE_REPLACE, NULL), -1);
    assert_int_equal(support_tmpdir_count(dir), 2);
    assert_int_equal(support_tmpdir_count(sub), 1);
    free(inner);
    free(sub);
    free(missing);
    free(cause);
    free(data);
    free(p);
}

static void test_read(void **state)
{
    char *dir = *state, *cause = NULL, *data = NULL;
    size_t len = 0;
    char *p = xasprintf("%s/f", dir);
    static const char bytes[] = {'a', '\0', 'b', '\n'};
    assert_int_equal(support_tmpdir_write(p, bytes, sizeof bytes, 0600), 0);
    assert_int_equal(atomfile_read(p, 4, &data, &len, &cause), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(data, bytes, 4);
    assert_int_equal(data[4], '\0'); /* terminated */
    free(data);

    /* One byte over the bound. */
    assert_int_equal(atomfile_read(p, 3, &data, &len, &cause), -1);
    assert_int_equal(errno, EFBIG);
    assert_null(data);
    assert_non_null(strstr(cause, "larger than 3 bytes"));

    /* A huge (sparse) file is refused without reading it. */
    char *huge = xasprintf("%s/huge", dir);
    int fd = open(huge, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 34), 0);
    close(fd);
    assert_int_equal(atomfile_read(huge, 1 << 20, &data, &len, &cause), -1);
    assert_non_null(strstr(cause, "larger than 1048576 bytes"));

    /* Through a descriptor. */
    fd = open(p, O_RDONLY);
    assert_int_equal(atomfile_read_fd(fd, p, 100, &data, &len, NULL), 0);
    assert_int_equal(len, 4);
    free(data);
    assert_int_equal(atomfile_read_fd(fd, p, 100, &data, &len, NULL), 0); /* from offset 0 */
    assert_int_equal(len, 4);
    free(data);
    close(fd);

    char *none = xasprintf("%s/none", dir);
    assert_int_equal(atomfile_read(none, 100, &data, &len, &cause), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(cause, none));
    free(none);
    free(huge);
    free(cause);
    free(p);
}

static void test_read_refuses_special(void **state)
{
    char *dir = *state, *cause = NULL, *data = NULL;
    size_t len = 0;
    char *fifo = xasprintf("%s/fifo", dir), *link = xasprintf("%s/link", dir);
    char *target = xasprintf("%s/target", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(atomfile_read(fifo, 100, &data, &len, &cause), -1); /* and no hang */
    assert_non_null(strstr(cause, "not a regular file"));
    assert_int_equal(atomfile_read(dir, 100, &data, &len, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));
    assert_int_equal(atomfile_read("/dev/null", 100, &data, &len, &cause), -1);
    assert_non_null(strstr(cause, "not a regular file"));

    assert_int_equal(support_tmpdir_write(target, "secret", 6, 0600), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(atomfile_read(link, 100, &data, &len, &cause), -1);
    assert_non_null(strstr(cause, "symbolic link"));
    assert_null(data);
    free(cause);
    free(target);
    free(link);
    free(fifo);
}

static void assert_mode(const char *path, mode_t want)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, want);
}

static void test_mkdirs(void **state)
{
    char *dir = *state, *cause = NULL;
    char *a = xasprintf("%s/a", dir), *ab = xasprintf("%s/a/b", dir);
    char *abc = xasprintf("%s/a/b/c//", dir);
    mode_t old = umask(0);
    assert_int_equal(atomfile_mkdirs(abc, &cause), 0);
    umask(0277); /* too tight to use: still exactly 0700 */
    char *d = xasprintf("%s/d/e", dir), *dd = xasprintf("%s/d", dir);
    assert_int_equal(atomfile_mkdirs(d, &cause), 0);
    umask(old);
    assert_null(cause);
    assert_mode(a, 0700);
    assert_mode(ab, 0700);
    assert_mode(abc, 0700);
    assert_mode(dd, 0700);
    assert_mode(d, 0700);

    /* Existing and private: fine, and unchanged. */
    assert_int_equal(atomfile_mkdirs(abc, &cause), 0);
    assert_int_equal(atomfile_mkdirs(dir, &cause), 0);

    /* Existing and writable by others: refused, left as it is. */
    assert_int_equal(chmod(ab, 0777), 0);
    assert_int_equal(atomfile_mkdirs(ab, &cause), -1);
    assert_non_null(strstr(cause, "others can write"));
    assert_mode(ab, 0777);
    assert_int_equal(chmod(ab, 0720), 0);
    assert_int_equal(atomfile_mkdirs(ab, &cause), -1);
    assert_int_equal(chmod(ab, 0750), 0); /* readable by the group: not writable */
    assert_int_equal(atomfile_mkdirs(ab, &cause), 0);

    /* Owned by someone else (only root can arrange that). */
    if (geteuid() == 0) {
        assert_int_equal(chown(ab, 12345, 12345), 0);
        assert_int_equal(atomfile_mkdirs(ab, &cause), -1);
        assert_non_null(strstr(cause, "owned by uid 12345"));
        assert_int_equal(chown(ab, 0, 0), 0);
    }

    /* A file in the way. */
    char *file = xasprintf("%s/file", dir), *below = xasprintf("%s/file/x", dir);
    assert_int_equal(support_tmpdir_write(file, "x", 1, 0600), 0);
    assert_int_equal(atomfile_mkdirs(file, &cause), -1);
    assert_non_null(strstr(cause, "not a folder"));
    assert_int_equal(atomfile_mkdirs(below, &cause), -1);
    assert_int_equal(errno, ENOTDIR);
    free(below);
    free(file);
    free(dd);
    free(d);
    free(cause);
    free(abc);
    free(ab);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_degenerate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_excl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temps_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fails_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_refuses_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
