/*
 * Unit tests for the event loop (core/loop.c): what it demands of libcurl,
 * timers (order, cancel, added from callbacks), descriptor watches on a pipe
 * (including a hang-up), waking from another thread, stop, and the done hook
 * fed by a real libcurl transfer (a file:// URL: no network).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "support.h"

static int setup(void **state)
{
    char *cause = NULL;
    struct loop *loop = loop_create(&cause);
    if (loop == NULL) {
        fprintf(stderr, "loop_create: %s\n", cause ? cause : "?");
        free(cause);
        return -1;
    }
    *state = loop;
    return 0;
}

static int teardown(void **state)
{
    loop_destroy(*state);
    return 0;
}

static void test_curl_features(void **state)
{
    (void)state;
    char *cause = NULL;
    assert_int_equal(loop_check_curl(NULL, &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;

    curl_version_info_data info = *curl_version_info(CURLVERSION_NOW);
    assert_int_equal(loop_check_curl(&info, &cause), 0);
    assert_null(cause);

    info.features &= ~CURL_VERSION_ASYNCHDNS;
    assert_int_equal(loop_check_curl(&info, &cause), -1);
    assert_non_null(strstr(cause, "AsynchDNS"));
    assert_non_null(strstr(cause, "synchronously"));
    free(cause);
    cause = NULL;

    info = *curl_version_info(CURLVERSION_NOW);
    info.features &= ~CURL_VERSION_SSL;
    assert_int_equal(loop_check_curl(&info, &cause), -1);
    assert_non_null(strstr(cause, "TLS"));
    free(cause);
    cause = NULL;

    info = *curl_version_info(CURLVERSION_NOW);
    info.version_num = 0x074000;
    info.version = "7.64.0";
    assert_int_equal(loop_check_curl(&info, &cause), -1);
    assert_non_null(strstr(cause, "7.64.0"));
    free(cause);
    /* A NULL cause pointer is allowed. */
    assert_int_equal(loop_check_curl(&info, NULL), -1);
}

struct fired {
    int order[16];
    int n;
    int64_t now[16];
};

struct tag {
    struct fired *f;
    int id;
};

static void on_timer(struct loop *loop, void *arg)
{
    struct tag *t = arg;
    t->f->now[t->f->n] = loop_now(loop);
    t->f->order[t->f->n++] = t->id;
}

static void run_for(struct loop *loop, int ms)
{
    int64_t end = support_mono_ms() + ms;
    while (support_mono_ms() < end)
        loop_run_once(loop, (int)(end - support_mono_ms()));
}

static void test_timer_order(void **state)
{
    struct loop *loop = *state;
    struct fired f = {0};
    struct tag tags[] = {{&f, 30}, {&f, 10}, {&f, 20}, {&f, 0}, {&f, 11}, {&f, -1}};
    loop_timer(loop, 30, on_timer, &tags[0]);
    loop_timer(loop, 10, on_timer, &tags[1]);
    loop_timer(loop, 20, on_timer, &tags[2]);
    loop_timer(loop, 0, on_timer, &tags[3]);
    loop_timer(loop, 10, on_timer, &tags[4]);  /* same delay: after the earlier one */
    loop_timer(loop, -50, on_timer, &tags[5]); /* negative: at once, in order of creation */
    int64_t start = loop_now(loop);
    run_for(loop, 80);
    assert_int_equal(f.n, 6);
    const int expect[] = {0, -1, 10, 11, 20, 30};
    for (int i = 0; i < 6; i++)
        assert_int_equal(f.order[i], expect[i]);
    for (int i = 1; i < 6; i++)
        assert_true(f.now[i] >= f.now[i - 1]);
    /* The 30 ms timer did not fire early. */
    assert_true(f.now[5] - start >= 30);
}

static void test_timer_cancel(void **state)
{
    struct loop *loop = *state;
    struct fired f = {0};
    struct tag a = {&f, 1}, b = {&f, 2}, c = {&f, 3};
    uint64_t ia = loop_timer(loop, 5, on_timer, &a);
    uint64_t ib = loop_timer(loop, 10, on_timer, &b);
    uint64_t ic = loop_timer(loop, 15, on_timer, &c);
    assert_true(ia > 0 && ib > ia && ic > ib);
    loop_timer_cancel(loop, ib);
    loop_timer_cancel(loop, 999999); /* unknown: harmless */
    loop_timer_cancel(loop, 0);
    run_for(loop, 40);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.order[0], 1);
    assert_int_equal(f.order[1], 3);
    loop_timer_cancel(loop, ia); /* already fired: harmless */
    loop_timer_cancel(loop, ib); /* already cancelled */
    run_for(loop, 10);
    assert_int_equal(f.n, 2);
}

