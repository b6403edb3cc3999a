/*
 * The operator lock against azsim's Tags API, on the demo's primary managed
 * instance: taken, refused to a second run, kept when the second run
 * releases, gone when the first does (the instance's other tags untouched),
 * renewed, an expired lock taken over, an unreadable one left alone; a
 * read-only session is refused before sending (CORE_ERR_REFUSED, nothing in
 * azsim's log) and the monitor principal (Reader) gets FORBIDDEN from ARM.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "azure.h"
#include "cloud.h"
#include "fixture.h"
#include "loop.h"
#include "oplock.h"
#include "session.h"
#include "support.h"
#include "xmem.h"

#define MI_ID                                                                                  \
    "/subscriptions/" DEMO_SUBSCRIPTION "/resourceGroups/rg-sql-eus2/providers/Microsoft.Sql/" \
    "managedInstances/" DEMO_MI_EUS2
#define MONITOR_ID  "62a50920-39f7-44ce-af52-b5ad5ff7b541"
#define MONITOR_KEY "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"

static struct fixture fx;

static int64_t now_s(void)
{
    return fixture_wall(&fx) / 1000;
}

/* How one oplock call ended. */
struct got {
    int calls;
    enum core_err err;
    enum oplock_state state;
    bool have_lock;
    struct oplock lock;
    char cause[512];
};

static void on_done(enum core_err err, enum oplock_state state, const struct oplock *lock,
                    const char *cause, void *arg)
{
    struct got *g = arg;
    g->calls++;
    g->err = err;
    g->state = state;
    g->have_lock = lock != NULL;
    if (lock)
        g->lock = *lock;
    snprintf(g->cause, sizeof g->cause, "%s", cause ? cause : "");
}

static void wait_for(struct loop *loop, const int *calls, const char *what)
{
    int64_t deadline = support_mono_ms() + 15000;
    while (*calls < 1) {
        if (support_mono_ms() > deadline)
            fail_msg("%s: no answer within 15 s", what);
        loop_run_once(loop, 50);
    }
}

static struct loop *fx_loop(void)
{
    return session_loop(fx.session);
}

static struct azure *fx_az(void)
{
    return session_azure(fx.session);
}

/* A lock wanted by run for an hour from now. */
static struct oplock want(const char *owner, const char *run)
{
    struct oplock w = {.op = "rotate", .reason = "integration test", .expires = now_s() + 3600};
    snprintf(w.owner, sizeof w.owner, "%s", owner);
    snprintf(w.run, sizeof w.run, "%s", run);
    return w;
}

static struct got acquire(const char *owner, const char *run)
{
    struct got g = {0};
    struct oplock w = want(owner, run);
    oplock_acquire(fx_az(), MI_ID, &w, now_s(), on_done, &g);
    wait_for(fx_loop(), &g.calls, "acquire");
    return g;
}

static struct got release(const char *run)
{
    struct got g = {0};
    oplock_release(fx_az(), MI_ID, run, now_s(), on_done, &g);
    wait_for(fx_loop(), &g.calls, "release");
    return g;
}

static struct got lock_read(const char *run)
{
    struct got g = {0};
    oplock_read(fx_az(), MI_ID, run, now_s(), on_done, &g);
    wait_for(fx_loop(), &g.calls, "read");
    return g;
}

/* -- the Tags API by hand, as another tool (or the portal) would use it ------------------------ */

struct raw {
    int calls;
    enum core_err err;
    char *body;
};

static void on_raw(const struct az_reply *r, void *arg)
{
    struct raw *o = arg;
    o->calls++;
    o->err = r->st.err;
    o->body = xstrdup(r->body);
}

/* GET (body NULL) or PATCH the instance's tags; the answer's body (heap). */
static char *tags_raw(const char *body)
{
    struct raw o = {0};
    char *url = xasprintf("%s%s/providers/Microsoft.Resources/tags/default?api-version=%s",
                          azure_cloud(fx_az())->arm_endpoint, MI_ID, OPLOCK_API);
    azure_send(fx_az(), AZ_ARM, body ? "PATCH" : "GET", url, body, false, on_raw, &o);
    wait_for(fx_loop(), &o.calls, "tags");
    free(url);
    if (o.err != CORE_OK) {
        char text[256];
        snprintf(text, sizeof text, "%s", o.body);
        free(o.body);
        fail_msg("the Tags API failed: %s %s", core_err_name(o.err), text);
    }
    return o.body;
}

static bool tags_contain(const char *needle)
{
    char *body = tags_raw(NULL);
    bool has = strstr(body, needle) != NULL;
    free(body);
    return has;
}

static void expect_no_lock_tags(void)
{
    char *body = tags_raw(NULL);
    for (char *p = body; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strstr(body, "tdectl-lock-")) {
        char text[512];
        snprintf(text, sizeof text, "%s", body);
        free(body);
        fail_msg("lock tags left behind: %s", text);
    }
    free(body);
}

/* -- tests ------------------------------------------------------------------------------------ */

