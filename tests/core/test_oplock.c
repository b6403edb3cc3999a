/*
 * Unit tests of core/oplock.c. The pure half first, degenerate inputs first:
 * parsing tags (none, full, missing expiry, bad times, huge values, wrong
 * types, control characters), judging, describing, sanitizing values and the
 * PATCH body. Then the chains against a scripted TLS server playing Entra ID
 * and ARM (support_server): what is sent when, the race acquire loses, a
 * malformed lock left alone, the conditional Delete, failures and cancels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "azure.h"
#include "cloud.h"
#include "http.h"
#include "loop.h"
#include "oplock.h"
#include "support_server.h"
#include "support_tlsca.h"
#include "xmem.h"

#define EXP      INT64_C(1795993200) /* 2026-11-29T23:00:00Z */
#define EXP_TEXT "2026-11-29T23:00:00Z"
#define NOW      (EXP - 42 * 60)
#define ELLIPSIS "\xe2\x80\xa6"

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

/* oplock_parse of JSON text; *cause (may be NULL) gets the cause. */
static int parse_tags(const char *text, struct oplock *out, char **cause)
{
    cJSON *j = parse(text);
    int rc = oplock_parse(j, out, cause);
    cJSON_Delete(j);
    return rc;
}

static bool valid_utf8_without_controls(const char *s)
{
    char *again = oplock_sanitize(s, strlen(s) + 8);
    bool same = strcmp(again, s) == 0;
    free(again);
    return same;
}

/* -- parse ------------------------------------------------------------------------------------ */

static void test_parse_none(void **state)
{
    (void)state;
    struct oplock l;
    char *cause = NULL;
    assert_int_equal(oplock_parse(NULL, &l, &cause), 0);
    assert_int_equal(parse_tags("null", &l, &cause), 0);
    assert_int_equal(parse_tags("{}", &l, &cause), 0);
    assert_int_equal(parse_tags("{\"env\":\"prod\",\"cost\":\"42\"}", &l, &cause), 0);
    /* Stray tags without owner and expiry are no lock (and leave nothing in out). */
    assert_int_equal(
        parse_tags("{\"tdectl-lock-op\":\"rotate\",\"tdectl-lock-reason\":\"x\"}", &l, &cause), 0);
    assert_string_equal(l.op, "");
    assert_string_equal(l.reason, "");
    /* Empty values count as absent. */
    assert_int_equal(
        parse_tags("{\"tdectl-lock-owner\":\"  \",\"tdectl-lock-expires\":\"\"}", &l, &cause), 0);
    assert_null(cause);
    /* Other tags of a wrong type are none of our business. */
    assert_int_equal(parse_tags("{\"env\":5,\"x\":null}", &l, NULL), 0);
}

static void test_parse_full(void **state)
{
    (void)state;
    struct oplock l;
    char *cause = NULL;
    assert_int_equal(parse_tags("{\"env\":\"prod\","
                                "\"tdectl-lock-owner\":\"alice@host (principal 7d24)\","
                                "\"tdectl-lock-run\":\"run-20261129-a1\","
                                "\"tdectl-lock-reason\":\"ticket 123\","
                                "\"tdectl-lock-expires\":\"" EXP_TEXT "\","
                                "\"tdectl-lock-op\":\"rotate\"}",
                                &l, &cause),
                     1);
    assert_null(cause);
    assert_string_equal(l.owner, "alice@host (principal 7d24)");
    assert_string_equal(l.run, "run-20261129-a1");
    assert_string_equal(l.reason, "ticket 123");
    assert_string_equal(l.op, "rotate");
    assert_int_equal(l.expires, EXP);

    /* Names are case-insensitive (ARM's rule); run, reason and op are optional; offsets count. */
    assert_int_equal(parse_tags("{\"TDECTL-Lock-Owner\":\"bob\","
                                "\"tdectl-lock-EXPIRES\":\"2026-11-30T01:00:00.1234567+02:00\"}",
                                &l, &cause),
                     1);
    assert_string_equal(l.owner, "bob");
    assert_string_equal(l.run, "");
    assert_int_equal(l.expires, EXP);
}