struct chain {
    struct loop *loop;
    int fired;
    int passes_seen[4];
    int pass;
    uint64_t victim;
    int victim_fired;
};

static void on_victim(struct loop *loop, void *arg)
{
    struct chain *c = arg;
    c->victim_fired++;
}

static void on_chain(struct loop *loop, void *arg)
{
    struct chain *c = arg;
    c->passes_seen[c->fired++] = c->pass;
    if (c->fired == 1) {
        /* A timer added by a callback waits for the next pass, even with delay 0. */
        loop_timer(loop, 0, on_chain, c);
        /* A callback may cancel another timer due in the same pass. */
        loop_timer_cancel(loop, c->victim);
    }
}

static void test_timer_from_callback(void **state)
{
    struct loop *loop = *state;
    struct chain c = {.loop = loop};
    loop_timer(loop, 0, on_chain, &c);
    c.victim = loop_timer(loop, 0, on_victim, &c);
    for (c.pass = 0; c.pass < 5 && c.fired < 2; c.pass++)
        loop_run_once(loop, 100);
    assert_int_equal(c.fired, 2);
    assert_true(c.passes_seen[1] > c.passes_seen[0]);
    assert_int_equal(c.victim_fired, 0);
}

static void test_now_and_wall(void **state)
{
    struct loop *loop = *state;
    int64_t a = loop_now(loop);
    loop_run_once(loop, 20);
    int64_t b = loop_now(loop);
    assert_true(b >= a + 15);
    /* Cached: unchanged between passes. */
    usleep(20000);
    assert_int_equal(loop_now(loop), b);
    /* Wall clock in Unix ms: after 2020, before 2100. */
    int64_t w = loop_wall(loop);
    assert_true(w > 1577836800000LL && w < 4102444800000LL);
}

static void test_idle_pass_waits(void **state)
{
    struct loop *loop = *state;
    int64_t start = support_mono_ms();
    assert_int_equal(loop_run_once(loop, 50), 0);
    int64_t took = support_mono_ms() - start;
    assert_true(took >= 40 && took < 1000);
    /* A timer shortens the wait. */
    struct fired f = {0};
    struct tag t = {&f, 1};
    loop_timer(loop, 10, on_timer, &t);
    start = support_mono_ms();
    while (f.n == 0)
        loop_run_once(loop, 5000);
    assert_true(support_mono_ms() - start < 1000);
}

struct fdseen {
    int calls;
    short revents;
    int fd;
    char byte;
    int unwatch_other; /* fd to unwatch from the callback, -1 none */
};

static void on_fd(struct loop *loop, int fd, short revents, void *arg)
{
    struct fdseen *s = arg;
    s->calls++;
    s->revents = revents;
    s->fd = fd;
    if (revents & POLLIN) {
        char b;
        if (read(fd, &b, 1) == 1)
            s->byte = b;
    }
    if (s->unwatch_other >= 0)
        loop_unwatch(loop, s->unwatch_other);
    if (revents & (POLLHUP | POLLERR))
        loop_unwatch(loop, fd);
}