static void test_instance_id(void **state)
{
    (void)state;
    /* The id the lock lives on is the demo primary's, as discovery knows it. */
    const struct model_instance *mi = fixture_instance(&fx, DEMO_MI_EUS2);
    assert_int_equal(strcasecmp(mi->id, MI_ID), 0);
    struct got g = lock_read("nobody");
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.state, OPLOCK_FREE);
    assert_false(g.have_lock);
}

static void test_take_refuse_release(void **state)
{
    (void)state;
    free(tags_raw("{\"operation\":\"Merge\",\"properties\":{\"tags\":{\"env\":\"prod\"}}}"));

    struct got a = acquire("alice@host (principal 7d24)", "run-a");
    assert_int_equal(a.err, CORE_OK);
    assert_int_equal(a.state, OPLOCK_OURS);
    assert_string_equal(a.lock.owner, "alice@host (principal 7d24)");
    assert_string_equal(a.lock.run, "run-a");
    assert_true(tags_contain("\"tdectl-lock-op\":\"rotate\""));

    /* Everyone sees it; only run-a owns it. */
    struct got r = lock_read(NULL);
    assert_int_equal(r.state, OPLOCK_HELD);
    assert_string_equal(r.lock.reason, "integration test");
    assert_int_equal(lock_read("run-a").state, OPLOCK_OURS);

    /* A second run is refused, told who holds it, and writes nothing. */
    const char *const patches[] = {" PATCH ", "tags/default", NULL};
    int written = support_azsim_log_count(fx.sim, patches);
    struct got b = acquire("bob@other", "run-b");
    assert_int_equal(support_azsim_log_count(fx.sim, patches), written);
    assert_int_equal(b.err, CORE_OK);
    assert_int_equal(b.state, OPLOCK_HELD);
    assert_true(b.have_lock);
    assert_string_equal(b.lock.owner, "alice@host (principal 7d24)");
    char *line = oplock_describe(&b.lock, now_s());
    assert_non_null(strstr(line, "held by alice@host (principal 7d24) for \"rotate: integration"));
    free(line);

    /* The second run's release changes nothing. */
    struct got rb = release("run-b");
    assert_int_equal(rb.err, CORE_OK);
    assert_int_equal(rb.state, OPLOCK_HELD);
    assert_string_equal(lock_read(NULL).lock.run, "run-a");

    /* Renewing: run-a takes it again with a later expiry. */
    struct oplock w = want("alice@host (principal 7d24)", "run-a");
    w.expires += 1800;
    struct got renew = {0};
    oplock_acquire(fx_az(), MI_ID, &w, now_s(), on_done, &renew);
    wait_for(fx_loop(), &renew.calls, "renew");
    assert_int_equal(renew.state, OPLOCK_OURS);
    assert_int_equal(renew.lock.expires, w.expires);

    /* The owner's release frees it, and only the lock's tags go. */
    struct got ra = release("run-a");
    assert_int_equal(ra.err, CORE_OK);
    assert_int_equal(ra.state, OPLOCK_FREE);
    assert_int_equal(lock_read("run-a").state, OPLOCK_FREE);
    expect_no_lock_tags();
    assert_true(tags_contain("\"env\":\"prod\""));
    free(tags_raw("{\"operation\":\"Delete\",\"properties\":{\"tags\":{\"env\":\"\"}}}"));
}

static void test_expired_is_taken_over(void **state)
{
    (void)state;
    /* A lock a crashed run left an hour ago. */
    free(tags_raw("{\"operation\":\"Merge\",\"properties\":{\"tags\":{"
                  "\"tdectl-lock-owner\":\"carol@gone\",\"tdectl-lock-run\":\"run-c\","
                  "\"tdectl-lock-expires\":\"2020-01-01T00:00:00Z\","
                  "\"tdectl-lock-op\":\"restore\",\"tdectl-lock-reason\":\"old\"}}}"));
    struct got r = lock_read("run-b");
    assert_int_equal(r.state, OPLOCK_EXPIRED);
    assert_string_equal(r.lock.owner, "carol@gone");

    struct got b = acquire("bob@other", "run-b");
    assert_int_equal(b.err, CORE_OK);
    assert_int_equal(b.state, OPLOCK_OURS);
    assert_string_equal(b.lock.owner, "bob@other");
    assert_string_equal(b.lock.op, "rotate"); /* every field rewritten */
    assert_string_equal(b.lock.reason, "integration test");
    assert_int_equal(release("run-b").state, OPLOCK_FREE);
    expect_no_lock_tags();
}