static void test_parse_missing(void **state)
{
    (void)state;
    struct oplock l;
    char *cause = NULL;
    assert_int_equal(
        parse_tags("{\"tdectl-lock-owner\":\"alice\",\"tdectl-lock-run\":\"r1\"}", &l, &cause), -1);
    assert_non_null(strstr(cause, "tdectl-lock-expires is missing"));
    assert_string_equal(l.owner, "alice"); /* what could be read stays */
    free(cause);
    cause = NULL;
    assert_int_equal(parse_tags("{\"tdectl-lock-expires\":\"" EXP_TEXT "\"}", &l, &cause), -1);
    assert_non_null(strstr(cause, "tdectl-lock-owner is missing"));
    free(cause);
    cause = NULL;
}

static void test_parse_bad_time(void **state)
{
    (void)state;
    const char *bad[] = {
        "tomorrow",   "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-29T23:00:00Zjunk",
        "2026-11-29", "1795993200",           " 2026-11-29T23:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text =
            xasprintf("{\"tdectl-lock-owner\":\"alice\",\"tdectl-lock-expires\":\"%s\"}", bad[i]);
        struct oplock l;
        char *cause = NULL;
        assert_int_equal(parse_tags(text, &l, &cause), -1);
        assert_non_null(strstr(cause, "not an RFC 3339 time"));
        free(cause);
        cause = NULL;
        free(text);
    }
}

static void test_parse_huge(void **state)
{
    (void)state;
    struct oplock l;
    char *cause = NULL;
    /* Longer than any tag value Azure keeps: unreadable. */
    char *huge = xmalloc(1 << 20);
    memset(huge, 'a', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    char *text =
        xasprintf("{\"tdectl-lock-owner\":\"%s\",\"tdectl-lock-expires\":\"" EXP_TEXT "\"}", huge);
    assert_int_equal(parse_tags(text, &l, &cause), -1);
    assert_non_null(strstr(cause, "tdectl-lock-owner is longer than"));
    assert_true(strlen(cause) < 200); /* the value itself is not repeated */
    free(cause);
    cause = NULL;
    free(text);

    /* Longer than the field but possible in Azure: cut, marked, still a lock. */
    char reason[301], owner[251];
    memset(reason, 'r', 300);
    reason[300] = '\0';
    memset(owner, 'o', 250);
    owner[250] = '\0';
    text = xasprintf("{\"tdectl-lock-owner\":\"%s\",\"tdectl-lock-reason\":\"%s\","
                     "\"tdectl-lock-expires\":\"" EXP_TEXT "\"}",
                     owner, reason);
    assert_int_equal(parse_tags(text, &l, NULL), 1);
    assert_int_equal(strlen(l.reason), OPLOCK_REASON_MAX);
    assert_non_null(strstr(l.reason, ELLIPSIS));
    assert_int_equal(strlen(l.owner), OPLOCK_OWNER_MAX);
    free(text);

    /* A run longer than 64 bytes is no run tdectl wrote: unreadable, not cut. */
    char run[66];
    memset(run, 'x', 65);
    run[65] = '\0';
    text = xasprintf("{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-run\":\"%s\","
                     "\"tdectl-lock-expires\":\"" EXP_TEXT "\"}",
                     run);
    assert_int_equal(parse_tags(text, &l, &cause), -1);
    assert_non_null(strstr(cause, "tdectl-lock-run is not a run id"));
    free(cause);
    cause = NULL;
    free(text);
    free(huge);
}

static void test_parse_wrong_types(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]",
        "\"tags\"",
        "42",
        "{\"tdectl-lock-owner\":7,\"tdectl-lock-expires\":\"" EXP_TEXT "\"}",
        "{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-expires\":true}",
        "{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-expires\":null}",
        "{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-expires\":\"" EXP_TEXT
        "\",\"tdectl-lock-reason\":{}}",
        "{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-expires\":\"" EXP_TEXT
        "\",\"tdectl-lock-run\":[\"r\"]}",
        /* The same tag twice, spelled differently: which one counts? Neither. */
        "{\"tdectl-lock-owner\":\"a\",\"TDECTL-LOCK-OWNER\":\"b\",\"tdectl-lock-expires\":"
        "\"" EXP_TEXT "\"}",
        /* A stray tag of a wrong type is no lock, but no readable "no lock" either. */
        "{\"tdectl-lock-op\":5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct oplock l;
        char *cause = NULL;
        assert_int_equal(parse_tags(bad[i], &l, &cause), -1);
        assert_non_null(cause);
        assert_int_equal(oplock_judge(-1, &l, "r", NOW), OPLOCK_HELD);
        free(cause);
        cause = NULL;
    }
}