static void test_watch_pipe(void **state)
{
    struct loop *loop = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fdseen s = {.unwatch_other = -1};

    loop_watch(loop, p[0], POLLIN, on_fd, &s);
    assert_int_equal(loop_run_once(loop, 20), 0); /* nothing to read */
    assert_int_equal(write(p[1], "x", 1), 1);
    int64_t start = support_mono_ms();
    assert_int_equal(loop_run_once(loop, 2000), 1);
    assert_true(support_mono_ms() - start < 1000);
    assert_int_equal(s.calls, 1);
    assert_true(s.revents & POLLIN);
    assert_int_equal(s.fd, p[0]);
    assert_int_equal(s.byte, 'x');

    /* Watching again replaces the watch. */
    struct fdseen s2 = {.unwatch_other = -1};
    loop_watch(loop, p[0], POLLIN, on_fd, &s2);
    assert_int_equal(write(p[1], "y", 1), 1);
    loop_run_once(loop, 1000);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s2.calls, 1);
    assert_int_equal(s2.byte, 'y');

    /* Unwatched: no callback, although data waits. */
    loop_unwatch(loop, p[0]);
    loop_unwatch(loop, p[0]); /* twice: harmless */
    assert_int_equal(write(p[1], "z", 1), 1);
    assert_int_equal(loop_run_once(loop, 20), 0);
    assert_int_equal(s2.calls, 1);

    /* A hang-up reaches the callback (curl_multi_poll alone does not report it). */
    char b;
    assert_int_equal(read(p[0], &b, 1), 1);
    loop_watch(loop, p[0], POLLIN, on_fd, &s2);
    close(p[1]);
    loop_run_once(loop, 1000);
    assert_int_equal(s2.calls, 2);
    assert_true(s2.revents & POLLHUP);
    /* The callback unwatched it: the loop is idle again. */
    assert_int_equal(loop_run_once(loop, 10), 0);
    close(p[0]);

    /* Degenerate watches are ignored. */
    loop_watch(loop, -1, POLLIN, on_fd, &s);
    loop_watch(loop, 0, POLLIN, NULL, &s);
    assert_int_equal(loop_run_once(loop, 0), 0);
}

static void test_watch_removed_in_pass(void **state)
{
    struct loop *loop = *state;
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    struct fdseen sa = {.unwatch_other = b[0]}, sb = {.unwatch_other = a[0]};
    loop_watch(loop, a[0], POLLIN, on_fd, &sa);
    loop_watch(loop, b[0], POLLIN, on_fd, &sb);
    assert_int_equal(write(a[1], "1", 1), 1);
    assert_int_equal(write(b[1], "2", 1), 1);
    /* Both are ready; whichever runs first unwatches the other, which must not run. */
    assert_int_equal(loop_run_once(loop, 1000), 1);
    assert_int_equal(sa.calls + sb.calls, 1);
    loop_unwatch(loop, a[0]);
    loop_unwatch(loop, b[0]);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void *waker(void *arg)
{
    usleep(50000);
    loop_wake(arg);
    return NULL;
}

static void test_wake_from_thread(void **state)
{
    struct loop *loop = *state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waker, loop), 0);
    int64_t start = support_mono_ms();
    loop_run_once(loop, 5000);
    int64_t took = support_mono_ms() - start;
    pthread_join(t, NULL);
    assert_true(took < 2000);
}

static void on_stop(struct loop *loop, void *arg)
{
    (*(int *)arg)++;
    loop_stop(loop);
}

static void test_stop(void **state)
{
    struct loop *loop = *state;
    int n = 0;
    assert_false(loop_stopped(loop));
    loop_timer(loop, 10, on_stop, &n);
    loop_run(loop);
    assert_int_equal(n, 1);
    assert_true(loop_stopped(loop));
}

struct done {
    int calls;
    CURL *easy;
    CURLcode result;
    size_t bytes;
};

static void on_done(struct loop *loop, CURLMsg *msg, void *arg)
{
    struct done *d = arg;
    d->calls++;
    d->easy = msg->easy_handle;
    d->result = msg->data.result;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    ((struct done *)arg)->bytes += size * n;
    return size * n;
}

static void test_done_hook(void **state)
{
    struct loop *loop = *state;
    char path[] = "/tmp/tdectl-loop-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "file://%s", path);

    struct done d = {0};
    loop_set_done_hook(loop, on_done, &d);
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &d);
    assert_int_equal(curl_multi_add_handle(loop_multi(loop), easy), CURLM_OK);
    for (int i = 0; i < 100 && d.calls == 0; i++)
        loop_run_once(loop, 50);
    assert_int_equal(d.calls, 1);
    assert_ptr_equal(d.easy, easy);
    assert_int_equal(d.result, CURLE_OK);
    assert_int_equal(d.bytes, 5);
    curl_multi_remove_handle(loop_multi(loop), easy);
    curl_easy_cleanup(easy);

    /* Without a hook, finished transfers are drained and ignored. */
    loop_set_done_hook(loop, NULL, NULL);
    easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &d);
    curl_multi_add_handle(loop_multi(loop), easy);
    for (int i = 0; i < 20; i++)
        loop_run_once(loop, 10);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.bytes, 10);
    curl_multi_remove_handle(loop_multi(loop), easy);
    curl_easy_cleanup(easy);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_features),
        cmocka_unit_test_setup_teardown(test_timer_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_now_and_wall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_pass_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_removed_in_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wake_from_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_hook, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