static void test_unreadable_is_left_alone(void **state)
{
    (void)state;
    free(tags_raw("{\"operation\":\"Merge\",\"properties\":{\"tags\":{"
                  "\"TDECTL-LOCK-OWNER\":\"dave@portal\","
                  "\"tdectl-lock-expires\":\"after lunch\"}}}"));
    struct got b = acquire("bob@other", "run-b");
    assert_int_equal(b.err, CORE_OK);
    assert_int_equal(b.state, OPLOCK_HELD);
    assert_false(b.have_lock);
    assert_non_null(strstr(b.cause, "dave@portal"));
    assert_non_null(strstr(b.cause, "not an RFC 3339 time"));
    assert_true(tags_contain("after lunch")); /* not overwritten */
    assert_int_equal(release("run-b").state, OPLOCK_HELD);
    assert_true(tags_contain("dave@portal")); /* nor removed */
    free(tags_raw("{\"operation\":\"Delete\",\"properties\":{\"tags\":{"
                  "\"tdectl-lock-owner\":\"\",\"tdectl-lock-expires\":\"\"}}}"));
    expect_no_lock_tags();
}

/*
 * A second session on the same azsim, from a copy of the fixture's config
 * (read_only as given) and the principal's credentials in the environment.
 */
static struct session *other_session(struct config *copy, bool read_only, const char *client_id,
                                     const char *secret)
{
    *copy = fx.config; /* shallow: borrowed strings, never cleaned up */
    copy->read_only = read_only;
    setenv("AZURE_CLIENT_ID", client_id, 1);
    setenv("AZURE_CLIENT_SECRET", secret, 1);
    struct session_options so = {.no_snapshot = true, .resolve = fx.info->resolve};
    char *cause = NULL;
    struct session *s = session_create(copy, &so, &cause);
    setenv("AZURE_CLIENT_ID", DEMO_OPERATOR_ID, 1);
    setenv("AZURE_CLIENT_SECRET", DEMO_OPERATOR_KEY, 1);
    if (s == NULL) {
        char text[256];
        snprintf(text, sizeof text, "%s", cause ? cause : "?");
        free(cause);
        fail_msg("session: %s", text);
    }
    return s;
}

static void test_read_only_cannot_acquire(void **state)
{
    (void)state;
    struct config copy;
    struct session *s = other_session(&copy, true, DEMO_OPERATOR_ID, DEMO_OPERATOR_KEY);
    const char *const patches[] = {" PATCH ", "tags/default", NULL};
    int before = support_azsim_log_count(fx.sim, patches);
    assert_true(before > 0); /* the needles do match the earlier tests' PATCHes */

    struct got g = {0};
    struct oplock w = want("alice@host", "run-ro");
    oplock_acquire(session_azure(s), MI_ID, &w, now_s(), on_done, &g);
    wait_for(session_loop(s), &g.calls, "read-only acquire");
    assert_int_equal(g.err, CORE_ERR_REFUSED);
    assert_int_equal(g.state, OPLOCK_FREE); /* the read went through */
    assert_non_null(strstr(g.cause, "PATCH"));
    assert_int_equal(support_azsim_log_count(fx.sim, patches), before);

    /* Reading is fine in read-only mode. */
    struct got r = {0};
    oplock_read(session_azure(s), MI_ID, "run-ro", now_s(), on_done, &r);
    wait_for(session_loop(s), &r.calls, "read-only read");
    assert_int_equal(r.err, CORE_OK);
    assert_int_equal(r.state, OPLOCK_FREE);
    session_destroy(s);
    expect_no_lock_tags();
}

static void test_monitor_is_forbidden(void **state)
{
    (void)state;
    struct config copy;
    struct session *s = other_session(&copy, false, MONITOR_ID, MONITOR_KEY);
    struct got g = {0};
    struct oplock w = want("monitor@host", "run-m");
    oplock_acquire(session_azure(s), MI_ID, &w, now_s(), on_done, &g);
    wait_for(session_loop(s), &g.calls, "monitor acquire");
    assert_int_equal(g.err, CORE_ERR_FORBIDDEN); /* Reader reads tags, cannot write them */
    assert_int_equal(g.state, OPLOCK_FREE);
    assert_non_null(strstr(g.cause, "AuthorizationFailed"));
    session_destroy(s);
    expect_no_lock_tags();

    /* Nor release the operator's lock. */
    assert_int_equal(acquire("alice@host", "run-a").state, OPLOCK_OURS);
    s = other_session(&copy, false, MONITOR_ID, MONITOR_KEY);
    struct got r = {0};
    oplock_release(session_azure(s), MI_ID, "run-a", now_s(), on_done, &r);
    wait_for(session_loop(s), &r.calls, "monitor release");
    assert_int_equal(r.err, CORE_ERR_FORBIDDEN);
    assert_int_equal(r.state, OPLOCK_OURS); /* what it read before the refusal */
    session_destroy(s);
    assert_int_equal(lock_read("run-a").state, OPLOCK_OURS);
    assert_int_equal(release("run-a").state, OPLOCK_FREE);
}

static int setup(void **state)
{
    (void)state;
    fixture_start(&fx, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&fx, false);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instance_id),
        cmocka_unit_test(test_take_refuse_release),
        cmocka_unit_test(test_expired_is_taken_over),
        cmocka_unit_test(test_unreadable_is_left_alone),
        cmocka_unit_test(test_read_only_cannot_acquire),
        cmocka_unit_test(test_monitor_is_forbidden),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
