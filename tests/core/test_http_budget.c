/*
 * Tests of the transport's memory budget (core/http.c, core/httpresp.c,
 * http.max_buffered_bytes): several big answers stalled halfway
 * (support_server's stall_ms) are mid-body together; the buffers held never
 * pass the budget, the answer that would pass it fails with the budget's
 * cause, the others arrive whole, and everything is given back. A body
 * handed to its reader no longer counts, a retried attempt gives its buffer
 * back (no double count), and a budget failure heals on retry once the
 * others are done (reads only: a POST is not sent twice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "loop.h"
#include "support.h"
#include "support_server.h"

#define NBIG 16

struct got {
    int *calls; /* shared by the calls of one test */
    struct http *http;
    enum core_err err;
    long status;
    char *body;
    size_t len;
    char *cause;
    unsigned attempts;
    size_t before_take, after_take; /* http_stats().buffered around http_result_take_body */
    bool leave_body;                /* the callback does not take the body */
};

struct fx {
    struct loop *loop;
    struct support_server *srv;
    struct http *http;
    char url[512];
};

static void on_done(struct http_result *r, void *arg)
{
    struct got *g = arg;
    (*g->calls)++;
    g->err = r->err;
    g->status = r->status;
    g->cause = r->cause ? strdup(r->cause) : NULL;
    g->attempts = r->attempts;
    g->before_take = http_stats(g->http).buffered;
    g->len = r->len;
    if (!g->leave_body)
        g->body = http_result_take_body(r, &g->len);
    g->after_take = http_stats(g->http).buffered;
}

static void got_free(struct got *g)
{
    free(g->body);
    free(g->cause);
    g->body = g->cause = NULL;
}

/* Up to NBIG reads of one HTTP/1.1 host at once; retries after 0.1, 0.2, 0.4 s. */
static struct http_config cfg(size_t max_response, size_t max_buffered, unsigned attempts)
{
    return (struct http_config){.connect_timeout_ms = 2000,
                                .timeout_ms = 5000,
                                .max_response = max_response,
                                .max_buffered = max_buffered,
                                .per_host = NBIG,
                                .connections_per_host = NBIG,
                                .max_attempts = attempts,
                                .retry_base_ms = 100,
                                .max_retry_wait_ms = 400,
                                .retry_budget_ms = 10000};
}

static void fx_start(struct fx *f, const struct http_config *c)
{
    memset(f, 0, sizeof *f);
    char *cause = NULL;
    f->loop = loop_create(&cause);
    assert_non_null(f->loop);
    f->srv = support_server_start(NULL, NULL);
    assert_non_null(f->srv);
    f->http = http_create(f->loop, c, &cause);
    if (f->http == NULL)
        fail_msg("http_create: %s", cause);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/big", support_server_port(f->srv));
}

static void fx_stop(struct fx *f)
{
    http_destroy(f->http);
    support_server_stop(f->srv);
    loop_destroy(f->loop);
}

static void get(struct fx *f, struct got *g, int *calls)
{
    g->calls = calls;
    g->http = f->http;
    struct http_request req = {.method = "GET", .url = f->url};
    assert_non_null(http_send(f->http, &req, on_done, g));
}

/* Runs the loop until want callbacks; the budget is checked at every turn. */
static void run_until(struct fx *f, const int *calls, int want, int ms, size_t budget)
{
    int64_t end = support_mono_ms() + ms;
    while (*calls < want && support_mono_ms() < end) {
        loop_run_once(f->loop, 20);
        assert_true(http_stats(f->http).buffered <= budget);
    }
    if (*calls < want)
        fail_msg("only %d of %d callbacks after %d ms", *calls, want, ms);
}

/*
 * 16 answers of 1,000,000 bytes, each stalled 300 ms halfway, under a 4 MiB
 * budget (each holds 512 KiB at the stall, 1 MiB at the end): the peak stays
 * within the budget, some fail for it (without a retry here), the rest
 * arrive whole, and afterwards nothing is held and a new read succeeds.
 */