static void test_parse_control_characters(void **state)
{
    (void)state;
    struct oplock l;
    char *cause = NULL;
    /* Display fields are cleaned, not refused: the lock still holds. */
    assert_int_equal(
        parse_tags("{\"tdectl-lock-owner\":\"alice\\u001b[2J@host\","
                   "\"tdectl-lock-reason\":\"line one\\nline two\\u202e\\u0085\","
                   "\"tdectl-lock-op\":\"\\u0007rotate\",\"tdectl-lock-expires\":\"" EXP_TEXT "\"}",
                   &l, &cause),
        1);
    assert_string_equal(l.owner, "alice [2J@host");
    assert_string_equal(l.reason, "line one line two");
    assert_string_equal(l.op, "rotate");
    /* A run is compared, never cleaned: a run with a control character is unreadable. */
    assert_int_equal(parse_tags("{\"tdectl-lock-owner\":\"a\",\"tdectl-lock-run\":\"r\\u0001x\","
                                "\"tdectl-lock-expires\":\"" EXP_TEXT "\"}",
                                &l, &cause),
                     -1);
    assert_non_null(strstr(cause, "tdectl-lock-run"));
    free(cause);
    cause = NULL;
    /* Bytes that are no UTF-8 (cJSON passes them through) become '?'. */
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, OPLOCK_TAG_OWNER, "al\xff\xfeice");
    cJSON_AddStringToObject(j, OPLOCK_TAG_EXPIRES, EXP_TEXT);
    assert_int_equal(oplock_parse(j, &l, NULL), 1);
    assert_string_equal(l.owner, "al??ice");
    cJSON_Delete(j);
}

/* -- judge, describe -------------------------------------------------------------------------- */

static void test_judge(void **state)
{
    (void)state;
    struct oplock l = {.owner = "alice", .run = "r1", .expires = EXP};
    assert_int_equal(oplock_judge(0, NULL, "r1", NOW), OPLOCK_FREE);
    assert_int_equal(oplock_judge(0, &l, "r1", NOW), OPLOCK_FREE);
    assert_int_equal(oplock_judge(1, &l, "r1", NOW), OPLOCK_OURS);
    assert_int_equal(oplock_judge(1, &l, "r1", EXP + 10), OPLOCK_OURS); /* renew it */
    assert_int_equal(oplock_judge(1, &l, "r2", NOW), OPLOCK_HELD);
    assert_int_equal(oplock_judge(1, &l, NULL, NOW), OPLOCK_HELD);
    assert_int_equal(oplock_judge(1, &l, "r2", EXP), OPLOCK_EXPIRED);
    assert_int_equal(oplock_judge(1, &l, "r2", EXP + 1), OPLOCK_EXPIRED);
    assert_int_equal(oplock_judge(-1, &l, "r1", NOW), OPLOCK_HELD);
    assert_int_equal(oplock_judge(-1, &l, "r1", EXP + 1), OPLOCK_HELD);
    assert_int_equal(oplock_judge(1, NULL, "r1", NOW), OPLOCK_HELD);
    /* A lock without a run is nobody's: "" never matches. */
    struct oplock norun = {.owner = "portal user", .expires = EXP};
    assert_int_equal(oplock_judge(1, &norun, "", NOW), OPLOCK_HELD);
    assert_string_equal(oplock_state_name(OPLOCK_EXPIRED), "expired");
}

static void expect_describe(const struct oplock *l, int64_t now, const char *want)
{
    char *got = oplock_describe(l, now);
    assert_string_equal(got, want);
    free(got);
}

