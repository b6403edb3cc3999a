/* sigpipe: signals delivered as loop events, once per signal per wake-up. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "loop.h"
#include "sigpipe.h"

struct seen {
    int usr1, usr2, other;
};

static void on_sig(int sig, void *arg)
{
    struct seen *s = arg;
    if (sig == SIGUSR1)
        s->usr1++;
    else if (sig == SIGUSR2)
        s->usr2++;
    else
        s->other++;
}

static void test_signals_become_events(void **state)
{
    (void)state;
    char *cause = NULL;
    struct loop *loop = loop_create(&cause);
    assert_non_null(loop);
    struct seen seen = {0};
    const int sigs[] = {SIGUSR1, SIGUSR2};
    struct sigpipe *sp = sigpipe_create(loop, sigs, 2, on_sig, &seen, &cause);
    assert_non_null(sp);
    /* One per process: a second is refused while the first lives. */
    assert_null(sigpipe_create(loop, sigs, 1, on_sig, &seen, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    raise(SIGUSR1);
    raise(SIGUSR1);
    raise(SIGUSR2);
    assert_int_equal(seen.usr1, 0); /* nothing runs inside the handler */
    for (int i = 0; i < 5 && seen.usr1 + seen.usr2 < 2; i++)
        loop_run_once(loop, 100);
    assert_int_equal(seen.usr1, 1); /* a burst is one event */
    assert_int_equal(seen.usr2, 1);
    assert_int_equal(seen.other, 0);
    sigpipe_destroy(sp);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    assert_ptr_equal(now.sa_handler, SIG_DFL);
    /* After destroy a new one may be made. */
    sp = sigpipe_create(loop, sigs, 1, on_sig, &seen, &cause);
    assert_non_null(sp);
    sigpipe_destroy(sp);
    sigpipe_destroy(NULL);
    loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals_become_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