static void test_concurrent_bodies(void **state)
{
    (void)state;
    const size_t budget = 4u << 20, size = 1000000;
    struct fx f;
    struct http_config c = cfg(2u << 20, budget, 1);
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.big = size, .stall_ms = 300});
    struct got g[NBIG];
    memset(g, 0, sizeof g);
    int calls = 0;
    int64_t t0 = support_mono_ms();
    for (int i = 0; i < NBIG; i++)
        get(&f, &g[i], &calls);
    run_until(&f, &calls, NBIG, 8000, budget);
    int ok = 0, over = 0;
    for (int i = 0; i < NBIG; i++) {
        if (g[i].err == CORE_OK) {
            ok++;
            assert_int_equal(g[i].status, 200);
            assert_int_equal(g[i].len, size);
            assert_int_equal(strlen(g[i].body), size);
        } else {
            over++;
            assert_int_equal(g[i].err, CORE_ERR_LIMIT);
            assert_int_equal(g[i].status, 0);
            assert_int_equal(g[i].attempts, 1);
            assert_non_null(strstr(g[i].cause, "GET http://127.0.0.1:"));
            assert_non_null(strstr(g[i].cause, "the answers being read together exceed the "
                                               "4194304-byte budget (http.max_buffered_bytes)"));
        }
        got_free(&g[i]);
    }
    int64_t elapsed = support_mono_ms() - t0;
    struct http_stats st = http_stats(f.http);
    print_message("16 x 1,000,000-byte answers stalled halfway, 4 MiB budget: %d whole, %d over "
                  "the budget, buffered_peak %zu, %lld ms\n",
                  ok, over, st.buffered_peak, (long long)elapsed);
    assert_true(ok >= 1);
    assert_true(over >= 1);
    assert_true(st.buffered_peak <= budget);
    assert_true(st.buffered_peak >= budget / 2); /* the budget was really under pressure */
    assert_int_equal(st.buffered, 0);
    /* They were read together: 16 stalls of 300 ms one after the other would take 4.8 s. */
    assert_true(support_server_connections(f.srv) >= NBIG / 2);
    assert_true(elapsed < NBIG * 300 / 2);

    /* Nothing held: the next read of the same size is whole. */
    support_server_set_default(f.srv, &(struct support_server_reply){.big = size});
    struct got n = {0};
    calls = 0;
    get(&f, &n, &calls);
    run_until(&f, &calls, 1, 5000, budget);
    assert_int_equal(n.err, CORE_OK);
    assert_int_equal(n.len, size);
    assert_int_equal(http_stats(f.http).buffered, 0);
    got_free(&n);
    fx_stop(&f);
}

/*
 * The same 16 answers under the default budget (64 MiB): all arrive whole,
 * and what was held at once is what the 4 MiB budget above kept off.
 */
static void test_default_budget_all_fit(void **state)
{
    (void)state;
    const size_t size = 1000000;
    struct fx f;
    struct http_config c = cfg(2u << 20, 0, 1);
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.big = size, .stall_ms = 300});
    struct got g[NBIG];
    memset(g, 0, sizeof g);
    int calls = 0;
    for (int i = 0; i < NBIG; i++)
        get(&f, &g[i], &calls);
    run_until(&f, &calls, NBIG, 8000, (size_t)64 << 20);
    for (int i = 0; i < NBIG; i++) {
        assert_int_equal(g[i].err, CORE_OK);
        assert_int_equal(g[i].len, size);
        got_free(&g[i]);
    }
    struct http_stats st = http_stats(f.http);
    print_message("the same under the default 64 MiB budget: 16 whole, buffered_peak %zu\n",
                  st.buffered_peak);
    assert_true(st.buffered_peak > 4u << 20);
    assert_true(st.buffered_peak <= NBIG * ((size_t)1 << 20));
    assert_int_equal(st.buffered, 0);
    fx_stop(&f);
}

/*
 * A body counts while it is read (1,000,000 bytes in a buffer of 1,000,001:
 * grown by doubling, never past the cap and its NUL) and no longer once its
 * result is handed to the callback, taken or not. Bodies the caller keeps
 * never count: ten of them kept, under a budget that holds one.
 */
static void test_taken_body_released(void **state)
{
    (void)state;
    const size_t size = 1000000;
    struct fx f;
    struct http_config c = cfg(size, 65536, 1); /* raised to size + 1 */
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.big = size});
    int calls = 0;
    struct got g = {0};
    get(&f, &g, &calls);
    run_until(&f, &calls, 1, 5000, size + 1);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.len, size);
    assert_int_equal(g.before_take, 0);
    assert_int_equal(g.after_take, 0);
    assert_int_equal(http_stats(f.http).buffered_peak, size + 1);
    got_free(&g);

    struct got left = {.leave_body = true};
    calls = 0;
    get(&f, &left, &calls);
    run_until(&f, &calls, 1, 5000, size + 1);
    assert_int_equal(left.err, CORE_OK);
    assert_int_equal(left.after_take, 0);
    assert_int_equal(http_stats(f.http).buffered, 0);

    struct got kept[10];
    memset(kept, 0, sizeof kept);
    calls = 0;
    for (int i = 0; i < 10; i++) {
        get(&f, &kept[i], &calls);
        run_until(&f, &calls, i + 1, 5000, size + 1);
        assert_int_equal(kept[i].err, CORE_OK);
        assert_int_equal(kept[i].len, size);
    }
    assert_int_equal(http_stats(f.http).buffered, 0);
    assert_int_equal(http_stats(f.http).buffered_peak, size + 1);
    for (int i = 0; i < 10; i++)
        got_free(&kept[i]);
    fx_stop(&f);
}