static void test_describe(void **state)
{
    (void)state;
    struct oplock l = {
        .owner = "alice@host", .run = "r1", .reason = "ticket 123", .op = "rotate", .expires = EXP};
    expect_describe(&l, NOW,
                    "held by alice@host for \"rotate: ticket 123\" until 2026-11-29 23:00 UTC "
                    "(in 42 min)");
    expect_describe(&l, EXP - 30,
                    "held by alice@host for \"rotate: ticket 123\" until "
                    "2026-11-29 23:00 UTC (in under a minute)");
    expect_describe(&l, EXP - 2 * 3600 - 5 * 60,
                    "held by alice@host for \"rotate: ticket 123\" until 2026-11-29 23:00 UTC "
                    "(in 2 h 5 min)");
    expect_describe(&l, EXP - 3 * 86400,
                    "held by alice@host for \"rotate: ticket 123\" until 2026-11-29 23:00 UTC "
                    "(in 3 days)");
    expect_describe(&l, EXP + 5 * 60,
                    "held by alice@host for \"rotate: ticket 123\" until 2026-11-29 23:00 UTC "
                    "(expired 5 min ago)");
    l.reason[0] = '\0';
    expect_describe(&l, NOW,
                    "held by alice@host for \"rotate\" until 2026-11-29 23:00 UTC "
                    "(in 42 min)");
    l.op[0] = '\0';
    expect_describe(&l, NOW, "held by alice@host until 2026-11-29 23:00 UTC (in 42 min)");
    expect_describe(NULL, NOW, "not locked");
    /* A struct filled by hand is cleaned too, and extreme times do not overflow. */
    struct oplock odd = {.owner = "\x1b]0;pwned\x07", .expires = INT64_MAX};
    char *text = oplock_describe(&odd, INT64_MIN);
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\x07'));
    free(text);
    /* Fields without their NUL are read up to their size. */
    memset(odd.owner, 'z', sizeof odd.owner);
    text = oplock_describe(&odd, 0);
    assert_non_null(strstr(text, "held by zzz"));
    free(text);
}

/* -- values and bodies ------------------------------------------------------------------------ */

static void expect_sanitize(const char *in, size_t max, const char *want)
{
    char *got = oplock_sanitize(in, max);
    assert_string_equal(got, want);
    free(got);
}

static void test_sanitize(void **state)
{
    (void)state;
    expect_sanitize(NULL, 10, "");
    expect_sanitize("", 10, "");
    expect_sanitize("  alice  ", 10, "alice");
    expect_sanitize("a\tb\r\nc\x7f"
                    "d",
                    20, "a b  c d");
    expect_sanitize("a\xc2\x85"
                    "b",
                    20, "a b"); /* C1 NEL */
    expect_sanitize("a\xe2\x80\xae"
                    "b",
                    20, "a b"); /* RIGHT-TO-LEFT OVERRIDE */
    expect_sanitize("a\xe2\x81\xa6"
                    "b",
                    20, "a b"); /* LEFT-TO-RIGHT ISOLATE */
    expect_sanitize("a\xe2\x80\xa8"
                    "b",
                    20, "a b");                                /* LINE SEPARATOR */
    expect_sanitize("\xff\xc0\xaf\xed\xa0\x80", 20, "??????"); /* invalid, overlong, surrogate */
    expect_sanitize("ab\xe2\x82", 20, "ab??");                 /* cut short */
    expect_sanitize("caf\xc3\xa9 \xe2\x82\xac 5", 20, "caf\xc3\xa9 \xe2\x82\xac 5");
    /* Exactly max: kept whole. One more: cut and marked, within max. */
    expect_sanitize("abcdefgh", 8, "abcdefgh");
    expect_sanitize("abcdefghi", 8, "abcde" ELLIPSIS);
    expect_sanitize("abcd efghi", 8, "abcd" ELLIPSIS); /* no space before the mark */
    expect_sanitize("abcdefghi", 2, "ab");
    /* Never a split character: 200 "é" (400 bytes) into 256. */
    char many[401];
    for (int i = 0; i < 200; i++)
        memcpy(many + 2 * i, "\xc3\xa9", 2);
    many[400] = '\0';
    char *cut = oplock_sanitize(many, OPLOCK_VALUE_MAX);
    assert_true(strlen(cut) <= OPLOCK_VALUE_MAX);
    assert_true(strlen(cut) >= OPLOCK_VALUE_MAX - 4);
    assert_true(valid_utf8_without_controls(cut));
    assert_string_equal(cut + strlen(cut) - 3, ELLIPSIS);
    free(cut);
    /* Run ids. */
    assert_true(oplock_run_valid("run-1"));
    assert_false(oplock_run_valid(NULL));
    assert_false(oplock_run_valid(""));
    assert_false(oplock_run_valid(" run"));
    assert_false(oplock_run_valid("r\x01"));
    assert_false(oplock_run_valid("r\xff"));
    assert_true(
        oplock_run_valid("0123456789012345678901234567890123456789012345678901234567890123"));
    assert_false(
        oplock_run_valid("01234567890123456789012345678901234567890123456789012345678901234"));
}

