/*
 * Unit tests for core/harden, each in a forked child (the hardening is
 * process-wide and the test runner must stay dumpable): after
 * harden_process the core limit is 0 (soft and hard, and cannot be raised
 * again), the process is not dumpable, the umask is 077 (a file opened 0666
 * is 0600); a second call is harmless; and a child that crashes on purpose
 * (SIGABRT) reports no core dump even with a core pattern that would write
 * one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"
#include "support_tmpdir.h"
#include "xmem.h"

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(const char *), const char *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(arg));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* Exit codes name the first check that failed (0: all held). */
static int hardened(const char *dir)
{
    struct rlimit rl;
    /* Make sure the test means something: start dumpable, with a core limit. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return 10;
    if (getrlimit(RLIMIT_CORE, &rl) != 0)
        return 11;
    char *cause = NULL;
    if (harden_process(&cause) != 0 || cause != NULL)
        return 12;
    if (harden_process(&cause) != 0) /* idempotent */
        return 13;
    if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
        return 14;
    struct rlimit up = {.rlim_cur = 4096, .rlim_max = 4096};
    if (setrlimit(RLIMIT_CORE, &up) == 0 && geteuid() != 0)
        return 15; /* the hard limit 0 cannot be raised back without privilege */
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 16;
    mode_t old = umask(077);
    if (old != 077)
        return 17;
    char *path = xasprintf("%s/f", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    struct stat st;
    int rc = fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600 ? 0 : 18;
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static void test_limits_dumpable_umask(void **state)
{
    (void)state;
    char *dir = support_tmpdir_make();
    assert_non_null(dir);
    int status = in_child(hardened, dir);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    support_tmpdir_remove(dir);
    free(dir);
}

static int crash(const char *arg)
{
    (void)arg;
    if (harden_process(NULL) != 0)
        return 1;
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void test_crash_leaves_no_core(void **state)
{
    (void)state;
    int status = in_child(crash, NULL);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_false(WCOREDUMP(status));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_dumpable_umask),
        cmocka_unit_test(test_crash_leaves_no_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