/*
 * A retried attempt gives its buffer back: a 503 with a 150,000-byte body,
 * then the answer, each taking 200,001 bytes of a 262,144-byte budget: both
 * would not fit together, and the read succeeds on its second attempt.
 */
static void test_retry_not_double_counted(void **state)
{
    (void)state;
    const size_t budget = 262144;
    struct fx f;
    struct http_config c = cfg(200000, budget, 4);
    fx_start(&f, &c);
    support_server_push(f.srv, &(struct support_server_reply){.status = 503, .big = 150000});
    support_server_push(f.srv, &(struct support_server_reply){.big = 150000});
    int calls = 0;
    struct got g = {0};
    get(&f, &g, &calls);
    run_until(&f, &calls, 1, 5000, budget);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.attempts, 2);
    assert_int_equal(g.len, 150000);
    struct http_stats st = http_stats(f.http);
    assert_int_equal(st.retries, 1);
    assert_int_equal(st.buffered_peak, 200001);
    assert_int_equal(st.buffered, 0);
    got_free(&g);
    fx_stop(&f);
}

/*
 * A budget failure heals: four answers of 1,000,000 bytes stalled halfway
 * under a 2 MiB budget (each takes 1,000,001 bytes at the end): those cut off
 * for the budget are read again once the others are done, and all arrive.
 */
static void test_budget_failure_retried(void **state)
{
    (void)state;
    const size_t budget = 2u << 20, size = 1000000;
    struct fx f;
    struct http_config c = cfg(size, budget, 4);
    fx_start(&f, &c);
    support_server_set_default(f.srv, &(struct support_server_reply){.big = size, .stall_ms = 200});
    struct got g[4];
    memset(g, 0, sizeof g);
    int calls = 0;
    for (int i = 0; i < 4; i++)
        get(&f, &g[i], &calls);
    run_until(&f, &calls, 4, 8000, budget);
    unsigned attempts = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(g[i].err, CORE_OK);
        assert_int_equal(g[i].len, size);
        attempts += g[i].attempts;
        got_free(&g[i]);
    }
    struct http_stats st = http_stats(f.http);
    assert_true(attempts > 4); /* at least one was cut off and read again */
    assert_int_equal(st.retries, attempts - 4);
    assert_true(st.buffered_peak <= budget);
    assert_int_equal(st.buffered, 0);
    fx_stop(&f);
}

/*
 * A request that may act is not sent again when its answer is cut for the
 * budget (it was sent and answered): a POST read while a stalled GET holds
 * half of a budget that fits one answer ends with the budget's cause after
 * one attempt; the GET arrives whole.
 */
static void test_post_not_retried(void **state)
{
    (void)state;
    const size_t size = 1000000;
    struct fx f;
    struct http_config c = cfg(size, 65536, 4); /* raised to size + 1 */
    fx_start(&f, &c);
    support_server_push(f.srv, &(struct support_server_reply){.big = size, .stall_ms = 400});
    support_server_push(f.srv, &(struct support_server_reply){.big = size});
    int calls = 0;
    struct got g = {0}, p = {.calls = &calls, .http = f.http};
    get(&f, &g, &calls);
    int64_t end = support_mono_ms() + 3000;
    while (http_stats(f.http).buffered == 0 && support_mono_ms() < end)
        loop_run_once(f.loop, 10);
    assert_true(http_stats(f.http).buffered > 0); /* the GET is mid-body */
    struct http_request req = {.method = "POST", .url = f.url, .body = "{}", .body_len = 2};
    assert_non_null(http_send(f.http, &req, on_done, &p));
    run_until(&f, &calls, 2, 5000, size + 1);
    assert_int_equal(p.err, CORE_ERR_LIMIT);
    assert_int_equal(p.attempts, 1);
    assert_false(strstr(p.cause, "POST http://127.0.0.1:") == NULL);
    assert_false(strstr(p.cause, "exceed the 1000001-byte budget") == NULL);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.len, size);
    assert_int_equal(http_stats(f.http).retries, 0);
    assert_int_equal(support_server_count(f.srv), 2);
    got_free(&g);
    got_free(&p);
    fx_stop(&f);
}

int main(void)
{
    const char *proxies[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_bodies),
        cmocka_unit_test(test_default_budget_all_fit),
        cmocka_unit_test(test_taken_body_released),
        cmocka_unit_test(test_retry_not_double_counted),
        cmocka_unit_test(test_budget_failure_retried),
        cmocka_unit_test(test_post_not_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