static void test_merge_body(void **state)
{
    (void)state;
    struct oplock want = {.owner = "alice@host\x1b[31m",
                          .run = "run-1",
                          .reason = "ticket\n123",
                          .op = "rotate",
                          .expires = EXP};
    char *cause = NULL;
    char *body = oplock_merge_body(&want, &cause);
    assert_non_null(body);
    cJSON *j = parse(body);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "operation")->valuestring, "Merge");
    const cJSON *tags =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "properties"), "tags");
    assert_int_equal(cJSON_GetArraySize(tags), 5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tags, OPLOCK_TAG_OWNER)->valuestring,
                        "alice@host [31m");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tags, OPLOCK_TAG_REASON)->valuestring,
                        "ticket 123");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tags, OPLOCK_TAG_EXPIRES)->valuestring,
                        EXP_TEXT);
    /* What it writes reads back as the same lock. */
    struct oplock back;
    assert_int_equal(oplock_parse(tags, &back, NULL), 1);
    assert_string_equal(back.run, "run-1");
    assert_int_equal(back.expires, EXP);
    cJSON_Delete(j);
    free(body);

    /* A full-length reason stays within Azure's limit. */
    memset(want.reason, 'x', sizeof want.reason); /* not even terminated */
    body = oplock_merge_body(&want, &cause);
    j = parse(body);
    tags =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "properties"), "tags");
    assert_true(strlen(cJSON_GetObjectItemCaseSensitive(tags, OPLOCK_TAG_REASON)->valuestring) <=
                OPLOCK_VALUE_MAX);
    cJSON_Delete(j);
    free(body);

    struct oplock bad[] = {
        {.owner = "", .run = "r", .expires = EXP}, {.owner = " \x01 ", .run = "r", .expires = EXP},
        {.owner = "a", .run = "", .expires = EXP}, {.owner = "a", .run = "r\n", .expires = EXP},
        {.owner = "a", .run = "r", .expires = 0},  {.owner = "a", .run = "r", .expires = INT64_MAX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(oplock_merge_body(&bad[i], &cause));
        assert_non_null(strstr(cause, "the lock needs"));
        free(cause);
        cause = NULL;
    }
    assert_null(oplock_merge_body(NULL, &cause));
    free(cause);
    cause = NULL;
}

/* -- the chains, against a scripted ARM ------------------------------------------------------- */

#define TENANT "4a6f7c1e-0d2b-4e8a-9c3f-5b1d2e3f4a5b"
#define TOKEN_BODY                                                            \
    "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599," \
    "\"access_token\":\"tok-1\"}"
#define MI       "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi1"
#define TAGS_URL MI "/providers/Microsoft.Resources/tags/default"

static struct {
    struct support_tlsca ca;
    char *ca_file;
    struct support_server *srv;
    char resolve[2][64];
    const char *resolve_list[3];
    struct loop *loop;
    struct http *http;
    struct cloud *cloud;
    struct auth *auth;
    struct azure *az;
} F;

struct got {
    int calls;
    enum core_err err;
    enum oplock_state state;
    bool have_lock;
    struct oplock lock;
    char *cause;
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
    free(g->cause);
    g->cause = xstrdup_or_null(cause);
}

static void got_free(struct got *g)
{
    free(g->cause);
    memset(g, 0, sizeof *g);
}

static void run_until(const int *calls, int want, int ms)
{
    for (int waited = 0; *calls < want; waited += 20) {
        if (waited > ms)
            fail_msg("no answer within %d ms", ms);
        loop_run_once(F.loop, 20);
    }
}

static void push(unsigned status, const char *body)
{
    struct support_server_reply r = {.status = status, .body = body};
    support_server_push(F.srv, &r);
}

/* A Tags API answer carrying tags (a JSON object's members, without braces). */
static char *tags_body(const char *members)
{
    return xasprintf("{\"id\":\"" TAGS_URL "\",\"name\":\"default\","
                     "\"type\":\"Microsoft.Resources/tags\",\"properties\":{\"tags\":{%s}}}",
                     members);
}

static void push_tags(const char *members)
{
    char *body = tags_body(members);
    push(200, body);
    free(body);
}

#define LOCK_OF(owner, run, exp)                                               \
    "\"tdectl-lock-owner\":\"" owner "\",\"tdectl-lock-run\":\"" run "\","     \
    "\"tdectl-lock-reason\":\"ticket 1\",\"tdectl-lock-expires\":\"" exp "\"," \
    "\"tdectl-lock-op\":\"rotate\""

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    assert_int_equal(support_tlsca_make(&F.ca, "*.x.test"), 0);
    F.ca_file = support_tlsca_write(F.ca.ca_pem);
    F.srv = support_server_start(F.ca.cert_pem, F.ca.key_pem);
    assert_non_null(F.srv);
    int port = support_server_port(F.srv);
    const char *hosts[] = {"login", "management"};
    for (int i = 0; i < 2; i++) {
        snprintf(F.resolve[i], sizeof F.resolve[i], "%s.x.test:%d:127.0.0.1", hosts[i], port);
        F.resolve_list[i] = F.resolve[i];
    }
    F.loop = loop_create(NULL);
    struct http_config hc = {
        .ca_file = F.ca_file, .resolve = F.resolve_list, .timeout_ms = 5000, .retry_base_ms = 10};
    F.http = http_create(F.loop, &hc, NULL);
    char *authority = xasprintf("https://login.x.test:%d", port);
    char *arm = xasprintf("https://management.x.test:%d", port);
    char *vault = xasprintf("https://x.test:%d", port);
    F.cloud = cloud_custom(authority, arm, vault, NULL);
    free(authority);
    free(arm);
    free(vault);
    assert_non_null(F.cloud);
    struct auth_config ac = {.mode = AUTH_SECRET,
                             .tenant_id = TENANT,
                             .client_id = "11111111-2222-4333-8444-555555555555",
                             .client_secret = "s3cret"};
    F.auth = auth_create(F.loop, F.http, F.cloud, &ac, NULL);
    assert_non_null(F.auth);
    F.az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    push(200, TOKEN_BODY); /* the first request's token; cached for the others */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    azure_destroy(F.az);
    auth_destroy(F.auth);
    http_destroy(F.http);
    loop_destroy(F.loop);
    cloud_destroy(F.cloud);
    support_server_stop(F.srv);
    unlink(F.ca_file);
    free(F.ca_file);
    support_tlsca_cleanup(&F.ca);
    return 0;
}

/* The requests to ARM since before (the token request skipped): "GET", "PATCH", ... */
static size_t arm_requests(size_t before, const char **methods, size_t max)
{
    size_t n = 0;
    for (size_t i = before; i < support_server_count(F.srv); i++) {
        if (strstr(support_server_path(F.srv, i), "oauth2"))
            continue;
        assert_string_equal(support_server_path(F.srv, i), TAGS_URL);
        if (n < max)
            methods[n] = support_server_method(F.srv, i);
        n++;
    }
    return n;
}

/* The body of the i-th ARM request since before. */
static const char *arm_body(size_t before, size_t nth)
{
    for (size_t i = before; i < support_server_count(F.srv); i++) {
        if (strstr(support_server_path(F.srv, i), "oauth2"))
            continue;
        if (nth-- == 0)
            return support_server_body(F.srv, i);
    }
    return NULL;
}

static const struct oplock WANT = {
    .owner = "alice@host", .run = "run-a", .reason = "ticket 1", .op = "rotate", .expires = EXP};

static void test_acquire_free(void **state)
{
    (void)state;
    size_t before = support_server_count(F.srv);
    push(200, "{\"properties\":{}}");                    /* no tags at all */
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT)); /* the PATCH's answer */
    push_tags("\"env\":\"prod\"," LOCK_OF("alice@host", "run-a", EXP_TEXT));
    struct got g = {0};
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.state, OPLOCK_OURS);
    assert_true(g.have_lock);
    assert_string_equal(g.lock.owner, "alice@host");
    const char *m[4];
    assert_int_equal(arm_requests(before, m, 4), 3);
    assert_string_equal(m[0], "GET");
    assert_string_equal(m[1], "PATCH");
    assert_string_equal(m[2], "GET");
    cJSON *j = parse(arm_body(before, 1));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "operation")->valuestring, "Merge");
    cJSON_Delete(j);
    got_free(&g);
}

static void test_acquire_race_lost(void **state)
{
    (void)state;
    /* Free when read, but bob's write landed after ours: bob holds it. */
    push_tags("");
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT));
    push_tags(LOCK_OF("bob@other", "run-b", EXP_TEXT));
    struct got g = {0};
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_string_equal(g.lock.owner, "bob@other");
    got_free(&g);
}

static void test_acquire_held_expired_malformed(void **state)
{
    (void)state;
    /* Held by someone else: one read, nothing written. */
    size_t before = support_server_count(F.srv);
    push_tags(LOCK_OF("bob@other", "run-b", EXP_TEXT));
    struct got g = {0};
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_string_equal(g.lock.run, "run-b");
    const char *m[4];
    assert_int_equal(arm_requests(before, m, 4), 1);
    got_free(&g);

    /* Expired: taken over. */
    before = support_server_count(F.srv);
    push_tags(LOCK_OF("bob@other", "run-b", "2026-11-29T20:00:00Z"));
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT));
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT));
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_OURS);
    assert_int_equal(arm_requests(before, m, 4), 3);
    got_free(&g);

    /* Unreadable: never overwritten, and the cause says so. */
    before = support_server_count(F.srv);
    push_tags(LOCK_OF("bob@other", "run-b", "next tuesday"));
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_false(g.have_lock);
    assert_non_null(strstr(g.cause, "of bob@other cannot be read"));
    assert_non_null(strstr(g.cause, "never overwritten"));
    assert_int_equal(arm_requests(before, m, 4), 1);
    got_free(&g);

    /* properties of a wrong type: unreadable too. */
    push(200, "{\"properties\":[1]}");
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_non_null(g.cause);
    got_free(&g);
}

static void test_release(void **state)
{
    (void)state;
    /* Ours, spelled by another tool: deleted by the names and values read. */
    size_t before = support_server_count(F.srv);
    push_tags("\"env\":\"prod\",\"TDECTL-LOCK-OWNER\":\"alice@host\",\"tdectl-lock-run\":\"run-a\","
              "\"tdectl-lock-expires\":\"" EXP_TEXT "\"");
    push_tags("\"env\":\"prod\"");
    struct got g = {0};
    oplock_release(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_OK);
    assert_int_equal(g.state, OPLOCK_FREE);
    assert_false(g.have_lock);
    const char *m[4];
    assert_int_equal(arm_requests(before, m, 4), 2);
    assert_string_equal(m[1], "PATCH");
    cJSON *j = parse(arm_body(before, 1));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "operation")->valuestring, "Delete");
    const cJSON *tags =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "properties"), "tags");
    assert_int_equal(cJSON_GetArraySize(tags), 3); /* env is not ours to delete */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tags, "TDECTL-LOCK-OWNER")->valuestring,
                        "alice@host");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tags, OPLOCK_TAG_RUN)->valuestring,
                        "run-a");
    cJSON_Delete(j);
    got_free(&g);

    /* Not ours, or none: nothing written, the state found. */
    before = support_server_count(F.srv);
    push_tags(LOCK_OF("bob@other", "run-b", EXP_TEXT));
    oplock_release(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_string_equal(g.lock.owner, "bob@other");
    push_tags("");
    oplock_release(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 2, 5000);
    assert_int_equal(g.state, OPLOCK_FREE);
    assert_int_equal(arm_requests(before, m, 4), 2);
    assert_string_equal(m[1], "GET");
    got_free(&g);

    /* The service kept someone else's lock (it matched our values no more): told so. */
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT));
    push_tags(LOCK_OF("bob@other", "run-b", EXP_TEXT));
    oplock_release(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_string_equal(g.lock.owner, "bob@other");
    got_free(&g);
}

static void test_read_and_failures(void **state)
{
    (void)state;
    struct got g = {0};
    push_tags(LOCK_OF("alice@host", "run-a", EXP_TEXT));
    oplock_read(F.az, MI, NULL, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_string_equal(g.lock.reason, "ticket 1");
    got_free(&g);

    /* A refused read: the error, and HELD since nothing could be read. */
    push(403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no access\"}}");
    oplock_read(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_FORBIDDEN);
    assert_int_equal(g.state, OPLOCK_HELD);
    assert_non_null(strstr(g.cause, "AuthorizationFailed"));
    got_free(&g);

    /* A refused write: the error, and the state read before it. */
    push_tags("");
    push(403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no write\"}}");
    oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_FORBIDDEN);
    assert_int_equal(g.state, OPLOCK_FREE);
    got_free(&g);

    /* Not JSON. */
    push(200, "<html>");
    oplock_read(F.az, MI, "run-a", NOW, on_done, &g);
    run_until(&g.calls, 1, 5000);
    assert_int_equal(g.err, CORE_ERR_PARSE);
    assert_non_null(strstr(g.cause, "Tags API"));
    got_free(&g);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    size_t before = support_server_count(F.srv);
    struct got g = {0};
    const char *ids[] = {NULL, "", "mi1", "/subscriptions/", MI "/", MI "?x=1", MI " ", MI "#f"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        oplock_read(F.az, ids[i], "r", NOW, on_done, &g);
        assert_int_equal(g.calls, 0); /* never inline */
        run_until(&g.calls, 1, 2000);
        assert_int_equal(g.err, CORE_ERR_CONFIG);
        got_free(&g);
    }
    struct oplock want = WANT;
    want.expires = NOW; /* not in the future */
    oplock_acquire(F.az, MI, &want, NOW, on_done, &g);
    run_until(&g.calls, 1, 2000);
    assert_int_equal(g.err, CORE_ERR_CONFIG);
    assert_non_null(strstr(g.cause, "not in the future"));
    got_free(&g);
    want = WANT;
    want.run[0] = '\0';
    oplock_acquire(F.az, MI, &want, NOW, on_done, &g);
    run_until(&g.calls, 1, 2000);
    assert_int_equal(g.err, CORE_ERR_CONFIG);
    got_free(&g);
    oplock_acquire(F.az, MI, NULL, NOW, on_done, &g);
    run_until(&g.calls, 1, 2000);
    assert_int_equal(g.err, CORE_ERR_CONFIG);
    got_free(&g);
    assert_int_equal(support_server_count(F.srv), before); /* nothing sent */
}

/* Runs the loop until the server has seen n more requests. */
static void run_until_requests(size_t before, size_t n)
{
    for (int waited = 0; support_server_count(F.srv) < before + n; waited += 10) {
        if (waited > 5000)
            fail_msg("the server saw no request %zu", n);
        loop_run_once(F.loop, 10);
    }
}

static void test_cancel(void **state)
{
    (void)state;
    struct got g = {0};
    /* At once, in every kind. */
    oplock_cancel(oplock_read(F.az, MI, "r", NOW, on_done, &g));
    oplock_cancel(oplock_release(F.az, MI, "r", NOW, on_done, &g));
    oplock_cancel(oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g));
    oplock_cancel(oplock_read(F.az, "bad", "r", NOW, on_done, &g)); /* a failing one too */
    oplock_cancel(NULL);

    /* In the middle: the read answered, the PATCH in flight (slow). */
    size_t before = support_server_count(F.srv);
    push_tags("");
    struct support_server_reply slow = {.status = 200, .body = "{}", .delay_ms = 300};
    support_server_push(F.srv, &slow);
    struct oplock_call *c = oplock_acquire(F.az, MI, &WANT, NOW, on_done, &g);
    run_until_requests(before, 2);
    oplock_cancel(c);
    for (int i = 0; i < 40; i++)
        loop_run_once(F.loop, 20);
    assert_int_equal(g.calls, 0);

    /* A pipeline destroyed under a running chain calls nobody back and leaks nothing. */
    struct azure *az = azure_create(F.loop, F.http, F.auth, F.cloud, TENANT);
    before = support_server_count(F.srv);
    slow.body = "{\"properties\":{}}";
    support_server_push(F.srv, &slow);
    oplock_acquire(az, MI, &WANT, NOW, on_done, &g);
    run_until_requests(before, 1);
    azure_destroy(az);
    for (int i = 0; i < 40; i++)
        loop_run_once(F.loop, 20);
    assert_int_equal(g.calls, 0);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_parse_none),
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_missing),
        cmocka_unit_test(test_parse_bad_time),
        cmocka_unit_test(test_parse_huge),
        cmocka_unit_test(test_parse_wrong_types),
        cmocka_unit_test(test_parse_control_characters),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_merge_body),
    };
    const struct CMUnitTest chains[] = {
        cmocka_unit_test(test_acquire_free),
        cmocka_unit_test(test_acquire_race_lost),
        cmocka_unit_test(test_acquire_held_expired_malformed),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_read_and_failures),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_cancel),
    };
    int failed = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("chains", chains, setup, teardown);
    return failed;
}
